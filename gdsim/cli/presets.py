"""``gdsim presets``: every preset shipped with gdsim, one a line: its name, then its one-line description."""

from __future__ import annotations

import argparse


def register(sub) -> None:
    p = sub.add_parser("presets", help="list the presets (the names --preset takes) with their descriptions",
                       description="List every preset shipped with gdsim: its name (for --preset NAME), then "
                                   "its one-line description.")
    p.set_defaults(func=cmd_presets)


def preset_lines() -> list[str]:
    from gdsim.lab import config as cfgmod

    names = cfgmod.preset_names()
    width = max(map(len, names), default=0)
    return [f"{name:<{width}}  {cfgmod.load_preset(name).description}" for name in names]


def cmd_presets(a: argparse.Namespace) -> int:
    print("\n".join(preset_lines()))
    return 0
