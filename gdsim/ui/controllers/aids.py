"""The learning aids: backprop inspector, gradient flow and the history scrubber.

The inspector recomputes only when asked (opened, Refresh, training paused), never on every live frame.
What only one panel draws — the output view's predictions, the gradient flow, the X-ray — the worker computes
only while that panel's dock is on screen (a tab behind another is not: its dock's visibilityChanged says so).
While the user scrubs back through history, the graph and the surfaces show that step; the run goes on
and the loss curve and status bar stay live.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtWidgets

from gdsim.lab.config import default_loss
from gdsim.lab.snapshot import Snapshot
from gdsim.lab.state import AppState
from gdsim.ui.panels.gradient_flow import GradientFlowPanel
from gdsim.ui.panels.inspector import InspectorPanel
from gdsim.ui.panels.network_graph import NetworkGraph
from gdsim.ui.widgets.scrubber import HistoryScrubber
from gdsim.ui.worker_client import WorkerClient


class AidController:
    def __init__(self, client: WorkerClient, state: AppState, graph: NetworkGraph, inspector: InspectorPanel,
                 gradient_flow: GradientFlowPanel, scrubber: HistoryScrubber, docks: dict[str, QtWidgets.QDockWidget],
                 on_screen: Callable[[str], bool], show_on_surfaces: Callable[[Snapshot], None]):
        self.client, self.state, self.graph = client, state, graph
        self.inspector, self.gradient_flow, self.scrubber = inspector, gradient_flow, scrubber
        self.on_screen, self.show_on_surfaces = on_screen, show_on_surfaces
        inspector.sigHighlight.connect(graph.highlight)
        inspector.sigRefreshRequested.connect(self.refresh_inspector)
        docks["Backprop"].visibilityChanged.connect(self._backprop_shown)
        for title, piece in (("Output", "output"), ("Gradient flow", "flow")):
            docks[title].visibilityChanged.connect(lambda on, p=piece: client.want_piece(p, on))
        scrubber.sigScrub.connect(self.scrub)
        scrubber.sigLive.connect(self.live)

    def _backprop_shown(self, visible: bool) -> None:
        if visible:
            self.refresh_inspector()
        self.client.want_xray("inspector", visible)

    def refresh_inspector(self) -> None:
        s, cfg, data = self.state.snapshot, self.state.config, self.state.data
        if s is None or cfg is None or not self.on_screen("Backprop"):
            return
        loss = cfg.training.loss or (default_loss(data) if data is not None else "mse")
        self.inspector.set_context(s, data, loss, s.current_lr)

    def clear(self) -> None:
        """A new set-up: no history to look back on."""
        self.gradient_flow.clear()
        self.scrubber.clear()
        self.state.scrubbing = False

    def scrub(self, s: Snapshot) -> None:
        self.state.scrubbing = True
        if s.sizes:
            self.graph.show_snapshot(s)
        self.show_on_surfaces(s)

    def live(self) -> None:
        self.state.scrubbing = False
        if self.state.snapshot is not None:
            self.show_live(self.state.snapshot)

    def show_live(self, s: Snapshot) -> None:
        """What follows the run unless the user is looking back in history."""
        if not self.state.scrubbing:
            if s.sizes:
                self.graph.show_snapshot(s)
            self.show_on_surfaces(s)
        self.gradient_flow.show_snapshot(s)
        self.scrubber.show_snapshot(s)
