"""Backprop inspector: the notes' worked example in the text, and the phases' numbers equal backprop's."""

import re

import numpy as np
import pytest

from gdsim.engine.inspect import Phase, backprop_phases, dead_relus, layer_gradient_norms, num
from gdsim.engine.network import Network


def worked_example() -> Network:
    net = Network([2, 2, 1], ["relu", "linear"])
    # W1 = [[0.1, 0.2], [0.3, 0.4]] (row i: input i), b1 = 0, W2 = [[0.5], [0.6]], b2 = 0
    net.set_params(np.array([0.1, 0.2, 0.3, 0.4, 0.0, 0.0, 0.5, 0.6, 0.0]))
    return net


def text(phases) -> str:
    return "\n".join(line for p in phases for line in p.lines)


def grads_in(phases, net) -> np.ndarray:
    """Read ∂L/∂θ back out of the backward phases' lines (they end in '= value')."""
    out = np.full(net.n_params, np.nan)
    for p in phases:
        if p.name != "backward":
            continue
        for line in p.lines:
            m = re.match(r"∂L/∂(\S+) = .* = (\S+)$", line)
            if m:
                out[net.param_names.index(m.group(1))] = float(m.group(2).replace("−", "-"))
    return out


def test_worked_example_numbers_appear():
    net = worked_example()
    phases = backprop_phases(net, [1, 2], 1.0, "half_mse", lr=0.1, sample=0)
    t = text(phases)
    # one convention: counted from 1, z = a·W + b with W (n_in × n_out) as stored
    assert phases[0].title == "Forward: hidden layer 1 (z1 = x·W1 + b1, a1 = relu(z1))"
    assert "z1[1] = 1·0.1 + 2·0.3 + 0 = 0.7" in t
    assert "z2[1] = 0.7·0.5 + 1·0.6 + 0 = 0.95" in t
    assert "L = ½(ŷ − y)² = ½(0.95 − 1)² = 0.00125" in t
    assert "δ2[1] = ∂L/∂z2[1] = (ŷ − y)·φ'(z) = (0.95 − 1)·1 = −0.05" in t
    assert "δ1[1] = (Σₖ W2[1,k]·δ2[k])·φ'(z1[1]) = (0.5·(−0.05))·1 = −0.025" in t
    assert "∂L/∂W1[1,1] = x1·δ1[1] = 1·(−0.025) = −0.025" in t
    assert "∂L/∂W2[1,1] = a1[1]·δ2[1] = 0.7·(−0.05) = −0.035" in t
    assert "ΔW2[1,1] = −η·∂L/∂W2[1,1] = −0.1·(−0.035) = 0.0035;  W2[1,1]: 0.5 → 0.5035" in t
    assert "[0" not in t and "x[" not in t
    assert [p.name for p in phases] == ["forward", "forward", "loss", "backward", "backward", "update", "update"]


def test_negative_targets_are_subtracted_without_a_double_minus():
    net = worked_example()
    t = text(backprop_phases(net, [1, 2], -0.5, "half_mse", lr=0.1, sample=0))
    assert "½(0.95 − (−0.5))² = 1.051" in t and "(0.95 − (−0.5))·1 = 1.45" in t
    assert "− −" not in t


def test_cross_entropy_names_the_true_class_output():
    net = Network([2, 3], ["softmax"], seed=0)
    t = text(backprop_phases(net, [[0.5, -1.0]], [2], "cross_entropy", lr=0.1, sample=0))
    assert "L = −ln ŷ[3], the output of the true class (label 2): −ln " in t


def test_worked_example_gradients_equal_backprop():
    net = worked_example()
    phases = backprop_phases(net, [[1, 2]], [1.0], "half_mse", lr=0.1, sample=0)
    _, grad = net.loss_and_grad(np.array([[1.0, 2.0]]), np.array([1.0]), "half_mse")
    assert np.allclose(grads_in(phases, net), grad, rtol=1e-3, atol=0)  # printed to 4 significant digits
    assert np.allclose(grad, [-0.025, -0.03, -0.05, -0.06, -0.025, -0.03, -0.035, -0.05, -0.05])


def test_phases_name_the_neurons_and_parameters_involved():
    net = worked_example()
    phases = backprop_phases(net, [1, 2], 1.0, "half_mse", lr=0.1, sample=0)
    assert all(isinstance(p, Phase) for p in phases)
    first, out_back = phases[0], phases[3]
    assert set(first.neurons) == {(0, 0), (0, 1), (1, 0), (1, 1)} and first.params == (0, 1, 2, 3, 4, 5)
    assert out_back.neurons[0] == (2, 0) and out_back.params == (6, 7, 8)
    assert phases[2].neurons == ((2, 0),) and phases[2].params == ()
    with pytest.raises(AttributeError):
        first.title = "x"  # frozen


@pytest.mark.parametrize("sizes,acts,loss", [
    ([2, 3, 1], ["tanh", "sigmoid"], "bce"),
    ([2, 4, 3], ["relu", "softmax"], "cross_entropy"),
    ([3, 4, 3, 2], ["sigmoid", "leaky_relu", "linear"], "mse"),
    ([2, 3, 2], ["tanh", "softmax"], "mse"),
])
@pytest.mark.parametrize("sample", [None, 3])
def test_phase_gradients_equal_loss_and_grad(sizes, acts, loss, sample):
    rng = np.random.default_rng(5)
    net = Network(sizes, acts, init="normal", seed=2)
    X = rng.normal(size=(7, sizes[0]))
    if loss in ("bce", "cross_entropy"):
        y = rng.integers(0, max(2, sizes[-1]), size=7)
    else:
        y = rng.normal(size=(7, sizes[-1]))
    phases = backprop_phases(net, X, y, loss, lr=0.05, sample=sample)
    Xs, ys = (X, y) if sample is None else (X[sample:sample + 1], y[sample:sample + 1])
    value, grad = net.loss_and_grad(Xs, ys, loss)
    shown = grads_in(phases, net)
    assert not np.isnan(shown).any()
    assert np.allclose(shown, grad, rtol=1e-3, atol=1e-12)
    loss_line = next(p for p in phases if p.name == "loss").lines[-1]
    assert loss_line.endswith(num(value))
    updates = [line for p in phases if p.name == "update" for line in p.lines]
    assert len(updates) == net.n_params


def test_sample_out_of_range():
    with pytest.raises(ValueError, match="out of range"):
        backprop_phases(worked_example(), [[1, 2]], [1.0], "half_mse", 0.1, sample=4)


def test_num_formatting():
    assert [num(v) for v in (0.95, 1.0, 0.00125, -0.05, -0.0, 123456.0)] == ["0.95", "1", "0.00125", "−0.05", "0",
                                                                           "1.235e+05"]


def test_layer_gradient_norms_show_vanishing_in_a_deep_sigmoid_net():
    rng = np.random.default_rng(0)
    net = Network([2, 8, 8, 8, 8, 8, 8, 1], ["sigmoid"] * 6 + ["sigmoid"], seed=1)
    X, y = rng.normal(size=(50, 2)), rng.integers(0, 2, 50)
    _, grad = net.loss_and_grad(X, y, "bce")
    norms = layer_gradient_norms(net, grad)
    assert norms.shape == (7,)
    assert norms[0] < norms[-1] / 100
    s = net.slots[2]
    assert norms[2] == pytest.approx(np.linalg.norm(grad[s.w]))
    with pytest.raises(ValueError):
        layer_gradient_norms(net, grad[:-1])


def test_dead_relus_counts_units_zero_on_every_sample():
    net = Network([2, 3, 2, 1], ["relu", "relu", "linear"], seed=0)
    X = np.random.default_rng(1).normal(size=(20, 2))
    # kill units on purpose: unit 0 of layer 1 by its bias, unit 0 of layer 2 by its bias
    net.layers[0].b[:] = [-100.0, 0.0, 0.0]
    net.layers[0].W[:, 1] = [1.0, 0.0]
    net.layers[0].W[:, 2] = [0.0, 1.0]
    net.layers[1].b[:] = [-100.0, 100.0]
    assert dead_relus(net, X) == 2
    tanh_net = Network([2, 3, 1], ["tanh", "linear"])
    assert dead_relus(tanh_net, X) == 0
