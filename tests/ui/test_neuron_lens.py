"""The neuron lens in the app: from the worker's snapshot to the maps, histograms, blame and dead units drawn
in the network graph, driven with the mouse as a student would."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from gdsim.engine import lens
from gdsim.engine.network import Network
from gdsim.engine.trainer import Trainer
from gdsim.lab import config, snapshot
from gdsim.ui.panels.network_graph import NetworkGraph
from gdsim.ui.panels.neuron_lens import MIN_MAP, colourise, histogram_image
from gdsim.ui.worker_client import WorkerClient


def built(preset: str = "xor", **network):
    cfg = config.load_preset(preset)
    if network:
        cfg = cfg.with_changes(network=network)
    return config.build(cfg)


def lens_snapshot(b, steps: int = 20):
    for _ in range(steps):
        b.trainer.step()
    return snapshot.with_lens(snapshot.take(b.trainer, b.data), b.trainer)


@pytest.fixture
def graph(qtbot):
    w = NetworkGraph()
    qtbot.addWidget(w)
    w.resize(900, 650)
    w.show()
    qtbot.waitExposed(w)
    return w


def viewport_point(w: NetworkGraph, xy) -> QtCore.QPoint:
    return w.view.mapFromScene(w.plot_item.getViewBox().mapViewToScene(QtCore.QPointF(*xy)))


def test_snapshot_lens_equals_the_engine_lens_on_the_same_trainer():
    b = built()
    s = lens_snapshot(b)
    out = s.output
    direct = lens.trainer_lens(b.trainer, (out["x"][0], out["x"][-1], out["y"][0], out["y"][-1]))
    assert s.lens is not None and len(s.lens.layers) == len(direct.layers) == 2
    for mine, theirs in zip(s.lens.layers, direct.layers, strict=True):
        np.testing.assert_array_equal(mine.maps, theirs.maps)
        np.testing.assert_array_equal(mine.delta_mean, theirs.delta_mean)
        assert mine.levels == theirs.levels and not mine.maps.flags.writeable
    assert s.lens.extent == direct.extent and s.lens_seconds > 0
    assert snapshot.take(b.trainer, b.data).lens is None  # only with_lens pays for it


def test_worker_adds_the_lens_only_while_asked(qtbot):
    """The graph's sigLensWanted drives the worker: snapshots carry the lens only while the graph is shown."""
    client = WorkerClient()
    try:
        got: list = []
        client.sigSnapshot.connect(got.append)
        g = NetworkGraph()
        qtbot.addWidget(g)
        g.sigLensWanted.connect(client.set_lens)
        b = built()
        client.load(b)
        qtbot.waitUntil(lambda: len(got) >= 1)
        assert got[-1].lens is None  # the graph is not on screen yet
        g.show()
        qtbot.waitUntil(lambda: got[-1].lens is not None)  # shown while idle: a snapshot with the lens at once
        fresh = built()
        np.testing.assert_array_equal(got[-1].lens.layers[0].maps,
                                      snapshot.with_lens(snapshot.take(fresh.trainer, fresh.data),
                                                         fresh.trainer).lens.layers[0].maps)
        g.hide()
        n = len(got)
        client.step()
        qtbot.waitUntil(lambda: len(got) > n)
        assert got[-1].step == 1 and got[-1].lens is None
    finally:
        client.stop()


def test_graph_draws_the_snapshots_maps_as_image_items(graph):
    s = lens_snapshot(built())
    graph.show_snapshot(s)
    view = graph.lens_view
    assert len(view.images) == 4 + 1 and view.showing_maps
    assert all(item.isVisible() for item in view.images)
    maps = [m for layer in s.lens.layers for m in layer.maps]
    scales = [layer.levels for layer in s.lens.layers for _ in layer.maps]
    for item, m, levels in zip(view.images, maps, scales, strict=True):
        np.testing.assert_array_equal(item.image, colourise(m, levels))
        assert item.image.shape == (lens.MAX_GRID, lens.MAX_GRID, 4)
    hidden = s.lens.layers[0]
    if hidden.levels[0] < 0 < hidden.levels[1]:  # tanh: signed, so the diverging map with white at 0
        assert np.all(colourise(np.zeros(1), hidden.levels)[0, :3] > 200)
    assert "maps: a over (x1, x2)" in graph.legend.text()
    assert [r.textItem.toPlainText() for r in graph._range_labels][0].count("…") == 1


def test_hovering_a_neuron_enlarges_it_with_its_formula(graph, qtbot):
    s = lens_snapshot(built())
    graph.show_snapshot(s)
    k = 2 + 1  # the second hidden neuron
    QTest.mouseMove(graph.view.viewport(), viewport_point(graph, graph.neuron_xy[k]))
    qtbot.waitUntil(lambda: graph.lens_view.big.isVisible(), timeout=1000)
    np.testing.assert_array_equal(graph.lens_view.big.image, graph.lens_view.images[1].image)
    big = graph.lens_view.big.sceneBoundingRect()
    assert big.width() > 1.5 * graph.lens_view.images[1].sceneBoundingRect().width()
    text = graph.hover_label.textItem.toPlainText()
    act = s.activations[0]
    assert f"a1[2] = {act}(W1[1,2]·x1 + W1[2,2]·x2 + b1[2])" in text
    w12 = s.params[s.param_names.index("W1[1,2]")]
    assert f"{act}({w12:.3g}".replace("-", "\u2212") in text
    assert "mean |δ|" in text and text.splitlines()[-1].startswith("b1[2] = ")
    QTest.mouseMove(graph.view.viewport(), viewport_point(graph, (0.5, 40.0)))
    qtbot.waitUntil(lambda: not graph.lens_view.big.isVisible(), timeout=1000)
    assert not graph.hover_label.isVisible()


def test_blame_toggle_sizes_discs_by_delta(graph, qtbot):
    s = lens_snapshot(built())
    graph.show_snapshot(s)
    assert len(graph.lens_view.blame_marks.data) == 0
    with qtbot.waitSignal(graph.sigLensWanted, timeout=1000, raising=False):
        qtbot.mouseClick(graph.blame_button, QtCore.Qt.MouseButton.LeftButton)
    assert graph.blame_action.isChecked()
    marks = graph.lens_view.blame_marks.data
    size = np.concatenate([layer.delta_size for layer in s.lens.layers])
    assert len(marks) == 5
    assert int(np.argmax(marks["size"])) == int(np.argmax(size))
    np.testing.assert_allclose(marks["size"] / marks["size"].max(),
                               (0.15 + 0.85 * np.sqrt(size / size.max())) / 1.0, rtol=1e-9)
    mean = np.concatenate([layer.delta_mean for layer in s.lens.layers])
    blue = [b.color().blue() > b.color().red() for b in marks["brush"]]
    assert blue == [m >= 0 for m in mean]
    assert all(item.opacity() < 0.5 for item in graph.lens_view.images)  # maps dimmed under the blame
    graph.blame_action.trigger()  # the context menu's entry turns it off again
    assert not graph.blame_button.isChecked() and len(graph.lens_view.blame_marks.data) == 0


def test_six_layers_of_sixteen_shrink_then_fall_back_to_discs(graph, qtbot):
    s = lens_snapshot(built("spiral", hidden=(16,) * 6, activations=("tanh",)), steps=2)
    graph.resize(1400, 1000)
    qtbot.waitUntil(lambda: graph._vb.height() > 800, timeout=2000)
    graph.show_snapshot(s)
    assert graph.lens_view.showing_maps
    def sides():
        return {round(item.sceneBoundingRect().width()) for item in graph.lens_view.images}

    qtbot.waitUntil(lambda: max(sides()) < 72, timeout=2000)  # the view applies its new range when it paints
    assert len(graph.lens_view.images) == 6 * 16 + 1 and min(sides()) >= MIN_MAP  # shrunk, still maps
    graph.resize(500, 400)
    qtbot.waitUntil(lambda: not graph.lens_view.showing_maps, timeout=2000)
    assert graph.lens_view._side < MIN_MAP
    assert not any(item.isVisible() for item in graph.lens_view.images)
    assert graph._neurons.isVisible() and len(graph._neurons.data) == 2 + 6 * 16 + 1  # plain discs
    assert all(r.textItem.toPlainText() == "" for r in graph._range_labels)


def test_more_than_two_inputs_shows_histograms(graph):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X.sum(axis=1) > 0).astype(float)[:, None]
    net = Network([3, 5, 1], ["relu", "sigmoid"], seed=0)
    trainer = Trainer(net, X, y, loss="bce", lr=0.1)
    trainer.step()
    s = snapshot.with_lens(snapshot.take(trainer), trainer)
    graph.show_snapshot(s)
    assert s.lens.extent is None and graph.lens_view.showing_maps
    first = s.lens.layers[0]
    expected = histogram_image(first.counts, first.edges, first.levels)
    for k, item in enumerate(graph.lens_view.images[:5]):
        np.testing.assert_array_equal(item.image, expected[k])
    tallest = int(np.argmax(first.counts[0]))
    assert (item.image[:, tallest, :3] != 246).all(axis=1).sum() > 0
    assert "bars: a over the data" in graph.legend.text()


def test_dead_relus_are_shaded_and_counted(graph):
    b = built(hidden=(4,), activations=("relu",))
    params = b.net.params
    slot = b.net.slots[0]
    params[slot.w] = 0.0
    params[slot.b] = [-1.0, -1.0, 0.5, 0.5]  # two units never active: dead
    s = lens_snapshot(b, steps=0)
    graph.show_snapshot(s)
    assert s.lens.n_dead == 2
    assert len(graph.lens_view.dead_marks.data) == 2
    assert [round(item.opacity(), 2) for item in graph.lens_view.images[:4]] == [0.25, 0.25, 1.0, 1.0]
    assert "2 dead ReLUs" in graph.legend.text()
    assert "2 dead" in graph._range_labels[0].textItem.toPlainText()
