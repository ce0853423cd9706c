"""A thumbnail of the data set under the Problem form: what the network will have to learn, at a glance."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from gdsim.lab.snapshot import DRAWN_POINTS
from gdsim.ui.panels.output_view import class_colours


class DataPreview(pg.PlotWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("dataPreview")
        self.setFixedHeight(120)
        self.setMouseEnabled(False, False)
        self.setMenuEnabled(False)
        pi = self.getPlotItem()
        for axis in ("left", "bottom"):
            pi.hideAxis(axis)
        pi.hideButtons()
        self._points = pg.ScatterPlotItem(size=4, pen=None)
        pi.addItem(self._points)
        self._note = pg.TextItem("", color=(110, 110, 110), anchor=(0.5, 0.5))
        pi.addItem(self._note)

    def set_data(self, data) -> None:
        """Train points: coloured by class for classification, y against x for one-feature regression."""
        self._note.setText("")
        if data is None:
            self._points.setData([], [])
            self._note.setText("function mode: no data")
            self._note.setPos(0, 0)
            return
        X, y = np.asarray(data.X_train[:DRAWN_POINTS]), np.asarray(data.y_train[:DRAWN_POINTS])
        if data.task == "classification" and data.n_features >= 2:
            colours, _ = class_colours(data.n_classes)
            # one brush per class, shared by its points: pyqtgraph renders a symbol once per distinct brush
            # object, so a brush per point took seconds on a 200k-row CSV
            brushes = np.array([pg.mkBrush(c) for c in colours], dtype=object)
            self._points.setData(X[:, 0], X[:, 1], brush=list(brushes[y.ravel().astype(int) % len(colours)]))
        elif data.n_features == 1:
            self._points.setData(X[:, 0], y.reshape(len(y), -1)[:, 0], brush=pg.mkBrush(31, 100, 180))
        else:
            self._points.setData([], [])
            self._note.setText(f"{data.n_features} features → {', '.join(data.target_names)}")
            self._note.setPos(0, 0)
        self.getPlotItem().enableAutoRange()
