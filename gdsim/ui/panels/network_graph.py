"""The network diagram, TensorFlow Playground style: neurons in columns, edges coloured by sign, width by |w|.

A passive view: ``show_snapshot`` restyles, and rebuilds the geometry only when the layer sizes change.
Pens, the segment item and the pure geometry live in ``gdsim.ui.plotting.graph_items``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gdsim.ui.panels.graph_layout import fit_columns, graph_geometry, nearest_edge
from gdsim.ui.panels.neuron_lens import BIG_MAP, NeuronLens, formula_text, lens_legend, range_text
from gdsim.ui.plotting.graph_items import (
    BUCKETS,
    MAX_WIDTH,
    NEGATIVE,
    POSITIVE,
    SegmentItem,
    bucket_codes,
    code_color,
    edge_pen,
    graph_bar,
    magnitude_scale,
    param_text,
    still_plot,
)
from gdsim.ui.plotting.items import keep_inside, place_inside

if TYPE_CHECKING:
    from gdsim.lab.snapshot import Snapshot

MODES = ("weight", "gradient")


class NetworkGraph(QtWidgets.QWidget):
    """Neurons (fill = bias) and edges (colour = sign, width = |value|) of the latest snapshot's network."""

    sigParameterClicked = QtCore.Signal(int)  # flat index of the clicked weight or bias
    sigColorModeChanged = QtCore.Signal(str)
    sigLensWanted = QtCore.Signal(bool)  # on screen with maps on: the worker should (not) compute the lens

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("networkGraphView")
        self.mode = "weight"
        self._snapshot: Snapshot | None = None
        self._sizes: tuple = ()
        self._activations: tuple = ()
        self._neuron_codes = self._highlighted = self._hover = None  # bias styles, highlight, hover
        self._lens_layout = False  # room made for neuron maps (the snapshot has a lens and maps are on)
        self._pixel = (1.0, 1.0)  # view units per pixel, x and y
        self._radius = 8.0
        self.segments = np.empty((0, 4))  # x0, y0, x1, y1 per edge, view coordinates
        self.edge_params = np.empty(0, dtype=np.int64)  # flat index of each edge's weight
        self.neuron_xy = np.empty((0, 2))
        self.neuron_params = np.empty(0, dtype=np.int64)  # flat index of each neuron's bias, -1 for inputs

        bar, (self.gradient_button, self.maps_button, self.blame_button, self.legend) = graph_bar()
        self.gradient_button.toggled.connect(lambda on: self.set_color_mode("gradient" if on else "weight"))
        self.view, self.plot_item, self._vb = still_plot()
        self.view.installEventFilter(self)
        box = QtWidgets.QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addLayout(bar)
        box.addWidget(self.view, 1)

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

        self.lens_view = NeuronLens(self.plot_item)
        self._hover_neuron: int | None = None
        self._range_labels: list[pg.TextItem] = []
        self._shown = False
        self._wanted: bool | None = None  # what sigLensWanted last said
        menu = self._vb._plain_menu
        self.maps_action = menu.addAction("Neuron maps", self.maps_button.toggle)
        self.blame_action = menu.addAction("Show blame δ", self.blame_button.toggle)
        for action in (self.maps_action, self.blame_action):
            action.setCheckable(True)
        self.maps_action.setChecked(True)
        self.maps_button.toggled.connect(self._on_maps_toggled)
        self.blame_button.toggled.connect(self._on_blame_toggled)
        self._update_legend()

        self._vb.sigResized.connect(self._fit)
        self.view.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.view.scene().sigMouseClicked.connect(self._on_mouse_clicked)

    # ------------------------------------------------------------------ public API

    def show_snapshot(self, s: Snapshot) -> None:
        self._snapshot = s
        if tuple(s.sizes) != self._sizes:
            self._rebuild(tuple(s.sizes))
        lens_layout = s.lens is not None and self.maps_button.isChecked()
        if tuple(s.activations) != self._activations or lens_layout != self._lens_layout:
            self._activations, self._lens_layout = tuple(s.activations), lens_layout
            self._fit()
        self._restyle()
        self.lens_view.show_lens(s.lens)
        self._update_ranges()
        if self._hover_neuron is not None:
            self._enlarge(self._hover_neuron)
        elif self._hover is not None:
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
        """Where a parameter is drawn (view coordinates): a point on its edge, or a bias neuron's centre. Not the
        midpoint: edges between two columns often cross there; at 0.382 of the way (irrational) they never do."""
        edge = np.flatnonzero(self.edge_params == index)
        if edge.size:
            x0, y0, x1, y1 = self.segments[edge[0]]
            return QtCore.QPointF(x0 + 0.382 * (x1 - x0), y0 + 0.382 * (y1 - y0))
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
        edge = nearest_edge(self.segments, self.edge_width, pos, (pw, ph))
        return None if edge is None else int(self.edge_params[edge])

    def hover_text(self, index: int) -> str:
        return param_text(self._snapshot, index)

    # ------------------------------------------------------------------ drawing

    def _rebuild(self, sizes: tuple) -> None:
        """New geometry for new layer sizes: neuron centres, edge segments, which parameter each one shows."""
        self._sizes, self._activations, self._neuron_codes = sizes, (), None
        self.neuron_xy, self.segments, self.edge_params, self.neuron_params = graph_geometry(sizes)
        self.edges.set_segments(self.segments, np.full(len(self.segments), BUCKETS))
        self._neurons.setData(pos=self.neuron_xy)
        self._set_hover(None)
        self.lens_view.rebuild(sizes)
        self._range_labels = self._new_labels(self._range_labels, [""] * (len(sizes) - 1), "#555555", (0.5, 0.0))
        self._headers = self._new_labels(self._headers, [""] * len(sizes), "#333333", (0.5, 1.0))
        names = [self._input_name(i) for i in range(sizes[0])]
        self._input_labels = self._new_labels(self._input_labels, names, "#555555", (1.0, 0.5))
        self._draw_highlight()

    def _new_labels(self, old: list[pg.TextItem], texts: list[str], color: str, anchor: tuple) -> list[pg.TextItem]:
        """Swap ``old`` text items in the plot for new ones, one per text."""
        for item in old:
            self.plot_item.removeItem(item)
        new = [pg.TextItem(t, color=color, anchor=anchor) for t in texts]
        for item in new:
            item.setFont(self._font)
            self.plot_item.addItem(item, ignoreBounds=True)
        return new

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

    def _fit(self) -> None:
        """Fit the diagram to the view, with pixel margins for headers and circles and no empty half."""
        w, h = self._vb.width(), self._vb.height()
        if not self._sizes or w < 20 or h < 20:
            return
        names = [self._input_name(i) for i in range(self._sizes[0])]
        fit = fit_columns(w, h, self._sizes, self._activations, names, QtGui.QFontMetricsF(self._font),
                          self._lens_layout)
        span, dx, dy, diameter, self._radius = max(self._sizes) - 1, fit.dx, fit.dy, fit.diameter, fit.radius
        self._pixel = (1 / dx, 1 / dy)
        self._vb.setRange(xRange=fit.x_range, yRange=fit.y_range, padding=0)
        for c, (item, ls) in enumerate(zip(self._headers, fit.lines, strict=True)):
            item.setHtml(f'<div align="center">{"<br>".join(ls)}</div>')
            item.setTextWidth(fit.widths[c])  # a fixed width is what makes align="center" centre the lines
            item.setPos(c, span / 2 + (self._radius + 4) / dy)
        self._neurons.setSize(diameter)
        self.lens_view.place(self.neuron_xy[self._sizes[0]:], fit.side, self._pixel)
        for c, item in enumerate(self._range_labels, start=1):
            item.setPos(c, -span / 2 - (self._radius + 3) / dy)
        self._update_ranges()
        for i, item in enumerate(self._input_labels):
            item.setPos(-(diameter / 2 + 4) / dx, self.neuron_xy[i, 1])  # inputs stay discs
        self._draw_highlight()
        max_width = float(np.clip(0.2 * dy, 2.0, MAX_WIDTH))  # thinner edges where 16 neurons share a column
        if abs(max_width - self._max_width) >= 0.25:
            self._max_width = max_width
            pens = [edge_pen(c, max_width) for c in range(2 * BUCKETS)]
            self._widths = np.array([pen.widthF() for pen in pens])
            self.edges.restyle(pens=pens)

    # ------------------------------------------------------------------ mouse

    def _set_hover(self, index: int | None, at: QtCore.QPointF | None = None) -> None:
        if index is None and self._hover is None and self._hover_neuron is None:
            return
        self._hover, self._hover_neuron = index, None
        self.lens_view.enlarge(None)
        self.hover_label.setVisible(index is not None)
        self._hover_line.set_segments(self.segments[self.edge_params == index] if index is not None else [])
        if index is not None:
            self.hover_label.setText(self.hover_text(index))
            place_inside(self.hover_label, self._vb, at)  # opens inwards, never cut at the panel's edge

    def _on_mouse_moved(self, scene_pos: QtCore.QPointF) -> None:
        if not self._vb.sceneBoundingRect().contains(scene_pos):
            self._set_hover(None)
            return
        pos = self._vb.mapSceneToView(scene_pos)
        neuron = self.neuron_at(pos)
        if neuron is not None:
            self._set_hover(None)
            self._enlarge(neuron)
            return
        self._set_hover(self.param_at(pos), pos)

    def _on_mouse_clicked(self, ev) -> None:
        if ev.button() != QtCore.Qt.MouseButton.LeftButton or ev.double():
            return
        pos = self._vb.mapSceneToView(ev.scenePos())
        index = self.param_at(pos)
        if self.neuron_at(pos) is not None:
            self._enlarge(self.neuron_at(pos))
        if index is not None:
            self.sigParameterClicked.emit(index)

    def neuron_at(self, pos: QtCore.QPointF) -> int | None:
        """Index (into ``neuron_xy``) of the hidden or output neuron under a point in view coordinates."""
        if self._snapshot is None or not len(self.neuron_xy):
            return None
        pw, ph = self._pixel
        d = np.hypot((self.neuron_xy[:, 0] - pos.x()) / pw, (self.neuron_xy[:, 1] - pos.y()) / ph)
        nearest = int(np.argmin(d))
        return nearest if nearest >= self._sizes[0] and d[nearest] <= self._radius + 2 else None

    def _enlarge(self, k: int) -> None:
        """Neuron ``k`` under the mouse: its picture enlarged beside it, its formula and numbers below."""
        s = self._snapshot
        self._hover_neuron = k
        column = int(np.searchsorted(np.cumsum(self._sizes), k, side="right"))
        j = k - int(sum(self._sizes[:column]))
        text = formula_text(s, column, j, self._input_names) + "\n" + self.hover_text(int(self.neuron_params[k]))
        self.hover_label.setText(text)
        self.hover_label.show()
        (x0, x1), (y0, y1) = self._vb.viewRange()
        (pw, ph), (cx, cy) = self._pixel, self.neuron_xy[k]
        right, low = cx > (x0 + x1) / 2, cy < (y0 + y1) / 2
        big = BIG_MAP if self.lens_view.lens is not None else 0.0
        mx = cx - (self._radius + 8 + big) * pw if right else cx + (self._radius + 8) * pw
        my = float(np.clip(cy - big / 2 * ph, y0 + 4 * ph, max(y0 + 4 * ph, y1 - (big + 4) * ph)))
        self.lens_view.enlarge(k - self._sizes[0], QtCore.QPointF(mx, my), self._pixel)
        self.hover_label.setAnchor((1.0 if right else 0.0, 1.0 if low else 0.0))
        self.hover_label.setPos(mx + (big * pw if right else 0.0), my + big * ph if low else my)
        keep_inside(self.hover_label, self._vb)  # a long formula is not cut at the panel's edge

    def _update_ranges(self) -> None:
        """Each column's colour scale below it (and its dead units); the legend above says how to read it."""
        lens = self.lens_view.lens if self.lens_view.showing_maps else None
        for c, item in enumerate(self._range_labels):
            text = range_text(lens.layers[c] if lens is not None else None)
            if item.textItem.toPlainText() != text:
                item.setText(text)
        self._update_legend()

    def _update_legend(self) -> None:
        text = (f'<span style="color:{POSITIVE}">■</span> positive &nbsp;'
                f'<span style="color:{NEGATIVE}">■</span> negative')
        names = [self._input_name(i) for i in range(2)]
        text += lens_legend(self.lens_view.lens, self.lens_view.showing_maps, names)
        if self.legend.text() != text:
            self.legend.setText(text)

    def _on_maps_toggled(self, on: bool) -> None:
        with QtCore.QSignalBlocker(self.maps_action):
            self.maps_action.setChecked(on)
        self.lens_view.maps = on
        self._want_lens()
        if self._snapshot is not None:
            self.show_snapshot(self._snapshot)

    def _on_blame_toggled(self, on: bool) -> None:
        with QtCore.QSignalBlocker(self.blame_action):
            self.blame_action.setChecked(on)
        self._want_lens()
        self.lens_view.set_blame(on)

    def _want_lens(self) -> None:
        want = self._shown and (self.maps_button.isChecked() or self.blame_button.isChecked())
        if want != self._wanted:
            self._wanted = want
            self.sigLensWanted.emit(want)

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self._shown = True
        self._want_lens()

    def hideEvent(self, event: QtGui.QHideEvent) -> None:  # noqa: N802 (Qt's name)
        super().hideEvent(event)
        self._shown = False
        self._want_lens()

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 (Qt's name)
        if obj is self.view and event.type() == QtCore.QEvent.Type.Leave:
            self._set_hover(None)
        return super().eventFilter(obj, event)
