"""Command line: ``gdsim`` alone opens the app; subcommands run headless."""

from gdsim.cli.parser import main

__all__ = ["main"]
