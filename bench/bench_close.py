"""Closing the window under load: a loss surface, or a comparison, computing on a 200k-row CSV.

Each try is its own process: it opens the app on the CSV, starts the computation, closes the window 1.5 s
later and prints how long ``close()`` took; the bench adds the process's exit status and any QThread warning.
Goal: under a second, status 0, no warning.
Run: python bench/bench_close.py [tries]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

APP = """
import sys, time
from PySide6 import QtCore
from gdsim.lab import config
from gdsim.ui.app import application
from gdsim.ui.main_window import MainWindow

app = application(headless=True)
win = MainWindow(config.load_preset("xor").with_changes(problem={"dataset": "csv:" + sys.argv[1]}),
                 restore_layout=False)
win.show()

def start():
    if sys.argv[2] == "surface":
        win.docks["Loss surface"].show()
        win.docks["Loss surface"].raise_()
    else:
        win.docks["Compare"].show()
        win.compare.run_button.click()

def close():
    t = time.perf_counter()
    win.close()
    print(f"{time.perf_counter() - t:.3f}")

QtCore.QTimer.singleShot(300, start)
QtCore.QTimer.singleShot(1800, close)
sys.exit(app.exec())
"""


def main() -> None:
    tries = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    env = {**os.environ, "PYTHONPATH": ROOT, "QT_QPA_PLATFORM": "offscreen"}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "rows200k.csv")
        X = np.random.default_rng(1).normal(size=(200_000, 2))
        with open(path, "w") as f:
            f.write("x1,x2,label\n")
            f.writelines(f"{a:.5f},{b:.5f},{int(a * b > 0)}\n" for a, b in X.tolist())
        for what in ("surface", "compare"):
            results = []
            for _ in range(tries):
                done = subprocess.run([sys.executable, "-c", APP, path, what], env=env, capture_output=True,
                                      text=True, timeout=600)
                warned = "QThread" in done.stderr
                results.append(f"{done.stdout.strip() or '?'} s (status {done.returncode}"
                               f"{', QThread warning' if warned else ''})")
            print(f"close during a {what}: " + "; ".join(results))


if __name__ == "__main__":
    main()
