"""The learning aids' wiring: backprop inspector, gradient flow and the history scrubber (a MainWindow mixin).

The inspector recomputes only when asked (opened, Refresh, training paused), never on every live frame.
While the user scrubs back through history, the graph and the surfaces show that step; the run goes on
and the loss curve and status bar stay live.
"""

from __future__ import annotations

from PySide6 import QtCore

from gdsim.lab.config import default_loss
from gdsim.ui.panels.gradient_flow import GradientFlowPanel
from gdsim.ui.panels.inspector import InspectorPanel
from gdsim.ui.widgets.scrubber import HistoryScrubber


class AidLinks:
    def _make_aids(self) -> None:
        self.inspector = InspectorPanel()
        self.gradient_flow = GradientFlowPanel()
        self.scrubber = HistoryScrubber()
        self.scrubbing = False

    def _link_aids(self) -> None:
        self.inspector.sigHighlight.connect(self.graph.highlight)
        self.inspector.sigRefreshRequested.connect(self.refresh_inspector)
        self.docks["Backprop"].visibilityChanged.connect(lambda visible: visible and self.refresh_inspector())
        self.docks["Backprop"].visibilityChanged.connect(lambda visible: self.want_xray("inspector", visible))
        self.scrubber.sigScrub.connect(self._on_scrub)
        self.scrubber.sigLive.connect(self._on_live)

    def refresh_inspector(self) -> None:
        s = self.snapshot
        if s is None or not self.on_screen("Backprop"):
            return
        loss = self.cfg.training.loss or (default_loss(self.data) if self.data is not None else "mse")
        self.inspector.set_context(s, self.data, loss, s.current_lr)

    def want_xray(self, who: str, on: bool) -> None:
        """Ask the worker to put the optimizer X-ray into snapshots while ``who`` (a panel) is on screen."""
        if not getattr(self, "closing", False):
            QtCore.QMetaObject.invokeMethod(self.worker, "_on_want_xray", QtCore.Qt.ConnectionType.QueuedConnection,
                                            QtCore.Q_ARG(str, who), QtCore.Q_ARG(bool, bool(on)))

    def _on_scrub(self, s) -> None:
        self.scrubbing = True
        if s.sizes:
            self.graph.show_snapshot(s)
        self._show_snapshot_on_surfaces(s)

    def _on_live(self) -> None:
        self.scrubbing = False
        if self.snapshot is not None:
            self._show_live(self.snapshot)

    def _show_live(self, s) -> None:
        """What follows the run unless the user is looking back in history."""
        if not self.scrubbing:
            if s.sizes:
                self.graph.show_snapshot(s)
            self._show_snapshot_on_surfaces(s)
        self.gradient_flow.show_snapshot(s)
        self.scrubber.show_snapshot(s)
