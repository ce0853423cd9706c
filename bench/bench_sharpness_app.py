"""The edge-of-stability monitor's cost in the app: training speed with the Sharpness tab in front, and without.

The same run (the same preset, seed and epochs, the convergence test off) is trained flat out in one window,
alternately with the Compare tab in front of the Sharpness tab (the worker tracks nothing) and in front (the
trainer reads λmax within ``sharpness.SHARE`` of its work). Prints steps per second, the slowdown, the readings
the panel drew, and the share of the run's wall time spent inside the readings (timed in the worker thread:
on a busy machine the steps-per-second ratio is noisy, the share much less so).
Run: QT_QPA_PLATFORM=offscreen python bench/bench_sharpness_app.py [repeats]
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import QtWidgets  # noqa: E402

from gdsim.engine import sharpness  # noqa: E402
from gdsim.lab import config  # noqa: E402
from gdsim.ui.app import application  # noqa: E402

SPENT = [0.0]  # seconds inside SharpnessMonitor.measure, in the worker thread
WORKLOADS = [("xor", {"lr": 8.0}, 3000), ("package", {}, 3000), ("spiral", {}, 100)]


def wait(app: QtWidgets.QApplication, done, timeout: float = 300.0) -> None:
    end = time.perf_counter() + timeout
    while not done() and time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.001)


def count_time_in_readings() -> None:
    original = sharpness.SharpnessMonitor.measure

    def measure(self, trainer):
        t0 = time.perf_counter()
        try:
            return original(self, trainer)
        finally:
            SPENT[0] += time.perf_counter() - t0

    sharpness.SharpnessMonitor.measure = measure


def timed(app, win, cfg, epochs: int, shown: bool) -> tuple[float, int, int]:
    """(seconds, steps, λmax readings) for one run from the set-up's start."""
    win.docks["Sharpness" if shown else "Compare"].raise_()  # both tabs cover the loss curve
    wait(app, lambda: win.on_screen("Sharpness") == shown)
    win.apply_config(cfg)
    wait(app, lambda: win.snapshot is not None and win.snapshot.step == 0 and
         (len(win.snapshot.sharpness) == 1) == shown)
    t0 = time.perf_counter()
    SPENT[0] = 0.0
    win._start_run(epochs)
    wait(app, lambda: win.worker.running)
    wait(app, lambda: not win.worker.running)
    seconds = time.perf_counter() - t0
    wait(app, lambda: win.snapshot.epoch >= epochs or win.snapshot.status != "running", 10)
    return seconds, win.snapshot.step, len(win.snapshot.sharpness)


def main(argv: list[str]) -> int:
    repeats = int(argv[0]) if argv else 2
    count_time_in_readings()
    app = application()
    from gdsim.ui.main_window import MainWindow

    win = MainWindow(restore_layout=False)
    win.resize(1280, 800)
    win.show()
    print(f"{'workload':<10}{'epochs':>7}{'plain steps/s':>15}{'tracked steps/s':>17}{'slowdown':>10}"
          f"{'readings':>10}{'in λmax':>9}")
    try:
        for name, training, epochs in WORKLOADS:
            cfg = config.load_preset(name).with_changes(training={**training, "tol": 0.0, "epochs": 0})
            plain, tracked = [], []
            readings, shares = 0, []
            for _ in range(repeats):
                s, steps, _ = timed(app, win, cfg, epochs, False)
                plain.append(steps / s)
                s, steps, readings = timed(app, win, cfg, epochs, True)
                tracked.append(steps / s)
                shares.append(SPENT[0] / s)
            p, t = max(plain), max(tracked)
            print(f"{name:<10}{epochs:>7}{p:>15,.0f}{t:>17,.0f}{1 - t / p:>10.1%}{readings:>10}{min(shares):>9.1%}")
    finally:
        win.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
