"""Sharpness (λmax of the loss Hessian) tracked as training goes: the edge-of-stability monitor.

Cohen et al. (2021) found that full-batch GD drives λmax up ("progressive sharpening") until it reaches 2/η
and then hovers there ("the edge of stability"). Seeing that needs λmax along the run, not once.

Each reading is Lanczos on exact Hessian-vector products (``analysis.hessian_vector_product``) over the whole
training set, warm-started from the last reading's top eigenvector: the top direction moves little between
readings, so a warm start needs a few products where a cold one needs tens. (Lanczos rather than power
iteration for the reasons given in ``analysis.extreme_eigenvalues``: it finds the largest *algebraic*
eigenvalue, the one that limits η, and does not stall on ± ties.)

Cost is bounded, and deterministic. A reading of m products costs about m·``HVP_COST`` steps' worth of work
scaled by (training rows / batch rows); after each reading the monitor waits until training has done
1/``SHARE`` times that work, so λmax takes at most about ``SHARE`` of the time whatever the model. The steps
at which readings fall depend only on the products counted, never on a clock, so the same run gives the same
series in the CLI, the app and the tests. bench/bench_sharpness.py measures the share actually spent.
"""

from __future__ import annotations

import math

import numpy as np

from gdsim.engine import analysis

SHARE = 0.1  # λmax readings take at most ~10 % of the training time
HVP_COST = 3.0  # one reading's product ≈ 3 training steps over the same rows (HVP alone: 0.5-1.5; Lanczos adds)
WARM_MIX = 0.01  # a warm start is the last eigenvector plus this much of a random direction (never invariant)


def top_eigenpair(matvec, n: int, start: np.ndarray | None = None, iters: int = 100, tol: float = 1e-6,
                  rng: np.random.Generator | None = None) -> tuple[float, np.ndarray, int]:
    """(λmax, its unit eigenvector, products used) of a symmetric operator by Lanczos from ``start``.

    Full reorthogonalisation (the spaces are small); stops when the top Ritz pair's residual
    ‖Hy − θy‖ = β|s_last| is at most ``tol``·|θ|, the space is the whole parameter space, or after ``iters``.
    The eigenvalue's error is about the residual squared over the gap to the next one: ``tol`` = 10⁻⁶ leaves
    λmax within ~10⁻¹² of the converged value on the presets (tests/engine/test_sharpness.py checks 10⁻⁶).
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    k_max = max(1, min(int(n), int(iters)))
    noise = rng.standard_normal(n)
    q = noise if start is None else np.asarray(start, dtype=np.float64) + WARM_MIX * noise / np.linalg.norm(noise)
    q = q / np.linalg.norm(q)
    Q = np.zeros((k_max, n))
    alphas: list[float] = []
    betas: list[float] = []
    beta = 0.0
    theta, S = np.zeros(1), np.ones((1, 1))
    for j in range(k_max):
        Q[j] = q
        w = np.asarray(matvec(q), dtype=np.float64)
        if not np.all(np.isfinite(w)):
            return math.nan, q, j + 1
        alphas.append(float(q @ w))
        w = w - alphas[-1] * q - (beta * Q[j - 1] if j else 0.0)
        for _ in range(2):
            w -= Q[:j + 1].T @ (Q[:j + 1] @ w)
        beta = float(np.linalg.norm(w))
        T = np.diag(alphas) + np.diag(betas, 1) + np.diag(betas, -1)
        theta, S = np.linalg.eigh(T)
        scale = max(abs(float(theta[-1])), 1e-300)
        if j + 1 == k_max or beta * abs(S[-1, -1]) <= tol * scale:
            break
        if beta <= 1e-12 * max(float(np.abs(theta).max()), 1e-300):  # invariant subspace: a fresh direction
            w = rng.standard_normal(n)
            for _ in range(2):
                w -= Q[:j + 1].T @ (Q[:j + 1] @ w)
            betas.append(0.0)
            beta = 0.0
            q = w / np.linalg.norm(w)
            continue
        betas.append(beta)
        q = w / beta
    k = len(alphas)
    vec = Q[:k].T @ S[:, -1]
    return float(theta[-1]), vec / np.linalg.norm(vec), k


class SharpnessMonitor:
    """λmax readings ``series`` [(step, λmax)] of one trainer, every k steps with k set by the cost budget
    (``every`` fixes k instead). Call ``after_step(trainer)`` after each step; ``Trainer.track_sharpness``
    does this for you."""

    def __init__(self, share: float = SHARE, every: int | None = None, tol: float = 1e-6, seed: int = 0):
        if not 0 < share <= 1:
            raise ValueError(f"the sharpness share must be in (0, 1], got {share}")
        if every is not None and int(every) < 1:
            raise ValueError(f"sharpness every K steps needs K ≥ 1, got {every}")
        self.share = float(share)
        self.every = None if every is None else int(every)
        self.tol = tol
        self.rng = np.random.default_rng(seed)
        self.series: list[tuple[int, float]] = []
        self.used: list[int] = []  # Hessian-vector products each reading took (the cost that sets k)
        self._vec: np.ndarray | None = None
        self._wait = 0.0  # training work (in full-data steps) still to do before the next reading

    def measure(self, trainer) -> float:
        """Read λmax at the trainer's current parameters now, and record it at its step."""
        net, X, t, loss = trainer.net, trainer.X, trainer.t, trainer.loss_name
        wd = trainer.optimizer.weight_decay

        def matvec(v):
            hv = analysis.hessian_vector_product(net, X, t, loss, v)
            return hv + wd * v if wd else hv

        with np.errstate(all="ignore"):
            lam, vec, used = top_eigenpair(matvec, int(np.size(net.params)), self._vec, tol=self.tol, rng=self.rng)
        self.used.append(used)
        if math.isfinite(lam):
            self._vec = vec
            self.series.append((int(trainer.step_count), lam))
        self._wait = used * HVP_COST / self.share
        return lam

    def after_step(self, trainer) -> None:
        if self.every is not None:
            if trainer.step_count % self.every == 0:
                self.measure(trainer)
            return
        rows = trainer.X.shape[0]
        self._wait -= (trainer.batch_size or rows) / rows  # a step's work, in full-data steps
        if self._wait <= 0:
            self.measure(trainer)
