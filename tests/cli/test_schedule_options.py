"""Schedules and η defaults from the command line, TOML and sessions: torch's semantics over the whole run."""

import json

import pytest

from gdsim import cli
from gdsim.cli import options
from gdsim.io import session
from gdsim.lab import config as cfgmod


def run(capsys, *args):
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def config(*args) -> cfgmod.Config:
    return options.config_from_args(cli.build_parser().parse_args(["train", *args]))


def lr_per_epoch(trainer) -> dict[int, float]:
    """η used by each epoch's (single, full-batch) step."""
    return {int(step) - 1: float(lr) for step, _loss, _g, lr in trainer.step_history.array()}


def test_cosine_anneals_over_all_the_run_epochs():
    built = cfgmod.build(config("--preset", "xor", "--epochs", "300", "--schedule", "cosine", "--seed", "1"))
    t = built.trainer
    assert t.schedule_kwargs == {"t_max": 300, "eta_min": 0.0}
    t.run(300)
    lrs = lr_per_epoch(t)
    assert lrs[0] == 0.5
    assert lrs[150] == pytest.approx(0.25, rel=1e-12)  # half way through the run: η0/2
    assert t.epoch < 300 or t.current_lr == 0.0  # at epoch 300: eta_min


def test_a_long_cosine_run_is_not_cut_short_at_epoch_100(capsys):
    code, out, err = run(capsys, "train", "--preset", "xor", "--epochs", "1000", "--schedule", "cosine", "--json")
    assert code == 0, err
    s = json.loads(out)
    assert s["epochs"] > 500  # before: "converged" at epoch 106 because T_max was 100 whatever the run
    built = cfgmod.build(config("--preset", "xor", "--epochs", "1000", "--schedule", "cosine"))
    assert built.trainer.schedule_kwargs["t_max"] == 1000


@pytest.mark.parametrize("args, schedule, kwargs", [
    (["--schedule", "step", "--step-size", "30"], "step", {"step_size": 30}),
    (["--schedule", "step", "--step-size", "30", "--gamma", "0.5"], "step", {"step_size": 30, "gamma": 0.5}),
    (["--schedule", "exponential", "--gamma", "0.97"], "exponential", {"gamma": 0.97}),
    (["--schedule", "cosine", "--t-max", "50", "--eta-min", "0.001"], "cosine", {"t_max": 50, "eta_min": 0.001}),
    (["--schedule", "cosine"], "cosine", {}),
])
def test_schedule_options_reach_the_trainer(args, schedule, kwargs):
    cfg = config("--preset", "xor", "--epochs", "90", *args)
    assert (cfg.training.schedule, cfg.training.schedule_kwargs) == (schedule, kwargs)
    t = cfgmod.build(cfg).trainer
    defaults = {"step": {"step_size": 30, "gamma": 0.1}, "exponential": {"gamma": 0.01 ** (1 / 90)},
                "cosine": {"t_max": 90, "eta_min": 0.0}}[schedule]
    assert t.schedule_kwargs == pytest.approx({**defaults, **kwargs})


@pytest.mark.parametrize("args, needle", [
    (["--schedule", "cosine", "--gamma", "0.5"], "--gamma does not apply to the cosine schedule (its options: "
                                                 "--t-max, --eta-min)"),
    (["--step-size", "10"], "--step-size does not apply to the constant schedule"),
    (["--schedule", "step", "--step-size", "0"], "step_size must be an integer >= 1"),
    (["--schedule", "exponential", "--gamma", "-1"], "gamma must be a finite number > 0"),
    (["--schedule", "cosine", "--eta-min", "nan"], "eta_min"),
    (["--schedule", "warmup"], "unknown schedule 'warmup'"),
    (["--t-max", "ten"], "--t-max"),
])
def test_bad_schedule_options_are_one_line(capsys, args, needle):
    code, _, err = run(capsys, "train", "--preset", "xor", "--epochs", "3", *args)
    assert code == 2 and len(err.strip().splitlines()) == 1 and needle in err


def test_toml_keys_and_a_new_schedule_dropping_the_old_arguments(tmp_path):
    f = tmp_path / "run.toml"
    f.write_text('[problem]\ndataset = "xor"\n[training]\nepochs = 40\nschedule = "step"\n'
                 'schedule_kwargs = { step_size = 5, gamma = 0.5 }\n')
    cfg = config("--config", str(f))
    assert cfgmod.build(cfg).trainer.schedule_kwargs == {"step_size": 5, "gamma": 0.5}
    assert config("--config", str(f), "--gamma", "0.2").training.schedule_kwargs == {"step_size": 5, "gamma": 0.2}
    # another schedule: the step arguments do not carry over to it
    assert config("--config", str(f), "--schedule", "cosine").training.schedule_kwargs == {}


def test_session_keeps_the_schedule_bit_for_bit(tmp_path):
    cfg = cfgmod.load_preset("xor").with_changes(training={"epochs": 60, "schedule": "cosine",
                                                           "schedule_kwargs": {"eta_min": 0.01}})
    straight = cfgmod.build(cfg)
    straight.trainer.run(60)
    first = cfgmod.build(cfg)
    first.trainer.run(25)
    loaded = session.load(session.save(tmp_path / "mid.gdsim", first))
    assert loaded.trainer.schedule_kwargs == {"t_max": 60, "eta_min": 0.01}
    loaded.trainer.run(session.remaining_epochs(loaded))
    assert lr_per_epoch(loaded.trainer) == lr_per_epoch(straight.trainer)
    assert (loaded.net.params == straight.net.params).all()
    # more epochs after the run: the schedule keeps its span (t_max = 60), as torch's scheduler would
    session.extend(loaded, 20)
    again = session.load(session.save(tmp_path / "longer.gdsim", loaded))
    assert again.trainer.schedule_kwargs == {"t_max": 60, "eta_min": 0.01}


@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.1), ("momentum", 0.1), ("nesterov", 0.1),
                                           ("adagrad", 0.01), ("rmsprop", 0.01), ("adam", 0.001)])
def test_lr_defaults_to_the_optimizers(capsys, optimizer, lr):
    code, out, err = run(capsys, "train", "--dataset", "xor", "--epochs", "2", "--optimizer", optimizer, "--json")
    assert code == 0, err
    assert json.loads(out)["lr"] == lr


def test_an_explicit_lr_wins_over_the_optimizers_default(tmp_path):
    assert config("--dataset", "xor", "--optimizer", "adam", "--lr", "0.05").training.eta == 0.05
    assert config("--preset", "xor", "--optimizer", "adam").training.eta == 0.5  # the preset's own η
    f = tmp_path / "adam.toml"
    f.write_text('[training]\noptimizer = "adam"\n')
    assert config("--config", str(f)).training.eta == 0.001
    f.write_text('[training]\noptimizer = "adam"\nlr = 0.02\n')
    assert config("--config", str(f)).training.eta == 0.02
