"""A comparison, race or sweep belongs to the problem it ran on: when the problem changes its paths leave the
surfaces and its panel says it is another problem's."""

import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from gdsim.lab import config
from gdsim.ui.controllers.lab import STALE
from gdsim.ui.main_window import MainWindow
from gdsim.ui.panels.setup import CUSTOM

pytestmark = pytest.mark.qt_log_ignore("does not support raise", "does not support grabbing the keyboard",
                                       extend=True)


@pytest.fixture
def window_options():
    return {"cfg": config.load_preset("rosenbrock"), "size": (1280, 900), "exposed": True}


def race_paths(win) -> list:
    return list(win.surface2d._extra._items) + list(win.surface1d._extra._items)


def run_race(qtbot, win) -> None:
    win.docks["Compare"].raise_()
    win.compare.mode.setCurrentIndex(win.compare.mode.findData("optimizer"))
    win.compare.epochs.setValue(20)
    QTest.mouseClick(win.compare.run_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.compare.result() is not None, timeout=30000)


def test_a_race_leaves_the_surface_of_another_problem(qtbot, win):
    win.docks["Loss surface"].raise_()
    qtbot.waitUntil(lambda: win.surface2d.grid() is not None, timeout=20000)
    run_race(qtbot, win)
    assert race_paths(win)  # drawn on the problem it ran on
    ran_on = win.state.problem

    win.open_preset("package")
    qtbot.waitUntil(lambda: win.state.problem != ran_on, timeout=10000)
    assert race_paths(win) == []
    assert win.compare.note.text() == STALE
    assert win.state.results_for_current("compare") == []


def test_a_typed_function_is_another_problem_too(qtbot, win):
    win.docks["Loss surface"].raise_()
    qtbot.waitUntil(lambda: win.surface2d.grid() is not None, timeout=20000)
    run_race(qtbot, win)
    ran_on = win.state.problem
    win.setup.dataset.setCurrentIndex(win.setup.dataset.findText(CUSTOM))
    field = win.setup.expression
    field.setFocus()
    QTest.keyClick(field, QtCore.Qt.Key.Key_A, QtCore.Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(field, "x**2 + 2*y**2")
    QTest.keyClick(field, QtCore.Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.state.problem != ran_on, timeout=10000)
    qtbot.waitUntil(lambda: win.surface2d.grid() is not None, timeout=20000)
    assert race_paths(win) == []
    assert win.compare.note.text() == STALE


def click_surface_at(win, x: float, y: float) -> None:
    """A real left click on the 2D surface at data position (x, y)."""
    s2d = win.surface2d
    vb = s2d.plot.getPlotItem().vb
    pos = s2d.plot.mapFromScene(vb.mapViewToScene(QtCore.QPointF(x, y)))
    QTest.mouseClick(s2d.plot.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=pos)


def test_click_to_start_on_a_function_surface_without_exact(qtbot, win):
    win.docks["Loss surface"].raise_()
    qtbot.waitUntil(lambda: win.surface2d.grid() is not None, timeout=20000)
    assert not win.surface2d.exact_check.isChecked()
    g = win.surface2d.grid()
    x = float(g.alphas[len(g.alphas) // 3] + g.offsets[0])
    y = float(g.betas[len(g.betas) // 3] + g.offsets[1])
    click_surface_at(win, x, y)
    qtbot.waitUntil(lambda: win.setup.start.text() != "", timeout=5000)
    sx, sy = (float(v) for v in win.setup.start.text().split(","))
    qtbot.waitUntil(lambda: win.snapshot.step == 0 and abs(win.snapshot.params[0] - sx) < 1e-9, timeout=5000)
    assert abs(sx - x) < 0.1 * abs(g.alphas[-1] - g.alphas[0]) and abs(sy - y) < 0.1 * abs(g.betas[-1] - g.betas[0])
    assert abs(win.snapshot.params[1] - sy) < 1e-9

    win.setup.dataset.setCurrentIndex(win.setup.dataset.findText(CUSTOM))  # another function: its own start
    assert win.setup.start.text() == ""


def test_drawing_a_point_keeps_the_test_split_and_the_feature_names(qtbot, tmp_path):
    QtCore.QStandardPaths.setTestModeEnabled(True)  # the drawn points' CSV goes to a test folder
    cfg = config.load_preset("xor").with_changes(training={"epochs": 0})
    win = MainWindow(cfg, restore_layout=False)
    qtbot.addWidget(win)
    win.resize(1280, 900)
    win.show()
    qtbot.waitExposed(win)
    try:
        qtbot.waitUntil(lambda: win.snapshot is not None)
        data = win.state.data
        n_before, names = len(data.X_train) + len(data.X_test), data.feature_names
        fraction = win.current_config().problem.test_fraction
        assert fraction > 0 and len(data.X_test)
        win.docks["Output"].raise_()
        view = win.output_view
        view.set_drawing(True)
        vb = view.getPlotItem().vb
        pos = view.mapFromScene(vb.mapViewToScene(QtCore.QPointF(0.1, 0.2)))
        QTest.mouseClick(view.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=pos)
        qtbot.waitUntil(lambda: win.state.data is not data, timeout=10000)
        new = win.state.data
        assert len(new.X_train) + len(new.X_test) == n_before + 1
        assert win.current_config().problem.test_fraction == fraction and len(new.X_test) > 0
        assert new.feature_names == names
    finally:
        win.shutdown()
        QtCore.QStandardPaths.setTestModeEnabled(False)


def test_a_function_puts_the_empty_output_view_away_and_data_brings_it_back(qtbot, win):
    """A function has no data: its Output dock was an empty plot taking a quarter of the window."""
    assert not win.docks["Output"].isVisible()  # rosenbrock: nothing to show there
    assert win.docks["Loss surface"].isVisible()
    win.open_preset("xor")
    qtbot.waitUntil(lambda: win.docks["Output"].isVisible(), timeout=5000)
    win.docks["Output"].close()  # the user closes it: the next function and the next data leave it closed
    win.open_preset("rosenbrock")
    win.open_preset("xor")
    assert not win.docks["Output"].isVisible()


def test_a_races_legend_sits_under_the_surface_not_over_its_paths(qtbot, win):
    win.docks["Loss surface"].raise_()
    qtbot.waitUntil(lambda: win.surface2d.grid() is not None, timeout=20000)
    run_race(qtbot, win)
    legend = win.surface2d._extra._legend
    assert legend is not None and legend.isVisible() and len(legend.items) >= 2
    plot_area = win.surface2d.plot.getPlotItem().vb.sceneBoundingRect()
    assert not legend.sceneBoundingRect().intersects(plot_area)
