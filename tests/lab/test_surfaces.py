"""Surfaces for the panels: values equal direct loss evaluations, paths sit on what is drawn, honest framing."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdsim.engine.function_model import FunctionModel as FunctionNet  # the real adapter
from gdsim.engine.functions import FUNCTIONS, parse, run
from gdsim.lab import config, surfaces
from gdsim.lab.surfaces import SurfaceSpec, compute, compute_for, path_on_grid


@pytest.fixture(scope="module")
def xor():
    b = config.build(config.load_preset("xor"))
    b.trainer.run(60)
    return b


def direct_loss(b, theta):
    other = b.net.copy()
    other.set_params(theta)
    return other.loss(b.trainer.X, b.trainer.y, b.trainer.loss_name)


def grid_for(b, spec, **kw):
    return compute_for(spec, b.trainer, **kw)


@pytest.mark.parametrize("plane", ["axes", "random", "pca"])
def test_2d_values_equal_direct_losses_and_params_are_untouched(xor, plane):
    before = xor.net.params.copy()
    g = grid_for(xor, SurfaceSpec(plane=plane, indices=(2, 9), resolution=21))
    np.testing.assert_array_equal(xor.net.params, before)
    assert g.values.shape == (21, 21) and g.alphas.shape == (21,) and g.betas.shape == (21,)
    for i, j in [(0, 0), (3, 17), (10, 10), (20, 5)]:
        theta = g.center + g.alphas[i] * g.d1 + g.betas[j] * g.d2
        assert g.values[i, j] == pytest.approx(direct_loss(xor, theta), abs=1e-12)
    for a in (g.alphas, g.betas, g.values, g.center, g.d1, g.d2, g.path, g.path_steps):
        assert not a.flags.writeable
    assert g.spec.plane == plane and g.step == xor.trainer.step_count
    np.testing.assert_array_equal(g.center, xor.net.params)  # every plane passes through the current point


def test_axes_plane_labels_and_offsets_give_absolute_values(xor):
    g = grid_for(xor, SurfaceSpec(indices=(2, 9), resolution=11))
    assert g.labels == (xor.net.param_names[2], xor.net.param_names[9])
    assert g.offsets == (xor.net.params[2], xor.net.params[9])
    assert np.flatnonzero(g.d1).tolist() == [2] and np.flatnonzero(g.d2).tolist() == [9]
    assert "re-cut" in g.note
    # the path is the trajectory's two coordinates relative to the centre
    _, points = xor.trainer.trajectory.sample()
    np.testing.assert_allclose(g.path, points[:, [2, 9]] - g.center[[2, 9]], atol=1e-12)
    assert g.alphas[0] <= g.path[:, 0].min() and g.path[:, 0].max() <= g.alphas[-1]
    assert g.alphas[-1] - g.alphas[0] >= 6 - 1e-9  # at least ±3 for parameter axes


def test_1d_values_and_path_on_the_curve(xor):
    g = grid_for(xor, SurfaceSpec(kind="1d", indices=(5,), resolution=51))
    assert g.betas is None and g.d2 is None and g.values.shape == (51,) and not g.is_2d
    assert g.labels == (xor.net.param_names[5],) and g.contours == ()
    for i in (0, 25, 50):
        theta = g.center.copy()
        theta[5] += g.alphas[i]
        assert g.values[i] == pytest.approx(direct_loss(xor, theta), abs=1e-12)
    np.testing.assert_allclose(g.path[:, 1], np.interp(g.path[:, 0], g.alphas, g.values))
    assert g.path[-1, 0] == 0.0  # the current point is the centre


@pytest.mark.parametrize("plane", ["random", "pca"])
def test_1d_along_the_first_direction(xor, plane):
    g = grid_for(xor, SurfaceSpec(kind="1d", plane=plane, resolution=11))
    assert len(g.labels) == 1
    assert g.values[3] == pytest.approx(direct_loss(xor, g.center + g.alphas[3] * g.d1), abs=1e-12)


def test_exact_mode_is_centred_at_the_start_and_its_path_lies_on_the_surface():
    b = config.build(config.load_preset("xor"))
    start = b.net.params.copy()
    mask = np.zeros(b.net.n_params, dtype=bool)
    mask[[0, 12]] = True  # what the lead wires for exact mode: only the two chosen parameters train
    trainer = config.make_trainer(b.config, b.data, b.net, mask=mask)
    trainer.run(40)
    spec = SurfaceSpec(indices=(0, 12), exact=True, resolution=41)
    g = compute_for(spec, trainer, start=start)
    np.testing.assert_array_equal(g.center, start)
    assert g.offsets == (start[0], start[12])
    assert g.note.startswith("Exact: only W1[1,1] and W2[1,1] are trained")
    # on the surface: the loss at each path point, read off the grid, is the loss the network had there
    _, points = trainer.trajectory.sample()
    on_grid = surfaces.value_at(g, g.path)
    direct = [direct_loss(b, p) for p in points]
    np.testing.assert_allclose(on_grid, direct, rtol=0.02)
    # without start, the path's first point is the start
    again = compute_for(spec, trainer)
    np.testing.assert_array_equal(again.values, g.values)


def test_exact_1d_curve_has_the_true_losses_of_the_steps():
    b = config.build(config.load_preset("xor"))
    mask = np.zeros(b.net.n_params, dtype=bool)
    mask[16] = True
    trainer = config.make_trainer(b.config, b.data, b.net, mask=mask)
    trainer.run(30)
    g = compute_for(SurfaceSpec(kind="1d", indices=(16,), exact=True, resolution=401), trainer)
    _, points = trainer.trajectory.sample()
    np.testing.assert_allclose(g.path[:, 1], [direct_loss(b, p) for p in points], rtol=1e-3)
    assert "curve" in g.note


def test_pca_labels_show_explained_variance(xor):
    g = grid_for(xor, SurfaceSpec(plane="pca", resolution=11))
    assert all(re.fullmatch(r"PCA [12] \(\d+%\)", label) for label in g.labels)
    assert "%" in g.note and g.spec.plane == "pca"


def test_pca_before_three_points_falls_back_to_random_directions():
    b = config.build(config.load_preset("xor"))
    b.trainer.step()
    g = compute_for(SurfaceSpec(plane="pca", resolution=11), b.trainer)
    assert g.spec.plane == "random" and g.labels[0] == "random direction 1"
    assert "PCA directions need at least 3 distinct points" in g.note


def test_coarse_pass_and_fixed_span(xor):
    g = grid_for(xor, SurfaceSpec(resolution=101, span=0.5), coarse=True)
    assert g.values.shape == (surfaces.COARSE, surfaces.COARSE) and g.coarse
    assert (g.alphas[0], g.alphas[-1], g.betas[0], g.betas[-1]) == (-0.5, 0.5, -0.5, 0.5)


def test_bad_indices_are_repaired_not_fatal(xor):
    g = grid_for(xor, SurfaceSpec(indices=(3, 3), resolution=5))
    assert g.spec.indices == (3, 4)
    g = grid_for(xor, SurfaceSpec(indices=(99, 1), resolution=5))
    assert g.spec.indices == (1, 0)


def test_path_on_grid_reprojects_a_newer_path(xor):
    g = grid_for(xor, SurfaceSpec(plane="random", resolution=11))
    steps, points = xor.trainer.trajectory.sample()
    np.testing.assert_allclose(path_on_grid(g, points, steps), g.path, atol=1e-12)
    g1 = grid_for(xor, SurfaceSpec(kind="1d", indices=(0,), resolution=11))
    p = path_on_grid(g1, points)
    assert not p.flags.writeable
    np.testing.assert_allclose(p[:, 1], np.interp(p[:, 0], g1.alphas, g1.values))
    far = points[-1:].copy()
    far[0, 0] += 1e3  # off the slice: no loss to show
    assert np.isnan(path_on_grid(g1, far)[0, 1])
    assert surfaces.covers(g, g.path) and not surfaces.covers(g, [[1e6, 0.0]])


# ------------------------------------------------------------------------------------------ function mode


def test_function_mode_is_the_exact_function_on_its_own_range():
    f = FUNCTIONS["elongated"]
    path = run(f, lr=0.15, steps=30)
    net = FunctionNet(f, path[-1])
    g = compute(SurfaceSpec(plane="random", resolution=31), net, None, None, "mse", path, np.arange(len(path)))
    assert g.spec.plane == "axes" and g.labels == ("x", "y")
    np.testing.assert_array_equal(g.center, [0.0, 0.0])  # coordinates are the parameters themselves
    assert (g.alphas[0], g.alphas[-1]) == f.default_range[0] and (g.betas[0], g.betas[-1]) == f.default_range[1]
    A, B = np.meshgrid(g.alphas, g.betas, indexing="ij")
    np.testing.assert_allclose(g.values, f.value(np.stack([A, B], -1)))
    np.testing.assert_allclose(g.path, path)
    assert "exact function" in g.note and len(g.contours) == surfaces.N_LEVELS
    assert all(len(segs) for _, segs in g.contours)  # a bowl has a ring at every level


def test_function_mode_frames_a_path_that_leaves_the_range_but_not_without_bound():
    f = FUNCTIONS["saddle"]
    path = run(f, lr=0.2, steps=60)  # escapes along y
    g = compute(SurfaceSpec(resolution=11), FunctionNet(f, path[-1]), None, None, "mse", path, np.arange(61))
    assert g.betas[-1] == pytest.approx(3.0 + surfaces.FUNCTION_REACH * 6.0)  # the range (±3) + 4 widths at most
    assert g.alphas[-1] == 3.0


@pytest.mark.parametrize("preset, names", [("elongated_bowl", ("x", "y")), ("bias_eta_001", ("b",))])
def test_function_mode_through_the_real_function_model(preset, names):
    b = config.build(config.load_preset(preset))
    b.trainer.run(10)
    kind = "2d" if len(names) == 2 else "1d"
    g = compute_for(SurfaceSpec(kind=kind, resolution=21), b.trainer)
    assert g.labels == names and "exact function" in g.note
    f = b.net.function
    pts = np.stack(np.meshgrid(g.alphas, g.betas, indexing="ij"), -1) if kind == "2d" else g.alphas[:, None]
    np.testing.assert_allclose(g.values, f.value(pts))
    assert g.path[-1, 0] == pytest.approx(b.net.params[0])


def test_one_variable_function_gives_a_1d_curve_and_refuses_2d():
    f = FUNCTIONS["x2"]
    path = run(f, lr=0.9, steps=10)
    net = FunctionNet(f, path[-1])
    g = compute(SurfaceSpec(kind="1d", resolution=61), net, None, None, "mse", path, np.arange(11))
    np.testing.assert_allclose(g.values, g.alphas**2)
    np.testing.assert_allclose(g.path[:, 0], path[:, 0])
    np.testing.assert_allclose(g.path[:, 1], path[:, 0] ** 2, atol=0.01)  # on the drawn polyline
    with pytest.raises(ValueError, match="needs two parameters"):
        compute(SurfaceSpec(kind="2d"), net, None, None, "mse", path, np.arange(11))


def test_non_finite_values_are_data():
    f = parse("log(x) + y**2")
    path = np.array([[1.0, 1.0], [0.5, 0.5], [0.25, 0.2]])
    g = compute(SurfaceSpec(resolution=21), FunctionNet(f, path[-1]), None, None, "mse", path, np.arange(3))
    assert np.isnan(g.values).any() and np.isfinite(g.values).any()
    image, (lo, hi), _ = surfaces.colour_image(g.values, log=True)
    assert np.isfinite(lo) and np.isfinite(hi) and hi > lo
    assert np.isnan(image[np.isnan(g.values)]).all()


def test_bowl_network_contours():
    """A one-weight linear regression with MSE is a quadratic bowl in (w, b): every level is a ring."""
    cfg = config.Config().with_changes(problem={"dataset": "sine"}, network={"hidden": []})
    b = config.build(cfg)
    b.trainer.run(3)
    g = compute_for(SurfaceSpec(resolution=41), b.trainer)
    assert b.net.n_params == 2 and "all the parameters there are" in g.note
    assert len(g.contours) == surfaces.N_LEVELS and all(len(s) > 10 for _, s in g.contours)
    levels = [lv for lv, _ in g.contours]
    assert levels == sorted(levels) and levels[0] > np.nanmin(g.values)


# ------------------------------------------------------------------------------------------ helpers


def test_colour_levels_are_not_washed_out_by_a_few_huge_values():
    v = np.linspace(0.0, 1.0, 10_000).reshape(100, 100)
    v[-1, -5:] = 1e12
    v[-2, -1] = np.inf
    image, (lo, hi), label = surfaces.colour_image(v)
    assert lo == 0.0 and hi < 1.01 and label == "loss"
    assert image[-2, -1] == hi  # +inf draws in the top colour
    image, (lo, hi), label = surfaces.colour_image(v + 0.5, log=True)
    assert lo == pytest.approx(np.log10(0.5)) and hi < np.log10(1.6) and label == "log₁₀ loss"
    _, _, label = surfaces.colour_image(v - 0.5, log=True)
    assert label == "log₁₀(loss − min)"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-3, 3), min_size=4, max_size=4), st.floats(-2, 2), st.floats(-2, 2))
def test_value_at_is_exact_for_bilinear_surfaces(c, x, y):
    class Bilinear:  # the duck-typed part of a Function that a surface uses
        dim, name, default_range = 2, "bilinear", ((-3.0, 3.0), (-3.0, 3.0))

        def value(self, P):
            return c[0] + c[1] * P[..., 0] + c[2] * P[..., 1] + c[3] * P[..., 0] * P[..., 1]

    f = Bilinear()
    g = compute(SurfaceSpec(resolution=7, span=2.5), FunctionNet(f, [0.0, 0.0]), None, None, "mse",
                np.zeros((1, 2)), [0])
    assert surfaces.value_at(g, [[x, y]])[0] == pytest.approx(f.value(np.array([x, y])), abs=1e-9)


def test_spec_validation():
    with pytest.raises(ValueError, match="kind"):
        SurfaceSpec(kind="3d")
    with pytest.raises(ValueError, match="plane"):
        SurfaceSpec(plane="hessian")
    with pytest.raises(ValueError, match="at least 3"):
        SurfaceSpec(resolution=2)
    with pytest.raises(ValueError, match="span"):
        SurfaceSpec(span=-1.0)
    assert SurfaceSpec(indices=[4, 2]).indices == (4, 2)


def test_exact_mode_path_lies_on_the_fixed_surface_to_1e9():
    """Exact mode: every point of the path is a point of the plane, and the surface evaluated there (not
    interpolated) is the loss the network had at that step."""
    from gdsim.engine import landscape

    b = config.build(config.load_preset("xor"))
    start = b.net.params.copy()
    mask = np.zeros(b.net.n_params, dtype=bool)
    mask[[0, 12]] = True
    trainer = config.make_trainer(b.config, b.data, b.net, mask=mask)
    trainer.run(40)
    g = compute_for(SurfaceSpec(indices=(0, 12), exact=True, resolution=41), trainer, start=start)
    _, points = trainer.trajectory.sample()
    coords = path_on_grid(g, points)
    for (a, c), theta in zip(coords, points, strict=True):
        on_surface = landscape.surface_2d(b.net, trainer.X, trainer.y, trainer.loss_name, g.center, g.d1, g.d2,
                                          [a], [c])[0, 0]
        assert abs(on_surface - direct_loss(b, theta)) <= 1e-9
        np.testing.assert_allclose(g.center + a * g.d1 + c * g.d2, theta, atol=1e-12)


def test_a_1d_slice_frames_a_diverging_path_whole():
    """5b² at η = 1: b = −5·(−9)^k. The 1D curve keeps every step on it (a 2D surface stays bounded)."""
    f = FUNCTIONS["bias5"]
    path = np.array([[-5.0 * (-9.0) ** k] for k in range(6)])  # up to −295,245
    g = compute(SurfaceSpec(kind="1d", resolution=21), FunctionNet(f, path[-1]), None, None, "mse", path,
                np.arange(6))
    assert g.alphas[0] <= path.min() and path.max() <= g.alphas[-1]
    assert np.isfinite(g.path[:, 1]).all()  # every step sits on the drawn curve
