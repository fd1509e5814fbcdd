"""Peak memory of ``emgcramp analyze`` by input format: one 24-h night as NPY, WAV and EDF+.

    python bench/bench_memory.py                  # about two minutes; ~1.4 GB of temporary files
    python bench/bench_memory.py --before SRC     # also the package in SRC/emgcramp (an older src tree)
    python bench/bench_memory.py --src SRC        # measure SRC/emgcramp instead of the installed package
    python bench/bench_memory.py --hours 8        # a shorter night (the section is rewritten all the same)

A seeded synthetic night at 2 kHz (``emgcramp simulate``) is written as
EDF+, then copied block by block into a float32 ``.npy`` (µV, samples in
one column) and a 16-bit WAV (the EDF's digital counts; ``--scale`` turns
them into µV). Each file goes through ``emgcramp analyze`` in a fresh
process, the three formats alternating, :data:`REPEATS` times; the peak
resident set (``ru_maxrss`` of analyze, through a small wrapper process) and
the wall time (the wrapper's start included) are kept (max and min). All the files live in a temporary folder
removed at the end. The three analyses must find the same episodes: the
row is void otherwise.

Kernels: the ahead-of-time module when one is built for the sources being
measured, else Numba's JIT (``EMGCRAMP_JIT=1``, which adds its own ~120 MB
to every row alike); the section says which.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
from results import replace_section

FS = 2000
REPEATS = 2
HOUR = 3600 * FS  # samples


def make_night(folder: str, hours: float) -> tuple[dict[str, str], float]:
    """The night as EDF+, NPY and WAV in ``folder``; the WAV's µV per count."""
    import pyedflib

    edf, npy, wav = (os.path.join(folder, f"night.{ext}") for ext in ("edf", "npy", "wav"))
    subprocess.run([sys.executable, "-m", "emgcramp", "simulate", edf, "--hours", f"{hours:g}", "--fs", str(FS),
                    "--seed", "1"], check=True, capture_output=True, env=dict(os.environ, EMGCRAMP_JIT="1"))
    with pyedflib.EdfReader(edf) as r, open(npy, "wb") as fn, open(wav, "wb") as fw:
        n, h = int(r.getNSamples()[0]), r.getSignalHeader(0)
        scale = (h["physical_max"] - h["physical_min"]) / (h["digital_max"] - h["digital_min"])
        np.lib.format.write_array_header_1_0(fn, {"descr": "<f4", "fortran_order": False, "shape": (n,)})
        fw.write(b"RIFF" + struct.pack("<I", 36 + 2 * n) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, FS, 2 * FS,
                                                                                    2, 16)
                 + b"data" + struct.pack("<I", 2 * n))
        for start in range(0, n, HOUR):  # an hour at a time: this script's own memory stays small too
            k = min(HOUR, n - start)
            r.readSignal(0, start, k).astype("<f4").tofile(fn)
            r.readSignal(0, start, k, digital=True).astype("<i2").tofile(fw)
    return {"NPY (float32)": npy, "WAV (int16)": wav, "EDF+ (int16)": edf}, scale


# A small Python between us and analyze: a child's ru_maxrss counts the memory of the process it was
# started from (the image it ran before exec), and this script's own is large after writing the files.
WRAPPER = ("import resource, subprocess, sys\n"
           "rc = subprocess.run(sys.argv[1:]).returncode\n"
           "print('PEAK', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
           "sys.exit(rc)")


def analyze(path: str, extra: list[str], env: dict[str, str]) -> tuple[float, float, dict]:
    """Peak RSS (MB), wall seconds and the JSON summary of ``emgcramp analyze`` in a fresh process."""
    cmd = [sys.executable, "-m", "emgcramp", "analyze", path, *extra, "--json", "--no-progress"]
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], check=False, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {p.stderr[-500:]}")
    return int(p.stderr.rsplit("PEAK", 1)[1]) / 1024, wall, json.loads(p.stdout)


def package_env(src: str | None) -> tuple[dict[str, str], str]:
    """The environment that runs the package in ``src`` (``None``: the installed one), and its kernels."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.path.abspath(src) + os.pathsep + env.get("PYTHONPATH", "")
    probe = "from emgcramp.core.kernels import ahead_of_time; print(ahead_of_time() is not None)"
    aot = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env,
                         check=True).stdout.strip() == "True"
    if not aot:
        env["EMGCRAMP_JIT"] = "1"  # the fallback, asked for: no warning line on stderr
    return env, "ahead of time" if aot else "Numba JIT"


def measure(files: dict[str, str], scale: float, env: dict[str, str]) -> dict[str, tuple[float, float]]:
    """Per format: max peak RSS (MB) and min wall seconds over :data:`REPEATS` alternating runs."""
    extra = {"NPY (float32)": ["--fs", str(FS)], "WAV (int16)": ["--scale", repr(scale)], "EDF+ (int16)": []}
    runs: dict[str, list[tuple[float, float]]] = {k: [] for k in files}
    found = {}
    for _ in range(REPEATS):
        for fmt, path in files.items():
            rss, wall, summary = analyze(path, extra[fmt], env)
            runs[fmt].append((rss, wall))
            found[fmt] = [(e["onset_s"], e["kind"]) for e in summary["episodes"]]
    ref = found["EDF+ (int16)"]  # the NPY holds float32 µV and the WAV counts: onsets may differ by a bin
    if any(len(v) != len(ref) or any(k != j or abs(t - u) > 0.1 for (t, k), (u, j) in zip(v, ref))
           for v in found.values()):
        raise RuntimeError(f"the formats found different episodes: { {k: len(v) for k, v in found.items()} }")
    return {k: (max(r for r, _ in v), min(w for _, w in v)) for k, v in runs.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--before", metavar="SRC", help="also measure the emgcramp package in SRC (an older src tree)")
    ap.add_argument("--before-is", metavar="TEXT", default="",
                    help="what the --before package is, for the text of the section")
    ap.add_argument("--src", metavar="SRC", help="measure the emgcramp package in SRC, not the installed one")
    args = ap.parse_args()
    packages = [("before", args.before)] if args.before else []
    packages.append(("after" if args.before else "this tree", args.src))
    folder = tempfile.mkdtemp(prefix="emgcramp-mem-")
    try:
        files, scale = make_night(folder, args.hours)
        sizes = {k: os.path.getsize(p) / 2**20 for k, p in files.items()}
        rows = []
        for label, src in packages:
            env, kernels = package_env(src)
            rows.append((label, kernels, measure(files, scale, env)))
    finally:
        shutil.rmtree(folder)
    write(args.hours, sizes, rows, args.before_is)


def write(hours: float, sizes: dict[str, float], rows: list, before_is: str) -> None:
    lines = [
        "## Memory by input format (`python bench/bench_memory.py`)", "",
        (f"{time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores, Python "
         f"{platform.python_version()}, numpy {np.__version__}."), "",
        f"`emgcramp analyze` on one {hours:g}-h synthetic night at {FS / 1000:g} kHz (one channel), the same "
        "samples as a float32 NPY (µV, `--fs`), a 16-bit WAV (EDF counts, `--scale`) and the EDF+ itself, each in "
        f"a fresh process, alternating, {REPEATS} runs each: peak resident set (max) and wall time (min). All "
        "three find the same episodes."
        + (f" *before*: {before_is or 'the package given with `--before`'}, on the same files in the same run."
           if len(rows) > 1 else ""), "",
        "| package | kernels | format | file MB | peak RSS MB | wall s |", "|---|---|---|---|---|---|"]
    for label, kernels, res in rows:
        lines += [f"| {label} | {kernels} | {fmt} | {sizes[fmt]:,.0f} | {rss:,.0f} | {wall:.1f} |"
                  for fmt, (rss, wall) in res.items()]
    lines += ["", ("NPY and WAV are read a block at a time with plain file reads (`io/arrays.py`); a memory map "
                   "instead counts every page it has read into the resident set, so its peak grows with the file.")]
    replace_section("bench_memory", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
