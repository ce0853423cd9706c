"""The learning-rate lab's wiring: compare η or optimizers, sweep η, the schedule plot (a MainWindow mixin).

Comparisons and sweeps run in the worker thread (training pauses meanwhile); the window stays responsive,
shows progress and can cancel. The runs' paths are drawn on the loss surface in the comparison's colours.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore

from gdsim.lab import surfaces
from gdsim.ui.panels.compare_panel import ComparePanel
from gdsim.ui.panels.sweep_panel import SweepPanel


class LabLinks:
    def _make_lab(self) -> None:
        self.compare = ComparePanel()
        self.sweep = SweepPanel()

    def _link_lab(self) -> None:
        queued = QtCore.Qt.ConnectionType.QueuedConnection
        self.worker.sigAnalysis.connect(self._on_analysis, queued)
        self.worker.sigAnalysisProgress.connect(self._on_analysis_progress, queued)
        self.compare.sigRun.connect(lambda req: self._analyse("compare", req))
        self.sweep.sigRun.connect(lambda req: self._analyse("sweep", {**req, "values": req["lrs"]}))
        for panel in (self.compare, self.sweep):
            # a lambda runs here, at once; the worker's own slot would wait in its busy event queue
            panel.sigCancel.connect(lambda: self.worker.cancel_analysis())
            panel.sigExportRequested.connect(lambda what, p=panel: self._export_lab(p, what))
        self.sweep.sigUseLr.connect(self._use_lr)

    def _analyse(self, kind: str, request: dict) -> None:
        self.worker.pause()
        panel = self.compare if kind == "compare" else self.sweep
        panel.set_busy(True)
        self.worker.arm_analysis()
        self.sigAnalyse.emit({**request, "kind": kind, "config": self.current_config()})

    def _on_analysis_progress(self, kind: str, done: int, total: int) -> None:
        (self.compare if kind == "compare" else self.sweep).show_progress(done, total)

    def _on_analysis(self, kind: str, result) -> None:
        panel = self.compare if kind == "compare" else self.sweep
        if result is None:
            panel.set_busy(False)
            return
        panel.show_result(result)
        if kind == "compare":
            self._draw_race(result)
        self.docks["Compare" if kind == "compare" else "η sweep"].raise_()

    def _draw_race(self, result) -> None:
        """Each run's path on the loss surface and on the 1D slice, in the comparison plot's colours."""
        for panel in (self.surface2d, self.surface1d):
            grid = panel.grid()
            if grid is None:
                continue
            paths = []
            for run, colour in zip(result.runs, self.compare.colours(), strict=False):
                traj = np.asarray(run.trajectory[1])  # (steps, parameters)
                if traj.ndim == 2 and traj.shape[1] == grid.center.size and len(traj):
                    paths.append((run.label, colour, surfaces.path_on_grid(grid, traj)))
            panel.show_paths(paths)

    def _use_lr(self, lr: float) -> None:
        self.lr_control.set_value(lr)
        self.sigSetLr.emit(lr)
        self.statusBar().showMessage(f"η = {lr:g} (the sweep's best)", 5000)

    def _export_lab(self, panel, what: str) -> None:
        if what == "table":
            self.file_dialog(f"{'comparison' if panel is self.compare else 'sweep'} table", ("csv",),
                             lambda path, _w: panel.export_table(path))
        else:
            self.file_dialog(f"{'comparison' if panel is self.compare else 'sweep'} plot", ("png", "svg"),
                             lambda path, width: panel.export_plot(path, width))
