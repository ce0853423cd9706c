"""The loss surface in 3D, when OpenGL and a display are there; otherwise a sentence saying why not.

Optional by design: PyOpenGL is not a dependency, and Qt's offscreen platform (tests, scripted figures) has no
OpenGL, so this panel never raises: it checks first and falls back to an explanation. It draws the same
grid as the 2D panel (``show_surface``), heights clipped to the same colour levels so a few huge losses do
not turn the valley into a floor, with the path lifted onto the surface, the axes labelled with their
parameter and range, and a colour scale in the corner. Items stay hidden until there is a grid to draw:
pyqtgraph's surface item raises on every repaint while it has no data.

The OpenGL view is built the first time the panel is shown, not with the window: one OpenGL widget anywhere in
a window makes Qt compose the whole window through OpenGL on every repaint, which with software OpenGL (a VM,
a remote desktop, Xvfb) cut the app from 21 to 4 frames a second while the 3D tab was never opened.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gdsim.lab import surfaces
from gdsim.lab.surfaces import SurfaceGrid
from gdsim.ui.plotting import palette

COLORMAP = palette.SURFACE_COLORMAP
BOX = 10.0       # the grid is drawn in a BOX × BOX square ...
HEIGHT = 5.0     # ... with heights from 0 to HEIGHT
TEXT_COLOUR = (40, 40, 40)
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
        self.reason = "not shown yet"
        self._layout = QtWidgets.QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def build(self) -> None:
        """The view (or the sentence saying why there is none): called when the panel first comes on screen
        (a dock tabbed behind another still counts as visible to Qt, so its owner says when)."""
        if self.view is not None or self.message is not None:
            return
        layout = self._layout
        ok, self.reason = opengl_available()
        if ok:
            try:
                self._build_view(layout)
            except Exception as e:  # noqa: BLE001  a driver can fail in ways no check foresees
                ok, self.reason = False, str(e)
                self.view = None
        if ok and self._grid is not None:
            self.show_surface(self._grid)  # the grid that came while the panel was never shown
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
        self._path = gl.GLLinePlotItem(color=(0.92, 0.2, 0.14, 1.0), width=2, antialias=False, glOptions="opaque")
        font = QtGui.QFont()
        font.setPointSize(9)
        self._labels = [gl.GLTextItem(color=TEXT_COLOUR, font=font, alignment=QtCore.Qt.AlignmentFlag.AlignHCenter)
                        for _ in range(3)]  # x, y, and the loss
        self._legend = gl.GLGradientLegendItem(pos=(12, 12), size=(12, 110), gradient=pg.colormap.get(COLORMAP),
                                               labels={}, fontColor=TEXT_COLOUR)
        for item in (self._surface, self._path, *self._labels, self._legend):
            item.setVisible(False)
            self.view.addItem(item)
        self.caption = QtWidgets.QLabel()
        self.caption.setObjectName("surface3dCaption")
        self.caption.setTextFormat(QtCore.Qt.TextFormat.PlainText)  # parameter names are user-visible text
        self.caption.setStyleSheet("color: #444; font-size: 8pt;")
        layout.addWidget(self.view, 1)
        layout.addWidget(self.caption)

    def labels(self) -> list[str]:
        """The axis labels drawn now (x, y, height) and the caption, for tests and the curious."""
        return [item.text for item in self._labels] + [self.caption.text()] if self.view is not None else []

    def legend(self) -> dict[str, float]:
        """The colour scale's labels: text -> position (0 bottom, 1 top)."""
        return dict(self._legend.labels) if self.view is not None else {}

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
        self._draw_labels(grid)
        for item in (self._surface, self._path, *self._labels, self._legend):
            item.setVisible(True)

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

    def _draw_labels(self, grid: SurfaceGrid) -> None:
        """Each axis's parameter by its edge of the floor, "loss" up the back corner, the colour scale's values,
        and a caption with the ranges (plain text under the view: always readable, whatever the camera)."""
        ox, oy = grid.offsets
        margin = 0.1 * BOX
        self._labels[0].setData(pos=(0.0, -BOX / 2 - margin, 0.0), text=grid.labels[0])
        self._labels[1].setData(pos=(BOX / 2 + margin, 0.0, 0.0), text=grid.labels[1])
        self._labels[2].setData(pos=(-BOX / 2, BOX / 2, HEIGHT + margin), text="loss")
        lo, hi = self._levels
        self._legend.setData(labels={f"{lo + f * (hi - lo):.3g}": f for f in (0.0, 0.5, 1.0)})
        self.caption.setText(f"{grid.labels[0]}: {grid.alphas[0] + ox:.3g} … {grid.alphas[-1] + ox:.3g} · "
                             f"{grid.labels[1]}: {grid.betas[0] + oy:.3g} … {grid.betas[-1] + oy:.3g} · "
                             f"height and colour: loss {lo:.3g} … {hi:.3g}")

    def _draw_path(self, coords) -> None:
        c = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
        lo, hi = self._levels
        z = np.clip((surfaces.value_at(self._grid, c) - lo) / (hi - lo), 0.0, 1.0) * HEIGHT + 0.08
        pos = np.column_stack([self._x(c[:, 0]), self._y(c[:, 1]), z])
        pos = pos[np.all(np.isfinite(pos), axis=1)]
        self._path.setData(pos=pos if len(pos) > 1 else np.zeros((0, 3)))
