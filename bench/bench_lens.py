"""Neuron lens cost per frame (40×40 grid) against one training step of the same network on its data.

The lens runs in the worker once per frame while the network graph is on screen, so it must stay small beside a
frame's budget (goal ≤ 5 ms) whatever the step rate. Workloads: 2-4-1 tanh/sigmoid on XOR and 2-(16×6)-1 tanh on
the spiral, BCE, 200 samples (160 for training), full batch; and the same with mini-batches of 10, where the lens
needs a forward pass over the data as well as one over the batch. The parts: the grid's forward pass (the maps)
and the rest (forward over the data, backward on the batch, levels, dead mask).
The table is measured twice and the second pass printed: in a fresh process glibc maps and unmaps each ~200 KB
grid temporary of the 16-wide network (page faults: its 6×16 lens measured ~2.4 ms instead of ~0.9 ms) until its
mmap threshold adapts, which a long-running worker does within its first frames.
Run: python bench/bench_lens.py [--repeats N]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from gdsim.engine import datasets, lens
from gdsim.engine.network import Network
from gdsim.engine.trainer import Trainer


def best_time(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def trainer(data: str, hidden: tuple[int, ...], batch_size: int | None) -> Trainer:
    ds = datasets.make_dataset(data, n=200, seed=0)
    net = Network([2, *hidden, 1], ["tanh"] * len(hidden) + ["sigmoid"], seed=0)
    return Trainer(net, ds.X_train, ds.y_train, loss="bce", optimizer="adam", lr=0.01, batch_size=batch_size)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50, help="best of N runs (default 50)")
    args = parser.parse_args(argv)
    rows = []
    for _ in range(2):  # warm-up pass, then the measured one (see the docstring)
        rows = []
        for data, hidden in (("xor", (4,)), ("spiral", (16,) * 6)):
            for batch in (None, 10):
                tr = trainer(data, hidden, batch)
                for _ in range(20):
                    tr.step()
                t_step = best_time(tr.step, args.repeats)
                t_lens = best_time(lambda tr=tr: lens.trainer_lens(tr), args.repeats)
                extent = lens.plane_extent(tr.X)
                t_grid = best_time(lambda tr=tr, e=extent: lens.neuron_maps(tr.net, e), args.repeats)
                name = "2-" + "-".join(map(str, hidden)) + "-1" if len(hidden) < 3 else "2-16×6-1"
                rows.append(f"{name:<16}{batch or 'full':>6}{t_step * 1e3:>8.3f}ms{t_lens * 1e3:>8.3f}ms"
                            f"{t_grid * 1e3:>9.3f}ms{t_lens / t_step:>10.1f}×")
    print(f"{'network':<16}{'batch':>6}{'step':>10}{'lens':>10}{'grid pass':>11}{'lens/step':>11}")
    print("\n".join(rows))
    print(f"grid {lens.MAX_GRID}×{lens.MAX_GRID}; numpy {np.__version__}; best of {args.repeats}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
