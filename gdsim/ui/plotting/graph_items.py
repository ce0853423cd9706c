"""What the network graph draws with: edge style buckets and pens, the segment item, the bare plot and toolbar.

Each edge falls into one of a few width × sign buckets with a fixed pen; one ``SegmentItem`` draws them all,
in device pixels, because Qt strokes wide antialiased pens ~20× slower under the ViewBox's non-uniform scale.
Kept apart from ``gdsim.ui.panels.network_graph`` so the widget holds only state and events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gdsim.ui.plotting import palette

if TYPE_CHECKING:
    from gdsim.lab.snapshot import Snapshot

BUCKETS = 8  # width levels per sign
MIN_WIDTH, MAX_WIDTH = 0.5, 6.0
NEGATIVE, MIDDLE, POSITIVE = palette.SIGN_NEGATIVE, palette.SIGN_ZERO, palette.SIGN_POSITIVE
COLORMAP = pg.ColorMap([0.0, 0.5, 1.0], [NEGATIVE, MIDDLE, POSITIVE])
DRAW_ORDER = [c for level in range(BUCKETS) for c in (BUCKETS - 1 - level, BUCKETS + level)]  # strong on top


def bucket_codes(values: np.ndarray, scale: float) -> np.ndarray:
    """Code 0..2B-1 per value: B-1..0 for growing negative magnitude, B..2B-1 for growing positive."""
    with np.errstate(all="ignore"):
        norm = np.nan_to_num(np.asarray(values, dtype=np.float64) / scale, nan=0.0, posinf=1.0, neginf=-1.0)
    level = np.minimum((np.abs(norm) * BUCKETS).astype(np.int64), BUCKETS - 1)
    return np.where(norm >= 0, BUCKETS + level, BUCKETS - 1 - level)


def code_level(code: int) -> float:
    return (code - BUCKETS if code >= BUCKETS else BUCKETS - 1 - code) / (BUCKETS - 1)


def code_color(code: int) -> QtGui.QColor:
    """The bucket's colour; the faintest bucket is still tinted, so small values stay visible."""
    sign = 1.0 if code >= BUCKETS else -1.0
    return COLORMAP.map(0.5 + sign * 0.5 * (0.3 + 0.7 * code_level(code)), mode="qcolor")


def edge_pen(code: int, max_width: float) -> QtGui.QPen:
    """Small values also fade and thin, as in Playground. Faded onto white: opaque pens stroke faster."""
    alpha = 0.45 + 0.55 * code_level(code)
    color = QtGui.QColor.fromRgbF(*(1 - alpha + alpha * c for c in code_color(code).getRgbF()[:3]))
    return pg.mkPen(color, width=MIN_WIDTH + (max_width - MIN_WIDTH) * code_level(code))


def magnitude_scale(values: np.ndarray) -> float:
    finite = np.abs(values[np.isfinite(values)])
    top = float(finite.max()) if finite.size else 0.0
    return top if top > 0 else 1.0


def number(v: float) -> str:
    return f"{v:.4g}".replace("-", "\u2212")


class SegmentItem(pg.GraphicsObject):
    """Line segments (x0, y0, x1, y1 in view coordinates), each drawn with the pen of its style code."""

    def __init__(self, pens: list[QtGui.QPen]) -> None:
        super().__init__()
        self.pens = pens
        self.segments = np.empty((0, 4))
        self.codes = np.empty(0, dtype=np.int64)
        self._bounds = QtCore.QRectF()

    def set_segments(self, segments: np.ndarray, codes: np.ndarray | None = None) -> None:
        self.prepareGeometryChange()
        self.segments = np.asarray(segments, dtype=np.float64).reshape(-1, 4)
        self.codes = np.zeros(len(self.segments), np.int64) if codes is None else codes
        self._bounds = QtCore.QRectF()
        if len(self.segments):  # padded by half a column / neuron step, far more than half a pen width
            x, y = self.segments[:, [0, 2]], self.segments[:, [1, 3]]
            self._bounds = QtCore.QRectF(x.min() - 0.5, y.min() - 0.5, np.ptp(x) + 1, np.ptp(y) + 1)
        self.update()

    def restyle(self, codes: np.ndarray | None = None, pens: list[QtGui.QPen] | None = None) -> None:
        self.codes = self.codes if codes is None else codes
        self.pens = self.pens if pens is None else pens
        self.update()

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt's name)
        return self._bounds

    def paint(self, p: QtGui.QPainter, *args) -> None:
        if not len(self.segments):
            return
        t = p.transform()
        x, y = self.segments[:, [0, 2]], self.segments[:, [1, 3]]
        px, py = t.m11() * x + t.m21() * y + t.dx(), t.m12() * x + t.m22() * y + t.dy()
        pixels = np.column_stack([px[:, 0], py[:, 0], px[:, 1], py[:, 1]])
        p.save()
        p.resetTransform()
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        for code in DRAW_ORDER if len(self.pens) > 1 else [0]:
            rows = pixels[self.codes == code]
            if len(rows):
                p.setPen(self.pens[code])
                p.drawLines([QtCore.QLineF(*r) for r in rows.tolist()])
        p.restore()


class StillView(pg.ViewBox):
    """A ViewBox the user cannot pan or zoom; right-click offers only pyqtgraph's scene entries (Export…)."""

    def __init__(self) -> None:
        super().__init__(enableMouse=False, enableMenu=True)
        self._plain_menu = QtWidgets.QMenu()

    def getMenu(self, ev):  # noqa: N802 (pyqtgraph's name)
        return self._plain_menu


def graph_bar() -> tuple[QtWidgets.QVBoxLayout, tuple]:
    """The graph's toolbar: toggles for colour by gradient, neuron maps (on) and blame δ, with short names (the
    tooltips say more) so they read in full in a narrow column; the legend wraps on the row below."""
    gradient = QtWidgets.QToolButton(text="Gradient", checkable=True)
    gradient.setObjectName("networkGraphGradientButton")
    gradient.setToolTip(
        "Colour by gradient: colour and thicken edges, and tint neurons, by the last step's gradient ∂L/∂θ "
        "instead of by the parameter values.\nBlue: positive, orange: negative; width is relative to the largest.")
    maps = QtWidgets.QToolButton(text="Maps", checkable=True, checked=True)
    maps.setObjectName("networkGraphMapsButton")
    maps.setToolTip("Neuron maps: draw each neuron as what it computes: its activation over the input plane "
                    "(two inputs) or its histogram over the data. Hover a neuron to enlarge it.")
    blame = QtWidgets.QToolButton(text="Blame δ", checkable=True)
    blame.setObjectName("networkGraphBlameButton")
    blame.setToolTip("Where the blame flows: each neuron's backprop signal δ = ∂L/∂z on the "
                     "current batch.\nDisc area: mean |δ| against the largest; blue: mean δ > 0, "
                     "orange: < 0.")
    legend = QtWidgets.QLabel()
    legend.setObjectName("networkGraphLegend")
    legend.setWordWrap(True)
    legend.setTextFormat(QtCore.Qt.TextFormat.RichText)
    buttons = QtWidgets.QHBoxLayout()
    for button in (gradient, maps, blame):
        button.setSizePolicy(QtWidgets.QSizePolicy.Policy.Fixed, QtWidgets.QSizePolicy.Policy.Fixed)
        buttons.addWidget(button)
    buttons.addStretch(1)
    bar = QtWidgets.QVBoxLayout()
    bar.setContentsMargins(4, 2, 4, 0)
    bar.setSpacing(2)
    bar.addLayout(buttons)
    bar.addWidget(legend)
    return bar, (gradient, maps, blame, legend)


def still_plot() -> tuple[pg.PlotWidget, pg.PlotItem, StillView]:
    """A bare plot for a diagram: no axes, buttons or pyqtgraph menu, no auto range, no pan or zoom."""
    view = pg.PlotWidget(viewBox=StillView())
    plot_item = view.getPlotItem()
    for axis in ("left", "bottom"):
        plot_item.hideAxis(axis)
    plot_item.hideButtons()
    plot_item.setMenuEnabled(False, enableViewBoxMenu=None)
    plot_item.setContentsMargins(0, 0, 0, 0)
    vb = plot_item.getViewBox()
    vb.disableAutoRange()
    return view, plot_item, vb


def param_text(s: Snapshot, index: int) -> str:
    """One parameter's value, gradient and last update, for the hover readout."""
    name = s.param_names[index]
    kind = "w" if name.startswith("W") else "b"
    return (f"{name} = {number(s.params[index])}   ∂L/∂{kind} = {number(s.last_grad[index])}   "
            f"last Δ{kind} = {number(s.last_update[index])}")
