"""The app while it trains flat out: GUI event-loop lateness, and in-app against headless steps per second.

A 5 ms QTimer in the GUI thread records how late each tick fires while the worker thread trains the
reference workload (2-8-8-1 tanh/sigmoid, BCE, 200 samples, full batch, SGD) as fast as it can and the
panels redraw every snapshot. Goal: p99 lateness ≤ 30 ms; in-app speed ≥ 70 % of headless.
Run: QT_QPA_PLATFORM=offscreen python bench/bench_app.py [seconds]
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import QtCore  # noqa: E402

from gdsim.lab import config  # noqa: E402
from gdsim.ui.app import application  # noqa: E402

REFERENCE = config.Config(
    problem=config.ProblemConfig(dataset="xor", samples=200, test_fraction=0.0),
    network=config.NetworkConfig(hidden=(8, 8), activations=("tanh",)),
    training=config.TrainingConfig(loss="bce", optimizer="sgd", lr=0.1, epochs=0, tol=0.0),
)


def headless_rate(seconds: float) -> float:
    trainer = config.build(REFERENCE).trainer
    t0 = time.perf_counter()
    n = 0
    while time.perf_counter() - t0 < seconds:
        for _ in range(200):
            trainer.step()
        n += 200
    return n / (time.perf_counter() - t0)


def app_run(seconds: float) -> tuple[float, np.ndarray]:
    app = application()
    from gdsim.ui.main_window import MainWindow

    win = MainWindow(REFERENCE, restore_layout=False)
    win.resize(1280, 800)
    win.show()
    late: list[float] = []
    timer = QtCore.QTimer()
    timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
    last = [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        late.append(max(0.0, now - last[0] - 0.005))
        last[0] = now

    timer.timeout.connect(tick)
    deadline = QtCore.QElapsedTimer()
    steps = {}

    def start():
        steps["t0"] = time.perf_counter()
        steps["f0"] = win.frames_drawn
        win.start_run(0)
        timer.start(5)
        deadline.start()

    def stop():
        timer.stop()
        win.worker.pause()
        steps["t1"] = time.perf_counter()
        steps["f1"] = win.frames_drawn
        QtCore.QTimer.singleShot(200, app.quit)

    QtCore.QTimer.singleShot(500, start)
    QtCore.QTimer.singleShot(500 + int(seconds * 1000), stop)
    app.exec()
    rate = win.snapshot.step / (steps["t1"] - steps["t0"])
    fps = (steps["f1"] - steps["f0"]) / (steps["t1"] - steps["t0"])
    win.close()
    return rate, np.array(late[5:]) * 1000, fps


def main() -> None:
    """Alternate headless and in-app runs, three of each, and report medians (this machine is shared and noisy)."""
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    heads, rates, fpss, p50s, p99s = [], [], [], [], []
    for _ in range(repeats):
        heads.append(headless_rate(seconds))
        rate, late, fps = app_run(seconds)
        rates.append(rate)
        fpss.append(fps)
        p50s.append(np.percentile(late, 50))
        p99s.append(np.percentile(late, 99))
    ratios = np.array(rates) / np.array(heads)
    med = np.median
    print(f"| measure ({repeats} runs of {seconds:g} s each; median, range) | value |")
    print("|---|---:|")
    print(f"| headless Trainer, steps/s | {med(heads):,.0f} ({min(heads):,.0f}–{max(heads):,.0f}) |")
    print(f"| in the app, steps/s | {med(rates):,.0f} ({min(rates):,.0f}–{max(rates):,.0f}) |")
    print(f"| in the app ÷ headless (goal ≥ 70 %) | {med(ratios):.0%} ({min(ratios):.0%}–{max(ratios):.0%}) |")
    print(f"| panels redrawn per second while running flat out | {med(fpss):.0f} |")
    print(f"| GUI event loop lateness of a 5 ms timer, p50 / p99 (goal p99 ≤ 30 ms) | {med(p50s):.1f} / "
          f"{med(p99s):.1f} ms (p99 {min(p99s):.1f}–{max(p99s):.1f}) |")


if __name__ == "__main__":
    main()
