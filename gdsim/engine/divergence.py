"""The one divergence rule, shared by the trainer's status, the behaviour labels, sweeps and the exported script.

A run has diverged when

1. the loss, the gradient or the parameters are not finite (NaN or ±inf) — at once; or
2. the loss has risen far above where it started and stays there: L − L₀ > ``RISE``·max(|L₀|, ``FLOOR``)
   at ``PATIENCE`` consecutive checks (10× the start's size, 5 epochs in a row); or
3. the value has fallen without bound (function mode only, f can be negative): L₀ − L > ``FALL``·max(|L₀|, 1)
   at ``PATIENCE`` consecutive checks.

L₀ is the loss of the very first step (the initial parameters). A check is the training loss at the end of
each epoch (every step for full batch and function mode).

Why these numbers. Measuring the rise from L₀ in units of |L₀| works for any sign: f can start negative, and
a start at 0 (x² + 3 sin y from (0, 0)) uses the ``FLOOR`` 10⁻³ instead, so a fall to −3 is never "risen".
A loss that jumps to 10× its start for a step or two and comes back is a rough start, not divergence; one
that stays there 5 checks in a row is bouncing out of the valley for good (XOR at η = 100 bounces between
4 and 80 times its start, never settling). Falling is only divergence in function mode, where a function
unbounded below runs off to −∞: 10⁶ times the start leaves no doubt.
"""

from __future__ import annotations

import math

import numpy as np

RISE = 10.0
FLOOR = 1e-3
FALL = 1e6
PATIENCE = 5

RULE_TEXT = (f"Diverged: the loss became NaN/inf, or it stayed more than {RISE:g}× its starting size above "
             f"its start (at least {RISE * FLOOR:g} above) for {PATIENCE} epochs in a row.")


def beyond(loss: float, start: float) -> bool:
    """Whether one check fails: the loss is not finite, or far above (or, for a function, far below) its start."""
    if not math.isfinite(loss):
        return True
    if loss - start > RISE * max(abs(start), FLOOR):
        return True
    return start - loss > FALL * max(abs(start), 1.0)


def first_divergence(losses, start: float | None = None) -> int | None:
    """The index of the check at which ``losses`` (one per check) diverge by this rule, or None.

    ``start`` is L₀ (default: the first loss). A non-finite loss diverges at once; otherwise the rule fires at
    the ``PATIENCE``-th consecutive failing check.
    """
    L = np.asarray(losses, dtype=np.float64).reshape(-1)
    if L.size == 0:
        return None
    watch = Watch(float(L[0]) if start is None else float(start))
    for i, loss in enumerate(L):
        if watch.check(float(loss)):
            return i
    return None


class Watch:
    """The rule applied one check at a time (what the trainer and the exported script do as they run)."""

    def __init__(self, start: float, count: int = 0):
        self.start = float(start)
        self.count = int(count)  # consecutive failing checks so far

    def check(self, loss: float) -> bool:
        """Record one check; True once the run has diverged."""
        if not math.isfinite(loss):
            return True
        self.count = self.count + 1 if beyond(loss, self.start) else 0
        return self.count >= PATIENCE
