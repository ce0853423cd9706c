"""Loss surfaces ready to draw: a spec says which slice the user wants, ``compute`` returns an immutable grid.

Qt-free (the worker calls it in its thread; panels only draw the result). A slice is the loss along
``center + α·d1 (+ β·d2)`` (see ``gdsim.engine.landscape``). Three kinds of plane:

* ``"axes"``: two chosen parameters. Unless they are all the parameters there are, every other parameter
  keeps moving while the network trains, so the slice is re-cut around the current point at each
  recomputation and the path only *approximately* follows it; in exact mode only the chosen parameters are
  trained (the lead's optimizer mask), the slice is fixed through the start point and the path lies on it.
* ``"random"``: filter-normalised random directions (Li et al. 2018) through the current point.
* ``"pca"``: the two principal directions of the path itself, through the current point.

In function mode (``net.function``: a textbook f(x, y)) the surface is the exact function on its own
coordinates, framed by the function's ``default_range``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from gdsim.engine import contours, landscape
from gdsim.engine.cancel import Cancel
from gdsim.lab import limits

KINDS = ("1d", "2d")
PLANES = ("axes", "random", "pca")
COARSE = 25              # grid points per axis of the quick first pass
MIN_HALF = {"axes": 3.0, "random": 1.0, "pca": 1.0}  # an auto frame is never narrower than ± this
MAX_HALF = 50.0          # ... nor wider than this many times the minimum (a run heading for infinity)
FUNCTION_REACH = 4       # a function's frame follows the path up to this many widths of its own range beyond it
FRAME_MARGIN = 0.3       # auto frames widen the path's extent by this fraction on each side
N_LEVELS = 10            # contour levels
LEVEL_QUANTILE = 0.95    # contours and colours stop at this quantile: a few huge losses do not squash the rest
COLOUR_QUANTILE = 0.98


@dataclass(frozen=True)
class SurfaceSpec:
    kind: str = "2d"                     # "1d" | "2d"
    plane: str = "axes"                  # "axes" (chosen parameters) | "random" | "pca"
    indices: tuple[int, ...] = (0, 1)    # the parameters of an "axes" plane (one for 1d)
    resolution: int = 101                # grid points per axis (the coarse pass uses at most COARSE)
    span: float | None = None            # ± half-width in direction units; None frames the path
    exact: bool = False                  # only the chosen parameters train: fixed slice through the start
    seed: int = 0                        # of the random directions

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown surface kind {self.kind!r}; choose one of {', '.join(KINDS)}")
        if self.plane not in PLANES:
            raise ValueError(f"unknown plane {self.plane!r}; choose one of {', '.join(PLANES)}")
        object.__setattr__(self, "indices", tuple(int(i) for i in self.indices))
        if int(self.resolution) < 3:
            raise ValueError(f"a surface needs at least 3 grid points per axis, got {self.resolution}")
        object.__setattr__(self, "resolution", int(self.resolution))
        limits.check_grid(self.kind, self.resolution)  # before any grid is allocated
        if self.span is not None and not (math.isfinite(self.span) and self.span > 0):
            raise ValueError(f"the span must be a positive number (or None for automatic), got {self.span}")


@dataclass(frozen=True)
class SurfaceGrid:
    spec: SurfaceSpec            # the spec actually drawn (function mode forces "axes", bad indices are fixed)
    step: int
    coarse: bool
    alphas: np.ndarray
    betas: np.ndarray | None
    values: np.ndarray           # (A,) or (A, B); may hold inf and nan
    center: np.ndarray
    d1: np.ndarray
    d2: np.ndarray | None
    labels: tuple[str, ...]
    path: np.ndarray             # (T, 2): (α, β), or for 1d (α, loss on the slice at α)
    path_steps: np.ndarray
    contours: tuple              # 2d: ((level, segments (M, 2, 2)), ...)
    note: str

    @property
    def is_2d(self) -> bool:
        return self.betas is not None

    @property
    def offsets(self) -> tuple[float, float]:
        """Add these to (α, β) to get absolute parameter values on an axes plane (0 on other planes)."""
        if self.spec.plane != "axes":
            return 0.0, 0.0
        idx = self.spec.indices
        return float(self.center[idx[0]]), float(self.center[idx[1]]) if len(idx) > 1 else 0.0


def compute(spec: SurfaceSpec, net, X, t, loss: str, trajectory_points, trajectory_steps, coarse: bool = False,
            start=None, cancel: Cancel | None = None) -> SurfaceGrid:
    """The surface ``spec`` asks for around the network's current point; ``net.params`` is only read.

    ``t`` are targets already shaped by ``net.targets`` (``Trainer.t``); ``trajectory_*`` as from
    ``Trainer.trajectory.sample()``; ``start`` is the exact mode's start point (default: the path's first).
    ``cancel()`` is asked between chunks of the grid: on a big data set the worker can drop a surface at once
    (``gdsim.engine.cancel.Cancelled`` is raised) when the window closes.
    """
    func = net.function
    params = np.array(net.params, dtype=np.float64)
    P = params.size
    traj = np.asarray(trajectory_points, dtype=np.float64).reshape(-1, P)
    steps = np.asarray(trajectory_steps, dtype=np.float64).reshape(-1)
    if len(traj) == 0:
        traj, steps = params[None], np.zeros(1)
    spec = _effective(spec, P, func is not None)
    names = tuple(net.param_names)
    full = spec.plane == "axes" and len(set(spec.indices)) == P
    if full:
        center = np.zeros(P)  # the coordinates are the parameters themselves: the surface never moves
    elif spec.exact:
        center = traj[0].copy() if start is None else np.array(start, dtype=np.float64).reshape(P)
    else:
        center = params
    dirs, labels, note, spec = _plane(spec, net, center, traj, names)
    if full:
        shown = " and ".join(names[i] for i in spec.indices)
        what = "curve" if spec.kind == "1d" else "surface"
        note = (f"The exact function {func.name}: the path lies on this {what}." if func is not None
                else f"Exact: {shown} {'is' if P == 1 else 'are'} all the parameters there are — the path lies "
                     f"on this {what}.")
    coords = _project(traj, center, dirs)
    ranges = _frame(spec, coords, func, center)
    res = min(COARSE, spec.resolution) if coarse else spec.resolution
    axes = [np.linspace(lo, hi, res) for lo, hi in ranges]
    values = _evaluate(net, func, X, t, loss, center, dirs, axes, cancel)
    if len(dirs) == 1:
        path = np.column_stack([coords[:, 0], _interp(coords[:, 0], axes[0], values)])
        levels: tuple = ()
    else:
        path = coords
        with np.errstate(invalid="ignore"):  # ±inf corners: no crossing there
            levels = tuple((lv, _ro(contours.segments(values, axes[0], axes[1], lv)))
                           for lv in contour_levels(values))
    return SurfaceGrid(spec=spec, step=int(steps[-1]) if len(steps) else 0, coarse=bool(coarse),
                       alphas=_ro(axes[0]), betas=_ro(axes[1]) if len(axes) > 1 else None, values=_ro(values),
                       center=_ro(center), d1=_ro(dirs[0]), d2=_ro(dirs[1]) if len(dirs) > 1 else None,
                       labels=labels, path=_ro(path), path_steps=_ro(steps), contours=levels, note=note)


def compute_for(spec: SurfaceSpec, trainer, coarse: bool = False, start=None,
                cancel: Cancel | None = None) -> SurfaceGrid:
    """``compute`` with everything taken from a Trainer."""
    steps, points = trainer.trajectory.sample()
    return compute(spec, trainer.net, trainer.X, trainer.t, trainer.loss_name, points, steps, coarse, start, cancel)


def path_on_grid(grid: SurfaceGrid, points, steps=None) -> np.ndarray:
    """A newer path (T, P) in the grid's coordinates (T, 2), without recomputing the surface (cheap).

    For 1d the second column is the slice's loss at each α, interpolated from the grid, so points sit on the
    drawn curve. ``steps`` is accepted so a trajectory's (steps, points) pair can be passed as it comes.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, grid.center.size)
    dirs = [grid.d1] if grid.d2 is None else [grid.d1, grid.d2]
    coords = _project(pts, grid.center, dirs)
    if not grid.is_2d:
        coords = np.column_stack([coords[:, 0], _interp(coords[:, 0], grid.alphas, grid.values)])
    return _ro(coords)


def covers(grid: SurfaceGrid, coords) -> bool:
    """Whether every finite point of ``coords`` (T, 2) lies inside the grid (else it is time to recompute)."""
    c = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
    c = c[np.all(np.isfinite(c), axis=1)]
    inside = (c[:, 0] >= grid.alphas[0]) & (c[:, 0] <= grid.alphas[-1])
    if grid.is_2d:
        inside &= (c[:, 1] >= grid.betas[0]) & (c[:, 1] <= grid.betas[-1])
    return bool(np.all(inside))


def value_at(grid: SurfaceGrid, coords) -> np.ndarray:
    """The grid's loss at points (T, 2) of a 2d grid by bilinear interpolation (NaN outside it)."""
    c = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
    out = np.full(len(c), np.nan)
    a, b, v = grid.alphas, grid.betas, grid.values
    if b is None:
        raise ValueError("value_at needs a 2D grid; a 1D grid's path already holds its losses")
    with np.errstate(invalid="ignore"):
        inside = (c[:, 0] >= a[0]) & (c[:, 0] <= a[-1]) & (c[:, 1] >= b[0]) & (c[:, 1] <= b[-1])
    if not inside.any():
        return out
    x, y = c[inside, 0], c[inside, 1]
    i = np.clip(np.searchsorted(a, x) - 1, 0, len(a) - 2)
    j = np.clip(np.searchsorted(b, y) - 1, 0, len(b) - 2)
    u, w = (x - a[i]) / (a[i + 1] - a[i]), (y - b[j]) / (b[j + 1] - b[j])
    with np.errstate(invalid="ignore", over="ignore"):
        out[inside] = ((1 - u) * (1 - w) * v[i, j] + u * (1 - w) * v[i + 1, j] + (1 - u) * w * v[i, j + 1]
                       + u * w * v[i + 1, j + 1])
    return out


def contour_levels(values, n: int = N_LEVELS) -> np.ndarray:
    """Levels at min + (q − min)·r for r log-spaced over two decades up to 1 (q: a high quantile).

    Log-spaced offsets above the minimum crowd the lines where the valley is, and work for surfaces that
    go negative (functions) as well as for losses.
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size < 4:
        return np.empty(0)
    lo, hi = float(v.min()), float(np.quantile(v, LEVEL_QUANTILE))
    if not hi > lo:
        hi = float(v.max())
    if not hi > lo:
        return np.empty(0)
    return lo + (hi - lo) * np.geomspace(1e-2, 1.0, n)


def colour_image(values, log: bool = False) -> tuple[np.ndarray, tuple[float, float], str]:
    """(image, fixed levels, colour-bar label) for a heatmap of ``values``.

    Levels run from the minimum to a high quantile. Log colours show log₁₀ of the loss; a surface that
    reaches zero or below is lifted by its minimum first (the label says so). +inf draws in the top colour,
    NaN (undefined) stays transparent.
    """
    v = np.asarray(values, dtype=np.float64)
    finite = v[np.isfinite(v)]
    if finite.size == 0:
        return np.full(v.shape, np.nan), (0.0, 1.0), "log₁₀ loss" if log else "loss"
    lo = float(finite.min())
    label = "loss"
    with np.errstate(invalid="ignore", divide="ignore"):
        if log:
            shift = 0.0 if lo > 0 else lo
            top = float(np.quantile(finite - shift, COLOUR_QUANTILE))
            floor = lo - shift if lo - shift > 0 else max(top, 1e-300) * 1e-4
            v = np.log10(np.maximum(v - shift, floor))
            lo, hi = math.log10(floor), math.log10(max(top, floor))
            label = "log₁₀ loss" if shift == 0 else "log₁₀(loss − min)"
        else:
            hi = float(np.quantile(finite, COLOUR_QUANTILE))
        image = np.where(np.isposinf(v), hi, v)
    if not hi > lo:
        hi = lo + 1.0
    return image, (lo, hi), label


# ------------------------------------------------------------------------------------------ internals


def _ro(a) -> np.ndarray:
    a = np.array(a, dtype=np.float64, copy=True)
    a.setflags(write=False)
    return a


def _effective(spec: SurfaceSpec, P: int, function: bool) -> SurfaceSpec:
    """The spec that can be drawn: valid distinct indices, function mode on its own axes, exact only for axes."""
    if spec.kind == "2d" and P < 2:
        raise ValueError("a 2D surface needs two parameters; this has one: see the 1D slice")
    kind = spec.kind
    plane = "axes" if function else spec.plane
    want = 1 if kind == "1d" else 2
    idx = [i for i in spec.indices if 0 <= i < P][:want]
    for i in range(P):
        if len(idx) >= want:
            break
        if i not in idx:
            idx.append(i)
    if len(idx) == 2 and idx[0] == idx[1]:
        idx[1] = (idx[0] + 1) % P
    exact = spec.exact and plane == "axes"
    return replace(spec, kind=kind, plane=plane, indices=tuple(idx), exact=exact)


def _plane(spec: SurfaceSpec, net, center, traj, names) -> tuple[list, tuple, str, SurfaceSpec]:
    """Directions, axis labels, the honest note, and the spec (PCA falls back to random when it cannot)."""
    m = 1 if spec.kind == "1d" else 2
    P = center.size
    if spec.plane == "pca":
        try:
            d1, d2, info = landscape.directions(net, "pca", trajectory=traj)
        except ValueError as e:
            dirs, labels, _, fallback = _plane(replace(spec, plane="random"), net, center, traj, names)
            return dirs, labels, f"{str(e).split(';')[0]}: showing random directions for now.", fallback
        e1, e2 = info["explained"]
        labels = (f"PCA 1 ({e1:.0%})", f"PCA 2 ({e2:.0%})")[:m]
        share = f"{e1:.0%}" if m == 1 else f"{e1:.0%} + {e2:.0%}"
        note = (f"PCA of the path (Li et al. 2018), through the current point: it explains {share} of the "
                "movement; the path is projected onto it.")
        return [d1, d2][:m], labels, note, spec
    if spec.plane == "random":
        try:
            d1, d2, _ = landscape.directions(net, "random", seed=spec.seed, params=center)
        except ValueError as e:  # all weights zero: nothing to scale random directions to
            dirs, labels, _, axes = _plane(replace(spec, plane="axes"), net, center, traj, names)
            return dirs, labels, str(e).split(";")[0] + ": showing two parameters instead.", axes
        labels = ("random direction 1", "random direction 2")[:m]
        note = ("Random filter-normalised directions (Li et al. 2018) through the current point; "
                f"the path is projected onto the {'line' if m == 1 else 'plane'}.")
        return [d1, d2][:m], labels, note, spec
    dirs = []
    for i in spec.indices:
        d = np.zeros(P)
        d[i] = 1.0
        dirs.append(d)
    labels = tuple(names[i] for i in spec.indices)
    if spec.exact:
        only = " and ".join(labels)
        note = (f"Exact: only {only} {'is' if m == 1 else 'are'} trained — the path lies on this "
                f"{'curve' if m == 1 else 'surface'}.")
    else:
        note = "Other parameters keep moving: the slice is re-cut around the current point."
    return dirs, labels, note, spec


def _project(points, center, dirs) -> np.ndarray:
    if len(dirs) == 2:
        with np.errstate(invalid="ignore", over="ignore"):
            return landscape.project(points, center, dirs[0], dirs[1])
    d = dirs[0]
    with np.errstate(invalid="ignore", over="ignore"):
        alpha = (points - center) @ d / (d @ d)
    return np.column_stack([alpha, np.zeros_like(alpha)])


def _frame(spec: SurfaceSpec, coords, func, center) -> list[tuple[float, float]]:
    """(lo, hi) in direction units for each axis: ±span, or the path's extent (and the function's range)."""
    m = 1 if spec.kind == "1d" else 2
    if spec.span is not None:
        return [(-spec.span, spec.span)] * m
    lo_min = MIN_HALF[spec.plane]
    # functions are framed by their own range (widened to keep the path in view), networks by ± lo_min
    a_lo, a_hi, b_lo, b_hi = landscape.auto_range(coords, margin=FRAME_MARGIN,
                                                  min_half_width=1e-6 if func is not None else lo_min)
    ranges = [(a_lo, a_hi), (b_lo, b_hi)][:m]
    # A 1D slice is one cheap curve, and its whole point is the ball on it: it always frames the whole path,
    # a diverging one too (5b² at η = 1: −5 → 45 → −405 → …). A 2D surface is bounded instead (below), so a
    # run heading for infinity does not shrink the valley to a dot.
    k, cap = (math.inf, math.inf) if m == 1 else (FUNCTION_REACH, MAX_HALF * lo_min)
    if func is not None:
        own = [func.default_range[i] for i in spec.indices]
        # ... but (2D) at most FUNCTION_REACH widths of it beyond on each side (a diverging run leaves the view)
        c = [float(center[i]) for i in spec.indices]
        ranges = [(max(min(lo + ci, r_lo), r_lo - k * (r_hi - r_lo)) - ci,
                   min(max(hi + ci, r_hi), r_hi + k * (r_hi - r_lo)) - ci)
                  for (lo, hi), (r_lo, r_hi), ci in zip(ranges, own, c, strict=True)]
    return [(max(lo, -cap), min(hi, cap)) for lo, hi in ranges]


def _evaluate(net, func, X, t, loss, center, dirs, axes, cancel=None) -> np.ndarray:
    if func is not None:
        grids = np.meshgrid(*axes, indexing="ij")
        thetas = center + sum(g[..., None] * d for g, d in zip(grids, dirs, strict=True))
        return np.asarray(func.value(thetas), dtype=np.float64).reshape(grids[0].shape)
    if len(dirs) == 1:
        return landscape.surface_1d(net, X, t, loss, center, dirs[0], axes[0], cancel=cancel)
    return landscape.surface_2d(net, X, t, loss, center, dirs[0], dirs[1], axes[0], axes[1], cancel=cancel)


def _interp(alpha, alphas, values) -> np.ndarray:
    """The slice's loss at each α by linear interpolation (NaN outside the grid)."""
    with np.errstate(invalid="ignore"):
        y = np.interp(alpha, alphas, values)
        y[(alpha < alphas[0]) | (alpha > alphas[-1]) | ~np.isfinite(alpha)] = np.nan
    return y
