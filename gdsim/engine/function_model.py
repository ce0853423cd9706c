"""Function mode: a textbook function dressed as a network, so the Trainer needs no special cases.

``FunctionModel`` has the surface the Trainer and snapshots use (``params``, ``forward_backward``, ``targets``,
``sizes``, ``param_names``, ...). The "network" has no layers: its parameters are the point (x[, y]) and its
"loss" is f there, whatever loss name or data the Trainer passes (a dummy (1, 1) X). The optimizer updates
``params`` in place, exactly as it does a network's weights, so η, momentum, history, divergence and
trajectories mean the same thing in both modes.
"""

from __future__ import annotations

import numpy as np

from gdsim.engine.functions import CONSTANTS, FUNCTIONS, VARIABLES, Function, parse

# the notes call the bias5 variable b; other built-ins use x (and y)
VARIABLE_NAMES = {"bias5": ("b",)}


def make_function(spec: str) -> Function:
    """A built-in by name (``bias5``, ``rosenbrock``, ...) or an expression in x and y, parsed safely."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"empty function; give a name ({', '.join(FUNCTIONS)}) or an expression such as x**2 + y**2")
    spec = spec.strip()
    if spec in FUNCTIONS:
        return FUNCTIONS[spec]
    if spec.isidentifier() and spec not in VARIABLES and spec not in CONSTANTS:
        raise ValueError(f"unknown function {spec!r}; choose one of {', '.join(FUNCTIONS)} "
                         "or type an expression in x and y, e.g. x**2 + 3*sin(y)")
    try:
        return parse(spec)
    except ValueError as err:
        raise ValueError(f"function {spec!r}: {err}") from None


def variable_names(function: Function) -> tuple[str, ...]:
    return tuple(VARIABLE_NAMES.get(function.name, VARIABLES[:function.dim]))


class FunctionModel:
    """f: R^dim -> R behind the ``Model`` protocol, as a Network is; ``params`` is the current point."""

    n_in = 1
    n_out = 1
    sizes: tuple = ()
    activations: tuple = ()
    slots: tuple = ()  # no layers, no neurons: what the gradient-flow panel and the neuron lens look for
    layers: tuple = ()
    output_activation = "linear"

    def __init__(self, function: Function, start=None):
        self.function = function
        self.start = self._point(function.default_start if start is None else start)
        self.params = self.start.copy()
        self.param_names = variable_names(function)

    def _point(self, p) -> np.ndarray:
        p = np.array(p, dtype=np.float64).reshape(-1)
        if p.shape != (self.function.dim,):
            raise ValueError(f"{self.function.name} needs a start with {self.function.dim} coordinate(s) "
                             f"({', '.join(variable_names(self.function))}), got {p.size}")
        return p

    @property
    def n_params(self) -> int:
        return self.params.size

    @property
    def dim(self) -> int:
        return self.function.dim

    def value(self) -> float:
        return self.function.value(self.params)

    def set_params(self, theta) -> None:
        """Copy values in: the array is never replaced, so the optimizer's in-place updates stay visible."""
        self.params[...] = theta

    def reinitialize(self, start=None) -> None:
        """Back to ``start`` (default: where this model started)."""
        if start is not None:
            self.start = self._point(start)
        self.set_params(self.start)

    def copy(self) -> FunctionModel:
        other = FunctionModel(self.function, self.start)
        other.set_params(self.params)
        return other

    # ---------------------------------------------------------------- the Network surface

    def targets(self, y, loss: str = "mse") -> np.ndarray:
        """Dummy targets, one row per dummy sample: f has no data."""
        return np.zeros((np.atleast_1d(np.asarray(y)).shape[0], 1))

    def forward_all(self, X) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(zs, acts) as a network returns them; every "output" is f at the current point."""
        X = np.asarray(X, dtype=np.float64)
        out = np.full((X.shape[0], 1), self.value())
        return [out], [X, out]

    def forward(self, X) -> np.ndarray:
        return self.forward_all(X)[1][-1]

    def forward_backward(self, X, t, loss: str = "mse") -> tuple[float, np.ndarray, np.ndarray]:
        v = self.value()
        return v, np.array(self.function.grad(self.params), dtype=np.float64), np.array([[v]])

    def hvp(self, X, t, loss: str, v) -> np.ndarray:
        """∇²f·v at the current point, from the function's exact symbolic Hessian."""
        v = np.asarray(v, dtype=np.float64)
        if v.shape != self.params.shape:
            raise ValueError(f"v has shape {v.shape}, the parameters {self.params.shape}")
        return self.function.hessian(self.params) @ v

    def backprop(self, X, t, loss: str = "mse") -> tuple[float, np.ndarray]:
        return self.forward_backward(X, t, loss)[:2]

    def loss(self, X=None, y=None, loss: str = "mse") -> float:
        return self.value()

    def loss_and_grad(self, X=None, y=None, loss: str = "mse") -> tuple[float, np.ndarray]:
        return self.forward_backward(X, None, loss)[:2]

    def loss_batch(self, thetas, X=None, y=None, loss: str = "mse", chunk: int | None = None) -> np.ndarray:
        """f at K points at once: (K, dim) -> (K,)."""
        thetas = np.atleast_2d(np.asarray(thetas, dtype=np.float64))
        if thetas.ndim != 2 or thetas.shape[1] != self.n_params:
            raise ValueError(f"parameter vectors have {thetas.shape[-1]} entries, the function {self.n_params}")
        return np.asarray(self.function.value(thetas), dtype=np.float64).reshape(thetas.shape[0])
