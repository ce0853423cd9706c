"""The learning-rate lab: compare η or optimizers, sweep η, and export what they show.

Comparisons and sweeps run in the worker thread (training pauses meanwhile); the window stays responsive,
shows progress and can cancel. Each result is filed in the app state under the problem it was computed for;
a comparison's runs are drawn on the loss surfaces in the comparison plot's colours.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6 import QtWidgets

from gdsim.lab import surfaces
from gdsim.lab.config import Config
from gdsim.lab.requests import CompareRequest, SweepRequest
from gdsim.lab.state import AppState
from gdsim.ui.panels.compare_panel import ComparePanel
from gdsim.ui.panels.sweep_panel import SweepPanel
from gdsim.ui.worker_client import WorkerClient

STALE = "This result belongs to another problem (the set-up it ran on has changed): run it again for this one"
FileDialog = Callable[..., None]  # FileController.file_dialog(title, exts, write)


class LabController:
    def __init__(self, client: WorkerClient, state: AppState, compare: ComparePanel, sweep: SweepPanel,
                 docks: dict[str, QtWidgets.QDockWidget], config: Callable[[], Config],
                 show_paths: Callable[[Callable[[surfaces.SurfaceGrid], list]], None],
                 use_lr: Callable[[float], None], file_dialog: FileDialog):
        self.client, self.state, self.compare, self.sweep = client, state, compare, sweep
        self.docks, self.config, self.show_paths, self.file_dialog = docks, config, show_paths, file_dialog
        client.sigAnalysis.connect(self.show_result)
        client.sigAnalysisProgress.connect(self.show_progress)
        compare.sigRun.connect(lambda d: self.analyse(CompareRequest.from_panel(d, self.config(), state.problem)))
        sweep.sigRun.connect(lambda d: self.analyse(SweepRequest.from_panel(d, self.config(), state.problem)))
        for panel in (compare, sweep):
            # a lambda runs here, at once; the worker's own slot would wait in its busy event queue
            panel.sigCancel.connect(lambda: client.cancel_analysis())
            panel.sigExportRequested.connect(lambda what, p=panel: self.export(p, what))
        sweep.sigUseLr.connect(use_lr)
        self._asked: CompareRequest | SweepRequest | None = None  # the request being computed

    def _panel(self, kind: str) -> ComparePanel | SweepPanel:
        return self.compare if kind == "compare" else self.sweep

    def analyse(self, request: CompareRequest | SweepRequest) -> None:
        self._panel(request.kind).set_busy(True)
        self._asked = request
        self.client.analyse(request)

    def show_progress(self, kind: str, done: int, total: int) -> None:
        self._panel(kind).show_progress(done, total)

    def show_result(self, kind: str, result) -> None:
        panel = self._panel(kind)
        if result is None:
            panel.set_busy(False)
            return
        asked = self._asked if self._asked is not None and self._asked.kind == kind else None
        filed = self.state.add_result(kind, result, asked.problem if asked is not None else None)
        panel.show_result(result)
        if filed.problem != self.state.problem:  # the problem changed while it ran
            self.problem_changed()
        elif kind == "compare":
            self.show_paths(lambda grid: self._race_paths(grid, result))
        self.docks["Compare" if kind == "compare" else "η sweep"].raise_()

    def problem_changed(self) -> None:
        """The results shown belong to another problem now: their paths leave the surfaces (they were
        computed on another landscape) and the panels say whose they are."""
        self.show_paths(lambda _grid: [])
        if self.compare.result() is not None:
            self.compare.note.setText(STALE)
        if self.sweep.rows():
            self.sweep.note.setText(STALE)
            self.sweep.use_best.setEnabled(False)

    def _race_paths(self, grid: surfaces.SurfaceGrid, result) -> list:
        """Each run's path mapped onto ``grid``, in the comparison plot's colours."""
        paths = []
        for run, colour in zip(result.runs, self.compare.colours(), strict=False):
            traj = np.asarray(run.trajectory[1])  # (steps, parameters)
            if traj.ndim == 2 and traj.shape[1] == grid.center.size and len(traj):
                paths.append((run.label, colour, surfaces.path_on_grid(grid, traj)))
        return paths

    def export(self, panel: ComparePanel | SweepPanel, what: str) -> None:
        name = "comparison" if panel is self.compare else "sweep"
        if what == "table":
            self.file_dialog(f"{name} table", ("csv",), lambda path, _w: panel.export_table(path))
        else:
            self.file_dialog(f"{name} plot", ("png", "svg"), lambda path, width: panel.export_plot(path, width))
