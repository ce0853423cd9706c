"""The worker driven through its client, as the window drives it: commands in, events out on the GUI thread."""

from __future__ import annotations

import shiboken6
from PySide6 import QtCore

from gdsim.lab import config
from gdsim.lab.requests import SweepRequest
from gdsim.ui.worker_client import WorkerClient


def xor() -> config.Config:
    return config.load_preset("xor").with_changes(training={"epochs": 0})


def test_commands_run_in_the_worker_and_events_arrive_in_the_gui_thread(qtbot):
    client = WorkerClient()
    try:
        got, threads = [], set()
        client.sigSnapshot.connect(lambda s: (got.append(s), threads.add(QtCore.QThread.currentThread())))
        client.load(config.build(xor()))
        client.step()
        client.step()
        qtbot.waitUntil(lambda: bool(got) and got[-1].step == 2)
        client.set_lr(0.25)
        qtbot.waitUntil(lambda: got[-1].lr == 0.25)
        assert threads == {QtCore.QCoreApplication.instance().thread()}
        with qtbot.waitSignal(client.sigAnalysis, timeout=20000) as done:
            client.analyse(SweepRequest(xor(), (0.01, 0.1), 3))
        kind, result = done.args
        assert kind == "sweep" and [r.lr for r in result.runs] == [0.01, 0.1]
    finally:
        client.stop()
    assert client.qthread.isFinished()


def test_commands_after_stop_are_dropped(qtbot):
    """A closing window's docks still report hiding after the worker has gone, its client even deleted."""
    client = WorkerClient()
    client.stop()
    shiboken6.delete(client)
    client.want_xray("inspector", False)
    client.hide_surface("2d")
    client.step()


def test_queued_steps_share_one_fine_surface(qtbot):
    """Fifty Steps queued at once (S held down) draw each step's snapshot but compute the fine surface and λmax
    only when no Step is waiting (a few times, as the steps arrive while the worker works): before, every step
    computed its own fine surface and λmax, and queued steps crawled."""
    from gdsim.lab.surfaces import SurfaceSpec

    client = WorkerClient()
    try:
        grids, snaps, curvatures = [], [], []
        client.sigSurface.connect(grids.append)
        client.sigSnapshot.connect(lambda s: snaps.append(s.step))
        client.sigCurvature.connect(lambda *lams: curvatures.append(lams))
        client.load(config.build(xor()))
        client.set_surface(SurfaceSpec("2d", resolution=41))
        qtbot.waitUntil(lambda: any(g.spec.resolution == 41 for g in grids), timeout=10000)
        qtbot.waitUntil(lambda: len(curvatures) >= 1, timeout=10000)
        grids.clear()
        curvatures.clear()
        for _ in range(50):
            client.step()
        qtbot.waitUntil(lambda: bool(snaps) and snaps[-1] == 50 and bool(grids) and bool(curvatures), timeout=20000)
        qtbot.wait(200)
        assert list(range(1, 51)) == [s for s in snaps if s >= 1][-50:]  # every step drawn
        assert 1 <= len(grids) <= 10 and 1 <= len(curvatures) <= 10, (len(grids), len(curvatures))  # was 50 each
    finally:
        client.stop()
