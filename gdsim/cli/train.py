"""``gdsim train``: train headless and print a summary (or one JSON line); optionally save the session and
the loss curve.

A .csv loss export is written without Qt; a .png/.svg one draws the app's loss panel offscreen.
"""

from __future__ import annotations

import argparse
import json

from gdsim.cli.options import add_config_options, check_layers, config_from_args, positive_int, setup_options
from gdsim.lab import config as cfgmod


def register(sub) -> None:
    p = sub.add_parser("train", help="train headless and print a summary")
    add_config_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON line")
    p.add_argument("--export-loss", metavar="PATH", help="write the loss curve as .png, .svg or .csv")
    p.add_argument("--save", metavar="FILE", help="write the session (.gdsim) after training")
    p.add_argument("--load", metavar="FILE", help="carry on a saved session; --epochs K trains K more epochs")
    p.add_argument("--track-sharpness", action="store_true",
                   help="read λmax (the Hessian's top eigenvalue) as training goes, within ~10 %% of the time; "
                        "--json adds \"sharpness\": [[step, λmax], ...]")
    p.add_argument("--sharpness-every", type=positive_int, metavar="K",
                   help="read λmax every K steps instead (implies --track-sharpness)")
    p.set_defaults(func=cmd_train)


def _load_session(a: argparse.Namespace):
    """``train --load F [--epochs K]``: the set-up comes from the session; returns (built, epochs to run)."""
    from gdsim.io import session

    given = [flag for dest, flag in setup_options() if dest != "epochs" and getattr(a, dest, None) is not None]
    if given:
        raise ValueError(f"--load takes the whole set-up from the session, so {', '.join(given)} cannot be given "
                         "(only --epochs K, to train K more epochs)")
    built = session.load(a.load)
    if a.epochs is None:  # finish the run the session was configured for
        return built, session.remaining_epochs(built)
    session.extend(built, a.epochs)
    return built, a.epochs


def cmd_train(a: argparse.Namespace) -> int:
    from gdsim.io import session, tables

    if a.save:
        session.check_save_path(a.save)
    if a.load:
        built, epochs = _load_session(a)
    else:
        cfg = config_from_args(a)
        built = cfgmod.build(cfg)
        check_layers(a, built)
        epochs = cfg.training.epochs
    loss_ext = tables.check_path(a.export_loss, ("png", "svg", "csv")) if a.export_loss else None
    trainer = built.trainer
    if a.track_sharpness or a.sharpness_every:
        trainer.track_sharpness(every=a.sharpness_every)
    trainer.run(epochs)
    if a.save:
        session.save(a.save, built)
    summary = trainer.summary()
    if trainer.sharpness is not None:
        summary["sharpness"] = [[step, lam] for step, lam in trainer.sharpness.series]
    if loss_ext == "csv":  # headless: no Qt for a table
        tables.write_loss_csv(a.export_loss, trainer.step_history.array(), trainer.epoch_history.array())
    elif loss_ext:
        from gdsim.lab import snapshot
        from gdsim.ui.plotting import loss_figure

        loss_figure.write(snapshot.take(trainer), a.export_loss)
    _print_summary(summary, a.json)
    return 0


def _print_summary(summary: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary))
        return
    for k, v in summary.items():
        if k == "sharpness":
            v = f"{len(v)} readings of λmax, the last {v[-1][1]:.6g} at step {v[-1][0]}" if v else "none"
        print(f"{k:>16}: {v}")
