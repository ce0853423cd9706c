"""Command line: no arguments opens the app; ``train`` runs headless; ``gui`` opens the app with options.

Bad input gives one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings

from gdsim import config as cfgmod
from gdsim import limits


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, status 2
        raise UsageError(message)


class UsageError(Exception):
    pass


def _int_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def _batch(text: str):
    if text == "full":
        return "full"
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"batch size must be an integer or 'full', got {text!r}") from None


def _float_list(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None


def add_config_options(p: argparse.ArgumentParser) -> None:
    """Options shared by every command that builds a training set-up."""
    g = p.add_argument_group("set-up")
    g.add_argument("--preset", help="start from resources/presets/NAME.toml")
    g.add_argument("--config", help="start from a TOML file")
    g.add_argument("--dataset", help="xor, circles, gaussians, spiral, moons, line, sine, package, csv:PATH, "
                   "function:NAME (bias5, rosenbrock, ...) or function:EXPR (e.g. \"function:x**2 + 3*sin(y)\")")
    g.add_argument("--samples", type=int, help="number of samples")
    g.add_argument("--noise", type=float, help="noise level of the generated data")
    g.add_argument("--test-fraction", type=float, help="share of samples held out for testing")
    g.add_argument("--target", help="CSV target column (name or 0-based index; default: the last)")
    g.add_argument("--start", type=_float_list, metavar="X[,Y]",
                   help="function mode: the starting point, e.g. -5 or -1.5,2 (default: the function's own)")
    g.add_argument("--layers", type=_int_list, help="sizes including input and output, e.g. 2,8,1")
    g.add_argument("--activation", help="hidden activation(s): one name or one per hidden layer, comma-separated")
    g.add_argument("--output", help="output activation (default: natural pairing for the loss)")
    g.add_argument("--init", help="uniform, normal, xavier, he or zeros")
    g.add_argument("--loss", help="mse, half_mse, bce or cross_entropy")
    g.add_argument("--optimizer", help="sgd, momentum, nesterov, adagrad, rmsprop or adam")
    g.add_argument("--lr", type=float, help="learning rate η")
    g.add_argument("--batch-size", type=_batch, help="an integer, or 'full' (default)")
    g.add_argument("--epochs", type=int, help="number of epochs")
    g.add_argument("--seed", type=int, help="seed for data, weights and shuffling")
    g.add_argument("--schedule", help="constant, step, exponential or cosine")
    g.add_argument("--weight-decay", type=float, help="L2 penalty")
    g.add_argument("--clip-norm", type=float, help="clip the gradient to this global norm")


def config_from_args(a: argparse.Namespace) -> cfgmod.Config:
    if a.preset and a.config:
        raise ValueError("give --preset or --config, not both")
    cfg = cfgmod.load_preset(a.preset) if a.preset else cfgmod.load(a.config) if a.config else cfgmod.Config()
    p, n, t = {}, {}, {}
    for key, section, attr in [("dataset", p, "dataset"), ("samples", p, "samples"), ("noise", p, "noise"),
                               ("test_fraction", p, "test_fraction"), ("target", p, "target"), ("start", p, "start"),
                               ("output", n, "output"), ("init", n, "init"), ("loss", t, "loss"),
                               ("optimizer", t, "optimizer"), ("lr", t, "lr"), ("epochs", t, "epochs"),
                               ("schedule", t, "schedule"), ("weight_decay", t, "weight_decay"),
                               ("clip_norm", t, "clip_norm")]:
        value = getattr(a, key)
        if value is not None:
            section[attr] = value
    if a.seed is not None:
        p["seed"] = n["seed"] = t["seed"] = a.seed
    if a.batch_size is not None:
        t["batch_size"] = None if a.batch_size == "full" else a.batch_size
    if a.layers is not None:
        if len(a.layers) < 2:
            raise ValueError("--layers needs at least the input and output sizes, e.g. 2,8,1")
        limits.check_network(a.layers)  # before anything is allocated, naming the real size
        n["hidden"] = a.layers[1:-1]
    if a.activation:
        n["activations"] = tuple(s.strip() for s in a.activation.split(","))
    cfg = cfg.with_changes(problem=p, network=n, training=t)
    if cfg.training.epochs < 0:
        raise ValueError(f"--epochs must be ≥ 0, got {cfg.training.epochs}")
    cfgmod.validate(cfg)
    return cfg


def check_layers(a: argparse.Namespace, built: cfgmod.Built) -> None:
    if a.layers is not None and (a.layers[0], a.layers[-1]) != (built.net.n_in, built.net.n_out):
        raise ValueError(f"--layers {','.join(map(str, a.layers))} does not fit the data: it needs "
                         f"{built.net.n_in} inputs and {built.net.n_out} outputs")


def _setup_options() -> list[tuple[str, str]]:
    """(dest, flag) of every set-up option, whoever added it to add_config_options."""
    p = argparse.ArgumentParser(add_help=False)
    add_config_options(p)
    return [(act.dest, act.option_strings[0]) for act in p._actions if act.option_strings]


def _load_session(a: argparse.Namespace):
    """``train --load F [--epochs K]``: the set-up comes from the session; returns (built, epochs to run)."""
    from gdsim import session

    given = [flag for dest, flag in _setup_options() if dest != "epochs" and getattr(a, dest, None) is not None]
    if given:
        raise ValueError(f"--load takes the whole set-up from the session, so {', '.join(given)} cannot be given "
                         "(only --epochs K, to train K more epochs)")
    built = session.load(a.load)
    if a.epochs is None:  # finish the run the session was configured for
        return built, session.remaining_epochs(built)
    session.extend(built, a.epochs)
    return built, a.epochs


def cmd_train(a: argparse.Namespace) -> int:
    if a.save:
        from gdsim import session

        session.check_save_path(a.save)
    if a.load:
        built, epochs = _load_session(a)
    else:
        cfg = config_from_args(a)
        built = cfgmod.build(cfg)
        check_layers(a, built)
        epochs = cfg.training.epochs
    if a.export_loss:
        from gdsim import export

        export.check_path(a.export_loss, ("png", "svg", "csv"))
    trainer = built.trainer
    trainer.run(epochs)
    if a.save:
        session.save(a.save, built)
    summary = trainer.summary()
    if a.export_loss:
        from gdsim import export

        export.loss_history(trainer, a.export_loss)
    if a.json:
        print(json.dumps(summary))
    else:
        for k, v in summary.items():
            print(f"{k:>16}: {v}")
    return 0


def cmd_gui(a: argparse.Namespace) -> int:
    from gdsim.ui.app import main as gui_main

    return gui_main(a)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gdsim", description="A desktop laboratory for gradient descent.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    train = sub.add_parser("train", help="train headless and print a summary")
    add_config_options(train)
    train.add_argument("--json", action="store_true", help="print one JSON line")
    train.add_argument("--export-loss", metavar="PATH", help="write the loss curve as .png, .svg or .csv")
    train.add_argument("--save", metavar="FILE", help="write the session (.gdsim) after training")
    train.add_argument("--load", metavar="FILE", help="carry on a saved session; --epochs K trains K more epochs")
    train.set_defaults(func=cmd_train)

    gui = sub.add_parser("gui", help="open the app (optionally train and save figures, then quit)")
    add_config_options(gui)
    gui.add_argument("--screenshot", metavar="PNG", help="save a picture of the window")
    gui.add_argument("--export-loss", metavar="PATH", help="save the loss curve as .png, .svg or .csv")
    gui.add_argument("--quit", action="store_true", help="exit after training and saving")
    gui.add_argument("--show", action="append", default=[], metavar="PANEL",
                     help="bring a panel to the front, e.g. 'Loss surface' (repeatable)")
    gui.set_defaults(func=cmd_gui)

    from gdsim.commands import export_torch, surface, sweep  # each registers its own subcommand

    sweep.register(sub)
    export_torch.register(sub)
    surface.register(sub)
    return parser


def _glue_start(argv: list[str]) -> list[str]:
    """``--start -1.5,2`` -> ``--start=-1.5,2``: argparse takes a value starting with '-' for an option."""
    out, i = [], 0
    while i < len(argv):
        if argv[i] == "--start" and i + 1 < len(argv) and argv[i + 1][:2] in ("-.", *(f"-{d}" for d in range(10))):
            out.append(f"--start={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if not argv:
            from gdsim.ui.app import main as gui_main

            return gui_main()
        args = build_parser().parse_args(_glue_start(argv))
        if not getattr(args, "func", None):
            raise UsageError("choose a command: train or gui (gdsim --help lists them)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # overflow in a diverging run is reported as status
            warnings.showwarning = _warn_line
            return args.func(args)
    except (UsageError, ValueError, OSError) as e:
        print(f"gdsim: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _warn_line(message, category, filename, lineno, file=None, line=None):
    print(f"gdsim: warning: {message}", file=sys.stderr)


