"""The Model protocol: a network and a textbook function answer the same questions, so no caller asks hasattr."""

import numpy as np
import pytest

from gdsim.engine import inspect
from gdsim.engine.function_model import FunctionModel, make_function
from gdsim.engine.model import Model
from gdsim.engine.network import Network
from gdsim.engine.trainer import Trainer


def test_network_and_function_model_are_models_told_apart_by_function():
    net = Network([2, 3, 1], ["tanh", "linear"], seed=1)
    f = FunctionModel(make_function("rosenbrock"))
    assert isinstance(net, Model) and isinstance(f, Model)
    assert net.function is None and f.function is make_function("rosenbrock")
    assert len(net.slots) == len(net.layers) == 2
    assert f.slots == () and f.layers == () and f.sizes == () and f.activations == ()
    assert not isinstance(object(), Model)


def test_bias5_names_its_variable_b_and_typed_functions_x_y():
    assert FunctionModel(make_function("bias5")).param_names == ("b",)
    assert FunctionModel(make_function("x**2 + 3*sin(y)")).param_names == ("x", "y")


def test_a_function_trainer_keeps_no_layer_history_a_network_trainer_does():
    f = FunctionModel(make_function("x**2 + y**2"))
    t = Trainer(f, np.zeros((1, 1)), np.zeros(1), lr=0.1)
    t.step()
    assert t.layer_history is None
    X, y = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([1.0, 0.0])
    t = Trainer(Network([2, 2, 1], seed=0), X, y, lr=0.1)
    t.step()
    assert t.layer_history is not None and t.layer_history.array().shape[1] == 3


def test_the_inspector_uses_the_networks_own_backward(monkeypatch):
    """One backward implementation: the inspector's δ and ∂L/∂θ are whatever Network.backward returns."""
    net = Network([2, 2, 1], ["tanh", "linear"], seed=3)
    X, y = np.array([[0.5, -1.0]]), np.array([0.25])
    calls = []
    real = Network.backward

    def spy(self, zs, acts, t, loss):
        calls.append(loss)
        return real(self, zs, acts, t, loss)

    monkeypatch.setattr(Network, "backward", spy)
    phases = inspect.backprop_phases(net, X, y, "mse", lr=0.1, sample=0)
    assert calls == ["mse"]
    grad = real(net, *net.forward_all(X), net.targets(y, "mse"), "mse")[0]
    update = [p for p in phases if p.name == "update"]
    shown = [line for p in update for line in p.lines]
    assert len(shown) == net.n_params
    for line, g in zip(shown, grad, strict=True):
        assert inspect.num(-0.1 * g) in line


@pytest.mark.parametrize("model", [Network([2, 1], ["linear"]), FunctionModel(make_function("x**2 + y**2"))])
def test_loss_batch_at_the_current_point_is_the_loss(model):
    X, y = np.array([[1.0, 2.0], [0.0, -1.0]]), np.array([0.5, 1.0])
    assert model.loss_batch(model.params[None], X, y, "mse")[0] == pytest.approx(model.loss(X, y, "mse"))
