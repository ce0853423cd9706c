"""``gdsim lessons``: the list (name, then title, one a line) and ``--check FILE`` (ok, or one line per problem
on stderr and exit 2)."""

import subprocess
import sys

from gdsim import cli
from gdsim.lab.lessons import lesson_names, load_lesson


def run(capsys, *args):
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_lessons_lists_name_then_title(capsys):
    code, out, err = run(capsys, "lessons")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) == len(lesson_names()) >= 8
    for line, name in zip(lines, lesson_names(), strict=True):
        first, title = line.split(None, 1)
        assert first == name and title == load_lesson(name).title


def test_check_a_good_file_says_ok(capsys, tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\ntitle = "My lesson"\nsummary = "s"\n[[steps]]\ntext = "Press Step."\n'
                    '[steps.setup]\npreset = "bias_eta_1"\n[steps.action]\npress = "step"\n'
                    '[steps.observe]\nkind = "param"\nparam = "b"\nvalue = 45\npass = "yes"\nfail = "no"\n',
                    encoding="utf-8")
    assert run(capsys, "lessons", "--check", str(path)) == (0, "ok\n", "")


def test_check_a_broken_file_gives_one_line_per_problem_and_exit_2(capsys, tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('name = "b"\ntitle = "t"\n[[steps]]\ntext = "x"\n[steps.setup]\npreset = "nope"\n'
                    '[steps.setup.training]\nlearning_rate = 1\n[steps.observe]\nkind = "vibes"\npass = "p"\n'
                    'fail = "f"\n', encoding="utf-8")
    code, out, err = run(capsys, "lessons", "--check", str(path))
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines == [f"{path}: summary: missing text",
                     f"{path}: step 1.setup.preset: unknown preset 'nope'; choose one of "
                     + lines[1].split("choose one of ")[1],
                     f"{path}: step 1.setup: unknown config key training.learning_rate",
                     f"{path}: step 1.observe.kind: 'vibes' is not an observation kind; choose one of status, "
                     "behaviour, loss, param, param_change, moved, steps, eta_ratio, dead_relus, grad_ratio"]


def test_check_missing_unreadable_and_not_toml_files(capsys, tmp_path):
    code, _, err = run(capsys, "lessons", "--check", str(tmp_path / "none.toml"))
    assert code == 2 and err == f"lesson file not found: {tmp_path / 'none.toml'}\n"
    code, _, err = run(capsys, "lessons", "--check", str(tmp_path))
    assert code == 2 and len(err.splitlines()) == 1 and "cannot read" in err
    (tmp_path / "x.toml").write_text("name = \n", encoding="utf-8")
    code, _, err = run(capsys, "lessons", "--check", str(tmp_path / "x.toml"))
    assert code == 2 and len(err.splitlines()) == 1 and "is not valid TOML" in err
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe\x00")
    code, _, err = run(capsys, "lessons", "--check", str(tmp_path / "bin.toml"))
    assert code == 2 and len(err.splitlines()) == 1


def test_lessons_command_is_headless():
    code = ("import sys; from gdsim import cli; assert cli.main(['lessons']) == 0; "
            "assert 'PySide6' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
