"""Command line: no arguments opens the app; ``train`` runs headless; ``gui`` opens the app with options;
``presets`` lists the presets.

Bad input gives one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings

from gdsim import __version__
from gdsim.engine import schedules
from gdsim.lab import config as cfgmod
from gdsim.lab import limits


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Help that ends each option with its default, when it has one worth showing."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help
        shown = action.default not in (None, False, [], argparse.SUPPRESS)
        if text and shown and action.option_strings and "default" not in text:
            text += " (default: %(default)s)"
        return text


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # one line, status 2
        raise UsageError(message)


class UsageError(Exception):
    pass


def _int_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {text!r}")
    return value


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
    """Options shared by every command that builds a training set-up.

    Their defaults are those of ``gdsim.lab.config`` (shown in the help), overridden by --preset or --config, then
    by each option given."""
    d = cfgmod.Config()
    pd, nd, td = d.problem, d.network, d.training
    g = p.add_argument_group("set-up", "each option overrides --preset/--config, which override the defaults")
    g.add_argument("--preset", metavar="NAME", help="start from a preset (`gdsim presets` lists them)")
    g.add_argument("--config", metavar="FILE", help="start from a TOML file")
    g.add_argument("--dataset", help="xor, circles, gaussians, spiral, moons, line, sine, package, csv:PATH, "
                   "csv:gdsim-data/NAME (a CSV shipped with gdsim), function:NAME (bias5, rosenbrock, ...) or "
                   f"function:EXPR (e.g. \"function:x**2 + 3*sin(y)\") (default: {pd.dataset})")
    g.add_argument("--samples", type=int, help=f"number of samples (default: {pd.samples})")
    g.add_argument("--noise", type=float, help=f"noise level of the generated data (default: {pd.noise})")
    g.add_argument("--test-fraction", type=float,
                   help=f"share of samples held out for testing (default: {pd.test_fraction})")
    g.add_argument("--target", help="CSV target column (name or 0-based index; default: the last)")
    g.add_argument("--start", type=_float_list, metavar="X[,Y]",
                   help="function mode: the starting point, e.g. -5 or -1.5,2 (default: the function's own)")
    g.add_argument("--layers", type=_int_list, help="sizes including input and output, e.g. 2,8,1 (default: "
                   f"the data's inputs, {','.join(map(str, nd.hidden))}, the data's outputs)")
    g.add_argument("--activation", help="hidden activation(s): one name or one per hidden layer, comma-separated "
                   f"(default: {','.join(nd.activations)})")
    g.add_argument("--output", help="output activation (default: natural pairing for the loss)")
    g.add_argument("--init", help=f"uniform, normal, xavier, he or zeros (default: {nd.init})")
    g.add_argument("--loss", help="mse, half_mse, bce or cross_entropy (default: bce or cross_entropy for "
                   "classes, mse for regression)")
    g.add_argument("--optimizer", help=f"sgd, momentum, nesterov, adagrad, rmsprop or adam (default: {td.optimizer})")
    g.add_argument("--lr", type=float, help="learning rate η (default: the preset's, else the optimizer's: "
                   "0.1 for sgd, momentum and nesterov; PyTorch's 0.01 for adagrad and rmsprop, 0.001 for adam)")
    g.add_argument("--batch-size", type=_batch, help="an integer, or 'full' (default: full)")
    g.add_argument("--epochs", type=int, help=f"number of epochs (default: {td.epochs})")
    g.add_argument("--seed", type=int, help=f"seed for data, weights and shuffling (default: {td.seed})")
    g.add_argument("--schedule", help="constant, step, exponential or cosine (torch's StepLR, ExponentialLR, "
                   f"CosineAnnealingLR, stepped per epoch; default: {td.schedule})")
    g.add_argument("--step-size", type=int, help="step: multiply η by γ every this many epochs "
                   "(default: a third of the run)")
    g.add_argument("--gamma", type=float, help="step: the factor γ (default 0.1); exponential: η×γ each epoch "
                   "(default: η ends the run at η/100)")
    g.add_argument("--t-max", type=int, help="cosine: epochs to anneal over (default: the run's epochs)")
    g.add_argument("--eta-min", type=float, help="cosine: the η it anneals to (default 0)")
    g.add_argument("--weight-decay", type=float, help=f"L2 penalty (default: {td.weight_decay})")
    g.add_argument("--clip-norm", type=float, help="clip the gradient to this global norm (default: no clipping)")


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
    schedule_kwargs = _schedule_kwargs(a, cfg.training, t.get("schedule", cfg.training.schedule))
    if schedule_kwargs is not None:
        t["schedule_kwargs"] = schedule_kwargs
    cfg = cfg.with_changes(problem=p, network=n, training=t)
    if cfg.training.epochs < 0:
        raise ValueError(f"--epochs must be ≥ 0, got {cfg.training.epochs}")
    cfgmod.validate(cfg)
    return cfg


SCHEDULE_FLAGS = {"step_size": "--step-size", "gamma": "--gamma", "t_max": "--t-max", "eta_min": "--eta-min"}


def _schedule_kwargs(a: argparse.Namespace, base: cfgmod.TrainingConfig, schedule: str) -> dict | None:
    """The schedule's arguments after the options; None when nothing changes. A new --schedule drops the
    arguments the preset gave its own schedule; an option the schedule does not take is refused."""
    given = {key: getattr(a, key) for key in SCHEDULE_FLAGS if getattr(a, key, None) is not None}
    if not given and schedule == base.schedule:
        return None
    takes = schedules.DEFAULTS.get(schedule)
    if takes is None:
        schedules.check(schedule)  # the one-line "unknown schedule" message
    for key in given:
        if key not in takes:
            options = ", ".join(SCHEDULE_FLAGS[k] for k in takes) or "none"
            raise ValueError(f"{SCHEDULE_FLAGS[key]} does not apply to the {schedule} schedule "
                             f"(its options: {options})")
    kept = dict(base.schedule_kwargs) if schedule == base.schedule else {}
    return {**kept, **given}


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
    from gdsim.io import session

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
        from gdsim.io import session

        session.check_save_path(a.save)
    if a.load:
        built, epochs = _load_session(a)
    else:
        cfg = config_from_args(a)
        built = cfgmod.build(cfg)
        check_layers(a, built)
        epochs = cfg.training.epochs
    if a.export_loss:
        from gdsim.ui.plotting import figures as export

        export.check_path(a.export_loss, ("png", "svg", "csv"))
    trainer = built.trainer
    if a.track_sharpness or a.sharpness_every:
        trainer.track_sharpness(every=a.sharpness_every)
    trainer.run(epochs)
    if a.save:
        session.save(a.save, built)
    summary = trainer.summary()
    if trainer.sharpness is not None:
        summary["sharpness"] = [[step, lam] for step, lam in trainer.sharpness.series]
    if a.export_loss:
        from gdsim.ui.plotting import figures as export

        export.loss_history(trainer, a.export_loss)
    if a.json:
        print(json.dumps(summary))
    else:
        for k, v in summary.items():
            if k == "sharpness":
                v = f"{len(v)} readings of λmax, the last {v[-1][1]:.6g} at step {v[-1][0]}" if v else "none"
            print(f"{k:>16}: {v}")
    return 0


def cmd_gui(a: argparse.Namespace) -> int:
    from gdsim.ui.app import main as gui_main

    return gui_main(a)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gdsim", description="A desktop laboratory for gradient descent.\n\n"
                     "Run `gdsim` alone (no arguments) to open the app; the commands below work headless.",
                     epilog="`gdsim COMMAND --help` shows each command's options and their defaults.")
    parser.add_argument("--version", action="version", version=f"gdsim {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, title="commands", metavar="COMMAND")
    train = sub.add_parser("train", help="train headless and print a summary")
    add_config_options(train)
    train.add_argument("--json", action="store_true", help="print one JSON line")
    train.add_argument("--export-loss", metavar="PATH", help="write the loss curve as .png, .svg or .csv")
    train.add_argument("--save", metavar="FILE", help="write the session (.gdsim) after training")
    train.add_argument("--load", metavar="FILE", help="carry on a saved session; --epochs K trains K more epochs")
    train.add_argument("--track-sharpness", action="store_true",
                       help="read λmax (the Hessian's top eigenvalue) as training goes, within ~10 %% of the time; "
                            "--json adds \"sharpness\": [[step, λmax], ...]")
    train.add_argument("--sharpness-every", type=_positive_int, metavar="K",
                       help="read λmax every K steps instead (implies --track-sharpness)")
    train.set_defaults(func=cmd_train)

    gui = sub.add_parser("gui", help="open the app (optionally train and save figures, then quit)")
    add_config_options(gui)
    gui.add_argument("--screenshot", metavar="PNG", help="save a picture of the window")
    gui.add_argument("--export-loss", metavar="PATH", help="save the loss curve as .png, .svg or .csv")
    gui.add_argument("--quit", action="store_true", help="exit after training and saving")
    gui.add_argument("--lesson", metavar="NAME", help="open a lesson (`gdsim lessons` lists them) or a lesson file")
    gui.add_argument("--show", action="append", default=[], metavar="PANEL",
                     help="bring a panel to the front, e.g. 'Loss surface' (repeatable)")
    gui.set_defaults(func=cmd_gui)

    from gdsim.cli import export_torch, lessons, presets, surface, sweep  # each registers its own subcommand

    sweep.register(sub)
    export_torch.register(sub)
    surface.register(sub)
    presets.register(sub)
    lessons.register(sub)
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
            raise UsageError("choose a command, e.g. train, gui or presets (gdsim --help lists them)")
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


