"""Optimizer X-ray: ``next_update`` is the real next step (same batch, same η, same optimizer math), changes
nothing, and its named parts satisfy their textbook formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gdsim.engine.function_model import FunctionModel, make_function
from gdsim.engine.inspect import next_update
from gdsim.engine.network import Network
from gdsim.engine.trainer import Trainer

OPTIMIZERS = [  # (name, hyperparameters, η)
    ("sgd", {}, 0.1),
    ("momentum", {}, 0.1),
    ("momentum", {"dampening": 0.3}, 0.1),
    ("nesterov", {}, 0.1),
    ("adagrad", {"lr_decay": 0.05, "initial_accumulator_value": 0.1}, 0.05),
    ("rmsprop", {}, 0.01),
    ("rmsprop", {"centered": True, "momentum": 0.5}, 0.01),
    ("adam", {}, 0.01),
    ("adam", {"amsgrad": True}, 0.01),
]
OPT_IDS = [name + "".join(f"-{k}" for k in hyper) for name, hyper, _ in OPTIMIZERS]
BATCHES = {"full": None, "mini": 5, "one_row": 1}
EXTRAS = {  # weight decay, clipping (0.05 is always active here), frozen parameters
    "plain": {},
    "decay": {"weight_decay": 0.03},
    "clip": {"clip_norm": 0.05},
    "decay_clip_mask": {"weight_decay": 0.03, "clip_norm": 0.05, "mask": np.arange(20) % 4 != 1},
}


def make_trainer(name, hyper, lr, batch_size=None, seed=3, **extra) -> Trainer:
    rng = np.random.default_rng(11)
    X = rng.normal(size=(12, 2))
    y = np.sin(X[:, 0]) + X[:, 1] ** 2 + 0.1 * rng.normal(size=12)
    net = Network([2, 3, 2, 1], ["tanh", "tanh", "linear"], seed=5)  # 9 + 8 + 3 = 20 parameters
    return Trainer(net, X, y, loss="mse", optimizer=name, lr=lr, batch_size=batch_size, seed=seed,
                   schedule="step", schedule_kwargs={"step_size": 2, "gamma": 0.5}, **extra, **hyper)


def same_state(a, b) -> bool:
    """Deep, bitwise equality of two state dicts (arrays, rng state, histories)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same_state(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_state(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray):
        return a.dtype == np.asarray(b).dtype and a.tobytes() == np.asarray(b).tobytes()
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b


# ---------------------------------------------------------------- the real next step


@pytest.mark.parametrize("before", [0, 6, 7], ids=["step0", "epoch_start", "mid_epoch"])
@pytest.mark.parametrize("extra", EXTRAS.values(), ids=EXTRAS.keys())
@pytest.mark.parametrize("batch", BATCHES.values(), ids=BATCHES.keys())
@pytest.mark.parametrize("case", OPTIMIZERS, ids=OPT_IDS)
def test_delta_is_the_real_next_step(case, batch, extra, before):
    name, hyper, lr = case
    tr = make_trainer(name, hyper, lr, batch, **extra)
    for _ in range(before):
        tr.step()
    update = next_update(tr)
    theta = tr.net.params.copy()
    tr.step()
    # bit for bit (far inside the 1e-9 relative asked for): the very same arithmetic
    assert update["delta"].tobytes() == tr.last_update.tobytes()
    np.testing.assert_allclose(theta + update["delta"], tr.net.params, rtol=1e-9, atol=0)
    assert update["grad"].tobytes() == tr.last_grad.tobytes()  # so the batch was the same one
    assert update["lr"] == tr.step_history.last()[3] and update["step"] == tr.optimizer.t
    if "clip_norm" in extra:
        assert update["clip_coef"] < 1.0  # the clipping really acted
    if "mask" in extra:
        assert not update["delta"][~extra["mask"]].any()
    assert np.abs(update["delta"]).max() > 0


@pytest.mark.parametrize("batch", BATCHES.values(), ids=BATCHES.keys())
@pytest.mark.parametrize("case", OPTIMIZERS, ids=OPT_IDS)
def test_changes_nothing(case, batch):
    """State before and after are identical, and a run that peeks every step equals one that never does."""
    name, hyper, lr = case
    peeking = make_trainer(name, hyper, lr, batch, weight_decay=0.01, clip_norm=0.5)
    plain = make_trainer(name, hyper, lr, batch, weight_decay=0.01, clip_norm=0.5)
    for _ in range(9):  # crosses epoch boundaries (new shuffles) in the mini-batch modes
        before = peeking.state_dict()
        next_update(peeking)
        assert same_state(before, peeking.state_dict())
        peeking.step()
        plain.step()
    assert same_state(peeking.state_dict(), plain.state_dict())


def test_arrays_are_read_only_copies():
    tr = make_trainer("momentum", {}, 0.1)
    tr.step()
    update = next_update(tr)
    for key in ("delta", "params", "grad", "momentum_buffer", "velocity"):
        assert not update[key].flags.writeable
    assert not np.shares_memory(update["params"], tr.net.params)
    assert not np.shares_memory(update["momentum_buffer"], tr.optimizer.state["momentum_buffer"])


def test_function_mode_and_a_diverged_step():
    model = FunctionModel(make_function("x**2 + 10*y**2"), [1.0, 1.0])
    tr = Trainer(model, np.zeros((1, 1)), np.zeros(1), optimizer="adam", lr=0.1, task="function")
    update = next_update(tr)
    tr.step()
    assert update["delta"].tobytes() == tr.last_update.tobytes()

    net = Network([2, 1], ["linear"])
    net.params[:] = 1e200  # the loss overflows: step() takes no step and the run diverges
    bad = Trainer(net, np.ones((3, 2)), np.zeros(3), optimizer="sgd", lr=0.1)
    with np.errstate(over="ignore", invalid="ignore"):
        update = next_update(bad)
        theta = bad.net.params.copy()
        bad.step()
    assert update["skipped"] and not update["delta"].any()
    assert bad.status == "diverged" and bad.net.params.tobytes() == theta.tobytes()


# ---------------------------------------------------------------- the named parts and their formulas


def parts_after(name, hyper, lr, steps=4, **extra):
    tr = make_trainer(name, hyper, lr, 5, **extra)
    for _ in range(steps):
        tr.step()
    state = {k: v.copy() for k, v in tr.optimizer.state.items()}
    return tr, state, next_update(tr)


@pytest.mark.parametrize("case", OPTIMIZERS, ids=OPT_IDS)
def test_gradient_pipeline_parts(case):
    name, hyper, lr = case
    mask = np.arange(20) % 4 != 1
    tr, _, u = parts_after(name, hyper, lr, weight_decay=0.03, clip_norm=0.05, mask=mask)
    norm = np.linalg.norm(u["grad"])
    assert u["clip_coef"] == pytest.approx(0.05 / (norm + 1e-6), rel=1e-12)
    clipped = np.where(mask, u["clip_coef"] * u["grad"], 0.0)
    np.testing.assert_allclose(u["clip_term"], clipped - u["grad"], rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(u["decay_term"], 0.03 * tr.net.params)
    np.testing.assert_allclose(u["g"], clipped + 0.03 * tr.net.params, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(u["plain_step"], -u["lr"] * u["grad"])
    assert u["optimizer"] == name and u["batch_size"] == 5 and u["step"] == 5


def test_sgd_parts():
    _, _, u = parts_after("sgd", {}, 0.1)
    np.testing.assert_array_equal(u["delta"], u["plain_step"])  # no decay, no clipping: plain GD
    assert u["formula"] == "Δw = −η·g"


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_parts(nesterov):
    name, mu = ("nesterov" if nesterov else "momentum"), 0.9
    _, before, u = parts_after(name, {}, 0.1)
    buf = mu * before["momentum_buffer"] + u["g"]
    np.testing.assert_allclose(u["momentum_buffer"], buf, rtol=1e-12)
    np.testing.assert_allclose(u["velocity"], -0.1 * buf, rtol=1e-12)
    step = u["g"] + mu * buf if nesterov else buf
    np.testing.assert_allclose(u["delta"], -0.1 * step, rtol=1e-12)
    _, _, first = parts_after(name, {}, 0.1, steps=0)
    np.testing.assert_array_equal(first["momentum_buffer"], first["g"])  # torch: b = g at step 1


def test_adagrad_parts():
    _, before, u = parts_after("adagrad", {"lr_decay": 0.05}, 0.05)
    np.testing.assert_allclose(u["sum"], before["sum"] + u["g"] ** 2, rtol=1e-12)
    assert u["decayed_lr"] == pytest.approx(0.05 / (1 + 4 * 0.05), rel=1e-12)
    np.testing.assert_allclose(u["effective_lr"], u["decayed_lr"] / (np.sqrt(u["sum"]) + 1e-10), rtol=1e-12)
    np.testing.assert_allclose(u["delta"], -u["effective_lr"] * u["g"], rtol=1e-12)
    assert "ηₜ = η/(1 + (t−1)·decay)" in u["formula"]


@pytest.mark.parametrize("centered", [False, True])
def test_rmsprop_parts(centered):
    alpha, eps, mu = 0.99, 1e-8, 0.5
    _, before, u = parts_after("rmsprop", {"centered": centered, "momentum": mu}, 0.01)
    g = u["g"]
    np.testing.assert_allclose(u["square_avg"], alpha * before["square_avg"] + (1 - alpha) * g * g, rtol=1e-12)
    var = u["square_avg"]
    if centered:
        np.testing.assert_allclose(u["grad_avg"], alpha * before["grad_avg"] + (1 - alpha) * g, rtol=1e-12)
        var = var - u["grad_avg"] ** 2
    np.testing.assert_allclose(u["denom"], np.sqrt(var) + eps, rtol=1e-12)
    np.testing.assert_allclose(u["effective_lr"], 0.01 / u["denom"], rtol=1e-12)
    np.testing.assert_allclose(u["momentum_buffer"], mu * before["momentum_buffer"] + g / u["denom"], rtol=1e-12)
    np.testing.assert_allclose(u["delta"], -0.01 * u["momentum_buffer"], rtol=1e-12)
    assert ("ḡ = α·ḡ" in u["formula"]) == centered


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_parts(amsgrad):
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.01
    _, before, u = parts_after("adam", {"amsgrad": amsgrad}, lr)
    g, t = u["g"], u["step"]
    np.testing.assert_allclose(u["m"], b1 * before["exp_avg"] + (1 - b1) * g, rtol=1e-12)
    np.testing.assert_allclose(u["v"], b2 * before["exp_avg_sq"] + (1 - b2) * g * g, rtol=1e-12)
    assert u["bias_correction1"] == pytest.approx(1 - b1**t, rel=1e-15)
    assert u["bias_correction2"] == pytest.approx(1 - b2**t, rel=1e-15)
    np.testing.assert_allclose(u["m_hat"], u["m"] / (1 - b1**t), rtol=1e-12)
    v = np.maximum(before["max_exp_avg_sq"], u["v"]) if amsgrad else u["v"]
    np.testing.assert_allclose(u["v_hat"], v / (1 - b2**t), rtol=1e-12)
    np.testing.assert_allclose(u["effective_lr"], lr / (np.sqrt(u["v_hat"]) + eps), rtol=1e-12)
    np.testing.assert_allclose(u["delta"], -lr * u["m_hat"] / (np.sqrt(u["v_hat"]) + eps), rtol=1e-12)
    np.testing.assert_allclose(u["delta"], -u["effective_lr"] * u["m_hat"], rtol=1e-12)
    if amsgrad:
        np.testing.assert_allclose(u["v_max"], v, rtol=0)
        assert "vmax = max(vmax, v)" in u["formula"]
    else:
        assert "v_max" not in u
        assert u["formula"] == ("m = β₁·m + (1−β₁)·g; v = β₂·v + (1−β₂)·g²; m̂ = m/(1−β₁ᵗ); v̂ = v/(1−β₂ᵗ); "
                                "Δw = −η·m̂/(√v̂ + ε)")


def test_adam_first_step_moves_every_weight_by_about_eta():
    """Why Adam's first steps look alike: m̂/√v̂ = g/|g|, so |Δw| ≈ η whatever the gradient's size."""
    _, _, u = parts_after("adam", {}, 0.01, steps=0)
    moving = np.abs(u["g"]) > 1e-6
    np.testing.assert_allclose(np.abs(u["delta"][moving]), 0.01, rtol=1e-3)
    assert np.ptp(np.abs(u["grad"][moving])) > 0.1  # while the gradients differ a lot


def test_formula_names_decay_and_clipping():
    _, _, u = parts_after("momentum", {"dampening": 0.3}, 0.1, weight_decay=0.01, clip_norm=1.0)
    assert u["formula"] == ("c = min(1, C/(‖∇L‖ + 10⁻⁶)); g = c·∇L + λ·w; b = μ·b + (1−τ)·g (b = g at step 1); "
                            "Δw = −η·b")
