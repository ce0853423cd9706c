"""The loss over training steps: per-step loss, per-epoch train and test loss, η changes and the run's end.

A passive view: ``show_snapshot(s)`` only calls ``setData`` on items created once. Losses span decades, so the
y axis is logarithmic by default; points that log scale cannot show (NaN, ±inf, ≤ 0) are masked out here,
not handed to pyqtgraph, so a diverged run never breaks the axis or the peak downsampling.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from gdsim.io import tables
from gdsim.ui.panels.loss_curve_parts import TidyAxis, lr_labels, peak_rows
from gdsim.ui.plotting import figures
from gdsim.ui.plotting.formatters import number as _num
from gdsim.ui.plotting.items import LegendRow, cache_axes
from gdsim.ui.plotting.palette import STATUS_COLOURS

# One-pixel pens: Qt strokes wider antialiased lines ~30× slower, and the painter holds Python's GIL, so a
# thick live curve would starve the training thread. Emphasis comes from colour instead.
STEP_PEN = pg.mkPen((165, 185, 215), width=1)
TRAIN_PEN = pg.mkPen((20, 80, 170), width=1)
TEST_PEN = pg.mkPen((225, 100, 0), width=1)
LR_PEN = pg.mkPen((90, 90, 90), width=1, style=QtCore.Qt.PenStyle.DashLine)
# the ★ is for convergence only: a stalled run (stuck at chance level, dead units, η decayed) gets an amber ○
STATUS_SYMBOLS = {"converged": "star", "stalled": "o", "diverged": "x"}
SETTING_PEN = pg.mkPen((200, 110, 0), width=1, style=QtCore.Qt.PenStyle.DotLine)
MAX_LR_MARKERS = 100   # a dragged slider can change η hundreds of times; only the last ones are drawn
LR_LABEL_GAP = 110     # pixels: η changes closer than this share one label ("η changed 7× → 0.05")
HOVER_RADIUS = 24      # pixels: how close the mouse must be to a point for the readout


class LossCurve(pg.PlotWidget):
    """Loss against step; ``set_log_y`` switches the y scale (also in the context menu). A log axis cannot show
    values ≤ 0, so when the curve has any the panel switches to a linear axis by itself and says so."""

    sigLogChanged = QtCore.Signal(bool)  # the y scale changed (by the user or by itself): menus follow

    def __init__(self, parent=None):
        super().__init__(parent, axisItems={"left": TidyAxis("left"), "bottom": TidyAxis("bottom")})
        del self.clear  # PlotWidget binds PlotItem.clear (which removes every item) on the instance
        self.setObjectName("lossCurvePlot")
        pi = self.getPlotItem()
        pi.setLabel("bottom", "step")
        pi.setLabel("left", "loss")
        pi.getAxis("left").enableAutoSIPrefix(False)  # an SI scale ("x0.001") garbles log tick labels
        pi.showGrid(x=True, y=True, alpha=0.15)
        # decimated here (peak_rows, to the plot's width): pyqtgraph's auto downsampling drops its last bucket's
        # remainder, so a paused curve ended hundreds of steps short and changed whenever the view did
        pi.setClipToView(True)
        # the range only changes when the data leaves it (see _frame), so the cached axes are reused
        cache_axes(pi)
        pi.vb.disableAutoRange()
        pi.vb.sigRangeChangedManually.connect(self._on_user_range)
        self._user_range = False
        self._frame_data = (np.empty(0), np.empty(0))
        pi.autoBtn.clicked.connect(self._on_auto_button)
        # the legend gets its own row under the axis, so it never covers the data
        self._legend = LegendRow(pi, colCount=3, verSpacing=-6)
        self._steps = pi.plot(name="loss per step", pen=STEP_PEN)
        self._train = pi.plot(name="train loss (epoch)", pen=TRAIN_PEN)
        self._test = pi.plot(name="test loss (epoch)", pen=TEST_PEN)
        self._in_legend = {self._steps, self._train, self._test}  # the legend's entries now
        self._task = "data"
        self._forced_linear = False  # switched to linear by itself because the curve has values ≤ 0
        self._switching = False
        self._status_dot = pi.plot(pen=None, symbol="x", symbolSize=14)
        self._status_line = pg.InfiniteLine(angle=90, movable=False, label="", labelOpts={
            "position": 0.55, "anchors": [(1, 0.5), (1, 0.5)], "fill": (255, 255, 255, 200)})
        pi.addItem(self._status_line, ignoreBounds=True)
        self._status_line.hide()
        self._hover_dot = pi.plot(pen=None, symbol="o", symbolSize=9, symbolBrush=None,
                                  symbolPen=pg.mkPen((20, 20, 20), width=1.5))
        self._lr_lines: list[pg.InfiniteLine] = []
        self._lr_changes: list = []
        self.setting_lines: list[pg.InfiniteLine] = []  # one per live change of the training settings
        pi.vb.sigXRangeChanged.connect(self._label_lr_changes)  # zooming in splits a merged label again
        # the readout lives in the title row, so it never hides data
        pi.setTitle("\u00a0", size="9pt")
        self._readout = pi.titleLabel
        self._hovering = ""
        self._latest = ""  # shown while not hovering: the last step's loss, also in exported figures

        self._log_action = QtGui.QAction("Log scale (y axis)", self, checkable=True)
        self._log_action.toggled.connect(self.set_log_y)
        menu = pi.vb.menu
        menu.insertAction(menu.actions()[0] if menu.actions() else None, self._log_action)
        pi.ctrl.logYCheck.toggled.connect(self._on_log_toggled)  # the built-in menu's log switch too
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)

        self._snap = None
        self._mouse = None  # last scene position of the mouse over the plot
        self._shown: dict[str, np.ndarray] = {}
        self.clear()
        self.set_log_y(True)

    # ------------------------------------------------------------------ public API

    def clear(self) -> None:
        """Forget the run (a new run is starting). Unlike PlotItem.clear, keeps every item."""
        self._snap = None
        self._user_range = False
        if self._forced_linear:  # the next run starts on the usual log axis again
            self._forced_linear = False
            self._label_axis()
            self.set_log_y(True)
        self._redraw()

    def log_y(self) -> bool:
        return self.getPlotItem().ctrl.logYCheck.isChecked()

    def set_log_y(self, on: bool) -> None:
        self.getPlotItem().setLogMode(y=bool(on))  # -> _on_log_toggled via the ctrl checkbox

    def show_snapshot(self, s) -> None:
        self._snap = s
        self._redraw()

    def curve_data(self) -> dict[str, np.ndarray]:
        """The arrays drawn now: the step curve, and epoch rows (NaN where a value is not drawn)."""
        return {k: v.copy() for k, v in self._shown.items()}

    def export_image(self, path, width: int | None = None) -> None:
        """Save the plot as .png (``width`` px, aspect kept), .svg, or the full history as .csv."""
        if tables.check_path(path, ("png", "svg", "csv")) != "csv":
            figures.plot_image(self, path, width)
        else:
            s = self._snap
            tables.write_loss_csv(path, s.step_history if s else None, s.epoch_history if s else None)

    # ------------------------------------------------------------------ drawing

    def _keep(self, y: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.isfinite(y) & (y > 0) if self.log_y() else np.isfinite(y)

    def _redraw(self) -> None:
        s = self._snap
        raw_sh = np.empty((0, 4)) if s is None else np.asarray(s.step_history).reshape(-1, 4)
        raw_eh = np.empty((0, 6)) if s is None else np.asarray(s.epoch_history).reshape(-1, 6)
        switched = self._switch_to_linear_if_needed(raw_sh, raw_eh)
        width = max(200, int(self.getPlotItem().vb.width()))  # two rows per pixel column: every spike shows
        sh, eh = peak_rows(raw_sh, 1, 2 * width), peak_rows(raw_eh, 2, 2 * width)
        keep = self._keep(sh[:, 1]) & np.isfinite(sh[:, 0])
        step_x, step_y = sh[keep, 0], sh[keep, 1]
        # full batch: every step is an epoch and the two curves coincide; draw (and pay for) one of them
        same = len(raw_sh) == len(raw_eh) > 0 and raw_sh[-1, 0] == raw_eh[-1, 1]
        self._steps.setData(*((step_x, step_y) if not same else ([], [])))
        self._show_in_legend(self._steps, "loss per step", not same)

        ex, train, test = eh[:, 1], eh[:, 2], eh[:, 3]
        k_train, k_test = self._keep(train), self._keep(test)
        self._train.setData(ex[k_train], train[k_train])
        self._test.setData(ex[k_test], test[k_test])
        self._show_in_legend(self._test, "test loss (epoch)", bool(np.any(np.isfinite(test))))
        self._name_for_task("function" if s is not None and s.task == "function" else "data")

        rows = k_train | k_test
        self._shown = {"step": step_x, "loss": step_y, "epoch": eh[rows, 0], "epoch_step": ex[rows],
                       "train_loss": np.where(k_train, train, np.nan)[rows],
                       "test_loss": np.where(k_test, test, np.nan)[rows]}
        self._draw_lr_changes(() if s is None else s.lr_changes)
        self._draw_setting_changes(() if s is None else getattr(s, "setting_changes", ()))
        self._draw_status(s, sh, keep)
        self._frame(np.concatenate([step_x, ex[k_train], ex[k_test]]),
                    np.concatenate([step_y, train[k_train], test[k_test]]), force=switched)
        self._latest = "press Step (S) or Run (Space) to train" if s is None or not len(sh) else (
            f"last: step {int(sh[-1, 0])} · {'f' if s.task == 'function' else 'loss'} {_num(sh[-1, 1])} · "
            f"η={s.current_lr:g}")
        self._on_mouse_moved(self._mouse)  # keep a live readout under a still mouse

    def _switch_to_linear_if_needed(self, sh: np.ndarray, eh: np.ndarray) -> bool:
        """A log axis would hide values ≤ 0 (a function like x² + 3·sin(y) goes negative): go linear instead,
        and say so in the axis label, which exported figures carry too. True when it switched now."""
        if not self.log_y() or self._switching:
            return False
        with np.errstate(invalid="ignore"):
            if not (np.any(sh[:, 1] <= 0) or np.any(eh[:, 2:4] <= 0)):
                return False
        self._forced_linear = True
        self._switching = True
        try:
            self.set_log_y(False)
        finally:
            self._switching = False
        self._label_axis()
        return True

    def forced_linear(self) -> bool:
        """True while the axis is linear because the curve has values a log axis cannot show."""
        return self._forced_linear and not self.log_y()

    def _label_axis(self) -> None:
        name = "f(θ)" if self._task == "function" else "loss"
        note = " (linear axis: values ≤ 0)" if self._forced_linear else ""
        self.getPlotItem().setLabel("left", name + note)

    def _name_for_task(self, task: str) -> None:
        """Function mode minimises f itself: say f, not loss."""
        if task == self._task:
            return
        self._task = task
        fn = task == "function"
        self._label_axis()
        self._show_in_legend(self._train, "", False)
        self._show_in_legend(self._train, "f(θ) per step" if fn else "train loss (epoch)", True)

    def _show_in_legend(self, item, name: str, on: bool) -> None:
        if on != (item in self._in_legend):
            if on:
                self._legend.addItem(item, name)
                self._in_legend.add(item)
            else:
                self._legend.removeItem(item)
                self._in_legend.discard(item)

    def _draw_lr_changes(self, changes) -> None:
        changes = list(changes)[-MAX_LR_MARKERS:]
        while len(self._lr_lines) < len(changes):
            line = pg.InfiniteLine(angle=90, movable=False, pen=LR_PEN, label="", labelOpts={
                "position": 0.93, "anchors": [(0, 0.5), (0, 0.5)], "color": (60, 60, 60)})
            self.getPlotItem().addItem(line, ignoreBounds=True)
            self._lr_lines.append(line)
        self._lr_changes = changes
        self._label_lr_changes()
        for line in self._lr_lines[len(changes):]:
            line.hide()

    def _draw_setting_changes(self, changes) -> None:
        """A dotted line, labelled with what changed, where a training setting other than η changed."""
        changes = list(changes)[-MAX_LR_MARKERS:]
        while len(self.setting_lines) < len(changes):
            line = pg.InfiniteLine(angle=90, movable=False, pen=SETTING_PEN, label="", labelOpts={
                "position": 0.78, "anchors": [(0, 0.5), (0, 0.5)], "color": (120, 60, 0)})
            self.getPlotItem().addItem(line, ignoreBounds=True)
            self.setting_lines.append(line)
        for line, (step, text) in zip(self.setting_lines, changes, strict=False):
            line.show()  # before setFormat: a hidden label ignores new text
            line.setValue(float(step))
            line.label.setFormat(text)
        for line in self.setting_lines[len(changes):]:
            line.hide()

    def _label_lr_changes(self, *_) -> None:
        """Every change gets its line; changes closer than LR_LABEL_GAP pixels share one label."""
        changes = self._lr_changes
        pw = self.getPlotItem().vb.viewPixelSize()[0]
        labels = lr_labels([c[0] for c in changes], [c[1] for c in changes], LR_LABEL_GAP * pw)
        shown = 0
        for line, (step, _), text in zip(self._lr_lines, changes, labels, strict=False):
            line.show()  # before setFormat: a hidden label ignores new text
            line.setValue(float(step))
            line.label.setPosition(0.93 - 0.07 * (shown % 2))  # stagger neighbours
            line.label.setVisible(True)  # before setFormat, as above
            line.label.setFormat(text)
            line.label.setVisible(bool(text))
            shown += bool(text)

    def _draw_status(self, s, sh: np.ndarray, keep: np.ndarray) -> None:
        status = None if s is None else s.status
        if status not in STATUS_COLOURS or not len(sh):
            self._status_line.hide()
            self._status_dot.setData([], [])
            return
        colour = STATUS_COLOURS[status]
        step = float(sh[-1, 0])
        self._status_line.show()  # before setFormat: a hidden label ignores new text
        self._status_line.setPen(pg.mkPen(colour, width=1.5))
        self._status_line.setValue(step)
        self._status_line.label.setColor(colour)
        self._status_line.label.setFormat(f"{status} at step {int(step)}")
        finite = np.flatnonzero(keep)
        if len(finite):
            y = float(sh[finite[-1], 1])
            self._status_dot.setData([step], [y], symbol=STATUS_SYMBOLS[status], symbolBrush=colour,
                                     symbolPen=pg.mkPen(colour, width=2))
        else:
            self._status_dot.setData([], [])

    def _on_user_range(self, *_) -> None:
        self._user_range = True  # the user zoomed or panned: stop framing until a new run or auto

    def _on_auto_button(self) -> None:
        """pyqtgraph's "A" button turned auto-range on; framing here is cheaper and steadier."""
        self.getPlotItem().vb.disableAutoRange()
        self._user_range = False
        self._frame(*self._frame_data, force=True)

    def _frame(self, xs: np.ndarray, ys: np.ndarray, force: bool = False) -> None:
        """Keep the data in view, changing the range only when the data leaves it (with head room), so the
        axes stay still between changes and redraw from their cache."""
        self._frame_data = (xs, ys)
        if self._user_range and not force:
            return
        if not len(xs):
            return
        vb = self.getPlotItem().vb
        (x0, x1), (y0, y1) = vb.viewRange()
        hi_x = max(float(xs.max()), 1.0)
        new_x = x1 if (not force and x0 <= 0 and hi_x <= x1 and x1 <= 4 * hi_x + 10) else _nice_ceil(1.25 * hi_x)
        ly = np.log10(ys) if self.log_y() else ys
        lo, hi = float(np.min(ly)), float(np.max(ly))
        pad = 0.1 * max(hi - lo, 1e-9 if not self.log_y() else 0.2)
        inside = y0 <= lo and hi <= y1 and (y1 - y0) <= 3 * (hi - lo + 2 * pad)
        if inside and not force and new_x == x1:
            return
        if not inside or force:
            y0, y1 = lo - pad, hi + pad
        vb.setRange(xRange=(0, new_x), yRange=(y0, y1), padding=0, update=True)

    def _on_log_toggled(self, on: bool) -> None:
        if self._log_action.isChecked() != on:
            self._log_action.setChecked(on)
        self.sigLogChanged.emit(on)
        if self._switching:
            return  # _redraw is under way and frames the new scale itself
        self._redraw()
        self._frame(*self._frame_data, force=True)

    # ------------------------------------------------------------------ hover readout

    def status_text(self) -> str:
        """The status marker's label ('' when the run has not converged, stalled or diverged)."""
        return self._status_line.label.format if self._status_line.isVisible() else ""

    def readout(self) -> str:
        """The hover readout ('' when the mouse is not near a point)."""
        return self._hovering

    def _set_readout(self, text: str) -> None:
        self._hovering = text
        shown = text or self._latest or "\u00a0"
        self._readout.setText(shown, size="9pt", color=(20, 20, 20) if text else (110, 110, 110))

    def leaveEvent(self, ev) -> None:
        self._on_mouse_moved(None)
        super().leaveEvent(ev)

    def _on_mouse_moved(self, pos) -> None:
        self._mouse = pos
        vb = self.getPlotItem().vb
        hit = self._nearest(vb, pos) if pos is not None and vb.sceneBoundingRect().contains(pos) else None
        if hit is None:
            self._set_readout("")
            self._hover_dot.setData([], [])
            return
        name, x, y, text = hit
        self._hover_dot.setData([x], [y])
        self._set_readout(text)

    def _nearest(self, vb, pos):
        """The drawn point closest to the scene position ``pos`` (in pixels), if within HOVER_RADIUS."""
        p = vb.mapSceneToView(pos)
        pw, ph = vb.viewPixelSize()
        if not (pw > 0 and ph > 0):
            return None
        d = self._shown
        # epoch curves first: on a tie (full batch: step loss = train loss) they say more
        curves = [("train", d.get("epoch_step"), d.get("train_loss")), ("test", d.get("epoch_step"),
                  d.get("test_loss")), ("step", d.get("step"), d.get("loss"))]
        best = None
        for name, xs, ys in curves:
            if xs is None or not len(xs):
                continue
            lo = int(np.searchsorted(xs, p.x() - HOVER_RADIUS * pw))
            hi = int(np.searchsorted(xs, p.x() + HOVER_RADIUS * pw, side="right"))
            if hi - lo > 4000:  # a dense stretch: look only around the nearest x
                mid = int(np.searchsorted(xs, p.x()))
                lo, hi = max(lo, mid - 2000), min(hi, mid + 2000)
            if hi <= lo:
                continue
            yv = ys[lo:hi]
            with np.errstate(all="ignore"):
                yy = np.log10(yv) if self.log_y() else yv
                dist = ((xs[lo:hi] - p.x()) / pw) ** 2 + ((yy - p.y()) / ph) ** 2
            dist = np.where(np.isfinite(dist), dist, np.inf)
            j = int(np.argmin(dist))
            if dist[j] <= HOVER_RADIUS ** 2 and (best is None or dist[j] < best[0]):
                best = (dist[j], name, lo + j)
        if best is None:
            return None
        _, name, i = best
        if name == "step":
            return name, d["step"][i], d["loss"][i], f"step {int(d['step'][i])} · loss {d['loss'][i]:.4g}"
        text = f"epoch {int(d['epoch'][i])} · train {_num(d['train_loss'][i])}"
        if np.isfinite(d["test_loss"]).any():
            text += f" · test {_num(d['test_loss'][i])}"
        y = d["train_loss"][i] if name == "train" else d["test_loss"][i]
        return name, d["epoch_step"][i], y, text


def _nice_ceil(x: float) -> float:
    """The next of 1, 2, 5 × 10^k at or above x: axis ends that read well and change rarely."""
    k = 10 ** np.floor(np.log10(max(x, 1e-12)))
    return float(next(m * k for m in (1, 2, 5, 10) if m * k >= x))
