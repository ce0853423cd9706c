"""Function mode: exact gradients, a parser that refuses all but arithmetic, and the notes' 5b² numbers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdsim.engine.functions import FUNCTIONS, Function, parse, run


def central_difference(f: Function, p: np.ndarray, h: float = 1e-5) -> np.ndarray:
    g = np.empty(f.dim)
    for i in range(f.dim):
        e = np.zeros(f.dim)
        e[i] = h
        g[i] = (f.value(p + e) - f.value(p - e)) / (2 * h)
    return g


def assert_gradient_matches(f: Function, p) -> None:
    p = np.asarray(p, dtype=np.float64)
    exact, numeric = f.grad(p), central_difference(f, p)
    scale = 1.0 + np.abs(exact).max() + abs(f.value(p))
    np.testing.assert_allclose(exact, numeric, rtol=0, atol=2e-6 * scale)


# expressions that exercise every rule and every whitelisted function on [-3, 3]² (inside their domains)
EXPRESSIONS = [
    "x**2 + 3*sin(y)", "sin(x)*cos(y)", "tan(x/3)", "exp(-(x**2+y**2))", "log(1 + x**2 + y**2)",
    "ln(4 + x) - log10(2 + x**2) + log2(2 + y**2)", "sqrt(1 + x**2) * cbrt(2 + y**2)", "abs(x + 10) * y",
    "tanh(x*y)", "sinh(x/2) + cosh(y/2)", "atan(x*y) + arctan(x)", "asin(x/4) + acos(y/4)",
    "asinh(x) + acosh(4 + y**2) + atanh(x/4)", "(2 + x**2)**y", "2**x + e**y + pi", "x**3 / (1 + y**2)",
    "(x - y)**2 / (1 + exp(x))", "-x**2 + +y", "(1 + x**2)**-1.5", "sqrt(x**2 + y**2 + 1)**3",
    "x", "-x", "2e-3*x", "x**x", "sign(y) * 0 + x**4", "1/(3 + sin(x*y))",
]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_builtin_gradient_at_start_and_minima(name):
    f = FUNCTIONS[name]
    assert f.name == name and f.dim == len(f.default_start) == len(f.default_range)
    assert f.description
    assert_gradient_matches(f, f.default_start)
    for m in f.minima:
        np.testing.assert_allclose(f.grad(m), 0.0, atol=2e-4)  # minima are listed to 6 decimals


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(FUNCTIONS)), st.floats(0, 1), st.floats(0, 1))
def test_builtin_gradients_match_finite_differences(name, u, v):
    f = FUNCTIONS[name]
    p = [lo + t * (hi - lo) for (lo, hi), t in zip(f.default_range, (u, v)[: f.dim], strict=True)]
    assert_gradient_matches(f, p)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(EXPRESSIONS), st.floats(-3, 3), st.floats(-3, 3))
def test_parsed_gradients_match_finite_differences(expr, x, y):
    f = parse(expr)
    p = [x, y][: f.dim]
    if expr == "x**x":
        p = [abs(x) + 0.5]
    assert_gradient_matches(f, p)


def test_gradients_are_exact_and_printable():
    f = parse("x**3 * y**2")
    np.testing.assert_array_equal(f.grad([2.0, 3.0]), [108.0, 48.0])
    assert parse("x**2").gradient_text() == ("2 * x",)
    assert parse("5*x**2").gradient_text() == ("10 * x",)
    assert parse("x**2 + 3*sin(y)").gradient_text() == ("2 * x", "3 * cos(y)")


@pytest.mark.parametrize("expr", EXPRESSIONS + [f.expression for f in FUNCTIONS.values()])
def test_gradient_text_parses_back_to_the_same_gradient(expr):
    f = parse(expr)
    rng = np.random.default_rng(0)
    pts = rng.uniform(0.5, 2.0, (25, f.dim))
    for i, text in enumerate(f.gradient_text()):
        g = parse(text)  # the printed derivative is itself a valid, whitelisted expression
        np.testing.assert_allclose(g.value(pts[:, : g.dim]), f.grad(pts)[:, i], rtol=1e-12, atol=1e-12)


def test_value_is_vectorised_and_single_points_give_floats():
    f = FUNCTIONS["rosenbrock"]
    grid = np.stack(np.meshgrid(np.linspace(-2, 2, 7), np.linspace(-1, 3, 5)), axis=-1)
    values = f.value(grid)
    assert values.shape == (5, 7)
    assert values[2, 3] == f.value(grid[2, 3]) and isinstance(f.value(grid[2, 3]), float)
    assert f.grad(grid).shape == (5, 7, 2)
    assert f.value((1.0, 1.0)) == 0.0
    const = parse("2*pi")
    assert const.dim == 1 and const.value(np.zeros((4, 1))).shape == (4,)
    np.testing.assert_array_equal(const.grad([3.0]), [0.0])
    with pytest.raises(ValueError, match="shape"):
        f.value([1.0, 2.0, 3.0])


@pytest.mark.parametrize("expr, dim", [("x**2 + 3*sin(y)", 2), ("-x", 1), ("2e-3*x", 1),
                                       ("exp(-(x**2+y**2))", 2), ("y**2", 2), ("3", 1)])
def test_parser_accepts_arithmetic_and_sets_the_dimension(expr, dim):
    f = parse(expr)
    assert f.dim == dim
    assert f.value(np.full(dim, 0.5)) == pytest.approx(
        {"x**2 + 3*sin(y)": 0.25 + 3 * np.sin(0.5), "-x": -0.5, "2e-3*x": 1e-3,
         "exp(-(x**2+y**2))": np.exp(-0.5), "y**2": 0.25, "3": 3.0}[expr])


@pytest.mark.parametrize("expr, why", [
    ("__import__('os')", "unknown function '__import__'"),
    ("x.__class__", "attribute access"),
    ("().__class__", "attribute access"),
    ("open('f')", "unknown function 'open'"),
    ("lambda: 1", "lambdas"),
    ("[x for x in y]", "comprehensions"),
    ("'a'", "strings"),
    ("x if y else 1", "conditional expressions"),
    ("exp(x, y)", "exp takes exactly one"),
    ("exp(x=1)", "keyword arguments"),
    ("z + 1", "unknown name 'z'"),
    ("x[0]", "subscripts"),
    ("x < y", "comparisons"),
    ("x ^ 2", "use \\*\\* for powers"),
    ("x // 2", "FloorDiv"),
    ("sin", "unknown name 'sin'"),
    ("(lambda: 0)()", "calls of anything but a plain function name"),
    ("x; import os", "cannot parse"),
    ("x +", "cannot parse"),
    ("", "empty"),
    ("True", "constant True"),
    ("1j", "constant 1j"),
    ("x" + "+x" * 250, "at most 500"),
    ("-" * 150 + "x", "nested more than 100"),
    ("(x*" * 101 + "x" + ")" * 101, "nested more than 100"),
    ("9" * 400, "too large"),
])
def test_parser_refuses_everything_else_with_one_line(expr, why):
    with pytest.raises(ValueError, match=why) as err:
        parse(expr)
    assert "\n" not in str(err.value)


def test_parser_does_not_evaluate_anything():
    with pytest.raises(ValueError):
        parse("__import__('os').system('echo pwned > /tmp/gdsim_pwned')")
    with pytest.raises(ValueError):
        parse(12)  # not text
    f = parse("10**10**10 * x")  # floats, never Python's unbounded ints: no hang
    assert f.value([1.0]) == np.inf


def test_course_notes_five_b_squared_numbers():
    f = FUNCTIONS["bias5"]
    b = np.array(f.default_start)
    assert b[0] == -5.0 and f.grad(b)[0] == -50.0  # dL/db = 10b
    assert (b - 1.0 * f.grad(b))[0] == 45.0  # η = 1: overshoots to 45
    assert (b - 0.01 * f.grad(b))[0] == pytest.approx(-4.5, abs=1e-15)  # η = 0.01: a small careful step
    np.testing.assert_array_equal(run(f, "sgd", lr=1.0, steps=1), [[-5.0], [45.0]])
    np.testing.assert_allclose(run(f, "sgd", lr=0.01, steps=1), [[-5.0], [-4.5]], atol=1e-15)


def test_run_plain_gd_follows_the_update_rule_and_stops_on_divergence():
    f = FUNCTIONS["x2"]
    path = run(f, lr=0.1, steps=5)
    np.testing.assert_allclose(path[:, 0], 2.0 * 0.8 ** np.arange(6), rtol=1e-14)
    diverged = run(FUNCTIONS["bias5"], "sgd", lr=1.0, steps=2000)  # b ← −9b blows up
    assert 100 < len(diverged) < 2001 and np.all(np.isfinite(diverged))
    assert abs(diverged[-1, 0]) > 1e150
    assert len(run(parse("log(x)"), start=[-1.0])) == 1  # a start outside the domain: just the start
    with pytest.raises(ValueError, match="coordinate"):
        run(FUNCTIONS["bowl"], start=[1.0])


def test_run_with_momentum_matches_its_formula_and_adam_descends():
    f, lr, mu = FUNCTIONS["elongated"], 0.05, 0.9
    path = run(f, "momentum", lr=lr, steps=3, momentum=mu)
    p, v = np.array(f.default_start), np.zeros(2)
    for k in range(3):  # torch's SGD with momentum: v ← μv + g (v = g at the first step), θ ← θ − ηv
        g = f.grad(p)
        v = g if k == 0 else mu * v + g
        p = p - lr * v
        np.testing.assert_allclose(path[k + 1], p, rtol=1e-14)
    adam = run(FUNCTIONS["bowl"], "adam", lr=0.05, steps=500)
    assert adam.shape == (501, 2) and np.linalg.norm(adam[-1]) < 0.05
