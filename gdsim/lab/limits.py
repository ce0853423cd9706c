"""Memory limits, checked before anything is allocated, so a typo such as ``--layers 2,100000,100000,1``
is one clear line naming the size instead of a machine swapping itself to death.

The limits (documented here, in one place):

* ``MEMORY_LIMIT`` = 2 GB for one training set-up. A network costs mostly its recorded path: the trainer
  keeps up to ``TRAJECTORY_ROWS`` + ``RECENT_ROWS`` copies of the parameter vector (for the surfaces' path)
  plus a handful more (gradient, last update, up to three optimizer buffers); its layers cost
  rows × widths × a few for the forward and backward pass. With 2 GB a network may have about 120,000
  parameters (784-128-10 for MNIST-sized data fits; the app is meant for networks one can watch).
* ``MAX_SAMPLES`` = 1,000,000 rows of generated data (a CSV is bounded by its own file);
  ``MAX_HIDDEN_LAYERS`` = 100.
* ``MAX_GRID_POINTS`` = 4,000,000 points on a loss surface (2,000 × 2,000 in 2D, 4,000,000 along a 1D slice);
  every point is one forward pass over the data, and the grid and its two coordinate arrays are float64.

Qt-free: the CLI, the app and sessions all call these.
"""

from __future__ import annotations

import math

MEMORY_LIMIT = 2_000_000_000  # 2 GB, as the message prints it
TRAJECTORY_ROWS = 2000 + 64  # Trajectory's cap plus its ring of recent steps (gdsim.engine.history)
VECTORS = 8                  # θ, gradient, last update, up to 3 optimizer buffers, 2 scratch copies
ACTIVATION_COPIES = 4        # pre-activations, activations and their gradients, per row and neuron
MAX_SAMPLES = 1_000_000
MAX_HIDDEN_LAYERS = 100
MAX_GRID_POINTS = 4_000_000
GRID_ARRAYS = 3              # the values and the two meshgrid coordinate arrays


def human_bytes(n: float) -> str:
    """1.7 GB, 80 GB, 512 MB: decimal units, as a person reads them."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:,.3g} {unit}" if n / size < 1000 else f"{n / size:,.0f} {unit}"
    return f"{int(n)} bytes"


def n_params(sizes: list[int] | tuple[int, ...]) -> int:
    """Weights and biases of a dense network with these layer sizes (input first)."""
    return sum(int(a) * int(b) + int(b) for a, b in zip(sizes[:-1], sizes[1:], strict=False))


def network_bytes(sizes: list[int] | tuple[int, ...], rows: int = 0) -> int:
    """What training this network on ``rows`` rows needs, roughly but never less than it will allocate."""
    widths = sum(int(s) for s in sizes)
    return 8 * (n_params(sizes) * (TRAJECTORY_ROWS + VECTORS) + max(int(rows), 1) * widths * ACTIVATION_COPIES)


def max_params() -> int:
    return MEMORY_LIMIT // (8 * (TRAJECTORY_ROWS + VECTORS))


def check_network(sizes: list[int] | tuple[int, ...], rows: int = 0) -> None:
    """One line naming the size when a network would need more than ``MEMORY_LIMIT``."""
    need = network_bytes(sizes, rows)
    if need > MEMORY_LIMIT:
        shape = "-".join(str(int(s)) for s in sizes)
        on = f" on {int(rows):,} rows" if rows else ""
        raise ValueError(f"a {shape} network of {n_params(sizes):,} parameters needs {human_bytes(need)}{on} "
                         f"(with the path it records); the limit is {human_bytes(MEMORY_LIMIT)}, "
                         f"about {max_params():,} parameters")


def check_samples(samples: int) -> None:
    if samples > MAX_SAMPLES:
        raise ValueError(f"{samples:,} samples is too many to generate; the limit is {MAX_SAMPLES:,}")


def check_grid(kind: str, resolution: int) -> None:
    """A surface of ``resolution`` points per axis (``kind`` "1d" or "2d") must stay within MAX_GRID_POINTS."""
    points = resolution if kind == "1d" else resolution * resolution
    if points > MAX_GRID_POINTS:
        per_axis = MAX_GRID_POINTS if kind == "1d" else math.isqrt(MAX_GRID_POINTS)
        shape = f"{resolution:,}" if kind == "1d" else f"{resolution:,} × {resolution:,}"
        raise ValueError(f"a {kind} surface of {shape} points needs {human_bytes(8 * GRID_ARRAYS * points)}; "
                         f"the limit is {per_axis:,} points per axis")
