"""What the app asks the worker to analyse: a comparison or an η sweep, as typed requests. No Qt.

The worker runs a request in its thread with ``request.run(progress, cancel)``; the same call works in a test
without any thread. ``problem`` is the problem key (``gdsim.lab.state``) the request was made under, so its
result can be filed with the problem it belongs to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gdsim.lab import compare
from gdsim.lab.config import Config

Progress = Callable[[int, int], None]
Cancel = Callable[[], bool]


@dataclass(frozen=True)
class CompareRequest:
    """Race runs from the same initial weights: several η (``mode="lr"``), optimizers or start points."""

    config: Config
    values: tuple  # η values, optimizer names or start points (tuples of coordinates)
    epochs: int
    mode: str = "lr"  # "lr" | "optimizer" | "start"
    target: float | None = None  # loss to reach: the table counts epochs to it
    default_lr: bool = False  # optimizers: each at its own default η
    problem: str = ""
    kind = "compare"

    @classmethod
    def from_panel(cls, d: dict, config: Config, problem: str = "") -> CompareRequest:
        """From the comparison panel's request (a dict of what the user chose)."""
        values = tuple(tuple(v) if isinstance(v, (list, tuple)) else v for v in d["values"])
        return cls(config, values, int(d["epochs"]), d.get("mode") or "lr", d.get("target"),
                   bool(d.get("default_lr")), problem)

    def run(self, progress: Progress | None = None, cancel: Cancel | None = None) -> compare.ComparisonResult:
        if self.mode == "start":
            variants = [compare.Variant(f"start ({', '.join(f'{v:g}' for v in p)})", {"start": tuple(p)})
                        for p in self.values]
            return compare.run_comparison(self.config, variants, self.epochs, progress, cancel, target=self.target)
        if self.mode == "optimizer":
            return compare.compare_optimizers(self.config, list(self.values), self.epochs,
                                              default_lr=self.default_lr, progress=progress, cancel=cancel,
                                              target=self.target)
        return compare.compare_lrs(self.config, list(self.values), self.epochs, progress=progress, cancel=cancel,
                                   target=self.target)


@dataclass(frozen=True)
class SweepRequest:
    """Final loss against η over a range of η values, each run from the same initial weights."""

    config: Config
    lrs: tuple[float, ...]
    epochs: int
    problem: str = ""
    kind = "sweep"

    @classmethod
    def from_panel(cls, d: dict, config: Config, problem: str = "") -> SweepRequest:
        return cls(config, tuple(float(x) for x in d["lrs"]), int(d["epochs"]), problem)

    def run(self, progress: Progress | None = None, cancel: Cancel | None = None) -> compare.ComparisonResult:
        return compare.run_sweep(self.config, list(self.lrs), self.epochs, progress, cancel)


AnalysisRequest = CompareRequest | SweepRequest

