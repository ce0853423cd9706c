"""A student's progress through the lessons, remembered between starts: which steps of which lesson are done.

One small JSON file in the user's config folder ($GDSIM_CONFIG_DIR, else ~/.config/gdsim). It is written
atomically (a temporary file in the same folder, then a rename), so a crash mid-save leaves the old file; a
corrupt or foreign file is treated as no progress (and overwritten at the next save), never as an error the
student has to deal with.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from gdsim.io import atomic

FILENAME = "progress.json"
VERSION = 1


def config_dir() -> Path:
    """Where gdsim keeps per-user files: $GDSIM_CONFIG_DIR, else ~/.config/gdsim."""
    env = os.environ.get("GDSIM_CONFIG_DIR")
    return Path(env) if env else Path.home() / ".config" / "gdsim"


class Progress:
    """Completed steps per lesson (0-based step indices), loaded from and saved to ``path``."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else config_dir() / FILENAME
        self.problem = ""  # why an existing file was ignored ('' when it was read, or there was none)
        self._done: dict[str, set[int]] = self._read()

    def _read(self) -> dict[str, set[int]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            self.problem = f"ignored unreadable progress file {self.path}: {e}"
            return {}
        lessons = data.get("lessons") if isinstance(data, dict) else None
        if not isinstance(lessons, dict):
            self.problem = f"ignored progress file {self.path}: not a gdsim progress file"
            return {}
        done = {}
        for name, steps in lessons.items():  # keep what is well-formed, drop the rest
            if isinstance(name, str) and isinstance(steps, list):
                done[name] = {s for s in steps if isinstance(s, int) and not isinstance(s, bool) and s >= 0}
        return done

    def completed(self, lesson: str) -> set[int]:
        return set(self._done.get(lesson, ()))

    def mark(self, lesson: str, step: int) -> bool:
        """Record a finished step and save at once (a student may close the app any time). False when the file
        could not be written: the step still counts for this session and ``problem`` says why."""
        if step in self._done.setdefault(lesson, set()):
            return True
        self._done[lesson].add(int(step))
        try:
            self.save()
        except OSError as e:
            self.problem = f"could not save progress to {self.path}: {e}"
            return False
        return True

    def reset(self, lesson: str | None = None) -> None:
        """Forget one lesson's progress, or everything (``None``)."""
        if lesson is None:
            self._done.clear()
        else:
            self._done.pop(lesson, None)
        self.save()

    def save(self) -> None:
        data = {"version": VERSION, "lessons": {k: sorted(v) for k, v in sorted(self._done.items()) if v}}
        write_atomically(self.path, json.dumps(data, indent=1) + "\n")
        self.problem = ""


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path, text)
