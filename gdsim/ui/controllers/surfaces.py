"""How the loss-surface panels talk to the worker: which surfaces to compute, exact mode, start points.

Only surfaces whose dock is on screen are computed; the worker re-slices them while training runs (coarse) and
refines them when it stops. In exact mode the optimizer trains only the chosen parameters, so the path lies on
a fixed surface; a click on that surface restarts training from there (``reload``: the same set-up, rebuilt
with the state's exact indices and start point).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtCore, QtWidgets

from gdsim.lab.snapshot import Snapshot
from gdsim.lab.state import AppState
from gdsim.lab.surfaces import SurfaceGrid, SurfaceSpec
from gdsim.ui.panels.surface_1d import Surface1D
from gdsim.ui.panels.surface_2d import Surface2D
from gdsim.ui.panels.surface_3d import Surface3D
from gdsim.ui.worker_client import WorkerClient

SURFACE_DOCKS = ("Loss surface", "Loss slice", "3D surface")


class SurfaceController:
    def __init__(self, client: WorkerClient, state: AppState, surface2d: Surface2D, surface1d: Surface1D,
                 surface3d: Surface3D, docks: dict[str, QtWidgets.QDockWidget], on_screen: Callable[[str], bool],
                 reload: Callable[[], object], start_function: Callable[[float, float], object]):
        self.client, self.state = client, state
        self.surface2d, self.surface1d, self.surface3d = surface2d, surface1d, surface3d
        self.docks, self.on_screen, self.reload = docks, on_screen, reload
        self.start_function = start_function  # a start picked on a function's own surface goes to the form
        self._pending: Snapshot | None = None  # the newest snapshot, for a surface brought forward later
        client.sigSurface.connect(self.show_surface)
        client.sigSurfaceMessage.connect(self.show_message)
        surface2d.sigSpecChanged.connect(self.use_spec)
        surface1d.sigSpecChanged.connect(self.use_spec)
        surface2d.sigStartPointChosen.connect(self.start_from)
        for title in SURFACE_DOCKS:
            # queued: the window's record of what is on screen is updated by the same signal; read it after that
            docks[title].visibilityChanged.connect(lambda *_: self.surfaces_shown(),
                                                   QtCore.Qt.ConnectionType.QueuedConnection)

    def surfaces_shown(self) -> None:
        if self.on_screen("3D surface"):
            self.surface3d.build()  # only now: one OpenGL widget makes Qt compose the whole window through OpenGL
        self.request()
        self.client.want_xray("surface", self.on_screen("Loss surface"))  # its arrows: −η·g, velocity, Δθ
        if self._pending is not None:
            self.show_snapshot(self._pending)

    def request(self) -> None:
        """Ask the worker for the surfaces on screen, and to stop computing the others."""
        for kind, panel, titles in (("2d", self.surface2d, ("Loss surface", "3D surface")),
                                    ("1d", self.surface1d, ("Loss slice",))):
            if any(self.on_screen(t) for t in titles):
                self.client.set_surface(panel.spec())
            else:
                self.client.hide_surface(kind)

    def use_spec(self, spec: SurfaceSpec) -> None:
        """A panel's settings changed; turning exact mode on or off rebuilds the set-up."""
        exact = tuple(spec.indices[: 1 if spec.kind == "1d" else 2]) if spec.exact else ()
        if spec.exact:  # one exact surface at a time: the other panel's exact box goes off
            other = self.surface1d if spec.kind == "2d" else self.surface2d
            with QtCore.QSignalBlocker(other.exact_check):
                other.exact_check.setChecked(False)
        state = self.state
        if exact != state.exact_indices or (not exact and state.start_override):
            state.exact_indices = exact
            if not exact:
                state.start_override = {}
            self.reload()
        self.request()

    def start_from(self, x: float, y: float) -> None:
        if self.surface2d.function_start and not self.surface2d.spec().exact:
            self.start_function(x, y)
            return
        i, j = self.surface2d.spec().indices[:2]
        self.state.start_override = {i: x, j: y}
        self.reload()

    def show_parameter(self, index: int) -> None:
        """Clicking an edge or a bias in the graph shows the loss along that parameter."""
        self.surface1d.set_parameter(index)
        self.docks["Loss slice"].show()
        self.docks["Loss slice"].raise_()
        self.request()

    def show_surface(self, grid: SurfaceGrid) -> None:
        if grid.spec.kind == "1d":
            self.surface1d.show_surface(grid)
        else:
            self.surface2d.show_surface(grid)
            self.surface3d.show_surface(grid)

    def show_message(self, kind: str, text: str) -> None:
        (self.surface1d if kind == "1d" else self.surface2d).show_message(text)

    def new_model(self, param_names, keep: bool) -> None:
        """A new set-up: without ``keep`` exact mode and a chosen start point are forgotten."""
        if not keep:
            self.state.clear_exact()
            for panel in (self.surface1d, self.surface2d):
                with QtCore.QSignalBlocker(panel.exact_check):
                    panel.exact_check.setChecked(False)
        for panel in (self.surface1d, self.surface2d):
            panel.set_param_names(param_names)

    def show_snapshot(self, s: Snapshot) -> None:
        """Only the surfaces on screen redraw their path; a surface brought forward gets the latest."""
        self._pending = s
        for panel, title in ((self.surface2d, "Loss surface"), (self.surface1d, "Loss slice"),
                             (self.surface3d, "3D surface")):
            if self.on_screen(title):
                panel.show_snapshot(s)

    def show_paths(self, paths_for: Callable[[SurfaceGrid], list]) -> None:
        """Draw other runs' paths (a comparison's) on the 2D surface and the 1D slice, mapped onto each grid."""
        for panel in (self.surface2d, self.surface1d):
            grid = panel.grid()
            panel.show_paths(paths_for(grid) if grid is not None else [])
