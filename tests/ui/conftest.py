"""The main window as most UI tests use it, in one place.

``win`` is a shown MainWindow that has drawn its first snapshot, with the settings in the test's own folder and
the worker shut down afterwards. By default it trains XOR without an epoch limit; a test file that needs another
window overrides ``window_options`` (or parametrises it indirectly) with the arguments of ``windows.open_window``.
"""

from __future__ import annotations

import pytest
from windows import keep_settings_in, open_window, xor_forever


@pytest.fixture
def window_options(request) -> dict:
    """Arguments for ``open_window`` (``cfg`` defaults to ``xor_forever()``); override per file or parametrise
    with ``indirect=True``. ``settings`` names the folder for the window's settings (default: tmp_path)."""
    return dict(getattr(request, "param", {}))


@pytest.fixture
def win(qtbot, tmp_path, window_options):
    options = dict(window_options)
    keep_settings_in(options.pop("settings", tmp_path))
    w = open_window(qtbot, options.pop("cfg") if "cfg" in options else xor_forever(), **options)
    yield w
    w.shutdown()
