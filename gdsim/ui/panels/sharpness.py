"""The edge-of-stability monitor: λmax of the loss Hessian over the steps, against the 2/η line.

Plain gradient descent on a quadratic diverges once λmax > 2/η. Cohen et al. (2021) saw full-batch GD on networks
drive λmax up ("progressive sharpening") until it meets 2/η, then hover there ("the edge of stability"); this
panel shows both curves live. The readings come from the worker (``Snapshot.sharpness``), which tracks λmax only
while this panel's dock is on screen (the window tells it). A passive view: items are made once, then ``setData``.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from gdsim.ui.plotting.items import cache_axes

LAM_PEN = pg.mkPen((31, 119, 180), width=2)
EDGE_PEN = pg.mkPen((200, 40, 40), width=2, style=QtCore.Qt.PenStyle.DashLine)


def edge_line(history: np.ndarray, step: int, lr: float) -> tuple[np.ndarray, np.ndarray]:
    """The 2/η line as the few points where η changed (a step curve), not one point per step: drawing it stays
    cheap however long the run. ``history``: the snapshot's (step, loss, ‖g‖, η) rows."""
    if not len(history):
        return np.array([0.0, max(float(step), 1.0)]), np.full(2, 2.0 / lr if lr > 0 else np.nan)
    lrs = history[:, 3]
    change = np.flatnonzero(np.diff(lrs)) + 1  # first row with a new η
    starts = np.concatenate([[0.0], history[change, 0] - 1])  # η changes between the previous step and this one
    values = np.concatenate([lrs[:1], lrs[change]])
    xs = np.repeat(starts, 2)[1:]
    ys = np.repeat(values, 2)[:-1]
    xs = np.append(xs, max(float(step), float(history[-1, 0])))
    ys = np.append(ys, values[-1])
    with np.errstate(divide="ignore"):
        return xs, 2.0 / ys


class SharpnessPanel(QtWidgets.QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("sharpnessPanel")
        col = QtWidgets.QVBoxLayout(self)
        col.setContentsMargins(2, 2, 2, 2)
        row = QtWidgets.QHBoxLayout()
        self.readout = QtWidgets.QLabel("λmax appears once training has a reading")
        self.readout.setObjectName("sharpnessReadout")
        self.readout.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        self.readout.setToolTip("η·λmax/2 above 1: on a quadratic, gradient descent at this η would diverge")
        self.log = QtWidgets.QCheckBox("log scale")
        self.log.setObjectName("sharpnessLog")
        self.log.toggled.connect(self.set_log_y)
        row.addWidget(self.readout, 1)
        row.addWidget(self.log)
        col.addLayout(row)
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("sharpnessPlot")
        col.addWidget(self.plot, 1)
        pi = self.plot.getPlotItem()
        pi.setLabel("bottom", "step")
        pi.setLabel("left", "sharpness λmax")
        pi.getAxis("left").enableAutoSIPrefix(False)
        pi.showGrid(x=True, y=True, alpha=0.15)
        pi.setDownsampling(auto=True, mode="peak")
        pi.setClipToView(True)
        cache_axes(pi)
        pi.addLegend(offset=(-8, 8), labelTextSize="8pt", brush=(255, 255, 255, 210))
        self.edge = pi.plot([], [], pen=EDGE_PEN, name="2/η (edge of stability)")
        self.lam = pi.plot([], [], pen=LAM_PEN, symbol="o", symbolSize=4, symbolBrush=LAM_PEN.color(),
                           symbolPen=None, name="λmax (sharpness)")
        self._series = np.empty((0, 2))

    # ---------------------------------------------------------------- data

    def clear(self) -> None:
        self._series = np.empty((0, 2))
        self.lam.setData([], [])
        self.edge.setData([], [])
        self.readout.setText("λmax appears once training has a reading")

    def show_snapshot(self, s) -> None:
        """λmax readings (step, λmax) and 2/η per step (the η each step used, so schedules and changes show).
        Only what changed is redrawn: a new reading, or η; otherwise the 2/η line's end moves to this step."""
        series = np.asarray(getattr(s, "sharpness", np.empty((0, 2))), dtype=np.float64).reshape(-1, 2)
        if series.shape != self._series.shape or not np.array_equal(series, self._series):
            self._series = series
            self.lam.setData(series[:, 0], self._positive(series[:, 1])) if len(series) else self.lam.setData([], [])
        steps, edges = edge_line(np.asarray(s.step_history, dtype=np.float64).reshape(-1, 4), s.step, s.current_lr)
        self.edge.setData(steps, edges)
        text = self._readout(series, s.current_lr)
        if text != self.readout.text():
            self.readout.setText(text)

    def series(self) -> np.ndarray:
        """The (step, λmax) readings drawn now (tests compare them with a direct computation)."""
        return self._series.copy()

    def set_log_y(self, on: bool) -> None:
        if self.log.isChecked() != bool(on):
            self.log.setChecked(bool(on))  # -> back here through toggled
            return
        self.plot.getPlotItem().setLogMode(y=bool(on))
        if len(self._series):
            self.lam.setData(self._series[:, 0], self._positive(self._series[:, 1]))

    def log_y(self) -> bool:
        return self.log.isChecked()

    # ---------------------------------------------------------------- helpers

    def _positive(self, lams: np.ndarray) -> np.ndarray:
        """On a log axis λmax ≤ 0 (a flat or concave spot) cannot be drawn: a gap instead of a wrong point."""
        return np.where(lams > 0, lams, np.nan) if self.log.isChecked() else lams

    @staticmethod
    def _readout(series: np.ndarray, lr: float) -> str:
        edge = 2.0 / lr if lr > 0 else math.inf
        if not len(series):
            return f"2/η = {edge:.4g}; λmax: no reading yet"
        step, lam = series[-1]
        return f"step {int(step)}: λmax = {lam:.4g}, 2/η = {edge:.4g}, η·λmax/2 = {lr * lam / 2:.3g}"
