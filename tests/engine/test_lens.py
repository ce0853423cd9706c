"""Neuron lens: maps equal a direct forward pass over the same grid, δ equals autograd, dead ReLUs are found."""

from __future__ import annotations

import numpy as np
import pytest

from gdsim.engine import inspect, lens
from gdsim.engine.inspect import next_update
from gdsim.engine.network import Network
from gdsim.engine.trainer import Trainer


def two_input_data(n=30, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2)) * [2.0, 0.5] + [1.0, -3.0]
    return X, (X[:, 0] * X[:, 1] > -3.0).astype(float)


# ---------------------------------------------------------------- maps over the input plane


def test_maps_equal_a_direct_forward_pass_over_the_same_grid():
    X, y = two_input_data()
    net = Network([2, 4, 3, 1], ["tanh", "relu", "sigmoid"], seed=2)
    extent, size = (-2.0, 3.0, -4.0, 1.5), 40
    got = lens.lens(net, X, net.targets(y, "bce"), "bce", extent=extent, size=size)
    xs, ys = np.linspace(-2.0, 3.0, size), np.linspace(-4.0, 1.5, size)
    gx, gy = np.meshgrid(xs, ys)
    acts = net.forward_all(np.column_stack([gx.ravel(), gy.ravel()]))[1]
    assert got.extent == extent and len(got.layers) == 3
    for layer, a in zip(got.layers, acts[1:], strict=True):
        assert layer.maps.shape == (a.shape[1], size, size)
        for j in range(a.shape[1]):
            assert layer.maps[j].tobytes() == a[:, j].reshape(size, size).tobytes()  # exactly
    # rows are y and columns x: spot checks against one-point forward passes
    for iy, ix in [(0, 0), (0, size - 1), (size - 1, 0), (17, 29)]:
        one = net.forward_all(np.array([[xs[ix], ys[iy]]]))[1]
        for layer, a in zip(got.layers, one[1:], strict=True):
            np.testing.assert_allclose(layer.maps[:, iy, ix], a[0], rtol=1e-12, atol=1e-15)


def test_default_extent_pads_the_data_and_levels_cover_each_layer():
    X, y = two_input_data()
    net = Network([2, 5, 1], ["tanh", "sigmoid"], seed=1)
    got = lens.lens(net, X, net.targets(y, "bce"), "bce", size=12)
    x0, x1, y0, y1 = got.extent
    w, h = np.ptp(X[:, 0]), np.ptp(X[:, 1])
    assert (x0, x1) == pytest.approx((X[:, 0].min() - 0.1 * w, X[:, 0].max() + 0.1 * w))
    assert (y0, y1) == pytest.approx((X[:, 1].min() - 0.1 * h, X[:, 1].max() + 0.1 * h))
    hidden, out = got.layers
    assert hidden.maps.shape == (5, 12, 12) and out.maps.shape == (1, 12, 12)
    lo, hi = hidden.levels  # tanh takes both signs here: one symmetric range for the whole layer
    assert hidden.maps.min() < 0 < hidden.maps.max()
    assert lo == -hi == -np.abs(hidden.maps).max()
    assert out.levels == (out.maps.min(), out.maps.max())  # a sigmoid is positive: its own min..max
    assert hidden.counts is None and hidden.edges is None


def test_bad_grids_and_function_mode_are_refused():
    net = Network([2, 3, 1])
    with pytest.raises(ValueError, match="2 to 40"):
        lens.neuron_maps(net, (0, 1, 0, 1), size=41)
    with pytest.raises(ValueError, match="2 inputs"):
        lens.neuron_maps(Network([3, 2, 1]), (0, 1, 0, 1))
    from gdsim.engine.function_model import FunctionModel, make_function
    tr = Trainer(FunctionModel(make_function("x**2 + y**2")), np.zeros((1, 1)), np.zeros(1), task="function")
    with pytest.raises(ValueError, match="function mode"):
        lens.trainer_lens(tr)


# ---------------------------------------------------------------- histograms for more than two inputs


def test_histograms_over_the_data_with_more_inputs():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(200, 5))
    y = rng.integers(0, 3, size=200)
    net = Network([5, 6, 3], ["tanh", "softmax"], seed=3)
    got = lens.lens(net, X, net.targets(y, "cross_entropy"), "cross_entropy")
    assert got.extent is None
    acts = net.forward_all(X)[1]
    for layer, a in zip(got.layers, acts[1:], strict=True):
        assert layer.maps is None and layer.counts.shape == (a.shape[1], lens.BINS)
        assert layer.levels[0] <= a.min() and a.max() <= layer.levels[1]
        np.testing.assert_array_equal(layer.edges, np.linspace(*layer.levels, lens.BINS + 1))
        for j in range(a.shape[1]):
            np.testing.assert_array_equal(layer.counts[j], np.histogram(a[:, j], bins=layer.edges)[0])
        assert (layer.counts.sum(axis=1) == 200).all()


# ---------------------------------------------------------------- δ against autograd


def torch_deltas(net: Network, X, t, loss):
    """Per-sample δ = ∂L_i/∂z of each layer by torch autograd, on a copy of the network's weights."""
    torch = pytest.importorskip("torch")
    a = torch.tensor(X, dtype=torch.float64)
    zs = []
    for layer in net.layers:
        w = torch.tensor(layer.W, requires_grad=True)
        z = a @ w + torch.tensor(layer.b)
        z.retain_grad()
        zs.append(z)
        a = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid, "linear": lambda v: v,
             "softmax": lambda v: torch.softmax(v, dim=1)}[layer.activation](z)
    target = torch.tensor(t)
    if loss == "mse":
        value = ((a - target) ** 2).mean()
    else:  # cross-entropy on the logits
        value = torch.nn.functional.cross_entropy(zs[-1], target.argmax(dim=1))
    value.backward()
    n = X.shape[0]
    return [(z.grad * n).numpy() for z in zs]  # the mean loss's δ is 1/n of each sample's own δ


@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_delta_equals_autograd_on_the_batch(loss):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 3))
    if loss == "mse":
        net = Network([3, 5, 4, 2], ["tanh", "relu", "linear"], seed=7)
        t = net.targets(rng.normal(size=(40, 2)), loss)
    else:
        net = Network([3, 5, 4, 3], ["relu", "tanh", "softmax"], seed=7)
        t = net.targets(rng.integers(0, 3, size=40), loss)
    batch = (X[7:19], t[7:19])
    got = lens.lens(net, X, t, loss, batch=batch)
    expected = torch_deltas(net, *batch, loss)
    grad = net.forward_backward(*batch, loss)[1]
    for layer, d, s in zip(got.layers, expected, net.slots, strict=True):
        np.testing.assert_allclose(layer.delta_mean, d.mean(axis=0), rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(layer.delta_size, np.abs(d).mean(axis=0), rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(layer.delta_mean, grad[s.b], rtol=1e-12, atol=1e-15)  # mean δ = ∂L/∂b


def test_trainer_lens_uses_the_batch_of_the_next_step():
    X, y = two_input_data(n=24)
    net = Network([2, 4, 1], ["tanh", "sigmoid"], seed=0)
    tr = Trainer(net, X, y, loss="bce", optimizer="adam", lr=0.01, batch_size=5, seed=2)
    for _ in range(5):  # the next step starts a new epoch: its batch comes from a fresh shuffle
        tr.step()
    rng_before = tr.rng.bit_generator.state
    got = lens.trainer_lens(tr, size=20)
    grad = next_update(tr)["grad"]
    for layer, s in zip(got.layers, net.slots, strict=True):
        np.testing.assert_allclose(layer.delta_mean, grad[s.b], rtol=1e-12, atol=1e-15)
    assert tr.rng.bit_generator.state == rng_before
    assert got.layers[0].maps.shape == (4, 20, 20)


# ---------------------------------------------------------------- dead ReLUs


def test_a_constructed_dead_relu_is_marked_and_counted():
    X, y = two_input_data()
    net = Network([2, 4, 3, 1], ["relu", "relu", "linear"], seed=2)
    assert inspect.dead_relus(net, X) == 0  # none dead until we make them so
    net.layers[0].b[2] = -100.0  # z ≤ 0 on every sample: hidden unit (1, 2) is dead
    net.layers[1].b[:] = 100.0  # the next layer's units alive on every sample...
    net.layers[1].W[:, 0] = 0.0
    net.layers[1].b[0] = 0.0  # ...but for unit (2, 0): z = 0 exactly is dead too (≤ 0), it passes no gradient
    t = net.targets(y, "mse")
    got = lens.lens(net, X, t, "mse", size=10)
    np.testing.assert_array_equal(got.layers[0].dead, [False, False, True, False])
    np.testing.assert_array_equal(got.layers[1].dead, [True, False, False])
    assert not got.layers[2].dead.any()  # a linear output is never "dead"
    assert got.n_dead == 2 == inspect.dead_relus(net, X)
    assert got.layers[0].delta_size[2] == 0.0 and got.layers[1].delta_size[0] == 0.0  # no blame flows
    assert got.layers[0].delta_size[[0, 1, 3]].min() > 0.0
    on_data = got.layers[0].maps[2]  # dead on the data; on this plane (data ±10 %) it is 0 everywhere
    assert not on_data.any()


def test_results_are_read_only():
    X, y = two_input_data()
    net = Network([2, 3, 1])
    got = lens.lens(net, X, net.targets(y, "mse"), "mse", size=8)
    for layer in got.layers:
        for a in (layer.maps, layer.delta_mean, layer.delta_size, layer.dead):
            assert not a.flags.writeable
