"""Function mode: gradient descent on a textbook function of x (and y) instead of a network.

Users may type their own function. It is parsed with ``ast`` and only a whitelist survives (numbers, x, y,
pi, e, + - * / **, unary ±, one-argument calls to elementary functions): nothing the user types is ever
``eval``-ed. The accepted tree becomes a tiny expression IR, differentiated symbolically (sum, product,
quotient, power and chain rules) so gradients are exact, and compiled to closures over NumPy ufuncs.

IR nodes are tuples: ("num", v), ("var", "x"), ("add"|"sub"|"mul"|"div"|"pow", a, b), ("neg", a),
("call", name, a).
"""

from __future__ import annotations

import ast
import math
from functools import partial

import numpy as np

MAX_LENGTH = 500
MAX_DEPTH = 100
VARIABLES = ("x", "y")
CONSTANTS = {"pi": math.pi, "e": math.e}
UFUNCS = {
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "exp": np.exp, "log": np.log, "log10": np.log10,
    "log2": np.log2, "sqrt": np.sqrt, "cbrt": np.cbrt, "abs": np.abs, "sign": np.sign, "tanh": np.tanh,
    "sinh": np.sinh, "cosh": np.cosh, "arctan": np.arctan, "arcsin": np.arcsin, "arccos": np.arccos,
    "arcsinh": np.arcsinh, "arccosh": np.arccosh, "arctanh": np.arctanh,
}
ALIASES = {"ln": "log", "atan": "arctan", "asin": "arcsin", "acos": "arccos", "asinh": "arcsinh",
           "acosh": "arccosh", "atanh": "arctanh"}
_BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_UFUNC_OF = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "pow": np.power}
_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}
_REFUSED = {
    ast.Attribute: "attribute access", ast.Subscript: "subscripts", ast.Lambda: "lambdas",
    ast.ListComp: "comprehensions", ast.SetComp: "comprehensions", ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generator expressions", ast.IfExp: "conditional expressions",
    ast.Compare: "comparisons", ast.BoolOp: "and/or", ast.Tuple: "tuples", ast.List: "lists",
    ast.Dict: "dicts", ast.Set: "sets", ast.JoinedStr: "f-strings", ast.NamedExpr: "assignments",
}
ALLOWED = f"numbers, x, y, pi, e, + - * / **, and one-argument calls to {', '.join(UFUNCS)}"


# --------------------------------------------------------------------------- IR with light simplification
def num(v) -> tuple:
    return ("num", float(v))


def _is(node, v) -> bool:
    return node[0] == "num" and node[1] == v


def _fold(f, *vals) -> tuple:
    with np.errstate(all="ignore"):
        return num(f(*(np.float64(v) for v in vals)))


def binary(op: str, a, b) -> tuple:
    """(op, a, b) with constants folded and the identities 0+e, e-0, 0*e, 1*e, e/1, e**0, e**1 removed."""
    if a[0] == b[0] == "num":
        return _fold(_UFUNC_OF[op], a[1], b[1])
    if op == "mul":
        if _is(a, 0) or _is(b, 0):
            return num(0)
        if b[0] == "num":  # constants first: 2*x, not x*2
            a, b = b, a
        if a[0] == "num" and b[0] == "mul" and b[1][0] == "num":  # 5*(2*x) -> 10*x
            return binary("mul", _fold(np.multiply, a[1], b[1][1]), b[2])
        return b if _is(a, 1) else neg(b) if _is(a, -1) else ("mul", a, b)
    if (op in ("add", "sub") and _is(b, 0)) or (op == "div" and (_is(a, 0) or _is(b, 1))):
        return a
    if op == "add" and _is(a, 0):
        return b
    if op == "sub" and _is(a, 0):
        return neg(b)
    if op == "pow" and (_is(b, 0) or _is(b, 1)):
        return num(1) if _is(b, 0) else a
    return (op, a, b)


add, sub, mul, div, pow_ = (partial(binary, op) for op in ("add", "sub", "mul", "div", "pow"))


def neg(a):
    return num(-a[1]) if a[0] == "num" else a[1] if a[0] == "neg" else ("neg", a)


def call(name, a):
    return _fold(UFUNCS[name], a[1]) if a[0] == "num" else ("call", name, a)


def variables(node) -> set[str]:
    if node[0] == "var":
        return {node[1]}
    return set().union(*(variables(c) for c in node[1:] if isinstance(c, tuple)))


# --------------------------------------------------------------------------- safe parsing
def to_ir(expr: str) -> tuple:
    """Parse ``expr`` into the IR, refusing everything outside the whitelist with a one-line ValueError."""
    if not isinstance(expr, str):
        raise ValueError(f"a function must be given as text, got {type(expr).__name__}")
    if not expr.strip():
        raise ValueError("the function is empty; type an expression in x (and y), e.g. x**2 + y**2")
    if len(expr) > MAX_LENGTH:
        raise ValueError(f"the function is {len(expr)} characters long; at most {MAX_LENGTH} are allowed")
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as err:
        raise ValueError(f"cannot parse {expr.strip()!r}: {err.msg}") from None
    except (RecursionError, MemoryError):
        raise ValueError("refused: the expression is nested too deeply") from None
    return _convert(tree.body, expr.strip(), 1)


def _refuse(what: str, node, src: str) -> ValueError:
    seg = ast.get_source_segment(src, node) or ""
    return ValueError(f"refused {what}" + (f" in {seg!r}" if seg else "") + f"; allowed: {ALLOWED}")


def _convert(node, src: str, depth: int) -> tuple:
    if depth > MAX_DEPTH:
        raise ValueError(f"refused: the expression is nested more than {MAX_DEPTH} levels deep")
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise _refuse("strings" if isinstance(v, str) else f"the constant {v!r}", node, src)
        if isinstance(v, int) and abs(v) > 2**1023:
            raise _refuse("a number too large for a float", node, src)
        return num(v)
    if isinstance(node, ast.Name):
        if node.id in VARIABLES:
            return ("var", node.id)
        if node.id in CONSTANTS:
            return num(CONSTANTS[node.id])
        raise _refuse(f"the unknown name {node.id!r} (variables are x and y)", node, src)
    if isinstance(node, ast.BinOp):
        op = _BINOPS.get(type(node.op))
        if op is None:
            hint = " (use ** for powers)" if isinstance(node.op, ast.BitXor) else ""
            raise _refuse(f"the operator {type(node.op).__name__}{hint}", node, src)
        return binary(op, _convert(node.left, src, depth + 1), _convert(node.right, src, depth + 1))
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.UAdd):
            return _convert(node.operand, src, depth + 1)
        if isinstance(node.op, ast.USub):
            return neg(_convert(node.operand, src, depth + 1))
        raise _refuse(f"the unary operator {type(node.op).__name__}", node, src)
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise _refuse("calls of anything but a plain function name", node, src)
        name = ALIASES.get(node.func.id, node.func.id)
        if name not in UFUNCS:
            raise _refuse(f"a call to unknown function {node.func.id!r}", node, src)
        if node.keywords:
            raise _refuse(f"keyword arguments to {name}()", node, src)
        if len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise _refuse(f"{name}() with {len(node.args)} arguments ({name} takes exactly one)", node, src)
        return call(name, _convert(node.args[0], src, depth + 1))
    what = _REFUSED.get(type(node), f"{type(node).__name__} expressions")
    raise _refuse(what, node, src)


# --------------------------------------------------------------------------- symbolic derivative
def _inv(e):
    return div(num(1), e)


def _sq(e):
    return pow_(e, num(2))


# f'(u) for each whitelisted f, written with the IR constructors
_DERIV = {
    "sin": lambda u: call("cos", u), "cos": lambda u: neg(call("sin", u)),
    "tan": lambda u: _inv(_sq(call("cos", u))), "exp": lambda u: call("exp", u), "log": _inv,
    "log10": lambda u: _inv(mul(num(math.log(10)), u)), "log2": lambda u: _inv(mul(num(math.log(2)), u)),
    "sqrt": lambda u: div(num(0.5), call("sqrt", u)), "abs": lambda u: call("sign", u),
    "cbrt": lambda u: _inv(mul(num(3), _sq(call("cbrt", u)))), "sign": lambda u: num(0),
    "tanh": lambda u: sub(num(1), _sq(call("tanh", u))),
    "sinh": lambda u: call("cosh", u), "cosh": lambda u: call("sinh", u),
    "arctan": lambda u: _inv(add(num(1), _sq(u))),
    "arcsin": lambda u: _inv(call("sqrt", sub(num(1), _sq(u)))),
    "arccos": lambda u: neg(_inv(call("sqrt", sub(num(1), _sq(u))))),
    "arcsinh": lambda u: _inv(call("sqrt", add(_sq(u), num(1)))),
    "arccosh": lambda u: _inv(call("sqrt", sub(_sq(u), num(1)))),
    "arctanh": lambda u: _inv(sub(num(1), _sq(u))),
}


def derivative(node, var: str) -> tuple:
    """∂node/∂var as IR: sum, product, quotient, power and chain rules."""
    op = node[0]
    if op == "num":
        return num(0)
    if op == "var":
        return num(1 if node[1] == var else 0)
    if op == "neg":
        return neg(derivative(node[1], var))
    if op == "call":
        return mul(_DERIV[node[1]](node[2]), derivative(node[2], var))
    a, b = node[1], node[2]
    da, db = derivative(a, var), derivative(b, var)
    if op in ("add", "sub"):
        return binary(op, da, db)
    if op == "mul":
        return add(mul(da, b), mul(a, db))
    if op == "div":
        return div(sub(mul(da, b), mul(a, db)), pow_(b, num(2)))
    if var not in variables(b):  # u**c: c u**(c-1) u'  (no log, so x**2 is fine at x = 0)
        return mul(mul(b, pow_(a, sub(b, num(1)))), da)
    if var not in variables(a):  # c**v: c**v ln(c) v'
        return mul(mul(node, call("log", a)), db)
    return mul(node, add(mul(db, call("log", a)), div(mul(b, da), a)))


def to_text(node) -> str:
    """The IR as a Python-style expression (parenthesised generously), for display."""
    op = node[0]
    if op in ("num", "var"):
        text = node[1] if op == "var" else f"{node[1]:.15g}"
        return f"({text})" if text.startswith("-") else text
    if op == "neg":
        return f"-({to_text(node[1])})" if node[1][0] in _SYMBOLS else f"-{to_text(node[1])}"
    if op == "call":
        return f"{node[1]}({to_text(node[2])})"
    parts = [to_text(c) if c[0] in ("num", "var", "call") else f"({to_text(c)})" for c in node[1:]]
    return f"{parts[0]} {_SYMBOLS[op]} {parts[1]}"


# --------------------------------------------------------------------------- compilation to NumPy
def compile_ir(node):
    """A closure env -> array, where env = (x, y) arrays; no strings are evaluated."""
    op = node[0]
    if op == "num":
        return lambda env, v=node[1]: v
    if op == "var":
        i = VARIABLES.index(node[1])
        return lambda env: env[i]
    if op in ("neg", "call"):
        u, f = (np.negative, compile_ir(node[1])) if op == "neg" else (UFUNCS[node[1]], compile_ir(node[2]))
        return lambda env: u(f(env))
    u, f, g = _UFUNC_OF[op], compile_ir(node[1]), compile_ir(node[2])
    return lambda env: u(f(env), g(env))


# --------------------------------------------------------------------------- functions
class Function:
    """f: R^dim -> R with its exact gradient. ``value`` is vectorised over points of shape (..., dim)."""

    def __init__(self, expression: str, name: str | None = None, default_start=None, default_range=None,
                 minima=(), description: str = ""):
        self.expression = expression.strip() if isinstance(expression, str) else expression
        self.ir = to_ir(expression)
        self.dim = 2 if "y" in variables(self.ir) else 1
        self.name = name or self.expression
        self.gradient_ir = tuple(derivative(self.ir, v) for v in VARIABLES[:self.dim])
        self._value = compile_ir(self.ir)
        self._grads = tuple(compile_ir(g) for g in self.gradient_ir)
        self._hessian: list | None = None
        start = (1.0,) * self.dim if default_start is None else np.ravel(default_start)
        self.default_start = tuple(float(v) for v in start)
        ranges = ((-3.0, 3.0),) * self.dim if default_range is None else default_range
        self.default_range = tuple((float(lo), float(hi)) for lo, hi in ranges)
        if len(self.default_start) != self.dim or len(self.default_range) != self.dim:
            raise ValueError(f"{self.name}: start and range need {self.dim} coordinate(s)")
        self.minima = tuple(tuple(float(v) for v in m) for m in minima)
        self.description = description

    def _points(self, P) -> np.ndarray:
        P = np.asarray(P, dtype=np.float64)
        if P.shape[-1:] != (self.dim,):
            raise ValueError(f"{self.name}: points must have shape (..., {self.dim}), got {P.shape}")
        return P

    def _eval(self, f, P: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):  # overflow and log(-1) give inf/nan: failures are data
            out = f(tuple(P[..., i] for i in range(self.dim)))
        return np.broadcast_to(np.asarray(out, dtype=np.float64), P.shape[:-1]).copy()

    def value(self, P):
        """f at points (..., dim) -> (...); a float for a single point."""
        P = self._points(P)
        v = self._eval(self._value, P)
        return float(v) if v.ndim == 0 else v

    def grad(self, p) -> np.ndarray:
        """∇f at a point (dim,) -> (dim,); also works on (..., dim) -> (..., dim)."""
        P = self._points(p)
        return np.stack([self._eval(g, P) for g in self._grads], axis=-1)

    def hessian(self, p) -> np.ndarray:
        """∇²f at a point (dim,) -> (dim, dim), exact: the symbolic derivative of each gradient component.

        Built on first use (only curvature needs it), so typing a function costs no more than before.
        """
        if self._hessian is None:
            ir = [[derivative(g, v) for v in VARIABLES[:self.dim]] for g in self.gradient_ir]
            self._hessian = [[compile_ir(h) for h in row] for row in ir]
        P = self._points(p)
        return np.stack([np.stack([self._eval(h, P) for h in row], axis=-1) for row in self._hessian], axis=-2)

    def gradient_text(self) -> tuple[str, ...]:
        return tuple(to_text(g) for g in self.gradient_ir)


def parse(expr: str, **meta) -> Function:
    """A function of x (and y) typed in; ``meta``: name, default_start, default_range, minima, description."""
    return Function(expr, **meta)


_R2, _R5 = ((-3.0, 3.0),) * 2, ((-5.0, 5.0),) * 2
# name, expression, start, range, minima, description
_BUILTINS = (
    ("x2", "x**2", (2.0,), ((-3.0, 3.0),), ((0.0,),),
     "x²: θ ← (1 − 2η)θ converges for 0 < η < 1, oscillating when η > 0.5, and diverges for η > 1."),
    ("bias5", "5*x**2", (-5.0,), ((-6.0, 6.0),), ((0.0,),), "5b², the notes' example from b = −5: "
     "η = 1 jumps to 45, η = 0.01 creeps to −4.5; GD converges only for η < 0.2."),
    ("bowl", "x**2 + y**2", (-2.0, 1.5), _R2, ((0.0, 0.0),),
     "x² + y²: a round bowl; the gradient points straight at the minimum."),
    ("elongated", "0.5*x**2 + 5*y**2", (-2.5, 1.0), _R2, ((0.0, 0.0),),
     "½x² + 5y²: condition number 10; GD zig-zags across the narrow valley (η < 0.2 for stability)."),
    ("saddle", "x**2 - y**2", (-2.0, 0.01), _R2, (),
     "x² − y²: a saddle at the origin; GD heads for it, then the tiny y offset grows and escapes."),
    ("rosenbrock", "(1 - x)**2 + 100*(y - x**2)**2", (-1.5, 2.0), ((-2.0, 2.0), (-1.0, 3.0)), ((1.0, 1.0),),
     "Rosenbrock: a curved, flat-bottomed valley; easy to find, slow to follow."),
    ("himmelblau", "(x**2 + y - 11)**2 + (x + y**2 - 7)**2", (0.0, 0.0), _R5,
     ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)),
     "Himmelblau: four equal minima; which one GD finds depends on the start."),
    ("beale", "(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2", (1.0, 1.5),
     ((-4.5, 4.5),) * 2, ((3.0, 0.5),), "Beale: sharp ridges and flat plateaus around the minimum (3, 0.5)."),
    ("rastrigin", "20 + x**2 - 10*cos(2*pi*x) + y**2 - 10*cos(2*pi*y)", (3.2, -2.3), ((-5.12, 5.12),) * 2,
     ((0.0, 0.0),), "Rastrigin: a bowl covered in local minima; plain GD stops in the nearest one."),
)
FUNCTIONS: dict[str, Function] = {name: Function(expr, name, *rest) for name, expr, *rest in _BUILTINS}


def run(function: Function, optimizer: str = "sgd", lr: float = 0.1, start=None, steps: int = 100,
        **kw) -> np.ndarray:
    """Optimise ``function`` from ``start`` (default its own): the path (T+1, dim), start included.

    Stops early, without appending it, at the first point whose value or gradient is not finite, so the
    path is always plottable; ``len(path) < steps + 1`` means it left the finite numbers (the trainer's
    divergence rule, which also catches a loss that only explodes, is ``gdsim.engine.divergence``). ``kw`` goes to
    the optimizer.
    """
    from gdsim.engine.optimizers import make_optimizer

    opt = make_optimizer(optimizer, function.dim, **kw)
    p = np.array(function.default_start if start is None else start, dtype=np.float64).reshape(-1)
    if p.shape != (function.dim,):
        raise ValueError(f"{function.name}: start must have {function.dim} coordinate(s), got {p.size}")
    path, g = [p.copy()], function.grad(p)
    for i in range(int(steps) + 1):
        if not (np.all(np.isfinite(p)) and np.all(np.isfinite(g)) and np.isfinite(function.value(p))):
            break
        if i:
            path.append(p.copy())
        if i < steps:
            opt.step(p, g, lr)
            g = function.grad(p)
    return np.array(path)
