"""The edge-of-stability monitor's cost: the share of a training run spent reading λmax.

For each workload the run is timed twice from the same start: plain, and with ``Trainer.track_sharpness()``
(default budget ``sharpness.SHARE``); the time inside the λmax readings is measured directly. Prints the
readings, Hessian-vector products per reading (a warm start needs fewer than a cold one), and the share.
Run: python bench/bench_sharpness.py [--repeats N]
"""

from __future__ import annotations

import argparse
import time

from gdsim.engine import sharpness
from gdsim.lab import config as cfgmod

WORKLOADS = [("xor", {"lr": 8.0}, 1000), ("package", {}, 500), ("sine", {}, 500), ("spiral", {}, 60),
             ("vanishing_sigmoid", {}, 300), ("circles", {}, 1000)]


def timed_run(name: str, training: dict, epochs: int, track: bool) -> tuple[float, float, object]:
    cfg = cfgmod.load_preset(name).with_changes(training={**training, "tol": 0.0})
    trainer = cfgmod.build(cfg).trainer
    spent = [0.0]
    monitor = None
    if track:
        original = sharpness.SharpnessMonitor.measure

        def measure(self, tr):
            t0 = time.perf_counter()
            try:
                return original(self, tr)
            finally:
                spent[0] += time.perf_counter() - t0

        sharpness.SharpnessMonitor.measure = measure
        try:
            t0 = time.perf_counter()
            trainer.track_sharpness()
            trainer.run(epochs)
            total = time.perf_counter() - t0
        finally:
            sharpness.SharpnessMonitor.measure = original
        monitor = trainer.sharpness
    else:
        t0 = time.perf_counter()
        trainer.run(epochs)
        total = time.perf_counter() - t0
    return total, spent[0], monitor


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="best of N runs (default 3)")
    args = parser.parse_args(argv)
    print(f"budget SHARE = {sharpness.SHARE:.0%}, HVP_COST = {sharpness.HVP_COST:g}")
    print(f"{'workload':<22}{'last at':>8}{'readings':>9}{'HVP/read':>9}{'plain s':>9}{'tracked s':>10}"
          f"{'in λmax':>9}{'share':>7}{'slowdown':>9}")
    for name, training, epochs in WORKLOADS:
        plain = min(timed_run(name, training, epochs, False)[0] for _ in range(args.repeats))
        best = min((timed_run(name, training, epochs, True) for _ in range(args.repeats)), key=lambda r: r[0])
        total, spent, monitor = best
        steps = monitor.series[-1][0] if monitor.series else 0
        n = len(monitor.series)
        print(f"{name:<22}{steps:>8}{n:>9}{sum(monitor.used) / max(n, 1):>9.1f}{plain:>9.3f}{total:>10.3f}"
              f"{spent:>9.3f}{spent / total:>7.1%}{total / plain:>9.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
