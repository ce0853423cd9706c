"""The run's status as the user sees it: a stall is not convergence (no ★), and a saddle is named."""

import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from gdsim.lab import config
from gdsim.ui.main_window import MainWindow


def run_button(win) -> QtWidgets.QAbstractButton:
    return win.findChild(QtWidgets.QAbstractButton, "runButton")


def test_dead_relu_ends_stalled_with_its_reasons_and_no_star(win, qtbot):
    win.open_preset("dead_relu")
    qtbot.waitUntil(lambda: win.snapshot.step == 0, timeout=5000)
    QTest.mouseClick(run_button(win), QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.snapshot.status != "running", timeout=60000)
    assert win.snapshot.status == "stalled"
    label = win.status_labels["status"]
    assert "stalled" in label.text()
    assert "chance level" in label.toolTip() and "ReLU units are dead" in label.toolTip()
    assert "10× its starting size" in label.toolTip() and "5 epochs in a row" in label.toolTip()  # the rule
    assert "chance level" in win.statusBar().currentMessage()
    assert win.loss_curve.status_text().startswith("stalled at step")
    assert win.loss_curve._status_dot.opts["symbol"] != "star"


def test_a_saddle_is_named_beside_the_stability_limit(qtbot, tmp_path):
    QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope, str(tmp_path))
    cfg = config.Config(problem=config.ProblemConfig(dataset="function:x**2 - 3*y**2", start=(0.5, 0.2)))
    w = MainWindow(cfg, restore_layout=False)
    qtbot.addWidget(w)
    w.show()
    try:
        label = w.status_labels["limit"]
        qtbot.waitUntil(lambda: "saddle" in label.text(), timeout=10000)
        assert label.text() == "2/λmax 1 · saddle"  # the curvature 2 limits η to 1; the −6 does not
        assert "λmin = -6" in label.toolTip()
        assert w.lr_control.limit == pytest.approx(1.0)
    finally:
        w.shutdown()
