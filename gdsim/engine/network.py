"""A multilayer perceptron whose weights and biases live in one flat float64 vector.

Layer ``l`` (1-based in names, as in the course notes' w11, b21) computes ``z = a @ W + b`` and
``a' = f(z)``. ``W`` has shape (n_in, n_out); ``W`` and ``b`` are views into ``params``, laid out
W1 (row-major), b1, W2, b2, ... so optimizers, trajectories and surfaces all work on one array.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from gdsim.engine import activations, losses, second_order

INITS = ("uniform", "normal", "xavier", "he", "zeros")

# bytes allowed for one chunk of activations in loss_batch
_BATCH_BYTES = 2**20  # ~1 MB of activations per chunk stays in cache: measured 3x faster than 32 MB


@dataclass(frozen=True)
class LayerSlots:
    """Where layer l's W and b sit in the flat vector."""

    n_in: int
    n_out: int
    w: slice
    b: slice


class Layer:
    def __init__(self, params: np.ndarray, slots: LayerSlots, activation: str):
        self.slots = slots
        self.activation = activation
        self.W = params[slots.w].reshape(slots.n_in, slots.n_out)
        self.b = params[slots.b]

    @property
    def n_in(self) -> int:
        return self.slots.n_in

    @property
    def n_out(self) -> int:
        return self.slots.n_out


def layout(sizes: list[int]) -> list[LayerSlots]:
    slots, pos = [], 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        w = slice(pos, pos + n_in * n_out)
        pos = w.stop
        b = slice(pos, pos + n_out)
        pos = b.stop
        slots.append(LayerSlots(n_in, n_out, w, b))
    return slots


def init_params(sizes: list[int], init: str, rng: np.random.Generator) -> np.ndarray:
    """Draw weights by scheme; biases start at zero. Why each scale is what it is:

    uniform U(±1/√n_in) (PyTorch's nn.Linear weights; torch draws its biases from the same range, gdsim's
    start at 0), normal N(0, 1/n_in) (LeCun), xavier U(±√(6/(n_in+n_out)))
    (Glorot, for tanh/sigmoid), he N(0, 2/n_in) (for ReLU), zeros (shows why symmetry must be broken).
    """
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; choose one of {', '.join(INITS)}")
    if init == "zeros":
        warnings.warn("all weights start at zero: neurons in a layer stay identical (symmetry is not broken)",
                      UserWarning, stacklevel=3)
    slots = layout(sizes)
    params = np.zeros(slots[-1].b.stop if slots else 0)
    for s in slots:
        shape = (s.n_in, s.n_out)
        if init == "uniform":
            w = rng.uniform(-1, 1, shape) / np.sqrt(s.n_in)
        elif init == "normal":
            w = rng.standard_normal(shape) / np.sqrt(s.n_in)
        elif init == "xavier":
            w = rng.uniform(-1, 1, shape) * np.sqrt(6.0 / (s.n_in + s.n_out))
        elif init == "he":
            w = rng.standard_normal(shape) * np.sqrt(2.0 / s.n_in)
        else:
            w = np.zeros(shape)
        params[s.w] = w.ravel()
    return params


class Network:
    """A multilayer perceptron; implements ``gdsim.engine.model.Model``."""

    function = None  # the Model protocol's mark of function mode: a network is not an analytic f

    def __init__(self, sizes, activations=None, init: str = "xavier", seed: int = 0):
        sizes = [int(n) for n in sizes]
        if len(sizes) < 2:
            raise ValueError("a network needs at least an input and an output layer")
        if min(sizes) < 1:
            raise ValueError(f"every layer needs at least one neuron, got sizes {sizes}")
        n_layers = len(sizes) - 1
        if activations is None:
            activations = ["tanh"] * (n_layers - 1) + ["linear"]
        elif isinstance(activations, str):
            activations = [activations] * n_layers
        activations = list(activations)
        if len(activations) != n_layers:
            raise ValueError(f"{n_layers} layers need {n_layers} activations, got {len(activations)}")
        for i, name in enumerate(activations):
            _check_activation(name, output=i == n_layers - 1)
        self.sizes = sizes
        self.activations = activations
        self.init = init
        self.seed = seed
        self.params = init_params(sizes, init, np.random.default_rng(seed))
        self.slots = layout(sizes)
        self._bind()
        self.param_names = _names(self.slots)

    def _bind(self) -> None:
        self.layers = [Layer(self.params, s, a) for s, a in zip(self.slots, self.activations, strict=True)]

    @property
    def n_params(self) -> int:
        return self.params.size

    @property
    def n_in(self) -> int:
        return self.sizes[0]

    @property
    def n_out(self) -> int:
        return self.sizes[-1]

    @property
    def output_activation(self) -> str:
        return self.activations[-1]

    def set_params(self, theta: np.ndarray) -> None:
        """Copy values in; the layer views stay valid because the array is never replaced."""
        self.params[...] = theta

    def reinitialize(self, init: str | None = None, seed: int | None = None) -> None:
        self.init = init or self.init
        self.seed = self.seed if seed is None else seed
        self.set_params(init_params(self.sizes, self.init, np.random.default_rng(self.seed)))

    def copy(self) -> Network:
        other = Network.__new__(Network)
        other.__dict__.update(self.__dict__)
        other.params = self.params.copy()
        other._bind()
        return other

    # ---------------------------------------------------------------- forward and backward

    def forward_all(self, X: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Pre-activations zs and activations acts (acts[0] is X) of every layer."""
        a = np.asarray(X, dtype=np.float64)
        zs, acts = [], [a]
        for layer in self.layers:
            z = a @ layer.W + layer.b
            a = activations.forward(layer.activation, z)
            zs.append(z)
            acts.append(a)
        return zs, acts

    def forward(self, X: np.ndarray) -> np.ndarray:
        return self.forward_all(X)[1][-1]

    def targets(self, y: np.ndarray, loss: str) -> np.ndarray:
        losses.check(loss, self.output_activation, self.n_out)
        return losses.targets(loss, y, self.n_out)

    def loss(self, X: np.ndarray, y: np.ndarray, loss: str = "mse") -> float:
        t = self.targets(y, loss)
        zs, acts = self.forward_all(X)
        return float(losses.value(loss, zs[-1], acts[-1], t))

    def loss_and_grad(self, X: np.ndarray, y: np.ndarray, loss: str = "mse") -> tuple[float, np.ndarray]:
        return self.backprop(X, self.targets(y, loss), loss)

    def backprop(self, X: np.ndarray, t: np.ndarray, loss: str) -> tuple[float, np.ndarray]:
        """Loss and gradient for targets already shaped by ``targets``."""
        return self.forward_backward(X, t, loss)[:2]

    def forward_backward(self, X: np.ndarray, t: np.ndarray, loss: str) -> tuple[float, np.ndarray, np.ndarray]:
        """Loss, gradient and the outputs they were computed from (the trainer's hot path)."""
        zs, acts = self.forward_all(X)
        value = float(losses.value(loss, zs[-1], acts[-1], t))
        return value, self.backward(zs, acts, t, loss)[0], acts[-1]

    def backward(self, zs: list[np.ndarray], acts: list[np.ndarray], t: np.ndarray,
                 loss: str) -> tuple[np.ndarray, list[np.ndarray]]:
        """The flat gradient from ``forward_all``'s zs and acts, and δ = ∂L/∂z of every layer (first layer
        first; rows are samples, of the mean loss), which the neuron lens shows as the blame each neuron gets."""
        grad = np.empty_like(self.params)
        deltas = [losses.grad_z(loss, zs[-1], acts[-1], t, self.output_activation)]
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            s = layer.slots
            delta = deltas[-1]
            np.matmul(acts[i].T, delta, out=grad[s.w].reshape(s.n_in, s.n_out))
            np.add.reduce(delta, axis=0, out=grad[s.b])
            if i:
                below = self.layers[i - 1]
                deltas.append(activations.backward(below.activation, zs[i - 1], acts[i], delta @ layer.W.T))
        return grad, deltas[::-1]

    def hvp(self, X: np.ndarray, t: np.ndarray, loss: str, v: np.ndarray) -> np.ndarray:
        """H·v, the loss Hessian at the current parameters times ``v``, exactly (Pearlmutter's R-operator).

        Forward: R{z} = R{a_prev}·W + a_prev·V + v_b and R{a} = f'(z) R{z}. Backward: R{δ} of the output from
        the loss's second derivative (``second_order.r_output_delta``), then for every layer
        R{∂W} = R{a_prev}ᵀδ + a_prevᵀR{δ}, R{∂b} = Σ R{δ}, R{∂a_prev} = R{δ}Wᵀ + δVᵀ. Costs about two gradients.
        ``t`` are targets already shaped by ``targets``.
        """
        v = np.asarray(v, dtype=np.float64)
        if v.shape != self.params.shape:
            raise ValueError(f"v has shape {v.shape}, the parameters {self.params.shape}")
        zs, acts = self.forward_all(X)
        Vs = [v[s.w].reshape(s.n_in, s.n_out) for s in self.slots]
        r_zs, r_acts = [], [np.zeros_like(acts[0])]
        for i, layer in enumerate(self.layers):
            rz = r_acts[i] @ layer.W + acts[i] @ Vs[i] + v[layer.slots.b]
            r_zs.append(rz)
            r_acts.append(second_order.r_activation(layer.activation, zs[i], acts[i + 1], rz))
        out = np.empty_like(self.params)
        delta = losses.grad_z(loss, zs[-1], acts[-1], t, self.output_activation)
        r_delta = second_order.r_output_delta(loss, self.output_activation, zs[-1], acts[-1], t,
                                              r_zs[-1], r_acts[-1])
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            s = layer.slots
            out[s.w] = (r_acts[i].T @ delta + acts[i].T @ r_delta).ravel()
            out[s.b] = r_delta.sum(axis=0)
            if i:
                below = self.layers[i - 1]
                grad_a, r_grad_a = delta @ layer.W.T, r_delta @ layer.W.T + delta @ Vs[i].T
                delta = activations.backward(below.activation, zs[i - 1], acts[i], grad_a)
                r_delta = second_order.r_backward(below.activation, zs[i - 1], acts[i], r_zs[i - 1], grad_a,
                                                  r_grad_a)
        return out

    def loss_batch(self, thetas: np.ndarray, X: np.ndarray, y: np.ndarray, loss: str = "mse",
                   chunk: int | None = None) -> np.ndarray:
        """Losses for K parameter vectors at once: (K, P) -> (K,). Chunked to bounded memory."""
        thetas = np.atleast_2d(np.asarray(thetas, dtype=np.float64))
        if thetas.shape[1] != self.n_params:
            raise ValueError(f"parameter vectors have {thetas.shape[1]} entries, the network {self.n_params}")
        t = self.targets(y, loss)
        X = np.asarray(X, dtype=np.float64)
        if chunk is None:
            widest = max(self.sizes)
            chunk = max(1, _BATCH_BYTES // (8 * max(1, X.shape[0]) * widest * 2))
        out = np.empty(thetas.shape[0])
        for k in range(0, thetas.shape[0], chunk):
            out[k:k + chunk] = self._loss_many(thetas[k:k + chunk], X, t, loss)
        return out

    def _loss_many(self, thetas: np.ndarray, X: np.ndarray, t: np.ndarray, loss: str) -> np.ndarray:
        K = thetas.shape[0]
        a = X
        z = None
        for layer in self.layers:
            s = layer.slots
            W = thetas[:, s.w].reshape(K, s.n_in, s.n_out)
            b = thetas[:, s.b][:, None, :]
            z = np.matmul(a, W) + b
            a = activations.forward(layer.activation, z)
        return losses.value(loss, z, a, t)


def _check_activation(name: str, output: bool) -> None:
    activations.check(name, output=output)


def _names(slots: list[LayerSlots]) -> list[str]:
    names = []
    for k, s in enumerate(slots, start=1):
        # counted from 1, as a person reads them: W2[i,j] joins neuron i of layer 1 to neuron j of layer 2
        names += [f"W{k}[{i + 1},{j + 1}]" for i in range(s.n_in) for j in range(s.n_out)]
        names += [f"b{k}[{j + 1}]" for j in range(s.n_out)]
    return names
