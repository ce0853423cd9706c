"""What recording a run costs: frames drawn and steps per second while recording, against not recording
(in the same run, alternating), and the time to encode ``gdsim gui --preset xor --epochs 200 --record``'s frames
as a GIF (Pillow) and as an MP4 (ffmpeg, libx264), with the files' sizes.

Grabbing from the backing store (offscreen) is compared with painting the window again (QWidget.grab), the way
other platforms take frames.
The flat-out workload is bench_app's (2-8-8-1 tanh, 200 samples, never converges).
Run: QT_QPA_PLATFORM=offscreen python bench/bench_recorder.py [seconds per measurement | encode]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from gdsim.io import animation  # noqa: E402
from gdsim.lab import config  # noqa: E402
from gdsim.ui import recorder as recmod  # noqa: E402
from gdsim.ui.app import application  # noqa: E402

ROUNDS = 3
REFERENCE = config.Config(  # bench_app's workload: trains until stopped
    problem=config.ProblemConfig(dataset="xor", samples=200, test_fraction=0.0),
    network=config.NetworkConfig(hidden=(8, 8), activations=("tanh",)),
    training=config.TrainingConfig(loss="bce", optimizer="sgd", lr=0.1, epochs=0, tol=0.0),
)


def pump(app, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.002)


def measure(app, win, seconds: float, mode: str, folder: str) -> tuple[float, float]:
    """(frames drawn per second, steps per second) of a flat-out run, recording or not."""
    rec = None
    if mode != "off":
        recmod.BACKING_STORE_PLATFORMS = {"offscreen"} if mode == "backing store" else set()
        rec = recmod.Recorder(win, os.path.join(folder, "b.gif"), parent=win)
        win.client.sigSnapshot.connect(rec.on_snapshot)
        rec.start()
    pump(app, 0.5)
    f0, s0, t0 = win.frames_drawn, win.snapshot.step, time.perf_counter()
    pump(app, seconds)
    dt = time.perf_counter() - t0
    result = ((win.frames_drawn - f0) / dt, (win.snapshot.step - s0) / dt)
    if rec is not None:
        win.client.sigSnapshot.disconnect(rec.on_snapshot)
        rec.recording = False
    return result


def frames_per_second(app, win, seconds: float, folder: str) -> None:
    """Frames drawn and steps per second of a flat-out run, recording (two ways) or not, alternating."""
    win.toolbar.set_pace(0.0)  # flat out: drawing and taking frames compete with training
    pump(app, 0.2)
    win.start_run(0)
    results: dict[str, list[tuple[float, float]]] = {"off": [], "backing store": [], "repaint": []}
    for _ in range(ROUNDS):
        for mode in results:
            results[mode].append(measure(app, win, seconds, mode, folder))
    win.client.pause()
    pump(app, 0.5)
    base_f = sum(f for f, _ in results["off"]) / ROUNDS
    base_s = sum(s for _, s in results["off"]) / ROUNDS
    print(f"{'recording':<15}{'frames/s':>10}{'ratio':>8}{'steps/s':>10}{'ratio':>8}")
    for mode, rows in results.items():
        f, s = sum(r[0] for r in rows) / ROUNDS, sum(r[1] for r in rows) / ROUNDS
        print(f"{mode:<15}{f:>10.1f}{f / base_f:>8.2f}{s:>10.0f}{s / base_s:>8.2f}")


def encoding(app, win, folder: str) -> None:
    """``gdsim gui --preset xor --epochs 200 --record``'s frames, encoded as a GIF and as an MP4 (best of 3)."""
    recmod.BACKING_STORE_PLATFORMS = {"offscreen"}
    win.open_preset("xor")
    pump(app, 0.5)
    rec = recmod.Recorder(win, os.path.join(folder, "run.gif"), parent=win)
    win.client.sigSnapshot.connect(rec.on_snapshot)
    win.toolbar.set_pace(60.0)  # what --record does for the xor preset: its pace (200 epochs take 3.3 s)
    rec.start()
    win.start_run(200)
    pump(app, 0.5)
    while win.worker.running:
        pump(app, 0.1)
    pump(app, 0.3)
    t0 = time.perf_counter()
    rec.stop()
    rec.wait()
    first = time.perf_counter() - t0
    f = rec.frames
    print(f"xor, 200 epochs at 60 steps/s: {len(f)} frames of {f.size[0]}×{f.size[1]} ({f.dropped} repeats "
          f"dropped), {rec.grab_seconds / max(rec.grabs, 1) * 1000:.1f} ms a frame taken, held in "
          f"{f.nbytes / 1e6:.2f} MB; first encoding (in the recorder's thread) {first:.2f} s")
    print(f"{'format':<8}{'encode s':>10}{'size MB':>10}{'ratio':>8}")
    rows = {}
    for ext in ("gif", "mp4"):
        path = os.path.join(folder, f"again.{ext}")
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            animation.encode(f, path, fps=rec.fps)
            times.append(time.perf_counter() - t0)
        rows[ext] = (min(times), os.path.getsize(path))
    for ext, (t, size) in rows.items():
        print(f"{ext:<8}{t:>10.2f}{size / 1e6:>10.3f}{t / rows['gif'][0]:>8.2f}")


def main() -> None:
    """``python bench/bench_recorder.py [seconds]`` measures both; ``... encode`` only the encoding."""
    only_encode = sys.argv[1:] == ["encode"]
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 and not only_encode else 4.0
    app = application(headless=True)
    from gdsim.ui.main_window import MainWindow

    win = MainWindow(REFERENCE, restore_layout=False)
    win.show()
    pump(app, 1.0)
    with tempfile.TemporaryDirectory() as folder:
        if not only_encode:
            frames_per_second(app, win, seconds, folder)
        encoding(app, win, folder)
    win.shutdown()


if __name__ == "__main__":
    main()
