"""The exported PyTorch script trains the same run: its final_loss equals ``gdsim train``'s to 1e-6."""

import ast
import dataclasses
import io
import json
import subprocess
import sys
import tokenize

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gdsim import cli
from gdsim.cli import options
from gdsim.io import torch_export
from gdsim.lab import config as cfgmod

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
    cfg = options.config_from_args(cli.build_parser().parse_args(["train", *args]))
    written = torch_export.write(cfgmod.build(cfg), tmp_path / "s.py")
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


# ---------------------------------------------------------------- hostile text never becomes code

def _payload(marker) -> str:
    return f"import pathlib; pathlib.Path({str(marker)!r}).write_text('pwned')"


def hostile_names(marker) -> dict[str, str]:
    p = _payload(marker)
    return {
        "triple_double": f'x"""\n{p}\n"""',
        "triple_single": f"x'''\n{p}\n'''",
        "backslash_quote": f'x\\"""\n{p}\n#',
        "carriage_return": f"x\r{p}\r",
        "windows_path": "C:\\Users\\me\\N{oops}\\x\\u12 \\",
        "controls": f"x\x00\x0b\x0c\x1b\u2028\u202e{p}\x85",
    }


def _toml(s: str) -> str:
    return json.dumps(s)  # a JSON string literal is a valid TOML basic string


def run_in(folder, script):
    """Run ``script`` with ``folder`` as working directory; returns stdout (asserts final_loss= is printed)."""
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=folder)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1].startswith("final_loss="), r.stdout
    return r.stdout


def files_under(folder) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def export_and_run(tmp_path, capsys, args, script_name="out.py"):
    """``gdsim export-torch ARGS`` into tmp_path/run, run the script there; nothing but the script may appear."""
    run = tmp_path / "run"
    run.mkdir(exist_ok=True)
    script = run / script_name
    code = cli.main(["export-torch", *args, "-o", str(script)])
    err = capsys.readouterr().err
    assert code == 0, err
    compile(script.read_text(encoding="utf-8"), str(script), "exec")
    before = files_under(tmp_path)
    run_in(run, script)
    assert files_under(tmp_path) == before  # no marker, nothing else
    return script.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", list(hostile_names("m")))
def test_hostile_toml_name_and_description_stay_text(tmp_path, capsys, case):
    pytest.importorskip("torch")
    text = hostile_names(tmp_path / "PWNED")[case]
    setup = tmp_path / "setup.toml"
    setup.write_text(f"name = {_toml(text)}\ndescription = {_toml(text)}\n"
                     '[problem]\ndataset = "xor"\nsamples = 20\n[training]\nepochs = 3\n', encoding="utf-8")
    export_and_run(tmp_path, capsys, ["--config", str(setup)])


def test_hostile_session_name_stays_text(tmp_path, capsys):
    pytest.importorskip("torch")
    from gdsim.io import session

    marker = tmp_path / "PWNED"
    cfg = cfgmod.load_preset("xor").with_changes(training={"epochs": 3})
    for text in [*hostile_names(marker).values(), "lone \ud800 surrogate"]:
        shared = cfgmod.build(dataclasses.replace(cfg, name=text, description=text))
        path = session.save(tmp_path / "shared.gdsim", shared)
        loaded = session.load(path)
        script = torch_export.write(loaded.config, tmp_path / "s.py")[0]
        before = files_under(tmp_path)
        run_in(tmp_path, script)
        assert files_under(tmp_path) == before


@pytest.mark.parametrize("folder", ['a"""b', "a'''b\\", "C:\\Users\\me", 'x"""\nimport os\n"""'])
def test_hostile_csv_paths_stay_text(tmp_path, capsys, folder):
    pytest.importorskip("torch")
    data = tmp_path / folder
    data.mkdir()
    csv = data / 'd"""\\N.csv'
    csv.write_text("x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n0.5,0.5,1\n0.2,0.9,0\n")
    text = export_and_run(tmp_path, capsys, ["--dataset", f"csv:{csv}", "--layers", "2,3,1", "--epochs", "3"])
    assert "C:\\Users" not in folder or "C:\\Users" in text  # the path is still shown, as a comment


def test_hostile_output_file_name_for_the_npz_stays_text(tmp_path, monkeypatch, capsys):
    pytest.importorskip("torch")
    monkeypatch.setattr(torch_export, "EMBED_MAX_VALUES", 10)
    name = f'p");{_payload("PWNED")};("\\N{{x}}\'.py'  # runs in tmp_path/run: a relative marker
    export_and_run(tmp_path, capsys, ["--preset", "xor", "--epochs", "3"], script_name=name)
    assert (tmp_path / "run" / name).with_suffix(".npz").is_file()


def test_typed_function_with_hostile_text_is_refused_in_one_line(tmp_path, capsys):
    script = tmp_path / "f.py"
    code = cli.main(["export-torch", "--dataset", 'function:x**2 + y"""\nimport os\n"""', "-o", str(script)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert not script.exists()


@given(st.text())
def test_comment_text_is_always_one_comment_line(text):
    line = torch_export.comment_text(text)
    source = f"a = 1\n# {line}\nb = 2\n"
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    assert [t.type for t in tokens if t.type == tokenize.COMMENT] == [tokenize.COMMENT]
    assert len(source.splitlines()) == 3 and line.isprintable() and len(line) <= 200
    compile(source.encode("utf-8"), "<comment>", "exec")
