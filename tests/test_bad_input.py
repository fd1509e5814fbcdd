"""Every bad input and bad argument a user can give: one line on stderr, status 2, and nothing written.

Each case runs ``python -m emgcramp …`` in a folder of its own holding the few small files it names; the
folder's every file (name and content) must be the same after as before: no output, no partial
``.part`` file, no night folder, no input replaced.
"""

import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import bursts, degc_edf

FS = 1000.0


# --- the files a case may name ---------------------------------------------------------------------------------

def _edf(path, seconds=30.0, names=("calf",)):
    from emgcramp.io.edf import write_edf

    cols = [bursts(FS, seconds, 4.0, [(10.0, 20.0, 200.0)], seed=k) for k in range(len(names))]
    write_edf(path, FS, list(names), [np.column_stack(cols)], [])


def _patched_edf(offset, text):
    def make(path):
        _edf(path)
        data = bytearray(open(path, "rb").read())
        data[offset:offset + len(text)] = text.encode("ascii")
        open(path, "wb").write(bytes(data))
    return make


def _truncated_edf(path):
    _edf(path)
    data = open(path, "rb").read()
    open(path, "wb").write(data[:3000])


def _time_csv(path, n=40_000, jump_at=None, jump_s=5.0):
    t = np.arange(n) / FS
    if jump_at is not None:
        t[jump_at:] += jump_s
    x = np.random.default_rng(0).standard_normal(n) * 5.0
    np.savetxt(path, np.column_stack([t, x]), delimiter=",", header="time,calf_uV", comments="", fmt="%.6f")


def _kpa_csv(path):
    rng = np.random.default_rng(0)
    np.savetxt(path, rng.standard_normal((5000, 2)), delimiter=",", header="pressure [kPa],calf [uV]", comments="")


def _bom_csv(path):  # a spreadsheet's CSV: byte-order mark, one column of µV, no time column
    x = np.random.default_rng(0).standard_normal(5000) * 5.0
    with open(path, "w", encoding="utf-8-sig") as f:
        f.write("calf_uV\n" + "".join(f"{v:.4f}\n" for v in x))


def _events_csv(path, start=None):
    from datetime import datetime

    from emgcramp.core.types import Episode
    from emgcramp.io.events import write_events_csv

    write_events_csv(path, [Episode(60.0, 120.0, 60.0, "tonic", 90.0, 70.0, 5.0)],
                     start or datetime(2026, 1, 1, 23, 0))


def _trend_batch_wrong_columns(path):  # a batch table (file, subject) whose columns are not the events CSV's
    os.mkdir(path)
    with open(os.path.join(path, "all.csv"), "w") as f:
        f.write("onset_s,offset_s,duration_s,kind,peak_intensity,file,subject\n"
                "60.0,120.0,60.0,tonic,90.0,a.edf,01\n")


def _trend_bad_clock(path):
    os.mkdir(path)
    _events_csv(os.path.join(path, "n.csv"))
    text = open(os.path.join(path, "n.csv")).read().replace("2026-01-01T23:01:00", "yesterday")
    open(os.path.join(path, "n.csv"), "w").write(text)


def _trend_extra_cells(path):  # a row with more cells than the header names: shifted or damaged
    os.mkdir(path)
    _events_csv(os.path.join(path, "n.csv"))
    with open(os.path.join(path, "n.csv"), "a") as f:
        f.write("300.0,360.0,60.0,tonic,90.0,70.0,calf,,4.0,22.5,17.5,,1.0,,,calf,0.9,120.0,-0.1,oops,more\n")


def _bids(channels_tsv: str):
    def make(path):
        emg = os.path.join(path, "sub-01", "emg")
        os.makedirs(emg)
        json.dump({"Name": "calf nights", "BIDSVersion": "1.11.0"},
                  open(os.path.join(path, "dataset_description.json"), "w"))
        _edf(os.path.join(emg, "sub-01_task-sleep_emg.edf"))
        open(os.path.join(emg, "sub-01_task-sleep_channels.tsv"), "w").write(channels_tsv)
    return make


def _two_stream_xdf(path):
    pytest.importorskip("pyxdf")
    from test_xdf import FS as XDF_FS
    from test_xdf import write_xdf

    x = np.zeros((1000, 1))
    write_xdf(path, [("left", "uV", ["a"], x, np.arange(1000) / XDF_FS),
                     ("right", "uV", ["b"], x, np.arange(1000) / XDF_FS)])


def _degc_wfdb(path):
    wfdb = pytest.importorskip("wfdb")
    wfdb.wrsamp(path[:-4], fs=FS, units=["degC"], sig_name=["temp"], p_signal=np.full((5000, 1), 36.6),
                fmt=["16"], adc_gain=[100.0], baseline=[0])


def _wav_of_no_channels(path):
    import struct
    import wave

    with wave.open(path, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(1000)
        w.writeframes(np.zeros(5000, "<i2").tobytes())
    data = bytearray(open(path, "rb").read())
    data[22:24] = struct.pack("<H", 0)  # the fmt chunk's channel count
    open(path, "wb").write(bytes(data))


def _wav_said_float(path):
    """16-bit samples under a header that says 32-bit float: read as floats, some are NaN or out of range."""
    import struct
    import wave

    with wave.open(path, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(1000)
        w.writeframes(np.random.default_rng(1).normal(0, 1000, 30000).astype("<i2").tobytes())
    data = bytearray(open(path, "rb").read())
    data[20:22], data[34:36] = struct.pack("<H", 3), struct.pack("<H", 32)  # IEEE float, 32 bits a sample
    open(path, "wb").write(bytes(data))


def _wfdb_record(line: str, signal: str):
    def make(path):
        open(path, "w").write(f"{line}\n{signal}\n")
        open(path[:-4] + ".dat", "wb").write(np.zeros(5000, "<i2").tobytes())
    return make


def _far_events_csv(path):
    """The events of a longer recording: a cramp at 99999 s."""
    from emgcramp.core.types import Episode
    from emgcramp.io.events import write_events_csv

    write_events_csv(path, [Episode(99999.0, 100050.0, 51.0, "tonic", 90.0, 70.0, 5.0)])


def _labelled_edf(path):
    """A recording answered in review: its answers beside it (RECORDING.labels/labels.csv)."""
    _edf(path)
    os.mkdir(path + ".labels")
    open(os.path.join(path + ".labels", "labels.csv"), "w").write(
        "onset_s,offset_s,label,given_at\n10.000,20.000,cramp,2026-01-01T00:00:00\n")


def _events_dir(path):
    os.mkdir(path)
    _events_csv(os.path.join(path, "n.csv"))


def _recordings_dir(path):
    os.mkdir(path)
    _edf(os.path.join(path, "a.edf"))
    _edf(os.path.join(path, "b.edf"))


def _failing_dir(path):
    os.mkdir(path)
    open(os.path.join(path, "a.edf"), "w").write("not an EDF")


def _night_folder(path, header='{"fs": 1000.0, "channels": ["calf"]}'):  # what monitor writes first
    os.mkdir(path)
    open(os.path.join(path, "raw.json"), "w").write(header)
    open(os.path.join(path, "raw.f32"), "wb").write(np.zeros(4000, np.float32).tobytes())


def _huge_range_edf(path):
    import pyedflib

    w = pyedflib.EdfWriter(path, 1, file_type=pyedflib.FILETYPE_EDFPLUS)
    w.setSignalHeaders([{"label": "calf", "dimension": "uV", "sample_frequency": 1000, "physical_max": 9e99,
                         "physical_min": -9e99, "digital_max": 32767, "digital_min": -32768}])
    w.writeSamples([np.random.default_rng(0).standard_normal(10_000) * 1e90])
    w.close()


def _write(content: bytes):
    return lambda path: open(path, "wb").write(content)


def _npy(array):
    return lambda path: np.save(path, array)


def _link(kind):
    """A link to night.edf (made first if the case has not)."""
    def make(path):
        if not os.path.exists("night.edf"):
            _edf("night.edf")
        (os.symlink if kind == "symlink" else os.link)("night.edf", path)
    return make


MAKERS = {
    "night.edf": _edf,
    "other.edf": _edf,
    "leg.edf": lambda p: _edf(p, names=("GM", "GL", "TA")),
    "empty.edf": _write(b""),
    "junk.edf": _write(b"garbage\x00\x01" * 50),
    "junk.wav": _write(b"RIFX\x00\x01garbage" * 20),
    "rec.xyz": _write(b"\x00\x01\x02\x03"),
    "truncated.edf": _truncated_edf,
    "records.edf": _patched_edf(236, "10      "),
    "no_duration.edf": _patched_edf(244, "0       "),
    "no_samples.edf": _patched_edf(688, "-1000   "),  # the calf's samples per record (2 signals: it, annotations)
    "degc.edf": degc_edf,
    "kpa.csv": _kpa_csv,
    "bom.csv": _bom_csv,
    "gap.csv": lambda p: _time_csv(p, jump_at=30_000),
    "uneven.csv": lambda p: _time_csv(p, n=3000, jump_at=2000),
    "nan.csv": _write(b"time_s,emg_uv\n0,nan\n0.001,nan\n"),
    "ragged.csv": _write(b"a,b\n1,2\n3\n"),
    "one_line.csv": _write(b",".join([b"1.0"] * 300_000)),
    "hello.txt": _write(b"hello\n"),
    "not.npy": _write(b"not numpy"),
    "rec.npy": _npy(np.random.default_rng(0).standard_normal(20_000)),
    "flat.npy": _npy(np.zeros(20_000)),
    "short.npy": _npy(np.ones(5)),
    "archive.npy": lambda path: (np.savez(f"{path}.npz", x=np.zeros(20_000)), os.replace(f"{path}.npz", path)),
    "nan_bits.npy": _npy(np.frombuffer(np.random.default_rng(0).normal(0, 5, 20_000).tobytes(), dtype="f4")),
    "events.csv": _events_csv,
    "report.html": _write(b"<html>an earlier report</html>"),
    "bad_profile.json": _write(b'{"mvc_uv": -3}'),
    "junk.json": _write(b"{not json"),
    "deep.json": _write(b"[" * 9000),
    "summary.json": _write(b'{"n_episodes": 3, "episodes": []}'),
    "link.edf": _link("symlink"),
    "hard.edf": _link("hardlink"),
    "empty_dir": os.mkdir,
    "loop.edf": lambda path: os.symlink(path, path),  # a link to itself
    "afile": _write(b"a file where a folder is named"),
    "labelled.edf": _labelled_edf,
    "far.csv": _far_events_csv,
    "gone.edf.labels": lambda path: (os.mkdir(path), open(os.path.join(path, "labels.csv"), "w").write(
        "onset_s,offset_s,label,given_at\n10.000,20.000,cramp,2026-01-01T00:00:00\n")),
    "recordings": _recordings_dir,
    "failing": _failing_dir,
    "nights_events": _events_dir,
    "nights_batch": _trend_batch_wrong_columns,
    "nights_bad_clock": _trend_bad_clock,
    "night-20260101-230000": _night_folder,
    "night-damaged": lambda p: _night_folder(p, "{garbage"),
    "night-no-start": _night_folder,
    "huge.edf": _huge_range_edf,
    "junk.xdf": _write(b"XDF:garbage" * 10),
    "notes.txt": _write(b"Slept badly. Cramp at 3am, left calf.\n"),
    "data.json": _write(b'{"fs": 1000, "samples": [1, 2, 3]}'),
    "bids_bad_channels": _bids("garbage\n\x00\x01\n"),
    "bids": _bids("name\ttype\tunits\ncalf\tEMG\tuV\n"),
    "nights_extra_cells": _trend_extra_cells,
    "two.xdf": _two_stream_xdf,
    "temp.hea": _degc_wfdb,
    "nochan.wav": _wav_of_no_channels,
    "said_float.wav": _wav_said_float,
    "fmt999.hea": _wfdb_record("fmt999 1 1000 5000", "fmt999.dat 999 200 16 0 0 0 0 calf"),
    "fsnan.hea": _wfdb_record("fsnan 1 nan 5000", "fsnan.dat 16 200 16 0 0 0 0 calf"),
    "fsneg.hea": _wfdb_record("fsneg 1 -1 5000", "fsneg.dat 16 200 16 0 0 0 0 calf"),
    b"night\xff.edf": lambda p: (_edf("tmp.edf"), os.rename("tmp.edf", p)),
}


# --- the cases ---------------------------------------------------------------------------------------------

def case(*argv, files=(), id=None, xfail=None, preamble=False):
    """One bad command line; ``files`` are made in its folder first.

    ``preamble``: lines the command prints on stderr as it goes may come before the one error line (a
    folder's files each report their failure on a line; a monitor prints its status line).
    """
    marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
    return pytest.param(list(argv), tuple(files), preamble, marks=marks, id=id)


CASES = [
    # --- recordings that are missing, empty, damaged or of no known kind
    case("analyze", "missing.edf", "--events", "out.csv", id="nonexistent file"),
    case("analyze", "nights/", "--events", "all.csv", "--jobs", "2", id="nonexistent folder with --jobs"),  # a
    # note that nights/ was one recording came first
    case("analyze", "archive.npy", "--fs", "1000", files=["archive.npy"], id="an .npz archive named .npy"),
    case("analyze", "nan_bits.npy", "--fs", "1000", files=["nan_bits.npy"], id="float32 samples of NaN bit patterns"),
    case("analyze", "empty.edf", "--events", "out.csv", files=["empty.edf"], id="empty file"),
    case("analyze", "junk.edf", "--events", "out.csv", files=["junk.edf"], id="binary garbage .edf"),
    case("analyze", "junk.wav", "--events", "out.csv", files=["junk.wav"], id="garbage .wav"),
    case("analyze", "nochan.wav", "--events", "out.csv", files=["nochan.wav"], id="a .wav of 0 channels"),
    case("analyze", "said_float.wav", files=["said_float.wav"], id="a .wav of 16-bit samples said float"),
    case("analyze", "fmt999.hea", "--events", "out.csv", files=["fmt999.hea"], id="WFDB of an unknown format"),
    case("analyze", "fsnan.hea", "--events", "out.csv", files=["fsnan.hea"], id="WFDB at a rate of nan"),
    case("analyze", "fsneg.hea", "--events", "out.csv", files=["fsneg.hea"], id="WFDB at a rate of -1"),
    case("analyze", "rec.xyz", files=["rec.xyz"], id="unknown extension"),
    case("analyze", "truncated.edf", "--events", "out.csv", files=["truncated.edf"], id="EDF cut short"),
    case("analyze", "records.edf", files=["records.edf"], id="EDF header: records disagree with size"),
    case("analyze", "no_duration.edf", files=["no_duration.edf"], id="EDF header: record duration 0"),
    case("analyze", "no_samples.edf", files=["no_samples.edf"], id="EDF header: -1000 samples per record"),
    case("analyze", b"night\xff.edf", files=[b"night\xff.edf"], id="file name not UTF-8"),
    case("analyze", "degc.edf", "--channel", "skin", files=["degc.edf"], id="EDF channel in degC"),
    case("analyze", "kpa.csv", "--fs", "1000", files=["kpa.csv"], id="CSV column pressure [kPa]"),
    case("analyze", "bom.csv", files=["bom.csv"], id="CSV with UTF-8 BOM and no --fs"),
    case("analyze", "gap.csv", "--events", "out.csv", files=["gap.csv"], id="CSV time column with a gap"),
    case("analyze", "uneven.csv", files=["uneven.csv"], id="CSV time column not evenly sampled"),
    case("analyze", "nan.csv", "--events", "out.csv", files=["nan.csv"], id="CSV of NaN samples"),
    case("analyze", "ragged.csv", files=["ragged.csv"], id="CSV rows of unequal length"),
    case("analyze", "one_line.csv", "--fs", "1000", files=["one_line.csv"], id="CSV signal on one line"),
    case("analyze", "hello.txt", files=["hello.txt"], id="text with no numbers"),
    case("analyze", "not.npy", "--fs", "1000", files=["not.npy"], id="garbage .npy"),
    case("analyze", "short.npy", "--fs", "1000", "--events", "out.csv", files=["short.npy"], id="NPY under 2 s"),
    case("analyze", "flat.npy", "--fs", "1000", "--events", "out.csv", files=["flat.npy"], id="flat signal"),
    case("analyze", "rec.npy", files=["rec.npy"], id="NPY without --fs"),
    case("analyze", "huge.edf", files=["huge.edf"], id="EDF physical range 9e99"),
    case("analyze", "junk.xdf", files=["junk.xdf"], id="garbage .xdf"),
    case("analyze", "notes.txt", files=["notes.txt"], id="prose .txt"),
    case("analyze", "data.json", files=["data.json"], id="JSON file"),
    case("analyze", "bids_bad_channels", files=["bids_bad_channels"], id="BIDS with a damaged channels.tsv",
         preamble=True),
    case("analyze", "bids", "--json", files=["bids"], id="BIDS dataset with --json (its results are files)"),
    case("analyze", "night-damaged", files=["night-damaged"], id="night folder with a damaged raw.json"),
    case("analyze", "two.xdf", files=["two.xdf"], id="XDF of two streams without --stream"),
    case("analyze", "two.xdf", "--stream", "nope", files=["two.xdf"], id="XDF --stream unknown"),
    case("analyze", "temp.hea", files=["temp.hea"], id="WFDB channel in degC"),
    case("analyze", "empty_dir", files=["empty_dir"], id="folder with no recordings"),
    case("analyze", "loop.edf", files=["loop.edf"], id="a link round in a loop"),
    case("analyze", "night.edf", "--events", "afile/x.csv", files=["night.edf", "afile"], id="--events in a file"),
    case("trend", "night.edf", files=["night.edf"], id="trend of a file"),
    case("simulate", "--hours", "1e-9", "x.edf", id="simulate --hours 1e-9"),
    case("simulate", "--hours", "0.01", "--force", "labelled.edf", files=["labelled.edf"],
         id="simulate over a recording with answers beside it"),
    case("demo", "--hours", "0.01", "--keep", "labelled.edf", files=["labelled.edf"],
         id="demo --keep over a recording with answers beside it"),
    case("simulate", "--hours", "0.01", "gone.edf", files=["gone.edf.labels"],
         id="simulate where a recording's answers outlived it"),
    case("monitor", "--replay", "night.edf", "--speed", "0", "--out", "night-damaged",
         files=["night.edf", "night-damaged"], id="monitor --out into a night folder"),
    case("monitor", "--replay", "night.edf", "--speed", "0", "--out", "afile", files=["night.edf", "afile"],
         id="monitor --out a file"),
    case("analyze", "failing", "--events", "all.csv", files=["failing"], id="folder where every file fails",
         preamble=True),
    case("analyze", "nomatch*.edf", "--events", "all.csv", id="glob matching nothing"),
    # --- sampling rate and channel
    case("analyze", "rec.npy", "--fs", "abc", files=["rec.npy"], id="--fs abc"),
    case("analyze", "rec.npy", "--fs", "-5", files=["rec.npy"], id="--fs -5"),
    case("analyze", "rec.npy", "--fs", "nan", files=["rec.npy"], id="--fs nan"),
    case("analyze", "rec.npy", "--fs", "inf", files=["rec.npy"], id="--fs inf"),
    case("analyze", "rec.npy", "--fs", "0", files=["rec.npy"], id="--fs 0"),
    case("analyze", "rec.npy", "--fs", "50", files=["rec.npy"], id="--fs 50 (under 200 Hz)"),
    case("analyze", "night.edf", "--fs", "500", files=["night.edf"], id="--fs disagrees with the EDF"),
    case("analyze", "night.edf", "--channel", "99", files=["night.edf"], id="--channel 99"),
    case("analyze", "night.edf", "--channel", "nope", files=["night.edf"], id="--channel unknown name"),
    case("analyze", "leg.edf", "--channel", "GM,nope", files=["leg.edf"], id="--channel list with unknown name"),
    case("analyze", "leg.edf", "--channel", "GM,GM", files=["leg.edf"], id="--channel names one twice"),
    case("analyze", "night.edf", "--channel", "", files=["night.edf"], id="--channel empty"),
    case("analyze", "night.edf", "--channel", "-1", files=["night.edf"], id="--channel -1"),
    case("analyze", "rec.npy", "--fs", "1000", "--scale", "abc", files=["rec.npy"], id="--scale abc"),
    case("analyze", "rec.npy", "--fs", "1000", "--scale", "0", files=["rec.npy"], id="--scale 0"),
    case("analyze", "rec.npy", "--fs", "1000", "--scale", "nan", files=["rec.npy"], id="--scale nan"),
    # --- detector options
    case("analyze", "night.edf", "--mains", "55", files=["night.edf"], id="--mains 55"),
    case("analyze", "night.edf", "--min-duration", "0", files=["night.edf"], id="--min-duration 0"),
    case("analyze", "night.edf", "--min-duration", "-1", files=["night.edf"], id="--min-duration -1"),
    case("analyze", "night.edf", "--mvc-uv", "abc", files=["night.edf"], id="--mvc-uv abc"),
    case("analyze", "night.edf", "--mvc-uv", "0", files=["night.edf"], id="--mvc-uv 0"),
    case("analyze", "night.edf", "--mvc-uv", "inf", files=["night.edf"], id="--mvc-uv inf"),
    case("analyze", "night.edf", "--min-duration", "inf", files=["night.edf"], id="--min-duration inf"),
    case("analyze", "night.edf", "--cramp-threshold", "1", files=["night.edf"], id="--cramp-threshold 1"),
    case("monitor", "--replay", "night.edf", "--cramp-threshold", "abc", files=["night.edf"],
         id="--cramp-threshold abc"),
    case("analyze", "night.edf", "--profile", "missing.json", files=["night.edf"], id="--profile missing"),
    case("analyze", "night.edf", "--profile", "bad_profile.json", files=["night.edf", "bad_profile.json"],
         id="--profile with a negative MVC"),
    case("analyze", "night.edf", "--profile", "junk.json", files=["night.edf", "junk.json"],
         id="--profile not JSON"),
    case("analyze", "night.edf", "--profile", "deep.json", files=["night.edf", "deep.json"],
         id="--profile nested deeper than JSON parses"),
    case("analyze", "night.edf", "--profile", "summary.json", files=["night.edf", "summary.json"],
         id="--profile is another JSON file (analyze --json)"),
    case("analyze", "night.edf", "--profile", "empty_dir", files=["night.edf", "empty_dir"],
         id="--profile is a folder"),
    # --- batch options
    case("analyze", "recordings", "--jobs", "0", files=["recordings"], id="analyze DIR --jobs 0"),
    case("analyze", "recordings", "--jobs", "two", files=["recordings"], id="analyze DIR --jobs two"),
    case("analyze", "recordings", "--events", "recordings/a.edf", files=["recordings"],
         id="batch table over one of its inputs"),
    # --- outputs
    case("analyze", "night.edf", "--events", "x.csv", "--lm-events", "x.csv", files=["night.edf"],
         id="--events X --lm-events X"),
    case("analyze", "night.edf", "--events", "x.edf", "--edf-out", "x.edf", files=["night.edf"],
         id="--events X --edf-out X"),
    case("analyze", "night.edf", "--edf-out", "copy.csv", files=["night.edf"],
         id="--edf-out named as no EDF (written as EDF+, then refused as a table)"),
    case("analyze", "night.edf", "--events", "other.edf", files=["night.edf", "other.edf"],
         id="--events over an existing recording without --force"),
    case("analyze", "night.edf", "--lm-events", "events.csv", files=["night.edf", "events.csv"],
         id="--lm-events over an events CSV (another output's) without --force"),
    case("analyze", "night.edf", "--events", "night.edf", "--force", files=["night.edf"], id="--events is the input"),
    case("analyze", "night.edf", "--lm-events", "link.edf", "--force", files=["night.edf", "link.edf"],
         id="--lm-events is a symlink to the input"),
    case("analyze", "night.edf", "--edf-out", "hard.edf", "--force", files=["night.edf", "hard.edf"],
         id="--edf-out is a hard link to the input"),
    case("analyze", "night.edf", "--events", "nowhere/out.csv", files=["night.edf"], id="--events in a missing folder"),
    case("analyze", "night.edf", "--events", "empty_dir", files=["night.edf", "empty_dir"], id="--events is a folder"),
    case("analyze", "night.edf", "--events", "night-20260101-230000/x.csv",
         files=["night.edf", "night-20260101-230000"], id="--events into a monitor night folder"),
    case("analyze", "rec.npy", "--fs", "1000.5", "--edf-out", "x.edf", files=["rec.npy"],
         id="--edf-out of a rate that is not whole"),
    # --- the grammar
    case("analyze", id="analyze without a file"),
    case("analyze", "night.edf", "--frobnicate", files=["night.edf"], id="unknown option"),
    case("frobnicate", id="unknown command"),
    # --- monitor and emulate
    case("monitor", "--replay", "night.edf", "--speed", "-1", files=["night.edf"], id="monitor --speed -1"),
    case("monitor", "--replay", "night.edf", "--speed", "abc", files=["night.edf"], id="monitor --speed abc"),
    case("monitor", "--replay", "missing.edf", id="monitor --replay nonexistent file"),
    case("monitor", "--replay", "junk.edf", files=["junk.edf"], id="monitor --replay garbage"),
    case("monitor", "--replay", "night.edf", "--channel", "99", files=["night.edf"], id="monitor --channel 99"),
    case("monitor", "--replay", "rec.npy", files=["rec.npy"], id="monitor --replay NPY without --fs"),
    case("monitor", "--out", "nights", id="monitor without a source"),
    case("monitor", "--replay", "night.edf", "--serial", "/dev/null", files=["night.edf"], id="monitor two sources"),
    case("monitor", "--replay", "night.edf", "--give-up", "0", files=["night.edf"], id="monitor --give-up 0"),
    case("monitor", "--replay", "night.edf", "--alert-on", "nope", files=["night.edf"], id="monitor --alert-on nope"),
    case("monitor", "--replay", "night.edf", "--ascii", files=["night.edf"], id="monitor --ascii with a replay"),
    case("monitor", "--replay", "night.edf", "--board-param", "a=b", files=["night.edf"],
         id="monitor --board-param with a replay"),
    case("monitor", "--serial", "/dev/no-such-port", "--speed", "2", id="monitor --speed with a sensor"),
    case("monitor", "--ble", "auto", "--scale", "2", id="monitor --scale with a binary sensor"),
    case("monitor", "--replay", "night.edf", "--scale", "2", files=["night.edf"], id="monitor --scale with an EDF"),
    case("analyze", "night.edf", "--scale", "2", files=["night.edf"], id="analyze --scale with an EDF"),
    case("monitor", "--serial", "./no-sensor", "--fs", "500", id="monitor --fs with a binary sensor"),
    case("monitor", "--replay", "night.edf", "--muscles", "GM", files=["night.edf"], id="monitor --muscles with a replay"),
    case("monitor", "--replay", "night.edf", "--give-up", "5", files=["night.edf"], id="monitor --give-up with a replay"),
    case("monitor", "--serial", "/dev/null", id="monitor --serial a device that is no port"),
    case("monitor", "--replay", "night.edf", "--out", "events.csv", files=["night.edf", "events.csv"],
         id="monitor --out is a file"),
    case("monitor", "--serial", "./no-sensor", "--give-up", "1", id="monitor a port that never appears",
         preamble=True),
    case("monitor", "--serial", "./no-sensor", "--ascii", "--give-up", "1", id="monitor --ascii without --fs"),
    case("monitor", "--serial", "./no-sensor", "--ascii", "--fs", "500", id="monitor --ascii without --scale"),
    case("monitor", "--brainflow", "nope", id="monitor unknown BrainFlow board"),
    case("monitor", "--brainflow", "synthetic", "--board-param", "oops", id="monitor --board-param not KEY=VALUE"),
    case("bench", "speed", "--figure", "x.png", id="bench speed --figure"),
    case("bench", "accuracy", "--fs", "500", id="bench accuracy --fs"),
    case("emulate", "--speed", "nan", id="emulate --speed nan"),
    case("emulate", "--pty", "night.edf", "--hours", "0.01", files=["night.edf"], id="emulate --pty over a file"),
    case("emulate", "--pty", "nowhere/sensor", "--hours", "0.01", id="emulate --pty in a missing folder"),
    case("emulate", "missing.edf", id="emulate nonexistent file"),
    case("emulate", "junk.edf", files=["junk.edf"], id="emulate garbage"),
    case("emulate", "--hours", "0", id="emulate --hours 0"),
    case("emulate", "--pty", "sensor", "--fs", "96000", "--hours", "0.01", id="emulate a rate its protocol cannot carry"),
    case("emulate", "--pty", "sensor", "--fs", "333.5", "--hours", "0.01", id="emulate a rate that is not whole"),
    case("emulate", "rec.npy", "--pty", "sensor", files=["rec.npy"], id="emulate NPY without --fs"),
    case("emulate", "--pty", "sensor", "--scale", "2", "--hours", "0.01", id="emulate --scale without a file"),
    # --- calibrate
    case("calibrate", "--rest", "2:30", id="calibrate without a source"),
    case("calibrate", "--file", "missing.edf", "--rest", "0:5", id="calibrate nonexistent file"),
    case("calibrate", "--file", "night.edf", files=["night.edf"], id="calibrate without --rest"),
    case("calibrate", "--file", "night.edf", "--rest", "20:10", files=["night.edf"], id="calibrate --rest backwards"),
    case("calibrate", "--file", "night.edf", "--rest", "abc", files=["night.edf"], id="calibrate --rest abc"),
    case("calibrate", "--file", "night.edf", "--rest", "0:5", "--mvc", "nan:inf", files=["night.edf"],
         id="calibrate --mvc nan:inf"),
    case("calibrate", "--file", "night.edf", "--rest", "100:200", files=["night.edf"],
         id="calibrate --rest past the end"),
    case("calibrate", "--file", "night.edf", "--rest", "0:8", "--mvc", "0:8", files=["night.edf"],
         id="calibrate an MVC that is not maximal"),
    case("calibrate", "--file", "night.edf", "--rest", "0:8", "--channel", "99", files=["night.edf"],
         id="calibrate --channel 99"),
    case("calibrate", "--file", "night.edf", "--rest", "0:8", "--out", "events.csv",
         files=["night.edf", "events.csv"], id="calibrate --out over an events CSV"),
    case("calibrate", "--file", "night.edf", "--rest", "0:8", "--out", "night.edf", files=["night.edf"],
         id="calibrate --out is the input"),
    case("calibrate", "--file", "night.edf", "--rest", "0:8", "--out", "nowhere/p.json", files=["night.edf"],
         id="calibrate --out in a missing folder"),
    case("calibrate", "--serial", "./no-sensor", id="calibrate a port that does not exist"),
    case("calibrate", "--serial", "./no-sensor", "--mvc-s", "-1", id="calibrate --mvc-s -1"),
    case("calibrate", "--serial", "./no-sensor", "--rest-s", "0", id="calibrate --rest-s 0"),
    # --- recover
    case("recover", "missing_dir", id="recover nonexistent folder"),
    case("recover", "empty_dir", files=["empty_dir"], id="recover a folder that is not a night"),
    case("recover", "rec.npy", files=["rec.npy"], id="recover a file, not a folder"),
    case("recover", "night-damaged", files=["night-damaged"], id="recover a damaged raw.json"),
    case("recover", "night-no-start", files=["night-no-start"], id="recover a raw.json without a start"),
    case("recover", "night-no-start", "--edf", "night-no-start/x.edf", files=["night-no-start"],
         id="recover --edf inside the night folder"),
    # --- report
    case("report", "night.edf", files=["night.edf"], id="report without --out"),
    case("report", "missing.edf", "--out", "r.html", id="report nonexistent file"),
    case("report", "night.edf", "--out", "r.txt", files=["night.edf"], id="report --out of unknown kind"),
    case("report", "night.edf", "--out", "ragged.csv", files=["night.edf", "ragged.csv"],
         id="report --out an existing file of no report kind"),
    case("report", "night.edf", "--out", "nowhere/r.html", files=["night.edf"], id="report --out in a missing folder"),
    case("report", "night.edf", "--out", "report.html", files=["night.edf", "report.html"],
         id="report over an existing report without --force"),
    case("report", "night.edf", "--out", "night.edf", "--force", files=["night.edf"], id="report --out is the input"),
    case("report", "night.edf", "--events", "missing.csv", "--out", "r.html", files=["night.edf"],
         id="report --events nonexistent"),
    case("report", "night.edf", "--events", "ragged.csv", "--out", "r.html", files=["night.edf", "ragged.csv"],
         id="report --events not an events CSV"),
    case("report", "night.edf", "--events", "far.csv", "--out", "r.png", files=["night.edf", "far.csv"],
         id="report --events of a longer recording"),
    # --- trend
    case("trend", "missing_dir", id="trend nonexistent folder"),
    case("trend", "empty_dir", files=["empty_dir"], id="trend folder with no events CSV"),
    case("trend", "nights_batch", files=["nights_batch"], id="trend over a batch CSV of wrong columns"),
    case("trend", "nights_bad_clock", files=["nights_bad_clock"], id="trend over a CSV with a bad clock cell"),
    case("trend", "nights_extra_cells", files=["nights_extra_cells"], id="trend over a row with extra cells"),
    case("trend", "nights_events", "--out", "trend.xyz", files=["nights_events"], id="trend --out of unknown kind"),
    case("trend", "nights_events", "--out", "report.html", files=["nights_events", "report.html"],
         id="trend --out over an existing file without --force"),
    # --- review
    case("review", "missing.edf", id="review nonexistent file"),
    case("review", "junk.edf", files=["junk.edf"], id="review garbage"),
    case("review", "empty_dir", files=["empty_dir"], id="review folder with no nights"),
    case("review", "night.edf", "--port", "99999", files=["night.edf"], id="review --port 99999"),
    case("review", "night.edf", "--idle-exit", "0", files=["night.edf"], id="review --idle-exit 0"),
    # --- simulate, demo, bench
    case("simulate", "--fs", "1000000000", "x.edf", id="simulate --fs 1000000000"),
    case("simulate", "--fs", "100", "x.edf", id="simulate --fs 100"),
    case("simulate", "--fs", "1000.5", "x.edf", id="simulate --fs 1000.5"),
    case("simulate", "--hours", "1000", "x.edf", id="simulate --hours 1000"),
    case("simulate", "--hours", "0", "x.edf", id="simulate --hours 0"),
    case("simulate", "--hours", "nan", "x.edf", id="simulate --hours nan"),
    case("simulate", "--seed", "abc", "x.edf", id="simulate --seed abc"),
    case("simulate", "--seed", "-1", "x.edf", id="simulate --seed -1"),
    case("analyze", "night.edf", "--mvc-uv", "1e-300", files=["night.edf"], id="--mvc-uv 1e-300"),
    case("simulate", "--start", "yesterday", "x.edf", id="simulate --start yesterday"),
    case("simulate", "--hours", "0.01", "--calibration", "x.edf", id="simulate --calibration too short"),
    case("simulate", "--hours", "0.01", "night.edf", files=["night.edf"], id="simulate over an existing recording"),
    case("simulate", "--hours", "0.01", "nowhere/x.edf", id="simulate into a missing folder"),
    case("simulate", "--hours", "0.01", "x.csv", id="simulate an EDF+ named .csv"),
    case("demo", "--hours", "0.01", "--keep", "nowhere/x.edf", id="demo --keep in a missing folder"),
    case("demo", "--fs", "50", id="demo --fs 50"),
    case("demo", "--hours", "0.01", "--keep", "night.edf", files=["night.edf"], id="demo --keep over a recording"),
    case("bench", "nope", id="bench unknown kind"),
    case("bench", "accuracy", "--scenario", "nope", id="bench unknown scenario"),
    case("bench", "accuracy", "--jobs", "0", id="bench --jobs 0"),
    case("analyze", "rec.npy", "--fs", "1000", "--scale", "1e308", files=["rec.npy"],
         id="--scale so large it overflowed (NumPy's warning leaked)"),
    case("bench", "speed", "--hours", "0.001", "--fs", "10", id="bench speed --fs under sEMG rates"),
    case("bench", "speed", "--hours", "0.01", "--fs", "1e9", id="bench speed --fs that fills the memory"),
    case("bench", "accuracy", "--hours", "0.0001", id="bench accuracy nights under 2 s"),
    case("bench", "accuracy", "--seeds", "0", id="bench --seeds 0"),
    case("bench", "accuracy", "--hours", "1000", id="bench --hours 1000"),
    case("bench", "speed", "--hours", "inf", id="bench speed --hours inf"),
    case("bench", "speed", "--fs", "0", id="bench speed --fs 0"),
    case("bench", "speed", "--channels", "0", id="bench speed --channels 0"),
    case("bench", "speed", "--channels", "1000000", id="bench speed --channels 1000000"),
]


# --- the test --------------------------------------------------------------------------------------------------

def _listing(folder: str) -> dict[str, str]:
    """Every entry under ``folder``: relative path → digest of its content, its link target, or 'folder'."""
    out = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(root, name)
            rel = os.path.relpath(path, folder)
            if os.path.islink(path):
                out[rel] = "-> " + os.readlink(path)
            elif os.path.isdir(path):
                out[rel] = "folder"
            else:
                out[rel] = hashlib.sha256(open(path, "rb").read()).hexdigest()
    return out


def _env() -> dict:
    from emgcramp.core import kernels

    env = dict(os.environ, BROWSER="true")  # a review that did start would open no page
    if kernels.ahead_of_time() is None:  # else the fallback's one-line notice comes before the error
        env[kernels.FORCE_JIT_ENV] = "1"
    return env


@pytest.mark.parametrize("argv,files,preamble", CASES)
def test_bad_input_is_one_line_status_2_and_nothing_written(argv, files, preamble, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in files:
        MAKERS[name](name)
    before = _listing(str(tmp_path))
    p = subprocess.run([sys.executable, "-m", "emgcramp", *argv], cwd=tmp_path, env=_env(), capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=120)
    err = p.stderr.decode("utf-8", "replace")
    lines = err.replace("\r", "\n").splitlines()
    assert p.returncode == 2, f"status {p.returncode}: {err[-800:]}"
    assert "Traceback" not in err and err.endswith("\n"), err[-800:]
    error = [line for line in lines if line.strip()][-1:] if preamble else lines
    assert len(error) == 1 and error[0].startswith("emgcramp") and "error" in error[0], err[-800:]
    assert _listing(str(tmp_path)) == before


def test_a_report_of_no_kind_is_named_as_such_before_the_file_it_would_replace(tmp_path):
    from conftest import run_cli

    (tmp_path / "old.csv").write_text("a,b\n")
    rc, _, err = run_cli("report", os.path.join(os.path.dirname(__file__), "..", "recordings", "sample_night.edf"),
                         "--out", tmp_path / "old.csv")
    assert rc == 2 and "choose a .html, .png, .pdf or .svg file" in err and "--force" not in err
    assert (tmp_path / "old.csv").read_text() == "a,b\n"


def test_an_unknown_option_points_at_the_commands_own_help():
    from conftest import run_main

    rc, _, err = run_main("analyze", "night.edf", "--frobnicate")
    assert rc == 2 and err == "emgcramp analyze: error: unrecognized arguments: --frobnicate " \
                              "(see emgcramp analyze --help)\n"
    rc, _, err = run_main("--frobnicate")
    assert rc == 2 and err.endswith("unrecognized arguments: --frobnicate (see emgcramp --help)\n")


@pytest.mark.parametrize("given, says", [
    ((), "give --fs HZ and --scale UV (the samples a second, and the µV per number they send: 1 when the board "
         "sends µV)"),
    (("--fs", "500"), "give --scale UV (the µV per number they send: 1 when the board sends µV)\n"),  # not a rate
    (("--scale", "1"), "give --fs HZ (the samples a second)\n")])
def test_ascii_lines_ask_for_what_they_lack_at_once(tmp_cwd, given, says):
    """Without --fs it asked for --fs alone ("this format does not carry one"), and then for --scale."""
    from conftest import run_main

    rc, _, err = run_main("monitor", "--serial", "./no-sensor", "--ascii", "--give-up", "1", *given)
    assert rc == 2 and says in err and err.count("\n") == 1


@pytest.mark.parametrize("start, says", [("1960-06-01T23:00", "starts between 1970 and 2999"),
                                         ("3001-01-01T00:00", "starts between 1970 and 2999"),
                                         ("2026-06-01T23:00+05:00", "with no time zone; give it without one")])
def test_a_start_edf_cannot_hold_is_refused_not_replaced_by_now(tmp_cwd, start, says):
    """EDFlib wrote the time of writing for 1960 or 3001 and dropped the time zone, status 0 and no word."""
    from conftest import run_main

    rc, _, err = run_main("simulate", "s.edf", "--hours", "0.01", "--start", start)
    assert rc == 2 and says in err and err.count("\n") == 1 and not os.path.exists("s.edf")
    assert run_main("simulate", "s.edf", "--hours", "0.01", "--start", "1970-01-01T00:00")[0] == 0


def test_an_annotated_copy_is_named_as_the_edf_it_is(tmp_cwd):
    from conftest import SAMPLE_NIGHT, run_main

    rc, _, err = run_main("analyze", SAMPLE_NIGHT, "--edf-out", "copy.csv")
    assert rc == 2 and err.strip().endswith("--edf-out copy.csv: the copy written is EDF+; name it NAME.edf (NAME.bdf "
                                            "from a BDF)") and not os.path.exists("copy.csv")
    assert run_main("analyze", SAMPLE_NIGHT, "--edf-out", "copy.EDF")[0] == 0 and os.path.getsize("copy.EDF") > 1000


def test_a_folder_that_takes_no_file_is_named_by_the_output_not_its_part_file(tmp_cwd):
    """It named the hidden part file: 'No such file or directory: /proc/.s.edf.9981-c0857b92.kinblgh5.part'."""
    from conftest import run_main

    rc, _, err = run_main("simulate", "/proc/s.edf", "--hours", "0.01")
    assert rc == 2 and err.strip().endswith(": /proc/s.edf") and ".part" not in err and err.count("\n") == 1


@pytest.mark.parametrize("extra", [("--baud", "9600"), ("--rest-s", "5"), ("--mvc-s", "0")])
def test_a_sensors_option_given_with_a_file_is_refused_not_ignored(tmp_cwd, extra):
    from conftest import SAMPLE_NIGHT, run_main

    rc, _, err = run_main("calibrate", "--file", SAMPLE_NIGHT, "--rest", "2:32", *extra, "--out", "p.json")
    assert rc == 2 and f"{extra[0]} is for calibrating from a sensor, not from --file" in err
    assert err.count("\n") == 1 and not os.path.exists("p.json")
