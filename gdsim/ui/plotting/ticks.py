"""Log-axis ticks that read well on a projector, shared by the sweep figure, the comparison and schedule plots."""

from __future__ import annotations

import math


def log_ticks(lo: float, hi: float) -> list[list[tuple[float, str]]]:
    """Ticks for a log axis spanning log10 values ``lo``..``hi``: labelled decades (and 2, 5 when the span is
    short), unlabelled 2..9 in between. pyqtgraph's own log ticks overlap or get an SI factor on short spans."""
    first, last = math.floor(lo) - 3, math.ceil(hi) + 3  # room to zoom out in the app
    labelled = (1, 2, 5) if hi - lo < 2.5 else (1,)
    major, minor = [], []
    for k in range(first, last + 1):
        for m in range(1, 10):
            x = k + math.log10(m)
            if m in labelled:
                major.append((x, f"{m * 10.0 ** k:.3g}"))
            else:
                minor.append((x, ""))
    return [major, minor]
