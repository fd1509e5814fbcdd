"""Throughput, end-to-end time and memory; rewrites its part of bench/RESULTS.md.

    python bench/bench_pipeline.py            # about five minutes (NeuroKit2 in the `bench` extra)

Side by side in one run on the same synthetic night (see emgcramp.speed):
our fused Numba chain against scipy's ``sosfilt`` (in blocks and one-shot)
and a plain Numba loop doing the same work, then NeuroKit2 and BioSPPy as
whole toolkits. Then ``emgcramp analyze`` end to end on 1-h and 8-h EDF+
nights in a fresh process, with the kernels compiled ahead of time and with
Numba's JIT (``EMGCRAMP_JIT=1``), beside a bare scipy script; peak memory
and what it is made of; the first call on an empty Numba cache; and the
streaming per-block cost.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np
from results import replace_section

from emgcramp.eval.speed import TOOLKIT, night, streaming_block_costs, throughput

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")
FS = 2000.0


def _env(jit: bool, **extra: str) -> dict[str, str]:
    return dict(os.environ, EMGCRAMP_JIT="1" if jit else "0", **extra)


def analyze_cli(path: str, jit: bool = False, *args: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of ``emgcramp analyze`` in a fresh process."""
    code = ("import sys\nfrom emgcramp.cli import main\n"
            "rc = main(['analyze', *sys.argv[1:], '--json', '--no-progress'])\n"
            "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
            "print('RSS', int(hwm.split()[1]) / 1024)\nsys.exit(rc)")
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, path, *args], capture_output=True, text=True, check=True,
                         env=_env(jit)).stdout
    return time.perf_counter() - t, float(out.split("RSS")[1].split()[0])


def four_channels(src: str, dst: str) -> None:
    """A 4-channel EDF+ of ``src``'s channel and three shifted copies (every channel carries real content)."""
    import pyedflib

    if os.path.exists(dst):
        return
    with pyedflib.EdfReader(src) as r:
        x, fs = r.readSignal(0), r.getSampleFrequency(0)
    head = {"dimension": "uV", "sample_frequency": fs, "physical_max": 8192.0, "physical_min": -8192.0,
            "digital_max": 32767, "digital_min": -32768}
    pyedflib.highlevel.write_edf(dst, [np.roll(x, 997 * k) for k in range(4)],
                                 [dict(head, label=f"calf{k}") for k in range(4)])


BARE_SCIPY = """
import sys, numpy as np, pyedflib
from scipy import signal
with pyedflib.EdfReader(sys.argv[1]) as r:
    x, fs = r.readSignal(0), r.getSampleFrequency(0)
sos = np.vstack([signal.tf2sos(*signal.iirnotch(f, 30.0, fs=fs)) for f in (50.0, 150.0)]
                + [signal.butter(4, [20.0, 450.0], btype="bandpass", output="sos", fs=fs)])
y = signal.sosfilt(sos, x)
n = int(fs / 50)
ms = (y[: len(y) // n * n] ** 2).reshape(-1, n).mean(axis=1)
print(len(ms))
"""


def bare_scipy(path: str) -> float:
    """Wall seconds of the bare script a user might write: read the whole EDF, one-shot ``sosfilt``, bins."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", BARE_SCIPY, path], capture_output=True, text=True, check=True)
    return time.perf_counter() - t


RSS_PARTS = """
import sys
def hwm():
    return int([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]) / 1024
out = [('Python', hwm())]
import numpy, pyedflib
out.append(('NumPy, pyedflib', hwm()))
import emgcramp.pipeline
out.append(('our modules imported (with Numba and LLVM under the JIT)', hwm()))
from emgcramp.detect.detector import Detector
Detector(50.0).process(numpy.ones(60), numpy.zeros(60), numpy.zeros(60))
out.append(("first kernel run (under the JIT: loaded from the cache, LLVM's code generator and Numba's tables)",
            hwm()))
from emgcramp.cli import main
main(['analyze', sys.argv[1], '--json', '--no-progress'])
out.append(('the other kernels, 60-s chunk buffers, the whole night analysed', hwm()))
print(';'.join(f'{k}={v:.0f}' for k, v in out))
"""


def rss_parts(path: str, jit: bool) -> list[tuple[str, float]]:
    """Peak RSS (MB) after each stage of an analyze, in a fresh process."""
    out = subprocess.run([sys.executable, "-c", RSS_PARTS, path], capture_output=True, text=True, check=True,
                         env=_env(jit)).stdout
    line = out.strip().splitlines()[-1]
    return [(k, float(v)) for k, v in (p.split("=") for p in line.split(";"))]


def first_call(path: str, jit: bool) -> tuple[float, float]:
    """``analyze`` wall time with an empty Numba cache (the JIT compiles) and with it warm."""
    env = _env(jit, NUMBA_CACHE_DIR=os.path.join(OUT, "numba-cold"))
    subprocess.run(["rm", "-rf", env["NUMBA_CACHE_DIR"]], check=True)
    cmd = [sys.executable, "-m", "emgcramp", "analyze", path, "--no-progress"]
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    cold = time.perf_counter() - t
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    return cold, time.perf_counter() - t


def simulate(path: str, hours: float) -> None:
    if not os.path.exists(path):
        subprocess.run([sys.executable, "-m", "emgcramp", "simulate", path, "--hours", str(hours), "--fs",
                        str(int(FS)), "--seed", "1"], check=True, capture_output=True)


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    blocks = streaming_block_costs(FS)  # first, before the toolkits load their threads and caches
    print("conditioning throughput …", flush=True)
    x1 = night(1.0, FS)
    one = throughput(1.0, FS, 1, x1)
    toolkit = {k: v for k, v in one.items() if v[0] == TOOLKIT}
    eight = throughput(1.0, FS, 8, x1, toolkits=False)
    eight |= {k: (w, lo * 8, med * 8) for k, (w, lo, med) in toolkit.items()}  # one channel per call
    t = {1: one, 8: eight}
    print("end to end …", flush=True)
    e2e = {}
    for h in (1.0, 8.0):
        path = os.path.join(OUT, f"night_{h:g}h_2k.edf")
        simulate(path, h)
        analyze_cli(path), analyze_cli(path, jit=True)  # warm the Numba cache and the page cache
        runs = [(analyze_cli(path), analyze_cli(path, jit=True), bare_scipy(path)) for _ in range(5)]
        e2e[h] = [(min(r[k][0] for r in runs), statistics.median(r[k][0] for r in runs), max(r[k][1] for r in runs))
                  for k in (0, 1)] + [(min(r[2] for r in runs), statistics.median(r[2] for r in runs), 0.0)]
    multi = os.path.join(OUT, "night_1h_2k_4ch.edf")
    four_channels(os.path.join(OUT, "night_1h_2k.edf"), multi)
    runs = [(analyze_cli(multi, False, "--channel", "all"), analyze_cli(multi, True, "--channel", "all"))
            for _ in range(6)][1:]  # the first pair warms the caches
    e2e["4ch"] = [(min(r[k][0] for r in runs), statistics.median(r[k][0] for r in runs), max(r[k][1] for r in runs))
                  for k in (0, 1)]
    cold = {jit: first_call(os.path.join(OUT, "night_1h_2k.edf"), jit) for jit in (False, True)}
    parts = {jit: rss_parts(os.path.join(OUT, "night_8h_2k.edf"), jit) for jit in (False, True)}
    write(t, blocks, e2e, cold, parts)


def write(t, blocks, e2e, cold, parts) -> None:
    rt = 3600.0
    lines = [
        "## Pipeline: speed and memory (`python bench/bench_pipeline.py`)", "",
        f"{time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, numpy {np.__version__}.", "",
        "Conditioning 2-kHz EMG into 50-Hz bins of the band-passed mean square: 1 h of synthetic night. "
        "Rows marked *same filters and bins* do the same work with the same SOS cascade (50 and 150 Hz "
        "notches, 20–450 Hz band-pass): each is warmed, then run 5 times, alternating with the others; min and "
        "median. The plain Numba loop is our reference `dsp.sosfilt` (a textbook per-sample cascade) followed "
        "by the same NumPy binning. Rows marked *whole toolkit* (NeuroKit2 `emg_process`, BioSPPy `emg`) do "
        "their own, different processing (their own filters, onset search, data frames): the full hour of one "
        "channel, warmed on 10 s, run twice; for 8 channels, 8 × that (they take one channel per call). "
        "Context, not the same work. Everything runs on one thread except our 8-channel row, which splits the "
        "channels over two threads as `analyze` does; the row after it is the same on one thread.", "",
        "| channels | method | work | min s per hour | median s | × real time | min vs ours |",
        "|---|---|---|---|---|---|---|"]
    for ch, rows in t.items():
        ours = rows["ours (fused Numba)"][1]
        for name, (work, lo, med) in rows.items():
            lines.append(f"| {ch} | {name} | {work} | {lo:.3f} | {med:.3f} | {rt / lo:,.0f} | {lo / ours:.2f} |")
    lines += ["", "Streaming: one block through the whole pipeline (filters and detector), after warm-up:", "",
              "| block | p50 µs | p99 µs |", "|---|---|---|"]
    lines += [f"| {ms} ms | {p50:.1f} | {p99:.1f} |" for ms, (p50, p99) in blocks.items()]
    lines += ["", "End to end: `emgcramp analyze` on an EDF+ night (2 kHz, one channel) in a fresh process: "
              "interpreter start, imports, EDF reading, filters, detection; once with the kernels compiled ahead "
              "of time (what `pip install` builds), once with Numba's JIT and a warm cache (`EMGCRAMP_JIT=1`: "
              "Numba and LLVM loaded, kernels read from the cache). Beside them, in the same run and alternating "
              "(5 each, min / median), the bare script a user might write instead: pyedflib reads the whole "
              "channel, one-shot scipy `sosfilt` with the same notches and band-pass, 50-Hz bins of the mean "
              "square (no detection at all).", "",
              "| recording | kernels | analyze min / median s | × real time | peak RSS (MB) "
              "| bare scipy min / median s | analyze ÷ bare (min) |", "|---|---|---|---|---|---|---|"]
    for h in (1.0, 8.0):
        aot, jit, (b, bm, _) = e2e[h]
        for name, (w, wm, m) in (("ahead of time", aot), ("Numba JIT", jit)):
            lines.append(f"| {h:g} h | {name} | {w:.2f} / {wm:.2f} | {h * rt / w:,.0f} | {m:.0f} | "
                         f"{b:.2f} / {bm:.2f} | {w / b:.2f} |")
    (w, wm, m), (wj, wjm, mj) = e2e["4ch"]
    lines += ["", f"Four channels (1 h, `--channel all`, their blocks split over two threads), 5 each, alternating: "
              f"ahead of time {w:.2f} / {wm:.2f} s, peak RSS {m:.0f} MB; Numba JIT {wj:.2f} / {wjm:.2f} s, "
              f"{mj:.0f} MB."]
    per_h = (e2e[8.0][0][0] - e2e[1.0][0][0]) / 7.0
    lines += ["", f"Ahead of time: each further hour costs {per_h:.2f} s; fixed start-up (interpreter, imports): "
              f"{e2e[1.0][0][0] - per_h:.2f} s. Peak memory does not grow with length.", "",
              f"First call in a fresh process (1-h night), Numba cache empty then warm: ahead of time "
              f"{cold[False][0]:.2f} / {cold[False][1]:.2f} s (nothing to compile: `pip install` did it); "
              f"Numba JIT {cold[True][0]:.1f} / {cold[True][1]:.2f} s.", ""]
    for jit, label in ((False, "ahead of time"), (True, "Numba JIT")):
        lines += [f"What the peak memory of an 8-h analyze is made of, {label} (peak RSS after each stage, MB): "
                  + ", ".join(f"{k} {v:.0f}" for k, v in parts[jit]) + ".", ""]
    replace_section("bench_pipeline", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
