"""Contour lines of a gridded function by vectorised marching squares.

pyqtgraph's isocurve walks the grid in Python (milliseconds per level); this does one level of a 101×101 grid
in well under a millisecond, so decision boundaries and loss-surface contours can be recomputed every frame
in the worker and drawn as plain line segments.
"""

from __future__ import annotations

import numpy as np


def segments(z: np.ndarray, xs: np.ndarray, ys: np.ndarray, level: float) -> np.ndarray:
    """Line segments (M, 2, 2) of the curve z = level; ``z[i, j]`` is the value at (xs[i], ys[j]).

    Saddle cells are split by the value at the cell's centre, so the curves never cross.
    """
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 2 or z.shape[0] < 2 or z.shape[1] < 2:
        return np.empty((0, 2, 2))
    xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    z00, z10, z01, z11 = z[:-1, :-1], z[1:, :-1], z[:-1, 1:], z[1:, 1:]
    with np.errstate(invalid="ignore"):
        above = [c > level for c in (z00, z10, z11, z01)]  # corners counter-clockwise from bottom-left
    x0, x1 = xs[:-1, None], xs[1:, None]
    y0, y1 = ys[None, :-1], ys[None, 1:]

    def cross(za, zb, pa, pb):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            t = np.clip((level - za) / (zb - za), 0.0, 1.0)
        return pa + t * (pb - pa)

    # crossing points on the four edges: bottom, right, top, left
    edges = np.stack([
        np.stack(np.broadcast_arrays(cross(z00, z10, x0, x1), y0 + 0 * z00), -1),
        np.stack(np.broadcast_arrays(x1 + 0 * z10, cross(z10, z11, y0, y1)), -1),
        np.stack(np.broadcast_arrays(cross(z01, z11, x0, x1), y1 + 0 * z01), -1),
        np.stack(np.broadcast_arrays(x0 + 0 * z00, cross(z00, z01, y0, y1)), -1),
    ])
    hit = np.stack([above[0] != above[1], above[1] != above[2], above[3] != above[2], above[0] != above[3]])
    finite = np.isfinite(z00) & np.isfinite(z10) & np.isfinite(z01) & np.isfinite(z11)
    count = hit.sum(axis=0) * finite
    out = []
    two = count == 2
    if two.any():
        h = hit[:, two]
        first = np.argmax(h, axis=0)
        second = 3 - np.argmax(h[::-1], axis=0)
        pts = edges[:, two]
        idx = np.arange(pts.shape[1])
        out.append(np.stack([pts[first, idx], pts[second, idx]], axis=1))
    four = count == 4
    if four.any():
        centre = (z00 + z10 + z01 + z11)[four] / 4 > level
        bl_above = above[0][four]
        # cut off bottom-left and top-right corners when the centre differs from them
        cut_bl_tr = centre != bl_above
        pts = edges[:, four]
        pairs_a = np.where(cut_bl_tr[:, None], [3, 0], [0, 1])   # segment around BL, or around BR
        pairs_b = np.where(cut_bl_tr[:, None], [1, 2], [2, 3])   # segment around TR, or around TL
        idx = np.arange(pts.shape[1])
        for pairs in (pairs_a, pairs_b):
            out.append(np.stack([pts[pairs[:, 0], idx], pts[pairs[:, 1], idx]], axis=1))
    return np.concatenate(out) if out else np.empty((0, 2, 2))


def connect_pairs(segs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and y arrays for a pyqtgraph curve drawn with ``connect="pairs"``."""
    flat = segs.reshape(-1, 2)
    return flat[:, 0].copy(), flat[:, 1].copy()
