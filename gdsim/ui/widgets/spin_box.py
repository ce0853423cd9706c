"""Small widgets shared by the forms."""

from __future__ import annotations

import math

from PySide6 import QtGui, QtWidgets
from PySide6.QtCore import Signal

from gdsim.ui.widgets.field_guard import guard


def number_box(lo, hi, value, tip: str, step=None, decimals=None) -> QtWidgets.QAbstractSpinBox:
    """A guarded integer spin box, or a decimal one with ``decimals``: the plain fields of a form. A decimal
    one takes numbers as people type them, 5e-2 included: the guard lets E through to every decimal field, so a
    field that refused it would swallow both the letter and the Epoch shortcut."""
    box: QtWidgets.QSpinBox | QtWidgets.QDoubleSpinBox
    if decimals is not None:
        box = SciSpinBox(lo, hi, value, tip, log_steps=False)
        box.setDecimals(decimals)
    else:
        box = QtWidgets.QSpinBox()
    box.setRange(lo, hi)
    box.setValue(value)
    if step is not None:
        box.setSingleStep(step)
    box.setKeyboardTracking(False)
    box.setToolTip(tip)
    return guard(box)


class SciSpinBox(QtWidgets.QDoubleSpinBox):
    """A spin box that shows numbers the way people write them (0.5, 1e-07) and steps by factors of ten
    on a log scale when ``log_steps`` is set (η, tolerances). ``sigRejected(text)`` when typed text is
    dropped (not a number, or out of range) so a form can say so instead of silently keeping the old value."""

    sigRejected = Signal(str)

    def __init__(self, lo: float, hi: float, value: float, tip: str = "", log_steps: bool = True, parent=None):
        super().__init__(parent)
        self.setDecimals(12)
        self.setRange(lo, hi)
        self.setKeyboardTracking(False)
        self._log = log_steps
        self.setValue(value)
        self.setToolTip(tip)
        guard(self)  # the wheel only when focused; Space, S, R stay shortcuts; Enter hands the focus back

    def textFromValue(self, value: float) -> str:
        return f"{value:.4g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text.replace(",", "."))
        except ValueError:
            return self.value()

    def fixup(self, text: str) -> str:
        """Called only for text that is not an acceptable value when it is committed (Enter, focus out)."""
        if text.strip():
            self.sigRejected.emit(text.strip())
        return text

    def validate(self, text: str, pos: int):
        s = text.strip().replace(",", ".")
        if not s:
            return QtGui.QValidator.State.Intermediate, text, pos
        try:
            v = float(s)
        except ValueError:
            ok = all(c in "0123456789.eE+-" for c in s)
            return (QtGui.QValidator.State.Intermediate if ok else QtGui.QValidator.State.Invalid), text, pos
        if math.isfinite(v) and self.minimum() <= v <= self.maximum():
            return QtGui.QValidator.State.Acceptable, text, pos
        return QtGui.QValidator.State.Intermediate, text, pos

    def stepBy(self, steps: int) -> None:
        if not self._log:
            return super().stepBy(steps)
        v = self.value()
        if v <= 0:
            v = max(self.minimum(), 1e-12)
        # 1, 2, 5 × 10^k: the steps people choose learning rates and tolerances by
        k = math.floor(math.log10(v))
        ladder = [m * 10.0**e for e in range(k - 1, k + 3) for m in (1, 2, 5)]
        ladder = sorted(x for x in ladder if self.minimum() <= x <= self.maximum())
        if steps > 0:
            nxt = [x for x in ladder if x > v * (1 + 1e-9)]
        else:
            nxt = [x for x in reversed(ladder) if x < v * (1 - 1e-9)]
        if nxt:
            self.setValue(nxt[min(abs(steps), len(nxt)) - 1])
