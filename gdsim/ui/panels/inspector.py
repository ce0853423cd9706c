"""The backprop inspector: one gradient-descent update walked through phase by phase, with the actual numbers.

A passive view. ``set_context`` is called by the main window when the panel opens, on "Refresh" and when
training pauses, never for every live snapshot: the phases are rebuilt on a private copy of the network, so
the run is never touched. The numbers and formulas come from ``gdsim.engine.inspect`` and
``gdsim.engine.gradcheck``; this file only lays them out and says which parameters to highlight on the graph.
The update phases show the actual optimizer's step from the snapshot's X-ray (``gdsim.lab.xray``, computed by the
worker on its own trainer), and the "Effective η" tab its per-parameter step sizes.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from gdsim.engine.gradcheck import gradient_check
from gdsim.engine.inspect import Phase, backprop_phases, num
from gdsim.engine.network import Network
from gdsim.lab import xray
from gdsim.ui.panels.effective_lr import EffectiveLrView

BAD_REL_ERROR = 1e-5  # a relative error above this means backprop and finite differences disagree
BAD_BRUSH = QtGui.QBrush(QtGui.QColor(255, 215, 210))
NO_NETWORK = ("The inspector works on networks: pick a dataset problem to step through backpropagation.\n"
              "In function mode there are no layers, only the two coordinates of the point.")
CONVENTION = ("Indices count from 1, as on the graph: x1, x2 are the inputs, a1[2] is neuron 2 of layer 1. "
              "W2[i,j] joins neuron i of layer 1 to neuron j of layer 2, so W2 has one row per neuron below and "
              "one column per neuron above, and z2 = a1·W2 + b2: z2[j] = Σᵢ a1[i]·W2[i,j] + b2[j].")
GRADCHECK_NOTE = (
    "How one debugs gradients: nudge one parameter by ±ε (ε = 1e-6), watch the loss move, and take "
    "numeric = (L(θ + ε) − L(θ − ε)) / 2ε. Backprop must give the same slope. The relative error "
    "|b − n| / (|b| + |n|) is typically about 1e-7 (up to ~5e-7) when the backward pass is right; a wrong "
    "rule gives errors near 1, and the rows' names say which layer to look at. False alarms: a ReLU exactly at "
    "its kink (z = 0), "
    "and gradients so small (~1e-6) that the finite difference's rounding (~1e-10) is a visible fraction of them.")


def short_exp(x: float, digits: int = 2) -> str:
    """3.1e-9 rather than 3.1e-09; two digits, so 9.6e-6 is not shown as the 1e-5 threshold."""
    if not np.isfinite(x):
        return str(x)
    mantissa, exp = f"{x:.{digits - 1}e}".split("e")
    return f"{mantissa}e{int(exp)}"


def _named(widget, name: str, tip: str = ""):
    widget.setObjectName(name)
    widget.setToolTip(tip)
    return widget


def _fixed_font(size: float = 10.5) -> QtGui.QFont:
    font = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(max(font.pointSizeF(), size))
    return font


class InspectorPanel(QtWidgets.QWidget):
    """Tabs "Backprop" (phases with Previous/Next) and "Gradient check" (backprop vs finite differences)."""

    sigHighlight = QtCore.Signal(object)  # list of flat parameter indices, or None to clear the graph's halo
    sigRefreshRequested = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("inspectorPanel")
        self._fixed = _fixed_font()
        self._table_font = _fixed_font(9.5)
        self._net: Network | None = None
        self._X = self._y = None
        self._loss, self._lr, self._step = "mse", 0.1, 0
        self._phases: list = []
        self._index = 0
        self._xray: dict = {}

        self.sample = _named(QtWidgets.QSpinBox(), "inspectorSample", "the training sample the update is computed on")
        self.batch_mean = _named(QtWidgets.QCheckBox("batch mean"), "inspectorBatchMean",
                                 "average the update over every training sample, as full-batch descent does")
        self.refresh = _named(QtWidgets.QPushButton("Refresh"), "inspectorRefresh",
                              "recompute with the network's current parameters")
        self.context_label = QtWidgets.QLabel()  # which step and sample the numbers are of (not live)
        self.context_label.setStyleSheet("color: #666;")
        self.context_label.setWordWrap(True)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(QtWidgets.QLabel("sample"))
        top.addWidget(self.sample)
        top.addWidget(self.batch_mean)
        top.addStretch(1)
        top.addWidget(self.refresh)

        self.tabs = QtWidgets.QTabWidget()
        self.tabs.addTab(self._backprop_tab(), "Backprop")
        self.tabs.addTab(self._gradcheck_tab(), "Gradient check")
        self.effective_lr = EffectiveLrView()
        self.tabs.addTab(self.effective_lr, "Effective η")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.context_label)
        layout.addWidget(self.tabs, 1)

        self.sample.valueChanged.connect(self._recompute)
        self.batch_mean.toggled.connect(self._on_batch_mean)
        self.refresh.clicked.connect(self.sigRefreshRequested)
        self.prev_button.clicked.connect(lambda: self.show_phase(self._index - 1))
        self.next_button.clicked.connect(lambda: self.show_phase(self._index + 1))
        self.check_button.clicked.connect(self.check_gradients)
        self.table.itemSelectionChanged.connect(self._emit_highlight)
        self.tabs.currentChanged.connect(self._emit_highlight)
        self._show_message(NO_NETWORK)

    def _backprop_tab(self) -> QtWidgets.QWidget:
        tab = QtWidgets.QWidget()
        self.title = _named(QtWidgets.QLabel(), "inspectorTitle", CONVENTION)
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-weight: bold;")
        self.prev_button = _named(QtWidgets.QPushButton("◀ Previous"), "inspectorPrev")
        self.next_button = _named(QtWidgets.QPushButton("Next ▶"), "inspectorNext")
        self.counter = QtWidgets.QLabel()
        self.counter.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        nav = QtWidgets.QHBoxLayout()
        nav.addWidget(self.prev_button)
        nav.addWidget(self.counter, 1)
        nav.addWidget(self.next_button)
        self.text = _named(QtWidgets.QTextEdit(), "inspectorText")
        self.text.setReadOnly(True)
        self.text.setFont(self._fixed)
        layout = QtWidgets.QVBoxLayout(tab)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(nav)  # above the title, whose wrapped lines vary by phase: the buttons never move
        layout.addWidget(self.title)
        layout.addWidget(self.text, 1)
        return tab

    def _gradcheck_tab(self) -> QtWidgets.QWidget:
        tab = QtWidgets.QWidget()
        self.check_button = _named(QtWidgets.QPushButton("Check gradients"), "inspectorCheck",
                                   "backprop against central finite differences, parameter by parameter")
        self.summary = _named(QtWidgets.QLabel(), "gradcheckSummary")
        self.summary.setWordWrap(True)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.check_button)
        row.addWidget(self.summary, 1)
        self.table = _named(QtWidgets.QTableWidget(0, 4), "gradcheckTable",
                            "select rows to see those parameters on the network graph")
        self.table.setHorizontalHeaderLabels(["parameter", "backprop", "numeric", "relative error"])
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()  # whole numbers (a scroll bar if narrow), never elided ones
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        note = QtWidgets.QLabel(GRADCHECK_NOTE)
        note.setWordWrap(True)
        note.setStyleSheet("color: #555; font-size: 8pt;")
        layout = QtWidgets.QVBoxLayout(tab)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        return tab

    # ------------------------------------------------------------------ context

    def set_context(self, snapshot, data, loss: str, lr: float) -> None:
        """Rebuild the phases for ``snapshot``'s parameters on ``data``'s training set (None: function mode)."""
        self._clear_gradcheck()
        sizes = tuple(getattr(snapshot, "sizes", ()) or ())
        self._xray = dict(getattr(snapshot, "xray", None) or {})
        self.effective_lr.show_xray(self._xray, getattr(snapshot, "param_names", ()))
        if snapshot is None or data is None or len(sizes) < 2:
            self._net = None
            self._show_message(NO_NETWORK)
            if self._xray and snapshot is not None:  # function mode: no layers, but the optimizer's update
                self._show_function_update(snapshot)
            return
        try:
            net = Network(list(sizes), list(snapshot.activations))
            net.set_params(np.array(snapshot.params, dtype=np.float64))
        except (ValueError, TypeError) as e:
            self._net = None
            self._show_message(f"Cannot rebuild the network: {e}")
            return
        self._net, self._X, self._y = net, data.X_train, data.y_train
        self._loss, self._lr, self._step = loss, float(lr), int(snapshot.step)
        n = len(self._X)
        self.sample.blockSignals(True)
        self.sample.setRange(0, max(0, n - 1))
        self.sample.blockSignals(False)
        self.sample.setSuffix(f"  (of {n})")
        self._recompute()

    def clear(self) -> None:
        self._xray = {}
        self.effective_lr.show_xray({}, ())
        self.set_context(None, None, self._loss, self._lr)

    def _on_batch_mean(self, on: bool) -> None:
        self.sample.setEnabled(not on)
        self._recompute()

    def _chosen_sample(self) -> int | None:
        return None if self.batch_mean.isChecked() else self.sample.value()

    def _recompute(self) -> None:
        if self._net is None:
            return
        self._clear_gradcheck()
        k = self._chosen_sample()
        try:
            phases = backprop_phases(self._net, self._X, self._y, self._loss, self._lr, sample=k)
        except (ValueError, FloatingPointError) as e:
            self._show_message(f"Cannot compute the phases: {e}")
            return
        if self._xray and self._xray["params"].size == self._net.n_params:
            phases = [self._optimizer_phase(p) if p.name == "update" else p for p in phases]
        self.sample.setEnabled(k is not None)
        self.check_button.setEnabled(True)
        on = "the batch mean" if k is None else f"sample {k}"
        self.context_label.setText(f"step {self._step} · {on} · η = {self._lr:.4g}")
        same = len(phases) == len(self._phases)
        self._phases = phases
        self.show_phase(self._index if same else 0)

    def _show_function_update(self, snapshot) -> None:
        """Function mode: the one phase there is, the optimizer's step of the point's coordinates."""
        x, names = self._xray, tuple(snapshot.param_names)
        lines = [x["formula"]]
        for p, w in enumerate(np.asarray(x["params"])):
            lines += xray.update_lines(x, p, names[p], float(w))
        title = f"Update: {x['optimizer']}, η = {num(x['lr'])} (the next step)"
        self._phases = [Phase("update", title, tuple(lines))]
        self.context_label.setText(f"step {int(snapshot.step)} · function mode: the gradient is exact")
        self.show_phase(0)

    def _optimizer_phase(self, phase):
        """The update phase as the optimizer really takes it: its formula, then each parameter's numbers."""
        x = self._xray
        params = np.asarray(x["params"])
        lines = [x["formula"]]
        for p in phase.params:
            lines += xray.update_lines(x, p, self._net.param_names[p], float(params[p]))
        layer = phase.title.split(":")[0]
        title = f"{layer}: {x['optimizer']}, η = {num(x['lr'])} (the next step's own batch and buffers)"
        return dataclasses.replace(phase, title=title, lines=tuple(lines))

    # ------------------------------------------------------------------ phases

    def phases(self) -> list:
        return list(self._phases)

    def current_index(self) -> int:
        return self._index

    def show_phase(self, k: int) -> None:
        """Show phase ``k`` (clamped) and highlight its parameters on the graph."""
        if not self._phases:
            return
        self._index = k = min(max(int(k), 0), len(self._phases) - 1)
        phase = self._phases[k]
        self.title.setText(phase.title)
        self.counter.setText(f"phase {k + 1} of {len(self._phases)}")
        self._set_lines(phase.lines)
        self.prev_button.setEnabled(k > 0)
        self.next_button.setEnabled(k < len(self._phases) - 1)
        self._emit_highlight()

    def _set_lines(self, lines) -> None:
        """One block per formula; a long one wraps with a hanging indent, so each formula's start stands out."""
        self.text.clear()
        cursor = self.text.textCursor()
        block = QtGui.QTextBlockFormat()
        indent = 3 * self.text.fontMetrics().horizontalAdvance("0")
        block.setLeftMargin(indent)
        block.setTextIndent(-indent)
        block.setBottomMargin(3)
        for k, line in enumerate(lines):
            if k:
                cursor.insertBlock()
            cursor.setBlockFormat(block)
            cursor.insertText(line)
        self.text.moveCursor(QtGui.QTextCursor.MoveOperation.Start)

    def text_shown(self) -> str:
        return self.text.toPlainText()

    def highlighted(self) -> list[int] | None:
        """What the graph should mark now: the phase's parameters, the selected gradient-check rows, or None."""
        if not self._phases or self._net is None:
            return None
        if self.tabs.currentIndex() == 1:
            rows = sorted({i.row() for i in self.table.selectedIndexes()})
            return rows or None
        return list(self._phases[self._index].params)

    def _emit_highlight(self, *_) -> None:
        if self.isVisible():
            self.sigHighlight.emit(self.highlighted())

    def _show_message(self, text: str) -> None:
        self._phases, self._index = [], 0
        self.title.setText("")
        self.counter.setText("")
        self.context_label.setText("")
        self.text.setPlainText(text)
        self.prev_button.setEnabled(False)
        self.next_button.setEnabled(False)
        self.check_button.setEnabled(self._net is not None)
        self.sample.setEnabled(self._net is not None and not self.batch_mean.isChecked())
        if self.isVisible():
            self.sigHighlight.emit(None)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self._emit_highlight()

    def hideEvent(self, event) -> None:  # noqa: N802
        super().hideEvent(event)
        self.sigHighlight.emit(None)

    # ------------------------------------------------------------------ gradient check

    def check_gradients(self) -> None:
        """Backprop against central finite differences for every parameter, on the same sample (or batch)."""
        if self._net is None:
            return
        k = self._chosen_sample()
        X, y = (self._X, self._y) if k is None else (self._X[k:k + 1], self._y[k:k + 1])
        try:
            with np.errstate(all="ignore"):
                rows = gradient_check(self._net, X, y, self._loss)
        except (ValueError, FloatingPointError) as e:
            self._clear_gradcheck()
            self.summary.setText(f"Cannot check: {e}")
            return
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            cells = [row.name, f"{row.backprop:.10g}", f"{row.numeric:.10g}", short_exp(row.rel_error)]
            bad = not row.rel_error <= BAD_REL_ERROR  # NaN counts as bad
            for c, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                item.setFont(self._table_font)
                if c:
                    item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
                if bad:
                    item.setBackground(BAD_BRUSH)
                self.table.setItem(r, c, item)
        self.summary.setText(self.summary_text(rows, k))

    @staticmethod
    def summary_text(rows, sample: int | None = None) -> str:
        errors = np.array([r.rel_error for r in rows], dtype=np.float64)
        on = "the whole batch" if sample is None else f"sample {sample}"
        if not errors.size:
            return "no parameters to check"
        if not np.all(np.isfinite(errors)):
            return f"some gradients are not finite on {on}: the parameters have diverged"
        worst = int(np.argmax(errors))
        bad = int(np.count_nonzero(errors > BAD_REL_ERROR))
        if bad == 0:
            return (f"max relative error {short_exp(errors[worst])}: backprop agrees with finite differences "
                    f"({len(rows)} parameters, {on})")
        return (f"max relative error {short_exp(errors[worst])} at {rows[worst].name}: {bad} of {len(rows)} "
                f"parameters disagree with finite differences ({on})")

    def _clear_gradcheck(self) -> None:
        self.table.setRowCount(0)
        self.summary.setText("Press “Check gradients” to compare backprop with finite differences.")
