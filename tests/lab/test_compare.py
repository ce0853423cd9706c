import math

import numpy as np
import pytest

from gdsim.engine import analysis
from gdsim.lab import compare
from gdsim.lab import config as cfgmod
from gdsim.lab.compare import Variant


def line_config(**training) -> cfgmod.Config:
    """Linear regression: dataset "line", a 1-1 linear network, MSE, full-batch plain gradient descent."""
    return cfgmod.Config(problem=cfgmod.ProblemConfig(dataset="line", samples=100, noise=0.1),
                         network=cfgmod.NetworkConfig(hidden=()),
                         training=cfgmod.TrainingConfig(loss="mse", optimizer="sgd", batch_size=None, **training))


def xor_batches() -> cfgmod.Config:
    cfg = cfgmod.load_preset("xor")
    return cfg.with_changes(training={"batch_size": 16})


def test_variants_start_from_identical_weights_and_equal_eta_gives_identical_runs():
    cfg = xor_batches()
    built = cfgmod.build(cfg)
    res = compare.run_comparison(cfg, [Variant("a", {"lr": 0.3}), Variant("b", {"lr": 2.0}),
                                       Variant("c", {"training": {"lr": 0.3}})], epochs=5)
    starts = [r.trajectory[1][0] for r in res.runs]
    for s in starts:
        np.testing.assert_array_equal(s, built.net.params)
    a, b, c = res.runs
    assert not np.array_equal(a.steps, b.steps)
    np.testing.assert_array_equal(a.steps, c.steps)  # same weights, same batches: bit for bit
    np.testing.assert_array_equal(a.trajectory[1], c.trajectory[1])
    assert a.steps.shape[0] == 5 * 10  # 160 training rows / 16 per batch, 5 epochs
    # and the same numbers as a plain run of that configuration (what `gdsim train` would print)
    plain = cfgmod.build(cfg.with_changes(training={"lr": 0.3})).trainer
    plain.run(5)
    np.testing.assert_array_equal(a.steps, plain.step_history.array())


def test_a_variant_that_changes_the_network_starts_from_its_own_weights():
    cfg = cfgmod.load_preset("xor")
    res = compare.run_comparison(cfg, [Variant("4", {}), Variant("8", {"network": {"hidden": (8,)}})], epochs=3)
    assert res.runs[0].trajectory[1].shape[1] == 17 and res.runs[1].trajectory[1].shape[1] == 33


def test_cancel_stops_between_steps_and_progress_is_reported():
    cfg = xor_batches()
    calls = []
    polls = []

    def cancel():
        polls.append(1)
        return len(polls) > 25

    res = compare.run_comparison(cfg, [Variant(str(lr), {"lr": lr}) for lr in (0.1, 0.2, 0.3)], epochs=10,
                                 progress=lambda done, total: calls.append((done, total)), cancel=cancel,
                                 curvature=False)  # λmax asks cancel() too: count only the steps here
    assert res.cancelled
    assert len(res.runs) == 1 and res.runs[0].steps.shape[0] == 25 and res.runs[0].status == "running"
    assert calls[0] == (0, 30) and all(t == 30 for _, t in calls)

    calls.clear()
    res = compare.run_comparison(cfg, [Variant(str(lr), {"lr": lr}) for lr in (0.1, 0.2)], epochs=4,
                                 progress=lambda done, total: calls.append((done, total)))
    assert not res.cancelled and len(res.runs) == 2
    done = [d for d, _ in calls]
    assert done == sorted(done) and calls[-1] == (8, 8) and len(calls) > 2


def test_linear_regression_through_the_sweep_obeys_two_over_lambda_max():
    cfg = line_config()
    built = cfgmod.build(cfg)
    x = built.data.X_train[:, 0]
    A = np.column_stack([x, np.ones_like(x)])
    exact = np.linalg.eigvalsh(2 * A.T @ A / len(x))[-1]
    lam = analysis.top_hessian_eigenvalue(built.net, built.data.X_train, built.data.y_train, "mse")
    assert lam == pytest.approx(exact, rel=1e-5)
    limit = analysis.stability_limit(lam)
    rows = compare.sweep(cfg, [0.1 * limit, 0.95 * limit, 1.05 * limit], epochs=400)
    well_below, just_below, just_above = rows
    assert just_below["status"] != "diverged" and just_below["behaviour"] == "oscillating"
    assert just_below["final_loss"] < 0.05
    assert just_above["status"] == "diverged" and just_above["behaviour"] == "diverged"
    assert well_below["status"] != "diverged" and well_below["behaviour"] == "smooth"
    assert [r["lr"] for r in rows] == pytest.approx([0.1 * limit, 0.95 * limit, 1.05 * limit])
    assert set(rows[0]) == {"lr", "final_loss", "status", "behaviour"}


def test_the_result_reports_two_over_lambda_max_target_and_epochs_to_reach_it():
    cfg = line_config()
    res = compare.compare_lrs(cfg, [0.002, 0.3, 5.0], epochs=200)
    slow, good, bad = res.runs
    assert all(r.limit == pytest.approx(res.limit) for r in res.runs) and 0.5 < res.limit < 2
    assert res.best() is good
    assert res.target == pytest.approx(1.1 * good.final_loss)
    assert good.epochs_to_target is not None and good.epochs_to_target <= 200
    assert bad.status == "diverged" and bad.epochs_to_target is None
    assert slow.behaviour == "slow" and slow.epochs_to_target is None
    header, rows = compare.table_rows(res)
    assert header == ["label", "lr", "optimizer", "final_loss", "epochs_to_target", "status", "behaviour"]
    assert rows[1] == ["η = 0.3", 0.3, "sgd", good.final_loss, good.epochs_to_target, good.status, good.behaviour]
    given = compare.compare_lrs(cfg, [0.3], epochs=20, target=1.0)
    assert given.target == 1.0 and given.runs[0].epochs_to_target is not None


def test_epochs_to_target():
    eh = np.array([[1, 1, 3.0, 0, 0, 0], [2, 2, 1.0, 0, 0, 0], [3, 3, 0.5, 0, 0, 0]])
    assert compare.epochs_to_target(eh, 1.0) == 2
    assert compare.epochs_to_target(eh, 0.1) is None


def test_compare_optimizers_drops_hyperparameters_of_another_optimizer():
    cfg = cfgmod.load_preset("xor").with_changes(training={"optimizer": "momentum",
                                                           "optimizer_kwargs": {"momentum": 0.5}})
    res = compare.compare_optimizers(cfg, ["sgd", "momentum", "adam"], epochs=5, default_lr=True)
    assert [r.label for r in res.runs] == ["sgd", "momentum", "adam"]
    assert [r.optimizer for r in res.runs] == ["sgd", "momentum", "adam"]
    assert [r.lr for r in res.runs] == [0.1, 0.1, 0.001]
    with pytest.raises(ValueError, match="unknown optimizer"):
        compare.compare_optimizers(cfg, ["lbfgs"], epochs=1)


def test_bad_comparisons_raise_value_errors():
    cfg = cfgmod.load_preset("xor")
    with pytest.raises(ValueError, match="at least one variant"):
        compare.run_comparison(cfg, [], 5)
    with pytest.raises(ValueError, match="no_such_field"):
        compare.run_comparison(cfg, [Variant("x", {"no_such_field": 1})], 5)
    with pytest.raises(ValueError, match="positive finite"):
        compare.sweep(cfg, [0.1, -1.0], 5)


def test_default_lrs():
    assert compare.default_lrs() == [0.001, 0.01, 0.1, 1, 10]


def test_parse_lrs_lists_and_log_ranges():
    assert compare.parse_lrs("0.01, 0.1,1") == [0.01, 0.1, 1.0]
    assert compare.parse_lrs("3") == [3.0]
    assert compare.parse_lrs("1e-3:1:4") == [0.001, 0.01, 0.1, 1.0]
    values = compare.parse_lrs("1e-5:10:20")
    assert len(values) == 20 and values[0] == 1e-5 and values[-1] == 10.0
    ratios = np.diff(np.log10(values))
    np.testing.assert_allclose(ratios, 6 / 19, rtol=1e-9)


@pytest.mark.parametrize("text, needle", [
    ("", "empty"), ("0,1", "positive finite"), ("0.1,-1", "positive finite"), ("nan", "positive finite"),
    ("inf,1", "positive finite"), ("0.1,,1", "empty value"), ("a,b", "not a number"), ("1e-3:1", "START:STOP:COUNT"),
    ("1e-3:1:2:3", "START:STOP:COUNT"), ("1e-3:1:1", "at least 2"), ("1e-3:1:2.5", "whole number"),
    ("1:1e-3:4", "below its stop"), ("0:1:4", "positive finite"), ("1e-3:1:1000", "at most"),
    ("1e-3:x:4", "not a number"),
])
def test_parse_lrs_rejects_bad_input_with_one_line(text, needle):
    with pytest.raises(ValueError, match=needle) as err:
        compare.parse_lrs(text)
    assert "\n" not in str(err.value)


def test_variant_sections():
    assert Variant("a", {"lr": 0.1}).sections() == {"training": {"lr": 0.1}}
    assert Variant("s", {"start": (1, 2), "lr": 0.1, "seed": 3, "hidden": (3,)}).sections() == {
        "problem": {"start": (1, 2)}, "training": {"lr": 0.1, "seed": 3}, "network": {"hidden": (3,)}}
    assert Variant("b", {"problem": {"seed": 2}, "training": {"lr": 1}}).sections() == {
        "problem": {"seed": 2}, "training": {"lr": 1}}
    assert Variant("c").sections() == {}


def test_a_nan_loss_is_reported_as_diverged_not_raised():
    cfg = line_config()
    rows = compare.sweep(cfg, [1e6], epochs=50)
    assert rows[0]["status"] == "diverged" and rows[0]["behaviour"] == "diverged"
    assert not math.isnan(rows[0]["lr"])


def test_function_mode_races_eta_and_start_points():
    cfg = cfgmod.Config(problem=cfgmod.ProblemConfig(dataset="function:elongated"))  # ½x² + 5y²: λmax = 10
    res = compare.compare_lrs(cfg, [0.05, 0.19, 0.21], epochs=100)
    assert res.limit == pytest.approx(0.2, rel=1e-6)
    assert [r.behaviour for r in res.runs] == ["smooth", "oscillating", "diverged"]
    res = compare.run_comparison(cfg, [Variant("a", {"start": (1.0, 1.0)}),
                                       Variant("b", {"problem": {"start": (-2.0, 0.5)}, "training": {"lr": 0.1}})],
                                 epochs=30)
    assert res.runs[0].trajectory[1][0].tolist() == [1.0, 1.0] and res.runs[1].trajectory[1][0].tolist() == [-2, 0.5]
    saddle = cfgmod.Config(problem=cfgmod.ProblemConfig(dataset="function:saddle"))  # x² − y²
    run = compare.compare_lrs(saddle, [0.1], epochs=200).runs[0]
    assert run.lam == pytest.approx(2.0, rel=1e-6) and run.behaviour == "diverged"


# ---------------------------------------------------------------- one rule, whole-run labels

def test_the_sweep_labels_a_huge_eta_diverged_with_its_status():
    rows = compare.sweep(cfgmod.load_preset("xor"), [1000.0], 200)
    assert (rows[0]["status"], rows[0]["behaviour"]) == ("diverged", "diverged")


def test_status_and_behaviour_agree_on_x2_just_past_the_limit():
    cfg = cfgmod.Config(problem=cfgmod.ProblemConfig(dataset="function:x2"))
    row = compare.sweep(cfg, [1.05], cfg.training.epochs)[0]
    assert (row["status"], row["behaviour"]) == ("diverged", "diverged")
    short = compare.sweep(cfg, [1.05], 8)[0]  # too few steps for the rule: neither says diverged
    assert short["status"] != "diverged" and short["behaviour"] != "diverged"


def test_a_run_converging_to_a_negative_value_from_zero_is_not_diverged():
    cfg = cfgmod.Config(problem=cfgmod.ProblemConfig(dataset="function:x**2 + 3*sin(y)", start=(0.0, 0.0)))
    run = compare.compare_lrs(cfg, [0.1], 300).runs[0]
    assert run.final_loss == pytest.approx(-3.0, abs=1e-6)
    assert (run.status, run.behaviour) == ("converged", "smooth")


@pytest.mark.parametrize("epochs", [300, 1000])
def test_adam_crawling_in_rosenbrocks_valley_is_slow_like_sgd_not_smooth(epochs):
    cfg = cfgmod.Config(problem=cfgmod.ProblemConfig(dataset="function:rosenbrock"))
    res = compare.compare_optimizers(cfg.with_changes(training={"lr": 0.001}), ["sgd", "adam"], epochs)
    sgd, adam = res.runs
    assert adam.final_loss > sgd.final_loss and sgd.behaviour == "slow"
    assert adam.behaviour == "slow"
