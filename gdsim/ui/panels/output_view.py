"""What the network computes, drawn over the data it learns from.

Three pictures, chosen by the data set: two-feature classification shows the decision surface as a heatmap
with the 0.5 contour as the boundary; one-feature regression shows the fitted curve through the points;
anything else shows predicted against actual values around the line y = x. The predictions arrive ready
in ``Snapshot.output`` (computed by ``gdsim.lab.snapshot.output_view`` in the worker); this panel only draws.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from gdsim.engine import contours
from gdsim.lab.snapshot import DRAWN_POINTS
from gdsim.ui.plotting import palette
from gdsim.ui.plotting.items import LegendRow, cache_axes

# class colours: two classes use the diverging map's ends, so a point sits on a background of its own colour
BINARY_MAP = palette.CLASS_COLORMAP
PALETTE = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (255, 127, 14), (23, 190, 207),
           (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34)]
TRAIN_COLOUR, TEST_COLOUR = (31, 100, 180), (225, 110, 20)
SURFACE_OPACITY = 0.6  # the surface's colours are mixed with white this much; drawn opaque (see _pale)
POINT_SIZE = 7


def class_colours(n_classes: int) -> tuple[list[tuple], pg.ColorMap]:
    """Per-class colours and the colormap whose value c / (k − 1) is class c's colour."""
    k = max(2, int(n_classes))
    if k == 2:
        cmap = pg.colormap.get(BINARY_MAP)
        ends = [cmap.map(v, mode="byte")[:3] for v in (0.0, 1.0)]
        return [tuple(int(c * 0.85) for c in e) for e in ends], cmap
    colours = [PALETTE[i % len(PALETTE)] for i in range(k)]
    return colours, pg.ColorMap(np.linspace(0.0, 1.0, k), colours)


class OutputView(pg.PlotWidget):
    """The data and the network's output; ``set_data`` once per data set, ``show_snapshot`` per frame.

    With drawing on (context menu), a click adds a point of class 1 and a shift-click one of class 0
    (ConvNetJS-style): ``sigPointAdded(x, y, label)``; the main window rebuilds the data set with it.
    """

    sigPointAdded = QtCore.Signal(float, float, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        del self.clear  # PlotWidget binds PlotItem.clear (which removes every item) on the instance
        self.setObjectName("outputView")
        pi = self.getPlotItem()
        pi.showGrid(x=True, y=True, alpha=0.12)
        self._legend = LegendRow(pi, colCount=3, verSpacing=-6)  # under the axis: never over the points
        self._image = pg.ImageItem(axisOrder="col-major")
        self._image.setZValue(-20)
        pi.addItem(self._image)
        cache_axes(pi)
        # decision boundaries arrive as line segments computed in the worker (gdsim.engine.contours)
        self._boundary = pg.PlotCurveItem(pen=pg.mkPen((25, 25, 25), width=2), connect="pairs")
        self._boundary.setZValue(-10)
        pi.addItem(self._boundary)
        self._diag = pi.plot(pen=pg.mkPen((110, 110, 110), width=1, style=QtCore.Qt.PenStyle.DashLine))
        self._fit = pi.plot(pen=pg.mkPen((200, 30, 30), width=2.5))
        self._train = pg.ScatterPlotItem(name="train", symbol="o", size=POINT_SIZE, brush=(120, 120, 120),
                                         pen=pg.mkPen("w", width=0.8))
        self._test = pg.ScatterPlotItem(name="test", symbol="d", size=POINT_SIZE + 2, brush=None,
                                        pen=pg.mkPen((90, 90, 90), width=1.6))
        pi.addItem(self._train)
        pi.addItem(self._test)
        self._fit_in_legend = False
        self._data = None
        self._kind = ""
        self.draw_action = QtGui.QAction("Draw points (click: class 1, shift+click: class 0)", self, checkable=True)
        self.draw_action.setToolTip("Add your own training points; each one restarts training on the new data")
        pi.vb.menu.insertAction(pi.vb.menu.actions()[0] if pi.vb.menu.actions() else None, self.draw_action)
        self.draw_action.toggled.connect(self._on_draw_toggled)
        self.scene().sigMouseClicked.connect(self._on_click)
        self.clear()

    # ------------------------------------------------------------------ public API

    @property
    def kind(self) -> str:
        """'decision', 'curve' or 'scatter' for the current data set ('' before one is set)."""
        return self._kind

    def clear(self) -> None:
        """Remove the network's output (a new run); the data points stay."""
        self._image.clear()
        self._image.hide()
        self._boundary.setData([], [])
        self._fit.setData([], [])
        if self._kind == "scatter":
            self._train.setData([], [])
            self._test.setData([], [])

    def forget(self) -> None:
        """No data set (function mode): an empty plot, no stale points."""
        self._data, self._kind = None, ""
        self.clear()
        self._train.setData([], [])
        self._test.setData([], [])
        self._diag.setData([], [])

    def set_data(self, data) -> None:
        """Draw a data set's points (train filled, test hollow) and pick the picture for its shape."""
        self._data = data
        cls = data.task == "classification"
        self._kind = "decision" if cls and data.n_features == 2 else (
            "curve" if not cls and data.n_features == 1 else "scatter")
        self.clear()
        self._diag.setData([], [])
        self._show_fit_in_legend(self._kind == "curve")
        pi = self.getPlotItem()
        # axis labels are HTML: a CSV column named "<img src=...>" must read as text, not load an image
        names = [html.escape(n) for n in data.feature_names] or ["x"]
        target = html.escape(", ".join(data.target_names)) or "y"
        # the items' own colours are what the legend shows; per-point colours (classes) override them
        neutral = self._kind == "decision"
        self._train.setBrush((120, 120, 120) if neutral else TRAIN_COLOUR)
        self._test.setPen(pg.mkPen((90, 90, 90) if neutral else TEST_COLOUR, width=1.6))
        if self._kind == "decision":
            colours, self._cmap = class_colours(data.n_classes)
            self._image.setLookupTable(_pale(self._cmap))
            brushes = np.array([pg.mkBrush(c) for c in colours], dtype=object)
            pens = np.array([pg.mkPen(c, width=1.6) for c in colours], dtype=object)
            n = DRAWN_POINTS
            y_tr, y_te = np.asarray(data.y_train[:n], int).ravel(), np.asarray(data.y_test[:n], int).ravel()
            self._train.setData(data.X_train[:n, 0], data.X_train[:n, 1], brush=list(brushes[y_tr]))
            self._test.setData(data.X_test[:n, 0], data.X_test[:n, 1], pen=list(pens[y_te]))
            pi.setLabel("bottom", names[0])
            pi.setLabel("left", names[1] if len(names) > 1 else "x2")
        elif self._kind == "curve":
            self._train.setData(data.X_train[:DRAWN_POINTS, 0], _first_column(data.y_train[:DRAWN_POINTS]))
            self._test.setData(data.X_test[:DRAWN_POINTS, 0], _first_column(data.y_test[:DRAWN_POINTS]))
            pi.setLabel("bottom", f"{names[0]} (standardised)")
            pi.setLabel("left", html.escape(data.target_names[0]) if data.target_names else "y")
        else:
            self._train.setData([], [])
            self._test.setData([], [])
            actual = np.concatenate([self._actual(data.y_train), self._actual(data.y_test)])
            lo, hi = (float(actual.min()), float(actual.max())) if len(actual) else (0.0, 1.0)
            self._diag.setData([lo, hi], [lo, hi])
            what = "class" if cls else target
            pi.setLabel("bottom", f"actual {what}")
            pi.setLabel("left", f"predicted {'P(class 1)' if cls and data.n_classes <= 2 else what}")
        pi.enableAutoRange()

    def show_snapshot(self, s) -> None:
        out = s.output or {}
        if self._data is None or out.get("kind") != self._kind:
            return  # no data set yet, or a frame computed for the previous one
        if self._kind == "decision":
            self._show_surface(np.asarray(out["x"]), np.asarray(out["y"]), np.asarray(out["z"], dtype=float))
            self._boundary.setData(*contours.connect_pairs(np.asarray(out.get("boundary", np.empty((0, 2, 2))))))
        elif self._kind == "curve":
            x, y = np.asarray(out["x"]), np.asarray(out["y"])
            keep = np.isfinite(x) & np.isfinite(y)
            self._fit.setData(x[keep], y[keep])
        else:
            self._show_predictions(np.asarray(out["train"]), np.asarray(out["test"]))

    def image(self) -> np.ndarray | None:
        """The decision surface drawn now (tests, export)."""
        return None if not self._image.isVisible() else self._image.image

    def export_image(self, path, width: int | None = None) -> None:
        from gdsim.ui.plotting import figures

        figures.plot_image(self, path, width)

    def set_drawing(self, on: bool) -> None:
        self.draw_action.setChecked(on)

    def _on_draw_toggled(self, on: bool) -> None:
        self.setCursor(QtCore.Qt.CursorShape.CrossCursor if on else QtCore.Qt.CursorShape.ArrowCursor)

    def _on_click(self, event) -> None:
        if not self.draw_action.isChecked() or self._kind != "decision":
            return
        if event.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        vb = self.getPlotItem().vb
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        p = vb.mapSceneToView(event.scenePos())
        shift = bool(event.modifiers() & QtCore.Qt.KeyboardModifier.ShiftModifier)
        event.accept()
        self.sigPointAdded.emit(float(p.x()), float(p.y()), 0 if shift else 1)

    # ------------------------------------------------------------------ drawing

    def _show_surface(self, xs: np.ndarray, ys: np.ndarray, z: np.ndarray) -> None:
        z = np.where(np.isfinite(z), z, np.nan)
        self._image.setImage(z, levels=(0.0, 1.0), autoLevels=False)
        dx = (xs[-1] - xs[0]) / max(1, len(xs) - 1)
        dy = (ys[-1] - ys[0]) / max(1, len(ys) - 1)
        # pixel centres on the grid points, so the image spans half a cell beyond them
        self._image.setRect(QtCore.QRectF(xs[0] - dx / 2, ys[0] - dy / 2, dx * len(xs), dy * len(ys)))
        self._image.show()

    def _show_predictions(self, train: np.ndarray, test: np.ndarray) -> None:
        d, n = self._data, DRAWN_POINTS
        for item, pred, y in ((self._train, train, d.y_train[:n]), (self._test, test, d.y_test[:n])):
            actual = self._actual(y)
            p = self._predicted(pred)
            if len(p) != len(actual):
                item.setData([], [])
                continue
            keep = np.isfinite(actual) & np.isfinite(p)
            item.setData(actual[keep], p[keep])

    def _actual(self, y) -> np.ndarray:
        """Targets on the x axis; class labels get a fixed jitter so stacked points spread out."""
        y = np.asarray(y, dtype=float)
        if self._data.task != "classification":
            return y.ravel()
        y = y.ravel()
        return y + np.random.default_rng(0).uniform(-0.08, 0.08, len(y))

    def _predicted(self, pred) -> np.ndarray:
        pred = np.asarray(pred, dtype=float)
        if pred.ndim == 1:
            pred = pred[:, None]
        if self._data.task != "classification":
            return pred.ravel()
        if pred.shape[1] == 1:
            return pred[:, 0]  # P(class 1)
        return pred.argmax(axis=1) + np.random.default_rng(1).uniform(-0.08, 0.08, len(pred))

    def _show_fit_in_legend(self, on: bool) -> None:
        if on and not self._fit_in_legend:
            self._legend.addItem(self._fit, "network")
        elif not on and self._fit_in_legend:
            self._legend.removeItem(self._fit)
        self._fit_in_legend = on


def _pale(cmap: pg.ColorMap) -> np.ndarray:
    """The colormap mixed with white, as an opaque lookup table. Same look as a translucent image over a white
    plot, but Qt paints it without an extra blending layer (several ms a frame at panel size)."""
    lut = cmap.getLookupTable(0.0, 1.0, 256, alpha=False).astype(np.float64)
    return np.round(SURFACE_OPACITY * lut + (1 - SURFACE_OPACITY) * 255).astype(np.uint8)


def _first_column(y) -> np.ndarray:
    y = np.asarray(y, dtype=float)
    return y.reshape(len(y), -1)[:, 0]
