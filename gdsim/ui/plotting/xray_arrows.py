"""Arrows of the optimizer X-ray on a 2D loss surface: the plain step −η·g, the velocity, the update Δθ.

Plot items only: the panel hands over tail and tips in plot coordinates (``gdsim.lab.xray.project``). Heads are
pyqtgraph ArrowItems of fixed pixel size, so their angle is worked out on screen and redone when the view
changes (with 1:1 off, an arrow's on-screen direction is not its data direction).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from gdsim.lab.xray import ARROWS

COLOURS = {"plain_step": (255, 255, 255), "velocity": (0, 210, 255), "delta": (255, 80, 220)}
SHORT = {"plain_step": "−η·g", "velocity": "v", "delta": "Δθ"}
WIDTHS = {"plain_step": 5.0, "velocity": 3.5, "delta": 2.0}  # widest first: arrows that coincide all show
Z = 40


class Arrow:
    """A shaft (line) with a head at the tip and a short label; hidden while it has no finite tip."""

    def __init__(self, plot_item: pg.PlotItem, colour, label: str = "", width: float = 2.5, z: float = Z):
        self.vb = plot_item.vb
        self.shaft = pg.PlotDataItem(pen=pg.mkPen(colour, width=width))
        self.head = pg.ArrowItem(pen=pg.mkPen((20, 20, 20), width=0.8), brush=pg.mkBrush(colour), headLen=13,
                                 tipAngle=32, pxMode=True)
        self.text = pg.TextItem(label, color=colour, anchor=(-0.1, 1.0))
        for k, item in enumerate((self.shaft, self.head, self.text)):
            item.setZValue(z + k)
            plot_item.addItem(item, ignoreBounds=True)
        self.tail = self.tip = None
        self.set(None, None)

    def set(self, tail, tip) -> None:
        ok = tail is not None and tip is not None and bool(np.all(np.isfinite(tail)) and np.all(np.isfinite(tip)))
        ok = ok and bool(np.any(np.asarray(tip) != np.asarray(tail)))
        self.tail, self.tip = (np.asarray(tail, float), np.asarray(tip, float)) if ok else (None, None)
        for item in (self.shaft, self.head, self.text):
            item.setVisible(ok)
        if not ok:
            self.shaft.setData([], [])
            return
        self.shaft.setData([self.tail[0], self.tip[0]], [self.tail[1], self.tip[1]])
        self.head.setPos(float(self.tip[0]), float(self.tip[1]))
        self.text.setPos(float(self.tip[0]), float(self.tip[1]))
        self.aim()

    def aim(self) -> None:
        """Point the head along the shaft as drawn on screen (0° points left in pyqtgraph, y grows down)."""
        if self.tip is None:
            return
        a = self.vb.mapViewToScene(pg.Point(*self.tail))
        b = self.vb.mapViewToScene(pg.Point(*self.tip))
        dx, dy = b.x() - a.x(), b.y() - a.y()
        if dx or dy:
            self.head.setStyle(angle=math.degrees(math.atan2(-dy, -dx)))

    def visible(self) -> bool:
        return self.tip is not None


class XrayArrows:
    """The three X-ray arrows at the current point, plus one arrow per race run. Their legend (``key``) is for
    the panel to show outside the plot, where it cannot cover the path."""

    def __init__(self, plot_item: pg.PlotItem):
        self._plot = plot_item
        self.arrows = {key: Arrow(plot_item, COLOURS[key], SHORT[key], WIDTHS[key], Z + 3 * k)
                       for k, (key, _) in enumerate(ARROWS)}
        self.race: list[Arrow] = []
        plot_item.vb.sigTransformChanged.connect(self._aim)

    def show(self, tail, tips) -> None:
        """Arrows from ``tail`` (2,) to ``tips`` (3, 2) in ``ARROWS`` order; None hides them."""
        for k, (key, _) in enumerate(ARROWS):
            self.arrows[key].set(tail, None if tips is None else tips[k])
        shown = [key for key, _ in ARROWS if self.arrows[key].visible()]
        # arrows ending together (plain SGD: Δθ = −η·g; momentum's Δθ = v) share one label
        for key in shown:
            same = [k for k in shown if np.allclose(self.arrows[k].tip, self.arrows[key].tip, rtol=1e-9, atol=0)]
            text = self.arrows[key].text
            text.setVisible(same[-1] == key)
            label = " = ".join(SHORT[k] for k in reversed(same))
            if text.toPlainText() != label:
                text.setText(label)

    def key(self) -> list[tuple[str, tuple[int, int, int]]]:
        """(label, colour) of each arrow shown, in ``ARROWS`` order."""
        return [(label, COLOURS[key]) for key, label in ARROWS if self.arrows[key].visible()]

    def show_race(self, runs) -> None:
        """[(colour, tail (2,), tip (2,))]: each run's last update, in the run's colour."""
        while len(self.race) < len(runs):
            self.race.append(Arrow(self._plot, (255, 255, 255), "", width=2.0, z=Z - 5))
        for k, arrow in enumerate(self.race):
            if k < len(runs):
                colour, tail, tip = runs[k]
                arrow.shaft.setPen(pg.mkPen(colour, width=2.0))
                arrow.head.setStyle(brush=pg.mkBrush(colour))
                arrow.set(tail, tip)
            else:
                arrow.set(None, None)

    def tips(self) -> dict:
        """What is drawn: key -> (tail, tip) in plot coordinates, for the arrows on screen (tests)."""
        return {key: (a.tail, a.tip) for key, a in self.arrows.items() if a.visible()}

    def _aim(self, *_) -> None:
        for arrow in (*self.arrows.values(), *self.race):
            arrow.aim()
