"""The training form driven as a person would: choosing an optimizer proposes its η, schedule arguments."""

import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest
from windows import choose

from gdsim.engine import schedules
from gdsim.lab import config

# a combo's popup under the offscreen platform: notices about raising windows and grabbing the keyboard
pytestmark = pytest.mark.qt_log_ignore("does not support raise", "does not support grabbing the keyboard",
                                       extend=True)


def type_into(spin: QtWidgets.QAbstractSpinBox, text: str) -> None:
    spin.setFocus()
    spin.selectAll()
    QTest.keyClicks(spin, text)
    QTest.keyClick(spin, QtCore.Qt.Key.Key_Return)


def test_choosing_adam_proposes_its_default_lr_and_says_so(win, qtbot):
    assert win.lr_control.value() == 0.5  # the xor preset's η
    choose(qtbot, win.findChild(QtWidgets.QComboBox, "optimizerCombo"), "adam")
    assert win.lr_control.value() == 0.001
    qtbot.waitUntil(lambda: win.snapshot.lr == 0.001, timeout=5000)  # the run now trains at it
    hint = win.findChild(QtWidgets.QLabel, "lrHint")
    assert hint.isVisibleTo(win.setup) and "0.001" in hint.text() and "adam" in hint.text()
    choose(qtbot, win.findChild(QtWidgets.QComboBox, "optimizerCombo"), "rmsprop")
    assert win.lr_control.value() == 0.01


def test_lr_typed_by_the_user_is_kept_when_switching(win, qtbot):
    type_into(win.findChild(QtWidgets.QDoubleSpinBox, "learningRateSpin"), "0.05")
    qtbot.waitUntil(lambda: win.snapshot.lr == 0.05, timeout=5000)
    choose(qtbot, win.findChild(QtWidgets.QComboBox, "optimizerCombo"), "adam")
    assert win.lr_control.value() == 0.05
    assert win.current_config().training.optimizer == "adam"
    hint = win.findChild(QtWidgets.QLabel, "lrHint")
    assert "kept" in hint.text() and "0.001" in hint.text()
    win.open_preset("xor")  # a new set-up: proposing is back on
    choose(qtbot, win.findChild(QtWidgets.QComboBox, "optimizerCombo"), "adam")
    assert win.lr_control.value() == 0.001


def test_cosine_fields_default_to_the_run_and_take_typed_values(win, qtbot):
    type_into(win.setup.max_epochs, "300")
    choose(qtbot, win.findChild(QtWidgets.QComboBox, "scheduleCombo"), "cosine")
    t_max = win.setup.schedule_form.fields["t_max"]
    assert t_max.text() == "auto: the run's epochs" and set(win.setup.schedule_form.fields) == {"t_max", "eta_min"}
    values = win.setup.schedule_plot.values()
    assert len(values) == 300 and values[150] == pytest.approx(0.25)  # η0/2 half way through the 300 epochs
    type_into(t_max, "50")
    cfg = win.current_config()
    assert cfg.training.schedule_kwargs == {"t_max": 50, "eta_min": 0.0}
    assert win.setup.schedule_plot.values()[25] == pytest.approx(0.25)
    type_into(win.setup.schedule_form.fields["eta_min"], "0.1")
    assert win.current_config().training.schedule_kwargs == {"t_max": 50, "eta_min": 0.1}
    assert win.setup.schedule_plot.values()[-1] == pytest.approx(0.1)


def test_step_and_exponential_fields(win, qtbot):
    choose(qtbot, win.findChild(QtWidgets.QComboBox, "scheduleCombo"), "step")
    form = win.setup.schedule_form
    assert set(form.fields) == {"step_size", "gamma"} and form.fields["gamma"].value() == 0.1  # torch's default
    type_into(form.fields["step_size"], "20")
    assert win.current_config().training.schedule_kwargs == {"step_size": 20, "gamma": 0.1}
    choose(qtbot, win.findChild(QtWidgets.QComboBox, "scheduleCombo"), "exponential")
    assert form.fields["gamma"].text() == "auto: η/100 at the end"
    assert win.current_config().training.schedule_kwargs == {}
    type_into(form.fields["gamma"], "0.9")
    assert win.current_config().training.schedule_kwargs == {"gamma": 0.9}


def test_a_config_with_schedule_arguments_fills_the_fields(win, qtbot):
    cfg = config.load_preset("xor").with_changes(training={"schedule": "step",
                                                           "schedule_kwargs": {"step_size": 7, "gamma": 0.5}})
    win.setup.set_config(cfg)
    form = win.setup.schedule_form
    assert form.fields["step_size"].value() == 7 and form.fields["gamma"].value() == 0.5
    assert win.current_config().training.schedule_kwargs == {"step_size": 7, "gamma": 0.5}
    assert schedules.resolve("step", 200, **form.values()) == {"step_size": 7, "gamma": 0.5}
