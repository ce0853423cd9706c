"""The lesson panel: one step of a lesson at a time — its text, a prediction to commit to, the action, the verdict.

A passive view: ``show_step`` / ``show_prediction_feedback`` / ``show_result`` draw what the lesson controller
decides, and every button only emits a signal. All lesson text is shown as plain text (a teacher's file may
contain ``<`` and ``&``), in a font with good Unicode coverage so formulas such as ``∂L/∂b²₁ = 10b`` read well.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Signal

from gdsim.ui.plotting.palette import ERROR_RED, OK_GREEN

PASS_STYLE = f"background:#e8f6ec; border:1px solid {OK_GREEN}; border-radius:4px; padding:6px; color:#14532d;"
FAIL_STYLE = f"background:#fdecea; border:1px solid {ERROR_RED}; border-radius:4px; padding:6px; color:#7b1d14;"
INFO_STYLE = "background:#f2f4f7; border:1px solid #b8c0cc; border-radius:4px; padding:6px; color:#222;"
FONT_FAMILIES = ["DejaVu Sans", "Noto Sans", "Segoe UI", "Helvetica Neue", "Arial"]


def reading_font(delta: float = 1.0) -> QtGui.QFont:
    """The application font in a family that has sub- and superscript digits, a little larger for reading."""
    font = QtGui.QFont(QtWidgets.QApplication.font())
    font.setFamilies(FONT_FAMILIES)
    font.setPointSizeF(font.pointSizeF() + delta)
    return font


def plain_label(name: str, bold: bool = False) -> QtWidgets.QLabel:
    label = QtWidgets.QLabel()
    label.setObjectName(name)
    label.setTextFormat(QtCore.Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
    font = reading_font(2.0 if bold else 0.5)
    font.setBold(bold)
    label.setFont(font)
    return label


class LessonPanel(QtWidgets.QWidget):
    """Title, step text, prediction, action, verdict, and Back / Try again / Next with "step i of n"."""

    sigSubmit = Signal(str)   # the student's answer: a choice's text, or what was typed in the number field
    sigAction = Signal()      # do the step's action (Step / Epoch / Run N) or, without one, check now
    sigBack = Signal()
    sigNext = Signal()
    sigRetry = Signal()       # set the step up again
    sigResetProgress = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("lessonPanel")
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        outer.addWidget(scroll)
        body = QtWidgets.QWidget()
        scroll.setWidget(body)
        col = QtWidgets.QVBoxLayout(body)
        col.setContentsMargins(8, 6, 8, 6)

        self.title = plain_label("lessonTitle", bold=True)
        self.progress = plain_label("lessonProgress")
        self.progress.setStyleSheet("color:#555;")
        self.text = plain_label("lessonText")  # a label keeps the spaces that line formulas up
        self.text.setFont(reading_font(1.0))
        self.text.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop | QtCore.Qt.AlignmentFlag.AlignLeft)
        for w in (self.title, self.progress, self.text):
            col.addWidget(w)

        self.predict_box = QtWidgets.QGroupBox("Predict first")
        self.predict_box.setObjectName("lessonPredict")
        pl = QtWidgets.QVBoxLayout(self.predict_box)
        self.question = plain_label("lessonQuestion")
        pl.addWidget(self.question)
        self.choices_box = QtWidgets.QWidget()
        self.choices_layout = QtWidgets.QVBoxLayout(self.choices_box)
        self.choices_layout.setContentsMargins(0, 0, 0, 0)
        self.choice_group = QtWidgets.QButtonGroup(self)
        pl.addWidget(self.choices_box)
        row = QtWidgets.QHBoxLayout()
        self.number = QtWidgets.QLineEdit()
        self.number.setObjectName("lessonNumber")
        self.number.setPlaceholderText("your answer, a number")
        self.number.returnPressed.connect(self._submit)
        self.submit = QtWidgets.QPushButton("Submit")
        self.submit.setObjectName("lessonSubmit")
        self.submit.clicked.connect(self._submit)
        row.addWidget(self.number, 1)
        row.addWidget(self.submit)
        pl.addLayout(row)
        self.predict_feedback = plain_label("lessonPredictFeedback")
        self.predict_feedback.hide()
        pl.addWidget(self.predict_feedback)
        col.addWidget(self.predict_box)

        self.hint = plain_label("lessonHint")
        self.action = QtWidgets.QPushButton("Step")
        self.action.setObjectName("lessonAction")
        self.action.clicked.connect(self.sigAction)
        act_row = QtWidgets.QHBoxLayout()
        act_row.addWidget(self.hint, 1)
        act_row.addWidget(self.action)
        col.addLayout(act_row)
        self.result = plain_label("lessonResult")
        self.result.hide()
        col.addWidget(self.result)

        nav = QtWidgets.QHBoxLayout()
        self.back = QtWidgets.QPushButton("◀ Back")
        self.back.setObjectName("lessonBack")
        self.retry = QtWidgets.QPushButton("Try again")
        self.retry.setObjectName("lessonRetry")
        self.retry.setToolTip("Set this step up again, as it was when you reached it")
        self.next = QtWidgets.QPushButton("Next ▶")
        self.next.setObjectName("lessonNext")
        for b, sig in ((self.back, self.sigBack), (self.retry, self.sigRetry), (self.next, self.sigNext)):
            b.clicked.connect(sig)
            nav.addWidget(b)
        col.addLayout(nav)
        self.reset_progress = QtWidgets.QPushButton("Reset this lesson's progress")
        self.reset_progress.setObjectName("lessonResetProgress")
        self.reset_progress.setFlat(True)
        self.reset_progress.clicked.connect(self.sigResetProgress)
        col.addWidget(self.reset_progress, 0, QtCore.Qt.AlignmentFlag.AlignRight)
        col.addStretch(1)
        self._choices: tuple[str, ...] = ()
        self._index = 0
        self.show_empty()

    # ---------------------------------------------------------------- what the controller shows

    def show_empty(self) -> None:
        self.title.setText("No lesson open")
        self.progress.setText("Choose one from the Lessons menu.")
        self.text.setText("")
        for w in (self.predict_box, self.hint, self.action, self.result, self.back, self.retry, self.next,
                  self.reset_progress):
            w.hide()

    def show_step(self, title: str, index: int, total: int, done: set[int], text: str, question: str = "",
                  choices: tuple[str, ...] = (), numeric: bool = False, hint: str = "", button: str = "",
                  last: bool = False) -> None:
        """A fresh step: its text, its prediction (if any, with the action held back until it is answered)."""
        self.title.setText(title)
        self.show_progress(index, total, done)
        self.text.setText(text.strip())
        self.predict_box.setVisible(bool(question))
        self.question.setText(question)
        for b in self.choice_group.buttons():
            self.choice_group.removeButton(b)
            b.deleteLater()
        self._choices, self._index = tuple(choices), index
        for k, choice in enumerate(choices):
            radio = QtWidgets.QRadioButton(choice.replace("&", "&&"))  # plain text; '&' is not a mnemonic
            radio.setObjectName(f"lessonChoice{k}")
            self.choice_group.addButton(radio, k)
            self.choices_layout.addWidget(radio)
        self.choices_box.setVisible(bool(choices))
        self.number.setVisible(numeric)
        self.number.clear()
        self.submit.setEnabled(True)
        self.predict_feedback.hide()
        self.hint.setText(hint)
        self.hint.setVisible(bool(hint))
        self.action.setText(button)
        self.action.setVisible(bool(button))
        self.action.setEnabled(not question)
        self.result.setText("")
        self.result.hide()
        for w in (self.back, self.retry, self.next, self.reset_progress):
            w.show()
        self.back.setEnabled(index > 0)
        self.next.setText("Finish" if last else "Next ▶")

    def show_progress(self, index: int, total: int, done: set[int]) -> None:
        mark = "  ✓ done" if index in done else ""
        self.progress.setText(f"Step {index + 1} of {total}{mark} · {len(done)} of {total} steps done")

    def show_prediction_feedback(self, right: bool, text: str) -> None:
        """The verdict on the prediction (with its explanation); the action is now allowed."""
        self.predict_feedback.setText(text)
        self.predict_feedback.setStyleSheet(PASS_STYLE if right else FAIL_STYLE)
        self.predict_feedback.show()
        self.submit.setEnabled(False)
        self.action.setEnabled(True)

    def set_action_hint(self, text: str) -> None:
        self.hint.setText(text)
        self.hint.setVisible(bool(text))

    def show_hint(self, text: str) -> None:
        """An inline note on the prediction (e.g. "type a number"), not a verdict."""
        self.predict_feedback.setText(text)
        self.predict_feedback.setStyleSheet(INFO_STYLE)
        self.predict_feedback.show()

    def show_result(self, passed: bool | None, text: str) -> None:
        """The observation's feedback: green for a pass, red for a fail, grey (None) for news such as "running…"."""
        self.result.setText(text)
        self.result.setStyleSheet(INFO_STYLE if passed is None else PASS_STYLE if passed else FAIL_STYLE)
        self.result.show()

    def set_busy(self, busy: bool) -> None:
        """While the app does the action (or sets a step up) the buttons wait."""
        for w in (self.action, self.back, self.retry, self.next):
            w.setEnabled(not busy)
        if not busy:
            self.back.setEnabled(self._index > 0)

    def passed(self) -> bool | None:
        """The shown verdict: True (pass), False (fail) or None (none yet); tests and screenshots read it."""
        if not self.result.text():
            return None
        style = self.result.styleSheet()
        return True if style == PASS_STYLE else False if style == FAIL_STYLE else None

    # ---------------------------------------------------------------- helpers

    def _submit(self) -> None:
        if self.choices_box.isVisible():
            checked = self.choice_group.checkedButton()
            if checked is None:
                self.show_hint("Choose one of the answers first.")
                return
            self.sigSubmit.emit(self._choices[self.choice_group.id(checked)])
        else:
            self.sigSubmit.emit(self.number.text())
