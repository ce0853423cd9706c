"""What a hidden output view saves: the spiral preset trained flat out with the Output dock shown, and closed.

The worker builds a snapshot for every frame; with the Output dock on screen that includes the decision surface
(predictions over a 64×64 grid), without it not. The same run (same preset and seed, convergence test off) is
trained alternately with the dock shown and closed. Prints steps per second, frames, and the cost of building a
snapshot (timed in the worker thread), then the same snapshot cost measured headless for reference.
Run: QT_QPA_PLATFORM=offscreen python bench/bench_hidden_panels.py [repeats] [epochs]
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import QtWidgets  # noqa: E402

from gdsim.lab import config, snapshot  # noqa: E402
from gdsim.ui.app import application  # noqa: E402

TAKEN: list[float] = []  # seconds per snapshot.take, in the worker thread


def count_snapshots() -> None:
    original = snapshot.take

    def take(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            TAKEN.append(time.perf_counter() - t0)

    snapshot.take = take


def wait(app: QtWidgets.QApplication, done, timeout: float = 300.0) -> None:
    end = time.perf_counter() + timeout
    while not done() and time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.001)


def timed(app, win, cfg, epochs: int, shown: bool) -> tuple[float, int, int, float]:
    """(seconds, steps, snapshots, mean ms per snapshot) for one run from the set-up's start."""
    dock = win.docks["Output"]
    dock.show() if shown else dock.close()
    wait(app, lambda: win.on_screen("Output") == shown)
    win.load(cfg)
    wait(app, lambda: win.snapshot is not None and win.snapshot.step == 0 and bool(win.snapshot.output) == shown)
    frames = win.frames_drawn
    TAKEN.clear()
    t0 = time.perf_counter()
    win.start_run(epochs)
    wait(app, lambda: win.worker.running)
    wait(app, lambda: not win.worker.running)
    seconds = time.perf_counter() - t0
    wait(app, lambda: win.snapshot.epoch >= epochs or win.snapshot.status != "running", 10)
    taken = list(TAKEN)
    return seconds, win.snapshot.step, win.frames_drawn - frames, 1000 * statistics.mean(taken) if taken else 0.0


def headless(cfg, repeats: int = 50) -> tuple[float, float]:
    """Median ms of one snapshot on a trained spiral network, with every piece and with none."""
    b = config.build(cfg)
    for _ in range(200):
        b.trainer.step()
    out = []
    for pieces in (snapshot.PIECES, ()):
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            snapshot.take(b.trainer, b.data, 0.0, pieces)
            times.append(time.perf_counter() - t0)
        out.append(1000 * statistics.median(times))
    return out[0], out[1]


def main(argv: list[str]) -> int:
    repeats = int(argv[0]) if argv else 3
    epochs = int(argv[1]) if len(argv) > 1 else 1500
    cfg = config.load_preset("spiral").with_changes(training={"tol": 0.0, "epochs": 0})
    full, bare = headless(cfg)
    count_snapshots()
    app = application()
    from gdsim.ui.main_window import MainWindow

    win = MainWindow(cfg, restore_layout=False)
    win.resize(1280, 800)
    win.show()
    win.toolbar.set_pace(0.0)  # as fast as possible
    rows = {True: [], False: []}
    try:
        for _ in range(repeats):
            for shown in (True, False):
                rows[shown].append(timed(app, win, cfg, epochs, shown))
    finally:
        win.shutdown()
    print(f"spiral, {epochs} epochs flat out, best of {repeats} (1280×800 window)")
    print(f"{'Output dock':<13}{'steps/s':>9}{'frames/s':>10}{'ms/snapshot':>13}{'snapshot share':>16}")
    best = {}
    for shown in (True, False):
        s, steps, frames, ms = max(rows[shown], key=lambda r: r[1] / r[0])
        best[shown] = steps / s
        print(f"{'shown' if shown else 'closed':<13}{steps / s:>9,.0f}{frames / s:>10.1f}{ms:>13.2f}"
              f"{frames * ms / 1000 / s:>16.1%}")
    print(f"speed-up with the dock closed: {best[False] / best[True]:.2f}×")
    print(f"headless snapshot: {full:.2f} ms with every piece, {bare:.2f} ms with none")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
