"""The learning-rate sweep as a figure: final loss against η on log axes, the diverged region shaded, the best
η starred and the 2/λmax line (the curvature limit at the initial weights) dashed.

One figure for ``gdsim sweep --export`` and the app's sweep panel, so the slide and the screen agree.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from gdsim.io.tables import check_path
from gdsim.ui.plotting import figures, formatters
from gdsim.ui.plotting.palette import BEHAVIOUR_COLOURS, DIVERGED_BRUSH
from gdsim.ui.plotting.qt_app import application
from gdsim.ui.plotting.ticks import log_ticks

FIGURE_SIZE = (900, 540)  # the size the figure is laid out at for a file
FIGURE_WIDTH = 1200       # default PNG width


def write_plot(rows: list[dict], limit: float, path, title: str | None = None) -> None:
    """The sweep figure as a .png (FIGURE_WIDTH px) or .svg file, drawn without a window."""
    ext = check_path(path, ("png", "svg"))
    application(headless=True)
    w = sweep_plot(rows, limit, title=title)
    try:
        w.resize(*FIGURE_SIZE)
        w.resizeEvent(None)  # lay the hidden widget out at its new size
        figures.plot_image(w, path, FIGURE_WIDTH if ext == "png" else None)
    finally:
        w.close()
        w.deleteLater()


def diverged_spans(lrs: list[float], diverged: list[bool]) -> list[tuple[float, float]]:
    """(left, right) spans in log10(η) covering runs of diverged η, split half-way to their neighbours."""
    xs = [math.log10(v) for v in lrs]
    n = len(xs)
    gaps = [b - a for a, b in zip(xs[:-1], xs[1:], strict=True) if b > a]
    half = 0.5 * (sorted(gaps)[len(gaps) // 2] if gaps else 1.0)
    spans: list[tuple[float, float]] = []
    for i in range(n):
        if not diverged[i]:
            continue
        left = (xs[i - 1] + xs[i]) / 2 if i > 0 else xs[i] - half
        right = (xs[i] + xs[i + 1]) / 2 if i < n - 1 else xs[i] + half
        if spans and diverged[i - 1]:
            spans[-1] = (spans[-1][0], right)
        else:
            spans.append((left, right))
    return spans


def sweep_plot(rows: list[dict], limit: float, title: str | None = None):
    """A PlotWidget of final loss against η (log x; log y when every plotted loss is positive)."""
    rows = sorted(rows, key=lambda r: r["lr"])
    lrs = [float(r["lr"]) for r in rows]
    losses = np.array([float(r["final_loss"]) for r in rows])
    diverged = [r["status"] == "diverged" or r["behaviour"] == "diverged" or not math.isfinite(float(r["final_loss"]))
                for r in rows]
    ok = np.array([not d for d in diverged], dtype=bool)
    log_y = bool(ok.any() and np.all(losses[ok] > 0))

    w = pg.PlotWidget()
    plot = w.getPlotItem()
    plot.setLogMode(x=True, y=log_y)
    plot.showGrid(x=True, y=True, alpha=0.25)
    plot.setLabel("bottom", "learning rate η")
    plot.setLabel("left", "final training loss")
    if title:
        plot.setTitle(title)
    legend = plot.addLegend(offset=(10, -10))  # bottom left: a sweep's emptiest corner

    ok_lrs, ok_losses = np.array(lrs)[ok], losses[ok]
    if ok.any():
        plot.addItem(pg.PlotDataItem(ok_lrs, ok_losses, pen=pg.mkPen((90, 90, 90), width=2)))
    for name, colour in BEHAVIOUR_COLOURS.items():
        sel = np.array([r["behaviour"] == name for r in rows]) & ok
        if sel.any():
            plot.addItem(pg.PlotDataItem(np.array(lrs)[sel], losses[sel], pen=None, symbol="o", symbolSize=9,
                                         symbolBrush=colour, symbolPen=pg.mkPen("k", width=0.5), name=name))

    def y_of(v: float) -> float:
        return math.log10(v) if log_y else v

    top = y_of(float(ok_losses.max())) if ok.any() else 1.0
    for left, right in diverged_spans(lrs, diverged):
        region = pg.LinearRegionItem(values=(left, right), movable=False, brush=DIVERGED_BRUSH,
                                     pen=pg.mkPen(None))
        region.setZValue(-10)
        plot.addItem(region)
        label = pg.TextItem("diverged", color=BEHAVIOUR_COLOURS["diverged"], anchor=(0.5, 0))
        label.setPos((left + right) / 2, top)
        plot.addItem(label)
    if any(diverged):
        legend.addItem(pg.BarGraphItem(x=[0], height=[1], width=1, brush=DIVERGED_BRUSH, pen=None), "diverged")

    if ok.any():
        i = int(np.argmin(ok_losses))
        best_lr, best_loss = float(ok_lrs[i]), float(ok_losses[i])
        plot.addItem(pg.PlotDataItem([best_lr], [best_loss], pen=None, symbol="star", symbolSize=20,
                                     symbolBrush=(255, 200, 0), symbolPen=pg.mkPen("k", width=1),
                                     name=f"best η = {formatters.eta(best_lr)}"))
        side = 1.0 if best_lr == max(lrs) else 0.0 if best_lr == min(lrs) and len(lrs) > 1 else 0.5
        text = pg.TextItem(f"best η = {formatters.eta(best_lr)}", color="k", anchor=(side, 1.3))  # kept inside the plot
        text.setPos(math.log10(best_lr), y_of(best_loss))
        plot.addItem(text)

    if ok.any():
        ys = [y_of(float(v)) for v in ok_losses]
        if log_y:
            plot.getAxis("left").setTicks(log_ticks(min(ys), max(ys)))
    for name in ("left", "bottom"):
        plot.getAxis(name).enableAutoSIPrefix(False)

    xs = [math.log10(v) for v in lrs]
    if limit is not None and math.isfinite(limit) and limit > 0:
        pen = pg.mkPen((40, 40, 40), width=2, style=QtCore.Qt.PenStyle.DashLine)
        line = pg.InfiniteLine(pos=math.log10(limit), angle=90, pen=pen, movable=False,
                               label=f"2/λmax = {formatters.number(limit, 3)}",
                               labelOpts={"position": 0.75, "color": "k", "fill": (255, 255, 255, 200)})
        plot.addItem(line)
        legend.addItem(pg.PlotDataItem(pen=pen), "2/λmax at the start")
        xs.append(math.log10(limit))
    if xs:
        lo, hi = min(xs), max(xs)
        pad = max(0.25, 0.05 * (hi - lo))
        plot.setXRange(lo - pad, hi + pad, padding=0)
        plot.getAxis("bottom").setTicks(log_ticks(lo - pad, hi + pad))
    return w
