"""How numbers read on screen: one rule for every panel, so a loss shows the same digits everywhere.

Plain functions of a number; no Qt. The CLI prints its own machine-readable numbers (JSON, repr in CSV).
"""

from __future__ import annotations

import math

MISSING = "–"   # a value not there (never reached, not measured, NaN)
MINUS = "\u2212"  # a real minus sign: the hyphen is too short next to digits


def number(x: float | None, digits: int = 4) -> str:
    """``x`` to ``digits`` significant digits; ``–`` when missing or NaN, ``∞`` when infinite."""
    if x is None:
        return MISSING
    x = float(x)
    if math.isnan(x):
        return MISSING
    if math.isinf(x):
        return "∞" if x > 0 else f"{MINUS}∞"
    return f"{x:.{digits}g}"


def signed(x: float | None, digits: int = 4) -> str:
    """Like ``number``, with a typographic minus sign (weights, δ, formulas)."""
    return number(x, digits).replace("-", MINUS)


def eta(lr: float | None) -> str:
    """A learning rate as a label shows it: three significant digits (η = 0.0316)."""
    return number(lr, 3)


def round_eta(lr: float) -> float:
    """``lr`` to two significant digits: what a slider offers is η = 0.03, not 0.0301995."""
    return float(f"{lr:.2g}")
