"""The neuron lens drawn inside the network graph: what each neuron computes, and where the blame flows.

With two inputs every hidden and output neuron is a small map of its activation over the input plane
(TensorFlow Playground's picture); with more inputs, a histogram of its activation over the data. Each layer
has one colour scale (signed layers a diverging map centred on 0, others its positive or negative half), so the
neurons of a layer compare at a glance. The data comes ready-made in the snapshot (``gdsim.engine.lens``); this
module only colours it. Maps are coloured here in one NumPy lookup per layer and handed to the ImageItems as
RGBA: pyqtgraph's own lookup makes an indexed QImage that Qt converts on every paint (~3× slower to draw).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from gdsim.engine.network import layout
from gdsim.ui.plotting import palette
from gdsim.ui.plotting.formatters import signed

if TYPE_CHECKING:
    from gdsim.engine.lens import Lens
    from gdsim.lab.snapshot import Snapshot

MIN_MAP = 18.0  # px: a smaller map says nothing, the neuron is drawn as a plain disc instead
MAX_MAP = 72.0  # px
BIG_MAP = 128.0  # px: the enlarged map of the neuron under the mouse
HIST_ROWS = 24  # pixel rows of a histogram image
_cmap = pg.colormap.get(palette.LENS_COLORMAP)  # perceptual blue-white-red; reversed: blue positive as the edges are
_cmap.reverse()
LUT = np.column_stack([_cmap.getLookupTable(nPts=256), np.full(256, 255)]).astype(np.uint8)
MAP_KEY = tuple(pg.mkColor(*LUT[i, :3]).name() for i in (0, 64, 128, 192, 255))  # − … 0 … + in the legend
BACKGROUND = np.array([246, 246, 246, 255], np.uint8)
BLAME_POSITIVE, BLAME_NEGATIVE = palette.SIGN_POSITIVE, palette.SIGN_NEGATIVE


def safe_levels(levels: tuple[float, float]) -> tuple[float, float]:
    lo, hi = (float(v) for v in levels)
    return (lo, hi) if np.isfinite(lo) and np.isfinite(hi) and hi > lo else (-1.0, 1.0)


def colourise(values: np.ndarray, levels: tuple[float, float]) -> np.ndarray:
    """RGBA uint8 of ``values`` on a layer's scale: the whole diverging map when the range spans 0 (white = 0),
    else its positive (white → blue) or negative (red → white) half, so colour always says the sign."""
    lo, hi = safe_levels(levels)
    if lo < 0.0 < hi:
        a, b = 0.0, 1.0
    elif lo >= 0.0:
        a, b = 0.5, 1.0
    else:
        a, b = 0.0, 0.5
    with np.errstate(all="ignore"):
        t = np.nan_to_num((np.asarray(values, dtype=np.float64) - lo) / (hi - lo), nan=0.5)
    index = (255 * (a + (b - a) * np.clip(t, 0.0, 1.0))).astype(np.intp)
    return LUT[index]


def histogram_image(counts: np.ndarray, edges: np.ndarray, levels: tuple[float, float]) -> np.ndarray:
    """(HIST_ROWS, bins, 4) RGBA bars, each bar coloured by the activation its bin stands for, one per neuron
    when ``counts`` is (n, bins): the image is row-major with row 0 at the bottom (the view's y points up)."""
    counts = np.atleast_2d(counts)
    top = np.maximum(counts.max(axis=1, keepdims=True), 1)
    heights = np.ceil(counts / top * HIST_ROWS)  # (n, bins); any bin with data gets at least one row
    rows = np.arange(HIST_ROWS)[None, :, None]  # (1, rows, 1)
    filled = rows < heights[:, None, :]  # (n, rows, bins)
    bars = colourise((edges[:-1] + edges[1:]) / 2, levels)  # (bins, 4)
    return np.where(filled[..., None], bars[None, None], BACKGROUND)


def formula_text(s: Snapshot, column: int, j: int, input_names: tuple[str, ...]) -> str:
    """a = φ(Σ wᵢ·xᵢ + b) for neuron ``j`` (from 0) of layer ``column`` (from 1), in the app's 1-based names,
    then the same with the current numbers, then the lens's numbers for it."""
    slot = layout(list(s.sizes))[column - 1]
    act = s.activations[column - 1]
    if column == 1:
        names = [input_names[i] if i < len(input_names) else f"x{i + 1}" for i in range(slot.n_in)]
    else:
        names = [f"a{column - 1}[{i + 1}]" for i in range(slot.n_in)]
    w = [slot.w.start + i * slot.n_out + j for i in range(slot.n_in)]
    b = slot.b.start + j
    shown = slot.n_in if slot.n_in <= 4 else 2  # a wide layer: the first terms and how many more
    numeric = "".join(_signed(s.params[w[i]], i == 0) + f"·{names[i]}" for i in range(shown))
    if slot.n_in <= 4:
        symbolic = " + ".join(f"{s.param_names[k]}·{x}" for k, x in zip(w, names, strict=True))
    else:
        symbolic = f"Σᵢ W{column}[i,{j + 1}]·" + ("xᵢ" if column == 1 else f"a{column - 1}[i]")
        numeric += f" + … ({slot.n_in - 2} more)"
    lines = [f"a{column}[{j + 1}] = {act}({symbolic} + {s.param_names[b]})",
             f"{' ' * len(f'a{column}[{j + 1}]')} = {act}({numeric}{_signed(s.params[b], False)})"]
    layer = s.lens.layers[column - 1] if s.lens is not None and column - 1 < len(s.lens.layers) else None
    if layer is not None:
        lo, hi = layer.levels
        where = "over the plane" if layer.maps is not None else "over the data"
        lines.append(f"layer colour scale {where}: {_num(lo)} … {_num(hi)}")
        lines.append(f"δ = ∂L/∂z, batch mean {_num(layer.delta_mean[j])} (= ∂L/∂{s.param_names[b]}), "
                     f"mean |δ| {_num(layer.delta_size[j])}")
        if layer.dead[j]:
            lines.append("dead ReLU: z ≤ 0 on every sample, so no gradient reaches it")
    return "\n".join(lines)


def range_text(layer) -> str:
    """A layer's colour scale (and dead units) for the line below its column; "" without a layer."""
    if layer is None:
        return ""
    text = " … ".join(f"{v:.2g}".replace("-", "\u2212") for v in layer.levels)
    return text + (f" · {int(layer.dead.sum())} dead" if layer.dead.any() else "")


def lens_legend(lens: Lens | None, showing_maps: bool, input_names: list[str]) -> str:
    """The lens's part of the graph's legend (HTML): how to read the maps or bars, and the dead ReLUs."""
    text = ""
    if lens is not None and showing_maps:
        names = ", ".join(html.escape(n) for n in input_names)
        text += f" &nbsp;· maps: a over ({names})" if lens.extent is not None else " &nbsp;· bars: a over the data"
        text += ", one scale per layer " + "".join(f'<span style="color:{c}">■</span>' for c in MAP_KEY)
    if lens is not None and lens.n_dead:
        text += f" &nbsp;· <b>{lens.n_dead} dead ReLU{'s' if lens.n_dead > 1 else ''}</b>"
    return text


def _num(v: float) -> str:
    return signed(v, 3)


def _signed(v: float, first: bool) -> str:
    if first:
        return _num(v)
    return (" − " if v < 0 else " + ") + _num(abs(v))


class NeuronLens:
    """The lens's plot items in the graph's plot: one ImageItem per hidden/output neuron (made once per network
    shape, then only ``setImage``), the enlarged one, and the blame and dead-unit marks."""

    def __init__(self, plot_item: pg.PlotItem) -> None:
        self.plot_item = plot_item
        self.images: list[pg.ImageItem] = []
        self.layer_of = np.empty(0, np.int64)  # layer (from 0) of each image's neuron
        self.index_in_layer = np.empty(0, np.int64)
        self.lens: Lens | None = None
        self.showing_maps = False  # maps on, big enough to say something, and the snapshot has a lens
        self.maps = True  # the user's choice (blame marks need the lens without the maps)
        self.blame = False
        self.big = pg.ImageItem(axisOrder="row-major")
        self.big.setBorder(pg.mkPen("#555555", width=1))
        self.big.setZValue(38)
        self.big.hide()
        self.blame_marks = pg.ScatterPlotItem(pxMode=True, pen=pg.mkPen("#303030", width=1))
        self.dead_marks = pg.ScatterPlotItem(pxMode=True, symbol="x", pen=None, brush=pg.mkBrush(60, 60, 60, 200))
        self.blame_marks.setZValue(24)
        self.dead_marks.setZValue(25)
        for item in (self.big, self.blame_marks, self.dead_marks):
            plot_item.addItem(item, ignoreBounds=True)
        self._rgba: list[np.ndarray] = []  # the coloured image of each neuron, as last set
        self._xy = np.empty((0, 2))
        self._rects: list[QtCore.QRectF] = []
        self._side = 0.0

    def rebuild(self, sizes: tuple) -> None:
        for item in self.images:
            self.plot_item.removeItem(item)
        self.layer_of = np.concatenate([np.full(n, c, np.int64) for c, n in enumerate(sizes[1:])])
        self.index_in_layer = np.concatenate([np.arange(n) for n in sizes[1:]])
        self.images = []
        for _ in self.layer_of:
            item = pg.ImageItem(axisOrder="row-major")
            item.setZValue(22)
            item.hide()
            self.plot_item.addItem(item, ignoreBounds=True)
            self.images.append(item)
        self._rgba = [np.empty((0, 0, 4), np.uint8)] * len(self.images)
        self._rects = [QtCore.QRectF()] * len(self.images)
        self.lens = None
        self.showing_maps = False
        self.big.hide()

    def show_lens(self, lens: Lens | None) -> None:
        """New data for every neuron: one colour lookup per layer, one setImage per neuron."""
        shaped = lens is not None and len(lens.layers) == (int(self.layer_of.max()) + 1 if len(self.images) else 0)
        self.lens = lens if shaped else None
        if self.lens is not None:
            rgba = []
            for layer in self.lens.layers:
                if layer.maps is not None:
                    rgba.extend(colourise(layer.maps, layer.levels))
                else:
                    rgba.extend(histogram_image(layer.counts, layer.edges, layer.levels))
            self._rgba = rgba
        self._update_visibility()
        if self.showing_maps:
            for item, image, rect in zip(self.images, self._rgba, self._rects, strict=True):
                reshaped = item.image is None or item.image.shape != image.shape
                item.setImage(image, autoLevels=False)
                if reshaped:  # setRect scales by the image's size: only right once the image is there
                    item.setRect(rect)
            opacity = [0.25 if d else 1.0 for d in self._dead()]
            for item, o in zip(self.images, opacity, strict=True):
                item.setOpacity(0.3 * o if self.blame else o)
        self._draw_marks()

    def place(self, xy: np.ndarray, side: float, pixel: tuple[float, float]) -> None:
        """Put the maps at the neuron centres ``xy`` (view coordinates), ``side`` pixels square."""
        self._xy, self._side = xy, side
        pw, ph = pixel
        self._rects = [QtCore.QRectF(x - side * pw / 2, y - side * ph / 2, side * pw, side * ph) for x, y in xy]
        for item, rect in zip(self.images, self._rects, strict=True):
            if item.image is not None:
                item.setRect(rect)
        was = self.showing_maps
        self._update_visibility()
        if self.showing_maps and not was:
            self.show_lens(self.lens)  # were hidden, so never given the latest images
        self._draw_marks()

    def set_blame(self, on: bool) -> None:
        self.blame = on
        self.show_lens(self.lens)

    def enlarge(self, k: int | None, corner: QtCore.QPointF | None = None,
                pixel: tuple[float, float] = (1.0, 1.0)) -> None:
        """Show neuron ``k``'s picture BIG_MAP pixels square with its lower-left corner at ``corner``."""
        if k is None or self.lens is None or not len(self._rgba[k]):
            self.big.hide()
            return
        self.big.setImage(self._rgba[k], autoLevels=False)
        pw, ph = pixel
        self.big.setRect(QtCore.QRectF(corner.x(), corner.y(), BIG_MAP * pw, BIG_MAP * ph))
        self.big.show()

    def _update_visibility(self) -> None:
        self.showing_maps = self.maps and self.lens is not None and self._side >= MIN_MAP
        for item in self.images:
            item.setVisible(self.showing_maps)

    def _dead(self) -> np.ndarray:
        if self.lens is None:
            return np.zeros(len(self.images), bool)
        return np.concatenate([layer.dead for layer in self.lens.layers])

    def _draw_marks(self) -> None:
        """Dead units get a cross; in blame mode each neuron gets a disc: colour = sign of its mean δ, area ∝ its
        mean |δ| against the largest in the network (so vanishing blame in early layers shows)."""
        if self.lens is None or not len(self._xy):
            self.dead_marks.setData([])
            self.blame_marks.setData([])
            return
        dead = self._dead()
        side = max(self._side, 8.0)
        self.dead_marks.setData(pos=self._xy[dead], size=0.7 * side)
        if not self.blame:
            self.blame_marks.setData([])
            return
        size = np.concatenate([layer.delta_size for layer in self.lens.layers])
        mean = np.concatenate([layer.delta_mean for layer in self.lens.layers])
        top = float(np.nanmax(size)) if np.isfinite(size).any() else 0.0
        rel = np.nan_to_num(size / top, nan=0.0) if top > 0 else np.zeros_like(size)
        brushes = [pg.mkBrush(BLAME_NEGATIVE if m < 0 else BLAME_POSITIVE) for m in mean]
        self.blame_marks.setData(pos=self._xy, size=side * (0.15 + 0.85 * np.sqrt(rel)), brush=brushes)
