"""Activation functions with their derivatives, side by side.

Each activation maps pre-activations ``z`` to ``a = f(z)``. ``backward(z, a, grad_a)`` returns ∂L/∂z given
∂L/∂a. For elementwise functions that is ``grad_a * f'(z)``; softmax is the one that mixes columns.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

LEAKY_SLOPE = 0.01


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1/(1 + e^−z) for z ≥ 0 and e^z/(1 + e^z) below: with e = exp(−|z|) ≤ 1 neither overflows, and
    σ(−40) is 4.2e-18 (not the 0 that (1 + tanh(z/2))/2 rounds to below z ≈ −37, which turns a following
    ReLU off where torch keeps it on)."""
    e = np.exp(-np.abs(z))
    s = 1.0 / (1.0 + e)
    return np.where(z >= 0, s, e * s)


def _sigmoid_derivative(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """σ'(z) = e/(1 + e)² with e = exp(−|z|): accurate on both tails, where a(1 − a) loses 1 − a for z ≫ 0."""
    e = np.exp(-np.abs(z))
    s = 1.0 / (1.0 + e)
    return e * s * s


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


FORWARD: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, LEAKY_SLOPE * z),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "softmax": _softmax,
}

# f'(z) written with whichever of z or a = f(z) is cheaper
_DERIVATIVE = {
    "linear": lambda z, a: np.ones_like(z),
    "relu": lambda z, a: (z > 0).astype(z.dtype),
    "leaky_relu": lambda z, a: np.where(z > 0, 1.0, LEAKY_SLOPE),
    "sigmoid": _sigmoid_derivative,
    "tanh": lambda z, a: 1.0 - a * a,
}

NAMES = tuple(FORWARD)
HIDDEN_NAMES = tuple(n for n in NAMES if n != "softmax")


def forward(name: str, z: np.ndarray) -> np.ndarray:
    return FORWARD[name](z)


def derivative(name: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Elementwise f'(z); not defined for softmax, whose Jacobian is not diagonal."""
    return _DERIVATIVE[name](z, a)


def backward(name: str, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
    if name == "linear":
        return grad_a
    if name == "softmax":
        # Jacobian-vector product: dz_i = a_i (g_i - Σ_j g_j a_j)
        return a * (grad_a - np.sum(grad_a * a, axis=-1, keepdims=True))
    return grad_a * _DERIVATIVE[name](z, a)


def check(name: str, *, output: bool) -> None:
    allowed = NAMES if output else HIDDEN_NAMES
    if name not in allowed:
        where = "output" if output else "hidden"
        raise ValueError(f"unknown {where} activation {name!r}; choose one of {', '.join(allowed)}")
