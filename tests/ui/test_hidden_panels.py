"""Panels that are not on screen are not computed: the output view's decision surface (most of a snapshot's
cost) and the gradient flow come only while their dock is in front, and a panel coming back is filled at once."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from gdsim.lab import config, snapshot
from gdsim.ui.main_window import MainWindow
from gdsim.ui.worker_client import WorkerClient

LEFT = QtCore.Qt.MouseButton.LeftButton


class Counter:
    """Counts the worker's calls of a snapshot function (they run in the worker's thread)."""

    def __init__(self, monkeypatch, name: str):
        self.calls = 0
        self._lock = threading.Lock()
        real = getattr(snapshot, name)

        def counted(*args, **kwargs):
            with self._lock:
                self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(snapshot, name, counted)


@pytest.fixture
def predictions(monkeypatch) -> Counter:
    return Counter(monkeypatch, "output_view")


@pytest.fixture
def win(qtbot, tmp_path, predictions):
    QtCore.QSettings.setDefaultFormat(QtCore.QSettings.Format.IniFormat)
    QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope, str(tmp_path))
    w = MainWindow(config.load_preset("spiral").with_changes(training={"epochs": 0}), restore_layout=False)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.output_view.image() is not None)  # on screen at start: drawn
    yield w
    w.shutdown()


def step(win, qtbot, n: int) -> None:
    for _ in range(n):
        target = win.snapshot.step + 1
        QTest.mouseClick(win.findChild(QtWidgets.QAbstractButton, "stepButton"), LEFT)
        qtbot.waitUntil(lambda t=target: win.snapshot.step == t, timeout=5000)


def run_epochs(win, qtbot, epochs: int) -> None:
    target = win.snapshot.epoch + epochs
    win.findChild(QtWidgets.QSpinBox, "runEpochsSpin").setValue(epochs)
    QTest.mouseClick(win.findChild(QtWidgets.QPushButton, "runEpochsButton"), LEFT)
    qtbot.waitUntil(lambda: win.snapshot.epoch >= target and not win.worker.running, timeout=60000)


def click_tab(win, qtbot, title: str) -> None:
    bar = next(t for t in win.findChildren(QtWidgets.QTabBar) if title in [t.tabText(i) for i in range(t.count())])
    index = [bar.tabText(i) for i in range(bar.count())].index(title)
    QTest.mouseClick(bar, LEFT, pos=bar.tabRect(index).center())
    qtbot.waitUntil(lambda: win.on_screen(title))


def view_menu_toggle(win, qtbot, title: str) -> None:
    """View → <title>, chosen with the mouse as a person does."""
    bar = win.menuBar()
    view_action = next(a for a in bar.actions() if a.text() == "&View")
    QTest.mouseClick(bar, LEFT, pos=bar.actionGeometry(view_action).center())
    menu = view_action.menu()
    qtbot.waitUntil(menu.isVisible)
    item = next(a for a in menu.actions() if a.text() == title)
    QTest.mouseClick(menu, LEFT, pos=menu.actionGeometry(item).center())
    qtbot.waitUntil(lambda: not menu.isVisible())


def expected_surface(win) -> np.ndarray:
    """The decision surface straight from a fresh build of the same set-up at the same step."""
    b = config.build(win.cfg)
    while b.trainer.step_count < win.snapshot.step:
        b.trainer.step()
    return snapshot.output_view(b.trainer, b.data)["z"]


def hidden(win, qtbot, title: str) -> None:
    """Wait until the GUI and then the worker know ``title`` is off screen (a Step is queued behind the news)."""
    qtbot.waitUntil(lambda: not win.on_screen(title))
    step(win, qtbot, 1)


# the offscreen platform cannot raise a popup menu or let it grab the keyboard; the menu works all the same
@pytest.mark.qt_log_ignore("does not support raise", "does not support grabbing the keyboard")
def test_closed_output_dock_computes_no_predictions_and_is_filled_when_shown_again(win, qtbot, predictions):
    dock = win.docks["Output"]
    close = dock.findChild(QtWidgets.QAbstractButton, "qt_dockwidget_closebutton")
    QTest.mouseClick(close, LEFT)
    hidden(win, qtbot, "Output")
    assert win.snapshot.output == {}
    before = predictions.calls
    step(win, qtbot, 3)
    run_epochs(win, qtbot, 5)
    assert predictions.calls == before and win.snapshot.output == {}
    s = win.snapshot
    assert s.lens is not None and s.lens.extent == snapshot.plane(win.data)  # the maps keep the output's plane
    view_menu_toggle(win, qtbot, "Output")
    qtbot.waitUntil(lambda: win.snapshot.output.get("kind") == "decision")  # at once: no step needed
    assert win.snapshot.step == s.step and predictions.calls > before
    np.testing.assert_array_equal(win.output_view.image(), expected_surface(win))


def test_output_tabbed_behind_another_dock_is_not_computed_until_its_tab_is_clicked(win, qtbot, predictions):
    win.tabifyDockWidget(win.docks["Loss surface"], win.docks["Output"])
    click_tab(win, qtbot, "Loss surface")
    hidden(win, qtbot, "Output")
    assert win.snapshot.output == {}
    before = predictions.calls
    run_epochs(win, qtbot, 5)
    assert predictions.calls == before and win.snapshot.output == {}
    step_then = win.snapshot.step
    click_tab(win, qtbot, "Output")
    qtbot.waitUntil(lambda: win.snapshot.output.get("kind") == "decision")
    assert win.snapshot.step == step_then
    np.testing.assert_array_equal(win.output_view.image(), expected_surface(win))


def test_gradient_flow_is_computed_only_while_its_tab_is_in_front(win, qtbot, monkeypatch):
    flow = Counter(monkeypatch, "_gradient_flow")
    assert not win.on_screen("Gradient flow")  # a tab behind the loss surface at start
    step(win, qtbot, 2)
    assert flow.calls == 0 and win.snapshot.layer_grad_history.size == 0
    click_tab(win, qtbot, "Gradient flow")
    qtbot.waitUntil(lambda: win.snapshot.layer_grad_history.shape[0] == 2)  # the whole history, at once
    curves = win.gradient_flow._curves
    assert curves and all(len(c.getData()[0]) == 2 for c in curves)
    click_tab(win, qtbot, "Loss surface")
    hidden(win, qtbot, "Gradient flow")
    calls = flow.calls
    step(win, qtbot, 2)
    assert flow.calls == calls and win.snapshot.layer_grad_norms.size == 0


def test_recording_a_closed_output_panel_brings_it_back_and_computes_it(win, qtbot, predictions, tmp_path):
    QTest.mouseClick(win.docks["Output"].findChild(QtWidgets.QAbstractButton, "qt_dockwidget_closebutton"), LEFT)
    hidden(win, qtbot, "Output")
    assert win.snapshot.output == {}
    assert win.recording.start("Output", str(tmp_path / "output.gif"))
    qtbot.waitUntil(lambda: win.on_screen("Output"))
    step(win, qtbot, 2)
    assert win.snapshot.output.get("kind") == "decision"
    with qtbot.waitSignal(win.recording.recorder.sigFinished, timeout=20000):
        QTest.mouseClick(win.recording.stop_button, LEFT)
    np.testing.assert_array_equal(win.output_view.image(), expected_surface(win))


def test_worker_sends_pieces_only_while_wanted(qtbot):
    """Without a window: nothing panel-only is computed until asked, and asking while idle sends it at once."""
    client = WorkerClient()
    try:
        got: list = []
        client.sigSnapshot.connect(got.append)
        b = config.build(config.load_preset("spiral"))
        client.load(b)
        qtbot.waitUntil(lambda: len(got) == 1)
        assert got[-1].output == {} and got[-1].layer_grad_norms.size == 0
        client.want_piece("output", True)
        qtbot.waitUntil(lambda: len(got) == 2)
        assert got[-1].output["kind"] == "decision" and got[-1].layer_grad_norms.size == 0
        client.want_piece("flow", True)
        qtbot.waitUntil(lambda: len(got) == 3)
        assert got[-1].layer_grad_norms.size == 3
        client.want_piece("output", False)
        client.step()
        qtbot.waitUntil(lambda: len(got) == 4)
        assert got[-1].step == 1 and got[-1].output == {} and got[-1].layer_grad_norms.size == 3
    finally:
        client.stop()


def test_headless_snapshots_carry_everything_unless_told():
    b = config.build(config.load_preset("spiral"))
    b.trainer.step()
    full = snapshot.take(b.trainer, b.data)
    assert full.output["kind"] == "decision" and full.layer_grad_norms.size == 3
    bare = snapshot.take(b.trainer, b.data, pieces=())
    assert bare.output == {} and bare.layer_grad_norms.size == 0 and bare.step == full.step
    np.testing.assert_array_equal(bare.params, full.params)


def test_an_unknown_piece_is_refused_in_the_callers_thread(qtbot):
    client = WorkerClient()
    try:
        with pytest.raises(ValueError, match="unknown snapshot piece"):
            client.want_piece("decision", True)
    finally:
        client.stop()
