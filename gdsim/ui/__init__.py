"""The Qt application: a main window that wires one worker to passive panels.

``from gdsim.ui import MainWindow`` works, yet importing ``gdsim.ui.plotting`` (or any other subpackage) does not
load the window, its panels or Qt: the face's names are imported on first use (PEP 562 ``__getattr__``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gdsim.ui.app import application, main
    from gdsim.ui.main_window import MainWindow

# name -> the module that defines it
_LAZY = {"MainWindow": "gdsim.ui.main_window", "main": "gdsim.ui.app", "application": "gdsim.ui.app"}

__all__ = ["MainWindow", "application", "main"]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value  # once loaded, the name is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
