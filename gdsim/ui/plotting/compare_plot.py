"""The comparison plot: each run's loss curve in its own colour, diverged runs cut off with an ✕.

Split from compare_panel.py; the palette is shared with the paths drawn on the loss surface.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from gdsim.ui.plotting.items import LegendRow, cache_axes
from gdsim.ui.plotting.ticks import log_ticks

DIVERGE_CEILING = 100.0  # a diverged curve is cut two decades above the highest starting loss, ending in ✕


MIN_HEIGHT = 230  # px: a plot squeezed to ~60 px by the table under it showed nothing readable


def loss_ticks(lo: float, hi: float, pixels: float) -> list:
    """Log-axis ticks for log10 losses ``lo``..``hi`` on ``pixels`` of height, labelled only over the data:
    1, 2, 5 × 10^k when a decade has room, else every k-th decade, ≥ 20 px apart."""
    per_decade = max(pixels, 1.0) / max(hi - lo, 0.3)
    if per_decade >= 70:
        major, minor = log_ticks(lo, hi)
    else:
        every = max(1, math.ceil(20 / per_decade))
        decades = range(math.floor(lo) - 3, math.ceil(hi) + 4)
        major = [(k, f"{10.0 ** k:g}" if abs(k) < 4 else f"1e{k}") for k in decades if k % every == 0]
        minor = [(k + math.log10(m), "") for k in decades for m in range(2, 10)] if every == 1 else []
        minor += [(k, "") for k in decades if k % every]
    margin = 0.02 * max(hi - lo, 1.0)
    return [[(x, t) for x, t in major if lo - margin <= x <= hi + margin], minor]

class ComparePlot(pg.PlotWidget):
    """The runs' per-step losses overlaid on a log axis, legend "label · behaviour"; diverged runs end in ✕."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("comparePlot")
        pi = self.getPlotItem()
        pi.setLogMode(y=True)
        pi.setLabel("bottom", "step")
        pi.setLabel("left", "loss")
        pi.showGrid(x=True, y=True, alpha=0.15)
        pi.setDownsampling(auto=True, mode="peak")
        pi.setClipToView(True)
        for name in ("left", "bottom"):
            pi.getAxis(name).enableAutoSIPrefix(False)
            pi.getAxis(name).setTicks([[], []])  # no numbers before there is data
        cache_axes(pi)
        self.setMinimumHeight(MIN_HEIGHT)
        # the legend has its own row under the axis: a falling and a diverging loss leave no corner to share
        self._legend = LegendRow(pi, verSpacing=-6)
        self._placeholder = pg.TextItem("Run a comparison to overlay the runs' loss curves", color=(120, 120, 120),
                                        anchor=(0.5, 0.5))
        pi.addItem(self._placeholder, ignoreBounds=True)
        pi.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
        self._placeholder.setPos(0.5, 0.5)
        self._items: list = []
        self._bounds = None  # (x0, x1, log y0, log y1) of the drawn curves
        self._user_range = False
        pi.vb.sigResized.connect(self._frame)
        pi.vb.sigRangeChangedManually.connect(self._on_user_range)

    def show_result(self, result, colours: list[tuple]) -> None:
        """One curve per run of a ComparisonResult, in ``colours``; the target loss dashed."""
        pi = self.getPlotItem()
        self._placeholder.setVisible(not result.runs)
        pi.getAxis("bottom").setTicks(None)
        for item in self._items:
            pi.removeItem(item)  # also takes it out of the legend
        self._items = []
        starts = [float(r.steps[0, 1]) for r in result.runs if len(r.steps) and np.isfinite(r.steps[0, 1])]
        starts = [s for s in starts if s > 0]
        ceiling = DIVERGE_CEILING * max(starts) if starts else math.inf
        xs_all, ys_all = [], []
        for run, colour in zip(result.runs, colours, strict=True):
            sh = np.asarray(run.steps, dtype=np.float64).reshape(-1, 4)
            x, y = sh[:, 0], sh[:, 1]
            with np.errstate(invalid="ignore"):
                keep = np.isfinite(x) & np.isfinite(y) & (y > 0)
            x, y = x[keep], y[keep]
            diverged = run.status == "diverged" or run.behaviour == "diverged"
            if diverged:
                over = np.flatnonzero(y > ceiling)
                if over.size:
                    x, y = x[: over[0] + 1], np.minimum(y[: over[0] + 1], ceiling)
            xs_all.append(x)
            ys_all.append(y)
            curve = pg.PlotDataItem(x, y, pen=pg.mkPen(colour, width=1), name=f"{run.label} · {run.behaviour}")
            pi.addItem(curve)
            self._items.append(curve)
            if diverged and len(x):
                cross = pg.PlotDataItem([x[-1]], [y[-1]], pen=None, symbol="x", symbolSize=13, symbolBrush=colour,
                                        symbolPen=pg.mkPen(colour, width=1))
                pi.addItem(cross)
                self._items.append(cross)
        if result.target is not None and result.target > 0:
            line = pg.InfiniteLine(pos=math.log10(result.target), angle=0, movable=False,
                                   pen=pg.mkPen((120, 120, 120), width=1, style=QtCore.Qt.PenStyle.DashLine))
            pi.addItem(line, ignoreBounds=True)
            self._items.append(line)
        self._bounds = None
        if xs_all and sum(map(len, xs_all)):
            xs, ly = np.concatenate(xs_all), np.log10(np.concatenate(ys_all))
            self._bounds = (float(xs.min()), float(xs.max()), float(ly.min()), float(ly.max()))
        self._user_range = False
        self._frame()

    def _frame(self, *_) -> None:
        """Fit the data; lay the legend below the plot out in as many columns as fit its width."""
        if self._bounds is None or self._user_range:
            return
        vb = self.getPlotItem().vb
        n = len(self.curves())
        cols = max(1, min(n, int(self.width() // 190) or 1))
        if self._legend.columnCount != cols:
            self._legend.setColumnCount(cols)
        x0, x1, y0, y1 = self._bounds
        pad = 0.05 * ((y1 - y0) or 1.0)
        vb.setRange(xRange=(x0, x1), yRange=(y0 - pad, y1 + pad), padding=0.02, update=True)
        self.getPlotItem().getAxis("left").setTicks(loss_ticks(y0, y1, vb.height()))

    def _on_user_range(self, *_) -> None:
        self._user_range = True

    def curves(self) -> list[pg.PlotDataItem]:
        """The runs' loss curves, in the result's order."""
        return [i for i in self._items if isinstance(i, pg.PlotDataItem) and i.name()]

    def legend_labels(self) -> list[str]:
        return [label.text for _, label in self._legend.items]
