"""Reported leftovers: half-written files after kill -9, damaged EDF ranges, files that are not recordings,
the status line's clock, and liblsl's log lines — each through the real command line where it is about one."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta

import numpy as np
import pytest
from conftest import SAMPLE_NIGHT, sample_night_head

from emgcramp.core import kernels
from emgcramp.io.edf import write_edf
from emgcramp.io.parts import host_tag

# The ahead-of-time kernels may be older than the sources in a working tree; their note is not what is
# tested, so Numba's JIT is asked for then. Only then, as test_bad_input does: loading Numba costs each
# process ~0.7 s that current kernels do not.
ENV = os.environ | ({kernels.FORCE_JIT_ENV: "1"} if kernels.ahead_of_time() is None else {})


def cli(*args, cwd=None, env=None, timeout=300):
    """Run ``python -m emgcramp``: (exit status, stdout, stderr)."""
    p = subprocess.run([sys.executable, "-m", "emgcramp", *map(str, args)], capture_output=True, text=True,
                       cwd=cwd, env=env or ENV, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def one_line_error(rc, err):
    """Exit status 2 and one line on stderr, no traceback, no warning."""
    assert rc == 2, err
    assert err.count("\n") == 1 and err.startswith("emgcramp: error: "), err
    return err.strip()


def _noise_edf(path, seconds, fs=1000, channels=("calf",)):
    rng = np.random.default_rng(0)
    step = 600 * fs
    blocks = (rng.standard_normal((min(step, seconds * fs - i), len(channels))) * 4.0
              for i in range(0, seconds * fs, step))
    write_edf(str(path), fs, list(channels), blocks)


def _parts(folder):
    return sorted(f for f in os.listdir(folder) if f.endswith(".part"))


# --- 1. part files left by a killed writer --------------------------------------------------------

@pytest.mark.long
def test_a_part_file_left_by_kill_9_is_removed_by_the_next_run_which_writes_the_file_whole(tmp_path):
    _noise_edf(tmp_path / "in.edf", 2 * 3600)  # 15 MB: its copy takes long enough to be caught writing
    out = tmp_path / "out.edf"
    cmd = [sys.executable, "-m", "emgcramp", "analyze", str(tmp_path / "in.edf"), "--edf-out", str(out),
           "--no-progress"]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    deadline, caught = time.monotonic() + 120, None
    while p.poll() is None and time.monotonic() < deadline:
        parts = _parts(tmp_path)
        if parts and os.path.getsize(tmp_path / parts[0]) > 1_000_000:  # the copy is being written
            p.send_signal(signal.SIGKILL)
            caught = parts[0]
            break
        time.sleep(0.002)
    p.wait()
    assert caught and p.returncode == -signal.SIGKILL and _parts(tmp_path) == [caught] and not out.exists()
    assert re.fullmatch(rf"\.out\.edf\.{p.pid}-[0-9a-f]{{8}}\.[a-z0-9_]{{8}}\.part", caught)  # names its writer

    rc, _, err = cli("analyze", tmp_path / "in.edf", "--edf-out", out, "--no-progress")
    assert rc == 0, err
    assert _parts(tmp_path) == []  # the 128-MB leftover of the report is gone
    assert os.stat(out).st_mode & 0o777 == 0o600
    assert os.path.getsize(out) == os.path.getsize(tmp_path / "in.edf")  # whole: the same samples, 1-s records
    rc, _, err = cli("analyze", out, "--no-progress")
    assert rc == 0, err


def test_an_analysis_stopped_while_writing_leaves_the_earlier_outputs_all_whole(tmp_path, monkeypatch):
    """--events, --lm-events and --edf-out are put in place together: stopped before that, none is replaced."""
    from conftest import run_main

    from emgcramp.io import events

    outs = [tmp_path / "ev.csv", tmp_path / "lm.csv", tmp_path / "copy.edf"]
    args = ("analyze", SAMPLE_NIGHT, "--events", outs[0], "--lm-events", outs[1], "--edf-out", outs[2],
            "--no-progress")
    assert run_main(*args)[0] == 0
    before = [o.read_bytes() for o in outs]
    for o in outs:
        o.write_bytes(b"an earlier run's " + o.name.encode())  # to tell them apart
    earlier = [o.read_bytes() for o in outs]

    def stopped(*_a, **_k):  # Ctrl-C after the copy and the events CSV were written, before the last
        raise KeyboardInterrupt

    monkeypatch.setattr(events, "write_activity_csv", stopped)
    rc, _, err = run_main(*args, "--force")  # not its own outputs any more: replaced only when told
    assert rc == 130 and err.strip() == "emgcramp: interrupted"
    assert [o.read_bytes() for o in outs] == earlier and _parts(tmp_path) == []
    monkeypatch.undo()
    assert run_main(*args, "--force")[0] == 0 and [o.read_bytes() for o in outs] == before


def test_a_rename_that_fails_part_way_leaves_no_part_file(tmp_path):
    from emgcramp.io.secure import private_file, written_together

    with pytest.raises(OSError) as e:
        with written_together():
            for name in ("a.csv", "b.csv"):
                with private_file(str(tmp_path / name)) as f:
                    f.write("new\n")
            (tmp_path / "b.csv").mkdir()  # what b.csv's part file is renamed over will not take it
            (tmp_path / "b.csv" / "x").write_text("")
    assert e.value.filename == str(tmp_path / "b.csv")
    assert _parts(tmp_path) == [] and (tmp_path / "a.csv").read_text() == "new\n"


def test_no_output_replaces_the_answers_given_on_a_recording_even_forced(tmp_path):
    from conftest import run_main

    answers = tmp_path / "a.edf.labels"
    answers.mkdir()
    (answers / "labels.csv").write_text("kind,onset_s\n")
    for option in ("--events", "--lm-events"):
        rc, _, err = run_main("analyze", SAMPLE_NIGHT, option, answers / "labels.csv", "--force")
        assert one_line_error(rc, err) == (f"emgcramp: error: cannot write {answers / 'labels.csv'}: it is in "
                                           f"{answers}, which keeps the answers given on a recording; choose a "
                                           "file outside it")
    assert (answers / "labels.csv").read_text() == "kind,onset_s\n"


def test_signals_that_come_while_outputs_are_put_in_place_are_raised_after():
    from emgcramp.io.secure import _signals_held

    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # as a command has it (a test worker may not)
    try:
        with pytest.raises(KeyboardInterrupt):
            with _signals_held():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)  # delivered here, and held
                done = True
        assert done and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, before)


def test_only_our_own_part_files_whose_writer_is_gone_are_removed(tmp_path):
    _noise_edf(tmp_path / "in.edf", 60)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host, hour_ago = host_tag(), time.time() - 2 * 3600
    left = {f".out.edf.{dead.pid}-{host}.abcdefgh.part",  # writer ended: removed
            ".out.edf.oldname1.part"}  # an old-style name, untouched for 2 h: removed
    kept = {f".out.edf.{os.getpid()}-{host}.abcdefgh.part",  # writer alive (this test)
            f".out.edf.{dead.pid}-00000000.abcdefgi.part",  # another host's: only by age
            ".out.edf.newname1.part",  # an old-style name, fresh: may be being written
            f".out.edf.{dead.pid}-{host}.abcdefgj.part.keep",  # not our pattern
            f".other.edf.{dead.pid}-{host}.abcdefgh.part"}  # another output's
    if os.geteuid() == 0:  # another user's (chowned below), where this test may give a file away
        kept.add(f".out.edf.{dead.pid}-{host}.abcdefgk.part")
    for name in [*left, *kept]:
        (tmp_path / name).write_bytes(b"x" * 100)
    os.utime(tmp_path / ".out.edf.oldname1.part", (hour_ago, hour_ago))
    if os.geteuid() == 0:
        os.chown(tmp_path / (f".out.edf.{dead.pid}-{host}.abcdefgk.part"), 54321, 54321)
    os.symlink(tmp_path / "in.edf", tmp_path / (f".out.edf.{dead.pid}-{host}.abcdefgl.part"))
    kept.add(f".out.edf.{dead.pid}-{host}.abcdefgl.part")  # a link, not a file we made
    rc, _, err = cli("analyze", tmp_path / "in.edf", "--edf-out", tmp_path / "out.edf", "--no-progress")
    assert rc == 0, err
    assert set(os.listdir(tmp_path)) == kept | {"in.edf", "out.edf"}
    assert os.path.getsize(tmp_path / "in.edf") > 0  # the link's target is untouched


def test_an_output_with_a_long_name_is_written_and_its_part_file_left_by_kill_9_removed(tmp_path):
    """A name of 226-255 bytes, which the file system takes, failed: its part file's name was over 255."""
    from emgcramp.io.parts import part_prefix

    _noise_edf(tmp_path / "in.edf", 60)
    name = "é" * 60 + "a" * 120 + ".edf"  # 244 bytes
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    left = part_prefix(name).replace(f".{os.getpid()}-", f".{dead.pid}-") + "abcdefgh.part"
    assert len(left.encode()) <= 255
    (tmp_path / left).write_bytes(b"x")
    rc, _, err = cli("analyze", tmp_path / "in.edf", "--edf-out", tmp_path / name, "--no-progress")
    assert rc == 0, err
    assert set(os.listdir(tmp_path)) == {"in.edf", name}


# --- 2. damaged EDF physical ranges -----------------------------------------------------------------

def _with_range(src, dst, channel, lo: bytes, hi: bytes):
    raw = bytearray(open(src, "rb").read())
    ns = int(raw[252:256])
    pmin = 256 + ns * (16 + 80 + 8) + channel * 8  # after labels, transducers, units: physical minimum
    pmax = pmin + ns * 8
    raw[pmin:pmin + 8], raw[pmax:pmax + 8] = lo.ljust(8), hi.ljust(8)
    open(dst, "wb").write(raw)


@pytest.mark.parametrize("lo,hi", [(b"-1e308", b"1e308"), (b"-1e300", b"1e300"), (b"-2e9", b"2e9")])
def test_a_huge_physical_range_is_one_line_naming_the_channel(tmp_path, lo, hi):
    _noise_edf(tmp_path / "ok.edf", 30, channels=("GM", "TA"))
    _with_range(tmp_path / "ok.edf", tmp_path / "bad.edf", 1, lo, hi)
    rc, _, err = cli("analyze", tmp_path / "bad.edf", "--channel", "TA", "--no-progress")
    line = one_line_error(rc, err)
    assert "channel 'TA'" in line and "physical range" in line and "RuntimeWarning" not in err
    rc, _, err = cli("analyze", tmp_path / "bad.edf", "--channel", "all", "--no-progress")
    assert "channel 'TA'" in one_line_error(rc, err)
    rc, _, err = cli("analyze", tmp_path / "bad.edf", "--channel", "GM", "--no-progress")
    assert rc == 0 and "Warning" not in err, err  # the sound channel is still read


# --- 3. and 4. files that are not recordings ---------------------------------------------------------

def test_a_proc_file_is_not_called_empty():
    rc, _, err = cli("analyze", "/proc/self/status")
    line = one_line_error(rc, err)
    assert "empty" not in line and "unknown format: it holds text, not columns of numbers" in line
    assert ".edf" in line  # what was expected


def test_a_pipe_is_said_to_be_a_pipe_and_an_empty_file_empty(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    rc, _, err = cli("analyze", tmp_path / "fifo", timeout=30)  # never waits for a writer
    assert "is a pipe, not a recording file" in one_line_error(rc, err)
    (tmp_path / "empty.csv").write_bytes(b"")
    rc, _, err = cli("analyze", tmp_path / "empty.csv")
    assert one_line_error(rc, err).endswith("the file is empty")
    (tmp_path / "blank.csv").write_text("\n\n  \n")
    rc, _, err = cli("analyze", tmp_path / "blank.csv")
    assert one_line_error(rc, err).endswith("the file holds only blank lines")


def test_words_and_json_say_what_a_recording_would_be(tmp_path):
    (tmp_path / "notes.txt").write_text("hello world\nfoo bar\n")
    rc, _, err = cli("analyze", tmp_path / "notes.txt", "--fs", "1000")
    assert one_line_error(rc, err).endswith(
        "notes.txt: not a recording: expected columns of numbers (CSV/TSV/text), found text at line 1")
    (tmp_path / "one.txt").write_text("hello\n")
    rc, _, err = cli("analyze", tmp_path / "one.txt", "--fs", "1000")
    assert "not a recording: expected columns of numbers" in one_line_error(rc, err)
    (tmp_path / "data.json").write_text(json.dumps({"a": [1, 2, 3]}) + "\n")
    rc, _, err = cli("analyze", tmp_path / "data.json")
    line = one_line_error(rc, err)
    assert "data.json: unknown format: it holds text, not columns of numbers (expected .edf" in line
    # A numeric table without a known extension is still read as text.
    (tmp_path / "table").write_text("".join(f"{v:.3f}\n" for v in np.random.default_rng(0).normal(0, 4, 5000)))
    rc, _, err = cli("analyze", tmp_path / "table", "--fs", "1000", "--no-progress")
    assert rc == 0, err


def test_a_damaged_row_is_named_by_its_line_in_the_file(tmp_path):
    rows = [f"{i / 1000:.3f},{v:.2f}" for i, v in enumerate(np.random.default_rng(1).normal(0, 4, 3000))]
    rows[2500] = "2.500,abc"
    (tmp_path / "r.csv").write_text("\n\ntime,calf\n" + "\n".join(rows) + "\n")
    rc, _, err = cli("analyze", tmp_path / "r.csv", "--no-progress")
    # Two blank lines and the header come first: data row 2500 (0-based) is line 2504.
    assert "r.csv: not a table of numbers: line 2504 holds 'abc' where a number was expected" in one_line_error(rc, err)
    rows[2500] = "2.500"
    (tmp_path / "r.csv").write_text("time,calf\n" + "\n".join(rows) + "\n")
    rc, _, err = cli("analyze", tmp_path / "r.csv", "--no-progress")
    assert "line 2502 has 1 column(s) where the first line has 2" in one_line_error(rc, err)


# --- 5. the status line's clock -------------------------------------------------------------------

@pytest.mark.long
def test_the_status_line_shows_the_clock_the_alerts_use_with_the_night_time_beside_it(tmp_path):
    from emgcramp.io import open_recording

    with open_recording(SAMPLE_NIGHT) as rec:
        start = rec.start
    # The sample night's first 5 min (its start, both its alerts) in 3 s: a status line each second.
    replay = sample_night_head(tmp_path / "head.edf", 300)
    rc, _, err = cli("monitor", "--replay", replay, "--speed", "100", "--out", tmp_path / "nights")
    assert rc == 0, err[-500:]
    status = re.findall(r"^(\d\d:\d\d:\d\d) \(night (\d\d):(\d\d):(\d\d)\) (?:link ok|starting|preparing)",
                        err, re.MULTILINE)
    assert len(status) >= 3
    for clock, h, m, s in status:  # the clock is the night's start plus the time into it
        shown = start + timedelta(hours=int(h), minutes=int(m), seconds=int(s))
        assert clock == f"{shown:%H:%M:%S}"
    alerts = re.findall(r"\*\*\* cramp \(\w+\) on calf since (\d\d:\d\d:\d\d)", err)
    [night] = os.listdir(tmp_path / "nights")
    onsets = [r["onset_s"] for r in map(json.loads, open(tmp_path / "nights" / night / "events.jsonl"))
              if r.get("type") == "alert"]
    assert alerts and alerts == [f"{start + timedelta(seconds=s):%H:%M:%S}" for s in onsets]


def test_a_live_night_shows_the_clock_from_its_first_block():
    import io

    from emgcramp.cli.status import status_printer

    class Live:  # a sensor: no clock of its own
        start, connected, lead_off, problem = None, True, 0, ""

    ch = {"channel": "calf", "level_uv": 4.0, "rest_uv": 4.0, "open": None, "kind": ""}
    err, saved = io.StringIO(), sys.stderr
    sys.stderr = err
    try:
        show = status_printer(Live())
        state = {"t_s": 0.0, "gaps": 0, "cramps": 0, "channels": []}
        show(state)
        show(state | {"t_s": 65.0, "channels": [ch]})
        show(state | {"t_s": 3665.0, "channels": [ch]})  # an hour of signal later, whatever the wall clock says
    finally:
        sys.stderr = saved
    first, second, third = err.getvalue().splitlines()
    assert re.match(r"\d\d:\d\d:\d\d \(night 00:00:00\) starting", first)
    assert second[8:26] == " (night 00:01:05) " and third[8:26] == " (night 01:01:05) "

    def of_day(clock: str) -> int:
        h, m, s = map(int, clock.split(":"))
        return h * 3600 + m * 60 + s

    now = datetime.now()
    off = (of_day(second[:8]) - of_day(f"{now:%H:%M:%S}")) % 86400
    assert min(off, 86400 - off) <= 2  # the first block's signal time ends about now
    assert (of_day(third[:8]) - of_day(second[:8])) % 86400 == 3600  # then the clock runs with the signal


# --- 6. liblsl's log lines -----------------------------------------------------------------------

def _monitor_lsl_out(tmp_path, env, cwd=None):
    """A whole monitored night published with --lsl-out: its stderr.

    liblsl speaks (or not) as the outlets open and close, whatever the night holds: 20 s of rest
    replayed as fast as it goes.
    """
    replay = tmp_path.parent / "rest.npy"
    if not replay.exists():
        np.save(replay, (np.random.default_rng(0).standard_normal(20_000) * 4.0).astype(np.float32))
    rc, _, err = cli("monitor", "--replay", replay, "--fs", "1000", "--speed", "0", "--lsl-out",
                     f"leftovers-{os.getpid()}", "--out", tmp_path, cwd=cwd, env=env)
    assert rc == 0, err[-500:]
    return err


@pytest.mark.long
def test_liblsl_keeps_quiet_under_a_users_own_configuration(tmp_path):
    pytest.importorskip("pylsl")
    (tmp_path / "lab.cfg").write_text("[lab]\nSessionID = default\n")  # a lab's network settings, no [log]
    env = ENV | {"LSLAPICFG": str(tmp_path / "lab.cfg")}
    err = _monitor_lsl_out(tmp_path / "a", env)
    assert "INFO|" not in err and "api_config" not in err, err[:500]
    err = _monitor_lsl_out(tmp_path / "b", ENV)  # no configuration anywhere
    assert "INFO|" not in err, err[:500]
    (tmp_path / "loud.cfg").write_text("[log]\nlevel = 0\n")  # the user asked for liblsl's log
    err = _monitor_lsl_out(tmp_path / "c", ENV | {"LSLAPICFG": str(tmp_path / "loud.cfg")})
    assert "INFO|" in err


def test_verbose_lets_liblsl_speak_and_the_users_settings_are_kept(tmp_path, monkeypatch):
    pytest.importorskip("pylsl")
    code = ("import sys; from emgcramp.live.lsl_out import LslPublisher; "
            "LslPublisher(['calf'], 'leftovers-v', verbose=sys.argv[1] == 'yes')")
    loud = subprocess.run([sys.executable, "-c", code, "yes"], capture_output=True, text=True, env=ENV)
    quiet = subprocess.run([sys.executable, "-c", code, "no"], capture_output=True, text=True, env=ENV)
    assert "INFO|" in loud.stderr and quiet.stderr == ""
    from emgcramp.live.sources import lsl

    monkeypatch.chdir(tmp_path)  # liblsl reads lsl_api.cfg in the working folder when nothing else is named
    monkeypatch.delenv("LSLAPICFG", raising=False)
    (tmp_path / "lsl_api.cfg").write_text("[lab]\nSessionID = night\n")
    assert lsl.liblsl_config() == "[lab]\nSessionID = night\n[log]\nlevel = -3\n"
    (tmp_path / "lsl_api.cfg").write_text("[log]\nfile = /tmp/x.log\n")
    assert lsl.liblsl_config() is None  # the user's own logging: left alone


def test_without_set_config_content_a_private_file_is_named_by_lslapicfg(tmp_path, monkeypatch):
    from emgcramp.live.sources import lsl

    class OldPylsl:  # pylsl before 1.16.1: no set_config_content
        pass

    monkeypatch.setenv("LSLAPICFG", "")
    lsl._give_liblsl(OldPylsl(), "[log]\nlevel = -3\n")
    path = os.environ["LSLAPICFG"]
    try:
        assert open(path).read() == "[log]\nlevel = -3\n" and os.stat(path).st_mode & 0o777 == 0o600
        assert os.path.basename(path).startswith("emgcramp-lsl-")
    finally:
        os.unlink(path)
