"""The CSV reader: block parsing gives csv's numbers and messages, memory stays near the file's size, pipes,
devices and folders are refused before any read, and a long read can be cancelled."""

import os
import threading
import tracemalloc

import numpy as np
import pytest

from gdsim.engine import csv_table, datasets
from gdsim.engine.cancel import Cancelled


@pytest.fixture(autouse=True)
def _fresh():
    csv_table.forget()
    yield
    csv_table.forget()


def big_csv(path, rows: int, seed: int = 0) -> np.ndarray:
    """Write rows of 4 features and a 0/1 label with full float64 precision; return what was written."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 4)) * 10.0 ** rng.integers(-5, 5, size=(rows, 4))
    y = (X[:, 0] > 0).astype(float)
    data = np.column_stack([X, y])
    with open(path, "w") as f:
        f.write("a,b,c,d,label\n")
        f.writelines(f"{a!r},{b!r},{c!r},{d!r},{int(e)}\n" for a, b, c, d, e in data.tolist())
    return data


def test_many_blocks_give_exactly_the_numbers_float_reads(tmp_path):
    p = tmp_path / "big.csv"
    written = big_csv(p, 60_000)  # ~5 MB: several blocks, one cut inside a line at each boundary
    assert os.path.getsize(p) > 4 * csv_table.BLOCK_BYTES
    table = csv_table.read_table(str(p), datasets.MAX_CSV_BYTES)
    assert table.header == ("a", "b", "c", "d", "label")
    assert table.values.shape == written.shape and not table.values.flags.writeable
    assert np.array_equal(table.values.view(np.int64), written.view(np.int64))  # bit for bit


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_line_endings_and_blank_lines_across_blocks(tmp_path, monkeypatch, ending):
    monkeypatch.setattr(csv_table, "BLOCK_BYTES", 7)  # blocks end inside lines and between \r and \n
    body = ["x,y", "1,2", "", "3,4", " , ", "5,6.5", "7,8"]
    p = tmp_path / "e.csv"
    p.write_bytes(("\ufeff" + ending.join(body) + ending).encode())
    table = csv_table.read_table(str(p), datasets.MAX_CSV_BYTES)
    assert table.values.tolist() == [[1, 2], [3, 4], [5, 6.5], [7, 8]]
    p.write_bytes(ending.join([*body, "9,oops", "1,1"]).encode())  # no final line ending
    with pytest.raises(ValueError, match=r"line 8, column 'y': 'oops' is not a number$"):
        csv_table.read_table(str(p), datasets.MAX_CSV_BYTES)


def test_a_bad_cell_far_down_a_big_file_is_named(tmp_path):
    p = tmp_path / "late.csv"
    big_csv(p, 30_000)
    with open(p, "a") as f:
        f.write("1,2,3,4,0\n1,2,inf,4,1\n")
    with pytest.raises(ValueError, match=r"late\.csv: line 30003, column 'c': 'inf' is not finite"):
        datasets.make_dataset(f"csv:{p}")
    with open(p, "a") as f:
        f.write("1,2,3\n")
    with pytest.raises(ValueError, match=r"line 30003"):  # still the first problem in the file
        datasets.make_dataset(f"csv:{p}")


def test_non_utf8_names_its_line(tmp_path):
    p = tmp_path / "latin.csv"
    p.write_bytes(b"a,b\n1,2\n3,4\n\xe9\xff,3\n")
    with pytest.raises(ValueError, match=r"latin\.csv: line 4 is not UTF-8 text"):
        datasets.make_dataset(f"csv:{p}")


def test_memory_is_a_small_multiple_of_the_file(tmp_path):
    p = tmp_path / "mem.csv"
    big_csv(p, 40_000)
    size = os.path.getsize(p)
    tracemalloc.start()
    try:
        data = datasets.make_dataset(f"csv:{p}")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(data.X_train) + len(data.X_test) == 40_000
    assert peak < 4 * size, f"peak {peak / size:.1f}x the file's size"  # reading into lists took ~30x


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    outcome = []

    def load():
        try:
            datasets.make_dataset(f"csv:{fifo}")
        except ValueError as e:
            outcome.append(str(e))

    reader = threading.Thread(target=load, daemon=True)
    reader.start()
    reader.join(timeout=10)
    if reader.is_alive():  # it blocked opening the pipe: open a writer so the thread can end, then fail
        with open(fifo, "w"):
            pass
        reader.join(timeout=10)
        pytest.fail("reading a named pipe blocked")
    assert outcome == [f"{fifo}: is a named pipe (FIFO), not a file; choose a CSV file"]


@pytest.mark.parametrize("path, kind", [("/dev/zero", "a device"), ("/dev/null", "a device"), ("{tmp}", "a folder")])
def test_devices_and_folders_are_refused(tmp_path, path, kind):
    path = path.format(tmp=tmp_path)
    if not os.path.exists(path):
        pytest.skip(f"{path} does not exist here")
    with pytest.raises(ValueError, match=f"is {kind}, not a file"):
        datasets.make_dataset(f"csv:{path}")


def test_progress_and_cancel(tmp_path):
    p = tmp_path / "slow.csv"
    big_csv(p, 40_000)
    size = os.path.getsize(p)
    seen = []
    csv_table.read_table(str(p), datasets.MAX_CSV_BYTES, progress=lambda done, total: seen.append((done, total)))
    assert len(seen) >= 3 and seen[-1] == (size, size) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    csv_table.forget()
    polls = []
    with pytest.raises(Cancelled):
        datasets.make_dataset(f"csv:{p}", cancel=lambda: polls.append(1) or len(polls) > 6)
    assert len(polls) == 7  # checked once per block, and it stopped at the first yes


def test_a_big_table_is_read_once_until_the_file_changes(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_table, "REMEMBER_BYTES", 1)
    p = tmp_path / "same.csv"
    p.write_text("x,y\n1,2\n3,4\n5,6\n")
    parsed = []
    real = csv_table._parse
    monkeypatch.setattr(csv_table, "_parse", lambda *a: parsed.append(1) or real(*a))
    first = datasets.make_dataset(f"csv:{p}", test_fraction=0.0)
    again = datasets.make_dataset(f"csv:{p}", target="x", test_fraction=0.0)
    assert len(parsed) == 1 and first.feature_names == ("x",) and again.feature_names == ("y",)
    p.write_text("x,y\n1,2\n3,4\n5,6\n7,8\n")  # a new size (and time): read again
    assert len(datasets.make_dataset(f"csv:{p}", test_fraction=0.0).X_train) == 4 and len(parsed) == 2
