"""Import your own data: pick a CSV, see its first rows, choose the target and the feature columns.

Every change is checked by the engine's own loader (``make_dataset("csv:" + path, ...)``), so what the dialog
accepts is exactly what training will load. Problems — non-numeric cells, NaN, ragged rows, an empty or an
enormous file — are shown in a red line naming the row and column (and the cell is marked in the preview);
the dialog never raises and never closes on them, and OK stays disabled until the file loads.

The preview reads only the head of the file. Pipes, devices and folders are refused before anything is read
(opening a named pipe would wait for a writer for ever). A file bigger than ``SYNC_BYTES`` is checked in a
thread with a progress bar and a Stop button, so the window never freezes; the engine remembers the big table
it read, so a new choice of columns, and the set-up built after OK, do not read the file again.
"""

from __future__ import annotations

import csv
import os
import re
import threading

from PySide6 import QtCore, QtGui, QtWidgets

from gdsim import worker_registry
from gdsim.engine import csv_table, datasets
from gdsim.engine.cancel import Cancelled
from gdsim.ui.plotting.palette import ERROR_TEXT_STYLE, MUTED
from gdsim.ui.widgets.field_guard import guard

PREVIEW_ROWS = 20
PREVIEW_BYTES = 64 * 2**10  # the preview never reads more than this, whatever the file's size
SYNC_BYTES = 2**20          # files up to this size are checked at once (a few ms); bigger ones in a thread
BAD_CELL = QtGui.QBrush(QtGui.QColor(255, 200, 195))
_WHERE = re.compile(r"line (\d+), column '((?:[^'\\]|\\.)*)'")


def read_preview(path: str, rows: int = PREVIEW_ROWS) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and up to ``rows`` (file line, cells) pairs, tolerant of any content (ragged rows, bad bytes).
    A path that is not a readable regular file is a ValueError (the engine's message), raised before reading."""
    with csv_table.open_regular(path) as f:
        head = f.read(PREVIEW_BYTES)
    # the loader's line endings (\n, \r\n, \r), so the line numbers agree with its messages
    lines = head.decode("utf-8-sig", errors="replace").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if len(head) == PREVIEW_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut short
    reader = csv.reader(lines)
    table: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            if cells and any(c.strip() for c in cells):  # the loader skips blank lines too
                table.append((reader.line_num, cells))
            if len(table) > rows:
                break
    except csv.Error:
        pass
    if not table:
        return [], []
    return table[0][1], table[1:]


class CsvImportDialog(QtWidgets.QDialog):
    """``set_path`` (or Browse…), choose columns, OK; then ``result_problem()`` for the main window to apply."""

    def __init__(self, parent=None, directory: str = ""):
        super().__init__(parent)
        self.setObjectName("csvImportDialog")
        self.setWindowTitle("Import CSV data")
        self._directory = directory
        self._path = ""
        self._header: list[str] = []
        self._lines: list[int] = []  # the file line of each preview row
        self._valid = False
        self._refusal = ""           # why the path cannot be read at all (missing, a pipe, a folder...)
        self._size = 0
        self._job: CheckJob | None = None  # the check running in a thread (big files only)

        self.path_edit = QtWidgets.QLineEdit()
        self.path_edit.setObjectName("csvPath")
        self.path_edit.setPlaceholderText("a CSV file with a header row and numbers only")
        self.browse = QtWidgets.QPushButton("Browse…")
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse)

        self.preview = QtWidgets.QTableWidget(0, 0)
        self.preview.setObjectName("csvPreview")
        self.preview.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview.verticalHeader().setDefaultSectionSize(20)
        self.target = guard(QtWidgets.QComboBox())
        self.target.setObjectName("csvTarget")
        self.target.setToolTip("the column the network learns to predict")
        self.features = QtWidgets.QListWidget()
        self.features.setObjectName("csvFeatures")
        self.features.setToolTip("the columns the network sees as inputs")
        self.features.setMaximumHeight(110)
        self.task = QtWidgets.QLabel()
        self.task.setObjectName("csvTask")
        self.task_choice = guard(QtWidgets.QComboBox())
        self.task_choice.setObjectName("csvTaskChoice")
        self.task_choice.addItems(["auto", "classification", "regression"])
        self.task_choice.setToolTip("auto: an integer target with few values is classification, else regression")
        self.error = QtWidgets.QLabel()
        self.error.setObjectName("csvError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_TEXT_STYLE)
        self.error.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setObjectName("csvProgress")
        self.progress.setRange(0, 1000)
        self.progress.setFormat("reading the file… %p%")
        self.stop = QtWidgets.QPushButton("Stop")
        self.stop.setObjectName("csvStop")
        self.stop.setToolTip("stop reading this file")
        busy = QtWidgets.QHBoxLayout()
        busy.addWidget(self.progress, 1)
        busy.addWidget(self.stop)
        form = QtWidgets.QFormLayout()
        form.addRow("target column", self.target)
        form.addRow("feature columns", self.features)
        task_row = QtWidgets.QHBoxLayout()
        task_row.addWidget(self.task_choice)
        task_row.addWidget(self.task, 1)
        form.addRow("task", task_row)
        note = QtWidgets.QLabel("An integer target with at most 20 distinct values is a classification task, "
                                "anything else regression. Features are standardised with the training rows.")
        note.setWordWrap(True)
        note.setStyleSheet("color: #666; font-size: 8pt;")
        self.buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                                  | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(QtWidgets.QLabel(f"first {PREVIEW_ROWS} rows"))
        layout.addWidget(self.preview, 1)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addLayout(busy)
        layout.addWidget(self.buttons)
        self._show_busy(False)

        self.browse.clicked.connect(self._on_browse)
        self.path_edit.editingFinished.connect(self._on_path_edited)
        self.target.currentIndexChanged.connect(self._on_target)
        self.task_choice.currentIndexChanged.connect(lambda _i: self._validate())
        self.features.itemChanged.connect(lambda _item: self._validate())
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.stop.clicked.connect(self._on_stop)
        self.resize(560, 560)
        self._validate()

    # ------------------------------------------------------------------ API

    def set_path(self, path: str) -> None:
        """Load ``path`` into the preview and the column choices, then check it (no file dialog)."""
        path = os.path.abspath(os.path.expanduser(path.strip())) if path.strip() else ""
        if self._job is not None:
            self._job.cancel()  # it reads another file (or the same one again, from the start)
        self._path = path
        self.path_edit.setText(path)
        self._refusal, self._size = "", 0
        try:
            header, rows = read_preview(path) if path else ([], [])
            self._size = os.path.getsize(path) if path else 0
        except (ValueError, OSError) as e:
            header, rows = [], []
            self._refusal = str(e)
        self._header = [h.strip() or f"column {i}" for i, h in enumerate(header)]
        self._fill_preview(rows)
        self.target.blockSignals(True)
        self.target.clear()
        self.target.addItems(self._header)
        self.target.setCurrentIndex(len(self._header) - 1)
        self.target.blockSignals(False)
        self._fill_features()
        self._validate()

    def is_valid(self) -> bool:
        return self._valid

    def is_checking(self) -> bool:
        """A big file is being read in a thread (OK waits for it)."""
        return self._job is not None

    def done(self, result: int) -> None:
        """Accepting, cancelling or closing stops a check still running, and waits for its thread."""
        self.stop_checking()
        super().done(result)

    def stop_checking(self) -> None:
        """Stop a check still running and wait for its thread (a QThread must not be deleted while it runs)."""
        job, self._job = self._job, None
        if job is not None:
            job.cancel()
            job.wait()  # one block of the file at most
            self._show_busy(False)

    def error_text(self) -> str:
        return self.error.text()

    def selected_features(self) -> list[str]:
        return [self.features.item(i).text() for i in range(self.features.count())
                if self.features.item(i).checkState() == QtCore.Qt.CheckState.Checked]

    def result_problem(self) -> dict:
        """{"dataset": "csv:PATH", "target": name} plus "features" when some columns were left out; {} if invalid."""
        if not self._valid:
            return {}
        problem = {"dataset": "csv:" + self._path, "target": self.target.currentText(), "task": self._task()}
        features = self.selected_features()
        if len(features) < len(self._header) - 1:
            problem["features"] = features
        return problem

    def _task(self) -> str | None:
        choice = self.task_choice.currentText()
        return None if choice == "auto" else choice

    # ------------------------------------------------------------------ filling

    def _on_path_edited(self) -> None:
        text = self.path_edit.text().strip()
        if (os.path.abspath(os.path.expanduser(text)) if text else "") != self._path:
            self.set_path(text)

    def _on_browse(self) -> None:
        start = os.path.dirname(self._path) if self._path else self._directory
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Import CSV data", start,
                                                        "CSV files (*.csv *.txt);;All files (*)")
        if path:
            self.set_path(path)

    def _fill_preview(self, rows: list[tuple[int, list[str]]]) -> None:
        width = max([len(self._header)] + [len(r) for _, r in rows])
        self.preview.clear()
        self.preview.setColumnCount(width)
        self.preview.setRowCount(len(rows))
        self.preview.setHorizontalHeaderLabels(self._header + [""] * (width - len(self._header)))
        self.preview.setVerticalHeaderLabels([str(line) for line, _ in rows])  # file lines, as the messages
        self._lines = [line for line, _ in rows]
        for r, (_, cells) in enumerate(rows):
            for c, cell in enumerate(cells):
                self.preview.setItem(r, c, QtWidgets.QTableWidgetItem(cell))
        self.preview.resizeColumnsToContents()

    def _fill_features(self) -> None:
        t = self.target.currentIndex()
        self.features.blockSignals(True)
        self.features.clear()
        for c, name in enumerate(self._header):
            if c == t:
                continue
            item = QtWidgets.QListWidgetItem(name)
            item.setFlags(item.flags() | QtCore.Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(QtCore.Qt.CheckState.Checked)
            self.features.addItem(item)
        self.features.blockSignals(False)

    def _on_target(self, _index: int) -> None:
        """A new target: the old one becomes a feature again (checked), the choices made so far stay."""
        left_out = {self.features.item(i).text() for i in range(self.features.count())
                    if self.features.item(i).checkState() != QtCore.Qt.CheckState.Checked}
        self._fill_features()
        self.features.blockSignals(True)
        for i in range(self.features.count()):
            if self.features.item(i).text() in left_out:
                self.features.item(i).setCheckState(QtCore.Qt.CheckState.Unchecked)
        self.features.blockSignals(False)
        self._validate()

    # ------------------------------------------------------------------ checking

    def _request(self) -> tuple:
        features = self.selected_features() if self._header else None
        return self._path, self.target.currentText() or None, features, self._task()

    def _validate(self) -> None:
        """Load the file with the engine exactly as training would; show the task or the one-line problem.
        A big file is loaded in a thread; a choice made meanwhile is checked when that load ends."""
        self._valid = False
        self._mark_cell(None)
        if not self._path:
            self._show(None, "Choose a CSV file.", is_error=False)
            return
        if self._refusal:
            self._show(None, self._short(self._refusal))
            return
        if self._job is not None:  # it ends soon (or was stopped): _on_checked starts the next check
            self._show(None, "Reading the file…", is_error=False)
            return
        if SYNC_BYTES < self._size <= datasets.MAX_CSV_BYTES:
            self._job = CheckJob(self._request())
            self._job.sigProgress.connect(self._on_progress)
            self._job.finished.connect(self._on_checked)
            self._show(None, "Reading the file…", is_error=False)
            self._show_busy(True)
            self._job.start()
            return
        self._show_outcome(check(*self._request()))

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setValue(int(1000 * done / max(1, total)))

    def _on_checked(self) -> None:
        job = self.sender()
        if job is None or job is not self._job:
            return  # a check that stop_checking already waited for
        job.wait()  # ``finished`` comes just before the thread really ends
        self._job = None
        self._show_busy(False)
        if job.request != self._request():
            self._validate()  # the path or the columns changed while it ran: check the current choice
        else:
            self._show_outcome(job.outcome)

    def _on_stop(self) -> None:
        if self._job is not None:
            self._job.cancel()

    def _show_outcome(self, outcome: tuple[str, str] | None) -> None:
        """(task text, "") for a good file, ("", message) for a bad one, None when the user stopped it."""
        if outcome is None:
            self._show(None, "Stopped reading the file. Choose it again to read it.")
            return
        task, message = outcome
        self._valid = not message
        self._show(task or None, self._short(message) if message else "")

    def _show_busy(self, busy: bool) -> None:
        if busy:
            self.progress.setValue(0)
        self.progress.setVisible(busy)
        self.stop.setVisible(busy)

    def _short(self, message: str) -> str:
        """Drop the file name the engine puts first (the path is shown above) and mark the cell it names."""
        prefix = self._path + ": "
        message = message[len(prefix):] if message.startswith(prefix) else message
        where = _WHERE.search(message)
        if where:
            self._mark_cell((int(where.group(1)), where.group(2)))
        return message[:1].upper() + message[1:]

    def _mark_cell(self, where: tuple[int, str] | None) -> None:
        for r in range(self.preview.rowCount()):
            for c in range(self.preview.columnCount()):
                item = self.preview.item(r, c)
                if item is not None and item.background().style() != QtCore.Qt.BrushStyle.NoBrush:
                    item.setBackground(QtGui.QBrush())
        if where is None:
            return
        line, name = where
        r = self._lines.index(line) if line in self._lines else -1
        c = self._header.index(name) if name in self._header else -1
        item = self.preview.item(r, c) if r >= 0 and c >= 0 else None
        if item is not None:
            item.setBackground(BAD_CELL)
            self.preview.scrollToItem(item)

    def _show(self, task: str | None, message: str, is_error: bool = True) -> None:
        self.task.setText(task or "—")
        self.error.setText(message)
        self.error.setStyleSheet(ERROR_TEXT_STYLE if is_error else f"color: {MUTED};")
        self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok).setEnabled(self._valid)


def check(path: str, target, features, task, progress=None, cancel=None) -> tuple[str, str] | None:
    """Load ``path`` as training will: (task text, "") or ("", the engine's message); None if cancelled."""
    try:
        data = datasets.make_dataset("csv:" + path, target=target, features=features, task=task,
                                     progress=progress, cancel=cancel)
    except Cancelled:
        return None
    except ValueError as e:
        return "", str(e)
    except Exception as e:  # noqa: BLE001 (an unreadable file must never take the dialog down)
        return "", f"{type(e).__name__}: {e}"
    rows = len(data.X_train) + len(data.X_test)
    kind = f"classification, {data.n_classes} classes" if data.task == "classification" else "regression"
    return f"{kind} · {rows} rows, {data.n_features} feature{'s' * (data.n_features != 1)}", ""


class CheckJob(QtCore.QThread):
    """``check`` of one (path, target, features, task) request in its own thread, with progress and Stop."""

    sigProgress = QtCore.Signal(int, int)  # bytes read, file size

    def __init__(self, request: tuple):
        super().__init__()
        self.setObjectName("gdsim-csv-check")
        self.request = request
        self.outcome: tuple[str, str] | None = None
        self._cancel = threading.Event()
        worker_registry.register(self)

    def cancel(self) -> None:
        """Thread-safe: the read stops before its next block."""
        self._cancel.set()

    def run(self) -> None:
        self.outcome = check(*self.request, progress=self.sigProgress.emit, cancel=self._cancel.is_set)
