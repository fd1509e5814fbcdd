"""Lab Streaming Layer through the real pylsl: outlets and inlets on this machine."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import numpy as np
import pytest
from conftest import bursts, run_cli, run_main

pylsl = pytest.importorskip("pylsl")

FS = 500.0


def _outlet(name: str, labels=("GM", "TA"), unit="microvolts"):
    info = pylsl.StreamInfo(name, "EMG", len(labels), FS, "float32", f"{name}-id")
    chans = info.desc().append_child("channels")
    for label in labels:
        ch = chans.append_child("channel")
        ch.append_child_value("label", label)
        ch.append_child_value("unit", unit)
    return pylsl.StreamOutlet(info, chunk_size=25, max_buffered=360)


def _play(outlet, x: np.ndarray, chunk: int = 50, pause_after: int | None = None, pause_s: float = 0.0,
          t_start: float | None = None, speed: float = 20.0) -> None:
    """Push ``x`` (samples × channels) with timestamps 1/FS apart; optionally skip ``pause_s`` of them."""
    t = pylsl.local_clock() if t_start is None else t_start
    for a in range(0, len(x), chunk):
        n = len(x[a:a + chunk])
        stamps = t + np.arange(n) / FS
        outlet.push_chunk(x[a:a + chunk].tolist(), stamps.tolist())
        t += n / FS
        if pause_after is not None and a <= pause_after < a + chunk:
            t += pause_s  # the sender was away: its clock moved on, no samples
        time.sleep(n / FS / speed)


def _wait_for_consumer(outlet, timeout=10.0):
    end = time.monotonic() + timeout
    while not outlet.have_consumers() and time.monotonic() < end:
        time.sleep(0.05)


def _wait_for_record(nights, kind, timeout=30.0):
    """Wait until a night under ``nights`` has logged a record of type ``kind`` (events.jsonl is written as
    events happen, each record made durable at once)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(f'"type": "{kind}"' in f.read_text() for f in nights.glob("*/events.jsonl")):
            return
        time.sleep(0.1)


def test_an_lsl_stream_gives_labels_units_and_gaps_from_its_header_and_timestamps():
    from emgcramp.live.sources.base import Source
    from emgcramp.live.sources.lsl import LslSource

    name = f"emg-{uuid.uuid4().hex[:8]}"
    outlet = _outlet(name, unit="millivolts")
    source = LslSource(f"name={name}", channels=[1])
    assert isinstance(source, Source)
    assert source.fs == FS and source.channel_names == ["TA"]
    x = np.column_stack([np.arange(2000.0), -np.arange(2000.0)]) * 1e-3  # mV
    player = threading.Thread(target=lambda: (_wait_for_consumer(outlet),
                                              _play(outlet, x, pause_after=1000, pause_s=0.5)))
    player.start()
    blocks, end = [], time.monotonic() + 15
    for b in source.blocks():
        if b is not None:
            blocks.append(b)
        if sum(len(b.samples) for b in blocks) >= 2000 or time.monotonic() > end:
            source.stop.set()
    player.join()
    y = np.concatenate([b.samples[:, 0] for b in blocks])
    np.testing.assert_allclose(y, -np.arange(2000.0), atol=1e-3)  # mV became µV
    gaps = [b for b in blocks if b.gap_before]
    assert len(gaps) == 1 and gaps[0].t0_sample - 1050 == pytest.approx(0.5 * FS, abs=1)
    assert gaps[0].gap_before == pytest.approx(0.5 * FS, abs=1)  # the count the night log keeps, not a flag


@pytest.mark.long
def test_monitor_over_lsl_finds_what_analyze_finds_in_the_same_recording(tmp_path):
    from emgcramp.io.edf import write_edf

    x = bursts(FS, 150, 4.0, [(40, 110, 300)])  # a cramp that holds for 70 s: the cramp tier
    write_edf(str(tmp_path / "rec.edf"), FS, ["GM"], [x[:, None]], [])
    # The offline side in this process (it is not what is tested here): its summary and its events table.
    rc, out, err = run_main("analyze", tmp_path / "rec.edf", "--json", "--events", tmp_path / "off.csv")
    assert rc == 0, err
    offline = json.loads(out)

    name = f"emg-{uuid.uuid4().hex[:8]}"
    outlet = _outlet(name, labels=("GM",))
    cmd = [sys.executable, "-m", "emgcramp", "monitor", "--lsl", name, "--out", str(tmp_path / "nights")]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_consumer(outlet, 30)
    _play(outlet, x[:, None], chunk=100, speed=60.0)  # the samples carry their own LSL timestamps
    _wait_for_record(tmp_path / "nights", "cramp")  # then Ctrl-C, however busy the machine is
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err[-800:]
    night = os.path.join(tmp_path, "nights", os.listdir(tmp_path / "nights")[0])
    live = open(os.path.join(night, "events.csv")).read().splitlines()[1:]
    assert offline["n_episodes"] == len(live) == 1
    onset_live = float(live[0].split(",")[0])
    import csv

    onset_off = float(next(csv.DictReader(open(tmp_path / "off.csv")))["onset_s"])
    assert onset_live == pytest.approx(onset_off, abs=0.05)


@pytest.mark.long
def test_a_stream_that_is_not_there_is_one_line():
    rc, _, err = run_cli("monitor", "--lsl", f"type=NoSuch{uuid.uuid4().hex[:6]}")
    assert rc == 2 and "no such LSL stream" in err and err.count("\n") == 1


@pytest.mark.long
def test_monitor_publishes_the_envelope_and_each_event_on_lsl(tmp_path):
    from conftest import sample_night_head

    # The sample night's first 5 min hold both its cramps; at 50 × real time the first one closes
    # some 3 s after the start, time for the inlets below to find the streams and connect.
    replay = sample_night_head(tmp_path / "head.edf", 300)
    prefix = f"night-{uuid.uuid4().hex[:8]}"
    cmd = [sys.executable, "-m", "emgcramp", "monitor", "--replay", replay, "--speed", "50",
           "--lsl-out", prefix, "--out", str(tmp_path / "nights")]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    markers = pylsl.StreamInlet(pylsl.resolve_byprop("name", f"{prefix}-markers", 1, 20)[0])
    envelope_info = pylsl.resolve_byprop("name", f"{prefix}-envelope", 1, 20)[0]
    envelope = pylsl.StreamInlet(envelope_info)
    assert envelope_info.nominal_srate() == 50.0 and envelope_info.type() == "EMG-envelope"
    records, levels = [], []
    while p.poll() is None:
        s, _ = markers.pull_chunk(timeout=0.2)
        records += [json.loads(r[0]) for r in s]
        x, _ = envelope.pull_chunk(timeout=0.0)
        levels += [r[0] for r in x]
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err[-500:]
    s, _ = markers.pull_chunk(timeout=1.0)
    records += [json.loads(r[0]) for r in s]
    night = os.path.join(tmp_path, "nights", os.listdir(tmp_path / "nights")[0])
    import csv

    logged = list(csv.DictReader(open(os.path.join(night, "events.csv"))))
    cramps = [r for r in records if r["type"] == "cramp"]
    # Every cramp the night logged was published, with the same onset; the envelope shows it.
    assert len(logged) == 2  # both cramps of the sample night's first 5 min
    assert {round(float(r["onset_s"]), 3) for r in logged} <= {round(c["onset_s"], 3) for c in cramps}
    assert np.nanmax(levels) > 5.0 and np.nanmedian(levels) < 2.0


def test_stamps_late_by_a_loaded_sender_are_jitter_and_a_pause_is_a_gap():
    """A lossless stream on a loaded machine logged 78 gaps in 69 s: each chunk stamped a few ms late."""
    from emgcramp.core.blocks import StampGaps

    rng = np.random.default_rng(0)
    gaps, t, found = StampGaps(FS, 0.05), 100.0, []
    for c in range(400):  # 50-sample chunks, each stamped 0-20 ms late; a 0.5-s pause before chunk 200
        if c == 200:
            t += 0.5
        found.append(gaps.missing(t + np.arange(50) / FS + rng.uniform(0.0, 0.02)))
        t += 50 / FS
    missing = np.concatenate(found)
    assert np.flatnonzero(missing).tolist() == [200 * 50]
    assert 0.5 * FS <= missing[200 * 50] <= 0.52 * FS  # the pause, give or take the chunk's own lateness
    gaps, t, found = StampGaps(FS, 0.05), 0.0, []
    for c in range(100):  # 10 ms lost before every chunk: none a gap alone, together 1 s
        found.append(gaps.missing(t + np.arange(50) / FS))
        t += 50 / FS + 0.01
    missing = np.concatenate(found)
    assert missing.sum() == pytest.approx(0.99 * FS, abs=0.06 * FS) and missing.max() <= 0.06 * FS
