"""Figures and tables to files: pure functions of (plot item or widget, path, options). Never opens a dialog.

Qt and pyqtgraph are imported lazily so that ``gdsim train --export-loss run.csv`` stays headless. Every write
goes through gdsim.io.atomic: a crash or a full disk never leaves a half-written figure where a good one was.

SVG is rendered through ``QSvgGenerator`` + ``QPainter`` rather than pyqtgraph's ``SVGExporter``, which
raises ``ValueError: not enough values to unpack`` with pyqtgraph 0.14 and recent Qt (pyqtgraph #3485).
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
from collections.abc import Iterable, Sequence

import numpy as np

from gdsim.io.atomic import write_bytes

LOSS_HEADER = ["step", "loss", "grad_norm", "lr", "epoch", "train_loss", "test_loss"]
FIGURE_SIZE = (900, 540)  # the loss curve's size when exported from the command line


# ------------------------------------------------------------------ paths and atomic writes

def check_path(path, allowed: Sequence[str]) -> str:
    """The lower-case extension of ``path`` (without the dot) if it is allowed and its folder exists."""
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    allowed = tuple(a.lower().lstrip(".") for a in allowed)
    if ext not in allowed:
        names = [f".{a}" for a in allowed]
        choice = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        raise ValueError(f"cannot write '{path}': choose a {choice} file")
    if os.path.isdir(path):
        raise ValueError(f"cannot write '{path}': it is a folder")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise ValueError(f"cannot write '{path}': the folder '{parent}' does not exist")
    return ext


def write_png(image, path) -> None:
    """A QImage or QPixmap (a window grab) as a PNG file, written atomically like every other export."""
    from PySide6 import QtCore

    buf = QtCore.QBuffer()
    buf.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    if image.isNull() or not image.save(buf, "PNG"):
        raise OSError(f"could not write {path}: Qt could not encode the PNG image")
    write_bytes(path, bytes(buf.data()))


# ------------------------------------------------------------------ tables

def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    v = float(v)
    if math.isnan(v):
        return ""
    if v.is_integer() and abs(v) < 2**53:
        return str(int(v))
    return repr(v)


def write_csv(path, header: list[str], rows: Iterable[Sequence]) -> None:
    """Plain CSV; numbers in round-trip precision, NaN as an empty cell."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow([_cell(v) for v in row])
    write_bytes(path, buf.getvalue().encode("utf-8"))


def loss_csv_rows(step_history, epoch_history) -> tuple[list[str], list[list]]:
    """One row per recorded step; the epoch columns are filled on the row of the step that ended the epoch.

    A long run keeps only every k-th step, so an epoch may end on a step that was not recorded: it then gets
    a row of its own (with empty step columns) rather than being lost.
    """
    sh = np.asarray(step_history, dtype=np.float64).reshape(-1, 4)
    eh = np.asarray(epoch_history, dtype=np.float64).reshape(-1, 6)
    rows: dict[int, list] = {}
    for step, loss, grad_norm, lr in sh:
        rows[int(step)] = [int(step), loss, grad_norm, lr, None, None, None]
    for epoch, step, train, test, *_ in eh:
        row = rows.setdefault(int(step), [int(step), None, None, None, None, None, None])
        row[4:] = [int(epoch), train, test]
    return list(LOSS_HEADER), [rows[k] for k in sorted(rows)]


# ------------------------------------------------------------------ figures

def _plot_source(item):
    """What to export: a PlotWidget's PlotItem, any other GraphicsView's scene, or the item itself."""
    if hasattr(item, "getPlotItem"):
        return item.getPlotItem()
    from PySide6 import QtWidgets

    if isinstance(item, QtWidgets.QGraphicsView):
        return item.scene()
    return item


@contextlib.contextmanager
def _uncached(source):
    """Items cached as pixmaps on screen (axes) must be drawn afresh: as vectors in SVG, sharp at any width."""
    from PySide6 import QtWidgets

    scene = source if isinstance(source, QtWidgets.QGraphicsScene) else source.scene()
    items = [(i, i.cacheMode()) for i in scene.items() if i.cacheMode() != QtWidgets.QGraphicsItem.CacheMode.NoCache]
    for i, _ in items:
        i.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.NoCache)
    try:
        yield
    finally:
        for i, mode in items:
            i.setCacheMode(mode)


def plot_png_bytes(item, width: int | None = None) -> bytes:
    """PNG bytes of a plot; ``width`` in pixels keeps the aspect ratio (default: its size on screen).

    Drawn from the plot's SVG, so lines, symbols and text grow with the width like the rest of the picture
    (a 3000-px figure for a poster is the on-screen plot enlarged, not the same 1-px lines on a bigger canvas)
    and the PNG shows exactly what the SVG shows.
    """
    from PySide6 import QtCore, QtGui, QtSvg

    svg = plot_svg_bytes(item)
    renderer = QtSvg.QSvgRenderer(QtCore.QByteArray(svg))
    if not renderer.isValid():
        raise OSError("Qt could not read the plot's SVG")
    box = renderer.viewBoxF()
    w = int(width) if width is not None else int(round(box.width()))
    if w < 1:
        raise ValueError(f"the image width must be at least 1 pixel, got {width}")
    h = max(1, int(round(w * box.height() / box.width())))
    image = QtGui.QImage(w, h, QtGui.QImage.Format.Format_ARGB32)
    image.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(image)
    try:
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        painter.setRenderHint(QtGui.QPainter.RenderHint.TextAntialiasing, True)
        renderer.render(painter, QtCore.QRectF(0, 0, w, h))
    finally:
        painter.end()
    buf = QtCore.QBuffer()
    buf.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buf, "PNG"):
        raise OSError("Qt could not encode the PNG image")
    return bytes(buf.data())


def plot_png(item, path, width: int | None = None) -> None:
    write_bytes(path, plot_png_bytes(item, width))


def plot_svg_bytes(item_or_widget, width: int | None = None) -> bytes:
    """SVG of a plot, drawn by QPainter onto a QSvgGenerator (vector paths, text as text).

    The picture is drawn at the plot's size on screen (the viewBox); ``width`` only sets the size a viewer
    shows it at, so everything in it scales together. Qt's scaled cosmetic strokes are then flattened
    (gdsim.ui.plotting.svg_flatten) so that librsvg, ImageMagick and browsers draw the lines as thin as Qt does.
    """
    import pyqtgraph as pg
    from pyqtgraph.exporters import Exporter
    from PySide6 import QtCore, QtGui, QtSvg

    from gdsim.ui.plotting import svg_flatten

    source = _plot_source(item_or_widget)
    ex = Exporter(source)  # the base class knows the source rect and toggles items' export mode
    src = ex.getSourceRect()
    if src.width() <= 0 or src.height() <= 0:
        raise ValueError("cannot export an empty plot (its size is 0)")
    if width is not None and int(width) < 1:
        raise ValueError(f"the image width must be at least 1 pixel, got {width}")
    w = int(width) if width else int(round(src.width()))
    h = max(1, int(round(w * src.height() / src.width())))
    box = QtCore.QRectF(0, 0, src.width(), src.height())
    buf = QtCore.QBuffer()
    buf.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    # SVG Tiny (no clip paths): Qt 6.11's SVG 1.1 mode leaves a finished item's clip on the next items (the
    # title's clip hid the axes in librsvg), so a curve zoomed past the axes is drawn past them
    gen = QtSvg.QSvgGenerator()
    gen.setOutputDevice(buf)
    screen = QtGui.QGuiApplication.primaryScreen()
    # draw at the screen's logical DPI: fonts in points and pyqtgraph's pixel-based items then agree
    gen.setResolution(int(round(screen.logicalDotsPerInch())) if screen else 96)
    gen.setSize(QtCore.QSize(w, h))
    gen.setViewBox(box)
    gen.setTitle("gdsim")
    gen.setDescription("exported by gdsim")
    painter = QtGui.QPainter()
    if not painter.begin(gen):
        raise OSError("Qt could not start the SVG painter")
    try:
        background = pg.getConfigOption("background")
        ex.setExportMode(True, {"antialias": True, "background": background, "painter": painter,
                                "resolutionScale": 1.0})
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        painter.fillRect(box, pg.mkColor(background))
        with _uncached(source):
            ex.getScene().render(painter, box, QtCore.QRectF(src))
    finally:
        ex.setExportMode(False)
        painter.end()
    return svg_flatten.flatten(bytes(buf.data()), (w, h))


def plot_svg(item_or_widget, path, width: int | None = None) -> None:
    write_bytes(path, plot_svg_bytes(item_or_widget, width))


def plot_image(item_or_widget, path, width: int | None = None) -> None:
    """A plot as .png (``width`` px, aspect kept) or .svg, by the file's extension."""
    ext = check_path(path, ("png", "svg"))
    (plot_png if ext == "png" else plot_svg)(item_or_widget, path, width)


# ------------------------------------------------------------------ the command line's loss export

def ensure_app():
    """A QApplication for off-window rendering; picks the offscreen platform when there is no display."""
    env = os.environ
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or env.get("QT_QPA_PLATFORM")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from gdsim.ui.app import application

    return application()


def loss_widget(snapshot, size: tuple[int, int] = FIGURE_SIZE):
    """A LossCurve laid out at ``size`` without ever being shown."""
    ensure_app()
    from gdsim.ui.panels.loss_curve import LossCurve

    w = LossCurve()
    w.resize(*size)
    w.resizeEvent(None)  # lay the hidden widget out at its new size (what pyqtgraph itself does)
    w.show_snapshot(snapshot)
    return w


def loss_history(trainer, path, width: int = 1200) -> None:
    """Write a trainer's loss history as a table (.csv) or a figure (.png, .svg)."""
    ext = check_path(path, ("png", "svg", "csv"))
    if ext == "csv":
        header, rows = loss_csv_rows(trainer.step_history.array(), trainer.epoch_history.array())
        write_csv(path, header, rows)
        return
    from gdsim.lab import snapshot

    w = loss_widget(snapshot.take(trainer))
    try:
        if ext == "png":
            plot_png(w, path, width)
        else:
            plot_svg(w, path)
    finally:
        w.close()
        w.deleteLater()
