"""The window on a classroom projector (1024×768) and a laptop (1280×800): every picture gets a fair share and
no control, tab title or toggle is squeezed until its text is cut ("twc", "Lo…", "Neu…aps")."""

import pyqtgraph as pg
import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from gdsim.ui.main_window import MainWindow

LEFT = QtCore.Qt.MouseButton.LeftButton
KEY_PICTURES = ("Loss", "Output", "Loss surface")


@pytest.fixture
def win(qtbot):
    w = MainWindow(restore_layout=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    QtWidgets.QApplication.processEvents()  # the first-show fit to the (800-px) test screen comes first
    yield w
    w.shutdown()


def first_start_on(qtbot, w: MainWindow, width: int, height: int) -> None:
    """What a first start does on a screen whose free area is width × height."""
    w._fit_to_screen(QtCore.QRect(0, 0, width, height))
    qtbot.waitUntil(lambda: w.width() == width and all(w.on_screen(t) for t in KEY_PICTURES))
    for _ in range(3):  # the docks' shares are set once the new size has arrived
        QtWidgets.QApplication.processEvents()


def not_squeezed(widgets) -> list[str]:
    """The widgets narrower than their size hint (Qt then cuts or elides their text)."""
    return [f"{type(w).__name__} {getattr(w, 'currentText', getattr(w, 'text', str))()!r}: "
            f"{w.width()} < {w.sizeHint().width()}" for w in widgets if w.width() < w.sizeHint().width()]


def elided_tabs(w: MainWindow) -> list[str]:
    """Dock tabs on screen whose title does not fit their tab."""
    cut = []
    for bar in w.findChildren(QtWidgets.QTabBar):
        if bar.parent() is not w or not bar.isVisible():
            continue
        fm = bar.fontMetrics()
        for i in range(bar.count()):
            if bar.tabRect(i).width() < fm.horizontalAdvance(bar.tabText(i)) + 10:
                cut.append(f"{bar.tabText(i)!r} in {bar.tabRect(i).width()} px")
    return cut


def controls(w: MainWindow) -> list[QtWidgets.QWidget]:
    s, g = w.surface2d, w.graph
    return [s.plane_combo, s.p1_combo, s.p2_combo, s.exact_check, s.log_check, s.equal_check, s.res_spin,
            g.gradient_button, g.maps_button, g.blame_button]


def picture_sizes(w: MainWindow) -> dict[str, QtCore.QSize]:
    return {"graph": w.graph.view.size(), "loss curve": w.loss_curve.size(), "output": w.output_view.size(),
            "loss surface": w.surface2d.plot.size()}


def assert_pictures_apart(w: MainWindow) -> None:
    """The graph and the three key docks all on screen, none covering another."""
    rects = [QtCore.QRect(w.graph.mapTo(w, QtCore.QPoint(0, 0)), w.graph.size())]
    rects += [w.docks[t].geometry() for t in KEY_PICTURES]
    assert all(not a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:]), rects


def test_at_1024x768_every_picture_and_control_is_readable(qtbot, win):
    first_start_on(qtbot, win, 1024, 768)
    assert win.minimumSizeHint().width() <= 1000
    assert not_squeezed(controls(win)) == []
    assert elided_tabs(win) == []
    sizes = picture_sizes(win)
    for name, size in sizes.items():
        assert size.width() >= 250 and size.height() >= 180, (name, size)
    assert sizes["loss surface"].width() >= 0.25 * win.width()  # a fair share, not the ~190 px it had
    assert_pictures_apart(win)


def test_at_1024x768_the_x_ray_key_is_under_the_surface_not_on_it(qtbot, win):
    first_start_on(qtbot, win, 1024, 768)
    QTest.mouseClick(win.findChild(QtWidgets.QAbstractButton, "stepButton"), LEFT)  # one step: arrows appear
    qtbot.waitUntil(lambda: win.surface2d.key.isVisible(), timeout=5000)
    key, plot = win.surface2d.key, win.surface2d.plot
    assert "update taken" in key.text()
    assert key.mapTo(win, QtCore.QPoint(0, 0)).y() >= plot.mapTo(win, QtCore.QPoint(0, plot.height())).y()
    legends = [i for i in plot.scene().items() if isinstance(i, pg.LegendItem) and i.isVisible()]
    assert legends == []  # nothing over the path


def test_at_1024x768_the_slice_tab_opens_with_its_controls_whole(qtbot, win):
    first_start_on(qtbot, win, 1024, 768)
    bars = [b for b in win.findChildren(QtWidgets.QTabBar)
            if b.parent() is win and b.isVisible() and "Slice" in [b.tabText(i) for i in range(b.count())]]
    bar = max(bars, key=lambda b: b.count())  # Qt keeps old, emptier tab bars around after tabifying
    i = [bar.tabText(k) for k in range(bar.count())].index("Slice")
    QTest.mouseClick(bar, LEFT, pos=bar.tabRect(i).center())  # as a person brings the slice forward
    qtbot.waitUntil(lambda: win.on_screen("Loss slice"))
    s = win.surface1d
    assert not_squeezed([s.direction_combo, s.param_combo, s.exact_check, s.log_check]) == []
    assert s.plot.width() >= 250 and s.plot.height() >= 180


def test_at_1280x800_the_four_pictures_show_together_unsqueezed(qtbot, win):
    first_start_on(qtbot, win, 1280, 800)
    assert_pictures_apart(win)
    assert not_squeezed(controls(win)) == []
    assert elided_tabs(win) == []
    for name, size in picture_sizes(win).items():
        assert size.width() >= 300 and size.height() >= 200, (name, size)


def test_at_1920x1080_the_pictures_stay_side_by_side(qtbot, win):
    first_start_on(qtbot, win, 1920, 1080)
    assert not win.narrow
    output, surface = win.docks["Output"].geometry(), win.docks["Loss surface"].geometry()
    assert output.right() < surface.left() and abs(output.top() - surface.top()) < 5
    assert not_squeezed(controls(win)) == []
    assert elided_tabs(win) == []


def test_reset_layout_on_a_small_screen_keeps_the_narrow_arrangement(qtbot, win):
    first_start_on(qtbot, win, 1024, 768)
    view = next(a for a in win.menuBar().actions() if a.text() == "&View").menu()
    next(a for a in view.actions() if a.text() == "Reset layout").trigger()
    qtbot.waitUntil(lambda: all(win.on_screen(t) for t in KEY_PICTURES))
    assert win.narrow  # the test screen is 800 px wide
    loss, graph = win.docks["Loss"].geometry(), QtCore.QRect(win.graph.mapTo(win, QtCore.QPoint(0, 0)),
                                                             win.graph.size())
    assert loss.top() > graph.bottom()  # the loss curve under the graph
