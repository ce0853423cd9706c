"""The sigmoid against torch.sigmoid on both tails: values, derivatives, and what a following ReLU sees."""

import warnings

import numpy as np
import pytest

from gdsim.engine import activations, losses
from gdsim.engine.network import Network

Z = np.array([-745.0, -40.0, -37.0, -1.0, 0.0, 1e-9, 2.5, 40.0, 745.0, -800.0, 800.0])


def sigmoid(z):
    return activations.forward("sigmoid", z)


def test_sigmoid_tails_by_hand():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning anywhere
        a = sigmoid(Z)
    assert sigmoid(np.array(-40.0)) == pytest.approx(np.exp(-40) / (1 + np.exp(-40)), rel=1e-15)
    assert sigmoid(np.array(-40.0)) > 4e-18  # the tanh form rounded this to exactly 0
    assert sigmoid(np.array(-745.0)) > 0 and sigmoid(np.array(-800.0)) == 0.0  # below the smallest double
    assert sigmoid(np.array(0.0)) == 0.5 and sigmoid(np.array(40.0)) == 1.0
    assert np.all((a >= 0) & (a <= 1)) and np.all(np.diff(a[np.argsort(Z)]) >= 0)


def test_sigmoid_and_its_derivative_match_torch():
    torch = pytest.importorskip("torch")
    t = torch.tensor(Z, dtype=torch.float64, requires_grad=True)
    s = torch.sigmoid(t)
    s.sum().backward()
    a = sigmoid(Z)
    np.testing.assert_allclose(a, s.detach().numpy(), rtol=1e-15, atol=1e-320)
    d = activations.derivative("sigmoid", Z, a)
    # torch's a·(1 − a) is 0 at z = 40; the true σ'(40) = 4.2e-18, which ours keeps
    np.testing.assert_allclose(d, t.grad.numpy(), rtol=1e-14, atol=1e-17)
    assert activations.derivative("sigmoid", np.array(40.0), np.array(1.0)) == pytest.approx(np.exp(-40), rel=1e-15)
    assert activations.derivative("sigmoid", np.array(-40.0), a[1]) == pytest.approx(np.exp(-40), rel=1e-15)


def test_derivative_is_the_slope():
    z = np.linspace(-30, 30, 61)
    h = 1e-6
    numeric = (sigmoid(z + h) - sigmoid(z - h)) / (2 * h)
    np.testing.assert_allclose(activations.derivative("sigmoid", z, sigmoid(z)), numeric, rtol=1e-6, atol=1e-9)


def test_a_saturated_sigmoid_keeps_the_next_relu_on_as_torch_does():
    """x = 1 → z1 = −40 → σ = 4.2e-18 → z2 = σ (zero bias) > 0, so the ReLU passes its gradient."""
    torch = pytest.importorskip("torch")
    net = Network([1, 1, 1, 1], ["sigmoid", "relu", "linear"])
    net.set_params(np.array([-40.0, 0.0, 1.0, 0.0, 2.0, 0.0]))  # W1, b1, W2, b2, W3, b3
    X, y = np.array([[1.0]]), np.array([[1.0]])
    _, g = net.loss_and_grad(X, y, "mse")
    theta = torch.tensor(net.params, requires_grad=True)
    W1, b1, W2, b2, W3, b3 = theta
    out = W3 * torch.relu(W2 * torch.sigmoid(W1 * 1.0 + b1) + b2) + b3
    ((out - 1.0) ** 2).backward()
    np.testing.assert_allclose(g, theta.grad.numpy(), rtol=1e-12, atol=1e-30)
    assert g[3] == pytest.approx(-4.0)  # ∂L/∂b2 = 2(out − 1)·W3 with the ReLU on; 0 when σ rounded to 0


@pytest.mark.parametrize("z", [-800.0, -40.0, 0.0, 40.0, 800.0])
@pytest.mark.parametrize("t", [0.0, 1.0, 0.3])
def test_bce_on_logits_stays_finite_and_matches_torch(z, t):
    torch = pytest.importorskip("torch")
    zz, tt = np.array([[z]]), np.array([[t]])
    a = sigmoid(zz)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = float(losses.value("bce", zz, a, tt))
        grad = losses.grad_z("bce", zz, a, tt, "sigmoid")
    tz = torch.tensor([z], dtype=torch.float64, requires_grad=True)
    ref = torch.nn.functional.binary_cross_entropy_with_logits(tz, torch.tensor([t], dtype=torch.float64))
    ref.backward()
    assert value == pytest.approx(ref.item(), rel=1e-14, abs=1e-17)  # torch rounds e^−40 to 0 on one side
    if (z, t) in ((40.0, 1.0), (-40.0, 0.0)):  # a confident right answer: the loss is log(1 + e^−40), not 0
        assert value == pytest.approx(np.log1p(np.exp(-40.0)), rel=1e-15)
    assert grad[0, 0] == pytest.approx(tz.grad.item(), rel=1e-14, abs=1e-300)
