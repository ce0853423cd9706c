"""One palette: every "this is wrong" on screen is the same red, and numbers read the same in every panel."""

import math

from PySide6 import QtCore, QtGui
from PySide6.QtTest import QTest

from gdsim.ui.panels.sweep_panel import SweepPanel
from gdsim.ui.plotting import formatters, palette
from gdsim.ui.widgets.lr_control import tick_to_lr


def test_numbers_missing_infinite_and_signed():
    assert formatters.number(0.123456) == "0.1235" and formatters.number(0.123456, 3) == "0.123"
    assert formatters.number(None) == formatters.number(math.nan) == "–"
    assert formatters.number(math.inf) == "∞" and formatters.number(-math.inf) == "−∞"
    assert formatters.signed(-0.5) == "\u22120.5" and formatters.signed(2e-7) == "2e\u221207"
    assert formatters.eta(0.031622) == "0.0316"


def test_eta_rounds_to_two_significant_digits_as_the_slider_offers_it():
    assert formatters.round_eta(0.0301995) == 0.03 and formatters.round_eta(3.16) == 3.2
    assert tick_to_lr(400) == formatters.round_eta(tick_to_lr(400))


def pixel(widget, x: int, y: int) -> str:
    return widget.grab().toImage().pixelColor(x, y).name()


def test_a_wrong_eta_list_shows_its_field_and_its_hint_in_the_one_error_red(qtbot):
    panel = SweepPanel()
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    QTest.keyClicks(panel.lr_list, "0.1, abc")
    QTest.keyClick(panel.lr_list, QtCore.Qt.Key.Key_Enter)
    assert panel.hint.isVisible() and not panel.run_button.isEnabled()
    field = panel.lr_list
    assert pixel(field, 0, field.height() // 2) == palette.ERROR_RED  # the border
    assert panel.hint.palette().color(QtGui.QPalette.ColorRole.WindowText).name() == palette.ERROR_RED
    QTest.keyClick(panel.lr_list, QtCore.Qt.Key.Key_A, QtCore.Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(panel.lr_list, "0.1, 1")
    assert not panel.hint.isVisible()
    assert pixel(field, 0, field.height() // 2) != palette.ERROR_RED

