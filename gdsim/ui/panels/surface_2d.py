"""The loss over a plane through parameter space: a heatmap with contours, the descent path drawn on it.

A passive view: the worker computes the grid (``gdsim.lab.surfaces.compute``) and calls ``show_surface``; between
grids ``show_snapshot`` only re-projects the newest path onto the grid it has (``surfaces.path_on_grid``).
The optimizer X-ray's arrows (−η·g, velocity, Δθ) at the snapshot's point come from its ``xray_history`` and
are projected the same way, so they follow each step and the history scrubber.
The controls describe the surface the user wants and leave as a ``SurfaceSpec`` on ``sigSpecChanged``.
Colours use fixed levels per grid, clipped at a high quantile so a few huge losses do not wash out the valley.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from gdsim.engine import contours
from gdsim.lab import surfaces, xray
from gdsim.lab.surfaces import SurfaceGrid, SurfaceSpec
from gdsim.ui.plotting import palette
from gdsim.ui.plotting.items import (
    EXTRA_COLOURS,
    ExtraPaths,
    PathItems,
    cache_axes,
    export_menu_plot,
    note_label,
    param_combo,
    set_combo_items,
)
from gdsim.ui.plotting.xray_arrows import XrayArrows
from gdsim.ui.widgets.flow_layout import FlowLayout

COLORMAP = palette.SURFACE_COLORMAP
CONTOUR_PEN = pg.mkPen((255, 255, 255, 110), width=1)  # 1 px: long curves stay cheap to stroke
PLANES = (("two parameters", "axes"), ("random directions", "random"), ("PCA of the path", "pca"))
RECENT = 64  # the path's last steps get dots (the exact recent steps of a snapshot)
EXACT_TIP = ("Exact: train only these two parameters and keep every other one fixed at its start value.\n"
             "The surface then no longer changes during training: the path lies exactly on it.\n"
             "Click the heatmap to start training from that point.")


class Surface2D(QtWidgets.QWidget):
    """Heatmap + contours + path; emits ``sigSpecChanged(SurfaceSpec)`` and, in exact mode, the clicked start."""

    sigSpecChanged = QtCore.Signal(object)
    sigStartPointChosen = QtCore.Signal(float, float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.function_start = False  # a two-parameter function is shown: its surface is exact without the box
        self._grid: SurfaceGrid | None = None
        self._names: tuple[str, ...] = ()
        self._indices = (0, 1)
        self._user_range = False
        self._shown_rect: tuple | None = None
        self._path_coords = np.empty((0, 2))  # the drawn path in grid coordinates, and its steps (CSV export)
        self._path_steps = np.empty(0)

        self.plane_combo = QtWidgets.QComboBox()
        for text, plane in PLANES:
            self.plane_combo.addItem(text, plane)
        self.plane_combo.setToolTip("two parameters: a slice along two weights · random directions: "
                                    "filter-normalised (Li et al. 2018) · PCA: the plane the path moves in most")
        self.p1_combo = param_combo("the parameter on the horizontal axis (type to search)")
        self.p2_combo = param_combo("the parameter on the vertical axis (type to search)")
        self.exact_check = QtWidgets.QCheckBox("Exact")  # short: the controls fit two rows in a narrow dock
        self.exact_check.setToolTip(EXACT_TIP)
        self.log_check = QtWidgets.QCheckBox("log colours")
        self.log_check.setToolTip("colour by log₁₀ of the loss: shows the shape of the valley floor")
        self.equal_check = QtWidgets.QCheckBox("1:1")
        self.equal_check.setChecked(True)
        self.equal_check.setToolTip("equal scales on both axes: the gradient then crosses the contours at right "
                                    "angles, so a zig-zag across a narrow valley looks like one")
        self.res_spin = QtWidgets.QSpinBox()
        self.res_spin.setRange(25, 201)
        self.res_spin.setSingleStep(10)
        self.res_spin.setValue(101)
        self.res_spin.setKeyboardTracking(False)
        self.res_spin.setPrefix("grid ")
        self.res_spin.setToolTip("grid points per axis (the loss is evaluated at every one)")

        self.plot = export_menu_plot("surface2dPlot")
        pi = self.plot.getPlotItem()
        self._image = pg.ImageItem(axisOrder="col-major")
        self._image.setZValue(-20)
        pi.addItem(self._image)
        self._bar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=pg.colormap.get(COLORMAP), interactive=False,
                                    width=12)
        self._bar.setImageItem(self._image, insert_in=pi)
        self._bar.axis.enableAutoSIPrefix(False)  # "(x0.001)" beside a loss helps nobody
        self._contours = pg.PlotCurveItem(pen=CONTOUR_PEN, connect="pairs")
        self._contours.setZValue(-10)
        pi.addItem(self._contours)
        self._path = PathItems(pi)
        self._extra = ExtraPaths(pi)
        self.arrows = XrayArrows(pi)
        self._snapshot = None  # the last one shown: its arrows are redrawn on a new grid
        pi.setAspectLocked(True)
        cache_axes(pi)
        pi.vb.sigRangeChangedManually.connect(self._on_user_range)
        pi.autoBtn.clicked.connect(self._on_auto_button)
        self.plot.scene().sigMouseClicked.connect(self._on_scene_clicked)
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)

        self.note = note_label()
        self.readout = QtWidgets.QLabel()
        self.readout.setStyleSheet("color: #333; font-size: 8pt;")
        self.key = QtWidgets.QLabel()  # the X-ray arrows' legend, under the plot: never over the path
        self.key.setObjectName("surface2dKey")
        self.key.setWordWrap(True)
        self.key.setStyleSheet("font-size: 8pt; color: #eee; background: rgb(25, 25, 35); padding: 1px 4px;")
        self.key.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.key.hide()
        controls = QtWidgets.QWidget()
        flow = FlowLayout(controls)  # in a narrow dock the controls wrap onto a second row, never clipped
        for w in (self.plane_combo, self.p1_combo, self.p2_combo, self.exact_check, self.log_check,
                  self.equal_check, self.res_spin):
            flow.addWidget(w)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(3)
        layout.addWidget(controls)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.key)
        layout.addWidget(self.note)
        layout.addWidget(self.readout)

        self.plane_combo.currentIndexChanged.connect(self._on_plane)
        self.p1_combo.currentIndexChanged.connect(lambda i: self._on_param(0, i))
        self.p2_combo.currentIndexChanged.connect(lambda i: self._on_param(1, i))
        self.exact_check.toggled.connect(self._on_exact)
        self.res_spin.valueChanged.connect(self._emit_spec)
        self.log_check.toggled.connect(self._draw_image)
        self.equal_check.toggled.connect(pi.setAspectLocked)
        self._sync_enabled()

    # ------------------------------------------------------------------ public API

    def spec(self) -> SurfaceSpec:
        plane = self.plane_combo.currentData()
        return SurfaceSpec(kind="2d", plane=plane, indices=self._indices, resolution=self.res_spin.value(),
                           exact=self.exact_check.isChecked() and plane == "axes")

    def set_param_names(self, names) -> None:
        """The network's parameter names (a new network): keeps the chosen pair when it still exists."""
        self._names = tuple(names)
        n = len(self._names)
        i, j = self._indices
        if not (i < n and j < n and i != j):
            i, j = 0, min(1, max(0, n - 1))
        self._indices = (i, j)
        set_combo_items(self.p1_combo, self._names, i)
        set_combo_items(self.p2_combo, self._names, j)

    def set_parameters(self, i: int, j: int) -> None:
        """Show parameters i and j (e.g. picked elsewhere) on the 'two parameters' plane and ask for that surface."""
        if i == j or not (0 <= i < len(self._names) and 0 <= j < len(self._names)):
            return
        self._indices = (int(i), int(j))
        set_combo_items(self.p1_combo, self._names, i)
        set_combo_items(self.p2_combo, self._names, j)
        self.plane_combo.blockSignals(True)
        self.plane_combo.setCurrentIndex(0)
        self.plane_combo.blockSignals(False)
        self._sync_enabled()
        self._emit_spec()

    def set_parameter(self, index: int) -> None:
        """Put parameter ``index`` on the horizontal axis (the network graph's click)."""
        i, j = self._indices
        self.set_parameters(index, i if index == j else j)

    def show_surface(self, grid: SurfaceGrid) -> None:
        if not grid.is_2d:
            return
        self._grid = grid
        self._draw_image()
        ox, oy = grid.offsets
        segs = [s for _, s in grid.contours if len(s)]
        segs = np.concatenate(segs) + (ox, oy) if segs else np.empty((0, 2, 2))
        self._contours.setData(*contours.connect_pairs(segs))
        pi = self.plot.getPlotItem()
        pi.setLabel("bottom", grid.labels[0])
        pi.setLabel("left", grid.labels[1])
        self.note.setText(grid.note)
        self._draw_path(grid.path, grid.path_steps)
        self._draw_arrows()
        rect = (grid.alphas[0] + ox, grid.alphas[-1] + ox, grid.betas[0] + oy, grid.betas[-1] + oy)
        if rect != self._shown_rect and not self._user_range:
            pi.vb.setRange(xRange=rect[:2], yRange=rect[2:], padding=0)
        self._shown_rect = rect
        exact = self._start_clickable()
        self.plot.setCursor(QtCore.Qt.CursorShape.CrossCursor if exact else QtCore.Qt.CursorShape.ArrowCursor)
        self.plot.setToolTip("click to start training from here" if exact else "")

    def _start_clickable(self) -> bool:
        """A click picks the start in exact mode, and on a two-parameter function's own axes (always exact)."""
        spec = None if self._grid is None else self._grid.spec
        return spec is not None and (spec.exact or (self.function_start and spec.plane == "axes"))

    def show_snapshot(self, s) -> None:
        """Redraw the path up to this snapshot on the grid there is (cheap: a projection)."""
        g = self._grid
        params = np.asarray(s.params)
        self._snapshot = s  # a grid that comes after it still gets its arrows
        if g is None or params.size != g.center.size:
            return
        traj = np.asarray(s.trajectory).reshape(-1, params.size)
        steps = np.asarray(s.trajectory_steps, dtype=np.float64).reshape(-1)
        if not len(traj) or not np.array_equal(traj[-1], params):
            traj, steps = np.vstack([traj, params[None]]), np.append(steps, s.step)
        self._draw_path(surfaces.path_on_grid(g, traj), steps)
        self._draw_arrows()

    def show_paths(self, paths) -> None:
        """Extra labelled paths [(label, colour, (T, 2) grid coordinates as from path_on_grid)], e.g. races.
        Each run's last update (its last two points: the trajectory keeps the last steps exactly) is an arrow."""
        paths = list(paths)
        ox, oy = self._grid.offsets if self._grid is not None else (0.0, 0.0)
        self._extra.show(paths, (ox, oy))
        runs = []
        for k, (_label, colour, coords) in enumerate(paths):
            c = np.asarray(coords, dtype=np.float64).reshape(-1, 2) + (ox, oy)
            if len(c) >= 2:
                runs.append((colour if colour is not None else EXTRA_COLOURS[k % len(EXTRA_COLOURS)], c[-2], c[-1]))
        self.arrows.show_race(runs)

    def show_message(self, text: str) -> None:
        """Why there is no (new) surface yet, e.g. a PCA plane before the path has three points."""
        self.note.setText(text)

    def clear(self) -> None:
        self._grid = None
        self._image.clear()
        self._contours.setData([], [])
        self._path.clear()
        self._path_coords, self._path_steps = np.empty((0, 2)), np.empty(0)
        self._extra.show([])
        self._snapshot = None
        self.arrows.show(None, None)
        self._update_key()
        self.arrows.show_race([])
        self._shown_rect = None
        self._user_range = False

    def grid(self) -> SurfaceGrid | None:
        return self._grid

    def image(self) -> np.ndarray | None:
        """The colour values drawn now (tests, export)."""
        return self._image.image

    def export_image(self, path, width: int | None = None) -> None:
        """.png (``width`` px) or .svg of the plot; .csv: the grid, and the drawn path in NAME_path.csv."""
        from gdsim.io import surface_csv, tables
        from gdsim.ui.plotting import figures

        if tables.check_path(path, ("png", "svg", "csv")) != "csv":
            figures.plot_image(self.plot, path, width)
        elif self._grid is None:
            raise ValueError("there is no loss surface to export yet")
        else:
            surface_csv.write(path, self._grid, self._path_coords, self._path_steps)

    # ------------------------------------------------------------------ drawing

    def _draw_image(self, *_) -> None:
        g = self._grid
        if g is None:
            return
        image, levels, label = surfaces.colour_image(g.values, self.log_check.isChecked())
        self._image.setImage(image, levels=levels, autoLevels=False)
        self._bar.setLevels(levels)
        log = self.log_check.isChecked()
        self._bar.axis.setLogMode(False, log)  # log colours: ticks read 10^k as loss values
        self._bar.axis.setLabel(label.replace("log₁₀ ", "").replace("log₁₀", "") + (" (log scale)" if log else ""))
        ox, oy = g.offsets
        xs, ys = g.alphas + ox, g.betas + oy
        dx = (xs[-1] - xs[0]) / max(1, len(xs) - 1)
        dy = (ys[-1] - ys[0]) / max(1, len(ys) - 1)
        # pixel centres on the grid points, so the image spans half a cell beyond them
        self._image.setRect(QtCore.QRectF(xs[0] - dx / 2, ys[0] - dy / 2, dx * len(xs), dy * len(ys)))

    def _draw_path(self, coords: np.ndarray, steps) -> None:
        ox, oy = self._grid.offsets
        c = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
        self._path_coords, self._path_steps = c, np.asarray(steps, dtype=np.float64).reshape(-1)
        self._path.set(c[:, 0] + ox, c[:, 1] + oy, dots_from=max(0, len(c) - RECENT))

    def _draw_arrows(self) -> None:
        """The X-ray arrows recorded for the shown snapshot's step, projected on this grid (none if not recorded)."""
        s, g = self._snapshot, self._grid
        vecs = None if s is None or g is None else xray.at(getattr(s, "xray_history", ()), s.step)
        if vecs is None or vecs.shape[1] != g.center.size or np.size(s.params) != g.center.size:
            self.arrows.show(None, None)
            self._update_key()
            return
        tail, tips = xray.project(g, s.params, vecs)
        ox, oy = g.offsets
        self.arrows.show(tail + (ox, oy), tips + (ox, oy))
        self._update_key()

    def _update_key(self) -> None:
        """The arrows' legend as one line under the plot, in the arrows' colours on the plot's dark ground."""
        parts = [f'<span style="color:rgb{colour}">━━</span> {label}' for label, colour in self.arrows.key()]
        text = " &nbsp; ".join(parts)
        if text != self.key.text():
            self.key.setText(text)
        self.key.setVisible(bool(parts))

    # ------------------------------------------------------------------ controls and mouse

    def _sync_enabled(self) -> None:
        axes = self.plane_combo.currentData() == "axes"
        for w in (self.p1_combo, self.p2_combo, self.exact_check):
            w.setEnabled(axes)

    def _emit_spec(self, *_) -> None:
        self.sigSpecChanged.emit(self.spec())

    def _on_plane(self, _index: int) -> None:
        self._sync_enabled()
        self._emit_spec()

    def _on_param(self, which: int, index: int) -> None:
        if index < 0:
            return
        i, j = self._indices
        if which == 0:
            i, j = index, (i if index == j else j)  # picking the other axis's parameter swaps the two
        else:
            i, j = (j if index == i else i), index
        self._indices = (i, j)
        set_combo_items(self.p1_combo, self._names, i)
        set_combo_items(self.p2_combo, self._names, j)
        self._emit_spec()

    def _on_exact(self, _on: bool) -> None:
        self._emit_spec()

    def _on_user_range(self, *_) -> None:
        self._user_range = True

    def _on_auto_button(self) -> None:
        self._user_range = False
        if self._shown_rect is not None:
            r = self._shown_rect
            self.plot.getPlotItem().vb.setRange(xRange=r[:2], yRange=r[2:], padding=0)

    def _view_point(self, scene_pos) -> tuple[float, float] | None:
        """The (x, y) in plot coordinates under a scene position, if it is on the drawn grid."""
        vb = self.plot.getPlotItem().vb
        if self._grid is None or not vb.sceneBoundingRect().contains(scene_pos):
            return None
        p = vb.mapSceneToView(scene_pos)
        x, y = p.x(), p.y()
        r = self._image.mapRectToParent(self._image.boundingRect())
        return (x, y) if r.contains(QtCore.QPointF(x, y)) else None

    def _on_scene_clicked(self, ev) -> None:
        if ev.button() != QtCore.Qt.MouseButton.LeftButton or not self._start_clickable():
            return
        point = self._view_point(ev.scenePos())
        if point is not None:
            ev.accept()
            self.sigStartPointChosen.emit(float(point[0]), float(point[1]))

    def _on_mouse_moved(self, scene_pos) -> None:
        point = self._view_point(scene_pos)
        g = self._grid
        if point is None:
            self.readout.setText("")
            return
        ox, oy = g.offsets
        i = int(np.abs(g.alphas + ox - point[0]).argmin())
        j = int(np.abs(g.betas + oy - point[1]).argmin())
        self.readout.setText(f"{g.labels[0]} = {point[0]:.3g}, {g.labels[1]} = {point[1]:.3g}: "
                             f"loss {g.values[i, j]:.4g}")
