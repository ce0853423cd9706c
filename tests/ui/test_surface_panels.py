"""Surface panels: they draw the grid they are given, follow snapshots cheaply, and speak in SurfaceSpecs."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from gdsim.engine.function_model import FunctionModel as FunctionNet  # the real adapter
from gdsim.engine.functions import FUNCTIONS, run
from gdsim.lab import config, snapshot, surfaces
from gdsim.lab.surfaces import SurfaceSpec, compute, compute_for
from gdsim.ui.panels.surface_1d import Surface1D
from gdsim.ui.panels.surface_2d import Surface2D
from gdsim.ui.panels.surface_3d import UNAVAILABLE, Surface3D


@pytest.fixture(scope="module")
def xor():
    b = config.build(config.load_preset("xor"))
    b.trainer.run(80)
    return b


@pytest.fixture
def s2d(qtbot, xor):
    w = Surface2D()
    qtbot.addWidget(w)
    w.set_param_names(xor.net.param_names)
    return w


@pytest.fixture
def s1d(qtbot, xor):
    w = Surface1D()
    qtbot.addWidget(w)
    w.set_param_names(xor.net.param_names)
    return w


def shown(w, qtbot, size=(600, 450)):
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)


# ------------------------------------------------------------------------------------------ 2D


def test_2d_image_levels_contours_labels(s2d, xor):
    g = compute_for(SurfaceSpec(indices=(1, 9), resolution=41), xor.trainer)
    s2d.show_surface(g)
    assert s2d.plot.objectName() == "surface2dPlot"
    assert s2d.image().shape == (41, 41)
    image, levels, _ = surfaces.colour_image(g.values)
    assert tuple(s2d._image.levels) == pytest.approx(levels)
    assert tuple(s2d._bar.levels()) == pytest.approx(levels)
    # the image spans the grid in absolute parameter values, pixel centres on the grid points
    rect = s2d._image.mapRectToParent(s2d._image.boundingRect())
    dx = (g.alphas[1] - g.alphas[0])
    assert rect.left() == pytest.approx(g.alphas[0] + g.center[1] - dx / 2)
    x, _ = s2d._contours.getData()
    assert len(x) == 2 * sum(len(s) for _, s in g.contours) > 0
    pi = s2d.plot.getPlotItem()
    assert pi.getAxis("bottom").labelText == xor.net.param_names[1]
    assert pi.getAxis("left").labelText == xor.net.param_names[9]
    assert s2d.note.text() == g.note
    s2d.log_check.setChecked(True)  # log colours: same grid, new levels, no recomputation asked for
    assert tuple(s2d._image.levels) == pytest.approx(surfaces.colour_image(g.values, log=True)[1])


def test_2d_path_follows_snapshots(s2d, xor):
    g = compute_for(SurfaceSpec(plane="random", resolution=25), xor.trainer)
    s2d.show_surface(g)
    x, y = s2d._path.line.getData()
    np.testing.assert_allclose(x, g.path[:, 0])
    np.testing.assert_allclose(y, g.path[:, 1])
    trainer = xor.trainer
    trainer.run(5)  # the snapshot is newer than the grid: the path is re-projected, not recomputed
    s = snapshot.take(trainer)
    s2d.show_snapshot(s)
    x, y = s2d._path.line.getData()
    assert len(x) == len(s.trajectory)
    end = surfaces.path_on_grid(g, s.params[None])[0]
    ex, ey = s2d._path.end.getData()
    assert (ex[0], ey[0]) == pytest.approx(tuple(end))
    sx, _ = s2d._path.start.getData()
    assert sx[0] == pytest.approx(surfaces.path_on_grid(g, s.trajectory[:1])[0, 0])


def test_2d_parameter_pickers_emit_specs(s2d, qtbot):
    with qtbot.waitSignal(s2d.sigSpecChanged) as sig:
        s2d.p2_combo.setCurrentIndex(5)
    assert sig.args[0] == SurfaceSpec(kind="2d", plane="axes", indices=(0, 5), resolution=101)
    with qtbot.waitSignal(s2d.sigSpecChanged) as sig:
        s2d.p1_combo.setCurrentIndex(5)  # the other axis's parameter: the two swap
    assert sig.args[0].indices == (5, 0)
    with qtbot.waitSignal(s2d.sigSpecChanged) as sig:
        s2d.exact_check.setChecked(True)
    assert sig.args[0].exact
    with qtbot.waitSignal(s2d.sigSpecChanged) as sig:
        s2d.plane_combo.setCurrentIndex(2)
    assert sig.args[0].plane == "pca" and not sig.args[0].exact
    assert not s2d.p1_combo.isEnabled() and not s2d.exact_check.isEnabled()
    with qtbot.waitSignal(s2d.sigSpecChanged) as sig:
        s2d.res_spin.setValue(51)
    assert sig.args[0].resolution == 51
    with qtbot.waitSignal(s2d.sigSpecChanged) as sig:
        s2d.set_parameter(7)  # e.g. a click in the network graph
    assert sig.args[0].plane == "axes" and sig.args[0].indices == (7, 0)
    assert s2d.p1_combo.currentText() == s2d.p1_combo.itemText(7) and s2d.p1_combo.isEnabled()


def test_2d_exact_click_chooses_the_start_point(s2d, xor, qtbot):
    start = xor.net.params.copy()
    g = compute_for(SurfaceSpec(indices=(0, 12), exact=True, resolution=25), xor.trainer, start=start)
    s2d.show_surface(g)
    shown(s2d, qtbot)
    vb = s2d.plot.getPlotItem().vb
    target = QtCore.QPointF(start[0] + 0.7, start[12] - 0.4)
    pos = s2d.plot.mapFromScene(vb.mapViewToScene(target))
    with qtbot.waitSignal(s2d.sigStartPointChosen) as sig:
        QTest.mouseClick(s2d.plot.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=pos)
    pixel = max(vb.viewPixelSize())
    assert sig.args[0] == pytest.approx(target.x(), abs=2 * pixel)
    assert sig.args[1] == pytest.approx(target.y(), abs=2 * pixel)
    # outside the grid, or when the surface is not exact, a click is just a click
    s2d.show_surface(compute_for(SurfaceSpec(indices=(0, 12), resolution=25), xor.trainer))
    with qtbot.assertNotEmitted(s2d.sigStartPointChosen):
        QTest.mouseClick(s2d.plot.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=pos)


def test_2d_function_mode_and_extra_paths(s2d, qtbot):
    f = FUNCTIONS["elongated"]
    path = run(f, lr=0.18, steps=40)
    s2d.set_param_names(("x", "y"))
    g = compute(SurfaceSpec(), FunctionNet(f, path[-1]), None, None, "mse", path, np.arange(41))
    s2d.show_surface(g)
    other = run(f, lr=0.05, steps=40)
    s2d.show_paths([("η = 0.05", (0, 160, 255), other), ("momentum", None, other[::2])])
    items = s2d._extra.items()
    assert len(items) == 2
    np.testing.assert_allclose(items[0].getData()[0], other[:, 0])
    legend = s2d.plot.getPlotItem().legend
    assert [label.text for _, label in legend.items] == ["η = 0.05", "momentum"]
    s2d.show_paths([])
    assert not s2d._extra.items() and not legend.isVisible()
    shown(s2d, qtbot)
    s2d._on_mouse_moved(s2d.plot.getPlotItem().vb.mapViewToScene(QtCore.QPointF(0.0, 0.0)))
    assert s2d.readout.text().startswith("x = ") and "loss 0" in s2d.readout.text()


def test_2d_ignores_1d_grids_and_other_networks(s2d, xor):
    s2d.show_surface(compute_for(SurfaceSpec(kind="1d", resolution=11), xor.trainer))
    assert s2d.grid() is None and s2d.image() is None
    g = compute_for(SurfaceSpec(resolution=11), xor.trainer)
    s2d.show_surface(g)
    other = config.build(config.load_preset("xor").with_changes(network={"hidden": [3]}))
    s2d.show_snapshot(snapshot.take(other.trainer))  # a frame of a new network before its first grid
    np.testing.assert_allclose(s2d._path.line.getData()[0], g.path[:, 0] + g.offsets[0])
    s2d.show_message("PCA needs a few more steps")
    assert s2d.note.text() == "PCA needs a few more steps"


@pytest.mark.parametrize("panel", [Surface1D, Surface2D])
def test_export_png_and_svg(qtbot, xor, tmp_path, panel):
    w = panel()
    qtbot.addWidget(w)
    w.set_param_names(xor.net.param_names)
    kind = "2d" if panel is Surface2D else "1d"
    w.show_surface(compute_for(SurfaceSpec(kind=kind, indices=(0, 1)[: 1 + (kind == "2d")], resolution=25),
                               xor.trainer))
    shown(w, qtbot)
    w.export_image(tmp_path / "s.png", width=800)
    assert (tmp_path / "s.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    w.export_image(tmp_path / "s.svg")
    root = ET.parse(tmp_path / "s.svg").getroot()
    assert root.tag.endswith("svg")
    with pytest.raises(ValueError, match="choose a"):
        w.export_image(tmp_path / "s.jpg")


def test_2d_renders_the_surface(s2d, xor, qtbot):
    s2d.show_surface(compute_for(SurfaceSpec(plane="random", resolution=41), xor.trainer))
    shown(s2d, qtbot)
    from pyqtgraph import functions as fn

    rgba = fn.ndarray_from_qimage(s2d.plot.grab().toImage()).reshape(-1, 4).astype(int)
    b, g, r = rgba[:, 0], rgba[:, 1], rgba[:, 2]
    assert np.sum((g > r + 40) & (g > 100)) > 1000  # viridis greens and yellows
    assert np.sum((b > g + 20) & (r > g)) > 500     # viridis purples (the valley)


# ------------------------------------------------------------------------------------------ 1D


def test_1d_curve_in_absolute_values_and_steps_on_it(s1d, xor):
    g = compute_for(SurfaceSpec(kind="1d", indices=(16,), resolution=101), xor.trainer)
    s1d.show_surface(g)
    assert s1d.plot.objectName() == "surface1dPlot"
    x, y = s1d.curve_data()
    np.testing.assert_allclose(x, g.alphas + g.center[16])
    np.testing.assert_allclose(y, g.values)
    assert s1d.plot.getPlotItem().getAxis("bottom").labelText == "b2[1]"
    s = snapshot.take(xor.trainer)
    s1d.show_snapshot(s)
    px, py = s1d._path.line.getData()
    assert len(px) == len(s.recent)
    np.testing.assert_allclose(py, np.interp(px, x, y))  # the steps sit on the drawn curve
    ex, _ = s1d._path.end.getData()
    assert ex[0] == pytest.approx(s.params[16])
    assert len(s1d._path.dots.getData()[0]) == len(s.recent)


def test_1d_picker_and_set_parameter_emit_specs(s1d, qtbot):
    with qtbot.waitSignal(s1d.sigSpecChanged) as sig:
        s1d.param_combo.setCurrentIndex(3)
    assert sig.args[0] == SurfaceSpec(kind="1d", plane="axes", indices=(3,), resolution=201)
    with qtbot.waitSignal(s1d.sigSpecChanged) as sig:
        s1d.direction_combo.setCurrentIndex(1)
    assert sig.args[0].plane == "random" and not s1d.param_combo.isEnabled()
    with qtbot.waitSignal(s1d.sigSpecChanged) as sig:
        s1d.set_parameter(12)
    assert sig.args[0].plane == "axes" and sig.args[0].indices == (12,)
    assert s1d.param_combo.currentText() == "W2[1,1]"
    with qtbot.assertNotEmitted(s1d.sigSpecChanged):
        s1d.set_parameter(99)  # no such parameter
        s1d.set_param_names(["a", "b"])
    assert s1d.spec().indices == (0,)


def test_1d_log_axis_hides_what_it_cannot_show(s1d):
    f = FUNCTIONS["saddle"]
    path = run(f, lr=0.1, steps=5)
    s1d.set_param_names(("x", "y"))
    g = compute(SurfaceSpec(kind="1d", indices=(1,), resolution=41), FunctionNet(f, path[-1]), None, None,
                "mse", path, np.arange(6))
    s1d.show_surface(g)
    y = s1d.curve_data()[1]
    assert (y > 0).any() and (y < 0).any()  # x² − y² along y crosses zero
    s1d.set_log_y(True)
    y = s1d.curve_data()[1]
    assert np.isnan(y[g.values <= 0]).all() and np.isfinite(y[g.values > 0]).all()
    assert s1d.plot.getPlotItem().getAxis("left").logMode


# ------------------------------------------------------------------------------------------ 3D


def test_3d_offscreen_explains_and_never_raises(qtbot, xor):
    w = Surface3D()
    qtbot.addWidget(w)
    assert w.message is None  # nothing is built before the panel comes on screen
    w.build()
    assert not w.available and w.message.text() == UNAVAILABLE
    w.show_surface(compute_for(SurfaceSpec(resolution=11), xor.trainer))
    w.show_snapshot(snapshot.take(xor.trainer))
    shown(w, qtbot, (400, 300))
    assert w.message.isVisible()
