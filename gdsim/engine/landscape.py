"""Loss landscapes: 1D and 2D slices through parameter space, the directions that span them, projections.

A slice is the loss along ``center + α·d1 (+ β·d2)``. Every grid point is one parameter vector, so the
surface is a batch of forward passes: the grid is cut into chunks of a few dozen vectors (small enough
that activations stay in cache, which measured ~2x faster than larger chunks) and each layer of a chunk
runs as one batched ``matmul``. When the directions are zero on every parameter of the first k layers,
those layers see the same weights at every grid point: their activation is computed once at ``center``
and only the tail of the network is evaluated for the grid (``tail_losses``).

Directions follow Li et al., "Visualizing the Loss Landscape of Neural Nets" (2018): filter-normalised
random directions, or the PCA directions of a training trajectory; axis directions show two raw parameters.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gdsim.engine import activations, losses
from gdsim.engine.cancel import Cancel, check
from gdsim.engine.network import Network

KINDS = ("random", "pca", "axes")

# bytes of one (chunk, samples, widest layer) activation array; ~1 MB stays in L2 cache
_CHUNK_BYTES = 2**20


# ------------------------------------------------------------------------------------------ evaluation


def frozen_prefix(net: Network, *dirs: np.ndarray) -> int:
    """Number of leading layers on which every direction is exactly zero (weights and biases)."""
    k = 0
    for s in net.slots:
        if any(np.any(d[s.w]) or np.any(d[s.b]) for d in dirs):
            break
        k += 1
    return min(k, len(net.slots) - 1)  # the output layer always runs: the loss needs its z


def cached_activation(net: Network, theta: np.ndarray, X: np.ndarray, k: int) -> np.ndarray:
    """Activation after the first k layers with parameters ``theta`` (k = 0 gives X)."""
    a = np.asarray(X, dtype=np.float64)
    for layer in net.layers[:k]:
        s = layer.slots
        a = activations.forward(layer.activation, a @ theta[s.w].reshape(s.n_in, s.n_out) + theta[s.b])
    return a


def tail_losses(net: Network, thetas: np.ndarray, a: np.ndarray, k: int, t: np.ndarray,
                loss: str) -> np.ndarray:
    """Losses of K parameter vectors (K, P) running layers k.. from the shared activation ``a`` (n, h_k).

    Mirrors ``Network._loss_many`` from layer k on, but computes z transposed, (K, n_out, n): each vector's
    bias then broadcasts along the long samples axis, not the short neurons axis (measured 5-20% faster).
    Only the entries of layers k.. of ``thetas`` are read.
    """
    K = thetas.shape[0]
    a = a.T
    for layer in net.layers[k:-1]:  # hidden activations are elementwise: the layout does not matter
        s = layer.slots
        z = np.matmul(thetas[:, s.w].reshape(K, s.n_in, s.n_out).transpose(0, 2, 1), a)
        z += thetas[:, s.b, None]
        a = activations.forward(layer.activation, z)
    s, act = net.slots[-1], net.activations[-1]
    z = np.matmul(a.swapaxes(-1, -2), thetas[:, s.w].reshape(K, s.n_in, s.n_out))  # (K, n, n_out)
    z += thetas[:, None, s.b]
    return losses.value(loss, z, activations.forward(act, z), t)


def _plane_losses(net, X, y, loss, center, dirs, coefs, cache, chunk, cancel=None) -> np.ndarray:
    """Losses at center + coefs @ dirs for coefs (K, m), chunk by chunk; ``cancel`` is asked between chunks."""
    P = net.n_params
    center = _vector(center, P, "center")
    dirs = np.stack([_vector(d, P, "direction") for d in dirs])
    t = net.targets(y, loss)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != net.n_in:
        raise ValueError(f"X must have shape (n, {net.n_in}), got {X.shape}")
    k = frozen_prefix(net, *dirs) if cache else 0
    a = cached_activation(net, center, X, k)
    if chunk is None:
        chunk = max(1, _CHUNK_BYTES // (8 * max(1, X.shape[0]) * max(net.sizes[k:])))
    out = np.empty(coefs.shape[0])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # far out, inf is data
        for i in range(0, coefs.shape[0], chunk):
            check(cancel)
            c = coefs[i:i + chunk]
            thetas = center + c[:, :1] * dirs[0]
            for j in range(1, len(dirs)):
                thetas += c[:, j:j + 1] * dirs[j]
            out[i:i + chunk] = tail_losses(net, thetas, a, k, t, loss)
    return out


def surface_1d(net: Network, X, y, loss: str, center, d, alphas, *, cache: bool = True,
               chunk: int | None = None, cancel: Cancel | None = None) -> np.ndarray:
    """Loss at center + α·d for each α: shape (len(alphas),). ``net.params`` is never touched.

    ``cancel()`` is checked between chunks (raises ``cancel.Cancelled``), so a big data set can be abandoned."""
    alphas = _axis(alphas, "alphas")
    return _plane_losses(net, X, y, loss, center, [d], alphas[:, None], cache, chunk, cancel)


def surface_2d(net: Network, X, y, loss: str, center, d1, d2, alphas, betas, *, cache: bool = True,
               chunk: int | None = None, cancel: Cancel | None = None) -> np.ndarray:
    """S[i, j] = loss at center + alphas[i]·d1 + betas[j]·d2: shape (len(alphas), len(betas)). ``cancel``: as
    for ``surface_1d``."""
    alphas, betas = _axis(alphas, "alphas"), _axis(betas, "betas")
    A, B = np.meshgrid(alphas, betas, indexing="ij")
    coefs = np.stack([A.ravel(), B.ravel()], axis=1)
    S = _plane_losses(net, X, y, loss, center, [d1, d2], coefs, cache, chunk, cancel)
    return S.reshape(alphas.size, betas.size)


# ------------------------------------------------------------------------------------------ directions


def directions(net: Network, kind: str, trajectory=None, seed: int = 0, params=None,
               indices: tuple[int, int] | None = None, layers: Sequence[int] | None = None):
    """Two directions (d1, d2) spanning a slice and an ``info`` dict whose ``center`` is the natural centre.

    * ``"random"``: Gaussian, filter-normalised to the network at ``params`` (default ``net.params``);
      ``layers`` (0-based, negatives allowed) limits them to some layers, e.g. ``[-1]`` for the output layer.
      info: ``cosine`` between d1 and d2, ``seed``.
    * ``"pca"``: principal directions of ``trajectory`` (T, P) as Li et al. (2018): a centred PCA of the
      steps' offsets from the last point, unit norm, orthogonal; the plane goes through the last point.
      info: ``explained`` variance ratios (v1, v2), as sklearn's ``explained_variance_ratio_``.
    * ``"axes"``: unit vectors e_i, e_j for ``indices=(i, j)``. info: ``indices``, ``names``.
    """
    theta = net.params if params is None else _vector(params, net.n_params, "params")
    if kind == "random":
        d1, d2, info = _random(net, theta, seed, layers)
    elif kind == "pca":
        d1, d2, info = _pca(net, trajectory)
    elif kind == "axes":
        d1, d2, info = _axes(net, indices)
    else:
        raise ValueError(f"unknown direction kind {kind!r}; choose one of {', '.join(KINDS)}")
    info.setdefault("center", theta.copy())
    return d1, d2, info


def _columns(net: Network, d: np.ndarray):
    """(n_in, n_out) views of each layer's weight block: column j holds neuron j's incoming weights."""
    return [d[s.w].reshape(s.n_in, s.n_out) for s in net.slots]


def _filter_normalise(net: Network, d: np.ndarray, theta: np.ndarray) -> None:
    """In place: every column of every W in d gets the norm of the same column at theta."""
    for dw, tw in zip(_columns(net, d), _columns(net, theta), strict=True):
        dn, tn = np.linalg.norm(dw, axis=0), np.linalg.norm(tw, axis=0)
        dw *= np.divide(tn, dn, out=np.zeros_like(dn), where=dn > 0)


def _random(net: Network, theta: np.ndarray, seed: int, layers) -> tuple:
    """Filter-normalised Gaussian directions, bias directions zero (Li et al. 2018, section 4).

    Orthogonalisation is done column by column (each neuron's d2 weights against its d1 weights), so
    re-normalising the columns afterwards keeps d2 exactly orthogonal to d1 *and* gives both exactly the
    network's filter norms. A column with a single input (n_in = 1) cannot be orthogonalised on its own; it
    keeps its random value, and the small remaining cosine is reported in ``info["cosine"]``.
    """
    rng = np.random.default_rng(seed)
    n = len(net.slots)
    chosen = set(range(n)) if layers is None else {_layer_index(i, n) for i in layers}
    d1, d2 = rng.standard_normal((2, net.n_params))
    for i, s in enumerate(net.slots):
        d1[s.b] = d2[s.b] = 0.0
        if i not in chosen:
            d1[s.w] = d2[s.w] = 0.0
    _filter_normalise(net, d1, theta)
    if not np.any(d1):
        raise ValueError("random directions are scaled to the network's weights, which are all zero here; "
                         "use 'pca' or 'axes' directions")
    for c1, c2 in zip(_columns(net, d1), _columns(net, d2), strict=True):
        n11 = np.sum(c1 * c1, axis=0)
        proj = c2 - c1 * np.divide(np.sum(c1 * c2, axis=0), n11, out=np.zeros_like(n11), where=n11 > 0)
        ok = np.linalg.norm(proj, axis=0) > 1e-8 * np.linalg.norm(c2, axis=0)
        c2[:, ok] = proj[:, ok]
    _filter_normalise(net, d2, theta)
    cosine = float(d1 @ d2 / (np.linalg.norm(d1) * np.linalg.norm(d2)))
    return d1, d2, {"cosine": cosine, "seed": seed}


def _layer_index(i: int, n: int) -> int:
    if not -n <= int(i) < n:
        raise ValueError(f"layer {i} does not exist; the network has {n} layers (0..{n - 1})")
    return int(i) % n


def _pca(net: Network, trajectory) -> tuple:
    if trajectory is None:
        raise ValueError("PCA directions need a trajectory: pass trajectory=(T, P) parameter vectors")
    traj = np.asarray(trajectory, dtype=np.float64)
    if traj.ndim != 2 or traj.shape[1] != net.n_params:
        raise ValueError(f"trajectory must have shape (T, {net.n_params}), got {traj.shape}")
    if not np.all(np.isfinite(traj)):
        raise ValueError("trajectory holds NaN or inf (a diverged run); PCA needs finite points")
    distinct = len(np.unique(traj, axis=0))
    if distinct < 3:
        raise ValueError(f"PCA directions need at least 3 distinct points on the trajectory, got {distinct}; "
                         "train for a few more steps")
    # Li et al. (2018, §7): M = [θ_0 − θ_n; …; θ_{n−1} − θ_n], then PCA of M — which centres M's columns
    # first (their code calls sklearn's PCA). The plane still goes through the last point θ_n.
    center = traj[-1]
    m = traj[:-1] - center
    m -= m.mean(axis=0)
    _, s, vt = np.linalg.svd(m, full_matrices=False)
    d1, d2 = vt[0].copy(), vt[1].copy()
    for d in (d1, d2):  # deterministic sign: largest component positive
        if d[np.argmax(np.abs(d))] < 0:
            d *= -1.0
    var = s**2
    total = var.sum()
    explained = (float(var[0] / total), float(var[1] / total) if var.size > 1 else 0.0)
    return d1, d2, {"explained": explained, "center": center.copy()}


def _axes(net: Network, indices) -> tuple:
    if indices is None or len(indices) != 2:
        raise ValueError("axes directions need indices=(i, j): two parameter indices")
    i, j = (int(v) for v in indices)
    P = net.n_params
    if not (0 <= i < P and 0 <= j < P):
        raise ValueError(f"parameter indices must lie in 0..{P - 1}, got ({i}, {j})")
    if i == j:
        raise ValueError(f"axes directions need two different parameters, got ({i}, {j}) twice")
    d1, d2 = np.zeros(P), np.zeros(P)
    d1[i] = d2[j] = 1.0
    return d1, d2, {"indices": (i, j), "names": (net.param_names[i], net.param_names[j])}


# ------------------------------------------------------------------------------------------ projection


def project(trajectory, center, d1, d2) -> np.ndarray:
    """Coordinates (T, 2) of each trajectory point in the plane center + α·d1 + β·d2.

    Least squares through the 2x2 Gram system, so directions need be neither unit nor orthogonal;
    exact for points in the plane (orthonormal PCA directions, axis directions, random directions).
    """
    traj = np.atleast_2d(np.asarray(trajectory, dtype=np.float64))
    D = np.stack([np.asarray(d1, dtype=np.float64), np.asarray(d2, dtype=np.float64)])
    if traj.shape[1] != D.shape[1] or np.shape(center) != (D.shape[1],):
        raise ValueError(f"trajectory (T, P), center (P,) and directions (P,) disagree: "
                         f"{traj.shape}, {np.shape(center)}, {D.shape}")
    G = D @ D.T
    if abs(np.linalg.det(G)) <= 1e-12 * G[0, 0] * G[1, 1]:
        raise ValueError("the two directions are parallel (or zero): they do not span a plane")
    return np.linalg.solve(G, D @ (traj - center).T).T


def auto_range(coords, margin: float = 0.5, min_half_width: float = 1.0) -> tuple[float, float, float, float]:
    """(a_lo, a_hi, b_lo, b_hi) framing the finite points of ``coords`` (T, 2) and the centre (0, 0).

    Each axis is widened by ``margin`` times its half-width on both sides, and is never narrower
    than ± ``min_half_width`` about its middle (a path that barely moves still gets a readable frame).
    """
    c = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
    pts = np.vstack([c[np.all(np.isfinite(c), axis=1)], [[0.0, 0.0]]])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    mid = (lo + hi) / 2
    half = np.maximum((hi - lo) / 2 * (1.0 + margin), min_half_width)
    a_lo, b_lo = mid - half
    a_hi, b_hi = mid + half
    return float(a_lo), float(a_hi), float(b_lo), float(b_hi)


# ------------------------------------------------------------------------------------------ helpers


def _vector(v, P: int, what: str) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    if v.shape != (P,):
        raise ValueError(f"{what} must have shape ({P},), got {v.shape}")
    return v


def _axis(v, what: str) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    if v.ndim != 1 or v.size == 0:
        raise ValueError(f"{what} must be a non-empty 1D array, got shape {v.shape}")
    return v
