import csv
import json
import math
import xml.etree.ElementTree as ET

import pytest

from gdsim import cli
from gdsim.cli import sweep as sweep_cmd


def run(capsys, *args):
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def strict_json(text: str):
    def refuse(name):
        raise AssertionError(f"non-standard JSON constant {name}")
    return json.loads(text, parse_constant=refuse)


def test_sweep_prints_one_json_list(capsys):
    code, out, err = run(capsys, "sweep", "--preset", "xor", "--lrs", "0.01,0.1,1", "--epochs", "20", "--json")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 1
    rows = strict_json(lines[0])
    assert isinstance(rows, list) and len(rows) == 3
    assert [r["lr"] for r in rows] == [0.01, 0.1, 1.0]
    for r in rows:
        assert set(r) == {"lr", "final_loss", "status", "behaviour"}
        assert r["status"] == "max_epochs" and r["behaviour"] in ("smooth", "oscillating", "slow")
        assert 0 < r["final_loss"] < 1
    assert rows[2]["final_loss"] < rows[0]["final_loss"]  # XOR at 20 epochs: larger η learns faster


def test_sweep_log_range_and_plain_table(capsys):
    code, out, err = run(capsys, "sweep", "--preset", "xor", "--lrs", "1e-3:1:4", "--epochs", "5", "--json")
    assert code == 0, err
    assert [r["lr"] for r in strict_json(out)] == [0.001, 0.01, 0.1, 1.0]
    code, out, err = run(capsys, "sweep", "--preset", "xor", "--lrs", "0.1,1", "--epochs", "5")
    assert code == 0, err
    assert "behaviour" in out and "2/λmax at the initial weights" in out and "best η" in out


def test_diverged_runs_in_json(capsys):
    code, out, err = run(capsys, "sweep", "--dataset", "line", "--layers", "1,1", "--lrs", "0.1,1e6",
                         "--epochs", "50", "--json")
    assert code == 0, err
    rows = strict_json(out)
    assert rows[0]["status"] != "diverged" and rows[1]["status"] == rows[1]["behaviour"] == "diverged"
    assert rows[1]["final_loss"] is None or rows[1]["final_loss"] > 1e3


def test_non_finite_final_loss_becomes_null():
    assert sweep_cmd._num(math.nan) is None and sweep_cmd._num(math.inf) is None and sweep_cmd._num(0.5) == 0.5


@pytest.mark.parametrize("args, needle", [
    (["--lrs", "0,1"], "positive finite"),
    (["--lrs", "1e-3:1:1"], "at least 2"),
    (["--lrs", "abc"], "not a number"),
    (["--lrs", "1:2:3:4"], "START:STOP:COUNT"),
    (["--lrs", "0.1", "--lr", "0.5"], "--lrs"),
    (["--lrs", "0.1", "--export", "x.jpg"], "choose a .png, .svg or .csv file"),
    (["--lrs", "0.1", "--layers", "3,1"], "does not fit the data"),
    ([], "--lrs"),
])
def test_bad_input_exits_2_with_one_line(capsys, args, needle):
    code, out, err = run(capsys, "sweep", "--preset", "xor", "--epochs", "2", *args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and needle in err and "Traceback" not in err


def test_export_png_svg_and_csv(capsys, tmp_path):
    base = ["sweep", "--dataset", "line", "--layers", "1,1", "--lrs", "0.01,0.3,0.9,3", "--epochs", "60"]
    png, svg, table = tmp_path / "s.png", tmp_path / "s.svg", tmp_path / "s.csv"
    for path in (png, svg, table):
        code, _, err = run(capsys, *base, "--export", str(path))
        assert code == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    root = ET.fromstring(svg.read_bytes())
    assert root.tag.endswith("svg")
    text = "".join("".join(root.itertext()).split())  # Qt breaks text runs where the font changes (λ, η)
    assert "2/λmax=1" in text and "bestη=0.3" in text and "diverged" in text
    with table.open(newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["lr", "final_loss", "status", "behaviour"]
    assert [r[0] for r in rows[1:]] == ["0.01", "0.3", "0.9", "3"] and rows[-1][2] == "diverged"
