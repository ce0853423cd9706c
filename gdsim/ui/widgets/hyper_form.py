"""The optimizer's hyperparameters and the schedule's arguments: small forms under their choices (PyTorch's
names and defaults)."""

from __future__ import annotations

from PySide6 import QtWidgets
from PySide6.QtCore import Signal

from gdsim.engine import optimizers, schedules
from gdsim.ui.widgets.field_guard import guard
from gdsim.ui.widgets.forms import label_tips
from gdsim.ui.widgets.spin_box import SciSpinBox

HYPER_LABELS = {"momentum": "Momentum μ", "dampening": "Dampening", "lr_decay": "η decay",
                "initial_accumulator_value": "Initial sum", "eps": "ε", "alpha": "Smoothing α",
                "centered": "Centred", "beta1": "β₁", "beta2": "β₂", "amsgrad": "AMSGrad"}
HYPER_TIPS = {"momentum": "Momentum μ: the velocity keeps μ of itself each step (0.9 is usual)",
              "dampening": "Share of the new gradient left out of the velocity", "eps": "ε keeps the division "
              "finite when the running average of g² is tiny", "alpha": "Decay of the running average of g²",
              "beta1": "Decay of the running mean of g (first moment)", "beta2": "Decay of the running mean of g² "
              "(second moment)", "amsgrad": "Use the maximum of past second moments", "centered": "Normalise by "
              "the variance of g instead of its second moment", "lr_decay": "η / (1 + (t−1)·decay)",
              "initial_accumulator_value": "Starting value of the sum of g²"}


class HyperForm(QtWidgets.QWidget):
    """One field per hyperparameter of the chosen optimizer; ``sigChanged`` when the user edits one."""

    sigChanged = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.form = QtWidgets.QFormLayout(self)
        self.form.setContentsMargins(12, 0, 0, 0)
        self.fields: dict[str, QtWidgets.QWidget] = {}

    def show_optimizer(self, name: str, values: dict) -> None:
        """The fields of optimizer ``name`` at ``values``, PyTorch's defaults for the rest."""
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = {}
        for key, default in optimizers.DEFAULTS.get(name, {}).items():
            value = values.get(key, default)
            tip = HYPER_TIPS.get(key, key)
            if isinstance(default, bool):
                w = QtWidgets.QCheckBox()
                w.setChecked(bool(value))
                w.setToolTip(tip)
                w.toggled.connect(lambda *_: self.sigChanged.emit())
            else:
                w = SciSpinBox(0.0, 1e6, float(value), tip, log_steps=key in ("eps", "lr_decay"))
                if key in ("momentum", "dampening", "alpha", "beta1", "beta2"):
                    w.setRange(0.0, 0.9999 if key != "dampening" else 1.0)
                    w.setSingleStep(0.01)
                w.valueChanged.connect(lambda *_: self.sigChanged.emit())
            self.fields[key] = w
            self.form.addRow(HYPER_LABELS.get(key, key), w)
        label_tips(self.form)
        self.setVisible(bool(self.fields))

    def values(self) -> dict:
        return {k: (w.isChecked() if isinstance(w, QtWidgets.QCheckBox) else w.value()) for k, w in self.fields.items()}


# (label, tooltip, text shown for "from the run's length"); torch's names in the tooltips
SCHEDULE_FIELDS = {
    "step_size": ("Step size", "StepLR step_size: multiply η by γ every this many epochs", "auto: ⅓ of the run"),
    "gamma": ("γ", "StepLR / ExponentialLR gamma: the factor η is multiplied by", "auto: η/100 at the end"),
    "t_max": ("T_max", "CosineAnnealingLR T_max: epochs over which η falls to η_min (then stays there)",
              "auto: the run's epochs"),
    "eta_min": ("η_min", "CosineAnnealingLR eta_min: the η the cosine anneals to", ""),
}


class ScheduleForm(QtWidgets.QWidget):
    """The chosen schedule's arguments (torch's defaults; "auto" where torch has none and gdsim takes one
    from the run's length); ``sigChanged`` when the user edits one."""

    sigChanged = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.form = QtWidgets.QFormLayout(self)
        self.form.setContentsMargins(12, 0, 0, 0)
        self.fields: dict[str, QtWidgets.QAbstractSpinBox] = {}

    def show_schedule(self, name: str, values: dict) -> None:
        """The fields of schedule ``name`` at ``values``; a default of None shows as "auto"."""
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = {}
        for key, default in schedules.DEFAULTS.get(name, {}).items():
            label, tip, auto = SCHEDULE_FIELDS[key]
            value = values.get(key, default)
            if key in ("step_size", "t_max"):
                w = guard(QtWidgets.QSpinBox())
                w.setRange(0, 10_000_000)  # 0: auto
                w.setKeyboardTracking(False)
            elif key == "gamma":
                # 0 shows "auto" where γ has no default; where it has one, γ must stay > 0
                w = SciSpinBox(0.0 if default is None else 1e-6, 10.0, 0.1, log_steps=False)
                w.setSingleStep(0.01)
            else:
                w = SciSpinBox(0.0, 10.0, 0.0)
            if default is None:
                w.setSpecialValueText(auto)
            w.setValue(0 if value is None else value)
            w.setToolTip(f"{tip} (default: {auto or default})")
            w.valueChanged.connect(lambda *_: self.sigChanged.emit())
            self.fields[key] = w
            self.form.addRow(label, w)
        label_tips(self.form)
        self.setVisible(bool(self.fields))

    def values(self) -> dict:
        """Only what differs from "auto": the config keeps run-length defaults open."""
        out = {}
        for key, w in self.fields.items():
            value = w.value()
            if not (value == 0 and w.specialValueText()):
                out[key] = int(value) if isinstance(w, QtWidgets.QSpinBox) else float(value)
        return out
