"""Reading a session off the GUI thread: a hostile or slow file never freezes the window.

``session.load`` reads, checks and rebuilds data, network and trainer from a file; that can take a while on a
big CSV, so it runs in a QRunnable on this loader's own one-thread pool. The result comes back as a queued
signal and the window applies it on the GUI thread, where it hands the new trainer to the worker (which
then owns it, as it owns every trainer). Nothing here touches a trainer that is already running.
"""

from __future__ import annotations

from PySide6 import QtCore
from PySide6.QtCore import Signal

from gdsim.io import session


class _Job(QtCore.QRunnable):
    def __init__(self, done, path: str, ticket: int):
        super().__init__()
        self.done, self.path, self.ticket = done, path, ticket

    def run(self) -> None:
        try:
            self.done.emit(self.ticket, self.path, session.load(self.path), "")
        except (ValueError, OSError) as e:
            self.done.emit(self.ticket, self.path, None, str(e))
        except Exception as e:  # a bug must still reach the user as a message, never a silent dead job
            self.done.emit(self.ticket, self.path, None, f"unexpected {type(e).__name__}: {e}")


class SessionLoader(QtCore.QObject):
    """``load(path)`` returns at once; ``sigLoaded(path, built)`` or ``sigFailed(path, message)`` follows on
    this object's thread. Only the newest request is answered: opening B while A loads drops A's result."""

    sigLoaded = Signal(str, object)
    sigFailed = Signal(str, str)
    _sigDone = Signal(int, str, object, str)  # emitted by the job in the pool's thread

    def __init__(self, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self.pool = QtCore.QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._ticket = 0
        self._sigDone.connect(self._on_done, QtCore.Qt.ConnectionType.QueuedConnection)

    def load(self, path: str) -> None:
        self._ticket += 1
        self.pool.start(_Job(self._sigDone, str(path), self._ticket))

    def wait(self, msecs: int = 5000, drop: bool = False) -> bool:
        """Let a running read finish; with ``drop`` its result is never delivered (the window is closing)."""
        if drop:
            self._ticket += 1
        return self.pool.waitForDone(msecs)

    def _on_done(self, ticket: int, path: str, built, message: str) -> None:
        if ticket != self._ticket:
            return
        if built is None:
            self.sigFailed.emit(path, message)
        else:
            self.sigLoaded.emit(path, built)
