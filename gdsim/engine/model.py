"""The one interface the trainer, surfaces, analysis and snapshots see: a network or a textbook function.

``Network`` (weights in layers) and ``FunctionModel`` (a point on f(x, y)) both implement ``Model``, so no
caller asks ``hasattr``. What tells them apart is declared here: ``function`` is the analytic f in function
mode and None for a network; ``slots`` and ``layers`` are empty in function mode (it has no neurons). Both
keep their parameters in one flat float64 vector, ``params``, updated in place by the optimizers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:  # only for the annotations: importing them here would be a circle
    from gdsim.engine.functions import Function
    from gdsim.engine.network import Layer, LayerSlots


@runtime_checkable
class Model(Protocol):
    """What every model offers; ``X`` and ``t`` are ignored in function mode (f has no data)."""

    params: np.ndarray  # the flat parameter vector; never replaced, so views and optimizers stay valid

    # read-only properties, so a class attribute (FunctionModel's empty ``slots``) or a list both fit

    @property
    def param_names(self) -> Sequence[str]:
        """One readable name per entry of params: "W1[1,2]", "b2[1]", "x", "y"."""
        ...

    @property
    def function(self) -> Function | None:
        """The analytic f in function mode; None for a network."""
        ...

    @property
    def slots(self) -> Sequence[LayerSlots]:
        """Where each layer's W and b sit in params; empty in function mode (no neurons)."""
        ...

    @property
    def layers(self) -> Sequence[Layer]:
        """Each layer's W, b (views into params) and activation; empty in function mode."""
        ...

    @property
    def sizes(self) -> Sequence[int]:
        """Neurons per layer, the input first; empty in function mode."""
        ...

    @property
    def activations(self) -> Sequence[str]:
        """One activation name per layer; empty in function mode."""
        ...

    @property
    def n_params(self) -> int: ...

    @property
    def n_in(self) -> int: ...

    @property
    def n_out(self) -> int: ...

    @property
    def output_activation(self) -> str: ...

    def set_params(self, theta: np.ndarray) -> None: ...

    def copy(self) -> Any: ...

    def targets(self, y: np.ndarray, loss: str) -> np.ndarray:
        """Labels shaped as the loss needs them (one-hot, column): what ``t`` means below."""
        ...

    def forward_all(self, X: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]: ...

    def forward(self, X: np.ndarray) -> np.ndarray: ...

    def loss(self, X: np.ndarray, y: np.ndarray, loss: str = "mse") -> float: ...

    def forward_backward(self, X: np.ndarray, t: np.ndarray, loss: str) -> tuple[float, np.ndarray, np.ndarray]:
        """Loss, flat gradient and outputs at the current parameters."""
        ...

    def hvp(self, X: np.ndarray, t: np.ndarray, loss: str, v: np.ndarray) -> np.ndarray:
        """The exact Hessian of the loss times ``v``."""
        ...

    def loss_batch(self, thetas: np.ndarray, X: np.ndarray, y: np.ndarray, loss: str = "mse",
                   chunk: int | None = None) -> np.ndarray:
        """Losses at K parameter vectors at once, (K, P) -> (K,): what the surfaces evaluate."""
        ...
