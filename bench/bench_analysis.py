"""Curvature and comparison timing: an exact Hessian-vector product (R-operator) and λmax/λmin by Lanczos
against one gradient, and a learning-rate sweep against the same runs done with plain ``Trainer.run`` (what
recording update signs costs). Theory: an R-operator HVP is one forward-mode pass through forward and backward,
about 2-4 gradients' worth of work.

Reference workload: 2-8-8-1, tanh hidden, sigmoid output, BCE, 200 samples (XOR preset data), float64.
Run: python bench/bench_analysis.py [--repeats N]
"""

from __future__ import annotations

import argparse
import time

from gdsim.engine import analysis
from gdsim.lab import compare
from gdsim.lab import config as cfgmod


def best_time(fn, repeats: int):
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="best of N runs (default 5)")
    args = parser.parse_args(argv)
    cfg = cfgmod.load_preset("xor").with_changes(network={"hidden": (8, 8)})
    built = cfgmod.build(cfg)
    tr = built.trainer
    net, X, t, loss = tr.net, tr.X, tr.t, tr.loss_name

    t_grad, _ = best_time(lambda: net.forward_backward(X, t, loss), args.repeats * 20)
    v = net.params.copy()
    t_hvp, _ = best_time(lambda: analysis.hessian_vector_product(net, X, t, loss, v), args.repeats * 20)
    t_lam, c = best_time(lambda: analysis.curvature_shaped(net, X, t, loss), args.repeats)
    print(f"P = {net.n_params}, n = {X.shape[0]}")
    print(f"gradient          {t_grad * 1e6:9.1f} µs")
    print(f"HVP (R-operator)  {t_hvp * 1e6:9.1f} µs   ratio HVP/gradient {t_hvp / t_grad:5.2f}")
    print(f"λmax, λmin        {t_lam * 1e3:9.2f} ms   = {t_lam / t_hvp:5.1f} HVPs; λmax = {c.lam_max:.4g}, "
          f"λmin = {c.lam_min:.4g}, 2/λmax = {c.limit:.4g}")

    lrs, epochs = compare.default_lrs(), 300

    def plain():
        for lr in lrs:
            cfgmod.build(cfg.with_changes(training={"lr": lr, "epochs": epochs})).trainer.run(epochs)

    t_plain, _ = best_time(plain, args.repeats)
    t_sweep, _ = best_time(lambda: compare.sweep(cfg, lrs, epochs), args.repeats)
    print(f"sweep of {len(lrs)} η × {epochs} epochs: {t_sweep * 1e3:8.1f} ms; plain runs {t_plain * 1e3:8.1f} ms; "
          f"ratio {t_sweep / t_plain:5.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
