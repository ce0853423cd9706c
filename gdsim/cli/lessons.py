"""``gdsim lessons``: list the lessons shipped with gdsim, or check a lesson file a teacher wrote.

``gdsim lessons`` prints one lesson a line, its name then its title; ``gdsim lessons --check FILE`` prints
"ok" (exit 0) or one line per problem on stderr (exit 2). Headless: nothing here imports Qt.
"""

from __future__ import annotations

import argparse
import sys


def register(sub) -> None:
    p = sub.add_parser("lessons", help="list the lessons, or check a lesson file (--check FILE)",
                       description="Without options: one lesson a line, its name then its title. "
                                   "--check FILE: validate a lesson file ('ok', or one line per problem).")
    p.add_argument("--check", metavar="FILE", help="validate a lesson file (TOML) and report every problem")
    p.set_defaults(func=cmd_lessons)


def cmd_lessons(a: argparse.Namespace) -> int:
    from gdsim.lab import lessons

    if a.check:
        problems = lessons.check_lesson_file(a.check)
        for problem in problems:
            line = problem if a.check in problem else f"{a.check}: {problem}"
            print(line.replace("\n", " "), file=sys.stderr)
        if problems:
            return 2
        print("ok")
        return 0
    names = lessons.lesson_names()
    width = max(map(len, names), default=0)
    for name in names:
        print(f"{name:<{width}}  {lessons.load_lesson(name).title}")
    return 0
