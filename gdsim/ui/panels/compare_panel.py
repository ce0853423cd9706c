"""Compare runs side by side: K learning rates (or optimizers) from the same weights, their loss curves and a table.

A passive view: it emits ``sigRun(request)`` / ``sigCancel()`` and shows what the worker sends back
(``show_progress``, ``show_result``). The worker runs ``compare.run_comparison`` off the GUI thread.
"""

from __future__ import annotations

import math
import re

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gdsim.engine import analysis, optimizers
from gdsim.io import tables
from gdsim.lab import compare
from gdsim.ui.plotting import figures
from gdsim.ui.plotting.compare_plot import ComparePlot
from gdsim.ui.plotting.formatters import number as _num
from gdsim.ui.plotting.items import note_label, replace_export_menu
from gdsim.ui.plotting.palette import BEHAVIOUR_COLOURS, ERROR_FIELD_STYLE, RUN_COLOURS
from gdsim.ui.widgets.field_guard import guard
from gdsim.ui.widgets.forms import AnalysisForm, hint_label, progress_bar
from gdsim.ui.widgets.status_line import status_word

MODES = (("Compare η", "lr"), ("Compare optimizers", "optimizer"), ("Race start points", "start"))
DEFAULT_TEXT = {"lr": ", ".join(f"{v:g}" for v in compare.default_lrs()), "optimizer": "sgd, momentum, adam",
                "start": "-1.5, 2; 0, 0; 2, -1"}
PARSERS = {"lr": compare.parse_lrs}
COLUMNS = ["label", "final loss", "to target", "status", "behaviour", "largest stable η"]

# The rules of analysis.classify, in words (first match wins there).
BEHAVIOUR_RULES = analysis.BEHAVIOUR_TEXT
COLUMN_TIPS = [
    "the run (its colour matches its curve and its path on the 2D surface)",
    "training loss at the end of the run (the last step's loss for a diverged run)",
    "the first epoch whose training loss is at or below the target loss (– never reached)",
    "how the run ended: converged, stalled (still, but at a poor fit), epoch limit (stopped at the epoch limit "
    "while still moving) or diverged",
    "how the path looked, judged from the loss and the signs of successive updates:\n"
    + "\n".join(BEHAVIOUR_RULES.values()),
    "the largest stable η = 2/λmax at the initial weights: on a quadratic, gradient descent diverges exactly "
    "when η > 2/λmax "
    "and oscillates when 1/λmax < η < 2/λmax",
]


def parse_optimizers(text: str) -> list[str]:
    """``"sgd, adam"`` -> ["sgd", "adam"]; one-line ValueError naming the valid optimizers otherwise."""
    names = [n for n in re.split(r"[,\s]+", text.strip().lower()) if n]
    if not names:
        raise ValueError(f"give at least one optimizer: {', '.join(optimizers.NAMES)}")
    bad = [n for n in names if n not in optimizers.NAMES]
    if bad:
        raise ValueError(f"unknown optimizer {', '.join(map(repr, bad))}; choose from {', '.join(optimizers.NAMES)}")
    return names


def parse_starts(text: str) -> list[tuple[float, ...]]:
    """``"-1.5, 2; 0, 0"`` -> [(-1.5, 2.0), (0.0, 0.0)]: start points separated by semicolons."""
    points = []
    for part in (p for p in text.split(";") if p.strip()):
        try:
            point = tuple(float(v) for v in part.replace("(", "").replace(")", "").split(","))
        except ValueError:
            raise ValueError(f"a start point is numbers separated by commas, got {part.strip()!r}") from None
        if not all(math.isfinite(v) for v in point):
            raise ValueError(f"start points must be finite, got {part.strip()!r}")
        points.append(point)
    if not points:
        raise ValueError("give at least one start point, e.g. -1.5, 2; 0, 0")
    if len({len(p) for p in points}) > 1:
        raise ValueError("every start point needs the same number of coordinates")
    return points


PARSERS.update(optimizer=parse_optimizers, start=parse_starts)


class _Item(QtWidgets.QTableWidgetItem):
    """A read-only cell that sorts by ``key`` (numbers as numbers, missing values last)."""

    def __init__(self, text: str, key=None, tip: str = ""):
        super().__init__(text)
        self.key = text if key is None else key
        self.setFlags(QtCore.Qt.ItemFlag.ItemIsEnabled | QtCore.Qt.ItemFlag.ItemIsSelectable)
        if tip:
            self.setToolTip(tip)

    def __lt__(self, other):
        a, b = self.key, getattr(other, "key", other.text())
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            return a < b
        return str(a) < str(b)


def _sort_num(v) -> float:
    return math.inf if v is None or not math.isfinite(float(v)) else float(v)


class ComparePanel(AnalysisForm):
    sigRun = QtCore.Signal(object)  # {"mode": "lr"|"optimizer", "values": [...], "epochs": int, "target": ...}
    sigCancel = QtCore.Signal()
    sigExportRequested = QtCore.Signal(str)  # "plot" or "table": the main window asks for a path

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("comparePanel")
        self._result = None
        self._colours: list[tuple] = []
        self._texts = dict(DEFAULT_TEXT)
        self._shown_mode = MODES[0][1]
        self._busy = False

        self.mode = guard(QtWidgets.QComboBox())
        for text, key in MODES:
            self.mode.addItem(text, key)
        self.values = QtWidgets.QLineEdit(self._texts["lr"])
        self.usual_lr = QtWidgets.QCheckBox("usual η each")
        self.usual_lr.setToolTip("give each optimizer its usual η (SGD 0.1, Adam 0.001, …) instead of the "
                                 "set-up's η for all (a like-for-like step size)")
        self.usual_lr.hide()
        self.epochs = guard(QtWidgets.QSpinBox())
        self.epochs.setRange(1, 1_000_000)
        self.epochs.setValue(100)
        self.epochs.setToolTip("epochs per run (a run stops early when it converges or diverges)")
        self.target = QtWidgets.QLineEdit()
        self.target.setPlaceholderText("auto")
        self.target.setMaximumWidth(70)
        self.target.setToolTip("target loss for “epochs to target”; empty: the best final loss + 10 %")
        self.run_button = QtWidgets.QPushButton("Run")
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.progress = progress_bar()
        self.hint = hint_label()

        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.mode)
        top.addWidget(self.values, 1)
        top.addWidget(self.usual_lr)
        row = QtWidgets.QHBoxLayout()
        for w in (QtWidgets.QLabel("epochs"), self.epochs, QtWidgets.QLabel("target"), self.target,
                  self.run_button, self.cancel_button):
            row.addWidget(w)
        row.addWidget(self.progress, 1)

        self.plot = ComparePlot()
        replace_export_menu(self.plot, lambda *_: self.sigExportRequested.emit("plot"))

        self.table = QtWidgets.QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("compareTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        for i, tip in enumerate(COLUMN_TIPS):
            self.table.horizontalHeaderItem(i).setToolTip(tip)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSortIndicator(0, QtCore.Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.resizeColumnsToContents()

        self.split = split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        split.addWidget(self.plot)
        split.addWidget(self.table)
        split.setStretchFactor(0, 4)  # the picture first; the table scrolls
        split.setStretchFactor(1, 1)
        self.table.setMinimumHeight(3 * 20 + self.table.horizontalHeader().sizeHint().height())
        split.setChildrenCollapsible(False)

        self.note = note_label()
        self.export_plot_button = QtWidgets.QPushButton("Export plot…")
        self.export_table_button = QtWidgets.QPushButton("Export table…")
        bottom = QtWidgets.QHBoxLayout()
        bottom.addWidget(self.note, 1)
        bottom.addWidget(self.export_plot_button)
        bottom.addWidget(self.export_table_button)

        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(3)
        lay.addLayout(top)
        lay.addLayout(row)
        lay.addWidget(self.hint)
        lay.addWidget(split, 1)
        lay.addLayout(bottom)

        self.mode.currentIndexChanged.connect(self._on_mode)
        self.values.textChanged.connect(self._validate)
        self.target.textChanged.connect(self._validate)
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.sigCancel.emit)
        self.export_plot_button.clicked.connect(lambda: self.sigExportRequested.emit("plot"))
        self.export_table_button.clicked.connect(lambda: self.sigExportRequested.emit("table"))
        self._values_tip()
        self._update_buttons()

    # ------------------------------------------------------------------ the request

    def mode_key(self) -> str:
        return self.mode.currentData()

    def _parsed_values(self) -> list:
        return PARSERS[self.mode_key()](self.values.text())

    def _parsed_target(self) -> float | None:
        t = self.target.text().strip()
        if not t:
            return None
        try:
            target = float(t)
        except ValueError:
            raise ValueError(f"the target loss {t!r} is not a number (leave it empty for auto)") from None
        if not math.isfinite(target):
            raise ValueError("the target loss must be a finite number")
        return target

    def request(self) -> dict:
        """The parsed form; ValueError with a one-line message when something is wrong."""
        req = {"mode": self.mode_key(), "values": self._parsed_values(), "epochs": int(self.epochs.value()),
               "target": self._parsed_target()}
        if req["mode"] == "optimizer":
            req["default_lr"] = self.usual_lr.isChecked()
        return req

    def _fields(self):
        return (self.mode, self.values, self.usual_lr, self.epochs, self.target)

    def _on_mode(self, _index: int) -> None:
        self._texts[self._shown_mode] = self.values.text()
        self._shown_mode = self.mode_key()
        self.values.setText(self._texts[self.mode_key()])
        self.usual_lr.setVisible(self.mode_key() == "optimizer")
        self._values_tip()

    def _values_tip(self) -> None:
        self.values.setToolTip({
            "lr": "learning rates: 0.001, 0.01, 0.1 or START:STOP:COUNT for log-spaced values",
            "optimizer": f"optimizers, comma-separated: {', '.join(optimizers.NAMES)}",
            "start": "start points (function mode), separated by semicolons: -1.5, 2; 0, 0 — the runs race on the "
                     "loss surface"}[self.mode_key()])

    def _validate(self, *_) -> bool:
        """Show the first problem under the form (and outline its field in red); True when there is none."""
        message, bad = "", None
        for field, parse in ((self.values, self._parsed_values), (self.target, self._parsed_target)):
            try:
                parse()
            except ValueError as e:
                message, bad = str(e), field
                break
        self.hint.setText(message)
        self.hint.setVisible(bool(message))
        for field in (self.values, self.target):
            field.setStyleSheet(ERROR_FIELD_STYLE if field is bad else "")
        self._update_buttons()
        return not message

    def _update_buttons(self) -> None:
        self.run_button.setEnabled(not self._busy and not self.hint.text())
        self.cancel_button.setEnabled(self._busy)
        has = self._result is not None and bool(self._result.runs)
        self.export_plot_button.setEnabled(has)
        self.export_table_button.setEnabled(has)

    # ------------------------------------------------------------------ the result

    def show_result(self, result) -> None:
        """Draw a ``compare.ComparisonResult``: one curve per run, and the table. Also ends the busy state."""
        self._result = result
        self._colours = [RUN_COLOURS[i % len(RUN_COLOURS)] for i in range(len(result.runs))]
        self.plot.show_result(result, self._colours)
        self._fill_table(result)
        parts = []
        if result.target is not None:
            parts.append(f"dashed: target loss {result.target:.4g}")
        if math.isfinite(result.limit):
            parts.append(f"largest stable η ≈ {result.limit:.3g} = 2/λmax at the start")
        if result.cancelled:
            parts.append(f"cancelled: {len(result.runs)} run(s) shown, the last one cut short")
        self.note.setText(" · ".join(parts))
        self.set_busy(False)

    def colours(self) -> list[tuple]:
        """(r, g, b) per run of the shown result, in the result's order."""
        return list(self._colours)

    def result(self):
        return self._result

    def curves(self) -> list[pg.PlotDataItem]:
        return self.plot.curves()

    def legend_labels(self) -> list[str]:
        return self.plot.legend_labels()

    def _fill_table(self, result) -> None:
        t = self.table
        t.setSortingEnabled(False)
        t.setRowCount(len(result.runs))
        for r, (run, colour) in enumerate(zip(result.runs, self._colours, strict=True)):
            swatch = QtGui.QPixmap(10, 10)
            swatch.fill(QtGui.QColor(*colour))
            label = _Item(run.label, r)
            label.setIcon(QtGui.QIcon(swatch))
            status_tip = run.message or status_word(run.status)
            limit_tip = ""
            if math.isfinite(run.limit) and run.optimizer == "sgd":
                limit_tip = f"η = {run.lr:g} is {run.lr / run.limit:.2g}× the largest stable η (2/λmax)"
            behaviour = _Item(run.behaviour, tip=BEHAVIOUR_RULES.get(run.behaviour, ""))
            behaviour.setForeground(QtGui.QColor(*BEHAVIOUR_COLOURS.get(run.behaviour, (0, 0, 0))))
            cells = [label,
                     _Item(_num(run.final_loss), _sort_num(run.final_loss)),
                     _Item(_num(run.epochs_to_target), _sort_num(run.epochs_to_target)),
                     _Item(status_word(run.status), tip=status_tip),
                     behaviour,
                     _Item(_num(run.limit), _sort_num(run.limit), tip=limit_tip)]
            for c, item in enumerate(cells):
                t.setItem(r, c, item)
        t.setSortingEnabled(True)  # re-sorts by the user's last choice; the label column's key is the run order
        t.resizeColumnsToContents()
        sizes = self.split.sizes()
        want = t.horizontalHeader().sizeHint().height() + 20 * len(result.runs) + 2 * t.frameWidth() + 8
        if sum(sizes) and want < 0.5 * sum(sizes):
            self.split.setSizes([sum(sizes) - want, want])

    # ------------------------------------------------------------------ export

    def export_plot(self, path, width: int | None = None) -> None:
        """The loss curves as .png (``width`` px, aspect kept) or .svg."""
        figures.plot_image(self.plot, path, width)

    def export_table(self, path) -> None:
        """The table as .csv: compare.table_rows plus the 2/λmax column."""
        tables.check_path(path, ("csv",))
        if self._result is None:
            raise ValueError("nothing to export yet: run a comparison first")
        header, rows = compare.table_rows(self._result)
        rows = [[*row, run.limit] for row, run in zip(rows, self._result.runs, strict=True)]
        tables.write_csv(path, [*header, "two_over_lambda_max"], rows)
