import os
import shutil
import tempfile

# Tests write only into temporary folders: everything the app writes on its own (settings, recent files, drawn
# points, the folder file dialogs open in) follows Qt's standard paths, which follow HOME and the XDG variables,
# so the whole run gets a throw-away home, removed at the end.
TEST_HOME = tempfile.mkdtemp(prefix="gdsim-test-home-")
os.environ["HOME"] = TEST_HOME
for var, sub in (("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME", ".local/share"), ("XDG_CACHE_HOME", ".cache"),
                 ("XDG_STATE_HOME", ".local/state")):
    os.environ[var] = os.path.join(TEST_HOME, sub)
os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = os.path.join(TEST_HOME, ".hypothesis")  # not the checkout's
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6 import QtCore  # noqa: E402

QtCore.QStandardPaths.setTestModeEnabled(True)  # and Qt's own test locations, inside that home


def pytest_unconfigure(config):
    shutil.rmtree(TEST_HOME, ignore_errors=True)


@pytest.fixture(autouse=True)
def _no_thread_left_running(request):
    """Fail any test that leaves a QThread running (only checked where Qt was imported)."""
    yield
    import sys

    if "PySide6.QtCore" not in sys.modules:
        return
    from PySide6.QtCore import QThread

    from gdsim import worker_registry

    alive = [t for t in worker_registry.threads() if isinstance(t, QThread) and t.isRunning()]
    assert not alive, f"{len(alive)} QThread(s) still running after {request.node.name}"


@pytest.fixture(autouse=True)
def _flat_out(request, monkeypatch):
    """Windows under test train as fast as possible, whatever pace a preset asks for (at a watchable pace a
    1000-epoch test would take half a minute). Tests about the pace itself are marked ``paced``."""
    if request.node.get_closest_marker("paced"):
        return
    from gdsim.ui.widgets import toolbar

    chosen = toolbar.TrainingToolbar.set_pace
    monkeypatch.setattr(toolbar.TrainingToolbar, "set_pace", lambda self, _sps: chosen(self, 0.0))
