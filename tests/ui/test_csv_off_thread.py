"""A set-up that reads a CSV file is read off the window's thread: the window keeps turning, Step waits for the
new data, the newest load wins, a bad file is a dialog, and closing mid-read is clean."""

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets
from windows import open_window

from gdsim.engine import csv_table
from gdsim.engine.cancel import Cancelled
from gdsim.lab import config
from gdsim.lab.presets import data_names
from gdsim.ui.main_window import MainWindow

PACKAGED = set(data_names())  # the CSVs shipped with gdsim
WAIT = 10.0  # seconds a held read waits at most: a blocking implementation fails the test instead of hanging it


def write_csv(path: Path, rows: int, features: int) -> Path:
    X = np.random.default_rng(features).normal(size=(rows, features))
    label = (X[:, 0] * X[:, 1] > 0).astype(int)
    header = ",".join([*(f"x{i + 1}" for i in range(features)), "label"])
    np.savetxt(path, np.column_stack([X, label]), fmt=["%.6f"] * features + ["%d"], delimiter=",",
               header=header, comments="")
    return path


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    """About 3 MB: four features, 70,000 rows."""
    return write_csv(tmp_path_factory.mktemp("data") / "big.csv", 70_000, 4)


@pytest.fixture(autouse=True)
def _fresh():
    csv_table.forget()  # big tables are remembered: every test reads its file for real
    yield
    csv_table.forget()


@pytest.fixture
def win(win):
    """The shared window (tests/ui/conftest.py), with its surface docks closed (see ``hide_surfaces``)."""
    hide_surfaces(win)
    return win


def hide_surfaces(w: MainWindow) -> None:
    """A 101×101 loss surface over 56,000 rows keeps the worker busy for many seconds after the data arrives:
    these tests are about reading the file, so the surface docks stay closed."""
    for title in ("Loss surface", "Loss slice", "3D surface"):
        w.docks[title].hide()


class HeldReader:
    """``csv_table.read_table`` that records the thread it runs in, then waits until the test lets it go (or the
    read is cancelled) before reading the file for real."""

    def __init__(self, monkeypatch):
        self.real = csv_table.read_table
        self.threads: dict[str, threading.Thread] = {}  # file name -> the thread that read it
        self.outcomes: list[str] = []
        self.started, self.release = threading.Event(), threading.Event()
        self.reading = False  # between the start of a read and its end
        monkeypatch.setattr(csv_table, "read_table", self)

    def __call__(self, path, max_bytes, progress=None, cancel=None):
        name = Path(path).name
        if name in PACKAGED:  # a preset's own tiny CSV, read at once: not what these tests hold
            return self.real(path, max_bytes, progress, cancel)
        self.threads[name] = threading.current_thread()
        self.reading = True
        self.started.set()
        deadline = time.monotonic() + WAIT
        while not self.release.wait(0.005) and not (cancel is not None and cancel()) and time.monotonic() < deadline:
            pass
        try:
            table = self.real(path, max_bytes, progress, cancel)
        except Cancelled:
            self.outcomes.append(f"cancelled {name}")
            raise
        finally:
            self.reading = False
        self.outcomes.append(f"read {name}")
        return table


def open_csv(win, path: Path) -> bool:
    """What File → Import CSV does once its dialog is accepted: the form takes the CSV, then it is loaded."""
    return win.problem.import_csv({"dataset": f"csv:{path}", "target": "label", "features": None, "task": None})


def step_button(win) -> QtWidgets.QAbstractButton:
    return win.findChild(QtWidgets.QAbstractButton, "stepButton")


def open_error(win) -> QtWidgets.QMessageBox | None:
    boxes = [b for b in win.findChildren(QtWidgets.QMessageBox, "openErrorDialog") if b.isVisible()]
    return boxes[0] if boxes else None


def test_the_csv_is_read_in_another_thread_while_the_window_keeps_turning(win, qtbot, monkeypatch, big):
    reader = HeldReader(monkeypatch)
    ticks: list[bool] = []
    timer = QtCore.QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(reader.reading))
    timer.start()
    try:
        assert open_csv(win, big)
        assert win.statusBar().currentMessage() == f"Reading big.csv ({big.stat().st_size / 1e6:.1f} MB)…"
        assert reader.started.wait(WAIT)
        qtbot.waitUntil(lambda: ticks.count(True) >= 5, timeout=5000)  # the window's loop turns during the read
        reader.release.set()
        qtbot.waitUntil(lambda: win.data.n_features == 4 and win.snapshot.sizes[0] == 4, timeout=20000)
    finally:
        timer.stop()
    assert reader.threads["big.csv"] is not threading.main_thread()
    assert len(win.data.X_train) + len(win.data.X_test) == 70_000
    assert win.current_config().problem.dataset == f"csv:{big}" and win.state.config.problem.dataset == f"csv:{big}"
    assert win.statusBar().currentMessage().startswith("big.csv: ready") and win.errors == []


def test_step_pressed_during_the_read_steps_the_new_problem(win, qtbot, monkeypatch, big):
    """Never the old problem by surprise: the Step waits for the data being read, then steps it."""
    reader = HeldReader(monkeypatch)
    assert open_csv(win, big)
    assert reader.started.wait(WAIT)
    qtbot.mouseClick(step_button(win), QtCore.Qt.MouseButton.LeftButton)
    qtbot.keyClick(win, QtCore.Qt.Key.Key_S)  # the Step shortcut too
    qtbot.wait(100)
    assert win.snapshot.sizes[0] == 2 and win.snapshot.step == 0  # XOR was not trained meanwhile
    reader.release.set()
    qtbot.waitUntil(lambda: win.snapshot.sizes[0] == 4 and win.snapshot.step == 2, timeout=20000)


def test_a_second_load_during_the_first_wins(win, qtbot, monkeypatch, big, tmp_path):
    small = write_csv(tmp_path / "small.csv", 300, 3)
    reader = HeldReader(monkeypatch)
    applied: list[int] = []
    win.worker.sigSnapshot.connect(lambda s: applied.append(s.sizes[0]))
    assert open_csv(win, big)
    assert reader.started.wait(WAIT)
    assert open_csv(win, small)  # the first read is dropped (and cancelled) here
    reader.release.set()
    qtbot.waitUntil(lambda: win.data.n_features == 3, timeout=20000)
    qtbot.waitUntil(lambda: reader.outcomes == ["cancelled big.csv", "read small.csv"], timeout=5000)
    qtbot.wait(100)
    assert 4 not in applied and win.data.n_features == 3 and win.snapshot.sizes[0] == 3
    assert win.current_config().problem.dataset == f"csv:{small}" and win.errors == []


def test_a_bad_csv_gives_its_dialog_and_the_form_goes_back(win, qtbot, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,label\n1,2,0\n3,oops,1\n5,6,0\n")
    assert open_csv(win, bad)  # the file changed after the import dialog checked it
    qtbot.waitUntil(lambda: open_error(win) is not None, timeout=10000)
    box = open_error(win)
    assert box.textFormat() == QtCore.Qt.TextFormat.PlainText and "\n" not in box.text()
    assert box.text().startswith("Cannot use this set-up: ") and "bad.csv" in box.text() and "oops" in box.text()
    assert win.data.name == "xor" and win.current_config().problem.dataset == "xor"  # form and model agree
    qtbot.mouseClick(box.buttons()[0], QtCore.Qt.MouseButton.LeftButton)
    qtbot.mouseClick(step_button(win), QtCore.Qt.MouseButton.LeftButton)  # Step works again, on XOR
    qtbot.waitUntil(lambda: win.snapshot.step == 1, timeout=5000)


def test_closing_during_the_read_is_clean(qtbot, monkeypatch, big, tmp_path, qtlog):
    """The window opened on a set-up naming a big CSV (``gdsim gui --config``) and closed while it is read."""
    reader = HeldReader(monkeypatch)
    w = open_window(qtbot, config.load_preset("xor").with_changes(problem={"dataset": f"csv:{big}"}), show=False)
    w.show()
    hide_surfaces(w)
    assert reader.started.wait(WAIT)
    assert w.statusBar().currentMessage().startswith("Reading big.csv")
    assert w.close()
    assert reader.outcomes == ["cancelled big.csv"] and w.problem.loader.pool.activeThreadCount() == 0
    assert w.state.config is None and not any("QThread" in r.message for r in qtlog.records)
