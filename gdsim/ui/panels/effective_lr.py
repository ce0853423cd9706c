"""Effective step size per parameter for adaptive optimizers: why Adam moves every weight by about η at first.

A passive view of one X-ray (``Snapshot.xray``): bars of η_eff = η/(√v̂ + ε) per parameter and dots of the step
actually taken |Δw|, on a log axis with η drawn across. Adam's first step has m̂ = g and √v̂ = |g|, so η_eff is
η/|g| (large where the gradient is small) and every |Δw| sits on the η line whatever the gradient's size.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtWidgets

from gdsim.engine.inspect import num
from gdsim.lab import xray

BAR_PEN = pg.mkPen((70, 130, 180), width=7)
STEP_BRUSH = pg.mkBrush(214, 39, 40)
NOT_ADAPTIVE = ("{opt} gives every parameter the same step size η = {lr}: its update is η times (a running "
                "average of) the gradient. Adagrad, RMSprop and Adam scale η per parameter; choose one of them.")


class EffectiveLrView(QtWidgets.QWidget):
    """Log-scale bars of η/(√v̂ + ε) and dots of |Δw| per parameter, with η as a line."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("effectiveLrView")
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("effectiveLrPlot")
        self.plot.setBackground("w")
        pi = self.plot.getPlotItem()
        pi.setLogMode(False, True)
        pi.showGrid(y=True, alpha=0.25)
        pi.setMouseEnabled(x=False, y=False)
        pi.setLabel("bottom", "parameter")
        legend = pi.addLegend(offset=(-6, 6), labelTextSize="8pt", brush=(255, 255, 255, 210))
        self._bars = pi.plot([], [], pen=BAR_PEN, connect="pairs", name="η_eff = η/(√v̂ + ε)")
        self._steps = pi.plot([], [], pen=None, symbol="o", symbolSize=7, symbolBrush=STEP_BRUSH, symbolPen=None,
                              name="|Δw| (step taken)")
        self._eta = pg.InfiniteLine(angle=0, pen=pg.mkPen((40, 40, 40), width=1, dash=[5, 4]))
        pi.addItem(self._eta)
        legend.addItem(pg.PlotDataItem(pen=self._eta.pen), "η")
        self.caption = QtWidgets.QLabel()
        self.caption.setObjectName("effectiveLrCaption")
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet("color: #444;")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.caption)
        layout.addWidget(self.plot, 1)
        self._names: tuple = ()
        self._shown = {"effective_lr": np.empty(0), "step": np.empty(0), "lr": float("nan")}
        self.show_xray({}, ())

    def show_xray(self, x: dict, names) -> None:
        """Draw the X-ray ``x`` (empty: nothing to show yet) for parameters called ``names``."""
        self._names = tuple(names)
        eff = np.asarray(x.get("effective_lr", np.empty(0)), dtype=np.float64)
        if not x or eff.size == 0:
            self._bars.setData([], [])
            self._steps.setData([], [])
            self._eta.setVisible(False)
            self.plot.setVisible(False)
            self._shown = {"effective_lr": np.empty(0), "step": np.empty(0), "lr": float("nan")}
            if x:
                self.caption.setText(NOT_ADAPTIVE.format(opt=x.get("optimizer", "This optimizer"), lr=num(x["lr"])))
            else:
                self.caption.setText("Step once (or open this tab while a run is paused) to see the step sizes.")
            return
        lr = float(x["lr"])
        step = np.abs(np.asarray(x["delta"], dtype=np.float64))
        self._shown = {"effective_lr": eff, "step": step, "lr": lr}
        idx = np.arange(eff.size, dtype=np.float64)
        positive = np.concatenate([eff[eff > 0], step[step > 0], [lr]])
        floor = 10 ** np.floor(np.log10(positive.min())) if positive.size else 1e-12
        with np.errstate(divide="ignore", invalid="ignore"):
            self._bars.setData(np.repeat(idx, 2), np.column_stack([np.full(eff.size, floor), eff]).ravel())
            self._steps.setData(idx, np.where(step > 0, step, np.nan))
        self._eta.setPos(np.log10(lr) if lr > 0 else 0.0)
        self._eta.setVisible(lr > 0)
        self.plot.setVisible(True)
        ticks = [(float(i), n) for i, n in enumerate(self._names)] if len(self._names) <= 12 else None
        self.plot.getAxis("bottom").setTicks([ticks] if ticks else None)
        ratio = np.median(step / lr) if lr > 0 else float("nan")
        rate = xray.EFFECTIVE.get(x["optimizer"], "η_eff")
        self.caption.setText(
            f"{x['optimizer']}, step {x['step']}: η = {num(lr)}. η_eff = {rate} runs from {num(eff.min())} to "
            f"{num(eff.max())}, yet the median step |Δw| is {num(ratio)}·η: η is divided by the gradient's own "
            "running size, so a small gradient gets a large η_eff and the steps come out alike"
            + (" (Adam's first step: m̂ = g, √v̂ = |g|, so |Δw| ≈ η for every weight)." if x["optimizer"] == "adam"
               else "."))

    def shown(self) -> dict:
        """What is drawn: η_eff and |Δw| per parameter and η (tests)."""
        return dict(self._shown)
