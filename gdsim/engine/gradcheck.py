"""Gradient checking: backpropagation against central finite differences, parameter by parameter.

This is how one debugs a hand-written backward pass: nudge one parameter by ±ε, see how the loss moves,
and compare with what backprop claims. With ε ≈ 1e-6 in float64 the two typically agree to about 1e-7
relative error (1e-9 … 5e-7: the difference quotient's truncation and rounding); a wrong rule shows up as an
error near 1.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gdsim.engine.network import Network


class GradRow(NamedTuple):
    name: str  # "W1[1,2]", "b2[1]" (Network.param_names, counted from 1)
    backprop: float
    numeric: float
    rel_error: float


def rel_error(a: float, b: float) -> float:
    """|a − b| / max(|a| + |b|, 1e-12): 0 when both vanish, near 1 when they disagree completely."""
    return abs(a - b) / max(abs(a) + abs(b), 1e-12)


def gradient_check(net: Network, X, y, loss: str, eps: float = 1e-6) -> list[GradRow]:
    """One row per parameter; ``net``'s parameters are left exactly as they were."""
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps}")
    X = np.asarray(X, dtype=np.float64)
    t = net.targets(y, loss)
    _, grad = net.backprop(X, t, loss)
    theta = net.params.copy()
    # all 2P nudged parameter vectors at once: row 2i is θ + ε·e_i, row 2i+1 is θ − ε·e_i
    P = net.n_params
    thetas = np.repeat(theta[None, :], 2 * P, axis=0)
    idx = np.arange(P)
    thetas[2 * idx, idx] += eps
    thetas[2 * idx + 1, idx] -= eps
    values = net.loss_batch(thetas, X, y, loss)
    h = thetas[2 * idx, idx] - thetas[2 * idx + 1, idx]  # the step actually taken after rounding θ ± ε
    numeric = (values[0::2] - values[1::2]) / h
    return [GradRow(name, float(g), float(n), rel_error(float(g), float(n)))
            for name, g, n in zip(net.param_names, grad, numeric, strict=True)]
