"""Export writes real files: PNG bytes with the asked width, SVG that parses with vector content, CSV rows."""

from __future__ import annotations

import csv
import os
import struct
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from gdsim.ui.plotting import figures as export
from gdsim.ui.plotting import loss_figure

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def svg_tags(data: bytes) -> list[str]:
    root = ET.fromstring(data)
    return [el.tag.rsplit("}", 1)[-1] for el in root.iter()]


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


# ------------------------------------------------------------------ window grabs

def test_window_grab_png_rejects_an_empty_image(qapp, tmp_path):
    from PySide6 import QtGui

    with pytest.raises(OSError, match="could not encode"):
        export.write_png(QtGui.QImage(), tmp_path / "w.png")
    assert os.listdir(tmp_path) == []


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


# ------------------------------------------------------------------ the loss figure without a window

@pytest.fixture
def trainer():
    from gdsim.lab import config

    b = config.build(config.Config())
    b.trainer.run(12)
    return b.trainer


def test_loss_figure_png_and_svg_without_showing_a_window(qapp, trainer, tmp_path):
    from PySide6 import QtWidgets

    from gdsim.lab import snapshot

    loss_figure.write(snapshot.take(trainer), tmp_path / "loss.png", width=1000)
    assert png_size((tmp_path / "loss.png").read_bytes()) == (1000, 600)  # 900 x 540 kept
    loss_figure.write(snapshot.take(trainer), tmp_path / "loss.SVG")
    tags = svg_tags((tmp_path / "loss.SVG").read_bytes())
    assert tags.count("path") + tags.count("polyline") >= 10
    assert not [w for w in QtWidgets.QApplication.topLevelWidgets() if w.isVisible()]
    assert sorted(os.listdir(tmp_path)) == ["loss.SVG", "loss.png"]


def test_loss_figure_rejects_a_bad_path_before_drawing(qapp, trainer, tmp_path):
    from gdsim.lab import snapshot

    with pytest.raises(ValueError, match="choose a .png, .svg or .csv file"):
        loss_figure.write(snapshot.take(trainer), tmp_path / "loss.jpg")
    assert os.listdir(tmp_path) == []


def test_the_panel_and_the_command_line_write_the_same_loss_table(qapp, trainer, tmp_path):
    """The loss table is written once: the panel's Export… gives the bytes ``train --export-loss x.csv`` gives."""
    from gdsim.io import tables
    from gdsim.lab import snapshot

    loss_figure.write(snapshot.take(trainer), tmp_path / "panel.csv")
    tables.write_loss_csv(tmp_path / "cli.csv", trainer.step_history.array(), trainer.epoch_history.array())
    assert (tmp_path / "panel.csv").read_bytes() == (tmp_path / "cli.csv").read_bytes()
    assert len(read_csv(tmp_path / "panel.csv")) == 13
