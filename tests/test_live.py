"""The live path with real parts: emulator → pseudo-terminal → pyserial → monitor."""

import csv
import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from unittest import mock

import numpy as np
import pytest
from conftest import SAMPLE_NIGHT, bursts, run_cli, run_main

from emgcramp.core.blocks import Block
from emgcramp.io.night_reader import NightRecording, read_events
from emgcramp.live.monitor import NightMonitor, run_monitor
from emgcramp.live.sources.ascii import LineLink
from emgcramp.live.sources.serial import SerialSource
from emgcramp.runner import run_blocks
from emgcramp.sim.emulator import PtyPort, SensorEmulator, play
from emgcramp.sim.plan import NightSpec
from emgcramp.sim.synth import NightGenerator

SPEC = NightSpec(hours=0.12, fs=1000.0, seed=21, tonic=2, clonic=0, plm_series=0, position_changes=1, jerks=1,
                 pops=0, lead_offs=0, tonic_duration_s=(50.0, 90.0))  # cramps that hold: the cramp tier


@pytest.fixture(scope="module")
def night():
    gen = NightGenerator(SPEC)
    return np.concatenate(list(gen.segments()))[:, 0], gen


def serve(x, tmp_path, source, unplugs=(), n=100):
    """Start the emulator on a pty in a thread once ``source`` has the port open.

    (As a sensor is switched on with the monitor running: the night starts
    with the sensor's first frame.)
    """
    port = PtyPort(str(tmp_path / "sensor"))
    emu = SensorEmulator([x[i:i + 10_000] for i in range(0, len(x), 10_000)], SPEC.fs, n=n)
    out = {}

    def run():
        while not source.connected:
            time.sleep(0.01)
        out["frames"] = play(emu, port, speed=0, unplugs=unplugs)
        out["done"] = time.monotonic()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return port, t, out, emu


def close_when_read(port, thread, out, source, timeout=60):
    """After the emulator's last frame, wait until the reader has gone quiet, then pull the cable."""
    thread.join(timeout)
    seen, deadline = -1, time.monotonic() + timeout
    while source.link.decoder.frames != seen and time.monotonic() < deadline:
        seen = source.link.decoder.frames
        time.sleep(0.3)
    port.close()  # for good: the source gives up and the night ends


@pytest.mark.long
def test_serial_monitor_equals_offline_analysis(night, tmp_path):
    x, gen = night
    source = SerialSource(str(tmp_path / "sensor"), give_up_s=1.0)
    port, thread, out, emu = serve(x, tmp_path, source)
    closer = threading.Thread(target=close_when_read, args=(port, thread, out, source), daemon=True)
    closer.start()
    res = run_monitor(source.blocks(), lambda: source.fs, ["calf"], str(tmp_path / "night"))
    # offline, on the very samples the sensor sent (int16 counts of 0.25 µV, whole frames)
    n = len(x) // 100 * 100
    sent = emu.counts(x[:n]) * 0.25
    offline = run_blocks([Block(0, sent[:, None])], SPEC.fs, ["calf"])
    assert len(offline.episodes) == 2
    assert [dataclasses.asdict(e) for e in res.analysis.episodes] == [dataclasses.asdict(e) for e in offline.episodes]
    assert source.link.decoder.crc_errors == 0 and source.link.decoder.dropped_frames == 0
    # the night folder holds every sample and reads back as the same night
    rec = NightRecording(str(tmp_path / "night"))
    stored = np.concatenate([b.samples[:, 0] for b in rec.blocks([0], 7000)])
    np.testing.assert_allclose(stored, sent, atol=1e-4)
    alerts = [e for e in read_events(str(tmp_path / "night")) if e["type"] == "alert"]
    # An alert goes out once the burst under way is a sure cramp, which takes its first tens of seconds
    # (duration weighs most), and before it ends.
    ends = {e.onset_s: e.offset_s for e in offline.episodes}
    assert len(alerts) == 2 and all(a["onset_s"] < a["at_s"] < ends[a["onset_s"]] for a in alerts)
    # it ended as --give-up has it, and says so: the command prints it last and exits 2, not as a night ended at will
    assert source.gave_up == (f"no connection to {tmp_path / 'sensor'} for 1 s (--give-up): the night ends there, "
                              "stored and summarised; start monitor again when the sensor is back")


def emu_frame(emu):
    return next(f for _, f in emu.frames() if f[3] and f[5])  # a data frame: its size in bytes


def test_unplug_replug_marks_the_gap_and_loses_nothing_after(night, tmp_path):
    x, _ = night
    source = SerialSource(str(tmp_path / "sensor"), give_up_s=1.0)
    port, thread, out, emu = serve(x, tmp_path, source, unplugs=[(100.0, 5.0)])
    closer = threading.Thread(target=close_when_read, args=(port, thread, out, source), daemon=True)
    closer.start()
    blocks = [b for b in source.blocks() if b is not None]  # None: a heartbeat while nothing arrives
    asm = source.link.assembler
    received = sum(len(b.samples) for b in blocks)
    n = len(x) // 100 * 100
    assert source.reconnects == 1 and asm.gaps == 1
    assert received + asm.missing_samples == n  # every sample is either received or counted missing
    # the 5-s unplug, plus what sat unread in the kernel's pty buffer (≤ 64 KiB) when the cable went
    assert 5000 <= asm.missing_samples <= 5000 + 65536 // len(emu_frame(emu)) * 100
    gap = [b for b in blocks if b.gap_before][0]
    assert gap.t0_sample == sum(len(b.samples) for b in blocks[:blocks.index(gap)]) + gap.gap_before
    tail = np.concatenate([b.samples[:, 0] for b in blocks[blocks.index(gap):]])
    np.testing.assert_allclose(tail, emu.counts(x[gap.t0_sample:n]) * 0.25, atol=1e-9)


def test_ascii_lines_from_a_hobby_sensor(tmp_path):
    from emgcramp.live.sources.ascii import LOCK_LINES

    link = LineLink(fs=500.0, scale=2.0)
    # a first line cut at connection does not set the width: it is taken once LOCK_LINES lines agree on it
    lead = b"0,0\n" * (LOCK_LINES - 2)
    blocks = link.feed(b"9\n" + lead + b"1,2\n3,4\nnoise\n5,") + link.feed(b"6\n")
    # a garbled line once the width is known stood for a sample: its time is kept, as a gap of one (the
    # samples after it were taken that much early); the cut first line was none
    assert [(b.t0_sample, b.gap_before) for b in blocks] == [(0, 0), (LOCK_LINES + 1, 1)]
    np.testing.assert_array_equal(np.vstack([b.samples for b in blocks])[-3:], [[2, 4], [6, 8], [10, 12]])
    assert link.bad_lines == 2 and link.missing_samples == 1
    link.mark_disconnect(250)
    [b] = link.feed(b"7 8\n")
    assert (b.t0_sample, b.gap_before) == (LOCK_LINES + 2 + 250, 250)
    # what an Arduino prints for a failed read parses as a number but is no sample, nor are two readings run
    # together beyond what an electrode holds (10 V): bad lines, and the night goes on
    blocks = link.feed(b"nan,1\n9 10\n1 inf\n-inf -inf\n51249851 1\n11 12\n")
    at = LOCK_LINES + 2 + 250 + 1
    assert [(b.t0_sample, b.gap_before) for b in blocks] == [(at + 1, 1), (at + 5, 3)]
    np.testing.assert_array_equal(np.vstack([b.samples for b in blocks]), [[18, 20], [22, 24]])
    assert link.bad_lines == 6
    # a stream with no newline is not held whole: what piles up past a line's length is dropped
    for _ in range(100):
        assert link.feed(b"1" * 1000) == []
    assert len(link._partial) <= 5000 and link.bad_lines > 6
    assert link.feed(b"\n13 14\n")[0].samples.tolist() == [[26.0, 28.0]]


def test_ascii_lines_named_as_arduino_s_serial_plotter_takes_them_are_read():
    """'EMG:512' lines were no numbers: 'bytes arrive but none make whole lines of numbers (another rate: --baud)'."""
    from emgcramp.live.sources.ascii import LOCK_LINES

    named, bare = LineLink(fs=500.0, scale=2.0), LineLink(fs=500.0, scale=2.0)
    rows = [(k, 30 + k) for k in range(LOCK_LINES + 4)]
    got = named.feed(b"".join(b"EMG:%d\tENV:%d\r\n" % r for r in rows))
    want = bare.feed(b"".join(b"%d,%d\r\n" % r for r in rows))
    assert named.bad_lines == 0 and len(got) == len(want) == 1
    np.testing.assert_array_equal(got[0].samples, want[0].samples)
    assert got[0].samples[0].tolist() == [0.0, 60.0]


@pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r", b"\n\r"])
def test_ascii_lines_ended_by_cr_alone_are_lines_as_any(end):
    """Lines ended by a CR alone were one endless line: 'bytes arrive but none make whole lines of numbers'."""
    from emgcramp.live.sources.ascii import LOCK_LINES

    link = LineLink(fs=500.0)
    text = b"".join(b"%d,%d" % (k, -k) + end for k in range(3 * LOCK_LINES))
    blocks = [b for i in range(0, len(text), 7) for b in link.feed(text[i:i + 7])]  # ends split across reads
    got = np.vstack([b.samples for b in blocks])
    assert got.tolist() == [[k, -k] for k in range(3 * LOCK_LINES)] and link.bad_lines == link.missing_samples == 0
    assert all(b.gap_before == 0 for b in blocks)


def test_ascii_lines_whose_first_is_another_width_are_read_at_the_width_that_follows():
    """A first line '12.0,13.0' set the width to 2, and every later single reading was dropped unsaid."""
    from emgcramp.live.sources.ascii import LOCK_LINES

    link = LineLink(fs=500.0)
    blocks = link.feed(b"12.0,13.0\n" + b"".join(b"%d\n" % i for i in range(3 * LOCK_LINES)))
    assert np.vstack([b.samples for b in blocks]).ravel().tolist() == list(range(3 * LOCK_LINES))
    assert link.bad_lines == 1


def test_ascii_lines_of_another_width_are_gaps_while_brief_and_samples_once_they_last():
    """A board switched from one value a line to two stalled the night unsaid (each line a gap)."""
    from emgcramp.live.sources.ascii import LOCK_LINES

    link = LineLink(fs=500.0)
    blocks = link.feed(b"".join(b"%d\n" % i for i in range(LOCK_LINES)) + b"1 2\n3 4\n" + b"5\n")
    assert [(b.t0_sample, b.gap_before, b.samples.shape) for b in blocks] == \
        [(0, 0, (LOCK_LINES, 1)), (LOCK_LINES + 2, 2, (1, 1))]  # two odd lines: a gap of two
    assert link.missing_samples == 2 and link.bad_lines == 2
    blocks = link.feed(b"6 7\n" * (LOCK_LINES - 1)) + link.feed(b"6 7\n8 9\n")
    # LOCK_LINES lines in a row of two values: the board now sends two channels (the night ends on such a block)
    assert [(b.t0_sample, b.gap_before, b.samples.shape) for b in blocks] == [(LOCK_LINES + 3, 0, (LOCK_LINES + 1, 2))]
    assert link.missing_samples == 2
    # a garbled line ends a run of another width: the run did not last, and it and the line are gaps, in order
    link = LineLink(fs=500.0)
    link.feed(b"1 2\n" * LOCK_LINES)
    blocks = link.feed(b"1,2,3\n" * 3 + b"zz\n" + b"1,2,3\n" * (LOCK_LINES - 1) + b"5 6\n")
    assert [(b.t0_sample, b.gap_before) for b in blocks] == [(LOCK_LINES + 3 + 1 + LOCK_LINES - 1, 3 + 1 + 7)]
    assert link.bad_lines == link.missing_samples == 11
    before = LineLink(fs=500.0)
    assert before.feed(b"garbage\nxx\n\n") == [] and before.bad_lines == 2  # counted before the width is known


@pytest.mark.parametrize("lines_per_s, says", [(1000, "about 1000 lines a second, not the --fs 500 Hz given: the "
                                                        "night's times run fast"), (510, "")])
def test_ascii_lines_at_another_rate_than_the_fs_given_are_said(lines_per_s, says):
    """A binary sensor's rate is checked against the arrivals; --fs on text lines was taken on trust."""
    link = LineLink(fs=500.0, scale=1.0)
    for k in range(62 * 10):  # 62 s of arrivals, a tenth of a second's lines at a time
        link.feed(b"1\n" * (lines_per_s // 10), at=100.0 + k / 10)
    assert link.clock_note() == (f"the board sends {says}" if says else "")
    link.mark_disconnect(10)  # an outage is no time the board sent in: counted afresh
    assert link._window is None


@pytest.mark.long
def test_kill_9_mid_night_leaves_readable_files(tmp_path):
    cmd = [sys.executable, "-m", "emgcramp", "monitor", "--replay", SAMPLE_NIGHT, "--speed", "100",
           "--out", str(tmp_path)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines, deadline = [], time.monotonic() + 60
    # wait for a status line well into the night: past the second cramp (219-271 s), so its record is written
    while time.monotonic() < deadline:
        line = p.stderr.readline()
        lines.append(line)
        night = line.partition("(night ")[2][:8]  # a status line: "HH:MM:SS (night HH:MM:SS) link ok …"
        if night[:2] == "00" and int(night[3:5]) * 60 + int(night[6:8]) >= 290:
            break
    night = lines[-1].partition("(night ")[2][:8]
    shown_s = int(night[3:5]) * 60 + int(night[6:8])
    p.send_signal(signal.SIGKILL)
    p.wait()
    [folder] = [str(tmp_path / d) for d in os.listdir(tmp_path)]
    rec = NightRecording(folder)
    kept_s = rec.n_samples / rec.fs
    assert kept_s >= shown_s  # what the status line showed was stored before it was shown
    events = read_events(folder)
    assert [round(e["onset_s"]) for e in events if e["type"] == "cramp"][:2] == [124, 219]
    rc, out, err = run_main("analyze", folder, "--json")
    assert rc == 0, err
    rc, out, err = run_main("recover", folder, "--edf", str(tmp_path / "night.edf"))
    assert rc == 0 and "had not finished" in out, err
    rows = open(os.path.join(folder, "events.csv")).read().splitlines()
    assert rows[0].startswith("onset_s,offset_s") and [r.split(",")[0][:3] for r in rows[1:3]] == ["123", "219"]
    import pyedflib

    with pyedflib.EdfReader(str(tmp_path / "night.edf")) as r:
        assert r.getNSamples()[0] >= rec.n_samples and any(n.startswith("cramp:tonic peak") for n in r.readAnnotations()[2])


def test_find_port_by_usb_id(monkeypatch):
    from types import SimpleNamespace

    from emgcramp.core.errors import InputError
    from emgcramp.live.sources import serial as ser

    ports = [SimpleNamespace(device="/dev/ttyS0", vid=None, pid=None),
             SimpleNamespace(device="/dev/ttyUSB3", vid=0x10C4, pid=0xEA60)]
    monkeypatch.setattr(ser.list_ports, "comports", lambda: ports)
    assert ser.find_port() == "/dev/ttyUSB3"
    monkeypatch.setattr(ser.list_ports, "comports", lambda: ports[:1])
    with pytest.raises(InputError, match="no sensor found on USB"):
        ser.find_port()


def test_an_on_cramp_command_that_fails_is_said(capsys):
    """A failing --on-cramp command left only the shell's own line among the status output."""
    from emgcramp.cli.parser import build_parser
    from emgcramp.cli.status import AlertPrinter
    from emgcramp.live.monitor import Alert

    on_alert = AlertPrinter("exit 3")
    on_alert(Alert("calf", 124.0, "tonic", 150.0, 126.0))
    deadline = time.monotonic() + 10
    while "--on-cramp failed" not in capsys.readouterr().err and time.monotonic() < deadline:
        time.sleep(0.05)
    assert time.monotonic() < deadline
    AlertPrinter("true")(Alert("calf", 124.0, "tonic", 150.0, 126.0))
    time.sleep(0.5)
    assert "--on-cramp failed" not in capsys.readouterr().err
    with pytest.raises(SystemExit):
        build_parser().parse_args(["monitor", "--replay", "x.edf", "--on-cramp", " "])
    assert "an empty command" in capsys.readouterr().err


def test_on_cramp_commands_still_running_are_waited_for_and_said(tmp_path, monkeypatch):
    """A hook still running when the night ended was neither waited for nor said: its failure went unsaid."""
    from emgcramp.cli import status
    from emgcramp.cli.status import AlertPrinter
    from emgcramp.live.monitor import Alert

    said = []
    monkeypatch.setattr(status, "say", said.append)
    late = AlertPrinter(f"sleep 0.5; echo done >> {tmp_path / 'late.txt'}; exit 4")
    late(Alert("calf", 124.0, "tonic", 150.0, 126.0))
    late.finish(5.0)
    assert (tmp_path / "late.txt").read_text() == "done\n" and any("exit status 4" in s for s in said)
    said.clear()
    slow = AlertPrinter("sleep 3")
    slow(Alert("calf", 124.0, "tonic", 150.0, 126.0))
    slow(Alert("calf", 224.0, "tonic", 250.0, 226.0))
    start = time.monotonic()
    slow.finish(0.3)
    assert time.monotonic() - start < 2.0
    assert said[-1] == "emgcramp: note: --on-cramp still runs for 2 alert(s) 0.3 s after the night ended; " \
                       "it is left running\n"


@pytest.mark.long
def test_on_cramp_hook_runs_once_per_cramp(tmp_path):
    hits = tmp_path / "hits.txt"
    rc, out, err = run_cli("monitor", "--replay", SAMPLE_NIGHT, "--speed", "0", "--out", str(tmp_path),
                           "--on-cramp", f'echo "$EMGCRAMP_KIND $EMGCRAMP_ONSET_S" >> {hits}; echo HOOK-SAYS')
    assert rc == 0, err
    assert "HOOK-SAYS" not in out  # what the hook prints is not mixed into the night's summary
    # The two tonic cramps and the 16-s clonic one at 1131 s.
    assert err.count("\a") == 3 and "3 cramp(s) in 0.33 h, 3 alert(s)" in out
    # every hook has run when the monitor exits (the last one's could be cut off by the end of the night)
    assert sorted(round(float(line.split()[1])) for line in hits.read_text().splitlines()) == [124, 219, 1131]
    # recover marks the cramps in the EDF+ copy
    [name] = [d for d in os.listdir(tmp_path) if d.startswith("night-")]
    assert name == "night-20260101-230000"  # a replay's folder is named by the recording's own start
    folder = str(tmp_path / name)
    rc, out, err = run_main("recover", folder, "--edf", str(tmp_path / "night.edf"))
    assert rc == 0 and "3 cramp(s);" in out, err
    import pyedflib

    with pyedflib.EdfReader(str(tmp_path / "night.edf")) as r:
        notes = [n for n in r.readAnnotations()[2] if "cramp" in n]
    # The same texts as analyze --edf-out writes (Analysis.notes)
    assert [n.split(" peak")[0] for n in notes] == ["cramp:tonic", "cramp:tonic", "cramp:clonic"]


def test_a_replay_without_a_start_makes_up_no_clock_time(tmp_path):
    x = bursts(1000.0, 240.0, 4.0, [(60.0, 150.0, 150.0)], seed=0)
    np.save(tmp_path / "n.npy", x.astype(np.float32))
    rc, out, err = run_cli("monitor", "--replay", tmp_path / "n.npy", "--fs", "1000", "--speed", "0",
                           "--out", tmp_path / "out")
    assert rc == 0 and "1 cramp(s) in" in out and "1 alert(s)" in out, err
    assert os.listdir(tmp_path / "out") == ["replay-n"]  # named by the recording, not by today's date
    assert "(night " not in err and "00:00:" in err  # the status line: the time into the night, no clock
    folder = tmp_path / "out" / "replay-n"
    assert json.loads((folder / "raw.json").read_text())["start"] is None
    [row] = list(csv.DictReader(open(folder / "events.csv")))
    assert abs(float(row["onset_s"]) - 60.0) < 1.0 and row["onset_clock"] == ""
    assert all(json.loads(line).get("onset_clock") in (None, "") for line in open(folder / "events.jsonl"))
    analysed = json.loads(run_cli("analyze", tmp_path / "n.npy", "--fs", "1000", "--json")[1])
    assert analysed["episodes"][0]["onset_clock"] is None
    rc, out, err = run_main("recover", str(folder), "--edf", str(tmp_path / "copy.edf"))
    assert rc == 0 and "1 cramp(s);" in out, err
    rc, out, err = run_main("analyze", str(folder), "--json")  # the night folder reads back without a clock
    assert rc == 0 and json.loads(out)["episodes"][0]["onset_clock"] is None, err


def test_a_sensor_clock_that_runs_off_is_said_once(capsys):
    from types import SimpleNamespace

    from emgcramp.cli.status import status_printer

    note = ["" for _ in range(2)] + ["the sensor sends about 2000 samples a second, not the 1000 Hz it declares: "
                                     "the night's times run fast"] * 3
    source = SimpleNamespace(start=None, connected=True, lead_off=0, problem="", clock_note=lambda: note.pop(0))
    on_status = status_printer(source)
    state = {"t_s": 10.0, "gaps": 0, "cramps": 0,
             "channels": [{"channel": "calf", "level_uv": 4.0, "rest_uv": 4.0, "open": None, "kind": ""}]}
    for _ in range(5):
        on_status(state)
    err = capsys.readouterr().err
    assert err.count("*** the sensor sends about 2000 samples a second") == 1 and err.count("\a") == 1
    assert "check the sensor's rate setting" in err and err.count("link ok") == 5


def test_status_line_shows_link_state_and_level():
    from emgcramp.cli.status import status_line as _status_line
    from emgcramp.core.types import Candidate

    c = Candidate(100.0, 104.5, 300.0, 250.0, 4.0, 1.0, 1, 0.0, 0.0, 0.0)
    state = {"t_s": 3725.0, "gaps": 1, "cramps": 2,
             "channels": [{"channel": "calf", "level_uv": 200.0, "rest_uv": 4.0, "open": c, "kind": "tonic"}]}
    line = _status_line(state, True)
    assert line.startswith("01:02:05 link ok") and "50.0× rest" in line and "ACTIVE   4.5 s (tonic)" in line
    from datetime import datetime

    # With the night's start: the clock the alerts use, and the time into the night beside it.
    assert _status_line(state, True, start=datetime(2026, 1, 1, 23, 0, 0)).startswith(
        "00:02:05 (night 01:02:05) link ok")
    assert "cramps 2 gaps 1" in line
    for unknown in (None, float("nan")):  # a night begun on a flat line: "nan× rest   nan µV" all night
        quiet = state | {"channels": [state["channels"][0] | {"rest_uv": unknown}]}
        assert "nan" not in _status_line(quiet, True) and "(rest level not yet known)" in _status_line(quiet, True)
    from emgcramp.cli.status import _on_terminal

    with mock.patch("shutil.get_terminal_size", return_value=os.terminal_size((80, 24))):
        drawn = _on_terminal(line)  # over the last line: cut to the width (wrapped, each left a line behind),
    assert drawn.startswith("\r") and drawn.endswith("…\x1b[K") and len(drawn) == 1 + 79 + 3  # the rest cleared
    assert "LEAD-OFF" in _status_line(state, True, lead_off=1)
    first = {"t_s": 0.0, "gaps": 0, "cramps": 0, "channels": []}  # no sample yet: no hum is being measured
    assert _status_line(first, True) == "00:00:00 starting (waiting for the first samples)"
    assert _status_line(first | {"t_s": 3.2}, True) == "00:00:03 starting (measuring mains hum)"
    waiting = first | {"waited_s": 65.0}  # a port not there yet: how to stop waiting, unless already given
    assert _status_line(waiting, False, 0, "/dev/x does not exist") == \
        ("00:00:00 waiting for the sensor for 1 min 05 s: /dev/x does not exist (Ctrl-C stops; --give-up S stops "
         "by itself)")
    assert _status_line(waiting | {"give_up_s": 300.0}, False, 0, "/dev/x does not exist").endswith(
        "(Ctrl-C stops; gives up at 300 s)")
    assert "RECONNECTING" in _status_line(state, False, lead_off=1)
    assert "RECONNECTING for 0 min 00 s: /dev/x does not exist" in _status_line(state, False, 0, "/dev/x does not exist")
    # the night's time stands still while no samples come: the wall clock's time since the link was lost moves on
    assert "01:02:05 RECONNECTING for 1 min 05 s: /dev/x does not exist  cramps 2" == \
        _status_line(state | {"down_s": 65.4}, False, 0, "/dev/x does not exist")
    silent = _status_line(state, True, 0, "/dev/x is open but nothing arrives: is the sensor on and sending?")
    assert " NO DATA " in silent and silent.endswith("  /dev/x is open but nothing arrives: is the sensor on and sending?")
    assert "link ok" in _status_line(state, True) and "NO DATA" not in _status_line(state, True)
    assert "NOT STORED" in _status_line(state | {"not_stored_since": 60.0}, True)
    start = {"t_s": 0.0, "gaps": 0, "cramps": 0, "channels": []}
    assert "preparing filters" in _status_line(start | {"preparing": True}, True)
    waiting = _status_line(start | {"waited_s": 125.0}, False, 0, "silent")
    assert "waiting for the sensor for 2 min 05 s: silent" in waiting and "Ctrl-C stops; --give-up S" in waiting


def test_the_monitor_says_it_is_preparing_before_the_first_block_is_analysed(tmp_path):
    seen = []
    blocks = [Block(i, np.random.default_rng(i).standard_normal((1000, 1)) * 4.0) for i in range(0, 20_000, 1000)]
    run_monitor(iter(blocks), lambda: 1000.0, ["calf"], str(tmp_path / "n"), on_status=seen.append,
                status_every_s=0.0)
    assert seen[0].get("preparing") and not any(s.get("preparing") for s in seen[1:])


@pytest.mark.long
def test_calibrate_from_a_live_sensor(tmp_path):
    fs = 1000
    t = np.arange(16 * fs) / fs
    mvc = (t >= 8.5) & (t < 11.5)  # the person contracts when told (window 8–10 s of the stream)
    x = np.random.default_rng(0).standard_normal(len(t)) * np.where(mvc, 300.0, 4.0)
    port = PtyPort(str(tmp_path / "sensor"))
    p = subprocess.Popen([sys.executable, "-m", "emgcramp", "calibrate", "--serial", port.path, "--rest-s", "3",
                          "--mvc-s", "2", "--out", str(tmp_path / "me.json")], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)  # let it start and open the port
    play(SensorEmulator([x], fs, n=50), port, speed=8.0)  # its windows go by the samples, not the wall clock
    out, err = p.communicate(timeout=60)
    port.close()
    assert p.returncode == 0, err
    assert "NOW: contract" in out and out.index("sit or lie still") < out.index("NOW")
    # played 8 × faster than its clock: said, as those were not the seconds the person was told of
    assert "note: the sensor sent the 10 s of the calibration in " in err and "(a sped-up emulator" in err
    prof = __import__("json").load(open(tmp_path / "me.json"))
    assert prof["rest_uv"] == pytest.approx(4.0 * 0.93, rel=0.15)  # white noise keeps ~93 % in 20–450 Hz
    assert prof["mvc_uv"] == pytest.approx(300.0 * 0.93, rel=0.15)


@pytest.mark.long
def test_calibrate_from_a_hobby_board_that_prints_numbers(tmp_path):
    """monitor --ascii read such a board; calibrate had no --ascii ('unrecognized arguments'), nor --scale for it."""
    fs, scale = 500, 2.0
    t = np.arange(14 * fs) / fs
    mvc = (t >= 8.5) & (t < 11.5)
    counts = np.round(np.random.default_rng(1).standard_normal(len(t)) * np.where(mvc, 150.0, 2.0) + 512)
    port = PtyPort(str(tmp_path / "board"))
    p = subprocess.Popen([sys.executable, "-m", "emgcramp", "calibrate", "--serial", port.path, "--ascii", "--fs",
                          str(fs), "--scale", str(scale), "--rest-s", "3", "--mvc-s", "2", "--out",
                          str(tmp_path / "me.json")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)  # let it start and open the port
    for k in range(0, len(counts), 50):  # 0.1 s of lines at a time, 8 × faster than the board's clock
        port.write("".join(f"{int(c)}\r\n" for c in counts[k:k + 50]).encode())
        time.sleep(0.1 / 8)
    out, err = p.communicate(timeout=60)
    port.close()
    assert p.returncode == 0, err
    prof = json.load(open(tmp_path / "me.json"))
    assert prof["rest_uv"] == pytest.approx(2.0 * scale * 0.9, rel=0.2)  # ~90 % of white noise at 500 Hz in band
    assert prof["mvc_uv"] == pytest.approx(150.0 * scale * 0.9, rel=0.2)
    rc, _, err = run_cli("calibrate", "--serial", port.path, "--ascii", "--fs", "500")
    assert rc == 2 and "--ascii lines carry no rate and no unit: give --scale UV" in err


def test_monitor_alerts_on_a_warning_before_the_cramp_and_logs_it(tmp_path):
    from conftest import bursts, emg_noise

    fs = 1000.0
    t = np.arange(int(200 * fs)) / fs
    x = emg_noise(len(t), fs, 4.0) * np.where((t >= 60) & (t < 100), 3.0, 1.0)  # 40 s of tension at 3 × rest
    x += bursts(fs, 200, 0.0, [(100.0, 160.0, 200.0)], seed=1)
    blocks = [Block(i, x[i:i + 100, None]) for i in range(0, len(x), 100)]
    folder = str(tmp_path / "night")
    res = run_monitor(iter(blocks), lambda: fs, ["calf"], folder, alert_on_warning=True)
    kinds = [(a.kind, round(a.onset_s), a.at_s) for a in res.alerts]
    assert [k[:2] for k in kinds] == [("warning", 60), ("tonic", 100)]
    assert 67 < kinds[0][2] < 75  # raised once 8 of the last 10 s were tense: about 30 s before the cramp
    logged = [e for e in read_events(folder) if e["type"] == "warning"]
    assert len(logged) == 1 and round(logged[0]["onset_s"]) == 60
    (e,) = res.analysis.episodes
    assert e.warning_lead_s == pytest.approx(40.0, abs=1.5)
    assert res.analysis.summary()["warnings"] == {"count": 1, "followed_by_cramp": 1, "cramps_announced": 1,
                                                  "median_lead_s": pytest.approx(40.0, abs=1.5)}
    # Without the option a warning is logged but raises no alert.
    quiet = run_monitor(iter(blocks), lambda: fs, ["calf"], str(tmp_path / "n2"))
    assert [a.kind for a in quiet.alerts] == ["tonic"]


def test_a_cramp_a_gap_cuts_is_alerted_once_and_a_later_one_again(tmp_path):
    """A 2-s dropout inside an alerted cramp raised a second alarm 0.2 s after the link came back."""
    from conftest import bursts

    fs = 1000.0
    x = bursts(fs, 400, 4.0, [(80.0, 200.0, 200.0), (300.0, 360.0, 200.0)], seed=1)
    lost = range(150_000, 152_000)
    blocks = [Block(i, x[i:i + 100, None], 2000 if i == lost.stop else 0)
              for i in range(0, len(x), 100) if i not in lost]
    res = run_monitor(iter(blocks), lambda: fs, ["calf"], str(tmp_path / "night"))
    assert [(a.kind, round(a.onset_s)) for a in res.alerts] == [("tonic", 80), ("tonic", 300)]
    assert [(round(e.onset_s), e.flags, e.missing_s) for e in res.analysis.episodes] == [
        (80, ["gap"], 2.0), (300, [], 0.0)]  # one cramp with 2 s missing (before: its two parts, said as cut)


def test_a_cramp_a_gap_cuts_before_its_alert_is_alerted_once(tmp_path):
    """Cut 2 s in: the part after was alerted as the signal came back, then again once joined to the part before."""
    from conftest import bursts

    x = bursts(1000.0, 200, 4.0, [(60, 120, 300)], seed=4)
    blocks = [Block(i, x[i:i + 20, None], 4000 if i == 66_000 else 0) for i in range(0, len(x), 20)
              if not 62_000 <= i < 66_000]
    res = run_monitor(iter(blocks), lambda: 1000.0, ["calf"], str(tmp_path / "night"))
    assert len(res.alerts) == 1 and [(e.onset_s, e.missing_s) for e in res.analysis.episodes] == [(60.0, 4.0)]


def test_samples_not_in_microvolts_are_said_early_in_the_night_and_once(tmp_path):
    """A night in mV read as µV found nothing, exited 0 and said nothing (analyze and recover said it)."""
    import warnings

    from conftest import bursts

    from emgcramp.core.errors import SettingsWarning
    from emgcramp.live.monitor import UNITS_CHECK_S, NightMonitor

    fs = 1000.0
    x = bursts(fs, 300, 4.0, [(150.0, 210.0, 200.0)], seed=1) / 1000  # mV
    night = NightMonitor(fs, ["calf"], str(tmp_path / "night"))
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always", SettingsWarning)
        for i in range(0, int((UNITS_CHECK_S - 1) * fs), 1000):
            night.feed(Block(i, x[i:i + 1000, None]))
        assert not said  # not before its rest is known
        at = []
        for i in range(int((UNITS_CHECK_S - 1) * fs), len(x), 1000):
            night.feed(Block(i, x[i:i + 1000, None]))
            at += [night.now_s] * (len(said) - len(at))
        assert at == [UNITS_CHECK_S]  # as soon as it is, and once
        res = night.finish()
    assert [str(w.message)[:47] for w in said] == ["channel 'calf': its rest level, 0.0038 µV, lies"]
    assert "are the samples in µV?" in str(said[0].message) and res.analysis.episodes == []


# --- what a person sees when the sensor is not there ------------------------------------------------

def _status_lines(cmd, until, timeout=20):
    p = subprocess.Popen([sys.executable, "-m", "emgcramp", *cmd], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    t0, lines = time.monotonic(), []
    while time.monotonic() - t0 < timeout:
        line = p.stderr.readline()
        lines.append((time.monotonic() - t0, line))
        if until in line:
            break
    return p, lines


def test_a_missing_port_is_said_at_once_and_the_night_folder_not_left_empty(tmp_path):
    p, lines = _status_lines(["monitor", "--serial", str(tmp_path / "nothing"), "--out", str(tmp_path / "n" / "x")],
                             "does not exist")
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=30)
    assert "does not exist: is the sensor plugged in?" in lines[-1][1] and lines[-1][0] < 5.0
    assert p.returncode == 2 and "no data arrived" in err
    assert not os.path.exists(tmp_path / "n")  # made for the night (--out n/x), it went with it: it was left empty
    # no folder was made, so none is named for recover
    assert "ending the night (SIGINT) … (Ctrl-C again stops at once)" in err and "recover" not in err, err


@pytest.mark.long
def test_a_silent_port_is_said_within_seconds(tmp_path):
    port = PtyPort(str(tmp_path / "sensor"))  # open, but the sensor sends nothing
    try:
        p, lines = _status_lines(["monitor", "--serial", str(tmp_path / "sensor"), "--out", str(tmp_path)],
                                 "nothing arrives")
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=30)
    finally:
        port.close()
    assert "is open but nothing arrives" in lines[-1][1] and lines[-1][0] < 10.0


@pytest.mark.long
def test_ctrl_c_twice_before_any_sample_leaves_no_empty_night_folder(tmp_path):
    """The second Ctrl-C stops at once: before any sample was stored, it left the night folder (and the --out
    made for it) empty, where one Ctrl-C or SIGTERM leaves none."""
    port = PtyPort(str(tmp_path / "sensor"))  # open, but the sensor sends nothing
    try:
        p, lines = _status_lines(["monitor", "--serial", str(tmp_path / "sensor"), "--out", str(tmp_path / "n" / "x")],
                                 "nothing arrives")  # by then the night's handlers are in place
        assert os.listdir(tmp_path / "n" / "x") and lines[-1][0] < 10.0  # the night's folder, made
        p.send_signal(signal.SIGINT)
        time.sleep(0.01)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=30)
    finally:
        port.close()
    assert p.returncode == 130 and err.endswith("emgcramp: interrupted\n"), err
    assert not os.path.exists(tmp_path / "n")


def test_a_port_serves_one_reader_and_must_be_a_port(tmp_path):
    port = PtyPort(str(tmp_path / "sensor"))
    first, second = SerialSource(port.path), SerialSource(port.path)  # a pty: Linux does not list its class
    try:
        assert first._open() and not second._open()  # a second monitor would take half of the frames
        assert second.problem == f"{port.path} is in use by another program"
    finally:
        first._drop()
        port.close()
    (tmp_path / "notes.txt").write_text("not a port")
    for path, kind in ((tmp_path / "notes.txt", "file"), (tmp_path, "folder")):
        rc, _, err = run_cli("monitor", "--serial", path, "--out", tmp_path / "n")
        assert rc == 2 and f"{path} is not a serial port (a {kind})" in err and err.count("\n") == 1
    if os.path.exists("/sys/dev/char/1:3"):  # Linux lists /dev/null's class; it opens, then never takes a baud rate
        rc, _, err = run_cli("monitor", "--serial", "/dev/null", "--out", tmp_path / "n")
        assert rc == 2 and "/dev/null is not a serial port (a device of another kind)" in err
        assert err.count("\n") == 1 and not (tmp_path / "n").exists()


def test_calibrate_gives_up_on_a_missing_port(tmp_path):
    t0 = time.monotonic()
    rc, out, err = run_cli("calibrate", "--serial", tmp_path / "nothing", "--out", tmp_path / "p.json")
    assert rc == 2 and "does not exist" in err and err.count("\n") == 1 and "sit or lie" not in out
    assert time.monotonic() - t0 < 10.0 and not (tmp_path / "p.json").exists()


def test_a_port_without_permission_names_the_usual_fix():
    import errno

    from emgcramp.live.sources.serial import _why

    why = _why("/dev/ttyACM0", OSError(errno.EACCES, "Permission denied"))
    assert "dialout group" in why and "/dev/ttyACM0" in why


@pytest.mark.long
def test_an_outage_is_on_the_status_line_while_it_lasts(night, tmp_path):
    x, _ = night
    port = PtyPort(str(tmp_path / "sensor"))
    source = SerialSource(str(tmp_path / "sensor"), give_up_s=2.5, heartbeat_s=0.2)
    emu = SensorEmulator([x[:int(5 * SPEC.fs)]], SPEC.fs, n=100)

    def serve():  # in real time: unplugged from 2 s to 4 s of the sensor clock, then 1 s more
        while not source.connected:
            time.sleep(0.01)
        play(emu, port, speed=1.0, unplugs=[(2.0, 2.0)])
        time.sleep(0.3)
        port.close()  # for good: the source gives up and the night ends

    threading.Thread(target=serve, daemon=True).start()
    seen = []
    run_monitor(source.blocks(), lambda: source.fs, ["calf"], str(tmp_path / "night"),
                on_status=lambda state: seen.append((time.monotonic(), source.connected, source.problem)),
                status_every_s=0.2)
    down = [t for t, connected, problem in seen if not connected and "does not exist" in problem]
    assert down and down[-1] - down[0] >= 1.2  # said again and again while it lasted, not once after
    assert source.reconnects == 1


@pytest.mark.long
def test_the_port_is_read_from_the_moment_it_opens_while_the_monitor_is_busy(tmp_path):
    # 8 channels at 4 kHz (64 kB/s) against a consumer that takes 3 s for its first block, as
    # building filters with a cold cache does. A real USB sensor drops what is not read; a pty
    # holds up the writer instead, so the writer's lag behind real time is what is measured.
    fs, seconds = 4000, 4.0  # outlasts the busy 3 s
    x = np.random.default_rng(0).standard_normal((int(fs * seconds), 8)) * 20.0
    port = PtyPort(str(tmp_path / "sensor"))
    source = SerialSource(str(tmp_path / "sensor"), give_up_s=1.0)
    emu = SensorEmulator([x], fs, n=50)
    lag = []

    def serve():
        while not source.connected:
            time.sleep(0.005)
        start = time.monotonic()
        for clock, frame in emu.frames():
            due = start + clock / fs
            time.sleep(max(0.0, due - time.monotonic()))
            port.write(frame)
            lag.append(time.monotonic() - due)
        time.sleep(0.3)
        port.close()

    threading.Thread(target=serve, daemon=True).start()
    blocks = source.blocks()
    first = next(b for b in blocks if b is not None)
    time.sleep(3.0)  # busy
    got = len(first.samples) + sum(len(b.samples) for b in blocks if b is not None)
    assert max(lag) < 0.5  # never held up for the 3 s
    assert got == len(x) // 50 * 50 and source.link.decoder.crc_errors == 0


def test_every_source_gives_the_monitor_the_same_interface():
    from emgcramp.io import open_recording
    from emgcramp.live.sources.base import Source
    from emgcramp.live.sources.ble import BleSource
    from emgcramp.live.sources.replay import ReplaySource

    with open_recording(SAMPLE_NIGHT) as rec:
        sources = [SerialSource("/dev/no-such-port"), SerialSource("/dev/no-such-port", LineLink(1000.0)),
                   BleSource("auto"), ReplaySource(rec, [0], speed=0)]
        for s in sources:
            assert isinstance(s, Source), type(s).__name__
            assert (s.lead_off, s.problem) == (0, "")
        assert [s.start for s in sources] == [None, None, None, rec.start]
        assert [s.fs for s in sources] == [None, 1000.0, None, rec.fs]  # a sensor's rate comes with its frames
        assert [s.connected for s in sources] == [False, False, False, True]


# --- a sensor that changes or dies mid-night ----------------------------------------------------------

def _cramp_then(tail, fs=1000.0):
    """90 s: rest, a cramp from 15 s still under way at the end; then ``tail`` (a block after it)."""
    from conftest import bursts

    x = bursts(fs, 90, 4.0, [(15.0, 100.0, 300.0)], seed=2)
    return [Block(i, x[i:i + 100, None]) for i in range(0, len(x), 100)] + [tail]


@pytest.mark.parametrize("tail,rate,says", [
    (Block(90_000, np.zeros((100, 2))), 1000.0, "now sends 2 channel(s) instead of 1"),
    (Block(90_000, np.ones((100, 1))), 500.0, "now samples at 500 Hz instead of 1000 Hz"),
])
def test_a_sensor_that_changes_mid_night_ends_the_night_whole(tmp_path, tail, rate, says):
    blocks = _cramp_then(tail)
    rates = iter([1000.0] * (len(blocks) - 1) + [rate])  # asked once to start, then once per later block
    folder = str(tmp_path / "night")
    res = run_monitor(iter(blocks), lambda: next(rates), ["calf"], folder)
    assert says in res.stopped and "start monitor again" in res.stopped
    (e,) = res.analysis.episodes  # the cramp under way is closed and kept, not lost with the night
    assert e.onset_s == pytest.approx(15.0, abs=0.3) and "open_at_end" in e.flags
    logged = read_events(folder)
    assert [r["type"] for r in logged if r["type"] in ("cramp", "end")] == ["cramp", "end"]
    assert NightRecording(folder).n_samples == 90_000  # the other set-up's block is not mixed in


def test_a_channel_count_change_over_serial_is_one_line_and_exit_2(tmp_path):
    from conftest import bursts

    fs = 1000
    one = bursts(fs, 90, 4.0, [(15.0, 100.0, 300.0)], seed=2)
    port = PtyPort(str(tmp_path / "sensor"))
    p = subprocess.Popen([sys.executable, "-m", "emgcramp", "monitor", "--serial", port.path, "--out",
                          str(tmp_path / "n")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)  # let it start and open the port
    play(SensorEmulator([one, np.zeros((2000, 2))], fs, n=100), port, speed=0)
    out, err = p.communicate(timeout=60)
    port.close()
    assert p.returncode == 2 and "Traceback" not in err and "internal error" not in err
    assert err.strip().splitlines()[-1].startswith("emgcramp: error: the sensor now sends 2 channel(s)")
    assert "1 cramp(s)" in out  # the summary is printed first
    (night,) = os.listdir(tmp_path / "n")
    assert (tmp_path / "n" / night / "events.csv").exists()


@pytest.mark.long
def test_a_dead_signal_is_said_live_within_seconds_and_refused_at_the_end(tmp_path):
    np.save(tmp_path / "flat.npy", np.zeros(5_000, dtype=np.float32))  # said after 2 s flat: the night goes on
    p, lines = _status_lines(["monitor", "--replay", str(tmp_path / "flat.npy"), "--fs", "1000", "--speed", "1",
                              "--out", str(tmp_path / "n")], "SIGNAL LOST", timeout=30)
    out, err = p.communicate(timeout=60)
    said = next(t for t, line in lines if "SIGNAL LOST" in line)
    first = next(t for t, line in lines if "monitoring replay" in line)
    assert said - first < 5.0  # replayed at real time: the night's first seconds
    assert p.returncode == 2 and err.strip().splitlines()[-1].endswith("lead-off, or the wrong channel?")
    (night,) = os.listdir(tmp_path / "n")
    lost = [r for r in read_events(str(tmp_path / "n" / night)) if r["type"] == "signal_lost"]
    assert len(lost) == 1 and lost[0]["onset_s"] == 0.0


@pytest.mark.long
def test_lost_ble_frames_lose_no_cramp_live_or_in_recover(tmp_path):
    from conftest import bursts

    fs = 1000.0
    x = bursts(fs, 100, 4.0, [(15.0, 85.0, 300.0)], seed=3)  # a 70-s cramp at 300 µV
    port = PtyPort(str(tmp_path / "sensor"))
    emu = SensorEmulator([x], fs, n=3, lose=0.05, seed=1)  # 5 % of single BLE notifications never arrive
    source = SerialSource(port.path, give_up_s=1.0)

    def serve():
        while not source.connected:
            time.sleep(0.01)
        play(emu, port, speed=0)
        time.sleep(1.0)
        port.close()

    threading.Thread(target=serve, daemon=True).start()
    folder = str(tmp_path / "night")
    live = run_monitor(source.blocks(), lambda: source.fs, ["calf"], folder)
    sent = emu.counts(x[:len(x) // 3 * 3]) * 0.25
    (whole,) = run_blocks([Block(0, sent[:, None])], fs, ["calf"]).episodes
    rec = NightRecording(folder)
    again = run_blocks(rec.blocks([0], 7000), fs, ["calf"])
    assert source.link.assembler.gaps > 50  # the losses did happen
    for res in (live.analysis, again):
        (e,) = res.episodes
        assert e.onset_s == pytest.approx(whole.onset_s, abs=0.1)
        assert e.duration_s == pytest.approx(whole.duration_s, rel=0.05) and e.missing_s > 0
    assert len(live.alerts) == 1


def test_lost_frames_cost_no_disk_write_of_their_own(tmp_path, monkeypatch):
    from conftest import bursts

    x = bursts(1000.0, 20, 4.0, [], seed=4)
    blocks, gap = [], 0
    for i in range(0, len(x), 3):  # every 10th BLE notification lost: over 600 gaps in 20 s
        if i % 30 == 0 and i:
            gap += 3
            continue
        blocks.append(Block(i, x[i:i + 3, None], gap))
        gap = 0
    syncs = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: syncs.append(fd) or real(fd))
    folder = str(tmp_path / "night")
    t0 = time.monotonic()
    run_monitor(iter(blocks), lambda: 1000.0, ["calf"], folder)
    wall = time.monotonic() - t0
    gaps = [e for e in read_events(folder) if e["type"] == "gap"]
    assert len(gaps) == 666 and all(g["missing"] == 3 for g in gaps)
    assert len(syncs) <= 2 * (wall / 1.0 + 2) + 4  # raw and events once a second, and the end
    rec = NightRecording(folder)
    assert rec.n_samples == len(x) and [b.gap_before for b in rec.blocks([0], 7000)][1:4] == [3, 3, 3]


def test_a_lost_signal_is_logged_live_and_marked_in_the_recovered_edf(tmp_path):
    from conftest import bursts

    from emgcramp.io.edf import EdfRecording

    x = np.r_[bursts(1000.0, 10, 4.0, [], seed=5), np.zeros(5000), bursts(1000.0, 10, 4.0, [], seed=6)]
    for size in (25_000, 7_000, 3_000):  # where it comes back, to the sample: it was the end of the block it came in
        records = []
        monitor = NightMonitor(1000.0, ["calf"], on_event=records.append)
        for i in range(0, len(x), size):
            monitor.feed(Block(i, x[i:i + size, None]))
        lost = [(e["type"], e.get("onset_s"), e.get("offset_s")) for e in records if "signal" in e["type"]]
        assert lost == [("signal_lost", 10.0, None), ("signal_back", 10.0, 15.0)], size  # within one block: both
    folder = str(tmp_path / "night")
    run_monitor(iter([Block(i, x[i:i + 100, None]) for i in range(0, len(x), 100)]), lambda: 1000.0, ["calf"], folder)
    lost = [(e["type"], e.get("onset_s"), e.get("offset_s")) for e in read_events(folder) if "signal" in e["type"]]
    assert [t for t, _, _ in lost] == ["signal_lost", "signal_back"]
    assert lost[1][1:] == (10.0, 15.0)  # from its first flat sample, as the review page hatches it
    rc, _, err = run_main("recover", folder, "--edf", tmp_path / "night.edf")
    assert rc == 0, err
    rec = EdfRecording(str(tmp_path / "night.edf"))
    try:
        notes = [(round(o, 3), round(d, 3), t) for o, d, t in rec.annotations()]
        assert rec.n_samples == 25_000 and [n[2] for n in notes] == ["signal lost:calf"]
        assert notes[0][:2] == (pytest.approx(10.0, abs=0.002), pytest.approx(5.0, abs=0.11))
    finally:
        rec.close()


def test_a_night_that_cannot_begin_leaves_no_night_folder(tmp_path):
    # Without the lsl extra: one line before any folder is made.
    code = ("import sys; sys.modules['pylsl'] = None\nfrom emgcramp.cli import main\n"
            f"sys.exit(main(['monitor', '--replay', {SAMPLE_NIGHT!r}, '--speed', '0', '--lsl-out']))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert p.returncode == 2 and p.stderr.strip().endswith("needs the lsl extra: pip install 'emgcramp[lsl]'")
    assert os.listdir(tmp_path) == [] and "Traceback" not in p.stderr
    # A BLE sensor never found: the night folder made for it (before the first try) goes again.
    os.makedirs(tmp_path / "n")  # a folder of the user's: it stays
    rc, _, err = run_cli("monitor", "--ble", "auto", "--give-up", "1", "--out", tmp_path / "n")
    assert rc == 2 and "could not connect to a BLE sensor" in err and os.listdir(tmp_path / "n") == []
    assert "no Bluetooth service to talk to" in err or "no BLE sensor matching" in err  # why, in words


def test_a_withdrawn_alert_is_said_in_words():
    from emgcramp.cli.status import retraction_line

    assert retraction_line({"type": "retracted", "channel": "calf", "onset_s": 11962.64, "onset_clock": "02:19:22",
                            "reason": "possible_cramp"}) == \
        "--- cramp alert on calf since 02:19:22 withdrawn: the burst ended as a possible cramp (listed, not counted)"
    assert retraction_line({"channel": "GM", "onset_s": 12.5, "reason": "leg_movement_series"}) == \
        "--- cramp alert on GM since 12.5 s withdrawn: it was one of a series of periodic leg movements"


@pytest.mark.slow
def test_the_monitor_withdraws_on_screen_the_alert_its_log_retracts(tmp_path):
    # simulate seed 9 (1 h): the burst at 23:59:06 is alerted under way and closes as a possible cramp
    night = tmp_path / "night.edf"
    assert run_cli("simulate", night, "--hours", "1", "--seed", "9")[0] == 0
    rc, out, err = run_cli("monitor", "--replay", night, "--speed", "0", "--out", tmp_path / "n")
    (folder,) = os.listdir(tmp_path / "n")
    with open(tmp_path / "n" / folder / "events.jsonl") as f:
        records = [json.loads(line, parse_constant=lambda c: pytest.fail(f"{c} is no JSON"))  # strict: no NaN
                   for line in f]
    retracted = [r for r in records if r.get("type") == "retracted"]
    alerts = [r for r in records if r.get("type") == "alert"]
    assert rc == 0 and retracted, err
    assert all(a["onset_s"] == round(a["onset_s"], 3) and a["at_s"] == round(a["at_s"], 3) for a in alerts)
    # the night's line counts the alerts withdrawn: "1 alert(s), … possible cramp(s) listed, not alerted" for one
    assert f"{len(alerts)} alert(s) ({len(retracted)} withdrawn)" in out and "not alerted" not in out, out
    lines = [line for line in err.splitlines() if line.startswith("--- cramp alert")]
    assert lines == [f"--- cramp alert on calf since {r['onset_clock']} withdrawn: the burst ended as a possible "
                     "cramp (listed, not counted)" for r in retracted]
    assert all(f"since {r['onset_clock']}," in err for r in retracted)  # each was alerted first


@pytest.mark.parametrize("sends", ["bytes that make no frame", "nothing"])
def test_give_up_ends_a_night_on_an_open_port_that_gives_no_samples(tmp_path, sends):
    """Another baud rate's bytes, or a silent sensor: the port opens, and --give-up waited for ever while
    the status line promised it would stop the night."""
    port = PtyPort(str(tmp_path / "sensor"))
    source = SerialSource(port.path, give_up_s=1.0, heartbeat_s=0.2)
    stop = threading.Event()

    def serve():
        rng = np.random.default_rng(0)
        while not stop.is_set():
            if sends != "nothing":
                port.write(rng.integers(0, 256, 200, dtype=np.uint8).tobytes())
            time.sleep(0.01)

    threading.Thread(target=serve, daemon=True).start()
    t = time.monotonic()
    try:
        assert [b for b in source.blocks() if b is not None] == []
    finally:
        stop.set()
    assert time.monotonic() - t < 4.0
    why = ("bytes arrive but none make sensor frames (a text sensor needs --ascii; one at another rate, --baud)"
           if sends != "nothing" else "open, but nothing arrives")
    assert source.gave_up == (f"no samples from {port.path} for 1 s ({why}) (--give-up): the night ends there, "
                              "stored and summarised; start monitor again when the sensor is back")
    # what the error line gives when no sample ever came (it said "is the sensor on and in reach?")
    assert source.problem == (f"{port.path}: {why}" if sends != "nothing" else f"{port.path} is {why}")
    port.close()


def test_a_sensor_sending_status_frames_only_is_said_to_send_no_samples(tmp_path):
    """Its rate known, the give-up line still asked whether a status frame with a usable rate had come."""
    from emgcramp.core.protocol import encode_status

    port = PtyPort(str(tmp_path / "sensor"))
    source = SerialSource(port.path, give_up_s=1.0, heartbeat_s=0.2)
    stop = threading.Event()

    def serve():
        k = 0
        while not stop.is_set():
            port.write(encode_status(k % 65536, 0, 1000, 250))
            k += 1
            time.sleep(0.05)

    threading.Thread(target=serve, daemon=True).start()
    try:
        assert [b for b in source.blocks() if b is not None] == []
    finally:
        stop.set()
    assert source.fs == 1000.0
    assert source.gave_up.startswith(f"no samples from {port.path} for 1 s (sensor frames arrive but none give "
                                     "samples (status frames only: is it recording?)) (--give-up)")
    port.close()


def test_the_emulator_waits_for_its_reader_before_the_port_goes(tmp_path):
    """emulate --speed 0 said every frame was sent while closing the pty dropped the last 4 s unread."""
    port = PtyPort(str(tmp_path / "sensor"))
    data = bytes(range(256)) * 8  # 2 kB: what a fast play leaves in the pty when it ends
    port.write(data)
    assert port.drain(timeout_s=0.2) == len(data)  # nobody reading: said, after the wait
    got = bytearray()

    def read_slowly():
        fd = os.open(os.readlink(port.path), os.O_RDONLY | os.O_NOCTTY)
        while len(got) < len(data):
            got.extend(os.read(fd, 100))
            time.sleep(0.01)
        os.close(fd)

    reader = threading.Thread(target=read_slowly)
    reader.start()
    assert port.drain(timeout_s=10.0) == 0
    reader.join()
    assert bytes(got) == data
    port.close()


def test_baud_opens_the_port_at_that_rate(tmp_path):
    """The port was always opened at 921600: an Arduino at 115200 behind a USB-serial bridge sent garbage."""
    from emgcramp.cli.sources import sensor_source

    port = PtyPort(str(tmp_path / "sensor"))
    seen = []
    for baud in (None, 115_200):
        source = sensor_source(port.path, None, give_up_s=0.3, baud=baud)
        source.heartbeat_s = 0.1
        for _ in source.blocks():
            if source._ser is not None:
                seen.append(source._ser.baudrate)
                source.stop.set()
    assert seen[:1] == [921_600] and seen[-1] == 115_200
    port.close()


def test_an_npy_recording_is_emulated_at_the_rate_and_scale_given(tmp_path):
    """emulate refused an NPY whatever --fs said ("no sampling rate ... give --fs HZ", then the same with it)."""
    from emgcramp.cli.sources import sensor_source

    x = np.round(np.random.default_rng(4).normal(0.0, 40.0, 3000))  # counts of 0.5 µV
    np.save(tmp_path / "rec.npy", x)
    p = subprocess.Popen([sys.executable, "-m", "emgcramp", "emulate", str(tmp_path / "rec.npy"), "--fs", "500",
                          "--scale", "0.5", "--pty", str(tmp_path / "pty"), "--speed", "0"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = p.stdout.readline()
        assert " at 500 Hz, as fast as it is read" in first, first + p.stderr.read()
        source, got = sensor_source(str(tmp_path / "pty"), None, give_up_s=5.0), []
        for block in source.blocks():
            got.append(block.samples[:, 0])
            if sum(map(len, got)) >= len(x):
                source.stop.set()
    finally:
        p.kill()
        p.wait()
    assert source.fs == 500.0
    assert np.allclose(np.concatenate(got)[:len(x)], 0.5 * x, atol=0.125)  # within half the wire's 0.25-µV step
    rc, _, err = run_main("emulate", str(tmp_path / "rec.npy"), "--fs", "500.5", "--pty", str(tmp_path / "p2"))
    assert rc == 2 and err.endswith("not 500.5 Hz: give a --fs it carries\n"), err  # not "resample the recording"


def test_a_source_that_ends_before_two_seconds_is_one_line_without_a_summary(tmp_path):
    """A replay of 0.01 s printed a night's table, then 'signal is 0.01 s long' with no folder named."""
    np.save(tmp_path / "short.npy", np.zeros(10))
    rc, out, err = run_cli("monitor", "--replay", tmp_path / "short.npy", "--speed", "0", "--fs", "1000",
                           "--out", tmp_path / "n")
    (folder,) = [str(p) for p in (tmp_path / "n").iterdir()]
    assert rc == 2 and "cramp(s) in" not in out and err.splitlines()[-1] == (
        "emgcramp: error: the source ended before the night could be analysed (signal is 0.01 s long: at least "
        f"2 s are needed); {folder} holds the little it stored, too short to be a night: nothing to recover, "
        "remove it")


def test_the_emulator_refuses_samples_no_sensor_sends(tmp_path):
    """A NaN in a recording was sent as frames (a NumPy warning, then counts made of NaN); analyze refuses it."""
    from emgcramp.cli.live import _sound_samples
    from emgcramp.core.blocks import Block
    from emgcramp.core.errors import InputError

    x = np.random.default_rng(0).normal(0, 5, (60_000, 1))
    x[30_000:30_100] = np.nan
    blocks = [Block(k, x[k:k + 1000]) for k in range(0, len(x), 1000)]
    sent = []
    with pytest.raises(InputError, match=r"^n\.npy: has NaN or infinite samples from 30\.000 s, which no sensor"):
        for samples in _sound_samples(blocks, 1000.0, "n.npy"):
            sent.append(samples)
    assert len(sent) == 30  # the 30 s before it went out


def test_the_sensor_s_lead_off_bits_are_in_the_night_log(tmp_path):
    """The status line said LEAD-OFF; the night's log kept nothing of it, so no morning view could tell when."""
    fs = 1000.0
    x = np.random.default_rng(0).normal(0, 4, (int(40 * fs), 2))
    blocks = [Block(i, x[i:i + 500]) for i in range(0, len(x), 500)]
    now = [0]

    def fed():
        for b in blocks:
            now[0] = 0b10 if 10 * fs <= b.t0_sample < 20 * fs else 0  # GL's electrodes off from 10 s to 20 s
            yield b

    folder = str(tmp_path / "night")
    run_monitor(fed(), lambda: fs, ["GM", "GL"], folder, lead_off=lambda: now[0])
    marks = [(r["type"], r["channels"], r["onset_s"]) for r in read_events(folder) if r["type"].startswith("lead_")]
    assert marks == [("lead_off", ["GL"], 10.5), ("lead_on", ["GL"], 20.5)]  # at the end of the block that said it


@pytest.mark.long
def test_a_long_burst_under_way_is_measured_at_a_pace_that_does_not_grow_with_it(tmp_path):
    # Measuring a burst under way reads its whole length: before, it was measured twice at every block, so a
    # long cramp cost ever more per second (at 4 kHz, 8 channels in 25-sample frames the monitor fell behind
    # real time within a minute). Now every 0.25 s, or 1 % of its length: about 250 times over these 120 s.
    from emgcramp.detect import detector

    fs, n = 1000.0, 20
    x = bursts(fs, 150.0, 5.0, [(20.0, 140.0, 200.0)], seed=3)[:, None]
    night, measured = NightMonitor(fs, ["calf"], str(tmp_path / "night")), []
    with mock.patch.object(detector, "measure", side_effect=lambda *a, real=detector.measure: measured.append(1)
                           or real(*a)):
        alerts = [r for i in range(0, len(x), n) for r in night.feed(Block(i, x[i:i + n])) if r["type"] == "alert"]
        r = night.finish()
    assert 150 <= len(measured) <= 350, len(measured)  # before: 6000, one a block
    assert len(alerts) == 1 and abs(alerts[0]["onset_s"] - 20.0) < 1.0, alerts
    whole = run_blocks([Block(0, x)], fs, ["calf"])  # and it is the cramp the whole signal gives
    assert [(e.onset_s, e.probability) for e in whole.episodes] == \
        [(e.onset_s, e.probability) for e in r.analysis.episodes]
    assert len(r.analysis.episodes) == 1


def test_a_cramp_alerted_before_a_dropout_is_not_alerted_again_when_the_signal_returns(tmp_path):
    # before: alerted again at the return when the part before the gap closed as a possible cramp (a cut
    # burst's length is not known): alerted twice, both withdrawn
    from emgcramp.sim.plan import NightSpec
    from emgcramp.sim.synth import NightGenerator

    spec = NightSpec(hours=0.06, fs=1000.0, seed=21, tonic=1, clonic=0, plm_series=0, position_changes=0, jerks=0,
                     pops=0, lead_offs=0, tonic_duration_s=(50.0, 90.0))
    x, n = np.concatenate(list(NightGenerator(spec).segments())), 50
    [cramp] = [e for e in NightGenerator(spec).events if e.is_cramp]
    whole = run_monitor(iter([Block(i, x[i:i + n]) for i in range(0, len(x), n)]), lambda: 1000.0, ["calf"],
                        str(tmp_path / "whole"))
    cut = int((whole.alerts[0].at_s + 3.0) * 1000)
    lost = range(cut, cut + 10_000)  # the link down for 10 s, 3 s after the alert
    blocks = [Block(i, x[i:i + n], len(lost) if i == lost.stop else 0) for i in range(0, len(x), n) if i not in lost]
    res = run_monitor(iter(blocks), lambda: 1000.0, ["calf"], str(tmp_path / "night"))
    assert [round(a.onset_s) for a in res.alerts] == [round(cramp.onset_s)] and res.alerts[0].at_s < cut / 1000
    logged = [json.loads(line) for line in open(tmp_path / "night" / "events.jsonl")]
    assert [d["type"] for d in logged if d["type"] in ("possible_cramp", "retracted", "alert", "cramp")] == \
        ["alert", "cramp"]  # before: its two parts, each a possible cramp, and the alert retracted
    [e] = res.analysis.episodes
    assert e.onset_s == pytest.approx(cramp.onset_s, abs=1.0) and e.missing_s == pytest.approx(10.0, abs=0.01)


@pytest.mark.long
def test_the_status_line_counts_a_cramp_from_its_alert_not_only_once_it_ends(tmp_path):
    # before: "*** cramp (tonic) on calf", then "ACTIVE 58.6 s (tonic) cramps 0" until it ended
    fs, n = 1000.0, 100
    x = bursts(fs, 200.0, 5.0, [(20.0, 150.0, 200.0)], seed=3)[:, None]
    night, counts = NightMonitor(fs, ["calf"], str(tmp_path / "night")), []
    for i in range(0, len(x), n):
        alerted = any(r["type"] == "alert" for r in night.feed(Block(i, x[i:i + n])))
        counts.append((i / fs, alerted, night.state()["cramps"]))
    first = next(t for t, alerted, _ in counts if alerted)
    assert {c for t, _, c in counts if t < first} == {0} and {c for t, _, c in counts if t >= first} == {1}
    assert len(night.finish().analysis.episodes) == 1
