"""Issue 12, the plots in a student's first minutes, driven like a person drives them: the loss curve after
Pause, a function with negative values, the 1D slice following a diverging run, gradient flow's layers,
readable compare plot, hover labels inside their panels, controls that do not jump."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
import windows
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from gdsim.lab import config, snapshot
from gdsim.ui.main_window import MainWindow
from gdsim.ui.panels.network_graph import NetworkGraph

LEFT = QtCore.Qt.MouseButton.LeftButton


def open_window(qtbot, tmp_path, cfg) -> MainWindow:
    windows.keep_settings_in(tmp_path)
    return windows.open_window(qtbot, cfg, size=(1280, 800), exposed=True)


@pytest.fixture
def window_options():
    return {"size": (1280, 800), "exposed": True}


def click(win, name: str) -> None:
    b = win.findChild(QtWidgets.QAbstractButton, name)
    assert b is not None and b.isVisible(), name
    QTest.mouseClick(b, LEFT)


def drawn_last_x(curve) -> float:
    """The last x the loss curve paints (after clipping and any decimation), over its data items."""
    ends = [item.getData()[0][-1] for item in curve.getPlotItem().listDataItems()
            if item.name() and item.getData()[0] is not None and len(item.getData()[0])]
    return max(ends)


def drawn_xs(curve) -> set[float]:
    xs: set[float] = set()
    for item in curve.getPlotItem().listDataItems():
        if item.name() and item.getData()[0] is not None:
            xs.update(item.getData()[0].tolist())
    return xs


def test_loss_curve_reaches_the_last_step_and_stops_when_paused(win, qtbot):
    click(win, "runButton")
    qtbot.waitUntil(lambda: win.snapshot.step > 6000, timeout=30000)
    click(win, "runButton")  # the Run toggle: pause
    qtbot.waitUntil(lambda: not win.worker.running, timeout=5000)
    qtbot.wait(300)
    first = drawn_last_x(win.loss_curve)
    qtbot.wait(700)
    assert drawn_last_x(win.loss_curve) == first == win.snapshot.step
    assert win.snapshot.step_history[-1, 0] == win.snapshot.step  # the last snapshot carries the whole history


def test_a_function_with_negative_values_shows_every_step(qtbot, tmp_path):
    cfg = config.load_preset("xor").with_changes(problem={"dataset": "function:x**2 + 3*sin(y)"})
    w = open_window(qtbot, tmp_path, cfg)
    try:
        click(w, "runButton")
        qtbot.waitUntil(lambda: w.snapshot.step > 0 and not w.worker.running, timeout=20000)
        steps = w.snapshot.step_history[:, 0]
        assert np.any(w.snapshot.step_history[:, 1] <= 0)
        assert set(steps.tolist()) <= drawn_xs(w.loss_curve)
        assert w.loss_curve.forced_linear() and not w.log_action.isChecked()
    finally:
        w.shutdown()


def slice_range(win) -> tuple[float, float, float, float]:
    """The drawn curve's x extent and the view's x range of the 1D slice."""
    x, _ = win.surface1d.curve_data()
    (v0, v1), _ = win.surface1d.plot.getPlotItem().vb.viewRange()
    return float(x.min()), float(x.max()), v0, v1


def test_the_slice_follows_a_diverging_run_and_the_scrubber(qtbot, tmp_path):
    w = open_window(qtbot, tmp_path, config.load_preset("bias_eta_1"))
    try:
        assert w.on_screen("Loss slice")
        qtbot.waitUntil(lambda: w.surface1d.grid() is not None, timeout=10000)
        seen = []
        for k in range(1, 5):
            click(w, "stepButton")
            qtbot.waitUntil(lambda k=k: w.snapshot.step == k, timeout=5000)
            b = float(w.snapshot.params[0])
            assert b == pytest.approx(-5.0 * (-9.0) ** k)  # −5 → 45 → −405 → 3645 → …
            qtbot.waitUntil(lambda b=b: slice_range(w)[0] <= b <= slice_range(w)[1], timeout=10000)
            x0, x1, v0, v1 = slice_range(w)
            assert v0 <= b <= v1  # on screen, not only computed
            path_x = w.surface1d._path.items()[0].getData()[0]
            assert path_x[-1] == pytest.approx(b)
            seen.append(b)
        # scrub back: the slice still holds the scrubbed step's b
        scrubber = w.scrubber
        scrubber.slider.setFocus()
        QTest.keyClick(scrubber.slider, QtCore.Qt.Key.Key_Home)
        qtbot.waitUntil(lambda: w.scrubbing, timeout=3000)
        x0, x1, v0, v1 = slice_range(w)
        assert all(x0 <= b <= x1 and v0 <= b <= v1 for b in [-5.0, *seen])
    finally:
        w.shutdown()


def click_tab(win, title: str) -> None:
    """Click the dock tab called ``title``, as a person brings a panel forward. Qt keeps old tab bars around
    after tabifying, so the bars on the main window that hold ``title`` are tried, fullest first."""
    bars = [bar for bar in win.findChildren(QtWidgets.QTabBar)
            if bar.parent() is win and bar.isVisible() and title in [bar.tabText(i) for i in range(bar.count())]]
    for bar in sorted(bars, key=lambda b: -b.count()):
        i = [bar.tabText(k) for k in range(bar.count())].index(title)
        QTest.mouseClick(bar, LEFT, pos=bar.tabRect(i).center())
        QtWidgets.QApplication.processEvents()
        if win.on_screen(title):
            return
    raise AssertionError(f"no tab {title!r} brought forward")


def lab(rgb) -> np.ndarray:
    """CIELAB of sRGB bytes (D65), for colour differences as people see them."""
    c = np.asarray(rgb, dtype=float) / 255
    c = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    xyz = c @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
    f = np.cbrt(xyz / np.array([0.9505, 1.0, 1.089]))
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def test_gradient_flow_layers_are_told_apart_on_the_vanishing_preset(qtbot, tmp_path):
    w = open_window(qtbot, tmp_path, config.load_preset("vanishing_sigmoid"))
    try:
        click_tab(w, "Gradient flow")
        qtbot.waitUntil(lambda: w.gradient_flow.isVisible(), timeout=3000)
        click(w, "runButton")
        qtbot.waitUntil(lambda: w.snapshot.step > 100, timeout=20000)
        click(w, "runButton")
        qtbot.waitUntil(lambda: not w.worker.running, timeout=5000)
        qtbot.wait(200)
        panel = w.gradient_flow
        curves, labels = panel.curves(), panel.label_items()
        assert len(curves) == len(labels) == 7
        colours = [c.opts["pen"].color().getRgb()[:3] for c in curves]
        assert [lb.color.getRgb()[:3] for lb in labels] == colours  # a label in its curve's colour
        L = lab(colours)
        assert np.all(np.diff(L[:, 0]) > 5)  # an ordered ramp: first layer darkest, last lightest
        assert np.linalg.norm(L[1:] - L[:-1], axis=1).min() > 15  # neighbours clearly differ
        assert np.ptp(np.degrees(np.arctan2(L[:, 2], L[:, 1]))) > 90  # the hue turns: not seven greens
        assert [lb.toPlainText() for lb in labels] == [f"L{k}" for k in range(1, 8)]
        view = panel.getPlotItem().vb.sceneBoundingRect()
        rects = [lb.sceneBoundingRect() for lb in labels]
        assert all(lb.isVisible() for lb in labels)
        assert all(view.intersects(r) for r in rects)
        for i, a in enumerate(rects):
            assert not any(a.intersects(b) for b in rects[i + 1:])
        steps, _ = panel.curve_data()
        assert all(lb.pos().x() == pytest.approx(steps[-1]) for lb in labels)  # at the curves' end
    finally:
        w.shutdown()


def test_compare_plot_is_readable_at_1280x800(win, qtbot):
    click_tab(win, "Compare")
    qtbot.waitUntil(lambda: win.compare.isVisible(), timeout=3000)
    QTest.mouseClick(win.compare.run_button, LEFT)  # the default: a few learning rates
    qtbot.waitUntil(lambda: win.compare.result() is not None, timeout=30000)
    qtbot.wait(100)
    plot = win.compare.plot
    pi = plot.getPlotItem()
    assert plot.height() >= 230 and pi.vb.height() >= 90
    legend = pi.legend.sceneBoundingRect()
    assert len(win.compare.legend_labels()) >= 2 and legend.height() > 5
    assert not legend.intersects(pi.vb.sceneBoundingRect())  # never over the curves
    assert plot.sceneRect().contains(legend)


def test_graph_hover_label_stays_inside_the_panel(qtbot):
    """Every parameter hovered in a small graph of a trained XOR net: the readout names what is under the mouse
    and is wholly inside (the output neuron's formula is wider than the panel: it wraps)."""
    built = config.build(config.load_preset("xor"))
    built.trainer.run(5)
    s = snapshot.take(built.trainer, built.data)
    graph = NetworkGraph()
    qtbot.addWidget(graph)
    graph.resize(360, 260)
    graph.show()
    qtbot.waitExposed(graph)
    graph.show_snapshot(s)
    vb = graph.plot_item.getViewBox()
    rate = pg.getConfigOption("mouseRateLimit")
    pg.setConfigOption("mouseRateLimit", -1)  # pyqtgraph drops a move < 10 ms after the last: every one must count
    try:
        for index, name in enumerate(s.param_names):
            at = graph.position_of(index)
            with qtbot.waitSignal(graph.view.scene().sigMouseMoved, timeout=1000):
                QTest.mouseMove(graph.view.viewport(), graph.view.mapFromScene(vb.mapViewToScene(at)))
            neuron = graph.neuron_at(at)
            under = graph.param_at(at) if neuron is None else int(graph.neuron_params[neuron])
            label = graph.hover_label
            assert label.isVisible() and graph.hover_text(under) in label.textItem.toPlainText(), name
            rect, box = label.mapRectToScene(label.boundingRect()), vb.sceneBoundingRect()
            assert box.contains(rect), (name, rect, box)
    finally:
        pg.setConfigOption("mouseRateLimit", rate)


def test_backprop_next_stays_put_and_the_scrubber_is_wide(qtbot, tmp_path):
    """On the worked example the phase titles take one line or two: Next jumped 14 px between phases."""
    win = open_window(qtbot, tmp_path, config.load_preset("worked_example_221"))
    try:
        click_tab(win, "Backprop")
        qtbot.waitUntil(lambda: win.on_screen("Backprop"), timeout=3000)
        win.resizeDocks([win.docks["Backprop"]], [380], QtCore.Qt.Orientation.Horizontal)  # some titles wrap
        click(win, "stepButton")  # a step while the inspector shows: it walks through that update
        qtbot.waitUntil(lambda: len(win.inspector.phases()) > 2, timeout=5000)
        nxt = win.inspector.next_button
        places, heights = set(), set()
        while True:
            places.add((nxt.mapTo(win, QtCore.QPoint(0, 0)).toTuple(), nxt.size().toTuple()))
            heights.add(win.inspector.title.height())
            if not nxt.isEnabled():
                break
            QTest.mouseClick(nxt, LEFT)
            qtbot.wait(30)  # let the layout settle, as the next paint would
        assert len(heights) > 1  # the titles do differ in height ...
        assert len(places) == 1, places  # ... yet Next keeps its place and size in every phase
        assert win.scrubber.slider.width() >= 150
    finally:
        win.shutdown()
