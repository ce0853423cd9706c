"""Loss landscapes: slices equal direct evaluations, directions have the promised properties, projections."""

from __future__ import annotations

import numpy as np
import pytest

from gdsim.engine.landscape import (
    auto_range,
    directions,
    frozen_prefix,
    project,
    surface_1d,
    surface_2d,
)
from gdsim.engine.network import Network

# (sizes, activations, loss): the reference workload, a multi-class net and a 1-input regression net
SETUPS = [
    ([2, 8, 8, 1], ["tanh", "tanh", "sigmoid"], "bce"),
    ([3, 5, 3], ["relu", "softmax"], "cross_entropy"),
    ([1, 4, 1], ["tanh", "linear"], "mse"),
]


def make(setup, n=40, seed=1):
    sizes, acts, loss = setup
    net = Network(sizes, acts, seed=0)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, sizes[0]))
    if loss == "bce":
        y = (X[:, 0] * X[:, 1] > 0).astype(float)
    elif loss == "cross_entropy":
        y = rng.integers(0, sizes[-1], n)
    else:
        y = np.sin(2 * X[:, :1])
    return net, X, y, loss


def loop_loss(net, X, y, loss, theta):
    other = net.copy()
    other.set_params(theta)
    return other.loss(X, y, loss)


@pytest.mark.parametrize("setup", SETUPS)
def test_surface_2d_equals_per_point_loss_and_leaves_params_alone(setup):
    net, X, y, loss = make(setup)
    before = net.params.copy()
    d1, d2, _ = directions(net, "random", seed=3)
    center = net.params + 0.1  # not the network's own point: the slice must use `center`
    alphas, betas = np.linspace(-1.5, 1.0, 7), np.linspace(-0.5, 2.0, 5)
    S = surface_2d(net, X, y, loss, center, d1, d2, alphas, betas)
    assert S.shape == (7, 5)
    expected = [[loop_loss(net, X, y, loss, center + a * d1 + b * d2) for b in betas] for a in alphas]
    np.testing.assert_allclose(S, expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(net.params, before)


@pytest.mark.parametrize("setup", SETUPS)
def test_surface_1d_equals_per_point_loss(setup):
    net, X, y, loss = make(setup)
    before = net.params.copy()
    d, _, _ = directions(net, "random", seed=4)
    alphas = np.linspace(-2, 2, 9)
    line = surface_1d(net, X, y, loss, net.params, d, alphas)
    expected = [loop_loss(net, X, y, loss, net.params + a * d) for a in alphas]
    np.testing.assert_allclose(line, expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(net.params, before)


def test_surface_at_origin_is_the_network_loss_and_chunking_does_not_matter():
    net, X, y, loss = make(SETUPS[0])
    d1, d2, _ = directions(net, "random")
    grid = np.linspace(-1, 1, 11)
    S = surface_2d(net, X, y, loss, net.params, d1, d2, grid, grid)
    assert S[5, 5] == pytest.approx(net.loss(X, y, loss), abs=1e-14)
    S1 = surface_2d(net, X, y, loss, net.params, d1, d2, grid, grid, chunk=1)
    S7 = surface_2d(net, X, y, loss, net.params, d1, d2, grid, grid, chunk=7)
    np.testing.assert_allclose(S1, S, rtol=0, atol=1e-14)
    np.testing.assert_allclose(S7, S, rtol=0, atol=1e-14)


@pytest.mark.parametrize("setup", SETUPS)
def test_cached_activation_path_equals_full_path(setup):
    net, X, y, loss = make(setup)
    d1, d2, _ = directions(net, "random", layers=[-1], seed=2)
    n_layers = len(net.layers)
    assert frozen_prefix(net, d1, d2) == n_layers - 1
    alphas, betas = np.linspace(-2, 2, 6), np.linspace(-1, 3, 4)
    cached = surface_2d(net, X, y, loss, net.params, d1, d2, alphas, betas)
    full = surface_2d(net, X, y, loss, net.params, d1, d2, alphas, betas, cache=False)
    np.testing.assert_allclose(cached, full, rtol=0, atol=1e-12)
    expected = [[loop_loss(net, X, y, loss, net.params + a * d1 + b * d2) for b in betas] for a in alphas]
    np.testing.assert_allclose(cached, expected, rtol=0, atol=1e-12)
    line = surface_1d(net, X, y, loss, net.params, d1, alphas)
    np.testing.assert_allclose(line, surface_1d(net, X, y, loss, net.params, d1, alphas, cache=False),
                               rtol=0, atol=1e-12)


def test_frozen_prefix_counts_zero_layers_and_keeps_the_output_layer():
    net, X, y, loss = make(SETUPS[0])
    second_layer_bias = net.slots[1].b.start
    d1, d2, _ = directions(net, "axes", indices=(second_layer_bias, net.n_params - 1))
    assert frozen_prefix(net, d1, d2) == 1  # a bias of layer 2 moves: layer 1 can be cached
    zero = np.zeros(net.n_params)
    assert frozen_prefix(net, zero, zero) == len(net.layers) - 1
    S = surface_2d(net, X, y, loss, net.params, zero, zero, [0.0, 1.0], [2.0])
    np.testing.assert_allclose(S, net.loss(X, y, loss), rtol=0, atol=1e-14)
    grid = np.linspace(-3, 3, 5)
    np.testing.assert_allclose(surface_2d(net, X, y, loss, net.params, d1, d2, grid, grid),
                               surface_2d(net, X, y, loss, net.params, d1, d2, grid, grid, cache=False),
                               rtol=0, atol=1e-12)


def test_far_out_slices_give_finite_or_inf_values_not_exceptions():
    net, X, y, loss = make(SETUPS[2])
    d1, d2, _ = directions(net, "random")
    S = surface_2d(net, X, y, loss, net.params, d1, d2, [0.0, 1e200], [0.0, 1e200])
    assert np.isfinite(S[0, 0]) and not np.isfinite(S[1, 1])


def column_norms(net, v):
    return [np.linalg.norm(v[s.w].reshape(s.n_in, s.n_out), axis=0) for s in net.slots]


@pytest.mark.parametrize("setup", SETUPS)
def test_random_directions_are_filter_normalised_with_zero_bias(setup):
    net, *_ = make(setup)
    d1, d2, info = directions(net, "random", seed=7)
    for d in (d1, d2):
        for got, want in zip(column_norms(net, d), column_norms(net, net.params), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-12)
        for s in net.slots:
            assert not np.any(d[s.b])
    cosine = d1 @ d2 / (np.linalg.norm(d1) * np.linalg.norm(d2))
    assert info["cosine"] == pytest.approx(cosine, abs=1e-15)
    if min(net.sizes[:-1]) >= 2:  # every column can be orthogonalised on its own: exactly orthogonal
        assert abs(cosine) < 1e-12
    else:  # single-input columns keep their random value; the rest is orthogonal
        assert abs(cosine) < 0.5
    np.testing.assert_array_equal(info["center"], net.params)


def test_random_directions_use_given_params_seed_and_layers():
    net, *_ = make(SETUPS[0])
    other = net.params * np.linspace(0.5, 2.0, net.n_params)
    d1, _, info = directions(net, "random", params=other, seed=1)
    for got, want in zip(column_norms(net, d1), column_norms(net, other), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_array_equal(info["center"], other)
    same, _, _ = directions(net, "random", params=other, seed=1)
    np.testing.assert_array_equal(same, d1)
    assert not np.allclose(directions(net, "random", params=other, seed=2)[0], d1)
    last, last2, _ = directions(net, "random", layers=[-1])
    only = np.zeros(net.n_params, dtype=bool)
    only[net.slots[-1].w] = True
    assert np.any(last[only]) and not np.any(last[~only]) and not np.any(last2[~only])
    with pytest.raises(ValueError, match="layer 5 does not exist"):
        directions(net, "random", layers=[5])


def test_random_directions_refuse_an_all_zero_network():
    with pytest.warns(UserWarning):
        net = Network([2, 3, 1], init="zeros")
    with pytest.raises(ValueError, match="all zero"):
        directions(net, "random")


def gd_trajectory(net, X, y, loss, steps=30, lr=0.5):
    theta, path = net.params.copy(), []
    other = net.copy()
    for _ in range(steps):
        path.append(theta.copy())
        other.set_params(theta)
        theta = theta - lr * other.loss_and_grad(X, y, loss)[1]
    return np.array(path)


def test_pca_directions_are_orthonormal_with_explained_ratios():
    net, X, y, loss = make(SETUPS[0])
    traj = gd_trajectory(net, X, y, loss)
    d1, d2, info = directions(net, "pca", trajectory=traj)
    np.testing.assert_allclose([d1 @ d1, d2 @ d2, d1 @ d2], [1, 1, 0], atol=1e-12)
    v1, v2 = info["explained"]
    assert 0 <= v2 <= v1 <= 1 and v1 + v2 <= 1 + 1e-12
    np.testing.assert_array_equal(info["center"], traj[-1])
    # the first direction points along the way the run came (from the last point back to the start)
    coords = project(traj, traj[-1], d1, d2)
    assert abs(coords[0, 0]) > abs(coords[0, 1])


def test_pca_is_the_centred_pca_of_li_et_al():
    """sklearn-style PCA of M = [θ_i − θ_n]: centre M's columns, eigen-decompose the covariance."""
    net, X, y, loss = make(SETUPS[0])
    traj = gd_trajectory(net, X, y, loss, steps=60)
    d1, d2, info = directions(net, "pca", trajectory=traj)
    m = traj[:-1] - traj[-1]
    values, vectors = np.linalg.eigh(np.cov(m, rowvar=False))  # np.cov centres; ascending order
    values, vectors = values[::-1], vectors[:, ::-1]
    share = values / values.sum()  # sklearn's explained_variance_ratio_
    np.testing.assert_allclose(info["explained"], share[:2], rtol=1e-9)
    np.testing.assert_allclose(abs(d1 @ vectors[:, 0]), 1.0, atol=1e-9)
    np.testing.assert_allclose(abs(d2 @ vectors[:, 1]), 1.0, atol=1e-9)
    np.testing.assert_array_equal(info["center"], traj[-1])  # the plane still goes through the last point
    # the uncentred SVD this replaces gives another share on this path (the test tells them apart)
    s = np.linalg.svd(m, compute_uv=False)
    assert abs(s[0] ** 2 / (s**2).sum() - info["explained"][0]) > 0.01


def test_pca_of_a_planar_trajectory_explains_everything_and_projects_exactly():
    rng = np.random.default_rng(0)
    net, *_ = make(SETUPS[0])
    q, _ = np.linalg.qr(rng.standard_normal((net.n_params, 2)))
    coords = rng.standard_normal((12, 2)) * [3.0, 1.0]
    coords[-1] = 0.0
    center = rng.standard_normal(net.n_params)
    traj = center + coords @ q.T
    d1, d2, info = directions(net, "pca", trajectory=traj)
    assert sum(info["explained"]) == pytest.approx(1.0, abs=1e-12)
    back = project(traj, center, d1, d2)
    np.testing.assert_allclose(traj, center + back @ np.stack([d1, d2]), atol=1e-12)


def test_pca_needs_three_distinct_finite_points():
    net, *_ = make(SETUPS[0])
    p = net.params
    with pytest.raises(ValueError, match="at least 3 distinct points"):
        directions(net, "pca", trajectory=np.array([p, p, p + 1, p + 1, p]))
    with pytest.raises(ValueError, match="need a trajectory"):
        directions(net, "pca")
    with pytest.raises(ValueError, match="NaN"):
        directions(net, "pca", trajectory=np.array([p, p + 1, p + np.nan]))
    with pytest.raises(ValueError, match="shape"):
        directions(net, "pca", trajectory=np.ones((4, 3)))


def test_axis_directions_are_unit_vectors():
    net, *_ = make(SETUPS[0])
    d1, d2, info = directions(net, "axes", indices=(0, 5))
    assert d1[0] == 1 and d2[5] == 1 and d1.sum() == 1 and d2.sum() == 1
    assert info["names"] == (net.param_names[0], net.param_names[5])
    for bad in [(0, 0), (0, net.n_params), (1,), None]:
        with pytest.raises(ValueError):
            directions(net, "axes", indices=bad)
    with pytest.raises(ValueError, match="unknown direction kind"):
        directions(net, "hessian")


def test_project_recovers_coordinates_for_any_spanning_pair():
    rng = np.random.default_rng(5)
    P = 20
    center = rng.standard_normal(P)
    d1, d2 = rng.standard_normal((2, P))
    d2 = d2 + 3 * d1  # far from orthogonal, different lengths
    coords = rng.uniform(-4, 4, (15, 2))
    got = project(center + coords[:, :1] * d1 + coords[:, 1:] * d2, center, d1, d2)
    np.testing.assert_allclose(got, coords, atol=1e-10)
    e = np.eye(P)
    point = center.copy()
    point[[3, 7]] += [1.5, -2.25]
    np.testing.assert_array_equal(project(point, center, e[3], e[7]), [[1.5, -2.25]])
    with pytest.raises(ValueError, match="parallel"):
        project(point, center, d1, 2 * d1)


def test_auto_range_frames_path_and_centre():
    coords = np.array([[2.0, -1.0], [4.0, 0.5], [np.nan, 9.0], [3.0, 0.25]])
    a_lo, a_hi, b_lo, b_hi = auto_range(coords, margin=0.5, min_half_width=1.0)
    assert a_lo < 0 < 4 < a_hi and b_lo < -1 < 0.5 < b_hi  # every finite point and the origin
    assert (a_lo, a_hi) == pytest.approx((-1.0, 5.0))  # [0, 4] widened by half its half-width
    assert (b_lo, b_hi) == pytest.approx((-1.375, 0.875))  # [-1, 0.5] grows to 2.25 wide
    assert auto_range([[0.2, 0.1]]) == pytest.approx((-0.9, 1.1, -0.95, 1.05))  # minimum half-width 1
    assert auto_range(np.zeros((3, 2)), min_half_width=0.5) == (-0.5, 0.5, -0.5, 0.5)
    assert auto_range(np.full((2, 2), np.inf)) == (-1.0, 1.0, -1.0, 1.0)
