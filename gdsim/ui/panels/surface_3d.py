"""The loss surface in 3D, when OpenGL and a display are there; otherwise a sentence saying why not.

Optional by design: PyOpenGL is not a dependency, and Qt's offscreen platform (tests, scripted figures) has no
OpenGL, so this panel never raises: it checks first and falls back to an explanation. It draws the same
grid as the 2D panel (``show_surface``), heights clipped to the same colour levels so a few huge losses do
not turn the valley into a floor, with the path lifted onto the surface.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gdsim import surfaces
from gdsim.surfaces import SurfaceGrid

COLORMAP = "viridis"
BOX = 10.0       # the grid is drawn in a BOX × BOX square ...
HEIGHT = 5.0     # ... with heights from 0 to HEIGHT
UNAVAILABLE = "3D view needs OpenGL (pip install PyOpenGL) and a display; it is not available here."


def opengl_available() -> tuple[bool, str]:
    """(True, "") when a 3D view can be drawn, else (False, why)."""
    app = QtGui.QGuiApplication.instance()
    platform = app.platformName() if app is not None else ""
    if platform in ("", "offscreen", "minimal"):
        return False, f"the Qt platform {platform or '(none)'!r} has no OpenGL"
    try:
        import OpenGL  # noqa: F401  (pyqtgraph.opengl needs PyOpenGL)
        import pyqtgraph.opengl  # noqa: F401
    except Exception as e:  # noqa: BLE001  (ImportError, or a broken GL library raising anything)
        return False, str(e)
    context = QtGui.QOpenGLContext()
    if not context.create():
        return False, "Qt could not create an OpenGL context"
    return True, ""


class Surface3D(QtWidgets.QWidget):
    """A rotatable surface (drag to turn, wheel to zoom) or, without OpenGL, the reason there is none."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._grid: SurfaceGrid | None = None
        self._levels = (0.0, 1.0)
        self.view = None
        self.message: QtWidgets.QLabel | None = None
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        ok, self.reason = opengl_available()
        if ok:
            try:
                self._build_view(layout)
            except Exception as e:  # noqa: BLE001  a driver can fail in ways no check foresees
                ok, self.reason = False, str(e)
                self.view = None
        if not ok:
            self.message = QtWidgets.QLabel(UNAVAILABLE)
            self.message.setObjectName("surface3dMessage")
            self.message.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
            self.message.setWordWrap(True)
            self.message.setToolTip(self.reason)
            self.message.setStyleSheet("color: #555;")
            layout.addWidget(self.message)

    @property
    def available(self) -> bool:
        return self.view is not None

    def _build_view(self, layout) -> None:
        import pyqtgraph.opengl as gl

        self.view = gl.GLViewWidget()
        self.view.setObjectName("surface3dView")
        self.view.setBackgroundColor("w")
        self.view.setCameraPosition(distance=1.9 * BOX, elevation=42, azimuth=-65)
        self.view.opts["center"] = pg.Vector(0, 0, HEIGHT / 3)
        floor = gl.GLGridItem(color=(0, 0, 0, 40))
        floor.setSize(BOX, BOX)
        floor.setSpacing(BOX / 10, BOX / 10)
        self.view.addItem(floor)
        self._surface = gl.GLSurfacePlotItem(computeNormals=False, glOptions="opaque")
        self.view.addItem(self._surface)
        self._path = gl.GLLinePlotItem(color=(0.92, 0.2, 0.14, 1.0), width=2, antialias=False, glOptions="opaque")
        self.view.addItem(self._path)
        layout.addWidget(self.view)

    # ------------------------------------------------------------------ public API

    def show_surface(self, grid: SurfaceGrid) -> None:
        if not grid.is_2d:
            return
        self._grid = grid
        if self.view is None:
            return
        image, self._levels, _ = surfaces.colour_image(grid.values)
        lo, hi = self._levels
        t = np.clip((np.nan_to_num(image, nan=hi) - lo) / (hi - lo), 0.0, 1.0)
        colours = pg.colormap.get(COLORMAP).map(t.ravel(), mode="float").reshape(*t.shape, 4)
        self._surface.setData(x=self._x(grid.alphas), y=self._y(grid.betas), z=(t * HEIGHT).astype(np.float32),
                              colors=colours.astype(np.float32))
        self._draw_path(grid.path)

    def show_snapshot(self, s) -> None:
        g = self._grid
        params = np.asarray(s.params)
        if g is None or self.view is None or params.size != g.center.size:
            return
        self._draw_path(surfaces.path_on_grid(g, np.vstack([np.asarray(s.trajectory).reshape(-1, params.size),
                                                             params[None]])))

    # ------------------------------------------------------------------ drawing

    def _x(self, a):
        g = self._grid
        return (np.asarray(a) - g.alphas[0]) / (g.alphas[-1] - g.alphas[0]) * BOX - BOX / 2

    def _y(self, b):
        g = self._grid
        return (np.asarray(b) - g.betas[0]) / (g.betas[-1] - g.betas[0]) * BOX - BOX / 2

    def _draw_path(self, coords) -> None:
        c = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
        lo, hi = self._levels
        z = np.clip((surfaces.value_at(self._grid, c) - lo) / (hi - lo), 0.0, 1.0) * HEIGHT + 0.08
        pos = np.column_stack([self._x(c[:, 0]), self._y(c[:, 1]), z])
        pos = pos[np.all(np.isfinite(pos), axis=1)]
        self._path.setData(pos=pos if len(pos) > 1 else np.zeros((0, 3)))
