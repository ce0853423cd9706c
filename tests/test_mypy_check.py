"""The mypy baseline checker (.ci/mypy_check.py): errors per file may only go down."""

import importlib.util
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parent.parent / ".ci" / "mypy_check.py"
spec = importlib.util.spec_from_file_location("mypy_check", PATH)
check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check)

OUTPUT = """\
gdsim/ui/app.py:12: error: Name "x" is not defined  [name-defined]
gdsim/ui/app.py:30: error: Incompatible return value type  [return-value]
gdsim/ui/app.py:30: note: Possible overload variants:
gdsim/engine/network.py:271: error: Argument 2 to "value" has incompatible type  [arg-type]
gdsim/lab/config.py:9: note: By default the bodies of untyped functions are not checked  [annotation-unchecked]
Found 3 errors in 2 files (checked 98 source files)
"""


def test_errors_are_counted_per_file_and_notes_are_not_errors():
    assert check.count_errors(OUTPUT) == {"gdsim/ui/app.py": 2, "gdsim/engine/network.py": 1}


def test_a_file_above_its_baseline_is_worse_one_below_is_better_an_unlisted_one_may_have_none():
    counts = {"gdsim/ui/app.py": 2, "gdsim/engine/network.py": 1, "gdsim/io/atomic.py": 1}
    baseline = {"gdsim/ui/app.py": 1, "gdsim/engine/network.py": 3}
    worse, better = check.compare(counts, baseline)
    assert worse == ["gdsim/io/atomic.py: 1 mypy errors, the baseline allows 0",
                     "gdsim/ui/app.py: 2 mypy errors, the baseline allows 1"]
    assert better == ["gdsim/engine/network.py: 1 mypy errors, the baseline still allows 3"]
    assert check.compare(baseline, baseline) == ([], [])


def test_the_baseline_reads_back_what_was_written_without_files_at_zero():
    text = check.format_baseline({"gdsim/b.py": 2, "gdsim/a.py": 5, "gdsim/clean.py": 0})
    assert text.startswith("#") and "clean" not in text
    assert check.read_baseline(text) == {"gdsim/a.py": 5, "gdsim/b.py": 2}


def test_a_broken_baseline_line_is_named():
    with pytest.raises(ValueError, match="line 2: expected 'path count'"):
        check.read_baseline("# header\ngdsim/a.py five\n")


def test_the_recorded_baseline_covers_only_files_that_exist():
    root = PATH.parent.parent
    baseline = check.read_baseline(check.BASELINE.read_text(encoding="utf-8"))
    assert baseline and all((root / p).is_file() for p in baseline)
