"""Gradient flow: the norm of ∂L/∂W per layer over the steps, on a log scale, and the dead ReLUs.

Vanishing gradients (a deep sigmoid network) show as the first layers' curves lying decades below the last
ones; exploding gradients as curves climbing off the top. Layers are coloured along a sequential colormap whose
hue turns as it lightens (navy → purple → magenta → orange → amber), first layer dark, deepest light, so depth
reads as colour; each curve also carries its name at its end ("L3"), so seven curves are told apart without a
legend over the data. A passive view: ``show_snapshot`` appends one
sample per new step to a bounded buffer and calls ``setData`` on curves made once per network shape.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from gdsim.ui.plotting import palette
from gdsim.ui.plotting.items import cache_axes

MAX_SAMPLES = 5000       # kept samples; when full every other one is dropped, so the whole run stays in view
COLORMAP = palette.LAYER_COLORMAP
COLOUR_SPAN = (0.05, 0.82)  # the ends: near-black and a yellow unreadable on white


def layer_colours(n: int) -> list:
    cmap = pg.colormap.get(COLORMAP)
    lo, hi = COLOUR_SPAN
    return [cmap.map(lo + (hi - lo) * (k / max(1, n - 1)), mode="qcolor") for k in range(n)]


def relu_units(sizes, activations) -> int:
    """ReLU neurons in the network: layer l (1-based) has sizes[l] units and activations[l - 1]."""
    return sum(int(n) for n, act in zip(tuple(sizes)[1:], tuple(activations), strict=False) if act == "relu")


def spread(wanted: list[float], gap: float, lo: float, hi: float) -> list[float]:
    """Positions as close as possible to the sorted ``wanted`` ones, at least ``gap`` apart and within [lo, hi]
    where they fit: overlapping labels are merged into blocks centred on their curves' mean."""
    blocks: list[list[float]] = []  # [first position, count, sum of wanted]
    for y in wanted:
        blocks.append([y, 1, y])
        while len(blocks) > 1 and blocks[-2][0] + blocks[-2][1] * gap > blocks[-1][0]:
            last = blocks.pop()
            b = blocks[-1]
            b[1] += last[1]
            b[2] += last[2]
            b[0] = b[2] / b[1] - (b[1] - 1) * gap / 2
        b = blocks[-1]
        b[0] = max(b[0], lo)
    out: list[float] = []
    for first, count, _ in blocks:
        out.extend(first + i * gap for i in range(int(count)))
    shift = max(0.0, out[-1] - hi) if out else 0.0  # the top one off the view: lower everything, not past lo
    return [y - min(shift, max(0.0, out[0] - lo)) for y in out]


def _nice_ceil(x: float) -> float:
    """The next 1, 1.5, 2, 3, 5 or 7.5 × 10^k at or above x (close enough that little of the plot is empty)."""
    if x <= 0:
        return 1.0
    e = 10.0 ** math.floor(math.log10(x))
    return next(m * e for m in (1, 1.5, 2, 3, 5, 7.5, 10) if m * e >= x * (1 - 1e-12))


class GradientFlowPanel(pg.PlotWidget):
    """‖∂L/∂W_l‖ (weights only, as ``inspect.layer_gradient_norms``) against step, one curve per layer l."""

    def __init__(self, parent=None):
        super().__init__(parent)
        del self.clear  # PlotWidget binds PlotItem.clear (which removes every item) on the instance
        self.setObjectName("gradientFlowPlot")
        pi = self.getPlotItem()
        pi.setLabel("bottom", "step")
        pi.setLabel("left", "gradient norm per layer")
        pi.getAxis("left").enableAutoSIPrefix(False)
        pi.showGrid(x=True, y=True, alpha=0.15)
        pi.setLogMode(y=True)
        pi.setDownsampling(auto=True, mode="peak")
        pi.setClipToView(True)
        pi.vb.disableAutoRange()
        cache_axes(pi)  # the range changes only when the data leaves it (see _frame)
        pi.vb.sigRangeChangedManually.connect(self._on_user_range)
        pi.autoBtn.clicked.connect(self._on_auto_button)
        self._user_range = False
        self._curves: list[pg.PlotDataItem] = []
        self._labels: list[pg.TextItem] = []  # "L1", "L2", ... at each curve's end, in its colour
        pi.vb.sigRangeChanged.connect(self._place_labels)
        self._dead = pg.TextItem("", color=(40, 40, 40), anchor=(0, 0), fill=(255, 255, 255, 210))
        self._dead.setParentItem(pi.vb)  # pixel coordinates of the view box: stays in the top-left corner
        self._dead.setPos(6, 4)
        self._dead.hide()
        self._steps = np.empty(MAX_SAMPLES)
        self._norms = np.empty((MAX_SAMPLES, 0))
        self._count = 0
        self._last_step: int | None = None

    # ------------------------------------------------------------------ data

    def show_snapshot(self, s) -> None:
        """The trainer's recorded per-layer history when the snapshot has one (every step at first, then every
        8th); otherwise append (s.step, s.layer_grad_norms) when the step advanced. A step going back means a new
        run."""
        history = np.asarray(getattr(s, "layer_grad_history", np.empty((0, 0))), dtype=np.float64)
        if history.ndim == 2 and history.shape[0] and history.shape[1] > 1:
            self._show_history(history)
            self._show_dead(s)
            return
        norms = np.asarray(getattr(s, "layer_grad_norms", ()), dtype=np.float64).reshape(-1)
        if not norms.size:  # function mode, or a history snapshot (no gradients recorded there)
            return
        if norms.size != len(self._curves) or (self._last_step is not None and s.step < self._last_step):
            self._reset(norms.size)
        if self._last_step is None or s.step > self._last_step:
            if self._count == MAX_SAMPLES:
                self._decimate()
            self._steps[self._count] = s.step
            self._norms[self._count] = norms
            self._count += 1
            self._last_step = int(s.step)
            if self.isVisible():  # hidden: keep recording, draw when shown
                self._redraw()
        self._show_dead(s)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._redraw()

    def clear(self) -> None:
        """Forget the run (the curves stay, empty)."""
        self._count = 0
        self._last_step = None
        for curve in self._curves:
            curve.setData([], [])
        for label in self._labels:
            label.hide()
        self._dead.hide()
        self._user_range = False

    def _reset(self, n_layers: int) -> None:
        if n_layers != len(self._curves):
            pi = self.getPlotItem()
            for item in self._curves + self._labels:
                pi.removeItem(item)
            colours = layer_colours(n_layers)
            self._curves = [pi.plot(name=f"layer {k + 1}", pen=pg.mkPen(c, width=1)) for k, c in enumerate(colours)]
            self._labels = [pg.TextItem(f"L{k + 1}", color=c, anchor=(0, 0.5)) for k, c in enumerate(colours)]
            for label in self._labels:
                font = label.textItem.font()
                font.setPointSizeF(8.0)
                label.setFont(font)
                label.textItem.document().setDocumentMargin(0)  # tight: seven labels fit a short panel
                label.setToolTip(f"layer {label.toPlainText()[1:]}: ‖∂L/∂W‖")
                pi.addItem(label, ignoreBounds=True)
            self._norms = np.empty((MAX_SAMPLES, n_layers))
        self.clear()

    def _show_history(self, history: np.ndarray) -> None:
        history = history[-MAX_SAMPLES:]
        n_layers = history.shape[1] - 1
        if n_layers != len(self._curves) or self._norms.shape[1] != n_layers:
            self._reset(n_layers)
        n = len(history)
        self._steps[:n] = history[:, 0]
        self._norms[:n] = history[:, 1:]
        self._count = n
        self._last_step = int(history[-1, 0])
        if self.isVisible():
            self._redraw()

    def _decimate(self) -> None:
        """Keep every other sample from the first on, halving the buffer (the new sample comes next)."""
        keep = np.arange(0, self._count, 2)
        n = len(keep)
        self._steps[:n] = self._steps[keep]
        self._norms[:n] = self._norms[keep]
        self._count = n

    def curve_data(self) -> tuple[np.ndarray, np.ndarray]:
        """Steps (N,) and norms (N, L) held now (tests, export)."""
        return self._steps[: self._count].copy(), self._norms[: self._count].copy()

    def curves(self) -> list[pg.PlotDataItem]:
        return list(self._curves)

    def dead_relu_text(self) -> str:
        return self._dead.textItem.toPlainText() if self._dead.isVisible() else ""

    # ------------------------------------------------------------------ drawing

    def _redraw(self) -> None:
        x = self._steps[: self._count]
        with np.errstate(all="ignore"):
            y = self._norms[: self._count]
            y = np.where(np.isfinite(y) & (y > 0), y, np.nan)  # log scale cannot show 0, NaN or inf
        for k, curve in enumerate(self._curves):
            curve.setData(x, y[:, k], connect="finite")
        self._frame(x, y)
        self._place_labels()

    def label_items(self) -> list[pg.TextItem]:
        return list(self._labels)

    def _place_labels(self, *_) -> None:
        """Each layer's name just right of its curve's last finite point, nudged apart vertically (in pixels)
        where curves end close together; the labels sit in the head room _frame leaves right of the data."""
        x = self._steps[: self._count]
        vb = self.getPlotItem().vb
        ph = vb.viewPixelSize()[1]
        gap = max((label.boundingRect().height() for label in self._labels), default=0.0) + 1  # pixels
        ends = []
        for k, label in enumerate(self._labels):
            y = self._norms[: self._count, k] if self._count else np.empty(0)
            with np.errstate(all="ignore"):
                ok = np.flatnonzero(np.isfinite(y) & (y > 0))
            if not len(ok) or not ph > 0:
                label.hide()
                continue
            ends.append((math.log10(float(y[ok[-1]])), k, float(x[ok[-1]])))
        ends.sort()
        (_, _), (y0, y1) = vb.viewRange()
        step = gap * ph
        ys = spread([ly for ly, _, _ in ends], step, y0 + step / 2, y1 - step / 2)
        for (_, k, xe), y in zip(ends, ys, strict=True):
            label = self._labels[k]
            label.setPos(xe, y)
            label.show()

    def _show_dead(self, s) -> None:
        n = relu_units(getattr(s, "sizes", ()), getattr(s, "activations", ()))
        if not n:
            self._dead.hide()
            return
        k = int(getattr(s, "dead_relus", 0))
        self._dead.setText(f"dead ReLUs: {k} of {n}", color=palette.ERROR_RED if k else (40, 40, 40))
        self._dead.show()

    def _frame(self, x: np.ndarray, y: np.ndarray, force: bool = False) -> None:
        """Whole decades in y and a 1-2-5 step count in x, changed only when the data leaves them, so the
        cached axes are reused between changes."""
        if (self._user_range and not force) or not len(x):
            return
        ly = np.log10(y[np.isfinite(y)])
        if not ly.size:
            return
        lo, hi = math.floor(float(ly.min()) - 0.05), math.ceil(float(ly.max()) + 0.05)
        vb = self.getPlotItem().vb
        (x0, x1), (y0, y1) = vb.viewRange()
        new_x = _nice_ceil(1.1 * max(float(x.max()), 1.0))
        new_x = x1 if (not force and x0 <= 0 and x.max() <= x1 <= 4 * new_x) else new_x
        inside = y0 <= lo + 1e-9 and hi - 1e-9 <= y1 and (y1 - y0) <= 2 * (hi - lo) + 2
        if inside and not force and new_x == x1:
            return
        vb.setRange(xRange=(0, new_x), yRange=(y0, y1) if inside and not force else (lo, hi), padding=0)

    def _on_user_range(self, *_) -> None:
        self._user_range = True

    def _on_auto_button(self) -> None:
        self._user_range = False
        x, y = self._steps[: self._count], self._norms[: self._count]
        with np.errstate(all="ignore"):
            self._frame(x, np.where(y > 0, y, np.nan), force=True)
