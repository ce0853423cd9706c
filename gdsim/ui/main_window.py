"""The main window: composition only. It builds the panels, docks, toolbar, status line and menus, and the
controllers that drive them, each given what it works on; the app's state lives in ``gdsim.lab.state``.

The public methods below are what the menus, the CLI and the tests call; each hands over to a controller.
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from gdsim.lab import config as cfgmod
from gdsim.lab.progress import Progress
from gdsim.lab.snapshot import Snapshot
from gdsim.lab.state import AppState
from gdsim.ui import layout
from gdsim.ui.controllers.aids import AidController
from gdsim.ui.controllers.files import FileController
from gdsim.ui.controllers.lab import LabController
from gdsim.ui.controllers.lessons import LessonController
from gdsim.ui.controllers.messages import Messages
from gdsim.ui.controllers.problem import ProblemController
from gdsim.ui.controllers.recording import RecordingController
from gdsim.ui.controllers.surfaces import SurfaceController
from gdsim.ui.controllers.training import TrainingController
from gdsim.ui.menus import build_menus
from gdsim.ui.panels.compare_panel import ComparePanel
from gdsim.ui.panels.function_info import FunctionInfo
from gdsim.ui.panels.gradient_flow import GradientFlowPanel
from gdsim.ui.panels.inspector import InspectorPanel
from gdsim.ui.panels.lesson_panel import LessonPanel
from gdsim.ui.panels.loss_curve import LossCurve
from gdsim.ui.panels.network_graph import NetworkGraph
from gdsim.ui.panels.output_view import OutputView
from gdsim.ui.panels.setup import SetupPanel, scrolling
from gdsim.ui.panels.sharpness import SharpnessPanel
from gdsim.ui.panels.surface_1d import Surface1D
from gdsim.ui.panels.surface_2d import Surface2D
from gdsim.ui.panels.surface_3d import Surface3D
from gdsim.ui.panels.sweep_panel import SweepPanel
from gdsim.ui.plotting.items import replace_export_menu
from gdsim.ui.widgets.lesson_banner import LessonBanner, ShortcutsDialog
from gdsim.ui.widgets.lr_control import LearningRateControl
from gdsim.ui.widgets.scrubber import HistoryScrubber
from gdsim.ui.widgets.status_line import StatusLine
from gdsim.ui.widgets.toolbar import TrainingToolbar
from gdsim.ui.worker_client import WorkerClient

DEFAULT_PRESET = "xor"
SETTINGS_VERSION = 2


def default_config() -> cfgmod.Config:
    try:
        return cfgmod.load_preset(DEFAULT_PRESET)
    except ValueError:
        return cfgmod.Config()


class MainWindow(QtWidgets.QMainWindow):
    def __init__(self, cfg: cfgmod.Config | None = None, restore_layout: bool = True):
        super().__init__()
        self.setWindowTitle("gdsim — gradient descent laboratory")
        self.state = AppState()
        self.closing = False
        self.client = WorkerClient()
        self.worker = self.client.worker  # tests watch its signals and its trainer
        default = cfg is None
        cfg = cfg or default_config()
        self._make_panels(cfg)
        self.toolbar = TrainingToolbar(self.lr_control, self)
        self.addToolBar(QtCore.Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        self.addToolBarBreak()
        self.banner = LessonBanner(self)
        self.addToolBar(QtCore.Qt.ToolBarArea.TopToolBarArea, self.banner)
        self._arrange_docks()
        self.status_line = StatusLine(self.statusBar())
        self.status_labels, self.progress = self.status_line.labels, self.status_line.progress
        self.messages = Messages(self, self.statusBar(), self.state.errors)
        self._make_controllers()
        menus = build_menus(self)
        self.log_action, self.gradient_action = menus.log_action, menus.gradient_action
        self._default_state = self.saveState(SETTINGS_VERSION)
        self._persist = restore_layout  # scripted runs and tests neither read nor overwrite the user's layout
        self._restored = False
        self._fit_to_screen()
        if restore_layout:
            self._restore_layout()
        self.problem.load(cfg)
        self.client.set_rate(self.toolbar.rate_value())
        if default:
            self.present_preset(DEFAULT_PRESET)

    def _make_panels(self, cfg: cfgmod.Config) -> None:
        self.graph = NetworkGraph()
        self.function_info = FunctionInfo()
        self.centre = QtWidgets.QStackedWidget()
        self.centre.addWidget(self.graph)
        self.centre.addWidget(self.function_info)
        self.inspector, self.gradient_flow, self.scrubber = InspectorPanel(), GradientFlowPanel(), HistoryScrubber()
        self.compare, self.sweep = ComparePanel(), SweepPanel()
        self.lesson_panel, self.sharpness = LessonPanel(), SharpnessPanel()
        middle = QtWidgets.QWidget()
        column = QtWidgets.QVBoxLayout(middle)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(self.centre, 1)
        column.addWidget(self.scrubber)
        self.centre.setMinimumSize(200, 150)  # a 4-neuron graph needs little; the pictures get the room
        self.setCentralWidget(middle)
        self.loss_curve, self.output_view = LossCurve(), OutputView()
        self.surface2d, self.surface1d, self.surface3d = Surface2D(), Surface1D(), Surface3D()
        self.setup = SetupPanel(cfg)
        self.lr_control = LearningRateControl(cfg.training.eta)

    def _make_controllers(self) -> None:
        client, state, docks = self.client, self.state, self.docks
        self.surfaces = SurfaceController(client, state, self.surface2d, self.surface1d, self.surface3d, docks,
                                          self.on_screen, reload=lambda: self.problem.reload(),
                                          start_function=lambda x, y: self.problem.start_function_at(x, y))
        self.aids = AidController(client, state, self.graph, self.inspector, self.gradient_flow, self.scrubber,
                                  docks, self.on_screen, self.surfaces.show_snapshot)
        self.problem = ProblemController(self, client, state, self.messages, self.setup, self.lr_control,
                                         self.graph, self.function_info, self.centre, self.loss_curve,
                                         self.output_view, docks, self.surfaces, self.aids)
        self.training = TrainingController(client, state, self.messages, self.toolbar, self.status_line,
                                           self.lr_control, self.setup, self.loss_curve, self.output_view, self.aids,
                                           self.problem.gate)
        self.files = FileController(self, client, state, self.messages, self.loss_curve,
                                    self.problem.current_config, self.problem.open_built, self.problem.loader)
        self.recent_menu = self.files.recent_menu
        self.lab = LabController(client, state, self.compare, self.sweep, docks, self.problem.current_config,
                                 self.surfaces.show_paths, self.training.use_lr, self.files.file_dialog)
        self.problem.new_problem_hooks.append(self.lab.problem_changed)
        self.problem.banner = self.banner
        self.lessons = LessonController(self.lesson_panel, self.problem.apply, self.current_config, self.training.press,
                                        client.lesson, Progress())
        client.sigSignals.connect(self.lessons.on_reading)
        # λmax along the run costs up to ~10 % of training: only while its dock is in front (a tab behind
        # another is "visible" to Qt, so the dock's visibilityChanged decides, not the panel's show events)
        docks["Sharpness"].visibilityChanged.connect(client.set_sharpness)
        client.sigSnapshot.connect(lambda s: self.on_screen("Sharpness") and self.sharpness.show_snapshot(s))
        client.sigLoaded.connect(self.sharpness.clear)
        self.recording = RecordingController(self, client, self.messages, self.statusBar(), docks, self.centre)
        self.toolbar.reset.triggered.connect(self.reset)
        self.graph.sigLensWanted.connect(client.set_lens)
        self.graph.sigParameterClicked.connect(self.surfaces.show_parameter)
        self.setup.sigProposeLr.connect(self.lr_control.set_value)
        for title, panel, exts in (("network graph", self.graph, ("png", "svg")),
                                   ("loss curve", self.loss_curve, ("png", "svg", "csv")),
                                   ("output view", self.output_view, ("png", "svg")),
                                   ("loss surface", self.surface2d, ("png", "svg", "csv")),
                                   ("loss slice", self.surface1d, ("png", "svg", "csv"))):
            view = panel if isinstance(panel, QtWidgets.QGraphicsView) or hasattr(panel, "getPlotItem") else panel.plot
            replace_export_menu(view, lambda _=False, t=title, p=panel, e=exts: self.export_panel_dialog(t, p, e))


    def _arrange_docks(self) -> None:
        """The docks and where they go (gdsim.ui.layout): the four key pictures show together at start."""
        self.docks: dict[str, QtWidgets.QDockWidget] = {}
        self.dock_shown: dict[str, bool] = {}
        layout.arrange_docks(self, {
            "Setup": scrolling(self.setup), "Backprop": self.inspector, "Lesson": self.lesson_panel,
            "Loss": self.loss_curve, "Output": self.output_view, "Loss surface": self.surface2d,
            "Compare": self.compare, "η sweep": self.sweep, "Sharpness": self.sharpness,
            "Loss slice": self.surface1d, "3D surface": self.surface3d, "Gradient flow": self.gradient_flow})

    def _fit_to_screen(self, free: QtCore.QRect | None = None) -> None:
        """Size the window to the screen's free area, in the arrangement for its width."""
        if free is None:
            screen = self.screen() or QtGui.QGuiApplication.primaryScreen()
            free = screen.availableGeometry() if screen else QtCore.QRect(0, 0, 1280, 800)
        self._fitted = False
        layout.fit_to_screen(self, free)

    def showEvent(self, event: QtGui.QShowEvent) -> None:
        super().showEvent(event)
        if not self._fitted and not self._restored:
            self._fitted = True
            QtCore.QTimer.singleShot(0, lambda: layout.fit_frame(self))

    def on_screen(self, title: str) -> bool:
        """Whether a dock is showing (a tab behind another is not; Qt says so only through visibilityChanged)."""
        return self.dock_shown.get(title, False) and not self.closing

    @property
    def snapshot(self) -> Snapshot | None:
        return self.state.snapshot

    @property
    def errors(self) -> list[str]:
        """Every message shown to the user, newest last."""
        return self.state.errors

    @property
    def data(self):
        return self.state.data

    @property
    def cfg(self) -> cfgmod.Config | None:
        return self.state.config

    @property
    def lam(self) -> float | None:
        return self.state.lam

    @property
    def scrubbing(self) -> bool:
        return self.state.scrubbing

    @property
    def frames_drawn(self) -> int:
        return self.state.frames_drawn


    def open_preset(self, name: str) -> None:
        """Open a shipped preset, at its pace, with its lesson's panel raised and its description shown."""
        if self.problem.open_preset(name):
            self.present_preset(name)

    def present_preset(self, name: str) -> None:
        """A preset's presentation: its pace, the panel its lesson is about, its description in the banner."""
        try:
            cfg, info = cfgmod.load_preset(name), cfgmod.preset_info(name)
        except ValueError:
            return
        self.toolbar.set_pace(info.pace)
        if info.panel:
            dock = self.docks[info.panel]
            dock.show()
            dock.raise_()
        self.banner.show_preset(cfg, self.state.problem)

    def current_config(self) -> cfgmod.Config:
        return self.problem.current_config()

    def load(self, cfg: cfgmod.Config) -> bool:
        """Train on ``cfg`` from its initial weights; False (and a message) if it cannot be built."""
        return self.problem.load(cfg)

    def reset(self) -> None:
        self.problem.reset()

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

    def start_run(self, epochs: int = 0) -> None:
        self.training.start_run(epochs)

    def import_csv_dialog(self) -> None:
        self.problem.import_csv_dialog()

    def open_session(self, path: str) -> None:
        self.files.open_session(path)

    def save_session(self, path: str) -> None:
        self.files.save_session(path)

    def remember_recent(self, path: str) -> None:
        self.files.remember_recent(path)

    def file_dialog(self, title: str, exts, write, save: bool = True) -> None:
        self.files.file_dialog(title, exts, write, save)

    def file_dialog_safely(self, fn, path) -> None:
        self.files.file_dialog_safely(fn, path)

    def export_loss(self, path: str, width: int | None = None) -> None:
        self.files.export_loss(path, width)

    def export_loss_dialog(self, ext: str) -> None:
        self.files.export_loss_dialog(ext)

    def export_panel_dialog(self, title: str, panel, exts) -> None:
        self.files.export_panel_dialog(title, panel, exts)

    def export_torch(self, path: str) -> list[Path]:
        return self.files.export_torch(path)

    def save_screenshot(self, path: str) -> None:
        self.files.save_screenshot(path)

    def screenshot_dialog(self) -> None:
        self.files.screenshot_dialog()

    def show_error(self, message: str) -> None:
        self.messages.show_error(message)

    def show_open_error(self, message: str) -> QtWidgets.QMessageBox:
        return self.messages.show_open_error(message)


    def _restore_layout(self) -> None:
        s = QtCore.QSettings()
        geometry, state = s.value("window/geometry"), s.value("window/state")
        if isinstance(geometry, QtCore.QByteArray):
            self._restored = self.restoreGeometry(geometry)
        if isinstance(state, QtCore.QByteArray):
            self.restoreState(state, SETTINGS_VERSION)

    def reset_layout(self) -> None:
        self.restoreState(self._default_state, SETTINGS_VERSION)
        self.narrow = False  # the default state is the wide arrangement; the fit below picks the screen's
        for dock in self.docks.values():
            dock.show()
        self._fit_to_screen()
        QtCore.QTimer.singleShot(0, lambda: layout.fit_frame(self))

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
        self.problem.loader.wait(drop=True)  # a CSV or session still being read: cancelled, never applied
        self.client.stop()

    def show_shortcuts(self) -> QtWidgets.QDialog:
        """Every shortcut the window answers to (toolbar and menus), in a dialog wide enough to read."""
        dialog = ShortcutsDialog(self)
        dialog.show()
        return dialog

    def about(self) -> None:
        from gdsim import __version__

        QtWidgets.QMessageBox.about(self, "About gdsim", f"<b>gdsim {__version__}</b><p>A desktop laboratory "
                                    "for gradient descent: watch small neural networks learn.</p>")
