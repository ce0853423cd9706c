"""``gdsim gui --record``: a headless recorded run, and one line with exit status 2 for what it cannot write."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from PIL import Image

from gdsim import cli


def gdsim(*args, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
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


def test_mp4_without_its_encoder_names_the_package(tmp_path):
    r = gdsim("gui", "--preset", "xor", "--epochs", "5", "--record", "run.mp4", "--quit", cwd=tmp_path)
    if r.returncode == 0:  # imageio-ffmpeg is installed here: then it must have written a video
        assert (tmp_path / "run.mp4").stat().st_size > 0
        return
    assert r.returncode == 2 and "pip install imageio-ffmpeg" in r.stderr and r.stderr.count("\n") == 1
