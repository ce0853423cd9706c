"""Quitting while the worker is deep in a long computation on big data: the thread ends at once, no Qt warning.

pytest-qt fails a test on any Qt warning ("QThread: Destroyed while thread ... is still running" included),
and conftest fails one that leaves a QThread running. The computations are counted as they go, so the tests
show that each was cut short rather than left to finish.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore

from gdsim.engine import analysis, csv_table, landscape
from gdsim.lab import config
from gdsim.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]


def write_csv(path, rows: int) -> str:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(rows, 2))
    with open(path, "w") as f:
        f.write("x1,x2,label\n")
        f.writelines(f"{a:.5f},{b:.5f},{int(a * b > 0)}\n" for a, b in X.tolist())
    return str(path)


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory):
    return write_csv(tmp_path_factory.mktemp("data") / "rows.csv", 40_000)


@pytest.fixture(autouse=True)
def _fresh():
    yield
    csv_table.forget()


def open_window(qtbot, csv_path) -> MainWindow:
    cfg = config.load_preset("xor").with_changes(problem={"dataset": "csv:" + csv_path},
                                                 training={"epochs": 0})
    win = MainWindow(cfg, restore_layout=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.snapshot is not None, timeout=30_000)
    return win


def quit_from_the_menu(win) -> None:
    """File → Quit (its shortcut is the platform's: none under the offscreen platform)."""
    action = next(a for a in win.menuBar().actions()[0].menu().actions() if a.text() == "&Quit")
    action.trigger()


def test_quitting_while_a_surface_is_computed_stops_it(qtbot, big_csv, monkeypatch):
    evaluated = []  # grid points evaluated, chunk by chunk (in the worker's thread)
    real = landscape.tail_losses
    monkeypatch.setattr(landscape, "tail_losses", lambda net, thetas, *a: evaluated.append(len(thetas))
                        or real(net, thetas, *a))
    win = open_window(qtbot, big_csv)
    grids = []
    win.worker.sigSurface.connect(grids.append, QtCore.Qt.ConnectionType.DirectConnection)
    assert win.surface2d.res_spin.value() == 101
    win.docks["Loss surface"].show()
    win.docks["Loss surface"].raise_()
    fine = 25 * 25 + 101 * 101  # the quick pass, then the full grid
    qtbot.waitUntil(lambda: sum(evaluated) > 25 * 25 + 200, timeout=30_000)  # well into the full grid
    quit_from_the_menu(win)
    assert not win.isVisible() and win.client.qthread.isFinished()
    done = sum(evaluated)
    assert done < fine, "the surface ran to its end instead of stopping"
    assert all(g.coarse for g in grids)  # the full grid was never finished, so never sent
    qtbot.wait(50)
    assert sum(evaluated) == done  # and nothing more is computed afterwards


def test_quitting_while_curvature_is_estimated_stops_it(qtbot, big_csv, monkeypatch):
    products = []
    real = analysis.hessian_vector_product
    monkeypatch.setattr(analysis, "hessian_vector_product", lambda *a, **k: products.append(1) or real(*a, **k))
    win = open_window(qtbot, big_csv)
    qtbot.waitUntil(lambda: win.lam is not None, timeout=30_000)  # the first estimate, at load
    qtbot.wait(100)
    whole = len(products)  # Hessian-vector products of one whole estimate
    assert whole > 3
    products.clear()
    qtbot.mouseClick(win.findChild(QtCore.QObject, "stepButton"), QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.snapshot.step == 1, timeout=30_000)
    qtbot.waitUntil(lambda: len(products) >= 2, timeout=30_000)  # the estimate after the step has begun
    quit_from_the_menu(win)
    assert win.client.qthread.isFinished()
    assert len(products) < whole


def test_quitting_while_a_comparison_runs_stops_it(qtbot, big_csv):
    win = open_window(qtbot, big_csv)
    win.docks["Compare"].show()
    win.docks["Compare"].raise_()
    win.compare.epochs.setValue(1000)
    progress = []
    win.worker.sigAnalysisProgress.connect(lambda kind, done, total: progress.append((done, total)),
                                           QtCore.Qt.ConnectionType.DirectConnection)
    results = []
    win.worker.sigAnalysis.connect(lambda kind, result: results.append(result),
                                   QtCore.Qt.ConnectionType.DirectConnection)
    qtbot.mouseClick(win.compare.run_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(progress) > 0, timeout=30_000)
    quit_from_the_menu(win)
    assert win.client.qthread.isFinished()
    assert results and (results[0] is None or results[0].cancelled)


SCRIPT = textwrap.dedent("""
    import sys
    from PySide6 import QtCore
    from gdsim.lab import config
    from gdsim.ui.app import application
    from gdsim.ui.main_window import MainWindow

    app = application(headless=True)
    cfg = config.load_preset("xor").with_changes(problem={{"dataset": "csv:" + sys.argv[1]}})
    win = MainWindow(cfg, restore_layout=False)
    win.show()
    if sys.argv[2] == "surface":
        win.docks["Loss surface"].show()
        win.docks["Loss surface"].raise_()
        win.worker.sigSurface.connect(lambda grid: QtCore.QTimer.singleShot(200, win.close))  # the fine pass runs
    else:
        win.docks["Compare"].show()
        win.worker.sigAnalysisProgress.connect(lambda *a: QtCore.QTimer.singleShot(200, win.close))
        QtCore.QTimer.singleShot(100, win.compare.run_button.click)
    sys.exit(app.exec())
""")


@pytest.mark.parametrize("what", ["surface", "compare"])
def test_the_app_exits_cleanly_when_closed_under_load(tmp_path, what):
    csv_path = write_csv(tmp_path / "rows.csv", 40_000)
    env = {"QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", SCRIPT.format(), csv_path, what], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "QThread" not in done.stderr and "Traceback" not in done.stderr, done.stderr
