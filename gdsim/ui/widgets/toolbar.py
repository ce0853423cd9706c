"""The training toolbar: Step, Epoch, Run/Pause, Reset, η, run N epochs and the speed control."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from gdsim.ui.widgets.field_guard import guard

FLAT_OUT = "as fast as possible"
PACES = [1000.0, 300.0, 100.0, 60.0, 30.0, 20.0, 10.0, 5.0, 3.0, 2.0, 1.0]
DEFAULT_PACE = 30.0


def pace_label(steps_per_second: float) -> str:
    if steps_per_second <= 0:
        return FLAT_OUT
    return f"{steps_per_second:g} step/s" if steps_per_second == 1 else f"{steps_per_second:g} steps/s"


class TrainingToolbar(QtWidgets.QToolBar):
    def __init__(self, lr_control: QtWidgets.QWidget, parent=None):
        super().__init__("Training", parent)
        self.setObjectName("trainingToolbar")
        self.setMovable(False)
        self._wide_width: int | None = None  # the width the words need, while the buttons go without them
        style = self.style()
        sp = QtWidgets.QStyle.StandardPixmap
        self.step = self._action("Step", "S", "One parameter update: θ ← θ − η·∇L", "stepButton",
                                 style.standardIcon(sp.SP_MediaSeekForward))
        self.epoch = self._action("Epoch", "E", "One pass over the training data", "epochButton",
                                  style.standardIcon(sp.SP_MediaSkipForward))
        self.run = self._action("Run", "Space", "Train until converged or diverged; press again to pause",
                                "runButton", style.standardIcon(sp.SP_MediaPlay))
        self.run.setCheckable(True)
        self._play_icon, self._pause_icon = style.standardIcon(sp.SP_MediaPlay), style.standardIcon(sp.SP_MediaPause)
        self.reset = self._action("Reset", "R", "Back to the initial weights (same seed); clears the history",
                                  "resetButton", style.standardIcon(sp.SP_BrowserReload))
        self.addSeparator()
        self.addWidget(lr_control)
        self.addSeparator()
        self.epochs = guard(QtWidgets.QSpinBox())
        self.epochs.setObjectName("runEpochsSpin")
        self.epochs.setRange(1, 1_000_000)
        self.epochs.setValue(100)
        self.epochs.setToolTip("Number of epochs for 'Run N'")
        self.epochs.setKeyboardTracking(False)
        self.run_n = QtWidgets.QPushButton("Run N")
        self.run_n.setObjectName("runEpochsButton")
        self.run_n.setToolTip("Run this many epochs, with a progress bar")
        self.addWidget(self.epochs)
        self.addWidget(self.run_n)
        self.addSeparator()
        speed = QtWidgets.QLabel("Speed:")
        speed.setObjectName("speedLabel")
        self.addWidget(speed)
        self.rate = guard(QtWidgets.QComboBox())
        self.rate.setObjectName("speedCombo")
        self.rate.addItem(FLAT_OUT, 0.0)  # first, so flat out is one choice away
        for pace in PACES:
            self.rate.addItem(pace_label(pace), pace)
        self.rate.setToolTip("Training speed: slow enough to watch each step, or as fast as possible")
        speed.setBuddy(self.rate)
        self.addWidget(self.rate)
        self.set_pace(DEFAULT_PACE)

    def _action(self, text, key, tip, name, icon) -> QtGui.QAction:
        act = QtGui.QAction(icon, text, self)
        act.setShortcut(QtGui.QKeySequence(key))
        act.setToolTip(f"{tip} ({key})")
        button = QtWidgets.QToolButton()
        button.setObjectName(name)
        button.setDefaultAction(act)
        button.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addWidget(button)
        return act

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        """On a narrow screen the buttons drop their words (tooltips keep them) so the Speed control stays in
        sight instead of behind the overflow arrow."""
        super().resizeEvent(event)
        buttons = self.findChildren(QtWidgets.QToolButton)
        wide = self.sizeHint().width() if self._wide_width is None else self._wide_width
        compact = event.size().width() < wide
        if compact and self._wide_width is None:
            self._wide_width = wide
        elif not compact:
            self._wide_width = None
        style = QtCore.Qt.ToolButtonStyle
        for button in buttons:
            if button.objectName().endswith("Button"):
                button.setToolButtonStyle(style.ToolButtonIconOnly if compact else style.ToolButtonTextBesideIcon)

    def button(self, name: str) -> QtWidgets.QToolButton:
        return self.findChild(QtWidgets.QToolButton, name)

    def set_running(self, running: bool) -> None:
        self.run.blockSignals(True)
        self.run.setChecked(running)
        self.run.blockSignals(False)
        self.run.setText("Pause" if running else "Run")
        self.run.setIcon(self._pause_icon if running else self._play_icon)
        for w in (self.step, self.epoch):
            w.setEnabled(not running)
        self.run_n.setEnabled(not running)

    def rate_value(self) -> float:
        """Steps per second; 0 is as fast as possible."""
        return float(self.rate.currentData())

    def set_pace(self, steps_per_second: float) -> None:
        """Choose a pace (a preset's), adding it to the list if it is not there."""
        index = self.rate.findData(float(steps_per_second))
        if index < 0:
            self.rate.addItem(pace_label(steps_per_second), float(steps_per_second))
            index = self.rate.count() - 1
        self.rate.setCurrentIndex(index)

    def actions_for_menu(self) -> list[QtGui.QAction]:
        return [self.step, self.epoch, self.run, self.reset]

    def shortcuts(self) -> list[tuple[str, str]]:
        """(key, what it does) for the toolbar's actions."""
        return [(a.shortcut().toString(), a.toolTip().rsplit(" (", 1)[0]) for a in self.actions_for_menu()]
