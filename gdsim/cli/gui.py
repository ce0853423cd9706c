"""``gdsim gui``: open the app on a set-up; scripted, train --epochs, save figures and (--quit) close.

The config is built and the file names checked here, before a window opens, so a typo is one line on stderr
(exit 2); the app gets a ready Config and a Script and never reads the command line itself.
"""

from __future__ import annotations

import argparse

from gdsim.cli.options import add_config_options, config_from_args
from gdsim.io.tables import check_path


def register(sub) -> None:
    p = sub.add_parser("gui", help="open the app (optionally train and save figures, then quit)")
    add_config_options(p)
    p.add_argument("--screenshot", metavar="PNG", help="save a picture of the window")
    p.add_argument("--export-loss", metavar="PATH", help="save the loss curve as .png, .svg or .csv")
    p.add_argument("--quit", action="store_true", help="exit after training and saving")
    p.add_argument("--lesson", metavar="NAME", help="open a lesson (`gdsim lessons` lists them) or a lesson file")
    p.add_argument("--record", metavar="GIF", help="record the run as an animated .gif (or .mp4 when imageio-ffmpeg "
                   "is installed) at the preset's pace; a run quicker than 3 s is slowed to last 3 s")
    p.add_argument("--record-width", type=int, default=640, metavar="PX", help="width of the recording in pixels")
    p.add_argument("--record-fps", type=float, default=15.0, metavar="N", help="frames per second, at most")
    p.add_argument("--record-seconds", type=float, metavar="S",
                   help="make the recorded run last S seconds, whatever the pace")
    p.add_argument("--show", action="append", default=[], metavar="PANEL",
                   help="bring a panel to the front, e.g. 'Loss surface' (repeatable)")
    p.set_defaults(func=cmd_gui)


def cmd_gui(a: argparse.Namespace) -> int:
    cfg = config_from_args(a)
    for path, allowed in ((a.screenshot, ("png",)), (a.export_loss, ("png", "svg", "csv"))):
        if path:
            check_path(path, allowed)
    if a.lesson:
        from gdsim.lab.lessons import load_lesson

        load_lesson(a.lesson)  # an unknown name or a broken file: one line, exit 2
    if a.record:
        _check_record(a)
    from gdsim.ui import app

    record = app.Recording(a.record, a.record_width, a.record_fps, a.record_seconds) if a.record else None
    script = app.Script(epochs=a.epochs or (cfg.training.epochs if a.record else 0), screenshot=a.screenshot,
                        export_loss=a.export_loss, quit=a.quit, show=tuple(a.show), lesson=a.lesson,
                        preset=getattr(a, "preset", None), record=record)
    return app.main(cfg, script)


def _check_record(a: argparse.Namespace) -> None:
    from gdsim.io import animation

    animation.check_path(a.record)
    animation.check_settings(a.record_width, a.record_fps)
    if a.record_seconds is not None and not a.record_seconds > 0:
        raise ValueError(f"--record-seconds must be above 0, got {a.record_seconds:g}")
