"""Formulas shown the way a textbook writes them: a derivative of a typed function simplified by sympy.

Display only. The gradient that trains is still the IR of ``functions`` (the safe ``ast`` parser, exact
symbolic rules, NumPy closures); here that same IR is turned into a sympy expression node by node (no string
is ever parsed or evaluated), simplified, and printed with x², π, 2x and · for products. sympy is imported
on first use, so training, the CLI and the tests that never show a formula do not pay for it.
"""

from __future__ import annotations

import re

MAX_SIMPLIFY_NODES = 400  # sympy.simplify on a bigger derivative could stall the app for seconds
SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_CALLS = {"log": "log", "arctan": "atan", "arcsin": "asin", "arccos": "acos", "arcsinh": "asinh",
          "arccosh": "acosh", "arctanh": "atanh", "abs": "Abs"}


def _sympy(node, sp, symbols: dict):
    op = node[0]
    if op == "num":
        # 62.8318530717959 is the folded 20π of d/dx cos(2πx): give π back, and 0.5 back as 1/2
        return sp.nsimplify(node[1], [sp.pi, sp.E], tolerance=1e-12, rational=False)
    if op == "var":
        return symbols[node[1]]
    if op == "neg":
        return -_sympy(node[1], sp, symbols)
    if op == "call":
        name, arg = node[1], _sympy(node[2], sp, symbols)
        if name in ("log10", "log2"):
            return sp.log(arg, 10 if name == "log10" else 2)
        return getattr(sp, _CALLS.get(name, name))(arg)
    a, b = _sympy(node[1], sp, symbols), _sympy(node[2], sp, symbols)
    return {"add": a + b, "sub": a - b, "mul": a * b, "div": a / b, "pow": a**b}[op]


def textbook(text: str) -> str:
    """sympy's ``2*x**2 - 20*pi*sin(2*pi*x)`` as ``2x² − 20π·sin(2πx)``."""
    text = re.sub(r"\*\*(?:\((-?\d+)\)|(\d+))", lambda m: (m.group(1) or m.group(2)).translate(SUPERSCRIPT), text)
    text = re.sub(r"\bpi\b", "π", text)
    text = re.sub(r"\bE\b", "e", text)
    # 2*x -> 2x, 2*pi*x -> 2πx (a number or π times a variable, π or a bracket)
    implicit = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?|π)\*(?=[xyπ](?![A-Za-z0-9_])|\()")
    while implicit.search(text):
        text = implicit.sub(r"\1", text)
    text = text.replace("**", "^").replace("*", "·")
    text = re.sub(r"(?<=[\s(])-(?=\S)", "−", text)
    text = re.sub(r"^-", "−", text)
    return text.replace(" - ", " − ")


def simplified(node) -> str:
    """The IR ``node`` simplified and written as a textbook would; the plain IR text if sympy is missing."""
    try:
        import sympy as sp
    except ImportError:  # pragma: no cover - sympy is a dependency; keep the app usable without it
        from gdsim.engine.functions import to_text

        return to_text(node)
    symbols = {v: sp.Symbol(v, real=True) for v in ("x", "y")}
    expr = _sympy(node, sp, symbols)
    if _size(node) <= MAX_SIMPLIFY_NODES:
        expr = sp.simplify(expr)
    return textbook(sp.sstr(expr))


def _size(node) -> int:
    return 1 + sum(_size(c) for c in node[1:] if isinstance(c, tuple))
