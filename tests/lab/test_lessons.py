"""Lessons: every shipped lesson plays through headless with its observations passing; wrong actions fail;
broken files are refused with one clear line per problem."""

from dataclasses import replace

import numpy as np
import pytest

from gdsim.lab import config as cfgmod
from gdsim.lab import lessons
from gdsim.lab.lessons import Action, check_lesson_file, evaluate, lesson_names, load_lesson, perform, signals_from


def play(lesson, actions=None):
    """Do every step as the student is told (or as ``actions`` {step index: Action | None} says instead);
    returns [(step index, passed, feedback)] for the steps that observe something."""
    cfg, built, results = None, None, []
    for i, step in enumerate(lesson.steps):
        if step.setup is not None:
            cfg = step.setup.apply(cfg)
            built = cfgmod.build(cfg)
        start = np.array(built.net.params)
        action = (actions or {}).get(i, step.action)
        if action is not None:
            perform(action, built.trainer)
        if step.observe is not None:
            ok, text = evaluate(step.observe, signals_from(built.trainer, start=start))
            results.append((i, ok, text))
    return results


def test_at_least_eight_lessons_in_teaching_order():
    names = lesson_names()
    assert len(names) >= 8
    assert names[:3] == ["loss_of_nine_parameters", "sign_of_the_derivative", "learning_rate"]
    for name in names:
        lesson = load_lesson(name)
        assert lesson.name == name and lesson.title and lesson.summary
        assert all(step.text for step in lesson.steps)


@pytest.mark.parametrize("name", lesson_names())
def test_every_observation_passes_when_the_student_does_as_told(name):
    lesson = load_lesson(name)
    results = play(lesson)
    assert results, "a lesson checks at least one observation"
    for i, ok, text in results:
        assert ok, f"step {i + 1}: {text}"
        assert "{value}" not in text


@pytest.mark.parametrize("name", lesson_names())
def test_shipped_lessons_pass_the_deep_check(name):
    path = next(p for p in lessons.LESSONS.iterdir() if p.name.endswith(f"_{name}.toml"))
    assert check_lesson_file(str(path)) == []


# a wrong action for a step of each lesson: the observation must fail, with its fail text
WRONG = {
    "loss_of_nine_parameters": (1, Action("step", 1)),        # one step does not bring the loss below 0.3
    "sign_of_the_derivative": (0, None),                       # not pressing Step: b²₁ does not move
    "learning_rate": (0, Action("step", 2)),                   # two steps: b = −405, not 45
    "convergence": (1, Action("step", 1)),                     # one step: the loss is nowhere near its floor
    "backprop_by_hand": (1, Action("step", 2)),                # two updates instead of one
    "dead_relus": (0, Action("step", 1)),                      # one step kills nothing
    "momentum": (2, Action("run", 20)),                        # 20 epochs: momentum has not converged yet
    "edge_of_stability": (4, Action("step", 1)),               # one step leaves λmax far beyond 2/η
}


@pytest.mark.parametrize("name", sorted(WRONG))
def test_a_wrong_action_fails_with_the_fail_feedback(name):
    lesson = load_lesson(name)
    index, action = WRONG[name]
    results = dict((i, (ok, text)) for i, ok, text in play(lesson, {index: action}))
    ok, text = results[index]
    assert not ok
    head, _, tail = lesson.steps[index].observe.failed.partition("{value}")
    assert text.startswith(head) and text.endswith(tail) and text != head + tail


def test_notes_numbers_come_from_the_engine():
    """η = 1 takes 5b² from −5 to 45, η = 0.01 to −4.5; the worked example has L = 0.00125 and w²₁₁ = 0.5035."""
    for preset, b in (("bias_eta_1", 45.0), ("bias_eta_001", -4.5)):
        built = cfgmod.build(cfgmod.load_preset(preset))
        built.trainer.step()
        assert built.net.params[0] == pytest.approx(b, abs=1e-12)
    built = cfgmod.build(cfgmod.load_preset("worked_example_221"))
    s = signals_from(built.trainer)
    assert s.loss == pytest.approx(0.00125, abs=1e-15)
    built.trainer.step()
    assert built.net.params[6] == pytest.approx(0.5035, abs=1e-15)


def test_evaluate_words_numbers_and_value_text():
    built = cfgmod.build(cfgmod.load_preset("bias_eta_1"))
    start = np.array(built.net.params)
    built.trainer.step()
    s = signals_from(built.trainer, start=start)
    obs = lessons.Observation("param", "b = {value}", "no: {value}", param="b", value=45.0)
    assert evaluate(obs, s) == (True, "b = 45")
    assert evaluate(replace(obs, value=44.0), s) == (False, "no: 45")
    assert evaluate(replace(obs, param="nope"), s) == (False, "no: not measurable here")
    change = lessons.Observation("param_change", "+{value}", "-", param=0, above=49.0, below=51.0)
    assert evaluate(change, s) == (True, "+50")
    status = lessons.Observation("status", "{value}", "not {value}", words=("diverged", "converged"))
    assert evaluate(status, s) == (False, "not running")
    assert evaluate(status, replace(s, status="max_epochs")) == (False, "not stopped at the epoch limit")


def test_prediction_check():
    number = lessons.Prediction("where?", 45.0, "because", tolerance=0.5)
    assert number.check("45.4") and number.check(44.5) and not number.check(46) and not number.check("x")
    choice = lessons.Prediction("which?", "up", "because", choices=("up", "down"))
    assert choice.check(" up ") and not choice.check("down")


BROKEN = [
    ('title = "t"\nsummary = "s"\n[[steps]]\ntext = "x"\n', "name: missing text"),
    ('name = "n"\ntitle = "t"\nsummary = "s"\n', "steps: give at least one [[steps]] table"),
    ('name = "n"\ntitle = "t"\nsummary = "s"\n[[steps]]\ntext = ""\n', "step 1.text: must be non-empty text"),
    ('name = "n"\ntitle = "t"\nsummary = "s"\n[[steps]]\ntext = "x"\n[steps.setup]\npreset = "nope"\n',
     "step 1.setup.preset: unknown preset 'nope'"),
    ('name = "n"\ntitle = "t"\nsummary = "s"\n[[steps]]\ntext = "x"\n[steps.setup.training]\nlearning_rate = 1\n',
     "step 1.setup: unknown config key training.learning_rate"),
    ('name = "n"\ntitle = "t"\nsummary = "s"\n[[steps]]\ntext = "x"\n[steps.observe]\nkind = "vibes"\n'
     'pass = "p"\nfail = "f"\n', "step 1.observe.kind: 'vibes' is not an observation kind"),
    ('name = "n"\ntitle = "t"\nsummary = "s"\n[[steps]]\ntext = "x"\n[steps.observe]\nkind = "loss"\n'
     'below = "low"\npass = "p"\nfail = "f"\n', "step 1.observe.below: must be a finite number, got 'low'"),
    ('name = "n"\ntitle = "t"\nsummary = "s"\n[[steps]]\ntext = "x"\n[steps.action]\npress = "step"\n'
     'count = 0\n', "step 1.action.count: must be a whole number ≥ 1, got 0"),
    ('name = "n"\ntitle = "t"\nsummary = "s"\n[[steps]]\ntext = "x"\n[steps.setup]\npreset = "xor"\n'
     '[steps.setup.training]\nlr = -1.0\n', "step 1.setup: learning rate η must be a positive finite number"),
    ('name = "n"\ntitle = "t"\nsummary = "s"\n[[steps]]\ntext = "x"\n[steps.setup]\npreset = "xor"\n'
     '[steps.observe]\nkind = "param"\nparam = "b"\nvalue = 1\npass = "p"\nfail = "f"\n',
     "step 1.observe.param: 'b' is not a parameter of this network"),
    ('name = "n"\ntitle = "t"\nsummary = "s"\n[[steps]]\ntext = "x"\n[steps.predict]\nquestion = "q"\n'
     'choices = ["a", "b"]\nanswer = "c"\nexplanation = "e"\n', "step 1.predict.answer: must be one of the choices"),
    ('name = "n"\ntitle = "t"\nsummary = "s"\n[[steps]]\ntext = "x"\ntxet = "y"\n', "step 1: unknown key 'txet'"),
    ('name = "n"\ntitle = "t"\nsummary = "s"\n[[steps]]\ntext = "x"\n[steps.observe]\nkind = "status"\n'
     'is = "happy"\npass = "p"\nfail = "f"\n', "step 1.observe.is: give one or more of running, converged"),
    ('name = "n"\ntitle = "t"\nsummary = "s"\n[[steps]]\ntext = "x"\n[steps.setup]\npreset = "xor"\n'
     '[steps.setup.training]\nepochs = 2.5\n', "step 1.setup: [training] epochs must be a whole number"),
    ('name = "n\ntitle', "is not valid TOML"),
]


@pytest.mark.parametrize(("text", "problem"), BROKEN)
def test_check_refuses_broken_files_with_one_clear_line(tmp_path, text, problem):
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    problems = check_lesson_file(path)
    assert problems and all("\n" not in p for p in problems)
    assert any(problem in p for p in problems), problems
    with pytest.raises(ValueError, match="broken.toml"):
        load_lesson(str(path))


def test_check_a_missing_file_and_an_unknown_name(tmp_path):
    assert check_lesson_file(tmp_path / "none.toml") == [f"lesson file not found: {tmp_path / 'none.toml'}"]
    with pytest.raises(ValueError, match="unknown lesson 'nope'; choose one of loss_of_nine_parameters"):
        load_lesson("nope")


def test_lessons_are_qt_free():
    import subprocess
    import sys

    code = "import sys, gdsim.lab.lessons, gdsim.lab.progress; assert 'PySide6' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
