"""The window keeps its state in an AppState: a comparison is filed under the problem it was computed for."""

from __future__ import annotations

from PySide6 import QtCore
from PySide6.QtTest import QTest

from gdsim.lab.state import AppState


def test_the_window_state_is_an_app_state(win):
    assert isinstance(win.state, AppState)
    assert win.state.config == win.current_config() and win.state.problem
    assert win.snapshot is win.state.snapshot and win.errors is win.state.errors


def test_a_comparison_belongs_to_the_problem_it_ran_on(win, qtbot):
    win.docks["Compare"].raise_()
    win.compare.values.setText("0.1, 1")
    win.compare.epochs.setValue(5)
    QTest.mouseClick(win.compare.run_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.compare.result() is not None, timeout=20000)
    (filed,) = win.state.results_for_current("compare")
    assert filed.value is win.compare.result() and filed.problem == win.state.problem
    ran_on = win.state.problem

    win.lr_control.spin.setValue(0.2)  # another η: the same problem
    qtbot.waitUntil(lambda: win.snapshot.lr == 0.2, timeout=5000)
    assert win.state.results_for_current("compare") == [filed]

    QTest.mouseClick(win.setup.rows[0].plus, QtCore.Qt.MouseButton.LeftButton)  # another architecture
    qtbot.waitUntil(lambda: win.snapshot.sizes == (2, 5, 1), timeout=5000)
    assert win.state.problem != ran_on
    assert win.state.results_for_current() == [] and win.state.stale_results("compare") == [filed]
