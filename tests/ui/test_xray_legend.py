"""The X-ray arrows' legend is built once per set of arrows shown, not once per snapshot: rebuilding it cost
~5 ms per entry in the GUI thread, the largest single cost of a frame on the spiral preset flat out."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from gdsim.ui.plotting.xray_arrows import XrayArrows


def legend_labels(arrows: XrayArrows) -> list[str]:
    return [label.text for _, label in arrows.legend.items]


def test_legend_entries_survive_new_tips_and_change_with_the_arrows_shown(qtbot):
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    arrows = XrayArrows(plot.getPlotItem())
    tail = np.array([0.0, 0.0])
    arrows.show(tail, np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    first = [item for item, _ in arrows.legend.items]
    assert len(first) == 3 and arrows.legend.isVisible()

    arrows.show(tail, np.array([[2.0, 0.0], [0.0, 2.0], [2.0, 2.0]]))  # the next snapshot: same arrows, new tips
    assert [item for item, _ in arrows.legend.items] == first

    arrows.show(tail, np.array([[1.0, 0.0], [np.nan, np.nan], [1.0, 0.0]]))  # plain SGD: no velocity, Δθ = −η·g
    assert len(legend_labels(arrows)) == 2
    assert arrows.arrows["plain_step"].text.toPlainText() == "Δθ = −η·g"  # both end together: one label

    arrows.show(tail, None)
    assert legend_labels(arrows) == [] and not arrows.legend.isVisible()
