"""Progress: remembered between starts, resettable, written atomically, a corrupt file is no progress."""

import json
import os

import pytest

from gdsim.lab.progress import Progress, config_dir


def test_steps_are_remembered_between_starts(tmp_path):
    path = tmp_path / "sub" / "progress.json"
    p = Progress(path)
    assert p.completed("learning_rate") == set()
    p.mark("learning_rate", 0)
    p.mark("learning_rate", 2)
    p.mark("momentum", 1)
    again = Progress(path)
    assert again.completed("learning_rate") == {0, 2} and again.completed("momentum") == {1}
    assert json.loads(path.read_text())["lessons"] == {"learning_rate": [0, 2], "momentum": [1]}


def test_reset_one_lesson_or_all(tmp_path):
    path = tmp_path / "progress.json"
    p = Progress(path)
    p.mark("a", 0)
    p.mark("b", 3)
    p.reset("a")
    assert Progress(path).completed("a") == set() and Progress(path).completed("b") == {3}
    p.reset()
    assert Progress(path).completed("b") == set()


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe", b"[1, 2]", b'{"lessons": 3}', b""])
def test_a_corrupt_file_is_no_progress_and_is_replaced(tmp_path, content):
    path = tmp_path / "progress.json"
    path.write_bytes(content)
    p = Progress(path)
    assert p.completed("a") == set() and p.problem
    p.mark("a", 1)
    assert Progress(path).completed("a") == {1} and Progress(path).problem == ""


def test_malformed_entries_are_dropped_well_formed_kept(tmp_path):
    path = tmp_path / "progress.json"
    path.write_text(json.dumps({"lessons": {"a": [0, -1, "x", True, 2], "b": "nope"}}))
    p = Progress(path)
    assert p.completed("a") == {0, 2} and p.completed("b") == set()


def test_saving_leaves_no_temporary_file_and_a_failed_save_keeps_the_old_one(tmp_path, monkeypatch):
    path = tmp_path / "progress.json"
    p = Progress(path)
    p.mark("a", 0)
    assert os.listdir(tmp_path) == ["progress.json"]
    before = path.read_bytes()

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    assert p.mark("a", 1) is False and "the disk is full" in p.problem
    assert p.completed("a") == {0, 1}  # still counted for this session
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["progress.json"]


def test_an_unwritable_folder_is_reported_not_raised(tmp_path):
    (tmp_path / "file").write_text("x")
    p = Progress(tmp_path / "file" / "progress.json")  # its folder is a file: nobody can create it
    assert p.mark("a", 0) is False and p.problem.startswith("could not save progress")


def test_default_folder_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GDSIM_CONFIG_DIR", str(tmp_path / "cfg"))
    assert config_dir() == tmp_path / "cfg"
    p = Progress()
    p.mark("a", 0)
    assert (tmp_path / "cfg" / "progress.json").is_file()
    monkeypatch.delenv("GDSIM_CONFIG_DIR")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert config_dir() == tmp_path / ".config" / "gdsim"
