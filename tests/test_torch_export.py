"""The exported PyTorch script trains the same run: its final_loss equals ``gdsim train``'s to 1e-6."""

import ast
import json
import subprocess
import sys

import pytest

from gdsim import cli, torch_export
from gdsim import config as cfgmod

SETUPS = {
    "xor_bce_sgd_full_batch": ["--preset", "xor", "--epochs", "150"],
    "circles_adam_mini_batch": ["--dataset", "circles", "--samples", "200", "--layers", "2,8,1", "--optimizer", "adam",
                                "--lr", "0.01", "--batch-size", "32", "--epochs", "15", "--seed", "3"],
    "sine_mse_momentum": ["--dataset", "sine", "--samples", "120", "--layers", "1,10,1", "--activation", "tanh",
                          "--optimizer", "momentum", "--lr", "0.05", "--epochs", "150"],
    # the datasets are all two-class, so cross-entropy runs on two softmax outputs
    "gaussians_cross_entropy_rmsprop_decay_clip": ["--dataset", "gaussians", "--samples", "160", "--loss",
                                                   "cross_entropy", "--layers", "2,6,2", "--activation", "relu",
                                                   "--init", "he", "--optimizer", "rmsprop", "--lr", "0.01",
                                                   "--weight-decay", "0.01", "--clip-norm", "0.5",
                                                   "--batch-size", "25", "--epochs", "12"],
    "package_half_mse_nesterov_schedule": ["--dataset", "package", "--samples", "100", "--layers", "2,4,4,1",
                                           "--activation", "sigmoid,leaky_relu", "--loss", "half_mse",
                                           "--optimizer", "nesterov", "--lr", "0.02", "--schedule", "step",
                                           "--epochs", "60"],
}


def gdsim_final_loss(capsys, args):
    code = cli.main(["train", *args, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def run_script(path):
    r = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    last = r.stdout.strip().splitlines()[-1]
    assert last.startswith("final_loss="), r.stdout
    return float(last.split("=", 1)[1])


@pytest.mark.parametrize("name", list(SETUPS))
def test_script_reproduces_gdsim_final_loss(capsys, tmp_path, name):
    pytest.importorskip("torch")
    script = tmp_path / f"{name}.py"
    code = cli.main(["export-torch", *SETUPS[name], "-o", str(script)])
    _, err = capsys.readouterr()
    assert code == 0, err
    summary = gdsim_final_loss(capsys, SETUPS[name])
    torch_loss = run_script(script)
    diff = abs(torch_loss - summary["final_loss"])
    print(f"{name}: gdsim {summary['final_loss']!r} torch {torch_loss!r} |diff| {diff:.3g}")
    assert diff < 1e-6


def test_script_stops_where_gdsim_converges(tmp_path):
    pytest.importorskip("torch")
    cfg = cfgmod.Config().with_changes(problem={"dataset": "moons", "samples": 60}, network={"hidden": (3,)},
                                       training={"optimizer": "adagrad", "lr": 0.5, "epochs": 3000, "tol": 1e-5})
    built = cfgmod.build(cfg)
    torch_export.write(built, tmp_path / "m.py")
    built.trainer.run(cfg.training.epochs)
    summary = built.trainer.summary()
    assert summary["status"] == "converged" and summary["epochs"] < 3000
    assert abs(run_script(tmp_path / "m.py") - summary["final_loss"]) < 1e-6


def test_large_data_go_to_an_npz_beside_the_script(tmp_path, monkeypatch, capsys):
    pytest.importorskip("torch")
    monkeypatch.setattr(torch_export, "EMBED_MAX_VALUES", 50)
    args = ["--dataset", "spiral", "--samples", "100", "--layers", "2,5,1", "--batch-size", "20", "--epochs", "4"]
    written = torch_export.write(cfgmod.build(cli.config_from_args(cli.build_parser().parse_args(["train", *args]))),
                                 tmp_path / "s.py")
    assert [p.name for p in written] == ["s.py", "s.npz"]
    assert "np.array([" not in written[0].read_text().split("# ---- network")[0]
    assert abs(run_script(written[0]) - gdsim_final_loss(capsys, args)["final_loss"]) < 1e-6


def test_script_imports_only_numpy_and_torch():
    text = torch_export.render(cfgmod.load_preset("spiral"))
    modules = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            modules |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            modules.add(node.module.split(".")[0])
    assert modules <= {"numpy", "torch", "math", "pathlib"}
    assert "gdsim" not in modules and "pickle" not in text


def test_refusals(tmp_path, capsys):
    built = cfgmod.build(cfgmod.load_preset("xor"))
    built.trainer.step()
    with pytest.raises(ValueError, match="already trained"):
        torch_export.render(built)
    with pytest.raises(ValueError, match="function mode"):
        torch_export.render(cfgmod.load_preset("rosenbrock"))
    code = cli.main(["export-torch", "--preset", "xor", "-o", str(tmp_path / "x.txt")])
    assert code == 2 and ".py" in capsys.readouterr().err


@pytest.mark.parametrize("lr", [100.0, 1e6])
def test_script_stops_diverged_at_the_same_step_as_gdsim(tmp_path, lr):
    pytest.importorskip("torch")
    cfg = cfgmod.load_preset("xor").with_changes(training={"lr": lr, "epochs": 300})
    built = cfgmod.build(cfg)
    torch_export.write(built, tmp_path / "d.py")
    built.trainer.run(cfg.training.epochs)
    summary = built.trainer.summary()
    assert summary["status"] == "diverged"
    r = subprocess.run([sys.executable, str(tmp_path / "d.py")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines[-2].startswith(f"diverged at step {summary['diverged_at_step']}:"), r.stdout
    if summary["final_loss"] is not None and lines[-1] != "final_loss=nan":
        assert float(lines[-1].split("=", 1)[1]) == pytest.approx(summary["final_loss"], rel=1e-6)
