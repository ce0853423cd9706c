"""Walks a student through a lesson: sets each step up, asks the prediction, does the action, grades what happened.

A plain class given its dependencies, so it is tested without the main window's wiring:
``apply_config(cfg) -> bool`` opens a set-up (as File → Open preset does), ``press(kind, count)`` triggers Step /
Epoch / Run N as the toolbar does, ``request(what)`` queues "mark" (remember θ as the step begins) or "read"
(send the app's reading, ``gdsim.lab.signals.Signals``) to the worker after the commands before it, and
``progress`` remembers finished steps between starts. The worker's readings arrive through ``on_reading``; each
"read" gets exactly one, in order, so the controller counts them and grades only the answer to its last
request. Grading is ``gdsim.lab.lessons.evaluate``, the same function the headless tests use.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6 import QtCore

from gdsim.lab import config as cfgmod
from gdsim.lab.lessons import Action, Lesson, Step, evaluate, load_lesson
from gdsim.lab.progress import Progress
from gdsim.lab.signals import Signals
from gdsim.ui.panels.lesson_panel import LessonPanel


def button_text(step: Step) -> str:
    """What the panel's action button says: the toolbar's words, or Check when the step only looks."""
    a = step.action
    if a is None:
        return "Check" if step.observe is not None else ""
    if a.press == "run":
        return f"Run {a.count} epoch{'s' if a.count != 1 else ''}"
    return a.press.capitalize() + (f" ×{a.count}" if a.count > 1 else "")


def parse_number(text: str) -> float | None:
    """A typed answer as a number: accepts the Unicode minus the lessons print (−4.5) and a decimal comma."""
    cleaned = text.strip().replace("−", "-").replace("\u2009", "").replace(" ", "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class LessonController(QtCore.QObject):
    """A QObject only so that the worker's readings, connected queued, arrive in the GUI thread (a queued
    connection to a plain Python callable runs it in the worker's thread)."""

    def __init__(self, panel: LessonPanel, apply_config: Callable[[cfgmod.Config], bool],
                 current_config: Callable[[], cfgmod.Config], press: Callable[[str, int], None],
                 request: Callable[[str], None], progress: Progress):
        super().__init__(panel)
        self.panel = panel
        self._apply_config = apply_config
        self._current_config = current_config
        self._press = press
        self._request = request
        self.progress = progress
        self.lesson: Lesson | None = None
        self.index = 0
        self._base: cfgmod.Config | None = None  # the set-up the lesson started from (changes-only set-ups)
        self._asked = 0       # "read" requests sent to the worker
        self._answered = 0    # readings received
        self._replay: list[Action] = []  # actions still to redo while a step is set up again
        self._replaying = False
        self._grading = False
        panel.sigSubmit.connect(self.submit)
        panel.sigAction.connect(self.act)
        panel.sigBack.connect(lambda: self.go(self.index - 1))
        panel.sigNext.connect(self.next)
        panel.sigRetry.connect(lambda: self.go(self.index, rebuild=True))
        panel.sigResetProgress.connect(self.reset_progress)

    # ---------------------------------------------------------------- commands

    def open(self, name_or_path: str) -> Lesson:
        """Open a lesson (raises ValueError with its first problem) at the first step not yet done."""
        lesson = load_lesson(name_or_path)
        self.lesson = lesson
        self._base = self._current_config()
        done = self.progress.completed(lesson.name)
        first = next((i for i in range(len(lesson.steps)) if i not in done), 0)
        self.go(first, rebuild=True)
        return lesson

    def go(self, index: int, rebuild: bool = False) -> None:
        """Show step ``index``. Its own set-up is applied; with ``rebuild`` (Back, Try again, re-opening) a step
        that carries on from earlier ones is rebuilt: the last set-up before it, then those steps' actions."""
        if self.lesson is None or not 0 <= index < len(self.lesson.steps):
            return
        came_back = index != self.index + 1
        self.index = index
        self._replay, self._replaying = [], False
        self._grading = False
        step = self.lesson.steps[index]
        self._show(step)
        if step.setup is not None:
            self._apply(index)
        elif rebuild or came_back:
            origin = max((j for j in range(index) if self.lesson.steps[j].setup is not None), default=None)
            if origin is not None:
                self._apply(origin)
                self._replay = [s.action for s in self.lesson.steps[origin:index] if s.action is not None]
        if self._replay:
            self._replaying = True
            self.panel.set_busy(True)
            self.panel.show_result(None, "Setting this step up: redoing the steps before it…")
            self._replay_next()

    def next(self) -> None:
        step = self._step()
        if self.lesson is None or step is None:
            return
        if step.action is None and step.observe is None:  # a step to read: reading it is doing it
            self._mark_done()
        if self.index + 1 < len(self.lesson.steps):
            self.go(self.index + 1)
            return
        done = len(self.progress.completed(self.lesson.name))
        total = len(self.lesson.steps)
        self.panel.show_result(done == total, f"End of “{self.lesson.title}”: {done} of {total} steps done."
                               + ("" if done == total else " Go Back to the steps without a ✓ and try them again."))

    def submit(self, answer: str) -> None:
        """Grade the prediction the student committed to, and explain; then the action is allowed."""
        pred = self._step().predict
        if pred is None:
            return
        if not pred.choices:
            value = parse_number(answer)
            if value is None:
                self.panel.show_hint("Type a number, for example 0.5 or −4.5.")
                return
            right = pred.check(value)
            shown = f"{float(pred.answer):g}".replace("-", "−")
        else:
            right = pred.check(answer)
            shown = str(pred.answer)
        verdict = "Right." if right else f"Not quite: the answer is {shown}."
        self.panel.show_prediction_feedback(right, f"{verdict} {pred.explanation}\nNow try it.")
        step = self._step()
        if step is not None and step.action is not None:
            self.panel.set_action_hint(step.action.text)

    def act(self) -> None:
        """Do the step's action (or only look, for a step without one), then grade the reading that follows."""
        step = self._step()
        if step is None or self._replaying:
            return
        self._request("mark")
        if step.action is not None:
            self._press(step.action.press, step.action.count)
        self._grading = step.observe is not None or step.action is not None
        self._read()
        self.panel.set_busy(True)
        running = step.action is not None and step.action.press == "run"
        self.panel.show_result(None, "Training…" if running else "Checking…")

    def reset_progress(self, everything: bool = False) -> None:
        """Forget this lesson's finished steps (or every lesson's)."""
        try:
            self.progress.reset(None if everything or self.lesson is None else self.lesson.name)
        except OSError as e:
            self.panel.show_result(False, f"Could not reset the progress file: {e}")
            return
        if self.lesson is not None:
            self.panel.show_progress(self.index, len(self.lesson.steps), self.progress.completed(self.lesson.name))

    # ---------------------------------------------------------------- the worker's answers

    @QtCore.Slot(object)
    def on_reading(self, reading: Signals | None) -> None:
        """One answer to one "read"; only the answer to the latest request counts."""
        self._answered += 1
        if self._answered < self._asked:
            return
        if self._replaying:
            self._replay_next()
            return
        self.panel.set_busy(False)
        step = self._step()
        if not self._grading or step is None:
            return
        self._grading = False
        if reading is None:
            self.panel.show_result(False, "The app could not read this run; see the error message.")
            return
        if step.observe is None:
            self.panel.show_result(True, "Done." + self._mark_done())
            return
        passed, feedback = evaluate(step.observe, reading)
        self.panel.show_result(passed, feedback + (self._mark_done() if passed else ""))

    # ---------------------------------------------------------------- helpers

    def _step(self) -> Step | None:
        return self.lesson.steps[self.index] if self.lesson is not None else None

    def _show(self, step: Step) -> None:
        assert self.lesson is not None
        pred = step.predict
        self.panel.show_step(
            self.lesson.title, self.index, len(self.lesson.steps), self.progress.completed(self.lesson.name),
            step.text, question=pred.question if pred else "", choices=pred.choices if pred else (),
            numeric=pred is not None and not pred.choices,
            hint=self._hint(step),
            button=button_text(step), last=self.index + 1 == len(self.lesson.steps))

    @staticmethod
    def _hint(step: Step) -> str:
        hint = step.action.text if step.action else "Press Check to see what the app measures." \
            if step.observe else ""
        if step.predict is not None and hint:
            hint = "Answer the question above first. Then: " + hint[0].lower() + hint[1:]
        return hint

    def config_for(self, index: int) -> cfgmod.Config:
        """The configuration step ``index``'s set-up makes: its set-up applied over those before it."""
        assert self.lesson is not None
        cfg = self._base
        for step in self.lesson.steps[:index + 1]:
            if step.setup is not None:
                cfg = step.setup.apply(cfg)
        assert cfg is not None
        return cfg

    def _apply(self, index: int) -> None:
        try:
            cfg = self.config_for(index)
        except (ValueError, TypeError) as e:
            self.panel.show_result(False, f"This step cannot be set up: {e}")
            return
        if not self._apply_config(cfg):
            self.panel.show_result(False, "This step cannot be set up here; see the error message.")

    def _replay_next(self) -> None:
        if not self._replay:
            self._replaying = False
            self.panel.set_busy(False)
            self.panel.show_result(None, "Ready: the app is where this step begins.")
            return
        action = self._replay.pop(0)
        self._press(action.press, action.count)
        self._read()

    def _read(self) -> None:
        self._asked += 1
        self._request("read")

    def _mark_done(self) -> str:
        """Record this step as done; '' or, when the progress file cannot be written, a line saying so."""
        assert self.lesson is not None
        saved = self.progress.mark(self.lesson.name, self.index)
        self.panel.show_progress(self.index, len(self.lesson.steps), self.progress.completed(self.lesson.name))
        return "" if saved else f"\n({self.progress.problem}; your progress counts until you quit.)"
