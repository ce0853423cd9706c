"""Every message the app gives the user: a line in the status bar, a dialog for what went wrong.

One place, so every failure is said the same way and recorded (``errors``: tests and bug reports read it).
Dialog text is always plain: messages quote file names and text the user typed, which must never render markup.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets


class Messages:
    def __init__(self, parent: QtWidgets.QWidget, status_bar: QtWidgets.QStatusBar, errors: list[str]):
        self.parent, self.status_bar, self.errors = parent, status_bar, errors

    def say(self, text: str, msecs: int = 5000) -> None:
        """A passing note in the status bar."""
        self.status_bar.showMessage(text, msecs)

    def show_error(self, message: str) -> None:
        """Tell the user; never raise. Offscreen (tests) the message is recorded instead of blocking."""
        self.errors.append(message)
        self.status_bar.showMessage(message.splitlines()[0] if message else "", 15000)
        if QtWidgets.QApplication.platformName() != "offscreen":
            box = self._box(message.split("\n\nDetails")[0])
            if "\n\nDetails:\n" in message:
                box.setDetailedText(message.split("\n\nDetails:\n", 1)[1])
            box.open()

    def show_open_error(self, message: str) -> QtWidgets.QMessageBox:
        """A File → Open failure is always a dialog (offscreen too, where tests find and close it)."""
        self.errors.append(message)
        self.status_bar.showMessage(message.splitlines()[0] if message else "", 15000)
        box = self._box(message)
        box.setObjectName("openErrorDialog")
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    def _box(self, text: str) -> QtWidgets.QMessageBox:
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Warning, "gdsim", text, parent=self.parent)
        box.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        return box
