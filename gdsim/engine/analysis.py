"""The theory behind η: curvature (Hessian-vector products, λmax, the 2/λmax limit) and run classification.

Why 2/λmax. Near a minimum the loss is a quadratic ½ θᵀHθ, and one gradient-descent step maps each eigen-
direction of H (eigenvalue λ) by θ ← (1 − ηλ)θ. That factor has magnitude below 1 only for 0 < ηλ < 2, so GD
diverges exactly when η > 2/λmax, and for 1/λmax < η < 2/λmax the factor is negative: the parameters jump
across the valley every step while the loss can still fall monotonically.

Behaviour rules used by ``classify`` (first match wins). ``losses`` is the loss per epoch (per step for full
batch and function mode), ``updates`` the parameter updates Δθ_t (or already the dot products Δθ_t·Δθ_{t−1}):

1. ``diverged``: the run's status is ``diverged``, or any loss is NaN/±inf, or the final loss has grown beyond
   ``DIVERGE_FACTOR`` (10³) times the first in magnitude, |L_end| > 10³·max(|L_0|, 10⁻⁸). A finite 1e60 is
   divergence too; so is a function-mode loss running off to −1e60.
2. ``oscillating``: over the last half of the recorded updates, the fraction of successive pairs whose dot
   product Δθ_t·Δθ_{t−1} is negative (the step reversed direction) is at least ``FLIP_FRACTION`` (0.3) —
   whatever the loss did. With no updates recorded, the fraction of loss *increases* over the last half of the
   run is used instead. (Mini-batch SGD sitting at its noise floor also takes reversing steps and is called
   oscillating: it is bouncing around the minimum.)
3. ``slow``: the run did not converge (status is not ``converged``), the final loss is still above
   ``SLOW_REMAINING`` (10 %) of the first, and the loss is still moving: the last ``SLOW_TAIL`` (10 %) of the
   run reduced it by more than ``SLOW_PROGRESS`` (1 %) of the whole run's reduction, or the run made no
   reduction at all.
4. ``smooth``: everything else — the loss settled and the updates kept their direction.
"""

from __future__ import annotations

import math

import numpy as np

SMOOTH, OSCILLATING, SLOW, DIVERGED = "smooth", "oscillating", "slow", "diverged"
BEHAVIOURS = (SMOOTH, OSCILLATING, SLOW, DIVERGED)

DIVERGE_FACTOR = 1e3
DIVERGE_FLOOR = 1e-8  # losses below this count as zero when judging growth
FLIP_FRACTION = 0.3
SLOW_REMAINING = 0.1
SLOW_TAIL = 0.1
SLOW_PROGRESS = 0.01


# ---------------------------------------------------------------- curvature

def _set(net, theta: np.ndarray) -> None:
    if hasattr(net, "set_params"):
        net.set_params(theta)
    else:
        net.params[...] = theta


def _grad(net, X, t, loss: str) -> np.ndarray:
    return np.array(net.forward_backward(X, t, loss)[1], dtype=np.float64)


def default_eps(params: np.ndarray) -> float:
    """The finite-difference step: ε_mach^(1/3)·max(1, ‖θ‖), the balance point of the two errors below."""
    return float(np.finfo(np.float64).eps ** (1 / 3) * max(1.0, float(np.linalg.norm(params))))


def hessian_vector_product(net, X, t, loss: str, v, eps: float | None = None) -> np.ndarray:
    """H·v at the network's current parameters, by central differences of gradients.

    Hv ≈ ‖v‖·(∇L(θ + h·u) − ∇L(θ − h·u)) / 2h with u = v/‖v‖ and h = ``eps`` (default ``default_eps``:
    ε_mach^(1/3)·max(1, ‖θ‖) ≈ 6·10⁻⁶·max(1, ‖θ‖)). Accuracy: the truncation error is h²/6·∇³L[u, u, ·] and
    the rounding error about ε_mach·‖∇L‖/h, both near 10⁻¹⁰ relative for smooth losses at this h (measured:
    3·10⁻¹¹ against PyTorch's exact Hessian-vector product on a 2-3-1 tanh network). For a loss quadratic in θ
    (a linear model with MSE) the gradient is linear, so the difference is exact up to rounding.
    ``t`` are targets already shaped by ``net.targets``.

    Works on ``net.copy()`` when the model has one; otherwise the parameters are restored bit for bit.
    """
    v = np.asarray(v, dtype=np.float64)
    params = np.array(net.params, dtype=np.float64)
    if v.shape != params.shape:
        raise ValueError(f"v has shape {v.shape}, the parameters {params.shape}")
    norm = float(np.linalg.norm(v))
    if norm == 0.0:
        return np.zeros_like(params)
    u = v / norm
    h = default_eps(params) if eps is None else float(eps)
    if not (math.isfinite(h) and h > 0):
        raise ValueError(f"eps must be a positive finite number, got {eps}")
    work = net.copy() if hasattr(net, "copy") else net
    try:
        _set(work, params + h * u)
        g_plus = _grad(work, X, t, loss)
        _set(work, params - h * u)
        g_minus = _grad(work, X, t, loss)
    finally:
        if work is net:
            _set(net, params)
    return (g_plus - g_minus) * (norm / (2.0 * h))


def top_eigenvalue_shaped(net, X, t, loss: str, iters: int = 100, tol: float = 1e-6, seed: int = 0,
                          weight_decay: float = 0.0) -> float:
    """``top_hessian_eigenvalue`` for targets already shaped (what a Trainer holds as ``trainer.t``)."""
    n = int(np.size(net.params))
    if n == 0:
        return 0.0
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(n)
    v /= np.linalg.norm(v)
    lam = math.nan
    recent: list[tuple[np.ndarray, np.ndarray]] = []  # the last few (v, Hv) pairs, for Rayleigh-Ritz
    for _ in range(max(1, int(iters))):
        w = hessian_vector_product(net, X, t, loss, v)
        if weight_decay:
            w = w + weight_decay * v  # the L2 penalty the optimizer adds to the gradient: H + wd·I
        new = float(v @ w)  # Rayleigh quotient, signed
        if not math.isfinite(new):
            return math.nan
        norm = float(np.linalg.norm(w))
        if norm == 0.0:
            return 0.0
        # converged: the quotient has settled *and* v is nearly an eigenvector (on a ± tie the quotient
        # can stand still while v swings between two eigenvectors; the residual catches that)
        scale = max(abs(new), 1e-300)
        done = (math.isfinite(lam) and abs(new - lam) <= tol * scale
                and float(np.linalg.norm(w - new * v)) <= math.sqrt(tol) * scale)
        lam = new
        recent = [*recent[-(RITZ_VECTORS - 1):], (v, w)]
        if done:
            break
        v = w / norm
    return _ritz(recent, lam)


RITZ_VECTORS = 3


def _ritz(pairs: list[tuple[np.ndarray, np.ndarray]], fallback: float) -> float:
    """Rayleigh-Ritz on the span of the last power iterates (their H-products are already known).

    It costs no extra Hessian-vector product. Power iteration stalls when two eigenvalues have (nearly) equal
    magnitude and opposite signs, as on a saddle: the iterate swings between the two eigenvectors and its
    Rayleigh quotient stays near their weighted mean.
    The span of the last iterates holds both, so the projected matrix gives them; of a ± tie the positive one
    is returned (it is the one that limits η).
    """
    V = np.column_stack([p[0] for p in pairs])
    W = np.column_stack([p[1] for p in pairs])
    U, S, Zt = np.linalg.svd(V, full_matrices=False)
    keep = S > 1e-3 * S[0]  # nearly parallel iterates add only finite-difference noise (~1e-10 / S)
    if keep.sum() < 2:
        return fallback
    U, S, Zt = U[:, keep], S[keep], Zt[keep]
    T = U.T @ W @ Zt.T / S  # Uᵀ H U, since H·U = W·Z·S⁻¹
    ritz = np.linalg.eigvalsh((T + T.T) / 2)
    top = float(ritz[np.argmax(np.abs(ritz))])
    if -top > 0 and ritz[-1] >= (1 - 1e-6) * -top:
        top = float(ritz[-1])
    return top if abs(top) >= abs(fallback) else fallback


def top_hessian_eigenvalue(net, X, y, loss: str, iters: int = 100, tol: float = 1e-6, seed: int = 0,
                           weight_decay: float = 0.0) -> float:
    """The largest-magnitude eigenvalue of the loss Hessian at the current parameters, with its sign.

    Power iteration on Hessian-vector products (``hessian_vector_product``) from a seeded random start; stops
    when the Rayleigh quotient changes by less than ``tol`` relative and the residual ‖Hv − λv‖ is below
    √tol·|λ|, or after ``iters`` products. The error shrinks like (λ₂/λ₁)^(2k), so a close second eigenvalue
    needs more iterations. The estimate ends with Rayleigh-Ritz on the last iterates, which settles the ± tie
    of a saddle (where plain power iteration stalls near 0; the positive eigenvalue wins a tie). ``y`` are raw
    labels or targets (shaped with ``net.targets``). ``weight_decay`` adds the L2 term's curvature (wd·I).
    """
    t = net.targets(y, loss) if hasattr(net, "targets") else y
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


def flip_fraction(updates) -> float:
    """The share of successive updates that reversed direction over the last half; NaN when none recorded.

    ``updates``: (T, P) update vectors, or a 1-D sequence of the dot products Δθ_t·Δθ_{t−1} (only their signs
    matter). A zero product (a zero step) is not a flip.
    """
    if updates is None:
        return math.nan
    u = np.asarray(updates, dtype=np.float64)
    dots = update_agreements(u) if u.ndim == 2 else u.reshape(-1)
    dots = dots[dots.size // 2:]
    dots = dots[np.isfinite(dots)]
    if dots.size == 0:
        return math.nan
    return float(np.count_nonzero(dots < 0) / dots.size)


def classify(losses, updates=None, status: str | None = None) -> str:
    """``smooth``, ``oscillating``, ``slow`` or ``diverged`` by the rules in this module's docstring."""
    L = np.asarray(losses, dtype=np.float64).reshape(-1)
    if status == "diverged" or (L.size and not np.all(np.isfinite(L))):
        return DIVERGED
    if L.size == 0:
        return SMOOTH if status == "converged" else SLOW
    first, last = float(L[0]), float(L[-1])
    if abs(last) > DIVERGE_FACTOR * max(abs(first), DIVERGE_FLOOR):
        return DIVERGED
    flips = flip_fraction(updates)
    if math.isnan(flips) and L.size > 2:
        d = np.diff(L[L.size // 2:]) if L.size >= 6 else np.diff(L)
        flips = float(np.count_nonzero(d > 0) / d.size) if d.size else math.nan
    if not math.isnan(flips) and flips >= FLIP_FRACTION:
        return OSCILLATING
    if status != "converged" and last > SLOW_REMAINING * first:
        total = first - last
        tail_start = float(L[max(0, min(L.size - 2, int(math.floor((1 - SLOW_TAIL) * (L.size - 1)))))])
        recent = tail_start - last
        if total <= 0 or recent > SLOW_PROGRESS * total:
            return SLOW
    return SMOOTH
