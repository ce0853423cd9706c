import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdsim.engine import activations, losses
from gdsim.engine.network import Network


def numerical_grad(net, X, y, loss, eps=1e-6):
    g = np.zeros_like(net.params)
    for i in range(net.n_params):
        old = net.params[i]
        net.params[i] = old + eps
        up = net.loss(X, y, loss)
        net.params[i] = old - eps
        down = net.loss(X, y, loss)
        net.params[i] = old
        g[i] = (up - down) / (2 * eps)
    return g


def worked_example():
    net = Network([2, 2, 1], ["relu", "linear"])
    net.layers[0].W[:] = [[0.1, 0.2], [0.3, 0.4]]
    net.layers[0].b[:] = 0
    net.layers[1].W[:] = [[0.5], [0.6]]
    net.layers[1].b[:] = 0
    return net, np.array([[1.0, 2.0]]), np.array([1.0])


def test_worked_example_from_the_notes():
    net, X, y = worked_example()
    assert net.forward(X)[0, 0] == pytest.approx(0.95)
    loss, g = net.loss_and_grad(X, y, "half_mse")
    assert loss == pytest.approx(0.00125)
    # by hand: h = relu([0.7, 1.0]); δ2 = ŷ − y = −0.05
    d2 = -0.05
    h = np.array([0.7, 1.0])
    dW2, db2 = d2 * h, d2
    d1 = d2 * np.array([0.5, 0.6])  # relu'(z1) = 1 for both
    dW1 = np.outer([1.0, 2.0], d1)
    names = dict(zip(net.param_names, g, strict=True))
    assert names["W2[1,1]"] == pytest.approx(dW2[0]) and names["W2[2,1]"] == pytest.approx(dW2[1])
    assert names["b2[1]"] == pytest.approx(db2)
    for i in range(2):
        for j in range(2):
            assert names[f"W1[{i + 1},{j + 1}]"] == pytest.approx(dW1[i, j])
    assert names["b1[1]"] == pytest.approx(d1[0]) and names["b1[2]"] == pytest.approx(d1[1])


def test_params_layout_and_views():
    net = Network([3, 4, 2], ["tanh", "linear"], seed=1)
    assert net.params.dtype == np.float64 and net.n_params == 3 * 4 + 4 + 4 * 2 + 2
    # counted from 1 as a person reads them; stored row-major, W (n_in × n_out)
    assert net.param_names[:2] == ["W1[1,1]", "W1[1,2]"] and net.param_names[12] == "b1[1]"
    assert net.param_names[-1] == "b2[2]"
    net.params[1] = 42.0  # W1[1,2]: row-major
    assert net.layers[0].W[0, 1] == 42.0
    net.layers[1].b[1] = -3.0
    assert net.params[-1] == -3.0
    assert np.shares_memory(net.layers[1].W, net.params)


def test_layer_computes_a_at_w_plus_b():
    net = Network([2, 3], ["linear"], seed=3)
    X = np.array([[1.0, -2.0], [0.5, 0.25]])
    np.testing.assert_allclose(net.forward(X), X @ net.layers[0].W + net.layers[0].b)


CASES = [(a, "mse") for a in ("linear", "relu", "leaky_relu", "sigmoid", "tanh")] + [
    ("tanh", "half_mse"), ("sigmoid", "bce"), ("softmax", "cross_entropy"), ("softmax", "mse")]


@pytest.mark.parametrize("hidden", ["linear", "relu", "leaky_relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("output,loss", list(CASES))
def test_gradients_match_finite_differences(hidden, output, loss):
    rng = np.random.default_rng(0)
    n_out = 3 if output == "softmax" else 2
    net = Network([3, 4, n_out], [hidden, output], init="normal", seed=2)
    net.params += 0.05  # move ReLU kinks away from zero pre-activations
    X = rng.standard_normal((7, 3))
    y = rng.integers(0, n_out, 7) if loss == "cross_entropy" else rng.uniform(0, 1, (7, n_out))
    _, g = net.loss_and_grad(X, y, loss)
    np.testing.assert_allclose(g, numerical_grad(net, X, y, loss), rtol=1e-5, atol=1e-7)


@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(1, 5), min_size=2, max_size=4), n=st.integers(1, 6),
       act=st.sampled_from(["tanh", "sigmoid", "linear"]), seed=st.integers(0, 1000))
def test_gradients_random_shapes(sizes, n, act, seed):
    rng = np.random.default_rng(seed)
    net = Network(sizes, [act] * (len(sizes) - 2) + ["sigmoid"], init="normal", seed=seed)
    X = rng.standard_normal((n, sizes[0]))
    y = rng.integers(0, 2, (n, sizes[-1])).astype(float)
    _, g = net.loss_and_grad(X, y, "bce")
    np.testing.assert_allclose(g, numerical_grad(net, X, y, "bce"), rtol=1e-5, atol=1e-8)


def test_bce_is_stable_for_saturated_outputs():
    net = Network([1, 1], ["sigmoid"])
    net.layers[0].W[:] = 1000.0
    X = np.array([[1.0], [-1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, g = net.loss_and_grad(X, np.array([0.0, 1.0]), "bce")
    assert np.isfinite(loss) and loss == pytest.approx(1000.0)
    assert np.all(np.isfinite(g))


def test_cross_entropy_accepts_labels_or_one_hot():
    net = Network([2, 3], ["softmax"], seed=0)
    X = np.array([[0.1, 0.2], [1.0, -1.0]])
    a = net.loss(X, np.array([0, 2]), "cross_entropy")
    b = net.loss(X, np.array([[1, 0, 0], [0, 0, 1]]), "cross_entropy")
    assert a == pytest.approx(b)
    p = net.forward(X)
    assert a == pytest.approx(-np.mean(np.log(p[[0, 1], [0, 2]])))


def test_mse_and_half_mse_definitions():
    net = Network([1, 2], ["linear"], seed=0)
    X = np.array([[1.0], [2.0], [3.0]])
    y = np.zeros((3, 2))
    out = net.forward(X)
    assert net.loss(X, y, "mse") == pytest.approx(np.mean(out**2))
    assert net.loss(X, y, "half_mse") == pytest.approx(0.5 * np.mean(out**2))


def test_loss_batch_equals_pointwise_losses_and_leaves_params():
    rng = np.random.default_rng(5)
    net = Network([2, 8, 8, 1], ["tanh", "tanh", "sigmoid"], seed=0)
    X = rng.standard_normal((50, 2))
    y = rng.integers(0, 2, 50)
    before = net.params.copy()
    thetas = before + 0.3 * rng.standard_normal((37, net.n_params))
    batch = net.loss_batch(thetas, X, y, "bce", chunk=5)
    probe = net.copy()
    direct = []
    for th in thetas:
        probe.set_params(th)
        direct.append(probe.loss(X, y, "bce"))
    np.testing.assert_allclose(batch, direct, rtol=1e-12)
    np.testing.assert_array_equal(net.params, before)
    np.testing.assert_allclose(net.loss_batch(thetas, X, y, "bce"), batch, rtol=1e-13)


def test_inits_and_zero_warning():
    for init in ("uniform", "normal", "xavier", "he"):
        a = Network([4, 5, 1], init=init, seed=7).params
        b = Network([4, 5, 1], init=init, seed=7).params
        np.testing.assert_array_equal(a, b)
        assert np.any(a != 0)
    with pytest.warns(UserWarning, match="symmetry"):
        net = Network([2, 3, 1], init="zeros")
    assert not np.any(net.params)
    bound = np.sqrt(6 / (4 + 5))
    w = Network([4, 5, 1], init="xavier", seed=1).layers[0].W
    assert np.all(np.abs(w) <= bound)


@pytest.mark.parametrize("kwargs,match", [
    (dict(sizes=[2, 0, 1]), "at least one neuron"),
    (dict(sizes=[2]), "at least an input"),
    (dict(sizes=[2, 2, 1], activations=["softmax", "linear"]), "hidden activation"),
    (dict(sizes=[2, 2, 1], activations=["tanh", "cube"]), "output activation"),
    (dict(sizes=[2, 1], init="magic"), "unknown init"),
])
def test_bad_networks_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Network(**kwargs)


def test_loss_pairing_is_checked():
    net = Network([2, 1], ["linear"])
    with pytest.raises(ValueError, match="sigmoid"):
        net.loss(np.zeros((1, 2)), np.zeros(1), "bce")
    with pytest.raises(ValueError, match="unknown loss"):
        net.loss(np.zeros((1, 2)), np.zeros(1), "hinge")


def test_activation_derivatives_match_finite_differences():
    z = np.linspace(-3, 3, 13) + 0.01
    for name in activations.HIDDEN_NAMES:
        a = activations.forward(name, z)
        numeric = (activations.forward(name, z + 1e-6) - activations.forward(name, z - 1e-6)) / 2e-6
        np.testing.assert_allclose(activations.derivative(name, z, a), numeric, rtol=1e-6, atol=1e-8)
    assert losses.NAMES == ("mse", "half_mse", "bce", "cross_entropy")


def test_engine_does_not_import_qt():
    code = ("import sys, gdsim.engine.network, gdsim.engine.trainer, gdsim.engine.datasets, gdsim.lab.config, "
            "gdsim.cli, gdsim.lab.snapshot; "
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph'))];"
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
