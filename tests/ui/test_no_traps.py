"""No traps in the forms, driven as a person would: the wheel over the Setup panel scrolls it, Space after typing η
runs, every optimizer switch takes effect, η beyond the slider is taken and said, fixed weights give way."""

import itertools

import pytest
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtTest import QTest
from windows import choose

from gdsim.engine import optimizers
from gdsim.lab import config
from gdsim.ui.widgets.lr_control import LR_MAX, LR_MIN, lr_to_tick

# a combo's popup under the offscreen platform: notices about raising windows and grabbing the keyboard
pytestmark = pytest.mark.qt_log_ignore("does not support raise", "does not support grabbing the keyboard",
                                       extend=True)

FIELDS = (QtWidgets.QComboBox, QtWidgets.QAbstractSpinBox)


@pytest.fixture
def window_options():
    return {"size": (1280, 640), "active": True}  # short enough that the Setup panel scrolls


def wheel_over(widget: QtWidgets.QWidget, notches: int = -1) -> None:
    """One real wheel notch (down for negative) at the widget's centre, through the window system."""
    window = widget.window()
    pos = widget.mapTo(window, widget.rect().center())
    QTest.wheelEvent(window.windowHandle(), QtCore.QPointF(pos), QtCore.QPoint(0, 120 * notches))


def setup_scroll(win) -> QtWidgets.QScrollBar:
    area = win.docks["Setup"].widget()
    assert isinstance(area, QtWidgets.QScrollArea) and area.verticalScrollBar().maximum() > 0
    return area.verticalScrollBar()


def type_into(spin: QtWidgets.QAbstractSpinBox, text: str) -> None:
    """Click into the field, select what is there, type and press Enter."""
    QTest.mouseClick(spin.lineEdit(), QtCore.Qt.MouseButton.LeftButton)
    spin.selectAll()
    QTest.keyClicks(spin, text)
    QTest.keyClick(spin, QtCore.Qt.Key.Key_Return)


def press(win, key) -> None:
    """A key press where a person's keyboard sends it: the focused widget, else the window."""
    QTest.keyClick(QtWidgets.QApplication.focusWidget() or win, key)


# ---------------------------------------------------------------- the wheel


def test_wheel_over_the_optimizer_and_samples_scrolls_the_panel(win, qtbot):
    bar = setup_scroll(win)
    optimizer = win.findChild(QtWidgets.QComboBox, "optimizerCombo")
    for field, read in ((optimizer, optimizer.currentText), (win.setup.samples, win.setup.samples.value)):
        bar.setValue(0)
        win.setup.parentWidget().parentWidget().ensureWidgetVisible(field)
        before, top = read(), bar.value()
        wheel_over(field)
        assert read() == before
        assert bar.value() > top  # the panel scrolled down instead
    assert win.errors == [] and win.cfg == win.current_config()


def test_the_wheel_changes_no_field_of_the_forms_or_the_toolbar_unless_focused(win, qtbot):
    win.docks["Compare"].raise_()
    win.docks["η sweep"].show()
    roots = [win.setup, win.toolbar, win.compare, win.sweep]
    fields = [f for root in roots for f in root.findChildren(QtWidgets.QWidget)
              if isinstance(f, FIELDS) and f.isVisible() and f.isEnabled()]
    assert len(fields) >= 15
    state = [(f.currentIndex() if isinstance(f, QtWidgets.QComboBox) else f.text()) for f in fields]
    for f in fields:
        win.setup.parentWidget().parentWidget().ensureWidgetVisible(f)
        for notches in (1, -1):
            wheel_over(f, notches)
    assert [(f.currentIndex() if isinstance(f, QtWidgets.QComboBox) else f.text()) for f in fields] == state


def test_a_focused_field_takes_the_wheel(win, qtbot):
    samples = win.setup.samples
    win.setup.parentWidget().parentWidget().ensureWidgetVisible(samples)
    QTest.mouseClick(samples.lineEdit(), QtCore.Qt.MouseButton.LeftButton)
    assert samples.hasFocus()
    wheel_over(samples, 1)
    assert samples.value() == 201


# ---------------------------------------------------------------- shortcuts after typing a number


def running_signals(win) -> list[int]:
    """What the worker's sigRunning says, collected in the worker's thread (qtbot.waitSignal would stop its
    timer from there)."""
    seen: list[int] = []
    win.worker.sigRunning.connect(seen.append, QtCore.Qt.ConnectionType.DirectConnection)
    return seen


@pytest.mark.parametrize("key", ["Space", "S", "E", "R"])
def test_shortcuts_work_right_after_typing_lr_and_enter(win, qtbot, key):
    spin = win.findChild(QtWidgets.QDoubleSpinBox, "learningRateSpin")
    type_into(spin, "0.3")
    assert win.lr_control.value() == 0.3 and not spin.hasFocus()
    qtbot.waitUntil(lambda: win.snapshot.lr == 0.3, timeout=5000)
    steps = win.snapshot.step
    if key == "Space":
        runs = running_signals(win)
        press(win, QtCore.Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: 1 in runs, timeout=5000)  # the worker says it runs
        press(win, QtCore.Qt.Key.Key_Space)  # Space again pauses
        qtbot.waitUntil(lambda: not win.worker.running, timeout=5000)
        qtbot.waitUntil(lambda: win.snapshot.step > steps, timeout=5000)
    elif key in ("S", "E"):
        press(win, getattr(QtCore.Qt.Key, f"Key_{key}"))
        qtbot.waitUntil(lambda: win.snapshot.step > steps, timeout=5000)
    else:
        press(win, QtCore.Qt.Key.Key_S)
        qtbot.waitUntil(lambda: win.snapshot.step == 1, timeout=5000)
        press(win, QtCore.Qt.Key.Key_R)
        qtbot.waitUntil(lambda: win.snapshot.step == 0, timeout=5000)
    assert spin.text() == "0.3" and win.lr_control.value() == 0.3  # the field kept the number


def test_space_and_letters_typed_into_a_focused_lr_field_are_not_text(win, qtbot):
    spin = win.findChild(QtWidgets.QDoubleSpinBox, "learningRateSpin")
    QTest.mouseClick(spin.lineEdit(), QtCore.Qt.MouseButton.LeftButton)
    spin.selectAll()
    QTest.keyClicks(spin, "2e-2")  # e is an exponent here, not the Epoch shortcut
    assert spin.lineEdit().text() == "2e-2" and spin.hasFocus()
    runs = running_signals(win)
    press(win, QtCore.Qt.Key.Key_Space)  # Space is never part of a number: it runs
    qtbot.waitUntil(lambda: 1 in runs, timeout=5000)
    press(win, QtCore.Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not win.worker.running, timeout=5000)
    assert "2e-2" in spin.lineEdit().text().replace(" ", "")


# ---------------------------------------------------------------- optimizer switches


def test_every_optimizer_switch_takes_effect_with_its_own_hyperparameters(win, qtbot):
    combo = win.findChild(QtWidgets.QComboBox, "optimizerCombo")
    pairs = list(itertools.permutations(optimizers.NAMES, 2))
    assert len(pairs) == 30
    for a, b in pairs:
        for name in (a, b):
            if combo.currentText() != name:
                choose(qtbot, combo, name)
            cfg = win.current_config()
            assert win.cfg == cfg, (a, b)  # the model was rebuilt with what the form shows
            assert cfg.training.optimizer == name
            assert set(cfg.training.optimizer_kwargs) == set(optimizers.DEFAULTS[name])
            assert set(win.setup.hyper_box.fields) == set(optimizers.DEFAULTS[name])
    assert win.errors == []


def test_an_edited_hyperparameter_does_not_follow_to_the_next_optimizer(win, qtbot):
    combo = win.findChild(QtWidgets.QComboBox, "optimizerCombo")
    choose(qtbot, combo, "momentum")
    type_into(win.setup.hyper_box.fields["momentum"], "0.5")
    assert win.cfg.training.optimizer_kwargs["momentum"] == 0.5
    choose(qtbot, combo, "rmsprop")  # rmsprop has a momentum too: it starts from its own default, 0
    assert win.cfg.training.optimizer_kwargs["momentum"] == 0.0 and win.errors == []


# ---------------------------------------------------------------- η beyond the slider


def test_the_slider_runs_from_1e_5_to_100():
    assert (LR_MIN, LR_MAX) == (1e-5, 100.0)
    assert lr_to_tick(100.0) > lr_to_tick(10.0) > lr_to_tick(1e-5) == 0


def test_lr_of_50_is_taken_and_beyond_100_is_said(win, qtbot):
    spin = win.findChild(QtWidgets.QDoubleSpinBox, "learningRateSpin")
    slider = win.findChild(QtWidgets.QSlider, "learningRateSlider")
    hint = win.findChild(QtWidgets.QLabel, "learningRateRangeHint")
    type_into(spin, "50")
    assert win.lr_control.value() == 50 and slider.value() < slider.maximum() and not hint.text()
    qtbot.waitUntil(lambda: win.snapshot.lr == 50, timeout=5000)
    type_into(spin, "500")
    assert win.lr_control.value() == 500 and slider.value() == slider.maximum()
    assert "slider" in hint.text() and hint.isVisible()
    type_into(spin, "2e-7")
    assert win.lr_control.value() == 2e-7 and slider.value() == 0 and "slider" in hint.text()
    QTest.mouseClick(slider, QtCore.Qt.MouseButton.LeftButton)  # back onto the slider: the hint goes
    assert LR_MIN <= win.lr_control.value() <= LR_MAX and not hint.text()


def test_a_rejected_lr_is_said_not_swallowed(win, qtbot):
    spin = win.findChild(QtWidgets.QDoubleSpinBox, "learningRateSpin")
    hint = win.findChild(QtWidgets.QLabel, "learningRateRangeHint")
    type_into(spin, "-3")
    assert win.lr_control.value() == 0.5 and "must be > 0" in hint.text()
    type_into(spin, "0.2")
    assert win.lr_control.value() == 0.2 and not hint.text()


# ---------------------------------------------------------------- fixed weights, start points


def test_the_worked_example_takes_another_neuron_with_a_note(win, qtbot):
    win.open_preset("worked_example_221")
    assert win.cfg.network.params is not None
    QTest.mouseClick(win.setup.rows[0].plus, QtCore.Qt.MouseButton.LeftButton)
    assert win.errors == []
    assert win.cfg.network.hidden == (3,) and win.cfg.network.params is None
    note = win.findChild(QtWidgets.QLabel, "fixedWeightsNote")
    assert note.isVisible() and "2-3-1" in note.text() and win.setup.note == note.text()
    QTest.mouseClick(win.setup.rows[0].minus, QtCore.Qt.MouseButton.LeftButton)  # back to 2-2-1: the notes' weights
    assert win.cfg.network.params == config.load_preset("worked_example_221").network.params
    assert not note.isVisible() and win.errors == []


def test_the_package_221_preset_takes_architecture_changes(win, qtbot):
    win.open_preset("package_221")
    QTest.mouseClick(win.setup.add_layer, QtCore.Qt.MouseButton.LeftButton)
    QTest.mouseClick(win.setup.rows[0].plus, QtCore.Qt.MouseButton.LeftButton)
    assert win.errors == [] and win.cfg.network.hidden == (3, 2) and win.cfg == win.current_config()


def type_line(line: QtWidgets.QLineEdit, text: str) -> None:
    QTest.mouseClick(line, QtCore.Qt.MouseButton.LeftButton)
    line.selectAll()
    QTest.keyClicks(line, text)
    QTest.keyClick(line, QtCore.Qt.Key.Key_Return)


def test_switching_from_a_2d_function_to_a_1d_one_resets_the_start(win, qtbot):
    win.open_preset("rosenbrock")
    start = win.setup.start
    type_line(start, "-1, 2")
    assert win.cfg.problem.start == (-1.0, 2.0)
    choose(qtbot, win.setup.dataset, "function:x2")  # 1-D: a 2-D start cannot apply
    assert start.text() == "" and win.cfg.problem.start is None and win.errors == []
    choose(qtbot, win.setup.dataset, "function:custom…")
    type_line(start, "0.5, 1")
    assert win.cfg.problem.start == (0.5, 1.0)
    type_line(win.setup.expression, "x**4 - x")  # y is gone: the (x, y) start no longer fits
    assert start.text() == "" and win.cfg.problem.dataset == "function:x**4 - x" and win.errors == []


# ---------------------------------------------------------------- words


def test_every_setup_field_and_label_has_a_tooltip(win):
    win.setup.set_config(config.load_preset("xor").with_changes(training={"optimizer": "adam",
                                                                          "schedule": "step"}))
    kinds = (QtWidgets.QComboBox, QtWidgets.QAbstractSpinBox, QtWidgets.QLineEdit, QtWidgets.QAbstractButton)
    missing = [w for w in win.setup.findChildren(QtWidgets.QWidget)
               if isinstance(w, kinds) and not isinstance(w.parentWidget(), QtWidgets.QAbstractSpinBox)
               and not w.toolTip()]
    labels = [lay.itemAt(r, QtWidgets.QFormLayout.ItemRole.LabelRole).widget()
              for lay in win.setup.findChildren(QtWidgets.QFormLayout) for r in range(lay.rowCount())
              if lay.itemAt(r, QtWidgets.QFormLayout.ItemRole.LabelRole) is not None]
    missing += [w for w in labels if w is not None and not w.toolTip()]
    assert missing == [], [w.text() if hasattr(w, "text") else w.objectName() for w in missing]


@pytest.mark.parametrize("name", ["noise", "test_fraction", "tol"])
def test_e_types_an_exponent_into_a_decimal_field_and_is_the_epoch_key_after_enter(win, qtbot, name):
    field = getattr(win.setup, name)
    steps = win.snapshot.step
    type_text = "5e-2"
    QTest.mouseClick(field.lineEdit(), QtCore.Qt.MouseButton.LeftButton)
    field.selectAll()
    QTest.keyClicks(field, type_text)  # E is part of the number while the field has the focus ...
    assert field.lineEdit().text() == type_text and field.hasFocus()
    assert win.snapshot.step == steps and not win.worker.running  # ... and ran no epoch
    QTest.keyClick(field, QtCore.Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: field.value() == pytest.approx(0.05) and not field.hasFocus(), timeout=3000)
    qtbot.waitUntil(lambda: win.snapshot.step == 0, timeout=5000)  # new data: a new run
    press(win, QtCore.Qt.Key.Key_E)  # after Enter, E is the Epoch shortcut again
    qtbot.waitUntil(lambda: win.snapshot.step > 0, timeout=5000)
    assert win.errors == []


# ---------------------------------------------------------------- readable at 1024×768


def test_the_shortcuts_dialog_shows_every_shortcut_whole(win, qtbot):
    help_menu = next(a for a in win.menuBar().actions() if a.text() == "&Help").menu()
    next(a for a in help_menu.actions() if a.text() == "Keyboard shortcuts").trigger()
    dialog = win.findChild(QtWidgets.QDialog, "shortcutsDialog")
    qtbot.waitExposed(dialog)
    table = dialog.table
    rows = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    actions = {a.shortcut().toString(): a for a in win.findChildren(QtGui.QAction) if not a.shortcut().isEmpty()}
    assert set(actions) <= set(rows) and len(rows) >= 7
    assert rows["E"] == "Epoch: one pass over the training data"  # what a key does, not only its name
    assert rows["Space"].startswith("Run: train until converged or diverged")
    metrics = table.fontMetrics()
    for r in range(table.rowCount()):  # no text elided, no row scrolled away
        for c in range(2):
            assert table.columnWidth(c) >= metrics.horizontalAdvance(table.item(r, c).text()), (r, c)
        assert table.visualItemRect(table.item(r, 1)).bottom() <= table.viewport().height()
    assert table.columnViewportPosition(1) + table.columnWidth(1) <= table.viewport().width()
    qtbot.keyClick(dialog, QtCore.Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_the_history_scrubber_is_wide_at_1024_by_768(win, qtbot):
    win.resize(1024, 768)
    qtbot.waitUntil(lambda: win.width() <= 1024, timeout=3000)
    qtbot.waitUntil(lambda: win.scrubber.slider.isVisible(), timeout=3000)  # under the graph, always there
    assert win.scrubber.slider.width() >= 150
