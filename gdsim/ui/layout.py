"""Where the window's docks go and how much room each gets, for the screen the window starts on.

Wide screens (1600 px and up): Setup on the left, the network graph in the middle, and on the right the loss
curve above the output view and the loss surface side by side. Narrower screens (a 1024-px projector, a
1280×800 laptop) have too little width for three pictures in a row beside the setup column, so there the loss
curve goes under the graph and the output view above the loss surface: four pictures of about the same size,
none squeezed to a sliver.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

LEFT, RIGHT = QtCore.Qt.DockWidgetArea.LeftDockWidgetArea, QtCore.Qt.DockWidgetArea.RightDockWidgetArea
BOTTOM = QtCore.Qt.DockWidgetArea.BottomDockWidgetArea
H, V = QtCore.Qt.Orientation.Horizontal, QtCore.Qt.Orientation.Vertical
PANEL_MIN = QtCore.QSize(170, 130)  # the panels' own minimums would make the window wider than a 1024-px screen
NARROW = 1600  # a window narrower than this (1024, 1280, 1366, 1440 px) gets the two-column arrangement
# short tab texts, so that the four tabs under the loss surface fit its width unelided (the View menu keeps
# the full names)
TAB_TITLES = {"Loss slice": "Slice", "3D surface": "3D"}
GROUPS = {"Loss": ("Compare", "η sweep", "Sharpness"), "Loss surface": ("Loss slice", "3D surface", "Gradient flow")}


def make_dock(win, title: str, widget: QtWidgets.QWidget, area) -> QtWidgets.QDockWidget:
    """A closable, movable dock ``win.docks[title]``; its visibility is tracked in ``win.dock_shown``."""
    dock = QtWidgets.QDockWidget(TAB_TITLES.get(title, title), win)
    dock.toggleViewAction().setText(title)
    dock.setObjectName(title.lower().replace(" ", "_") + "Dock")
    dock.setWidget(widget)
    if title != "Setup":
        widget.setMinimumSize(PANEL_MIN)
    dock.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
                     | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetFloatable
                     | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetClosable)
    win.addDockWidget(area, dock)
    win.docks[title] = dock
    win.dock_shown[title] = False
    dock.visibilityChanged.connect(lambda visible, t=title: win.dock_shown.__setitem__(t, visible))
    return dock


def arrange_docks(win, panels: dict[str, QtWidgets.QWidget]) -> None:
    """Make the docks (Setup, Backprop and Lesson as tabs on the left; the rest on the right) in the wide
    arrangement. ``panels``: title → widget, in the order the docks are made."""
    win.narrow = False
    # the bottom area sits under the graph only, between the side columns (used by the narrow arrangement)
    win.setCorner(QtCore.Qt.Corner.BottomLeftCorner, LEFT)
    win.setCorner(QtCore.Qt.Corner.BottomRightCorner, RIGHT)
    for title, panel in panels.items():
        make_dock(win, title, panel, LEFT if title in ("Setup", "Backprop", "Lesson") else RIGHT)
    win.tabifyDockWidget(win.docks["Setup"], win.docks["Backprop"])
    win.tabifyDockWidget(win.docks["Setup"], win.docks["Lesson"])
    place_wide(win)


def place_wide(win) -> None:
    """The loss curve (with the comparisons) above the output view and the loss surface side by side (the
    slice, 3D and gradient flow as tabs behind it)."""
    d = win.docks
    win.addDockWidget(RIGHT, d["Loss"])
    win.addDockWidget(RIGHT, d["Output"])
    win.splitDockWidget(d["Loss"], d["Output"], V)
    win.addDockWidget(RIGHT, d["Loss surface"])
    win.splitDockWidget(d["Output"], d["Loss surface"], H)
    _tab_groups(win)
    win.narrow = False


def place_narrow(win) -> None:
    """The loss curve under the graph; the output view above the loss surface in the right column."""
    d = win.docks
    win.addDockWidget(BOTTOM, d["Loss"])
    win.addDockWidget(RIGHT, d["Output"])
    win.addDockWidget(RIGHT, d["Loss surface"])
    win.splitDockWidget(d["Output"], d["Loss surface"], V)
    _tab_groups(win)
    win.narrow = True


def _tab_groups(win) -> None:
    for first, others in GROUPS.items():
        for title in others:
            win.tabifyDockWidget(win.docks[first], win.docks[title])
    for title in ("Setup", "Loss", "Loss surface"):
        win.docks[title].raise_()


def fit_to_screen(win, free: QtCore.QRect) -> None:
    """Size the window to the screen's free area (so the status bar shows), pick the arrangement for that
    width, and give the room to the pictures."""
    width, height = min(free.width(), 1920), min(free.height(), 1200)
    title = win.style().pixelMetric(QtWidgets.QStyle.PixelMetric.PM_TitleBarHeight)
    narrow = width < NARROW
    if narrow != win.narrow:  # first, so the window's minimum size is the new arrangement's
        (place_narrow if narrow else place_wide)(win)
        win.layout().activate()
    win.resize(width, height - title)  # corrected by the real frame once shown (fit_frame)
    win.move(free.topLeft())
    if win.isVisible():
        QtCore.QTimer.singleShot(0, lambda: share_room(win))  # once the new size has arrived
    else:
        share_room(win)


def share_room(win) -> None:
    """The setup column as wide as its form needs (a fifth of the window at most, unless the form needs more);
    the rest to the pictures, the graph modest."""
    width, height = win.width(), win.height()
    d = win.docks
    setup = max(d["Setup"].minimumSizeHint().width(), min(380, width // 5))
    if win.narrow:
        column = (width - setup) // 2
        win.resizeDocks([d["Setup"], d["Output"]], [setup, column], H)
        win.resizeDocks([d["Loss"]], [height * 2 // 5], V)
        win.resizeDocks([d["Output"], d["Loss surface"]], [height * 2 // 5, height * 3 // 5], V)
        return
    pictures = int((width - setup) * 0.68)
    win.resizeDocks([d["Setup"], d["Loss"]], [setup, pictures], H)
    win.resizeDocks([d["Output"], d["Loss surface"]], [pictures // 2] * 2, H)
    win.resizeDocks([d["Loss"], d["Output"]], [height * 2 // 5, height * 3 // 5], V)


def fit_frame(win) -> None:
    """Keep the whole frame (title bar included) inside the free area, so the status bar is on screen."""
    screen = win.screen()
    if screen is None or win.isMaximized() or win.isFullScreen():
        return
    free, frame, inner = screen.availableGeometry(), win.frameGeometry(), win.geometry()
    extra_w, extra_h = frame.width() - inner.width(), frame.height() - inner.height()
    win.resize(min(win.width(), free.width() - extra_w), min(win.height(), free.height() - extra_h))
    win.move(free.topLeft())
