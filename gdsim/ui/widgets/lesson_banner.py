"""Two small pieces of the window's words: the banner that says what the open preset is about (a tooltip
nobody sees teaches nothing), and the dialog that lists every keyboard shortcut."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from gdsim.lab.config import Config
from gdsim.ui.plotting.formatters import eta


class LessonBanner(QtWidgets.QToolBar):
    """A full-width strip above the pictures with the preset's name and description; the × hides it.

    It speaks of the preset only while the preset's problem is the one being trained (``follow``): after a CSV
    import or a change of data or network it goes, and a changed η is said beside the preset's own."""

    def __init__(self, parent=None):
        super().__init__("Lesson", parent)
        self.setObjectName("lessonBar")
        self.setMovable(False)
        self.setFloatable(False)
        box = QtWidgets.QWidget()
        row = QtWidgets.QHBoxLayout(box)
        row.setContentsMargins(6, 2, 2, 2)
        self.label = QtWidgets.QLabel()
        self.label.setObjectName("lessonBanner")
        self.label.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        self.close_button = QtWidgets.QToolButton()
        self.close_button.setObjectName("lessonBannerClose")
        self.close_button.setText("×")
        self.close_button.setToolTip("Hide this note")
        self.close_button.clicked.connect(self.hide)
        row.addWidget(self.label, 1)
        row.addWidget(self.close_button, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        self.addWidget(box)
        self.toggleViewAction().setText("Lesson note")
        self.preset: Config | None = None
        self.problem = ""  # the problem key (lab.state) the preset was opened as
        self.hide()

    def show_text(self, title: str, text: str) -> None:
        self.label.setText(f"{title}: {text}" if text else title)
        self.show()
        self._fit_height()

    def show_preset(self, cfg: Config, problem: str) -> None:
        """The preset ``cfg`` was opened as the problem with key ``problem``: say what it is about."""
        self.preset, self.problem = cfg, problem
        self.show_text(cfg.name, cfg.description)

    def follow(self, problem: str, lr: float, optimizer: str | None = None) -> None:
        """The problem, η and optimizer trained now. Another problem: the note is not about it any more, so it
        goes. The same problem at another η or with another optimizer: the note says what it is now beside the
        preset's (its text quotes them)."""
        cfg = self.preset
        if cfg is None:
            return
        if problem != self.problem:
            self.preset, self.problem = None, ""
            self.label.clear()
            self.hide()
            return
        text = cfg.description
        if optimizer is not None and optimizer != cfg.training.optimizer:
            text += f" [the optimizer is now {optimizer}; the preset's is {cfg.training.optimizer}]"
        if lr != cfg.training.eta:
            text += f" [η is now {eta(lr)}; the preset's η is {eta(cfg.training.eta)}]"
        self.label.setText(f"{cfg.name}: {text}" if text else cfg.name)
        self._fit_height()

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_height()

    def _fit_height(self) -> None:
        """A toolbar does not ask a wrapping label for its height at the given width, so tell the label."""
        window = self.parentWidget()
        full = window.width() if window is not None else self.width()
        width = max(200, full - self.close_button.sizeHint().width() - 30)
        height = self.label.heightForWidth(width)
        self.label.setFixedHeight(height if height > 0 else self.label.sizeHint().height())


class ShortcutsDialog(QtWidgets.QDialog):
    """Every action of the window that has a shortcut, read from the actions themselves so it stays true."""

    def __init__(self, window: QtWidgets.QMainWindow):
        super().__init__(window)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        rows: dict[str, str] = {}
        for action in window.findChildren(QtGui.QAction):
            key = action.shortcut().toString(QtGui.QKeySequence.SequenceFormat.NativeText)
            if key and key not in rows:
                rows[key] = describe(action, key)
        self.table = QtWidgets.QTableWidget(len(rows), 2)
        self.table.setObjectName("shortcutsTable")
        self.table.setHorizontalHeaderLabels(["Key", "What it does"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        for i, (key, text) in enumerate(rows.items()):
            self.table.setItem(i, 0, QtWidgets.QTableWidgetItem(key))
            self.table.setItem(i, 1, QtWidgets.QTableWidgetItem(text))
        self.table.setWordWrap(False)
        self.table.resizeColumnsToContents()
        self.table.resizeRowsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.table.horizontalHeader()
        width = sum(self.table.columnWidth(c) for c in range(2)) + 2 * self.table.frameWidth() + 4
        height = header.sizeHint().height() + sum(self.table.rowHeight(r) for r in range(len(rows)))
        self.table.setMinimumSize(width, height + 2 * self.table.frameWidth() + 2)  # every row, nothing cut
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)


def describe(action: QtGui.QAction, key: str) -> str:
    """An action's name and, when its tooltip says more, what it does: "Epoch: one pass over the training data"."""
    text = action.text().replace("&", "").rstrip("…")
    tip = action.toolTip().removesuffix(f" ({key})").rstrip("…")
    if not tip or tip.replace("&", "").startswith(text):
        return text
    return f"{text}: {tip[0].lower()}{tip[1:]}"
