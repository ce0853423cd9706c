"""Passive views: each shows snapshots (or surfaces) it is given and never touches the trainer."""
