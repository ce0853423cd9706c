"""Gradient check: backprop against central differences; a wrong backward rule is caught."""

import numpy as np
import pytest

from gdsim.engine import activations
from gdsim.engine.gradcheck import gradient_check, rel_error
from gdsim.engine.network import Network


def data(n_in=3, n_out=2, n=25):
    rng = np.random.default_rng(4)
    return rng.normal(size=(n, n_in)), rng.normal(size=(n, n_out))


def test_tanh_net_agrees_to_1e_minus_6():
    X, y = data()
    net = Network([3, 5, 4, 2], ["tanh", "tanh", "linear"], init="normal", seed=3)
    before = net.params.copy()
    rows = gradient_check(net, X, y, "mse")
    assert len(rows) == net.n_params
    assert [r.name for r in rows] == net.param_names
    assert max(r.rel_error for r in rows) < 1e-6
    assert np.array_equal(net.params, before)  # left exactly as it was


@pytest.mark.parametrize("acts,loss,n_out", [(["sigmoid", "sigmoid"], "bce", 1),
                                             (["tanh", "softmax"], "cross_entropy", 3)])
def test_classification_losses(acts, loss, n_out):
    X, _ = data()
    y = np.random.default_rng(0).integers(0, max(2, n_out), size=X.shape[0])
    net = Network([3, 4, n_out], acts, seed=1)
    assert max(r.rel_error for r in gradient_check(net, X, y, loss)) < 1e-6


def test_a_wrong_backward_rule_is_caught(monkeypatch):
    X, y = data()
    net = Network([3, 5, 2], ["tanh", "linear"], seed=3)
    monkeypatch.setitem(activations._DERIVATIVE, "tanh", lambda z, a: 1.0 - a)  # should be 1 − a²
    rows = gradient_check(net, X, y, "mse")
    assert max(r.rel_error for r in rows if r.name.startswith(("W1", "b1"))) > 1e-2
    assert max(r.rel_error for r in rows if r.name.startswith(("W2", "b2"))) < 1e-6


def test_rel_error():
    assert rel_error(0.0, 0.0) == 0.0
    assert rel_error(1.0, -1.0) == 1.0
    assert rel_error(1.0, 1.0 + 1e-9) == pytest.approx(5e-10)
