"""The run's status as the user sees it: a stall is not convergence (no ★), and a saddle is named."""

import pytest
from PySide6 import QtCore, QtGui, QtWidgets
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
        assert label.text() == "largest stable η ≈ 1 · saddle"  # the curvature 2 limits η to 1; the −6 does not
        assert "λmin = -6" in label.toolTip()
        assert w.lr_control.limit == pytest.approx(1.0)
    finally:
        w.shutdown()


def open_window(qtbot, tmp_path, cfg) -> MainWindow:
    QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope, str(tmp_path))
    w = MainWindow(cfg, restore_layout=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.snapshot is not None)
    return w


def test_a_run_that_reaches_its_epochs_says_so_in_words(qtbot, tmp_path):
    w = open_window(qtbot, tmp_path, config.load_preset("xor").with_changes(training={"epochs": 20}))
    try:
        QTest.mouseClick(run_button(w), QtCore.Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: w.snapshot.status != "running", timeout=30000)
        label = w.status_labels["status"]
        assert "epoch limit" in label.text() and "max_epochs" not in label.text()
        assert w.statusBar().currentMessage() == "stopped at the epoch limit (20 epochs)"
        assert "stopped at the epoch limit" in label.toolTip() and "max_epochs" not in label.toolTip()
    finally:
        w.shutdown()


def test_the_stability_edge_is_named_the_largest_stable_eta(win, qtbot):
    label, hint = win.status_labels["limit"], win.lr_control.hint
    qtbot.waitUntil(lambda: win.lam is not None and label.text() != "", timeout=10000)
    limit = 2 / win.lam
    assert label.text().startswith("largest stable η ≈ ") and "2/λmax" in label.toolTip()
    assert f"{limit:.3g}" in label.text()
    shown = QtGui.QTextDocument()
    shown.setHtml(hint.text())  # what the label draws: a bare "<" in rich text swallowed the number
    assert f"stable η < {limit:.3g}" in shown.toPlainText() and "largest stable η" in hint.toolTip()
    assert win.lr_control.label.text() == "learning rate η"


def test_a_concave_spot_says_there_is_no_curvature_limit(qtbot, tmp_path):
    cfg = config.Config(problem=config.ProblemConfig(dataset="function:-x**2 - y**2", start=(0.5, 0.2)))
    w = open_window(qtbot, tmp_path, cfg)
    try:
        label = w.status_labels["limit"]
        qtbot.waitUntil(lambda: label.text() != "", timeout=10000)
        assert label.text() == "no η limit here (flat or concave)" and "λmax" not in label.text()
        assert "no curvature limit on η here (flat or concave)" in label.toolTip()
    finally:
        w.shutdown()


def test_the_stability_words_follow_a_typed_eta(win, qtbot):
    label = win.status_labels["limit"]
    qtbot.waitUntil(lambda: win.lam is not None and label.text() != "", timeout=10000)
    assert "η is below that edge now" in label.toolTip()
    spin = win.lr_control.spin
    QTest.mouseClick(spin.lineEdit(), QtCore.Qt.MouseButton.LeftButton)
    spin.selectAll()
    QTest.keyClicks(spin, "90")  # XOR's largest stable η is 13–19
    QTest.keyClick(spin, QtCore.Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.snapshot.lr == 90, timeout=5000)
    assert "η is above that edge now" in label.toolTip() and "below" not in label.toolTip()
