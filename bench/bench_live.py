"""Live path: decoder throughput, alert latency, outages and reconnects, start-up, loss after kill -9, lost frames.

    python bench/bench_live.py        # about eight minutes; rewrites its section of bench/RESULTS.md

Everything runs on real parts: the emulator writes frames to a pseudo-terminal,
pyserial reads it, the monitor loop processes it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
from results import replace_section

from emgcramp.core.blocks import Block
from emgcramp.core.protocol import Decoder, encode_data
from emgcramp.io.night_reader import NightRecording
from emgcramp.live.monitor import run_monitor
from emgcramp.live.sources.serial import SerialSource
from emgcramp.runner import run_blocks
from emgcramp.sim.emulator import PtyPort, SensorEmulator, play
from emgcramp.sim.scenarios import scenario
from emgcramp.sim.synth import NightGenerator

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FS = 1000


def decoder_rate() -> dict[str, float]:
    out = {}
    for n in (3, 115):
        frames = b"".join(encode_data(k, k * n, np.arange(n) % 500) for k in range(20_000))
        d = Decoder()
        t = time.perf_counter()
        for i in range(0, len(frames), 4096):
            d.feed(frames[i:i + 4096])
        dt = time.perf_counter() - t
        out[n] = d.frames / dt
    return out


# The cramp held this long (s): the cramp tier needs the first tens of seconds of a burst (duration
# weighs most in the decision), so a shorter one would never be alerted.
CRAMP_S = 50.0


def cramp_signal(seconds: float, onset: float, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(seconds * FS)) / FS
    amp = np.sqrt(16 + (200 * np.clip((t - onset) / 0.5, 0, 1)) ** 2)
    return rng.standard_normal(len(t)) * amp


def alert_latency(onset: float = 12.0) -> tuple[float, float]:
    """(signal seconds from true onset to alert, wall seconds from that sample's frame to the alert)."""
    with tempfile.TemporaryDirectory() as tmp:
        x = cramp_signal(onset + CRAMP_S, onset, np.random.default_rng(0))
        port = PtyPort(os.path.join(tmp, "sensor"))
        source = SerialSource(port.path, give_up_s=1.0)
        emu = SensorEmulator([x], FS, n=20)
        start = {}

        def serve():
            while not source.connected:
                time.sleep(0.005)
            start["t"] = time.monotonic()
            play(emu, port, speed=1.0)
            time.sleep(0.5)
            port.close()

        threading.Thread(target=serve, daemon=True).start()
        alerts = []
        run_monitor(source.blocks(), lambda: source.fs, ["calf"], os.path.join(tmp, "night"),
                    on_alert=lambda a: alerts.append((a, time.monotonic())))
        a, wall = alerts[0]
        sent_at = start["t"] + a.at_s  # the emulator sends the frame ending at at_s at that wall time
        return a.at_s - onset, wall - sent_at


def lsl_alert_latency(onset: float = 12.0) -> tuple[float, float] | None:
    """As :func:`alert_latency`, through a Lab Streaming Layer outlet and ``LslSource`` (None without pylsl)."""
    from emgcramp.core.errors import InputError
    from emgcramp.live.sources.lsl import LslSource, load_pylsl

    try:
        pylsl = load_pylsl()
    except InputError:  # the lsl extra is not installed
        return None

    with tempfile.TemporaryDirectory() as tmp:
        x = cramp_signal(onset + CRAMP_S, onset, np.random.default_rng(0))
        name = f"bench-{os.getpid()}-{time.monotonic_ns()}"
        outlet = pylsl.StreamOutlet(pylsl.StreamInfo(name, "EMG", 1, FS, "float32", name))
        source = LslSource(name)
        start = {}

        def serve():
            while not outlet.have_consumers():
                time.sleep(0.005)
            start["t"] = time.monotonic()
            t0 = pylsl.local_clock()
            n = int(0.02 * FS)  # 20-ms chunks, in real time
            for a in range(0, len(x), n):
                while time.monotonic() < start["t"] + (a + n) / FS:
                    time.sleep(0.001)
                stamps = (t0 + np.arange(a, a + n) / FS).tolist()
                outlet.push_chunk(x[a:a + n, None].astype(np.float32), stamps)
            time.sleep(0.5)
            source.stop.set()

        threading.Thread(target=serve, daemon=True).start()
        alerts = []
        run_monitor(source.blocks(), lambda: source.fs, ["calf"], os.path.join(tmp, "night"),
                    on_alert=lambda a: alerts.append((a, time.monotonic())))
        a, wall = alerts[0]
        return a.at_s - onset, wall - (start["t"] + a.at_s)


def brainflow_delay(seconds: float = 5.0) -> list[float] | None:
    """Age (s) of the newest sample as each block reaches the monitor, from BrainFlow's synthetic board."""
    from emgcramp.core.errors import InputError

    try:
        from emgcramp.live.sources.brainflow import BrainFlowSource

        source = BrainFlowSource("synthetic", channels=[0])
    except InputError:  # the brainflow extra is not installed
        return None
    ages, end = [], time.monotonic() + seconds
    for b in source.blocks():
        if b is not None and source.last_timestamp is not None:
            ages.append(time.time() - source.last_timestamp)
        if time.monotonic() > end:
            source.stop.set()
    return ages


def reconnect_time(unplug_at: float = 5.0, unplug_for: float = 1.0) -> tuple[float, float]:
    """Wall seconds (from unplug to the source saying so while it lasts, from replug to the first block after the gap)."""
    with tempfile.TemporaryDirectory() as tmp:
        x = np.random.default_rng(1).standard_normal(int(10 * FS)) * 5
        port = PtyPort(os.path.join(tmp, "sensor"))
        source = SerialSource(port.path, give_up_s=2.0, heartbeat_s=0.1)
        replug, unplug = {}, {}
        orig_plug, orig_unplug = port.plug, port.unplug

        def plug():
            orig_plug()
            replug["t"] = time.monotonic()

        def unplugged():
            orig_unplug()
            unplug["t"] = time.monotonic()

        port.plug, port.unplug = plug, unplugged

        def serve():
            while not source.connected:
                time.sleep(0.005)
            play(SensorEmulator([x], FS, n=20), port, speed=1.0, unplugs=[(unplug_at, unplug_for)])
            time.sleep(0.5)
            port.close()

        threading.Thread(target=serve, daemon=True).start()
        said = float("nan")
        for b in source.blocks():
            if b is None:  # a heartbeat: what a status line would show now
                if "t" in unplug and said != said and not source.connected:
                    said = time.monotonic() - unplug["t"]
            elif b.gap_before:
                return said, time.monotonic() - replug["t"]
    return float("nan"), float("nan")


def startup_time(trials: int = 3) -> list[float]:
    """Wall seconds from launching ``emgcramp monitor --replay`` to its first status line (first block in)."""
    night = os.path.join(ROOT, "recordings", "sample_night.edf")
    out = []
    for _ in range(trials):
        with tempfile.TemporaryDirectory() as tmp:
            t = time.monotonic()
            p = subprocess.Popen([sys.executable, "-m", "emgcramp", "monitor", "--replay", night, "--speed", "1",
                                  "--out", tmp], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
            while not re.match(r"\d\d:\d\d:\d\d ", line := p.stderr.readline()):
                if not line:
                    raise RuntimeError("the monitor ended before its first status line")
            out.append(time.monotonic() - t)
            p.send_signal(signal.SIGINT)
            p.communicate(timeout=60)
    return out


def kill9_loss(trials: int = 20) -> list[float]:
    """Seconds of signal a monitor had received but not stored when killed with SIGKILL.

    The monitor replays at real time; what it had received when killed is
    the time on its last status line plus the wall time since that line.
    """
    losses = []
    night = os.path.join(ROOT, "recordings", "sample_night.edf")
    for k in range(trials):
        with tempfile.TemporaryDirectory() as tmp:
            p = subprocess.Popen([sys.executable, "-m", "emgcramp", "monitor", "--replay", night, "--speed", "1",
                                  "--out", tmp], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
            shown, seen_at = 0, time.monotonic()
            while shown < 5 + k % 4:
                line = p.stderr.readline()
                if not line:
                    raise RuntimeError("the monitor ended before its status line said 5 s of night")
                # "23:00:05 (night 00:00:05) link ok …": the time into the night is the signal received
                m = re.match(r"\S+ \(night (\d\d):(\d\d):(\d\d)\) link", line)
                if m:
                    shown, seen_at = int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3]), time.monotonic()
            time.sleep(0.05 * k)  # kill at different points of the flush cycle
            p.send_signal(signal.SIGKILL)
            received = shown + (time.monotonic() - seen_at)
            p.wait()
            folder = os.path.join(tmp, os.listdir(tmp)[0])
            rec = NightRecording(folder)
            losses.append(received - rec.n_samples / rec.fs)
    return losses


def _lossy_blocks(x: np.ndarray, lose: float, rng: np.random.Generator, frame: int = 3) -> list[Block]:
    """The blocks a monitor gets when each ``frame``-sample BLE notification is lost with probability ``lose``.

    Frames that arrive back to back are joined into one block: the pipeline gives the same result
    for any split of a stretch into blocks (tests/test_pipeline.py), and per-frame blocks would only
    make the bench slower.
    """
    lost = rng.random(-(-len(x) // frame)) < lose
    starts = np.flatnonzero(np.diff(np.r_[1, lost.astype(np.int8)]) == -1)  # first frame of each kept run
    ends = np.flatnonzero(np.diff(np.r_[lost.astype(np.int8), 1]) == 1) + 1  # one past its last
    blocks, prev = [], 0
    for a, b in zip(starts * frame, np.minimum(ends * frame, len(x))):
        blocks.append(Block(int(a), x[a:b], int(a - prev)))
        prev = b
    return blocks


def _kept(ref: list, res) -> tuple[int, int, float]:
    """Of the bursts ``ref``: (found in either tier within 2 s of the onset, found in the same tier, worst
    duration error % of those found)."""
    got = res.episodes + res.possible_cramps
    hits = [(r, min((g for g in got if g.channel == r.channel and abs(g.onset_s - r.onset_s) <= 2.0),
                    key=lambda g: abs(g.onset_s - r.onset_s), default=None)) for r in ref]
    found = [(r, g) for r, g in hits if g is not None]
    worst = max([abs(g.duration_s / r.duration_s - 1) * 100 for r, g in found] or [0.0])
    return len(found), sum(r.tier == g.tier for r, g in found), worst


def frame_loss(rates=(0.01, 0.05, 0.10), names=("typical", "frequent", "long_cramp", "restless_legs"),
               hours: float = 2.0) -> list[tuple]:
    """Per loss rate: (rate, cramps, live (found, same tier, worst %), recover (same), possible cramps,
    live (same), new cramps).

    The reference is the whole signal's analysis: its cramps, and apart its possible cramps (whose
    probability sits near the tier floor, where a small change moves a burst across it).
    """
    nights = []
    for name in names:
        spec = scenario(name, hours, seed=4)
        x = np.concatenate(list(NightGenerator(spec).segments()))
        nights.append((spec, x, run_blocks([Block(0, x)], spec.fs, list(spec.muscles))))
    rows = []
    for rate in rates:
        rng = np.random.default_rng(int(rate * 1000))
        tally = np.zeros(10)
        for spec, x, whole in nights:
            blocks = _lossy_blocks(x, rate, rng)
            with tempfile.TemporaryDirectory() as tmp:
                live = run_monitor(iter(blocks), lambda: spec.fs, list(spec.muscles), os.path.join(tmp, "n")).analysis
                rec = NightRecording(os.path.join(tmp, "n"))
                again = run_blocks(rec.blocks(list(range(len(spec.muscles))), int(60 * spec.fs)), spec.fs,
                                   list(spec.muscles))
            new = sum(1 for g in live.episodes if not any(abs(g.onset_s - r.onset_s) <= 2.0
                                                            for r in whole.episodes + whole.possible_cramps))
            counts = (len(whole.episodes), *_kept(whole.episodes, live), *_kept(whole.episodes, again),
                      len(whole.possible_cramps), _kept(whole.possible_cramps, live)[0], new)
            tally = np.array([max(a, b) if k in (3, 6) else a + b for k, (a, b) in enumerate(zip(tally, counts))])
        rows.append((rate, *tally))
        print(f"  {rate:.0%} frames lost: cramps {tally[1]:.0f}/{tally[0]:.0f} live ({tally[2]:.0f} as cramps), "
              f"{tally[4]:.0f} recover, worst duration error {tally[3]:.1f} / {tally[6]:.1f} %; "
              f"possible {tally[8]:.0f}/{tally[7]:.0f}; {tally[9]:.0f} new", flush=True)
    return rows


def main() -> None:
    rates = decoder_rate()
    lat = [alert_latency() for _ in range(3)]
    lsl = [lsl_alert_latency() for _ in range(3)]
    bf = brainflow_delay()
    rec = [reconnect_time() for _ in range(3)]
    start = startup_time()
    loss = kill9_loss()
    dropped = frame_loss()
    lines = [
        "", "## Live path (`python bench/bench_live.py`: emulator → pseudo-terminal → pyserial → monitor)", "",
        "| measure | value |", "|---|---|",
        f"| decoder, 115-sample int16 frames (BLE MTU 247 size) | {rates[115]:,.0f} frames/s "
        f"= {rates[115] * 115 / FS:,.0f}× a 1 kHz sensor |",
        f"| decoder, 3-sample frames (BLE MTU 23 size) | {rates[3]:,.0f} frames/s "
        f"= {rates[3] * 3 / FS:,.1f}× a 1 kHz sensor |",
        "| alert after true cramp onset (signal time: the burst under way must clear the cramp tier, where duration weighs most) | "
        + ", ".join(f"{a:.2f} s" for a, _ in lat) + " |",
        "| processing delay from the frame on the wire to the alert (wall time) | "
        + ", ".join(f"{w * 1000:.0f} ms" for _, w in lat) + " |",
        *([] if None in lsl else [
            "| through Lab Streaming Layer (outlet in 20-ms chunks → `LslSource` → monitor): alert after true onset | "
            + ", ".join(f"{a:.2f} s" for a, _ in lsl) + " |",
            "| through Lab Streaming Layer: delay from the chunk pushed to the alert (wall time) | "
            + ", ".join(f"{w * 1000:.0f} ms" for _, w in lsl) + " |"]),
        *([] if bf is None else [
            "| through BrainFlow (synthetic board, 250 Hz, polled every 50 ms): age of the newest sample as its block "
            f"reaches the monitor, median / p95 / max | {np.median(bf) * 1000:.0f} / "
            f"{np.percentile(bf, 95) * 1000:.0f} / {max(bf) * 1000:.0f} ms ({len(bf)} blocks) |"]),
        "| unplug to the source saying so (what the status line shows; 0.1-s heartbeat here, 1 s in the monitor) | "
        + ", ".join(f"{u:.2f} s" for u, _ in rec) + " |",
        "| reconnect: replug to first block after the gap (back-off capped at 1 s) | "
        + ", ".join(f"{r:.2f} s" for _, r in rec) + " |",
        "| launch of `monitor --replay` to its first status line (imports, filters, warm Numba cache) | "
        + ", ".join(f"{v:.2f} s" for v in start) + " |",
        f"| kill -9 of a monitor, {len(loss)} kills (real-time replay): seconds received but not on disk | "
        f"max {max(loss):.2f} s, median {float(np.median(loss)):.2f} s (status lines are whole seconds: ±1 s) |",
        "",
        "Cramps kept when BLE notifications (3 samples each) are lost at random: scenario nights "
        "(typical, frequent, long cramp, restless legs; 2 h each, seed 4), monitored, then recovered from the "
        "night folder. The reference is the whole signal's analysis; a burst is found when one lies within 2 s "
        "of its onset (either tier), and its duration error is against the whole signal's.", "",
        "| frames lost | cramps | found live (still in the cramp tier) | found by `recover` | worst duration "
        "error live / recover | possible cramps found live | new cramps |", "|---|---|---|---|---|---|---|",
        *[f"| {r:.0%} | {n:.0f} | {fl:.0f} ({tl:.0f}) | {fr:.0f} | {wl:.1f} % / {wr:.1f} % | {pf:.0f} of {pn:.0f} "
          f"| {x:.0f} |" for r, n, fl, tl, wl, fr, _, wr, pn, pf, x in dropped],
        "",
    ]
    print("\n".join(lines))
    replace_section("bench_live", "\n".join(lines))


if __name__ == "__main__":
    main()
