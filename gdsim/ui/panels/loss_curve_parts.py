"""Pieces of the loss curve that need no plot: tick labels that never overlap, peak-preserving decimation that
always keeps the last row, and grouping η changes that would pile up into one label per cluster."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore


class TidyAxis(pg.AxisItem):
    """An axis whose tick labels never overlap.

    pyqtgraph decides per tick *level* whether labels fit (by their summed size), so on a short log axis the
    2 and 5 labels of one decade can still sit on top of the decade's own label. Here, after pyqtgraph has laid
    them out, a label that would touch one already kept (coarser levels come first) is dropped. On a log axis
    only 1, 2 and 5 × 10^k are labelled at all.
    """

    GAP = 2.0  # pixels kept free between two labels

    def __init__(self, orientation: str):
        super().__init__(orientation)
        self.text_rects: list[QtCore.QRectF] = []  # the labels drawn last, for tests and curious readers

    def logTickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph's name)
        strings = super().logTickStrings(values, scale, spacing)
        m = 10 ** (np.asarray(values, dtype=float) % 1.0)
        keep = np.zeros(len(m), dtype=bool)
        for mantissa in (1, 2, 5, 10):
            keep |= np.isclose(m, mantissa, rtol=0.02)
        if keep.sum() < 2:  # a narrow range (a stuck loss) has no such ticks: label what there is
            return strings
        return [s if k else "" for s, k in zip(strings, keep, strict=True)]

    def generateDrawSpecs(self, p):  # noqa: N802 (pyqtgraph's name)
        specs = super().generateDrawSpecs(p)
        if specs is None:
            return None
        axis_spec, tick_specs, text_specs = specs
        kept: list = []
        for rect, flags, text in text_specs:
            if not text:
                continue
            grown = rect.adjusted(-self.GAP, -self.GAP / 2, self.GAP, self.GAP / 2)
            if not any(grown.intersects(r) for r, _, _ in kept):
                kept.append((rect, flags, text))
        self.text_rects = [QtCore.QRectF(r) for r, _, _ in kept]
        return axis_spec, tick_specs, kept


def peak_rows(rows: np.ndarray, col: int, max_rows: int) -> np.ndarray:
    """At most ``max_rows`` rows: in each of max_rows/2 buckets the rows with the lowest and highest value in
    column ``col`` (so spikes survive), plus the last row. The screen has fewer pixels than that anyway; this
    keeps every frame's work bounded however long the run, and — unlike pyqtgraph's own downsampling, which
    drops the remainder of its last bucket — the drawn curve always ends at the newest step."""
    n = len(rows)
    if n <= max_rows:
        return rows
    buckets = max(1, max_rows // 2)
    size = n // buckets
    body = rows[: size * buckets]
    v = body[:, col].reshape(buckets, size)  # a NaN row is picked as an extreme; the panel drops it later
    base = np.arange(buckets) * size
    lo, hi = base + v.argmin(axis=1), base + v.argmax(axis=1)
    # each bucket's two picks in step order, buckets in order: already sorted, no np.unique needed
    picks = np.append(np.column_stack([np.minimum(lo, hi), np.maximum(lo, hi)]).ravel(), n - 1)
    return rows[picks]


def lr_labels(steps, lrs, min_gap: float) -> list[str]:
    """One label per cluster of η changes closer than ``min_gap`` (in steps): the cluster's last line says
    "η=0.05" for a lone change or "η changed 7× → 0.05" for many; the other lines of a cluster get ''."""
    labels = [""] * len(steps)
    start = 0
    for i in range(len(steps)):
        last = i == len(steps) - 1 or steps[i + 1] - steps[i] >= min_gap
        if last:
            count = i - start + 1
            labels[i] = f"η={lrs[i]:g}" if count == 1 else f"η changed {count}× → {lrs[i]:g}"
            start = i + 1
    return labels
