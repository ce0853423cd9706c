"""What the worker watches for the lessons and the edge-of-stability panel, kept out of the worker's thread code.

Qt-free: the worker calls these between steps and sends what they return. A lesson "marks" θ when its step
begins and asks for "readings" (gdsim.lab.signals); asked during a run, a reading is answered when the run
ends, so a lesson grades the run it asked for. The sharpness monitor (gdsim.engine.sharpness) reads λmax along
the run only while its panel is on screen; its series survives while hidden and starts afresh with a new set-up.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from gdsim.lab import snapshot, xray
from gdsim.lab.signals import signals_from


class LessonReadings:
    def __init__(self) -> None:
        self.start: np.ndarray | None = None  # θ when the lesson's current step began
        self.asked = 0                        # readings asked for and not yet answered

    def reset(self) -> None:
        self.start, self.asked = None, 0

    def mark(self, params: np.ndarray) -> None:
        self.start = params.copy()

    def take(self, trainer) -> tuple[int, object]:
        """How many readings were asked for, and the one reading that answers them all (then none are due)."""
        with np.errstate(all="ignore"):
            reading = signals_from(trainer, start=self.start)
        asked, self.asked = self.asked, 0
        return asked, reading


class SharpnessWatch:
    def __init__(self) -> None:
        self.on = False
        self.monitor = None  # the trainer's SharpnessMonitor, kept while the panel is hidden

    def reset(self) -> None:
        self.monitor = None

    @property
    def series(self):
        return None if self.monitor is None else self.monitor.series

    def attach(self, trainer) -> None:
        """Track λmax on ``trainer`` (warm: a series already begun carries on, with a reading here)."""
        if not self.on:
            trainer.sharpness = None
            return
        try:
            with np.errstate(all="ignore"):
                if self.monitor is None:
                    trainer.track_sharpness()
                    self.monitor = trainer.sharpness
                else:
                    trainer.sharpness = self.monitor
                    series = self.monitor.series
                    if not series or series[-1][0] != trainer.step_count:
                        self.monitor.measure(trainer)
        except (ValueError, FloatingPointError, np.linalg.LinAlgError):
            trainer.sharpness = None


PIECES = snapshot.PIECES | {"lens"}  # what a panel on screen asks for by name (the neuron lens: network graph)


class SnapshotExtras:
    """What a snapshot carries only while a panel on screen shows it: the output view's predictions, the
    gradient flow and the neuron lens (``PIECES``), the optimizer X-ray (Backprop, Loss surface) and the
    sharpness series."""

    def __init__(self) -> None:
        self.pieces: set[str] = set()    # the PIECES whose panel is on screen
        self.xray_for: set[str] = set()  # panels on screen that show the X-ray
        self.xray = xray.History()       # the X-ray's arrows per step, for the history scrubber

    def want_piece(self, piece: str, on: bool) -> bool:
        """Record whether ``piece`` (one of PIECES) is on screen; True when it has just come on."""
        came = on and piece not in self.pieces
        (self.pieces.add if on else self.pieces.discard)(piece)
        return came

    def want_xray(self, who: str, on: bool) -> bool:
        """Record who wants the X-ray; True when it was wanted by nobody before and is now."""
        wanted = bool(self.xray_for)
        (self.xray_for.add if on else self.xray_for.discard)(who)
        return on and not wanted

    def add(self, s, trainer, data, sharpness: SharpnessWatch) -> tuple[object, str | None]:
        """``s`` with what is wanted added, and a message when the X-ray failed (it is then switched off)."""
        problem = None
        if self.xray_for:
            try:
                x = xray.take(trainer)  # one extra gradient per frame
                s = snapshot.with_xray(s, x, self.xray.add(trainer.step_count, xray.vectors(x), s.trajectory_steps))
            except (ValueError, FloatingPointError) as e:
                problem = f"The optimizer X-ray failed: {e}"
                self.xray_for.clear()
        if "lens" in self.pieces:
            s = snapshot.with_lens(s, trainer, data)
        if sharpness.on and sharpness.series is not None:
            s = snapshot.with_sharpness(s, sharpness.series)
        return s, problem


def set_training(built, cfg):
    """``built`` with ``cfg``'s training settings applied to its trainer between two steps (the run goes on and
    the change is marked in its history); a bad value raises ValueError and changes nothing."""
    t = cfg.training
    built.trainer.set_training(t.optimizer, t.optimizer_kwargs, t.weight_decay, t.clip_norm, t.batch_size,
                               t.schedule, t.schedule_kwargs, t.epochs or None, t.tol, t.patience)
    return dataclasses.replace(built, config=cfg)
