"""A loss surface (2D) or slice (1D) as a figure without a window: ``gdsim surface --export x.png``.

Draws the app's own Surface2D/Surface1D panel, hidden, and lets it export itself, so the slide shows what the
app shows. The panels never import this module: it only serves the CLI.
"""

from __future__ import annotations

from gdsim.io.tables import check_path
from gdsim.lab.surfaces import SurfaceGrid
from gdsim.ui.panels.surface_1d import Surface1D
from gdsim.ui.panels.surface_2d import Surface2D
from gdsim.ui.plotting.qt_app import application

FIGURE_SIZE = (900, 700)   # the panel's size when drawn for a figure (its fonts and lines are sized for this)
FIGURE_WIDTH = 1200        # default PNG width


def surface_panel(grid: SurfaceGrid) -> Surface1D | Surface2D:
    """The app's panel for this grid, laid out at FIGURE_SIZE without appearing on any screen."""
    application(headless=True)
    panel = Surface2D() if grid.is_2d else Surface1D()
    panel.resize(*FIGURE_SIZE)
    panel.layout().activate()  # place the plot inside the hidden panel ...
    panel.plot.resizeEvent(None)  # ... and let pyqtgraph lay its scene out at that size (as loss_widget does)
    panel.show_surface(grid)
    return panel


def write(grid: SurfaceGrid, path, width: int = FIGURE_WIDTH) -> None:
    """The surface with its path as .png (``width`` px) or .svg."""
    ext = check_path(path, ("png", "svg"))
    panel = surface_panel(grid)
    try:
        panel.export_image(path, width if ext == "png" else None)
    finally:
        panel.close()
        panel.deleteLater()
