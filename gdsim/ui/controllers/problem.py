"""The problem being trained: build a set-up from the form (or a preset, a CSV, a session) and hand it over.

Building checks the set-up first: a bad one is a message and changes nothing. A good one goes to the worker
(which owns it from then on), the state learns its problem key, and the views forget the old run. A set-up that
reads a CSV file is read off the GUI thread (``Loader``): a 50 MB file takes seconds, and the window must not freeze.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6 import QtWidgets

from gdsim.engine import optimizers, schedules
from gdsim.io.tables import write_csv
from gdsim.lab import config as cfgmod
from gdsim.lab.presets import DATA_PREFIX
from gdsim.lab.state import AppState
from gdsim.ui.controllers.aids import AidController
from gdsim.ui.controllers.folders import data_folder
from gdsim.ui.controllers.loader import Gate, Loader
from gdsim.ui.controllers.messages import Messages
from gdsim.ui.controllers.surfaces import SurfaceController
from gdsim.ui.panels.function_info import FunctionInfo
from gdsim.ui.panels.loss_curve import LossCurve
from gdsim.ui.panels.network_graph import NetworkGraph
from gdsim.ui.panels.output_view import OutputView
from gdsim.ui.panels.setup import SetupPanel
from gdsim.ui.widgets.lesson_banner import LessonBanner
from gdsim.ui.widgets.lr_control import LearningRateControl
from gdsim.ui.worker_client import WorkerClient


class ProblemController:
    def __init__(self, parent: QtWidgets.QWidget, client: WorkerClient, state: AppState, messages: Messages,
                 setup: SetupPanel, lr_control: LearningRateControl, graph: NetworkGraph,
                 function_info: FunctionInfo, centre: QtWidgets.QStackedWidget, loss_curve: LossCurve,
                 output_view: OutputView, docks: dict[str, QtWidgets.QDockWidget], surfaces: SurfaceController,
                 aids: AidController):
        self.parent, self.client, self.state, self.messages = parent, client, state, messages
        self.setup, self.lr_control = setup, lr_control
        self.graph, self.function_info, self.centre = graph, function_info, centre
        self.loss_curve, self.output_view, self.docks = loss_curve, output_view, docks
        self.surfaces, self.aids = surfaces, aids
        self.new_problem_hooks: list[Callable[[], object]] = []  # called when the problem key changes
        self.banner: LessonBanner | None = None  # the open preset's note: it follows the problem and η
        self.loader = Loader(parent)  # the window's one loader: CSV set-ups here, sessions in FileController
        # the Output dock was put away for a function (no data to show); True at first, so that a window whose
        # saved layout was left in function mode shows it again for the first problem with data
        self._output_put_away = True
        self.gate = Gate()  # Step/Run pressed while a CSV is read wait for it
        setup.sigChanged.connect(self.setup_changed)
        lr_control.sigChanged.connect(lambda _lr: self._follow())
        output_view.sigPointAdded.connect(self.add_point)

    def setup_changed(self, section: str) -> None:
        """Settings that can change between steps go to the running trainer (like η); the architecture, the
        data, the loss or the initial weights start the run again, and the status says so."""
        cfg, old = self.current_config(), self.state.config
        if old is not None and live_only(old, cfg):
            self.change_training(cfg)
            return
        if old is None:
            self.load(cfg)
            return
        what = {"problem": "data", "network": "network"}.get(section, "set-up")
        note = f" ({self.setup.note})" if self.setup.note else ""
        self.load(cfg, then=lambda: self.messages.say(f"{what} changed: training restarts from new weights{note}",
                                                      15000 if note else 8000))

    def change_training(self, cfg: cfgmod.Config) -> None:
        """Send the new training settings to the worker, after checking them here: a bad one is a message
        and the run carries on as it was."""
        t = cfg.training
        try:
            optimizers.make_optimizer(t.optimizer, 1, weight_decay=t.weight_decay, clip_norm=t.clip_norm,
                                      **t.optimizer_kwargs)
            schedules.resolve(t.schedule, t.epochs or None, **t.schedule_kwargs)
        except (ValueError, TypeError) as e:
            self.messages.show_error(f"Cannot use this setting: {e}")
            return
        if self.state.set_problem(cfg, self.state.data):  # weight decay is part of the landscape
            self._new_problem()
        self.setup.show_schedule(cfg, cfg.training.eta)
        self.client.set_training(cfg)
        self.client.set_lr(cfg.training.eta)  # a new optimizer may come with its own default η
        self._follow()
        self.messages.say("training settings changed: the run goes on from here (marked on the loss curve)", 6000)

    def apply(self, cfg: cfgmod.Config) -> bool:
        """Use a whole set-up (a lesson step's), as File → Open preset does."""
        self.setup.set_config(cfg)
        self.lr_control.set_value(cfg.training.eta)
        return self.load(cfg)

    def current_config(self) -> cfgmod.Config:
        """The set-up the form and the η control describe now."""
        return self.setup.config(self.lr_control.value())

    def open_preset(self, name: str) -> bool:
        """True when the preset is now the problem; else a dialog says why."""
        try:
            cfg = cfgmod.load_preset(name)
        except ValueError as e:
            self.messages.show_open_error(f"Could not open preset {name}: {e}")
            return False
        self.setup.set_config(cfg)
        self.lr_control.set_value(cfg.training.eta)
        return self.load(cfg)

    def reset(self) -> None:
        """Back to the initial weights of the current set-up (same seed), history cleared."""
        self.reload()

    def reload(self) -> None:
        """The current set-up again, keeping exact mode and a start point chosen on a surface."""
        self.load(self.current_config(), keep_surfaces=True)

    def import_csv_dialog(self) -> None:
        from gdsim.ui.widgets.csv_import import CsvImportDialog

        dialog = CsvImportDialog(self.parent)
        if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted:
            self.import_csv(dialog.result_problem())

    def import_csv(self, problem: dict) -> bool:
        """Train on a checked CSV (``problem`` as the import dialog gives it) with the network of the form. It is
        no longer the preset's problem, so the set-up loses the preset's name; fixed weights that do not fit the
        new inputs are dropped, and the status bar says so."""
        problem = {**problem, "features": tuple(problem["features"]) if problem.get("features") else None}
        cfg = self.current_config().with_changes(problem=problem, name="", description="")
        try:
            cfg, note = cfgmod.fit_fixed_weights(cfg)
        except (ValueError, OSError) as e:
            self.messages.show_open_error(f"Cannot use this set-up: {e}")
            return False
        self.setup.set_config(cfg)
        then = (lambda: self.messages.say(f"{problem_title(cfg)}: ready — press Run (Space). {note}", 15000)
                ) if note else None
        return self.load(cfg, report=self.messages.show_open_error, then=then)

    def load(self, cfg: cfgmod.Config, keep_surfaces: bool = False, report: Callable[[str], object] | None = None,
             then: Callable[[], object] | None = None) -> bool:
        """Build the set-up and hand it to the worker, then call ``then()``; a bad set-up is a message
        (``report``) and changes nothing. True: the set-up is in place, or its CSV is being read.

        A CSV file is read off the GUI thread: the status bar says so, Step/Run wait for it (``gate``), a newer
        load (or session) drops it, and if it fails the form goes back to the problem still trained. Generated
        data and the CSVs shipped with gdsim (a few KB, read in a millisecond) are built at once: presets, lessons
        (which apply a set-up and press Step right after) and the many callers that read the result straight
        away keep working as they did.
        """
        self.client.pause()
        self.loader.drop()  # the newest request wins over a set-up or a session still being read
        path = csv_path(cfg)
        if path is None:
            if not self._apply(cfg, None, keep_surfaces, report or self.messages.show_error):
                return False
            if then is not None:
                then()
            return True
        report = report or self.messages.show_open_error  # a file that cannot be read: a dialog, as File → Open
        try:
            cfgmod.validate(cfg)  # a set-up that cannot work is refused before its file is read
        except (ValueError, OSError) as e:
            report(f"Cannot use this set-up: {e}")
            return False
        self.gate.close()
        self.messages.say(f"Reading {reading_text(path)}…", 0)
        self.loader.load(lambda cancel: cfgmod.make_data(cfg, cancel),
                         lambda data: self._read(cfg, data, keep_surfaces, report, then),
                         lambda message: self._read_failed(message, report), self.gate.drop)
        return True

    def _read(self, cfg: cfgmod.Config, data, keep_surfaces: bool, report: Callable[[str], object],
              then: Callable[[], object] | None) -> None:
        if not self._apply(cfg, data, keep_surfaces, report):
            self._read_failed("", None)
            return
        if then is not None:
            then()
        self.gate.open()

    def _read_failed(self, message: str, report: Callable[[str], object] | None) -> None:
        """The old problem is still trained, so the form shows it again (the form and the model never disagree)."""
        self.gate.drop()
        if self.state.config is not None:
            self.setup.set_config(self.state.config)
        if report is not None:
            report(f"Cannot use this set-up: {message}")

    def _apply(self, cfg: cfgmod.Config, data, keep_surfaces: bool, report: Callable[[str], object]) -> bool:
        """Network and trainer for ``cfg`` on ``data`` (None: made here), to the worker and the views."""
        state = self.state
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                probe = cfgmod.build(cfg, data)
                mask = None
                if state.exact_indices and keep_surfaces:
                    mask = np.zeros(probe.net.n_params, bool)
                    mask[[i for i in state.exact_indices if i < probe.net.n_params]] = True
                start = state.start_override if keep_surfaces else None
                built = (cfgmod.build(cfg, probe.data, mask=mask, start=start) if (mask is not None or start)
                         else probe)
        except (ValueError, OSError) as e:
            report(f"Cannot use this set-up: {e}")
            return False
        self.setup.show_schedule(cfg, cfg.training.eta)
        self.surfaces.new_model(built.net.param_names, keep_surfaces)
        hint = "; ".join(str(w.message) for w in caught)
        self.show_built(built, hint or f"{problem_title(cfg)}: ready — press Run (Space)")
        return True

    def start_function_at(self, x: float, y: float) -> None:
        """A point clicked on a function's surface: it goes into the Start field and training starts there."""
        self.setup.start.setText(f"{x:.4g}, {y:.4g}")
        self.load(self.current_config())

    def open_built(self, path: str, built: cfgmod.Built) -> None:
        """A session read from ``path``: its set-up in the form, its trainer to the worker."""
        self.setup.set_config(built.config)
        self.lr_control.set_value(built.trainer.lr)
        self.show_built(built, f"Opened {Path(path).name}: step {built.trainer.step_count}, "
                               f"epoch {built.trainer.epoch}")

    def _new_problem(self) -> None:
        for hook in self.new_problem_hooks:
            hook()

    def _follow(self) -> None:
        """Text that names the problem or η follows the one trained now (the preset's note)."""
        if self.banner is not None:
            self.banner.follow(self.state.problem, self.lr_control.value(), self.setup.optimizer.currentText())

    def show_built(self, built: cfgmod.Built, message: str) -> None:
        if self.state.set_problem(built.config, built.data):
            self._new_problem()
        self._follow()
        function = getattr(built.net, "function", None)
        self.surfaces.surface2d.function_start = function is not None and function.dim == 2
        if function is not None:
            self.function_info.show_function(function)
        self.centre.setCurrentWidget(self.function_info if function is not None else self.graph)
        self.loss_curve.clear()
        self.aids.clear()
        if built.data is not None:
            self.output_view.set_data(built.data)
            self.graph.set_input_names(built.data.feature_names)
        else:
            self.output_view.forget()
        self.setup.preview.set_data(built.data)
        if function is not None and not self.docks["Loss surface"].isVisible():
            self.docks["Loss surface"].show()
        self._output_for(function is None)
        if function is not None:
            self.docks["Loss surface" if function.dim == 2 else "Loss slice"].raise_()
        self.client.load(built)
        self.surfaces.request()
        self.messages.say(message, 8000)

    def _output_for(self, data: bool) -> None:
        """A function has no data: its Output dock would be an empty plot taking a quarter of the window, so it
        is put away, and brought back for the next problem with data (unless the user closed it)."""
        dock = self.docks["Output"]
        if not data and not dock.isHidden():  # isHidden: also before the window is first shown
            dock.hide()
            self._output_put_away = True
        elif data and self._output_put_away:
            dock.show()
            self._output_put_away = False

    def add_point(self, x: float, y: float, label: int) -> None:
        """Add a drawn point to the training data: the points go to a CSV in the app's data folder, in the
        coordinates shown (no re-standardising, so nothing moves), and training restarts on them. The test
        fraction and the feature names stay what they were."""
        data = self.state.data
        if data is None or data.n_features != 2 or data.task != "classification":
            return
        X = np.vstack([data.X_train, data.X_test, [[x, y]]])
        labels = np.concatenate([np.ravel(data.y_train), np.ravel(data.y_test), [label]]).astype(int)
        features = tuple(data.feature_names) if len(data.feature_names) == 2 else ("x1", "x2")
        target = next((n for n in (*data.target_names[:1], "class", "label") if n not in features), "class_")
        try:
            path = data_folder() / "drawn_points.csv"
            write_csv(path, [*features, target], [[a, b, c] for (a, b), c in zip(X, labels, strict=True)])
        except OSError as e:
            self.messages.show_error(f"Could not add the point: {e}")
            return
        cfg = self.current_config().with_changes(problem={"dataset": f"csv:{path}", "standardize": False,
                                                          "target": target, "features": features,
                                                          "task": "classification"}, name="", description="")
        self.setup.set_config(cfg)
        self.load(cfg)


def csv_path(cfg: cfgmod.Config) -> str | None:
    """The CSV file a set-up reads from disk, or None (generated data, a function, a CSV shipped with gdsim)."""
    dataset = cfg.problem.dataset
    if cfg.problem.function is not None or not dataset.startswith("csv:") or dataset[4:].startswith(DATA_PREFIX):
        return None
    return dataset[4:]


def reading_text(path: str) -> str:
    """``NAME.csv (NN MB)``: what the status bar says is being read."""
    try:
        size = os.stat(path).st_size
    except OSError:
        return Path(path).name
    return f"{Path(path).name} ({size / 1e6:.{0 if size >= 10e6 else 1}f} MB)"


def problem_title(cfg: cfgmod.Config) -> str:
    """What the status bar calls a set-up: its name, else its data (a CSV by its file name)."""
    dataset = cfg.problem.dataset
    if cfg.name:
        return cfg.name
    return Path(dataset[4:]).name if dataset.startswith("csv:") else dataset


# training settings a running trainer can take between two steps (Trainer.set_training); the rest resets
LIVE_FIELDS = ("optimizer", "lr", "optimizer_kwargs", "weight_decay", "clip_norm", "batch_size", "schedule",
               "schedule_kwargs", "epochs", "tol", "patience")


def live_only(old: cfgmod.Config, new: cfgmod.Config) -> bool:
    """True when ``new`` differs from ``old`` only in settings that can change between steps."""
    from dataclasses import replace

    keep = {name: getattr(old.training, name) for name in LIVE_FIELDS}
    return replace(new, training=replace(new.training, **keep), name=old.name, description=old.description) == old
