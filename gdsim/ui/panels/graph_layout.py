"""Where the network graph puts things: neuron and edge geometry, column headers, the fit to the view, hit tests.

Pure functions of sizes and pixels, kept apart from ``gdsim.ui.panels.network_graph`` so the widget holds only
state, items and events.
"""

from __future__ import annotations

from itertools import pairwise
from typing import NamedTuple

import numpy as np
from PySide6 import QtCore, QtGui

from gdsim.engine.network import layout
from gdsim.ui.panels.neuron_lens import MAX_MAP, MIN_MAP

RANGE_SAMPLE = "0.00035 … 0.99"  # a typical colour-scale line under a column (neuron_lens.range_text)
SHORT_ACTIVATIONS = {"sigmoid": "σ", "leaky_relu": "lrelu", "linear": "lin", "softmax": "smax"}


def graph_geometry(sizes: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Neuron centres, edge segments, and the flat index each edge (weight) and neuron (bias, -1: input) shows."""
    columns = [(n - 1) / 2 - np.arange(n, dtype=np.float64) for n in sizes]
    neuron_xy = np.concatenate([np.column_stack([np.full(n, float(c)), columns[c]]) for c, n in enumerate(sizes)])
    segments, params, bias = [], [], [np.full(sizes[0], -1, dtype=np.int64)]
    for c, slot in enumerate(layout(list(sizes)), start=1):
        k = np.arange(slot.n_in * slot.n_out)
        i, j = np.divmod(k, slot.n_out)
        segments.append(np.column_stack([np.full(k.size, c - 1.0), columns[c - 1][i],
                                         np.full(k.size, float(c)), columns[c][j]]))
        params.append(slot.w.start + k)
        bias.append(np.arange(slot.b.start, slot.b.stop, dtype=np.int64))
    return neuron_xy, np.concatenate(segments), np.concatenate(params), np.concatenate(bias)


def header_lines(column: int, sizes: tuple, activations: tuple, compact: int) -> list[str]:
    """A column's header: its name and activation on one line (0), two lines (1), or shortened on two (2)."""
    if column == 0:
        return ["Input"]
    last = column == len(sizes) - 1
    name = "Output" if last else f"Hidden {column}"
    name = ("Out" if last else f"H{column}") if compact == 2 else name
    act = activations[column - 1] if column - 1 < len(activations) else ""
    if not act:
        return [name]
    if compact == 2:  # crowded columns: the short names
        act = SHORT_ACTIVATIONS.get(act, act)
    return [f"{name} · {act}"] if compact == 0 else [name, act]


def nearest_edge(segments: np.ndarray, widths: np.ndarray, pos: QtCore.QPointF, pixel: tuple) -> int | None:
    """Row of the segment nearest ``pos`` within its half width + 2 px (at least 4 px), or None."""
    pw, ph = pixel
    px, py = pos.x() / pw, pos.y() / ph
    ax, ay = segments[:, 0] / pw, segments[:, 1] / ph
    dx, dy = segments[:, 2] / pw - ax, segments[:, 3] / ph - ay
    t = np.clip(((px - ax) * dx + (py - ay) * dy) / np.maximum(dx * dx + dy * dy, 1e-12), 0.0, 1.0)
    dist = np.hypot(ax + t * dx - px, ay + t * dy - py)
    hit = dist <= np.maximum(4.0, widths / 2 + 2)
    if not hit.any():
        return None
    return int(np.flatnonzero(hit)[np.argmin(dist[hit])])



class ColumnFit(NamedTuple):
    """Column texts and sizes in pixels (``dx``, ``dy``: per column / neuron step), and the view's range."""

    lines: list[list[str]]
    widths: list[float]
    dx: float
    dy: float
    diameter: float
    radius: float
    side: float  # neuron map size, 0 without maps
    x_range: tuple[float, float]
    y_range: tuple[float, float]


def fit_columns(w: float, h: float, sizes: tuple, activations: tuple, input_names: list[str],
                metrics: QtGui.QFontMetricsF, lens_layout: bool) -> ColumnFit:
    """The diagram fitted to a w × h px view, with pixel margins for headers and circles and no empty half."""
    n_cols, span = len(sizes) - 1, max(sizes) - 1
    for compact in range(3):  # the widest header style whose neighbours do not overlap
        lines = [header_lines(c, sizes, activations, compact) for c in range(n_cols + 1)]
        widths = [max(metrics.horizontalAdvance(t) for t in ls) + 10 for ls in lines]
        label_w = max((metrics.horizontalAdvance(n) for n in input_names),
                      default=0.0) + 40  # the names left of the input neurons, and the circles
        left, right = max(widths[0] / 2, 16.0, label_w), max(widths[-1] / 2, 16.0)
        if lens_layout:  # the output column's colour scale, centred below it, stays inside the view
            right = max(right, metrics.horizontalAdvance(RANGE_SAMPLE) / 2 + 4)
        dx = (w - left - right) / n_cols
        if all((a + b) / 2 + 6 <= dx for a, b in pairwise(widths)):
            break
    head = max(len(ls) for ls in lines) * metrics.height() + 10
    diameter = min(float(np.clip(0.6 * (h - head - 12) / (span + 1), 6.0, 26.0)), max(6.0, 0.4 * dx))
    radius = diameter / 2
    top, bottom = head + radius + 4, radius + 6
    dy = float(np.clip((h - top - bottom) / span, 1.0, 140.0)) if span else 140.0
    side = 0.0
    if lens_layout:  # maps as big as the rows allow, a line below each column for its colour scale
        side = min(0.8 * dy, 0.4 * dx, MAX_MAP)
        top, bottom = head + side / 2 + 4, side / 2 + 8 + metrics.height()
        dy = float(np.clip((h - top - bottom) / span, 1.0, 140.0)) if span else 140.0
        side = min(side, 0.85 * dy)
        if side >= MIN_MAP:
            radius = side / 2
    extra = max(0.0, h - top - bottom - span * dy) / 2
    y_range = (-span / 2 - (bottom + extra) / dy, span / 2 + (top + extra) / dy)
    return ColumnFit(lines, widths, dx, dy, diameter, radius, side, (-left / dx, n_cols + right / dx), y_range)
