"""Command line: ``gdsim`` alone opens the app; each subcommand (one module here) runs headless or opens it.

Each subcommand module registers itself on the parser built here and imports only gdsim.cli.options, never
this package. Bad input gives one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import warnings

from gdsim import __version__
from gdsim.cli import export_torch, gui, lessons, presets, surface, sweep, train
from gdsim.cli.options import Parser, UsageError

__all__ = ["build_parser", "main"]

SUBCOMMANDS = (train, gui, sweep, export_torch, surface, presets, lessons)  # in the order --help lists them


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="gdsim", description="A desktop laboratory for gradient descent.\n\n"
                    "Run `gdsim` alone (no arguments) to open the app; the commands below work headless.",
                    epilog="`gdsim COMMAND --help` shows each command's options and their defaults.")
    parser.add_argument("--version", action="version", version=f"gdsim {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=Parser, title="commands", metavar="COMMAND")
    for command in SUBCOMMANDS:
        command.register(sub)
    return parser


def _glue_start(argv: list[str]) -> list[str]:
    """``--start -1.5,2`` -> ``--start=-1.5,2``: argparse takes a value starting with '-' for an option."""
    out, i = [], 0
    while i < len(argv):
        if argv[i] == "--start" and i + 1 < len(argv) and argv[i + 1][:2] in ("-.", *(f"-{d}" for d in range(10))):
            out.append(f"--start={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def main(argv: list[str] | None = None) -> int:
    """``gdsim [COMMAND] [options]``; returns the exit status (0 fine, 2 bad input, 130 interrupted)."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        if not argv:
            from gdsim.ui.app import main as open_app

            return open_app()
        args = build_parser().parse_args(_glue_start(argv))
        if not getattr(args, "func", None):
            raise UsageError("choose a command, e.g. train, gui or presets (gdsim --help lists them)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # overflow in a diverging run is reported as status
            warnings.showwarning = _warn_line
            return args.func(args)
    except (UsageError, ValueError, OSError) as e:
        print(f"gdsim: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _warn_line(message, category, filename, lineno, file=None, line=None):
    print(f"gdsim: warning: {message}", file=sys.stderr)
