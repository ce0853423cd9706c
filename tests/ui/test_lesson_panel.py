"""Lessons in the app, driven as a student drives them: the Lessons menu, the panel's buttons, typed answers."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from PySide6 import QtCore, QtWidgets
from windows import open_window, xor_forever

from gdsim.lab.lessons import lesson_names, load_lesson
from gdsim.lab.progress import Progress
from gdsim.ui.main_window import MainWindow

LEFT = QtCore.Qt.MouseButton.LeftButton


def new_window(qtbot) -> MainWindow:
    return open_window(qtbot, xor_forever(), size=(1280, 800))


@pytest.fixture
def home(tmp_path, monkeypatch):
    """Progress goes to a throw-away config folder; the layout settings too."""
    monkeypatch.setenv("GDSIM_CONFIG_DIR", str(tmp_path / "config"))
    QtCore.QSettings.setDefaultFormat(QtCore.QSettings.Format.IniFormat)
    QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope, str(tmp_path))
    return tmp_path


@pytest.fixture
def window_options(home):
    return {"size": (1280, 800)}


def lessons_menu(win) -> QtWidgets.QMenu:
    menu = next(a.menu() for a in win.menuBar().actions() if a.text() == "&Lessons")
    menu.aboutToShow.emit()  # what opening it does: the entries are rebuilt with the progress
    return menu


def open_from_menu(win, qtbot, name: str) -> None:
    title = load_lesson(name).title
    action = next(a for a in lessons_menu(win).actions() if a.text().startswith(title.replace("&", "&&")))
    action.trigger()
    wait_ready(win, qtbot)


def wait_ready(win, qtbot) -> None:
    """Until the step is set up (a rebuild redoes earlier steps' actions first)."""
    qtbot.waitUntil(lambda: not win.lessons._replaying and win.lessons._answered >= win.lessons._asked,
                    timeout=60000)


def answer(win, qtbot, text: str | None = None) -> None:
    """Commit to the right prediction (or ``text``) the way a student does: a click on a choice, or typing."""
    panel = win.lesson_panel
    pred = win.lessons.lesson.steps[win.lessons.index].predict
    given = pred.answer if text is None else text
    if pred.choices:
        radio = panel.choice_group.button(pred.choices.index(given))
        qtbot.mouseClick(radio, LEFT, pos=QtCore.QPoint(6, radio.height() // 2))
        assert radio.isChecked()
    else:
        panel.number.setFocus()
        qtbot.keyClicks(panel.number, given if isinstance(given, str) else f"{given:g}")  # QTest types ASCII
    qtbot.mouseClick(panel.submit, LEFT)


def do_action(win, qtbot) -> bool | None:
    panel = win.lesson_panel
    assert panel.action.isEnabled()
    qtbot.mouseClick(panel.action, LEFT)
    qtbot.waitUntil(lambda: panel.passed() is not None, timeout=60000)
    return panel.passed()


@pytest.mark.parametrize("name", lesson_names())
def test_every_lesson_opens_steps_through_and_passes(win, qtbot, name):
    open_from_menu(win, qtbot, name)
    panel, lesson = win.lesson_panel, load_lesson(name)
    assert win.docks["Lesson"].isVisible() and panel.title.text() == lesson.title
    for i, step in enumerate(lesson.steps):
        assert panel.progress.text().startswith(f"Step {i + 1} of {len(lesson.steps)}")
        assert panel.text.text() == step.text.strip()
        if step.predict is not None:
            assert not panel.action.isEnabled()  # the prediction comes first
            answer(win, qtbot)
            assert panel.predict_feedback.text().startswith("Right.")
        if step.observe is not None:
            assert do_action(win, qtbot) is True, (i, panel.result.text())
            assert "{value}" not in panel.result.text()
        qtbot.mouseClick(panel.next, LEFT)
        wait_ready(win, qtbot)
    assert Progress().completed(name) == set(range(len(lesson.steps)))
    assert panel.passed() is True and "steps done" in panel.result.text()  # Finish: the lesson's summary


def test_a_wrong_prediction_shows_its_explanation(win, qtbot):
    win.open_lesson("learning_rate")
    wait_ready(win, qtbot)
    panel = win.lesson_panel
    answer(win, qtbot, "abc")
    assert "Type a number" in panel.predict_feedback.text() and not panel.action.isEnabled()
    panel.number.clear()
    answer(win, qtbot, "-45")
    pred = win.lessons.lesson.steps[0].predict
    assert panel.predict_feedback.text().startswith("Not quite: the answer is 45.")
    assert pred.explanation in panel.predict_feedback.text()
    assert "c0392b" in panel.predict_feedback.styleSheet()  # red, not green
    assert do_action(win, qtbot) is True  # the run itself is still graded on what happened


def test_a_failed_observation_says_why_and_try_again_sets_the_step_up(win, qtbot):
    win.open_lesson("learning_rate")
    wait_ready(win, qtbot)
    panel = win.lesson_panel
    answer(win, qtbot)
    qtbot.mouseClick(win.findChild(QtWidgets.QAbstractButton, "stepButton"), LEFT)  # one step too many
    qtbot.waitUntil(lambda: win.snapshot.step == 1)
    assert do_action(win, qtbot) is False
    assert "not 45" in panel.result.text() and "c0392b" in panel.result.styleSheet()
    qtbot.mouseClick(panel.retry, LEFT)
    wait_ready(win, qtbot)
    qtbot.waitUntil(lambda: win.snapshot.step == 0)
    answer(win, qtbot)
    assert do_action(win, qtbot) is True


def test_progress_is_remembered_by_a_new_window_and_can_be_reset(qtbot, home):
    first = new_window(qtbot)
    first.open_lesson("learning_rate")
    wait_ready(first, qtbot)
    answer(first, qtbot)
    assert do_action(first, qtbot) is True
    first.shutdown()
    first.close()

    second = new_window(qtbot)
    try:
        entry = next(a.text() for a in lessons_menu(second).actions() if a.text().startswith("η too small"))
        assert entry.endswith("(1/5)")
        open_from_menu(second, qtbot, "learning_rate")
        panel = second.lesson_panel
        assert panel.progress.text() == "Step 2 of 5 · 1 of 5 steps done"  # where the student left off
        assert second.snapshot.params[0] == 45.0  # step 1 redone, so step 2 carries on from b = 45
        answer(second, qtbot)
        assert do_action(second, qtbot) is True
        qtbot.mouseClick(panel.reset_progress, LEFT)
        assert Progress().completed("learning_rate") == set()
        assert "0 of 5 steps done" in panel.progress.text()
        Progress().mark("momentum", 0)
        second.lessons.progress = Progress()
        reset_all = next(a for a in lessons_menu(second).actions() if a.text() == "Reset progress")
        reset_all.trigger()
        assert json.loads((home / "config" / "progress.json").read_text())["lessons"] == {}
    finally:
        second.shutdown()


def test_a_teachers_file_is_shown_as_plain_text_and_a_broken_one_is_a_message(win, qtbot, tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\ntitle = "<b>Bold</b> & co"\nsummary = "s"\n[[steps]]\n'
                    'text = "<i>x</i> < y & ∂L/∂b²₁"\nsetup = { preset = "bias_eta_1" }\n'
                    'predict = { question = "<u>Which?</u>", choices = ["<b>a</b>", "b & c"], answer = "b & c", '
                    'explanation = "e" }\naction = { press = "step" }\n'
                    'observe = { kind = "param", param = "b", value = 45, pass = "<b>ok</b> {value}", fail = "no" }\n',
                    encoding="utf-8")
    assert win.open_lesson(str(path))
    wait_ready(win, qtbot)
    panel = win.lesson_panel
    assert panel.title.text() == "<b>Bold</b> & co" and panel.text.text() == "<i>x</i> < y & ∂L/∂b²₁"
    for label in (panel.title, panel.text, panel.question, panel.result):
        assert label.textFormat() == QtCore.Qt.TextFormat.PlainText
    answer(win, qtbot, "b & c")
    assert panel.predict_feedback.text().startswith("Right.")
    assert do_action(win, qtbot) is True and panel.result.text() == "<b>ok</b> 45"
    broken = tmp_path / "broken.toml"
    broken.write_text('name = "x"\ntitle = "t"\nsummary = "s"\n[[steps]]\ntext = "t"\nobserve = { kind = "nope" }\n')
    before = len(win.errors)
    assert not win.open_lesson(str(broken))
    assert len(win.errors) == before + 1 and "step 1.observe" in win.errors[-1]


def test_typed_answers_accept_the_minus_sign_and_comma_the_lessons_print():
    from gdsim.ui.controllers.lessons import parse_number

    assert parse_number("−4.5") == -4.5 and parse_number(" 0,5 ") == 0.5 and parse_number("1e-3") == 0.001
    assert parse_number("abc") is None and parse_number("nan") is None and parse_number("") is None


def test_gui_lesson_option_refuses_an_unknown_lesson_in_one_line(home):
    result = subprocess.run([sys.executable, "-m", "gdsim", "gui", "--lesson", "nope", "--quit"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "unknown lesson 'nope'" in result.stderr
