"""Tables without Qt: the path check, CSV (atomic, NaN as empty) and the loss history's rows."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import numpy as np
import pytest

from gdsim.io import tables

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def histories():
    steps = np.arange(1, 11, dtype=float)
    sh = np.column_stack([steps, 1.0 / steps, steps * 0.1, np.full(10, 0.05)])
    sh[4, 1] = np.nan
    eh = np.array([[1, 5, 0.5, 0.6, 0.8, 0.7], [2, 10, 0.25, np.nan, 0.9, np.nan]])
    return sh, eh


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


@pytest.mark.parametrize("name, ext", [("a.png", "png"), ("A.SVG", "svg"), ("b.Csv", "csv")])
def test_check_path_accepts_allowed_extensions_case_insensitively(tmp_path, name, ext):
    assert tables.check_path(tmp_path / name, ("png", "svg", "csv")) == ext


def test_check_path_rejects_other_extensions_with_a_clear_message(tmp_path):
    with pytest.raises(ValueError, match=r"cannot write '.*x\.jpg': choose a \.png, \.svg or \.csv file"):
        tables.check_path(str(tmp_path / "x.jpg"), ("png", "svg", "csv"))
    with pytest.raises(ValueError, match="choose a .png file"):
        tables.check_path(str(tmp_path / "noext"), ("png",))


def test_check_path_needs_an_existing_folder(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        tables.check_path(tmp_path / "missing" / "x.png", ("png",))
    (tmp_path / "d.png").mkdir()
    with pytest.raises(ValueError, match="folder"):
        tables.check_path(tmp_path / "d.png", ("png",))


def test_write_csv_is_atomic_and_writes_nan_as_empty(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("old")
    tables.write_csv(path, ["a", "b", "c"], [[1, 0.5, float("nan")], [2.0, float("inf"), "x"]])
    assert read_csv(path) == [["a", "b", "c"], ["1", "0.5", ""], ["2", "inf", "x"]]
    assert os.listdir(tmp_path) == ["t.csv"]  # no temporary file left behind


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("old")

    def rows():
        yield [1, 2]
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        tables.write_csv(path, ["a", "b"], rows())
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["t.csv"]


def test_loss_csv_rows_one_row_per_step_with_epoch_columns_on_epoch_ends():
    sh, eh = histories()
    header, rows = tables.loss_csv_rows(sh, eh)
    assert header == ["step", "loss", "grad_norm", "lr", "epoch", "train_loss", "test_loss"]
    assert len(rows) == 10
    assert [r[0] for r in rows] == list(range(1, 11))
    filled = [r for r in rows if r[4] is not None]
    assert [(r[0], r[4], r[5]) for r in filled] == [(5, 1, 0.5), (10, 2, 0.25)]
    assert all(r[4:] == [None, None, None] for r in rows if r[0] not in (5, 10))


def test_loss_csv_keeps_epochs_that_ended_on_an_unrecorded_step(tmp_path):
    sh, eh = histories()
    sh = sh[::2]  # a decimated history: steps 1, 3, 5, 7, 9 only
    header, rows = tables.loss_csv_rows(sh, eh)
    assert [r[0] for r in rows] == [1, 3, 5, 7, 9, 10]
    assert rows[-1][1:4] == [None, None, None] and rows[-1][4:6] == [2, 0.25]
    tables.write_csv(tmp_path / "l.csv", header, rows)
    lines = read_csv(tmp_path / "l.csv")
    assert lines[-1] == ["10", "", "", "", "2", "0.25", ""]
    assert lines[3] == ["5", "", "0.5", "0.05", "1", "0.5", "0.6"]  # NaN loss -> empty


def test_write_loss_csv_from_a_trainer(tmp_path):
    from gdsim.lab import config

    trainer = config.build(config.Config()).trainer
    trainer.run(12)
    tables.write_loss_csv(tmp_path / "loss.csv", trainer.step_history.array(), trainer.epoch_history.array())
    lines = read_csv(tmp_path / "loss.csv")
    assert lines[0] == tables.LOSS_HEADER
    assert len(lines) - 1 == len(trainer.step_history) == 12
    assert all(line[4] for line in lines[1:])  # full batch: every step ends an epoch
    assert float(lines[-1][5]) == pytest.approx(trainer.epoch_history.last()[2])


def test_write_loss_csv_without_a_history_is_the_header_alone(tmp_path):
    tables.write_loss_csv(tmp_path / "empty.csv")
    assert read_csv(tmp_path / "empty.csv") == [tables.LOSS_HEADER]


def test_write_records_keeps_the_key_order(tmp_path):
    rows = [{"status": "ok", "lr": 0.1, "final_loss": float("nan")}, {"lr": 1, "status": "diverged", "final_loss": 2.5}]
    tables.write_records(tmp_path / "r.csv", ("lr", "final_loss", "status"), rows)
    assert read_csv(tmp_path / "r.csv") == [["lr", "final_loss", "status"], ["0.1", "", "ok"], ["1", "2.5", "diverged"]]


def test_tables_stay_headless(tmp_path):
    code = ("import sys; from gdsim.lab import config; from gdsim.io import tables, surface_csv; "
            "b = config.build(config.Config()); b.trainer.run(3); "
            f"tables.write_loss_csv({str(tmp_path / 'l.csv')!r}, b.trainer.step_history.array(), "
            "b.trainer.epoch_history.array()); "
            "assert not [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph'))], 'Qt imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    assert len(read_csv(tmp_path / "l.csv")) == 4
