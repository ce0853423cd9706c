"""``gdsim gui --record``: a headless recorded run, and one line with exit status 2 for what it cannot write."""

from __future__ import annotations

import os
import subprocess
import sys

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from gdsim import cli
from gdsim.io import animation


def gdsim(*args, cwd, env=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    return subprocess.run([sys.executable, "-m", "gdsim", *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd, env=env)


def test_a_scripted_run_is_recorded_as_a_gif(tmp_path):
    r = gdsim("gui", "--preset", "xor", "--epochs", "200", "--record", "run.gif", "--record-seconds", "3",
              "--quit", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "encoding run.gif: 100 %" in r.stderr and "Traceback" not in r.stderr
    with Image.open(tmp_path / "run.gif") as im:
        assert im.n_frames >= 10 and im.size[0] == 640
        durations = []
        for i in range(im.n_frames):
            im.seek(i)
            durations.append(im.info["duration"])
    assert 2500 < sum(durations) < 60000  # played at the speed it was recorded: about the run's 3 s, plus the hold
    assert sorted(os.listdir(tmp_path)) == ["run.gif"]


@pytest.mark.parametrize(("args", "words"), [
    (["--record", "run.png"], "choose a .gif"),
    (["--record", "missing/run.gif"], "does not exist"),
    (["--record", "run.gif", "--record-width", "10"], "width must be"),
    (["--record", "run.gif", "--record-fps", "0"], "frame rate must be"),
    (["--record", "run.gif", "--record-seconds", "0"], "--record-seconds must be above 0"),
])
def test_what_it_cannot_record_is_one_line_and_status_2(tmp_path, monkeypatch, capsys, args, words):
    monkeypatch.chdir(tmp_path)
    code = cli.main(["gui", "--preset", "xor", "--epochs", "5", *args, "--quit"])
    err = capsys.readouterr().err
    assert code == 2 and words in err and err.count("\n") == 1 and err.startswith("gdsim: error:")
    assert os.listdir(tmp_path) == []


def blocks(a: np.ndarray) -> np.ndarray:
    """Mean colours of 8×8 blocks: pictures compared after H.264 (sharp edges blur, regions keep their colour)."""
    h, w = a.shape[0] // 8 * 8, a.shape[1] // 8 * 8
    return a[:h, :w].reshape(h // 8, 8, w // 8, 8, 3).mean(axis=(1, 3))


def test_a_scripted_run_is_recorded_as_an_mp4_that_shows_the_window(tmp_path):
    r = gdsim("gui", "--preset", "xor", "--epochs", "200", "--record", "run.mp4", "--record-seconds", "3",
              "--screenshot", "end.png", "--quit", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "encoding run.mp4: 100 %" in r.stderr and "Traceback" not in r.stderr
    path = str(tmp_path / "run.mp4")
    check = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", path, "-f", "null", "-"],
                           capture_output=True, text=True)
    assert (check.returncode, check.stderr) == (0, "")  # decodes whole, without a word from ffmpeg
    n, seconds = imageio_ffmpeg.count_frames_and_secs(path)
    reader = imageio_ffmpeg.read_frames(path)
    meta = next(reader)
    w, h = meta["size"]
    shown = [np.frombuffer(f, np.uint8).reshape(h, w, 3).astype(int) for f in reader]
    assert (meta["codec"], meta["fps"], w, h % 2) == ("h264", 15.0, 640, 0)
    assert len(shown) == n == round(seconds * 15)
    assert 3 + animation.HOLD_LAST - 0.2 < seconds < 60  # the run's 3 s at the speed it ran, then the hold
    with Image.open(tmp_path / "end.png") as im:  # the window when the run was over, as --screenshot saw it
        end = np.asarray(im.convert("RGB").resize((w, round(im.height * w / im.width)),
                                                  Image.Resampling.LANCZOS)).astype(int)[:h]
    assert np.abs(blocks(shown[-1]) - blocks(end)).mean() < 4  # the last frame is the window, not black or garbled
    assert np.abs(blocks(shown[0]) - blocks(end)).mean() > np.abs(blocks(shown[-1]) - blocks(end)).mean()
    assert sorted(os.listdir(tmp_path)) == ["end.png", "run.mp4"]


def test_mp4_without_ffmpeg_is_one_line_before_anything_runs(tmp_path):
    r = gdsim("gui", "--preset", "xor", "--epochs", "5", "--record", "run.mp4", "--quit", cwd=tmp_path,
              env={"IMAGEIO_FFMPEG_EXE": str(tmp_path / "no-ffmpeg")})
    assert r.returncode == 2 and "MP4 needs the ffmpeg program" in r.stderr and r.stderr.count("\n") == 1
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in ffmpeg is a shell script")
def test_an_ffmpeg_that_fails_is_one_line_status_2_and_no_file(tmp_path):
    exe = tmp_path / "ffmpeg"
    exe.write_text("#!/bin/sh\necho 'first words' >&2\necho \"Unknown encoder 'libx264'\" >&2\nexit 1\n")
    exe.chmod(0o755)
    out = tmp_path / "out"
    out.mkdir()
    r = gdsim("gui", "--preset", "xor", "--epochs", "20", "--record", "run.mp4", "--quit", cwd=out,
              env={"IMAGEIO_FFMPEG_EXE": str(exe)})
    errors = [line for line in r.stderr.splitlines() if "error" in line]
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(errors) == 1
    assert "first words" not in r.stderr  # ffmpeg's own output goes into the message, not onto the terminal
    assert "ffmpeg failed (Unknown encoder 'libx264'); nothing was written" in errors[0]
    assert os.listdir(out) == []
