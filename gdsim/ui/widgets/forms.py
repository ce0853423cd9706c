"""What the comparison and sweep forms share: a red hint line, a progress bar, and the run/busy/progress
behaviour of a form whose work happens in the worker thread."""

from __future__ import annotations

from PySide6 import QtWidgets

from gdsim.ui.plotting.palette import ERROR_RED

HINT_STYLE = f"color: {ERROR_RED}; font-size: 8pt;"


def hint_label() -> QtWidgets.QLabel:
    """A red one-liner under a form field; hidden while there is nothing wrong."""
    label = QtWidgets.QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(HINT_STYLE)
    label.hide()
    return label


def label_tips(form: QtWidgets.QFormLayout) -> None:
    """Give each row's label its field's tooltip: people hover the word "Noise" as often as the box."""
    role = QtWidgets.QFormLayout.ItemRole
    for row in range(form.rowCount()):
        label, field = form.itemAt(row, role.LabelRole), form.itemAt(row, role.FieldRole)
        if label is None or field is None or label.widget() is None:
            continue
        widget = field.widget() or (field.layout().itemAt(0).widget() if field.layout() else None)
        if widget is not None and widget.toolTip():
            label.widget().setToolTip(widget.toolTip())


def progress_bar() -> QtWidgets.QProgressBar:
    bar = QtWidgets.QProgressBar()
    bar.setRange(0, 1)
    bar.setValue(0)
    bar.setFormat("")  # idle: no "0 / 1"
    bar.setMaximumHeight(18)
    bar.setToolTip("epochs trained, over all runs")
    bar.setMinimumWidth(90)
    return bar


def set_progress(bar: QtWidgets.QProgressBar, done: int, total: int) -> None:
    bar.setFormat("%v / %m")
    bar.setRange(0, max(int(total), 1))
    bar.setValue(min(max(int(done), 0), max(int(total), 1)))


class AnalysisForm(QtWidgets.QWidget):
    """A form that asks the worker for a long analysis: subclasses define ``request()``, ``_validate()``,
    ``_update_buttons()``, ``_fields()`` (locked while busy) and have ``hint``, ``progress``, ``epochs``."""

    def run(self) -> None:
        """Emit ``sigRun`` with the parsed request, or show why not."""
        if self._validate():
            self.sigRun.emit(self.request())

    def set_epochs(self, epochs: int) -> None:
        self.epochs.setValue(int(epochs))

    def set_busy(self, busy: bool) -> None:
        """While the worker runs: the form is locked, Cancel is live, the progress bar starts from zero."""
        self._busy = bool(busy)
        for w in self._fields():
            w.setEnabled(not busy)
        if busy:
            set_progress(self.progress, 0, 1)
        self._update_buttons()

    def show_progress(self, done: int, total: int) -> None:
        set_progress(self.progress, done, total)

    def hint_text(self) -> str:
        return self.hint.text() if self.hint.isVisibleTo(self) else ""
