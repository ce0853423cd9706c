"""File → Open preset lists the presets shipped inside the package, each with its description."""

from importlib import resources

from gdsim.lab import config
from gdsim.ui.main_window import MainWindow


def test_open_preset_menu_lists_the_packaged_presets_and_opens_one(qtbot):
    w = MainWindow(config.load_preset("xor").with_changes(training={"epochs": 0}), restore_layout=False)
    qtbot.addWidget(w)
    try:
        file_menu = next(a for a in w.menuBar().actions() if a.text() == "&File").menu()
        presets = next(a for a in file_menu.actions() if a.text() == "Open &preset").menu()
        shipped = sorted(e.name[:-5] for e in (resources.files("gdsim") / "resources" / "presets").iterdir()
                         if e.name.endswith(".toml"))
        assert len(shipped) >= 10
        expected = [(config.load_preset(n).name, config.load_preset(n).description) for n in shipped]
        entries = [a for a in presets.actions() if not a.isSeparator()]  # grouped under section headings
        assert sorted((a.text(), a.toolTip()) for a in entries) == sorted(expected)
        next(a for a in entries if a.objectName() == "preset_rosenbrock").trigger()
        assert w.current_config().problem.dataset == "function:rosenbrock"
    finally:
        w.shutdown()
