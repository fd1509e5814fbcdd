"""`emgcramp analyze` of one 8-h night and the 20-ms live block, this tree against an earlier revision.

    python bench/bench_revisions.py REV [--hours 8] [--repeats 5]

REV is checked out into a temporary git worktree, its kernels compiled ahead
of time there as an install would (when REV has that build), and both trees'
sources compiled to bytecode, so both trees run the same way; the section says how each ran. Both trees
run in fresh processes on the same EDF+ night (2 kHz, one channel),
alternating, after one warm-up run each (Numba caches filled). The live block cost (p50/p99
of ``Pipeline.process`` on 20-ms blocks, ``emgcramp.eval.speed``) is measured
the same way, alternating, and so is the monitor's cost per 20-ms block
(``NightMonitor.feed``: the pipeline, the night's files, the alerts) in the
last 30 s of a 2-min burst, where measuring the burst under way costs most.
Rewrites its part of RESULTS.md.
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


BLOCK_COST = ("try:\n    from emgcramp.eval.speed import streaming_block_costs\n"
              "except ImportError:  # a tree from before the stage folders\n"
              "    from emgcramp.speed import streaming_block_costs\n"
              "print(*streaming_block_costs(block_ms=(20,))[20])")


def block_cost(src: str) -> tuple[float, float]:
    """p50, p99 µs of one 20-ms block through the pipeline, in a fresh process of ``src``."""
    env = dict(os.environ, PYTHONPATH=src)
    out = subprocess.run([sys.executable, "-c", BLOCK_COST], env=env, check=True, capture_output=True, text=True)
    p50, p99 = out.stdout.split()
    return float(p50), float(p99)


LONG_BURST = """
import tempfile, time
import numpy as np
from emgcramp.core.blocks import Block
from emgcramp.live.monitor import NightMonitor
fs, n = 1000.0, 20
x = np.random.default_rng(1).normal(0.0, 5.0, (int(fs * 150), 1))
x[int(20 * fs):int(140 * fs)] *= 40.0  # a 2-min burst from 20 s
night, costs = NightMonitor(fs, ["calf"], tempfile.mkdtemp() + "/night"), []
for i in range(0, len(x), n):
    t = time.perf_counter()
    night.feed(Block(i, x[i:i + n]))
    costs.append(time.perf_counter() - t)
c = np.array(costs[int(110 * fs / n):int(140 * fs / n)]) * 1e6
print(np.percentile(c, 50), np.percentile(c, 99))
"""


def burst_cost(src: str) -> tuple[float, float]:
    """p50, p99 µs of one 20-ms block through the monitor 90–120 s into a burst, in a fresh process of ``src``."""
    env = dict(os.environ, PYTHONPATH=src)
    out = subprocess.run([sys.executable, "-c", LONG_BURST], env=env, check=True, capture_output=True, text=True)
    p50, p99 = out.stdout.split()
    return float(p50), float(p99)


AOT_BUILD = "from emgcramp.build import build_kernels; import sys; build_kernels(sys.argv[1])"


def kernels_line(src: str) -> str:
    """How ``src``'s kernels run, as ``emgcramp --version`` says it."""
    env = dict(os.environ, PYTHONPATH=src)
    out = subprocess.run([sys.executable, "-m", "emgcramp", "--version"], env=env, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else "unknown"


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
            if os.path.exists(os.path.join(old, "src", "emgcramp", "build.py")):
                subprocess.run([sys.executable, "-c", AOT_BUILD, os.path.join(old, "src", "emgcramp")],
                               env=dict(os.environ, PYTHONPATH=trees[args.rev]), capture_output=True)
            for src in trees.values():  # bytecode, as an install writes it: a tree never pays for compiling its
                # sources at each start (it would when PYTHONDONTWRITEBYTECODE is set, and more source costs more)
                subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(src, "emgcramp")],
                               check=True, capture_output=True)
            how = {k: kernels_line(src) for k, src in trees.items()}
            times = {k: [] for k in trees}
            for src in trees.values():
                run(src, night)  # fill the Numba cache
            blocks, bursts = {k: [] for k in trees}, {k: [] for k in trees}
            for i in range(args.repeats):
                for k, src in trees.items():
                    times[k].append(run(src, night))
                    blocks[k].append(block_cost(src))
                    if i < 3:  # a minute a run before: three are enough to see it
                        bursts[k].append(burst_cost(src))
        finally:
            subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", old], capture_output=True)
    base = min(times[args.rev])
    lines = ["## Before / after: end to end (`python bench/bench_revisions.py REV`)", "",
             f"`emgcramp analyze` of one {args.hours:g}-h night (2 kHz, one channel, EDF+) in fresh processes, "
             f"{args.repeats} runs each, alternating, bytecode compiled and caches warm. " +
             "; ".join(f"{k}: {v}" for k, v in how.items()) + ".", "",
             "| tree | min s | median s | min vs before | 20-ms block p50 µs (median of runs) | p99 µs (min / median of "
             "runs) | monitor, 20-ms block 90–120 s into a burst: p50 / p99 µs (median of runs) |",
             "|---|---|---|---|---|---|---|"]
    for k, v in times.items():
        p50 = statistics.median(b[0] for b in blocks[k])
        p99 = [b[1] for b in blocks[k]]
        lines.append(f"| {k} | {min(v):.2f} | {statistics.median(v):.2f} | {min(v) / base:.2f} | {p50:.1f} | "
                     f"{min(p99):.1f} / {statistics.median(p99):.1f} | "
                     f"{statistics.median(b[0] for b in bursts[k]):.0f} / {statistics.median(b[1] for b in bursts[k]):.0f} |")
    replace_section("bench_revisions", "\n".join(lines + [""]))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
