"""``gdsim surface``: the loss surface of a set-up (optionally after training) as a figure or a table.

The same grid the app's Loss surface panel draws (``gdsim.lab.surfaces.compute_for``), through the same panel
for figures, so a lecturer can script the picture for the slides. One parameter name gives the 1D slice.
A CSV is written without Qt; a figure needs Qt but no display (the offscreen platform is chosen).
"""

from __future__ import annotations

import argparse
import json
import math

from gdsim.cli.options import add_config_options, check_layers, config_from_args

FIGURE_WIDTH = 1200        # default PNG width (the figure itself: gdsim.ui.plotting.surface_figure)
MAX_GRID = 401             # points per axis: 401² forward passes of the whole data set is already slow


def register(sub) -> None:
    p = sub.add_parser("surface", help="the loss surface (or slice) around the trained point, as a figure or CSV",
                       description="Train the set-up for --epochs (0: the initial weights), then evaluate the loss "
                                   "on a grid over a plane through the current point and draw the path on it.")
    add_config_options(p)
    p.add_argument("--plane", choices=("axes", "random", "pca"), default="axes",
                   help="axes: two named parameters; random: filter-normalised random directions; pca: the plane "
                        "the path moves in most (default: %(default)s)")
    p.add_argument("--params", metavar="NAMES",
                   help='for --plane axes: two parameter names as the app shows them, e.g. "W1[1,1],W1[1,2]" '
                        "(one name gives the 1D slice; default: the first two parameters)")
    p.add_argument("--grid", type=int, default=101, metavar="N",
                   help=f"grid points per axis, 3 to {MAX_GRID} (default: %(default)s)")
    p.add_argument("--export", metavar="PATH",
                   help="write the figure with the path drawn (.png, .svg) or the grid (.csv, the path next to it "
                        "in NAME_path.csv)")
    p.add_argument("--width", type=int, default=FIGURE_WIDTH, help="PNG width in pixels (default: %(default)s)")
    p.add_argument("--json", action="store_true", help="print one JSON line")
    p.set_defaults(func=cmd_surface)


def split_names(text: str) -> list[str]:
    """``"W1[1,1], b1[2]"`` -> ``["W1[1,1]", "b1[2]"]``: commas inside brackets belong to the name."""
    names, depth, current = [], 0, ""
    for ch in text:
        depth += (ch == "[") - (ch == "]")
        if ch == "," and depth == 0:
            names.append(current.strip())
            current = ""
        else:
            current += ch
    names.append(current.strip())
    return [n for n in names if n]


def parameter_indices(text: str | None, names: tuple[str, ...], plane: str) -> tuple[int, ...] | None:
    """The indices of ``--params`` in the network's names; ValueError naming what is wrong."""
    if text is None:
        return None
    if plane != "axes":
        raise ValueError(f"--params applies to --plane axes, not --plane {plane}")
    wanted = split_names(text)
    if not 1 <= len(wanted) <= 2:
        raise ValueError(f"--params takes one or two parameter names, got {len(wanted)}: {text!r}")
    lookup = {n.replace(" ", ""): i for i, n in enumerate(names)}
    unknown = [w for w in wanted if w.replace(" ", "") not in lookup]
    if unknown:
        shown = ", ".join(names[:6]) + (f", … ({len(names)} in all)" if len(names) > 6 else "")
        raise ValueError(f"unknown parameter {unknown[0]!r}; this network's parameters are {shown}")
    if len(wanted) == 2 and lookup[wanted[0].replace(" ", "")] == lookup[wanted[1].replace(" ", "")]:
        raise ValueError(f"--params names the same parameter twice: {wanted[0]!r}")
    return tuple(lookup[w.replace(" ", "")] for w in wanted)


def cmd_surface(a: argparse.Namespace) -> int:
    from gdsim.io.tables import check_path
    from gdsim.lab import config as cfgmod
    from gdsim.lab import surfaces

    if not 3 <= a.grid <= MAX_GRID:
        raise ValueError(f"--grid must be between 3 and {MAX_GRID}, got {a.grid}")
    if a.width < 1:
        raise ValueError(f"--width must be at least 1 pixel, got {a.width}")
    ext = check_path(a.export, ("png", "svg", "csv")) if a.export else None
    cfg = config_from_args(a)
    built = cfgmod.build(cfg)
    check_layers(a, built)
    names = tuple(built.trainer.net.param_names)
    indices = parameter_indices(a.params, names, a.plane)
    kind = "1d" if (indices is not None and len(indices) == 1) or len(names) == 1 else "2d"
    spec = surfaces.SurfaceSpec(kind=kind, plane=a.plane, indices=indices or (0, 1)[: 1 if kind == "1d" else 2],
                                resolution=a.grid)
    built.trainer.run(cfg.training.epochs)
    grid = surfaces.compute_for(spec, built.trainer)
    files = _write(grid, a.export, ext, a.width) if ext else []
    _report(grid, files, a.json)
    return 0


def _write(grid, path, ext: str, width: int) -> list[str]:
    if ext == "csv":  # headless
        from gdsim.io import surface_csv

        return surface_csv.write(path, grid)
    from gdsim.ui.plotting import surface_figure

    surface_figure.write(grid, path, width)
    return [str(path)]


def _number(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _report(grid, files: list[str], as_json: bool) -> None:
    import numpy as np

    values = np.asarray(grid.values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    summary = {"plane": grid.spec.plane, "axes": list(grid.labels), "grid": list(values.shape), "step": grid.step,
               "min_loss": _number(finite.min()) if finite.size else None,
               "max_loss": _number(finite.max()) if finite.size else None, "note": grid.note, "files": files}
    if as_json:
        print(json.dumps(summary))
        return
    for key, value in summary.items():
        shown = " × ".join(map(str, value)) if key in ("axes", "grid") else ", ".join(value) if key == "files" \
            else value
        print(f"{key:>10}: {shown}")
