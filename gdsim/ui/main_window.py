"""The main window: docks, toolbar, status bar. The only place that wires the worker to the panels.

File work lives in ``file_actions`` and the surfaces' wiring in ``surface_links`` (mixins); menus in ``menus``.
"""

from __future__ import annotations

import math
import time
import warnings

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Signal, Slot

from gdsim.engine import analysis
from gdsim.engine.trainer import STATUS_TEXT
from gdsim.lab import config as cfgmod
from gdsim.lab.snapshot import Snapshot
from gdsim.ui.controllers.aids import AidLinks
from gdsim.ui.controllers.files import FileActions
from gdsim.ui.controllers.lab import LabLinks
from gdsim.ui.controllers.lessons import LessonController
from gdsim.ui.controllers.surfaces import SurfaceLinks
from gdsim.ui.menus import build_menus
from gdsim.ui.panels.function_info import FunctionInfo
from gdsim.ui.panels.lesson_panel import LessonPanel
from gdsim.ui.panels.loss_curve import LossCurve
from gdsim.ui.panels.network_graph import NetworkGraph
from gdsim.ui.panels.output_view import OutputView
from gdsim.ui.panels.setup import SetupPanel, scrolling
from gdsim.ui.panels.sharpness import SharpnessPanel
from gdsim.ui.plotting.items import replace_export_menu
from gdsim.ui.widgets.lr_control import LearningRateControl
from gdsim.ui.widgets.toolbar import TrainingToolbar
from gdsim.worker import WorkerThread

# every status in words, the divergence rule's thresholds among them (the status label's tooltip)
STATUS_TIP = "\n".join(STATUS_TEXT.values())
DEFAULT_PRESET = "xor"
SETTINGS_VERSION = 2
LEFT, RIGHT = QtCore.Qt.DockWidgetArea.LeftDockWidgetArea, QtCore.Qt.DockWidgetArea.RightDockWidgetArea


def default_config() -> cfgmod.Config:
    try:
        return cfgmod.load_preset(DEFAULT_PRESET)
    except ValueError:
        return cfgmod.Config()


class MainWindow(FileActions, SurfaceLinks, AidLinks, LabLinks, QtWidgets.QMainWindow):
    sigLoad = Signal(object)
    sigStep = Signal()
    sigEpoch = Signal()
    sigRun = Signal(int)
    sigSetLr = Signal(float)
    sigSetRate = Signal(float)
    sigSetSurface = Signal(object)
    sigSaveSession = Signal(str)
    sigAnalyse = Signal(object)
    sigLesson = Signal(str)

    def __init__(self, cfg: cfgmod.Config | None = None, restore_layout: bool = True):
        super().__init__()
        self.setWindowTitle("gdsim — gradient descent laboratory")
        self.resize(1280, 800)
        self.snapshot: Snapshot | None = None
        self.frames_drawn = 0
        self.data = None
        self.errors: list[str] = []  # every message shown to the user, newest last (tests read it)
        self.lam: float | None = None  # λmax at the current parameters, from the worker
        self._start_worker()

        cfg = cfg or default_config()
        self.graph = NetworkGraph()
        self.function_info = FunctionInfo()
        self.centre = QtWidgets.QStackedWidget()
        self.centre.addWidget(self.graph)
        self.centre.addWidget(self.function_info)
        self._make_aids()
        self._make_lab()
        middle = QtWidgets.QWidget()
        column = QtWidgets.QVBoxLayout(middle)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(self.centre, 1)
        column.addWidget(self.scrubber)
        self.loss_curve = LossCurve()
        self.output_view = OutputView()
        self._make_surfaces()
        self.lesson_panel = LessonPanel()
        self.sharpness = SharpnessPanel()
        self.setup = SetupPanel(cfg)
        self.lr_control = LearningRateControl(cfg.training.eta)
        self.toolbar = TrainingToolbar(self.lr_control, self)
        self.addToolBar(QtCore.Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        self.setCentralWidget(middle)
        self._arrange_docks()
        self._status_bar()
        self._link_lessons()
        build_menus(self)
        self._connect()
        self._link_surfaces()
        self._link_aids()
        self._link_lab()
        self._default_state = self.saveState(SETTINGS_VERSION)
        self._persist = restore_layout  # scripted runs and tests neither read nor overwrite the user's layout
        if restore_layout:
            self._restore_layout()
        self._load(cfg)

    def _start_worker(self) -> None:
        self.worker_thread = WorkerThread()
        worker = self.worker = self.worker_thread.worker
        queued = QtCore.Qt.ConnectionType.QueuedConnection  # explicit: each side's slots run in its own thread
        for sig, slot in ((self.sigLoad, worker._on_load), (self.sigStep, worker._on_step),
                          (self.sigEpoch, worker._on_epoch), (self.sigRun, worker._on_run),
                          (self.sigSetLr, worker._on_set_lr), (self.sigSetRate, worker._on_set_rate),
                          (self.sigSetSurface, worker._on_set_surface),
                          (self.sigSaveSession, worker._on_save_session),
                          (self.sigAnalyse, worker._on_analysis), (self.sigLesson, worker._on_lesson)):
            sig.connect(slot, queued)
        worker.sigSnapshot.connect(self._on_snapshot, queued)
        worker.sigRunning.connect(self._on_running, queued)
        worker.sigProgress.connect(self._on_progress, queued)
        worker.sigError.connect(self._on_worker_error, queued)
        worker.sigSaved.connect(self._on_session_saved, queued)
        worker.sigCurvature.connect(self._on_curvature, queued)

    # ---------------------------------------------------------------- layout

    def _arrange_docks(self) -> None:
        """Setup on the left, the network in the middle; on the right the loss (with the comparisons) above
        the outputs (with the surfaces and gradient flow), each group a set of tabs."""
        self.docks: dict[str, QtWidgets.QDockWidget] = {}
        self.dock_shown: dict[str, bool] = {}
        self._dock("Setup", scrolling(self.setup), LEFT)
        self._dock("Backprop", self.inspector, LEFT)
        self.tabifyDockWidget(self.docks["Setup"], self.docks["Backprop"])
        self._dock("Lesson", self.lesson_panel, LEFT)
        self.tabifyDockWidget(self.docks["Setup"], self.docks["Lesson"])
        self._dock("Loss", self.loss_curve, RIGHT)
        self._dock("Output", self.output_view, RIGHT)
        self.splitDockWidget(self.docks["Loss"], self.docks["Output"], QtCore.Qt.Orientation.Vertical)
        groups = {"Loss": (("Compare", self.compare), ("η sweep", self.sweep), ("Sharpness", self.sharpness)),
                  "Output": (("Loss surface", self.surface2d), ("Loss slice", self.surface1d),
                             ("3D surface", self.surface3d), ("Gradient flow", self.gradient_flow))}
        for first, others in groups.items():
            for title, panel in others:
                self._dock(title, panel, RIGHT)
                self.tabifyDockWidget(self.docks[first], self.docks[title])
        for title in ("Setup", "Loss", "Output"):
            self.docks[title].raise_()
        self.resizeDocks([self.docks["Setup"], self.docks["Loss"]], [300, 600], QtCore.Qt.Orientation.Horizontal)
        # the pictures below (decision surface, loss surface) need more room than the loss curve above
        self.resizeDocks([self.docks["Loss"], self.docks["Output"]], [300, 420], QtCore.Qt.Orientation.Vertical)

    def _dock(self, title: str, widget: QtWidgets.QWidget, area) -> QtWidgets.QDockWidget:
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(title.lower().replace(" ", "_") + "Dock")
        dock.setWidget(widget)
        dock.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        self.docks[title] = dock
        self.dock_shown[title] = False
        dock.visibilityChanged.connect(lambda visible, t=title: self.dock_shown.__setitem__(t, visible))
        return dock

    def on_screen(self, title: str) -> bool:
        """Whether a dock is showing (a tab behind another is not; Qt says so only through visibilityChanged)."""
        return self.dock_shown.get(title, False) and not getattr(self, "closing", False)

    def _status_bar(self) -> None:
        bar = self.statusBar()
        bar.setAutoFillBackground(True)
        self.status_labels: dict[str, QtWidgets.QLabel] = {}
        tips = {"epoch": "Passes over the training data", "step": "Parameter updates so far",
                "loss": "Training loss of the last step's batch", "grad": "Norm of the last gradient ‖∇L‖",
                "status": STATUS_TIP, "limit": "The edge of stability 2/λmax",
                "speed": "Training steps per second"}
        widest = {"epoch": "epoch 0000000", "step": "step 00000000", "loss": "value -0.0000e-00",
                  "grad": "‖∇‖ 0.0000e-00", "status": "max_epochs", "limit": "2/λmax 0.000e-00 · saddle",
                  "speed": "000,000 steps/s"}
        for key, tip in tips.items():
            label = QtWidgets.QLabel()
            label.setObjectName(f"status_{key}")
            label.setToolTip(tip)
            # a fixed width: new numbers never re-lay out (and repaint) the whole status bar
            label.setFixedWidth(label.fontMetrics().horizontalAdvance(widest[key]) + 12)
            label.setAutoFillBackground(True)  # opaque: a new number repaints the label, not the window under it
            bar.addPermanentWidget(label)
            self.status_labels[key] = label
        self.progress = QtWidgets.QProgressBar()
        self.progress.setObjectName("runProgress")
        self.progress.setMaximumWidth(160)
        self.progress.setVisible(False)
        bar.addWidget(self.progress)

    def _connect(self) -> None:
        tb = self.toolbar
        self.graph.sigLensWanted.connect(self.worker._on_set_lens, QtCore.Qt.ConnectionType.QueuedConnection)
        tb.step.triggered.connect(self.sigStep)
        tb.epoch.triggered.connect(self.sigEpoch)
        tb.run.toggled.connect(self._on_run_toggled)
        tb.reset.triggered.connect(self.reset)
        tb.run_n.clicked.connect(lambda: self._start_run(tb.epochs.value()))
        tb.rate.currentIndexChanged.connect(lambda *_: self.sigSetRate.emit(tb.rate_value()))
        for title, panel, exts in (("network graph", self.graph, ("png", "svg")),
                                   ("loss curve", self.loss_curve, ("png", "svg", "csv")),
                                   ("output view", self.output_view, ("png", "svg")),
                                   ("loss surface", self.surface2d, ("png", "svg", "csv")),
                                   ("loss slice", self.surface1d, ("png", "svg", "csv"))):
            view = panel if isinstance(panel, QtWidgets.QGraphicsView) or hasattr(panel, "getPlotItem") \
                else panel.plot
            replace_export_menu(view, lambda _=False, t=title, p=panel, e=exts: self.export_panel_dialog(t, p, e))
        self.graph.sigColorModeChanged.connect(lambda mode: self.gradient_action.setChecked(mode == "gradient"))
        self.lr_control.sigChanged.connect(self.sigSetLr)
        self.lr_control.sigChanged.connect(lambda _lr: self.lr_control.set_curvature(self.lam))
        self.lr_control.sigChanged.connect(lambda lr: self.setup.show_schedule(self.cfg, lr))
        self.setup.sigChanged.connect(lambda _section: self._load(self.current_config()))
        self.setup.sigProposeLr.connect(self.lr_control.set_value)
        self.lr_control.sigChanged.connect(self.setup.note_lr_typed)
        self.output_view.sigPointAdded.connect(self.add_point)

    def _link_lessons(self) -> None:
        """The lesson walker and the edge-of-stability monitor: the worker answers both."""
        from gdsim.lab.progress import Progress

        queued = QtCore.Qt.ConnectionType.QueuedConnection
        self.lessons = LessonController(self.lesson_panel, self.apply_config, self.current_config,
                                        self._press, self.sigLesson.emit, Progress())
        self.worker.sigSignals.connect(self.lessons.on_reading, queued)
        # λmax along the run costs up to ~10 % of training: only while its dock is in front (a tab behind
        # another is "visible" to Qt, so the dock's visibilityChanged decides, not the panel's show events)
        self.docks["Sharpness"].visibilityChanged.connect(self.worker._on_set_sharpness, queued)

    def open_lesson(self, name: str) -> bool:
        """Open a shipped lesson by name (or a lesson file) in the lesson dock."""
        try:
            self.lessons.open(name)
        except ValueError as e:
            self.show_open_error(f"Could not open the lesson: {e}")
            return False
        self.docks["Lesson"].show()
        self.docks["Lesson"].raise_()
        return True

    def apply_config(self, cfg: cfgmod.Config) -> bool:
        """Use a whole set-up (a lesson step's), as File → Open preset does."""
        self.setup.set_config(cfg)
        self.lr_control.set_value(cfg.training.eta)
        return self._load(cfg)

    def _press(self, kind: str, count: int) -> None:
        """Step / Epoch ``count`` times, or Run ``count`` epochs: what the toolbar's buttons do."""
        if kind == "run":
            self._start_run(count)
            return
        for _ in range(count):
            (self.sigStep if kind == "step" else self.sigEpoch).emit()

    # ---------------------------------------------------------------- commands

    def open_preset(self, name: str) -> None:
        try:
            cfg = cfgmod.load_preset(name)
        except ValueError as e:
            self.show_open_error(f"Could not open preset {name}: {e}")
            return
        self.setup.set_config(cfg)
        self.lr_control.set_value(cfg.training.eta)
        self._load(cfg)

    def current_config(self) -> cfgmod.Config:
        return self.setup.config(self.lr_control.value())

    def reset(self) -> None:
        """Back to the initial weights of the current set-up (same seed), history cleared."""
        self._load(self.current_config(), keep_surfaces=True)

    def import_csv_dialog(self) -> None:
        from gdsim.ui.widgets.csv_import import CsvImportDialog

        dialog = CsvImportDialog(self)
        if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted:
            problem = dialog.result_problem()
            problem = {**problem, "features": tuple(problem["features"]) if problem.get("features") else None}
            cfg = self.current_config().with_changes(problem=problem)
            self.setup.set_config(cfg)
            self._load(cfg, report=self.show_open_error)

    def _load(self, cfg: cfgmod.Config, keep_surfaces: bool = False, report=None) -> bool:
        """Build the set-up and hand it to the worker; a bad set-up is a message (``report``) and changes
        nothing."""
        self.worker.pause()
        mask = None
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                probe = cfgmod.build(cfg)
                if self.exact_indices and keep_surfaces:
                    import numpy as np

                    mask = np.zeros(probe.net.n_params, bool)
                    mask[[i for i in self.exact_indices if i < probe.net.n_params]] = True
                start = self.start_override if keep_surfaces else None
                built = cfgmod.build(cfg, mask=mask, start=start) if (mask is not None or start) else probe
        except (ValueError, OSError) as e:
            (report or self.show_error)(f"Cannot use this set-up: {e}")
            return False
        self.cfg = cfg
        self.setup.show_schedule(cfg, cfg.training.eta)
        self._surfaces_for_new_model(built.net.param_names, keep_surfaces)
        hint = "; ".join(str(w.message) for w in caught)
        self._show_built(built, hint or f"{cfg.name or cfg.problem.dataset}: ready — press Run (Space)")
        return True

    def _show_built(self, built: cfgmod.Built, message: str) -> None:
        self.data = built.data
        function = getattr(built.net, "function", None)
        if function is not None:
            self.function_info.show_function(function)
        self.centre.setCurrentWidget(self.function_info if function is not None else self.graph)
        self.loss_curve.clear()
        self.gradient_flow.clear()
        self.sharpness.clear()
        self.scrubber.clear()
        self.scrubbing = False
        if built.data is not None:
            self.output_view.set_data(built.data)
            self.graph.set_input_names(built.data.feature_names)
        else:
            self.output_view.forget()
        self.setup.preview.set_data(built.data)
        if function is not None and not self.docks["Loss surface"].isVisible():
            self.docks["Loss surface"].show()
        if function is not None:
            self.docks["Loss surface" if function.dim == 2 else "Loss slice"].raise_()
        self.sigLoad.emit(built)
        self._request_surfaces()
        self.statusBar().showMessage(message, 8000)

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

    # ---------------------------------------------------------------- worker -> panels

    @Slot(object)
    def _on_snapshot(self, s: Snapshot) -> None:
        start = time.thread_time()  # CPU time of this thread: waiting for the GIL is not drawing
        self.snapshot = s
        self.frames_drawn += 1
        self.loss_curve.show_snapshot(s)
        self.output_view.show_snapshot(s)
        self._show_live(s)
        if self.on_screen("Sharpness"):
            self.sharpness.show_snapshot(s)
        self._show_status(s)
        if self.setup.schedule_plot.isVisible():
            self.setup.schedule_plot.show_epoch(s.epoch)
        if not self.worker.running:
            self.refresh_inspector()  # a Step or an Epoch: show that update's numbers
        # the panels repaint before this zero-timer fires, so the worker learns what a whole frame costs
        QtCore.QTimer.singleShot(0, lambda: self.worker.seen(time.thread_time() - start))

    def _show_status(self, s: Snapshot) -> None:
        lab = self.status_labels
        lab["epoch"].setText(f"epoch {s.epoch}")
        lab["step"].setText(f"step {s.step}")
        lab["loss"].setText(f"{'value' if s.task == 'function' else 'loss'} {_fmt(s.loss)}")
        lab["grad"].setText(f"‖∇‖ {_fmt(s.grad_norm)}")
        colour = {"diverged": "#c0392b", "converged": "#1e8449", "stalled": "#b9770e"}.get(s.status, "#333")
        status = s.status
        if status == "running":  # the trainer's word for "not finished": say what the user sees
            status = "ready" if s.step == 0 else "running" if self.worker.running else "paused"
        lab["status"].setText(f"<b style='color:{colour}'>{status}</b>")
        lab["status"].setToolTip((s.message + "\n\n" if s.message else "") + STATUS_TIP)
        lab["speed"].setText(f"{s.steps_per_second:,.0f} steps/s" if s.steps_per_second else "")
        if s.message and s.status != "running":
            self.statusBar().showMessage(s.message, 15000)

    @Slot(float, float)
    def _on_curvature(self, lam: float, lam_min: float = 0.0) -> None:
        self.lam = lam
        self.lr_control.set_curvature(lam)
        label = self.status_labels["limit"]
        saddle = analysis.Curvature(lam, lam_min).saddle
        label.setText((f"2/λmax {2 / lam:.3g}" if lam > 0 else "λmax ≤ 0") + (" · saddle" if saddle else ""))
        tip = self.lr_control.hint.toolTip() if lam > 0 else "λmax ≤ 0: no direction limits η here."
        if saddle:
            tip += (f"\nλmin = {lam_min:.4g} < 0: negative curvature, a saddle. Along that direction the loss "
                    "falls away quadratically; it sets no limit on η.")
        label.setToolTip(tip)

    @Slot(int)
    def _on_running(self, running: int) -> None:
        self.toolbar.set_running(bool(running))
        if not running:
            self.progress.setVisible(False)
            QtCore.QTimer.singleShot(100, self.refresh_inspector)  # after the run's last snapshot

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
            box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Warning, "gdsim",
                                        message.split("\n\nDetails")[0], parent=self)
            box.setTextFormat(QtCore.Qt.TextFormat.PlainText)  # messages quote names and paths the user typed
            if "\n\nDetails:\n" in message:
                box.setDetailedText(message.split("\n\nDetails:\n", 1)[1])
            box.open()

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
        self.docks["Output"].raise_()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        if self._persist:
            s = QtCore.QSettings()
            s.setValue("window/geometry", self.saveGeometry())
            s.setValue("window/state", self.saveState(SETTINGS_VERSION))
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop the worker thread (idempotent)."""
        self.closing = True
        self.stop_loading()
        if self.worker_thread.thread.isRunning():
            self.worker_thread.stop()

    def show_shortcuts(self) -> None:
        QtWidgets.QMessageBox.information(self, "Keyboard shortcuts", self.toolbar.shortcut_help())

    def about(self) -> None:
        from gdsim import __version__

        QtWidgets.QMessageBox.about(self, "About gdsim", f"<b>gdsim {__version__}</b><p>A desktop laboratory "
                                    "for gradient descent: watch small neural networks learn.</p>")


def _fmt(x: float) -> str:
    if x is None or not math.isfinite(x):
        return "—" if x is None or math.isnan(x) else "∞"
    return f"{x:.4g}"
