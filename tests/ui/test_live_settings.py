"""Settings that can change between steps change live, like η, and are marked on the loss curve; only the
architecture, the data or the initial weights restart the run, and the status says so."""

import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from gdsim.lab import config

pytestmark = pytest.mark.qt_log_ignore("does not support raise", "does not support grabbing the keyboard",
                                       extend=True)


@pytest.fixture
def window_options():
    cfg = config.load_preset("xor").with_changes(training={"epochs": 0, "optimizer": "momentum", "lr": 0.1,
                                                           "optimizer_kwargs": {"momentum": 0.9}})
    return {"cfg": cfg, "size": (1280, 900), "exposed": True}


def train_steps(qtbot, win, n: int) -> None:
    for _ in range(n):
        win.client.step()
    qtbot.waitUntil(lambda: win.snapshot is not None and win.snapshot.step == n, timeout=10000)


def type_into(qtbot, field, text: str) -> None:
    """Select the field's text with the keyboard, type ``text`` and press Enter, as a person does."""
    field.setFocus()
    editor = field.lineEdit()
    QTest.keyClick(editor, QtCore.Qt.Key.Key_A, QtCore.Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(editor, text)
    QTest.keyClick(editor, QtCore.Qt.Key.Key_Return)


def test_momentum_changes_live_and_is_marked(qtbot, win):
    train_steps(qtbot, win, 50)
    trainer = win.worker.built.trainer
    buffer_before = trainer.optimizer.state["momentum_buffer"].copy() if "momentum_buffer" in \
        trainer.optimizer.state else None
    type_into(qtbot, win.setup.hyper_box.fields["momentum"], "0.5")
    qtbot.waitUntil(lambda: win.worker.built.trainer.optimizer.hyper["momentum"] == 0.5, timeout=5000)
    assert win.worker.built.trainer is trainer  # not rebuilt: the same run goes on
    assert trainer.step_count == 50
    if buffer_before is not None:  # the optimizer keeps its state under the new hyperparameter
        assert (trainer.optimizer.state["momentum_buffer"] == buffer_before).all()
    win.client.step()
    qtbot.waitUntil(lambda: win.snapshot.step == 51, timeout=5000)
    assert win.snapshot.setting_changes and win.snapshot.setting_changes[-1][0] == 50
    assert "momentum 0.5" in win.snapshot.setting_changes[-1][1]
    shown = [line for line in win.loss_curve.setting_lines if line.isVisible()]
    assert shown and shown[-1].value() == 50


def test_switching_optimizer_keeps_the_run_with_fresh_state(qtbot, win):
    train_steps(qtbot, win, 20)
    combo = win.setup.optimizer
    combo.setFocus()
    QTest.keyClick(combo, QtCore.Qt.Key.Key_End)  # the last optimizer in the list: adam
    qtbot.waitUntil(lambda: win.worker.built.trainer.optimizer_name == combo.currentText(), timeout=5000)
    trainer = win.worker.built.trainer
    assert trainer.step_count == 20 and trainer.optimizer.t == 0
    assert win.worker.built.config.training.optimizer == combo.currentText()  # a saved session says so


def test_weight_decay_and_batch_are_live(qtbot, win):
    train_steps(qtbot, win, 10)
    type_into(qtbot, win.setup.weight_decay, "0.01")
    qtbot.waitUntil(lambda: win.worker.built.trainer.optimizer.weight_decay == 0.01, timeout=5000)
    assert win.worker.built.trainer.step_count == 10


def test_network_change_restarts_and_says_so(qtbot, win):
    train_steps(qtbot, win, 10)
    win.setup.reinit.click()
    qtbot.waitUntil(lambda: win.snapshot.step == 0, timeout=5000)
    assert "network changed: training restarts from new weights" in win.statusBar().currentMessage()
