"""Long computations stop between chunks when asked: surfaces, λmax, comparisons (the close-at-any-moment rule)."""

import numpy as np
import pytest

from gdsim.engine import analysis, landscape
from gdsim.engine.cancel import Cancelled
from gdsim.lab import compare, surfaces
from gdsim.lab import config as cfgmod
from gdsim.lab.compare import Variant


@pytest.fixture(scope="module")
def xor():
    return cfgmod.build(cfgmod.load_preset("xor"))


def after(n: int):
    """A cancel callable that says yes from its n-th call on, and counts its calls."""
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) >= n

    cancel.calls = calls
    return cancel


def test_surface_2d_stops_between_chunks(xor):
    tr = xor.trainer
    d1, d2, _ = landscape.directions(tr.net, "random", seed=1)
    axis = np.linspace(-1, 1, 30)
    full = landscape.surface_2d(tr.net, tr.X, tr.t, tr.loss_name, tr.net.params, d1, d2, axis, axis, chunk=10)
    cancel = after(5)
    with pytest.raises(Cancelled):
        landscape.surface_2d(tr.net, tr.X, tr.t, tr.loss_name, tr.net.params, d1, d2, axis, axis, chunk=10,
                             cancel=cancel)
    assert len(cancel.calls) == 5  # asked once per chunk of 10 points, stopped at the first yes (of 90)
    never = landscape.surface_2d(tr.net, tr.X, tr.t, tr.loss_name, tr.net.params, d1, d2, axis, axis, chunk=10,
                                 cancel=lambda: False)
    np.testing.assert_array_equal(never, full)


def test_surfaces_compute_passes_cancel_on(xor):
    tr = xor.trainer
    steps, points = tr.trajectory.sample()
    for kind in ("1d", "2d"):
        cancel = after(1)
        with pytest.raises(Cancelled):
            surfaces.compute(surfaces.SurfaceSpec(kind=kind, resolution=41), tr.net, tr.X, tr.t, tr.loss_name,
                             points, steps, cancel=cancel)
        assert len(cancel.calls) == 1


def test_lambda_max_stops_between_hessian_vector_products(xor):
    tr = xor.trainer
    cancel = after(3)
    with pytest.raises(Cancelled):
        analysis.top_eigenvalue_shaped(tr.net, tr.X, tr.t, tr.loss_name, tol=0.0, cancel=cancel)
    assert len(cancel.calls) == 3
    lam = analysis.top_eigenvalue_shaped(tr.net, tr.X, tr.t, tr.loss_name, cancel=lambda: False)
    assert lam == analysis.top_eigenvalue_shaped(tr.net, tr.X, tr.t, tr.loss_name)


def test_comparison_cancelled_during_lambda_max_returns_what_it_has():
    cfg = cfgmod.load_preset("xor")
    cancel = after(3)  # inside the first run's λmax, before any step
    res = compare.run_comparison(cfg, [Variant("a", {"lr": 0.1}), Variant("b", {"lr": 0.2})], epochs=50,
                                 cancel=cancel)
    assert res.cancelled and res.runs == [] and len(cancel.calls) == 3
