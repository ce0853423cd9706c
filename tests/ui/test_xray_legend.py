"""The X-ray arrows' legend costs nothing per snapshot: it is not a pyqtgraph LegendItem in the plot (rebuilding
one cost ~5 ms per entry in the GUI thread, the largest single cost of a frame on the spiral preset flat out, and
it covered the path), but a line of text under the plot that changes only when the arrows shown change."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from gdsim.ui.plotting.xray_arrows import XrayArrows


def test_key_changes_with_the_arrows_shown_and_nothing_is_added_to_the_plot(qtbot):
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    arrows = XrayArrows(plot.getPlotItem())
    items = len(plot.scene().items())
    tail = np.array([0.0, 0.0])
    arrows.show(tail, np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    assert [label for label, _ in arrows.key()] == ["plain step −η·g", "velocity (momentum)", "update taken Δθ"]

    arrows.show(tail, np.array([[2.0, 0.0], [0.0, 2.0], [2.0, 2.0]]))  # the next snapshot: same arrows, new tips
    assert len(arrows.key()) == 3
    assert not [i for i in plot.scene().items() if isinstance(i, pg.LegendItem)]
    assert len(plot.scene().items()) == items  # no item made per snapshot

    arrows.show(tail, np.array([[1.0, 0.0], [np.nan, np.nan], [1.0, 0.0]]))  # plain SGD: no velocity, Δθ = −η·g
    assert [label for label, _ in arrows.key()] == ["plain step −η·g", "update taken Δθ"]
    assert arrows.arrows["plain_step"].text.toPlainText() == "Δθ = −η·g"  # both end together: one label

    arrows.show(tail, None)
    assert arrows.key() == []


def test_the_surface_key_text_is_set_only_when_it_changes(qtbot):
    from gdsim.ui.panels.surface_2d import Surface2D

    panel = Surface2D()
    qtbot.addWidget(panel)
    tail = np.array([0.0, 0.0])
    panel.arrows.show(tail, np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    panel._update_key()
    text = panel.key.text()
    changes = []
    panel.key.setText = lambda t: changes.append(t)  # the snapshots that follow must not reset it
    panel.arrows.show(tail, np.array([[2.0, 0.0], [0.0, 2.0], [2.0, 2.0]]))
    panel._update_key()
    assert changes == [] and "update taken Δθ" in text and "velocity" in text
