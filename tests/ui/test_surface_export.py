"""The loss surface and the loss slice leave the app like every other plot: PNG, SVG and CSV (grid and path).

The file dialog and the PNG-width question are answered by patching Qt's static dialogs (they block); the
right-click, the menu entry and the File menu are real.
"""

from __future__ import annotations

import csv
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest


@pytest.fixture
def window_options(tmp_path):
    return {"settings": tmp_path / "settings", "size": (1280, 900)}


def answer_dialogs(monkeypatch, path, width: int = 800) -> None:
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    monkeypatch.setattr(QtWidgets.QInputDialog, "getInt", lambda *a, **k: (width, True))


def file_action(win, text: str):
    file_menu = win.menuBar().actions()[0].menu()
    [action] = [a for a in file_menu.actions() if a.text() == text]
    return action


def wait_for_grid(win, qtbot, dock: str, panel):
    win.docks[dock].raise_()
    qtbot.waitUntil(lambda: panel.grid() is not None and not panel.grid().coarse, timeout=20000)
    return panel.grid()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


@pytest.mark.qt_log_ignore("grabbing the keyboard", "does not support raise")  # offscreen popups
def test_right_click_on_the_surface_offers_export_and_writes_a_png(win, qtbot, monkeypatch, tmp_path):
    wait_for_grid(win, qtbot, "Loss surface", win.surface2d)
    answer_dialogs(monkeypatch, tmp_path / "surface.png", width=1000)
    plot = win.surface2d.plot
    QTest.mouseClick(plot.viewport(), QtCore.Qt.MouseButton.RightButton, pos=plot.viewport().rect().center())
    qtbot.waitUntil(lambda: QtWidgets.QApplication.activePopupWidget() is not None)
    menu = QtWidgets.QApplication.activePopupWidget()
    assert [a.text() for a in menu.actions() if not a.isSeparator()] == ["Export…"]  # not pyqtgraph's view menu
    [action] = [a for a in menu.actions() if a.text() == "Export…"]
    QTest.mouseClick(menu, QtCore.Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())
    qtbot.waitUntil(lambda: (tmp_path / "surface.png").exists())
    assert png_size((tmp_path / "surface.png").read_bytes())[0] == 1000
    assert not win.errors


def test_file_menu_exports_the_surface_as_svg_that_renders(win, qtbot, monkeypatch, tmp_path):
    wait_for_grid(win, qtbot, "Loss surface", win.surface2d)
    answer_dialogs(monkeypatch, tmp_path / "surface.svg")
    file_action(win, "Export loss surface…").trigger()
    data = (tmp_path / "surface.svg").read_bytes()
    root = ET.fromstring(data)
    tags = {el.tag.rsplit("}", 1)[-1] for el in root.iter()}
    assert {"image", "path", "text"} <= tags  # heatmap, contours and path, labels
    rsvg = shutil.which("rsvg-convert")
    if rsvg:  # a renderer that is not Qt draws it (CI installs librsvg2-bin)
        png = subprocess.run([rsvg, str(tmp_path / "surface.svg")], capture_output=True, check=True,
                             timeout=60).stdout
        assert png_size(png)[0] > 100


def test_surface_csv_holds_the_grid_and_the_path(win, qtbot, monkeypatch, tmp_path):
    win.findChild(QtWidgets.QAbstractButton, "epochButton").click()  # a path with a few steps on it
    qtbot.waitUntil(lambda: win.snapshot.step > 0, timeout=10000)
    grid = wait_for_grid(win, qtbot, "Loss surface", win.surface2d)
    answer_dialogs(monkeypatch, tmp_path / "surface.csv")
    file_action(win, "Export loss surface…").trigger()
    grid = win.surface2d.grid()  # the grid drawn when the file was written
    rows = read_csv(tmp_path / "surface.csv")
    assert rows[0] == [grid.labels[0], grid.labels[1], "loss"]
    assert len(rows) - 1 == grid.alphas.size * grid.betas.size
    table = np.array(rows[1:], dtype=float)
    ox, oy = grid.offsets
    np.testing.assert_allclose(table[:, 2].reshape(grid.values.shape), grid.values)
    np.testing.assert_allclose(np.unique(table[:, 0]), grid.alphas + ox)
    np.testing.assert_allclose(np.unique(table[:, 1]), grid.betas + oy)
    path = read_csv(tmp_path / "surface_path.csv")
    assert path[0] == ["step", grid.labels[0], grid.labels[1], "loss"]
    steps = np.array([r[0] for r in path[1:]], dtype=float)
    assert len(steps) >= 2 and steps[-1] == win.snapshot.step  # the path up to the newest step
    assert not win.errors


def test_slice_csv_and_png_from_the_file_menu(win, qtbot, monkeypatch, tmp_path):
    grid = wait_for_grid(win, qtbot, "Loss slice", win.surface1d)
    answer_dialogs(monkeypatch, tmp_path / "slice.csv")
    file_action(win, "Export loss slice…").trigger()
    rows = read_csv(tmp_path / "slice.csv")
    assert rows[0] == [grid.labels[0], "loss"]
    table = np.array(rows[1:], dtype=float)
    assert table.shape == (grid.alphas.size, 2)
    np.testing.assert_allclose(table[:, 1], grid.values)
    assert read_csv(tmp_path / "slice_path.csv")[0] == ["step", grid.labels[0], "loss"]
    answer_dialogs(monkeypatch, tmp_path / "slice.png", width=640)
    file_action(win, "Export loss slice…").trigger()
    assert png_size((tmp_path / "slice.png").read_bytes())[0] == 640


def test_csv_before_there_is_a_surface_is_a_message(win, monkeypatch, tmp_path):
    win.surface2d.clear()
    answer_dialogs(monkeypatch, tmp_path / "none.csv")
    file_action(win, "Export loss surface…").trigger()
    assert not (tmp_path / "none.csv").exists()
    assert "no loss surface to export yet" in win.errors[-1]
