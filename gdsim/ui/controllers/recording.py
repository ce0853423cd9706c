"""File → Record…: record the whole window or one panel as a GIF (or MP4) for slides.

A dialog chooses what, where, how wide and how fast; a red "● REC 00:07" with a Stop button sits in the status
bar while it records (the menu entry becomes "Stop recording"); the status bar then shows the encoding's
progress, and a failure is a message. Closing the window mid-recording still writes the file.
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from gdsim.io import animation
from gdsim.ui.controllers.folders import dialog_folder, remember_folder
from gdsim.ui.recorder import DEFAULT_FPS, DEFAULT_WIDTH, Recorder

WHOLE_WINDOW, NETWORK = "Whole window", "Network"


def named(widget, name: str):
    widget.setObjectName(name)
    return widget


def spin_box(name: str, low: int, high: int, value: int, suffix: str) -> QtWidgets.QSpinBox:
    box = named(QtWidgets.QSpinBox(), name)
    box.setRange(low, high)
    box.setValue(value)
    box.setSuffix(suffix)
    return box


class RecordDialog(QtWidgets.QDialog):
    """What to record, the file, the width and the frame rate; a path it cannot use is a hint, not a close."""

    def __init__(self, targets: list[str], parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Record a run")
        self.target = named(QtWidgets.QComboBox(), "recordTarget")
        self.target.addItems(targets)
        self.path = named(QtWidgets.QLineEdit(str(dialog_folder() / "run.gif")), "recordPath")
        browse = named(QtWidgets.QPushButton("Browse…"), "recordBrowse")
        browse.clicked.connect(self._browse)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.width_box = spin_box("recordWidth", animation.MIN_WIDTH, animation.MAX_WIDTH, DEFAULT_WIDTH, " px")
        self.fps = spin_box("recordFps", 1, animation.MAX_FPS, DEFAULT_FPS, " frames/s")
        self.hint = named(QtWidgets.QLabel(), "recordHint")
        self.hint.setWordWrap(True)
        self.hint.setTextFormat(QtCore.Qt.TextFormat.PlainText)  # it quotes the path the user typed
        self.hint.setStyleSheet("color: #c0392b")
        self.hint.setVisible(False)
        form = QtWidgets.QFormLayout(self)
        form.addRow("Record", self.target)
        form.addRow("File", row)
        form.addRow("Width", self.width_box)
        form.addRow("At most", self.fps)
        form.addRow(self.hint)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.record = buttons.addButton("Record", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        self.record.setObjectName("recordStart")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def accept(self) -> None:
        try:
            animation.check_path(self.path.text().strip())
        except ValueError as e:
            self.hint.setText(str(e))
            self.hint.setVisible(True)
            return
        super().accept()

    def _browse(self) -> None:
        kinds = "GIF animation (*.gif)" + (";;MP4 video (*.mp4)" if animation.has_mp4_encoder() else "")
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Record to", self.path.text(), kinds)
        if path:
            self.path.setText(path if Path(path).suffix else path + ".gif")


class RecordingController(QtCore.QObject):
    """Records ``window`` or one of its panels (the centre, the network; or a dock's widget). Frames follow the
    client's snapshots; the indicator lives in ``status_bar``; notes and failures go to ``messages``."""

    def __init__(self, window: QtWidgets.QWidget, client, messages, status_bar: QtWidgets.QStatusBar,
                 docks: dict[str, QtWidgets.QDockWidget], centre: QtWidgets.QWidget):
        super().__init__(window)
        self.window, self.client, self.messages = window, client, messages
        self.docks, self.centre = docks, centre
        self.recorder: Recorder | None = None
        self.dialog: RecordDialog | None = None
        self.action = QtGui.QAction("Record…", window)  # the menus show it
        self.action.setStatusTip("Record the window or one panel as an animated GIF or an MP4 video, for slides")
        self.action.triggered.connect(self.menu_action)
        window.installEventFilter(self)  # its closing: a recording in progress is still written
        bar = status_bar
        self.indicator = named(QtWidgets.QLabel(), "recordingIndicator")
        self.indicator.setStyleSheet("color: #c0392b; font-weight: bold")
        bold = QtGui.QFont(self.indicator.font())
        bold.setBold(True)
        # as wide as its widest text: a ticking clock never re-lays out the status bar
        self.indicator.setMinimumWidth(QtGui.QFontMetrics(bold).horizontalAdvance("Encoding: 100 %") + 8)
        self.stop_button = named(QtWidgets.QPushButton("Stop"), "recordStop")
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.setToolTip("Stop recording and write the file")
        for w in (self.indicator, self.stop_button):  # permanent: a status message never covers them
            w.setVisible(False)
            bar.addPermanentWidget(w)
        self.clock = QtCore.QTimer(window)
        self.clock.setInterval(250)
        self.clock.timeout.connect(self._tick)

    @property
    def recording(self) -> bool:
        return self.recorder is not None and self.recorder.recording

    def targets(self) -> dict[str, QtWidgets.QWidget]:
        return {WHOLE_WINDOW: self.window, NETWORK: self.centre,
                **{title: dock.widget() for title, dock in self.docks.items()}}

    def menu_action(self) -> None:
        """File → Record… opens the dialog; while recording the same entry stops."""
        if self.recording:
            self.stop()
            return
        if self.recorder is not None and self.recorder.encoding:
            self.messages.say("Still writing the last recording…", 3000)
            return
        self.dialog = RecordDialog(list(self.targets()), self.window)
        self.dialog.accepted.connect(self._on_dialog_accepted)
        self.dialog.open()

    def _on_dialog_accepted(self) -> None:
        d = self.dialog
        if d is None:
            return
        path = d.path.text().strip()
        remember_folder(path)
        self.start(d.target.currentText(), path, d.width_box.value(), d.fps.value())

    def start(self, target: str, path: str, width: int = DEFAULT_WIDTH, fps: float = DEFAULT_FPS) -> bool:
        try:
            recorder = Recorder(self.targets()[target], path, width, fps, parent=self.window)
        except ValueError as e:
            self.messages.show_error(f"Cannot record: {e}")
            return False
        if target in self.docks:  # a panel behind a tab is not drawn: bring it forward
            self.docks[target].show()
            self.docks[target].raise_()
        self.recorder = recorder
        recorder.sigProgress.connect(self._on_progress)
        recorder.sigFinished.connect(self._on_finished)
        recorder.sigFailed.connect(self._on_failed)
        self.client.sigSnapshot.connect(recorder.on_snapshot)  # after the panels' own slot: they have drawn
        recorder.start()
        self.stop_button.setVisible(True)
        self.indicator.setVisible(True)
        self._tick()
        self.clock.start()
        self.action.setText("Stop recording")
        return True

    def stop(self) -> None:
        recorder = self.recorder
        if recorder is None or not recorder.recording:
            return
        self.clock.stop()
        self.client.sigSnapshot.disconnect(recorder.on_snapshot)
        recorder.stop()
        self.stop_button.setVisible(False)
        self.indicator.setText("Encoding…")
        self.action.setText("Record…")

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if watched is self.window and event.type() == QtCore.QEvent.Type.Close:
            self.shutdown()
        return False

    def shutdown(self) -> None:
        """The window closes: a recording in progress is still written (this waits for it)."""
        self.stop()
        if self.recorder is not None and self.recorder.encoding:
            self.recorder.wait()

    def _tick(self) -> None:
        seconds = int(self.recorder.elapsed) if self.recorder is not None else 0
        self.indicator.setText(f"● REC {seconds // 60:02d}:{seconds % 60:02d}")

    def _on_progress(self, done: int, total: int) -> None:
        self.indicator.setText(f"Encoding: {100 * done // max(total, 1)} %")

    def _on_finished(self, path: str) -> None:
        self.indicator.setVisible(False)
        n = len(self.recorder.frames) if self.recorder is not None else 0
        self.messages.say(f"Recorded {n} frame{'s' * (n != 1)} to {path}", 8000)

    def _on_failed(self, message: str) -> None:
        self.indicator.setVisible(False)
        self.messages.show_error(f"Could not save the recording: {message}")
