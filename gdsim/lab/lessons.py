"""Lessons: a teacher's TOML file that leads a student through the course notes, one checked step at a time.

A lesson is data, so a teacher can write one without touching code and ``gdsim lessons --check FILE`` says
what is wrong with it, one line per problem. Each step has text, an optional set-up (a preset and/or changes
to config keys; a set-up starts the run afresh, no set-up carries on), an optional prediction asked before the
student acts, an action (press Step / Epoch / Run N epochs) and an observation checked against the app's own
signals (``gdsim.lab.signals``) with feedback for a pass and for a fail. The file format::

    name = "learning_rate"
    title = "η too small, just right, too large"
    summary = "One line for the lesson list."

    [[steps]]
    text = "L(b) = 5b², ∂L/∂b = 10b ..."
    setup = { preset = "bias_eta_1", training = { lr = 1.0 } }
    action = { press = "step", count = 1 }        # step | epoch: presses; run: epochs
    predict = { question = "Where is b after one step?", answer = 45, tolerance = 0.5, explanation = "..." }
    observe = { kind = "param", param = "b", value = 45, pass = "b = {value} ...", fail = "..." }

A multiple-choice prediction gives ``choices`` and ``answer`` = the right choice's text. Observation kinds are
the closed vocabulary ``KINDS``; words are compared with ``is`` (one word or a list), numbers with ``value``
(± ``tolerance``), ``below`` and/or ``above``. ``{value}`` in a feedback text is replaced by what was measured.
"""

from __future__ import annotations

import math
import sys
from dataclasses import fields
from importlib import resources
from pathlib import Path

from gdsim.lab import config as cfgmod
from gdsim.lab.lesson_model import (
    KINDS,
    PRESSES,
    WORDS,
    Action,
    Lesson,
    Observation,
    Prediction,
    Setup,
    Step,
    evaluate,
    perform,
)
from gdsim.lab.signals import Signals, signals_from

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["KINDS", "Action", "Lesson", "Observation", "Prediction", "Setup", "Signals", "Step",
           "check_lesson_file", "evaluate", "lesson_names", "load_lesson", "perform", "signals_from"]

LESSONS = resources.files("gdsim") / "resources" / "lessons"
SECTIONS = {"problem": cfgmod.ProblemConfig, "network": cfgmod.NetworkConfig, "training": cfgmod.TrainingConfig}


# ---------------------------------------------------------------- reading and checking files


def lesson_names() -> list[str]:
    """The lessons shipped inside the package, in teaching order (files are numbered ``01_name.toml``...)."""
    return [_stem(e.name) for e in sorted(LESSONS.iterdir(), key=lambda e: e.name) if e.name.endswith(".toml")]


def _stem(filename: str) -> str:
    stem = filename[:-5]
    head, _, rest = stem.partition("_")
    return rest if head.isdigit() and rest else stem


def load_lesson(path_or_name: str | Path) -> Lesson:
    """A lesson from a file, or a shipped one by name. Raises ValueError with its first problem."""
    data, source = _read(path_or_name)
    lesson, problems = _parse(data)
    if problems:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise ValueError(f"{source}: {problems[0]}{more}")
    assert lesson is not None
    return lesson


def check_lesson_file(path: str | Path) -> list[str]:
    """Every problem with a lesson file, one clear line each (an empty list: the lesson is fine)."""
    try:
        data, _ = _read(Path(path))
    except ValueError as e:
        return [str(e)]
    return _parse(data)[1]


def _read(path_or_name: str | Path) -> tuple[dict, str]:
    text = str(path_or_name)
    if isinstance(path_or_name, Path) or text.endswith(".toml") or "/" in text or "\\" in text:
        path = Path(path_or_name)
        try:
            return tomllib.loads(path.read_text(encoding="utf-8")), str(path)
        except FileNotFoundError:
            raise ValueError(f"lesson file not found: {path}") from None
        except (OSError, UnicodeDecodeError) as e:
            raise ValueError(f"cannot read {path}: {e}") from None
        except tomllib.TOMLDecodeError as e:
            raise ValueError(f"{path} is not valid TOML: {e}") from None
    for entry in LESSONS.iterdir():
        if entry.name.endswith(".toml") and _stem(entry.name) == text:
            return tomllib.loads(entry.read_text(encoding="utf-8")), f"lesson {text!r}"
    raise ValueError(f"unknown lesson {text!r}; choose one of {', '.join(lesson_names())}")


def _parse(data: dict) -> tuple[Lesson | None, list[str]]:
    """(the lesson or None, problems); each set-up is built to check its values and the parameters named."""
    problems: list[str] = []
    _unknown(data, {"name", "title", "summary", "steps"}, "the lesson", problems)
    head = {k: _text(data, k, k, problems) for k in ("name", "title", "summary")}
    raw = data.get("steps")
    if not isinstance(raw, list) or not raw or not all(isinstance(s, dict) for s in raw):
        problems.append("steps: give at least one [[steps]] table")
        raw = []
    steps = [_step(s, f"step {i}", problems) for i, s in enumerate(raw, start=1)]
    if not problems:
        _check_setups(steps, problems)
    if problems:
        return None, problems
    return Lesson(head["name"], head["title"], head["summary"], tuple(steps)), []


def _unknown(table: dict, allowed: set[str], where: str, problems: list[str]) -> None:
    for key in sorted(set(table) - allowed):
        problems.append(f"{where}: unknown key {key!r} (expected {', '.join(sorted(allowed))})")


def _text(table: dict, key: str, where: str, problems: list[str], required: bool = True) -> str:
    value = table.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}: missing text" if value is None else f"{where}: must be non-empty text")
        return ""
    return value.strip()


def _number(table: dict, key: str, where: str, problems: list[str]) -> float | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        problems.append(f"{where}.{key}: must be a finite number, got {value!r}")
        return None
    return float(value)


def _table(step: dict, key: str, where: str, problems: list[str]) -> dict | None:
    value = step.get(key)
    if value is not None and not isinstance(value, dict):
        problems.append(f"{where}.{key}: must be a table, got {value!r}")
        return None
    return value


def _step(raw: dict, where: str, problems: list[str]) -> Step:
    _unknown(raw, {"text", "setup", "predict", "action", "observe"}, where, problems)
    text = _text(raw, "text", f"{where}.text", problems)
    parts = {k: _table(raw, k, where, problems) for k in ("setup", "predict", "action", "observe")}
    return Step(text,
                _setup(parts["setup"], f"{where}.setup", problems) if parts["setup"] is not None else None,
                _predict(parts["predict"], f"{where}.predict", problems) if parts["predict"] is not None else None,
                _action(parts["action"], f"{where}.action", problems) if parts["action"] is not None else None,
                _observe(parts["observe"], f"{where}.observe", problems) if parts["observe"] is not None else None)


def _setup(raw: dict, where: str, problems: list[str]) -> Setup:
    keys = known_keys()
    before = len(problems)
    preset = raw.get("preset")
    if preset is not None and (not isinstance(preset, str) or preset not in cfgmod.preset_names()):
        problems.append(f"{where}.preset: unknown preset {preset!r}; choose one of {', '.join(cfgmod.preset_names())}")
        preset = None
    changes = {}
    for section, values in raw.items():
        if section == "preset":
            continue
        if section not in keys:
            problems.append(f"{where}: unknown config section {section!r} (expected preset, {', '.join(keys)})")
        elif not isinstance(values, dict):
            problems.append(f"{where}.{section}: must be a table of config keys, got {values!r}")
        else:
            for key, value in values.items():
                if key not in keys[section]:
                    problems.append(f"{where}: unknown config key {section}.{key}")
                else:
                    changes[f"{section}.{key}"] = value
    if preset is None and not changes and len(problems) == before:
        problems.append(f"{where}: give a preset and/or config keys to change")
    return Setup(preset, changes)


def _predict(raw: dict, where: str, problems: list[str]) -> Prediction:
    _unknown(raw, {"question", "choices", "answer", "tolerance", "explanation"}, where, problems)
    question = _text(raw, "question", f"{where}.question", problems)
    explanation = _text(raw, "explanation", f"{where}.explanation", problems)
    choices = raw.get("choices")
    answer = raw.get("answer")
    if choices is not None:
        if not isinstance(choices, list) or len(choices) < 2 or not all(isinstance(c, str) for c in choices):
            problems.append(f"{where}.choices: give at least two choices as text")
            return Prediction(question, "", explanation)
        if answer not in choices:
            problems.append(f"{where}.answer: must be one of the choices, got {answer!r}")
        return Prediction(question, str(answer), explanation, tuple(choices))
    value = _number(raw, "answer", where, problems)
    if value is None and answer is None:
        problems.append(f"{where}.answer: missing (a number, or one of the choices)")
    tolerance = _number(raw, "tolerance", where, problems)
    if tolerance is not None and tolerance < 0:
        problems.append(f"{where}.tolerance: must be ≥ 0, got {tolerance:g}")
    return Prediction(question, value if value is not None else math.nan, explanation, (), tolerance or 0.0)


def _action(raw: dict, where: str, problems: list[str]) -> Action:
    _unknown(raw, {"press", "count", "hint"}, where, problems)
    press = raw.get("press")
    if press not in PRESSES:
        problems.append(f"{where}.press: must be one of {', '.join(PRESSES)}, got {press!r}")
    count = raw.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        problems.append(f"{where}.count: must be a whole number ≥ 1, got {count!r}")
        count = 1
    return Action(str(press), count, _text(raw, "hint", f"{where}.hint", problems, required=False))


def _observe(raw: dict, where: str, problems: list[str]) -> Observation:
    _unknown(raw, {"kind", "is", "value", "tolerance", "below", "above", "param", "pass", "fail"}, where, problems)
    kind = raw.get("kind")
    passed = _text(raw, "pass", f"{where}.pass", problems)
    failed = _text(raw, "fail", f"{where}.fail", problems)
    if kind not in KINDS:
        problems.append(f"{where}.kind: {kind!r} is not an observation kind; choose one of {', '.join(KINDS)}")
        return Observation(str(kind), passed, failed)
    if kind in WORDS:
        words = raw.get("is")
        words = [words] if isinstance(words, str) else words
        if not isinstance(words, list) or not words or any(w not in WORDS[kind] for w in words):
            problems.append(f"{where}.is: give one or more of {', '.join(WORDS[kind])}, got {raw.get('is')!r}")
            words = []
        for key in sorted({"value", "below", "above", "tolerance", "param"} & set(raw)):
            problems.append(f"{where}.{key}: a {kind} is compared with 'is', not {key!r}")
        return Observation(kind, passed, failed, words=tuple(words))
    if "is" in raw:
        problems.append(f"{where}.is: {KINDS[kind]} is a number; compare it with value, below or above")
    value, below, above = (_number(raw, k, where, problems) for k in ("value", "below", "above"))
    tolerance = _number(raw, "tolerance", where, problems)
    if value is None and below is None and above is None:
        problems.append(f"{where}: give value (with tolerance), below and/or above to compare {KINDS[kind]} with")
    if value is not None and (below is not None or above is not None):
        problems.append(f"{where}: give value or below/above, not both")
    if tolerance is not None and (tolerance < 0 or value is None):
        problems.append(f"{where}.tolerance: only with value, and ≥ 0")
    if below is not None and above is not None and above >= below:
        problems.append(f"{where}: above ({above:g}) must be less than below ({below:g})")
    param = raw.get("param")
    needs = kind in ("param", "param_change")
    if needs and (isinstance(param, bool) or not isinstance(param, (str, int))):
        problems.append(f"{where}.param: name the parameter (e.g. \"b\" or \"W2[0,0]\") or give its index in θ")
    elif not needs and param is not None:
        problems.append(f"{where}.param: only for param and param_change observations")
    return Observation(kind, passed, failed, value=value, below=below, above=above, param=param,
                       tolerance=1e-9 if tolerance is None else tolerance)


def _check_setups(steps: list[Step], problems: list[str]) -> None:
    """Apply the set-ups in order, as the app would: every configuration must validate, and every parameter an
    observation names must exist in the network that step trains."""
    cfg: cfgmod.Config | None = None
    names: tuple[str, ...] | None = None
    for i, step in enumerate(steps, start=1):
        if step.setup is not None:
            try:
                cfg = step.setup.apply(cfg)
                cfgmod.validate(cfg)
                names = None
            except (ValueError, TypeError) as e:
                problems.append(f"step {i}.setup: {e}")
                return
        obs = step.observe
        if obs is None or obs.param is None:
            continue
        if cfg is None:
            problems.append(f"step {i}.observe.param: no set-up before this step says which network it names")
            continue
        if names is None:
            try:
                names = tuple(cfgmod.build(cfg).net.param_names)
            except (ValueError, OSError) as e:
                problems.append(f"step {i}.setup: {e}")
                return
        bad = obs.param not in names if isinstance(obs.param, str) else not 0 <= obs.param < len(names)
        if bad:
            problems.append(f"step {i}.observe.param: {obs.param!r} is not a parameter of this network "
                            f"({', '.join(names[:12])}{' …' if len(names) > 12 else ''})")


def known_keys() -> dict[str, set[str]]:
    """Config keys a set-up may change, by section."""
    return {s: {f.name for f in fields(cls)} for s, cls in SECTIONS.items()}
