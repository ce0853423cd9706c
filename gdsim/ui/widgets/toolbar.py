"""The training toolbar: Step, Epoch, Run/Pause, Reset, η, run N epochs and the speed control."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from gdsim.ui.widgets.field_guard import guard

RATES = [("as fast as possible", 0.0), ("1000 steps/s", 1000.0), ("100 steps/s", 100.0),
         ("30 steps/s", 30.0), ("10 steps/s", 10.0), ("3 steps/s", 3.0), ("1 step/s", 1.0)]


class TrainingToolbar(QtWidgets.QToolBar):
    def __init__(self, lr_control: QtWidgets.QWidget, parent=None):
        super().__init__("Training", parent)
        self.setObjectName("trainingToolbar")
        self.setMovable(False)
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
        self.rate = guard(QtWidgets.QComboBox())
        self.rate.setObjectName("speedCombo")
        self.rate.addItems([label for label, _ in RATES])
        self.rate.setToolTip("Training speed: flat out, or slow enough to follow each step")
        self.addWidget(self.rate)

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
        return RATES[self.rate.currentIndex()][1]

    def actions_for_menu(self) -> list[QtGui.QAction]:
        return [self.step, self.epoch, self.run, self.reset]

    def shortcut_help(self) -> str:
        return "\n".join(f"{a.shortcut().toString():>6}   {a.text()}" for a in self.actions_for_menu())
