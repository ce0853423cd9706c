"""Recorded runs (gdsim.io.animation): compact frames, the recorded timing, GIF read back, atomic writes."""

from __future__ import annotations

import errno
import os
import sys

import numpy as np
import pytest
from PIL import Image

from gdsim.io import animation, atomic


def picture(k: int, size=(64, 40)) -> bytes:
    """A frame whose content depends on ``k``: a bar k pixels wide on a gradient."""
    w, h = size
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[..., 0] = np.linspace(0, 255, w, dtype=np.uint8)
    rgb[: h // 2, :k, 2] = 255
    return rgb.tobytes()


def recording(n: int, step: float = 0.1, size=(64, 40)) -> animation.Frames:
    frames = animation.Frames()
    for k in range(n):
        assert frames.add(picture(k + 1, size), size, k * step)
    frames.end = (n - 1) * step
    return frames


def test_a_gif_reads_back_with_its_frames_size_and_the_recorded_timing(tmp_path):
    frames = recording(12, step=0.1)
    done = []
    path = animation.encode(frames, tmp_path / "run.gif", lambda i, n: done.append((i, n)))
    with Image.open(path) as im:
        assert (im.format, im.n_frames, im.size, im.info["loop"]) == ("GIF", 12, (64, 40), 0)
        durations = []
        for i in range(im.n_frames):
            im.seek(i)
            durations.append(im.info["duration"])
        im.seek(5)
        shown = np.frombuffer(im.convert("RGB").tobytes(), np.uint8).astype(int)
        assert np.abs(shown - np.frombuffer(picture(6), np.uint8)).max() <= 16  # 256 colours, close to the original
    assert durations == [100] * 11 + [1000 * animation.HOLD_LAST]
    assert done[-1] == (12, 12) and [d for d, _ in done] == sorted(d for d, _ in done)


def test_a_frame_that_repeats_the_last_is_dropped_and_the_last_one_lasts_longer(tmp_path):
    frames = animation.Frames()
    size = (64, 40)
    assert frames.add(picture(1), size, 0.0)
    assert not frames.add(picture(1), size, 0.1)
    assert not frames.add(picture(1), size, 0.2)
    assert frames.add(picture(2), size, 0.3)
    frames.end = 0.5
    assert (len(frames), frames.repeats) == (2, 2)
    assert frames.durations() == [300, 200 + 1000 * animation.HOLD_LAST]


def test_durations_follow_the_running_clock_without_drift():
    frames = animation.Frames()
    for k in range(30):
        frames.add(picture(k + 1), (64, 40), k / 15)  # 66.7 ms apart: GIF can only say 60 or 70
    frames.end = 29 / 15
    durations = frames.durations()
    assert set(durations[:-1]) == {60, 70}
    assert sum(durations[:-1]) == round(29 / 15 * 100) * 10


def test_frames_are_held_compactly():
    size = (640, 400)
    frames = recording(5, size=size)
    assert frames.nbytes < 5 * 640 * 400 * 3 / 20


def test_a_frame_of_another_size_is_letterboxed_to_the_first():
    frames = animation.Frames()
    frames.add(picture(3, (64, 40)), (64, 40), 0.0)
    frames.add(picture(3, (32, 40)), (32, 40), 0.1)
    assert frames.image(1).size == (64, 40)


@pytest.mark.parametrize(("name", "words"), [("run.png", "choose a .gif"), ("run", "choose a .gif"),
                                             ("missing/run.gif", "does not exist"), (".", "it is a folder")])
def test_a_path_it_cannot_use_is_refused_in_one_line(tmp_path, name, words):
    path = tmp_path / name if name != "." else tmp_path / "folder.gif"
    if name == ".":
        path.mkdir()
    with pytest.raises(ValueError, match=words) as e:
        animation.check_path(path)
    assert "\n" not in str(e.value)


def test_mp4_without_an_encoder_names_the_package_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)
    monkeypatch.setattr(animation.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ValueError, match="pip install imageio-ffmpeg"):
        animation.check_path(tmp_path / "run.mp4")


@pytest.mark.parametrize(("width", "fps"), [(10, 15), (5000, 15), (640, 0), (640, 120)])
def test_settings_out_of_range_are_refused(width, fps):
    with pytest.raises(ValueError, match="width|frame rate"):
        animation.check_settings(width, fps)


def test_nothing_recorded_is_a_message_not_an_empty_file(tmp_path):
    with pytest.raises(ValueError, match="nothing was recorded"):
        animation.encode(animation.Frames(), tmp_path / "run.gif")
    assert os.listdir(tmp_path) == []


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "run.gif"
    path.write_bytes(b"old recording")

    def full(*_args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    with pytest.raises(atomic.WriteError, match="the disk is full; the previous file is unchanged"):
        animation.encode(recording(10), path)
    assert path.read_bytes() == b"old recording"
    assert os.listdir(tmp_path) == ["run.gif"]


def test_mp4_frames_are_repeated_to_keep_the_recorded_time(tmp_path, monkeypatch):
    """Our half of the imageio-ffmpeg protocol (its generator gets RGB frames at a constant rate), with a
    stand-in that writes what it was sent: the real encoder is an optional package not installed here."""
    sent: list[bytes] = []

    def write_frames(path, size, fps, **_kw):
        assert size == (64, 40) and fps == 10
        try:  # like imageio-ffmpeg: send(None) starts it, close() ends it
            while True:
                sent.append((yield))
        except GeneratorExit:
            pass
        with open(path, "wb") as f:
            f.write(b"%d frames" % len(sent))

    fake = type(sys)("imageio_ffmpeg")
    fake.write_frames = write_frames
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", fake)
    monkeypatch.setattr(animation, "has_mp4_encoder", lambda: True)
    frames = recording(3, step=0.3)  # three frames 0.3 s apart, then the 1 s hold: 3 + 3 + 10 at 10 frames/s
    path = animation.encode(frames, tmp_path / "run.mp4", fps=10)
    assert len(sent) == 16 and path.read_bytes() == b"16 frames"
    assert sent[0] == sent[2] != sent[3] and len(sent[0]) == 64 * 40 * 3
    assert os.listdir(tmp_path) == ["run.mp4"]
