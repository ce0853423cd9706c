"""The menu bar. Every entry calls a public method of the window (or of a panel); no logic lives here.

``build_menus`` returns the few actions the window keeps a hand on, instead of setting them on the window.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6 import QtGui, QtWidgets

from gdsim.lab import config as cfgmod


@dataclass(frozen=True)
class MenuActions:
    log_action: QtGui.QAction  # View → Logarithmic loss axis
    gradient_action: QtGui.QAction  # View → Colour edges by gradient (follows the graph's own toggle)


def build_menus(win) -> MenuActions:
    """``win``: the MainWindow, for its public commands, its docks, toolbar and panels."""
    bar = win.menuBar()
    file = bar.addMenu("&File")
    presets = file.addMenu("Open &preset")
    for group, names in cfgmod.presets_in_course_order():  # the course's order, in its groups
        presets.addSection(group)
        for name in names:
            preset = cfgmod.load_preset(name)
            act = presets.addAction(preset.name or name)
            act.setObjectName(f"preset_{name}")
            act.setToolTip(preset.description)
            act.setStatusTip(preset.description)
            act.triggered.connect(lambda _=False, n=name: win.open_preset(n))
    presets.setToolTipsVisible(True)
    file.addAction("Import CSV data…", win.import_csv_dialog)
    file.addSeparator()
    _action(file, "&Open session…", QtGui.QKeySequence.StandardKey.Open,
            lambda: win.file_dialog("session", ("gdsim",), lambda p, _w: win.open_session(p), save=False))
    file.addMenu(win.recent_menu)
    _action(file, "&Save session…", QtGui.QKeySequence.StandardKey.Save,
            lambda: win.file_dialog("session", ("gdsim",), lambda p, _w: win.save_session(p)))
    file.addSeparator()
    for label, ext, key in (("PNG image…", "png", "Ctrl+E"), ("SVG drawing…", "svg", None),
                            ("CSV table…", "csv", None)):
        _action(file, f"Export loss curve as {label}", key, lambda _=False, e=ext: win.export_loss_dialog(e))
    for title, panel in (("loss surface", win.surface2d), ("loss slice", win.surface1d)):
        file.addAction(f"Export {title}…",
                       lambda _=False, t=title, p=panel: win.export_panel_dialog(t, p, ("png", "svg", "csv")))
    file.addAction("Export as PyTorch script…",
                   lambda: win.file_dialog("PyTorch script", ("py",), lambda p, _w: win.export_torch(p)))
    file.addAction("Save window screenshot…", win.screenshot_dialog)
    file.addAction(win.recording.action)  # File → Record… (reads "Stop recording" while it records)
    file.addSeparator()
    _action(file, "&Quit", QtGui.QKeySequence.StandardKey.Quit, win.close)

    train = bar.addMenu("&Train")
    for act in win.toolbar.actions_for_menu():
        train.addAction(act)

    view = bar.addMenu("&View")
    for dock in win.docks.values():
        view.addAction(dock.toggleViewAction())
    view.addSeparator()
    log_axis = view.addAction("Logarithmic loss axis")
    log_axis.setCheckable(True)
    log_axis.setChecked(True)
    log_axis.toggled.connect(win.loss_curve.set_log_y)
    win.loss_curve.sigLogChanged.connect(log_axis.setChecked)  # it goes linear by itself for values ≤ 0
    gradient = view.addAction("Colour edges by gradient")
    gradient.setCheckable(True)
    gradient.toggled.connect(lambda on: win.graph.set_color_mode("gradient" if on else "weight"))
    win.graph.sigColorModeChanged.connect(lambda mode: gradient.setChecked(mode == "gradient"))
    view.addSeparator()
    view.addAction("Reset layout", win.reset_layout)

    lessons_menu(win, bar.addMenu("&Lessons"))

    help_ = bar.addMenu("&Help")
    help_.addAction("Keyboard shortcuts", win.show_shortcuts)
    help_.addAction("About gdsim", win.about)
    return MenuActions(log_axis, gradient)


def lessons_menu(win, menu) -> None:
    """The shipped lessons by title, with how far the student got (rebuilt each time the menu opens)."""
    from gdsim.lab import lessons

    def fill() -> None:
        menu.clear()
        for name in lessons.lesson_names():
            lesson = lessons.load_lesson(name)
            done = len(win.lessons.progress.completed(name))
            mark = f"   ({done}/{len(lesson.steps)}{' ✓' if done == len(lesson.steps) else ''})" if done else ""
            act = menu.addAction(lesson.title.replace("&", "&&") + mark)
            act.setStatusTip(lesson.summary)
            act.triggered.connect(lambda _=False, n=name: win.open_lesson(n))
        menu.addSeparator()
        menu.addAction("Reset progress", lambda: win.lessons.reset_progress(everything=True))

    fill()
    menu.aboutToShow.connect(fill)


def _action(menu: QtWidgets.QMenu, text: str, key, slot) -> QtGui.QAction:
    act = menu.addAction(text)
    if key is not None:
        act.setShortcut(QtGui.QKeySequence(key))
    act.triggered.connect(slot)
    return act
