"""What the worker computes beside training — loss surfaces and curvature — as plain functions (no Qt).

The worker decides when (pacing, coalescing) and sends what these return; keeping the computations here keeps
the thread code short and lets them be tested without a window.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator

import numpy as np

from gdsim.engine.cancel import Cancelled


def curvature(trainer, cancel: Callable[[], bool]) -> tuple[float, float] | None:
    """λmax and λmin by Lanczos on exact Hessian-vector products, or None (cancelled, or no finite answer)."""
    from gdsim.engine import analysis

    try:
        with np.errstate(all="ignore"):
            c = analysis.curvature_shaped(trainer.net, trainer.X, trainer.t, trainer.loss_name,
                                          iters=40, tol=1e-4, cancel=cancel)
    except (ValueError, FloatingPointError, np.linalg.LinAlgError, Cancelled):
        return None
    return (c.lam_max, c.lam_min) if np.isfinite(c.lam_max) and np.isfinite(c.lam_min) else None


def surfaces(specs: dict, grids: dict, trainer, kinds, coarse: bool, running: bool, start,
             cancel: Callable[[], bool]) -> Iterator[tuple[str, str, object]]:
    """Recompute the surfaces ``kinds`` at the current parameters (exact mode: around ``start``), yielding
    ("grid", kind, SurfaceGrid), ("message", kind, why it cannot be drawn yet) or ("error", kind, traceback).
    Stops at once when cancelled."""
    from gdsim.lab import surfaces as surf

    steps, points = trainer.trajectory.sample()
    for kind in kinds:
        spec = specs.get(kind)
        if spec is None:
            continue
        last = grids.get(kind)
        if coarse and spec.exact and running and last is not None and last.spec.exact and \
                last.spec.indices == spec.indices and surf.covers(last, surf.path_on_grid(last, points)):
            continue  # an exact surface does not move: recomputed only when the path walks off it
        try:
            with np.errstate(all="ignore"):
                grid = surf.compute(spec, trainer.net, trainer.X, trainer.t, trainer.loss_name, points, steps,
                                    coarse=coarse, start=start, cancel=cancel)
        except Cancelled:
            return
        except ValueError as e:  # e.g. PCA of a path with fewer than 3 points: say so, try again later
            yield "message", kind, str(e)
            continue
        except Exception:  # noqa: BLE001
            yield "error", kind, traceback.format_exc()
            continue
        yield "grid", kind, grid
