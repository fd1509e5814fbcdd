"""Batch analysis: files per second with 1 and 2 workers; rewrites its part of bench/RESULTS.md.

    python bench/bench_batch.py      # two cohorts of 8 nights, about two minutes

Each run is a fresh ``emgcramp analyze FOLDER --jobs N`` process, so its wall
time holds one start-up (interpreter and imports in the command and in each
worker; with the kernels compiled ahead of time neither loads Numba) that no
number of workers shortens. Two cohorts show how much that
weighs: short 1-kHz nights, where it is a large share, and full 2-kHz nights.
Each configuration runs 3 times, alternating; the fastest run counts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

from results import replace_section

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")
N_FILES = 8
REPEATS = 3
COHORTS = (("4 h, 1 kHz", 4, 1000), ("8 h, 2 kHz", 8, 2000))


def cohort(hours: int, fs: int) -> str:
    """A folder of N_FILES copies of one simulated night (copies: each file is read on its own)."""
    folder = os.path.join(OUT, f"cohort_{hours}h_{fs // 1000}k")
    src = os.path.join(OUT, f"night_{hours}h_{fs // 1000}k.edf")
    if not os.path.exists(src):
        subprocess.run([sys.executable, "-m", "emgcramp", "simulate", src, "--hours", str(hours), "--fs", str(fs)],
                       check=True, capture_output=True)
    os.makedirs(folder, exist_ok=True)
    for k in range(N_FILES):
        dst = os.path.join(folder, f"S{k:02d}_night.edf")
        if not os.path.exists(dst):
            shutil.copy(src, dst)
    return folder


def wall(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t


def startup_s() -> float:
    """Wall time of ``analyze`` on a 1-minute file: start-up with almost no work."""
    path = os.path.join(OUT, "night_1min_1k.edf")
    if not os.path.exists(path):
        subprocess.run([sys.executable, "-m", "emgcramp", "simulate", path, "--hours", str(1 / 60), "--fs", "1000"],
                       check=True, capture_output=True)
    return min(wall([sys.executable, "-m", "emgcramp", "analyze", path, "--no-progress"]) for _ in range(REPEATS))


def main() -> None:
    configs = ((1, "process pool", []), (2, "process pool", []), (2, "Dask local cluster", ["--dask", "local"]))
    rows = []
    for label, hours, fs in COHORTS:
        folder = cohort(hours, fs)
        times: dict[int, list[float]] = {i: [] for i in range(len(configs))}
        for _ in range(REPEATS):
            for i, (jobs, _how, extra) in enumerate(configs):
                cmd = [sys.executable, "-m", "emgcramp", "analyze", folder, "--jobs", str(jobs), *extra]
                times[i].append(wall(cmd))
        base = N_FILES / min(times[0])
        for i, (jobs, how, _extra) in enumerate(configs):
            fps = N_FILES / min(times[i])
            rows.append(f"| {label} | {jobs} | {how} | {min(times[i]):.2f} | {fps:.2f} | {fps / base:.2f}× |")
    start = startup_s()
    lines = ["## Batch analysis (`python bench/bench_batch.py`)", "",
             f"`emgcramp analyze FOLDER --jobs N` over {N_FILES} nights (EDF+), wall time of the whole command, "
             f"fastest of {REPEATS} alternating runs. Start-up (interpreter and imports, kernels compiled ahead of "
             f"time; "
             f"`analyze` of a 1-minute file) is {start:.2f} s; each worker pays its share of it in parallel, "
             "but no number of workers shortens it, so the gain from a second worker grows with the work per file.",
             "", "| nights | workers | how | wall s | files per second | vs 1 worker |", "|---|---|---|---|---|---|",
             *rows]
    replace_section("bench_batch", "\n".join(lines + [""]))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
