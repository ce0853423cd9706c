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
