"""Cooperative cancellation for long computations (a surface on 200k rows, a big CSV being read).

The engine has no threads and no Qt, so it cannot be interrupted from outside: instead each long loop calls
``check(cancel)`` between two chunks of work, and the caller (the GUI's worker thread) passes a callable that
says whether to stop, such as ``threading.Event().is_set``. Stopping is an exception so that no half-computed
result can be mistaken for a whole one.
"""

from __future__ import annotations

from collections.abc import Callable

Cancel = Callable[[], bool]


class Cancelled(Exception):
    """The caller asked a long computation to stop; nothing it was building is valid."""


def check(cancel: Cancel | None) -> None:
    """Raise ``Cancelled`` when ``cancel()`` says so (``None``: never)."""
    if cancel is not None and cancel():
        raise Cancelled()
