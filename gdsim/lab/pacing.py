"""How fast a run goes and how often it is drawn, without Qt: the worker asks, the numbers live here.

At a chosen pace (steps per second) a run takes only the steps that are due; flat out (pace 0) it takes all it
can. Qt's painter holds Python's GIL, so flat out snapshots are spaced so that drawing takes at most GUI_SHARE of
the time (bench_app: 0.25 gave 52-67 % of headless speed, 0.15 71-79 % at 8-11 frames/s); at a chosen pace there
is time to spare and panels redraw up to MAX_FPS times a second.
"""

from __future__ import annotations

import time

MAX_FPS = 30
GUI_SHARE = 0.15


class Pacer:
    def __init__(self) -> None:
        self.rate = 0.0          # steps per second asked for; 0 = as fast as possible
        self.frame_cost = 0.0    # seconds the GUI takes to draw a snapshot (moving average)
        self.sps = 0.0           # steps per second measured while running
        self._clock = (0.0, 0)   # (time, step) where the current paced stretch began
        self._sps_mark = (time.perf_counter(), 0)
        self._last_emit = 0.0

    def start(self, step: int) -> None:
        """A run begins at ``step``: pace and measured speed count from here."""
        self._clock = self._sps_mark = (time.perf_counter(), step)

    def set_rate(self, steps_per_second: float, step: int) -> None:
        self.rate = max(0.0, float(steps_per_second))
        self._clock = (time.perf_counter(), step)

    def allowed(self, step: int) -> int:
        """How many steps are due now at the chosen pace (a huge number flat out)."""
        if self.rate <= 0:
            return 1 << 30
        t0, s0 = self._clock
        return max(0, int((time.perf_counter() - t0) * self.rate) - (step - s0))

    def delay_ms(self, allowed: int, done: int) -> int:
        """How long to wait before the next chunk: none while steps are due, else one step's time."""
        return 0 if allowed > done or self.rate <= 0 else max(1, int(1000 / self.rate))

    def drawn(self, cost: float) -> None:
        self.frame_cost = 0.7 * self.frame_cost + 0.3 * max(0.0, cost)

    def snapshot_due(self, force: bool, waiting: bool) -> bool:
        """Whether to send a snapshot now; ``waiting``: the last one is not drawn yet (never queue stale ones)."""
        now = time.perf_counter()
        interval = max(1.0 / MAX_FPS, self.frame_cost / GUI_SHARE if self.rate <= 0 else 0.0)
        if not force and (now - self._last_emit < interval or waiting):
            return False
        self._last_emit = now
        return True

    def measure(self, running: bool, step: int) -> float:
        """Steps per second over the last quarter second or more of a run (0 when not running)."""
        now = time.perf_counter()
        t0, s0 = self._sps_mark
        if running and now - t0 > 0.25:
            self.sps = (step - s0) / (now - t0)
            self._sps_mark = (now, step)
        return self.sps if running else 0.0
