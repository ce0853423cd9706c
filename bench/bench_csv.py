"""Big CSVs: loading time and peak memory against the csv module read into lists, the preview, and how long
the window's thread stalls while the import dialog reads a file, while the window applies it, and while a set-up
naming the file is opened (``gdsim gui --config``, a preset or Reset: nothing read before, so nothing remembered).

Each load runs in its own process so its peak resident memory (ru_maxrss) is its own; "baseline" is a process
that only imports gdsim. The window's stall is the longest gap between ticks of a 5 ms QTimer.
Run: QT_QPA_PLATFORM=offscreen python bench/bench_csv.py [--setup-only] [MB ...]   (default: 20 50)
With --setup-only only the set-up is measured (PYTHONPATH=another checkout: the same figure before a change).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

LOAD = """
import resource, sys, time
from gdsim.engine import datasets
t = time.perf_counter()
if sys.argv[2] == "gdsim":
    n = len(datasets.make_dataset("csv:" + sys.argv[1]).X_train)
elif sys.argv[2] == "lists":  # the reference: what the loader did before (csv module, lists, np.array)
    import csv, numpy as np
    with open(sys.argv[1], newline="") as f:
        rows = csv.reader(f)
        next(rows)
        n = len(np.array([[float(c) for c in r] for r in rows if r]))
else:
    n = 0
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, n)
"""


def write_csv(path: str, megabytes: float) -> None:
    rng = np.random.default_rng(0)
    target = int(megabytes * 1e6)
    with open(path, "w") as f:
        f.write("x1,x2,x3,x4,label\n")
        while f.tell() < target:
            X = rng.normal(size=(10_000, 4))
            f.writelines(f"{a:.6f},{b:.6f},{c:.6f},{d:.6f},{int(a * b > 0)}\n" for a, b, c, d in X.tolist())


def load(path: str, how: str) -> tuple[float, int]:
    env = {**os.environ, "PYTHONPATH": ROOT}
    out = subprocess.run([sys.executable, "-c", LOAD, path, how], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    return float(out[0]), int(out[1])


class Window:
    """A window on XOR with a 5 ms timer whose gaps are recorded, and a way to let its event loop run."""

    def __init__(self) -> None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6 import QtCore

        from gdsim.engine import csv_table
        from gdsim.lab import config
        from gdsim.ui.app import application
        from gdsim.ui.main_window import MainWindow

        csv_table.forget()
        self.app = application(headless=True)
        self.win = MainWindow(config.load_preset("xor"), restore_layout=False)
        self.win.show()
        self.gaps: list[float] = []
        self.last = time.perf_counter()
        self.timer = QtCore.QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self.tick)

    def tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self.last)
        self.last = now

    def restart(self) -> None:
        self.gaps.clear()
        self.last = time.perf_counter()

    def spin(self, until, limit: float = 300.0) -> None:
        from PySide6 import QtCore

        end = time.perf_counter() + limit
        while not until() and time.perf_counter() < end:
            self.app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 5)

    def ready(self, features: int) -> bool:
        """The new problem is the one trained: its first snapshot has reached the window."""
        w = self.win
        return w.data is not None and w.data.n_features == features and w.snapshot is not None \
            and w.snapshot.sizes[0] == features

    def close(self) -> None:
        self.timer.stop()
        self.win.close()


def setup_stall(path: str) -> tuple[float, float]:
    """(longest stall s, time until the new problem is trained s) while a set-up naming ``path`` is opened."""
    w = Window()
    w.spin(lambda: False, 0.5)
    cfg = w.win.current_config().with_changes(problem={"dataset": "csv:" + path}, name="", description="")
    w.timer.start()
    w.spin(lambda: False, 0.3)
    w.restart()
    t = time.perf_counter()
    w.win.setup.set_config(cfg)
    w.win.load(cfg)
    w.spin(lambda: w.ready(4))
    ready = time.perf_counter() - t
    w.tick()
    stall = max(w.gaps)
    w.close()
    return stall, ready


def window_stalls(path: str) -> tuple[float, float, float, float]:
    """(preview s, dialog check s, longest stall while checking s, longest stall while accepting s)."""
    from gdsim.ui.widgets.csv_import import CsvImportDialog, read_preview

    w = Window()
    win, spin, gaps = w.win, w.spin, w.gaps
    t = time.perf_counter()
    read_preview(path)
    preview = time.perf_counter() - t
    w.timer.start()
    dialog = CsvImportDialog(win)
    dialog.show()
    spin(lambda: False, 0.3)
    w.restart()
    t = time.perf_counter()
    dialog.set_path(path)
    spin(lambda: not dialog.is_checking())
    checked, checking_stall = time.perf_counter() - t, max(gaps)
    w.restart()
    dialog.accept()  # then what MainWindow.import_csv_dialog does once exec() returns
    cfg = win.current_config().with_changes(problem=dialog.result_problem())
    win.setup.set_config(cfg)
    win.load(cfg)
    spin(lambda: w.ready(4))
    spin(lambda: False, 0.5)
    w.tick()
    accept_stall = max(gaps)
    w.close()
    return preview, checked, checking_stall, accept_stall


def main() -> None:
    setup_only = "--setup-only" in sys.argv
    sizes = [float(a) for a in sys.argv[1:] if a != "--setup-only"] or [20.0, 50.0]
    if setup_only:
        with tempfile.TemporaryDirectory() as tmp:
            for mb in sizes:
                path = os.path.join(tmp, f"{mb:g}MB.csv")
                write_csv(path, mb)
                print_setup(path)
        return
    with tempfile.TemporaryDirectory() as tmp:
        # every load runs while this process is still small: Linux carries the parent's resident size into a
        # child's ru_maxrss (exec keeps the high-water mark), so the window comes after all of them
        _, base = load(os.path.join(tmp, "none"), "none")
        print(f"baseline process (python, numpy, gdsim imported): {base / 2**20:.0f} MiB")
        paths = []
        for mb in sizes:
            path = os.path.join(tmp, f"{mb:g}MB.csv")
            write_csv(path, mb)
            size = os.path.getsize(path)
            t_new, m_new = load(path, "gdsim")
            t_ref, m_ref = load(path, "lists")
            print(f"{size / 1e6:.0f} MB CSV: load {t_new:.2f} s (csv lists {t_ref:.2f} s, {t_ref / t_new:.1f}x), "
                  f"peak {(m_new - base) / size:.1f}x the file above baseline (lists {(m_ref - base) / size:.1f}x)")
            paths.append((size, path))
        for size, path in paths:
            preview, checked, stall_check, stall_accept = window_stalls(path)
            print(f"{size / 1e6:.0f} MB CSV in the app: preview {preview * 1000:.0f} ms; dialog check {checked:.2f} s; "
                  f"window stalls: {stall_check * 1000:.0f} ms while checking, {stall_accept * 1000:.0f} ms while "
                  "accepting")
            print_setup(path)


def print_setup(path: str) -> None:
    stall, ready = setup_stall(path)
    print(f"{os.path.getsize(path) / 1e6:.0f} MB CSV set-up opened: longest window stall {stall * 1000:.0f} ms, "
          f"trained after {ready:.2f} s")


if __name__ == "__main__":
    main()
