"""The learning-rate lab's panels: compare runs, the η sweep and the schedule plot, fed with real engine results."""

from __future__ import annotations

import csv
import math
import struct
import xml.etree.ElementTree as ET

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore

from gdsim.engine import analysis, schedules
from gdsim.lab import compare, config
from gdsim.ui.panels.compare_panel import BEHAVIOUR_RULES, ComparePanel
from gdsim.ui.panels.sweep_panel import SweepPanel
from gdsim.ui.plotting.compare_plot import DIVERGE_CEILING
from gdsim.ui.plotting.schedule_plot import SchedulePlot

BEHAVIOUR_COLUMN = 4


@pytest.fixture(scope="module")
def xor_result():
    return compare.compare_lrs(config.load_preset("xor"), [0.01, 0.1, 1, 10], 50)


@pytest.fixture(scope="module")
def bowl_result():
    """A quadratic bowl (2/λmax = 0.2): slow, smooth, oscillating and two diverged runs."""
    return compare.compare_lrs(config.load_preset("elongated_bowl"), [0.001, 0.1, 0.19, 0.21, 1], 50)


@pytest.fixture(scope="module")
def sweep_result():
    return compare.run_sweep(config.load_preset("xor"), compare.parse_lrs("1e-3:10:8"), 50)


@pytest.fixture
def panel(qtbot):
    w = ComparePanel()
    qtbot.addWidget(w)
    w.resize(560, 420)
    w.show()
    qtbot.waitExposed(w)
    return w


@pytest.fixture
def sweep_panel(qtbot):
    w = SweepPanel()
    qtbot.addWidget(w)
    w.resize(560, 420)
    w.show()
    qtbot.waitExposed(w)
    return w


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def column(table, c: int) -> list[str]:
    return [table.item(r, c).text() for r in range(table.rowCount())]


# ---------------------------------------------------------------------------------------------- compare: the form

def test_run_emits_the_parsed_request(panel, qtbot):
    assert panel.values.text() == "0.001, 0.01, 0.1, 1, 10"
    panel.epochs.setValue(40)
    with qtbot.waitSignal(panel.sigRun) as sig:
        qtbot.mouseClick(panel.run_button, QtCore.Qt.MouseButton.LeftButton)
    assert sig.args[0] == {"mode": "lr", "values": compare.default_lrs(), "epochs": 40, "target": None}

    panel.values.setText("1e-3:1:4")
    panel.target.setText("0.05")
    with qtbot.waitSignal(panel.sigRun) as sig:
        panel.run()
    assert sig.args[0]["values"] == compare.parse_lrs("1e-3:1:4")
    assert sig.args[0]["target"] == 0.05


@pytest.mark.parametrize("text, words", [("0.1, abc", "not a number"), ("0.1, -1", "positive"),
                                         ("0.1,,1", "empty value"), ("", "empty")])
def test_bad_lr_text_shows_the_hint_and_does_not_emit(panel, qtbot, text, words):
    panel.values.setText(text)
    assert words in panel.hint_text()
    assert panel.hint.isVisible()
    assert not panel.run_button.isEnabled()
    with qtbot.assertNotEmitted(panel.sigRun):
        panel.run()
    panel.values.setText("0.1, 1")
    assert panel.hint_text() == "" and panel.run_button.isEnabled()


def test_bad_target_shows_the_hint(panel, qtbot):
    panel.target.setText("low")
    assert "target loss" in panel.hint_text()
    with qtbot.assertNotEmitted(panel.sigRun):
        panel.run()


def test_optimizer_mode(panel, qtbot):
    panel.values.setText("0.5, 5")
    panel.mode.setCurrentIndex(1)
    assert panel.values.text() == "sgd, momentum, adam"
    with qtbot.waitSignal(panel.sigRun) as sig:
        panel.run()
    assert sig.args[0] == {"mode": "optimizer", "values": ["sgd", "momentum", "adam"], "epochs": 100,
                           "target": None, "default_lr": False}
    panel.values.setText("sgd, adamw")
    assert "'adamw'" in panel.hint_text() and "nesterov" in panel.hint_text()
    with qtbot.assertNotEmitted(panel.sigRun):
        panel.run()
    panel.mode.setCurrentIndex(0)  # each mode keeps its own text
    assert panel.values.text() == "0.5, 5" and panel.hint_text() == ""


def test_cancel_busy_and_progress(panel, qtbot, xor_result):
    assert not panel.cancel_button.isEnabled()
    panel.set_busy(True)
    assert not panel.run_button.isEnabled() and not panel.values.isEnabled()
    with qtbot.waitSignal(panel.sigCancel):
        qtbot.mouseClick(panel.cancel_button, QtCore.Qt.MouseButton.LeftButton)
    panel.show_progress(30, 200)
    assert (panel.progress.value(), panel.progress.maximum()) == (30, 200)
    panel.show_progress(200, 200)
    assert panel.progress.value() == 200
    panel.show_result(xor_result)  # a result ends the busy state
    assert panel.run_button.isEnabled() and not panel.cancel_button.isEnabled()


# ---------------------------------------------------------------------------------------------- compare: results

def test_show_result_fills_table_and_plot(panel, xor_result):
    panel.show_result(xor_result)
    runs = xor_result.runs
    assert panel.table.rowCount() == len(runs)
    assert column(panel.table, 0) == [r.label for r in runs]
    assert column(panel.table, BEHAVIOUR_COLUMN) == [r.behaviour for r in runs]
    assert "oscillating" in column(panel.table, BEHAVIOUR_COLUMN)
    curves = panel.curves()
    assert len(curves) == len(runs)
    for curve, run in zip(curves, runs, strict=True):
        assert np.array_equal(curve.xData, run.steps[:, 0]) and np.array_equal(curve.yData, run.steps[:, 1])
    assert panel.legend_labels() == [f"{r.label} · {r.behaviour}" for r in runs]
    assert panel.legend_labels()[-1] == "η = 10 · oscillating"
    colours = panel.colours()
    assert len(colours) == len(runs) == len(set(colours))
    assert [c.opts["pen"].color().getRgb()[:3] for c in curves] == colours


def test_behaviour_tooltips_explain_the_rules(panel, xor_result):
    panel.show_result(xor_result)
    for r in range(panel.table.rowCount()):
        item = panel.table.item(r, BEHAVIOUR_COLUMN)
        assert item.toolTip() == BEHAVIOUR_RULES[item.text()]
    assert "reversed direction" in BEHAVIOUR_RULES["oscillating"]
    header_tip = panel.table.horizontalHeaderItem(BEHAVIOUR_COLUMN).toolTip()
    assert all(rule in header_tip for rule in BEHAVIOUR_RULES.values())
    assert set(BEHAVIOUR_RULES) == set(analysis.BEHAVIOURS)


def test_diverged_runs_end_with_a_cross_below_the_ceiling(panel, bowl_result):
    panel.show_result(bowl_result)
    behaviours = [r.behaviour for r in bowl_result.runs]
    assert {"smooth", "oscillating", "diverged"} <= set(behaviours)
    crosses = [i for i in panel.plot.getPlotItem().listDataItems() if i.opts.get("symbol") == "x"]
    assert len(crosses) == behaviours.count("diverged")
    ceiling = DIVERGE_CEILING * max(r.steps[0, 1] for r in bowl_result.runs)
    for curve, run in zip(panel.curves(), bowl_result.runs, strict=True):
        assert np.all(np.isfinite(curve.yData)) and curve.yData.max() <= ceiling * (1 + 1e-12)
        if run.behaviour == "diverged":
            assert any(c.xData[0] == curve.xData[-1] for c in crosses)
    assert column(panel.table, 3)[behaviours.index("diverged")] in ("diverged", "epoch limit")


def test_table_sorts_numbers_as_numbers(panel, bowl_result):
    panel.show_result(bowl_result)
    panel.table.sortByColumn(1, QtCore.Qt.SortOrder.AscendingOrder)
    shown = [float(t) for t in column(panel.table, 1)]
    assert shown == sorted(shown)
    panel.table.sortByColumn(2, QtCore.Qt.SortOrder.AscendingOrder)  # "–" (never reached) sorts last
    reached = column(panel.table, 2)
    assert reached[0] != "–" and reached[-1] == "–"
    assert not panel.table.item(0, 0).flags() & QtCore.Qt.ItemFlag.ItemIsEditable


def test_export_buttons_emit_requests(panel, qtbot, xor_result):
    assert not panel.export_plot_button.isEnabled()
    panel.show_result(xor_result)
    for button, what in ((panel.export_plot_button, "plot"), (panel.export_table_button, "table")):
        with qtbot.waitSignal(panel.sigExportRequested) as sig:
            qtbot.mouseClick(button, QtCore.Qt.MouseButton.LeftButton)
        assert sig.args == [what]


def test_compare_exports(panel, xor_result, tmp_path):
    with pytest.raises(ValueError, match="run a comparison"):
        panel.export_table(tmp_path / "t.csv")
    panel.show_result(xor_result)
    panel.export_plot(tmp_path / "c.png", width=800)
    assert png_size((tmp_path / "c.png").read_bytes())[0] == 800
    panel.export_plot(tmp_path / "c.svg")
    root = ET.parse(tmp_path / "c.svg").getroot()
    texts = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    assert root.tag.endswith("svg") and "oscillating" in texts  # the legend is drawn as text
    panel.export_table(tmp_path / "t.csv")
    rows = list(csv.reader((tmp_path / "t.csv").open()))
    assert rows[0] == [*compare.TABLE_HEADER, "two_over_lambda_max"]
    assert [r[0] for r in rows[1:]] == [r.label for r in xor_result.runs]
    assert [r[6] for r in rows[1:]] == [r.behaviour for r in xor_result.runs]
    with pytest.raises(ValueError, match=r"\.png"):
        panel.export_plot(tmp_path / "c.txt")


# ---------------------------------------------------------------------------------------------- sweep

def test_sweep_request(sweep_panel, qtbot):
    with qtbot.waitSignal(sweep_panel.sigRun) as sig:
        qtbot.mouseClick(sweep_panel.run_button, QtCore.Qt.MouseButton.LeftButton)
    assert sig.args[0] == {"lrs": compare.parse_lrs("1e-5:10:20"), "epochs": 100}
    sweep_panel.lr_list.setText("0.01, 0.1")
    with qtbot.waitSignal(sweep_panel.sigRun) as sig:
        sweep_panel.run()
    assert sig.args[0]["lrs"] == [0.01, 0.1]


def test_sweep_bad_range_shows_the_hint(sweep_panel, qtbot):
    sweep_panel.lr_to.setText("1e-6")
    assert "below its stop" in sweep_panel.hint_text()
    sweep_panel.lr_to.setText("ten")
    assert "not a number" in sweep_panel.hint_text()
    with qtbot.assertNotEmitted(sweep_panel.sigRun):
        sweep_panel.run()
    sweep_panel.lr_to.setText("10")
    assert sweep_panel.hint_text() == "" and sweep_panel.run_button.isEnabled()


def test_sweep_shows_best_lr_and_emits_it(sweep_panel, qtbot, sweep_result):
    sweep_panel.set_busy(True)
    with qtbot.waitSignal(sweep_panel.sigCancel):
        sweep_panel.cancel_button.click()
    sweep_panel.show_progress(5, 8)
    assert sweep_panel.progress.value() == 5
    old = sweep_panel.plot
    rows = compare.sweep_rows(sweep_result)
    sweep_panel.show_result(rows, sweep_result.limit)
    assert sweep_panel.plot is not old and sweep_panel.plot.objectName() == "sweepPlot"
    best = sweep_result.best()
    assert sweep_panel.best_lr() == best.lr
    assert f"{best.lr:.3g}" in sweep_panel.use_best.text() and sweep_panel.use_best.isEnabled()
    with qtbot.waitSignal(sweep_panel.sigUseLr) as sig:
        qtbot.mouseClick(sweep_panel.use_best, QtCore.Qt.MouseButton.LeftButton)
    assert sig.args == [best.lr]
    lines = [i for i in sweep_panel.plot.getPlotItem().items if isinstance(i, pg.InfiniteLine)]
    assert [line.value() for line in lines] == [pytest.approx(math.log10(sweep_result.limit))]
    assert f"{sweep_result.limit:.3g}" in sweep_panel.note.text()
    assert sweep_panel.cancel_button.isEnabled() is False


def test_sweep_takes_a_comparison_result_and_all_diverged(sweep_panel, qtbot, sweep_result):
    sweep_panel.show_result(sweep_result)
    assert sweep_panel.rows() == compare.sweep_rows(sweep_result)
    diverged = [{"lr": 1.0, "final_loss": math.inf, "status": "diverged", "behaviour": "diverged"}]
    sweep_panel.show_result(diverged, 0.5)
    assert sweep_panel.best_lr() is None and not sweep_panel.use_best.isEnabled()
    assert "every run diverged" in sweep_panel.note.text()


def test_sweep_exports(sweep_panel, sweep_result, tmp_path):
    with pytest.raises(ValueError, match="run a sweep"):
        sweep_panel.export_table(tmp_path / "s.csv")
    sweep_panel.show_result(sweep_result)
    sweep_panel.export_plot(tmp_path / "s.png", width=640)
    assert png_size((tmp_path / "s.png").read_bytes())[0] == 640
    sweep_panel.export_plot(tmp_path / "s.svg")
    assert ET.parse(tmp_path / "s.svg").getroot().tag.endswith("svg")
    sweep_panel.export_table(tmp_path / "s.csv")
    rows = list(csv.reader((tmp_path / "s.csv").open()))
    assert rows[0] == list(compare.SWEEP_KEYS) and len(rows) == 1 + len(sweep_result.runs)
    assert [float(r[0]) for r in rows[1:]] == [r.lr for r in sweep_result.runs]


# ---------------------------------------------------------------------------------------------- schedule

@pytest.fixture
def sched(qtbot):
    w = SchedulePlot()
    qtbot.addWidget(w)
    return w


@pytest.mark.parametrize("name, kw, log_y", [("constant", {}, False), ("step", {"step_size": 10, "gamma": 0.5}, True),
                                             ("exponential", {"gamma": 0.99}, False),
                                             ("cosine", {"t_max": 60}, False)])
def test_schedule_values_follow_the_engine(sched, name, kw, log_y):
    sched.show_schedule(name, 0.1, 80, kw)
    expected = schedules.curve(name, 0.1, 80, **kw)
    assert np.array_equal(sched.values(), expected)
    assert np.array_equal(sched._curve.yData, expected) and len(sched._curve.xData) == 81  # steps per epoch
    assert sched.log_y() is log_y
    assert sched.objectName() == "schedulePlot" and sched.height() == 120


def test_schedule_marker_follows_the_epoch(sched):
    sched.show_epoch(5)
    assert sched.marker() is None  # nothing to mark yet
    sched.show_schedule("step", 1.0, 50, {"step_size": 10, "gamma": 0.1})
    assert sched.marker() == (5.5, 1.0)  # an epoch set before the schedule is kept
    sched.show_epoch(25)
    assert sched.marker() == (25.5, pytest.approx(0.01))
    sched.show_epoch(70)  # past the drawn range: the same closed form
    assert sched.marker()[1] == pytest.approx(schedules.lr_at("step", 1.0, 70, step_size=10, gamma=0.1))
    with pytest.raises(ValueError, match="unknown schedule"):
        sched.show_schedule("warmup", 1.0, 10)


def test_a_run_cancelled_before_any_result(panel, sweep_panel, xor_result):
    panel.show_result(xor_result)
    panel.show_result(compare.ComparisonResult([], 50, None, cancelled=True))
    assert panel.table.rowCount() == 0 and panel.curves() == [] and panel.colours() == []
    assert "cancelled" in panel.note.text() and not panel.export_table_button.isEnabled()
    cut = compare.ComparisonResult(xor_result.runs[:1], 50, None, cancelled=True)
    sweep_panel.show_result(cut)
    assert len(sweep_panel.rows()) == 1 and "cancelled" in sweep_panel.note.text()
