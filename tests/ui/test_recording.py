"""Recorded runs in the app: File → Record…, the REC indicator and Stop, the GIF and the MP4 decoded; the
Recorder itself."""

from __future__ import annotations

import errno
import os
import subprocess

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from gdsim.io import animation, atomic
from gdsim.ui.recorder import Recorder

LEFT = QtCore.Qt.MouseButton.LeftButton


@pytest.fixture
def out(tmp_path):
    """A folder for recordings only (the window's settings go to tmp_path)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def gif_frames(path) -> tuple[int, tuple[int, int], list[int]]:
    with Image.open(path) as im:
        durations = []
        for i in range(im.n_frames):
            im.seek(i)
            durations.append(im.info["duration"])
        return im.n_frames, im.size, durations


def record_action(win) -> QtWidgets.QWidget:
    file_menu = next(a.menu() for a in win.menuBar().actions() if a.text() == "&File")
    return next(a for a in file_menu.actions() if a.text() in ("Record…", "Stop recording"))


def fill_dialog(win, qtbot, path: str, target: str = "Whole window"):
    record_action(win).trigger()
    dialog = win.recording.dialog
    qtbot.waitUntil(dialog.isVisible)
    dialog.target.setCurrentText(target)
    dialog.path.clear()
    QTest.keyClicks(dialog.path, path)
    QTest.mouseClick(dialog.record, LEFT)
    return dialog


def step(win, qtbot, n: int) -> None:
    for k in range(n):
        QTest.mouseClick(win.findChild(QtWidgets.QAbstractButton, "stepButton"), LEFT)
        qtbot.waitUntil(lambda k=k: win.snapshot.step == k + 1, timeout=5000)
        qtbot.wait(1000 // 15 + 10)  # a person watching: each step gets its frame


def test_record_then_stop_through_the_menu_writes_a_gif_with_the_steps(win, qtbot, out):
    path = out / "run.gif"
    aspect = win.height() / win.width()
    dialog = fill_dialog(win, qtbot, str(path))
    assert not dialog.isVisible()
    rec = win.recording
    assert rec.indicator.isVisible() and rec.stop_button.isVisible()
    assert rec.indicator.text().startswith("● REC 00:0")
    assert record_action(win).text() == "Stop recording"
    step(win, qtbot, 12)
    with qtbot.waitSignal(rec.recorder.sigFinished, timeout=20000):
        QTest.mouseClick(rec.stop_button, LEFT)
    assert not rec.stop_button.isVisible() and not rec.indicator.isVisible()
    assert record_action(win).text() == "Record…"
    n, size, durations = gif_frames(path)
    assert n >= 13 and size[0] == 640  # the start and each of the 12 steps
    assert abs(size[1] / size[0] - aspect) < 0.01  # the window as it was (a window that grows is letterboxed)
    assert all(d >= 20 for d in durations) and durations[-1] >= 1000 * animation.HOLD_LAST
    assert str(path) in win.statusBar().currentMessage()
    assert os.listdir(out) == ["run.gif"]  # written atomically: no temporary left


def test_the_menu_entry_stops_a_recording_too(win, qtbot, out):
    fill_dialog(win, qtbot, str(out / "menu.gif"))
    step(win, qtbot, 2)
    with qtbot.waitSignal(win.recording.recorder.sigFinished, timeout=20000):
        record_action(win).trigger()
    assert gif_frames(out / "menu.gif")[0] >= 3


def test_one_panel_is_recorded_at_its_own_size(win, qtbot, out):
    path = out / "loss.gif"
    fill_dialog(win, qtbot, str(path), target="Loss")
    step(win, qtbot, 3)
    with qtbot.waitSignal(win.recording.recorder.sigFinished, timeout=20000):
        QTest.mouseClick(win.recording.stop_button, LEFT)
    panel = win.docks["Loss"].widget()
    n, size, _ = gif_frames(path)
    assert n >= 4 and size == (min(640, panel.width()), size[1])
    assert abs(size[1] - panel.height() * size[0] / panel.width()) <= 1


@pytest.mark.parametrize(("name", "hint"), [("run.png", "choose a .gif"), ("nowhere/run.gif", "does not exist")])
def test_a_path_it_cannot_use_is_a_hint_in_the_dialog(win, qtbot, out, name, hint):
    dialog = fill_dialog(win, qtbot, str(out / name))
    assert dialog.isVisible() and dialog.hint.isVisible() and hint in dialog.hint.text()
    assert not win.recording.recording and not win.recording.indicator.isVisible()
    dialog.reject()


def test_closing_the_window_mid_recording_still_writes_the_file(win, qtbot, out):
    path = out / "closed.gif"
    fill_dialog(win, qtbot, str(path))
    step(win, qtbot, 2)
    win.close()
    assert gif_frames(path)[0] >= 3


def test_a_failed_write_is_a_message_and_the_old_file_survives(win, qtbot, out, monkeypatch):
    path = out / "run.gif"
    path.write_bytes(b"an older recording")
    fill_dialog(win, qtbot, str(path))
    step(win, qtbot, 1)

    def disk_full(_fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", disk_full)
    with qtbot.waitSignal(win.recording.recorder.sigFailed, timeout=20000):
        QTest.mouseClick(win.recording.stop_button, LEFT)
    assert "Could not save the recording" in win.errors[-1] and "previous file is unchanged" in win.errors[-1]
    assert not win.recording.indicator.isVisible()
    assert path.read_bytes() == b"an older recording" and os.listdir(out) == ["run.gif"]


def test_frames_come_at_most_at_the_frame_rate_and_the_last_state_is_kept(win, qtbot, out):
    rec = Recorder(win.loss_curve, str(out / "r.gif"), width=320, fps=5, parent=win)
    rec.start()
    for _ in range(20):  # snapshots far faster than 5 frames/s
        rec.on_snapshot()
    assert rec.grabs == 1
    qtbot.waitUntil(lambda: rec.grabs == 2, timeout=2000)  # the one that came too soon, taken on its turn
    with qtbot.waitSignal(rec.sigFinished, timeout=20000):
        rec.stop()
    assert rec.frames.size[0] == min(320, win.loss_curve.width())  # downscaled, never blown up


def test_record_to_mp4_through_the_menu_shows_the_recorded_frames(win, qtbot, out):
    """The real encoder: the video decodes to the frames the recorder took, each for as long as it was up."""
    path = out / "run.mp4"
    fill_dialog(win, qtbot, str(path), target="Loss")
    step(win, qtbot, 4)
    rec = win.recording.recorder
    with qtbot.waitSignal(rec.sigFinished, timeout=20000):
        QTest.mouseClick(win.recording.stop_button, LEFT)
    assert str(path) in win.statusBar().currentMessage() and os.listdir(out) == ["run.mp4"]
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    w, h = meta["size"]
    shown = [np.frombuffer(f, np.uint8).reshape(h, w, 3).astype(int) for f in reader]
    counts = rec.frames.repeats(rec.fps)
    assert len(shown) == sum(counts) and (w % 2, h % 2) == (0, 0)
    assert (w, h) == (rec.frames.size[0] // 2 * 2, rec.frames.size[1] // 2 * 2)
    taken = [np.asarray(rec.frames.image(i).convert("RGB")).astype(int)[:h, :w] for i in range(len(counts))]
    for i, first in enumerate(np.cumsum([0, *counts[:-1]])):  # each recorded frame where it belongs
        own = np.abs(shown[first] - taken[i]).mean()
        assert own < 3, i  # within H.264's blur (about 0.2-1.2 levels): not black, not garbled
        for j, other in enumerate(taken):  # and nearer to it than to any clearly different frame
            if np.abs(other - taken[i]).mean() > 1:
                assert np.abs(shown[first] - other).mean() > own, (i, j)


def test_mp4_without_ffmpeg_is_a_hint_in_the_dialog(win, qtbot, out, monkeypatch):
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", str(out / "no-ffmpeg"))
    dialog = fill_dialog(win, qtbot, str(out / "run.mp4"))
    assert dialog.isVisible() and "MP4 needs the ffmpeg program" in dialog.hint.text()
    assert not win.recording.recording and os.listdir(out) == []
    dialog.reject()


@pytest.mark.skipif(os.name != "posix", reason="the stand-in ffmpeg is a shell script")
def test_an_ffmpeg_that_fails_is_a_message_and_leaves_no_file(win, qtbot, out, tmp_path, monkeypatch):
    exe = tmp_path / "ffmpeg"
    exe.write_text("#!/bin/sh\necho 'Conversion failed!' >&2\nexit 1\n")
    exe.chmod(0o755)
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", str(exe))
    fill_dialog(win, qtbot, str(out / "run.mp4"))
    step(win, qtbot, 1)
    with qtbot.waitSignal(win.recording.recorder.sigFailed, timeout=20000):
        QTest.mouseClick(win.recording.stop_button, LEFT)
    assert "Could not save the recording" in win.errors[-1] and "ffmpeg failed (Conversion failed!)" in win.errors[-1]
    assert not win.recording.indicator.isVisible() and os.listdir(out) == []


def test_an_mp4_recording_takes_even_frames_at_an_odd_width(win, qtbot, out):
    odd = min(321, win.loss_curve.width() // 2 * 2 - 1)  # odd, and not beyond the panel (never blown up)
    rec = Recorder(win.loss_curve, str(out / "odd.mp4"), width=odd, fps=5, parent=win)
    rec.start()
    with qtbot.waitSignal(rec.sigFinished, timeout=20000):
        rec.stop()
    w, h = rec.frames.size
    assert w == odd - 1 and h % 2 == 0
    assert next(imageio_ffmpeg.read_frames(str(out / "odd.mp4")))["size"] == (w, h)  # the size it reports


def test_closing_the_window_while_an_mp4_is_encoding_waits_for_a_whole_file(win, qtbot, out):
    path = out / "closing.mp4"
    fill_dialog(win, qtbot, str(path))
    step(win, qtbot, 2)
    QTest.mouseClick(win.recording.stop_button, LEFT)  # encoding starts in its thread...
    assert win.recording.recorder.encoding
    win.close()  # ...and the window closes at once
    check = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "null", "-"],
                           capture_output=True, text=True)
    assert (check.returncode, check.stderr) == (0, "") and os.listdir(out) == ["closing.mp4"]
