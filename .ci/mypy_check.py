"""mypy with a baseline that can only shrink: no file may have more errors than .ci/mypy-baseline.txt allows.

    python .ci/mypy_check.py            run mypy (configured in pyproject.toml), compare with the baseline
    python .ci/mypy_check.py --lower    the same, then write the lower counts into the baseline (never higher)
    python .ci/mypy_check.py --record   write the current counts as the baseline, whatever they are (after a merge)

Why per file: a total could stay level while one file gets worse and another better; per file, new errors show
where they were made. Exit status 1 when a file has more errors than its baseline, 0 otherwise.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / ".ci" / "mypy-baseline.txt"
ERROR = re.compile(r"^(?P<path>[^:\s]+\.pyi?):\d+(?::\d+)?: error: ")
HEADER = ("# mypy errors allowed per file (python .ci/mypy_check.py). A count may only go down:\n"
          "# fix errors, then `python .ci/mypy_check.py --lower`. A file not listed may have none.\n")


def count_errors(output: str) -> Counter[str]:
    """Errors per file in mypy's output (notes and the summary line are not errors)."""
    return Counter(m["path"].replace("\\", "/") for line in output.splitlines() if (m := ERROR.match(line)))


def read_baseline(text: str) -> dict[str, int]:
    """``path count`` per line; blank lines and # comments are skipped."""
    out = {}
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            path, count = line.rsplit(None, 1)
            out[path] = int(count)
        except ValueError:
            raise ValueError(f"{BASELINE.name}, line {n}: expected 'path count', got {line!r}") from None
    return out


def format_baseline(counts: dict[str, int]) -> str:
    return HEADER + "".join(f"{path} {n}\n" for path, n in sorted(counts.items()) if n > 0)


def compare(counts: dict[str, int], baseline: dict[str, int]) -> tuple[list[str], list[str]]:
    """(worse, better): one line per file above its baseline, one per file below it."""
    worse, better = [], []
    for path in sorted(set(counts) | set(baseline)):
        now, allowed = counts.get(path, 0), baseline.get(path, 0)
        if now > allowed:
            worse.append(f"{path}: {now} mypy errors, the baseline allows {allowed}")
        elif now < allowed:
            better.append(f"{path}: {now} mypy errors, the baseline still allows {allowed}")
    return worse, better


def run_mypy() -> str:
    result = subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary", "--no-pretty"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    if result.returncode not in (0, 1) or result.stderr.strip():  # 2: mypy itself failed (config, crash)
        sys.exit(f"mypy did not run (exit status {result.returncode}):\n{result.stderr or result.stdout}")
    return result.stdout


def main(argv: list[str]) -> int:
    output = run_mypy()
    counts = dict(count_errors(output))
    if "--record" in argv:
        BASELINE.write_text(format_baseline(counts), encoding="utf-8")
        print(f"recorded {sum(counts.values())} mypy errors in {len(counts)} files to {BASELINE.relative_to(ROOT)}")
        return 0
    baseline = read_baseline(BASELINE.read_text(encoding="utf-8")) if BASELINE.exists() else {}
    worse, better = compare(counts, baseline)
    if worse:
        bad = {line.split(":", 1)[0] for line in worse}
        print("\n".join(line for line in output.splitlines() if (m := ERROR.match(line)) and m["path"] in bad))
        print("\nmypy: more errors than the baseline allows (fix them; the baseline never goes up):", file=sys.stderr)
        print("  " + "\n  ".join(worse), file=sys.stderr)
        return 1
    if better and "--lower" in argv:
        BASELINE.write_text(format_baseline({p: min(n, counts.get(p, 0)) for p, n in baseline.items()}),
                            encoding="utf-8")
        print(f"lowered the baseline for {len(better)} file(s)")
    elif better:
        print("mypy: fewer errors than the baseline; lower it with `python .ci/mypy_check.py --lower`:\n  "
              + "\n  ".join(better))
    print(f"mypy: {sum(counts.values())} errors, none beyond the baseline ({sum(baseline.values())} allowed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
