"""LossCurve: what it draws from a snapshot, log scale, markers, the hover readout and its exports."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore

from gdsim.lab.snapshot import Snapshot, frozen
from gdsim.ui.panels.loss_curve import LossCurve


def fake_snapshot(n_steps=300, steps_per_epoch=10, status="running", lr_changes=(), test=True, loss=None):
    """A Snapshot built from plain arrays: loss 1/sqrt(step), epoch losses at every 10th step."""
    steps = np.arange(1, n_steps + 1, dtype=float)
    loss = 1.0 / np.sqrt(steps) if loss is None else np.asarray(loss, dtype=float)
    sh = np.column_stack([steps, loss, 2 * np.ones(n_steps), np.full(n_steps, 0.1)])
    epochs = np.arange(1, n_steps // steps_per_epoch + 1, dtype=float)
    ends = epochs * steps_per_epoch
    train = 1.0 / np.sqrt(ends)
    tst = 1.5 * train if test else np.full_like(train, np.nan)
    eh = np.column_stack([epochs, ends, train, tst, np.full_like(train, 0.9), np.full_like(train, 0.8)])
    z = frozen(np.zeros(3))
    return Snapshot(step=n_steps, epoch=len(epochs), status=status, message="", lr=0.1, current_lr=0.1,
                    loss=float(sh[-1, 1]) if n_steps else float("nan"), grad_norm=2.0,
                    params=z, last_grad=z, last_update=z, step_history=frozen(sh), epoch_history=frozen(eh),
                    lr_changes=tuple(lr_changes), trajectory_steps=frozen([0.0]),
                    trajectory=frozen(np.zeros((1, 3))), recent=frozen(np.zeros((1, 3))), sizes=(1, 1),
                    activations=(), param_names=("w", "b", "c"), task="regression", metric_name="r2")


@pytest.fixture
def curve(qtbot):
    w = LossCurve()
    qtbot.addWidget(w)
    return w


@pytest.fixture
def shown(curve, qtbot):
    curve.resize(600, 400)
    curve.show()
    qtbot.waitExposed(curve)
    return curve


def data_items(w):
    return {item.name(): item for item in w.getPlotItem().listDataItems() if item.name()}


def lr_markers(w):
    return [i for i in w.getPlotItem().items
            if isinstance(i, pg.InfiniteLine) and i.isVisible() and i.label.format.startswith("η")]


def legend_names(w):
    return [label.text for _, label in w.getPlotItem().legend.items]


def test_object_name_and_defaults(curve):
    assert curve.objectName() == "lossCurvePlot"
    assert curve.log_y()
    assert curve.getPlotItem().getAxis("bottom").labelText == "step"
    assert all(len(v) == 0 for v in curve.curve_data().values())


def test_points_after_a_snapshot(curve):
    curve.show_snapshot(fake_snapshot(300, 10))
    d = curve.curve_data()
    assert len(d["step"]) == len(d["loss"]) == 300
    assert len(d["epoch"]) == 30 and d["epoch_step"][0] == 10
    items = data_items(curve)
    assert len(items["loss per step"].xData) == 300
    assert len(items["train loss (epoch)"].xData) == 30
    np.testing.assert_allclose(items["test loss (epoch)"].yData, d["test_loss"])  # raw, not log10
    assert legend_names(curve) == ["loss per step", "train loss (epoch)", "test loss (epoch)"]


def test_long_curves_are_decimated_but_end_at_the_last_step(shown):
    """pyqtgraph's auto downsampling dropped the last bucket's remainder (a paused 6,273-step run was drawn to
    6,000); the panel decimates itself, to two rows per pixel column, and always keeps the last row."""
    shown.show_snapshot(fake_snapshot(20_003, 1))
    for item in data_items(shown).values():
        assert not item.opts["autoDownsample"] and item.opts["clipToView"]
    train = data_items(shown)["train loss (epoch)"]
    x, _ = train.getData()  # what is painted, after clipping
    assert x[-1] == 20_003 and len(train.xData) <= 2 * shown.getPlotItem().vb.width() + 1


def test_test_curve_absent_when_all_nan(curve):
    curve.show_snapshot(fake_snapshot(test=False))
    x = data_items(curve)["test loss (epoch)"].xData
    assert x is None or len(x) == 0  # pyqtgraph stores empty data as None
    assert "test loss (epoch)" not in legend_names(curve)
    curve.show_snapshot(fake_snapshot(test=True))
    assert legend_names(curve)[-1] == "test loss (epoch)"


def test_log_toggle_from_code_and_menu(curve):
    curve.set_log_y(False)
    assert not curve.log_y() and not curve._log_action.isChecked()
    assert not curve.getPlotItem().getAxis("left").logMode
    curve._log_action.trigger()  # the context-menu entry
    assert curve.log_y() and curve.getPlotItem().getAxis("left").logMode
    curve.getPlotItem().ctrl.logYCheck.setChecked(False)  # pyqtgraph's own Plot Options switch
    assert not curve._log_action.isChecked()


def test_values_log_scale_cannot_show_switch_the_axis_to_linear(curve):
    """Values ≤ 0 are never hidden: the axis goes linear by itself, says so, and the next run is log again."""
    loss = np.array([1.0, 0.5, 0.0, -0.1, np.nan, np.inf, 0.2, 0.1, 0.05, 0.01])
    switched = []
    curve.sigLogChanged.connect(switched.append)
    curve.show_snapshot(fake_snapshot(10, 5, loss=loss))
    assert not curve.log_y() and curve.forced_linear() and switched == [False]
    assert list(curve.curve_data()["step"]) == [1, 2, 3, 4, 7, 8, 9, 10]  # only NaN and inf are left out
    assert "linear axis: values ≤ 0" in curve.getPlotItem().getAxis("left").labelText
    y = data_items(curve)["loss per step"].getData()[1]
    assert np.all(np.isfinite(y)) and y.min() == -0.1  # as displayed: raw values
    lo, hi = curve.getPlotItem().vb.viewRange()[1]
    assert lo < -0.1 and hi > 1.0
    curve.clear()  # a new run
    assert curve.log_y() and not curve.forced_linear()
    assert "linear" not in curve.getPlotItem().getAxis("left").labelText
    curve.show_snapshot(fake_snapshot(10, 5))  # all positive: stays log
    assert curve.log_y()


def test_lr_change_markers(curve):
    curve.show_snapshot(fake_snapshot(lr_changes=[(50, 0.3), (120, 0.05), (200, 1.0)]))
    markers = lr_markers(curve)
    assert [m.value() for m in markers] == [50, 120, 200]
    assert [m.label.format for m in markers] == ["η=0.3", "η=0.05", "η=1"]
    curve.show_snapshot(fake_snapshot(lr_changes=[(80, 0.2)]))  # fewer: the spare lines hide
    assert [(m.value(), m.label.format) for m in lr_markers(curve)] == [(80, "η=0.2")]


@pytest.mark.parametrize("status", ["diverged", "converged"])
def test_end_of_run_marker(curve, status):
    loss = 1.0 / np.sqrt(np.arange(1, 101.0))
    if status == "diverged":
        loss[-2:] = [1e9, np.inf]
    curve.show_snapshot(fake_snapshot(100, 10, status=status, loss=loss))
    assert curve.status_text() == f"{status} at step 100"
    x, y = curve._status_dot.xData, curve._status_dot.yData
    assert list(x) == [100] and np.isfinite(y[0])
    assert y[0] == (1e9 if status == "diverged" else loss[-1])
    curve.show_snapshot(fake_snapshot(100, 10))
    assert curve.status_text() == ""


def test_hover_readout_for_steps_and_epochs(shown, qtbot):
    s = fake_snapshot(300, 10)
    shown.show_snapshot(s)
    qtbot.wait(10)
    vb = shown.getPlotItem().vb

    def hover(x, y):
        shown._on_mouse_moved(vb.mapViewToScene(QtCore.QPointF(x, np.log10(y))))
        return shown.readout()

    assert hover(155, 1 / np.sqrt(155)) == f"step 155 · loss {1 / np.sqrt(155):.4g}"
    train, test = 1 / np.sqrt(200), 1.5 / np.sqrt(200)
    assert hover(200, test) == f"epoch 20 · train {train:.4g} · test {test:.4g}"
    assert hover(150, 5.0) == ""  # far from every curve
    assert shown._readout.text.startswith("last: step 300")  # the title falls back to the latest step


def test_hover_in_linear_scale_and_leaving(shown, qtbot):
    shown.set_log_y(False)
    shown.show_snapshot(fake_snapshot(300, 10, test=False))
    qtbot.wait(10)
    vb = shown.getPlotItem().vb
    shown._on_mouse_moved(vb.mapViewToScene(QtCore.QPointF(100, 1.0 / np.sqrt(100))))
    assert shown.readout().startswith("epoch 10 · train ")  # a tie with the step curve: epochs say more
    assert "test" not in shown.readout()
    shown.show_snapshot(fake_snapshot(310, 10, test=False))  # a new frame under a still mouse
    assert shown.readout().startswith("epoch 10")
    shown._on_mouse_moved(None)
    assert shown.readout() == ""


def test_clear_resets_for_a_new_run(curve):
    curve.show_snapshot(fake_snapshot(status="diverged", lr_changes=[(10, 0.5)]))
    curve.clear()
    assert all(len(v) == 0 for v in curve.curve_data().values())
    assert curve.status_text() == "" and lr_markers(curve) == []
    assert len(data_items(curve)) == 3  # the items survive (PlotItem.clear would remove them)


def test_export_image_png_svg_csv(shown, tmp_path):
    shown.show_snapshot(fake_snapshot(300, 10))
    shown.export_image(tmp_path / "l.png", width=720)
    data = (tmp_path / "l.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">I", data[16:20])[0] == 720
    shown.export_image(tmp_path / "l.svg")
    root = ET.fromstring((tmp_path / "l.svg").read_bytes())
    assert len([e for e in root.iter() if e.tag.endswith(("path", "polyline"))]) >= 10
    shown.export_image(tmp_path / "l.csv")
    lines = (tmp_path / "l.csv").read_text().splitlines()
    assert len(lines) == 301 and lines[10].startswith("10,") and lines[10].count(",") == 6
    with pytest.raises(ValueError, match="choose a"):
        shown.export_image(tmp_path / "l.jpg")


def test_a_200k_step_history(shown, qtbot):
    s = fake_snapshot(200_000, 1000)
    shown.show_snapshot(s)
    qtbot.wait(10)  # the view range follows the data on the next paint
    d = shown.curve_data()
    # drawn: a bounded, peak-preserving selection that keeps both ends and the extremes
    assert 1000 < len(d["step"]) <= 4001 and d["step"][0] == 1 and d["step"][-1] == 200_000
    assert d["loss"].max() == s.step_history[:, 1].max() and d["loss"].min() == s.step_history[:, 1].min()
    vb = shown.getPlotItem().vb
    x = float(d["step"][len(d["step"]) // 2])
    shown._on_mouse_moved(vb.mapViewToScene(QtCore.QPointF(x, np.log10(1 / np.sqrt(x)))))
    assert shown.readout() == f"step {int(x)} · loss {1 / np.sqrt(x):.4g}"


def test_real_snapshot_from_a_trainer(curve):
    from gdsim.lab import config, snapshot

    b = config.build(config.Config())
    b.trainer.run(5)
    curve.show_snapshot(snapshot.take(b.trainer, b.data))
    d = curve.curve_data()
    assert len(d["step"]) == len(b.trainer.step_history) == 5
    np.testing.assert_allclose(d["train_loss"], b.trainer.epoch_history.array()[:, 2])


def test_real_diverged_run(curve):
    from gdsim.lab import config, snapshot

    cfg = config.Config().with_changes(problem={"dataset": "line"}, training={"lr": 50.0})
    b = config.build(cfg)
    assert b.trainer.run(50) == "diverged"
    curve.show_snapshot(snapshot.take(b.trainer))
    assert curve.status_text() == f"diverged at step {b.trainer.diverged_at}"


def test_full_batch_draws_one_curve_for_steps_and_epochs(curve):
    from gdsim.lab import config, snapshot

    full = config.build(config.load_preset("xor"))
    full.trainer.run(5)
    curve.show_snapshot(snapshot.take(full.trainer, full.data))
    assert curve._steps.getData()[0] is None or len(curve._steps.getData()[0]) == 0
    assert len(curve._train.getData()[0]) == 5
    mini = config.build(config.load_preset("spiral"))  # mini-batches: a step curve under the epoch curve
    mini.trainer.run(2)
    curve.show_snapshot(snapshot.take(mini.trainer, mini.data))
    assert len(curve._steps.getData()[0]) == mini.trainer.step_count


def test_legend_sits_outside_the_data_area(shown, qtbot):
    shown.show_snapshot(fake_snapshot(300, 10))
    qtbot.wait(50)
    pi = shown.getPlotItem()
    legend = pi.legend.sceneBoundingRect()
    assert legend.height() > 5 and not legend.intersects(pi.vb.sceneBoundingRect())
    assert shown.sceneRect().contains(legend)


@pytest.mark.parametrize("height", [140, 220, 400])
def test_log_axis_labels_never_overlap(curve, qtbot, height):
    curve.resize(500, height)
    curve.show()
    qtbot.waitExposed(curve)
    loss = np.logspace(2, -7, 400)  # nine decades
    curve.show_snapshot(fake_snapshot(400, 10, loss=loss))
    curve.grab()  # paint: the axes lay their labels out
    for name in ("left", "bottom"):
        rects = curve.getPlotItem().getAxis(name).text_rects
        assert len(rects) >= 2
        for i, a in enumerate(rects):
            assert not any(a.intersects(b) for b in rects[i + 1:]), name


def test_many_lr_changes_share_one_label(shown):
    changes = [(100 + 2 * i, 0.1 + 0.01 * i) for i in range(7)] + [(250, 0.5)]
    shown.show_snapshot(fake_snapshot(300, 10, lr_changes=changes))
    markers = lr_markers(shown) + [i for i in shown.getPlotItem().items
                                   if isinstance(i, pg.InfiniteLine) and i.isVisible() and not i.label.format]
    assert len(markers) == 8  # every change keeps its line
    labels = [m.label.format for m in markers if m.label.isVisible() and m.label.format]
    assert labels == ["η changed 7× → 0.16", "η=0.5"]


def test_a_stuck_loss_still_has_y_labels(shown):
    """0.69 for 400 steps (the vanishing-gradients preset): no 1, 2 or 5 × 10^k in range, yet the axis reads."""
    shown.show_snapshot(fake_snapshot(400, 10, loss=0.6931 + 1e-4 * np.cos(np.arange(400))))
    shown.grab()
    assert len(shown.getPlotItem().getAxis("left").text_rects) >= 2
