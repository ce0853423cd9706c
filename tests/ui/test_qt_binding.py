"""Guard against a Qt binding that corrupts reference counts of objects returned by Python slots.

PySide6 6.12.0 on Python 3.11 drops a reference to None on every slot call; a training run makes tens of
thousands of them and the process aborts. The pin in pyproject.toml avoids it; this test proves it holds.
"""

import sys

from PySide6 import QtCore


class Counter(QtCore.QObject):
    sig = QtCore.Signal(int)

    def __init__(self):
        super().__init__()
        self.n = 0

    @QtCore.Slot(int)
    def _on_value(self, value):
        self.n += value


def test_python_slots_keep_refcounts(qapp):
    c = Counter()
    c.sig.connect(c._on_value)
    before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(2000):
        c.sig.emit(1)
    after = sys.getrefcount(None), sys.getrefcount(True)
    assert c.n == 2000
    assert after[0] > before[0] - 100, f"None lost {before[0] - after[0]} references: broken Qt binding"
