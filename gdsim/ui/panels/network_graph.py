"""The network diagram, TensorFlow Playground style: neurons in columns, edges coloured by sign, width by |w|.

A passive view. ``show_snapshot`` only restyles; the geometry is rebuilt when the layer sizes change. Every
edge falls into one of a few width × sign buckets with a fixed pen, and one ``SegmentItem`` draws them all.
It paints in device pixels: Qt strokes wide antialiased cosmetic pens ~20× slower under the ViewBox's
non-uniform scale (about 250 ms for a 2-16-16-16-16-1 network) than with an identity transform.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gdsim.engine.network import layout

if TYPE_CHECKING:
    from gdsim.snapshot import Snapshot

BUCKETS = 8  # width levels per sign
MIN_WIDTH, MAX_WIDTH = 0.5, 6.0
NEGATIVE, MIDDLE, POSITIVE = "#f59322", "#e8eaeb", "#0877bd"  # Playground's orange / grey / blue
COLORMAP = pg.ColorMap([0.0, 0.5, 1.0], [NEGATIVE, MIDDLE, POSITIVE])
MODES = ("weight", "gradient")


def bucket_codes(values: np.ndarray, scale: float) -> np.ndarray:
    """Code 0..2B-1 per value: B-1..0 for growing negative magnitude, B..2B-1 for growing positive."""
    with np.errstate(all="ignore"):
        norm = np.nan_to_num(np.asarray(values, dtype=np.float64) / scale, nan=0.0, posinf=1.0, neginf=-1.0)
    level = np.minimum((np.abs(norm) * BUCKETS).astype(np.int64), BUCKETS - 1)
    return np.where(norm >= 0, BUCKETS + level, BUCKETS - 1 - level)


def code_style(code: int, max_width: float = MAX_WIDTH) -> tuple[QtGui.QColor, float]:
    """Colour and pen width of a bucket: small values fade (as in Playground) but stay tinted, so visible."""
    level = code - BUCKETS if code >= BUCKETS else BUCKETS - 1 - code
    frac = level / (BUCKETS - 1)
    sign = 1.0 if code >= BUCKETS else -1.0
    color = COLORMAP.map(0.5 + sign * 0.5 * (0.3 + 0.7 * frac), mode="qcolor")
    alpha = 0.45 + 0.55 * frac  # blended onto white here: opaque pens are several times faster to stroke
    color = QtGui.QColor.fromRgbF(*(1 - alpha + alpha * c for c in color.getRgbF()[:3]))
    return color, MIN_WIDTH + (max_width - MIN_WIDTH) * frac


DRAW_ORDER = [c for level in range(BUCKETS) for c in (BUCKETS - 1 - level, BUCKETS + level)]  # strong on top


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
        if len(self.segments):  # padded by half a column / neuron step, far more than half a pen width
            x, y = self.segments[:, [0, 2]], self.segments[:, [1, 3]]
            self._bounds = QtCore.QRectF(x.min() - 0.5, y.min() - 0.5, np.ptp(x) + 1, np.ptp(y) + 1)
        else:
            self._bounds = QtCore.QRectF()
        self.update()

    def set_codes(self, codes: np.ndarray) -> None:
        self.codes = codes
        self.update()

    def set_pens(self, pens: list[QtGui.QPen]) -> None:
        self.pens = pens
        self.update()

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt's name)
        return self._bounds

    def paint(self, p: QtGui.QPainter, *args) -> None:
        if not len(self.segments):
            return
        t = p.transform()
        x, y = self.segments[:, [0, 2]], self.segments[:, [1, 3]]
        px = np.column_stack([t.m11() * x + t.m21() * y + t.dx(), t.m12() * x + t.m22() * y + t.dy()])
        pixels = px[:, [0, 2, 1, 3]]  # x0, y0, x1, y1 in device pixels
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


class NetworkGraph(QtWidgets.QWidget):
    """Neurons (fill = bias) and edges (colour = sign, width = |value|) of the network in the latest snapshot."""

    sigParameterClicked = QtCore.Signal(int)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("networkGraphView")
        self.mode = "weight"
        self._snapshot: Snapshot | None = None
        self._sizes: tuple = ()
        self._activations: tuple = ()
        self._codes: np.ndarray | None = None
        self._neuron_codes: np.ndarray | None = None
        self._highlighted: np.ndarray | None = None
        self._hover: int | None = None
        self._radius = 8.0
        self.segments = np.empty((0, 4))  # x0, y0, x1, y1 per edge, view coordinates
        self.edge_params = np.empty(0, dtype=np.int64)  # flat index of each edge's weight
        self.edge_width = np.empty(0)
        self.neuron_xy = np.empty((0, 2))
        self.neuron_params = np.empty(0, dtype=np.int64)  # flat index of each neuron's bias, -1 for inputs

        self.gradient_button = QtWidgets.QToolButton(text="Colour by gradient", checkable=True)
        self.gradient_button.setObjectName("networkGraphGradientButton")
        self.gradient_button.setToolTip(
            "Colour and thicken edges, and tint neurons, by the last step's gradient ∂L/∂θ instead of by the "
            "parameter values.\nBlue: positive, orange: negative; width is relative to the largest magnitude.")
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
        self.plot_item = self.view.getPlotItem()
        self.plot_item.hideAxis("left")
        self.plot_item.hideAxis("bottom")
        self.plot_item.hideButtons()
        self.plot_item.setMenuEnabled(False, enableViewBoxMenu=None)
        self.plot_item.setContentsMargins(0, 0, 0, 0)
        self._vb = self.plot_item.getViewBox()
        self._vb.disableAutoRange()
        box = QtWidgets.QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addLayout(bar)
        box.addWidget(self.view, 1)

        self._font = QtGui.QFont()
        self._font.setPointSizeF(8.5)
        self._halo = SegmentItem([pg.mkPen((255, 190, 0, 150), width=10)])
        self._hover_line = SegmentItem([pg.mkPen((0, 0, 0, 110), width=4)])
        self._styles = [code_style(c) for c in range(2 * BUCKETS)]
        self.edges = SegmentItem([pg.mkPen(color, width=width) for color, width in self._styles])
        self._brushes = [pg.mkBrush(color.red(), color.green(), color.blue()) for color, _ in self._styles]
        self._max_width = MAX_WIDTH
        self._input_brush = pg.mkBrush("w")
        self._neurons = pg.ScatterPlotItem(pxMode=True, symbol="o", pen=pg.mkPen("#505050", width=1))
        self._rings = pg.ScatterPlotItem(pxMode=True, symbol="o", brush=None, pen=pg.mkPen((255, 170, 0), width=3))
        self.hover_label = pg.TextItem(color="k", fill=pg.mkBrush(255, 255, 255, 235), border=pg.mkPen("#999"))
        self.hover_label.setFont(self._font)
        self._headers: list[pg.TextItem] = []
        for item, z in ((self._halo, 0), (self._hover_line, 0.5), (self.edges, 1), (self._neurons, 20),
                        (self._rings, 21), (self.hover_label, 40)):
            item.setZValue(z)
            self.plot_item.addItem(item, ignoreBounds=True)
        self.hover_label.hide()

        self._vb.sigResized.connect(self._fit)
        self.view.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.view.scene().sigMouseClicked.connect(self._on_mouse_clicked)

    # ------------------------------------------------------------------ public API

    def scene(self) -> QtWidgets.QGraphicsScene:
        return self.view.scene()

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
        self.mode = mode
        with QtCore.QSignalBlocker(self.gradient_button):
            self.gradient_button.setChecked(mode == "gradient")
        self._codes = self._neuron_codes = None
        self._restyle()

    def highlight(self, indices: list[int] | None) -> None:
        """Mark these parameters' edges (and bias neurons) with a halo; None clears."""
        self._highlighted = None if indices is None else np.asarray(list(indices), dtype=np.int64)
        self._draw_highlight()

    def getPlotItem(self) -> pg.PlotItem:  # noqa: N802 (pyqtgraph's name, so gdsim.export accepts this widget)
        return self.plot_item

    def export_png(self, path: str, width: int = 1200) -> None:
        from gdsim import export

        self._set_hover(None)
        export.plot_png(self.plot_item, path, width)

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
        if self._snapshot is None or not len(self.neuron_xy):
            return None
        pw, ph = self._vb.viewPixelSize()
        if not (pw > 0 and ph > 0):
            return None
        px, py = pos.x() / pw, pos.y() / ph
        d = np.hypot(self.neuron_xy[:, 0] / pw - px, self.neuron_xy[:, 1] / ph - py)
        nearest = int(np.argmin(d))
        if d[nearest] <= self._radius + 2:
            return int(self.neuron_params[nearest]) if self.neuron_params[nearest] >= 0 else None
        ax, ay = self.segments[:, 0] / pw, self.segments[:, 1] / ph
        bx, by = self.segments[:, 2] / pw, self.segments[:, 3] / ph
        dx, dy = bx - ax, by - ay
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
        self._sizes = sizes
        self._activations = ()
        columns = [(n - 1) / 2 - np.arange(n, dtype=np.float64) for n in sizes]
        self.neuron_xy = np.concatenate([np.column_stack([np.full(n, float(c)), columns[c]])
                                         for c, n in enumerate(sizes)])
        bias = [np.full(sizes[0], -1, dtype=np.int64)]
        segments, params = [], []
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
        self.edge_width = np.full(len(self.edge_params), MIN_WIDTH)
        self._codes = self._neuron_codes = None
        self.edges.set_segments(self.segments, np.full(len(self.segments), BUCKETS))
        self._neurons.setData(pos=self.neuron_xy)
        self._set_hover(None)
        for item in self._headers:
            self.plot_item.removeItem(item)
        self._headers = []
        for _ in sizes:
            item = pg.TextItem(color="#333333", anchor=(0.5, 1.0))
            item.setFont(self._font)
            item.setZValue(30)
            self.plot_item.addItem(item, ignoreBounds=True)
            self._headers.append(item)
        self._draw_highlight()

    def _restyle(self) -> None:
        s = self._snapshot
        if s is None or not len(self.edge_params):
            return
        values = np.asarray(s.params if self.mode == "weight" else s.last_grad)
        weights = values[self.edge_params]
        scale = magnitude_scale(weights)
        codes = bucket_codes(weights, scale)
        if self._codes is None or not np.array_equal(codes, self._codes):
            self.edges.set_codes(codes)  # a repaint only when some edge changed bucket
            self._codes = codes
            self.edge_width = np.array([w for _, w in self._styles])[codes]
        neuron_codes = np.where(self.neuron_params >= 0,
                                bucket_codes(values[np.maximum(self.neuron_params, 0)], scale), -1)
        if self._neuron_codes is None or not np.array_equal(neuron_codes, self._neuron_codes):
            self._neurons.setBrush([self._brushes[c] if c >= 0 else self._input_brush for c in neuron_codes])
            self._neuron_codes = neuron_codes

    def _draw_highlight(self) -> None:
        idx = self._highlighted
        edges = np.isin(self.edge_params, idx) if idx is not None else np.zeros(len(self.edge_params), bool)
        neurons = np.isin(self.neuron_params, idx) if idx is not None else np.zeros(len(self.neuron_params), bool)
        self._halo.set_segments(self.segments[edges])
        self._rings.setData(pos=self.neuron_xy[neurons], size=2 * self._radius + 8)

    def _header_lines(self, column: int, compact: int) -> list[str]:
        if column == 0:
            return ["Input"]
        last = column == len(self._sizes) - 1
        name = "Output" if last else f"Hidden {column}"
        act = self._activations[column - 1] if column - 1 < len(self._activations) else ""
        if compact == 2:
            name = "Out" if last else f"H{column}"
        if not act:
            return [name]
        return [f"{name} · {act}"] if compact == 0 else [name, act]

    def _fit(self) -> None:
        """Place the diagram in the view: fixed pixel margins for headers and circles, no panning, no empty half."""
        if not self._sizes:
            return
        w, h = self._vb.width(), self._vb.height()
        if w < 20 or h < 20:
            return
        metrics = QtGui.QFontMetricsF(self._font)
        n_cols, span = len(self._sizes) - 1, max(self._sizes) - 1
        for compact in range(3):  # the widest header style whose neighbours do not overlap
            lines = [self._header_lines(c, compact) for c in range(n_cols + 1)]
            widths = [max(metrics.horizontalAdvance(t) for t in ls) + 10 for ls in lines]
            left, right = max(widths[0] / 2, 16.0), max(widths[-1] / 2, 16.0)
            dx = (w - left - right) / n_cols
            if all((a + b) / 2 + 6 <= dx for a, b in zip(widths, widths[1:])):
                break
        head = max(len(ls) for ls in lines) * metrics.height() + 10
        diameter = float(np.clip(0.6 * (h - head - 12) / (span + 1), 6.0, 26.0))
        diameter = min(diameter, max(6.0, 0.4 * dx))
        self._radius = diameter / 2
        top, bottom = head + self._radius + 4, self._radius + 6
        dy = float(np.clip((h - top - bottom) / span, 1.0, 140.0)) if span else 140.0
        extra = max(0.0, h - top - bottom - span * dy) / 2
        self._vb.setRange(xRange=(-left / dx, n_cols + right / dx),
                          yRange=(-span / 2 - (bottom + extra) / dy, span / 2 + (top + extra) / dy), padding=0)
        for c, (item, ls) in enumerate(zip(self._headers, lines)):
            item.setHtml(f'<div align="center">{"<br>".join(ls)}</div>')
            item.setTextWidth(widths[c])  # a fixed width is what makes align="center" centre the lines
            item.setPos(c, span / 2 + (self._radius + 4) / dy)
        self._neurons.setSize(diameter)
        self._set_max_width(float(np.clip(0.2 * dy, 2.0, MAX_WIDTH)))
        self._draw_highlight()

    # ------------------------------------------------------------------ mouse

    def _set_max_width(self, max_width: float) -> None:
        """Thinner edges where columns are crowded (16 neurons in a short panel), the full range elsewhere."""
        if abs(max_width - self._max_width) < 0.25:
            return
        self._max_width = max_width
        self._styles = [code_style(c, max_width) for c in range(2 * BUCKETS)]
        self.edges.set_pens([pg.mkPen(color, width=width) for color, width in self._styles])
        if self._codes is not None:
            self.edge_width = np.array([w for _, w in self._styles])[self._codes]

    def _set_hover(self, index: int | None, at: QtCore.QPointF | None = None) -> None:
        self._hover = index
        if index is None:
            self.hover_label.hide()
            self._hover_line.set_segments(np.empty((0, 4)))
            return
        self.hover_label.setText(self.hover_text(index))
        (x0, x1), (y0, y1) = self._vb.viewRange()
        self.hover_label.setAnchor((0.0 if at.x() < (x0 + x1) / 2 else 1.0, 1.0 if at.y() < (y0 + y1) / 2 else 0.0))
        self.hover_label.setPos(at)
        self.hover_label.show()
        self._hover_line.set_segments(self.segments[self.edge_params == index])

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
