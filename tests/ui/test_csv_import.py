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


# ---------------------------------------------------------------- File → Import CSV in the window


def open_window(qtbot, tmp_path, preset: str):
    from gdsim.ui.main_window import MainWindow

    QtCore.QSettings.setDefaultFormat(QtCore.QSettings.Format.IniFormat)
    QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope, str(tmp_path))
    w = MainWindow(restore_layout=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.snapshot is not None)
    w.open_preset(preset)
    qtbot.waitUntil(lambda: w.snapshot is not None and w.snapshot.step == 0)
    return w


def three_feature_csv(path) -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 3))
    with open(path, "w") as f:
        f.write("a,b,c,label\n")
        f.writelines(f"{a:.6f},{b:.6f},{c:.6f},{int(a + b > c)}\n" for a, b, c in X.tolist())


def import_through_the_dialog(qtbot, win, path) -> None:
    """File → Import CSV as a person does it: the dialog opens (modal), the path is typed, OK is clicked."""
    done = []

    def fill():
        d = QtWidgets.QApplication.activeModalWidget()
        assert isinstance(d, CsvImportDialog)
        type_path(qtbot, d, path)
        qtbot.waitUntil(lambda: ok_button(d).isEnabled(), timeout=10000)
        qtbot.mouseClick(ok_button(d), QtCore.Qt.MouseButton.LeftButton)
        done.append(True)

    QtCore.QTimer.singleShot(0, fill)
    win.problem.import_csv_dialog()
    assert done


def test_text_follows_the_problem_and_eta_after_a_csv_import(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path, "xor")
    try:
        banner = win.banner
        assert banner.isVisible() and banner.label.text().startswith("XOR with tanh")
        spin = win.lr_control.spin
        qtbot.mouseClick(spin.lineEdit(), QtCore.Qt.MouseButton.LeftButton)
        spin.selectAll()
        qtbot.keyClicks(spin, "0.3")
        qtbot.keyClick(spin, QtCore.Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: win.snapshot.lr == 0.3, timeout=5000)
        assert "η is now 0.3" in banner.label.text() and "the preset's η is 0.5" in banner.label.text()
        three_feature_csv(tmp_path / "mine.csv")
        import_through_the_dialog(qtbot, win, tmp_path / "mine.csv")
        qtbot.waitUntil(lambda: win.snapshot.sizes[0] == 3, timeout=10000)
        assert not banner.isVisible() and banner.label.text() == ""  # the note was about XOR
        message = win.statusBar().currentMessage()
        assert "XOR" not in message and message.startswith("mine.csv: ready")
        assert win.current_config().name == "" and win.errors == []
    finally:
        win.shutdown()


def test_a_csv_on_the_worked_example_drops_its_fixed_weights_and_says_so(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path, "worked_example_221")
    try:
        three_feature_csv(tmp_path / "three.csv")
        import_through_the_dialog(qtbot, win, tmp_path / "three.csv")
        qtbot.waitUntil(lambda: win.snapshot.sizes[0] == 3, timeout=10000)
        assert win.errors == []
        assert "fixed weights" in win.statusBar().currentMessage()
        assert win.current_config().network.params is None
    finally:
        win.shutdown()


def test_a_network_change_on_the_worked_example_notes_the_dropped_weights(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path, "worked_example_221")
    try:
        qtbot.mouseClick(win.setup.rows[0].plus, QtCore.Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: win.snapshot.sizes[1] == 3, timeout=10000)
        message = win.statusBar().currentMessage()
        assert message.startswith("network changed") and "fixed weights" in message
        assert not win.banner.isVisible()  # 2-3-1 is not the worked example's network any more
    finally:
        win.shutdown()


def test_the_preset_note_says_when_the_optimizer_is_no_longer_the_presets(qtbot, tmp_path):
    """Rosenbrock's note is about momentum: switched to adam, it says so instead of describing momentum as if
    it were still the one at work."""
    win = open_window(qtbot, tmp_path, "rosenbrock")
    try:
        banner, combo = win.banner, win.setup.optimizer
        assert banner.isVisible() and "optimizer is now" not in banner.label.text()
        combo.setFocus()
        qtbot.keyClick(combo, QtCore.Qt.Key.Key_Home)  # the keyboard, as a person picks from a focused combo
        for _ in range(combo.count()):
            if combo.currentText() == "adam":
                break
            qtbot.keyClick(combo, QtCore.Qt.Key.Key_Down)
        qtbot.waitUntil(lambda: win.worker.built.trainer.optimizer.name == "adam", timeout=5000)
        assert banner.isVisible() and "the optimizer is now adam; the preset's is momentum" in banner.label.text()
    finally:
        win.shutdown()
