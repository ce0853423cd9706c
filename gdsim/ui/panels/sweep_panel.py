"""The learning-rate sweep: final loss after N epochs against η, the diverged region shaded, the best η starred.

A passive view: it emits ``sigRun({"lrs": [...], "epochs": n})`` / ``sigCancel()`` and shows what the worker
sends back. The figure is ``gdsim.ui.plotting.sweep_figure.sweep_plot`` (the same as ``gdsim sweep --export``), built
afresh for each result and swapped into place: results are rare, and one builder keeps app and CLI alike.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from gdsim.io import tables
from gdsim.lab import compare
from gdsim.ui.plotting import figures, formatters
from gdsim.ui.plotting.items import cache_axes, note_label, replace_export_menu
from gdsim.ui.plotting.palette import ERROR_FIELD_STYLE
from gdsim.ui.plotting.sweep_figure import sweep_plot
from gdsim.ui.plotting.ticks import log_ticks
from gdsim.ui.widgets.field_guard import guard
from gdsim.ui.widgets.forms import AnalysisForm, hint_label, progress_bar

DEFAULT_RANGE = ("1e-5", "10", 20)
IDLE_NOTE = "Final training loss after N epochs for each η, all from the same initial weights and batches."


def best_row(rows: list[dict]) -> dict | None:
    """The row with the lowest final loss among runs that did not diverge (as starred in the plot)."""
    ok = [r for r in rows if r["status"] != "diverged" and r["behaviour"] != "diverged"
          and math.isfinite(float(r["final_loss"]))]
    return min(ok, key=lambda r: float(r["final_loss"])) if ok else None


def _empty_plot() -> pg.PlotWidget:
    """The axes a sweep will have, before there is one."""
    w = pg.PlotWidget()
    pi = w.getPlotItem()
    pi.setLogMode(x=True)
    pi.showGrid(x=True, y=True, alpha=0.25)
    pi.setLabel("bottom", "learning rate η")
    pi.setLabel("left", "final training loss")
    pi.setRange(xRange=(-5, 1), yRange=(0, 1), padding=0.02)
    pi.getAxis("bottom").setTicks(log_ticks(-5, 1))
    pi.getAxis("left").setTicks([[], []])
    text = pg.TextItem("Run a sweep to see the final loss against η", color=(120, 120, 120), anchor=(0.5, 0.5))
    text.setPos(-2, 0.5)
    pi.addItem(text)
    return w


class SweepPanel(AnalysisForm):
    sigRun = QtCore.Signal(object)  # {"lrs": [float, ...], "epochs": int}
    sigCancel = QtCore.Signal()
    sigUseLr = QtCore.Signal(float)  # "Use best η"
    sigExportRequested = QtCore.Signal(str)  # "plot" or "table": the main window asks for a path

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("sweepPanel")
        self._rows: list[dict] = []
        self._limit = math.nan
        self._best: dict | None = None
        self._busy = False

        self.lr_from = QtWidgets.QLineEdit(DEFAULT_RANGE[0])
        self.lr_to = QtWidgets.QLineEdit(DEFAULT_RANGE[1])
        for w in (self.lr_from, self.lr_to):
            w.setMaximumWidth(64)
        self.count = guard(QtWidgets.QSpinBox())
        self.count.setRange(2, compare.MAX_SWEEP)
        self.count.setValue(DEFAULT_RANGE[2])
        self.count.setToolTip("how many log-spaced learning rates, both ends included")
        self.lr_list = QtWidgets.QLineEdit()
        self.lr_list.setPlaceholderText("or a list: 0.01, 0.1, 1")
        self.lr_list.setToolTip("learning rates to try instead of the range: 0.01, 0.1, 1 or START:STOP:COUNT")
        self.epochs = guard(QtWidgets.QSpinBox())
        self.epochs.setRange(1, 1_000_000)
        self.epochs.setValue(100)
        self.epochs.setToolTip("epochs per run (a run stops early when it converges or diverges)")
        self.run_button = QtWidgets.QPushButton("Run")
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.progress = progress_bar()
        self.hint = hint_label()

        top = QtWidgets.QHBoxLayout()
        for w in (QtWidgets.QLabel("η from"), self.lr_from, QtWidgets.QLabel("to"), self.lr_to,
                  QtWidgets.QLabel("count"), self.count):
            top.addWidget(w)
        top.addWidget(self.lr_list, 1)
        row = QtWidgets.QHBoxLayout()
        for w in (QtWidgets.QLabel("epochs"), self.epochs, self.run_button, self.cancel_button):
            row.addWidget(w)
        row.addWidget(self.progress, 1)

        self._box = QtWidgets.QVBoxLayout()
        self._box.setContentsMargins(0, 0, 0, 0)
        self.plot = None
        self._install_plot([], math.nan)

        self.note = note_label()
        self.note.setText(IDLE_NOTE)
        self.use_best = QtWidgets.QPushButton("Use best η")
        self.use_best.setToolTip("set the training η to the sweep's best (lowest final loss, not diverged)")
        self.export_plot_button = QtWidgets.QPushButton("Export plot…")
        self.export_table_button = QtWidgets.QPushButton("Export table…")
        bottom = QtWidgets.QHBoxLayout()
        bottom.addWidget(self.note, 1)
        for w in (self.use_best, self.export_plot_button, self.export_table_button):
            bottom.addWidget(w)

        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(3)
        lay.addLayout(top)
        lay.addLayout(row)
        lay.addWidget(self.hint)
        lay.addLayout(self._box, 1)
        lay.addLayout(bottom)

        for w in (self.lr_from, self.lr_to, self.lr_list):
            w.textChanged.connect(self._validate)
        self.count.valueChanged.connect(self._validate)
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.sigCancel.emit)
        self.use_best.clicked.connect(self._on_use_best)
        self.export_plot_button.clicked.connect(lambda: self.sigExportRequested.emit("plot"))
        self.export_table_button.clicked.connect(lambda: self.sigExportRequested.emit("table"))
        self._update_buttons()

    # ------------------------------------------------------------------ the request

    def lrs(self) -> list[float]:
        """The learning rates asked for: the list field when filled, else the log-spaced range."""
        text = self.lr_list.text().strip()
        if text:
            return compare.parse_lrs(text)
        return compare.parse_lrs(f"{self.lr_from.text().strip()}:{self.lr_to.text().strip()}:{self.count.value()}")

    def request(self) -> dict:
        return {"lrs": self.lrs(), "epochs": int(self.epochs.value())}

    def _fields(self):
        return (self.lr_from, self.lr_to, self.count, self.lr_list, self.epochs)

    def _validate(self, *_) -> bool:
        try:
            self.lrs()
            message = ""
        except ValueError as e:
            message = str(e).replace("--lrs is empty", "the list is empty")
        self.hint.setText(message)
        self.hint.setVisible(bool(message))
        bad = self.lr_list if self.lr_list.text().strip() else None
        for field in (self.lr_from, self.lr_to, self.lr_list):
            wrong = message and (field is bad or (bad is None and field is not self.lr_list))
            field.setStyleSheet(ERROR_FIELD_STYLE if wrong else "")
        self._update_buttons()
        return not message

    def _update_buttons(self) -> None:
        self.run_button.setEnabled(not self._busy and not self.hint.text())
        self.cancel_button.setEnabled(self._busy)
        self.use_best.setEnabled(self._best is not None)
        self.export_plot_button.setEnabled(bool(self._rows))
        self.export_table_button.setEnabled(bool(self._rows))

    # ------------------------------------------------------------------ the result

    def show_result(self, rows, limit: float = math.nan) -> None:
        """Draw a sweep: ``rows`` as from ``compare.sweep`` with ``limit`` = 2/λmax, or a ComparisonResult from
        ``compare.run_sweep`` (its 2/λmax is used). Also ends the busy state."""
        cancelled = False
        if hasattr(rows, "runs"):
            cancelled, limit = bool(rows.cancelled), rows.limit
            rows = compare.sweep_rows(rows)
        self._rows = [dict(r) for r in rows]
        self._limit = float(limit) if limit is not None else math.nan
        self._best = best_row(self._rows)
        self._install_plot(self._rows, self._limit)
        parts = []
        if self._best is not None:
            best_lr, best_loss = formatters.eta(self._best["lr"]), formatters.number(self._best["final_loss"], 3)
            parts.append(f"best η = {best_lr} (final loss {best_loss})")
            self.use_best.setText(f"Use η = {best_lr}")
        else:
            parts.append("every run diverged" if self._rows else "no runs")
            self.use_best.setText("Use best η")
        if math.isfinite(self._limit):
            parts.append(f"largest stable η ≈ {formatters.number(self._limit, 3)} = 2/λmax at the start")
        if cancelled:
            parts.append("cancelled: partial sweep")
        self.note.setText(" · ".join(parts))
        self.set_busy(False)

    def rows(self) -> list[dict]:
        return [dict(r) for r in self._rows]

    def best_lr(self) -> float | None:
        return None if self._best is None else float(self._best["lr"])

    def _on_use_best(self) -> None:
        if self._best is not None:
            self.sigUseLr.emit(float(self._best["lr"]))

    def _install_plot(self, rows: list[dict], limit: float) -> None:
        """Build the figure for ``rows`` and put it where the old one was."""
        w = sweep_plot(rows, limit) if rows else _empty_plot()  # sweep_plot cannot draw zero rows
        w.setObjectName("sweepPlot")
        pi = w.getPlotItem()
        if pi.legend is not None:
            pi.legend.setLabelTextSize("8pt")
        cache_axes(pi)
        replace_export_menu(w, lambda *_: self.sigExportRequested.emit("plot"))
        if self.plot is not None:
            self._box.removeWidget(self.plot)
            self.plot.hide()
            self.plot.deleteLater()
        self.plot = w
        self._box.addWidget(w)

    # ------------------------------------------------------------------ export

    def export_plot(self, path, width: int | None = None) -> None:
        """The sweep figure as .png (``width`` px, aspect kept) or .svg."""
        figures.plot_image(self.plot, path, width)

    def export_table(self, path) -> None:
        """The sweep as .csv: lr, final_loss, status, behaviour (as ``gdsim sweep --export x.csv``)."""
        tables.check_path(path, ("csv",))
        if not self._rows:
            raise ValueError("nothing to export yet: run a sweep first")
        tables.write_records(path, compare.SWEEP_KEYS, self._rows)
