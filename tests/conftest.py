import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6 import QtCore  # noqa: E402

# settings, recent files and drawn data go to throw-away test locations, not the user's
QtCore.QStandardPaths.setTestModeEnabled(True)


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
