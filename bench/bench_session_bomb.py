"""Session bombs: how long ``gdsim train --load`` takes and how much memory it peaks at on hostile sessions.

Each case runs in a fresh process under ``/usr/bin/time -v`` (wall time, maximum resident set size) next to
the same command on the good session it was made from, so the figures are ratios against a reference
measured in the same run:

* ``unused_1GiB``: a ~1 MB session with an extra, unreferenced member of 1 GiB of zeros (real bytes, deflated);
* ``params_1GiB``: the same 1 GiB member put where the parameter vector belongs;
* ``lying_1GiB``: that member declaring 4 kB while its compressed bytes inflate to 1 GiB.

Run: ``PYTHONPATH=. python bench/bench_session_bomb.py``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
GiB = 1 << 30


def bomb(good: Path, dst: Path, name: str, replace: bool) -> Path:
    """``good`` plus a member ``name`` of 1 GiB of zeros (written in 1 MiB chunks: this script stays small)."""
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.namelist():
            if not (replace and item == name):
                zout.writestr(item, zin.read(item))
        with zout.open(name, "w", force_zip64=False) as f:
            chunk = bytes(1 << 20)
            for _ in range(GiB >> 20):
                f.write(chunk)
    return dst


def measure(path: Path) -> tuple[int, float, float, str]:
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "gdsim", "train", "--load", str(path), "--epochs", "0",
           "--json"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", p.stderr)
    seconds = float(wall[2]) * 60 + float(wall[3]) + (float(wall[1]) * 3600 if wall[1] else 0)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)[1]) / 1024
    first = next((line for line in p.stderr.splitlines() if line.startswith("gdsim:")), "")
    return p.returncode, seconds, rss, first


def in_process(path: Path) -> tuple[float, float]:
    """Seconds and traced peak MB of ``session.load`` alone (no interpreter start-up)."""
    import time
    import tracemalloc

    from gdsim.io import session

    tracemalloc.start()
    start = time.perf_counter()
    try:
        session.load(path)
    except ValueError:
        pass
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return seconds, peak


def main() -> None:
    import broken_sessions

    from gdsim.io import session
    from gdsim.lab import config

    folder = Path(tempfile.mkdtemp(prefix="gdsim-bomb-"))
    try:
        built = config.build(config.load_preset("xor"))
        built.trainer.run(3)
        good = session.save(folder / "good.gdsim", built)
        unused = bomb(good, folder / "unused_1GiB.gdsim", "extra/zeros.npy", replace=False)
        params = bomb(good, folder / "params_1GiB.gdsim", "state/params.npy", replace=True)
        lying = broken_sessions.patch_headers(params, folder / "lying_1GiB.gdsim", "state/params.npy", size=4096)
        in_process(good)  # warm up imports
        code, t0, m0, _ = measure(good)
        l0, p0 = in_process(good)
        print(f"{'case':14s} {'file':>8s} {'exit':>4s} {'process s':>9s} {'max RSS MB':>10s} {'load s':>7s} "
              f"{'traced MB':>9s}")
        print(f"{'good':14s} {good.stat().st_size / 1e6:6.2f}MB {code:4d} {t0:9.2f} {m0:10.0f} {l0:7.3f} {p0:9.2f}")
        for path in (unused, params, lying):
            code, t, m, line = measure(path)
            lt, lp = in_process(path)
            print(f"{path.stem:14s} {path.stat().st_size / 1e6:6.2f}MB {code:4d} {t:9.2f} {m:10.0f} {lt:7.3f} "
                  f"{lp:9.2f}  {line.split(': ', 2)[-1][:80]}")
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
