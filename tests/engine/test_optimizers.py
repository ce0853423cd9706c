"""Optimizers vs their formulas written out by hand, the step pipeline (decay, clipping, mask), save/resume,
and, when torch is installed, vs torch.optim itself."""

from __future__ import annotations

import inspect
import io
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdsim.engine import optimizers as opt
from gdsim.engine.optimizers import DEFAULT_LR, DEFAULTS, NAMES, make_optimizer

P0 = [0.5, -1.0, 2.0]
GRADS = [[1.0, -2.0, 0.5], [0.3, 0.0, -1.0], [-0.7, 1.5, 2.0], [0.2, -0.1, 0.0], [1.1, 0.4, -0.3]]


# ---- reference implementations: one scalar parameter at a time, textbook notation


def ref_sgd(p, grads, lr, momentum=0.0, dampening=0.0, nesterov=False, wd=0.0):
    b = None
    for g in grads:
        g = g + wd * p
        if momentum:
            b = g if b is None else momentum * b + (1 - dampening) * g
            d = g + momentum * b if nesterov else b
        else:
            d = g
        p = p - lr * d
    return p


def ref_adagrad(p, grads, lr, lr_decay=0.0, initial_accumulator_value=0.0, eps=1e-10, wd=0.0):
    s = initial_accumulator_value
    for t, g in enumerate(grads, start=1):
        g = g + wd * p
        s = s + g * g
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (math.sqrt(s) + eps)
    return p


def ref_rmsprop(p, grads, lr, alpha=0.99, eps=1e-8, momentum=0.0, centered=False, wd=0.0):
    v = m = b = 0.0
    for g in grads:
        g = g + wd * p
        v = alpha * v + (1 - alpha) * g * g
        m = alpha * m + (1 - alpha) * g
        rms = math.sqrt(v - m * m if centered else v) + eps
        b = momentum * b + g / rms
        p = p - lr * (b if momentum else g / rms)
    return p


def ref_adam(p, grads, lr, beta1=0.9, beta2=0.999, eps=1e-8, amsgrad=False, wd=0.0):
    m = v = vmax = 0.0
    for t, g in enumerate(grads, start=1):
        g = g + wd * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        vmax = max(vmax, v)
        m_hat = m / (1 - beta1**t)
        v_hat = (vmax if amsgrad else v) / (1 - beta2**t)
        p = p - lr * m_hat / (math.sqrt(v_hat) + eps)
    return p


CASES = [  # (name, hyper, lr, reference with matching keyword arguments)
    ("sgd", {}, 0.1, lambda p, gs, lr, wd: ref_sgd(p, gs, lr, wd=wd)),
    ("momentum", {}, 0.1, lambda p, gs, lr, wd: ref_sgd(p, gs, lr, momentum=0.9, wd=wd)),
    (
        "momentum",
        {"momentum": 0.5, "dampening": 0.25},
        0.1,
        lambda p, gs, lr, wd: ref_sgd(p, gs, lr, momentum=0.5, dampening=0.25, wd=wd),
    ),
    ("nesterov", {}, 0.1, lambda p, gs, lr, wd: ref_sgd(p, gs, lr, momentum=0.9, nesterov=True, wd=wd)),
    ("adagrad", {}, 0.3, lambda p, gs, lr, wd: ref_adagrad(p, gs, lr, wd=wd)),
    (
        "adagrad",
        {"lr_decay": 0.2, "initial_accumulator_value": 0.5, "eps": 1e-3},
        0.3,
        lambda p, gs, lr, wd: ref_adagrad(p, gs, lr, 0.2, 0.5, 1e-3, wd=wd),
    ),
    ("rmsprop", {}, 0.01, lambda p, gs, lr, wd: ref_rmsprop(p, gs, lr, wd=wd)),
    (
        "rmsprop",
        {"alpha": 0.9, "centered": True},
        0.01,
        lambda p, gs, lr, wd: ref_rmsprop(p, gs, lr, alpha=0.9, centered=True, wd=wd),
    ),
    (
        "rmsprop",
        {"momentum": 0.8, "eps": 1e-4},
        0.01,
        lambda p, gs, lr, wd: ref_rmsprop(p, gs, lr, eps=1e-4, momentum=0.8, wd=wd),
    ),
    (
        "rmsprop",
        {"alpha": 0.5, "momentum": 0.8, "centered": True},
        0.01,
        lambda p, gs, lr, wd: ref_rmsprop(p, gs, lr, alpha=0.5, momentum=0.8, centered=True, wd=wd),
    ),
    ("adam", {}, 0.05, lambda p, gs, lr, wd: ref_adam(p, gs, lr, wd=wd)),
    (
        "adam",
        {"beta1": 0.5, "beta2": 0.9, "eps": 1e-3},
        0.05,
        lambda p, gs, lr, wd: ref_adam(p, gs, lr, 0.5, 0.9, 1e-3, wd=wd),
    ),
    ("adam", {"amsgrad": True}, 0.05, lambda p, gs, lr, wd: ref_adam(p, gs, lr, amsgrad=True, wd=wd)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in hyper.items()) or 'default'}" for name, hyper, _, _ in CASES]


def run(name, hyper, lr, grads, p0=P0, **kw):
    o = make_optimizer(name, len(p0), **kw, **hyper)
    p = np.array(p0, dtype=np.float64)
    for g in grads:
        o.step(p, np.array(g, dtype=np.float64), lr)
    return p, o


@pytest.mark.parametrize("wd", [0.0, 0.05])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_matches_hand_written_formula_step_by_step(case, wd):
    name, hyper, lr, ref = case
    for k in range(1, len(GRADS) + 1):
        p, _ = run(name, hyper, lr, GRADS[:k], weight_decay=wd)
        want = [ref(P0[i], [g[i] for g in GRADS[:k]], lr, wd) for i in range(len(P0))]
        np.testing.assert_allclose(p, want, rtol=1e-13, atol=1e-15)


def test_adam_first_step_is_lr_times_sign():
    # bias correction makes Adam's first step ≈ lr·sign(g), whatever the gradient's size
    p, _ = run("adam", {}, 0.01, [[1e3, -1e-3, 4.0]], p0=[0.0, 0.0, 0.0])
    np.testing.assert_allclose(p, [-0.01, 0.01, -0.01], rtol=1e-4)


def test_sgd_numbers_by_hand():
    # p = 0.5: g1 = 1 -> buf 1, p = 0.4; g2 = 0.3 -> buf 0.9 + 0.3 = 1.2, p = 0.28
    p, _ = run("momentum", {}, 0.1, [[1.0], [0.3]], p0=[0.5])
    assert p[0] == pytest.approx(0.28, abs=1e-15)
    # nesterov: g1 = 1 -> buf 1, step 1.9 -> p = 0.31; g2 = 0.3 -> buf 1.2, step 0.3 + 1.08 -> p = 0.172
    p, _ = run("nesterov", {}, 0.1, [[1.0], [0.3]], p0=[0.5])
    assert p[0] == pytest.approx(0.172, abs=1e-15)


# ---- the step pipeline


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_weight_decay_is_l2_added_to_the_gradient(case):
    name, hyper, lr, _ = case
    with_wd = make_optimizer(name, 3, weight_decay=0.1, **hyper)
    by_hand = make_optimizer(name, 3, **hyper)
    p, q = np.array(P0), np.array(P0)
    for g in GRADS:
        g = np.array(g)
        with_wd.step(p, g, lr)
        by_hand.step(q, g + 0.1 * q, lr)
        assert p.tobytes() == q.tobytes()


def test_adam_weight_decay_is_not_adamw():
    p, _ = run("adam", {}, 0.1, [[0.0]], p0=[1.0], weight_decay=0.5)
    # L2: g = 0.5 -> first Adam step ≈ -lr; AdamW would give p·(1 - lr·wd) = 0.95 and no Adam step
    assert p[0] == pytest.approx(0.9, abs=1e-6)


def test_clipping_matches_clip_grad_norm():
    g = np.array([3.0, -4.0])  # norm 5
    o = make_optimizer("sgd", 2, clip_norm=1.0)
    p = np.zeros(2)
    delta = o.step(p, g, 1.0)
    np.testing.assert_array_equal(delta, -g * (1.0 / (5.0 + 1e-6)))
    np.testing.assert_array_equal(g, [3.0, -4.0])  # the caller's gradient is not touched
    assert np.linalg.norm(delta) == pytest.approx(1.0, abs=1e-6)


def test_clipping_leaves_small_gradients_alone():
    g = np.array([0.3, -0.4])
    clipped = make_optimizer("adam", 2, clip_norm=0.5 + 2e-6)
    plain = make_optimizer("adam", 2)
    p, q = np.ones(2), np.ones(2)
    for _ in range(5):
        clipped.step(p, g, 0.1)
        plain.step(q, g, 0.1)
    assert p.tobytes() == q.tobytes()


def test_clipping_happens_before_weight_decay():
    # g = 10 clipped to ≈1, then + wd·p = 0.5·2 -> ≈2
    o = make_optimizer("sgd", 1, clip_norm=1.0, weight_decay=0.5)
    delta = o.step(np.array([2.0]), np.array([10.0]), 1.0)
    assert delta[0] == pytest.approx(-2.0, abs=1e-6)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_masked_parameters_never_move(case):
    name, hyper, lr, _ = case
    rng = np.random.default_rng(1)
    p0 = np.array([0.7, -0.0, -1.3, 0.0, 2.5, -4.0])
    mask = np.array([1, 0, 1, 0, 0, 1])
    o = make_optimizer(name, 6, weight_decay=0.1, clip_norm=3.0, mask=mask, **hyper)
    p = p0.copy()
    for _ in range(200):
        delta = o.step(p, rng.normal(size=6), lr)
        assert not delta[mask == 0].any()
    frozen = mask == 0
    assert p[frozen].tobytes() == p0[frozen].tobytes()  # bit for bit, even the sign of -0.0
    assert np.all(p[~frozen] != p0[~frozen])


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_frozen_parameters_keep_clean_state(case):
    # Their gradient is zeroed before the update, so unfreezing later starts from an untouched history.
    name, hyper, lr, _ = case
    o = make_optimizer(name, 3, mask=[True, False, True], **hyper)
    fresh = make_optimizer(name, 3, **hyper).state_dict()
    p = np.array(P0)
    for g in GRADS:
        o.step(p, np.array(g) * 100.0, lr)
    for key in o.buffers:
        assert o.state[key][1] == fresh[key][1]


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(NAMES),
    mask=st.lists(st.booleans(), min_size=1, max_size=8),
    wd=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_masked_parameters_never_move_property(name, mask, wd, seed):
    rng = np.random.default_rng(seed)
    n = len(mask)
    p0 = rng.normal(size=n)
    p = p0.copy()
    o = make_optimizer(name, n, weight_decay=wd, mask=mask)
    for _ in range(30):
        o.step(p, rng.normal(size=n) * 10.0, DEFAULT_LR[name])
    frozen = ~np.array(mask)
    assert p[frozen].tobytes() == p0[frozen].tobytes()


def test_mask_of_ints_equals_mask_of_bools_and_is_copied():
    m = np.array([1, 0, 1])
    a = make_optimizer("momentum", 3, mask=m)
    b = make_optimizer("momentum", 3, mask=m.astype(bool))
    m[:] = 0  # the optimizer keeps its own copy
    p, q = np.array(P0), np.array(P0)
    for g in GRADS:
        a.step(p, np.array(g), 0.1)
        b.step(q, np.array(g), 0.1)
    assert p.tobytes() == q.tobytes()
    assert p[1] == P0[1] and p[0] != P0[0]


@pytest.mark.parametrize("mask", [[1, 0], [1, 2, 0], [0.5, 1, 1], [[1, 0, 1]]])
def test_bad_mask_raises(mask):
    with pytest.raises(ValueError, match="mask"):
        make_optimizer("sgd", 3, mask=mask)


def test_step_updates_in_place_and_returns_a_new_delta():
    o = make_optimizer("momentum", 3)
    p = np.array(P0)
    g = np.array(GRADS[0])
    before = p.copy()
    delta = o.step(p, g, 0.1)
    np.testing.assert_array_equal(p, before + delta)
    assert not np.shares_memory(delta, p) and not np.shares_memory(delta, g)
    assert all(not np.shares_memory(delta, buf) for buf in o.state.values())
    np.testing.assert_array_equal(g, GRADS[0])
    delta[:] = 99.0  # the UI may scribble on it; the optimizer's state must not change
    o.step(p, g, 0.1)
    assert np.all(np.abs(o.state["momentum_buffer"]) < 10)


def test_wrong_shapes_raise():
    o = make_optimizer("sgd", 3)
    with pytest.raises(ValueError, match="shape"):
        o.step(np.zeros(3), np.zeros(2), 0.1)
    with pytest.raises(ValueError, match="shape"):
        o.step(np.zeros(4), np.zeros(4), 0.1)


# ---- save / resume


def _through_npz(d: dict) -> dict:
    buf = io.BytesIO()
    np.savez(buf, **d)
    buf.seek(0)
    with np.load(buf) as f:
        return {k: f[k] for k in f.files}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_state_dict_round_trip_continues_bit_for_bit(case):
    name, hyper, lr, _ = case
    rng = np.random.default_rng(7)
    grads = rng.normal(size=(14, 4))
    kw = {"weight_decay": 0.01, "clip_norm": 2.0, "mask": [1, 1, 0, 1]}
    a = make_optimizer(name, 4, **kw, **hyper)
    p = rng.normal(size=4)
    for g in grads[:6]:
        a.step(p, g, lr)
    saved, q = _through_npz(a.state_dict()), p.copy()
    b = make_optimizer(name, 4, **kw, **hyper)
    b.load_state_dict(saved)
    for g in grads[6:]:
        a.step(p, g, lr)
        b.step(q, g, lr)
        assert p.tobytes() == q.tobytes()
    assert b.state_dict()["step"] == 14


def test_state_dict_is_a_snapshot():
    o = make_optimizer("adam", 2)
    o.step(np.zeros(2), np.ones(2), 0.1)
    d = o.state_dict()
    o.step(np.zeros(2), np.ones(2), 0.1)
    assert d["step"] == 1 and not np.array_equal(d["exp_avg"], o.state["exp_avg"])
    assert set(d) == {"name", "step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}


def test_load_state_dict_rejects_a_mismatch():
    adam = make_optimizer("adam", 2)
    with pytest.raises(ValueError, match="rmsprop"):
        adam.load_state_dict(make_optimizer("rmsprop", 2).state_dict())
    with pytest.raises(ValueError, match="shape"):
        adam.load_state_dict(make_optimizer("adam", 3).state_dict())
    d = adam.state_dict()
    del d["exp_avg"]
    with pytest.raises(ValueError, match="keys"):
        adam.load_state_dict(d)


# ---- configuration


def test_tables_cover_every_optimizer():
    assert tuple(DEFAULTS) == NAMES and tuple(DEFAULT_LR) == NAMES
    for name in NAMES:
        o = make_optimizer(name, 2)
        assert o.name == name and o.hyper == DEFAULTS[name]


def test_unknown_optimizer_names_the_choices():
    with pytest.raises(ValueError, match="unknown optimizer 'adamw'; choose one of sgd, momentum, nesterov"):
        make_optimizer("adamw", 2)


def test_unknown_hyperparameter_names_the_valid_ones():
    with pytest.raises(ValueError, match="betas.*valid: beta1, beta2, eps, amsgrad"):
        make_optimizer("adam", 2, betas=(0.9, 0.99))
    with pytest.raises(ValueError, match="momentum.*valid: none"):
        make_optimizer("sgd", 2, momentum=0.9)


@pytest.mark.parametrize(
    "name, kw",
    [
        ("adam", {"eps": 0.0}),
        ("adagrad", {"eps": -1e-10}),
        ("rmsprop", {"eps": float("nan")}),
        ("momentum", {"momentum": -0.1}),
        ("nesterov", {"momentum": 0.0}),
        ("rmsprop", {"momentum": -1}),
        ("momentum", {"dampening": 1.5}),
        ("adam", {"beta1": 1.0}),
        ("adam", {"beta2": -0.1}),
        ("rmsprop", {"alpha": 1.0}),
        ("adagrad", {"lr_decay": -0.1}),
        ("adagrad", {"initial_accumulator_value": -1.0}),
        ("adam", {"amsgrad": "yes"}),
        ("rmsprop", {"centered": 1}),
        ("adam", {"beta1": "0.9"}),
        ("sgd", {"weight_decay": -0.01}),
        ("adam", {"weight_decay": float("inf")}),
        ("sgd", {"clip_norm": 0.0}),
        ("adam", {"clip_norm": -1.0}),
    ],
)
def test_invalid_values_raise_one_line_messages(name, kw):
    with pytest.raises(ValueError) as err:
        make_optimizer(name, 3, **kw)
    msg = str(err.value)
    assert "\n" not in msg and name in msg and next(iter(kw)) in msg


def test_classes_can_be_used_directly():
    o = opt.Adam(3, amsgrad=True)
    assert isinstance(o, opt.Optimizer) and o.hyper["amsgrad"] is True


# ---- against torch.optim itself

TORCH_CASES = [  # (our name, our hyper, torch class name, torch kwargs)
    ("sgd", {}, "SGD", {}),
    ("momentum", {}, "SGD", {"momentum": 0.9}),
    ("momentum", {"momentum": 0.6, "dampening": 0.3}, "SGD", {"momentum": 0.6, "dampening": 0.3}),
    ("nesterov", {}, "SGD", {"momentum": 0.9, "nesterov": True}),
    ("adagrad", {}, "Adagrad", {}),
    (
        "adagrad",
        {"lr_decay": 0.05, "initial_accumulator_value": 0.1},
        "Adagrad",
        {"lr_decay": 0.05, "initial_accumulator_value": 0.1},
    ),
    ("rmsprop", {}, "RMSprop", {}),
    ("rmsprop", {"centered": True}, "RMSprop", {"centered": True}),
    ("rmsprop", {"momentum": 0.7}, "RMSprop", {"momentum": 0.7}),
    (
        "rmsprop",
        {"alpha": 0.8, "momentum": 0.7, "centered": True},
        "RMSprop",
        {"alpha": 0.8, "momentum": 0.7, "centered": True},
    ),
    ("adam", {}, "Adam", {}),
    ("adam", {"beta1": 0.8, "beta2": 0.95}, "Adam", {"betas": (0.8, 0.95)}),
    ("adam", {"amsgrad": True}, "Adam", {"amsgrad": True}),
]


@pytest.mark.parametrize("clip", [None, 1.5])
@pytest.mark.parametrize("wd", [0.0, 0.01])
@pytest.mark.parametrize("case", TORCH_CASES, ids=lambda c: f"{c[0]}{c[1] or ''}")
def test_matches_torch_optim(case, wd, clip):
    torch = pytest.importorskip("torch")
    name, hyper, cls, torch_kw = case
    lr = 0.05
    rng = np.random.default_rng(3)
    p0 = rng.normal(size=9)
    ours = make_optimizer(name, 9, weight_decay=wd, clip_norm=clip, **hyper)
    p = p0.copy()
    tp = torch.tensor(p0, dtype=torch.float64, requires_grad=True)
    theirs = getattr(torch.optim, cls)([tp], lr=lr, weight_decay=wd, foreach=False, **torch_kw)
    for _ in range(20):
        g = rng.normal(size=9) * 2.0 + p  # depends on the parameters, like a real loss
        tp.grad = torch.tensor(g, dtype=torch.float64)
        if clip is not None:
            torch.nn.utils.clip_grad_norm_([tp], clip)
        theirs.step()
        ours.step(p, g, lr)
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=0, atol=1e-12)


def test_defaults_are_torchs():
    torch = pytest.importorskip("torch")

    def defaults(cls):
        return {k: v.default for k, v in inspect.signature(cls).parameters.items()}

    adam, rms, ada = (defaults(c) for c in (torch.optim.Adam, torch.optim.RMSprop, torch.optim.Adagrad))
    assert (DEFAULTS["adam"]["beta1"], DEFAULTS["adam"]["beta2"]) == adam["betas"]
    assert DEFAULTS["adam"]["eps"] == adam["eps"] and DEFAULTS["adam"]["amsgrad"] == adam["amsgrad"]
    assert all(DEFAULTS["rmsprop"][k] == rms[k] for k in ("alpha", "eps", "momentum", "centered"))
    assert all(DEFAULTS["adagrad"][k] == ada[k] for k in ("lr_decay", "initial_accumulator_value", "eps"))
    assert (DEFAULT_LR["adam"], DEFAULT_LR["rmsprop"], DEFAULT_LR["adagrad"]) == (
        adam["lr"],
        rms["lr"],
        ada["lr"],
    )
