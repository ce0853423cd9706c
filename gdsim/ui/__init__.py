"""The Qt application: a main window that wires one worker to passive panels."""
