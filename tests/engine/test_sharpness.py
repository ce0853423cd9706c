"""The edge-of-stability monitor: λmax along the run matches a direct computation at the same steps, costs a
bounded share of the work, warm starts save products, tracking never changes training; the CLI reports it."""

import json
import math

import numpy as np
import pytest

from gdsim import cli
from gdsim.engine import analysis, sharpness
from gdsim.lab import config as cfgmod


def direct(cfg, steps):
    """λmax by the cold, both-ends Lanczos of analysis, on a fresh run stopped at each of ``steps``."""
    trainer = cfgmod.build(cfg).trainer
    out = []
    for s in steps:
        while trainer.step_count < s:
            trainer.step()
        out.append(analysis.top_eigenvalue_shaped(trainer.net, trainer.X, trainer.t, trainer.loss_name,
                                                  weight_decay=trainer.optimizer.weight_decay))
    return out


@pytest.mark.parametrize(("preset", "training", "epochs", "every"), [
    ("xor", {"lr": 8.0}, 1000, None),                           # beyond the edge at the start, budgeted readings
    ("sine", {"weight_decay": 0.01}, 60, 15),                  # 321 parameters, L2 curvature included
    ("spiral", {"batch_size": 64}, 8, 20),                     # mini-batches: λmax of the full training loss
    ("elongated_bowl", {}, 20, 5),                             # function mode: λmax = 10 everywhere
])
def test_series_matches_a_direct_computation_at_the_same_steps(preset, training, epochs, every):
    cfg = cfgmod.load_preset(preset).with_changes(training={**training, "tol": 0.0})
    trainer = cfgmod.build(cfg).trainer
    trainer.track_sharpness(every=every)
    trainer.run(epochs)
    series = trainer.sharpness.series
    assert len(series) >= 3 and series[0][0] == 0
    steps = [s for s, _ in series]
    assert steps == sorted(set(steps))
    if every is not None:
        assert all(s % every == 0 for s in steps)
    for (step, lam), want in zip(series, direct(cfg, steps), strict=True):
        assert lam == pytest.approx(want, rel=1e-6), step
    if preset == "elongated_bowl":
        assert all(lam == pytest.approx(10.0, rel=1e-12) for _, lam in series)


def test_tracking_never_changes_the_training():
    cfg = cfgmod.load_preset("spiral").with_changes(training={"epochs": 5})
    plain, tracked = cfgmod.build(cfg).trainer, cfgmod.build(cfg).trainer
    tracked.track_sharpness(every=3)
    plain.run(5)
    tracked.run(5)
    assert np.array_equal(plain.net.params, tracked.net.params)
    assert np.array_equal(plain.step_history.array(), tracked.step_history.array())


@pytest.mark.parametrize(("preset", "batch_size"), [("xor", None), ("spiral", 160), ("circles", None)])
def test_readings_wait_for_their_cost_share_of_training_work(preset, batch_size):
    """Between two readings training does at least cost/SHARE of work (in full-data steps), where a reading's
    cost is its products times HVP_COST: λmax takes a bounded share, counted the same way on every machine."""
    cfg = cfgmod.load_preset(preset).with_changes(training={"tol": 0.0, "batch_size": batch_size})
    trainer = cfgmod.build(cfg).trainer
    trainer.track_sharpness()
    trainer.run(1000)
    mon = trainer.sharpness
    per_step = (trainer.batch_size or trainer.X.shape[0]) / trainer.X.shape[0]
    steps = [s for s, _ in mon.series]
    assert len(steps) >= 2
    for (a, b), used in zip(zip(steps, steps[1:], strict=False), mon.used, strict=False):
        assert (b - a) * per_step >= used * sharpness.HVP_COST / sharpness.SHARE - per_step
        assert (b - a - 1) * per_step < used * sharpness.HVP_COST / sharpness.SHARE  # and no later than that
    work = trainer.step_count * per_step
    spent = sum(mon.used[1:]) * sharpness.HVP_COST  # the first reading is paid before training starts
    assert spent <= sharpness.SHARE * work


def test_a_warm_start_needs_fewer_products_than_a_cold_one():
    cfg = cfgmod.load_preset("sine").with_changes(training={"tol": 0.0})
    trainer = cfgmod.build(cfg).trainer
    trainer.track_sharpness(every=10)
    trainer.run(100)
    cold, warm = trainer.sharpness.used[0], trainer.sharpness.used[1:]
    assert len(warm) >= 5 and np.mean(warm) <= 0.75 * cold


def test_top_eigenpair_finds_the_largest_algebraic_eigenvalue_and_its_vector():
    rng = np.random.default_rng(3)
    Qm, _ = np.linalg.qr(rng.standard_normal((30, 30)))
    eig = np.linspace(-6.0, 2.0, 30)  # the largest magnitude is −6; the one that limits η is 2
    H = Qm @ np.diag(eig) @ Qm.T
    lam, vec, used = sharpness.top_eigenpair(lambda v: H @ v, 30)
    assert lam == pytest.approx(2.0, rel=1e-10) and used <= 30
    assert abs(vec @ Qm[:, -1]) == pytest.approx(1.0, abs=1e-8)
    again, _, warm = sharpness.top_eigenpair(lambda v: H @ v, 30, start=vec)
    assert again == pytest.approx(2.0, rel=1e-10) and warm < used
    assert math.isnan(sharpness.top_eigenpair(lambda v: v * np.inf, 3)[0])


def test_bad_budgets_are_refused():
    with pytest.raises(ValueError, match="share"):
        sharpness.SharpnessMonitor(share=0.0)
    with pytest.raises(ValueError, match="K ≥ 1"):
        sharpness.SharpnessMonitor(every=0)


def run(capsys, *args):
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_track_sharpness_adds_the_series(capsys):
    code, out, err = run(capsys, "train", "--preset", "xor", "--lr", "8", "--epochs", "300", "--track-sharpness",
                         "--json")
    assert code == 0, err
    d = json.loads(out)
    series = d["sharpness"]
    assert series[0][0] == 0 and all(isinstance(s, int) and lam > 0 for s, lam in series)
    cfg = cfgmod.load_preset("xor").with_changes(training={"lr": 8.0})
    for (_, lam), want in zip(series, direct(cfg, [s for s, _ in series]), strict=True):
        assert lam == pytest.approx(want, rel=1e-6)
    code, out, _ = run(capsys, "train", "--preset", "xor", "--epochs", "20", "--sharpness-every", "5", "--json")
    assert [s for s, _ in json.loads(out)["sharpness"]] == [0, 5, 10, 15, 20]
    code, out, _ = run(capsys, "train", "--preset", "xor", "--epochs", "5", "--json")
    assert "sharpness" not in json.loads(out)
    code, out, _ = run(capsys, "train", "--preset", "xor", "--epochs", "5", "--track-sharpness")
    assert code == 0 and "readings of λmax" in out


def test_cli_bad_sharpness_every_is_one_line(capsys):
    code, out, err = run(capsys, "train", "--preset", "xor", "--sharpness-every", "0")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "≥ 1" in err
