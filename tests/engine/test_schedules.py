"""Learning-rate schedules: closed forms by hand, validation, and torch.optim.lr_scheduler where installed."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from gdsim.engine.schedules import DEFAULTS, FALLBACK_EPOCHS, NAMES, check, curve, lr_at, resolve


def test_tables_cover_every_schedule():
    assert tuple(DEFAULTS) == NAMES
    for name in NAMES:
        assert check(name) == DEFAULTS[name]


def test_constant():
    assert [lr_at("constant", 0.3, e) for e in (0, 1, 1000)] == [0.3, 0.3, 0.3]


def test_step_by_hand():
    kw = {"step_size": 10, "gamma": 0.5}
    got = [lr_at("step", 0.8, e, **kw) for e in (0, 9, 10, 19, 20, 35)]
    assert got == [0.8, 0.8, 0.4, 0.4, 0.2, 0.1]
    assert lr_at("step", 1.0, 5, step_size=2, gamma=0.1) == pytest.approx(0.01, rel=1e-15)


def test_torch_defaults_and_run_length_defaults():
    # torch: StepLR(gamma=0.1), CosineAnnealingLR(eta_min=0); no default for step_size, gamma, T_max
    assert check("step") == {"step_size": None, "gamma": 0.1}
    assert check("cosine") == {"t_max": None, "eta_min": 0.0}
    assert resolve("cosine", 300) == {"t_max": 300, "eta_min": 0.0}
    assert resolve("cosine", 1000)["t_max"] == 1000
    assert resolve("cosine", None)["t_max"] == resolve("cosine", 0)["t_max"] == FALLBACK_EPOCHS
    assert resolve("step", 300) == {"step_size": 100, "gamma": 0.1}
    assert resolve("step", 2)["step_size"] == 1
    assert resolve("exponential", 200)["gamma"] ** 200 == pytest.approx(0.01, rel=1e-12)
    # an explicit value always wins over the run-length default
    assert resolve("cosine", 300, t_max=50, eta_min=0.01) == {"t_max": 50, "eta_min": 0.01}
    assert resolve("exponential", 300, gamma=0.9) == {"gamma": 0.9}


def test_cosine_run_of_300_epochs_anneals_over_all_300():
    kw = resolve("cosine", 300)
    assert lr_at("cosine", 0.4, 150, **kw) == pytest.approx(0.2, rel=1e-15)  # half way: η0/2
    assert lr_at("cosine", 0.4, 300, **kw) == 0.0  # the end: eta_min
    kw = resolve("cosine", 300, eta_min=0.1)
    assert lr_at("cosine", 0.5, 150, **kw) == pytest.approx(0.3, rel=1e-15)
    assert lr_at("cosine", 0.5, 300, **kw) == pytest.approx(0.1, rel=1e-15)


def test_exponential_by_hand():
    assert lr_at("exponential", 2.0, 0, gamma=0.95) == 2.0
    assert lr_at("exponential", 2.0, 1, gamma=0.95) == pytest.approx(1.9, rel=1e-15)
    assert lr_at("exponential", 2.0, 3, gamma=0.5) == 0.25


def test_cosine_by_hand():
    kw = {"t_max": 10, "eta_min": 0.1}
    assert lr_at("cosine", 1.1, 0, **kw) == pytest.approx(1.1, rel=1e-15)
    assert lr_at("cosine", 1.1, 5, **kw) == pytest.approx(0.6, rel=1e-15)  # halfway: the mean
    assert lr_at("cosine", 1.1, 10, **kw) == pytest.approx(0.1, rel=1e-15)
    # a quarter of the way: cos(π/4) = √2/2
    assert lr_at("cosine", 1.0, 25, t_max=100) == pytest.approx((1 + math.sqrt(0.5)) / 2, rel=1e-15)


def test_cosine_stays_at_eta_min_after_t_max():
    # torch's closed form is periodic and would climb back up; a teaching app should not
    assert {lr_at("cosine", 1.0, e, t_max=10, eta_min=0.05) for e in (10, 11, 15, 20, 500)} == {0.05}


def test_changing_base_lr_live_keeps_the_schedule():
    for name in NAMES:
        assert lr_at(name, 0.3, 37) == pytest.approx(3 * lr_at(name, 0.1, 37), rel=1e-14)


def test_curve_is_lr_at_per_epoch():
    c = curve("step", 0.1, 25, step_size=5, gamma=0.9)
    assert c.dtype == np.float64 and c.shape == (25,)
    assert c.tolist() == [lr_at("step", 0.1, e, step_size=5, gamma=0.9) for e in range(25)]
    assert curve("cosine", 0.1, 0).shape == (0,)
    assert np.all(np.diff(curve("cosine", 0.1, 150)) <= 0)  # never increases


@pytest.mark.parametrize(
    "name, kw, match",
    [
        ("linear", {}, "unknown schedule 'linear'; choose one of constant, step, exponential, cosine"),
        ("step", {"gamma": 0.5, "step": 3}, "unknown argument.*step.*valid: step_size, gamma"),
        ("constant", {"gamma": 0.5}, "valid: none"),
        ("step", {"step_size": 0}, "step_size must be an integer >= 1"),
        ("step", {"step_size": 2.5}, "step_size"),
        ("step", {"gamma": 0.0}, "gamma must be a finite number > 0"),
        ("exponential", {"gamma": -0.9}, "gamma"),
        ("exponential", {"gamma": float("nan")}, "gamma"),
        ("cosine", {"t_max": 0}, "t_max must be an integer >= 1"),
        ("cosine", {"eta_min": -0.1}, "eta_min must be a finite number >= 0"),
    ],
)
def test_check_rejects_bad_schedules(name, kw, match):
    with pytest.raises(ValueError, match=match) as err:
        check(name, **kw)
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError):
        lr_at(name, 0.1, 0, **kw)


@pytest.mark.parametrize("epoch", [-1, 1.5, True])
def test_bad_epoch_raises(epoch):
    with pytest.raises(ValueError, match="epoch"):
        lr_at("constant", 0.1, epoch)


@pytest.mark.parametrize(
    "name, kw, make",
    [
        ("step", {"step_size": 10}, lambda s, o: s.StepLR(o, step_size=10)),  # torch's default γ = 0.1
        ("step", {"step_size": 10, "gamma": 0.5}, lambda s, o: s.StepLR(o, step_size=10, gamma=0.5)),
        ("step", {"step_size": 3, "gamma": 0.9}, lambda s, o: s.StepLR(o, step_size=3, gamma=0.9)),
        ("exponential", {"gamma": 0.95}, lambda s, o: s.ExponentialLR(o, gamma=0.95)),
        ("exponential", {"gamma": 1.01}, lambda s, o: s.ExponentialLR(o, gamma=1.01)),
        ("cosine", {"t_max": 100}, lambda s, o: s.CosineAnnealingLR(o, T_max=100)),  # torch's eta_min = 0
        ("cosine", {"t_max": 40, "eta_min": 0.01}, lambda s, o: s.CosineAnnealingLR(o, T_max=40, eta_min=0.01)),
        ("cosine", {"t_max": 7, "eta_min": 0.2}, lambda s, o: s.CosineAnnealingLR(o, T_max=7, eta_min=0.2)),
    ],
)
@pytest.mark.parametrize("base", [0.1, 0.5])
def test_matches_torch_lr_scheduler(name, kw, make, base):
    torch = pytest.importorskip("torch")
    p = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=base)
    scheduler = make(torch.optim.lr_scheduler, optimizer)
    epochs = kw.get("t_max", 100) + 1  # torch's cosine is periodic after t_max; ours stays at eta_min
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in range(epochs):
            assert lr_at(name, base, epoch, **kw) == pytest.approx(
                optimizer.param_groups[0]["lr"], rel=1e-12, abs=1e-15
            )
            optimizer.step()
            scheduler.step()


@pytest.mark.parametrize("name, make", [
    ("cosine", lambda s, o: s.CosineAnnealingLR(o, T_max=300)),
    ("step", lambda s, o: s.StepLR(o, step_size=100)),
    ("exponential", lambda s, o: s.ExponentialLR(o, gamma=0.01 ** (1 / 300))),
])
def test_run_length_defaults_are_torch_schedulers_over_the_run(name, make):
    """A 300-epoch run with no schedule arguments is torch's scheduler spanning those 300 epochs."""
    torch = pytest.importorskip("torch")
    kw = resolve(name, 300)
    p = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=0.3)
    scheduler = make(torch.optim.lr_scheduler, optimizer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in range(301):
            assert lr_at(name, 0.3, epoch, **kw) == pytest.approx(
                optimizer.param_groups[0]["lr"], rel=1e-10, abs=1e-15
            )
            optimizer.step()
            scheduler.step()
