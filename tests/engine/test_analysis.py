import math
import subprocess
import sys

import numpy as np
import pytest

from gdsim.engine import analysis
from gdsim.engine.analysis import classify
from gdsim.engine.network import Network


def linear_problem(n=60, seed=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(loc=[1.0, -2.0], scale=[1.5, 0.5], size=(n, 2))  # not standardised: distinct eigenvalues
    y = X @ np.array([0.7, -1.2]) + 0.3 + 0.1 * rng.standard_normal(n)
    return X, y[:, None]


def fd_hessian(net, X, t, loss, h=1e-5):
    """The full P×P Hessian from central differences of gradients, one coordinate at a time."""
    theta = net.params.copy()
    P = theta.size
    H = np.empty((P, P))
    for i in range(P):
        e = np.zeros(P)
        e[i] = h
        net.set_params(theta + e)
        g_plus = net.backprop(X, t, loss)[1]
        net.set_params(theta - e)
        g_minus = net.backprop(X, t, loss)[1]
        H[:, i] = (g_plus - g_minus) / (2 * h)
    net.set_params(theta)
    return (H + H.T) / 2


class Quadratic:
    """A stand-in for a function-mode model: L = ½θᵀAθ, no ``copy``; analysis needs only targets, gradient, H·v."""

    def __init__(self, A, theta):
        self.A = np.asarray(A, dtype=np.float64)
        self.params = np.array(theta, dtype=np.float64)

    def targets(self, y, loss):
        return y

    def forward_backward(self, X, t, loss):
        g = self.A @ self.params
        return 0.5 * float(self.params @ g), g, None

    def hvp(self, X, t, loss, v):
        return self.A @ v


# ---------------------------------------------------------------- curvature

def test_lambda_max_of_a_linear_model_with_mse_is_the_top_eigenvalue_of_2AtA_over_n():
    X, y = linear_problem()
    net = Network([2, 1], ["linear"], seed=1)
    A = np.column_stack([X, np.ones(len(X))])
    exact = np.linalg.eigvalsh(2 * A.T @ A / len(X))
    assert exact[-1] > 1.5 * exact[-2]  # a real test: the top eigenvalue stands apart
    lam = analysis.top_hessian_eigenvalue(net, X, y, "mse")
    assert lam == pytest.approx(exact[-1], rel=1e-5)
    # half_mse halves the Hessian
    assert analysis.top_hessian_eigenvalue(net, X, y, "half_mse") == pytest.approx(exact[-1] / 2, rel=1e-5)


def test_hvp_of_a_quadratic_loss_is_exact_and_leaves_the_parameters_alone():
    X, y = linear_problem()
    net = Network([2, 1], ["linear"], seed=1)
    before = net.params.copy()
    t = net.targets(y, "mse")
    A = np.column_stack([X, np.ones(len(X))])
    H = 2 * A.T @ A / len(X)  # parameters are ordered W (2), b (1), like A's columns
    v = np.array([0.3, -2.0, 5.0])
    hv = analysis.hessian_vector_product(net, X, t, "mse", v)
    np.testing.assert_allclose(hv, H @ v, rtol=1e-8, atol=1e-9)
    assert np.array_equal(net.params, before)
    np.testing.assert_array_equal(analysis.hessian_vector_product(net, X, t, "mse", np.zeros(3)), 0.0)
    with pytest.raises(ValueError, match="shape"):
        analysis.hessian_vector_product(net, X, t, "mse", np.ones(4))


def test_lambda_max_of_a_tanh_network_matches_a_finite_difference_hessian():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 2))
    y = np.sin(X[:, :1]) + 0.1 * X[:, 1:]
    net = Network([2, 3, 1], ["tanh", "linear"], seed=2)
    t = net.targets(y, "mse")
    eig = np.linalg.eigvalsh(fd_hessian(net, X, t, "mse"))
    before = net.params.copy()
    lam = analysis.top_hessian_eigenvalue(net, X, y, "mse")
    assert lam == pytest.approx(eig[-1], rel=1e-6)
    assert np.array_equal(net.params, before)


def test_lambda_max_is_the_largest_algebraic_eigenvalue_and_lambda_min_the_smallest():
    model = Quadratic(np.diag([1.0, -5.0, 2.0]), [0.5, 0.1, -0.3])
    before = model.params.copy()
    c = analysis.curvature_shaped(model, None, None, "mse")
    assert (c.lam_max, c.lam_min) == (pytest.approx(2.0, rel=1e-12), pytest.approx(-5.0, rel=1e-12))
    assert c.saddle and c.limit == pytest.approx(1.0)
    assert np.array_equal(model.params, before)
    assert analysis.top_hessian_eigenvalue(model, None, None, "mse", weight_decay=0.5) == pytest.approx(2.5)


@pytest.mark.parametrize("diag", [[2.0, -2.0], [3.0, -3.0, 1.0, 0.2], [2.0, -1.99], [-2.0, 1.99, 0.5],
                                  [-1.0, -4.0], [0.0, 0.0, 0.0]])
def test_both_ends_of_an_indefinite_or_degenerate_spectrum(diag):
    c = analysis.curvature_shaped(Quadratic(np.diag(diag), np.ones(len(diag))), None, None, "mse")
    assert c.lam_max == pytest.approx(max(diag), abs=1e-12)
    assert c.lam_min == pytest.approx(min(diag), abs=1e-12)
    assert c.saddle == (min(diag) < 0)


def test_a_big_operator_stops_early_with_both_ends_right():
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.standard_normal((300, 300)))
    eig = np.concatenate([[50.0, -7.0], rng.uniform(-1, 1, 298)])
    A = Q @ np.diag(eig) @ Q.T
    calls = []
    c = analysis.extreme_eigenvalues(lambda v: calls.append(1) or A @ v, 300, iters=100)
    assert c == (pytest.approx(50.0, rel=1e-10), pytest.approx(-7.0, rel=1e-10))
    assert len(calls) < 100


def test_stability_limit():
    assert analysis.stability_limit(4.0) == 0.5
    assert analysis.stability_limit(0.0) == math.inf
    assert analysis.stability_limit(-3.0) == math.inf
    assert math.isnan(analysis.stability_limit(math.nan))


@pytest.mark.parametrize("factor, diverges, flips", [(0.4, False, False), (0.95, False, True), (1.05, True, True)])
def test_the_limit_is_where_gd_on_a_quadratic_starts_to_diverge(factor, diverges, flips):
    model = Quadratic(np.diag([4.0, 1.0]), [1.0, 1.0])
    eta = factor * analysis.stability_limit(analysis.top_hessian_eigenvalue(model, None, None, "mse"))
    prev = None
    signs = []
    for _ in range(200):
        g = model.forward_backward(None, None, None)[1]
        step = -eta * g
        if prev is not None:
            signs.append(step @ prev < 0)
        model.params += step
        prev = step
    assert (np.linalg.norm(model.params) > 1.0) == diverges
    assert all(signs) == flips


# ---------------------------------------------------------------- classification

def steady_updates(n, p=3):
    return np.outer(0.9 ** np.arange(n), np.ones(p))


def flipping_updates(n, p=3):
    return np.outer((-0.9) ** np.arange(n), np.ones(p))


def test_diverged_rules():
    fine = 1.0 / (1 + np.arange(50))
    assert classify(np.append(fine, np.nan), steady_updates(51)) == "diverged"
    assert classify(np.append(fine, np.inf), None) == "diverged"
    assert classify(np.append(fine, [1e60] * 5), steady_updates(55)) == "diverged"  # finite, but exploded
    assert classify(np.append(fine, [11.5] * 5), None) == "diverged"  # > 1 + 10 × |1| for 5 checks
    assert classify(np.append(fine, [10.5] * 5), None) != "diverged"  # not far enough above the start
    assert classify(np.append(fine, [1e60] * 4), None) != "diverged"  # a spike that did not stay (yet)
    assert classify(fine, steady_updates(50), status="diverged") == "diverged"
    assert classify([-1.0, -10.0] + [-1e60] * 5, None) == "diverged"  # a function running off to −∞


def test_zero_and_negative_values_are_judged_without_dividing_by_the_start():
    to_minus_3 = -3.0 * (1 - 0.8 ** np.arange(60))  # f from 0 down to −3 (x² + 3 sin y from (0, 0))
    assert classify(to_minus_3, steady_updates(60), "converged") == "smooth"
    negative = -5.0 + 0.5 * 0.8 ** np.arange(60)  # starts at −4.5, settles at −5
    assert classify(negative, steady_updates(60), "converged") == "smooth"
    assert classify([-2.0, 30.0, 40.0, 50.0, 60.0, 70.0], None) == "diverged"  # 10 × 2 above −2
    assert classify([0.0, 0.02, 0.03, 0.04, 0.05, 0.06], None) == "diverged"  # a zero start uses the floor


def test_oscillating_even_when_the_loss_falls_monotonically():
    losses = 0.81 ** np.arange(100)  # monotone decrease: GD with 1/λ < η < 2/λ on a quadratic
    assert np.all(np.diff(losses) < 0)
    assert classify(losses, flipping_updates(100), "converged") == "oscillating"
    assert classify(losses, steady_updates(100), "converged") == "smooth"


def test_the_flip_threshold_over_the_last_half_and_the_whole_run():
    losses = 0.9 ** np.arange(101)

    def dots(late_flips):  # 100 dot products; the last 50 have ``late_flips`` negatives
        d = np.ones(100)
        d[50:50 + late_flips] = -1.0
        return d

    assert analysis.flip_fraction(dots(15)) == pytest.approx(0.3)
    assert classify(losses, dots(15), "converged") == "oscillating"  # 15/50 = 0.3
    assert classify(losses, dots(14), "converged") == "smooth"  # 0.28
    early = np.ones(100)
    early[:50:2] = -1.0  # a quarter of all steps flip, all in the first half
    assert classify(losses, early, "converged") == "smooth"
    early[:50] = -1.0  # the whole first half zig-zags: 50 % of the run
    assert analysis.flip_fraction(early) == 0.0 and analysis.flip_fraction(early, whole=True) == 0.5
    assert classify(losses, early, "converged") == "oscillating"
    # 1-D dot products and 2-D update vectors are read the same way
    assert analysis.flip_fraction(flipping_updates(40)) == analysis.flip_fraction(
        analysis.update_agreements(flipping_updates(40))) == 1.0
    assert math.isnan(analysis.flip_fraction(None))


def test_without_updates_a_zig_zag_loss_is_oscillation():
    losses = 1.0 + 0.1 * (-1.0) ** np.arange(40) * 0.99 ** np.arange(40) - 0.001 * np.arange(40)
    assert classify(losses, None, "max_epochs") == "oscillating"
    assert classify(0.001 + 0.999 * 0.7 ** np.arange(40), None, "max_epochs") == "smooth"


def test_slow_means_not_settled_at_the_end_unless_converged():
    creeping = np.linspace(1.0, 0.9, 200)  # η far too small: the loss is still falling steadily
    assert classify(creeping, steady_updates(200), "max_epochs") == "slow"
    assert classify(creeping, steady_updates(200), "converged") == "smooth"
    settled = 0.05 + 0.95 * 0.9 ** np.arange(200)  # reached its floor long ago
    assert classify(settled, steady_updates(200), "max_epochs") == "smooth"
    down_far = 1.0 - 0.95 * np.arange(200) / 199  # already below 10 % of the start, but still falling
    assert classify(down_far, steady_updates(200), "max_epochs") == "slow"
    flat_high = np.full(200, 0.7)  # no progress at all
    assert classify(flat_high, steady_updates(200), "max_epochs") == "slow"
    stalled = np.concatenate([np.linspace(1.0, 0.5, 100), np.full(100, 0.5)])  # fell, then stopped: a plateau
    assert classify(stalled, steady_updates(200), "max_epochs") == "smooth"


def test_analysis_does_not_import_qt():
    code = ("import sys, gdsim.engine.analysis, gdsim.lab.compare, gdsim.cli.sweep;"
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph'))];"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_flat_loss_with_a_gradient_still_large_is_slow_not_smooth():
    crawl = 5.0 + 7.5 * 0.5 ** np.arange(300)  # dropped fast, then crawls: the loss looks settled
    big_grad = np.full(300, 1.8)
    big_grad[0] = 163.0  # still 1 % of the first gradient (Adam in Rosenbrock's valley)
    assert classify(crawl, steady_updates(300), "max_epochs") == "smooth"  # by the loss alone
    assert classify(crawl, steady_updates(300), "max_epochs", grad_norms=big_grad) == "slow"
    small_grad = 163.0 * 0.5 ** np.arange(300)
    assert classify(crawl, steady_updates(300), "max_epochs", grad_norms=small_grad) == "smooth"
    assert classify(crawl, steady_updates(300), "converged", grad_norms=big_grad) == "smooth"
