"""The wheel is the package a user installs: it must carry the presets, the sample data and py.typed, and
gdsim must run from it in any folder (importlib.resources, never the repository's folders)."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import gdsim

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Build the wheel from a copy of the project, so nothing (build/, *.egg-info) is written to the checkout."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "gdsim", src / "gdsim", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("dist")
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                        "-w", str(out), str(src)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    (path,) = out.glob("gdsim-*.whl")
    return path


def test_wheel_carries_presets_data_license_and_version(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        meta = z.read(f"gdsim-{gdsim.__version__}.dist-info/METADATA").decode()
    presets = {n for n in names if n.startswith("gdsim/resources/presets/") and n.endswith(".toml")}
    assert len(presets) == len(list((ROOT / "gdsim" / "resources" / "presets").glob("*.toml"))) >= 10
    lessons = {n for n in names if n.startswith("gdsim/resources/lessons/") and n.endswith(".toml")}
    assert len(lessons) == len(list((ROOT / "gdsim" / "resources" / "lessons").glob("*.toml"))) >= 8
    assert {"gdsim/resources/data/package_sample.csv", "gdsim/resources/data/worked_example.csv",
            "gdsim/py.typed"} <= names
    assert wheel.name.startswith(f"gdsim-{gdsim.__version__}-")
    assert "License-Expression: MIT" in meta and "Classifier: Typing :: Typed" in meta
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "Requires-Dist: sympy>=1.12" in meta


def test_gdsim_runs_from_the_wheel_in_another_folder(wheel, tmp_path):
    """Python imports a pure wheel as a zip: gdsim found there, run from an empty folder, reads its presets and
    the CSV a preset names from inside the wheel."""
    env = {**os.environ, "PYTHONPATH": str(wheel)}

    def gdsim_(*args):
        return subprocess.run([sys.executable, "-m", "gdsim", *args], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=120)

    r = subprocess.run([sys.executable, "-c", "import gdsim; print(gdsim.__file__)"], cwd=tmp_path, env=env,
                       capture_output=True, text=True)
    assert r.stdout.startswith(str(wheel)), r.stdout + r.stderr
    r = gdsim_("presets")
    assert r.returncode == 0, r.stderr
    assert any(line.split()[0] == "xor" for line in r.stdout.splitlines()) and len(r.stdout.splitlines()) >= 10
    r = gdsim_("lessons")
    assert r.returncode == 0 and len(r.stdout.splitlines()) >= 8, r.stderr
    r = gdsim_("train", "--preset", "worked_example_221", "--epochs", "2", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["status"] in ("converged", "max_epochs")
    assert os.listdir(tmp_path) == []
