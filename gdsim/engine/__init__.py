"""The NumPy training engine. Nothing here imports Qt or the rest of gdsim: it runs headless, in tests and in the CLI.

The face: ``from gdsim.engine import Network, Trainer``. Inside the engine, modules import each other by module
(``from gdsim.engine.network import Network``), never through this face, so the package can load in any order.
"""

from gdsim.engine import activations, analysis, datasets, divergence, landscape, losses, optimizers, schedules
from gdsim.engine.datasets import Dataset, make_dataset
from gdsim.engine.function_model import FunctionModel, make_function
from gdsim.engine.functions import FUNCTIONS, Function
from gdsim.engine.model import Model
from gdsim.engine.network import Network
from gdsim.engine.optimizers import Optimizer, make_optimizer
from gdsim.engine.trainer import Trainer

# the registries: the names each choice accepts
ACTIVATIONS = activations.NAMES
LOSSES = losses.NAMES
OPTIMIZERS = optimizers.NAMES
SCHEDULES = schedules.NAMES
DATASETS = datasets.NAMES

__all__ = [
    "ACTIVATIONS", "DATASETS", "FUNCTIONS", "LOSSES", "OPTIMIZERS", "SCHEDULES",
    "Dataset", "Function", "FunctionModel", "Model", "Network", "Optimizer", "Trainer",
    "make_dataset", "make_function", "make_optimizer",
    "activations", "analysis", "datasets", "divergence", "landscape", "losses", "optimizers", "schedules",
]
