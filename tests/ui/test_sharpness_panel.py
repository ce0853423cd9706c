"""The edge-of-stability monitor in the app: λmax along the run, only while its panel is on screen."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from gdsim.engine import analysis
from gdsim.lab import config

LEFT = QtCore.Qt.MouseButton.LeftButton


@pytest.fixture
def window_options(tmp_path, monkeypatch):
    monkeypatch.setenv("GDSIM_CONFIG_DIR", str(tmp_path / "config"))
    return {"cfg": config.load_preset("xor").with_changes(training={"epochs": 0, "lr": 2.0, "tol": 0.0}),
            "size": (1280, 800)}


def show_sharpness(win, qtbot) -> None:
    tab = next(t for t in win.findChildren(QtWidgets.QTabBar)
               if "Sharpness" in [t.tabText(i) for i in range(t.count())])
    index = [tab.tabText(i) for i in range(tab.count())].index("Sharpness")
    qtbot.mouseClick(tab, LEFT, pos=tab.tabRect(index).center())
    qtbot.waitUntil(lambda: win.on_screen("Sharpness"))


def run_epochs(win, qtbot, epochs: int) -> None:
    spin = win.findChild(QtWidgets.QSpinBox, "runEpochsSpin")
    spin.setValue(epochs)
    qtbot.mouseClick(win.findChild(QtWidgets.QPushButton, "runEpochsButton"), LEFT)
    qtbot.waitUntil(lambda: win.snapshot.epoch >= epochs or win.snapshot.status != "running", timeout=60000)
    qtbot.waitUntil(lambda: not win.worker.running, timeout=10000)


def test_series_equals_a_direct_lambda_max_at_the_same_steps(win, qtbot):
    show_sharpness(win, qtbot)
    qtbot.waitUntil(lambda: len(win.snapshot.sharpness) == 1)  # a first reading at step 0, before any run
    run_epochs(win, qtbot, 3000)  # a reading every ~250 steps: λmax costs at most ~10 % of the work
    qtbot.waitUntil(lambda: win.sharpness.series().shape[0] > 0
                    and np.array_equal(win.sharpness.series(), win.snapshot.sharpness))
    series = win.sharpness.series()
    assert series.shape[0] >= 10 and series[0, 0] == 0 and np.all(np.diff(series[:, 0]) > 0)
    assert not win.snapshot.sharpness.flags.writeable
    b = config.build(win.cfg)  # the same set-up and seed: the same run, step for step
    for step, lam in series:
        while b.trainer.step_count < step:
            b.trainer.step()
        direct = analysis.top_eigenvalue_shaped(b.net, b.trainer.X, b.trainer.t, b.trainer.loss_name)
        assert abs(lam - direct) <= 1e-6 * max(1.0, abs(direct)), (step, lam, direct)
    x, y = win.sharpness.edge.getData()
    assert np.allclose(y, 2.0 / 2.0) and x[-1] == win.snapshot.step  # the 2/η line, η = 2
    assert "η·λmax/2" in win.sharpness.readout.text()


def test_tracked_only_while_on_screen_and_kept_while_hidden(win, qtbot):
    qtbot.mouseClick(win.findChild(QtWidgets.QAbstractButton, "stepButton"), LEFT)
    qtbot.waitUntil(lambda: win.snapshot.step == 1)
    assert win.snapshot.sharpness.shape == (0, 2)  # never shown: no λmax is computed
    show_sharpness(win, qtbot)
    qtbot.waitUntil(lambda: len(win.snapshot.sharpness) == 1 and win.snapshot.sharpness[0, 0] == 1)
    win.docks["Loss"].raise_()  # another tab in front: the panel is off screen
    qtbot.waitUntil(lambda: not win.on_screen("Sharpness"))
    run_epochs(win, qtbot, 50)
    assert win.snapshot.sharpness.shape == (0, 2)
    show_sharpness(win, qtbot)
    qtbot.waitUntil(lambda: len(win.snapshot.sharpness) == 2)
    steps = win.snapshot.sharpness[:, 0]
    assert steps[0] == 1 and steps[1] == win.snapshot.step  # the old reading kept, a new one where it is now


def test_log_scale_and_a_new_set_up_starts_afresh(win, qtbot):
    show_sharpness(win, qtbot)
    run_epochs(win, qtbot, 20)
    box = win.findChild(QtWidgets.QCheckBox, "sharpnessLog")
    qtbot.mouseClick(box, LEFT, pos=QtCore.QPoint(6, box.height() // 2))
    assert win.sharpness.log_y() and win.sharpness.plot.getPlotItem().ctrl.logYCheck.isChecked()
    win.open_preset("elongated_bowl")
    qtbot.waitUntil(lambda: win.snapshot.step == 0 and len(win.snapshot.sharpness) == 1)
    assert win.snapshot.sharpness[0, 1] == pytest.approx(10.0, abs=1e-9)  # diag(1, 10): λmax = 10
