"""gdsim: a desktop laboratory for gradient descent."""

__version__ = "0.1.0"
