"""The theory behind η: curvature (Hessian-vector products, λmax, the 2/λmax limit) and run classification.

Why 2/λmax. Near a minimum the loss is a quadratic ½ θᵀHθ, and one gradient-descent step maps each eigen-
direction of H (eigenvalue λ) by θ ← (1 − ηλ)θ. That factor has magnitude below 1 only for 0 < ηλ < 2, so GD
diverges exactly when η > 2/λmax, and for 1/λmax < η < 2/λmax the factor is negative: the parameters jump
across the valley every step while the loss can still fall monotonically.

Behaviour rules used by ``classify`` judge the whole run (first match wins). ``losses`` is the loss per epoch
(per step for full batch and function mode), ``updates`` the parameter updates Δθ_t (or already the dot
products Δθ_t·Δθ_{t−1}), ``grad_norms`` the gradient norm per step. No rule divides by a loss, so zero and
negative values (function mode) are judged like any others:

1. ``diverged``: the run's status is ``diverged``, or the losses break the one divergence rule of
   ``gdsim.engine.divergence`` (non-finite, or more than 10× the start's size above the start for 5 checks).
2. ``oscillating``: at least ``FLIP_FRACTION`` (30 %) of successive updates reversed direction
   (Δθ_t·Δθ_{t−1} < 0), over the whole run or over its last half (a run that zig-zagged through its first
   half and one that ends bouncing both count) — whatever the loss did. With no updates recorded, loss
   *increases* are counted instead. (Mini-batch SGD at its noise floor also reverses: it is bouncing around
   the minimum.)
3. ``slow``: the run did not converge and had not settled when it ended. Settled means both: the last
   ``SLOW_TAIL`` (10 %) of the run reduced the loss by at most ``SLOW_PROGRESS`` (1 %) of the whole run's
   reduction, and the last gradient norm is at most ``SETTLE_GRAD`` (0.5 %) of the first (when gradient norms
   are known). A run that reduced nothing at all is slow too. (Adam at η = 0.001 on Rosenbrock crawls along
   the valley with its loss nearly flat but its gradient still 1 % of the start's: slow, not smooth.)
4. ``smooth``: everything else — the loss settled and the updates kept their direction.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from gdsim.engine import divergence
from gdsim.engine.cancel import check

SMOOTH, OSCILLATING, SLOW, DIVERGED = "smooth", "oscillating", "slow", "diverged"
BEHAVIOURS = (SMOOTH, OSCILLATING, SLOW, DIVERGED)

FLIP_FRACTION = 0.3
SLOW_TAIL = 0.1
SLOW_PROGRESS = 0.01
SETTLE_GRAD = 5e-3

# the rules of ``classify`` in words, for tooltips
BEHAVIOUR_TEXT = {
    DIVERGED: "diverged: " + divergence.RULE_TEXT.split(": ", 1)[1],
    OSCILLATING: f"oscillating: at least {FLIP_FRACTION:.0%} of successive updates reversed direction "
                 "(Δθ_t·Δθ_t−1 < 0), over the whole run or its last half: the parameters jump across the "
                 "valley, even if the loss still falls.",
    SLOW: f"slow: not converged and not settled at the end: the last {SLOW_TAIL:.0%} of the run still "
          f"lowered the loss by more than {SLOW_PROGRESS:.0%} of the whole run's drop, or the gradient is still "
          f"above {SETTLE_GRAD:g}× its start.",
    SMOOTH: "smooth: the loss settled (converged, or flat with a vanished gradient) and successive updates "
            "kept their direction.",
}


# ---------------------------------------------------------------- curvature

SADDLE_TOL = 1e-6  # λmin below −SADDLE_TOL·max|λ| is negative curvature, not rounding


class Curvature(NamedTuple):
    """The extreme eigenvalues of the loss Hessian at one point (both signed, λmin ≤ λmax)."""

    lam_max: float  # largest algebraic eigenvalue: the curvature that limits η (2/λmax)
    lam_min: float  # smallest algebraic eigenvalue: negative at a saddle (or any non-convex point)

    @property
    def saddle(self) -> bool:
        """Negative curvature: some direction goes downhill quadratically (a saddle, or a maximum)."""
        scale = max(abs(self.lam_max), abs(self.lam_min))
        return bool(self.lam_min < -SADDLE_TOL * scale)

    @property
    def limit(self) -> float:
        return stability_limit(self.lam_max)


def hessian_vector_product(net, X, t, loss: str, v) -> np.ndarray:
    """H·v at the model's current parameters, exactly: ``net.hvp`` (the R-operator for a Network, the symbolic
    Hessian for a FunctionModel). No step size, so nothing steps across a ReLU kink. ``t`` are targets
    already shaped by ``net.targets``. The parameters are not touched."""
    return np.asarray(net.hvp(X, t, loss, np.asarray(v, dtype=np.float64)), dtype=np.float64)


def extreme_eigenvalues(matvec, n: int, iters: int = 100, tol: float = 1e-8, seed: int = 0) -> Curvature:
    """The largest and smallest algebraic eigenvalues of a symmetric operator, by Lanczos.

    Why Lanczos and not power iteration: power iteration finds the largest *magnitude* eigenvalue, which on an
    indefinite Hessian (x² − 3y²: −6) is the wrong one for the stability edge, and it stalls on ± ties. Lanczos
    builds the Krylov space of ``matvec`` from a seeded random start (full reorthogonalisation: the spaces here
    are small) and reads both ends of the spectrum off the small tridiagonal matrix T. It stops when both
    extreme Ritz pairs have residual ‖Hy − θy‖ = β|s_last| ≤ tol·max|θ|, or after ``iters`` products, or
    when the space is the whole parameter space (then the values are exact up to rounding).
    """
    if n == 0:
        return Curvature(0.0, 0.0)
    k_max = max(1, min(int(n), int(iters)))
    rng = np.random.default_rng(seed)
    Q = np.zeros((k_max, n))
    q = rng.standard_normal(n)
    q /= np.linalg.norm(q)
    alphas: list[float] = []
    betas: list[float] = []
    beta = 0.0
    theta, scale = np.zeros(1), 1e-300
    for j in range(k_max):
        Q[j] = q
        w = np.asarray(matvec(q), dtype=np.float64)
        if not np.all(np.isfinite(w)):
            return Curvature(math.nan, math.nan)
        alphas.append(float(q @ w))
        w = w - alphas[-1] * q - (beta * Q[j - 1] if j else 0.0)
        for _ in range(2):  # full reorthogonalisation, twice is enough
            w -= Q[:j + 1].T @ (Q[:j + 1] @ w)
        beta = float(np.linalg.norm(w))
        if j + 1 == k_max or j < 8 or j % 4 == 0:  # T's eigenproblem is cheap, but not free at every step
            T = np.diag(alphas) + np.diag(betas, 1) + np.diag(betas, -1)
            theta, S = np.linalg.eigh(T)
            scale = max(float(np.abs(theta).max()), 1e-300)
            if j + 1 == k_max or beta * max(abs(S[-1, 0]), abs(S[-1, -1])) <= tol * scale:
                break
        if beta <= 1e-12 * scale:  # an invariant subspace: carry on from a fresh direction orthogonal to it
            w = rng.standard_normal(n)
            for _ in range(2):
                w -= Q[:j + 1].T @ (Q[:j + 1] @ w)
            beta_next, beta = 0.0, 0.0
            w /= np.linalg.norm(w)
        else:
            beta_next = beta
            w /= beta
        betas.append(beta_next)
        q = w
    return Curvature(float(theta[-1]), float(theta[0]))


def curvature_shaped(net, X, t, loss: str, iters: int = 100, tol: float = 1e-8, seed: int = 0,
                     weight_decay: float = 0.0, cancel=None) -> Curvature:
    """λmax and λmin of the loss Hessian (plus ``weight_decay``·I, the L2 term's curvature) at the current
    parameters, for targets already shaped (what a Trainer holds as ``trainer.t``). ``cancel()`` is asked
    before each Hessian-vector product (``cancel.Cancelled``): on a big data set the estimate takes seconds."""
    def matvec(v):
        check(cancel)
        hv = hessian_vector_product(net, X, t, loss, v)
        return hv + weight_decay * v if weight_decay else hv

    with np.errstate(all="ignore"):
        return extreme_eigenvalues(matvec, int(np.size(net.params)), iters=iters, tol=tol, seed=seed)


def top_eigenvalue_shaped(net, X, t, loss: str, iters: int = 100, tol: float = 1e-8, seed: int = 0,
                          weight_decay: float = 0.0, cancel=None) -> float:
    """``top_hessian_eigenvalue`` for targets already shaped."""
    return curvature_shaped(net, X, t, loss, iters, tol, seed, weight_decay, cancel).lam_max


def top_hessian_eigenvalue(net, X, y, loss: str, iters: int = 100, tol: float = 1e-8, seed: int = 0,
                           weight_decay: float = 0.0) -> float:
    """λmax, the largest algebraic eigenvalue of the loss Hessian: the curvature behind the 2/λmax limit.

    Negative eigenvalues never limit η (along them GD moves away, at any η), so on x² − 3y² this is 2, not
    −6. ``y`` are raw labels or targets (shaped with ``net.targets``). See ``extreme_eigenvalues``.
    """
    t = net.targets(y, loss)
    return top_eigenvalue_shaped(net, X, t, loss, iters=iters, tol=tol, seed=seed, weight_decay=weight_decay)


def stability_limit(lam: float) -> float:
    """2/λmax: the largest η plain gradient descent can take at this curvature (``inf`` when λmax ≤ 0).

    On a quadratic, each eigen-direction is scaled by (1 − ηλ) per step: GD diverges exactly when η > 2/λmax,
    and oscillates (the step flips sign every iteration, crossing the valley) when 1/λmax < η < 2/λmax, even
    while the loss still decreases. Below 1/λmax the approach is monotone. Non-quadratic losses follow the rule
    locally, with λmax changing as training moves.
    """
    lam = float(lam)
    if math.isnan(lam):
        return math.nan
    return 2.0 / lam if lam > 0 else math.inf


# ---------------------------------------------------------------- behaviour

def update_agreements(updates) -> np.ndarray:
    """Δθ_t·Δθ_{t−1} for consecutive rows of an (T, P) array of updates -> (T−1,)."""
    u = np.asarray(updates, dtype=np.float64)
    if u.ndim != 2 or u.shape[0] < 2:
        return np.zeros(0)
    return np.einsum("ij,ij->i", u[1:], u[:-1])


def flip_fraction(updates, whole: bool = False) -> float:
    """The share of successive updates that reversed direction over the last half (``whole``: the whole run);
    NaN when none were recorded.

    ``updates``: (T, P) update vectors, or a 1-D sequence of the dot products Δθ_t·Δθ_{t−1} (only their signs
    matter). A zero product (a zero step) is not a flip.
    """
    if updates is None:
        return math.nan
    u = np.asarray(updates, dtype=np.float64)
    dots = update_agreements(u) if u.ndim == 2 else u.reshape(-1)
    if not whole:
        dots = dots[dots.size // 2:]
    dots = dots[np.isfinite(dots)]
    if dots.size == 0:
        return math.nan
    return float(np.count_nonzero(dots < 0) / dots.size)


def _rise_share(L: np.ndarray, whole: bool) -> float:
    d = np.diff(L if whole or L.size < 6 else L[L.size // 2:])
    return float(np.count_nonzero(d > 0) / d.size) if d.size else math.nan


def _settled(L: np.ndarray, grad_norms) -> bool:
    total = float(L[0] - L[-1])
    tail_start = float(L[max(0, min(L.size - 2, int(math.floor((1 - SLOW_TAIL) * (L.size - 1)))))])
    if total <= 0 or tail_start - float(L[-1]) > SLOW_PROGRESS * total:
        return False
    g = np.asarray([] if grad_norms is None else grad_norms, dtype=np.float64).reshape(-1)
    g = g[np.isfinite(g)]
    return g.size < 2 or g[-1] <= SETTLE_GRAD * g[0]


def classify(losses, updates=None, status: str | None = None, grad_norms=None) -> str:
    """``smooth``, ``oscillating``, ``slow`` or ``diverged`` by the rules in this module's docstring."""
    L = np.asarray(losses, dtype=np.float64).reshape(-1)
    if status == "diverged" or divergence.first_divergence(L) is not None:
        return DIVERGED
    if L.size == 0:
        return SMOOTH if status == "converged" else SLOW
    shares = [flip_fraction(updates), flip_fraction(updates, whole=True)]
    if all(math.isnan(f) for f in shares) and L.size > 2:
        shares = [_rise_share(L, whole=False), _rise_share(L, whole=True)]
    if any(f >= FLIP_FRACTION for f in shares if not math.isnan(f)):
        return OSCILLATING
    if status != "converged" and not _settled(L, grad_norms):
        return SLOW
    return SMOOTH
