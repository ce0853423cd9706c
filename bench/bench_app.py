"""The app while it trains: training speed and frames on screen at a preset's pace and flat out.

For the start-up problem (what ``MainWindow()`` opens with: the XOR preset at its pace) and for the spiral preset:
(a) at the preset's pace, a whole Run to its end: steps/s achieved against the pace asked for, the run's length in
seconds (XOR: 1000 epochs, goal 10–30 s), frames painted per second by each main panel (QEvent.Paint on its
viewport, counted by an event filter) and snapshots drawn per second; (b) flat out ("as fast as possible" chosen in
the Speed combo, the preset without its epoch limit): steps/s in the app against a headless Trainer on the same
set-up measured in the same run (goal ≥ 70 %), frames/s, and how late a 5 ms QTimer in the GUI thread fires
(goal p99 ≤ 30 ms). ``--profile`` adds the GUI thread's top costs (cProfile) during the last flat-out run.
Run: QT_QPA_PLATFORM=offscreen python bench/bench_app.py [--seconds 4] [--repeats 3] [--profile]
     xvfb-run -a -s "-screen 0 1280x800x24" python bench/bench_app.py
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import time
from collections.abc import Callable

import numpy as np

if not os.environ.get("DISPLAY"):  # under xvfb-run (or a desktop) the real X server is measured
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import QtCore, QtWidgets  # noqa: E402

from gdsim.lab import config  # noqa: E402
from gdsim.ui.app import application  # noqa: E402
from gdsim.ui.widgets.toolbar import FLAT_OUT  # noqa: E402

PANELS = ("graph", "loss_curve", "output_view", "surface2d")  # the pictures the start-up layout shows together
MAX_PACED_SECONDS = 60.0


class PaintCounter(QtCore.QObject):
    """Counts the paint events of each panel's picture: frames that really reached the screen, whatever caused
    them (a snapshot, a surface, a resize), without a timer of our own."""

    def __init__(self, panels: dict[str, QtWidgets.QWidget]):
        super().__init__()
        self.counts = dict.fromkeys(panels, 0)
        self._owner: dict[QtCore.QObject, str] = {}
        for name, panel in panels.items():
            views = panel.findChildren(QtWidgets.QGraphicsView)
            if isinstance(panel, QtWidgets.QGraphicsView):
                views.insert(0, panel)
            if views:  # the largest view is the panel's picture (not a colour bar beside it)
                view = max(views, key=lambda v: v.width() * v.height())
                self._owner[view.viewport()] = name
                view.viewport().installEventFilter(self)

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if event.type() == QtCore.QEvent.Type.Paint and obj in self._owner:
            self.counts[self._owner[obj]] += 1
        return False

    def snapshot(self) -> dict[str, int]:
        return dict(self.counts)


class LatenessProbe:
    """A 5 ms precise timer in the GUI thread: how late each tick fires is how long the event loop was busy."""

    def __init__(self):
        self.timer = QtCore.QTimer()
        self.timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self.late: list[float] = []
        self._last = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        self.late.append(max(0.0, now - self._last - 0.005) * 1000)
        self._last = now

    def start(self) -> None:
        self.late, self._last = [], time.perf_counter()
        self.timer.start(5)

    def stop(self) -> np.ndarray:
        self.timer.stop()
        return np.array(self.late[3:] or [0.0])


def wait(ms: int, until: Callable[[], bool] | None = None) -> None:
    """Let the event loop run for ``ms`` milliseconds, or until ``until()`` holds (checked every 20 ms)."""
    end = time.perf_counter() + ms / 1000
    while time.perf_counter() < end:
        loop = QtCore.QEventLoop()
        QtCore.QTimer.singleShot(20, loop.quit)
        loop.exec()
        if until is not None and until():
            return


def unlimited(cfg: config.Config) -> config.Config:
    """The same set-up with no stopping rule, so a flat-out run lasts as long as we measure."""
    return cfg.with_changes(training={"epochs": 0, "tol": 0.0})


def headless_rate(cfg: config.Config, seconds: float) -> float:
    trainer = config.build(cfg).trainer
    t0 = time.perf_counter()
    n = 0
    while time.perf_counter() - t0 < seconds:
        for _ in range(50):
            trainer.step()
        n += 50
    return n / (time.perf_counter() - t0)


def open_window(preset: str | None):
    from gdsim.ui.main_window import MainWindow

    win = MainWindow(restore_layout=False)  # no config: the start-up problem at its pace, as a student sees it
    if preset:
        win.open_preset(preset)
    win.resize(1280, 800)
    win.show()
    wait(800, lambda: win.snapshot is not None)
    wait(300)
    return win


def paced_run(win) -> dict:
    """A whole Run at the preset's pace, to its end (or MAX_PACED_SECONDS)."""
    counter = PaintCounter({name: getattr(win, name) for name in PANELS})
    probe = LatenessProbe()
    asked = win.toolbar.rate_value()
    steps0, frames0, paints0 = win.snapshot.step, win.frames_drawn, counter.snapshot()
    t0 = time.perf_counter()
    probe.start()
    win.start_run(0)
    wait(2000, lambda: win.client.running)  # the command is queued: the worker may be busy for a moment
    wait(int(MAX_PACED_SECONDS * 1000), lambda: not win.client.running)
    seconds = time.perf_counter() - t0
    late = probe.stop()
    win.client.pause()
    wait(300, lambda: not win.client.running)
    wait(100)
    s = win.snapshot
    paints = {k: (v - paints0[k]) / seconds for k, v in counter.snapshot().items()}
    return {"asked": asked, "rate": (s.step - steps0) / seconds, "seconds": seconds, "epochs": s.epoch,
            "steps": s.step - steps0, "ended": not win.client.running and seconds < MAX_PACED_SECONDS,
            "frames": (win.frames_drawn - frames0) / seconds, "paints": paints,
            "p50": float(np.percentile(late, 50)), "p99": float(np.percentile(late, 99))}


def flat_out_run(win, seconds: float, profiler: cProfile.Profile | None = None) -> dict:
    """Run for ``seconds`` with "as fast as possible" chosen in the Speed combo, from a fresh start."""
    win.load(unlimited(win.current_config()))
    win.toolbar.rate.setCurrentIndex(win.toolbar.rate.findText(FLAT_OUT))
    wait(300)
    counter = PaintCounter({name: getattr(win, name) for name in PANELS})
    probe = LatenessProbe()
    steps0, frames0, paints0 = win.snapshot.step, win.frames_drawn, counter.snapshot()
    t0 = time.perf_counter()
    probe.start()
    if profiler:
        profiler.enable()
    win.start_run(0)
    wait(int(seconds * 1000))
    if profiler:
        profiler.disable()
    win.client.pause()
    elapsed = time.perf_counter() - t0
    late = probe.stop()
    frames, paints = win.frames_drawn - frames0, counter.snapshot()
    wait(1000, lambda: not win.client.running)
    wait(100)
    return {"rate": (win.snapshot.step - steps0) / elapsed, "frames": frames / elapsed,
            "paints": {k: (v - paints0[k]) / elapsed for k, v in paints.items()},
            "p50": float(np.percentile(late, 50)), "p99": float(np.percentile(late, 99))}


def measure(preset: str | None, seconds: float, repeats: int, profiler: cProfile.Profile | None) -> dict:
    """One window: a paced run to its end, then flat-out runs alternating with headless ones (medians)."""
    win = open_window(preset)
    paced = paced_run(win)
    cfg = unlimited(win.current_config())
    heads, flats = [], []
    for i in range(repeats):
        heads.append(headless_rate(cfg, seconds))
        flats.append(flat_out_run(win, seconds, profiler if i == repeats - 1 else None))
    win.close()
    wait(300)
    med = float(np.median([f["rate"] for f in flats]))
    head = float(np.median(heads))
    flat = {k: float(np.median([f[k] for f in flats])) for k in ("frames", "p50", "p99")}
    flat["paints"] = {k: float(np.median([f["paints"][k] for f in flats])) for k in PANELS}
    ratios = [f["rate"] / h for f, h in zip(flats, heads, strict=True)]
    return {"paced": paced, "head": head, "rate": med, "ratio": float(np.median(ratios)),
            "ratio_range": (min(ratios), max(ratios)), **{f"flat_{k}": v for k, v in flat.items()}}


def paints_text(paints: dict[str, float]) -> str:
    short = {"graph": "graph", "loss_curve": "loss", "output_view": "output", "surface2d": "surface"}
    return " · ".join(f"{short[k]} {v:.0f}" for k, v in paints.items())


def table(results: dict[str, dict], seconds: float, repeats: int) -> str:
    names = list(results)
    rows = [f"| {QtWidgets.QApplication.platformName()}: {repeats} flat-out runs of {seconds:g} s (median) | "
            + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]

    def row(label: str, fn: Callable[[dict], str]) -> None:
        rows.append(f"| {label} | " + " | ".join(fn(results[n]) for n in names) + " |")

    row("**at its pace:** pace asked, steps/s", lambda r: f"{r['paced']['asked']:g}")
    row("achieved steps/s (÷ asked)",
        lambda r: f"{r['paced']['rate']:.1f} ({r['paced']['rate'] / r['paced']['asked']:.0%})")
    row("the whole run: epochs in seconds", lambda r: f"{r['paced']['epochs']:,} in {r['paced']['seconds']:.1f} s"
        + ("" if r["paced"]["ended"] else " (cut)"))
    row("snapshots drawn per second", lambda r: f"{r['paced']['frames']:.0f}")
    row("paints per second per panel", lambda r: paints_text(r["paced"]["paints"]))
    row("5 ms timer lateness p50 / p99", lambda r: f"{r['paced']['p50']:.1f} / {r['paced']['p99']:.1f} ms")
    row("**flat out:** headless Trainer, steps/s", lambda r: f"{r['head']:,.0f}")
    row("in the app, steps/s", lambda r: f"{r['rate']:,.0f}")
    row("in the app ÷ headless (goal ≥ 70 %)",
        lambda r: f"{r['ratio']:.0%} ({r['ratio_range'][0]:.0%}–{r['ratio_range'][1]:.0%})")
    row("snapshots drawn per second", lambda r: f"{r['flat_frames']:.0f}")
    row("paints per second per panel", lambda r: paints_text(r["flat_paints"]))
    row("5 ms timer lateness p50 / p99 (goal p99 ≤ 30 ms)", lambda r: f"{r['flat_p50']:.1f} / {r['flat_p99']:.1f} ms")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each flat-out run")
    parser.add_argument("--repeats", type=int, default=3, help="flat-out runs per problem (the machine is noisy)")
    parser.add_argument("--profile", action="store_true", help="cProfile the GUI thread in the last flat-out runs")
    args = parser.parse_args()
    application()
    profiler = cProfile.Profile() if args.profile else None
    results = {"start-up (XOR)": measure(None, args.seconds, args.repeats, profiler),
               "spiral": measure("spiral", args.seconds, args.repeats, profiler)}
    print(table(results, args.seconds, args.repeats))
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(20)
        print(out.getvalue())


if __name__ == "__main__":
    main()
