"""Every file gdsim writes is all-or-nothing, gets the umask's mode, and fails with one clear message."""

from __future__ import annotations

import errno
import os
import stat

import pytest

from gdsim import cli
from gdsim.io import atomic, torch_export

ENOSPC = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.fixture
def umask():
    """Set the process umask for one test and restore it afterwards."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def run(capsys, *args) -> tuple[int, str]:
    code = cli.main(list(args))
    return code, capsys.readouterr().err


def only(folder, *names) -> None:
    """Nothing but ``names`` in ``folder``: no temporary file left over."""
    assert sorted(os.listdir(folder)) == sorted(names)


# ---------------------------------------------------------------- modes


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_every_cli_file_gets_the_mode_of_a_new_file_under_the_umask(tmp_path, capsys, monkeypatch, umask,
                                                                    mask, expected):
    umask(mask)
    monkeypatch.setattr(torch_export, "EMBED_MAX_VALUES", 10)  # the script's data go to an .npz too
    train = ["--preset", "xor", "--epochs", "2"]
    assert run(capsys, "train", *train, "--save", str(tmp_path / "s.gdsim"),
               "--export-loss", str(tmp_path / "l.csv"))[0] == 0
    assert run(capsys, "export-torch", *train, "-o", str(tmp_path / "t.py"))[0] == 0
    assert run(capsys, "sweep", "--dataset", "line", "--layers", "1,1", "--lrs", "0.1,0.3", "--epochs", "3",
               "--export", str(tmp_path / "w.csv"))[0] == 0
    names = ["s.gdsim", "l.csv", "t.py", "t.npz", "w.csv"]
    only(tmp_path, *names)
    assert {n: oct(mode(tmp_path / n)) for n in names} == {n: oct(expected) for n in names}


def test_replacing_a_file_also_gives_the_umask_mode(tmp_path, umask):
    umask(0o022)
    path = tmp_path / "f.csv"
    path.write_text("old")
    path.chmod(0o600)
    atomic.write_text(path, "new")
    assert path.read_text() == "new" and mode(path) == 0o644


@pytest.fixture
def window(qtbot, tmp_path):
    from PySide6 import QtCore

    from gdsim.lab import config
    from gdsim.ui.main_window import MainWindow

    QtCore.QSettings.setDefaultFormat(QtCore.QSettings.Format.IniFormat)
    QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope,
                             str(tmp_path / "settings"))
    w = MainWindow(config.load_preset("xor").with_changes(training={"epochs": 3}), restore_layout=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.snapshot is not None)
    yield w
    w.shutdown()


def test_window_screenshot_gets_the_umask_mode_and_survives_a_full_disk(window, tmp_path, umask, monkeypatch):
    umask(0o027)
    out = tmp_path / "out"
    out.mkdir()
    shot = out / "w.png"
    window.save_screenshot(str(shot))
    assert shot.read_bytes()[:4] == b"\x89PNG" and mode(shot) == 0o640
    good = shot.read_bytes()
    monkeypatch.setattr(atomic.os, "fsync", _raise(ENOSPC))
    with pytest.raises(atomic.WriteError, match="disk is full"):
        window.save_screenshot(str(shot))
    assert shot.read_bytes() == good
    only(out, "w.png")


def _menu_action(win, text):
    from PySide6 import QtGui

    found = [a for a in win.menuBar().findChildren(QtGui.QAction) if a.text().replace("&", "") == text]
    assert len(found) == 1, text
    return found[0]


@pytest.mark.parametrize("item,name", [("Export as PyTorch script…", "t.py"), ("Save session…", "s.gdsim"),
                                       ("Save window screenshot…", "w.png")])
def test_file_menu_on_a_full_disk_says_so_once_and_keeps_the_old_file(window, qtbot, tmp_path, monkeypatch,
                                                                       item, name):
    from PySide6 import QtWidgets

    out = tmp_path / "out"
    out.mkdir()
    path = out / name
    path.write_bytes(b"the good old file")
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    monkeypatch.setattr(QtWidgets.QInputDialog, "getInt", lambda *a, **k: (800, True))  # a PNG's width
    monkeypatch.setattr(atomic.os, "fsync", _raise(ENOSPC))
    _menu_action(window, item).trigger()
    qtbot.waitUntil(lambda: len(window.errors) > 0)  # the session is written by the worker thread
    assert len(window.errors) == 1
    assert f"could not write {path}: the disk is full; the previous file is unchanged" in window.errors[0]
    assert path.read_bytes() == b"the good old file"
    only(out, name)


def test_drawing_a_point_on_a_full_disk_gives_a_message_not_a_traceback(window, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    n = len(window.data.X_train) + len(window.data.X_test)
    monkeypatch.setattr(atomic.os, "fsync", _raise(ENOSPC))
    window.output_view.set_drawing(True)
    window.output_view.sigPointAdded.emit(0.25, -0.5, 1)
    assert len(window.errors) == 1 and "the disk is full" in window.errors[0]
    assert len(window.data.X_train) + len(window.data.X_test) == n


# ---------------------------------------------------------------- a full disk


def _raise(error):
    def fail(*_a, **_k):
        raise error
    return fail


class _FailingFile:
    """A file whose ``op`` (write or flush) runs out of space, as a full disk makes it do."""

    def __init__(self, f, op):
        self._f, self._op = f, op

    def __getattr__(self, name):
        if name == self._op:
            return _raise(ENOSPC)
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._f.close()


@pytest.mark.parametrize("stage", ["write", "flush", "fsync", "replace"])
def test_full_disk_keeps_the_old_file_leaves_no_temp_and_says_so(tmp_path, monkeypatch, stage):
    path = tmp_path / "run.csv"
    path.write_bytes(b"old")
    if stage in ("write", "flush"):
        fdopen = os.fdopen
        monkeypatch.setattr(atomic.os, "fdopen", lambda fd, m: _FailingFile(fdopen(fd, m), stage))
    else:
        monkeypatch.setattr(atomic.os, stage, _raise(ENOSPC))
    with pytest.raises(atomic.WriteError) as info:
        atomic.write_bytes(path, b"new content" * 1000)
    monkeypatch.undo()
    assert str(info.value) == f"could not write {path}: the disk is full; the previous file is unchanged"
    assert isinstance(info.value, OSError) and info.value.__cause__.errno == errno.ENOSPC
    assert path.read_bytes() == b"old"
    only(tmp_path, "run.csv")


def test_full_disk_on_a_new_file_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic.os, "fsync", _raise(ENOSPC))
    with pytest.raises(atomic.WriteError, match="nothing was written"):
        atomic.write_text(tmp_path / "new.py", "print(1)\n")
    only(tmp_path)


def test_a_failing_writer_propagates_its_own_error_and_leaves_no_temp(tmp_path):
    path = tmp_path / "f.png"
    path.write_bytes(b"old")

    def half(f):
        f.write(b"half")
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError, match="bug"):
        atomic.write_file(path, half)
    assert path.read_bytes() == b"old"
    only(tmp_path, "f.png")


def test_cli_export_torch_on_a_full_disk_is_one_line_and_keeps_the_old_script(tmp_path, capsys, monkeypatch):
    script = tmp_path / "t.py"
    assert run(capsys, "export-torch", "--preset", "xor", "-o", str(script))[0] == 0
    good = script.read_text()
    monkeypatch.setattr(atomic.os, "fsync", _raise(ENOSPC))
    code, err = run(capsys, "export-torch", "--preset", "xor", "--epochs", "7", "-o", str(script))
    assert code == 2 and err == f"gdsim: error: could not write {script}: the disk is full; " \
                                "the previous file is unchanged\n"
    assert script.read_text() == good
    only(tmp_path, "t.py")


@pytest.mark.parametrize("option,name", [("--export-loss", "l.csv"), ("--export-loss", "l.png"),
                                         ("--save", "s.gdsim")])
def test_cli_train_on_a_full_disk_is_one_line(tmp_path, capsys, monkeypatch, option, name):
    monkeypatch.setattr(atomic.os, "fsync", _raise(ENOSPC))
    code, err = run(capsys, "train", "--preset", "xor", "--epochs", "2", option, str(tmp_path / name))
    assert code == 2 and err == f"gdsim: error: could not write {tmp_path / name}: the disk is full; " \
                                "nothing was written\n"
    only(tmp_path)


# ---------------------------------------------------------------- leftovers of a killed save


@pytest.mark.parametrize("name", ["out.csv", "[a]*?.csv", "x" * 200 + ".csv"])
def test_the_next_save_removes_leftovers_of_a_killed_save_of_the_same_file(tmp_path, name):
    leftover = tmp_path / (atomic.temp_prefix(name) + "0badf00d")
    leftover.write_bytes(b"half a file")
    other = tmp_path / ".other.csv.gdsim-tmp-0badf00d"  # someone else's: not ours to remove
    other.write_bytes(b"half")
    atomic.write_text(tmp_path / name, "a,b\n")
    only(tmp_path, name, other.name)


def test_a_killed_session_save_is_cleaned_up_by_the_next_save(tmp_path, capsys):
    (tmp_path / ".run.gdsim.gdsim-tmp-1a2b3c4d").write_bytes(b"PK\x03\x04 truncated")
    assert run(capsys, "train", "--preset", "xor", "--epochs", "2", "--save", str(tmp_path / "run.gdsim"))[0] == 0
    only(tmp_path, "run.gdsim")


def test_the_message_stays_one_line_for_a_name_with_a_newline(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic.os, "fsync", _raise(ENOSPC))
    with pytest.raises(atomic.WriteError) as info:
        atomic.write_text(tmp_path / "a\nb.py", "x")
    assert "\n" not in str(info.value) and "a\\nb.py" in str(info.value)


def test_gui_screenshot_command_writes_atomically_with_the_umask_mode(tmp_path, umask):
    """``gdsim gui --screenshot F --quit`` in its own process (it runs the app's event loop to the end)."""
    import subprocess
    import sys
    from pathlib import Path

    import gdsim

    umask(0o027)  # inherited by the child
    out = tmp_path / "out"
    out.mkdir()
    shot = out / "w.png"
    (out / ".w.png.gdsim-tmp-0badf00d").write_bytes(b"")  # a killed earlier run's leftover
    root = str(Path(gdsim.__file__).resolve().parents[1])
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
           "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    r = subprocess.run([sys.executable, "-m", "gdsim", "gui", "--preset", "xor", "--epochs", "0",
                        "--screenshot", str(shot), "--quit"], capture_output=True, text=True, env=env,
                       cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and mode(shot) == 0o640
    only(out, "w.png")
