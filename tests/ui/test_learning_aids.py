"""Learning aids: backprop inspector, gradient flow, CSV import dialog, history scrubber."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from gdsim.engine import datasets
from gdsim.engine.gradcheck import GradRow
from gdsim.lab import config, snapshot
from gdsim.lab.snapshot import frozen
from gdsim.ui.panels import gradient_flow, inspector
from gdsim.ui.panels.gradient_flow import GradientFlowPanel
from gdsim.ui.panels.inspector import InspectorPanel
from gdsim.ui.plotting import palette
from gdsim.ui.widgets import csv_import
from gdsim.ui.widgets.csv_import import CsvImportDialog
from gdsim.ui.widgets.scrubber import HistoryScrubber

MINUS = "\u2212"  # inspect.num writes a real minus sign


@pytest.fixture(scope="module")
def worked():
    b = config.build(config.load_preset("worked_example_221"))
    return b, snapshot.take(b.trainer, b.data)


@pytest.fixture
def panel(qtbot, worked):
    b, s = worked
    w = InspectorPanel()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.set_context(s, b.data, b.trainer.loss_name, s.current_lr)
    return w


def trained(name: str, epochs: int):
    b = config.build(config.load_preset(name))
    for _ in range(epochs):
        b.trainer.run_epoch()
    return b, snapshot.take(b.trainer, b.data)


# ---------------------------------------------------------------- inspector

def test_inspector_phases_and_navigation(qtbot, panel):
    # 2-2-1: forward ×2, loss, backward ×2, update ×2
    assert [p.name for p in panel.phases()] == ["forward", "forward", "loss", "backward", "backward",
                                                "update", "update"]
    assert panel.counter.text() == "phase 1 of 7"
    assert not panel.prev_button.isEnabled()
    phases = panel.phases()
    with qtbot.waitSignal(panel.sigHighlight) as blocker:
        qtbot.mouseClick(panel.next_button, QtCore.Qt.MouseButton.LeftButton)
    assert blocker.args == [list(phases[1].params)] == [[6, 7, 8]]
    assert panel.counter.text() == "phase 2 of 7"
    assert panel.title.text() == phases[1].title
    with qtbot.waitSignal(panel.sigHighlight) as blocker:
        panel.findChild(QtWidgets.QPushButton, "inspectorPrev").click()
    assert blocker.args == [list(phases[0].params)] == [[0, 1, 2, 3, 4, 5]]
    for _ in range(10):
        panel.next_button.click()
    assert panel.current_index() == 6 and not panel.next_button.isEnabled()
    with qtbot.waitSignal(panel.sigHighlight) as blocker:
        panel.hide()
    assert blocker.args == [None]


def test_inspector_shows_the_worked_example_numbers(panel):
    panel.show_phase(1)
    assert "z2[1] = 0.7·0.5 + 1·0.6 + 0 = 0.95" in panel.text_shown()
    panel.show_phase(2)
    assert "½(0.95 − 1)² = 0.00125" in panel.text_shown()
    panel.show_phase(3)
    text = panel.text_shown()
    assert f"δ2[1] = ∂L/∂z2[1] = (ŷ − y)·φ'(z) = (0.95 − 1)·1 = {MINUS}0.05" in text
    assert "-0.05" not in text  # a real minus sign, not a hyphen


def test_inspector_batch_mean_and_refresh(qtbot, panel):
    panel.batch_mean.setChecked(True)
    assert not panel.sample.isEnabled()
    panel.show_phase(3)
    assert "mean over 2 samples" in panel.text_shown()
    assert "step 0 · the batch mean" in panel.context_label.text()
    with qtbot.waitSignal(panel.sigRefreshRequested):
        panel.refresh.click()


def test_inspector_function_mode(qtbot):
    b = config.build(config.load_preset("rosenbrock"))
    assert b.data is None
    w = InspectorPanel()
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.sigHighlight) as blocker:
        w.set_context(snapshot.take(b.trainer), None, "mse", 0.01)
    assert blocker.args == [None]
    assert w.text_shown().startswith("The inspector works on networks")
    assert not w.next_button.isEnabled() and not w.check_button.isEnabled()
    assert w.phases() == []


def test_gradient_check_table(panel, worked):
    panel.tabs.setCurrentIndex(1)
    panel.check_button.click()
    n_params = len(worked[1].params)
    assert panel.table.rowCount() == n_params == 9
    assert [panel.table.item(r, 0).text() for r in range(n_params)] == list(worked[1].param_names)
    summary = panel.summary.text()
    assert re.match(r"max relative error \d\.\de-\d+: backprop agrees with finite differences", summary), summary
    assert float(summary.split()[3].rstrip(":")) < 1e-8
    assert all(panel.table.item(r, 3).background().style() == QtCore.Qt.BrushStyle.NoBrush for r in range(9))


def test_gradient_check_highlights_disagreement(panel, monkeypatch):
    rows = [GradRow("W1[1,1]", 1.0, 1.0, 0.0), GradRow("W1[1,2]", 1.0, 3.0, 0.5)] + \
        [GradRow(f"p{k}", 0.0, 0.0, 0.0) for k in range(7)]
    monkeypatch.setattr(inspector, "gradient_check", lambda *a, **k: rows)
    panel.check_gradients()
    assert panel.table.item(1, 2).background().color().name() == inspector.BAD_BRUSH.color().name()
    assert panel.table.item(0, 2).background().style() == QtCore.Qt.BrushStyle.NoBrush
    assert panel.summary.text().startswith("max relative error 5.0e-1 at W1[1,2]: 1 of 9 parameters disagree")


# ---------------------------------------------------------------- gradient flow

def test_gradient_flow_one_curve_per_layer(qtbot):
    b, s = trained("vanishing_sigmoid", 1)
    w = GradientFlowPanel()
    qtbot.addWidget(w)
    w.show_snapshot(s)
    assert len(w.curves()) == len(s.sizes) - 1 == 7
    assert [c.name() for c in w.curves()] == [f"layer {k}" for k in range(1, 8)]
    assert w.dead_relu_text() == ""  # no ReLU layers
    steps, norms = w.curve_data()
    np.testing.assert_array_equal(norms[-1], s.layer_grad_norms)
    w.show_snapshot(s)  # the step did not advance: nothing appended
    assert len(w.curve_data()[0]) == 1
    # vanishing: the first layer's gradient is far below the last one's
    assert norms[-1, 0] < 0.1 * norms[-1, -1]


def test_gradient_flow_bounded_and_masks_bad_values(qtbot, worked, monkeypatch):
    monkeypatch.setattr(gradient_flow, "MAX_SAMPLES", 50)
    s = worked[1]
    w = GradientFlowPanel()
    qtbot.addWidget(w)
    w.show()  # a hidden panel records but does not draw
    for step in range(1, 201):
        norms = [0.0, np.nan] if step % 7 == 0 else [1.0 / step, np.inf if step % 5 == 0 else 2.0]
        w.show_snapshot(dataclasses.replace(s, step=step, layer_grad_norms=frozen(norms)))
    steps, _ = w.curve_data()
    assert 25 <= len(steps) <= 50
    assert steps[-1] == 200 and steps[0] <= 4 and np.all(np.diff(steps) > 0)
    y = w.curves()[1].yData  # the drawn data: 0, NaN and inf masked as NaN
    assert np.all(np.isnan(y) | (y == 2.0)) and np.isnan(y).any()
    # a history snapshot (no gradients recorded) is ignored; a step going back starts a new run
    w.show_snapshot(dataclasses.replace(s, step=3, layer_grad_norms=frozen([])))
    assert w.curve_data()[0][-1] == 200
    w.show_snapshot(dataclasses.replace(s, step=1, layer_grad_norms=frozen([1.0, 1.0])))
    assert list(w.curve_data()[0]) == [1]
    w.clear()
    assert len(w.curve_data()[0]) == 0
    x = w.curves()[0].xData
    assert x is None or len(x) == 0


def test_gradient_flow_counts_dead_relus(qtbot):
    b, s = trained("dead_relu", 5)
    assert s.dead_relus > 0
    w = GradientFlowPanel()
    qtbot.addWidget(w)
    w.show_snapshot(s)
    assert len(w.curves()) == 3
    assert w.dead_relu_text() == f"dead ReLUs: {s.dead_relus} of 32"  # 16 + 16 hidden ReLUs


# ---------------------------------------------------------------- CSV import

def write(path, text):
    path.write_text(text)
    return str(path)


@pytest.fixture
def dialog(qtbot):
    d = CsvImportDialog()
    qtbot.addWidget(d)
    return d


def ok_button(d):
    return d.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok)


def test_csv_good_file(dialog, tmp_path):
    rows = "\n".join(f"{i * 0.5},{(i * 7) % 5},{i % 3}" for i in range(30))
    path = write(tmp_path / "good.csv", "x1,x2,label\n" + rows + "\n")
    dialog.set_path(path)
    assert dialog.is_valid() and ok_button(dialog).isEnabled()
    assert dialog.task.text().startswith("classification, 3 classes")
    assert dialog.preview.rowCount() == 20 and dialog.preview.columnCount() == 3
    assert dialog.target.currentText() == "label"
    assert dialog.result_problem() == {"dataset": "csv:" + path, "target": "label", "task": None}
    dialog.features.item(1).setCheckState(QtCore.Qt.CheckState.Unchecked)
    assert dialog.result_problem() == {"dataset": "csv:" + path, "target": "label", "features": ["x1"], "task": None}
    dialog.target.setCurrentText("x1")  # regression on x1 from x2 (x1 has 30 distinct values)
    assert dialog.task.text().startswith("regression")
    assert [dialog.features.item(i).text() for i in range(2)] == ["x2", "label"]
    assert dialog.selected_features() == ["label"]  # x2 stays left out, label comes back checked
    # the problem loads exactly as training will load it
    r = dialog.result_problem()
    data = datasets.make_dataset(r["dataset"], target=r["target"], features=r["features"])
    assert data.task == "regression" and data.feature_names == ("label",)


def test_csv_bad_cell_names_row_and_column(dialog, tmp_path):
    dialog.show()
    dialog.set_path(write(tmp_path / "bad.csv", "a,b,y\n1,2,0\n3,x7,1\n4,5,0\n"))
    assert not dialog.is_valid() and not ok_button(dialog).isEnabled()
    assert dialog.error_text() == "Line 3, column 'b': 'x7' is not a number"
    assert palette.ERROR_RED in dialog.error.styleSheet()  # the one error red
    assert dialog.preview.item(1, 1).background().color().name() == csv_import.BAD_CELL.color().name()
    assert dialog.result_problem() == {}
    dialog.set_path(write(tmp_path / "nan.csv", "a,b,y\n1,2,0\n3,4,1\n4,nan,0\n"))
    assert dialog.error_text() == "Line 4, column 'b': 'nan' is not finite"
    assert dialog.isVisible() and dialog.result() == 0  # an error never closes or accepts the dialog


@pytest.mark.parametrize("text, message", [
    ("", "File is empty"),
    ("a,b\n", "No data rows after the header"),
    ("a,b,y\n1,2,0\n3,4\n", "Line 3 has 2 cells, the header has 3"),
])
def test_csv_empty_and_ragged_files(dialog, tmp_path, text, message):
    dialog.set_path(write(tmp_path / "f.csv", text))
    assert dialog.error_text() == message
    assert not ok_button(dialog).isEnabled()


def test_csv_enormous_and_missing_files(dialog, tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "MAX_CSV_BYTES", 2**20)
    path = tmp_path / "big.csv"
    path.write_text("a,y\n" + "1.0,0\n2.0,1\n" * 100_000)
    dialog.set_path(str(path))
    assert "are refused" in dialog.error_text() and not ok_button(dialog).isEnabled()
    assert dialog.preview.rowCount() == 20  # the preview still shows the head of the file
    dialog.set_path(str(tmp_path / "nope.csv"))
    assert dialog.error_text() == "File not found" and not dialog.is_valid()
    dialog.set_path(write(tmp_path / "ok.csv", "a,y\n1,0\n2,1\n3,0\n"))
    assert dialog.is_valid() and dialog.error_text() == ""


# ---------------------------------------------------------------- history scrubber

@pytest.fixture(scope="module")
def run():
    b = config.build(config.load_preset("worked_example_221"))
    for _ in range(12):
        b.trainer.run_epoch()
    return b, snapshot.take(b.trainer, b.data)


def test_scrubber_drag_emits_that_rows_snapshot(qtbot, run):
    s = run[1]
    w = HistoryScrubber()
    qtbot.addWidget(w)
    w.show_snapshot(s)
    assert w.is_live() and w.live.isChecked()
    assert w.slider.value() == w.slider.maximum() == len(s.trajectory_steps) - 1
    with qtbot.waitSignal(w.sigScrub) as blocker:
        w.slider.setValue(5)
    got = blocker.args[0]
    np.testing.assert_array_equal(got.params, s.trajectory[5])
    assert got.step == int(s.trajectory_steps[5]) == 5
    assert not got.params.flags.writeable and not got.last_grad.flags.writeable
    assert got.output == {} and not np.any(got.last_grad) and not np.any(got.last_update)
    assert len(got.trajectory) == 6 and got.step_history[-1, 0] == 5
    assert got.loss == s.step_history[s.step_history[:, 0] == 5, 1][0]
    assert got.sizes == s.sizes and got.param_names == s.param_names
    assert not w.live.isChecked() and w.scrubbed_step() == 5 and w.label.text() == f"step 5 of {s.step}"
    with qtbot.waitSignal(w.sigScrub) as blocker:  # the keyboard works too
        qtbot.keyClick(w.slider, QtCore.Qt.Key.Key_Home)
    np.testing.assert_array_equal(blocker.args[0].params, s.trajectory[0])
    # a newer snapshot while scrubbed keeps the chosen step
    w.scrub_to(5)
    w.show_snapshot(dataclasses.replace(s, step=s.step + 1))
    assert w.slider.value() == 5 and w.scrubbed_step() == 5


def test_scrubber_live(qtbot, run):
    s = run[1]
    w = HistoryScrubber()
    qtbot.addWidget(w)
    w.show_snapshot(s)
    w.scrub_to(2)
    with qtbot.waitSignal(w.sigLive):
        qtbot.mouseClick(w.live, QtCore.Qt.MouseButton.LeftButton)
    assert w.is_live() and w.live.isChecked()
    assert w.slider.value() == w.slider.maximum() and w.label.text() == f"step {s.step}"
    with qtbot.assertNotEmitted(w.sigScrub):
        w.show_snapshot(s)
    # unchecking Live freezes the view on the latest recorded step
    with qtbot.waitSignal(w.sigScrub) as blocker:
        w.live.click()
    assert blocker.args[0].step == s.step and not w.is_live()
    # a new run (the step went back) returns to live
    with qtbot.waitSignal(w.sigLive):
        w.show_snapshot(snapshot.take(config.build(config.load_preset("worked_example_221")).trainer))
    assert w.is_live()


def test_csv_dialog_lets_the_user_choose_the_task(qtbot, tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("a,b,y\n" + "".join(f"{i},{i * 2},{i % 3}\n" for i in range(30)))
    d = CsvImportDialog()
    qtbot.addWidget(d)
    d.set_path(str(f))
    assert "classification" in d.task.text()
    d.task_choice.setCurrentText("regression")
    assert "regression" in d.task.text() and d.result_problem()["task"] == "regression"
