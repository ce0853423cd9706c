"""``gdsim sweep``: final loss after N epochs for a range of learning rates, as JSON, a table, CSV or a plot.

The plot is the app's sweep figure (gdsim.ui.plotting.sweep_figure), imported only when a .png/.svg is asked
for: the table, JSON and CSV paths stay headless.
"""

from __future__ import annotations

import argparse
import json
import math

from gdsim.cli.options import add_config_options, check_layers, config_from_args


def register(sub) -> None:
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
    from gdsim.io import tables
    from gdsim.lab import compare
    from gdsim.lab import config as cfgmod

    lrs = compare.parse_lrs(a.lrs)
    if a.lr is not None:
        raise ValueError("--lr does not apply to a sweep; give the learning rates with --lrs")
    cfg = config_from_args(a)
    check_layers(a, cfgmod.build(cfg))
    ext = tables.check_path(a.export, ("png", "svg", "csv")) if a.export else None
    result = compare.run_sweep(cfg, lrs, cfg.training.epochs)
    rows = compare.sweep_rows(result)
    if ext == "csv":
        tables.write_records(a.export, compare.SWEEP_KEYS, rows)
    elif ext:
        from gdsim.ui.plotting.sweep_figure import write_plot

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
