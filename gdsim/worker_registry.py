"""Weak registry of the worker threads the app starts, so tests can prove none is left running."""

from __future__ import annotations

import weakref

_threads: weakref.WeakSet = weakref.WeakSet()


def register(thread) -> None:
    _threads.add(thread)


def threads() -> list:
    return list(_threads)
