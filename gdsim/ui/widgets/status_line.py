"""The status bar's numbers: epoch, step, loss, ‖∇‖, status, the largest stable η (2/λmax), speed, and run progress.

A passive view: ``show_snapshot`` and ``show_curvature`` only set text. Each label has a fixed width and paints
its own background, so a new number repaints that label, never the whole window under it.
"""

from __future__ import annotations

from PySide6 import QtGui, QtWidgets

from gdsim.engine import analysis
from gdsim.engine.trainer import STATUS_TEXT
from gdsim.lab.snapshot import Snapshot
from gdsim.ui.plotting.formatters import number as fmt
from gdsim.ui.plotting.palette import STATUS_COLOURS as COLOURS

# every status in words, the divergence rule's thresholds among them (the status label's tooltip)
STATUS_TIP = "\n".join(STATUS_TEXT.values())
# the trainer's status names as the user reads them (tables and labels; the CLI keeps the names)
STATUS_WORDS = {"max_epochs": "epoch limit"}
NO_LIMIT = "no curvature limit on η here (flat or concave)"
TIPS = {"epoch": "Passes over the training data", "step": "Parameter updates so far",
        "loss": "Training loss of the last step's batch", "grad": "Norm of the last gradient ‖∇L‖",
        "status": STATUS_TIP, "limit": "The largest stable η, 2/λmax (the edge of stability)",
        "speed": "Training steps per second"}
WIDEST = {"epoch": "epoch 0000000", "step": "step 00000000", "loss": "value -0.0000e-00", "grad": "‖∇‖ 0.0000e-00",
          "status": "epoch limit", "limit": "largest stable η ≈ 0.000e-00 · saddle", "speed": "000,000 steps/s"}


def status_word(status: str) -> str:
    """``max_epochs`` -> "epoch limit": a status in the words of the screen."""
    return STATUS_WORDS.get(status, status)


def limit_text(lam: float) -> str:
    """The stability edge in words: the largest stable η when the loss curves up here, else no limit."""
    return f"largest stable η ≈ {fmt(2 / lam, 3)}" if lam > 0 else "no η limit here (flat or concave)"


class StatusLine:
    def __init__(self, bar: QtWidgets.QStatusBar):
        self.bar = bar
        bar.setAutoFillBackground(True)
        self.labels: dict[str, QtWidgets.QLabel] = {}
        for key, tip in TIPS.items():
            label = QtWidgets.QLabel()
            label.setObjectName(f"status_{key}")
            label.setToolTip(tip)
            font = label.font()
            font.setBold(key == "status")  # the status word is shown in bold
            label.setFixedWidth(QtGui.QFontMetrics(font).horizontalAdvance(WIDEST[key]) + 12)
            label.setAutoFillBackground(True)
            bar.addPermanentWidget(label)
            self.labels[key] = label
        self._curvature: tuple[float, float] | None = None  # the last (λmax, λmin), for a new η's words
        self.progress = QtWidgets.QProgressBar()
        self.progress.setObjectName("runProgress")
        self.progress.setMaximumWidth(160)
        self.progress.setVisible(False)
        bar.addWidget(self.progress)

    def show_snapshot(self, s: Snapshot, running: bool) -> None:
        lab = self.labels
        lab["epoch"].setText(f"epoch {s.epoch}")
        lab["step"].setText(f"step {s.step}")
        lab["loss"].setText(f"{'value' if s.task == 'function' else 'loss'} {fmt(s.loss)}")
        lab["grad"].setText(f"‖∇‖ {fmt(s.grad_norm)}")
        status = s.status
        if status == "running":  # the trainer's word for "not finished": say what the user sees
            status = "ready" if s.step == 0 else "running" if running else "paused"
        status = status_word(status)
        lab["status"].setText(f"<b style='color:{COLOURS.get(s.status, '#333')}'>{status}</b>")
        lab["status"].setToolTip((s.message + "\n\n" if s.message else "") + STATUS_TIP)
        lab["speed"].setText(f"{s.steps_per_second:,.0f} steps/s" if s.steps_per_second else "")
        if s.message and s.status != "running":
            self.bar.showMessage(s.message, 15000)

    def show_curvature(self, lam: float, lam_min: float, limit_tip: str) -> None:
        """The largest stable η = 2/λmax (and a saddle when λmin < 0); ``limit_tip`` is the η control's own
        explanation of the edge."""
        label = self.labels["limit"]
        self._curvature = (lam, lam_min)
        saddle = lam > 0 and analysis.Curvature(lam, lam_min).saddle  # concave everywhere: no saddle, a cap
        label.setText(limit_text(lam) + (" · saddle" if saddle else ""))
        tip = ((limit_tip or f"largest stable η ≈ {fmt(2 / lam, 3)} = 2/λmax") if lam > 0 else
               f"{NO_LIMIT}: the loss does not curve upwards in any direction, so no step size is too large for "
               "the curvature alone.")
        if saddle:
            tip += (f"\nλmin = {lam_min:.4g} < 0: negative curvature, a saddle. Along that direction the loss "
                    "falls away quadratically; it sets no limit on η.")
        label.setToolTip(tip)

    def follow_lr(self, limit_tip: str) -> None:
        """η changed: the edge's explanation (which side of it η is) is said again for the new η."""
        if self._curvature is not None:
            self.show_curvature(*self._curvature, limit_tip)

    def start_progress(self, epochs: int) -> None:
        """A bar for a run of ``epochs`` epochs; none for an open-ended run (0)."""
        self.progress.setVisible(epochs > 0)
        self.progress.setRange(0, max(1, epochs))
        self.progress.setValue(0)

    def show_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)

