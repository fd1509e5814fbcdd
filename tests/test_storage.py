"""Storing, with real processes and real files: a disk full at the start or at the end of a night,
and the one rule for output files (never an input or a night's own files; an existing one only with --force).

A refusal is checked in a process of its own (:func:`run_cli`: exit status 2 and one line on stderr);
what a command writes when it may, in this process (:func:`run_main`).
"""

import csv
import errno
import fcntl
import hashlib
import json
import os
import resource
import shlex
import shutil
import subprocess
import sys
from datetime import datetime

import numpy as np
import pytest
from conftest import SAMPLE_NIGHT, run_cli, run_main

from emgcramp.core.blocks import Block
from emgcramp.core.types import Episode
from emgcramp.io.night import NightLog
from emgcramp.io.night_reader import read_events
from emgcramp.io.secure import NIGHT_FILES, is_night_folder

MONITOR = [sys.executable, "-m", "emgcramp", "monitor", "--replay", SAMPLE_NIGHT, "--speed", "0"]


def _limited(nbytes):
    """preexec_fn: a file-size limit (bytes per file), as a full disk or a quota would set."""
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))


def _digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def _night(folder, seconds=20):
    """A small night folder as monitor leaves it: ``seconds`` of rest EMG at 1 kHz, µV."""
    log = NightLog(str(folder), 1000.0, ["calf"], datetime(2026, 1, 1, 23, 0, 0))
    log.block(Block(0, np.random.default_rng(0).standard_normal((seconds * 1000, 1)) * 5.0))
    log.close({"duration_s": float(seconds)})
    return str(folder)


# --- a full disk at the end of a night -------------------------------------------------------------

@pytest.mark.long
def test_a_night_that_ends_on_a_full_disk_prints_its_table_and_exits_4(tmp_path):
    # 300 bytes a file: raw.json fits, nearly nothing else does, to the end of the night.
    p = subprocess.run(MONITOR + ["--out", str(tmp_path / "nights")], capture_output=True, text=True,
                       timeout=300, preexec_fn=_limited(300))
    assert p.returncode == 4, p.stderr
    assert "Traceback" not in p.stderr and p.stderr.count("emgcramp: error:") == 1
    last = p.stderr.splitlines()[-1]
    assert last.startswith("emgcramp: error: the night is not stored whole in") and "(File too large)" in last
    assert "event record(s) and events.csv could not be written" in last
    # The table is all there is of the night: printed in full whatever the disk says.
    rows = [line for line in p.stdout.splitlines() if " tonic " in line]
    assert [row.split()[0] for row in rows] == ["123.7s", "219.1s"]
    assert "3 cramp(s) in 0.33 h, 3 alert(s)" in p.stdout
    [name] = os.listdir(tmp_path / "nights")
    assert not os.path.exists(tmp_path / "nights" / name / "events.csv")


def full_log(tmp_path, monkeypatch, retry_s=0.0):
    """A NightLog whose writes fail with ENOSPC while ``full[0]``."""
    from emgcramp.io import night

    full = [False]
    real = night._write_all

    def write(fd, data):
        if full[0]:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd, data)

    monkeypatch.setattr(night, "_write_all", write)
    monkeypatch.setattr(night, "FLUSH_S", 0.0)
    return NightLog(str(tmp_path / "n"), 100.0, ["calf"], retry_s=retry_s), full


def test_events_wait_in_memory_and_are_written_when_the_disk_takes_them(tmp_path, monkeypatch):
    log, full = full_log(tmp_path, monkeypatch, retry_s=3600.0)  # no timed retry: the next write retries
    log.block(Block(0, np.ones((100, 1))))
    full[0] = True
    for onset in (2.0, 10.0, 20.0):
        log.episode(Episode(onset, onset + 5.0, 5.0, "tonic", 50.0, 40.0, 4.0))
    log.event({"type": "alert", "channel": "calf", "onset_s": 20.0, "kind": "tonic", "at_s": 22.0})
    assert os.path.getsize(tmp_path / "n" / "events.jsonl") == 0 and log.stopped_since == pytest.approx(1.0)
    full[0] = False  # room again: the end record brings every one that waited, in order
    log.close({"duration_s": 30.0})
    assert log.lost_events == 0
    events = read_events(str(tmp_path / "n"))
    assert [e["type"] for e in events] == ["cramp", "cramp", "cramp", "alert", "end"]
    assert [e["onset_s"] for e in events[:3]] == [2.0, 10.0, 20.0]


def test_a_night_that_closes_on_a_full_disk_counts_what_it_could_not_store(tmp_path, monkeypatch):
    log, full = full_log(tmp_path, monkeypatch)
    log.block(Block(0, np.ones((100, 1))))
    full[0] = True
    log.block(Block(100, np.ones((200, 1))))
    log.episode(Episode(1.5, 5.0, 3.5, "tonic", 50.0, 40.0, 4.0))
    log.close({"duration_s": 3.0})
    assert log.lost_events == 2  # the cramp and the end record: the caller must say so
    assert log.unstored_s == pytest.approx(2.0) and log.store_error == "No space left on device"
    assert read_events(str(tmp_path / "n")) == []


# --- a full disk at the start -------------------------------------------------------------------------

def test_no_room_at_the_start_is_one_line_and_leaves_no_night_folder(tmp_path):
    p = subprocess.run(MONITOR + ["--out", str(tmp_path / "nights")], capture_output=True, text=True,
                       timeout=300, preexec_fn=_limited(50))  # raw.json (about 100 bytes) does not fit
    assert p.returncode == 2
    [line] = [x for x in p.stderr.splitlines() if x.startswith("emgcramp:")]
    assert "cannot store the night in" in line and line.endswith(": File too large")
    assert "Traceback" not in p.stderr and p.stdout == ""
    assert not os.path.exists(tmp_path / "nights")  # made for the night, it went with it


def test_a_night_log_that_cannot_start_leaves_nothing(tmp_path):
    code = ("import resource; resource.setrlimit(resource.RLIMIT_FSIZE, (50, 50))\n"  # raw.json does not fit
            f"from emgcramp.io.night import NightLog\nNightLog({str(tmp_path / 'new')!r}, 1000.0, ['calf'])\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "InputError: cannot store the night in" in p.stderr
    assert not (tmp_path / "new").exists()  # the folder it made goes too


def _tmpfs(tmp_path, script):
    """Run ``script`` (sh) with a 64-kB tmpfs on tmp_path/disk, mounted in a mount namespace of its own."""
    disk = tmp_path / "disk"
    disk.mkdir()
    probe = subprocess.run(["unshare", "-m", "mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)],
                           capture_output=True) if shutil.which("unshare") and os.geteuid() == 0 else None
    if probe is None or probe.returncode:
        pytest.skip("needs root and unshare to mount a small tmpfs")
    mount = f"mount -t tmpfs -o size=64k tmpfs {shlex.quote(str(disk))}"
    return subprocess.run(["unshare", "-m", "sh", "-c", f"{mount} && {script}"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)


@pytest.mark.long
def test_a_real_full_disk_at_the_end_prints_the_table_and_exits_4(tmp_path):
    monitor = shlex.join(MONITOR)
    p = _tmpfs(tmp_path, f"{monitor} --out {tmp_path}/disk/nights; echo rc=$?")
    assert p.stdout.splitlines()[-1] == "rc=4", p.stderr
    assert "3 cramp(s) in 0.33 h, 3 alert(s)" in p.stdout
    last = p.stderr.splitlines()[-1]
    assert last.startswith("emgcramp: error: the night is not stored whole") and "No space left on device" in last


@pytest.mark.long
def test_the_cramps_a_full_disk_left_unstored_are_flagged_alike_live_and_by_recover(tmp_path):
    # 1 MB a file: 256 s of the 1200-s night's samples are stored; the cramps from 219 s and 1131 s are not whole
    p = subprocess.run(MONITOR + ["--out", str(tmp_path / "nights")], capture_output=True, text=True,
                       timeout=300, preexec_fn=_limited(1_024_000))
    assert p.returncode == 4 and "944 s of the samples could not be written" in p.stderr, p.stderr
    [name] = os.listdir(tmp_path / "nights")
    folder = tmp_path / "nights" / name
    live = (folder / "events.csv").read_text()
    rows = list(csv.DictReader(live.splitlines()))
    assert [(r["onset_s"], r["flags"]) for r in rows] == [("123.720", ""), ("219.080", "not_stored"),
                                                          ("1130.980", "not_stored")]
    rc, _, err = run_cli("recover", folder)
    assert rc == 0, err
    assert (folder / "events.csv").read_text() == live  # one night, one table


def test_a_real_full_disk_at_the_start_leaves_no_night_folder(tmp_path):
    monitor, nights = shlex.join(MONITOR), shlex.quote(f"{tmp_path}/disk/nights")
    fill = f"dd if=/dev/zero of={shlex.quote(f'{tmp_path}/disk/fill')} bs=4k 2>/dev/null"  # until the disk is full
    p = _tmpfs(tmp_path, f"mkdir {nights} && ({fill}; true) && {monitor} --out {nights}; echo rc=$?; ls -A {nights}")
    assert p.stdout.splitlines() == ["rc=2"], p.stderr
    assert p.stderr.splitlines()[-1].endswith("No space left on device")


# --- outputs: never an input, never a night's own files, an existing file only with --force ----------

@pytest.mark.parametrize("target", [*NIGHT_FILES, "events.csv", "new.edf", "link"])
def test_recover_never_writes_into_its_own_night(tmp_path, target):
    folder = _night(tmp_path / "night")
    before = {n: _digest(os.path.join(folder, n)) for n in NIGHT_FILES}
    out = os.path.join(folder, target)
    if target == "link":  # a name outside that points into the night
        out = str(tmp_path / "copy.edf")
        os.symlink(os.path.join(folder, "raw.f32"), out)
    rc, _, err = run_cli("recover", folder, "--edf", out, "--force")
    assert rc == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert "night folder" in err or "is the input" in err
    assert {n: _digest(os.path.join(folder, n)) for n in NIGHT_FILES} == before
    assert not os.path.exists(os.path.join(folder, "new.edf"))


def test_recover_replaces_an_edf_only_with_force(tmp_path):
    folder = _night(tmp_path / "night")
    (tmp_path / "night.edf").write_text("an earlier copy")
    rc, _, err = run_cli("recover", folder, "--edf", tmp_path / "night.edf")
    assert rc == 2 and "is not this command's own earlier output; give --force" in err and err.count("\n") == 1
    assert (tmp_path / "night.edf").read_text() == "an earlier copy"
    assert not os.path.exists(os.path.join(folder, "events.csv"))  # refused before any work
    rc, _, err = run_main("recover", folder, "--edf", tmp_path / "night.edf", "--force")
    assert rc == 0, err
    assert open(tmp_path / "night.edf", "rb").read(8) == b"0       "  # an EDF header now
    assert os.stat(tmp_path / "night.edf").st_mode & 0o777 == 0o600
    assert is_night_folder(folder)
    # Its own copy, once written, is replaced by the next recover without --force.
    rc, _, err = run_main("recover", folder, "--edf", tmp_path / "night.edf")
    assert rc == 0, err


@pytest.mark.parametrize("option, name", [("--events", "old.csv"), ("--lm-events", "old.csv"),
                                          ("--edf-out", "old.edf")])
def test_analyze_refuses_an_existing_output_without_force(tmp_cwd, option, name):
    open(name, "w").write("keep me")
    rc, out, err = run_cli("analyze", SAMPLE_NIGHT, option, name)
    assert rc == 2 and out == ""
    assert err == (f"emgcramp: error: {name} exists and is not this command's own earlier output; give --force to "
                   "replace it, or choose another output file\n")
    assert open(name).read() == "keep me"
    rc, _, err = run_main("analyze", SAMPLE_NIGHT, option, name, "--force", "--no-progress")
    assert rc == 0, err
    assert open(name, "rb").read(7) != b"keep me" and os.stat(name).st_mode & 0o777 == 0o600


def test_force_never_lets_an_output_be_an_input_or_a_night_file(tmp_path):
    shutil.copy(SAMPLE_NIGHT, tmp_path / "n.edf")
    before = _digest(tmp_path / "n.edf")
    rc, _, err = run_main("analyze", tmp_path / "n.edf", "--events", tmp_path / "n.edf", "--force")
    assert rc == 2 and "is the input" in err and _digest(tmp_path / "n.edf") == before
    folder = _night(tmp_path / "night")
    rc, _, err = run_cli("analyze", folder, "--events", os.path.join(folder, "events.csv"), "--force")
    assert rc == 2 and "is in the night folder" in err and err.count("\n") == 1
    rc, _, err = run_main("analyze", SAMPLE_NIGHT, "--lm-events", os.path.join(folder, "lm.csv"), "--force")
    assert rc == 2 and "is in the night folder" in err
    assert sorted(os.listdir(folder)) == sorted(NIGHT_FILES)


def test_two_outputs_of_one_run_may_not_share_a_file(tmp_cwd):
    rc, _, err = run_main("analyze", SAMPLE_NIGHT, "--events", "x.csv", "--lm-events", "./x.csv")
    assert rc == 2 and "name the same file" in err and not os.path.exists("x.csv")
    # also when the file is there already (an earlier events CSV): the clash is said first, not "exists"
    assert run_main("analyze", SAMPLE_NIGHT, "--events", "x.csv")[0] == 0
    rc, _, err = run_main("analyze", SAMPLE_NIGHT, "--events", "x.csv", "--lm-events", "./x.csv")
    assert rc == 2 and "name the same file" in err and err.count("\n") == 1


@pytest.mark.parametrize("argv, out", [
    (["simulate", "--hours", "0.02", "n.edf"], "n.edf"),
    (["simulate", "--hours", "0.02", "m.edf"], "m.truth.json"),
    (["demo", "--hours", "0.02", "--keep", "n.edf"], "n.edf"),
    (["report", SAMPLE_NIGHT, "--out", "r.html"], "r.html"),
    (["trend", "n", "--out", "t.png"], "t.png"),
])
def test_every_command_that_writes_files_refuses_a_file_not_its_own_without_force(tmp_cwd, argv, out):
    from emgcramp.io.events import write_events_csv

    os.mkdir("n")
    write_events_csv("n/2026-01-01.csv", [], datetime(2026, 1, 1, 23, 0, 0))  # a night for trend
    open(out, "w").write("keep me")
    rc, _, err = run_cli(*argv)
    assert rc == 2 and f"{out} exists and is not this command's own earlier output" in err, err
    assert err.count("\n") == 1 and open(out).read() == "keep me"


@pytest.mark.parametrize("argv, out", [
    (["analyze", SAMPLE_NIGHT, "--no-progress", "--events", "e.csv"], "e.csv"),
    (["analyze", SAMPLE_NIGHT, "--no-progress", "--lm-events", "lm.csv"], "lm.csv"),
    (["analyze", SAMPLE_NIGHT, "--no-progress", "--edf-out", "copy.edf"], "copy.edf"),
    (["analyze", "nights", "--events", "all.csv"], "all.csv"),
    (["report", SAMPLE_NIGHT, "--out", "r.html"], "r.html"),
    (["report", SAMPLE_NIGHT, "--out", "r.png"], "r.png"),
    (["trend", "n", "--out", "t.png"], "t.png"),
    (["trend", "n", "--out", "t.pdf"], "t.pdf"),
])
def test_a_command_run_again_replaces_its_own_output_without_force(tmp_cwd, argv, out):
    from emgcramp.io.events import write_events_csv

    os.mkdir("n")
    write_events_csv("n/2026-01-01.csv", [], datetime(2026, 1, 1, 23, 0, 0))
    os.mkdir("nights")
    shutil.copy(SAMPLE_NIGHT, "nights/a.edf")
    rc, _, err = run_main(*argv)
    assert rc == 0, err
    os.utime(out, (0, 0))  # so that a replaced file shows
    rc, _, err = run_main(*argv)
    assert rc == 0, err
    assert os.stat(out).st_mtime > 0 and os.stat(out).st_mode & 0o777 == 0o600
    if out.endswith(".csv"):  # but not another option's own output: an events CSV is no lm-events CSV
        other = "--lm-events" if "--events" in argv else "--events"
        rc, _, err = run_main("analyze", SAMPLE_NIGHT, "--no-progress", other, out)
        assert rc == 2 and "not this command's own earlier output" in err


@pytest.mark.long
def test_one_commands_figure_is_not_anothers_own(tmp_cwd):
    """A trend plot over a report's figure (or the reverse) needs --force: each replaces only its own."""
    from emgcramp.io.events import write_events_csv

    os.mkdir("n")
    write_events_csv("n/2026-01-01.csv", [], datetime(2026, 1, 1, 23, 0, 0))
    report, trend = ("report", SAMPLE_NIGHT, "--out"), ("trend", "n", "--out")
    for first, then in ((report, trend), (trend, report)):
        assert run_main(*first, "f.png")[0] == 0
        before = open("f.png", "rb").read()
        rc, _, err = run_cli(*then, "f.png")
        assert rc == 2 and "f.png exists and is not this command's own earlier output; give --force" in err, err
        assert open("f.png", "rb").read() == before
        assert run_main(*then, "f.png", "--force")[0] == 0 and open("f.png", "rb").read() != before
        os.remove("f.png")
    import matplotlib.pyplot as plt

    fig = plt.figure()
    fig.savefig("old.png", metadata={"Software": "emgcramp"})  # an earlier version's mark, naming no command
    plt.close(fig)
    assert run_main(*trend, "old.png")[0] == 0  # replaced as it was then


def test_a_file_that_only_mentions_the_package_is_not_taken_for_its_output(tmp_cwd):
    """Any file holding the word emgcramp was replaced without --force: a diary page, a thesis figure's notes,
    a recording the simulator wrote copied under a figure's name."""
    os.mkdir("n")
    from emgcramp.io.events import write_events_csv

    write_events_csv("n/2026-01-01.csv", [], datetime(2026, 1, 1, 23, 0, 0))
    assert run_main("simulate", "--hours", "0.01", "rec.edf")[0] == 0
    shutil.copy("rec.edf", "copy.png")
    open("diary.html", "w").write("<p>My cramp diary: started with emgcramp report this week.</p>")
    open("thesis.pdf", "w").write("Figure 2 (emgcramp trend) of my thesis\n")
    for args in (("report", SAMPLE_NIGHT, "--out", "diary.html"), ("trend", "n", "--out", "thesis.pdf"),
                 ("trend", "n", "--out", "copy.png")):
        before = open(args[-1], "rb").read()
        rc, _, err = run_cli(*args)
        assert rc == 2 and f"{args[-1]} exists and is not this command's own earlier output" in err, err
        assert open(args[-1], "rb").read() == before


@pytest.mark.long
def test_simulate_and_demo_run_again_replace_their_own_night(tmp_cwd):
    assert run_main("simulate", "--hours", "0.02", "n.edf")[0] == 0
    rc, _, err = run_main("simulate", "--hours", "0.02", "--seed", "2", "n.edf")
    assert rc == 0, err
    assert '"seed": 2' in open("n.truth.json").read()
    rc, _, err = run_main("demo", "--hours", "0.02", "--keep", "n.edf")
    assert rc == 0, err
    assert '"seed": 2' not in open("n.truth.json").read()
    # a recording, another command's EDF+ copy, or a truth file of another kind is not its own
    shutil.copy(SAMPLE_NIGHT, "rec.edf")
    assert run_main("analyze", SAMPLE_NIGHT, "--no-progress", "--edf-out", "copy.edf")[0] == 0
    for name in ("rec.edf", "copy.edf"):
        rc, _, err = run_cli("simulate", "--hours", "0.02", name)
        assert rc == 2 and "not this command's own earlier output" in err and err.count("\n") == 1
    assert run_cli("analyze", SAMPLE_NIGHT, "--edf-out", "n.edf")[0] == 2  # nor is the night --edf-out's own
    open("m.truth.json", "w").write('{"notes": "mine"}')
    assert run_main("simulate", "--hours", "0.02", "m.edf")[0] == 2 and not os.path.exists("m.edf")
    rc, _, err = run_main("simulate", "--hours", "0.02", "m.edf", "--force")
    assert rc == 0, err
    assert '"spec"' in open("m.truth.json").read()


def test_force_and_the_exit_statuses_are_in_the_help():
    import argparse

    from emgcramp.cli.parser import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    writers = sorted(name for name, p in sub.choices.items() if any("--force" in a.option_strings for a in p._actions))
    assert writers == ["analyze", "bench", "demo", "recover", "report", "simulate", "trend"]
    help_text = " ".join(sub.choices["recover"].format_help().split())
    assert "--force replace an output file that exists but is not this command's own" in help_text and "a file in a monitor night folder" in help_text
    rc, out, _ = run_main("monitor", "--help")
    assert rc == 0 and "exit status:" in out and "\n  4 " in out and "4 is given however the night ended" in out


def test_recover_keeps_an_alerted_cramp_whose_samples_never_reached_the_disk(tmp_path):
    from conftest import bursts

    # The monitor alerted and logged cramps at 150 s and 300 s; a crash left samples up to 120 s on disk only.
    # The one at 300 s was withdrawn in the log (a possible cramp in the end): not a cramp to keep.
    log = NightLog(str(tmp_path / "n"), 1000.0, ["calf"], datetime(2026, 1, 1, 23, 0, 0))
    log.block(Block(0, bursts(1000.0, 120.0, 4.0, [], seed=1)[:, None]))
    for on, off in ((150.0, 210.0), (300.0, 320.0)):
        log.episode(Episode(on, off, off - on, "tonic", 400.0, 300.0, 4.0, "calf", probability=0.93))
    log.event({"type": "retracted", "channel": "calf", "onset_s": 300.0, "reason": "possible_cramp"})
    for damaged in ({"type": "retracted", "channel": "calf"}, {"type": "cramp", "onset_s": 400.0},
                    {"type": "cramp", "onset_s": "400", "offset_s": 420.0}, {"type": "cramp", "onset_s": None},
                    {"type": "cramp", "onset_s": 500.0, "offset_s": 520.0, "probability": 7}):
        log.event(damaged)  # what a damaged or foreign log may hold: passed over, never a crash
    log.flush()  # then the crash: no close, no end record; the lock goes with the dead process
    fcntl.flock(log._raw, fcntl.LOCK_UN)
    rc, out, err = run_main("recover", str(tmp_path / "n"), "--edf", str(tmp_path / "n.edf"))
    assert rc == 0, err
    assert "1 cramp(s), 1 of them alerted where no samples were stored" in out
    [row] = list(csv.DictReader(open(tmp_path / "n" / "events.csv")))
    assert (row["onset_s"], row["duration_s"], row["probability"]) == ("150.000", "60.000", "0.930")
    assert row["flags"] == "not_stored" and row["onset_clock"] == "2026-01-01T23:02:30"
    import pyedflib

    with pyedflib.EdfReader(str(tmp_path / "n.edf")) as r:
        assert [n for n in r.readAnnotations()[2] if n.startswith("cramp")] == ["cramp:tonic peak 400 uV"]
    # analyze (and review, through it) read the night as recover does
    rc, out, err = run_main("analyze", str(tmp_path / "n"), "--json")
    assert rc == 0 and [e["flags"] for e in json.loads(out)["episodes"]] == [["not_stored"]], err
    # a stricter threshold given to recover applies to it too
    rc, out, err = run_main("recover", str(tmp_path / "n"), "--cramp-threshold", "0.95")
    assert rc == 0 and "0 cramp(s)" in out and len(open(tmp_path / "n" / "events.csv").readlines()) == 1, err


def test_recover_refuses_a_night_a_monitor_is_still_writing_and_takes_it_once_ended(tmp_path):
    """It wrote the night's events.csv under the running monitor, saying 'the monitor had not finished'."""
    from conftest import bursts

    log = NightLog(str(tmp_path / "n"), 1000.0, ["calf"], datetime(2026, 1, 1, 23, 0, 0))
    log.block(Block(0, bursts(1000.0, 30.0, 4.0, [(10.0, 20.0, 300.0)], seed=2)[:, None]))
    log.flush()
    rc, out, err = run_cli("recover", tmp_path / "n")  # another process, as a person would run it
    assert rc == 2 and err.strip() == (f"emgcramp: error: {tmp_path / 'n'}: the night is still being monitored; "
                                       "recover it once that monitor has ended")
    assert not os.path.exists(tmp_path / "n" / "events.csv")
    log.close(None)  # the monitor ends (or dies: the lock goes with its process)
    rc, out, err = run_cli("recover", tmp_path / "n")
    assert rc == 0 and os.path.exists(tmp_path / "n" / "events.csv"), err


def test_recover_keeps_a_cramp_alerted_under_way_when_the_monitor_died_before_it_closed(tmp_path):
    """A fast replay's samples wait for the disk while the analysis runs ahead: kill -9 under an alerted cramp
    left its alert in the log and no samples, nor any cramp record. It is kept from the alert, flagged
    open_at_end and not_stored; a warning's alert, and an alert whose cramp closed in the log, add nothing."""
    from conftest import bursts

    log = NightLog(str(tmp_path / "n"), 1000.0, ["calf"], datetime(2026, 1, 1, 23, 0, 0))
    log.block(Block(0, bursts(1000.0, 120.0, 4.0, [], seed=1)[:, None]))
    log.event({"type": "alert", "channel": "calf", "onset_s": 130.0, "kind": "warning", "at_s": 131.0})
    log.event({"type": "alert", "channel": "calf", "onset_s": 150.0, "kind": "tonic", "at_s": 190.0, "peak_uv": 350.0})
    log.flush()
    fcntl.flock(log._raw, fcntl.LOCK_UN)  # the crash: no close, no end record
    rc, out, err = run_main("recover", str(tmp_path / "n"))
    assert rc == 0 and "1 cramp(s), 1 of them alerted where no samples were stored" in out, err
    [row] = list(csv.DictReader(open(tmp_path / "n" / "events.csv")))
    assert (row["onset_s"], row["offset_s"], row["kind"], row["peak_intensity"]) == ("150.000", "190.000", "tonic",
                                                                                     "350.00")
    assert row["flags"] == "open_at_end;not_stored" and row["probability"] == ""
    # the review page (and report --out NIGHT.html) lists it too, its level over rest not known
    from emgcramp.review.data import load_night, night_json

    [event] = night_json(load_night(str(tmp_path / "n")))["events"]
    assert (event["onset_s"], event["peak_uv"], event["x_rest"], event["strength"]) == (150.0, 350.0, None, "unknown")


def test_recover_keeps_the_logged_cramps_of_a_night_whose_samples_are_too_short_to_analyse(tmp_path):
    """kill -9 a second into a fast replay: the log held an alerted cramp, raw.f32 0.1 s (stored once a second);
    recover said the signal was too short and wrote no events.csv, and the alerted cramp was gone."""
    for name, logged in (("n", True), ("m", False)):
        log = NightLog(str(tmp_path / name), 1000.0, ["calf"], datetime(2026, 1, 1, 23, 0, 0))
        log.block(Block(0, np.random.default_rng(1).normal(0.0, 4.0, (100, 1))))
        if logged:
            log.episode(Episode(123.72, 159.76, 36.04, "tonic", 426.0, 348.0, 3.8, "calf", probability=0.69))
        log.flush()
        fcntl.flock(log._raw, fcntl.LOCK_UN)  # the crash
    rc, out, err = run_main("recover", str(tmp_path / "n"))
    assert rc == 0, err
    assert out.strip() == (f"{tmp_path / 'n'}: the samples stored cannot be analysed (signal is 0.1 s long: at least "
                           "2 s are needed); 1 cramp(s) alerted live kept from the night's log (flagged not_stored); "
                           "events.csv written")
    [row] = list(csv.DictReader(open(tmp_path / "n" / "events.csv")))
    assert (row["onset_s"], row["duration_s"], row["flags"], row["probability"]) == ("123.720", "36.040", "not_stored",
                                                                                     "0.690")
    # the settings given apply as on any recovered night, and an EDF copy asked for is said not to be written
    rc, out, err = run_main("recover", str(tmp_path / "n"), "--edf", str(tmp_path / "n.edf"))
    assert rc == 0 and out.strip().endswith(f"events.csv written; {tmp_path / 'n.edf'} not written: too few samples "
                                            "to copy") and not os.path.exists(tmp_path / "n.edf"), err
    rc, out, err = run_main("recover", str(tmp_path / "n"), "--min-duration", "60")
    assert rc == 2 and err == f"emgcramp: error: {tmp_path / 'n'}: signal is 0.1 s long: at least 2 s are needed\n"
    rc, out, err = run_main("recover", str(tmp_path / "m"))  # nothing in its log: no night to make of it
    assert rc == 2 and err == f"emgcramp: error: {tmp_path / 'm'}: holds 0.1 s of signal, under the 2 s a night's " \
        "analysis needs, and no cramp in its log: nothing to recover; remove the folder\n" and out == ""
    assert not os.path.exists(tmp_path / "m" / "events.csv")


@pytest.mark.long
def test_a_night_folder_that_takes_no_new_file_at_the_end_still_prints_the_table(tmp_path, monkeypatch):
    """A folder made read-only in the night: its events.csv refused in our words ended the monitor before the
    table, status 2, where a full disk prints the night and exits 4."""
    from conftest import SAMPLE_NIGHT, run_main

    from emgcramp.core.errors import InputError
    from emgcramp.io import secure

    real = secure._check_folder

    def refuse(path):
        if path.endswith("events.csv"):
            raise InputError(f"cannot write {path}: folder {os.path.dirname(path)} is not writable")
        real(path)

    monkeypatch.setattr(secure, "_check_folder", refuse)
    rc, out, err = run_main("monitor", "--replay", SAMPLE_NIGHT, "--speed", "0", "--out", tmp_path / "n")
    assert rc == 4 and "3 cramp(s) in 0.33 h, 3 alert(s)" in out
    assert "is not writable): " in err and "events.csv could not be written" in err


def test_the_night_log_is_strict_json_a_level_not_known_is_null(tmp_path):
    """A night begun on a flat line ended with "rest_uv": NaN in its log: no JSON reader but Python's takes it."""
    import json

    from emgcramp.io.night import NightLog

    log = NightLog(str(tmp_path / "n"), 1000.0, ["calf"], datetime(2026, 1, 1, 23, 0, 0))
    log.event({"type": "note", "level": float("nan"), "levels": [np.float32("nan"), 1.5]})
    log.close(None)
    lines = open(tmp_path / "n" / "events.jsonl").read().splitlines()
    first = json.loads(lines[0], parse_constant=lambda c: pytest.fail(f"{c} is no JSON"))
    assert first == {"type": "note", "level": None, "levels": [None, 1.5]}
