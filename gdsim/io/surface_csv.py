"""A loss surface as tables: the grid's values and the descent path drawn on it (Qt-free, shared by the
panels' Export… and ``gdsim surface --export``).

One CSV holds the grid in long form (one row per grid point: the two coordinates and the loss), so a
spreadsheet or ``numpy.loadtxt`` reads it without knowing the grid's shape; the path goes to a second file
next to it, ``NAME_path.csv`` (step, coordinates, loss on the drawn surface).
"""

from __future__ import annotations

import os

import numpy as np

from gdsim.io.tables import check_path, write_csv
from gdsim.lab import surfaces
from gdsim.lab.surfaces import SurfaceGrid


def grid_table(grid: SurfaceGrid) -> tuple[list[str], list[list[float]]]:
    """Header and rows of the grid: absolute parameter values on an axes plane, (α, β) on other planes."""
    ox, oy = grid.offsets
    values = np.asarray(grid.values, dtype=np.float64)
    if not grid.is_2d:
        return [grid.labels[0], "loss"], [[a + ox, v] for a, v in zip(grid.alphas, values, strict=True)]
    rows = [[a + ox, b + oy, values[i, j]] for i, a in enumerate(grid.alphas) for j, b in enumerate(grid.betas)]
    return [grid.labels[0], grid.labels[1], "loss"], rows


def path_table(grid: SurfaceGrid, coords=None, steps=None) -> tuple[list[str], list[list[float]]]:
    """Header and rows of a path in the grid's coordinates (default: the grid's own path and steps).

    The loss is the surface's value under each point, as drawn (on a moving plane it is not the training loss).
    """
    coords = np.asarray(grid.path if coords is None else coords, dtype=np.float64).reshape(-1, 2)
    steps = np.asarray(grid.path_steps if steps is None else steps, dtype=np.float64).reshape(-1)
    if len(steps) != len(coords):
        steps = np.full(len(coords), np.nan)
    ox, oy = grid.offsets
    if not grid.is_2d:  # a 1d path's second column already is the loss on the slice
        return (["step", grid.labels[0], "loss"],
                [[s, a + ox, v] for s, (a, v) in zip(steps, coords, strict=True)])
    loss = surfaces.value_at(grid, coords) if len(coords) else np.empty(0)
    return (["step", grid.labels[0], grid.labels[1], "loss"],
            [[s, a + ox, b + oy, v] for s, (a, b), v in zip(steps, coords, loss, strict=True)])


def path_file(path) -> str:
    """Where the path of a grid written to ``path`` goes: ``surface.csv`` -> ``surface_path.csv``."""
    stem, ext = os.path.splitext(os.fspath(path))
    return f"{stem}_path{ext}"


def write(path, grid: SurfaceGrid, coords=None, steps=None) -> list[str]:
    """Write the grid to ``path`` and the path next to it; returns both file names."""
    check_path(path, ("csv",))
    write_csv(path, *grid_table(grid))
    write_csv(path_file(path), *path_table(grid, coords, steps))
    return [os.fspath(path), path_file(path)]
