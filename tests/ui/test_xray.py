"""The optimizer X-ray in the app: the inspector's update phase, the arrows on the loss surface, the effective η."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from gdsim.engine.inspect import next_update, num
from gdsim.lab import config, snapshot, xray
from gdsim.ui.main_window import MainWindow
from gdsim.ui.panels.inspector import InspectorPanel

LEFT = QtCore.Qt.MouseButton.LeftButton


def built(preset: str, optimizer: str, lr: float | None = None):
    training = {"optimizer": optimizer, "epochs": 0, **({"lr": lr} if lr is not None else {})}
    return config.build(config.load_preset(preset).with_changes(training=training))


def xray_snapshot(b):
    return snapshot.with_xray(snapshot.take(b.trainer, b.data), xray.take(b.trainer), ())


@pytest.fixture
def inspector(qtbot):
    w = InspectorPanel()
    qtbot.addWidget(w)
    w.resize(700, 600)
    w.show()
    qtbot.waitExposed(w)
    return w


# ---------------------------------------------------------------- inspector


def test_update_phase_shows_adams_formula_with_next_updates_numbers(qtbot, inspector):
    b = built("xor", "adam", 0.01)
    for _ in range(3):
        b.trainer.step()
    s = xray_snapshot(b)
    inspector.set_context(s, b.data, b.trainer.loss_name, s.current_lr)
    while inspector.phases()[inspector.current_index()].name != "update":
        qtbot.mouseClick(inspector.next_button, LEFT)
    text = inspector.text_shown()
    want = next_update(b.trainer)  # the trainer is untouched: the same numbers again
    assert "m = β₁·m + (1−β₁)·g" in text and "Δw = −η·m̂/(√v̂ + ε)" in text
    assert "plain gradient descent" not in inspector.title.text() and "adam" in inspector.title.text()
    p = inspector.phases()[inspector.current_index()].params[0]
    name = b.net.param_names[p]
    block = text.split(f"\n{name}: ∂L/∂{name}")[1].split("\n" + b.net.param_names[p + 1])[0]
    for key in ("m", "v", "m_hat", "v_hat"):
        assert f"= {num(want[key][p])}\n" in block or f"= {num(want[key][p])}   " in block, key
    assert f"Δ{name} = −η·m̂/(√v̂ + ε) = −{num(want['lr'])}·" in block
    assert block.split(f"Δ{name} = ")[1].split("\n")[0].endswith(f"= {num(want['delta'][p])}")
    assert "−−" not in text and "+ −" not in text  # no double minus anywhere
    before = b.net.params[p]
    b.trainer.step()
    assert f"{name}: {num(before)} → {num(b.net.params[p])}" in block  # the step shown is the one taken


def test_update_phase_for_momentum_and_weight_decay(qtbot, inspector):
    cfg = config.load_preset("xor").with_changes(training={"optimizer": "momentum", "epochs": 0,
                                                           "weight_decay": 0.01})
    b = config.build(cfg)
    b.trainer.step()
    s = xray_snapshot(b)
    inspector.set_context(s, b.data, b.trainer.loss_name, s.current_lr)
    inspector.show_phase(len(inspector.phases()) - 1)
    text = inspector.text_shown()
    assert "b = μ·b + g = 0.9·" in text and "g = ∇L + λ·w = " in text and "Δw = −η·b" in text


def test_effective_lr_is_about_eta_for_adams_first_step(inspector):
    b = built("xor", "adam", 0.01)
    s = xray_snapshot(b)
    inspector.set_context(s, b.data, b.trainer.loss_name, s.current_lr)
    inspector.tabs.setCurrentWidget(inspector.effective_lr)
    shown = inspector.effective_lr.shown()
    g = np.abs(next_update(b.trainer)["grad"])
    assert shown["lr"] == 0.01
    moving = g > 1e-6  # a zero gradient has nothing to divide (ε wins)
    assert np.allclose(shown["step"][moving], 0.01, rtol=1e-3)  # every weight moves by ≈ η
    assert np.allclose(shown["effective_lr"][moving], 0.01 / g[moving], rtol=1e-3)  # η_eff = η/|g|
    assert inspector.effective_lr.plot.isVisible()
    assert "|Δw| ≈ η" in inspector.effective_lr.caption.text()


def test_effective_lr_explains_sgd_has_one_step_size(inspector):
    b = built("xor", "sgd")
    s = xray_snapshot(b)
    inspector.set_context(s, b.data, b.trainer.loss_name, s.current_lr)
    assert not inspector.effective_lr.plot.isVisible()
    assert "same step size" in inspector.effective_lr.caption.text()


# ---------------------------------------------------------------- arrows on the loss surface


@pytest.fixture
def bowl(qtbot, tmp_path, request):
    QtCore.QSettings.setDefaultFormat(QtCore.QSettings.Format.IniFormat)
    QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope, str(tmp_path))
    optimizer, lr = request.param
    cfg = config.load_preset("elongated_bowl").with_changes(training={"optimizer": optimizer, "lr": lr, "epochs": 0})
    w = MainWindow(cfg, restore_layout=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.on_screen("Loss surface") and w.surface2d.grid() is not None, timeout=5000)
    yield w, cfg
    w.shutdown()


def expected_arrows(cfg, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Tail and tips (plain, velocity, Δθ) of the X-ray after ``steps`` steps, from a trainer of our own."""
    b = config.build(cfg)
    for _ in range(steps):
        b.trainer.step()
    vecs = xray.vectors(next_update(b.trainer))
    p = b.net.params.copy()
    return p, p + vecs  # function mode: the plane is (x, y) itself


def arrows_at(win, step: int, qtbot):
    qtbot.waitUntil(lambda: win.snapshot.step == step and xray.at(win.snapshot.xray_history, step) is not None,
                    timeout=5000)
    qtbot.waitUntil(lambda: "delta" in win.surface2d.arrows.tips(), timeout=5000)
    return win.surface2d.arrows.tips()


@pytest.mark.parametrize("bowl", [("sgd", 0.18), ("momentum", 0.05), ("adam", 0.3)], indirect=True,
                         ids=["sgd", "momentum", "adam"])
def test_arrows_follow_steps_and_the_scrubber(bowl, qtbot):
    win, cfg = bowl
    optimizer = cfg.training.optimizer
    step_button = win.findChild(QtWidgets.QAbstractButton, "stepButton")
    seen = {}
    for step in range(4):
        if step:
            qtbot.mouseClick(step_button, LEFT)
        tips = arrows_at(win, step, qtbot)
        tail, want = expected_arrows(cfg, step)
        assert set(tips) == ({"plain_step", "delta"} if optimizer == "sgd" else {"plain_step", "velocity", "delta"})
        for k, key in enumerate(("plain_step", "velocity", "delta")):
            if key in tips:
                np.testing.assert_allclose(tips[key][0], tail, rtol=1e-12)
                np.testing.assert_allclose(tips[key][1], want[k], rtol=1e-9, atol=1e-12)
        seen[step] = tips["delta"]
    assert not np.allclose(seen[2][0], seen[3][0])  # the arrows moved with the step
    np.testing.assert_allclose(seen[2][1], seen[3][0], rtol=1e-9)  # Δθ's tip is where the next step went
    # the history scrubber: two rows back with the keyboard (step 1), the arrows recorded there
    slider = win.scrubber.slider
    slider.setFocus()
    qtbot.keyClick(slider, QtCore.Qt.Key.Key_Left)
    qtbot.keyClick(slider, QtCore.Qt.Key.Key_Left)
    assert win.scrubber.scrubbed_step() == 1
    qtbot.waitUntil(lambda: np.allclose(win.surface2d.arrows.tips()["delta"][0], seen[1][0]), timeout=3000)
    np.testing.assert_allclose(win.surface2d.arrows.tips()["delta"][1], seen[1][1])
    assert win.surface2d.key.isVisible() and "update taken" in win.surface2d.key.text()  # under the plot


def test_arrows_in_a_projected_plane_and_in_a_race(qtbot, tmp_path):
    """A network on a random plane: the arrows are the X-ray's vectors projected like the path; a race's runs
    each end with an arrow in their colour."""
    from gdsim.lab import compare
    from gdsim.ui.panels.surface_2d import Surface2D

    b = built("xor", "momentum")
    for _ in range(3):
        b.trainer.step()
    w = Surface2D()
    qtbot.addWidget(w)
    from gdsim.lab import surfaces

    spec = surfaces.SurfaceSpec(plane="random", resolution=25)
    grid = surfaces.compute_for(spec, b.trainer)
    w.show_surface(grid)
    x = xray.take(b.trainer)
    vecs = xray.vectors(x)
    s = snapshot.with_xray(snapshot.take(b.trainer, b.data), x, ((3, vecs),))
    w.show_snapshot(s)
    tips = w.arrows.tips()
    p = b.net.params
    for k, key in enumerate(("plain_step", "velocity", "delta")):
        want = surfaces.path_on_grid(grid, np.vstack([p, p + vecs[k]]))
        np.testing.assert_allclose(tips[key][0], want[0])
        np.testing.assert_allclose(tips[key][1], want[1])
    b.trainer.step()  # Δθ's tip is where the path's next point lands on this plane
    np.testing.assert_allclose(tips["delta"][1], surfaces.path_on_grid(grid, b.net.params[None])[0], atol=1e-9)

    cfg = config.load_preset("xor").with_changes(training={"epochs": 0})
    result = compare.compare_optimizers(cfg, ["sgd", "adam"], 1)
    colours = [(255, 0, 0), (0, 255, 0)]
    w.show_paths([(r.label, c, surfaces.path_on_grid(grid, r.trajectory[1]))
                  for r, c in zip(result.runs, colours, strict=True)])
    assert [a.visible() for a in w.arrows.race] == [True, True]
    for arrow, colour, run in zip(w.arrows.race, colours, result.runs, strict=True):
        assert arrow.shaft.opts["pen"].color().getRgb()[:3] == colour
        np.testing.assert_allclose(arrow.tip, surfaces.path_on_grid(grid, run.trajectory[1][-1:])[0])
