import json
import subprocess
import sys

import pytest

from gdsim import cli


def run(capsys, *args):
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_train_json_summary(capsys):
    code, out, err = run(capsys, "train", "--preset", "xor", "--epochs", "30", "--json")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 1
    s = json.loads(lines[0])
    assert s["epochs"] == 30 and s["steps"] == 30 and s["status"] == "max_epochs"
    assert {"final_loss", "test_loss", "accuracy", "test_accuracy"} <= set(s)


def test_train_options_override_the_preset(capsys):
    code, out, _ = run(capsys, "train", "--dataset", "sine", "--layers", "1,8,1", "--activation", "tanh",
                       "--optimizer", "adam", "--lr", "0.01", "--batch-size", "16", "--epochs", "3",
                       "--samples", "100", "--seed", "3", "--json")
    s = json.loads(out)
    assert code == 0 and s["steps"] == 3 * 5 and "r2" in s  # 80 training rows / 16


def test_same_seed_same_result_cli(capsys):
    a = run(capsys, "train", "--preset", "circles", "--epochs", "20", "--json")[1]
    b = run(capsys, "train", "--preset", "circles", "--epochs", "20", "--json")[1]
    assert a == b


def test_divergence_reported_in_json(capsys):
    code, out, _ = run(capsys, "train", "--dataset", "package", "--layers", "2,1", "--lr", "5",
                       "--epochs", "200", "--json")
    s = json.loads(out)
    assert code == 0 and s["status"] == "diverged" and "η is too large" in s["message"]


@pytest.mark.parametrize("args,needle", [
    (["--lr", "-1"], "positive finite"),
    (["--lr", "0"], "positive finite"),
    (["--lr", "nan"], "positive finite"),
    (["--dataset", "banana"], "unknown dataset"),
    (["--optimizer", "lbfgs"], "unknown optimizer"),
    (["--activation", "cube"], "activation"),
    (["--loss", "hinge"], "unknown loss"),
    (["--layers", "2,0,1"], "at least one neuron"),
    (["--layers", "3,4,1"], "does not fit the data"),
    (["--preset", "nope"], "unknown preset"),
    (["--dataset", "csv:/no/such/file.csv"], "not found"),
    (["--batch-size", "zero"], "batch size"),
    (["--epochs", "-3"], "epochs"),
    (["--export-loss", "/tmp/x.jpg"], ".png"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, args, needle):
    code, out, err = run(capsys, "train", *args)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("gdsim: error:"), err
    assert needle in err
    assert "Traceback" not in err


def test_nan_cell_in_csv(capsys, tmp_path):
    f = tmp_path / "d.csv"
    f.write_text("a,b,y\n1,2,3\n4,nan,6\n7,8,9\n1,1,1\n")
    code, _, err = run(capsys, "train", "--dataset", f"csv:{f}")
    assert code == 2 and "line 3" in err and "'b'" in err


def test_no_command_is_usage_error(capsys):
    code, _, err = run(capsys, "bogus")
    assert code == 2 and err.count("\n") == 1


def test_module_entry_point_and_exit_code():
    r = subprocess.run([sys.executable, "-m", "gdsim", "train", "--lr", "-2"], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "gdsim", "train", "--epochs", "2", "--json"], capture_output=True,
                       text=True)
    assert r.returncode == 0 and json.loads(r.stdout)["epochs"] == 2


def test_zero_init_warns_but_runs(capsys):
    code, out, err = run(capsys, "train", "--init", "zeros", "--epochs", "2", "--json")
    assert code == 0 and "symmetry" in err and json.loads(out)["epochs"] == 2


def test_export_loss_csv(capsys, tmp_path):
    path = tmp_path / "loss.csv"
    code, _, err = run(capsys, "train", "--preset", "xor", "--epochs", "5", "--export-loss", str(path))
    assert code == 0, err
    lines = path.read_text().splitlines()
    assert lines[0] == "step,loss,grad_norm,lr,epoch,train_loss,test_loss" and len(lines) == 6


@pytest.mark.parametrize("ext", ["png", "svg"])
def test_export_loss_image_headless(tmp_path, ext):
    path = tmp_path / f"loss.{ext}"
    env_cmd = [sys.executable, "-m", "gdsim", "train", "--preset", "xor", "--epochs", "20", "--export-loss",
               str(path)]
    r = subprocess.run(env_cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    data = path.read_bytes()
    if ext == "png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        import xml.etree.ElementTree as ET

        assert ET.fromstring(data).tag.endswith("svg")


def test_missing_x11_library_is_one_clear_line(monkeypatch):
    import ctypes.util

    from gdsim.ui.plotting import qt_app

    monkeypatch.setattr(qt_app.sys, "platform", "linux")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None if name == "xcb-cursor" else "lib.so")
    with pytest.raises(OSError, match="libxcb-cursor0"):
        qt_app._check_x11_libraries()


def test_version_comes_from_the_package(capsys):
    import gdsim

    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"gdsim {gdsim.__version__}"


def test_presets_lists_every_preset_with_its_description(capsys):
    from gdsim.lab import config as cfgmod

    code, out, err = run(capsys, "presets")
    assert code == 0 and not err
    lines = out.splitlines()
    names = cfgmod.preset_names()
    assert len(lines) == len(names) >= 10
    for line, name in zip(lines, names, strict=True):
        first, rest = line.split(None, 1)
        assert first == name and rest == cfgmod.load_preset(name).description
    assert any(line.startswith("xor ") and "single neuron" in line for line in lines)


def test_help_says_gdsim_alone_opens_the_app_and_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert "`gdsim` alone (no arguments) to open the app" in out
    assert "--version" in out
    for command in ("train", "gui", "sweep", "export-torch", "presets"):
        assert f"\n    {command}" in out


def test_subcommand_help_shows_the_defaults(capsys):
    from gdsim.lab import config as cfgmod

    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    out = " ".join(capsys.readouterr().out.split())  # undo argparse's line wrapping
    d = cfgmod.Config()
    assert "learning rate η (default: the preset's, else the optimizer's: 0.1 for sgd" in out
    assert f"number of epochs (default: {d.training.epochs})" in out
    assert f"(default: {d.training.optimizer})" in out and "(default: full)" in out
    assert "`gdsim presets` lists them" in out
    with pytest.raises(SystemExit):
        cli.main(["sweep", "--help"])
    assert "(default:" in capsys.readouterr().out
