"""The CSV import dialog on hostile paths and big files: typed the way a person types them."""

import os
import threading

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from gdsim.engine import csv_table
from gdsim.ui.widgets import csv_import
from gdsim.ui.widgets.csv_import import CsvImportDialog


@pytest.fixture(autouse=True)
def _fresh():
    csv_table.forget()
    yield
    csv_table.forget()


@pytest.fixture
def dialog(qtbot):
    d = CsvImportDialog()
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    yield d
    d.stop_checking()


def ok_button(d):
    return d.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok)


def type_path(qtbot, d, path) -> None:
    d.path_edit.clear()
    qtbot.keyClicks(d.path_edit, str(path))
    qtbot.keyClick(d.path_edit, QtCore.Qt.Key.Key_Return)


def big_csv(path, rows: int) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, 3))
    with open(path, "w") as f:
        f.write("a,b,c,label\n")
        f.writelines(f"{a:.9f},{b:.9f},{c:.9f},{int(a * b > 0)}\n" for a, b, c in X.tolist())


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_typing_the_path_of_a_named_pipe_is_refused_at_once(qtbot, dialog, tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    fired = []

    def unblock():  # if the dialog opened the pipe for reading, a writer lets it go on (and the test fail)
        fired.append(1)
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass

    rescue = threading.Timer(10.0, unblock)
    rescue.start()
    try:
        type_path(qtbot, dialog, fifo)
    finally:
        rescue.cancel()
    assert not fired  # the dialog never waited on the pipe
    assert dialog.error_text() == "Is a named pipe (FIFO), not a file; choose a CSV file"
    assert not dialog.is_valid() and not ok_button(dialog).isEnabled() and not dialog.is_checking()
    assert dialog.preview.rowCount() == 0 and dialog.target.count() == 0


@pytest.mark.parametrize("path, message", [("{tmp}", "Is a folder, not a file"),
                                           ("/dev/zero", "Is a device, not a file")])
def test_folders_and_devices_are_refused(qtbot, dialog, tmp_path, path, message):
    path = path.format(tmp=tmp_path)
    if not os.path.exists(path):
        pytest.skip(f"{path} does not exist here")
    type_path(qtbot, dialog, path)
    assert dialog.error_text().startswith(message) and not ok_button(dialog).isEnabled()


def test_a_big_file_is_read_in_a_thread_with_progress(qtbot, dialog, tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    big_csv(path, 60_000)  # ~2.4 MB: over SYNC_BYTES
    assert os.path.getsize(path) > csv_import.SYNC_BYTES
    read_here = []  # bytes read from the file by the window's own thread
    main = threading.current_thread()
    opener = csv_table.open_regular

    def counting_open(p):
        f = opener(p)
        real = f.read

        def read(n=-1):
            data = real(n)
            if threading.current_thread() is main:
                read_here.append(len(data))
            return data

        f.read = read
        return f

    monkeypatch.setattr(csv_table, "open_regular", counting_open)
    type_path(qtbot, dialog, path)
    assert dialog.is_checking() and dialog.progress.isVisible() and dialog.stop.isVisible()
    assert not ok_button(dialog).isEnabled() and dialog.error_text() == "Reading the file…"
    assert dialog.preview.rowCount() == csv_import.PREVIEW_ROWS and dialog.target.currentText() == "label"
    qtbot.waitUntil(lambda: not dialog.is_checking(), timeout=60_000)
    assert dialog.is_valid() and ok_button(dialog).isEnabled() and not dialog.progress.isVisible()
    assert dialog.task.text() == "classification, 2 classes · 60000 rows, 3 features"
    assert sum(read_here) <= csv_import.PREVIEW_BYTES  # the window's thread read only the preview's head

    # a new choice of columns is checked again, from the table already read: the file is not parsed again
    parsed = []
    monkeypatch.setattr(csv_table, "_parse", lambda *a: parsed.append(1))
    dialog.target.setFocus()
    qtbot.keyClick(dialog.target, QtCore.Qt.Key.Key_Home)  # target "a": 60000 distinct values
    qtbot.waitUntil(lambda: not dialog.is_checking(), timeout=60_000)
    assert dialog.task.text() == "regression · 60000 rows, 3 features" and parsed == []
    assert sum(read_here) <= csv_import.PREVIEW_BYTES
    assert dialog.result_problem() == {"dataset": f"csv:{path}", "target": "a", "task": None}


def test_stop_cancels_the_read(qtbot, dialog, tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    big_csv(path, 60_000)
    gate = threading.Event()
    blocks = []
    real = csv_table._block_values

    def held(*args):  # the first block waits until the test has pressed Stop
        blocks.append(1)
        gate.wait(30)
        return real(*args)

    monkeypatch.setattr(csv_table, "_block_values", held)
    type_path(qtbot, dialog, path)
    qtbot.waitUntil(lambda: len(blocks) == 1, timeout=10_000)
    qtbot.mouseClick(dialog.stop, QtCore.Qt.MouseButton.LeftButton)
    gate.set()
    qtbot.waitUntil(lambda: not dialog.is_checking(), timeout=10_000)
    assert len(blocks) == 1  # nothing was read after the Stop
    assert dialog.error_text() == "Stopped reading the file. Choose it again to read it."
    assert not dialog.is_valid() and not ok_button(dialog).isEnabled() and not dialog.progress.isVisible()
    type_path(qtbot, dialog, tmp_path / "other.csv")  # a missing file: refused at once
    type_path(qtbot, dialog, path)  # choosing it again reads it again
    qtbot.waitUntil(lambda: not dialog.is_checking(), timeout=60_000)
    assert dialog.is_valid()


def test_escape_while_reading_closes_and_ends_the_thread(qtbot, dialog, tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    big_csv(path, 60_000)
    gate = threading.Event()
    started = threading.Event()
    real = csv_table._block_values

    def held(*args):
        started.set()
        gate.wait(30)
        return real(*args)

    monkeypatch.setattr(csv_table, "_block_values", held)
    type_path(qtbot, dialog, path)
    assert started.wait(10)
    job = dialog._job
    threading.Timer(0.2, gate.set).start()  # the block in hand finishes; then the cancel is seen
    qtbot.keyClick(dialog, QtCore.Qt.Key.Key_Escape)
    assert not dialog.isVisible() and dialog.result() == 0
    assert job.isFinished() and not dialog.is_checking()
