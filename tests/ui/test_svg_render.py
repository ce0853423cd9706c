"""Exported figures look the same outside Qt, and a bigger PNG is the same picture enlarged.

SVGs are rendered with librsvg (``rsvg-convert``), a renderer that is not Qt: before the fix it stroked
each curve as a band as tall as the view's y scale (~130 px), because it ignores ``vector-effect``.
"""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6 import QtGui

from gdsim.lab import config, snapshot
from gdsim.lab.surfaces import SurfaceSpec, compute_for
from gdsim.ui.panels.loss_curve import TEST_PEN, TRAIN_PEN
from gdsim.ui.plotting import figures as export
from gdsim.ui.plotting import loss_figure, svg_flatten
from gdsim.ui.plotting.items import PATH_COLOUR

RSVG = shutil.which("rsvg-convert")
needs_rsvg = pytest.mark.skipif(RSVG is None, reason="rsvg-convert is not installed (apt-get install librsvg2-bin)")
TRAIN = TRAIN_PEN.color().getRgb()[:3]
TEST = TEST_PEN.color().getRgb()[:3]


def pixels(png: bytes) -> np.ndarray:
    """(h, w, 3) RGB of a PNG, alpha composited on white."""
    image = QtGui.QImage.fromData(png)
    assert not image.isNull()
    bg = QtGui.QImage(image.size(), QtGui.QImage.Format.Format_RGB888)
    bg.fill(QtGui.QColor("white"))
    painter = QtGui.QPainter(bg)
    painter.drawImage(0, 0, image)
    painter.end()
    a = np.frombuffer(bg.constBits(), np.uint8).reshape(bg.height(), bg.bytesPerLine())
    return a[:, : bg.width() * 3].reshape(bg.height(), bg.width(), 3).astype(int)


def rsvg(svg: bytes, tmp_path) -> np.ndarray:
    src = tmp_path / "in.svg"
    src.write_bytes(svg)
    out = subprocess.run([RSVG, "-b", "white", str(src)], capture_output=True, check=True, timeout=60).stdout
    return pixels(out)


def coverage(rgb: np.ndarray, colour, floor: float = 0.25) -> np.ndarray:
    """How much of each pixel a stroke of ``colour`` on white covers (0..1; faint blends like grey grid lines
    count as 0), so a thin antialiased line still adds up to its width."""
    colour = np.asarray(colour, dtype=float)
    c = 1 - np.linalg.norm(rgb - colour, axis=2) / np.linalg.norm(255 - colour)
    return np.where(c > floor, np.clip(c, 0, 1), 0.0)


def stroke_thickness(cov: np.ndarray) -> float:
    """Median ink of the colour down a column, over the columns it is in: a line's thickness (for a
    sloping line a little more)."""
    per_column = cov.sum(axis=0)
    return float(np.median(per_column[per_column > 0.5])) if (per_column > 0.5).any() else 0.0


@pytest.fixture(scope="module")
def xor():
    b = config.build(config.load_preset("xor"))
    b.trainer.run(80)
    return b


@pytest.fixture
def loss(qtbot, xor):
    w = loss_figure.loss_widget(snapshot.take(xor.trainer), (900, 540))
    qtbot.addWidget(w)
    return w


@pytest.fixture
def surface(qtbot, xor):
    from gdsim.ui.panels.surface_2d import Surface2D

    w = Surface2D()
    qtbot.addWidget(w)
    w.set_param_names(xor.net.param_names)
    w.resize(600, 450)
    w.show()
    qtbot.waitExposed(w)
    w.show_surface(compute_for(SurfaceSpec(indices=(1, 9), resolution=41), xor.trainer))
    return w


# ------------------------------------------------------------------ SVG outside Qt

@needs_rsvg
def test_loss_curve_svg_renders_thin_lines_in_librsvg(loss, tmp_path):
    rgb = rsvg(export.plot_svg_bytes(loss), tmp_path)
    assert rgb.shape[:2] == (540, 900)
    for colour in (TRAIN, TEST):  # the test curve is drawn last: it was the band covering the other
        curve = coverage(rgb, colour)
        assert curve.sum() > 200  # the curve is there ...
        assert stroke_thickness(curve) <= 4  # ... as a line, not a band (was 100+ px tall)
    dark = (rgb.sum(axis=2) < 200).sum()
    assert dark > 500  # axes and tick labels drawn: not a blank picture


@needs_rsvg
def test_surface_svg_renders_heatmap_and_thin_path_in_librsvg(surface, tmp_path):
    rgb = rsvg(export.plot_svg_bytes(surface.plot), tmp_path)
    colours = len(np.unique(rgb.reshape(-1, 3), axis=0))
    assert colours > 200  # the heatmap's colour ramp is there
    path = coverage(rgb, PATH_COLOUR, floor=0.85)  # strict: the heatmap's yellows are half-way to red
    assert path.sum() > 30
    # the path line is 2 px wide; its start and end markers add a few columns of 11 px
    assert stroke_thickness(path) <= 5


def test_flattened_svg_has_no_non_scaling_strokes_under_scaling_transforms(loss):
    root = ET.fromstring(export.plot_svg_bytes(loss))
    assert not [e for e in root.iter() if e.get("vector-effect") == "non-scaling-stroke"]
    strokes = {f"{{{svg_flatten.SVG}}}{t}" for t in ("path", "polyline")}
    for g in root.iter(f"{{{svg_flatten.SVG}}}g"):
        m = svg_flatten._matrix(g.get("transform"))
        if any(child.tag in strokes for child in g):
            assert m is None or abs(m[3]) < 50, "a stroke is still under the view's y scale"


def test_flatten_applies_the_transform_to_path_points():
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><g transform="matrix(2,0,0,-100,10,90)">'
           b'<path vector-effect="non-scaling-stroke" d="M0,0 L10,0.5 C1,0.1 2,0.2 3,0.3 Z"/>'
           b'<polyline vector-effect="non-scaling-stroke" points="1,0 2,0.1"/>'
           b'<text x="1" y="2">a</text></g></svg>')
    root = ET.fromstring(svg_flatten.flatten(svg, (300, 300)))
    ns = {"s": svg_flatten.SVG}
    assert root.find("s:g", ns).get("transform") is None
    assert root.find("s:g/s:path", ns).get("d") == "M 10,90 L 30,40 C 12,80 14,70 16,60 Z"
    assert root.find("s:g/s:polyline", ns).get("points") == "12,90 14,80"
    assert root.find("s:g/s:text", ns).get("transform") == "matrix(2,0,0,-100,10,90)"  # text keeps its scaling
    assert (root.get("width"), root.get("height")) == ("300", "300")


def test_flatten_drops_empty_paths():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><g><path d=""/><path d="M0,0 L1,1"/></g></svg>'
    g = ET.fromstring(svg_flatten.flatten(svg)).find(f"{{{svg_flatten.SVG}}}g")
    assert [p.get("d") for p in g] == ["M0,0 L1,1"]  # no transform: the path is kept as Qt wrote it


def test_flatten_leaves_a_group_it_cannot_read_as_it_was():
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg"><g transform="matrix(2,0,0,2,0,0)">'
           b'<path vector-effect="non-scaling-stroke" d="M0,0 l1,1"/></g></svg>')
    root = ET.fromstring(svg_flatten.flatten(svg))
    g = root.find(f"{{{svg_flatten.SVG}}}g")
    assert g.get("transform") == "matrix(2,0,0,2,0,0)"
    assert g[0].get("vector-effect") == "non-scaling-stroke" and g[0].get("d") == "M0,0 l1,1"


# ------------------------------------------------------------------ PNG at two widths

def test_png_lines_and_text_grow_with_the_width(loss):
    small = pixels(export.plot_png_bytes(loss, 600))
    big = pixels(export.plot_png_bytes(loss, 1800))
    assert (small.shape[1], big.shape[1]) == (600, 1800)
    line_ratio = stroke_thickness(coverage(big, TRAIN)) / stroke_thickness(coverage(small, TRAIN))
    assert 2.2 < line_ratio < 4  # 3x the width: 3x thicker lines (was 1 px in both)
    # text: the legend's first label (the only ink in the legend row's left part) is 3x taller
    heights = []
    for rgb in (small, big):
        h, w, _ = rgb.shape
        corner = rgb[int(h * 0.93):, int(w * 0.05): int(w * 0.3)]
        rows = np.flatnonzero((corner.sum(axis=2) < 500).any(axis=1))  # grey text, antialiased when small
        heights.append(rows[-1] - rows[0] + 1)
    assert 2.5 < heights[1] / heights[0] < 3.5, heights
