"""The presets and data shipped inside the package: reading them, and how the app presents the presets.

Read through importlib.resources, so a wheel install has them. ``gdsim.lab.config`` turns a preset's table
into a Config and re-exports the names here, so callers keep importing them from there.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

RESOURCES = resources.files("gdsim") / "resources"  # shipped in the wheel: presets/*.toml, data/*.csv
DATA_PREFIX = "gdsim-data/"  # dataset = "csv:gdsim-data/package_sample.csv" names a CSV shipped with gdsim


def read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ValueError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{path} is not valid TOML: {e}") from None


# The course's order for the presets menu: groups first to last, each preset's ``order`` within its group.
PRESET_GROUPS = ("Course notes", "Classic problems", "Optimizers", "What goes wrong")
PRESET_PANELS = ("Loss surface", "Loss slice", "Gradient flow", "Backprop", "Output")


@dataclass(frozen=True)
class PresetInfo:
    """How the app presents a preset (not part of the set-up, so sessions and the CLI never see it):
    ``pace`` in steps/s (0 = as fast as possible), the ``panel`` its lesson is about, its menu ``group``
    and ``order``."""

    pace: float = 0.0
    panel: str = ""
    group: str = PRESET_GROUPS[1]
    order: int = 100


_PRESENTATION = {"pace": (int, float), "panel": str, "group": str, "order": int}


def preset_names() -> list[str]:
    """The presets shipped inside the package (read through importlib.resources, so a wheel install has them)."""
    return sorted(e.name[:-5] for e in (RESOURCES / "presets").iterdir() if e.name.endswith(".toml"))


def read_preset(name: str) -> tuple[dict, PresetInfo]:
    """A shipped preset's TOML table, without its presentation keys, and how the app presents it."""
    if name not in preset_names():
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(preset_names())}")
    with resources.as_file(RESOURCES / "presets" / f"{name}.toml") as path:
        data = read_toml(path)
    shown = {key: data.pop(key) for key in _PRESENTATION if key in data}
    for key, kind in _PRESENTATION.items():
        if key in shown and (not isinstance(shown[key], kind) or isinstance(shown[key], bool)):
            raise ValueError(f"preset {name}: {key} has the wrong type ({shown[key]!r})")
    info = PresetInfo(**shown)
    if info.group not in PRESET_GROUPS or (info.panel and info.panel not in PRESET_PANELS) or info.pace < 0:
        raise ValueError(f"preset {name}: unknown group {info.group!r}, panel {info.panel!r} or pace {info.pace}")
    return data, info


def data_names() -> list[str]:
    """The sample CSVs shipped with gdsim, as ``csv:gdsim-data/NAME`` can name them."""
    return sorted(e.name for e in (RESOURCES / "data").iterdir() if e.name.endswith(".csv"))


@contextlib.contextmanager
def csv_file(dataset: str) -> Iterator[str]:
    """``csv:gdsim-data/NAME`` -> ``csv:<a real path to the packaged file>``; anything else is passed on as is.

    Sessions saved before the data moved into the package name ``csv:resources/data/NAME``; when no such file is
    in the current folder, that too means the packaged file, so those sessions still open.
    """
    path = dataset[4:] if isinstance(dataset, str) and dataset.startswith("csv:") else None
    name = None
    if path is not None and path.startswith(DATA_PREFIX):
        name = path[len(DATA_PREFIX):]
    elif path is not None and path.startswith("resources/data/") and not Path(path).exists():
        name = path[len("resources/data/"):]
    if name is None:
        yield dataset
        return
    if name not in data_names():
        raise ValueError(f"{DATA_PREFIX}{name} not found; gdsim ships {', '.join(data_names())}")
    with resources.as_file(RESOURCES / "data" / name) as real:
        yield f"csv:{real}"
