"""`emgcramp analyze` of one 8-h night, this tree against an earlier revision, side by side.

    python bench/bench_revisions.py REV [--hours 8] [--repeats 5]

REV is checked out into a temporary git worktree; both trees run in fresh
processes on the same EDF+ night (2 kHz, one channel), alternating, after
one warm-up run each (Numba caches filled). Rewrites its part of RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from results import replace_section

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def run(src: str, path: str) -> float:
    env = dict(os.environ, PYTHONPATH=src)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "emgcramp", "analyze", path, "--no-progress", "--json"], env=env,
                   check=True, capture_output=True)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("rev")
    ap.add_argument("--hours", type=float, default=8.0)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old = os.path.join(tmp, "old")
        subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", old, args.rev], check=True,
                       capture_output=True)
        try:
            night = os.path.join(tmp, "night.edf")
            subprocess.run([sys.executable, "-m", "emgcramp", "simulate", night, "--hours", str(args.hours),
                            "--fs", "2000", "--seed", "1"], check=True, capture_output=True)
            trees = {args.rev: os.path.join(old, "src"), "this tree": os.path.join(ROOT, "src")}
            times = {k: [] for k in trees}
            for src in trees.values():
                run(src, night)  # fill the Numba cache
            for _ in range(args.repeats):
                for k, src in trees.items():
                    times[k].append(run(src, night))
        finally:
            subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", old], capture_output=True)
    base = min(times[args.rev])
    lines = ["## Before / after: end to end (`python bench/bench_revisions.py REV`)", "",
             f"`emgcramp analyze` of one {args.hours:g}-h night (2 kHz, one channel, EDF+) in fresh processes, "
             f"{args.repeats} runs each, alternating, caches warm.", "",
             "| tree | min s | median s | min vs before |", "|---|---|---|---|"]
    for k, v in times.items():
        lines.append(f"| {k} | {min(v):.2f} | {statistics.median(v):.2f} | {min(v) / base:.2f} |")
    replace_section("bench_revisions", "\n".join(lines + [""]))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
