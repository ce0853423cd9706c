"""Function mode's centre page: the function, its exact gradient and what to watch for."""

from __future__ import annotations

import html
import re

from PySide6 import QtCore, QtWidgets

from gdsim.engine.formula_text import simplified
from gdsim.engine.function_model import variable_names
from gdsim.engine.functions import FUNCTIONS


class FunctionInfo(QtWidgets.QLabel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("functionInfo")
        self.setWordWrap(True)
        self.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop | QtCore.Qt.AlignmentFlag.AlignLeft)
        self.setContentsMargins(18, 18, 18, 18)
        self.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)

    def show_function(self, function) -> None:
        names = variable_names(function)
        grad = [_rename(simplified(g), names) for g in function.gradient_ir]
        rows = "".join(f"<tr><td>∂f/∂{n}&nbsp;=&nbsp;</td><td><code>{html.escape(g)}</code></td></tr>"
                       for n, g in zip(names, grad, strict=False))
        minima = ", ".join("(" + ", ".join(f"{v:g}" for v in m) + ")" for m in function.minima)
        if not minima:  # a built-in without minima has none (the saddle); a typed one was never solved for
            minima = "none" if FUNCTIONS.get(function.name) is function else "not listed (gdsim does not solve " \
                "∇f = 0 for a typed function; it may have one, many or none)"
        self.setText(
            f"<h2>Function mode</h2><p style='font-size:12pt'>f({', '.join(names)}) = "
            f"<code>{html.escape(_rename(function.expression, names))}</code></p>"
            f"<p>Exact gradient (differentiated symbolically, shown simplified):</p><table>{rows}</table>"
            f"<p>Minima: {minima}</p><p style='color:#444'>{html.escape(function.description or '')}</p>"
            "<p style='color:#666'>Step or Run, and watch the path on the <b>Loss surface</b> and <b>Loss slice"
            "</b> tabs. Change η to see overshooting, oscillation and divergence.</p>")


def _rename(text: str, names) -> str:
    """Show the function in its own variables (the notes' 5b², not 5x²)."""
    for var, name in zip(("x", "y"), names, strict=False):
        if var != name:
            text = re.sub(rf"(?<![A-Za-z_]){var}(?![A-Za-z_])", name, text)  # 10x -> 10b, not exp -> ebp
    return text
