"""Small things every plot panel does the same way."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets


def cache_axes(plot_item: pg.PlotItem) -> None:
    """Draw axes from a cached pixmap until their range changes.

    Text is the costliest thing a plot paints, and Qt's painter holds Python's GIL while it paints, so an axis
    redrawn every frame slows the training thread. Exports draw without the cache (see gdsim.ui.plotting.figures).
    """
    for name in ("left", "bottom", "right", "top"):
        axis = plot_item.getAxis(name)
        if axis is not None:
            axis.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)


def place_inside(label: pg.TextItem, vb: pg.ViewBox, at: QtCore.QPointF, gap: float = 8.0) -> None:
    """Put a hover label beside ``at`` (view coordinates), opening towards the middle of the view box and shifted
    so that all of it lies inside: a readout cut at the panel's edge cannot be read."""
    box = vb.sceneBoundingRect()
    _fit_width(label, box.width() - 2)
    text = label.textItem.boundingRect()
    w, h = text.width(), text.height()  # pixels: a TextItem ignores the view's scaling
    p = vb.mapViewToScene(at)
    x = p.x() - w - gap if p.x() > box.center().x() else p.x() + gap
    y = p.y() + gap if p.y() < box.center().y() else p.y() - h - gap  # scene y grows downwards
    _set_top_left(label, vb, x, y)


def keep_inside(label: pg.TextItem, vb: pg.ViewBox) -> None:
    """Shift a label already placed (any anchor) just enough that all of it lies inside the view box."""
    text = label.textItem.boundingRect()
    p = vb.mapViewToScene(label.pos())
    _set_top_left(label, vb, p.x() - label.anchor[0] * text.width(), p.y() - label.anchor[1] * text.height())


def _fit_width(label: pg.TextItem, width: float) -> None:
    """A readout wider than its panel (a long neuron formula in a small graph) wraps at the panel's width."""
    item = label.textItem
    item.setTextWidth(-1)
    if item.boundingRect().width() > width > 0:
        item.setTextWidth(width)


def _set_top_left(label: pg.TextItem, vb: pg.ViewBox, x: float, y: float) -> None:
    box = vb.sceneBoundingRect()
    _fit_width(label, box.width() - 2)
    text = label.textItem.boundingRect()
    x = min(max(x, box.left() + 1), box.right() - text.width() - 1)
    y = min(max(y, box.top() + 1), box.bottom() - text.height() - 1)
    label.setAnchor((0, 0))
    label.setPos(vb.mapSceneToView(QtCore.QPointF(x, y)))


class LegendRow(pg.LegendItem):
    """A legend in its own row of a PlotItem's grid, under the bottom axis, so it never covers the data.

    pyqtgraph's LegendItem sizes itself with ``setGeometry(0, 0, w, h)``, which parks it in the top-left corner
    until the layout next runs (an exported figure that was never shown would keep it there); here the grid
    is laid out again at once.
    """

    def __init__(self, plot_item: pg.PlotItem, **kwargs) -> None:
        super().__init__(offset=None, labelTextSize="8pt", **kwargs)
        self._grid = plot_item.layout
        self._grid.addItem(self, 5, 1, alignment=QtCore.Qt.AlignmentFlag.AlignHCenter)
        plot_item.legend = self  # plot(name=...) adds its entry here

    def updateSize(self) -> None:  # noqa: N802 (pyqtgraph's name)
        super().updateSize()
        self.updateGeometry()
        grid = getattr(self, "_grid", None)
        if grid is not None:
            grid.invalidate()
            grid.activate()


def replace_export_menu(view, callback) -> None:
    """Give a plot's right-click menu one "Export…" entry that calls ``callback``.

    pyqtgraph's own export dialog offers its SVG exporter, which fails with recent Qt (pyqtgraph #3485);
    ours goes through gdsim.ui.plotting.figures, which renders SVG with QSvgGenerator and writes files atomically.
    """
    from PySide6 import QtGui

    scene = view.scene()
    action = QtGui.QAction("Export…", scene)
    action.triggered.connect(callback)
    scene.contextMenu = [action]
    scene.exportDialog = None


class ExportMenuViewBox(pg.ViewBox):
    """A ViewBox whose right-click menu holds only the scene's entries (our Export…), not pyqtgraph's view
    options: the surface plots manage their own ranges, and the x/y-link and mouse-mode items only confuse."""

    def __init__(self) -> None:
        super().__init__(enableMenu=True)
        self._plain_menu = QtWidgets.QMenu()

    def getMenu(self, ev):  # noqa: N802 (pyqtgraph's name)
        return self._plain_menu


def export_menu_plot(name: str) -> pg.PlotWidget:
    """A PlotWidget whose right-click offers Export… only (see ExportMenuViewBox; the menu's entry is set by
    ``replace_export_menu``)."""
    plot = pg.PlotWidget(viewBox=ExportMenuViewBox())
    plot.setObjectName(name)
    plot.getPlotItem().setMenuEnabled(False, enableViewBoxMenu=None)  # no "Plot Options"; the view box keeps its
    return plot


# ---------------------------------------------------------------------------------------------- paths

PATH_COLOUR = (235, 50, 35)
EXTRA_COLOURS = [(255, 255, 255), (255, 160, 0), (0, 200, 255), (255, 90, 200), (120, 255, 120)]


class PathItems:
    """A descent path: a 2-px line (it is short), small dots on the steps, a hollow start and a filled end.

    PlotDataItems throughout (not ScatterPlotItems) so the path follows the plot's log mode.
    """

    def __init__(self, plot_item: pg.PlotItem, colour=PATH_COLOUR, z: float = 10):
        self.line = pg.PlotDataItem(pen=pg.mkPen(colour, width=2), connect="finite")
        self.dots = pg.PlotDataItem(pen=None, symbol="o", symbolSize=4, symbolBrush=colour, symbolPen=None)
        self.start = pg.PlotDataItem(pen=None, symbol="o", symbolSize=11, symbolBrush=None,
                                     symbolPen=pg.mkPen(colour, width=2))
        self.end = pg.PlotDataItem(pen=None, symbol="o", symbolSize=11, symbolBrush=colour,
                                   symbolPen=pg.mkPen((255, 255, 255, 230), width=1.2))
        for k, item in enumerate(self.items()):
            item.setZValue(z + k)
            plot_item.addItem(item, ignoreBounds=True)

    def set(self, x, y, dots_from: int = 0, start: bool = True) -> None:
        """Draw the path (x, y); dots from index ``dots_from`` on (a long sampled path would be a smear)."""
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        ok = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
        self.line.setData(x, y)
        self.dots.setData(x[dots_from:], y[dots_from:])
        first = ok[:1] if start else ok[:0]
        self.start.setData(x[first], y[first])
        self.end.setData(x[ok[-1:]], y[ok[-1:]])

    def clear(self) -> None:
        for item in self.items():
            item.setData([], [])

    def items(self) -> tuple:
        return self.line, self.dots, self.start, self.end


class ExtraPaths:
    """Labelled extra paths (races, comparisons) with a legend under the plot that exists only while there are
    some (inside the plot it covered the paths it names)."""

    def __init__(self, plot_item: pg.PlotItem, z: float = 20):
        self._plot = plot_item
        self._z = z
        self._items: list[pg.PlotDataItem] = []
        self._legend: LegendRow | None = None

    def show(self, paths, offsets=(0.0, 0.0)) -> None:
        """``paths``: [(label, colour or None, (T, 2) coordinates)], drawn shifted by ``offsets``."""
        for item in self._items:
            self._plot.removeItem(item)  # also takes it out of the legend
        self._items = []
        if paths and self._legend is None:
            self._legend = LegendRow(self._plot, colCount=2, verSpacing=-6)  # under the axis, off the paths
        for k, (label, colour, coords) in enumerate(paths):
            colour = colour if colour is not None else EXTRA_COLOURS[k % len(EXTRA_COLOURS)]
            c = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
            item = pg.PlotDataItem(c[:, 0] + offsets[0], c[:, 1] + offsets[1], pen=pg.mkPen(colour, width=2),
                                   connect="finite", name=str(label), symbol="o", symbolSize=3,
                                   symbolBrush=colour, symbolPen=None)
            item.setZValue(self._z + k)
            self._plot.addItem(item, ignoreBounds=True)
            self._items.append(item)
        if self._legend is not None:
            self._legend.setVisible(bool(paths))

    def items(self) -> list:
        return list(self._items)


# ---------------------------------------------------------------------------------------------- controls

def param_combo(tooltip: str = "") -> QtWidgets.QComboBox:
    """A parameter picker you can type into: "W2" lists every weight of layer 2 (matches anywhere in the name)."""
    from PySide6 import QtCore

    combo = QtWidgets.QComboBox()
    combo.setEditable(True)
    combo.setInsertPolicy(QtWidgets.QComboBox.InsertPolicy.NoInsert)
    combo.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToContents)
    combo.setMinimumContentsLength(7)
    completer = combo.completer()
    assert completer is not None  # an editable combo box always has one
    completer.setFilterMode(QtCore.Qt.MatchFlag.MatchContains)
    completer.setCompletionMode(QtWidgets.QCompleter.CompletionMode.PopupCompletion)
    completer.setCaseSensitivity(QtCore.Qt.CaseSensitivity.CaseInsensitive)
    combo.setToolTip(tooltip)
    return combo


def set_combo_items(combo: QtWidgets.QComboBox, names, index: int) -> None:
    """Replace a combo's items and select ``index`` without emitting its signals."""
    combo.blockSignals(True)
    try:
        if [combo.itemText(i) for i in range(combo.count())] != list(names):
            combo.clear()
            combo.addItems(list(names))
        combo.setCurrentIndex(index if 0 <= index < combo.count() else (0 if combo.count() else -1))
    finally:
        combo.blockSignals(False)


def note_label() -> QtWidgets.QLabel:
    """A small grey one-liner under a plot (what the picture does and does not show)."""
    label = QtWidgets.QLabel()
    label.setWordWrap(True)
    label.setStyleSheet("color: #666; font-size: 8pt;")
    return label
