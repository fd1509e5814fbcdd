"""Batch analysis: files per second with 1 and 2 workers; rewrites its part of bench/RESULTS.md.

    python bench/bench_batch.py      # 8 four-hour nights at 1 kHz, about a minute
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

from results import replace_section

HERE = os.path.dirname(os.path.abspath(__file__))
N_FILES = 8


def main() -> None:
    folder = os.path.join(HERE, "out", "cohort")
    src = os.path.join(HERE, "out", "night_4h_1k.edf")
    if not os.path.exists(src):
        subprocess.run([sys.executable, "-m", "emgcramp", "simulate", src, "--hours", "4", "--fs", "1000"], check=True,
                       capture_output=True)
    os.makedirs(folder, exist_ok=True)
    for k in range(N_FILES):
        dst = os.path.join(folder, f"S{k:02d}_night.edf")
        if not os.path.exists(dst):
            shutil.copy(src, dst)
    rows = []
    for jobs, extra in ((1, []), (2, []), (2, ["--dask", "local"])):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "emgcramp", "analyze", folder, "--jobs", str(jobs), *extra],
                       check=True, capture_output=True)
        rows.append((jobs, "Dask local cluster" if extra else "process pool", N_FILES / (time.perf_counter() - t)))
    base = rows[0][2]
    lines = ["## Batch analysis (`python bench/bench_batch.py`)", "",
             f"`emgcramp analyze FOLDER` over {N_FILES} four-hour nights (1 kHz EDF+), wall time including start-up.",
             "", "| workers | how | files per second | vs 1 worker |", "|---|---|---|---|"]
    lines += [f"| {j} | {how} | {fps:.2f} | {fps / base:.2f}× |" for j, how, fps in rows]
    replace_section("bench_batch", "\n".join(lines + [""]))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
