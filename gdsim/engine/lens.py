"""Neuron lens: what every neuron computes, and how much blame backpropagation hands it.

For a network with two inputs each hidden and output neuron is drawn as a small map of its activation over the
input plane (TensorFlow Playground's picture): one forward pass of the network over a grid of at most
``MAX_GRID``² points. With more inputs there is no plane to draw, so each neuron gets a histogram of its
activation over the data instead. Each layer has one colour range, so neurons of a layer compare at a glance.

The blame is the backprop signal δ = ∂L/∂z of each neuron on the current batch, from ``Network.backward`` (the
trainer's own backpropagation, not a second copy): its mean over the batch (which is exactly ∂L/∂b) and its mean
size (which does not cancel out across samples). Dead ReLU units, whose pre-activation is ≤ 0 on every sample
of the data, pass no gradient and never recover; they are marked and counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gdsim.engine.network import Network
from gdsim.engine.trainer import Trainer

MAX_GRID = 40  # points per side: 1600 points keep a frame well under the 5 ms budget (bench/bench_lens.py)
BINS = 16  # histogram bins per neuron when there are more than two inputs
MARGIN = 0.1  # the default plane extends the data's bounding box by this fraction on each side


@dataclass(frozen=True)
class LayerLens:
    """One layer of hidden or output neurons; arrays are read-only so the lens can go into a snapshot."""

    maps: np.ndarray | None  # (n_neurons, gy, gx) activation over the input plane (two inputs only)
    counts: np.ndarray | None  # (n_neurons, BINS) activation histogram over the data (more than two inputs)
    edges: np.ndarray | None  # (BINS + 1,) the layer's bin edges (one set per layer, like its colour range)
    levels: tuple[float, float]  # the layer's colour range (symmetric about 0 when the values take both signs)
    delta_mean: np.ndarray  # (n_neurons,) mean over the batch of each sample's δ = ∂L/∂z, equal to ∂L/∂b
    delta_size: np.ndarray  # (n_neurons,) mean |δ| over the batch: the blame that flows, signs not cancelled
    dead: np.ndarray  # (n_neurons,) bool: ReLU units with z ≤ 0 on every sample of the data


@dataclass(frozen=True)
class Lens:
    layers: tuple[LayerLens, ...]  # hidden layers first, the output layer last
    extent: tuple[float, float, float, float] | None  # (x0, x1, y0, y1) of the maps; None without maps
    n_dead: int


def plane_extent(X: np.ndarray, margin: float = MARGIN) -> tuple[float, float, float, float]:
    """The data's bounding box widened by ``margin`` of its size on each side (1 when the data is a point)."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = np.where(hi > lo, (hi - lo) * margin, 1.0)
    return float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1])


def grid_points(extent: tuple[float, float, float, float], size: int = MAX_GRID) -> np.ndarray:
    """(size², 2) points of a size×size grid over ``extent``, row by row from y0 (rows are y, columns x)."""
    x0, x1, y0, y1 = extent
    gx, gy = np.meshgrid(np.linspace(x0, x1, size), np.linspace(y0, y1, size))
    return np.column_stack([gx.ravel(), gy.ravel()])


def neuron_maps(net: Network, extent: tuple[float, float, float, float],
                size: int = MAX_GRID) -> list[np.ndarray]:
    """Per layer (n_neurons, size, size): every neuron's activation over the plane, from one forward pass."""
    if net.n_in != 2:
        raise ValueError(f"neuron maps need a network with 2 inputs, this one has {net.n_in}")
    if not 2 <= int(size) <= MAX_GRID:
        raise ValueError(f"the grid must have 2 to {MAX_GRID} points per side, got {size}")
    acts = net.forward_all(grid_points(extent, int(size)))[1]
    return [a.T.reshape(a.shape[1], int(size), int(size)) for a in acts[1:]]


def levels(values: np.ndarray) -> tuple[float, float]:
    """One colour range for a layer: symmetric about 0 when its values take both signs, so the colormap's
    middle means zero; otherwise min..max. Never empty (a constant layer gets ±0.5 around its value)."""
    lo, hi = float(values.min()), float(values.max())
    if lo < 0.0 < hi:
        lo, hi = -max(-lo, hi), max(-lo, hi)
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


def histograms(acts: np.ndarray, lo: float, hi: float, bins: int = BINS) -> tuple[np.ndarray, np.ndarray]:
    """(n_neurons, bins) counts of each column of ``acts`` over the layer's shared edges, all in one pass."""
    edges = np.linspace(lo, hi, bins + 1)
    index = np.clip(((acts - lo) * (bins / (hi - lo))).astype(np.int64), 0, bins - 1)  # hi falls in the last
    index += np.arange(acts.shape[1]) * bins
    counts = np.bincount(index.ravel(), minlength=acts.shape[1] * bins).reshape(acts.shape[1], bins)
    return counts, edges


def lens(net: Network, X: np.ndarray, t: np.ndarray, loss: str, batch: tuple[np.ndarray, np.ndarray] | None = None,
         extent: tuple[float, float, float, float] | None = None, size: int = MAX_GRID) -> Lens:
    """The lens at the network's current parameters.

    ``X``, ``t``: the training data (targets shaped by ``net.targets``), for histograms and the dead mask;
    ``batch``: the (X, t) whose δ to show, the whole data when None; ``extent``: the plane the maps cover
    (the output view's, so they line up), the data's padded bounding box when None.
    """
    X = np.asarray(X, dtype=np.float64)
    zs, acts = net.forward_all(X)
    if batch is None:
        batch_acts, batch_zs, bt = acts, zs, t
    else:
        batch_zs, batch_acts = net.forward_all(np.asarray(batch[0], dtype=np.float64))
        bt = batch[1]
    n_batch = batch_acts[0].shape[0]
    deltas = net.backward(batch_zs, batch_acts, bt, loss)[1]
    maps = None
    if net.n_in == 2:
        extent = plane_extent(X) if extent is None else tuple(float(v) for v in extent)
        maps = neuron_maps(net, extent, size)
    else:
        extent = None
    layers = []
    for i, layer in enumerate(net.layers):
        per_sample = deltas[i] * n_batch  # each sample's δ of its own loss (the mean loss's δ is 1/n of it)
        dead = np.all(zs[i] <= 0.0, axis=0) if layer.activation == "relu" else np.zeros(layer.n_out, bool)
        if maps is not None:
            lo_hi, counts, edges = levels(maps[i]), None, None
        else:
            lo_hi = levels(acts[i + 1])
            counts, edges = histograms(acts[i + 1], *lo_hi)
        layers.append(LayerLens(
            maps=None if maps is None else _frozen(maps[i]), counts=_frozen(counts), edges=_frozen(edges),
            levels=lo_hi, delta_mean=_frozen(per_sample.mean(axis=0)),
            delta_size=_frozen(np.abs(per_sample).mean(axis=0)), dead=_frozen(dead)))
    return Lens(tuple(layers), extent, sum(int(layer.dead.sum()) for layer in layers))


def _frozen(a: np.ndarray | None) -> np.ndarray | None:
    if a is not None:
        a = np.array(a)  # a copy (maps are views of the grid pass's activations)
        a.flags.writeable = False
    return a


def trainer_lens(trainer: Trainer, extent: tuple[float, float, float, float] | None = None,
                 size: int = MAX_GRID) -> Lens:
    """The lens for a trainer: δ on the batch its next step will use (the one ``next_update`` shows)."""
    if not isinstance(trainer.net, Network):
        raise ValueError("the neuron lens needs a network; function mode has no neurons")
    batch = None if trainer.batch_size is None else trainer.peek_batch()
    return lens(trainer.net, trainer.X, trainer.t, trainer.loss_name, batch, extent, size)
