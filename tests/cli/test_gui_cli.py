"""``gdsim gui``: the CLI builds the set-up and checks the files before a window opens; the app runs the script."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import gdsim

ROOT = str(Path(gdsim.__file__).resolve().parents[1])


def run_gui(tmp_path, *args):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
           "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "gdsim", "gui", *args, "--quit"], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=300)


def test_scripted_gui_trains_the_set_up_and_saves_the_loss_table(tmp_path):
    r = run_gui(tmp_path, "--preset", "xor", "--epochs", "3", "--lr", "0.5", "--show", "Loss surface",
                "--export-loss", "loss.csv")
    assert r.returncode == 0, r.stderr
    with open(tmp_path / "loss.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:4] == ["step", "loss", "grad_norm", "lr"]
    assert [row[4] for row in rows[1:] if row[4]] == ["1", "2", "3"]  # the three epochs asked for
    assert {row[3] for row in rows[1:] if row[3]} == {"0.5"}  # the --lr given, not the preset's


def test_an_unknown_panel_is_one_line_and_status_2(tmp_path):
    r = run_gui(tmp_path, "--show", "Nope")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "no panel called 'Nope'" in r.stderr


def test_bad_options_fail_before_qt_is_even_imported(tmp_path):
    bad = [["--export-loss", str(tmp_path / "loss.jpg")], ["--screenshot", str(tmp_path / "w.svg")],
           ["--preset", "nope"], ["--lr", "-1"], ["--lesson", "no_such_lesson"]]
    code = ("import sys; from gdsim import cli; "
            f"codes = [cli.main(['gui', *args]) for args in {bad!r}]; "
            "assert codes == [2] * len(codes), codes; "
            "assert not [m for m in sys.modules if m.startswith('PySide6')], 'Qt imported'")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == len(bad) and all(line.startswith("gdsim: error: ") for line in lines)
    assert "choose a .png, .svg or .csv file" in lines[0] and "choose a .png file" in lines[1]
