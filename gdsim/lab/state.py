"""What the app holds between events: the current problem and the results that belong to it. No Qt.

A comparison or a sweep is only meaningful on the loss landscape it was computed on, so every result is tagged
with the *problem key* of the set-up it ran on. The key names the landscape: the data (its numbers, not only
its name: points drawn into the same CSV change it), the architecture and the loss; η, the optimizer, the
seed of the initial weights and a chosen start point leave it alone. A result whose key is not the current one
belongs to another problem, and ``results_for_current`` / ``stale_results`` tell them apart.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from gdsim.engine.datasets import Dataset
from gdsim.lab.config import Config
from gdsim.lab.snapshot import Snapshot


def problem_key(cfg: Config, data: Dataset | None) -> str:
    """A short fingerprint of the loss landscape ``cfg`` trains on (see the module docstring)."""
    h = hashlib.sha1()
    net = cfg.network
    landscape = (replace(cfg.problem, start=None), net.hidden, net.hidden_activations(), net.output,
                 cfg.training.loss, cfg.training.weight_decay)
    h.update(repr(landscape).encode())
    if data is not None:
        for a in (data.X_train, data.y_train, data.X_test, data.y_test):
            h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class Result:
    """A comparison or sweep result and the problem it was computed for."""

    kind: str  # "compare" | "sweep"
    problem: str  # the problem key at the time of the request
    value: Any


@dataclass
class AppState:
    """The app's state, read and written by the controllers; the panels only show it."""

    config: Config | None = None
    data: Dataset | None = None
    problem: str = ""  # the current problem key ("" before the first set-up)
    snapshot: Snapshot | None = None  # the newest snapshot from the worker
    frames_drawn: int = 0
    lam: float | None = None  # λmax at the current parameters, from the worker
    exact_indices: tuple[int, ...] = ()  # parameters trained alone (exact mode); () = all
    start_override: dict[int, float] = field(default_factory=dict)  # initial values picked on a surface
    scrubbing: bool = False  # the user is looking back through history: the pictures do not follow the run
    errors: list[str] = field(default_factory=list)  # every message shown to the user, newest last
    results: list[Result] = field(default_factory=list)

    def set_problem(self, config: Config, data: Dataset | None) -> bool:
        """Take a new set-up; True when it is another problem (its key changed)."""
        key = problem_key(config, data)
        changed = key != self.problem
        self.config, self.data, self.problem = config, data, key
        return changed

    def clear_exact(self) -> None:
        """Train every parameter again, from the set-up's own initial values."""
        self.exact_indices, self.start_override = (), {}

    def add_result(self, kind: str, value: Any, problem: str | None = None) -> Result:
        """Keep a result; ``problem`` is the key it was requested under (default: the current one). One result
        per kind and problem: a new comparison replaces the last one on the same problem."""
        result = Result(kind, self.problem if problem is None else problem, value)
        self.results = [r for r in self.results if (r.kind, r.problem) != (kind, result.problem)] + [result]
        return result

    def results_for_current(self, kind: str | None = None) -> list[Result]:
        return [r for r in self.results if r.problem == self.problem and kind in (None, r.kind)]

    def stale_results(self, kind: str | None = None) -> list[Result]:
        """Results computed for another problem than the current one."""
        return [r for r in self.results if r.problem != self.problem and kind in (None, r.kind)]

    def latest(self, kind: str) -> Result | None:
        """The newest result of ``kind`` for the current problem, if any."""
        mine = self.results_for_current(kind)
        return mine[-1] if mine else None
