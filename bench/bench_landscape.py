"""Loss-surface timing: surface_2d against a per-point loop (set_params on a copy, then net.loss).

Reference workload: 2-8-8-1, tanh hidden, sigmoid output, BCE, 200 samples (2 features), float64.
Targets: a 101×101 surface at least 2x faster than the loop and under 0.3 s.
Run: python bench/bench_landscape.py [--repeats N]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from gdsim.engine.landscape import directions, surface_2d
from gdsim.engine.network import Network

N, LOSS = 200, "bce"


def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.float64)
    return X, y


def best_time(fn, repeats: int) -> tuple[float, np.ndarray]:
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def per_point_loop(net, X, y, center, d1, d2, alphas, betas) -> np.ndarray:
    """The reference: one forward pass per grid point on a copy of the network."""
    other = net.copy()
    S = np.empty((alphas.size, betas.size))
    for i, a in enumerate(alphas):
        for j, b in enumerate(betas):
            other.set_params(center + a * d1 + b * d2)
            S[i, j] = other.loss(X, y, LOSS)
    return S


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="best of N runs (default 5)")
    args = parser.parse_args(argv)
    X, y = data()
    net = Network([2, 8, 8, 1], ["tanh", "tanh", "sigmoid"], seed=0)
    center = net.params.copy()
    d1, d2, _ = directions(net, "random", seed=0)
    l1, l2, _ = directions(net, "random", seed=0, layers=[-1])
    fine, coarse = np.linspace(-1, 1, 101), np.linspace(-1, 1, 25)
    K = fine.size**2
    A, B = np.meshgrid(fine, fine, indexing="ij")
    thetas = center + A.reshape(-1, 1) * d1 + B.reshape(-1, 1) * d2

    rows = []
    t_loop, S_loop = best_time(lambda: per_point_loop(net, X, y, center, d1, d2, fine, fine),
                               max(1, args.repeats // 2))
    rows.append(("per-point loop, 101x101", t_loop))
    t_batch, S_batch = best_time(lambda: net.loss_batch(thetas, X, y, LOSS), args.repeats)
    rows.append(("Network.loss_batch, default chunk, 101x101", t_batch))
    t_rand, S_rand = best_time(lambda: surface_2d(net, X, y, LOSS, center, d1, d2, fine, fine), args.repeats)
    rows.append(("surface_2d, random directions, 101x101", t_rand))
    t_last, S_last = best_time(lambda: surface_2d(net, X, y, LOSS, center, l1, l2, fine, fine), args.repeats)
    rows.append(("surface_2d, last layer only (cached), 101x101", t_last))
    t_coarse, _ = best_time(lambda: surface_2d(net, X, y, LOSS, center, d1, d2, coarse, coarse), args.repeats)
    rows.append(("surface_2d, random directions, 25x25", t_coarse))

    print(f"workload: 2-8-8-1 tanh/sigmoid, BCE, {N} samples, {net.n_params} parameters, "
          f"best of {args.repeats}; speed-up = loop time per grid point / method time per grid point")
    print(f"{'method':48s} {'time (s)':>10s} {'us/point':>9s} {'speed-up':>9s}")
    loop_per_point = t_loop / K
    for name, t in rows:
        per_point = t / (coarse.size**2 if "25x25" in name else K)
        print(f"{name:48s} {t:10.4f} {1e6 * per_point:9.2f} {loop_per_point / per_point:8.1f}x")
    err = np.abs(S_rand - S_loop).max()
    err_last = np.abs(S_last - per_point_loop(net, X, y, center, l1, l2, fine, fine)).max()
    print(f"max |surface_2d - loop|: random {err:.1e}, last layer {err_last:.1e}; "
          f"loss_batch vs loop {np.abs(S_batch.reshape(S_loop.shape) - S_loop).max():.1e}")
    ok = t_loop / t_rand >= 2 and t_rand <= 0.3
    print(f"target (101x101, random directions: >= 2x the loop, <= 0.3 s): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
