"""Bounded records of a run: the loss curve and the parameter trajectory.

A run of 10⁶ steps must not grow memory without bound, so long series keep every ``stride``-th point and
double the stride (dropping every other point) whenever they fill up. The most recent points are kept
exactly in a small ring so the last steps across a valley can always be drawn.
"""

from __future__ import annotations

import numpy as np


class Series:
    """(x, y...) rows with amortised appends, decimated by stride doubling once ``cap`` rows are held."""

    def __init__(self, width: int, cap: int = 200_000):
        self.cap = cap
        self.stride = 1
        self._data = np.empty((min(1024, cap), width))
        self._n = 0
        self._seen = 0

    def append(self, row) -> None:
        seen = self._seen
        self._seen += 1
        if seen % self.stride:
            return
        if self._n == self._data.shape[0]:
            if self._n >= self.cap:
                keep = self._data[: self._n : 2].copy()
                self._n = keep.shape[0]
                self._data[: self._n] = keep
                self.stride *= 2
                if seen % self.stride:
                    return
            else:
                grown = np.empty((min(2 * self._n, self.cap), self._data.shape[1]))
                grown[: self._n] = self._data[: self._n]
                self._data = grown
        self._data[self._n] = row
        self._n += 1

    def __len__(self) -> int:
        return self._n

    def array(self) -> np.ndarray:
        """A read-only copy, safe to hand to another thread."""
        out = self._data[: self._n].copy()
        out.setflags(write=False)
        return out

    def last(self):
        return self._data[self._n - 1] if self._n else None

    def state(self) -> dict:
        return {"data": self._data[: self._n].copy(), "stride": self.stride, "seen": self._seen, "cap": self.cap}

    @classmethod
    def from_state(cls, state: dict) -> Series:
        data = np.asarray(state["data"], dtype=np.float64)
        s = cls(data.shape[1] if data.ndim == 2 else 1, int(state["cap"]))
        # never more room than ``cap``: the stride doubles exactly when an uninterrupted series' would
        s._data = np.empty((max(min(s.cap, max(1024, data.shape[0] * 2)), data.shape[0], 1), s._data.shape[1]))
        s._data[: data.shape[0]] = data
        s._n = data.shape[0]
        s.stride = int(state["stride"])
        s._seen = int(state["seen"])
        return s


class Trajectory:
    """A bounded sample of the parameter vector over steps, plus the exact last ``recent`` steps."""

    def __init__(self, n_params: int, cap: int = 2000, recent: int = 64):
        self.steps = Series(1, cap)
        self.points = Series(n_params, cap)
        self._ring = np.empty((recent, n_params))
        self._ring_steps = np.empty(recent)
        self._count = 0

    def append(self, step: int, theta: np.ndarray) -> None:
        self.steps.append((step,))
        self.points.append(theta)
        i = self._count % self._ring.shape[0]
        self._ring[i] = theta
        self._ring_steps[i] = step
        self._count += 1

    def _recent(self) -> tuple[np.ndarray, np.ndarray]:
        r = self._ring.shape[0]
        if self._count <= r:
            return self._ring_steps[: self._count].copy(), self._ring[: self._count].copy()
        order = np.roll(np.arange(r), -(self._count % r))
        return self._ring_steps[order], self._ring[order]

    def sample(self) -> tuple[np.ndarray, np.ndarray]:
        """Steps (T,) and parameters (T, P), strided sample merged with the exact recent ones."""
        steps = self.steps.array()[:, 0]
        points = self.points.array()
        rs, rp = self._recent()
        if len(rs):
            keep = steps < rs[0]
            steps = np.concatenate([steps[keep], rs])
            points = np.concatenate([points[keep], rp])
        for a in (steps, points):
            a.setflags(write=False)
        return steps, points

    def last_steps(self) -> np.ndarray:
        """The exact parameter vectors of the most recent steps, (R, P)."""
        out = self._recent()[1]
        out.setflags(write=False)
        return out

    def state(self) -> dict:
        """Everything needed to carry on appending exactly as before (for saved sessions)."""
        filled = min(self._count, self._ring.shape[0])  # the rest of the ring is unwritten memory
        return {"steps": self.steps.state(), "points": self.points.state(), "recent": self._ring.shape[0],
                "ring": self._ring[:filled].copy(), "ring_steps": self._ring_steps[:filled].copy(),
                "count": self._count}

    @classmethod
    def from_state(cls, state: dict) -> Trajectory:
        ring = np.asarray(state["ring"], dtype=np.float64)
        ring_steps = np.asarray(state["ring_steps"], dtype=np.float64)
        recent, count = int(state["recent"]), int(state["count"])
        if ring.ndim != 2 or ring_steps.shape != (ring.shape[0],) or ring.shape[0] != min(count, recent):
            raise ValueError("the saved trajectory's recent-steps ring is malformed")
        t = cls(ring.shape[1], int(state["points"]["cap"]), recent)
        t.steps = Series.from_state(state["steps"])
        t.points = Series.from_state(state["points"])
        if t.points._data.shape[1] != ring.shape[1]:
            raise ValueError(f"the saved trajectory has {t.points._data.shape[1]} parameters per point, "
                             f"its ring {ring.shape[1]}")
        t._ring[: ring.shape[0]] = ring
        t._ring_steps[: ring.shape[0]] = ring_steps
        t._count = count
        return t
