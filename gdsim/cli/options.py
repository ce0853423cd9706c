"""What every subcommand shares: the set-up options, the config they build, the argument types, and the
parser whose errors are one line (exit status 2, never a traceback).

Subcommand modules import this module, never the package that registers them, so there is no import circle.
"""

from __future__ import annotations

import argparse

from gdsim.engine import schedules
from gdsim.lab import config as cfgmod
from gdsim.lab import limits


class UsageError(Exception):
    """Bad command line: printed as one ``gdsim: error: ...`` line with exit status 2."""


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Help that ends each option with its default, when it has one worth showing."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help
        shown = action.default not in (None, False, [], argparse.SUPPRESS)
        if text and shown and action.option_strings and "default" not in text:
            text += " (default: %(default)s)"
        return text


class Parser(argparse.ArgumentParser):
    """argparse with the house rule: a usage error is one line, status 2 (raised, printed by gdsim.cli.main)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # one line, status 2
        raise UsageError(message)


def int_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {text!r}")
    return value


def batch_size(text: str):
    if text == "full":
        return "full"
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"batch size must be an integer or 'full', got {text!r}") from None


def float_list(text: str) -> tuple[float, ...]:
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
    g.add_argument("--start", type=float_list, metavar="X[,Y]",
                   help="function mode: the starting point, e.g. -5 or -1.5,2 (default: the function's own)")
    g.add_argument("--layers", type=int_list, help="sizes including input and output, e.g. 2,8,1 (default: "
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
    g.add_argument("--batch-size", type=batch_size, help="an integer, or 'full' (default: full)")
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
    """The set-up the options describe: defaults, then --preset or --config, then each option given.

    Checked here (ValueError naming the option), so a bad value fails before any training or window."""
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
    """--layers must fit the data's inputs and outputs, which are only known once the data are built."""
    if a.layers is not None and (a.layers[0], a.layers[-1]) != (built.net.n_in, built.net.n_out):
        raise ValueError(f"--layers {','.join(map(str, a.layers))} does not fit the data: it needs "
                         f"{built.net.n_in} inputs and {built.net.n_out} outputs")


def setup_options() -> list[tuple[str, str]]:
    """(dest, flag) of every set-up option, whoever added it to add_config_options."""
    p = argparse.ArgumentParser(add_help=False)
    add_config_options(p)
    return [(act.dest, act.option_strings[0]) for act in p._actions if act.option_strings]
