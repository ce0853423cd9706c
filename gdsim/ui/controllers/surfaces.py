"""How the loss-surface panels talk to the worker: which surfaces to compute, exact mode, start points.

A mixin of MainWindow. Only surfaces whose dock is on screen are computed; the worker re-slices them while
training runs (coarse) and refines them when it stops. In exact mode the optimizer trains only the chosen
parameters, so the path lies on a fixed surface; a click on that surface restarts training from there.
"""

from __future__ import annotations

from PySide6 import QtCore

from gdsim.ui.panels.surface_1d import Surface1D
from gdsim.ui.panels.surface_2d import Surface2D
from gdsim.ui.panels.surface_3d import Surface3D


class SurfaceLinks:
    def _make_surfaces(self) -> None:
        self.surface2d = Surface2D()
        self.surface1d = Surface1D()
        self.surface3d = Surface3D()
        self.exact_indices: tuple[int, ...] = ()     # parameters trained alone (exact mode), () = all
        self.start_override: dict[int, float] = {}   # initial values chosen by clicking a surface

    def _link_surfaces(self) -> None:
        queued = QtCore.Qt.ConnectionType.QueuedConnection
        self.worker.sigSurface.connect(self._on_surface, queued)
        self.worker.sigSurfaceMessage.connect(self._on_surface_message, queued)
        self.surface2d.sigSpecChanged.connect(self._on_surface_spec)
        self.surface1d.sigSpecChanged.connect(self._on_surface_spec)
        self.surface2d.sigStartPointChosen.connect(self._on_start_point)
        self.graph.sigParameterClicked.connect(self._on_parameter_clicked)
        for title in ("Loss surface", "Loss slice", "3D surface"):
            # queued: dock_shown is updated by the same signal; read it after that
            self.docks[title].visibilityChanged.connect(lambda *_: self._surfaces_shown(),
                                                        QtCore.Qt.ConnectionType.QueuedConnection)

    def _surfaces_shown(self) -> None:
        self._request_surfaces()
        self.want_xray("surface", self.on_screen("Loss surface"))  # its arrows: −η·g, velocity, Δθ
        s = getattr(self, "_pending_surface_snapshot", None)
        if s is not None:
            self._show_snapshot_on_surfaces(s)

    def _surface_panels(self):
        return {"2d": (self.surface2d, ("Loss surface", "3D surface")), "1d": (self.surface1d, ("Loss slice",))}

    def _request_surfaces(self) -> None:
        """Ask the worker for the surfaces on screen, and to stop computing the others."""
        if getattr(self, "closing", False):
            return
        for kind, (panel, titles) in self._surface_panels().items():
            visible = any(self.on_screen(t) for t in titles)
            self.sigSetSurface.emit(panel.spec() if visible else (kind, None))

    def _on_surface_spec(self, spec) -> None:
        exact = tuple(spec.indices[: 1 if spec.kind == "1d" else 2]) if spec.exact else ()
        if spec.exact:  # one exact surface at a time: the other panel's exact box goes off
            other = self.surface1d if spec.kind == "2d" else self.surface2d
            with QtCore.QSignalBlocker(other.exact_check):
                other.exact_check.setChecked(False)
        if exact != self.exact_indices or (not exact and self.start_override):
            self.exact_indices = exact
            if not exact:
                self.start_override = {}
            self._load(self.current_config(), keep_surfaces=True)
        self._request_surfaces()

    def _on_start_point(self, x: float, y: float) -> None:
        i, j = self.surface2d.spec().indices[:2]
        self.start_override = {i: x, j: y}
        self._load(self.current_config(), keep_surfaces=True)

    def _on_parameter_clicked(self, index: int) -> None:
        """Clicking an edge or a bias in the graph shows the loss along that parameter."""
        self.surface1d.set_parameter(index)
        self.docks["Loss slice"].show()
        self.docks["Loss slice"].raise_()
        self._request_surfaces()

    def _on_surface(self, grid) -> None:
        if grid.spec.kind == "1d":
            self.surface1d.show_surface(grid)
        else:
            self.surface2d.show_surface(grid)
            self.surface3d.show_surface(grid)

    def _on_surface_message(self, kind: str, text: str) -> None:
        (self.surface1d if kind == "1d" else self.surface2d).show_message(text)

    def _surfaces_for_new_model(self, param_names, keep: bool) -> None:
        if not keep:
            self.exact_indices, self.start_override = (), {}
            for panel in (self.surface1d, self.surface2d):
                with QtCore.QSignalBlocker(panel.exact_check):
                    panel.exact_check.setChecked(False)
        for panel in (self.surface1d, self.surface2d):
            panel.set_param_names(param_names)

    def _show_snapshot_on_surfaces(self, s) -> None:
        """Only the surfaces on screen redraw their path; a surface brought forward gets the latest."""
        self._pending_surface_snapshot = s
        for panel, title in ((self.surface2d, "Loss surface"), (self.surface1d, "Loss slice"),
                             (self.surface3d, "3D surface")):
            if self.on_screen(title):
                panel.show_snapshot(s)
