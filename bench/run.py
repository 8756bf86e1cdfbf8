"""Runs every bench/bench_*.py in turn (make bench). Each prints its own report with ratios to a baseline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    only = sys.argv[1:]
    status = 0
    for script in sorted(HERE.glob("bench_*.py")):
        if only and not any(word in script.stem for word in only):
            continue
        print(f"== {script.stem}", flush=True)
        status |= subprocess.call([sys.executable, str(script)])
    return status


if __name__ == "__main__":
    sys.exit(main())
