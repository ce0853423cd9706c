"""File → Open in the app: every failure is a dialog in plain text, and reading a session never blocks the window."""

import threading
from pathlib import Path

import broken_sessions
from PySide6 import QtCore, QtWidgets

from gdsim.io import session
from gdsim.lab import config

HOSTILE = "<b>x</b><img src=http://example.invalid/y.png>"


def menu_action(win, text: str) -> QtWidgets.QWidgetAction:
    for act in win.menuBar().actions()[0].menu().actions():
        if act.text().replace("&", "") == text:
            return act
    raise AssertionError(text)


def open_from_menu(win, monkeypatch, path: Path) -> None:
    """File → Open session…, choosing ``path`` in the file dialog."""
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName",
                        lambda *args, **kwargs: (str(path), "gdsim session (*.gdsim)"))
    menu_action(win, "Open session…").trigger()


def error_dialog(win) -> QtWidgets.QMessageBox | None:
    boxes = [b for b in win.findChildren(QtWidgets.QMessageBox, "openErrorDialog") if b.isVisible()]
    return boxes[0] if boxes else None


def close_dialog(qtbot, box: QtWidgets.QMessageBox) -> None:
    qtbot.mouseClick(box.buttons()[0], QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not box.isVisible())


def good_session(win, qtbot, folder: Path, name: str = "good.gdsim") -> Path:
    win.findChild(QtWidgets.QAbstractButton, "stepButton").click()
    qtbot.waitUntil(lambda: win.snapshot.step == 1, timeout=5000)
    path = folder / name
    win.save_session(str(path))
    qtbot.waitUntil(path.exists, timeout=5000)
    return path


def test_every_broken_session_shows_a_dialog(win, qtbot, monkeypatch, tmp_path):
    good = good_session(win, qtbot, tmp_path)
    files = broken_sessions.make_all(good, tmp_path)
    assert len(files) >= 59
    for kind, path in files.items():
        before = len(win.errors)
        open_from_menu(win, monkeypatch, path)
        qtbot.waitUntil(lambda n=before: len(win.errors) > n, timeout=5000)
        box = error_dialog(win)
        assert box is not None and path.name in box.text() and box.textFormat() == QtCore.Qt.TextFormat.PlainText, kind
        assert len(win.errors) == before + 1 and "\n" not in box.text(), kind
        close_dialog(qtbot, box)
    assert win.snapshot.step == 1  # nothing of the broken files was applied
    open_from_menu(win, monkeypatch, good)
    qtbot.waitUntil(lambda: "Opened good.gdsim" in win.statusBar().currentMessage(), timeout=5000)
    assert error_dialog(win) is None


def test_reading_a_session_does_not_block_the_window(win, qtbot, monkeypatch, tmp_path):
    """While the file is read (held here until the test lets go), the window still steps the network."""
    good = good_session(win, qtbot, tmp_path)
    release, started = threading.Event(), threading.Event()
    real_load = session.load

    def slow_load(path):
        started.set()
        release.wait(10)  # never forever: a blocking implementation fails this test instead of hanging it
        return real_load(path)

    monkeypatch.setattr(session, "load", slow_load)
    open_from_menu(win, monkeypatch, good)
    assert started.wait(5)
    win.findChild(QtWidgets.QAbstractButton, "stepButton").click()
    qtbot.waitUntil(lambda: win.snapshot.step == 2, timeout=5000)  # the GUI and the worker carry on
    release.set()
    qtbot.waitUntil(lambda: win.snapshot.step == 1, timeout=5000)  # then the session (saved at step 1) arrives
    assert "Opened good.gdsim" in win.statusBar().currentMessage()


def test_a_hostile_file_name_is_shown_as_text(win, qtbot, monkeypatch, tmp_path):
    path = tmp_path / f"{HOSTILE.replace('/', '_')}.gdsim"
    path.write_text("not a session")
    open_from_menu(win, monkeypatch, path)
    qtbot.waitUntil(lambda: error_dialog(win) is not None, timeout=5000)
    box = error_dialog(win)
    assert box.textFormat() == QtCore.Qt.TextFormat.PlainText and "<img src=http:" in box.text()
    close_dialog(qtbot, box)


def test_a_failing_preset_shows_a_dialog(win, qtbot):
    win.open_preset(HOSTILE)
    box = error_dialog(win)
    assert box is not None and "Could not open preset" in box.text() and "<b>x</b>" in box.text()
    assert box.textFormat() == QtCore.Qt.TextFormat.PlainText
    close_dialog(qtbot, box)


def test_user_text_in_labels_and_tooltips_is_plain(win, qtbot, tmp_path):
    csv = tmp_path / "d.csv"
    rows = "\n".join(f"{i % 3},{(i * 7) % 5},{i % 2}" for i in range(40))
    csv.write_text(f"{HOSTILE},<i>b</i>,class\n{rows}\n")
    cfg = config.Config().with_changes(problem={"dataset": f"csv:{csv}", "test_fraction": 0.0})
    assert win.load(cfg)
    qtbot.waitUntil(lambda: win.data.feature_names[0] == HOSTILE, timeout=5000)  # a CSV is read in a thread
    bottom = win.output_view.getPlotItem().getAxis("bottom").labelText
    assert "&lt;b&gt;x&lt;/b&gt;" in bottom and "<img" not in bottom
    assert win.setup.function_hint.textFormat() == QtCore.Qt.TextFormat.PlainText
    win.remember_recent(str(tmp_path / f"{HOSTILE.replace('/', '_')}.gdsim"))
    tip = win.recent_menu.actions()[0].toolTip()
    assert "&lt;img" in tip and "<img" not in tip
