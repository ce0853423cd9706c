"""A first-time student's first minutes: the key pictures together on one screen, a run slow enough to watch,
presets that show what their lesson is about, and a readable list of shortcuts."""

import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from gdsim.lab import config
from gdsim.ui.main_window import MainWindow
from gdsim.ui.widgets.lesson_banner import ShortcutsDialog

KEY_PICTURES = ("Loss", "Output", "Loss surface")


pytestmark = pytest.mark.paced  # these tests are about the pace itself

@pytest.fixture
def window_options():
    return {"cfg": None, "show": False}  # the start-up problem, not shown yet: each test picks its screen


def _shown_at(qtbot, w: MainWindow, width: int, height: int) -> None:
    w.resize(width, height)
    w.show()
    qtbot.waitExposed(w)
    w.resizeDocks([w.docks["Setup"]], [300], QtCore.Qt.Orientation.Horizontal)
    QtWidgets.QApplication.processEvents()


def test_the_key_pictures_show_together_at_1280x800(qtbot, win):
    _shown_at(qtbot, win, 1280, 800)
    qtbot.waitUntil(lambda: all(win.on_screen(t) for t in KEY_PICTURES))
    rects = [win.graph.geometry().translated(win.graph.mapTo(win, QtCore.QPoint(0, 0)) - win.graph.pos())]
    for title in KEY_PICTURES:
        dock = win.docks[title]
        assert dock.isVisible() and dock.width() >= 150 and dock.height() >= 120, title
        rects.append(dock.geometry())
    assert all(not a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:])


def test_at_1920_the_room_goes_to_the_pictures(qtbot, win):
    win.show()
    qtbot.waitExposed(win)
    QtWidgets.QApplication.processEvents()  # the first-show fit to the (800-px) test screen comes first
    win._fit_to_screen(QtCore.QRect(0, 0, 1920, 1080))  # what a first start does on a 1920×1080 screen
    qtbot.waitUntil(lambda: win.graph.width() < 1920 * 0.35
                    and win.docks["Output"].width() + win.docks["Loss surface"].width() > 1920 * 0.45)


def test_the_window_can_be_narrower_than_1000_px(win):
    assert win.minimumSizeHint().width() <= 1000
    assert win.minimumSizeHint().height() <= 700


def test_first_start_fits_the_screen_so_the_status_bar_shows(qtbot, win):
    win.show()
    qtbot.waitExposed(win)
    free = win.screen().availableGeometry()
    qtbot.waitUntil(lambda: win.frameGeometry().height() <= free.height())
    assert win.width() <= max(free.width(), win.minimumSizeHint().width())  # the test screen is 800 px
    assert win.statusBar().isVisible()


def test_speed_is_labelled_and_flat_out_is_one_choice_away(qtbot, win):
    label = win.toolbar.findChild(QtWidgets.QLabel, "speedLabel")
    combo = win.toolbar.findChild(QtWidgets.QComboBox, "speedCombo")
    assert label.text() == "Speed:" and label.buddy() is combo
    assert combo.currentText() == "60 steps/s"  # the start-up problem's pace
    win.show()
    qtbot.waitExposed(win)
    combo.setFocus()
    qtbot.keyClick(combo, QtCore.Qt.Key.Key_Home)  # one choice: the first entry
    assert combo.currentText() == "as fast as possible"
    assert win.toolbar.rate_value() == 0.0


def test_the_start_up_run_unfolds_over_10_to_30_seconds_at_its_pace():
    cfg, info = config.load_preset("xor"), config.preset_info("xor")
    steps = cfg.training.epochs  # full batch: one step an epoch
    assert cfg.training.batch_size is None
    assert 10 <= steps / info.pace <= 30


def test_every_preset_has_a_pace_and_a_place_in_the_course():
    order = config.presets_in_course_order()
    listed = [name for _, names in order for name in names]
    assert sorted(listed) == config.preset_names()
    assert [g for g, _ in order][0] == "Course notes"
    assert order[0][1][:2] == ["worked_example_221", "package_221"]
    assert order[0][1].index("bias_eta_1") < order[0][1].index("bias_eta_001")
    assert [g for g, _ in order][-1] == "What goes wrong"
    for name in ("bias_eta_1", "bias_eta_001"):
        assert 2 <= config.preset_info(name).pace <= 5
    assert 50 <= config.preset_info("xor").pace <= 100
    assert config.preset_info("spiral").pace > config.preset_info("xor").pace


@pytest.mark.parametrize("name, panel", [("dead_relu", "Gradient flow"), ("vanishing_sigmoid", "Gradient flow"),
                                         ("worked_example_221", "Backprop"), ("bias_eta_1", "Loss slice"),
                                         ("elongated_bowl", "Loss surface")])
def test_a_preset_from_the_menu_raises_its_panel_and_shows_its_description(qtbot, win, name, panel):
    _shown_at(qtbot, win, 1280, 800)
    file_menu = next(a for a in win.menuBar().actions() if a.text() == "&File").menu()
    presets = next(a for a in file_menu.actions() if a.text() == "Open &preset").menu()
    next(a for a in presets.actions() if a.objectName() == f"preset_{name}").trigger()
    qtbot.waitUntil(lambda: win.on_screen(panel))
    preset = config.load_preset(name)
    banner = win.banner.label
    assert banner.isVisible() and preset.description in banner.text()
    assert banner.textFormat() == QtCore.Qt.TextFormat.PlainText
    assert win.toolbar.rate_value() == config.preset_info(name).pace
    qtbot.mouseClick(win.banner.close_button, QtCore.Qt.MouseButton.LeftButton)
    assert not banner.isVisible()


def test_the_presets_menu_is_grouped_in_course_order(win):
    file_menu = next(a for a in win.menuBar().actions() if a.text() == "&File").menu()
    presets = next(a for a in file_menu.actions() if a.text() == "Open &preset").menu()
    sections = [a.text() for a in presets.actions() if a.isSeparator()]
    assert sections == [g for g, _ in config.presets_in_course_order()]
    first = next(a for a in presets.actions() if not a.isSeparator())
    assert first.objectName() == "preset_worked_example_221"


def test_help_lists_every_shortcut_in_a_readable_dialog(qtbot, win):
    win.show()
    qtbot.waitExposed(win)
    help_menu = next(a for a in win.menuBar().actions() if a.text() == "&Help").menu()
    next(a for a in help_menu.actions() if a.text() == "Keyboard shortcuts").trigger()
    dialog = win.findChild(ShortcutsDialog)
    qtbot.waitExposed(dialog)
    table = dialog.table
    keys = {table.item(r, 0).text() for r in range(table.rowCount())}
    wanted = {a.shortcut().toString() for a in win.findChildren(QtGui.QAction)
              if not a.shortcut().isEmpty()}
    assert {"S", "E", "Space", "R"} <= keys and wanted <= keys and len(keys) >= 7
    for row in range(table.rowCount()):
        assert table.item(row, 1).text()
    assert dialog.height() >= table.rowCount() * 20
    qtbot.keyClick(dialog, QtCore.Qt.Key.Key_Escape)
    assert not dialog.isVisible()
