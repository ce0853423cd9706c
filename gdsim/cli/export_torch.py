"""``gdsim export-torch <train options> -o script.py``: write a PyTorch script that replays the set-up.

The script needs only NumPy and torch and prints ``final_loss=<value>`` last, equal to ``gdsim train``'s
final_loss for the same options (see gdsim.io.torch_export for how each piece is matched).
"""

from __future__ import annotations

import argparse

from gdsim.cli.options import add_config_options, check_layers, config_from_args


def register(sub) -> None:
    p = sub.add_parser("export-torch", help="write a self-contained PyTorch script that trains the same set-up",
                       description="Write a script (NumPy and torch only) with the same network, initial weights, "
                                   "loss, optimizer, η and batches; its last line is final_loss=<value>.")
    add_config_options(p)
    p.add_argument("-o", "--output-script", required=True, metavar="SCRIPT.py", help="where to write the script")
    p.set_defaults(func=cmd_export_torch)


def cmd_export_torch(a: argparse.Namespace) -> int:
    from gdsim.io import torch_export
    from gdsim.lab import config as cfgmod

    built = cfgmod.build(config_from_args(a))
    check_layers(a, built)
    for path in torch_export.write(built, a.output_script):
        print(path)
    return 0
