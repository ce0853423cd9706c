"""The loss along one direction through the current point, with the last steps drawn on the curve.

The simplest picture of gradient descent: a curve, a ball on it, and the last few steps as a line with dots,
so a learning rate that is too large shows as a zig-zag from one wall of the valley to the other. Passive:
the worker computes the slice (``gdsim.lab.surfaces``), ``show_snapshot`` only projects the newest steps onto it.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from gdsim.lab import surfaces
from gdsim.lab.surfaces import SurfaceGrid, SurfaceSpec
from gdsim.ui.plotting.items import (
    ExtraPaths,
    PathItems,
    cache_axes,
    export_menu_plot,
    note_label,
    param_combo,
    set_combo_items,
)
from gdsim.ui.widgets.flow_layout import FlowLayout

CURVE_PEN = pg.mkPen((20, 80, 170), width=1)  # 1 px: Qt strokes wide antialiased lines far more slowly
DIRECTIONS = (("one parameter", "axes"), ("random direction", "random"), ("PCA of the path", "pca"))
RESOLUTION = 201  # a 1D slice is cheap: a smooth curve costs 201 forward passes
RECENT_ROWS = 64  # steps drawn from a grid's own path before the first snapshot arrives
Y_QUANTILE = 0.98  # the y range stops here, so a wall shooting up does not flatten the valley
EXACT_TIP = ("Exact: train only this parameter and keep every other one fixed at its start value.\n"
             "The curve then no longer changes during training: the steps lie exactly on it.")


class Surface1D(QtWidgets.QWidget):
    """Loss against one parameter (or direction); emits ``sigSpecChanged(SurfaceSpec)`` when the choice changes."""

    sigSpecChanged = QtCore.Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._grid: SurfaceGrid | None = None
        self._names: tuple[str, ...] = ()
        self._index = 0
        self._recent = np.empty((0, 2))  # the drawn steps in grid coordinates (redrawn on a log switch)
        self._recent_steps = np.empty(0)
        self._user_range = False
        self._asked_for: SurfaceGrid | None = None  # the curve a new range was last asked for (once each)

        self.direction_combo = QtWidgets.QComboBox()
        for text, plane in DIRECTIONS:
            self.direction_combo.addItem(text, plane)
        self.param_combo = param_combo("the parameter to vary (type to search, e.g. W2)")
        self.exact_check = QtWidgets.QCheckBox("Exact")  # short: the tooltip says what it does
        self.exact_check.setToolTip(EXACT_TIP)
        self.log_check = QtWidgets.QCheckBox("log y")
        self.log_check.setToolTip("logarithmic loss axis: shows the valley floor when the walls are steep")

        self.plot = export_menu_plot("surface1dPlot")
        pi = self.plot.getPlotItem()
        pi.showGrid(x=True, y=True, alpha=0.12)
        pi.setLabel("left", "loss")
        pi.getAxis("left").enableAutoSIPrefix(False)
        self._curve = pg.PlotDataItem(pen=CURVE_PEN, connect="finite")
        pi.addItem(self._curve)
        self._path = PathItems(pi)
        self._extra = ExtraPaths(pi)
        cache_axes(pi)
        pi.vb.sigRangeChangedManually.connect(self._on_user_range)
        pi.autoBtn.clicked.connect(self._on_auto_button)

        self.note = note_label()
        controls = QtWidgets.QWidget()
        top = FlowLayout(controls)  # in a narrow dock the controls wrap onto a second row, never clipped
        for w in (self.direction_combo, self.param_combo, self.exact_check, self.log_check):
            top.addWidget(w)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(3)
        layout.addWidget(controls)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.note)

        self.direction_combo.currentIndexChanged.connect(self._on_direction)
        self.param_combo.currentIndexChanged.connect(self._on_param)
        self.exact_check.toggled.connect(self._emit_spec)
        self.log_check.toggled.connect(self.set_log_y)
        self._sync_enabled()

    # ------------------------------------------------------------------ public API

    def spec(self) -> SurfaceSpec:
        plane = self.direction_combo.currentData()
        return SurfaceSpec(kind="1d", plane=plane, indices=(self._index,), resolution=RESOLUTION,
                           exact=self.exact_check.isChecked() and plane == "axes")

    def set_param_names(self, names) -> None:
        """The network's parameter names (a new network): keeps the chosen one when it still exists."""
        self._names = tuple(names)
        if self._index >= len(self._names):
            self._index = 0
        set_combo_items(self.param_combo, self._names, self._index)

    def set_parameter(self, index: int) -> None:
        """Slice along parameter ``index`` (e.g. clicked in the network graph) and ask for that surface."""
        if not 0 <= index < len(self._names):
            return
        self._index = int(index)
        set_combo_items(self.param_combo, self._names, self._index)
        self.direction_combo.blockSignals(True)
        self.direction_combo.setCurrentIndex(0)
        self.direction_combo.blockSignals(False)
        self._sync_enabled()
        self._emit_spec()

    def log_y(self) -> bool:
        return self.log_check.isChecked()

    def set_log_y(self, on: bool) -> None:
        self.log_check.setChecked(bool(on))
        self.plot.getPlotItem().setLogMode(y=bool(on))
        self._draw_curve()
        self._draw_path()

    def show_surface(self, grid: SurfaceGrid) -> None:
        if grid.is_2d:
            return
        self._grid = grid
        pi = self.plot.getPlotItem()
        pi.setLabel("bottom", grid.labels[0])
        pi.setLabel("left", "f" if grid.note.startswith("The exact function") else "loss")
        self.note.setText(grid.note)
        self._draw_curve()
        self._recent = np.asarray(grid.path)[-RECENT_ROWS:]
        self._recent_steps = np.asarray(grid.path_steps)[-RECENT_ROWS:]
        self._draw_path()

    def show_snapshot(self, s) -> None:
        """Draw the last steps (``s.recent``) and the current point on the curve there is."""
        g = self._grid
        params = np.asarray(s.params)
        if g is None or params.size != g.center.size:
            return
        recent = np.asarray(s.recent).reshape(-1, params.size)
        if not len(recent) or not np.array_equal(recent[-1], params):
            recent = np.vstack([recent, params[None]])
        self._recent = surfaces.path_on_grid(g, recent)
        self._follow(self._recent[-1, 0])
        self._recent_steps = np.arange(s.step - len(recent) + 1, s.step + 1, dtype=np.float64)  # the exact last steps
        self._draw_path()

    def _follow(self, alpha: float) -> None:
        """The point left the curve (a diverging step, or a scrubbed step the curve was not cut for): ask once
        per curve for a new one, which the worker frames around the whole path (``gdsim.surfaces``)."""
        g = self._grid
        if g is None or not np.isfinite(alpha) or g.alphas[0] <= alpha <= g.alphas[-1]:
            return
        if self._asked_for is not g:
            self._asked_for = g
            self._emit_spec()

    def show_paths(self, paths) -> None:
        """Extra labelled paths [(label, colour, (T, 2) as (α, loss) from path_on_grid)], e.g. races."""
        self._extra.show(list(paths), (self._grid.offsets[0] if self._grid is not None else 0.0, 0.0))

    def show_message(self, text: str) -> None:
        self.note.setText(text)

    def clear(self) -> None:
        self._grid = None
        self._recent = np.empty((0, 2))
        self._recent_steps = np.empty(0)
        self._curve.setData([], [])
        self._path.clear()
        self._extra.show([])
        self._user_range = False

    def grid(self) -> SurfaceGrid | None:
        return self._grid

    def curve_data(self) -> tuple[np.ndarray, np.ndarray]:
        """The (x, y) of the drawn curve (absolute parameter values on a 'one parameter' slice)."""
        x, y = self._curve.getData()
        return (np.empty(0), np.empty(0)) if x is None else (x, y)

    def export_image(self, path, width: int | None = None) -> None:
        """.png (``width`` px) or .svg of the plot; .csv: the slice, and the drawn steps in NAME_path.csv."""
        from gdsim.io import surface_csv, tables
        from gdsim.ui.plotting import figures

        if tables.check_path(path, ("png", "svg", "csv")) != "csv":
            figures.plot_image(self.plot, path, width)
        elif self._grid is None:
            raise ValueError("there is no loss slice to export yet")
        else:
            surface_csv.write(path, self._grid, self._recent, self._recent_steps)

    # ------------------------------------------------------------------ drawing

    def _y(self, y) -> np.ndarray:
        """Values the y axis can show: NaN for non-finite ones, and for ≤ 0 on a log axis."""
        y = np.asarray(y, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(y) & ((y > 0) if self.log_y() else True)
        return np.where(ok, y, np.nan)

    def _draw_curve(self) -> None:
        g = self._grid
        if g is None:
            return
        x = g.alphas + g.offsets[0]
        y = self._y(g.values)
        self._curve.setData(x, y)
        if self._user_range:
            return
        finite = y[np.isfinite(y)]
        pi = self.plot.getPlotItem()
        pi.vb.setXRange(float(x[0]), float(x[-1]), padding=0.02)
        if finite.size:
            lo, hi = float(finite.min()), float(np.quantile(finite, Y_QUANTILE))
            if self.log_y():
                lo, hi = np.log10(lo), np.log10(hi)
            pad = 0.06 * (hi - lo) if hi > lo else 0.5
            pi.vb.setYRange(lo - pad, hi + pad, padding=0)

    def _draw_path(self) -> None:
        if self._grid is None:
            return
        c = self._recent.reshape(-1, 2)
        self._path.set(c[:, 0] + self._grid.offsets[0], self._y(c[:, 1]), start=False)

    # ------------------------------------------------------------------ controls

    def _sync_enabled(self) -> None:
        axes = self.direction_combo.currentData() == "axes"
        self.param_combo.setEnabled(axes)
        self.exact_check.setEnabled(axes)

    def _emit_spec(self, *_) -> None:
        self.sigSpecChanged.emit(self.spec())

    def _on_direction(self, _index: int) -> None:
        self._sync_enabled()
        self._emit_spec()

    def _on_param(self, index: int) -> None:
        if index >= 0:
            self._index = index
            self._emit_spec()

    def _on_user_range(self, *_) -> None:
        self._user_range = True

    def _on_auto_button(self) -> None:
        self._user_range = False
        self._draw_curve()
