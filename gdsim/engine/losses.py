"""Loss functions. All return a mean, so η means the same thing for any number of samples.

``value(name, z, a, t)`` takes the output layer's pre-activation ``z`` and activation ``a`` because the
stable forms of BCE and cross-entropy are written in logits. ``grad_z(name, z, a, t, act)`` returns
∂L/∂z of the output layer (the first δ of backpropagation), fused where the pairing allows it.
"""

from __future__ import annotations

import numpy as np

from gdsim.engine import activations

NAMES = ("mse", "half_mse", "bce", "cross_entropy")

# losses whose formula is written on logits need this output activation
REQUIRED_OUTPUT = {"bce": "sigmoid", "cross_entropy": "softmax"}
DEFAULT_OUTPUT = {"mse": "linear", "half_mse": "linear", "bce": "sigmoid", "cross_entropy": "softmax"}


def check(name: str, output_activation: str, n_out: int) -> None:
    if name not in NAMES:
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(NAMES)}")
    need = REQUIRED_OUTPUT.get(name)
    if need and output_activation != need:
        raise ValueError(f"loss {name} needs a {need} output activation, not {output_activation}")
    if name == "cross_entropy" and n_out < 2:
        raise ValueError("cross_entropy needs at least 2 outputs (one output: bce, for targets in [0, 1])")
    if output_activation == "softmax" and name != "cross_entropy" and n_out < 2:
        raise ValueError("a softmax output needs at least 2 outputs")


def targets(name: str, y: np.ndarray, n_out: int) -> np.ndarray:
    """Shape targets as (n, n_out) floats; integer class labels become one-hot for cross-entropy."""
    y = np.asarray(y)
    if name == "cross_entropy" and (y.ndim == 1 or y.shape[-1] == 1) and n_out > 1:
        labels = y.reshape(-1).astype(np.int64)
        if labels.size and (labels.min() < 0 or labels.max() >= n_out):
            raise ValueError(f"class labels must lie in 0..{n_out - 1}")
        return np.eye(n_out)[labels]
    y = y.astype(np.float64)
    if y.ndim == 1:
        y = y[:, None]
    if y.shape[-1] != n_out:
        raise ValueError(f"targets have {y.shape[-1]} columns but the network has {n_out} outputs")
    return y


def value(name: str, z: np.ndarray, a: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Loss over the last two axes (samples, outputs); leading axes (a batch of parameter vectors) stay."""
    # sums divided by counts rather than np.mean: the same numbers with less overhead on the hot path
    count = t.shape[-2] * t.shape[-1]
    if name in ("mse", "half_mse"):
        d = a - t
        m = np.add.reduce((d * d).reshape(*d.shape[:-2], -1), axis=-1) / count
        return 0.5 * m if name == "half_mse" else m
    if name == "bce":
        # softplus(z) − t·z, grouped as (max(z, 0) − t·z) + log1p(e^−|z|): for t = 1 and z = 40 the first
        # part cancels exactly and the loss is e^−40 (as torch's BCEWithLogits), not 40 − 40 = 0
        per = (np.maximum(z, 0.0) - t * z) + np.log1p(np.exp(-np.abs(z)))
        return np.add.reduce(per.reshape(*z.shape[:-2], -1), axis=-1) / count
    if name == "cross_entropy":
        zmax = z.max(axis=-1, keepdims=True)
        lse = zmax[..., 0] + np.log(np.sum(np.exp(z - zmax), axis=-1))
        return np.add.reduce(lse - np.sum(t * z, axis=-1), axis=-1) / t.shape[-2]
    raise ValueError(f"unknown loss {name!r}")


def grad_z(name: str, z: np.ndarray, a: np.ndarray, t: np.ndarray, act: str) -> np.ndarray:
    """∂L/∂z for the output layer (δ of the output layer)."""
    n = t.shape[-2]
    if name == "bce":
        return (a - t) / t.size
    if name == "cross_entropy":
        return (a - t) / n
    scale = 1.0 if name == "half_mse" else 2.0
    grad_a = scale * (a - t) / t.size
    return activations.backward(act, z, a, grad_a)
