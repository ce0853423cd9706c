"""Named, complete set-ups: frozen dataclasses, TOML presets, validation, and building the engine objects.

A configuration is data only. ``build`` turns it into a dataset, a network and a trainer; the CLI and the
app both go through it, which is why the same configuration and seed give the same numbers in both.
"""

from __future__ import annotations

import contextlib
import itertools
import math
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from gdsim.engine import activations, datasets, losses, network, optimizers, schedules
from gdsim.engine.function_model import FunctionModel, make_function
from gdsim.engine.network import Network
from gdsim.engine.trainer import Trainer
from gdsim.lab import config_check, limits, presets
from gdsim.lab.presets import PRESET_GROUPS, PresetInfo, preset_names
from gdsim.lab.presets import data_names as data_names  # re-exported: callers import it from here

FUNCTION_PREFIX = "function:"  # dataset = "function:rosenbrock" or "function:x**2 + 3*sin(y)"


@dataclass(frozen=True)
class ProblemConfig:
    dataset: str = "xor"
    samples: int = 200
    noise: float = 0.1
    test_fraction: float = 0.2
    seed: int = 0
    target: str | None = None
    features: tuple[str, ...] | None = None  # CSV feature columns (default: every column but the target)
    task: str | None = None  # CSV: "classification" or "regression" (default: guessed from the target column)
    start: tuple[float, ...] | None = None  # function mode: the starting point (default: the function's own)
    standardize: bool = True  # False: the network sees the raw features (the notes' hand-worked examples)

    @property
    def function(self) -> str | None:
        """The name or expression after ``function:``, or None when the problem is a data set."""
        d = self.dataset
        return d[len(FUNCTION_PREFIX):].strip() if isinstance(d, str) and d.startswith(FUNCTION_PREFIX) else None


@dataclass(frozen=True)
class NetworkConfig:
    hidden: tuple[int, ...] = (4,)
    activations: tuple[str, ...] = ("tanh",)  # one per hidden layer; a single name applies to all
    output: str | None = None  # None: the natural pairing for the loss
    init: str = "xavier"
    seed: int = 0
    params: tuple[float, ...] | None = None  # explicit initial θ (flat: W1, b1, W2, ...) instead of init/seed

    def hidden_activations(self) -> list[str]:
        acts = list(self.activations) or ["tanh"]
        return acts * len(self.hidden) if len(acts) == 1 else acts


@dataclass(frozen=True)
class TrainingConfig:
    loss: str | None = None  # None: bce / cross_entropy for classification, mse for regression
    optimizer: str = "sgd"
    lr: float | None = None  # None: the optimizer's default (optimizers.DEFAULT_LR: PyTorch's where it has one)
    batch_size: int | None = None  # None: full batch
    epochs: int = 200
    seed: int = 0
    schedule: str = "constant"
    schedule_kwargs: dict = field(default_factory=dict)
    weight_decay: float = 0.0
    clip_norm: float | None = None
    tol: float = 1e-7
    patience: int = 5
    optimizer_kwargs: dict = field(default_factory=dict)

    @property
    def eta(self) -> float:
        """η the run uses: the explicit ``lr``, else the optimizer's default."""
        return self.lr if self.lr is not None else optimizers.DEFAULT_LR.get(self.optimizer, 0.1)


@dataclass(frozen=True)
class Config:
    problem: ProblemConfig = field(default_factory=ProblemConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    name: str = ""
    description: str = ""

    def with_changes(self, **sections) -> Config:
        """Replace fields section by section: ``cfg.with_changes(training={"lr": 0.5})``."""
        kw = {k: replace(getattr(self, k), **v) if isinstance(v, dict) else v for k, v in sections.items()}
        return replace(self, **kw)

    def to_dict(self) -> dict:
        d = asdict(self)
        return _drop_none(d)


def _drop_none(d):
    if isinstance(d, dict):
        return {k: _drop_none(v) for k, v in d.items() if v is not None}
    if isinstance(d, tuple):
        return list(d)
    return d


# ---------------------------------------------------------------- loading


def from_dict(d: dict) -> Config:
    """A Config from a TOML table or a session's JSON; wrong types are one line (see ``config_check``)."""
    sections = {"problem": ProblemConfig, "network": NetworkConfig, "training": TrainingConfig}
    config_check.top_level(d, tuple(sections))
    kw = {key: cls(**config_check.section(key, cls, d.get(key, {}))) for key, cls in sections.items()}
    return Config(**kw, name=d.get("name", ""), description=d.get("description", ""))


def load(path: str | Path) -> Config:
    return from_dict(presets.read_toml(Path(path)))


def _read_preset(name: str) -> tuple[Config, PresetInfo]:
    data, info = presets.read_preset(name)
    cfg = from_dict(data)
    return (cfg if cfg.name else replace(cfg, name=name)), info


def load_preset(name: str) -> Config:
    return _read_preset(name)[0]


def preset_info(name: str) -> PresetInfo:
    return _read_preset(name)[1]


def presets_in_course_order() -> list[tuple[str, list[str]]]:
    """(group, preset names) in the order the course meets them; unreadable presets are left out."""
    infos = {}
    for name in preset_names():
        with contextlib.suppress(ValueError):
            infos[name] = preset_info(name)
    return [(group, sorted((n for n, i in infos.items() if i.group == group), key=lambda n: (infos[n].order, n)))
            for group in PRESET_GROUPS if any(i.group == group for i in infos.values())]


# ---------------------------------------------------------------- validation and building


def default_loss(data: datasets.Dataset) -> str:
    if data.task == "regression":
        return "mse"
    return "bce" if data.n_classes <= 2 else "cross_entropy"


def n_outputs(data: datasets.Dataset, loss: str) -> int:
    if data.task == "regression":
        return data.y_train.shape[1] if data.y_train.ndim == 2 else 1
    if loss == "cross_entropy":
        return max(2, data.n_classes)
    return 1 if data.n_classes <= 2 else data.n_classes


def validate(cfg: Config) -> None:
    """Check what can be checked without building data; raises ValueError with one clear line."""
    p, n, t = cfg.problem, cfg.network, cfg.training
    _positive_finite("learning rate η", t.eta)
    if not math.isfinite(p.noise) or p.noise < 0:
        raise ValueError(f"noise must be a finite number ≥ 0, got {p.noise}")
    if any(int(h) < 1 for h in n.hidden):
        raise ValueError(f"every hidden layer needs at least one neuron, got {list(n.hidden)}")
    if len(n.activations) not in (1, len(n.hidden)) and n.hidden:
        raise ValueError(f"{len(n.hidden)} hidden layers need 1 or {len(n.hidden)} activations")
    for a in n.activations:
        activations.check(a, output=False)
    if n.output is not None:
        activations.check(n.output, output=True)
    if n.init not in network.INITS:
        raise ValueError(f"unknown init {n.init!r}; choose one of {', '.join(network.INITS)}")
    if t.loss is not None and t.loss not in losses.NAMES:
        raise ValueError(f"unknown loss {t.loss!r}; choose one of {', '.join(losses.NAMES)}")
    if t.optimizer not in optimizers.NAMES:
        raise ValueError(f"unknown optimizer {t.optimizer!r}; choose one of {', '.join(optimizers.NAMES)}")
    schedules.check(t.schedule, **t.schedule_kwargs)
    if t.batch_size is not None and int(t.batch_size) < 1:
        raise ValueError(f"batch size must be at least 1 (or 'full'), got {t.batch_size}")
    if int(t.epochs) < 0:
        raise ValueError(f"epochs must be ≥ 0, got {t.epochs}")
    if t.weight_decay < 0 or not math.isfinite(t.weight_decay):
        raise ValueError(f"weight decay must be a finite number ≥ 0, got {t.weight_decay}")
    if t.clip_norm is not None:
        _positive_finite("gradient clipping norm", t.clip_norm)
    if p.function is not None:
        FunctionModel(make_function(p.function), _start(p.start))  # one line on a bad name, expression or start
    elif p.start is not None:
        raise ValueError("a start point only applies to function mode (dataset = \"function:NAME\")")
    _check_ranges(cfg)


def _check_ranges(cfg: Config) -> None:
    """Counts and fractions in range, and nothing that would need unreasonable memory (``gdsim.lab.limits``)."""
    p, n, t = cfg.problem, cfg.network, cfg.training
    if p.samples < 1:
        raise ValueError(f"samples must be at least 1, got {p.samples}")
    if not 0 <= p.test_fraction < 1:
        raise ValueError(f"the test fraction must be at least 0 and below 1, got {p.test_fraction}")
    if not math.isfinite(t.tol) or t.tol < 0:
        raise ValueError(f"the tolerance tol must be a finite number ≥ 0, got {t.tol}")
    if t.patience < 0:
        raise ValueError(f"patience must be ≥ 0, got {t.patience}")
    if len(n.hidden) > limits.MAX_HIDDEN_LAYERS:
        raise ValueError(f"{len(n.hidden)} hidden layers is too many; the limit is {limits.MAX_HIDDEN_LAYERS}")
    if p.function is None and not str(p.dataset).startswith("csv:"):
        limits.check_samples(p.samples)
    if p.function is None:
        limits.check_network([1, *n.hidden, 1])  # the smallest it can be; make_network checks the real one


def _start(start) -> tuple[float, ...] | None:
    if start is None:
        return None
    try:
        values = tuple(float(v) for v in start)
    except (TypeError, ValueError):
        raise ValueError(f"the start point must be numbers, got {start!r}") from None
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"the start point must be finite, got {list(values)}")
    return values


def _positive_finite(what: str, x) -> None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {x!r}") from None
    if not math.isfinite(x) or x <= 0:
        raise ValueError(f"{what} must be a positive finite number, got {x}")


@dataclass
class Built:
    config: Config
    data: datasets.Dataset | None  # None in function mode
    net: Network | FunctionModel
    trainer: Trainer


def make_data(cfg: Config, cancel=None) -> datasets.Dataset:
    """``cancel()`` is checked between blocks of a CSV (the app reads one in a thread and may drop it)."""
    p = cfg.problem
    with presets.csv_file(p.dataset) as dataset:
        return datasets.make_dataset(dataset, n=p.samples, noise=p.noise, seed=p.seed,
                                     test_fraction=p.test_fraction, target=p.target,
                                     features=list(p.features) if p.features else None, standardize=p.standardize,
                                     task=p.task, cancel=cancel)


def check_loss_fits_targets(loss: str, data: datasets.Dataset) -> None:
    """BCE needs targets in [0, 1] and cross-entropy class labels: anything else trains to a meaningless,
    even negative, "loss". One line naming a loss that fits."""
    y = np.concatenate([np.asarray(a, dtype=np.float64).reshape(-1) for a in (data.y_train, data.y_test)])
    if y.size == 0:
        return
    lo, hi = (f"{v:.3g}".replace("-", "−") for v in (y.min(), y.max()))
    labels = data.task == "classification"
    if loss == "bce" and (y.min() < 0 or y.max() > 1):
        what = f"class labels {lo} to {hi}" if labels else f"targets range from {lo} to {hi}"
        fix = "cross_entropy" if labels else "mse or half_mse"
        raise ValueError(f"bce needs targets in [0, 1]; the {data.name} {what}: use {fix}")
    if loss == "cross_entropy" and not labels:
        raise ValueError(f"cross_entropy needs class labels; the {data.name} targets are real numbers "
                         f"({lo} to {hi}): use mse or half_mse")


def make_network(cfg: Config, data: datasets.Dataset) -> Network:
    loss = cfg.training.loss or default_loss(data)
    check_loss_fits_targets(loss, data)
    n = cfg.network
    output = n.output or losses.DEFAULT_OUTPUT[loss]
    sizes = [data.n_features, *n.hidden, n_outputs(data, loss)]
    limits.check_network(sizes, data.X_train.shape[0])
    net = Network(sizes, [*n.hidden_activations(), output], init=n.init, seed=n.seed)
    losses.check(loss, output, net.n_out)
    if n.params is not None:
        theta = np.asarray(n.params, dtype=np.float64)
        if theta.shape != (net.n_params,) or not np.all(np.isfinite(theta)):
            raise ValueError(f"network.params must be {net.n_params} finite numbers for a "
                             f"{'-'.join(map(str, sizes))} network, got {theta.size}")
        net.set_params(theta)
    return net


def fit_fixed_weights(cfg: Config, data: datasets.Dataset | None = None) -> tuple[Config, str]:
    """``cfg`` without its fixed initial weights (``network.params``) when they no longer fit its network, and a
    note saying so; ``(cfg, "")`` when they fit or there are none.

    A preset with the notes' hand-worked weights (the 2-2-1 worked example) is a starting point: adding a neuron
    is a question a student may ask next, not a mistake, so the form's set-up draws new weights instead of
    refusing. A config file with the wrong number of weights is still an error (``make_network``).
    """
    params = cfg.network.params
    if params is None or cfg.problem.function is not None:
        return cfg, ""
    data = data or make_data(cfg)
    sizes = [data.n_features, *cfg.network.hidden, n_outputs(data, cfg.training.loss or default_loss(data))]
    if sum((a + 1) * b for a, b in itertools.pairwise(sizes)) == len(params):
        return cfg, ""
    note = (f"The preset's fixed weights fit a {len(params)}-parameter network; this "
            f"{'-'.join(map(str, sizes))} network starts from new {cfg.network.init} weights")
    return cfg.with_changes(network={"params": None}), note


def make_trainer(cfg: Config, data: datasets.Dataset, net: Network, mask=None) -> Trainer:
    t = cfg.training
    return Trainer(net, data.X_train, data.y_train, loss=t.loss or default_loss(data), optimizer=t.optimizer,
                   lr=t.eta, batch_size=t.batch_size, seed=t.seed, X_test=data.X_test, y_test=data.y_test,
                   task=data.task, schedule=t.schedule, schedule_kwargs=t.schedule_kwargs,
                   weight_decay=t.weight_decay, clip_norm=t.clip_norm, mask=mask, max_epochs=t.epochs or None,
                   tol=t.tol, patience=t.patience, **t.optimizer_kwargs)


def make_function_trainer(cfg: Config, mask=None) -> Built:
    """Function mode: the same Trainer on a FunctionModel, a dummy (1, 1) X and one step per epoch."""
    p, t = cfg.problem, cfg.training
    model = FunctionModel(make_function(p.function), _start(p.start))
    trainer = Trainer(model, np.zeros((1, 1)), np.zeros(1), loss="mse", optimizer=t.optimizer, lr=t.eta,
                      batch_size=None, seed=t.seed, task="function", schedule=t.schedule,
                      schedule_kwargs=t.schedule_kwargs, weight_decay=t.weight_decay, clip_norm=t.clip_norm,
                      mask=mask, max_epochs=t.epochs or None, tol=t.tol, patience=t.patience,
                      **t.optimizer_kwargs)
    return Built(cfg, None, model, trainer)


def build(cfg: Config, data: datasets.Dataset | None = None, mask=None,
          start: dict[int, float] | None = None) -> Built:
    """Dataset, network and trainer for ``cfg``. ``mask`` trains only the chosen parameters (exact surfaces);
    ``start`` sets chosen initial parameters {index: value} (a start point clicked on a surface)."""
    validate(cfg)
    if cfg.problem.function is not None:
        if start:
            point = list(make_function_trainer(cfg).net.params)
            for i, v in start.items():
                point[i] = v
            cfg = cfg.with_changes(problem={"start": tuple(point)})
        return make_function_trainer(cfg, mask)
    data = data or make_data(cfg)
    net = make_network(cfg, data)
    for i, v in (start or {}).items():
        net.params[i] = v
    return Built(cfg, data, net, make_trainer(cfg, data, net, mask))
