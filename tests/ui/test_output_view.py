"""OutputView: the data points per data-set shape, and the three kinds of network output it draws."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from pyqtgraph import functions as fn

from gdsim.engine import contours
from gdsim.engine.datasets import Dataset, make_dataset
from gdsim.lab.snapshot import Snapshot, frozen
from gdsim.ui.panels.output_view import OutputView, class_colours


def snap(output: dict) -> Snapshot:
    """A Snapshot that only carries an output dict (all this panel reads)."""
    z = frozen(np.zeros(1))
    empty = frozen(np.empty((0, 4)))
    return Snapshot(step=1, epoch=1, status="running", message="", lr=0.1, current_lr=0.1, loss=1.0,
                    grad_norm=1.0, params=z, last_grad=z, last_update=z, step_history=empty,
                    epoch_history=frozen(np.empty((0, 6))),
                    lr_changes=(), trajectory_steps=z, trajectory=frozen(np.zeros((1, 1))),
                    recent=frozen(np.zeros((1, 1))), sizes=(1, 1), activations=(), param_names=("w",),
                    task="classification", metric_name="accuracy", output=output)


def decision_output(grid=64, z=None):
    xs, ys = np.linspace(-2, 2, grid), np.linspace(-1, 3, grid)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    z = 1 / (1 + np.exp(-4 * gx)) if z is None else z  # boundary at x = 0
    levels = [0.5] if z.max() <= 1 and len(np.unique(z)) != 3 else [0.25, 0.75]
    boundary = np.concatenate([contours.segments(z, xs, ys, lv) for lv in levels])
    return {"kind": "decision", "x": frozen(xs), "y": frozen(ys), "z": frozen(z), "boundary": frozen(boundary)}


def hand_dataset(n_features=3, n_classes=2, task="classification", n=40):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, n_features))
    y = rng.integers(0, n_classes, n) if task == "classification" else rng.normal(size=(n, 1))
    return Dataset("hand", task, X[:30], y[:30], X[30:], y[30:], tuple(f"f{i}" for i in range(n_features)),
                   ("label",), n_classes if task == "classification" else 0, np.zeros(n_features),
                   np.ones(n_features))


@pytest.fixture
def view(qtbot):
    w = OutputView()
    qtbot.addWidget(w)
    return w


def boundary_points(w):
    x, y = w._boundary.getData()
    return (np.empty(0), np.empty(0)) if x is None else (x, y)


def test_object_name(view):
    assert view.objectName() == "outputView"
    assert view.kind == ""
    view.show_snapshot(snap(decision_output()))  # before set_data: nothing to draw on, no error
    assert view.image() is None


def test_two_feature_classification_points(view):
    data = make_dataset("xor", n=100, seed=1)
    view.set_data(data)
    assert view.kind == "decision"
    assert view.getPlotItem().getAxis("bottom").labelText == data.feature_names[0]
    assert view.getPlotItem().getAxis("left").labelText == data.feature_names[1]
    assert len(view._train.data) == len(data.X_train) and len(view._test.data) == len(data.X_test)
    colours, _ = class_colours(2)
    brushes = [b.color().getRgb()[:3] for b in view._train.data["brush"]]
    assert brushes == [colours[int(c)] for c in data.y_train]
    assert view._test.opts["brush"].style() == pg.QtCore.Qt.BrushStyle.NoBrush  # hollow
    assert [p.color().getRgb()[:3] for p in view._test.data["pen"]] == [colours[int(c)] for c in data.y_test]
    assert [label.text for _, label in view.getPlotItem().legend.items] == ["train", "test"]


def test_decision_surface_image_contour_and_rect(view):
    view.set_data(make_dataset("xor", n=100))
    out = decision_output()
    view.show_snapshot(snap(out))
    img = view.image()
    assert img.shape == (64, 64)
    np.testing.assert_array_equal(img, out["z"])
    assert tuple(view._image.levels) == (0.0, 1.0)  # fixed levels, never rescaled to the data
    lut = view._image.lut  # pale colours drawn opaque: points stay visible, no blending layer
    assert view._image.opacity() == 1 and lut.min() > 60 and lut.max() > 200
    rect = view._image.mapRectToParent(view._image.boundingRect())
    dx, dy = 4 / 63, 4 / 63
    assert rect.left() == pytest.approx(-2 - dx / 2) and rect.right() == pytest.approx(2 + dx / 2)
    assert rect.top() == pytest.approx(-1 - dy / 2) and rect.bottom() == pytest.approx(3 + dy / 2)
    bx, by = boundary_points(view)
    assert len(bx) > 10 and np.all(np.abs(bx) < 0.05)  # the line x = 0, from the bottom to the top
    assert by.min() == pytest.approx(-1) and by.max() == pytest.approx(3)


def test_decision_surface_with_nan_hides_the_contour(view):
    view.set_data(make_dataset("circles", n=100))
    z = np.full((16, 16), np.nan)
    view.show_snapshot(snap(decision_output(16, z)))
    assert view.image().shape == (16, 16)
    assert len(boundary_points(view)[0]) == 0


def test_surface_colours_show_both_classes_under_the_points(view, qtbot):
    view.resize(500, 400)
    view.set_data(make_dataset("xor", n=100))
    view.show_snapshot(snap(decision_output()))
    view.show()
    qtbot.waitExposed(view)
    rgba = fn.ndarray_from_qimage(view.grab().toImage()).reshape(-1, 4).astype(int)
    b, r = rgba[:, 0], rgba[:, 2]  # QImage ARGB32 is BGRA in memory (the test is symmetric anyway)
    assert np.sum(r > b + 60) > 1000 and np.sum(b > r + 60) > 1000


def test_multiclass_surface_has_a_contour_between_each_pair_of_levels(view):
    data = hand_dataset(n_features=2, n_classes=3)
    view.set_data(data)
    assert view.kind == "decision"
    colours, cmap = class_colours(3)
    assert len(set(colours)) == 3
    assert tuple(cmap.map(0.5, mode="byte")[:3]) == colours[1]
    z = np.repeat(np.array([0.0, 0.5, 1.0]), [20, 20, 24])[:, None] * np.ones((1, 64))
    view.show_snapshot(snap(decision_output(z=z)))
    bx, _ = boundary_points(view)
    xs = np.linspace(-2, 2, 64)
    assert set(np.round(bx, 6)) == {round((xs[19] + xs[20]) / 2, 6), round((xs[39] + xs[40]) / 2, 6)}


def test_frames_for_another_kind_are_ignored(view):
    view.set_data(make_dataset("sine", n=50))
    view.show_snapshot(snap(decision_output()))
    assert view.image() is None


def test_one_feature_regression_curve(view):
    data = make_dataset("sine", n=80)
    view.set_data(data)
    assert view.kind == "curve"
    assert view.getPlotItem().getAxis("left").labelText == data.target_names[0]
    np.testing.assert_allclose(view._train.data["y"], data.y_train[:, 0])
    xs = np.linspace(-2, 2, 200)
    ys = np.sin(xs)
    ys[5] = np.nan
    view.show_snapshot(snap({"kind": "curve", "x": frozen(xs), "y": frozen(ys)}))
    x, y = view._fit.getData()
    assert len(x) == 199 and np.all(np.isfinite(y))
    assert "network" in [label.text for _, label in view.getPlotItem().legend.items]
    view.clear()
    assert view._fit.xData is None or len(view._fit.xData) == 0
    assert len(view._train.data) == len(data.X_train)  # the data stays


def test_regression_predicted_vs_actual(view):
    data = make_dataset("package", n=60)
    view.set_data(data)
    assert view.kind == "scatter"
    assert view.getPlotItem().getAxis("bottom").labelText.startswith("actual")
    x, y = view._diag.getData()
    assert list(x) == list(y)  # the line y = x
    view.show_snapshot(snap({"kind": "scatter", "train": frozen(data.y_train + 1.0),
                             "test": frozen(data.y_test * 2)}))
    np.testing.assert_allclose(view._train.data["x"], data.y_train[:, 0])
    np.testing.assert_allclose(view._train.data["y"], data.y_train[:, 0] + 1)
    np.testing.assert_allclose(view._test.data["y"], data.y_test[:, 0] * 2)
    assert "network" not in [label.text for _, label in view.getPlotItem().legend.items]


def test_classification_with_many_features_plots_probability_against_class(view):
    data = hand_dataset(n_features=3, n_classes=2)
    view.set_data(data)
    assert view.kind == "scatter"
    p = np.linspace(0, 1, 30)[:, None]
    view.show_snapshot(snap({"kind": "scatter", "train": frozen(p), "test": frozen(np.full((10, 1), 0.5))}))
    np.testing.assert_allclose(view._train.data["y"], p[:, 0])
    assert np.all(np.abs(view._train.data["x"] - data.y_train) <= 0.08)  # jittered labels
    view.show_snapshot(snap({"kind": "scatter", "train": frozen(p[:5]), "test": frozen(p[:10])}))
    assert len(view._train.data) == 0  # predictions that do not match the data are not drawn


@pytest.mark.parametrize("name, kind", [("xor", "decision"), ("sine", "curve"), ("package", "scatter")])
def test_real_snapshots(view, name, kind):
    from gdsim.lab import config, snapshot

    b = config.build(config.Config().with_changes(problem={"dataset": name}))
    b.trainer.run(5)
    view.set_data(b.data)
    view.show_snapshot(snapshot.take(b.trainer, b.data))
    assert view.kind == kind
    if kind == "decision":
        assert view.image().shape == (64, 64)
    elif kind == "curve":
        assert len(view._fit.getData()[0]) == 200
    else:
        assert len(view._train.data) == len(b.data.X_train)
