"""The network diagram, TensorFlow Playground style: neurons in columns, edges coloured by sign, width by |w|.

A passive view: ``show_snapshot`` restyles, and rebuilds the geometry only when the layer sizes change.
Each edge falls into one of a few width × sign buckets with a fixed pen; one ``SegmentItem`` draws them all,
in device pixels, because Qt strokes wide antialiased pens ~20× slower under the ViewBox's non-uniform scale.
"""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gdsim.engine.network import layout

if TYPE_CHECKING:
    from gdsim.lab.snapshot import Snapshot

BUCKETS = 8  # width levels per sign
MIN_WIDTH, MAX_WIDTH = 0.5, 6.0
NEGATIVE, MIDDLE, POSITIVE = "#f59322", "#e8eaeb", "#0877bd"  # Playground's orange / grey / blue
COLORMAP = pg.ColorMap([0.0, 0.5, 1.0], [NEGATIVE, MIDDLE, POSITIVE])
MODES = ("weight", "gradient")
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


class _StillView(pg.ViewBox):
    """A ViewBox the user cannot pan or zoom; right-click offers only pyqtgraph's scene entries (Export…)."""

    def __init__(self) -> None:
        super().__init__(enableMouse=False, enableMenu=True)
        self._plain_menu = QtWidgets.QMenu()

    def getMenu(self, ev):  # noqa: N802 (pyqtgraph's name)
        return self._plain_menu


SHORT_ACTIVATIONS = {"sigmoid": "σ", "leaky_relu": "lrelu", "linear": "lin", "softmax": "smax"}


class NetworkGraph(QtWidgets.QWidget):
    """Neurons (fill = bias) and edges (colour = sign, width = |value|) of the latest snapshot's network."""

    sigParameterClicked = QtCore.Signal(int)  # flat index of the clicked weight or bias
    sigColorModeChanged = QtCore.Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("networkGraphView")
        self.mode = "weight"
        self._snapshot: Snapshot | None = None
        self._sizes: tuple = ()
        self._activations: tuple = ()
        self._neuron_codes = self._highlighted = self._hover = None  # bias styles, highlight, hover
        self._radius = 8.0
        self.segments = np.empty((0, 4))  # x0, y0, x1, y1 per edge, view coordinates
        self.edge_params = np.empty(0, dtype=np.int64)  # flat index of each edge's weight
        self.neuron_xy = np.empty((0, 2))
        self.neuron_params = np.empty(0, dtype=np.int64)  # flat index of each neuron's bias, -1 for inputs

        self.gradient_button = QtWidgets.QToolButton(text="Colour by gradient", checkable=True)
        self.gradient_button.setObjectName("networkGraphGradientButton")
        self.gradient_button.setToolTip(
            "Colour and thicken edges, and tint neurons, by the last step's gradient ∂L/∂θ instead of by "
            "the parameter values.\nBlue: positive, orange: negative; width is relative to the largest one.")
        self.gradient_button.toggled.connect(lambda on: self.set_color_mode("gradient" if on else "weight"))
        legend = QtWidgets.QLabel(f'<span style="color:{POSITIVE}">■</span> positive &nbsp;'
                                  f'<span style="color:{NEGATIVE}">■</span> negative')
        bar = QtWidgets.QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 0)
        bar.addWidget(self.gradient_button)
        bar.addStretch(1)
        bar.addWidget(legend)
        self.view = pg.PlotWidget(viewBox=_StillView())
        self.view.installEventFilter(self)
        box = QtWidgets.QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addLayout(bar)
        box.addWidget(self.view, 1)

        self.plot_item = self.view.getPlotItem()
        for axis in ("left", "bottom"):
            self.plot_item.hideAxis(axis)
        self.plot_item.hideButtons()
        self.plot_item.setMenuEnabled(False, enableViewBoxMenu=None)
        self.plot_item.setContentsMargins(0, 0, 0, 0)
        self._vb = self.plot_item.getViewBox()
        self._vb.disableAutoRange()
        self._font = QtGui.QFont()
        self._font.setPointSizeF(8.5)
        self._max_width = MAX_WIDTH
        self._widths = np.array([edge_pen(c, MAX_WIDTH).widthF() for c in range(2 * BUCKETS)])
        self.edges = SegmentItem([edge_pen(c, MAX_WIDTH) for c in range(2 * BUCKETS)])
        self._halo = SegmentItem([pg.mkPen((255, 190, 0, 150), width=10)])
        self._hover_line = SegmentItem([pg.mkPen((0, 0, 0, 110), width=4)])
        self._brushes = [pg.mkBrush(code_color(c)) for c in range(2 * BUCKETS)] + [pg.mkBrush("w")]  # -1: in
        self._neurons = pg.ScatterPlotItem(pxMode=True, pen=pg.mkPen("#505050", width=1))
        self._rings = pg.ScatterPlotItem(pxMode=True, brush=None, pen=pg.mkPen("#ffaa00", width=3))
        self.hover_label = pg.TextItem(color="k", fill=pg.mkBrush(255, 255, 255, 235), border="#999")
        self.hover_label.setFont(self._font)
        self.hover_label.hide()
        self._headers: list[pg.TextItem] = []
        self._input_labels: list[pg.TextItem] = []
        self._input_names: tuple[str, ...] = ()
        for item, z in ((self._halo, 0), (self._hover_line, 0.5), (self.edges, 1), (self._neurons, 20),
                        (self._rings, 21), (self.hover_label, 40)):
            item.setZValue(z)
            self.plot_item.addItem(item, ignoreBounds=True)

        self._vb.sigResized.connect(self._fit)
        self.view.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.view.scene().sigMouseClicked.connect(self._on_mouse_clicked)

    # ------------------------------------------------------------------ public API

    def show_snapshot(self, s: Snapshot) -> None:
        self._snapshot = s
        if tuple(s.sizes) != self._sizes:
            self._rebuild(tuple(s.sizes))
        if tuple(s.activations) != self._activations:
            self._activations = tuple(s.activations)
            self._fit()
        self._restyle()
        if self._hover is not None:
            self.hover_label.setText(self.hover_text(self._hover))

    def set_color_mode(self, mode: str) -> None:
        """``"weight"``: style by θ; ``"gradient"``: style by the last gradient."""
        if mode not in MODES:
            raise ValueError(f"colour mode must be one of {MODES}, got {mode!r}")
        changed, self.mode = mode != self.mode, mode
        with QtCore.QSignalBlocker(self.gradient_button):
            self.gradient_button.setChecked(mode == "gradient")
        self._restyle(force=True)
        if changed:
            self.sigColorModeChanged.emit(mode)

    def highlight(self, indices: list[int] | None) -> None:
        """Mark these parameters' edges (and bias neurons) with a halo; None clears."""
        self._highlighted = None if indices is None else np.asarray(list(indices), dtype=np.int64)
        self._draw_highlight()

    def scene(self) -> QtWidgets.QGraphicsScene:
        return self.view.scene()

    def getPlotItem(self) -> pg.PlotItem:  # noqa: N802 (pyqtgraph's name, so gdsim.ui.plotting.figures takes this widget)
        return self.plot_item

    def export_image(self, path: str, width: int | None = None) -> None:
        """.png (``width`` px) or .svg, without the hover readout."""
        from gdsim.ui.plotting import figures as export

        self._set_hover(None)
        export.plot_image(self.plot_item, path, width)

    @property
    def edge_width(self) -> np.ndarray:
        """Pen width of each edge in pixels, as drawn now."""
        return self._widths[self.edges.codes]

    def position_of(self, index: int) -> QtCore.QPointF:
        """Where a parameter is drawn (view coordinates): an edge's midpoint or a bias neuron's centre."""
        edge = np.flatnonzero(self.edge_params == index)
        if edge.size:
            x0, y0, x1, y1 = self.segments[edge[0]]
            return QtCore.QPointF((x0 + x1) / 2, (y0 + y1) / 2)
        neuron = np.flatnonzero(self.neuron_params == index)
        if not neuron.size:
            raise IndexError(f"parameter {index} is not drawn")
        return QtCore.QPointF(*self.neuron_xy[neuron[0]])

    def param_at(self, pos: QtCore.QPointF) -> int | None:
        """Flat index of the bias neuron or edge under a point in view coordinates (distances in pixels)."""
        pw, ph = self._vb.viewPixelSize()
        if self._snapshot is None or not len(self.neuron_xy) or not (pw > 0 and ph > 0):
            return None
        px, py = pos.x() / pw, pos.y() / ph
        d = np.hypot(self.neuron_xy[:, 0] / pw - px, self.neuron_xy[:, 1] / ph - py)
        nearest = int(np.argmin(d))
        if d[nearest] <= self._radius + 2:
            return int(self.neuron_params[nearest]) if self.neuron_params[nearest] >= 0 else None
        ax, ay = self.segments[:, 0] / pw, self.segments[:, 1] / ph
        dx, dy = self.segments[:, 2] / pw - ax, self.segments[:, 3] / ph - ay
        t = np.clip(((px - ax) * dx + (py - ay) * dy) / np.maximum(dx * dx + dy * dy, 1e-12), 0.0, 1.0)
        dist = np.hypot(ax + t * dx - px, ay + t * dy - py)
        hit = dist <= np.maximum(4.0, self.edge_width / 2 + 2)
        if not hit.any():
            return None
        return int(self.edge_params[np.flatnonzero(hit)[np.argmin(dist[hit])]])

    def hover_text(self, index: int) -> str:
        s = self._snapshot
        name = s.param_names[index]
        kind = "w" if name.startswith("W") else "b"
        return (f"{name} = {number(s.params[index])}   ∂L/∂{kind} = {number(s.last_grad[index])}   "
                f"last Δ{kind} = {number(s.last_update[index])}")

    # ------------------------------------------------------------------ drawing

    def _rebuild(self, sizes: tuple) -> None:
        """New geometry for new layer sizes: neuron centres, edge segments, which parameter each one shows."""
        self._sizes, self._activations, self._neuron_codes = sizes, (), None
        columns = [(n - 1) / 2 - np.arange(n, dtype=np.float64) for n in sizes]
        self.neuron_xy = np.concatenate([np.column_stack([np.full(n, float(c)), columns[c]])
                                         for c, n in enumerate(sizes)])
        segments, params, bias = [], [], [np.full(sizes[0], -1, dtype=np.int64)]
        for c, slot in enumerate(layout(list(sizes)), start=1):
            k = np.arange(slot.n_in * slot.n_out)
            i, j = np.divmod(k, slot.n_out)
            segments.append(np.column_stack([np.full(k.size, c - 1.0), columns[c - 1][i],
                                             np.full(k.size, float(c)), columns[c][j]]))
            params.append(slot.w.start + k)
            bias.append(np.arange(slot.b.start, slot.b.stop, dtype=np.int64))
        self.segments = np.concatenate(segments)
        self.edge_params = np.concatenate(params)
        self.neuron_params = np.concatenate(bias)
        self.edges.set_segments(self.segments, np.full(len(self.segments), BUCKETS))
        self._neurons.setData(pos=self.neuron_xy)
        self._set_hover(None)
        for item in self._headers:
            self.plot_item.removeItem(item)
        self._headers = [pg.TextItem(color="#333333", anchor=(0.5, 1.0)) for _ in sizes]
        for item in self._headers:
            item.setFont(self._font)
            self.plot_item.addItem(item, ignoreBounds=True)
        for item in self._input_labels:
            self.plot_item.removeItem(item)
        self._input_labels = [pg.TextItem(self._input_name(i), color="#555555", anchor=(1.0, 0.5))
                              for i in range(sizes[0])]
        for item in self._input_labels:
            item.setFont(self._font)
            self.plot_item.addItem(item, ignoreBounds=True)
        self._draw_highlight()

    def set_input_names(self, names) -> None:
        """The data's feature names beside the input neurons (x1, x2, … when none are given)."""
        self._input_names = tuple(str(n) for n in names)
        for i, item in enumerate(self._input_labels):
            item.setText(self._input_name(i))
        self._fit()

    def _input_name(self, i: int) -> str:
        name = self._input_names[i] if i < len(self._input_names) else f"x{i + 1}"
        return name if len(name) <= 14 else name[:13] + "…"

    def _restyle(self, force: bool = False) -> None:
        s = self._snapshot
        if s is None or not len(self.edge_params):
            return
        values = np.asarray(s.params if self.mode == "weight" else s.last_grad)
        weights = values[self.edge_params]
        scale = magnitude_scale(weights)
        codes = bucket_codes(weights, scale)
        if force or not np.array_equal(codes, self.edges.codes):
            self.edges.restyle(codes)  # a repaint only when some edge changed bucket
        biases = values[np.maximum(self.neuron_params, 0)]
        neuron_codes = np.where(self.neuron_params >= 0, bucket_codes(biases, scale), -1)
        if force or self._neuron_codes is None or not np.array_equal(neuron_codes, self._neuron_codes):
            self._neurons.setBrush([self._brushes[c] for c in neuron_codes])
            self._neuron_codes = neuron_codes

    def _draw_highlight(self) -> None:
        idx = np.empty(0, np.int64) if self._highlighted is None else self._highlighted
        edges, neurons = np.isin(self.edge_params, idx), np.isin(self.neuron_params, idx)
        self._halo.set_segments(self.segments[edges])
        self._rings.setData(pos=self.neuron_xy[neurons], size=2 * self._radius + 8)

    def _header_lines(self, column: int, compact: int) -> list[str]:
        if column == 0:
            return ["Input"]
        last = column == len(self._sizes) - 1
        name = "Output" if last else f"Hidden {column}"
        name = ("Out" if last else f"H{column}") if compact == 2 else name
        act = self._activations[column - 1] if column - 1 < len(self._activations) else ""
        if not act:
            return [name]
        if compact == 2:  # crowded columns: the short names
            act = SHORT_ACTIVATIONS.get(act, act)
        return [f"{name} · {act}"] if compact == 0 else [name, act]

    def _fit(self) -> None:
        """Fit the diagram to the view, with pixel margins for headers and circles and no empty half."""
        w, h = self._vb.width(), self._vb.height()
        if not self._sizes or w < 20 or h < 20:
            return
        metrics = QtGui.QFontMetricsF(self._font)
        n_cols, span = len(self._sizes) - 1, max(self._sizes) - 1
        for compact in range(3):  # the widest header style whose neighbours do not overlap
            lines = [self._header_lines(c, compact) for c in range(n_cols + 1)]
            widths = [max(metrics.horizontalAdvance(t) for t in ls) + 10 for ls in lines]
            label_w = max((metrics.horizontalAdvance(self._input_name(i)) for i in range(self._sizes[0])),
                          default=0.0) + 40  # the names left of the input neurons, and the circles
            left, right = max(widths[0] / 2, 16.0, label_w), max(widths[-1] / 2, 16.0)
            dx = (w - left - right) / n_cols
            if all((a + b) / 2 + 6 <= dx for a, b in pairwise(widths)):
                break
        head = max(len(ls) for ls in lines) * metrics.height() + 10
        diameter = min(float(np.clip(0.6 * (h - head - 12) / (span + 1), 6.0, 26.0)), max(6.0, 0.4 * dx))
        self._radius = diameter / 2
        top, bottom = head + self._radius + 4, self._radius + 6
        dy = float(np.clip((h - top - bottom) / span, 1.0, 140.0)) if span else 140.0
        extra = max(0.0, h - top - bottom - span * dy) / 2
        y_range = (-span / 2 - (bottom + extra) / dy, span / 2 + (top + extra) / dy)
        self._vb.setRange(xRange=(-left / dx, n_cols + right / dx), yRange=y_range, padding=0)
        for c, (item, ls) in enumerate(zip(self._headers, lines, strict=True)):
            item.setHtml(f'<div align="center">{"<br>".join(ls)}</div>')
            item.setTextWidth(widths[c])  # a fixed width is what makes align="center" centre the lines
            item.setPos(c, span / 2 + (self._radius + 4) / dy)
        self._neurons.setSize(diameter)
        for i, item in enumerate(self._input_labels):
            item.setPos(-(self._radius + 4) / dx, self.neuron_xy[i, 1])
        self._draw_highlight()
        max_width = float(np.clip(0.2 * dy, 2.0, MAX_WIDTH))  # thinner edges where 16 neurons share a column
        if abs(max_width - self._max_width) >= 0.25:
            self._max_width = max_width
            pens = [edge_pen(c, max_width) for c in range(2 * BUCKETS)]
            self._widths = np.array([pen.widthF() for pen in pens])
            self.edges.restyle(pens=pens)

    # ------------------------------------------------------------------ mouse

    def _set_hover(self, index: int | None, at: QtCore.QPointF | None = None) -> None:
        if index is None and self._hover is None:
            return
        self._hover = index
        self.hover_label.setVisible(index is not None)
        self._hover_line.set_segments(self.segments[self.edge_params == index] if index is not None else [])
        if index is not None:
            self.hover_label.setText(self.hover_text(index))
            (x0, x1), (y0, y1) = self._vb.viewRange()
            right, low = at.x() > (x0 + x1) / 2, at.y() < (y0 + y1) / 2
            self.hover_label.setAnchor((1.0 if right else 0.0, 1.0 if low else 0.0))  # opens inwards
            self.hover_label.setPos(at)

    def _on_mouse_moved(self, scene_pos: QtCore.QPointF) -> None:
        if not self._vb.sceneBoundingRect().contains(scene_pos):
            self._set_hover(None)
            return
        pos = self._vb.mapSceneToView(scene_pos)
        self._set_hover(self.param_at(pos), pos)

    def _on_mouse_clicked(self, ev) -> None:
        if ev.button() != QtCore.Qt.MouseButton.LeftButton or ev.double():
            return
        index = self.param_at(self._vb.mapSceneToView(ev.scenePos()))
        if index is not None:
            self.sigParameterClicked.emit(index)

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 (Qt's name)
        if obj is self.view and event.type() == QtCore.QEvent.Type.Leave:
            self._set_hover(None)
        return super().eventFilter(obj, event)
