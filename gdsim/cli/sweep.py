"""``gdsim sweep``: final loss after N epochs for a range of learning rates, as JSON, a table, CSV or a plot.

The plot (``sweep_plot``) is shared with the app: final loss against η on log axes, the diverged region
shaded, the best η starred and the 2/λmax line (the curvature limit at the initial weights) dashed.
"""

from __future__ import annotations

import argparse
import json
import math

# behaviour -> point colour in the sweep plot
BEHAVIOUR_COLOURS = {"smooth": (31, 119, 180), "oscillating": (255, 127, 14), "slow": (127, 127, 127),
                     "diverged": (214, 39, 40)}
DIVERGED_BRUSH = (214, 39, 40, 45)
FIGURE_WIDTH = 1200


def register(sub) -> None:
    from gdsim.cli.parser import add_config_options

    p = sub.add_parser("sweep", help="final loss against the learning rate η (a learning-rate sweep)",
                       description="Train once per learning rate from the same initial weights and batches; "
                                   "report final loss, status and behaviour.")
    add_config_options(p)
    p.add_argument("--lrs", required=True, metavar="LIST|RANGE",
                   help="learning rates: 0.01,0.1,1 or START:STOP:COUNT for log-spaced values, e.g. 1e-5:10:20")
    p.add_argument("--json", action="store_true", help="print one JSON list of {lr, final_loss, status, behaviour}")
    p.add_argument("--export", metavar="PATH", help="write the sweep plot (.png, .svg) or the table (.csv)")
    p.set_defaults(func=cmd_sweep)


def _num(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def cmd_sweep(a: argparse.Namespace) -> int:
    from gdsim.cli.parser import check_layers, config_from_args
    from gdsim.lab import compare
    from gdsim.lab import config as cfgmod
    from gdsim.ui.plotting import figures as export

    lrs = compare.parse_lrs(a.lrs)
    if a.lr is not None:
        raise ValueError("--lr does not apply to a sweep; give the learning rates with --lrs")
    cfg = config_from_args(a)
    check_layers(a, cfgmod.build(cfg))
    ext = export.check_path(a.export, ("png", "svg", "csv")) if a.export else None
    result = compare.run_sweep(cfg, lrs, cfg.training.epochs)
    rows = compare.sweep_rows(result)
    if ext == "csv":
        export.write_csv(a.export, list(compare.SWEEP_KEYS), ([r[k] for k in compare.SWEEP_KEYS] for r in rows))
    elif ext:
        write_plot(rows, result.limit, a.export, title=f"Learning-rate sweep, {result.epochs} epochs")
    if a.json:
        print(json.dumps([{**r, "final_loss": _num(r["final_loss"])} for r in rows]))
        return 0
    print(f"{'lr':>12}  {'final_loss':>12}  {'status':>10}  behaviour")
    for r in rows:
        print(f"{r['lr']:>12.4g}  {r['final_loss']:>12.4g}  {r['status']:>10}  {r['behaviour']}")
    best = result.best()
    print(f"2/λmax at the initial weights: {result.limit:.4g}")
    print(f"best η: {best.lr:g}" if best else "best η: none (every run diverged)")
    return 0


def write_plot(rows: list[dict], limit: float, path, title: str | None = None) -> None:
    from gdsim.ui.plotting import figures as export

    ext = export.check_path(path, ("png", "svg"))
    export.ensure_app()
    w = sweep_plot(rows, limit, title=title)
    try:
        w.resize(*export.FIGURE_SIZE)
        w.resizeEvent(None)  # lay the hidden widget out at its new size
        export.plot_image(w, path, FIGURE_WIDTH if ext == "png" else None)
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


def log_ticks(lo: float, hi: float) -> list[list[tuple[float, str]]]:
    """Ticks for a log axis spanning log10 values ``lo``..``hi``: labelled decades (and 2, 5 when the span is
    short), unlabelled 2..9 in between. pyqtgraph's own log ticks overlap or get an SI factor on short spans."""
    first, last = math.floor(lo) - 3, math.ceil(hi) + 3  # room to zoom out in the app
    labelled = (1, 2, 5) if hi - lo < 2.5 else (1,)
    major, minor = [], []
    for k in range(first, last + 1):
        for m in range(1, 10):
            x = k + math.log10(m)
            if m in labelled:
                major.append((x, f"{m * 10.0 ** k:.3g}"))
            else:
                minor.append((x, ""))
    return [major, minor]


def sweep_plot(rows: list[dict], limit: float, title: str | None = None):
    """A PlotWidget of final loss against η (log x; log y when every plotted loss is positive)."""
    import numpy as np
    import pyqtgraph as pg
    from PySide6 import QtCore

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
                                     name=f"best η = {best_lr:.3g}"))
        side = 1.0 if best_lr == max(lrs) else 0.0 if best_lr == min(lrs) and len(lrs) > 1 else 0.5
        text = pg.TextItem(f"best η = {best_lr:.3g}", color="k", anchor=(side, 1.3))  # kept inside the plot
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
                               label=f"2/λmax = {limit:.3g}",
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
