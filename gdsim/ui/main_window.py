"""The main window: docks, menus, toolbar, dialogs. The only place that wires the worker to the panels."""

from __future__ import annotations

import math
import time
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Signal, Slot

from gdsim import config as cfgmod
from gdsim import export
from gdsim.snapshot import Snapshot
from gdsim.ui.controls import SetupPanel, scrolling
from gdsim.ui.lr_control import LearningRateControl
from gdsim.ui.panels.loss_curve import LossCurve
from gdsim.ui.panels.network_graph import NetworkGraph
from gdsim.ui.panels.output_view import OutputView
from gdsim.ui.panels.plotting import replace_export_menu
from gdsim.ui.toolbar import TrainingToolbar
from gdsim.worker import WorkerThread

DEFAULT_PRESET = "xor"
SETTINGS_VERSION = 1


def default_config() -> cfgmod.Config:
    try:
        return cfgmod.load_preset(DEFAULT_PRESET)
    except ValueError:
        return cfgmod.Config()


class MainWindow(QtWidgets.QMainWindow):
    sigLoad = Signal(object)
    sigStep = Signal()
    sigEpoch = Signal()
    sigRun = Signal(int)
    sigSetLr = Signal(float)
    sigSetRate = Signal(float)

    def __init__(self, cfg: cfgmod.Config | None = None, restore_layout: bool = True):
        super().__init__()
        self.setWindowTitle("gdsim — gradient descent laboratory")
        self.resize(1280, 800)
        self.snapshot: Snapshot | None = None
        self.frames_drawn = 0
        self.data = None
        self.errors: list[str] = []  # every message shown to the user, newest last (tests read it)

        self.worker_thread = WorkerThread()
        worker = self.worker = self.worker_thread.worker
        for sig, slot in ((self.sigLoad, worker._on_load), (self.sigStep, worker._on_step),
                          (self.sigEpoch, worker._on_epoch), (self.sigRun, worker._on_run),
                          (self.sigSetLr, worker._on_set_lr), (self.sigSetRate, worker._on_set_rate)):
            sig.connect(slot, QtCore.Qt.ConnectionType.QueuedConnection)
        queued = QtCore.Qt.ConnectionType.QueuedConnection  # explicit: these slots must run in the GUI thread
        worker.sigSnapshot.connect(self._on_snapshot, queued)
        worker.sigRunning.connect(self._on_running, queued)
        worker.sigProgress.connect(self._on_progress, queued)
        worker.sigError.connect(self._on_worker_error, queued)

        cfg = cfg or default_config()
        self.graph = NetworkGraph()
        self.loss_curve = LossCurve()
        self.output_view = OutputView()
        self.setup = SetupPanel(cfg)
        self.lr_control = LearningRateControl(cfg.training.lr)
        self.toolbar = TrainingToolbar(self.lr_control, self)
        self.addToolBar(QtCore.Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        self.setCentralWidget(self.graph)
        self.docks: dict[str, QtWidgets.QDockWidget] = {}
        self._dock("Setup", scrolling(self.setup), QtCore.Qt.DockWidgetArea.LeftDockWidgetArea)
        self._dock("Loss", self.loss_curve, QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
        self._dock("Output", self.output_view, QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
        self._status_bar()
        self._menus()
        self._connect()
        self._default_state = self.saveState(SETTINGS_VERSION)
        if restore_layout:
            self._restore_layout()
        self._load(cfg)

    # ---------------------------------------------------------------- layout

    def _dock(self, title: str, widget: QtWidgets.QWidget, area) -> QtWidgets.QDockWidget:
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(f"{title.lower()}Dock")
        dock.setWidget(widget)
        dock.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        self.docks[title] = dock
        return dock

    def _status_bar(self) -> None:
        bar = self.statusBar()
        self.status_labels: dict[str, QtWidgets.QLabel] = {}
        tips = {"epoch": "Passes over the training data", "step": "Parameter updates so far",
                "loss": "Training loss of the last step's batch", "grad": "Norm of the last gradient ‖∇L‖",
                "status": "running, converged, diverged or max_epochs", "speed": "Training steps per second"}
        for key, tip in tips.items():
            label = QtWidgets.QLabel()
            label.setObjectName(f"status_{key}")
            label.setToolTip(tip)
            label.setMinimumWidth(90)
            bar.addPermanentWidget(label)
            self.status_labels[key] = label
        self.progress = QtWidgets.QProgressBar()
        self.progress.setObjectName("runProgress")
        self.progress.setMaximumWidth(160)
        self.progress.setVisible(False)
        bar.addWidget(self.progress)

    def _menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        presets = file.addMenu("Open &preset")
        for name in cfgmod.preset_names():
            try:
                preset = cfgmod.load_preset(name)
            except ValueError:
                continue
            act = presets.addAction(preset.name or name)
            act.setToolTip(preset.description)
            act.setStatusTip(preset.description)
            act.triggered.connect(lambda _=False, n=name: self.open_preset(n))
        file.addSeparator()
        for label, ext in (("PNG image…", "png"), ("SVG drawing…", "svg"), ("CSV table…", "csv")):
            act = file.addAction(f"Export loss curve as {label}")
            act.triggered.connect(lambda _=False, e=ext: self._export_loss_dialog(e))
        file.actions()[-3].setShortcut(QtGui.QKeySequence("Ctrl+E"))
        act = file.addAction("Save window screenshot…")
        act.triggered.connect(self._screenshot_dialog)
        file.addSeparator()
        act = file.addAction("&Quit")
        act.setShortcut(QtGui.QKeySequence.StandardKey.Quit)
        act.triggered.connect(self.close)

        train = bar.addMenu("&Train")
        for act in self.toolbar.actions_for_menu():
            train.addAction(act)

        view = bar.addMenu("&View")
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        self.log_action = view.addAction("Logarithmic loss axis")
        self.log_action.setCheckable(True)
        self.log_action.setChecked(True)
        self.log_action.toggled.connect(self.loss_curve.set_log_y)
        self.gradient_action = view.addAction("Colour edges by gradient")
        self.gradient_action.setCheckable(True)
        self.gradient_action.toggled.connect(lambda on: self.graph.set_color_mode("gradient" if on else "weight"))
        view.addSeparator()
        view.addAction("Reset layout", self.reset_layout)

        help_ = bar.addMenu("&Help")
        help_.addAction("Keyboard shortcuts", self._show_shortcuts)
        help_.addAction("About gdsim", self._about)

    def _connect(self) -> None:
        tb = self.toolbar
        tb.step.triggered.connect(self.sigStep)
        tb.epoch.triggered.connect(self.sigEpoch)
        tb.run.toggled.connect(self._on_run_toggled)
        tb.reset.triggered.connect(self.reset)
        tb.run_n.clicked.connect(lambda: self._start_run(tb.epochs.value()))
        for title, panel, exts in (("network graph", self.graph, ("png", "svg")),
                                   ("loss curve", self.loss_curve, ("png", "svg", "csv")),
                                   ("output view", self.output_view, ("png", "svg"))):
            view = panel if hasattr(panel, "scene") and callable(panel.scene) else panel.plot_widget
            replace_export_menu(view, lambda _=False, t=title, p=panel, e=exts: self._export_panel_dialog(t, p, e))
        self.graph.sigColorModeChanged.connect(
            lambda mode: self.gradient_action.setChecked(mode == "gradient"))
        tb.rate.currentIndexChanged.connect(lambda *_: self.sigSetRate.emit(tb.rate_value()))
        self.lr_control.sigChanged.connect(self._on_lr_changed)
        self.setup.sigChanged.connect(self._on_setup_changed)

    # ---------------------------------------------------------------- commands

    def open_preset(self, name: str) -> None:
        try:
            cfg = cfgmod.load_preset(name)
        except ValueError as e:
            self.show_error(str(e))
            return
        self.setup.set_config(cfg)
        self.lr_control.set_value(cfg.training.lr)
        self._load(cfg)

    def current_config(self) -> cfgmod.Config:
        return self.setup.config(self.lr_control.value())

    def reset(self) -> None:
        """Back to the initial weights of the current set-up (same seed), history cleared."""
        self._load(self.current_config())

    def _on_setup_changed(self, section: str) -> None:
        self._load(self.current_config())

    def _load(self, cfg: cfgmod.Config) -> bool:
        self.worker.pause()
        try:
            import warnings

            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                built = cfgmod.build(cfg)
        except (ValueError, OSError) as e:
            self.show_error(f"Cannot use this set-up: {e}")
            return False
        self.cfg = cfg
        self.data = built.data
        self.loss_curve.clear()
        self.output_view.set_data(built.data)
        self.setup.preview.set_data(built.data)
        self.sigLoad.emit(built)
        hint = "; ".join(str(w.message) for w in caught)
        self.statusBar().showMessage(hint or f"{cfg.name or cfg.problem.dataset}: ready — press Run (Space)",
                                     8000)
        return True

    def _start_run(self, epochs: int) -> None:
        if self.worker.running:
            return
        self.progress.setVisible(epochs > 0)
        self.progress.setRange(0, max(1, epochs))
        self.progress.setValue(0)
        self.toolbar.set_running(True)
        self.sigRun.emit(epochs)

    def _on_run_toggled(self, on: bool) -> None:
        if on:
            self._start_run(0)
        else:
            self.worker.pause()

    def _on_lr_changed(self, lr: float) -> None:
        self.sigSetLr.emit(lr)

    # ---------------------------------------------------------------- worker -> panels

    @Slot(object)
    def _on_snapshot(self, s: Snapshot) -> None:
        start = time.thread_time()  # CPU time of this thread: waiting for the GIL is not drawing
        self.snapshot = s
        self.frames_drawn += 1
        self.graph.show_snapshot(s)
        self.loss_curve.show_snapshot(s)
        self.output_view.show_snapshot(s)
        self._show_status(s)
        # the panels repaint before this zero-timer fires, so the worker learns what a whole frame costs
        QtCore.QTimer.singleShot(0, lambda: self.worker.seen(time.thread_time() - start))

    def _show_status(self, s: Snapshot) -> None:
        lab = self.status_labels
        lab["epoch"].setText(f"epoch {s.epoch}")
        lab["step"].setText(f"step {s.step}")
        lab["loss"].setText(f"loss {_fmt(s.loss)}")
        lab["grad"].setText(f"‖∇L‖ {_fmt(s.grad_norm)}")
        colour = {"diverged": "#c0392b", "converged": "#1e8449"}.get(s.status, "#333")
        lab["status"].setText(f"<b style='color:{colour}'>{s.status}</b>")
        lab["status"].setToolTip(s.message or "running, converged, diverged or max_epochs")
        lab["speed"].setText(f"{s.steps_per_second:,.0f} steps/s" if s.steps_per_second else "")
        if s.message and s.status != "running":
            self.statusBar().showMessage(s.message, 15000)

    @Slot(int)
    def _on_running(self, running: int) -> None:
        running = bool(running)
        self.toolbar.set_running(running)
        if not running:
            self.progress.setVisible(False)

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)

    @Slot(str)
    def _on_worker_error(self, message: str) -> None:
        self.show_error(message)

    def show_error(self, message: str) -> None:
        """Tell the user; never raise. In tests (offscreen) the message is recorded instead of blocking."""
        self.errors.append(message)
        self.statusBar().showMessage(message.splitlines()[0], 15000)
        if QtWidgets.QApplication.platformName() != "offscreen":
            box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Warning, "gdsim", message.split("\n\nDetails")[0],
                                        parent=self)
            if "\n\nDetails:\n" in message:
                box.setDetailedText(message.split("\n\nDetails:\n", 1)[1])
            box.open()

    # ---------------------------------------------------------------- export

    def export_loss(self, path: str, width: int | None = None) -> None:
        ext = export.check_path(path, ("png", "svg", "csv"))
        if ext == "csv":
            header, rows = export.loss_csv_rows(self.snapshot.step_history, self.snapshot.epoch_history)
            export.write_csv(path, header, rows)
        elif ext == "svg":
            export.plot_svg(self.loss_curve, path)
        else:
            export.plot_png(self.loss_curve.getPlotItem(), path, width)

    def _export_loss_dialog(self, ext: str) -> None:
        if self.snapshot is not None:
            self._export_dialog("loss curve", (ext,), self.export_loss)

    def _export_panel_dialog(self, title: str, panel, exts) -> None:
        def write(path, width):
            ext = export.check_path(path, exts)
            if ext == "csv":
                self.export_loss(path)
            elif ext == "svg":
                export.plot_svg(panel, path)
            else:
                export.plot_png(panel, path, width)

        self._export_dialog(title, exts, write)

    def _export_dialog(self, title: str, exts, write) -> None:
        """Ask for a file (and a PNG width), then write it; failures become a message, never a traceback."""
        names = {"png": "PNG image (*.png)", "svg": "SVG drawing (*.svg)", "csv": "CSV table (*.csv)"}
        stem = title.replace(" ", "_")
        path, chosen = QtWidgets.QFileDialog.getSaveFileName(self, f"Export {title}", f"{stem}.{exts[0]}",
                                                             ";;".join(names[e] for e in exts))
        if not path:
            return
        if not Path(path).suffix:
            path += "." + next(e for e in exts if names[e] == chosen)
        width = None
        if path.lower().endswith(".png"):
            width, ok = QtWidgets.QInputDialog.getInt(self, "PNG width", "Width in pixels:", 1600, 200, 8000)
            if not ok:
                return
        try:
            write(path, width)
            self.statusBar().showMessage(f"Saved {path}", 5000)
        except (ValueError, OSError) as e:
            self.show_error(f"Could not export: {e}")

    def save_screenshot(self, path: str) -> None:
        export.check_path(path, ("png",))
        if not self.grab().save(path, "PNG"):
            raise OSError(f"could not write {path}")

    def _screenshot_dialog(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save screenshot", "gdsim.png", "PNG image (*.png)")
        if path:
            try:
                self.save_screenshot(path)
            except (ValueError, OSError) as e:
                self.show_error(f"Could not save: {e}")

    # ---------------------------------------------------------------- settings and closing

    def _restore_layout(self) -> None:
        s = QtCore.QSettings()
        geometry, state = s.value("window/geometry"), s.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state, SETTINGS_VERSION)

    def reset_layout(self) -> None:
        self.restoreState(self._default_state, SETTINGS_VERSION)
        for dock in self.docks.values():
            dock.show()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        s = QtCore.QSettings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState(SETTINGS_VERSION))
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop the worker thread (idempotent)."""
        if self.worker_thread.thread.isRunning():
            self.worker_thread.stop()

    def _show_shortcuts(self) -> None:
        QtWidgets.QMessageBox.information(self, "Keyboard shortcuts", self.toolbar.shortcut_help())

    def _about(self) -> None:
        from gdsim import __version__

        QtWidgets.QMessageBox.about(self, "About gdsim", f"<b>gdsim {__version__}</b><p>A desktop laboratory "
                                    "for gradient descent: watch small neural networks learn.</p>")


def _fmt(x: float) -> str:
    if x is None or not math.isfinite(x):
        return "—" if x is None or math.isnan(x) else "∞"
    return f"{x:.4g}"


