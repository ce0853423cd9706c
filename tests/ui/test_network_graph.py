"""NetworkGraph: one edge per weight, colour by sign, width by |w|; clicks and hover name the parameter."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from gdsim.engine.network import Network, layout
from gdsim.lab.snapshot import Snapshot, frozen
from gdsim.ui.panels.network_graph import NEGATIVE, NetworkGraph


def fake_snapshot(sizes, params=None, grad=None, activations=None, seed=0) -> Snapshot:
    """A Snapshot of a network of these sizes; biases and gradients drawn at random unless given."""
    net = Network(list(sizes), activations=activations, seed=seed)
    rng = np.random.default_rng(seed)
    if params is None:
        params = net.params.copy()
        for s in net.slots:
            params[s.b] = rng.normal(0, 0.5, s.n_out)
    grad = rng.normal(0, 0.1, net.n_params) if grad is None else grad
    z, zz = frozen(np.zeros(1)), frozen(np.zeros((1, 1)))
    return Snapshot(step=1, epoch=0, status="running", message="", lr=0.1, current_lr=0.1, loss=0.5,
                    grad_norm=1.0, params=frozen(params), last_grad=frozen(grad),
                    last_update=frozen(-0.1 * grad), step_history=frozen(np.empty((0, 4))),
                    epoch_history=frozen(np.empty((0, 6))), lr_changes=(), trajectory_steps=z, trajectory=zz,
                    recent=zz, sizes=tuple(sizes), activations=tuple(net.activations),
                    param_names=tuple(net.param_names), task="classification", metric_name="accuracy")


def n_weights(sizes) -> int:
    return sum(a * b for a, b in pairwise(sizes))


def n_params(sizes) -> int:
    return sum(a * b + b for a, b in pairwise(sizes))


@pytest.fixture
def graph(qtbot):
    w = NetworkGraph()
    qtbot.addWidget(w)
    w.resize(500, 400)
    w.show()
    qtbot.waitExposed(w)
    return w


def drawn_edges(w: NetworkGraph) -> dict[int, tuple]:
    """Flat parameter index -> (colour, width) of the pen the edge item paints that edge with."""
    where = {tuple(np.round(seg, 9)): int(p) for seg, p in zip(w.segments, w.edge_params, strict=True)}
    out = {}
    for seg, code in zip(w.edges.segments, w.edges.codes, strict=True):
        index = where[tuple(np.round(seg, 9))]
        assert index not in out, "an edge is drawn twice"
        pen = w.edges.pens[code]
        out[index] = (pen.color(), pen.widthF())
    return out


def viewport_point(w: NetworkGraph, view_pos: QtCore.QPointF) -> QtCore.QPoint:
    return w.view.mapFromScene(w.plot_item.getViewBox().mapViewToScene(view_pos))


def along(w: NetworkGraph, index: int, t: float) -> QtCore.QPointF:
    x0, y0, x1, y1 = w.segments[np.flatnonzero(w.edge_params == index)[0]]
    return QtCore.QPointF(x0 + t * (x1 - x0), y0 + t * (y1 - y0))


def test_one_edge_per_weight(graph):
    sizes = (2, 8, 8, 1)
    graph.show_snapshot(fake_snapshot(sizes))
    drawn = drawn_edges(graph)
    assert len(drawn) == n_weights(sizes) == len(graph.segments)
    weight_indices = np.concatenate([np.arange(s.w.start, s.w.stop) for s in layout(list(sizes))])
    assert sorted(drawn) == weight_indices.tolist()
    assert len(graph.neuron_xy) == sum(sizes)


def test_each_edge_joins_the_neurons_its_weight_connects(graph):
    sizes = (3, 4, 2, 1)
    s = fake_snapshot(sizes)
    graph.show_snapshot(s)
    first = np.concatenate([[0], np.cumsum(sizes)])  # index of each layer's first neuron in neuron_xy
    for seg, p in zip(graph.segments, graph.edge_params, strict=True):
        name = s.param_names[p]  # "W2[2,1]": from neuron 2 of layer 1 to neuron 1 of layer 2 (from 1)
        layer, (i, j) = int(name[1:name.index("[")]), (int(v) - 1 for v in name[name.index("[") + 1:-1].split(","))
        assert tuple(seg[:2]) == tuple(graph.neuron_xy[first[layer - 1] + i]), name
        assert tuple(seg[2:]) == tuple(graph.neuron_xy[first[layer] + j]), name
    assert graph.neuron_xy[first[1], 1] > graph.neuron_xy[first[1] + 1, 1]  # neuron 0 at the top


def test_colour_follows_sign_and_width_grows_with_magnitude(graph):
    sizes = (2, 3, 2)
    s = fake_snapshot(sizes)
    params = s.params.copy()
    weights = np.concatenate([np.arange(x.w.start, x.w.stop) for x in layout(list(sizes))])
    params[weights] = np.linspace(-2.0, 1.5, weights.size)  # both signs, many magnitudes
    graph.show_snapshot(fake_snapshot(sizes, params=params))
    drawn = drawn_edges(graph)
    for p in weights:
        colour, _ = drawn[p]
        if params[p] > 0:
            assert colour.blue() > colour.red(), f"positive weight {p} should be blue"
        elif params[p] < 0:
            assert colour.red() > colour.blue(), f"negative weight {p} should be orange"
    by_size = sorted(weights, key=lambda p: abs(params[p]))
    widths = [drawn[p][1] for p in by_size]
    assert widths == sorted(widths) and widths[-1] > 3 * widths[0]
    biggest = max(weights, key=lambda p: abs(params[p]))
    assert drawn[biggest][0].red() == pytest.approx(int(NEGATIVE[1:3], 16), abs=30)


def test_neuron_fill_shows_bias_sign(graph):
    sizes = (2, 2, 1)
    params = np.zeros(n_params(sizes))
    slots = layout(list(sizes))
    params[slots[0].b] = [1.0, -1.0]
    params[slots[1].b] = [0.5]
    graph.show_snapshot(fake_snapshot(sizes, params=params))
    brushes = [b.color() for b in graph._neurons.data["brush"]]
    assert brushes[2].blue() > brushes[2].red() and brushes[3].red() > brushes[3].blue()
    assert graph.neuron_params.tolist() == [-1, -1, slots[0].b.start, slots[0].b.start + 1, slots[1].b.start]


def test_click_on_edge_midpoint_emits_its_index(graph, qtbot):
    graph.show_snapshot(fake_snapshot((2, 3, 1)))
    index = layout([2, 3, 1])[1].w.start + 2  # W2[3,1]: hidden 3 -> output, a midpoint no other edge shares
    hidden_2, output = graph.neuron_xy[2 + 2], graph.neuron_xy[5]
    midpoint = QtCore.QPointF(*(hidden_2 + output) / 2)
    assert graph.position_of(index) == QtCore.QPointF(*(hidden_2 + 0.382 * (output - hidden_2)))  # on its edge
    with qtbot.waitSignal(graph.sigParameterClicked, timeout=1000) as blocker:
        QTest.mouseClick(graph.view.viewport(), QtCore.Qt.MouseButton.LeftButton,
                         pos=viewport_point(graph, midpoint))
    assert blocker.args == [index]


def test_click_on_neuron_emits_its_bias_index(graph, qtbot):
    graph.show_snapshot(fake_snapshot((2, 3, 1)))
    index = layout([2, 3, 1])[0].b.start + 1  # b1[2]
    with qtbot.waitSignal(graph.sigParameterClicked, timeout=1000) as blocker:
        QTest.mouseClick(graph.view.viewport(), QtCore.Qt.MouseButton.LeftButton,
                         pos=viewport_point(graph, graph.position_of(index)))
    assert blocker.args == [index]
    assert graph.hover_text(index).startswith("b1[2] = ")


def test_hit_test_finds_every_edge(graph):
    graph.show_snapshot(fake_snapshot((2, 3, 2)))
    for index in graph.edge_params:
        assert graph.param_at(along(graph, index, 0.3)) == index
    assert graph.param_at(QtCore.QPointF(0.5, 40.0)) is None  # far from everything
    assert graph.param_at(QtCore.QPointF(*graph.neuron_xy[0])) is None  # inputs have no bias


def test_hover_shows_name_value_gradient_and_update(graph, qtbot):
    s = fake_snapshot((2, 4, 1))
    graph.show_snapshot(s)
    index = layout([2, 4, 1])[1].w.start + 3  # W2[4,1]
    QTest.mouseMove(graph.view.viewport(), viewport_point(graph, along(graph, index, 0.4)))
    qtbot.waitUntil(lambda: graph.hover_label.isVisible(), timeout=1000)
    text = graph.hover_label.textItem.toPlainText()
    assert text.startswith("W2[4,1] = ")
    assert f"{abs(s.params[index]):.4g}" in text and "∂L/∂w" in text and "last Δw" in text
    assert f"{abs(s.last_update[index]):.4g}" in text
    assert graph.hover_text(s.param_names.index("b1[2]")).startswith("b1[2] = ")
    QTest.mouseMove(graph.view.viewport(), viewport_point(graph, QtCore.QPointF(0.5, 40.0)))
    qtbot.waitUntil(lambda: not graph.hover_label.isVisible(), timeout=1000)


def test_new_sizes_rebuild_geometry(graph):
    graph.show_snapshot(fake_snapshot((2, 3, 1)))
    item = graph.edges
    graph.show_snapshot(fake_snapshot((2, 4, 1)))
    assert len(graph.segments) == 2 * 4 + 4 * 1 and len(graph.neuron_xy) == 7
    assert len(drawn_edges(graph)) == 12
    graph.show_snapshot(fake_snapshot((2, 4, 4, 1)))
    assert len(drawn_edges(graph)) == 8 + 16 + 4 and len(graph._headers) == 4
    assert graph.edges is item  # the same item, only new data


def test_gradient_mode_styles_by_last_grad(graph, qtbot):
    sizes = (2, 3, 1)
    n = n_params(sizes)
    s = fake_snapshot(sizes, params=np.full(n, 0.5), grad=np.linspace(-1, -0.1, n))
    graph.show_snapshot(s)
    assert all(c.blue() > c.red() for c, _ in drawn_edges(graph).values())
    qtbot.mouseClick(graph.gradient_button, QtCore.Qt.MouseButton.LeftButton)
    assert graph.mode == "gradient"
    assert all(c.red() > c.blue() for c, _ in drawn_edges(graph).values())
    graph.set_color_mode("weight")
    assert not graph.gradient_button.isChecked()
    assert all(c.blue() > c.red() for c, _ in drawn_edges(graph).values())
    with pytest.raises(ValueError):
        graph.set_color_mode("bias")


def test_highlight_marks_edges_and_clears(graph):
    graph.show_snapshot(fake_snapshot((2, 3, 1)))
    w, b = int(graph.edge_params[4]), int(graph.neuron_params[-1])
    graph.highlight([w, b])
    assert graph._halo.segments.tolist() == [graph.segments[4].tolist()]
    assert len(graph._rings.data) == 1
    graph.highlight(None)
    assert len(graph._halo.segments) == 0 and len(graph._rings.data) == 0


def test_large_network_renders_with_headers_apart(graph, tmp_path):
    sizes = (2, 16, 16, 16, 16, 16, 16, 1)
    graph.show_snapshot(fake_snapshot(sizes))
    image = graph.grab()
    assert not image.isNull()
    rects = [h.sceneBoundingRect() for h in graph._headers]
    assert all(not a.intersects(b) for a, b in pairwise(rects))
    assert len(drawn_edges(graph)) == n_weights(sizes)
    path = tmp_path / "graph.png"
    graph.export_image(str(path), 800)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tmp_path / "graph.svg"
    graph.export_image(str(svg))
    import xml.etree.ElementTree as ET

    assert ET.parse(svg).getroot().tag.endswith("svg")


def test_diverged_parameters_do_not_break_drawing(graph):
    sizes = (2, 3, 1)
    n = n_params(sizes)
    params = np.linspace(-1, 1, n)
    params[[0, 3, 5]] = [np.nan, np.inf, -np.inf]
    graph.show_snapshot(fake_snapshot(sizes, params=params))
    assert len(drawn_edges(graph)) == 9
    graph.show_snapshot(fake_snapshot(sizes, params=np.zeros(n), grad=np.zeros(n)))
    widths = {round(wd, 3) for _, wd in drawn_edges(graph).values()}
    assert len(widths) == 1  # all zero: one (thinnest) style


def test_real_snapshot_from_config(graph):
    from gdsim.lab import config, snapshot

    built = config.build(config.Config())
    s = snapshot.take(built.trainer, built.data)
    graph.show_snapshot(s)
    assert len(drawn_edges(graph)) == n_weights(s.sizes)
    assert [h.textItem.toPlainText() for h in graph._headers][0] == "Input"


def test_input_neurons_are_labelled_with_the_feature_names(qtbot):
    from gdsim.lab import config, snapshot

    b = config.build(config.load_preset("package"))
    g = NetworkGraph()
    qtbot.addWidget(g)
    g.set_input_names(b.data.feature_names)
    g.show_snapshot(snapshot.take(b.trainer, b.data))
    assert [item.toPlainText() for item in g._input_labels] == ["cgpa", "profile_score"]
