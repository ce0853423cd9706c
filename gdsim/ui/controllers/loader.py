"""Building things off the GUI thread: a big or hostile file never freezes the window.

Reading a session (``session.load``) or the CSV a set-up names (``cfgmod.make_data``) can take seconds, so the
build runs in a QRunnable on this loader's own one-thread pool. Its result comes back as a queued signal and is
handed to the request's ``done`` (or ``failed``) on the GUI thread, where the window applies it: a new trainer goes
to the worker, which then owns it, as it owns every trainer. Nothing here touches a trainer that is running.

One loader serves the whole window, so "the newest request wins" holds across kinds: opening a session while a
CSV set-up is read drops (and cancels) the read, and the other way round.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from PySide6 import QtCore
from PySide6.QtCore import Signal

from gdsim.engine.cancel import Cancel, Cancelled

Build = Callable[[Cancel], object]  # runs in the pool's thread; calls (or ignores) cancel() between chunks


@dataclass
class _Request:
    ticket: int
    done: Callable[[object], object]
    failed: Callable[[str], object]
    dropped: Callable[[], object] | None
    stop: threading.Event


class _Job(QtCore.QRunnable):
    def __init__(self, signal, build: Build, ticket: int, stop: threading.Event):
        super().__init__()
        self.signal, self.build, self.ticket, self.stop = signal, build, ticket, stop

    def run(self) -> None:
        if self.stop.is_set():  # dropped while it waited for the thread: do not even start reading
            return
        try:
            self.signal.emit(self.ticket, True, self.build(self.stop.is_set))
        except Cancelled:
            pass
        except (ValueError, OSError) as e:
            self.signal.emit(self.ticket, False, str(e))
        except Exception as e:  # a bug must still reach the user as a message, never a silent dead job
            self.signal.emit(self.ticket, False, f"unexpected {type(e).__name__}: {e}")


class Loader(QtCore.QObject):
    """``load(build, done, failed)`` returns at once; ``done(result)`` or ``failed(message)`` follows on this
    object's thread. Only the newest request is answered: a newer one (or ``drop``) cancels the older, whose
    ``dropped`` is called instead."""

    _sigDone = Signal(int, bool, object)  # emitted by the job in the pool's thread

    def __init__(self, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self.pool = QtCore.QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._ticket = 0
        self._pending: _Request | None = None
        self._sigDone.connect(self._on_done, QtCore.Qt.ConnectionType.QueuedConnection)

    @property
    def busy(self) -> bool:
        """A request is waiting for its answer."""
        return self._pending is not None

    def load(self, build: Build, done: Callable[[object], object], failed: Callable[[str], object],
             dropped: Callable[[], object] | None = None) -> None:
        self.drop()
        self._ticket += 1
        self._pending = _Request(self._ticket, done, failed, dropped, threading.Event())
        self.pool.start(_Job(self._sigDone, build, self._ticket, self._pending.stop))

    def drop(self) -> None:
        """Forget the pending request (something newer replaced it): its build is cancelled, its answer ignored."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.stop.set()
            if pending.dropped is not None:
                pending.dropped()

    def wait(self, msecs: int = 5000, drop: bool = False) -> bool:
        """Let a running build finish; with ``drop`` it is cancelled and never answered (the window is closing)."""
        if drop:
            self.drop()
        return self.pool.waitForDone(msecs)

    def _on_done(self, ticket: int, ok: bool, result) -> None:
        pending = self._pending
        if pending is None or ticket != pending.ticket:
            return
        self._pending = None
        if ok:
            pending.done(result)
        else:
            pending.failed(str(result))


class Gate:
    """Step, Epoch and Run pressed while a set-up is read wait for it and then act on it: they never train the
    old problem by surprise, and a scripted run (``gdsim gui --config big.toml --epochs 5``) starts on the right
    data. A read that fails or is replaced drops what waited for it."""

    def __init__(self) -> None:
        self.waiting = False
        self._queue: list[Callable[[], object]] = []

    def call(self, fn: Callable[[], object]) -> None:
        if self.waiting:
            self._queue.append(fn)
        else:
            fn()

    def close(self) -> None:
        self.waiting = True

    def open(self) -> None:
        """The set-up is in place: what waited runs now, in order."""
        self.waiting, (queue, self._queue) = False, (self._queue, [])
        for fn in queue:
            fn()

    def drop(self) -> None:
        self.waiting = False
        self._queue.clear()

    def forget(self) -> None:
        """Pause pressed while waiting: the Run that waited is off, the read goes on."""
        self._queue.clear()
