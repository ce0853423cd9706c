"""One hidden layer's row in the network form, the init tips, and the combo-box helper the forms share."""

from __future__ import annotations

from PySide6 import QtWidgets
from PySide6.QtCore import Signal

from gdsim.engine import activations
from gdsim.ui.widgets.field_guard import guard

MAX_NEURONS = 16
INIT_TIPS = {
    "uniform": "U(±1/√n_in): the range PyTorch's nn.Linear draws its weights from. PyTorch draws the biases "
               "from the same range; here every bias starts at 0",
    "normal": "N(0, 1/n_in) (LeCun); biases start at 0",
    "xavier": "U(±√(6/(n_in + n_out))) (Glorot), suits tanh and sigmoid; biases start at 0",
    "he": "N(0, 2/n_in) (He), suits ReLU; biases start at 0",
    "zeros": "every weight 0: the neurons of a layer stay identical (symmetry is never broken)",
}


def combo(items, current: str, tip: str) -> QtWidgets.QComboBox:
    box = QtWidgets.QComboBox()
    box.addItems(list(items))
    box.setCurrentText(current)
    box.setToolTip(tip)
    guard(box)  # the wheel over a form scrolls it; the combo takes the wheel only when focused
    return box


class LayerRow(QtWidgets.QWidget):
    """One hidden layer: − n + and its activation (the TensorFlow Playground way)."""

    changed = Signal()

    def __init__(self, index: int, neurons: int, activation: str):
        super().__init__()
        self.minus = QtWidgets.QToolButton(text="−")
        self.plus = QtWidgets.QToolButton(text="+")
        self.minus.setToolTip("Remove a neuron from this layer")
        self.plus.setToolTip("Add a neuron to this layer")
        self.count = QtWidgets.QLabel()
        self.count.setMinimumWidth(70)
        self.act = combo(activations.HIDDEN_NAMES, activation, "Activation of this hidden layer")
        lay = QtWidgets.QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        name = QtWidgets.QLabel(f"Layer {index + 1}")
        name.setToolTip(f"Hidden layer {index + 1}: how many neurons, and their activation")
        lay.addWidget(name)
        lay.addWidget(self.minus)
        lay.addWidget(self.count)
        lay.addWidget(self.plus)
        lay.addWidget(self.act, 1)
        self.neurons = neurons
        self._show()
        self.minus.clicked.connect(lambda: self._bump(-1))
        self.plus.clicked.connect(lambda: self._bump(1))
        self.act.currentTextChanged.connect(self.changed)

    def _bump(self, d: int) -> None:
        n = min(MAX_NEURONS, max(1, self.neurons + d))
        if n != self.neurons:
            self.neurons = n
            self._show()
            self.changed.emit()

    def _show(self) -> None:
        self.count.setText(f"{self.neurons} neuron{'s' if self.neurons != 1 else ''}")
        self.minus.setEnabled(self.neurons > 1)
        self.plus.setEnabled(self.neurons < MAX_NEURONS)
