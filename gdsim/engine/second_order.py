"""Second derivatives of activations and losses: the pieces of Pearlmutter's R-operator.

R{·} is the directional derivative d/dr(·)(θ + r·v) at r = 0. Pushing it through the forward pass gives R{z}
and R{a} for every layer; pushing it through backpropagation gives R{∂L/∂θ} = H·v exactly, at the cost of
about two gradients and with no step size to choose. ReLU and leaky ReLU are piecewise linear: their second
derivative is 0 wherever it exists, and at a kink (z = 0 exactly) the same one-sided slope as backprop is
used (ReLU' = 0, leaky ReLU' = 0.01, as PyTorch does), so H·v is the Hessian of the same piece the gradient
describes — finite differences instead step across the kink and can be off by orders of magnitude.
"""

from __future__ import annotations

import numpy as np

from gdsim.engine import activations


def r_activation(name: str, z: np.ndarray, a: np.ndarray, rz: np.ndarray) -> np.ndarray:
    """R{a} = f'(z)·R{z} (for softmax the Jacobian-vector product a ⊙ (R{z} − Σ a R{z}))."""
    if name == "linear":
        return rz
    if name == "softmax":
        return a * (rz - np.sum(a * rz, axis=-1, keepdims=True))
    return activations.derivative(name, z, a) * rz


def second_derivative(name: str, z: np.ndarray, a: np.ndarray) -> np.ndarray | None:
    """f''(z) elementwise, or None where it is zero everywhere (linear, ReLU, leaky ReLU)."""
    if name in ("linear", "relu", "leaky_relu"):
        return None
    if name == "sigmoid":  # f' = a(1 − a), f'' = f'(1 − 2a)
        return a * (1.0 - a) * (1.0 - 2.0 * a)
    if name == "tanh":  # f' = 1 − a², f'' = −2a(1 − a²)
        return -2.0 * a * (1.0 - a * a)
    raise ValueError(f"no elementwise second derivative for activation {name!r}")


def r_backward(name: str, z: np.ndarray, a: np.ndarray, rz: np.ndarray, grad_a: np.ndarray,
               r_grad_a: np.ndarray) -> np.ndarray:
    """R{∂L/∂z} for a hidden layer, where ∂L/∂z = f'(z) ⊙ ∂L/∂a: f' R{∂L/∂a} + f'' R{z} ⊙ ∂L/∂a."""
    out = activations.backward(name, z, a, r_grad_a)
    f2 = second_derivative(name, z, a)
    if f2 is not None:
        out = out + f2 * rz * grad_a
    return out


def r_output_delta(loss: str, act: str, z: np.ndarray, a: np.ndarray, t: np.ndarray, rz: np.ndarray,
                   ra: np.ndarray) -> np.ndarray:
    """R{δ} of the output layer, δ = ∂L/∂z (``losses.grad_z``): the loss's Hessian in z applied to R{z}.

    BCE on a sigmoid and cross-entropy on a softmax fuse to δ = (a − t)/N, so R{δ} = R{a}/N. For (half) MSE
    δ = c(a − t)/N backpropagated through the output activation: c/N (f'² + (a − t) f'') R{z} elementwise,
    and for a softmax output the product rule through its Jacobian-vector product.
    """
    n = t.shape[-2]
    if loss == "bce":
        return ra / t.size
    if loss == "cross_entropy":
        return ra / n
    c = (1.0 if loss == "half_mse" else 2.0) / t.size
    g, rg = c * (a - t), c * ra  # ∂L/∂a and its R
    if act == "softmax":  # δ = a ⊙ (g − Σ g a)
        s = np.sum(g * a, axis=-1, keepdims=True)
        rs = np.sum(rg * a + g * ra, axis=-1, keepdims=True)
        return ra * (g - s) + a * (rg - rs)
    return r_backward(act, z, a, rz, g, rg)
