"""Function mode's page: derivatives simplified as a textbook writes them, minima said honestly."""

import pytest

from gdsim.engine.formula_text import simplified, textbook
from gdsim.engine.function_model import make_function
from gdsim.ui.panels.function_info import FunctionInfo


@pytest.mark.parametrize("spec, expected", [
    ("(x - 1)**4/4", ["(x − 1)³"]),  # was (16*((x−1)**3))/16
    ("rastrigin", ["2x + 20π·sin(2πx)", "2y + 20π·sin(2πy)"]),  # was (2 * x) − (62.83… * (−sin(…)))
    ("x**2 + 3*sin(y)", ["2x", "3·cos(y)"]),
    ("rosenbrock", ["400x·(x² − y) + 2x − 2", "−200x² + 200y"]),
    ("exp(-x**2)", ["−2x·exp(−x²)"]),
    ("0.5*x**2", ["x"]),
])
def test_derivatives_are_simplified(spec, expected):
    f = make_function(spec)
    assert [simplified(g) for g in f.gradient_ir] == expected


def test_textbook_printing():
    assert textbook("2*x**2 - 20*pi*sin(2*pi*x)") == "2x² − 20π·sin(2πx)"
    assert textbook("-x**(-3)") == "−x⁻³"


def test_display_needs_no_eval_and_training_never_imports_sympy():
    import subprocess
    import sys

    code = ("import sys; from gdsim.lab import config as c; b = c.build(c.Config().with_changes("
            "problem={'dataset': 'function:rastrigin'})); b.trainer.run(3); print('sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_page_shows_simplified_gradient_in_the_functions_own_variable(qtbot):
    page = FunctionInfo()
    qtbot.addWidget(page)
    page.show_function(make_function("bias5"))
    assert "∂f/∂b&nbsp;=&nbsp;</td><td><code>10b</code>" in page.text()
    assert "Minima: (0)" in page.text()


@pytest.mark.parametrize("spec, minima", [
    ("x**2 + 3*sin(y)", "Minima: not listed"),  # infinitely many: (0, −π/2 + 2πk)
    ("saddle", "Minima: none"),  # a built-in known to have none
    ("himmelblau", "Minima: (3, 2), (−2.80512"),
])
def test_minima_are_listed_only_when_known(qtbot, spec, minima):
    page = FunctionInfo()
    qtbot.addWidget(page)
    page.show_function(make_function(spec))
    assert minima.replace("−", "-") in page.text()
