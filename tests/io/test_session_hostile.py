"""Hostile sessions (tests/broken_sessions.py): one line and exit 2 for every kind, bombs refused in bounded
memory, members the state does not name never read, no NaN written into JSON."""

import json
import tracemalloc
import zipfile

import broken_sessions
import numpy as np
import pytest

from gdsim import cli
from gdsim.io import session
from gdsim.lab import config as cfgmod


def run(capsys, *args):
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def saved(folder):
    b = cfgmod.build(cfgmod.load_preset("xor"))
    b.trainer.run(3)
    return session.save(folder / "good.gdsim", b)


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    folder = tmp_path_factory.mktemp("broken")
    return broken_sessions.make_all(saved(folder), folder)


def test_the_generator_makes_every_kind_the_issue_names(broken):
    assert len(broken) >= 59
    for word in ("truncated", "flipped", "epochs_many", "missing", "1GiB", "nested", "encrypted",
                 "compression_99", "lr_nan", "lr_inf", "lr_negative", "wrong_shape"):
        assert any(word in name for name in broken), word


@pytest.mark.parametrize("kind", list(broken_sessions.KINDS))
def test_every_broken_session_is_one_line_exit_2(capsys, broken, kind):
    path = broken[kind]
    code, out, err = run(capsys, "train", "--load", str(path), "--epochs", "1")
    assert code == 2 and out == ""
    assert err.startswith("gdsim: error: ") and err.count("\n") == 1, err
    assert path.name in err


def test_unused_members_are_never_read(tmp_path):
    """A member the state does not name is ignored, whatever it declares: the issue's 1 GiB case."""
    good = saved(tmp_path)
    extra = broken_sessions.rewrite(good, tmp_path / "extra.gdsim", add={"extra/big.npy": b"x" * 100,
                                                                         "notes.txt": b"hello"})
    bomb = broken_sessions.patch_headers(extra, tmp_path / "bomb.gdsim", "extra/big.npy",
                                         size=broken_sessions.GiB)
    with zipfile.ZipFile(bomb) as z:
        assert z.getinfo("extra/big.npy").file_size == broken_sessions.GiB
    tracemalloc.start()
    loaded = session.load(bomb)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert loaded.trainer.step_count == 3 and peak < 20e6


@pytest.mark.parametrize("declared", [None, 4096])
def test_a_compression_bomb_in_place_of_the_parameters_is_refused_in_bounded_memory(tmp_path, declared):
    """64 MiB of zeros (64 kB deflated) where 17 numbers belong; declared honestly, or as 4 kB (a lie the
    bounded read catches when the bytes run past the declared size)."""
    good = saved(tmp_path)
    f = tmp_path / "bomb.gdsim"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            if name != "state/params.npy":
                zout.writestr(name, zin.read(name))
        with zout.open("state/params.npy", "w") as member:
            for _ in range(64):
                member.write(bytes(1 << 20))
    if declared:
        f = broken_sessions.patch_headers(f, tmp_path / "lying.gdsim", "state/params.npy", size=declared)
    tracemalloc.start()
    with pytest.raises(ValueError, match="declares|corrupt") as e:
        session.load(f)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "\n" not in str(e.value) and peak < 16e6


def test_no_nan_or_infinity_is_written_into_json(tmp_path):
    """A fresh trainer's gradient norm is inf and a diverged run's loss NaN: JSON holds neither."""
    def strict(text):
        return json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} written into meta.json"))

    fresh = cfgmod.build(cfgmod.load_preset("xor"))
    wild = cfgmod.build(cfgmod.load_preset("xor").with_changes(training={"lr": 1e6}))
    wild.trainer.run(30)
    assert wild.trainer.status == "diverged"
    for name, b in (("fresh", fresh), ("wild", wild)):
        f = session.save(tmp_path / f"{name}.gdsim", b)
        with zipfile.ZipFile(f) as z:
            strict(z.read("meta.json").decode())
        norms = [x.trainer.state_dict()["last_grad_norm"] for x in (session.load(f), b)]
        assert np.array_equal(*norms, equal_nan=True)
