"""gdsim: a desktop laboratory for gradient descent."""

__version__ = "0.1.0"  # the one place the version is kept: pyproject.toml reads it, `gdsim --version` prints it

__all__ = ["__version__"]
