"""Sessions: save, load, resume bit for bit (engine and CLI), clear errors, atomic writes, recent files."""

import json
import zipfile

import numpy as np
import pytest

from gdsim import cli
from gdsim.engine.history import Series, Trajectory
from gdsim.io import session
from gdsim.lab import config as cfgmod


def run(capsys, *args):
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def histories(built):
    t = built.trainer
    steps, points = t.trajectory.sample()
    return {"params": built.net.params, "step_history": t.step_history.array(),
            "epoch_history": t.epoch_history.array(), "traj_steps": steps, "traj_points": points,
            "last_steps": t.trajectory.last_steps(), "last_grad": t.last_grad, "last_update": t.last_update,
            "layer_history": t.layer_history.array() if t.layer_history is not None else np.empty(0),
            **{f"opt_{k}": v for k, v in t.optimizer.state_dict().items() if isinstance(v, np.ndarray)}}


def assert_same_run(a, b):
    ha, hb = histories(a), histories(b)
    for key in ha:
        assert ha[key].shape == hb[key].shape, key
        assert np.array_equal(ha[key], hb[key], equal_nan=True), key  # bit for bit, not approximately
    assert a.trainer.summary() == b.trainer.summary()
    assert a.trainer.rng.bit_generator.state == b.trainer.rng.bit_generator.state


SETUPS = {
    "sgd_full_batch": {"problem": {"dataset": "xor", "samples": 100}, "training": {"optimizer": "sgd", "lr": 0.5}},
    "adam_mini_batch": {"problem": {"dataset": "circles", "samples": 150},
                        "training": {"optimizer": "adam", "lr": 0.01, "batch_size": 16}},
}


@pytest.mark.parametrize("name", list(SETUPS))
def test_engine_resume_is_bit_for_bit(tmp_path, name):
    cfg = cfgmod.Config().with_changes(**SETUPS[name])
    straight = cfgmod.build(cfg.with_changes(training={"epochs": 20}))
    straight.trainer.run(20)
    first = cfgmod.build(cfg.with_changes(training={"epochs": 10}))
    first.trainer.run(7)
    first.trainer.step()  # stop mid-epoch too: the shuffle order and position must survive
    first.trainer.run(3)
    f = session.save(tmp_path / "run.gdsim", first)
    resumed = session.load(f)
    assert_same_run(first, resumed)
    session.extend(resumed, 10)
    resumed.trainer.run(10)
    assert_same_run(straight, resumed)
    assert resumed.config.training.epochs == 20


@pytest.mark.parametrize("name,args", [
    ("sgd_full_batch", ["--dataset", "xor", "--samples", "100", "--optimizer", "sgd", "--lr", "0.5"]),
    ("adam_mini_batch", ["--dataset", "circles", "--samples", "150", "--optimizer", "adam", "--lr", "0.01",
                         "--batch-size", "16"]),
])
def test_cli_train_save_load_more_epochs_equals_straight(capsys, tmp_path, name, args):
    f, g, h = tmp_path / "a.gdsim", tmp_path / "b.gdsim", tmp_path / "straight.gdsim"
    code, out10, err = run(capsys, "train", *args, "--epochs", "10", "--save", str(f), "--json")
    assert code == 0, err
    assert json.loads(out10)["epochs"] == 10
    code, out, err = run(capsys, "train", "--load", str(f), "--epochs", "10", "--save", str(g), "--json")
    assert code == 0, err
    code, straight, err = run(capsys, "train", *args, "--epochs", "20", "--save", str(h), "--json")
    assert code == 0, err
    assert json.loads(out) == json.loads(straight) and json.loads(out)["epochs"] == 20
    assert_same_run(session.load(g), session.load(h))


def test_load_without_epochs_finishes_the_configured_run(capsys, tmp_path):
    cfg = cfgmod.load_preset("xor").with_changes(training={"epochs": 12})
    b = cfgmod.build(cfg)
    b.trainer.run(5)  # as the app saves mid-run: status still running
    f = session.save(tmp_path / "mid.gdsim", b)
    code, out, err = run(capsys, "train", "--load", str(f), "--json")
    assert code == 0, err
    assert json.loads(out)["epochs"] == 12
    code, out, _ = run(capsys, "train", "--load", str(f), "--epochs", "0", "--json")
    assert code == 0 and json.loads(out)["epochs"] == 5


@pytest.mark.parametrize("extra", [["--lr", "0.3"], ["--preset", "xor"], ["--seed", "2"], ["--batch-size", "4"]])
def test_load_refuses_other_setup_options(capsys, tmp_path, extra):
    b = cfgmod.build(cfgmod.load_preset("xor"))
    f = session.save(tmp_path / "s.gdsim", b)
    code, _, err = run(capsys, "train", "--load", str(f), *extra)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert extra[0] in err and "--epochs" in err


def test_converged_session_can_be_continued(tmp_path):
    cfg = cfgmod.load_preset("worked_example_221")
    b = cfgmod.build(cfg)
    b.trainer.run(50)
    assert b.trainer.status == "converged"
    loaded = session.load(session.save(tmp_path / "c.gdsim", b))
    assert loaded.trainer.status == "converged"
    session.extend(loaded, 3)
    loaded.trainer.run(3)
    assert loaded.trainer.epoch == b.trainer.epoch + 3


def test_function_mode_session_round_trip(tmp_path):
    cfg = cfgmod.load_preset("rosenbrock")
    straight = cfgmod.build(cfg)
    straight.trainer.run(8)
    b = cfgmod.build(cfg)
    b.trainer.run(3)
    loaded = session.load(session.save(tmp_path / "f.gdsim", b))
    session.extend(loaded, 5)
    loaded.trainer.run(5)
    assert np.array_equal(loaded.net.params, straight.net.params)
    assert np.array_equal(loaded.trainer.step_history.array(), straight.trainer.step_history.array())


def test_file_layout_and_no_pickle(tmp_path):
    b = cfgmod.build(cfgmod.load_preset("xor"))
    b.trainer.run(2)
    f = session.save(tmp_path / "s.gdsim", b)
    with zipfile.ZipFile(f) as z:
        meta = json.loads(z.read("meta.json"))
        names = z.namelist()
    assert meta["format"] == "gdsim-session" and meta["version"] == 1 and meta["gdsim"]
    assert cfgmod.from_dict(meta["config"]) == b.config
    assert "state/params.npy" in names and "state/optimizer/step" not in names
    assert meta["state"]["params"] == {"__array__": "state/params.npy"}
    assert [p.name for p in tmp_path.iterdir()] == ["s.gdsim"]  # no temporary file left behind


def test_history_decimation_survives_a_save(tmp_path):
    """A series saved part-way must thin itself out at the same rows as one that was never interrupted."""
    whole, part = Series(2, cap=40), Series(2, cap=40)
    for i in range(57):
        whole.append((i, i * i))
        part.append((i, i * i))
    part = Series.from_state(part.state())
    for i in range(57, 300):
        whole.append((i, i * i))
        part.append((i, i * i))
    assert np.array_equal(whole.array(), part.array()) and whole.stride == part.stride
    t1 = Trajectory(3, cap=16, recent=5)
    for i in range(23):
        t1.append(i, np.full(3, float(i)))
    t2 = Trajectory.from_state(t1.state())
    for t in (t1, t2):
        for i in range(23, 70):
            t.append(i, np.full(3, float(i)))
    for a, b in zip(t1.sample(), t2.sample(), strict=True):
        assert np.array_equal(a, b)


# ---------------------------------------------------------------- errors: one clear line, nothing lost


def saved(tmp_path):
    b = cfgmod.build(cfgmod.load_preset("xor"))
    b.trainer.run(3)
    return session.save(tmp_path / "good.gdsim", b)


def rewrite(src, dst, meta_change=None, drop=(), replace=None):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            if name in drop:
                continue
            data = zin.read(name)
            if name == "meta.json" and meta_change:
                meta = json.loads(data)
                meta_change(meta)
                data = json.dumps(meta).encode()
            if replace and name in replace:
                data = replace[name]
            zout.writestr(name, data)
    return dst


def test_missing_file(tmp_path):
    with pytest.raises(ValueError, match="file not found"):
        session.load(tmp_path / "nope.gdsim")


def test_not_a_zip(tmp_path):
    f = tmp_path / "x.gdsim"
    f.write_text("hello")
    with pytest.raises(ValueError, match="not a gdsim session"):
        session.load(f)


def test_truncated_file(tmp_path):
    good = saved(tmp_path)
    f = tmp_path / "cut.gdsim"
    f.write_bytes(good.read_bytes()[:300])
    with pytest.raises(ValueError, match="cut.gdsim"):
        session.load(f)


def test_corrupt_member(tmp_path):
    good = saved(tmp_path)
    raw = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as z:
        info = z.getinfo("state/params.npy")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)  # the compressed bytes
    raw[start + 5] ^= 0xFF
    f = tmp_path / "bad.gdsim"
    f.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="corrupt"):
        session.load(f)


def test_pickled_member_refused(tmp_path):
    import io
    import pickle

    good = saved(tmp_path)
    buf = io.BytesIO()
    np.save(buf, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    f = rewrite(good, tmp_path / "p.gdsim", replace={"state/params.npy": buf.getvalue()})
    assert b"evil" in pickle.dumps({"evil": 1})  # the member really is a pickle
    with pytest.raises(ValueError, match="corrupt"):
        session.load(f)


def test_wrong_format_tag(tmp_path):
    f = rewrite(saved(tmp_path), tmp_path / "w.gdsim", lambda m: m.update(format="something-else"))
    with pytest.raises(ValueError, match="not a gdsim session.*something-else"):
        session.load(f)


@pytest.mark.parametrize("version,word", [(2, "newer"), (0, "older")])
def test_other_schema_versions_name_both(tmp_path, version, word):
    f = rewrite(saved(tmp_path), tmp_path / "v.gdsim", lambda m: m.update(version=version, gdsim="9.9.9"))
    with pytest.raises(ValueError) as e:
        session.load(f)
    msg = str(e.value)
    assert "\n" not in msg and word in msg and f"version {version}" in msg and "version 1" in msg
    assert "9.9.9" in msg


def test_shape_mismatch(tmp_path):
    def wider(meta):
        meta["config"]["network"]["hidden"] = [7]

    f = rewrite(saved(tmp_path), tmp_path / "s.gdsim", wider)
    with pytest.raises(ValueError, match="does not fit.*shape") as e:
        session.load(f)
    assert "\n" not in str(e.value)


def test_missing_array_member(tmp_path):
    f = rewrite(saved(tmp_path), tmp_path / "m.gdsim", drop=("state/last_grad.npy",))
    with pytest.raises(ValueError, match="missing"):
        session.load(f)


def test_changed_csv_is_reported(tmp_path):
    csv = tmp_path / "d.csv"
    csv.write_text("a,b,y\n1,2,3\n4,5,6\n7,8,9\n1,1,1\n")
    b = cfgmod.build(cfgmod.Config().with_changes(problem={"dataset": f"csv:{csv}", "test_fraction": 0.0},
                                                  network={"hidden": (2,)}))
    f = session.save(tmp_path / "c.gdsim", b)
    csv.write_text("a,b,y\n1,2,3\n4,5,6\n7,8,9\n1,1,2\n")
    with pytest.raises(ValueError, match="data differ"):
        session.load(f)


def test_cli_errors_are_one_line(capsys, tmp_path):
    f = tmp_path / "x.gdsim"
    f.write_text("junk")
    code, _, err = run(capsys, "train", "--load", str(f))
    assert code == 2 and err.startswith("gdsim: error:") and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "train", "--preset", "xor", "--epochs", "1", "--save", str(tmp_path / "no" / "s.gdsim"))
    assert code == 2 and "does not exist" in err


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    good = saved(tmp_path)
    before = good.read_bytes()
    b = cfgmod.build(cfgmod.load_preset("circles"))

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(session.np, "save", boom)
    with pytest.raises(OSError, match="disk full"):
        session.save(good, b)
    assert good.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.gdsim"]
    monkeypatch.undo()
    session.load(good)  # still a good session


def test_failed_load_leaves_the_trainer_untouched(tmp_path):
    b = cfgmod.build(cfgmod.load_preset("xor"))
    b.trainer.run(2)
    state = b.trainer.state_dict()
    params = b.net.params.copy()
    bad = dict(state, params=np.zeros(3))
    with pytest.raises(ValueError):
        b.trainer.load_state_dict(bad)
    bad = dict(state, optimizer={"name": "adam", "step": 1})
    with pytest.raises(ValueError):
        b.trainer.load_state_dict(bad)
    assert np.array_equal(b.net.params, params) and b.trainer.step_count == 2


# ---------------------------------------------------------------- recent files


def test_recent_files_is_pure_add_dedupe_trim():
    files = [f"/s/{i}.gdsim" for i in range(8)]
    out = session.recent_files(files, "/s/new.gdsim")
    assert out[0] == "/s/new.gdsim" and len(out) == 8 and "/s/7.gdsim" not in out
    assert files == [f"/s/{i}.gdsim" for i in range(8)]  # the input is not changed
    again = session.recent_files(out, "/s/3.gdsim")
    assert again[0] == "/s/3.gdsim" and again.count("/s/3.gdsim") == 1 and len(again) == 8
    assert session.recent_files(["/a/./b.gdsim", "/a/b.gdsim"]) == ["/a/./b.gdsim"]
    assert session.recent_files([], None) == []



def test_live_setting_changes_survive_a_save(tmp_path):
    """The loss curve's marks for live changes (optimizer, momentum, ...) come back with the session."""
    b = cfgmod.build(cfgmod.load_preset("xor").with_changes(training={"optimizer": "momentum"}))
    b.trainer.run(5)
    b.trainer.set_training("momentum", {"momentum": 0.5}, weight_decay=1e-3)
    b.trainer.run(3)
    b.trainer.lr = 0.3
    assert b.trainer.setting_changes and b.trainer.lr_changes
    loaded = session.load(session.save(tmp_path / "marks.gdsim", b))
    assert loaded.trainer.setting_changes == b.trainer.setting_changes
    assert loaded.trainer.lr_changes == b.trainer.lr_changes


@pytest.mark.parametrize("bad, words", [
    ("not a list", "setting_changes must be a list"),
    ([[1]], "setting_changes[0] must be a [step, text] pair"),
    ([[-1, "x"]], "setting_changes[0].step = -1 is out of range"),
    ([[3, 7]], "the saved text must be text"),
])
def test_hostile_setting_changes_are_one_line(tmp_path, bad, words):
    b = cfgmod.build(cfgmod.load_preset("xor"))
    b.trainer.run(2)
    path = session.save(tmp_path / "s.gdsim", b)
    with zipfile.ZipFile(path) as z:
        members = {name: z.read(name) for name in z.namelist()}
    state_name = next(n for n in members if n.endswith(".json") and b'"lr_changes"' in members[n])
    doc = json.loads(members[state_name])
    table = doc["state"] if "state" in doc else doc
    table["setting_changes"] = bad
    members[state_name] = json.dumps(doc).encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    with pytest.raises(ValueError) as e:
        session.load(path)
    assert words in str(e.value) and "\n" not in str(e.value)
