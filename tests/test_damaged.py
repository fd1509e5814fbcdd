"""Damaged input, as users have met it: one clear line and exit 2 (or a note and the data read), never a traceback.

Each case runs the real command line in a subprocess and checks its exit
status, that stderr is exactly one line, and that nothing is written where
nothing should be.
"""

import csv
import hashlib
import json
import contextlib
import os
import shutil
import stat
import subprocess
import sys
from datetime import datetime

import numpy as np
import pytest
from conftest import bursts

from emgcramp.core import kernels
from emgcramp.core.config import PERSONAL_MAX_LOGIT
from emgcramp.core.blocks import Block
from emgcramp.core.types import Episode
from emgcramp.io.bids import find_recordings
from emgcramp.io.edf import write_edf
from emgcramp.io.events import COLUMNS, write_events_csv
from emgcramp.io.night import NightLog

FS = 1000.0


# Numba's JIT, asked for when the kernels compiled ahead of time are not current (a kernel edited since the
# build): their one line about it would otherwise join the one line each case checks. Only then, as
# test_bad_input does: loading Numba costs each process ~0.7 s that current kernels do not.
ENV = os.environ | ({kernels.FORCE_JIT_ENV: "1"} if kernels.ahead_of_time() is None else {})


def run(*args):
    """The command line in a subprocess, umask 022 as a user's shell has it: (status, stdout, stderr)."""
    p = subprocess.run([sys.executable, "-m", "emgcramp", *map(str, args)], capture_output=True, text=True,
                       timeout=300, env=ENV, check=False, preexec_fn=lambda: os.umask(0o022))
    return p.returncode, p.stdout, p.stderr


def one_line(err: str) -> str:
    """stderr holds exactly one line and no traceback; that line."""
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.rstrip("\n")


def files_under(folder) -> dict[str, str]:
    """Every file under ``folder`` with a digest of its bytes: what a refused command must leave as it was."""
    out = {}
    for d, _, names in os.walk(folder):
        for name in names:
            with open(os.path.join(d, name), "rb") as f:
                out[os.path.relpath(os.path.join(d, name), folder)] = hashlib.sha256(f.read()).hexdigest()
    return out


# --- 1. BIDS ---------------------------------------------------------------------------------------

def _bids(root, tsv: bytes) -> str:
    """A BIDS dataset of one recording, a 40–70 s cramp on GM and TA quiet; its channels.tsv the bytes given."""
    emg = root / "sub-01" / "ses-1" / "emg"
    os.makedirs(emg)
    (root / "dataset_description.json").write_text(json.dumps({"Name": "calf", "BIDSVersion": "1.11.0"}))
    x = bursts(FS, 120, 4.0, [(40, 70, 300)])
    quiet = bursts(FS, 120, 4.0, [], seed=1)
    write_edf(str(emg / "sub-01_ses-1_task-sleep_emg.edf"), FS, ["GM", "TA"], [np.column_stack([x, quiet])], [])
    (emg / "sub-01_ses-1_task-sleep_channels.tsv").write_bytes(tsv)
    return str(root)


def test_a_latin1_channels_tsv_is_read_with_a_note(tmp_path):
    tsv = ("name\ttype\tunits\ttarget_muscle\nGM\tEMG\tµV\tgastrocnémien médial\n"
           "TA\tEMG\tµV\ttibial antérieur\n").encode("latin-1")
    root = _bids(tmp_path / "ds", tsv)
    rc, _, err = run("analyze", root)
    assert rc == 0, err
    line = one_line(err)
    assert line == (f"emgcramp: note: {root}/sub-01/ses-1/emg/sub-01_ses-1_task-sleep_channels.tsv is not UTF-8, "
                    "as BIDS asks; read as Latin-1 (ISO-8859-1)")
    assert os.path.exists(os.path.join(root, "derivatives", "emgcramp", "sub-01", "ses-1", "emg",
                                       "sub-01_ses-1_task-sleep_desc-cramps_events.tsv"))
    [rec] = find_recordings(root)  # the muscles as the file spells them, not mojibake
    assert rec.muscles == (("GM", "gastrocnémien médial"), ("TA", "tibial antérieur"))


def test_the_derivative_folders_are_owner_only_like_every_other_output(tmp_path):
    root = _bids(tmp_path / "ds", b"name\ttype\nGM\tEMG\nTA\tEMG\n")
    os.makedirs(os.path.join(root, "derivatives", "other"), mode=0o755)  # another pipeline's: left as it is
    os.chmod(os.path.join(root, "derivatives"), 0o755)
    rc, _, err = run("analyze", root)
    assert rc == 0 and err == "", err
    # Every folder the derivative made is 0700, not the umask's 0755 that os.makedirs gives those above the last.
    made = ["emgcramp", "sub-01", "ses-1", "emg"]
    for k in range(1, len(made) + 1):
        path = os.path.join(root, "derivatives", *made[:k])
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o700, path
    assert stat.S_IMODE(os.stat(os.path.join(root, "derivatives")).st_mode) == 0o755


def test_a_new_derivatives_folder_is_owner_only(tmp_path):
    root = _bids(tmp_path / "ds", b"name\ttype\nGM\tEMG\nTA\tEMG\n")
    rc, _, err = run("analyze", root)
    assert rc == 0 and err == "", err
    assert stat.S_IMODE(os.stat(os.path.join(root, "derivatives")).st_mode) == 0o700


def test_a_channels_tsv_row_without_a_name_is_one_line_and_nothing_is_written(tmp_path):
    root = _bids(tmp_path / "ds", b"name\ttype\nGM\tEMG\n\tEMG\n")  # line 3 names none
    before = files_under(root)
    rc, _, err = run("analyze", root)
    # the recording fails alone (a dataset of more goes on), and with it the whole run
    failed, last = err.splitlines()
    assert rc == 2 and "_emg.edf: FAILED: " in failed and "_channels.tsv line 3: no channel name" in failed, err
    assert last == f"emgcramp: error: {root}: none of the 1 recording(s) could be analysed"
    assert files_under(root) == before


# --- 2. trend --------------------------------------------------------------------------------------

def _cells(values: list[str]) -> list[str]:
    return values + [""] * (len(COLUMNS) - len(values))


@pytest.mark.parametrize("header, row, says", [
    (COLUMNS, _cells(["10", "70", "60", "tonic", "abc", "150"]),
     " line 3: column 'peak_intensity' holds 'abc'; expected a number"),
    (COLUMNS, ["10", "70", "60", "tonic"],
     " line 3: the row stops after 4 cell(s), before column 'peak_intensity'; expected a cell for each column "),
    (COLUMNS, ["10", "70", "60", "tonic", "200", "150", "calf"],  # all a cramp needs, then cut (a full disk)
     " line 3: the row stops after 7 cell(s), before column 'onset_clock'; expected a cell for each column "),
    (COLUMNS[:4], ["10", "70", "60", "tonic"],
     ": an events CSV with no 'peak_intensity' column; expected the columns onset_s, offset_s, "),
    (COLUMNS, _cells(["10", "70", "60", "tonic", "200", "150", "calf", "yesterday"]),
     " line 3: column 'onset_clock' holds 'yesterday'; expected a date and time"),
], ids=["bad-value", "short-row", "cut-row", "four-columns", "bad-clock"])
def test_trend_names_the_file_line_and_column_of_a_bad_events_csv(tmp_path, header, row, says):
    nights = tmp_path / "nights"
    os.makedirs(nights / "a")
    good = Episode(600.0, 660.0, 60.0, "tonic", 200.0, 150.0, 4.0, "calf")
    write_events_csv(str(nights / "a" / "night-20260105.csv"), [good], datetime(2026, 1, 5, 23, 0))
    bad = nights / "night-20260106.csv"
    with open(bad, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerow(_cells(["1", "2", "1", "tonic", "200", "150"])[:len(header)])  # a good row first
        w.writerow(row)
    rc, out, err = run("trend", nights, "--out", tmp_path / "trend.png")
    # said, the other night counted and drawn, status 1 (as analyze FOLDER for a file it could not read)
    assert rc == 1 and "1 cramp(s) over 1 night(s)" in out
    assert one_line(err).startswith(f"emgcramp: note: not counted: {bad}{says}") and err.count("\n") == 1, err
    assert os.path.exists(tmp_path / "trend.png")
    os.remove(nights / "a" / "night-20260105.csv")  # the bad night alone: the trend stops, nothing drawn
    os.remove(tmp_path / "trend.png")
    rc, out, err = run("trend", nights, "--out", tmp_path / "trend.png")
    assert rc == 2 and out == ""
    assert one_line(err).startswith(f"emgcramp: error: {bad}{says}"), err
    assert not os.path.exists(tmp_path / "trend.png")


# --- 3. recover ------------------------------------------------------------------------------------

def _night(folder) -> str:
    """A closed night folder: 10 s of rest EMG, a 2-s gap, 10 s more; its last line the end record."""
    log = NightLog(str(folder), FS, ["calf"], datetime(2026, 1, 1, 23, 0, 0))
    rng = np.random.default_rng(0)
    log.block(Block(0, rng.standard_normal((10_000, 1)) * 5.0))
    log.block(Block(12_000, rng.standard_normal((10_000, 1)) * 5.0, gap_before=2000))
    log.close({"duration_s": 22.0, "fs_hz": FS})  # as a night's summary gives them
    return str(folder)


def _read(folder, name: str) -> bytes:
    with open(os.path.join(folder, name), "rb") as f:
        return f.read()


def _edit(folder, name: str, change) -> None:
    """Rewrite the night file ``name`` by ``change`` (its text → the new text); ``None``: remove it."""
    path = os.path.join(folder, name)
    if change is None:
        os.unlink(path)
        return
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(change(text))


def _header_without_channels(text: str) -> str:
    return json.dumps(json.loads(text) | {"channels": []})


def _settings(**personal):
    """A change of raw.json that records ``personal`` among the night's settings (any of them)."""
    def change(text: str) -> str:
        head = json.loads(text)
        return json.dumps(head | {"settings": (head.get("settings") or {}) | personal})
    return change


def _rate(fs: float):
    return lambda text: json.dumps(json.loads(text) | {"fs": fs})


def _three_channels(text: str) -> str:
    return json.dumps(json.loads(text) | {"channels": ["calf", "gm", "ta"]})


def _gap_without_missing(text: str) -> str:
    lines = text.splitlines(True)
    gap = json.loads(lines[0])
    assert gap["type"] == "gap"
    del gap["missing"]
    return json.dumps(gap) + "\n" + "".join(lines[1:])


@pytest.mark.parametrize("name, change, says", [
    ("raw.json", _header_without_channels,
     "raw.json: 'channels' is []; expected the list of the night's channel names"),
    ("events.jsonl", _gap_without_missing,
     "events.jsonl line 1: a gap record with no 'missing' (expected a whole number of samples, 0 to 10¹²)"),
    ("events.jsonl", lambda text: text.replace('"missing": 2000', '"missing": 1000000000000000'),  # an internal
     "events.jsonl line 1: a gap record with 'missing' 1000000000000000 (expected a whole number of samples"),  # error
    ("raw.json", lambda text: json.dumps(json.loads(text) | {"start": "9999-12-31T23:00:00"}),  # overflowed a clock
     "raw.json: 'start' is '9999-12-31T23:00:00'; expected the night's start as a date and time"),
    ("raw.json", _settings(personal_logit_offset=4.0),
     f"raw.json: 'personal_logit_offset' must be a number of log-odds within ±{PERSONAL_MAX_LOGIT:g}, not 4.0"),
    ("raw.json", _settings(personal_weights={"wax": "high"}),
     "raw.json: 'personal_weights' must map input names to numbers (log-odds per SD), not {'wax': 'high'}"),
    ("raw.json", _settings(model="short"), "raw.json: 'model' is \"short\"; expected the id of the cramp decision "
     "that judged the night (12 hexadecimal digits), or none"),
    ("raw.json", _settings(min_duration_s="3"),
     "raw.json: 'min_duration_s' is '3'; expected the shortest cramp in seconds, a number above 0"),
    ("raw.json", _settings(mains=55),
     "raw.json: 'mains' is 55; expected 50, 60, \"auto\" or \"off\""),
    ("raw.json", _settings(mvc_uv=-1.0),
     "raw.json: 'mvc_uv' is -1.0; expected the maximal contraction's level in µV, a number above 0 (or null)"),
    ("raw.json", _settings(cramp_probability=1.5),
     "raw.json: 'cramp_probability' is 1.5; expected a probability above 0 and under 1"),
    ("events.jsonl", None, "events.jsonl: the night's event log is missing; without it the gaps in the night"),
    ("raw.json", _three_channels, "raw.json: names 3 channel(s) at 1000 Hz, but raw.f32 holds the night's length "
     "(its log's end record) only as 1: raw.json's rate or channels were edited, or it belongs to another night"),
    ("raw.json", _rate(500.0), "raw.json: gives 500 Hz, but the night was monitored at 1000 Hz (its log's end "
     "record): raw.json was edited, or is another night's"),
    ("raw.json", _rate(2000.0), "raw.json: gives 2000 Hz, but the night was monitored at 1000 Hz"),  # no channel
    # count fits it: it was taken, its cramps placed at half their times and one counted twice
    ("raw.json", lambda text: json.dumps(json.loads(text) | {"dtype": "complex128"}),
     "raw.json: 'dtype' is 'complex128'; the night's samples are float32, as emgcramp monitor stores them"),
    ("raw.json", _rate(1e300), "raw.json: 'fs' is 1e+300; expected the sampling rate in Hz, a number above 0 and up "
     "to 100000"),
], ids=["no-channels", "gap-without-missing", "gap-of-ages", "start-in-9999", "personal-offset-too-far", "personal-weight-not-a-number",
        "model-not-an-id", "min-duration-a-string", "mains-55", "mvc-negative", "cramp-threshold-over-1", "no-log",
        "three-channels-named-for-one", "rate-halved", "rate-doubled", "samples-said-complex",
        "rate-beyond-any-sensor"])
def test_recover_refuses_a_night_it_cannot_place_in_time_and_writes_nothing(tmp_path, name, change, says):
    folder = _night(tmp_path / "night")
    _edit(folder, name, change)
    before = files_under(folder)
    rc, out, err = run("recover", folder, "--edf", tmp_path / "night.edf")
    assert rc == 2 and out == ""
    line = one_line(err)
    assert line.startswith(f"emgcramp: error: {folder}/") and says in line, line
    assert files_under(folder) == before and not os.path.exists(tmp_path / "night.edf")


@pytest.mark.parametrize("name, make, kind", [
    ("events.jsonl", lambda path: os.symlink("/etc/passwd", path), "a symbolic link"),
    ("raw.json", lambda path: os.symlink(os.path.join(os.path.dirname(path), "other.json"), path), "a symbolic link"),
    ("raw.f32", os.mkfifo, "a pipe"),
    ("raw.json", os.mkfifo, "a pipe"),
], ids=["log-linked-elsewhere", "header-linked", "samples-a-pipe", "header-a-pipe"])
def test_recover_refuses_a_night_file_that_is_a_link_or_a_pipe_at_once(tmp_path, name, make, kind):
    """Read through a link, a night file is another file (/etc/passwd was read as a damaged log); a pipe made
    recover wait for a writer for ever."""
    folder = _night(tmp_path / "night")
    os.replace(os.path.join(folder, name), os.path.join(folder, "other.json"))
    make(os.path.join(folder, name))
    rc, out, err = run("recover", folder)  # its own process: a wait would end at the timeout, failed
    assert rc == 2 and out == "" and one_line(err) == (
        f"emgcramp: error: {folder}/{name}: is {kind}, not a file of the night as emgcramp monitor writes it")
    assert not os.path.exists(os.path.join(folder, "events.csv"))


def test_a_night_whose_length_the_end_record_rounds_to_the_ms_is_read_as_it_was_stored(tmp_path):
    """At 5 kHz a length given to the ms is 2.5 samples out; with a long gap, a count that fit two channels
    made an untouched night unreadable."""
    from emgcramp.io.night_reader import NightRecording

    rng = np.random.default_rng(0)
    log = NightLog(str(tmp_path / "n"), 5000.0, ["calf"], datetime(2026, 1, 1, 23, 0, 0))
    log.block(Block(0, rng.standard_normal((50_000, 1))))
    log.block(Block(110_000, rng.standard_normal((50_002, 1)), gap_before=60_000))
    log.close({"duration_s": round(100_002 / 5000.0, 3)})  # 20.0 s, as the summary rounds it
    rec = NightRecording(str(tmp_path / "n"))
    assert (rec.channel_names, rec.n_samples) == (["calf"], 160_002)


def test_a_log_line_nested_deeper_than_json_parses_is_one_damaged_line(tmp_path):
    whole = _night(tmp_path / "whole")
    damaged = str(tmp_path / "damaged")
    shutil.copytree(whole, damaged)
    _edit(damaged, "events.jsonl", lambda text: text + "[" * 100_000 + "]" * 100_000 + "\n")
    assert run("recover", whole)[0] == 0
    rc, out, err = run("recover", damaged)
    assert rc == 0 and "Traceback" not in err and "internal error" not in err, err
    lines = len(_read(damaged, "events.jsonl").splitlines())
    assert one_line(err) == (f"emgcramp: note: {damaged}/events.jsonl: skipped 1 damaged line(s): line {lines} "
                             "(not JSON); the night is read without them")
    assert _read(damaged, "events.csv") == _read(whole, "events.csv")


@pytest.mark.parametrize("name, what, commands", [
    ("raw.f32", "a file of the night as emgcramp monitor writes it", ("recover", "analyze")),
    ("labels.csv", "a labels file", ("analyze",))])  # recover reads no answers
def test_a_folder_where_a_night_s_file_should_be_is_said_so(tmp_path, name, what, commands):
    """'emgcramp: error: Is a directory: …/raw.f32': the system's words, not ours."""
    night = _night(tmp_path / "n")
    with contextlib.suppress(FileNotFoundError):
        os.remove(os.path.join(night, name))
    os.mkdir(os.path.join(night, name))
    for command in commands:
        rc, _, err = run(command, night)
        assert rc == 2 and one_line(err) == f"emgcramp: error: {night}/{name}: is a folder, not {what}", err


def test_recover_reads_around_a_damaged_event_line_and_says_which(tmp_path):
    whole = _night(tmp_path / "whole")
    damaged = str(tmp_path / "damaged")
    shutil.copytree(whole, damaged)
    _edit(damaged, "events.jsonl", lambda text: "[1, 2]\n" + text)
    log = _read(damaged, "events.jsonl")
    rc, out, err = run("recover", whole)
    assert rc == 0 and err == "", err
    rc, out_damaged, err = run("recover", damaged)
    assert rc == 0
    assert one_line(err) == (f"emgcramp: note: {damaged}/events.jsonl: skipped 1 damaged line(s): line 1 "
                             "(a JSON array, not a record object); the night is read without them")
    # The same night comes back, its gap kept (22 s), and what was written is left as it was.
    assert out_damaged.replace(damaged, whole) == out and "20 s kept" in out
    assert _read(damaged, "events.jsonl") == log
    assert _read(damaged, "events.csv") == _read(whole, "events.csv")



def test_recover_says_it_reads_a_night_without_the_sample_a_crash_cut_short(tmp_path):
    whole = _night(tmp_path / "whole")
    torn = str(tmp_path / "torn")
    shutil.copytree(whole, torn)
    with open(os.path.join(torn, "raw.f32"), "ab") as f:  # kill -9 while a block was written: 3 of 4 bytes
        f.write(b"\x00\x00\x80")
    rc, out, _ = run("recover", whole)
    rc_torn, out_torn, err = run("recover", torn)
    assert rc == rc_torn == 0
    assert one_line(err) == (f"emgcramp: note: {torn}/raw.f32: ends in 3 byte(s) of a sample cut short by a crash; "
                             "the night is read without it")
    assert out_torn.replace(torn, whole) == out
    assert _read(torn, "events.csv") == _read(whole, "events.csv")
    # Read twice in one command (the analysis, then the annotated copy): told once
    rc, _, err_twice = run("analyze", torn, "--edf-out", tmp_path / "copy.edf")
    assert rc == 0 and one_line(err_twice) == one_line(err)

def test_recover_reads_damaged_samples_as_not_stored_and_keeps_the_rest_of_the_night(tmp_path):
    """One NaN in raw.f32 (a disk, a copy) failed the whole night: its cramps were lost with it."""
    x = bursts(FS, 120, 5.0, [(20.0, 50.0, 300.0), (80.0, 110.0, 300.0)])[:, None]
    for name in ("whole", "damaged"):
        log = NightLog(str(tmp_path / name), FS, ["calf"], datetime(2026, 1, 1, 23, 0, 0))
        log.block(Block(0, x))
        log.close({"duration_s": 120.0})
    raw = np.memmap(tmp_path / "damaged" / "raw.f32", "<f4", "r+")
    raw[30_000], raw[90_000:90_300] = np.nan, 3e38  # inside each cramp: one NaN, 0.3 s of garbage
    raw.flush()
    del raw
    rc, _, _ = run("recover", tmp_path / "whole")
    rc_damaged, out, err = run("recover", tmp_path / "damaged")
    assert rc == rc_damaged == 0 and "2 cramp(s)" in out
    assert one_line(err) == (f"emgcramp: note: {tmp_path / 'damaged'}/raw.f32: damaged samples (NaN, infinite or "
                             "beyond any electrode's input) from 30.000 s; read as not stored")
    rows = [list(csv.DictReader(open(tmp_path / n / "events.csv"))) for n in ("whole", "damaged")]
    spans = [[float(r[k]) for r in night for k in ("onset_s", "offset_s")] for night in rows]
    assert len(rows[1]) == len(rows[0]) == 2 and spans[1] == pytest.approx(spans[0], abs=0.05)
    from emgcramp.review.data import load_night, night_json

    lost = night_json(load_night(str(tmp_path / "damaged")))["signal_lost"]  # not "nothing came from the sensor"
    assert [(b["onset_s"], b["offset_s"], b["why"].split(" (")[0]) for b in lost] == [
        (30.0, 30.001, "its samples were damaged in the night's file after they were stored"),
        (90.0, 90.3, "its samples were damaged in the night's file after they were stored")]


# --- 4. XDF ----------------------------------------------------------------------------------------

def _xdf(path, stamps_back_at: int | None = None) -> bytes:
    """A 12-s XDF stream (pyxdf's reader, the test suite's writer); its bytes."""
    pytest.importorskip("pyxdf")
    from test_xdf import FS as XFS
    from test_xdf import write_xdf

    x = bursts(XFS, 12, 4.0, [])[:, None]
    ts = 100.0 + np.arange(len(x)) / XFS
    if stamps_back_at is not None:
        ts[stamps_back_at:] -= 10.0
    write_xdf(path, [("calf", "microvolts", ["GM"], x, ts)])
    with open(path, "rb") as f:
        return f.read()


def test_a_truncated_xdf_is_refused_not_read_in_half(tmp_path):
    data = _xdf(tmp_path / "whole.xdf")
    (tmp_path / "cut.xdf").write_bytes(data[:len(data) // 2])
    rc, out, err = run("analyze", tmp_path / "cut.xdf", "--events", tmp_path / "cut.csv")
    assert rc == 2 and out == ""
    assert one_line(err).startswith(f"emgcramp: error: {tmp_path / 'cut.xdf'}: the XDF file is cut short: "
                                    "stream 'calf' has no footer")
    assert not os.path.exists(tmp_path / "cut.csv")


def test_an_xdf_with_fewer_samples_than_its_footer_counts_is_refused(tmp_path):
    data = _xdf(tmp_path / "whole.xdf")
    # The footer says 6000 samples; make it say 7000, as when chunks were lost inside the file.
    (tmp_path / "short.xdf").write_bytes(data.replace(b"<sample_count>6000<", b"<sample_count>7000<"))
    rc, _, err = run("analyze", tmp_path / "short.xdf")
    assert rc == 2 and "stream 'calf' holds 6000 of the 7000 samples its footer counts" in one_line(err)


def test_a_garbage_xdf_is_one_line_without_pyxdf_s_traceback(tmp_path):
    pytest.importorskip("pyxdf")
    (tmp_path / "junk.xdf").write_bytes(b"XDF:" + np.random.default_rng(1).bytes(3000))
    rc, out, err = run("analyze", tmp_path / "junk.xdf", "--events", tmp_path / "junk.csv")
    assert rc == 2 and out == ""
    assert one_line(err).startswith(f"emgcramp: error: {tmp_path / 'junk.xdf'}: not a readable XDF file")
    assert not os.path.exists(tmp_path / "junk.csv")


def test_xdf_timestamps_stepping_10_s_back_are_refused(tmp_path):
    _xdf(tmp_path / "back.xdf", stamps_back_at=3000)
    rc, _, err = run("analyze", tmp_path / "back.xdf", "--events", tmp_path / "back.csv")
    assert rc == 2
    line = one_line(err)
    assert "the timestamps of stream 'calf' step back 9.998 s at sample 3000" in line
    assert not os.path.exists(tmp_path / "back.csv")


def test_reading_an_xdf_leaves_pyxdf_s_logger_as_it_was(tmp_path):
    import logging

    _xdf(tmp_path / "whole.xdf")
    from emgcramp.io import open_recording

    log = logging.getLogger("pyxdf")
    before = log.handlers[:], log.propagate, log.level
    with open_recording(str(tmp_path / "whole.xdf")) as rec:
        assert rec.n_samples == 6000
    assert (log.handlers, log.propagate, log.level) == before


def test_recover_records_its_settings_before_its_events_so_a_run_cut_short_ends_as_asked_when_run_again(tmp_path):
    folder = _night(tmp_path / "night")
    events = os.path.join(folder, "events.csv")
    if os.path.exists(events):
        os.remove(events)
    os.mkdir(events)  # the events cannot be written: the run stops after raw.json records what was asked
    rc, _, err = run("recover", folder, "--min-duration", "5")
    assert rc == 2 and err.count("\n") == 1 and err.rstrip().endswith("events.csv") and ".part" not in err, err
    assert json.loads(_read(folder, "raw.json"))["settings"]["min_duration_s"] == 5.0
    os.rmdir(events)
    rc, _, err = run("recover", folder)  # no option: what the first run was asked for
    assert rc == 0 and os.path.isfile(events), err
    assert json.loads(_read(folder, "raw.json"))["settings"]["min_duration_s"] == 5.0
    assert oct(os.stat(os.path.join(folder, "raw.json")).st_mode & 0o777) == "0o600"


def test_a_header_nested_past_the_parser_is_one_line(tmp_path):
    folder = _night(tmp_path / "night")
    _edit(folder, "raw.json", lambda text: "[" * 200_000 + "]" * 200_000)
    rc, _, err = run("recover", folder)
    assert rc == 2 and err.count("\n") == 1 and "raw.json: not JSON" in err, err
