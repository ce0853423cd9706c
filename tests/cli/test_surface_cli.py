"""``gdsim surface``: the app's loss surface from the command line, as CSV (headless), PNG or SVG."""

from __future__ import annotations

import csv
import json
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from gdsim import cli
from gdsim.cli.surface import split_names
from gdsim.lab import config, surfaces


def run(capsys, *args):
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_csv_is_the_grid_the_app_computes(capsys, tmp_path):
    out_csv = tmp_path / "s.csv"
    code, out, err = run(capsys, "surface", "--preset", "xor", "--epochs", "30", "--params", "W1[1,1], W1[2,2]",
                         "--grid", "21", "--export", str(out_csv), "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["axes"] == ["W1[1,1]", "W1[2,2]"] and summary["grid"] == [21, 21] and summary["step"] == 30
    assert summary["files"] == [str(out_csv), str(tmp_path / "s_path.csv")]
    rows = read_csv(out_csv)
    assert rows[0] == ["W1[1,1]", "W1[2,2]", "loss"]
    table = np.array(rows[1:], dtype=float)
    assert table.shape == (21 * 21, 3)
    # the same numbers as the app's surface for that set-up after the same training
    b = config.build(config.load_preset("xor").with_changes(training={"epochs": 30}))
    names = b.net.param_names
    b.trainer.run(30)
    grid = surfaces.compute_for(surfaces.SurfaceSpec(indices=(names.index("W1[1,1]"), names.index("W1[2,2]")),
                                                     resolution=21), b.trainer)
    np.testing.assert_array_equal(table[:, 2].reshape(21, 21), grid.values)
    path = read_csv(tmp_path / "s_path.csv")
    assert path[0] == ["step", "W1[1,1]", "W1[2,2]", "loss"]
    assert float(path[-1][0]) == 30 and len(path) - 1 == len(grid.path)


def test_png_and_svg_with_the_path_drawn(capsys, tmp_path):
    code, _, err = run(capsys, "surface", "--preset", "xor", "--epochs", "40", "--grid", "15", "--plane", "pca",
                       "--export", str(tmp_path / "s.png"), "--width", "700")
    assert code == 0, err
    data = (tmp_path / "s.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">I", data[16:20])[0] == 700
    code, out, err = run(capsys, "surface", "--preset", "xor", "--epochs", "40", "--grid", "15",
                         "--export", str(tmp_path / "s.svg"))
    assert code == 0, err
    assert "files: " + str(tmp_path / "s.svg") in out
    root = ET.fromstring((tmp_path / "s.svg").read_bytes())
    strokes = {el.get("stroke") for el in root.iter()}
    assert "#eb3223" in strokes  # the path's red (plotting.PATH_COLOUR)
    assert any(el.tag.endswith("image") for el in root.iter())  # the heatmap


def test_one_name_gives_the_1d_slice(capsys, tmp_path):
    code, out, err = run(capsys, "surface", "--preset", "xor", "--epochs", "5", "--params", "b1[1]", "--grid", "31",
                         "--export", str(tmp_path / "slice.csv"), "--json")
    assert code == 0, err
    assert json.loads(out)["grid"] == [31]
    rows = read_csv(tmp_path / "slice.csv")
    assert rows[0] == ["b1[1]", "loss"] and len(rows) == 32


@pytest.mark.parametrize("args, message", [
    (["--params", "W9[1,1],W1[1,2]"], "unknown parameter 'W9[1,1]'; this network's parameters are W1[1,1]"),
    (["--params", "W1[1,1],W1[1,1]"], "names the same parameter twice"),
    (["--params", "W1[1,1],W1[1,2],b2[1]"], "one or two parameter names, got 3"),
    (["--plane", "random", "--params", "W1[1,1],W1[1,2]"], "--params applies to --plane axes"),
    (["--plane", "sideways"], "invalid choice: 'sideways'"),
    (["--grid", "2"], "--grid must be between 3 and 401"),
    (["--export", "s.jpg"], "choose a .png, .svg or .csv file"),
])
def test_bad_input_is_one_line_and_status_2(capsys, args, message):
    code, out, err = run(capsys, "surface", "--preset", "xor", "--epochs", "0", *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("gdsim: error: ") and message in err


def test_names_keep_their_commas():
    assert split_names("W1[1,1],W1[1,2]") == ["W1[1,1]", "W1[1,2]"]
    assert split_names(" b1[2] , x ") == ["b1[2]", "x"]


def test_csv_export_stays_headless(tmp_path):
    code = ("import sys; from gdsim import cli; "
            f"rc = cli.main(['surface', '--preset', 'xor', '--epochs', '3', '--grid', '5', '--export', "
            f"{str(tmp_path / 'h.csv')!r}]); "
            "assert rc == 0; assert not [m for m in sys.modules if m.startswith('PySide6')], 'Qt was imported'")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=120)
