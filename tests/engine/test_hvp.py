"""Exact Hessian-vector products (R-operator) and the curvature built on them, checked against PyTorch."""

import math

import numpy as np
import pytest

from gdsim.engine import analysis
from gdsim.engine.function_model import FunctionModel, make_function
from gdsim.engine.network import Network
from gdsim.lab import config as cfgmod

torch = pytest.importorskip("torch")
F = torch.nn.functional

TORCH_ACT = {"linear": lambda z: z, "relu": torch.relu, "leaky_relu": lambda z: F.leaky_relu(z, 0.01),
             "sigmoid": torch.sigmoid, "tanh": torch.tanh, "softmax": lambda z: torch.softmax(z, dim=-1)}


def torch_loss(net: Network, X, t, loss: str):
    """The same loss as gdsim's as a function of the flat parameter vector, written independently in torch."""
    Xt, tt = torch.tensor(X, dtype=torch.float64), torch.tensor(t, dtype=torch.float64)

    def f(theta):
        a, z = Xt, None
        for s, act in zip(net.slots, net.activations, strict=True):
            z = a @ theta[s.w].reshape(s.n_in, s.n_out) + theta[s.b]
            a = TORCH_ACT[act](z)
        if loss in ("mse", "half_mse"):
            m = ((a - tt) ** 2).mean()
            return 0.5 * m if loss == "half_mse" else m
        if loss == "bce":
            return (F.softplus(z) - tt * z).mean()
        return (torch.logsumexp(z, dim=-1) - (tt * z).sum(-1)).mean()

    return f


def torch_hessian(net, X, t, loss) -> np.ndarray:
    theta = torch.tensor(net.params, dtype=torch.float64)
    return torch.autograd.functional.hessian(torch_loss(net, X, t, loss), theta).numpy()


def xor_table_net(hidden: str, seed: int) -> tuple[Network, np.ndarray, np.ndarray]:
    """The XOR truth table (inputs exactly 0/1), a 2-4-1 network, BCE: zero biases put the (0, 0) row on the kink."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    net = Network([2, 4, 1], [hidden, "sigmoid"], init="he", seed=seed)
    return net, X, net.targets(y, "bce")


CASES = [  # (sizes, activations, loss, n_out labels?)
    ([2, 4, 1], ["tanh", "linear"], "mse"),
    ([2, 3, 1], ["sigmoid", "sigmoid"], "mse"),
    ([2, 3, 1], ["tanh", "tanh"], "half_mse"),
    ([2, 4, 1], ["tanh", "sigmoid"], "bce"),
    ([3, 5, 4, 3], ["sigmoid", "tanh", "softmax"], "cross_entropy"),
    ([2, 3, 3], ["tanh", "softmax"], "mse"),
    ([2, 5, 1], ["relu", "linear"], "mse"),
    ([2, 5, 2], ["leaky_relu", "sigmoid"], "bce"),
    ([2, 4, 3, 1], ["leaky_relu", "relu", "tanh"], "half_mse"),
]


def case_data(sizes, loss, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(12, sizes[0]))
    if loss == "cross_entropy":
        y = rng.integers(0, sizes[-1], 12)
    elif loss == "bce":
        y = rng.integers(0, 2, (12, sizes[-1])).astype(float)
    else:
        y = rng.normal(size=(12, sizes[-1])) * 0.5
    return X, y


@pytest.mark.parametrize("sizes, acts, loss", CASES)
def test_hvp_equals_torch_hvp_for_every_activation_and_loss(sizes, acts, loss):
    X, y = case_data(sizes, loss)
    net = Network(sizes, acts, seed=4)
    net.params[...] += np.random.default_rng(5).normal(scale=0.3, size=net.n_params)  # nonzero biases too
    t = net.targets(y, loss)
    v = np.random.default_rng(6).standard_normal(net.n_params)
    theta = torch.tensor(net.params, dtype=torch.float64)
    _, expected = torch.autograd.functional.hvp(torch_loss(net, X, t, loss), theta,
                                                torch.tensor(v, dtype=torch.float64))
    got = net.hvp(X, t, loss, v)
    np.testing.assert_allclose(got, expected.numpy(), rtol=1e-10, atol=1e-10 * np.abs(expected.numpy()).max())
    np.testing.assert_allclose(analysis.hessian_vector_product(net, X, t, loss, v), got, rtol=0, atol=0)


@pytest.mark.parametrize("sizes, acts, loss", CASES)
def test_lambda_max_and_min_equal_torch_hessian_eigenvalues_on_smooth_and_kinked_networks(sizes, acts, loss):
    X, y = case_data(sizes, loss, seed=1)
    net = Network(sizes, acts, seed=2)
    t = net.targets(y, loss)
    eig = np.linalg.eigvalsh(torch_hessian(net, X, t, loss))
    c = analysis.curvature_shaped(net, X, t, loss)
    scale = np.abs(eig).max()
    assert c.lam_max == pytest.approx(eig[-1], rel=1e-6, abs=1e-9 * scale)
    assert c.lam_min == pytest.approx(eig[0], rel=1e-6, abs=1e-9 * scale)


@pytest.mark.parametrize("hidden", ["relu", "leaky_relu"])
@pytest.mark.parametrize("seed", range(6))
def test_lambda_max_at_relu_kinks_on_the_xor_truth_table_equals_torch(hidden, seed):
    net, X, t = xor_table_net(hidden, seed)
    zs, _ = net.forward_all(X)
    assert np.any(zs[0] == 0.0)  # the (0, 0) row sits exactly on every hidden unit's kink
    eig = np.linalg.eigvalsh(torch_hessian(net, X, t, "bce"))
    lam = analysis.top_eigenvalue_shaped(net, X, t, "bce")
    assert lam == pytest.approx(eig[-1], rel=1e-6)
    assert lam < 3.0  # the finite-difference estimate gave thousands here


def test_a_sample_next_to_a_kink_does_not_blow_up_lambda_max():
    net = Network([1, 1, 1], ["relu", "linear"], seed=0)
    net.params[...] = [1.0, 0.0, 1.0, 0.0]  # w1, b1, w2, b2: the unit's kink at x = 0
    X = np.array([[1e-6], [1.0], [-0.5]])
    t = net.targets(np.array([0.3, 1.2, 0.1]), "mse")
    eig = np.linalg.eigvalsh(torch_hessian(net, X, t, "mse"))
    assert analysis.top_eigenvalue_shaped(net, X, t, "mse") == pytest.approx(eig[-1], rel=1e-6)


def test_hvp_leaves_the_parameters_and_refuses_a_wrong_shape():
    net = Network([2, 3, 1], ["tanh", "linear"], seed=0)
    before = net.params.copy()
    X, y = case_data([2, 3, 1], "mse")
    net.hvp(X, net.targets(y, "mse"), "mse", np.ones(net.n_params))
    assert np.array_equal(net.params, before)
    with pytest.raises(ValueError, match="shape"):
        net.hvp(X, net.targets(y, "mse"), "mse", np.ones(net.n_params + 1))


# ---------------------------------------------------------------- function mode

def test_a_saddle_x2_minus_3y2_has_lambda_max_2_eta_limit_1_and_is_reported():
    model = FunctionModel(make_function("x**2 - 3*y**2"), start=(0.4, -0.7))
    c = analysis.curvature_shaped(model, None, None, "mse")
    assert c.lam_max == pytest.approx(2.0, rel=1e-12)
    assert c.lam_min == pytest.approx(-6.0, rel=1e-12)
    assert c.saddle
    assert analysis.stability_limit(c.lam_max) == pytest.approx(1.0)
    assert analysis.top_hessian_eigenvalue(model, None, None, "mse") == pytest.approx(2.0)


def test_typed_functions_have_exact_symbolic_hessians():
    f = make_function("x**2*y + sin(x*y) + exp(0.3*y)")
    x, y = 0.7, -1.3
    s, c = math.sin(x * y), math.cos(x * y)
    expected = np.array([[2 * y - y * y * s, 2 * x + c - x * y * s],
                         [2 * x + c - x * y * s, -x * x * s + 0.09 * math.exp(0.3 * y)]])
    np.testing.assert_allclose(f.hessian((x, y)), expected, rtol=1e-14, atol=1e-14)
    model = FunctionModel(f, start=(x, y))
    v = np.array([0.2, -1.5])
    np.testing.assert_allclose(model.hvp(None, None, "mse", v), expected @ v, rtol=1e-14)


def test_a_minimum_is_no_saddle_and_rosenbrock_matches_its_textbook_hessian():
    model = FunctionModel(make_function("rosenbrock"), start=(1.0, 1.0))
    c = analysis.curvature_shaped(model, None, None, "mse")
    eig = np.linalg.eigvalsh(np.array([[802.0, -400.0], [-400.0, 200.0]]))
    assert c.lam_max == pytest.approx(eig[-1], rel=1e-12)
    assert c.lam_min == pytest.approx(eig[0], rel=1e-9)
    assert not c.saddle


def test_the_xor_relu_preset_shows_a_limit_that_lets_eta_1_train():
    cfg = cfgmod.load_preset("xor").with_changes(network={"activations": ("relu",)})
    tr = cfgmod.build(cfg).trainer
    eig = np.linalg.eigvalsh(torch_hessian(tr.net, tr.X, tr.t, tr.loss_name))
    lam = analysis.top_eigenvalue_shaped(tr.net, tr.X, tr.t, tr.loss_name)
    assert lam == pytest.approx(eig[-1], rel=1e-6)
