"""Export writes real files: PNG bytes with the asked width, SVG that parses with vector content, CSV rows."""

from __future__ import annotations

import csv
import os
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from gdsim.ui.plotting import figures as export

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def svg_tags(data: bytes) -> list[str]:
    root = ET.fromstring(data)
    return [el.tag.rsplit("}", 1)[-1] for el in root.iter()]


def histories():
    steps = np.arange(1, 11, dtype=float)
    sh = np.column_stack([steps, 1.0 / steps, steps * 0.1, np.full(10, 0.05)])
    sh[4, 1] = np.nan
    eh = np.array([[1, 5, 0.5, 0.6, 0.8, 0.7], [2, 10, 0.25, np.nan, 0.9, np.nan]])
    return sh, eh


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


# ------------------------------------------------------------------ paths and tables

@pytest.mark.parametrize("name, ext", [("a.png", "png"), ("A.SVG", "svg"), ("b.Csv", "csv")])
def test_check_path_accepts_allowed_extensions_case_insensitively(tmp_path, name, ext):
    assert export.check_path(tmp_path / name, ("png", "svg", "csv")) == ext


def test_check_path_rejects_other_extensions_with_a_clear_message(tmp_path):
    with pytest.raises(ValueError, match=r"cannot write '.*x\.jpg': choose a \.png, \.svg or \.csv file"):
        export.check_path(str(tmp_path / "x.jpg"), ("png", "svg", "csv"))
    with pytest.raises(ValueError, match="choose a .png file"):
        export.check_path(str(tmp_path / "noext"), ("png",))


def test_check_path_needs_an_existing_folder(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        export.check_path(tmp_path / "missing" / "x.png", ("png",))
    (tmp_path / "d.png").mkdir()
    with pytest.raises(ValueError, match="folder"):
        export.check_path(tmp_path / "d.png", ("png",))


def test_write_csv_is_atomic_and_writes_nan_as_empty(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("old")
    export.write_csv(path, ["a", "b", "c"], [[1, 0.5, float("nan")], [2.0, float("inf"), "x"]])
    assert read_csv(path) == [["a", "b", "c"], ["1", "0.5", ""], ["2", "inf", "x"]]
    assert os.listdir(tmp_path) == ["t.csv"]  # no temporary file left behind


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("old")

    def rows():
        yield [1, 2]
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        export.write_csv(path, ["a", "b"], rows())
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["t.csv"]


def test_window_grab_png_rejects_an_empty_image(qapp, tmp_path):
    from PySide6 import QtGui

    with pytest.raises(OSError, match="could not encode"):
        export.write_png(QtGui.QImage(), tmp_path / "w.png")
    assert os.listdir(tmp_path) == []


def test_loss_csv_rows_one_row_per_step_with_epoch_columns_on_epoch_ends():
    sh, eh = histories()
    header, rows = export.loss_csv_rows(sh, eh)
    assert header == ["step", "loss", "grad_norm", "lr", "epoch", "train_loss", "test_loss"]
    assert len(rows) == 10
    assert [r[0] for r in rows] == list(range(1, 11))
    filled = [r for r in rows if r[4] is not None]
    assert [(r[0], r[4], r[5]) for r in filled] == [(5, 1, 0.5), (10, 2, 0.25)]
    assert all(r[4:] == [None, None, None] for r in rows if r[0] not in (5, 10))


def test_loss_csv_keeps_epochs_that_ended_on_an_unrecorded_step(tmp_path):
    sh, eh = histories()
    sh = sh[::2]  # a decimated history: steps 1, 3, 5, 7, 9 only
    header, rows = export.loss_csv_rows(sh, eh)
    assert [r[0] for r in rows] == [1, 3, 5, 7, 9, 10]
    assert rows[-1][1:4] == [None, None, None] and rows[-1][4:6] == [2, 0.25]
    export.write_csv(tmp_path / "l.csv", header, rows)
    lines = read_csv(tmp_path / "l.csv")
    assert lines[-1] == ["10", "", "", "", "2", "0.25", ""]
    assert lines[3] == ["5", "", "0.5", "0.05", "1", "0.5", "0.6"]  # NaN loss -> empty


# ------------------------------------------------------------------ figures

@pytest.fixture
def plot(qtbot):
    import pyqtgraph as pg

    w = pg.PlotWidget()
    qtbot.addWidget(w)
    w.resize(400, 300)
    w.plot(np.arange(50.0), np.sin(np.arange(50.0) / 5), pen="b")
    w.show()
    qtbot.waitExposed(w)
    return w


@pytest.mark.parametrize("width", [None, 640, 333])
def test_png_bytes_have_the_magic_and_the_asked_width(plot, width):
    data = export.plot_png_bytes(plot.getPlotItem(), width=width)
    w, h = png_size(data)
    natural = plot.getPlotItem().sceneBoundingRect()
    assert w == (width or int(natural.width()))
    assert h == pytest.approx(w * natural.height() / natural.width(), abs=1)


def test_png_file_from_a_widget_or_its_scene(plot, tmp_path):
    export.plot_png(plot, tmp_path / "p.png", width=500)
    assert png_size((tmp_path / "p.png").read_bytes())[0] == 500
    export.plot_png(plot.scene(), tmp_path / "s.png")
    assert (tmp_path / "s.png").read_bytes()[:8] == PNG_MAGIC
    assert sorted(os.listdir(tmp_path)) == ["p.png", "s.png"]


def test_png_rejects_a_zero_width(plot):
    with pytest.raises(ValueError):
        export.plot_png_bytes(plot, width=0)


def test_svg_parses_and_has_vector_content(plot, tmp_path):
    export.plot_svg(plot, tmp_path / "p.svg")
    data = (tmp_path / "p.svg").read_bytes()
    root = ET.fromstring(data)
    tags = svg_tags(data)
    assert root.tag.endswith("svg")
    assert root.get("viewBox") == "0 0 400 300"
    assert any(el.text == "gdsim" for el in root.iter() if el.tag.endswith("title"))
    assert tags.count("path") + tags.count("polyline") >= 5  # the curve, axes and grid are vectors
    assert "text" in tags  # tick labels stay text


def test_svg_of_a_plot_item_with_width(plot):
    root = ET.fromstring(export.plot_svg_bytes(plot.getPlotItem(), width=800))
    assert root.get("viewBox") == "0 0 400 300"  # drawn at its size on screen ...
    assert (root.get("width"), root.get("height")) == ("800", "600")  # ... and shown enlarged, lines and all


# ------------------------------------------------------------------ the command line's path

@pytest.fixture
def trainer():
    from gdsim.lab import config

    b = config.build(config.Config())
    b.trainer.run(12)
    return b.trainer


def test_loss_history_csv(trainer, tmp_path):
    export.loss_history(trainer, tmp_path / "loss.csv")
    lines = read_csv(tmp_path / "loss.csv")
    assert lines[0] == export.LOSS_HEADER
    assert len(lines) - 1 == len(trainer.step_history) == 12
    assert all(line[4] for line in lines[1:])  # full batch: every step ends an epoch
    assert float(lines[-1][5]) == pytest.approx(trainer.epoch_history.last()[2])


def test_loss_history_png_and_svg_without_showing_a_window(qapp, trainer, tmp_path):
    from PySide6 import QtWidgets

    export.loss_history(trainer, tmp_path / "loss.png", width=1000)
    assert png_size((tmp_path / "loss.png").read_bytes()) == (1000, 600)  # 900 x 540 kept
    export.loss_history(trainer, tmp_path / "loss.SVG")
    tags = svg_tags((tmp_path / "loss.SVG").read_bytes())
    assert tags.count("path") + tags.count("polyline") >= 10
    assert not [w for w in QtWidgets.QApplication.topLevelWidgets() if w.isVisible()]
    assert sorted(os.listdir(tmp_path)) == ["loss.SVG", "loss.png"]


def test_loss_history_rejects_a_bad_path_before_writing(trainer, tmp_path):
    with pytest.raises(ValueError, match="choose a .png, .svg or .csv file"):
        export.loss_history(trainer, tmp_path / "loss.jpg")
    assert os.listdir(tmp_path) == []


def test_csv_export_stays_headless(tmp_path):
    code = ("import sys; from gdsim.lab import config; from gdsim.ui.plotting import figures as export; "
            "b = config.build(config.Config()); b.trainer.run(3); "
            f"export.loss_history(b.trainer, {str(tmp_path / 'l.csv')!r}); "
            "assert not [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph'))], 'Qt imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert len(read_csv(tmp_path / "l.csv")) == 4
