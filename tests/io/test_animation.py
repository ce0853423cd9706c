"""Recorded runs (gdsim.io.animation): compact frames, the recorded timing, GIF read back, atomic writes."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys

import imageio_ffmpeg
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
    assert (len(frames), frames.dropped) == (2, 2)
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


def decode(path) -> tuple[dict, list[np.ndarray]]:
    """The video's metadata and its frames as (h, w, 3) arrays, decoded by the same ffmpeg."""
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    w, h = meta["size"]
    return meta, [np.frombuffer(f, np.uint8).reshape(h, w, 3).astype(int) for f in reader]


def original(k: int, size=(64, 40)) -> np.ndarray:
    w, h = size
    return np.frombuffer(picture(k, size), np.uint8).reshape(h, w, 3).astype(int)


def looks_like(shown: np.ndarray, wanted: np.ndarray) -> bool:
    """The same picture after H.264 in yuv420p: colours of 4×4 blocks within a few levels (sharp edges blur)."""
    def blocks(a):
        h, w = a.shape[0] // 4 * 4, a.shape[1] // 4 * 4
        return a[:h, :w].reshape(h // 4, 4, w // 4, 4, 3).mean(axis=(1, 3))
    return bool(np.abs(blocks(shown) - blocks(wanted)).mean() < 4)


BARS = (8, 24, 48)  # three pictures that differ enough to tell apart after compression


def test_an_mp4_plays_at_the_recorded_speed_and_shows_each_frame(tmp_path):
    frames = animation.Frames()  # three frames 0.3 s apart, then the 1 s hold: 3 + 3 + 10 at 10 frames/s
    for i, k in enumerate(BARS):
        frames.add(picture(k), (64, 40), 0.3 * i)
    frames.end = 0.6
    done = []
    path = animation.encode(frames, tmp_path / "run.mp4", lambda i, n: done.append((i, n)), fps=10)
    assert imageio_ffmpeg.count_frames_and_secs(str(path)) == (16, 1.6)
    meta, shown = decode(path)
    assert (meta["codec"], meta["size"], meta["fps"]) == ("h264", (64, 40), 10.0)
    assert meta["pix_fmt"].startswith("yuv420p")  # what slides and browsers play
    for i, k in enumerate([BARS[0]] * 3 + [BARS[1]] * 3 + [BARS[2]] * 10):
        assert looks_like(shown[i], original(k)), i
    assert not looks_like(shown[0], original(BARS[1]))  # the check can tell the frames apart
    assert done == [(1, 3), (2, 3), (3, 3)]
    assert os.listdir(tmp_path) == ["run.mp4"]
    check = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "null", "-"],
                           capture_output=True, text=True)
    assert (check.returncode, check.stderr) == (0, "")  # decoded whole without a word: not truncated, not garbled


def test_an_odd_size_loses_its_last_column_and_row_and_is_not_resampled(tmp_path):
    size = (65, 41)
    frames = animation.Frames()
    frames.add(picture(20, size), size, 0.0)
    path = animation.encode(frames, tmp_path / "odd.mp4", fps=10)
    meta, shown = decode(path)
    assert meta["size"] == (64, 40)
    assert looks_like(shown[0], original(20, size)[:40, :64])
    edge = shown[0][5, :, 2]  # the blue bar ends at column 20, where it ended: the picture was not rescaled
    assert edge[17] > 200 and edge[23] < 60


def test_one_frame_is_a_video_of_the_hold(tmp_path):
    frames = animation.Frames()
    frames.add(picture(7), (64, 40), 0.0)
    path = animation.encode(frames, tmp_path / "one.mp4", fps=15)
    assert imageio_ffmpeg.count_frames_and_secs(str(path)) == (15 * animation.HOLD_LAST, animation.HOLD_LAST)
    _, shown = decode(path)
    assert all(looks_like(s, original(7)) for s in shown)


def test_video_frames_are_counted_on_the_running_clock():
    frames = animation.Frames()
    for k in range(30):
        frames.add(picture(k + 1), (64, 40), k / 7.5)  # taken at 7.5 frames/s, played at 10: 1 or 2 each
    frames.end = 29 / 7.5
    counts = frames.repeats(10)
    assert set(counts[:-1]) == {1, 2} and sum(counts) == round((29 / 7.5 + animation.HOLD_LAST) * 10)
    bunched = animation.Frames()  # frames closer than one video frame: each is still shown, and the clock
    for k in range(3):            # catches up on the next
        bunched.add(picture(k + 1), (64, 40), k * 0.01)
    bunched.end = 0.02
    assert bunched.repeats(10) == [1, 1, 8]


def fake_ffmpeg(tmp_path, monkeypatch, script: str) -> None:
    """A real program in ffmpeg's place (imageio-ffmpeg runs whatever IMAGEIO_FFMPEG_EXE names): one that
    fails the way a broken or incomplete ffmpeg does."""
    exe = tmp_path / "bin" / "ffmpeg"
    exe.parent.mkdir()
    exe.write_text("#!/bin/sh\n" + script + "\n")
    exe.chmod(0o755)
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", str(exe))


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in ffmpeg is a shell script")
@pytest.mark.parametrize(("script", "said"), [
    ("echo \"Unknown encoder 'libx264'\" >&2; exit 1", "ffmpeg failed (Unknown encoder 'libx264')"),
    ("head -c 1000 >/dev/null; echo 'first line' >&2; echo 'Conversion failed!' >&2; exit 1",
     "ffmpeg failed (Conversion failed!)"),  # dies while frames are still coming: a broken pipe
    ("exit 3", "ffmpeg failed (exit status 3)"),
    ("kill -INT $$", "ffmpeg was stopped"),  # Ctrl+C in the terminal reaches ffmpeg too
])
def test_a_failing_ffmpeg_is_one_line_and_leaves_the_old_file(tmp_path, monkeypatch, script, said):
    fake_ffmpeg(tmp_path, monkeypatch, script)
    out = tmp_path / "out"
    out.mkdir()
    path = out / "run.mp4"
    path.write_bytes(b"old recording")
    with pytest.raises(atomic.WriteError) as e:
        animation.encode(recording(20, size=(640, 400)), path)
    assert said in str(e.value) and "the previous file is unchanged" in str(e.value) and "\n" not in str(e.value)
    assert path.read_bytes() == b"old recording" and os.listdir(out) == ["run.mp4"]


def test_no_ffmpeg_to_be_found_is_refused_before_recording(tmp_path, monkeypatch):
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", str(tmp_path / "no-such-ffmpeg"))
    with pytest.raises(ValueError, match="MP4 needs the ffmpeg program") as e:
        animation.check_path(tmp_path / "run.mp4")
    assert "\n" not in str(e.value) and "choose a .gif" in str(e.value)


def test_an_encoding_interrupted_half_way_leaves_nothing(tmp_path):
    path = tmp_path / "run.mp4"

    def interrupt(done, _total):
        if done == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        animation.encode(recording(20, size=(640, 400)), path, interrupt)
    assert os.listdir(tmp_path) == []


def test_a_killed_encoding_s_leftover_goes_with_the_next_one(tmp_path):
    leftover = tmp_path / (atomic.temp_prefix(tmp_path / "run.mp4") + "0badf00d")
    leftover.write_bytes(b"half a video")  # what ffmpeg leaves when gdsim is killed mid-encode
    animation.encode(recording(2), tmp_path / "run.mp4")
    assert os.listdir(tmp_path) == ["run.mp4"]


@pytest.mark.skipif(os.name != "posix", reason="file modes and the umask are POSIX")
def test_an_mp4_gets_the_mode_any_new_file_gets(tmp_path):
    old = os.umask(0o027)
    try:
        path = animation.encode(recording(2), tmp_path / "run.mp4")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640  # not 0600 as a private temporary file would be
