"""A lesson's parts as plain data, and how a step is done and checked: the Qt-free core under the lesson panel.

``gdsim.lab.lessons`` reads these from a teacher's TOML file; the app (and the tests, headless) apply a step's
``Setup``, ``perform`` its ``Action`` on the trainer, read ``signals_from`` the trainer and ``evaluate`` the
``Observation`` against them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from gdsim.engine import analysis
from gdsim.engine.trainer import STATUSES
from gdsim.lab import config as cfgmod
from gdsim.lab import config_check
from gdsim.lab.signals import Signals

PRESSES = ("step", "epoch", "run")
WORDS = {"status": STATUSES, "behaviour": analysis.BEHAVIOURS}
# the closed vocabulary of observations: kind -> what it measures (the ``param`` kinds need ``param``)
KINDS = {
    "status": "the run's status",
    "behaviour": "the run's behaviour label",
    "loss": "the loss at the current parameters",
    "param": "a parameter's value",
    "param_change": "how far a parameter moved during this step",
    "moved": "how many parameters changed during this step",
    "steps": "the run's step count",
    "eta_ratio": "η / (2/λmax)",
    "dead_relus": "the number of dead ReLU units",
    "grad_ratio": "‖∂L/∂W‖ of the first layer over the last",
}


@dataclass(frozen=True)
class Setup:
    preset: str | None = None  # None: change the current set-up
    changes: dict = field(default_factory=dict)  # {"training.lr": 1.0, ...}

    def apply(self, current: cfgmod.Config | None) -> cfgmod.Config:
        """The set-up's configuration: the preset (or ``current``, or the defaults) with the changes made."""
        cfg = cfgmod.load_preset(self.preset) if self.preset else current or cfgmod.Config()
        sections: dict[str, dict] = {}
        for key, value in self.changes.items():
            section, name = key.split(".", 1)
            sections.setdefault(section, {})[name] = value
        for section, values in sections.items():  # the types a TOML set-up must have, one line on a misfit
            sections[section] = config_check.section(section, type(getattr(cfg, section)), values)
        return cfg.with_changes(**sections)


@dataclass(frozen=True)
class Prediction:
    question: str
    answer: str | float
    explanation: str
    choices: tuple[str, ...] = ()  # empty: the answer is a number
    tolerance: float = 0.0

    def check(self, answer: str | float) -> bool:
        """Whether the student's answer is right (a choice's text, or a number within the tolerance)."""
        if self.choices:
            return str(answer).strip() == self.answer
        try:
            return abs(float(answer) - float(self.answer)) <= self.tolerance
        except (TypeError, ValueError):
            return False


@dataclass(frozen=True)
class Action:
    press: str  # step | epoch | run
    count: int = 1  # presses of Step / Epoch, or the epochs Run trains
    hint: str = ""

    @property
    def text(self) -> str:
        if self.hint:
            return self.hint
        if self.press == "run":
            return f"Press Run for {self.count} epoch{'s' if self.count != 1 else ''}."
        times = "once" if self.count == 1 else "twice" if self.count == 2 else f"{self.count} times"
        return f"Press {self.press.capitalize()} {times}."


@dataclass(frozen=True)
class Observation:
    kind: str
    passed: str  # feedback when the check passes
    failed: str  # feedback when it fails
    words: tuple[str, ...] = ()  # status / behaviour: any of these passes
    value: float | None = None
    tolerance: float = 1e-9
    below: float | None = None
    above: float | None = None
    param: str | int | None = None


@dataclass(frozen=True)
class Step:
    text: str
    setup: Setup | None = None
    predict: Prediction | None = None
    action: Action | None = None
    observe: Observation | None = None


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    summary: str
    steps: tuple[Step, ...]


# ---------------------------------------------------------------- checking an observation


def measure(obs: Observation, s: Signals) -> str | float:
    """What ``obs`` looks at, read off the signals (NaN when it cannot be measured here)."""
    if obs.kind in WORDS:
        return s.status if obs.kind == "status" else s.behaviour
    if obs.kind in ("param", "param_change"):
        i = s.index(obs.param) if obs.param is not None else None
        if i is None:
            return math.nan
        return s.theta[i] - (s.start[i] if obs.kind == "param_change" else 0.0)
    if obs.kind == "moved":
        return float(sum(a != b for a, b in zip(s.theta, s.start, strict=True)))
    return float({"loss": s.loss, "steps": s.steps, "eta_ratio": s.eta_ratio, "dead_relus": s.dead_relus,
                  "grad_ratio": s.grad_ratio}[obs.kind])


def evaluate(obs: Observation, signals: Signals) -> tuple[bool, str]:
    """(passed, feedback): the observation checked against the signals, its feedback text with ``{value}``
    replaced by what was measured."""
    got = measure(obs, signals)
    if isinstance(got, str):
        ok = got in obs.words
        shown = "stopped at the epoch limit" if got == "max_epochs" else got  # words, not the trainer's name
    else:
        ok = math.isfinite(got)
        if obs.value is not None:
            ok = ok and abs(got - obs.value) <= obs.tolerance
        if obs.below is not None:
            ok = ok and got < obs.below
        if obs.above is not None:
            ok = ok and got > obs.above
        shown = f"{got:.6g}" if math.isfinite(got) else "not measurable here"
    return ok, (obs.passed if ok else obs.failed).replace("{value}", shown)


def perform(action: Action, trainer) -> None:
    """Do what the student is asked to do, as the app's buttons do it: Step = one update, Epoch = the rest of
    the epoch, Run = ``count`` more epochs (or until the run converges, stalls or diverges)."""
    for _ in range(action.count if action.press != "run" else 1):
        if trainer.status == "diverged":
            return
        if action.press == "step":
            trainer.step()
        elif action.press == "epoch":
            trainer.run_epoch()
    if action.press == "run":
        trainer.resume()
        trainer.run(action.count)
