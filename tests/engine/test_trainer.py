import numpy as np
import pytest

from gdsim.engine.network import Network
from gdsim.engine.trainer import Trainer
from gdsim.lab import config


def linear_problem(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 1))
    return X, 2 * X[:, 0] + 1


def test_one_sgd_step_is_w_minus_lr_grad():
    X, y = linear_problem()
    net = Network([1, 3, 1], ["tanh", "linear"], seed=1)
    before = net.params.copy()
    _, g = net.loss_and_grad(X, y, "mse")
    tr = Trainer(net, X, y, loss="mse", optimizer="sgd", lr=0.05)
    result = tr.step()
    np.testing.assert_allclose(net.params, before - 0.05 * g, rtol=0, atol=1e-15)
    np.testing.assert_allclose(tr.last_update, -0.05 * g, atol=1e-15)
    assert result.step == 1 and tr.epoch == 1


def test_lr_can_change_between_steps_without_reset():
    X, y = linear_problem()
    net = Network([1, 1], ["linear"], seed=0)
    tr = Trainer(net, X, y, loss="mse", lr=0.1)
    tr.step()
    mid = net.params.copy()
    tr.lr = 0.01
    _, g = net.loss_and_grad(X, y, "mse")
    tr.step()
    np.testing.assert_allclose(net.params, mid - 0.01 * g, atol=1e-15)
    assert tr.step_count == 2 and tr.lr_changes == [(1, 0.01)]
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="positive finite"):
            tr.lr = bad


def test_minibatches_visit_every_row_once_per_epoch_with_a_fresh_shuffle():
    X = np.arange(10, dtype=float)[:, None]
    net = Network([1, 1], ["linear"])
    tr = Trainer(net, X, X[:, 0], loss="mse", lr=1e-3, batch_size=3, seed=4)
    assert tr.steps_per_epoch == 4
    orders = []
    for _ in range(2):
        tr.run_epoch()
        orders.append(tr._order.copy())
    assert sorted(orders[0]) == list(range(10)) and not np.array_equal(orders[0], orders[1])
    assert tr.step_count == 8 and tr.epoch == 2


def test_stochastic_mode_one_row_per_step():
    X, y = linear_problem(n=12)
    tr = Trainer(Network([1, 1], ["linear"]), X, y, loss="mse", batch_size=1)
    tr.run_epoch()
    assert tr.step_count == 12 and tr.epoch == 1


def test_same_seed_same_numbers():
    runs = []
    for _ in range(2):
        b = config.build(config.load_preset("spiral").with_changes(training={"epochs": 3}))
        b.trainer.run(3)
        runs.append(b.net.params.copy())
    np.testing.assert_array_equal(*runs)


def test_divergence_is_detected_with_a_hint():
    X, y = linear_problem()
    tr = Trainer(Network([1, 1], ["linear"], seed=0), X, 100 * y, loss="mse", lr=5.0)
    status = tr.run(200)
    assert status == "diverged" and tr.diverged_at is not None
    assert "η is too large" in tr.message
    assert np.all(np.isfinite(tr.net.params))  # the exploding step is not applied
    assert tr.summary()["diverged_at_step"] == tr.diverged_at


def test_convergence_is_detected():
    X, y = linear_problem()
    tr = Trainer(Network([1, 1], ["linear"], seed=0), X, y, loss="mse", lr=0.5, tol=1e-10)
    assert tr.run(5000) == "converged"
    np.testing.assert_allclose(tr.net.params, [2, 1], atol=1e-4)
    assert tr.epoch < 5000


def test_max_epochs_status_and_resume():
    X, y = linear_problem()
    tr = Trainer(Network([1, 1], ["linear"]), X, y, loss="mse", lr=1e-4, max_epochs=10)
    assert tr.run(50) == "max_epochs" and tr.epoch == 10
    tr.resume()
    assert tr.run(5) == "running" and tr.epoch == 15


def test_history_and_metrics():
    b = config.build(config.load_preset("xor"))
    b.trainer.run(20)
    eh = b.trainer.epoch_history.array()
    assert eh.shape == (20, 6) and np.all(np.diff(eh[:, 0]) == 1)
    assert 0 <= eh[-1, 4] <= 1  # accuracy
    sh = b.trainer.step_history.array()
    assert sh.shape == (20, 4)
    s = b.trainer.summary()
    assert set(s) >= {"status", "epochs", "steps", "final_loss", "test_loss", "accuracy"}
    reg = config.build(config.load_preset("sine"))
    reg.trainer.run(5)
    assert "r2" in reg.trainer.summary()


def test_history_memory_is_bounded():
    from gdsim.engine.history import Series, Trajectory

    s = Series(2, cap=1000)
    for i in range(100_000):
        s.append((i, i))
    assert len(s) <= 2048 and s.array()[-1, 0] > 90_000 and s.array()[0, 0] == 0
    t = Trajectory(3, cap=100, recent=10)
    for i in range(5000):
        t.append(i, np.full(3, float(i)))
    steps, points = t.sample()
    assert len(steps) <= 220 and steps[-1] == 4999 and np.all(np.diff(steps) > 0)
    np.testing.assert_array_equal(t.last_steps()[:, 0], np.arange(4990, 5000))


def test_mask_trains_only_chosen_parameters():
    X, y = linear_problem()
    net = Network([1, 4, 1], ["tanh", "linear"], seed=0)
    before = net.params.copy()
    mask = np.zeros(net.n_params, bool)
    mask[[1, -1]] = True
    Trainer(net, X, y, loss="mse", optimizer="adam", lr=0.1, mask=mask, weight_decay=0.1).run(20)
    changed = np.flatnonzero(net.params != before)
    assert list(changed) == [1, net.n_params - 1]


def test_layer_gradient_norms_are_recorded_densely_then_sparsely():
    from gdsim.engine import inspect
    from gdsim.engine.trainer import LAYER_DENSE, LAYER_EVERY

    b = config.build(config.load_preset("vanishing_sigmoid"))
    steps = LAYER_DENSE + 5 * LAYER_EVERY
    for _ in range(steps):
        b.trainer.step()
    h = b.trainer.layer_history.array()
    assert list(h[:LAYER_DENSE, 0]) == list(range(1, LAYER_DENSE + 1))
    assert list(h[LAYER_DENSE:, 0]) == [LAYER_DENSE + LAYER_EVERY * k for k in range(1, 6)]
    np.testing.assert_allclose(h[-1, 1:], inspect.layer_gradient_norms(b.net, b.trainer.last_grad), rtol=1e-12)
    assert h[0, 1] < 1e-2 * h[0, -1]  # six sigmoid layers: the first layer's gradient has all but vanished


# ---------------------------------------------------------------- the divergence rule

def test_xor_at_eta_100_ends_diverged_not_max_epochs():
    cfg = config.load_preset("xor").with_changes(training={"lr": 100.0})
    tr = config.build(cfg).trainer
    assert tr.run(1000) == "diverged"  # it used to bounce at 36× its start until max_epochs
    eh = tr.epoch_history.array()
    start = eh[0, 2]
    assert np.all(eh[-5:, 2] > start + 10 * start) and not np.all(eh[-6:, 2] > start + 10 * start)
    assert tr.diverged_at == tr.step_count and "10× its starting size" in tr.message and "smaller" in tr.message


def test_a_short_spike_is_not_divergence_but_staying_up_is():
    from gdsim.engine import divergence

    w = divergence.Watch(1.0)
    assert [w.check(v) for v in (20.0, 20.0, 0.5, 20.0, 20.0, 20.0, 20.0)] == [False] * 7
    assert w.check(20.0)  # the fifth check in a row above 1 + 10
    assert divergence.first_divergence([1.0, 20, 20, 0.5, 20, 20, 20, 20, 20]) == 8
    assert divergence.first_divergence([1.0, 0.5, np.nan]) == 2
    assert divergence.first_divergence([0.0, -3.0, -3.0, -3.0, -3.0, -3.0]) is None  # a start at 0, falling


def test_a_function_unbounded_below_diverges_and_says_so():
    cfg = config.Config(problem=config.ProblemConfig(dataset="function:x**2 - y**2", start=(1.0, 0.5)))
    tr = config.build(cfg.with_changes(training={"lr": 0.2})).trainer
    assert tr.run(500) == "diverged"
    assert "unbounded below" in tr.message


def test_x2_plus_3_sin_y_from_the_origin_converges_to_minus_3():
    cfg = config.Config(problem=config.ProblemConfig(dataset="function:x**2 + 3*sin(y)", start=(0.0, 0.0)))
    tr = config.build(cfg.with_changes(training={"lr": 0.1})).trainer
    assert tr.run(500) == "converged"
    assert tr.summary()["value"] == pytest.approx(-3.0, abs=1e-6)


def test_a_session_saved_before_the_rule_still_loads():
    cfg = config.load_preset("xor").with_changes(training={"lr": 100.0})
    tr = config.build(cfg).trainer
    tr.run(3)
    state = tr.state_dict()
    assert state["rising_epochs"] == 1  # epoch 3 (81) is above 0.69 + 6.9; epoch 2 (1.97) was not
    del state["rising_epochs"]
    other = config.build(cfg).trainer
    other.load_state_dict(state)
    assert other.run(1000) == "diverged"


# ---------------------------------------------------------------- stalled is not converged

def test_dead_relu_stalls_at_chance_level_and_says_why():
    tr = config.build(config.load_preset("dead_relu")).trainer
    assert tr.run(300) == "stalled"
    assert tr.message.startswith(f"stalled at epoch {tr.epoch}: the loss stopped changing, but accuracy")
    assert "chance level" in tr.message and "ReLU units are dead" in tr.message
    assert tr.summary()["status"] == "stalled"
    tr.resume()  # Run again: a stalled run may carry on, like a converged one
    assert tr.status == "running"


def test_a_good_fit_still_converges():
    tr = config.build(config.load_preset("sine")).trainer
    assert tr.run(2000) == "converged" and "converged at epoch" in tr.message


def test_a_linear_model_on_xor_stalls_no_better_than_a_constant():
    cfg = config.Config().with_changes(problem={"dataset": "xor"}, network={"hidden": ()}, training={"epochs": 1000})
    tr = config.build(cfg).trainer
    assert tr.run(5000) == "stalled"
    assert "no better than predicting a constant" in tr.message or "chance level" in tr.message


def test_a_schedule_that_decays_eta_to_zero_says_so():
    cfg = config.load_preset("xor").with_changes(training={"schedule": "exponential",
                                                           "schedule_kwargs": {"gamma": 0.5}})
    tr = config.build(cfg).trainer
    assert tr.run(1000) == "stalled"
    assert "η has decayed" in tr.message and "exponential schedule" in tr.message


def test_gd_that_stops_on_a_saddle_point_has_stalled():
    cfg = config.Config(problem=config.ProblemConfig(dataset="function:x**2 - y**2", start=(1.0, 0.0)))
    tr = config.build(cfg).trainer
    assert tr.run(500) == "stalled" and "saddle point" in tr.message


def test_the_stall_diagnostics():
    from gdsim.engine import stall

    t = np.array([[0.0], [1.0], [1.0], [0.0]])
    assert stall.constant_loss("bce", t) == pytest.approx(np.log(2))
    assert stall.constant_loss("mse", t) == pytest.approx(0.25)
    assert stall.constant_loss("half_mse", t) == pytest.approx(0.125)
    assert stall.constant_loss("cross_entropy", np.eye(4)[[0, 1, 2, 3]]) == pytest.approx(np.log(4))
    net = Network([1, 3, 1], ["relu", "linear"], seed=0)
    net.layers[0].W[...] = [[1.0, -1.0, 0.0]]
    net.layers[0].b[...] = [0.0, -5.0, -1.0]
    assert stall.dead_units(net, np.array([[1.0], [2.0]])) == (2, 3)
    assert stall.chance_level([0, 0, 1, 0], 0.8) == (True, 0.75)
    assert stall.chance_level([0, 0, 1, 0], 0.9) == (False, 0.75)
