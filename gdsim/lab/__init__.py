"""The Qt-free application layer: set-ups and presets, comparisons and sweeps, surfaces, snapshots, lessons.

Everything the app holds and computes besides the training itself, testable without a display. Modules inside
gdsim import each other by module (``from gdsim.lab import config as cfgmod``), never through this face.
"""

from gdsim.lab import compare, config, lessons, snapshot, surfaces
from gdsim.lab.compare import ComparisonResult, RunResult, Variant, run_comparison, sweep
from gdsim.lab.config import (
    Built,
    Config,
    NetworkConfig,
    ProblemConfig,
    TrainingConfig,
    build,
    load,
    load_preset,
    preset_names,
    validate,
)
from gdsim.lab.lesson_model import Lesson
from gdsim.lab.lessons import lesson_names, load_lesson
from gdsim.lab.signals import Signals
from gdsim.lab.snapshot import Snapshot
from gdsim.lab.surfaces import SurfaceGrid, SurfaceSpec

__all__ = [
    "Built", "ComparisonResult", "Config", "Lesson", "NetworkConfig", "ProblemConfig", "RunResult", "Signals",
    "Snapshot", "SurfaceGrid", "SurfaceSpec", "TrainingConfig", "Variant",
    "build", "lesson_names", "load", "load_lesson", "load_preset", "preset_names", "run_comparison", "sweep",
    "validate",
    "compare", "config", "lessons", "snapshot", "surfaces",
]
