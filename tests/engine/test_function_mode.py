"""Function mode: textbook functions through the same Trainer, config, snapshots and CLI as networks."""

import json
import math
import re

import numpy as np
import pytest

from gdsim import cli
from gdsim.engine.function_model import FunctionModel, make_function
from gdsim.engine.functions import FUNCTIONS
from gdsim.engine.trainer import Trainer
from gdsim.lab import config, snapshot

NEW_PRESETS = ("bias_eta_1", "bias_eta_001", "rosenbrock", "elongated_bowl")


def function_trainer(spec, lr, optimizer="sgd", start=None, **kw):
    model = FunctionModel(make_function(spec), start)
    return model, Trainer(model, np.zeros((1, 1)), np.zeros(1), optimizer=optimizer, lr=lr, task="function", **kw)


def path(trainer) -> np.ndarray:
    return trainer.trajectory.sample()[1]


# ---------------------------------------------------------------- the course notes' numbers


def test_bias5_eta_1_overshoots_and_diverges():
    model, tr = function_trainer("bias5", lr=1.0, max_epochs=50)
    assert model.param_names == ("b",) and model.params.tolist() == [-5.0]
    for _ in range(3):
        tr.step()
    np.testing.assert_array_equal(path(tr)[:, 0], [-5.0, 45.0, -405.0, 3645.0])  # b ← b − 10ηb = −9b, exactly
    np.testing.assert_array_equal(tr.step_history.array()[:3, 1], [125.0, 10125.0, 820125.0])  # 5b²
    assert tr.run(50) == "diverged"
    assert tr.diverged_at <= 6 and "η is too large" in tr.message and "η = 1" in tr.message


def test_bias5_eta_001_creeps():
    model, tr = function_trainer("bias5", lr=0.01)
    tr.step()
    assert model.params.tolist() == [-4.5]
    tr.step()
    assert model.params[0] == pytest.approx(-4.05, abs=1e-15)
    assert tr.epoch == 2 and tr.status == "running"


def test_bias5_start_can_be_chosen():
    model, tr = function_trainer("bias5", lr=0.01, start=[2.0])
    tr.step()
    assert model.params[0] == pytest.approx(2.0 - 0.01 * 20.0, abs=1e-15)


# ---------------------------------------------------------------- the adapter


@pytest.mark.parametrize("spec", [*FUNCTIONS, "x**2 + 3*sin(y)", "exp(x/3)*cos(y) + x*y**2"])
def test_adapter_gradient_matches_finite_differences(spec):
    model = FunctionModel(make_function(spec))
    rng = np.random.default_rng(7)
    for _ in range(3):
        lo, hi = np.array(model.function.default_range).T
        p = rng.uniform(lo, hi) * 0.5
        model.set_params(p)
        value, grad, out = model.forward_backward(np.zeros((1, 1)), model.targets(np.zeros(1)), "mse")
        assert value == model.function.value(p) and out.shape == (1, 1) and out[0, 0] == value
        h = 1e-6
        fd = [(model.loss_batch(p + h * e)[0] - model.loss_batch(p - h * e)[0]) / (2 * h) for e in np.eye(p.size)]
        np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-5 * max(1.0, np.abs(grad).max()))


def test_adapter_network_surface():
    model = FunctionModel(make_function("rosenbrock"))
    assert (model.n_in, model.n_out, model.n_params) == (1, 1, 2)
    assert model.sizes == () and model.activations == () and model.param_names == ("x", "y")
    assert model.output_activation == "linear" and model.params.dtype == np.float64
    assert model.targets(np.zeros(1), "mse").shape == (1, 1)
    zs, acts = model.forward_all(np.zeros((1, 1)))
    assert zs[-1][0, 0] == acts[-1][0, 0] == model.loss(None, None) == pytest.approx(12.5)
    other = model.copy()
    other.params[0] = 0.0
    assert model.params[0] == -1.5  # copies do not share the point
    model.params[:] = 3.0
    model.reinitialize()
    assert model.params.tolist() == [-1.5, 2.0]
    model.reinitialize([1.0, 1.0])
    assert model.params.tolist() == [1.0, 1.0] and model.loss() == 0.0


def test_loss_batch_is_vectorised_and_equals_pointwise():
    model = FunctionModel(make_function("himmelblau"))
    thetas = np.random.default_rng(0).uniform(-5, 5, (50, 2))
    batch = model.loss_batch(thetas, np.zeros((1, 1)), np.zeros(1), "mse")
    pointwise = []
    for t in thetas:
        model.set_params(t)
        pointwise.append(model.loss())
    assert batch.shape == (50,)
    np.testing.assert_array_equal(batch, pointwise)
    with pytest.raises(ValueError, match="2"):
        model.loss_batch(np.zeros((3, 3)))


def test_make_function_names_expressions_and_refusals():
    assert make_function("rosenbrock") is FUNCTIONS["rosenbrock"]
    assert make_function(" x**2 + 3*sin(y) ").dim == 2
    with pytest.raises(ValueError, match="unknown function 'banana'"):
        make_function("banana")
    with pytest.raises(ValueError, match="refused"):
        make_function("__import__('os')")
    with pytest.raises(ValueError, match="empty"):
        make_function("  ")
    with pytest.raises(ValueError, match="2 coordinate"):
        FunctionModel(make_function("bowl"), start=[1.0])


# ---------------------------------------------------------------- through the Trainer


def test_typed_function_trains_to_its_minimum():
    model, tr = function_trainer("x**2 + 3*sin(y)", lr=0.1, max_epochs=2000)
    assert tr.run(2000) == "converged"
    np.testing.assert_allclose(model.params, [0.0, -math.pi / 2], atol=1e-3)
    assert tr.summary()["value"] == pytest.approx(-3.0, abs=1e-6)


def test_bowl_converges_exactly_with_sgd():
    # θ ← θ − η·2θ = 0 for η = 0.5: the minimum in one step, then the gradient is exactly zero
    model, tr = function_trainer("bowl", lr=0.5, max_epochs=100)
    assert tr.run(100) == "converged"
    assert model.params.tolist() == [0.0, 0.0] and tr.epoch == 1 + tr.patience
    assert "converged" in tr.message


def test_saddle_escapes_and_is_reported_unbounded():
    model, tr = function_trainer("saddle", lr=0.1, max_epochs=10_000)  # start (−2, 0.01)
    assert tr.run(10_000) == "diverged"
    assert tr.diverged_at < 200  # caught while running off to −∞, long before overflow
    assert abs(model.params[0]) < 1e-3 and abs(model.params[1]) > 1e3  # x settled, y escaped
    assert "unbounded below" in tr.message and np.isfinite(model.params).all()


def test_saddle_without_offset_stops_at_the_saddle():
    model, tr = function_trainer("saddle", lr=0.1, start=[-2.0, 0.0], max_epochs=10_000)
    assert tr.run(10_000) == "stalled" and "saddle point" in tr.message  # still, but not a minimum
    assert abs(model.params[0]) < 1e-3 and model.params[1] == 0.0


def test_nan_value_is_divergence():
    _, tr = function_trainer("sqrt(x)", lr=10.0, start=[1.0], max_epochs=10)  # steps left of 0: NaN
    assert tr.run(10) == "diverged" and "not finite" in tr.message


def test_function_summary_has_value_and_final_params_not_metrics():
    model, tr = function_trainer("elongated", lr=0.1, max_epochs=3)
    assert tr.metric_name == "value"
    tr.run(3)
    s = tr.summary()
    assert not {"accuracy", "r2", "test_loss", "test_value"} & set(s)
    assert s["final_params"] == model.params.tolist() and s["value"] == model.loss()
    assert np.isnan(tr.epoch_history.array()[:, 4]).all()  # no metric column in function mode


def test_snapshot_of_a_function_run():
    built = config.build(config.load_preset("elongated_bowl"))
    built.trainer.run(5)
    s = snapshot.take(built.trainer, built.data)
    assert built.data is None and s.output == {}
    assert s.sizes == () and s.param_names == ("x", "y") and s.task == "function" and s.metric_name == "value"
    assert s.trajectory.shape == (6, 2) and not s.params.flags.writeable


# ---------------------------------------------------------------- config and presets


@pytest.mark.parametrize("name", NEW_PRESETS)
def test_new_presets_build_and_run(name):
    cfg = config.load_preset(name)
    assert cfg.problem.function is not None and cfg.name
    assert config.from_dict(cfg.to_dict()) == cfg  # round trip, start included
    built = config.build(cfg)
    assert isinstance(built.net, FunctionModel) and built.data is None
    assert built.trainer.batch_size is None and built.trainer.steps_per_epoch == 1
    built.trainer.run(cfg.training.epochs)
    assert built.trainer.status in ("converged", "diverged", "max_epochs")


def test_preset_outcomes():
    def run(name):
        cfg = config.load_preset(name)
        built = config.build(cfg)
        built.trainer.run(cfg.training.epochs)
        return built.trainer

    assert run("bias_eta_1").status == "diverged"
    for name, minimum in [("bias_eta_001", [0.0]), ("rosenbrock", [1.0, 1.0]), ("elongated_bowl", [0.0, 0.0])]:
        tr = run(name)
        assert tr.status == "converged", name
        np.testing.assert_allclose(tr.net.params, minimum, atol=1e-2)
    steps = np.diff(path(run("elongated_bowl"))[:8, 1])
    assert (np.sign(steps[1:]) != np.sign(steps[:-1])).all()  # zig-zag across the narrow direction


def test_config_start_and_expression():
    cfg = config.Config().with_changes(problem={"dataset": "function:x**2 + 3*sin(y)", "start": (0.5, 0.25)})
    built = config.build(cfg)
    assert built.net.params.tolist() == [0.5, 0.25] and built.trainer.task == "function"


@pytest.mark.parametrize("problem,needle", [
    ({"dataset": "function:banana"}, "unknown function 'banana'"),
    ({"dataset": "function:x ^ 2"}, "use ** for powers"),
    ({"dataset": "function:bowl", "start": (1.0,)}, "2 coordinate"),
    ({"dataset": "function:bowl", "start": (1.0, math.inf)}, "finite"),
    ({"dataset": "xor", "start": (1.0,)}, "only applies to function mode"),
])
def test_validate_refuses_bad_function_setups(problem, needle):
    with pytest.raises(ValueError, match=re.escape(needle)) as err:
        config.validate(config.Config().with_changes(problem=problem))
    assert "\n" not in str(err.value)


# ---------------------------------------------------------------- CLI


def run_cli(capsys, *args):
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_function_json(capsys):
    code, out, err = run_cli(capsys, "train", "--dataset", "function:bias5", "--lr", "1", "--epochs", "3", "--json")
    assert code == 0, err
    s = json.loads(out)
    assert (s["status"], s["steps"], s["final_params"]) == ("max_epochs", 3, [3645.0])
    code, out, _ = run_cli(capsys, "train", "--dataset", "function:bias5", "--lr", "1", "--epochs", "10", "--json")
    s = json.loads(out)
    assert s["status"] == "diverged" and "η is too large" in s["message"]
    code, out, _ = run_cli(capsys, "train", "--dataset", "function:bias5", "--lr", "0.01", "--epochs", "1", "--json")
    assert json.loads(out)["final_params"] == [-4.5]


def test_cli_start_option_takes_negative_points(capsys):
    code, out, err = run_cli(capsys, "train", "--preset", "rosenbrock", "--start", "-1,0.5", "--epochs", "1",
                             "--json")
    assert code == 0, err
    before = np.array([-1.0, 0.5])
    expected = before - 0.001 * FUNCTIONS["rosenbrock"].grad(before)  # momentum's first step is plain GD
    np.testing.assert_allclose(json.loads(out)["final_params"], expected, rtol=1e-12)


@pytest.mark.parametrize("args,needle", [
    (["--dataset", "function:__import__('os')"], "refused"),
    (["--dataset", "function:banana"], "unknown function"),
    (["--dataset", "function:bowl", "--start", "1"], "2 coordinate"),
    (["--dataset", "function:bowl", "--start", "a,b"], "comma-separated numbers"),
])
def test_cli_refuses_bad_functions_in_one_line(capsys, args, needle):
    code, out, err = run_cli(capsys, "train", *args, "--json")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and needle in err


def test_summary_final_loss_and_value_are_both_f_at_the_final_point():
    model, tr = function_trainer("bias5", lr=0.01, max_epochs=3)
    tr.run(3)
    s = tr.summary()
    b = s["final_params"][0]
    assert s["final_loss"] == s["value"] == pytest.approx(5 * b * b, rel=1e-15)  # b = −5·0.98³
