"""The optional 3D view: quiet when OpenGL is missing (offscreen), and quiet, labelled and with a colour scale
when it is there (a real X server: Xvfb, as in a lecture-hall VM).

Before the fix every start printed pyqtgraph's "Error while drawing item GLSurfacePlotItem" tracebacks
('NoneType' object has no attribute 'astype'): the surface item was painted before it had data.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

from gdsim.lab import config
from gdsim.ui.main_window import MainWindow
from gdsim.ui.panels.surface_3d import UNAVAILABLE

needs_pyopengl = pytest.mark.skipif(importlib.util.find_spec("OpenGL") is None,
                                    reason="PyOpenGL is not installed (pip install PyOpenGL: the '3d' extra)")


@needs_pyopengl
def test_offscreen_window_with_pyopengl_degrades_without_a_traceback(qtbot, tmp_path, capfd, monkeypatch):
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    from PySide6 import QtCore

    QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope, str(tmp_path))
    w = MainWindow(config.load_preset("xor").with_changes(training={"epochs": 0}), restore_layout=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.snapshot is not None)
    assert w.surface3d.message is None  # nothing is built for a panel never shown
    w.docks["3D surface"].raise_()
    qtbot.waitUntil(lambda: w.surface3d._grid is not None, timeout=20000)
    assert not w.surface3d.available and w.surface3d.message.text() == UNAVAILABLE
    w.shutdown()
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Error while drawing" not in err, err
    assert not unraisable


SCRIPT = r"""
import sys
from gdsim.ui.app import application
app = application()
from gdsim.lab import config
from gdsim.ui.main_window import MainWindow
w = MainWindow(config.load_preset("xor").with_changes(training={"epochs": 0}), restore_layout=False)
w.resize(1280, 800)
w.show()
for _ in range(20):
    app.processEvents()
# no OpenGL widget until the 3D tab is opened: one would make Qt compose the whole window through OpenGL
assert w.surface3d.view is None and w.surface3d.message is None, "3D view built while hidden"
w.surface3d._grid = None  # paint once before there is a grid: this printed the tracebacks
w.docks["3D surface"].raise_()
for _ in range(20):
    app.processEvents()
view = w.surface3d.view
assert view is not None, "no 3D view under X: " + w.surface3d.reason
view.grabFramebuffer()
while w.surface3d._grid is None:
    app.processEvents()
view.grabFramebuffer()  # and once with the surface, labels and colour scale
print("LABELS", w.surface3d.labels())
print("LEGEND", sorted(w.surface3d.legend().values()))
w.shutdown()
"""


@needs_pyopengl
@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed (apt-get install xvfb)")
def test_3d_view_under_x_paints_quietly_with_labels_and_a_colour_scale(tmp_path):
    display = next(f":{n}" for n in range(140, 200) if not os.path.exists(f"/tmp/.X{n}-lock"))
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
        env.update(DISPLAY=display, XDG_CONFIG_HOME=tempfile.mkdtemp(dir=tmp_path), LIBGL_ALWAYS_SOFTWARE="1")
        for _ in range(100):  # the server is up once its socket exists
            if os.path.exists(f"/tmp/.X11-unix/X{display[1:]}"):
                break
            time.sleep(0.1)
        done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=30)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Error while drawing" not in done.stderr, done.stderr
    labels = next(line for line in done.stdout.splitlines() if line.startswith("LABELS"))
    assert "['W1[1,1]', 'W1[1,2]', 'loss', 'W1[1,1]: " in labels  # axis names, then the caption's ranges
    assert "W1[1,2]: " in labels and "height and colour: loss" in labels
    legend = next(line for line in done.stdout.splitlines() if line.startswith("LEGEND"))
    assert legend == "LEGEND [0.0, 0.5, 1.0]"
