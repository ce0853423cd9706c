"""The app driven the way a user drives it: buttons, η, run/pause, closing mid-run, export."""

import threading
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from gdsim.lab import config
from gdsim.ui.main_window import MainWindow


def button(win, name) -> QtWidgets.QAbstractButton:
    b = win.findChild(QtWidgets.QAbstractButton, name)
    assert b is not None, name
    return b


def wait_step(qtbot, win, step):
    qtbot.waitUntil(lambda: win.snapshot.step == step, timeout=5000)


def test_starts_on_a_problem_that_is_ready_to_run(win):
    s = win.snapshot
    assert s.step == 0 and s.sizes == (2, 4, 1) and s.status == "running"
    for name in ("networkGraphView", "lossCurvePlot", "outputView"):
        assert win.findChild(QtWidgets.QWidget, name) is not None


def test_step_adds_one_point_epoch_adds_one_pass(win, qtbot):
    button(win, "stepButton").click()
    wait_step(qtbot, win, 1)
    assert win.snapshot.step_history.shape[0] == 1
    win.setup.batch.setCurrentText("mini-batch")  # 160 rows / 16 = 10 steps an epoch (live: no reset)
    qtbot.waitUntil(lambda: win.worker.built.trainer.batch_size == 16, timeout=5000)
    button(win, "epochButton").click()
    wait_step(qtbot, win, 11)
    assert win.snapshot.epoch == 2


def test_run_then_pause_stops_adding_points(win, qtbot):
    run = button(win, "runButton")
    run.click()
    qtbot.waitUntil(lambda: win.snapshot.step > 20, timeout=5000)
    run.click()  # pause
    qtbot.waitUntil(lambda: not win.worker.running, timeout=3000)
    qtbot.wait(100)
    frozen = win.snapshot.step
    qtbot.wait(300)
    assert win.snapshot.step == frozen and not run.isChecked()


def test_lr_change_mid_run_takes_effect_without_reset(win, qtbot):
    button(win, "runButton").click()
    qtbot.waitUntil(lambda: win.snapshot.step > 10, timeout=5000)
    spin = win.findChild(QtWidgets.QDoubleSpinBox, "learningRateSpin")
    spin.setValue(0.05)
    qtbot.waitUntil(lambda: win.snapshot.lr == 0.05, timeout=5000)
    step_at_change, _ = win.snapshot.lr_changes[-1]
    assert step_at_change > 10  # no reset happened
    qtbot.waitUntil(lambda: win.snapshot.step > step_at_change + 5, timeout=5000)
    h = win.snapshot.step_history
    assert np.all(h[h[:, 0] > step_at_change + 1, 3] == 0.05)
    button(win, "runButton").click()


def test_reset_returns_to_the_same_initial_weights(win, qtbot):
    first = win.snapshot.params.copy()
    button(win, "epochButton").click()
    wait_step(qtbot, win, 1)
    button(win, "resetButton").click()
    wait_step(qtbot, win, 0)
    np.testing.assert_array_equal(win.snapshot.params, first)


def test_run_n_epochs_with_progress(win, qtbot):
    win.toolbar.epochs.setValue(25)
    button(win, "runEpochsButton").click()
    qtbot.waitUntil(lambda: win.snapshot.epoch == 25 and not win.worker.running, timeout=10000)
    assert not win.progress.isVisible()


def test_adding_a_neuron_rebuilds_the_network(win, qtbot):
    win.setup.rows[0].plus.click()
    qtbot.waitUntil(lambda: win.snapshot.sizes == (2, 5, 1), timeout=5000)
    win.setup.add_layer.click()
    qtbot.waitUntil(lambda: win.snapshot.sizes == (2, 5, 5, 1), timeout=5000)


def test_bad_setup_gets_a_message_and_the_app_carries_on(win, qtbot):
    win.setup.output.setCurrentText("linear")
    win.setup.loss.setCurrentText("bce")  # BCE on a linear output: refused with a message
    assert win.errors and "Cannot use this set-up" in win.errors[-1] and "sigmoid" in win.errors[-1]
    win.setup.output.setCurrentText("auto")
    button(win, "stepButton").click()
    qtbot.waitUntil(lambda: win.snapshot.step == 1, timeout=5000)


def test_divergence_is_shown(win, qtbot):
    win.lr_control.spin.setValue(10.0)
    win.setup.dataset.setCurrentText("package")
    button(win, "runButton").click()
    qtbot.waitUntil(lambda: win.snapshot.status == "diverged", timeout=10000)
    assert "η is too large" in win.status_labels["status"].toolTip()
    qtbot.waitUntil(lambda: not win.worker.running, timeout=3000)


def test_worker_exception_reaches_the_user(win, qtbot, monkeypatch):
    def boom():
        raise RuntimeError("kaboom")

    win.worker.built.trainer.step = boom
    button(win, "stepButton").click()
    qtbot.waitUntil(lambda: bool(win.errors), timeout=5000)
    assert "kaboom" in win.errors[-1]
    assert win.client.qthread.isRunning()


def test_closing_mid_run_stops_the_thread(qtbot, tmp_path):
    w = MainWindow(config.load_preset("spiral"), restore_layout=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.snapshot is not None)
    button(w, "runButton").click()
    qtbot.waitUntil(lambda: w.snapshot.step > 5, timeout=5000)
    timer = QtCore.QElapsedTimer()
    timer.start()
    w.close()
    assert not w.client.qthread.isRunning()
    assert timer.elapsed() < 1000


def test_exports(win, qtbot, tmp_path):
    button(win, "epochButton").click()
    wait_step(qtbot, win, 1)
    button(win, "epochButton").click()
    wait_step(qtbot, win, 2)
    png, svg, csv = tmp_path / "l.png", tmp_path / "l.svg", tmp_path / "l.csv"
    win.export_loss(str(png), width=800)
    win.export_loss(str(svg))
    win.export_loss(str(csv))
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(data[16:20], "big") == 800
    assert ET.parse(svg).getroot().tag.endswith("svg")
    rows = csv.read_text().splitlines()
    assert rows[0].startswith("step,loss") and len(rows) == 3
    shot = tmp_path / "w.png"
    win.save_screenshot(str(shot))
    assert shot.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError):
        win.export_loss(str(tmp_path / "l.bmp"))


def test_keyboard_shortcuts(win, qtbot):
    keys = {a.shortcut().toString() for a in win.toolbar.actions_for_menu()}
    assert keys == {"S", "E", "Space", "R"}


def test_optimizer_hyperparameters_reach_the_trainer(win, qtbot):
    win.setup.optimizer.setCurrentText("adam")
    assert set(win.setup.hyper_box.fields) == {"beta1", "beta2", "eps", "amsgrad"}
    win.setup.hyper_box.fields["beta1"].setValue(0.8)
    cfg = win.current_config()
    assert cfg.training.optimizer == "adam" and cfg.training.optimizer_kwargs["beta1"] == 0.8
    qtbot.waitUntil(lambda: win.worker.built.trainer.optimizer.hyper.get("beta1") == 0.8, timeout=5000)
    win.setup.optimizer.setCurrentText("sgd")
    assert win.setup.hyper_box.fields == {} and not win.setup.hyper_box.isVisibleTo(win.setup)


def test_panels_export_through_gdsim_not_pyqtgraphs_dialog(win):
    for panel in (win.loss_curve, win.output_view, win.graph):
        [action] = panel.scene().contextMenu
        assert action.text() == "Export…"


def test_gradient_colour_toggle_stays_in_step(win):
    win.gradient_action.setChecked(True)
    assert win.graph.mode == "gradient" and win.graph.gradient_button.isChecked()
    win.graph.set_color_mode("weight")
    assert not win.gradient_action.isChecked()


def test_function_mode_from_the_dataset_list(win, qtbot):
    win.lr_control.spin.setValue(1.0)
    win.setup.dataset.setCurrentText("function:bias5")
    assert win.centre.currentWidget() is win.function_info and "5b" in win.function_info.text()
    assert not win.setup.network_box.isVisibleTo(win.setup)
    qtbot.waitUntil(lambda: win.snapshot.param_names == ("b",), timeout=5000)
    button(win, "stepButton").click()
    qtbot.waitUntil(lambda: win.snapshot.step == 1, timeout=5000)
    assert win.snapshot.params[0] == pytest.approx(45.0)  # the notes: η = 1 overshoots from −5 to 45


def test_custom_function_and_a_refused_one(win, qtbot):
    win.setup.expression.setText("x**2 + 3*sin(y)")
    win.setup.dataset.setCurrentText("function:custom…")
    qtbot.waitUntil(lambda: win.snapshot.param_names == ("x", "y"), timeout=5000)
    win.setup.expression.setText("__import__('os')")
    win.setup.expression.editingFinished.emit()
    assert "refused" in win.setup.function_hint.text() or "refused" in win.errors[-1]
    assert win.client.qthread.isRunning()


def test_surfaces_are_computed_for_visible_docks(win, qtbot):
    win.docks["Loss surface"].raise_()
    qtbot.waitUntil(lambda: win.surface2d.grid() is not None, timeout=10000)
    assert win.surface2d.grid().values.ndim == 2
    win.graph.sigParameterClicked.emit(3)
    qtbot.waitUntil(lambda: win.surface1d.grid() is not None and win.surface1d.grid().spec.indices[0] == 3,
                    timeout=10000)


def test_exact_mode_trains_only_the_two_parameters(win, qtbot):
    win.docks["Loss surface"].raise_()
    win.surface2d.exact_check.setChecked(True)
    first = None
    qtbot.waitUntil(lambda: win.snapshot.step == 0, timeout=5000)
    first = win.snapshot.params.copy()
    button(win, "epochButton").click()
    qtbot.waitUntil(lambda: win.snapshot.step == 1, timeout=5000)
    moved = np.flatnonzero(win.snapshot.params != first)
    assert set(moved) <= {0, 1} and len(moved) > 0


def test_edge_of_stability_is_marked_on_the_slider(win, qtbot):
    qtbot.waitUntil(lambda: win.lam is not None, timeout=5000)
    limit = 2 / win.lam
    assert win.lr_control.limit == pytest.approx(limit)
    assert win.lr_control.slider.marker is not None
    assert "largest stable η" in win.status_labels["limit"].text() and "diverges" in win.lr_control.hint.toolTip()


def test_backprop_inspector_highlights_the_graph(win, qtbot):
    win.docks["Backprop"].raise_()
    qtbot.waitUntil(lambda: len(win.inspector.phases()) > 0, timeout=5000)
    win.findChild(QtWidgets.QAbstractButton, "inspectorNext").click()
    shown = win.inspector.highlighted()
    assert shown is not None
    np.testing.assert_array_equal(win.graph._highlighted, shown)


def test_scrubbing_shows_an_old_step_without_stopping_the_run(win, qtbot):
    button(win, "epochButton").click()
    wait_step(qtbot, win, 1)
    for _ in range(4):
        button(win, "epochButton").click()
    wait_step(qtbot, win, 5)
    seen = []
    win.scrubber.sigScrub.connect(lambda s: seen.append(s))
    win.scrubber.scrub_to(0)
    assert seen and seen[-1].step == 0 and win.scrubbing
    np.testing.assert_array_equal(seen[-1].params, win.snapshot.trajectory[0])
    win.scrubber.live.click()
    assert not win.scrubbing


def test_gradient_flow_follows_training(win, qtbot):
    win.docks["Gradient flow"].raise_()  # computed only while on screen (tests/ui/test_hidden_panels.py)
    for _ in range(3):
        button(win, "epochButton").click()
    wait_step(qtbot, win, 3)
    qtbot.waitUntil(lambda: len(win.gradient_flow.curve_data()[0]) >= 1, timeout=5000)


def test_compare_learning_rates_in_the_worker(win, qtbot):
    win.docks["Loss surface"].raise_()
    qtbot.waitUntil(lambda: win.surface2d.grid() is not None, timeout=10000)
    win.compare.sigRun.emit({"mode": "lr", "values": [0.1, 1.0, 10.0], "epochs": 30, "target": None})
    qtbot.waitUntil(lambda: win.compare.result() is not None, timeout=20000)
    result = win.compare.result()
    assert [r.lr for r in result.runs] == [0.1, 1.0, 10.0]
    assert win.compare.table.rowCount() == 3
    assert len(win.surface2d._extra.items()) == 3  # the three paths drawn on the loss surface


def test_sweep_and_use_the_best_lr(win, qtbot):
    win.sweep.sigRun.emit({"lrs": [0.01, 0.1, 1.0], "epochs": 20})
    qtbot.waitUntil(lambda: len(win.sweep.rows()) == 3, timeout=20000)
    best = win.sweep.best_lr()
    win.sweep.sigUseLr.emit(best)
    assert win.lr_control.value() == best
    qtbot.waitUntil(lambda: win.snapshot.lr == best, timeout=5000)


def test_cancelling_a_comparison(win, qtbot):
    win.setup.tol.setValue(0.0)  # nothing converges early: only Cancel can end these runs
    win.compare.sigRun.emit({"mode": "lr", "values": [0.001, 0.01, 0.1, 1, 10], "epochs": 100000,
                             "target": None})
    qtbot.wait(200)
    win.compare.sigCancel.emit()
    qtbot.waitUntil(lambda: win.compare.result() is not None, timeout=20000)
    assert win.compare.result().cancelled


def test_schedule_plot_appears_for_a_varying_schedule(win, qtbot):
    assert not win.setup.schedule_plot.isVisibleTo(win.setup)
    win.setup.schedule.setCurrentText("exponential")
    assert win.setup.schedule_plot.isVisibleTo(win.setup)
    values = win.setup.schedule_plot.values()
    assert values[0] == pytest.approx(win.lr_control.value()) and values[-1] < values[0]


def test_drawing_a_point_adds_it_to_the_training_data(win, qtbot):
    n = len(win.data.X_train) + len(win.data.X_test)
    win.output_view.set_drawing(True)
    win.output_view.sigPointAdded.emit(0.25, -0.5, 1)
    qtbot.waitUntil(lambda: len(win.data.X_train) + len(win.data.X_test) == n + 1, timeout=5000)  # CSV: a thread
    assert len(win.data.X_test) > 0  # split kept
    assert [0.25, -0.5] in win.data.X_train.tolist() + win.data.X_test.tolist()
    assert win.current_config().problem.dataset.startswith("csv:")


def test_race_start_points_on_a_function(win, qtbot):
    win.open_preset("rosenbrock")
    win.compare.mode.setCurrentIndex(2)
    win.compare.values.setText("-1.5, 2; 0, 0; 1.5, -0.5")
    win.compare.epochs.setValue(50)
    win.compare.run()
    qtbot.waitUntil(lambda: win.compare.result() is not None, timeout=20000)
    runs = win.compare.result().runs
    assert [r.trajectory[1][0].tolist() for r in runs] == [[-1.5, 2.0], [0.0, 0.0], [1.5, -0.5]]
    win.compare.values.setText("1, 2; oops")
    assert not win.compare.run_button.isEnabled() or "start point" in win.compare.hint_text()


def test_surface_requests_are_coalesced(win, qtbot):
    win.docks["Loss surface"].raise_()
    qtbot.waitUntil(lambda: win.surface2d.grid() is not None, timeout=10000)
    grids = []
    win.worker.sigSurface.connect(lambda g: grids.append(g), QtCore.Qt.ConnectionType.DirectConnection)
    release = threading.Event()  # hold the worker's thread so the four requests arrive together, whatever the load
    QtCore.QTimer.singleShot(0, win.worker, lambda: release.wait(10))
    for res in (31, 41, 51, 61):
        win.surface2d.res_spin.setValue(res)
    release.set()
    qtbot.waitUntil(lambda: any(g.spec.resolution == 61 for g in grids), timeout=10000)
    qtbot.wait(200)
    fine = {g.spec.resolution for g in grids if not g.coarse}
    assert 61 in fine and not fine & {31, 41, 51}  # the stale requests were dropped


def test_status_reads_ready_running_paused(win, qtbot):
    assert "ready" in win.status_labels["status"].text()
    button(win, "stepButton").click()
    wait_step(qtbot, win, 1)
    assert "paused" in win.status_labels["status"].text()


def test_save_and_open_a_session_from_the_app(win, qtbot, tmp_path):
    for _ in range(3):
        button(win, "epochButton").click()
    wait_step(qtbot, win, 3)
    path = tmp_path / "run.gdsim"
    win.save_session(str(path))
    qtbot.waitUntil(path.exists, timeout=5000)
    params = win.snapshot.params.copy()
    button(win, "resetButton").click()
    wait_step(qtbot, win, 0)
    win.open_session(str(path))
    qtbot.waitUntil(lambda: win.snapshot.step == 3, timeout=5000)
    np.testing.assert_array_equal(win.snapshot.params, params)
    assert str(path) in QtCore.QSettings().value("recent/sessions")
    bad = tmp_path / "bad.gdsim"
    bad.write_text("not a zip")
    win.file_dialog_safely(win.open_session, str(bad))
    qtbot.waitUntil(lambda: bool(win.errors), timeout=5000)  # sessions are read off the GUI thread
    assert "Could not open bad.gdsim" in win.errors[-1] and win.snapshot.step == 3


def test_export_pytorch_script_from_the_app(win, tmp_path):
    path = tmp_path / "xor_torch.py"
    win.export_torch(str(path))
    text = path.read_text()
    assert "import torch" in text and "final_loss=" in text
    with pytest.raises(ValueError):
        win.export_torch(str(tmp_path / "script.txt"))


def test_ctrl_c_in_the_terminal_closes_the_window_like_its_close_button(win, qtbot):
    """A real SIGINT: before, Python raised KeyboardInterrupt inside a Qt slot (a traceback) and the window
    carried on; now it closes as its close button does and the app's exit status is 130."""
    import os
    import signal

    from gdsim.ui import app

    before = signal.getsignal(signal.SIGINT)
    try:
        win.client.run()
        app._close_on_ctrl_c(win)
        os.kill(os.getpid(), signal.SIGINT)
        qtbot.waitUntil(lambda: not win.isVisible(), timeout=10000)
        qtbot.waitUntil(win.client.qthread.isFinished, timeout=10000)  # the run stopped, the worker gone
        assert win.exit_code == 130
    finally:
        signal.signal(signal.SIGINT, before)
