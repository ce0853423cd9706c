"""η: a logarithmic slider (1e-5 … 100) and a spin box that stay in step; the spin box takes any positive η and
says when it lies beyond the slider."""

from __future__ import annotations

import math

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Signal

from gdsim.ui.plotting import formatters, palette
from gdsim.ui.widgets.spin_box import SciSpinBox

LR_MIN, LR_MAX = 1e-5, 100.0  # 100: on XOR 2/λmax reaches 13–19, and divergence must be reachable
SPIN_MIN, SPIN_MAX = 1e-12, 1e9  # "any positive η": the spin box shows 12 decimals
LIMIT_TIP = ("The largest stable η here is about {limit:.4g} = 2/λmax.\n"
             "λmax = {lam:.4g} is the largest curvature of the loss here (top eigenvalue of its Hessian).\n"
             "On a quadratic, gradient descent oscillates when η > 1/λmax and diverges when η > 2/λmax = {limit:.4g}.\n"
             "η is {side} that edge now (red tick on the slider). It moves as training moves.")
TICKS = 700  # slider resolution: 100 per decade


def lr_to_tick(lr: float) -> int:
    lr = min(max(lr, LR_MIN), LR_MAX)
    return round((math.log10(lr) - math.log10(LR_MIN)) / (math.log10(LR_MAX) - math.log10(LR_MIN)) * TICKS)


def tick_to_lr(tick: int) -> float:
    exp = math.log10(LR_MIN) + tick / TICKS * (math.log10(LR_MAX) - math.log10(LR_MIN))
    value = 10**exp
    return formatters.round_eta(value)


class MarkedSlider(QtWidgets.QSlider):
    """A slider with one red tick: where η = 2/λmax, the edge of stability."""

    def __init__(self):
        super().__init__(QtCore.Qt.Orientation.Horizontal)
        self.marker: int | None = None

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self.marker is None:
            return
        opt = QtWidgets.QStyleOptionSlider()
        self.initStyleOption(opt)
        groove = self.style().subControlRect(QtWidgets.QStyle.ComplexControl.CC_Slider, opt,
                                             QtWidgets.QStyle.SubControl.SC_SliderGroove, self)
        handle = self.style().subControlRect(QtWidgets.QStyle.ComplexControl.CC_Slider, opt,
                                             QtWidgets.QStyle.SubControl.SC_SliderHandle, self)
        span = groove.width() - handle.width()
        x = groove.left() + handle.width() / 2 + QtWidgets.QStyle.sliderPositionFromValue(
            self.minimum(), self.maximum(), self.marker, span)
        painter = QtGui.QPainter(self)
        painter.setPen(QtGui.QPen(QtGui.QColor(palette.ERROR_RED), 2))
        painter.drawLine(QtCore.QPointF(x, 2), QtCore.QPointF(x, self.height() - 2))
        painter.end()


class LearningRateControl(QtWidgets.QWidget):
    """Emits ``sigChanged(lr)`` once per user change (slider release/drag or spin box edit)."""

    sigChanged = Signal(float)

    def __init__(self, lr: float = 0.1, parent=None):
        super().__init__(parent)
        self.label = QtWidgets.QLabel("learning rate η")
        self.label.setObjectName("learningRateLabel")
        self.label.setToolTip("Learning rate η: the size of each step, θ ← θ − η·∇L")
        self.slider = MarkedSlider()
        self.slider.setObjectName("learningRateSlider")
        self.slider.setRange(0, TICKS)
        self.slider.setMinimumWidth(140)
        self.slider.setMaximumWidth(260)
        self.slider.setToolTip(f"Learning rate η on a logarithmic scale ({LR_MIN:g} … {LR_MAX:g}). "
                               "Changing it while running takes effect at the next step.")
        self.spin = SciSpinBox(SPIN_MIN, SPIN_MAX, lr, "Learning rate η: type any positive number (the slider "
                               f"covers {LR_MIN:g} … {LR_MAX:g}); Enter applies it at the next step.")
        self.spin.setObjectName("learningRateSpin")
        self.spin.setMinimumWidth(80)
        self.hint = QtWidgets.QLabel("")
        self.hint.setObjectName("learningRateHint")
        self.hint.setStyleSheet("color: #666;")
        self.hint.setMinimumWidth(self.hint.fontMetrics().horizontalAdvance("stable η < 0.000e-00"))  # no jumping
        self.range_hint = QtWidgets.QLabel("")
        self.range_hint.setObjectName("learningRateRangeHint")
        self.range_hint.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        self.range_hint.setStyleSheet(f"color: {palette.STALL_AMBER};")
        self.range_hint.setVisible(False)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Maximum, QtWidgets.QSizePolicy.Policy.Fixed)
        lay = QtWidgets.QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.label)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.spin)
        lay.addWidget(self.range_hint)
        lay.addWidget(self.hint)
        self._value = lr
        self.limit: float | None = None
        self.set_value(lr)
        self.slider.valueChanged.connect(self._on_slider)
        self.spin.valueChanged.connect(self._on_spin)
        self.spin.sigRejected.connect(self._on_rejected)

    def value(self) -> float:
        return self._value

    def set_curvature(self, lam: float | None) -> None:
        """Mark η = 2/λmax on the slider and say beside the spin box that it is the largest stable η."""
        limit = 2.0 / lam if lam is not None and lam > 0 else None
        self.limit = limit
        self.slider.marker = None if limit is None else lr_to_tick(limit)
        self.slider.update()
        if limit is None:
            self.hint.setText("")
            return
        side = "above" if self._value > limit else "below"
        colour = palette.ERROR_RED if side == "above" else palette.MUTED
        self.hint.setText(f"<span style='color:{colour}'>stable η &lt; {formatters.number(limit, 3)}</span>")
        self.hint.setToolTip(LIMIT_TIP.format(lam=lam, limit=limit, side=side))

    def set_value(self, lr: float) -> None:
        """Show ``lr`` without emitting."""
        self._value = float(lr)
        for w, v in ((self.slider, lr_to_tick(lr)), (self.spin, lr)):
            w.blockSignals(True)
            w.setValue(v)
            w.blockSignals(False)
        self._say_range()

    def _say_range(self, text: str = "") -> None:
        """Say when η lies beyond the slider (the slider then rests at its end) or why typed text was refused."""
        if not text and not LR_MIN <= self._value <= LR_MAX:
            text = "off the slider"
        self.range_hint.setText(text)
        self.range_hint.setToolTip(f"η = {self._value:g}. The slider covers 1e-5 … {LR_MAX:g}; the box takes any "
                                   "positive η (type it and press Enter)")
        self.range_hint.setVisible(bool(text))

    def _on_rejected(self, text: str) -> None:
        self._say_range(f"η must be > 0; kept {self._value:g}")

    def _on_slider(self, tick: int) -> None:
        self._commit(tick_to_lr(tick), from_slider=True)

    def _on_spin(self, value: float) -> None:
        self._commit(value, from_slider=False)

    def _commit(self, lr: float, from_slider: bool) -> None:
        if lr == self._value:
            return
        self._value = lr
        other = self.spin if from_slider else self.slider
        other.blockSignals(True)
        other.setValue(lr if from_slider else lr_to_tick(lr))
        other.blockSignals(False)
        self._say_range()
        self.sigChanged.emit(lr)
