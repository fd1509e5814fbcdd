"""Readers and writers: units fixed at the edge, EDF+ that MNE opens, 0600 files."""

import csv
import json
import os
import re
import stat
import subprocess
import sys
import warnings

import numpy as np
import pyedflib
import pytest
from conftest import SAMPLE_NIGHT, bursts, degc_edf, run_cli, run_main

import emgcramp
from emgcramp.core.errors import InputError, SettingsWarning
from emgcramp.core.types import Episode
from emgcramp.io import detect_format, holds_no_samples, open_recording
from emgcramp.io.edf import write_edf
from emgcramp.io.events import COLUMNS, write_events_csv


def read_all(rec, channel=None, chunk=777):
    ch = rec.channel_index(channel)
    return np.concatenate([b.samples[:, 0] for b in rec.blocks([ch], chunk)])


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_edf_roundtrip_with_annotations(tmp_path):
    x = bursts(500.0, 12, 4.0, [(3, 8, 200)])
    p = str(tmp_path / "n.edf")
    write_edf(p, 500.0, ["calf"], [x[:2500, None], x[2500:, None]], [(3.0, 5.0, "truth:tonic")])
    assert mode(p) == 0o600
    with open_recording(p) as rec:
        assert rec.fs == 500.0 and rec.channel_names == ["calf"] and rec.n_samples == 6000
        y = read_all(rec)
        assert rec.annotations() == [(3.0, 5.0, "truth:tonic")]
    np.testing.assert_allclose(y, x, atol=16000 / 65535)  # one LSB of ±8000 µV in 16 bits


@pytest.mark.parametrize("bdf", [False, True])
def test_damaged_annotations_are_one_line_and_the_samples_still_read(tmp_path, bdf):
    """Annotations are read only when asked for; a damaged TAL then fails alone, and reading goes on."""
    from emgcramp.io.edf_header import layout

    x = bursts(500.0, 6, 4.0, [(2, 4, 200)])
    p = str(tmp_path / ("n.bdf" if bdf else "n.edf"))
    write_edf(p, 500.0, ["calf"], [x[:, None]], [(1.0, 1.0, "note")], bdf=bdf)
    lay = layout(p)
    data = bytearray(open(p, "rb").read())
    tal = sum(lay.per_record[:-1]) * lay.width  # the annotation signal comes last in each record
    for r in range(lay.records):
        at = lay.header + r * lay.record_bytes + tal
        data[at:at + 8] = b"garbage!"
    open(p, "wb").write(bytes(data))
    with open_recording(p) as rec:
        with pytest.raises(InputError, match="not a readable EDF/BDF file"):
            rec.annotations()
        y = read_all(rec)
    lsb = 2 * 8000 / (2 ** 24 if bdf else 2 ** 16)
    np.testing.assert_allclose(y, x, atol=lsb)


def test_edf_partial_last_record_is_padded(tmp_path):
    p = str(tmp_path / "n.edf")
    write_edf(p, 250.0, ["a"], [np.arange(600.0)[:, None]])
    with open_recording(p) as rec:
        y = read_all(rec)
    assert len(y) == 750 and y[599] == pytest.approx(599, abs=0.3) and y[-1] == pytest.approx(599, abs=0.3)


def test_edf_millivolt_channel_is_scaled_to_microvolts(tmp_path):
    p = str(tmp_path / "mv.bdf")
    w = pyedflib.EdfWriter(p, 1, file_type=pyedflib.FILETYPE_BDFPLUS)
    w.setSignalHeaders([{"label": "GM", "dimension": "mV", "sample_frequency": 1000, "physical_max": 5.0,
                         "physical_min": -5.0, "digital_max": 8388607, "digital_min": -8388608}])
    w.writeSamples([np.full(2000, 0.25)])
    w.close()
    with open_recording(p) as rec:
        assert rec.channel_index("gm") == 0
        np.testing.assert_allclose(read_all(rec), 250.0, atol=0.01)


def test_mne_reads_our_edf_and_annotations():
    mne = pytest.importorskip("mne")
    raw = mne.io.read_raw_edf(SAMPLE_NIGHT, preload=False, verbose="error")
    assert raw.info["sfreq"] == 1000.0 and raw.ch_names == ["calf"]
    assert "truth:tonic" in set(raw.annotations.description)


@pytest.mark.parametrize("bdf", [False, True])
def test_a_recording_without_a_start_is_written_as_edf_plus_says_and_read_back_without_one(tmp_path, bdf):
    """EDF+ marks an unknown start with "Startdate X": no clock made up from the day it was written."""
    from datetime import datetime

    p = str(tmp_path / ("n.bdf" if bdf else "n.edf"))
    write_edf(p, 250.0, ["calf"], [np.zeros((500, 1))], note="simulated_by_emgcramp", bdf=bdf)
    head = open(p, "rb").read(184)
    assert head[88:168].decode().split() == ["Startdate", "X", "X", "X", "X", "simulated_by_emgcramp"]
    assert head[168:184] == b"01.01.8500.00.00"
    with open_recording(p) as rec:
        assert rec.start is None and rec.n_samples == 500
    r = pyedflib.EdfReader(p)  # EDFlib (EDFbrowser's reader) takes the header as valid EDF+/BDF+
    assert r.getRecordingAdditional() == "simulated_by_emgcramp" and r.getStartdatetime() == datetime(1985, 1, 1)
    r.close()
    start = datetime(2026, 3, 4, 23, 10, 5)  # a known start is kept to the second
    write_edf(p, 250.0, ["calf"], [np.zeros((500, 1))], start=start, bdf=bdf)
    with open_recording(p) as rec:
        assert rec.start == start
    if not bdf:
        mne = pytest.importorskip("mne")
        assert mne.io.read_raw_edf(p, verbose="error").info["meas_date"].year == 2026


def test_csv_time_column_gives_rate_and_units(tmp_path):
    p = tmp_path / "r.csv"
    t = np.arange(3000) / 2000.0
    np.savetxt(p, np.column_stack([t, np.sin(t), t]), delimiter=",", header="time_s,GM_mV,force", comments="")
    with open_recording(str(p)) as rec:
        assert rec.fs == 2000.0 and rec.channel_names == ["GM", "force"]  # the unit read, and left off the name
        np.testing.assert_allclose(read_all(rec, "GM_mV"), 1000 * np.sin(t), rtol=1e-12)
    with pytest.raises(InputError, match="disagrees with the time column"):
        open_recording(str(p), fs=1000.0)


@pytest.mark.parametrize("name, per_s", [("Time (s)", 1.0), ("time [ms]", 1e3), ("time_sec", 1.0), ("elapsed_s", 1.0),
                                          ("Elapsed time (ms)", 1e3), ("t [min]", 1 / 60), ("Time (µs)", 1e6),
                                          ("time [us]", 1e6), ("time_us", 1e6)])
def test_a_time_column_named_with_its_unit_gives_the_rate(tmp_path, name, per_s):
    # before: not a time column: without --fs "no sampling rate"; with it, the time analysed as the calf
    p = tmp_path / "r.csv"
    t = np.arange(3000) / 1000.0 * per_s
    np.savetxt(p, np.column_stack([t, np.sin(t)]), delimiter=",", header=f"{name},GM", comments="", fmt="%.9g")
    with open_recording(str(p)) as rec:
        assert rec.fs == pytest.approx(1000.0) and rec.channel_names == ["GM"]


def test_headerless_whitespace_text_needs_fs(tmp_path):
    p = tmp_path / "r.txt"
    np.savetxt(p, np.arange(100.0).reshape(50, 2))
    with open_recording(str(p), scale=2.0) as rec:
        assert rec.fs is None and rec.channel_names == ["ch0", "ch1"]
        np.testing.assert_array_equal(read_all(rec, 1, chunk=7), 2 * np.arange(1.0, 100.0, 2))


def test_npy_both_layouts_and_wav(tmp_path):
    from scipy.io import wavfile

    x = np.arange(4000.0).reshape(2000, 2)
    np.save(tmp_path / "a.npy", x.T)  # channels × samples
    with open_recording(str(tmp_path / "a.npy"), fs=1000.0) as rec:
        np.testing.assert_array_equal(read_all(rec, 1), x[:, 1])
    wavfile.write(tmp_path / "a.wav", 1000, x.astype(np.int16))
    with open_recording(str(tmp_path / "a.wav"), scale=0.5) as rec:
        assert rec.fs == 1000.0
        np.testing.assert_array_equal(read_all(rec, 0), x[:, 0] * 0.5)


@pytest.mark.parametrize("content,ext,message", [
    (b"", ".edf", "empty"),
    (b"garbage\x00\x01", ".edf", "not a readable EDF"),
    (b"\x00\x01\x02\x03", ".xyz", "unknown format"),
    (b"hello\n", ".txt", "no numeric samples"),
    (b"a,b\n1,2\n3\n", ".csv", "not a table of numbers"),
    (b"not numpy", ".npy", "not a readable .npy"),
])
def test_bad_files_raise_one_clear_error(tmp_path, content, ext, message):
    p = tmp_path / f"f{ext}"
    p.write_bytes(content)
    with pytest.raises(InputError, match=message):
        open_recording(str(p)).channel_index(None)


def test_format_detection_by_content(tmp_path):
    p = tmp_path / "noext"
    np.save(p, np.zeros(3))
    assert detect_format(str(p) + ".npy") == "npy"
    os.rename(str(p) + ".npy", p)
    assert detect_format(str(p)) == "npy"
    with pytest.raises(InputError, match="no such file"):
        detect_format(str(tmp_path / "missing.edf"))


def test_detection_help_and_errors_read_the_one_table_of_formats(tmp_path):
    from emgcramp.cli.parser import build_parser
    from emgcramp.io import FORMATS

    sub = next(a for a in build_parser()._actions if a.dest == "command").choices["analyze"]
    help_text = sub.format_help().replace("\n", " ")
    for ext, fmt in FORMATS.items():
        (tmp_path / ext[1:]).mkdir()  # each alone: an r.dat beside an r.hea is that record's signal file
        p = tmp_path / ext[1:] / f"r{ext}"
        p.write_bytes(b"\x00\x01\x02")  # binary: the extension decides, not the bytes
        assert detect_format(str(p)) == fmt.name, ext
        assert ext in help_text and (not fmt.extra or f"{fmt.extra} extra" in help_text), ext
    (tmp_path / "r.xyz").write_bytes(b"\x00\x01\x02")
    with pytest.raises(InputError, match="unknown format") as e:
        detect_format(str(tmp_path / "r.xyz"))
    assert all(ext in str(e.value) for ext in FORMATS)


def test_an_asc_text_file_reads_like_a_txt(tmp_path):
    np.savetxt(tmp_path / "r.asc", np.arange(100.0).reshape(50, 2))
    with open_recording(str(tmp_path / "r.asc"), fs=1000.0) as rec:
        assert rec.fs == 1000.0 and rec.channel_names == ["ch0", "ch1"]
        np.testing.assert_array_equal(read_all(rec, 1), np.arange(1.0, 100.0, 2))


def test_fs_is_checked_against_every_format_that_carries_a_rate(tmp_path):
    pytest.importorskip("pyxdf")
    from test_xdf import FS, write_xdf

    x = np.zeros((1000, 1))
    write_xdf(tmp_path / "s.xdf", [("calf", "microvolts", ["GM"], x, np.arange(1000) / FS)])
    with pytest.raises(InputError, match="disagrees with the file's 500 Hz"):
        open_recording(str(tmp_path / "s.xdf"), fs=2 * FS)
    with open_recording(str(tmp_path / "s.xdf"), fs=FS) as rec:
        assert rec.fs == FS


def test_a_wavs_own_rate_is_kept_and_a_disagreeing_fs_refused(tmp_path):
    """A WAV carries its rate: an --fs that disagrees would stretch every time in it, so it is refused."""
    from scipy.io import wavfile

    wavfile.write(tmp_path / "w.wav", 2000, np.zeros(4000, np.int16))
    with pytest.raises(InputError, match=r"w\.wav: --fs 1000 Hz disagrees with the file's 2000 Hz"):
        open_recording(str(tmp_path / "w.wav"), fs=1000.0)
    for fs in (None, 2000.0):
        with open_recording(str(tmp_path / "w.wav"), fs=fs) as rec:
            assert rec.fs == 2000.0 and rec.n_samples == 4000
    wavfile.write(tmp_path / "w0.wav", 100, np.zeros(4000, np.int16))  # a rate no sEMG board has: --fs stands
    with pytest.warns(SettingsWarning, match=r"w0\.wav: its header's rate, 100 Hz, is no sEMG rate; read at --fs 1000"):
        with open_recording(str(tmp_path / "w0.wav"), fs=1000.0) as rec:
            assert rec.fs == 1000.0


def test_unknown_channel_lists_the_channels():
    with open_recording(SAMPLE_NIGHT) as rec, pytest.raises(InputError, match="channels are: calf"):
        rec.channel_index("soleus")


def test_a_channel_whose_name_holds_a_comma_is_chosen_by_that_name():
    """--channel "GM,left" was split into GM and left: no channel 'GM'."""
    from emgcramp.core.channels import channel_indices

    names = ["ECG", "GM,left", "GM", "TA"]
    assert channel_indices("GM,left", names, "rec.edf") == channel_indices("gm,Left", names, "rec.edf") == [1]
    assert channel_indices("GM,TA", names, "rec.edf") == [2, 3]  # a list still, where no channel is so named
    with pytest.raises(InputError, match="no channel 'left'"):
        channel_indices("GM, left", ["GM", "TA"], "rec.edf")


def test_events_csv_columns_order_and_mode(tmp_path):
    p = str(tmp_path / "e.csv")
    write_events_csv(p, [])
    assert open(p).read().strip() == ",".join(COLUMNS) and mode(p) == 0o600
    e = Episode(1.0, 31.0, 30.0, "tonic", 200.0, 150.0, 4.0, "calf")
    write_events_csv(p, [e])
    header, row = open(p).read().splitlines()
    assert header.startswith("onset_s,offset_s,duration_s,kind,peak_intensity,mean_intensity")
    assert row.startswith("1.000,31.000,30.000,tonic,200.00,150.00,calf,,4.00,50.0,37.5")


def test_events_csv_keeps_the_spectrum_and_reads_one_written_before_it(tmp_path):
    from emgcramp.io.events import is_events_csv, read_events_csv

    p = str(tmp_path / "e.csv")
    e = Episode(1.0, 31.0, 30.0, "tonic", 200.0, 150.0, 4.0, "calf", probability=0.91, freq_hz=128.94,
                freq_drift=-0.0823)
    write_events_csv(p, [e])
    (back,) = read_events_csv(p)
    assert (back.probability, back.freq_hz, back.freq_drift) == (0.91, 128.9, -0.082)  # as rounded for files
    old = str(tmp_path / "old.csv")  # as written before the spectrum was: the columns up to probability
    header, row = open(p).read().splitlines()
    n = COLUMNS.index("probability") + 1
    open(old, "w").write(",".join(header.split(",")[:n]) + "\n" + ",".join(row.split(",")[:n]) + "\n")
    (back,) = read_events_csv(old)
    assert is_events_csv(old) and (back.probability, back.freq_hz, back.freq_drift) == (0.91, None, None)
    from emgcramp.io.events import episode_cells

    tiny_fall = Episode(1.0, 31.0, 30.0, "tonic", 200.0, 150.0, 4.0, freq_drift=-1e-5)
    assert episode_cells(tiny_fall)["freq_drift"] == "0.000"  # not -0.000
    # Another tool's table built on the contract's six columns is not ours, to be overwritten unasked.
    theirs = str(tmp_path / "theirs.csv")
    open(theirs, "w").write(",".join(COLUMNS[:6]) + ",my_notes\n1,2,1,tonic,3,3,the big one\n")
    assert not is_events_csv(theirs)
    # A row with more cells than the header (an old table's rows under a new header, or the reverse) is one line.
    open(old, "a").write(",".join(row.split(",")) + "\n")
    with pytest.raises(InputError, match="line 3: the row has 2 more cell"):
        read_events_csv(old)


def test_failed_write_leaves_no_file(tmp_path):
    from emgcramp.io.secure import private_file

    p = tmp_path / "out.csv"
    with pytest.raises(RuntimeError):
        with private_file(str(p)) as f:
            f.write("half")
            raise RuntimeError("crash mid-write")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("chunk", [1, 997, 1000, 120_000])
def test_edf_records_read_in_chunks_match_edflib_sample_for_sample(tmp_path, chunk):
    # Several channels and the EDF+ annotation signal between records: our chunked record reader
    # against EDFlib's own readSignal, over chunk sizes that cut records anywhere.
    from emgcramp.io.edf import EdfRecording, write_edf

    rng = np.random.default_rng(3)
    x = rng.standard_normal((5_500, 3)) * [10.0, 200.0, 3000.0]
    write_edf(str(tmp_path / "m.edf"), 500.0, ["a", "b", "c"], [x], [(1.0, 2.0, "note")])
    rec = EdfRecording(str(tmp_path / "m.edf"))
    try:
        assert rec._map is not None
        fast = np.concatenate(list(rec._read([2, 0], chunk)))
        ref = np.column_stack([rec._r.readSignal(c) * rec._scale[c] for c in (2, 0)])
    finally:
        rec.close()
    np.testing.assert_allclose(fast, ref, rtol=0, atol=1e-9)
    assert len(fast) == 5500  # 11 records of 500


def _rounded_time_csv(path, fs, n, decimals, start=7.0, jump_at=None, bom=False):
    t = start + np.arange(n) / fs
    if jump_at is not None:
        t[jump_at:] += 5.0
    x = np.random.default_rng(1).standard_normal(n) * 5.0
    rows = "".join(f"{a:.{decimals}f},{b:.4f}\n" for a, b in zip(t, x))
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8") as f:
        f.write("time,calf_uV\n" + rows)
    return x


def test_a_time_column_rounded_to_its_printed_digits_gives_the_rate(tmp_path, capsys):
    p = str(tmp_path / "r.csv")
    x = _rounded_time_csv(p, 2048, 30_000, 4)  # 7.0000, 7.0005, 7.0010, 7.0015 …
    with open_recording(p) as rec:
        assert rec.fs == 2048.0
        y = read_all(rec, chunk=4096)  # every step checked, past the rows the rate was fitted on
    np.testing.assert_allclose(y, x, atol=1e-4)
    assert "2048 Hz from the time column" in capsys.readouterr().err


def test_a_jump_in_a_rounded_time_column_is_still_refused(tmp_path):
    p = str(tmp_path / "j.csv")
    _rounded_time_csv(p, 2048, 30_000, 4, jump_at=20_000)
    with open_recording(p) as rec, pytest.raises(InputError, match="at data row 20001"):
        read_all(rec, chunk=4096)
    _rounded_time_csv(p, 2048, 3000, 4, jump_at=2000)
    with pytest.raises(InputError, match="not evenly sampled"):
        open_recording(p)


@pytest.mark.parametrize("times, fs, says", [
    ("0.004,0.003,0.002,0.001,0", None, r"runs backwards \(rows in reverse order\?\) from t = 0.004 s to 0 s .* "
     r"sort the rows by time, or leave"),
    ("0.004,0.003,0.002,0.001,0", 1000.0, "runs backwards"),  # --fs does not make a reversed column right
    ("0,0,0,0,0.001", None, r"stands still .* from t = 0 s to 0.001 s over its first 5 rows; leave the column out"),
    ("0,0.001,nan,0.003,0.004", None, "the time column holds nan at data row 3: fix or remove that row"),
    ("0,0.001,nan,0.003,0.004", 1000.0, "holds nan at data row 3"),  # it was read past, unsaid
])
def test_a_time_column_that_gives_no_rate_says_why(tmp_path, times, fs, says):
    """It was "no sampling rate: this format does not carry one", of a file whose time column is there."""
    p = tmp_path / "t.csv"
    p.write_text("time_s,calf\n" + "".join(f"{t},{i}\n" for i, t in enumerate(times.split(","))))
    with pytest.raises(InputError, match=says):
        open_recording(str(p), fs=fs)


def test_a_time_column_broken_past_the_first_rows_or_alone_is_refused(tmp_path):
    p = tmp_path / "late.csv"
    rows = [f"{i / 1000:.3f},{(i * 7) % 13}" for i in range(6000)]
    rows[5000] = "nan,3"  # past the rows the rate is taken from
    p.write_text("time_s,GM\n" + "\n".join(rows) + "\n")
    with open_recording(str(p)) as rec, pytest.raises(InputError, match="holds nan at data row 5001: fix or remove"):
        read_all(rec, chunk=4096)
    (tmp_path / "t.csv").write_text("time_s\n0\n0.001\n0.002\n")  # it was analysed as a muscle named time_s
    with pytest.raises(InputError, match="its one column, 'time_s', is a time column: no channel of samples in it"):
        open_recording(str(tmp_path / "t.csv"), fs=1000.0)


def test_a_csv_with_a_byte_order_mark_reads_its_time_column(tmp_path):
    from conftest import run_cli

    p = str(tmp_path / "excel.csv")
    x = _rounded_time_csv(p, 1000, 20_000, 3, start=0.0, bom=True)
    assert open(p, "rb").read(3) == b"\xef\xbb\xbf"
    with open_recording(p) as rec:
        assert rec.fs == 1000.0 and rec.channel_names == ["calf"]
        np.testing.assert_allclose(read_all(rec), x, atol=1e-4)
    rc, out, err = run_cli("analyze", p, "--json")
    assert rc == 0, err
    assert '"duration_s": 20.0' in out.replace(" 20.000", " 20.0")


def test_an_edf_channel_not_in_volts_is_refused(tmp_path):
    p = str(tmp_path / "t.edf")
    degc_edf(p)
    with open_recording(p) as rec:
        with pytest.raises(InputError, match=r"channel 'skin' is in 'degC', not a voltage"):
            read_all(rec, "skin")
        assert len(read_all(rec, "calf")) == 10_000  # a voltage channel beside it still reads
    from conftest import run_cli

    rc, _, err = run_cli("analyze", p, "--channel", "skin")
    assert rc == 2 and "'degC'" in err and err.count("\n") == 1, err


def test_a_csv_column_not_in_volts_is_refused(tmp_path):
    from conftest import run_cli

    p = tmp_path / "p.csv"
    rng = np.random.default_rng(0)
    np.savetxt(p, rng.standard_normal((5000, 2)), delimiter=",", header="pressure [kPa],calf [uV]", comments="")
    with open_recording(str(p), fs=1000.0) as rec:
        with pytest.raises(InputError, match=r"channel 'pressure \[kPa\]' is in 'kPa', not a voltage"):
            read_all(rec, 0)
        assert len(read_all(rec, 1)) == 5000
    rc, _, err = run_cli("analyze", p, "--fs", "1000")
    assert rc == 2 and "'kPa'" in err and err.count("\n") == 1, err


def test_samples_in_millivolts_read_as_microvolts_are_said_and_scaled_they_are_not(tmp_path):
    """A rest level under the electrodes' own noise (0.1 µV) is no µV: the cramp goes unseen, so it is said."""
    x = bursts(1000.0, 300.0, 4.0, [(120.0, 180.0, 150.0)], seed=2) / 1000.0  # mV
    np.save(tmp_path / "mv.npy", x)
    rc, out, err = run_main("analyze", tmp_path / "mv.npy", "--fs", "1000", "--json")
    assert rc == 0 and json.loads(out)["n_episodes"] == 0
    (note,) = err.strip().splitlines()
    assert "rest level, 0.0039 µV, lies under what any skin electrode reads" in note and "1000 for mV" in note
    assert json.loads(out)["notes"] == [note.removeprefix("emgcramp: note: ")]  # the JSON's reader is told too
    rc, out, err = run_main("analyze", tmp_path / "mv.npy", "--fs", "1000", "--scale", "1000", "--json")
    assert rc == 0 and json.loads(out)["n_episodes"] == 1 and json.loads(out)["notes"] == [] and err == ""
    with pytest.warns(SettingsWarning, match=r"Multiply them by the µV per unit \(1000 for mV"):  # no --scale there
        assert emgcramp.find_cramps(x, 1000.0).cramps == []


def test_microvolts_said_to_be_millivolts_are_said_too(tmp_path):
    """An EDF whose µV samples were labelled mV gave cramps of 426 337 µV without a word."""
    from conftest import SAMPLE_NIGHT

    header = bytearray(open(SAMPLE_NIGHT, "rb").read())
    n = int(header[252:256])
    at = 256 + n * (16 + 80)  # the channels' physical dimensions
    header[at:at + 8 * n] = b"mV      " * n
    (tmp_path / "mv.edf").write_bytes(header)
    rc, out, err = run_main("analyze", tmp_path / "mv.edf", "--json")
    notes = json.loads(out)["notes"]
    assert rc == 0 and notes[0].startswith(f"{tmp_path / 'mv.edf'}: channel 'calf': its rest level, 3.82e+03 µV, "
                                           "is over what surface EMG "
                                           "reads even in a maximal contraction (1500 µV RMS): are the samples in "
                                           "the unit the file says?"), notes
    rc, out, _ = run_main("analyze", SAMPLE_NIGHT, "--json")
    assert not any("is over what surface EMG reads" in n for n in json.loads(out)["notes"])


def test_a_unit_at_the_end_of_a_column_name_scales_it_and_leaves_the_name(tmp_path):
    """``GM_mV`` is channel GM, in µV once read; a name that would be left empty or twice is kept whole."""
    x = bursts(1000.0, 12.0, 4.0, [(4.0, 8.0, 150.0)], seed=3)
    path = tmp_path / "legs.csv"
    rows = np.column_stack([np.arange(len(x)) / 1000.0, x / 1000.0, x, x, x / 1000.0])
    with open(path, "w") as f:
        f.write("time,GM_mV,TA (uV),uV,x [mV]\n")
        np.savetxt(f, rows, fmt="%.7f", delimiter=",")
    with open_recording(str(path)) as rec:
        assert rec.channel_names == ["GM", "TA", "uV", "x"]
        assert rec.channel_indices("GM,TA") == rec.channel_indices("GM_mV,ta (uv)") == [0, 1]  # the label answers too
        (block,) = rec.blocks(rec.channel_indices("all"), 20_000)
    np.testing.assert_allclose(block.samples, np.column_stack([x, x, x, x]), atol=1e-3)
    # the unit spelled out, as LSL and some exporters write it: 'GM millivolts' was a channel of that name, in
    # µV read 1000 times too low
    with open(path, "w") as f:
        f.write("time,GM millivolts,TA (Microvolts),soleus_volt\n")
        np.savetxt(f, rows[:, :4] / [1, 1, 1, 1e6], fmt="%.12f", delimiter=",")
    with open_recording(str(path)) as rec:
        assert rec.channel_names == ["GM", "TA", "soleus"]
        (block,) = rec.blocks(rec.channel_indices("all"), 20_000)
    np.testing.assert_allclose(block.samples, np.column_stack([x, x, x]), atol=1e-3)


def test_a_header_saved_in_latin_1_keeps_its_micro_sign_and_unit(tmp_path):
    """``GM (µV)`` saved by a spreadsheet in a Western locale (Latin-1) was channel ``GM (\\ufffdV)``; its µV,
    unread, left a ``GM (mV)`` beside it scaled and it unscaled alike."""
    x = bursts(1000.0, 6.0, 4.0, [(2.0, 4.0, 150.0)], seed=5)
    path = tmp_path / "legs.csv"
    with open(path, "wb") as f:
        f.write("time,GM (µV),TA (mV)\n".encode("latin-1"))
        np.savetxt(f, np.column_stack([np.arange(len(x)) / 1000.0, x, x / 1000.0]), fmt="%.7f", delimiter=",")
    with open_recording(str(path)) as rec:
        assert rec.channel_names == ["GM", "TA"]
        (block,) = rec.blocks(rec.channel_indices("all"), 20_000)
    np.testing.assert_allclose(block.samples, np.column_stack([x, x]), atol=1e-3)


@pytest.mark.parametrize("head", ["time;calf;", "time;calf", None])
def test_rows_that_end_in_their_separator_are_read_with_the_columns_they_name(tmp_path, head):
    """``0.001;3.25;`` on every line (a spreadsheet's or a sketch's export) was "line 2 holds an empty field";
    with no header, or none ending so, "not a recording". Read in any chunks; a field after it is still refused."""
    x = np.round(bursts(1000.0, 6.0, 4.0, [(2.0, 4.0, 150.0)], seed=6), 2)
    lines = [f"{i / 1000:.3f};{v:.2f};\n" if head else f"{v:.2f};\n" for i, v in enumerate(x)]
    path = tmp_path / "sketch.csv"
    path.write_text((f"{head}\n" if head else "") + "".join(lines))
    for chunk in (len(x), 777):
        with open_recording(str(path), fs=None if head else 1000.0) as rec:
            assert rec.channel_names == ["calf"] and rec.fs == 1000.0
            got = np.concatenate([b.samples for b in rec.blocks([0], chunk)])
        np.testing.assert_array_equal(got[:, 0], x)
    lines[4000] = lines[4000].rstrip("\n") + "7\n"
    path.write_text((f"{head}\n" if head else "") + "".join(lines))
    with pytest.raises(InputError, match=f"line {4001 + bool(head)} has"), open_recording(str(path), fs=1000.0) as rec:
        list(rec.blocks([0], 777))


def test_a_time_column_that_starts_later_is_said_to_be_counted_from_its_first_row(tmp_path):
    """A table cut from a longer recording (its time column from 300 s) was read from 0 unsaid: its cramps were
    300 s off the column's times."""
    x = bursts(1000.0, 6.0, 4.0, [], seed=7)
    for t0, said in ((300.0, True), (0.0, False), (0.014, False)):  # 14 ms: the first row of a real one
        path = tmp_path / f"cut{t0:g}.csv"
        with open(path, "w") as f:
            f.write("time,calf\n")
            np.savetxt(f, np.column_stack([t0 + np.arange(len(x)) / 1000.0, x]), fmt="%.3f", delimiter=",")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with open_recording(str(path)) as rec:
                assert rec.fs == 1000.0
        notes = [str(w.message) for w in caught if issubclass(w.category, SettingsWarning)]
        assert notes == ([f"{path}: its time column starts at 300 s; times here count from its first row (add "
                          "300 s for the column's)"] if said else [])


@pytest.mark.parametrize("head, row", [
    ("# time;calf;\n", "{t:.3f};{v:.2f};\n"),  # a commented header that ends so: the time column was the muscle
    ("time;calf;\n\n# started\n", "{t:.3f};{v:.2f};\n"),  # blank and comment lines before the rows
    ("time;calf\n", "{t:.3f};{v:.2f}; # ok\n"),  # a comment after the separator
    ("time\tcalf\n", "{t:.3f}\t{v:.2f}\t \n"),  # a tab table, a space after its last tab
])
def test_rows_ending_in_their_separator_around_comments_blank_lines_and_spaces(tmp_path, head, row):
    x = np.round(bursts(1000.0, 3.0, 4.0, [], seed=8), 2)
    path = tmp_path / "t.csv"
    path.write_text(head + "".join(row.format(t=i / 1000, v=v) for i, v in enumerate(x)))
    with open_recording(str(path)) as rec:
        assert rec.channel_names == ["calf"] and rec.fs == 1000.0
        np.testing.assert_array_equal(np.concatenate([b.samples for b in rec.blocks([0], 1000)])[:, 0], x)


def test_a_missing_last_value_is_still_an_empty_field_and_a_unix_time_is_said_whole(tmp_path):
    (tmp_path / "m.csv").write_text("time,a,b\n0.000,0.00,\n0.001,1.1,2.2\n")
    with pytest.raises(InputError, match="line 2 holds an empty field"), open_recording(str(tmp_path / "m.csv")):
        pass
    x = bursts(1000.0, 3.0, 4.0, [], seed=9)
    np.savetxt(tmp_path / "u.csv", np.column_stack([1700000123.456 + np.arange(len(x)) / 1000.0, x]), fmt="%.3f",
               delimiter=",", header="timestamp,calf", comments="")
    with pytest.warns(SettingsWarning, match=r"starts at 1700000123\.456 s; .* \(add 1700000123\.456 s for"):
        open_recording(str(tmp_path / "u.csv")).close()


def test_a_header_in_windows_1252_keeps_its_dash_and_notes_in_it_are_passed_over(tmp_path):
    x = bursts(1000.0, 3.0, 4.0, [], seed=10)
    with open(tmp_path / "w.csv", "wb") as f:
        f.write("time,GM – left (µV)\n".encode("cp1252"))
        np.savetxt(f, np.column_stack([np.arange(len(x)) / 1000.0, x]), fmt="%.4f", delimiter=",")
    (tmp_path / "notes.txt").write_bytes("Nacht 3: Krämpfe um 2 Uhr – links\n".encode("cp1252"))
    with open_recording(str(tmp_path / "w.csv")) as rec:
        assert rec.channel_names == ["GM – left"]
    with pytest.raises(InputError) as e:  # a folder's notes in Windows-1252 failed its batch: now passed over
        open_recording(str(tmp_path / "notes.txt"), fs=1000.0)
    assert holds_no_samples(str(tmp_path / "notes.txt"), e.value)


@pytest.mark.parametrize("delim", [";", "\t"])
def test_decimal_commas_between_semicolons_or_tabs_are_read(tmp_path, delim):
    """A spreadsheet in a decimal-comma locale saves ``0,001;-3,25``: it was refused ("save the table with
    decimal points"), which most such users can only do by changing their system's locale."""
    x = np.round(bursts(1000.0, 6.0, 4.0, [(2.0, 4.0, 150.0)], seed=12), 3)
    path = tmp_path / "de.csv"
    rows = "".join(f"{i / 1000:.3f}{delim}{v:.3f}\n".replace(".", ",") for i, v in enumerate(x))
    path.write_bytes((f"Zeit (s){delim}Wade (µV){delim}\n".encode("cp1252")) + rows.encode())
    with open_recording(str(path)) as rec:
        assert rec.channel_names == ["Wade"] and rec.fs == 1000.0
        np.testing.assert_array_equal(read_all(rec, chunk=1000), x)
    (tmp_path / "one.txt").write_text("".join(f"{v:.3f}\n".replace(".", ",") for v in x))  # one column: a comma
    with pytest.raises(InputError, match="a number with a decimal comma"):  # splits it, so it is still refused
        open_recording(str(tmp_path / "one.txt"), fs=1000.0)
    # Without a header; and as a spreadsheet's General format writes them: 0 and whole numbers bare, E notation
    rows = [f"{v:.3f}{delim}{2 * v:.3f}\n".replace(".", ",") for v in x]
    (tmp_path / "bare.csv").write_text("".join(rows))
    with open_recording(str(tmp_path / "bare.csv"), fs=1000.0) as rec:
        np.testing.assert_allclose(np.concatenate([b.samples for b in rec.blocks([0, 1], 999)]),
                                   np.column_stack([x, 2 * x]), atol=1e-9)
    (tmp_path / "general.csv").write_text(f"Zeit (s){delim}EMG (V)\n0{delim}478E-06\n"
                                          + "".join(f"0,{i:03d}{delim}{v * 1e-6:.4E}\n".replace(".", ",")
                                                    for i, v in enumerate(x[1:999], 1)))
    with open_recording(str(tmp_path / "general.csv")) as rec:
        np.testing.assert_allclose(read_all(rec)[1:], x[1:999], rtol=1e-3)


def test_commas_beside_decimal_points_are_thousands_and_refused_not_read_as_decimals(tmp_path):
    """``0.000<TAB>2,816`` was read as 2.816 µV, every value over 1000 a thousand times too small."""
    (tmp_path / "k.tsv").write_text("time\tcalf\n" + "".join(f"{i / 1000:.3f}\t{v:,}\n" for i, v in
                                                             enumerate([2816, 863, -250, 1204] * 100)))
    with pytest.raises(InputError, match="holds '2,816', a number with a decimal comma"):
        open_recording(str(tmp_path / "k.tsv"))


@pytest.mark.parametrize("name, scale", [("Zeit (s)", 1.0), ("Zeitstempel [ms]", 1e-3), ("temps", 1.0),
                                         ("elapsed (min)", 60.0), ("GM (uV)", None), ("Wade µV", None),
                                         ("RR (ms)", None), ("EDA (µS)", None)])
def test_a_first_column_named_for_time_in_another_language_is_time(name, scale):
    """``Zeit (s)`` was a channel: with --fs, "channel 'Zeit (s)' is flat"; without, "no sampling rate". A
    column in ms that is no time (an RR interval) stays a channel."""
    from emgcramp.io.text import time_scale

    assert time_scale(name) == scale


def test_a_time_column_in_milliseconds_named_time_says_so_and_other_bad_rows_are_named(tmp_path):
    n = 2000
    (tmp_path / "ms.csv").write_text("time,GM_uV\n" + "".join(f"{i},{i % 7}\n" for i in range(n)))
    for fs in (None, 1000.0):  # said before --fs is found to disagree with it
        with pytest.raises(InputError, match=r"ms\.csv: the time column steps by 1 s, 1 Hz, too slow for EMG; if "
                                             r"its times are in milliseconds, name it time_ms$"):
            open_recording(str(tmp_path / "ms.csv"), fs=fs)
    (tmp_path / "na.csv").write_text("time,GM\n" + "".join(f"{i / 1000:.3f},1.0\n" for i in range(n)) + "2.000,#N/A\n")
    with pytest.raises(InputError, match=f"line {n + 2} holds '#N/A' \\(a # begins a comment\\) where a number"), \
            open_recording(str(tmp_path / "na.csv")) as rec:
        read_all(rec)
    (tmp_path / "cmt.csv").write_text("time;a;b\n" + "".join(f"{i / 1000:.3f};1;2\n" for i in range(n))
                                      + "2.000;;1 # electrode re-seated\n")
    with pytest.raises(InputError, match=f"line {n + 2} holds an empty field"), \
            open_recording(str(tmp_path / "cmt.csv")) as rec:
        read_all(rec)
    for name, text in (("u16.txt", "time\tGM\n0.000\t1.0\n".encode("utf-16")),
                       ("u16le.txt", "time\tGM\n0.000\t1.0\n0.001\t2.0\n".encode("utf-16-le"))):  # no BOM
        (tmp_path / name).write_bytes(text)
        with pytest.raises(InputError, match=r"saved as UTF-16 .*; save it as CSV \(UTF-8\)$"):
            open_recording(str(tmp_path / name))


@pytest.mark.parametrize("head,row,says", [
    # (decimal commas between semicolons or tabs are read: test_decimal_commas_between_semicolons_or_tabs_are_read)
    ("time,calf", "2026-01-01T23:00:00.001,3.25", "a clock time: a time column is read in seconds"),
    ("clock,calf", "23:00:00.001,3.25", "leave it out and give --fs HZ"),
    # every field quoted (RFC 4180 allows it): "found text at line 1", the header blamed
    ('"time_s","calf"', '"0.001","3.25"', "'\"0.001\"', a number in quotes: save the table with its numbers unquoted"),
])
def test_a_table_written_for_people_says_how_to_write_it_for_reading(tmp_path, head, row, says):
    path = tmp_path / "t.csv"
    path.write_text(head + "\n" + "\n".join([row] * 50) + "\n")
    with pytest.raises(InputError) as e:
        open_recording(str(path), fs=1000.0)
    assert str(e.value).startswith(f"{path}: not a table of numbers: line 2 holds ") and says in str(e.value)


@pytest.mark.parametrize("delim", [",", "\t", ";"])
def test_a_quoted_column_name_may_hold_the_delimiter(tmp_path, delim):
    """time_s,"calf, left" was split into three names: 'rows have 2 columns, the header names 3'."""
    x = np.round(np.random.default_rng(0).normal(0, 4, 5_000), 3)
    path = tmp_path / "q.csv"
    path.write_text(f'time_s{delim}"calf, left"\n' + "".join(f"{i / 1000:.3f}{delim}{v:.3f}\n"
                                                           for i, v in enumerate(x)))
    with open_recording(str(path)) as rec:
        assert rec.channel_names == ["calf, left"] and rec.rate() == 1000.0
        (block,) = rec.blocks([0], 10_000)
    np.testing.assert_allclose(block.samples[:, 0], x, atol=1e-9)



@pytest.mark.parametrize("decimals", [1, 2, 3])
def test_one_column_of_decimal_comma_numbers_without_a_header_is_not_read_as_two_channels(tmp_path, decimals):
    """Split at their commas, ``12,5`` and ``-3,25`` parse as two channels of whole numbers."""
    x = np.random.default_rng(0).normal(0.0, 20.0, 4000)
    text = [f"{v:.{decimals}f}".replace(".", ",") for v in x]
    (tmp_path / "c.csv").write_text("\n".join(text) + "\n")
    # the first a device could not print as two whole numbers: -0, or a second one with a leading zero (05)
    first = next(i for i, t in enumerate(text) if t.startswith("-0,") or re.match(r"0\d", t.split(",")[1]))
    with pytest.raises(InputError) as e:
        open_recording(str(tmp_path / "c.csv"), fs=1000.0)
    assert str(e.value) == (f"{tmp_path / 'c.csv'}: not a table of numbers: line {first + 1} holds {text[first]!r}, "
                            "a number with a decimal comma: save the table with decimal points (and commas, tabs or "
                            "semicolons between the columns); if they are two columns of whole numbers, name them in a first line "
                            "(such as ch0,ch1)")
    # Two channels of a device's whole numbers (an ADC's counts) are read as they are, printed to a fixed width too.
    counts = np.random.default_rng(1).integers(0, 1024, (4000, 2))
    for fmt in ("%d", "%04d"):
        np.savetxt(tmp_path / "adc.csv", counts, fmt=fmt, delimiter=",")
        with open_recording(str(tmp_path / "adc.csv"), fs=1000.0) as rec:
            assert rec.channel_names == ["ch0", "ch1"]
            (block,) = rec.blocks([0, 1], 20_000)
        np.testing.assert_array_equal(block.samples, counts)

@pytest.mark.parametrize("case", ["positive, one decimal", "signed, away from zero", "a comment first",
                                  "under ten"])
def test_decimal_comma_numbers_that_never_print_a_leading_zero_are_refused_too(tmp_path, case):
    """``12,5`` with no ``-0,`` nor ``,05`` in the rows probed: one digit taking every value is a fraction."""
    rng = np.random.default_rng(2)
    v = rng.uniform(1.0, 9.9 if case == "under ten" else 90.0, 4000) * (
        rng.choice([-1.0, 1.0], 4000) if case not in ("positive, one decimal", "under ten") else 1.0)
    text = [f"{x:.1f}".replace(".", ",") for x in v]
    head = "# calf EMG, recorded at home\n" if case == "a comment first" else ""
    (tmp_path / "c.csv").write_text(head + "\n".join(text) + "\n")
    with pytest.raises(InputError) as e:
        open_recording(str(tmp_path / "c.csv"), fs=1000.0)
    line = 2 if head else 1  # the comment is no header: it names no column
    assert str(e.value) == (f"{tmp_path / 'c.csv'}: not a table of numbers: line {line} holds {text[0]!r}, "
                            "a number with a decimal comma: save the table with decimal points (and commas, tabs or "
                            "semicolons between the columns); if they are two columns of whole numbers, name them in a first line "
                            "(such as ch0,ch1)")


@pytest.mark.parametrize("second", ["signed counts", "a grounded input", "an envelope output"])
def test_two_channels_of_whole_numbers_stay_two_channels(tmp_path, second):
    """What the decimal-comma rules must leave alone: signed counts in both columns, a quiet second input."""
    rng = np.random.default_rng(3)
    first = rng.integers(-2000, 2000, 4000)
    other = {"signed counts": rng.integers(-2000, 2000, 4000), "a grounded input": rng.integers(0, 3, 4000),
             # a MyoWare-type board's envelope pin beside its raw one: 0-9 at rest, gathered round its level
             "an envelope output": np.clip(np.round(rng.normal(4.5, 2.2, 4000)), 0, 9).astype(int)}[second]
    np.savetxt(tmp_path / "two.csv", np.column_stack([first, other]), fmt="%d", delimiter=",")
    with open_recording(str(tmp_path / "two.csv"), fs=1000.0) as rec:
        assert rec.channel_names == ["ch0", "ch1"]
        (block,) = rec.blocks([0, 1], 20_000)
    np.testing.assert_array_equal(block.samples, np.column_stack([first, other]))


def test_numpy_savetxt_s_commented_header_names_the_columns(tmp_path):
    """``np.savetxt(header="time,calf")`` writes ``# time,calf``: it read as a comment, the time as a channel."""
    t = np.arange(3000) / 1000.0
    x = np.random.default_rng(4).normal(0.0, 5.0, 3000)
    np.savetxt(tmp_path / "a.csv", np.column_stack([t, x]), delimiter=",", header="time,GM_mV", fmt="%.6f")
    np.savetxt(tmp_path / "b.txt", x, header="calf", fmt="%.6f")
    (tmp_path / "c.csv").write_text("# board v2, gain 1000\n# 2026-03-01\n\ntime,calf\n" +
                                    "".join(f"{a:.3f},{b:.6f}\n" for a, b in zip(t, x)))
    for name, fs, names, scale in (("a.csv", None, ["GM"], 1000.0), ("b.txt", 1000.0, ["calf"], 1.0),
                                   ("c.csv", None, ["calf"], 1.0)):
        with open_recording(str(tmp_path / name), fs=fs) as rec:
            assert (rec.fs, rec.channel_names) == (pytest.approx(1000.0), names), name
            (block,) = rec.blocks([0], 10_000)
        np.testing.assert_allclose(block.samples[:, 0], x * scale, atol=1e-3 * scale)
    # A comment that is no header (its fields are not one name a column) names nothing.
    (tmp_path / "d.csv").write_text("# subject 12, night 3\n" + "".join(f"{v:.4f}\n" for v in x))
    with open_recording(str(tmp_path / "d.csv"), fs=1000.0) as rec:
        assert rec.channel_names == ["calf"]
    (tmp_path / "e.csv").write_text("# nothing recorded\n\n# lead off\n")
    with pytest.raises(InputError, match=r"e\.csv: the file holds only comments$"):
        open_recording(str(tmp_path / "e.csv"), fs=1000.0)


def test_a_time_column_that_jitters_says_to_give_the_rate_instead(tmp_path):
    t = np.arange(4000) / 1000.0 + np.random.default_rng(0).uniform(-2e-4, 2e-4, 4000)
    np.savetxt(tmp_path / "j.csv", np.column_stack([t, np.ones(4000)]), delimiter=",", header="time,calf",
               comments="", fmt="%.6f")
    with pytest.raises(InputError, match="not evenly sampled .*leave the time column out and give --fs HZ"):
        open_recording(str(tmp_path / "j.csv"))


def test_an_annotated_copy_keeps_the_recording_s_own_annotations(tmp_path):
    """The copy held emgcramp's notes only: the source's (here its truth) were dropped."""
    from emgcramp.io.edf import EdfRecording

    rc, out, err = run_main("analyze", SAMPLE_NIGHT, "--edf-out", tmp_path / "copy.edf")
    assert rc == 0, err
    src, copy = EdfRecording(SAMPLE_NIGHT), EdfRecording(str(tmp_path / "copy.edf"))
    try:
        own, kept = src.annotations(), copy.annotations()
    finally:
        src.close(), copy.close()
    assert own and all(n in kept for n in own) and any(t.startswith("cramp:") for _, _, t in kept)


def test_channels_without_names_are_named_alike_by_every_source(tmp_path):
    """One channel is the calf; several are ch0, ch1, … as --channel numbers them: files, arrays and streams agree."""
    from scipy.io import wavfile

    import emgcramp

    x = np.random.default_rng(2).normal(0, 4, (2, 6_000))
    for n, names in ((1, ["calf"]), (2, ["ch0", "ch1"])):
        np.save(tmp_path / f"{n}.npy", x[:n].T)
        np.savetxt(tmp_path / f"{n}.csv", x[:n].T, delimiter=",", fmt="%.3f")
        wavfile.write(tmp_path / f"{n}.wav", 1000, x[:n].T.astype(np.float32) if n > 1 else x[0].astype(np.float32))
        for ext in ("npy", "csv", "wav"):
            with open_recording(str(tmp_path / f"{n}.{ext}"), fs=None if ext == "wav" else 1000.0) as rec:
                assert rec.channel_names == names, ext
        assert emgcramp.find_cramps(x[:n], 1000.0).analysis.channels == names
        m = emgcramp.Monitor(1000.0)
        m.feed(x[:n, :3_000] if n > 1 else x[0, :3_000])
        assert m.finish().analysis.channels == names


def test_scale_goes_to_the_text_columns_without_a_unit_only(tmp_path):
    """--scale is for unit-less columns: one headed GM_uV or GM_mV is already in its unit, never scaled twice."""
    v = np.arange(3000.0) % 7
    rows = "".join(f"{i / 1000:.3f},{a:.1f},{a:.1f}\n" for i, a in enumerate(v))
    for head in ("GM_uV", "GM_mV", "GM (µV)"):
        (tmp_path / "u.csv").write_text(f"time_s,{head},TA_V\n" + rows)
        with pytest.raises(InputError, match=rf"--scale is for columns without a unit, and each column here names "
                                             rf"its own \({re.escape(head)}, TA_V\); if one's unit is wrong, rename"):
            open_recording(str(tmp_path / "u.csv"), scale=1000.0)
        (tmp_path / "u.csv").write_text(f"time_s,{head},TA\n" + rows)  # the unlabelled column takes it, alone
        with open_recording(str(tmp_path / "u.csv"), scale=0.5) as rec:
            per_unit = {"GM_uV": 1.0, "GM_mV": 1000.0, "GM (µV)": 1.0}[head]
            np.testing.assert_array_equal(read_all(rec, 0)[:8], per_unit * v[:8])
            np.testing.assert_array_equal(read_all(rec, "TA")[:8], 0.5 * v[:8])


def test_an_edf_copy_keeps_the_recordings_very_integers(tmp_path):
    """Read and written again with the same ranges, every sample is the integer it was (none a bit lower)."""
    from emgcramp.io.edf import write_edf

    x = np.random.default_rng(4).normal(0, 300, (20_000, 2))
    x[:5] = [[9000.0, -9000.0]] * 5  # beyond the rail: clipped to the extreme integers
    write_edf(str(tmp_path / "a.edf"), 1000.0, ["GM", "GL"], [x])
    with open_recording(str(tmp_path / "a.edf")) as rec:
        write_edf(str(tmp_path / "b.edf"), 1000.0, rec.channel_names, (b.samples for b in rec.blocks([0, 1], 3_333)))
    a, b = pyedflib.EdfReader(str(tmp_path / "a.edf")), pyedflib.EdfReader(str(tmp_path / "b.edf"))
    try:
        for c in range(2):
            da, db = a.readSignal(c, digital=True), b.readSignal(c, digital=True)
            np.testing.assert_array_equal(da, db)
            assert da[0] == (32767 if c == 0 else -32768)
            # and each integer is the nearest to the µV written: within half a bit (16 000 µV / 65 535)
            assert np.abs(a.readSignal(c)[5:] - x[5:, c]).max() <= 0.5 * 16_000 / 65_535 + 1e-9
    finally:
        a.close()
        b.close()


def _written(path, scales, x, bdf=False):
    """An EDF (or BDF) file of ``x`` (µV, samples × channels) with each channel's own header ranges."""
    w = pyedflib.EdfWriter(str(path), x.shape[1], file_type=pyedflib.FILETYPE_BDFPLUS if bdf else pyedflib.FILETYPE_EDFPLUS)
    w.setSignalHeaders([{"label": f"GM{c}", "dimension": unit, "sample_frequency": 1000, "physical_min": pmin,
                         "physical_max": pmax, "digital_min": dmin, "digital_max": dmax, "transducer": "",
                         "prefilter": ""} for c, (unit, pmin, pmax, dmin, dmax, _) in enumerate(scales)])
    w.writeSamples([np.ascontiguousarray(x[:, c] / s[5]) for c, s in enumerate(scales)])
    w.close()


@pytest.mark.parametrize("scales, bdf", [
    ([("uV", -5000.0, 8000.0, -32767, 32767, 1.0), ("mV", -4.0, 4.0, -2048, 2047, 1000.0)], False),  # lopsided, 12-bit
    ([("uV", -262144.0, 262143.0, -8388608, 8388607, 1.0)], True),  # a BioSemi channel with a 20-mV offset
])
def test_an_edf_or_bdf_copy_keeps_each_channels_integers_and_ranges(tmp_path, scales, bdf):
    x = np.random.default_rng(5).normal(0, 6, (30_000, len(scales))) + (20_000.0 if bdf else 0.0)
    src = tmp_path / ("rec.bdf" if bdf else "rec.edf")
    _written(src, scales, x, bdf)
    if bdf:  # EDF's 16 bits cannot keep 24-bit samples: refused before the analysis
        rc, _, err = run_main("analyze", str(src), "--edf-out", str(tmp_path / "copy.edf"), "--no-progress")
        assert rc == 2 and "holds BDF's 24-bit samples" in err and "name the copy NAME.bdf" in err
    copy = tmp_path / ("copy.bdf" if bdf else "copy.edf")
    rc, _, err = run_main("analyze", str(src), "--channel", "all", "--edf-out", str(copy), "--no-progress")
    assert rc == 0, err
    a, b = pyedflib.EdfReader(str(src)), pyedflib.EdfReader(str(copy))
    try:
        for c in range(len(scales)):
            np.testing.assert_array_equal(a.readSignal(c, digital=True), b.readSignal(c, digital=True))
            assert (b.getPhysicalMinimum(c), b.getPhysicalMaximum(c)) == (a.getPhysicalMinimum(c), a.getPhysicalMaximum(c))
            np.testing.assert_allclose(b.readSignal(c), a.readSignal(c), rtol=0, atol=1e-9)
    finally:
        a.close()
        b.close()


def _sleep_lab_edf(path, calf):
    """A polysomnograph's EDF+: EEG at 256 Hz first, the calf (µV) at 1 kHz after it, 23:00 start."""
    import datetime

    w = pyedflib.EdfWriter(str(path), 2, file_type=pyedflib.FILETYPE_EDFPLUS)
    w.setSignalHeaders([{"label": label, "dimension": "uV", "sample_frequency": fs, "physical_min": -8000.0,
                         "physical_max": 8000.0, "digital_min": -32768, "digital_max": 32767}
                        for label, fs in (("EEG C3-A2", 256), ("calf", 1000))])
    w.setStartdatetime(datetime.datetime(2026, 1, 1, 23, 0, 0))
    w.writeSamples([np.random.default_rng(0).normal(0.0, 20.0, len(calf) * 256 // 1000), calf])
    w.close()


def test_a_sleep_lab_edf_s_calf_is_read_at_its_own_rate_not_the_first_channel_s(tmp_path):
    """The calf at 1 kHz was read at the EEG's 256 Hz: its 150-s cramp at 200 s came out 586 s long at 781 s."""
    calf = bursts(1000.0, 600.0, 3.0, [(200.0, 350.0, 60.0)], seed=1)
    _sleep_lab_edf(tmp_path / "psg.edf", calf)
    for args in (["--channel", "calf"], ["--channel", "all"], ["--channel", "calf", "--fs", "1000"]):
        rc, out, err = run_main("analyze", tmp_path / "psg.edf", *args, "--json")
        assert rc == 0, err
        s = json.loads(out)
        assert (s["fs_hz"], s["duration_s"], s["channels"]) == (1000.0, 600.0, ["calf"]), args
        (cramp,) = s["episodes"]
        assert cramp["onset_s"] == pytest.approx(200.0, abs=0.5) and cramp["duration_s"] == pytest.approx(150, abs=1)
    # the emulator plays it as a sensor of the calf's rate, as analyze reads it
    p = subprocess.Popen([sys.executable, "-m", "emgcramp", "emulate", str(tmp_path / "psg.edf"), "--channel", "calf",
                          "--pty", str(tmp_path / "pty"), "--speed", "0"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    try:
        first = p.stdout.readline()
    finally:
        p.kill()
        p.wait()
    assert first.startswith(f"sensor emulator on {tmp_path / 'pty'} -> ") and " at 1000 Hz, as fast as it is read" in first, first
    for args, says in ((["--channel", "calf", "--fs", "500"], "--fs 500 Hz disagrees with the file's 256 and 1000 Hz"),
                       (["--channel", "calf", "--fs", "256"], "--fs 256 Hz disagrees with the 1000 Hz of channel 'calf'"),
                       (["--channel", "0,1"], "the channels chosen are sampled at different rates (EEG C3-A2 at "
                                              "256 Hz, calf at 1000 Hz); choose channels of one rate with --channel")):
        rc, out, err = run_main("analyze", tmp_path / "psg.edf", *args)
        assert rc == 2 and err == f"emgcramp: error: {tmp_path / 'psg.edf'}: {says}\n", err


def test_a_copy_widens_its_range_to_hold_every_sample_and_an_uncopyable_cut_is_said(tmp_path):
    """--edf-out of an NPY stored ±8000 µV whatever it held: 3230 samples of a 20-mV artefact were cut."""
    rng = np.random.default_rng(0)
    x = rng.normal(0.0, 5.0, 600_000)
    x[300_000:330_000] += rng.normal(0.0, 5000.0, 30_000)
    np.save(tmp_path / "a.npy", x)
    rc, _, err = run_main("analyze", tmp_path / "a.npy", "--fs", "1000", "--edf-out", tmp_path / "a.edf")
    assert rc == 0, err
    r = pyedflib.EdfReader(str(tmp_path / "a.edf"))
    try:
        top, y = r.getPhysicalMaximum(0), r.readSignal(0)
        texts = list(r.readAnnotations()[2])
    finally:
        r.close()
    assert top == 1000.0 * np.ceil(np.abs(x).max() / 1000.0)  # the next whole mV over the largest sample
    assert np.abs(y - x).max() <= top / 32767.5  # every sample within half a bit
    assert not any("samples cut to" in t for t in texts)
    # A 10-V sample (what a +-10 V DAQ reads at its rail, in uV) needs a range EDF's 8 characters hold in mV.
    x[5000] = -1.0e7
    np.save(tmp_path / "rail.npy", x)
    rc, _, err = run_main("analyze", tmp_path / "rail.npy", "--fs", "1000", "--edf-out", tmp_path / "rail.edf")
    assert rc == 0 and "truncated" not in err, err
    r = pyedflib.EdfReader(str(tmp_path / "rail.edf"))
    try:
        assert (r.getPhysicalDimension(0), r.getPhysicalMinimum(0), r.getPhysicalMaximum(0)) == ("mV", -1e4, 1e4)
        assert np.abs(r.readSignal(0) * 1000.0 - x).max() <= 1e7 / 32767.5
    finally:
        r.close()
    # Blocks that cannot be read again are stored at the rail, and the copy says how many were.
    write_edf(str(tmp_path / "b.edf"), 1000.0, ["calf"], iter([x[:, None]]))
    r = pyedflib.EdfReader(str(tmp_path / "b.edf"))
    try:
        assert r.getPhysicalMaximum(0) == 8000.0 and np.abs(r.readSignal(0)).max() == pytest.approx(8000.0, abs=0.3)
        assert f"{int((np.abs(x) > 8000.0).sum())} samples cut to +-8000 uV" in list(r.readAnnotations()[2])
    finally:
        r.close()


def _edf_of(path, channels, fs=1000):
    """An EDF+ of (label, unit, samples in that unit, physical range) per channel."""
    import pyedflib

    w = pyedflib.EdfWriter(str(path), len(channels), file_type=pyedflib.FILETYPE_EDFPLUS)
    w.setSignalHeaders([{"label": lab, "dimension": unit, "sample_frequency": fs, "physical_min": -top,
                         "physical_max": top, "digital_min": -32768, "digital_max": 32767, "transducer": "",
                         "prefilter": ""} for lab, unit, _, top in channels])
    w.writeSamples([np.asarray(x, dtype=float) for _, _, x, _ in channels])
    w.close()


@pytest.mark.long
def test_an_edf_channel_without_a_unit_takes_scale(tmp_cwd):
    """A blank unit was read as µV (a night in mV gave a rest of 0.004 µV and no cramp), and the --scale the note
    then asked for was refused: 'this one carries its own units'."""
    from conftest import SAMPLE_NIGHT, run_cli

    with open_recording(SAMPLE_NIGHT) as rec:
        x = read_all(rec)
    _edf_of("blank.edf", [("calf", "", x / 1000, 10.0)])
    _edf_of("mv.edf", [("calf", "mV", x / 1000, 10.0)])
    rows = {}
    for name, extra in (("mv.edf", []), ("blank.edf", ["--scale", "1000"])):
        rc, _, err = run_cli("analyze", name, *extra, "--events", f"{name}.csv", "--no-progress")
        assert rc == 0 and "not in µV" not in err, err
        rows[name] = [(r["onset_s"], r["duration_s"]) for r in csv.DictReader(open(f"{name}.csv"))]
    assert len(rows["mv.edf"]) == 3 and rows["blank.edf"] == rows["mv.edf"]
    rc, _, err = run_cli("analyze", "blank.edf", "--no-progress")
    assert rc == 0 and "are the samples in µV?" in err and "--scale on the command line" in err
    rc, _, err = run_cli("analyze", "mv.edf", "--scale", "1000")
    assert rc == 2 and "--scale is for channels whose header gives no unit; each one here gives its own" in err
    rc, out, err = run_cli("analyze", "*.edf", "--scale", "1000", "--no-progress")  # a batch: where it applies
    assert rc == 0 and "mv.edf: --scale not applied: it carries its own units" in err, err
    assert "blank.edf: --scale" not in err and "2 of 2 recordings analysed, 6 cramp(s)" in out


def test_channel_all_leaves_out_channels_that_are_no_voltage(tmp_cwd):
    """An accelerometer (in g) beside the calf stopped --channel all; a CSV's force_kgf column was taken for a
    muscle."""
    from conftest import run_cli

    rng = np.random.default_rng(0)
    _edf_of("aux.edf", [("calf", "uV", rng.normal(0, 4, 20_000), 8000.0),
                        ("Activity", "g", np.zeros(20_000), 8.0)])
    rc, out, err = run_cli("analyze", "aux.edf", "--channel", "all", "--json")
    assert rc == 0 and json.loads(out)["channels"] == ["calf"], err
    assert "--channel all leaves out Activity (in g): not a voltage\n" in err  # not offered: it is refused
    rc, _, err = run_cli("analyze", "aux.edf", "--channel", "Activity")
    assert rc == 2 and "channel 'Activity' is in 'g', not a voltage" in err
    np.savetxt("f.csv", rng.normal(0, 4, (20_000, 3)), delimiter=",", header="LG,TA,force_kgf", comments="")
    rc, out, err = run_cli("analyze", "f.csv", "--fs", "1000", "--channel", "all", "--json")
    assert rc == 0 and json.loads(out)["channels"] == ["LG", "TA"], err
    assert "leaves out force_kgf (in kgf): not a voltage\n" in err


def test_a_first_column_that_counts_the_samples_is_no_channel(tmp_path):
    """A CSV's 'sample' column (0, 1, 2 …) was analysed as the calf, silently (no cramp, whatever the calf did)."""
    from conftest import run_cli

    x = np.random.default_rng(0).normal(0, 5, 20_000)
    p = tmp_path / "s.csv"
    np.savetxt(p, np.column_stack([np.arange(20_000), x]), delimiter=",", header="sample,calf", comments="",
               fmt=["%d", "%.4f"])
    with open_recording(str(p), fs=1000.0) as rec:
        assert rec.channel_names == ["calf"] and rec.fs == 1000.0
        np.testing.assert_allclose(read_all(rec), x, atol=1e-4)
    rc, _, err = run_cli("analyze", p)
    assert rc == 2 and "its first column, 'sample', counts the samples and gives no sampling rate: give --fs HZ" \
        in err
    i = np.arange(20_000)
    i[5000:] += 3  # three samples lost
    np.savetxt(p, np.column_stack([i, x]), delimiter=",", header="sample,calf", comments="", fmt=["%d", "%.4f"])
    rc, _, err = run_cli("analyze", p, "--fs", "1000")
    assert rc == 2 and "steps by +0.004 s at data row 5001" in err, err
    # a row written twice is no sample: refused, as a gap is
    t = np.insert(np.round(np.arange(20_000) / 1000.0, 3), 5000, 4.999)
    np.savetxt(p, np.column_stack([t, np.insert(x, 5000, x[4999])]), delimiter=",", header="time,calf",
               comments="", fmt=["%.3f", "%.4f"])
    rc, _, err = run_cli("analyze", p)
    assert rc == 2 and ("steps by +0 s at data row 5001 (t = 4.999 s) instead of 0.001 s: a time repeated or going "
                        "back (rows written twice?)") in err, err


def test_an_edf_a_notebook_holds_open_is_analysed_all_the_same(tmp_path):
    """EDFlib refuses a file it has open ("file has already been opened"): a reader the caller held, or one of an
    earlier run that ended in an error and was not yet collected, made analyze fail (a flaky test found it), and
    the refusal left the caller's reader reading zeros."""
    import shutil

    import emgcramp

    shutil.copy(SAMPLE_NIGHT, tmp_path / "n.edf")
    held = pyedflib.EdfReader(str(tmp_path / "n.edf"))
    try:
        result = emgcramp.analyze(str(tmp_path / "n.edf"))
        assert [round(c.onset_s) for c in result.cramps] == [124, 219, 1131]
        other = pyedflib.EdfReader(SAMPLE_NIGHT)
        assert held.readSignal(0, 500_000, 3).tolist() == other.readSignal(0, 500_000, 3).tolist() != [0.0] * 3
        other.close()
    finally:
        held.close()


def test_an_edf_copy_keeps_every_annotation_and_every_word_of_it(tmp_path):
    """EDFlib keeps one annotation a 1-s record and 40 bytes of its text: a copy of a recording with two
    notes a second lost the rest, its own cramps among them, and cut a technician's note, saying nothing."""
    import pyedflib

    from emgcramp.io.edf_header import pieces

    note = "Technician: patient reports calf pain left leg at 02:10, woke up and stretched"
    assert pieces(note) == ["Technician: patient reports calf..", "..pain left leg at 02:10, woke up and..",
                            "..stretched"]
    assert pieces("short") == ["short"] and all(len(p.encode()) <= 40 for p in pieces("é" * 60 + " x" * 30))
    x = np.random.default_rng(0).normal(0, 4, (600 * 250, 1))
    notes = [(k * 0.5, -1.0, f"note {k}") for k in range(1200)] + [(599.0, 1.0, note)]
    path = str(tmp_path / "dense.edf")
    write_edf(path, 250, ["calf"], lambda: iter([x]), notes)
    r = pyedflib.EdfReader(path)
    texts = list(r.readAnnotations()[2])
    r.close()
    assert len(texts) == 1203 and sorted(t for t in texts if t.startswith("note ")) == \
        sorted(f"note {k}" for k in range(1200))
    assert " ".join(t.strip(".") for t in texts if not t.startswith("note ")) == note
    with pytest.warns(SettingsWarning, match="1203 annotations for 600 s of signal: .* the last ones are not in it"):
        write_edf(str(tmp_path / "once.edf"), 250, ["calf"], iter([x]), notes)  # blocks given once: said
    with pytest.raises(InputError, match="cannot write .*: 700 annotations for 10 s of signal: EDF\\+ holds 64"):
        write_edf(str(tmp_path / "over.edf"), 250, ["calf"], lambda: iter([x[:2500]]), notes[:700])
    assert not os.path.exists(tmp_path / "over.edf")


@pytest.mark.parametrize("cell, kind", [("Tonic", "tonic"), ("clonic ", "clonic"), ("martian", None),
                                        ("possible", None), ("", None)])
def test_a_cramp_s_kind_is_tonic_or_clonic_whatever_a_spreadsheet_made_of_it(tmp_path, cell, kind):
    """report ended in an internal error (KeyError) on a kind it has no colour for; trend counted it."""
    from emgcramp.io.events import read_events_csv

    p = str(tmp_path / "events.csv")
    write_events_csv(p, [Episode(10.0, 40.0, 30.0, "tonic", 200.0, 150.0, 4.0, "calf")])
    lines = open(p).read().splitlines()
    lines[1] = lines[1].replace(",tonic,", f",{cell},", 1)
    open(p, "w").write("\n".join(lines) + "\n")
    if kind:
        assert [e.kind for e in read_events_csv(p)] == [kind]
    else:
        with pytest.raises(InputError, match="line 2: column 'kind' is .*; expected tonic or clonic"):
            read_events_csv(p)
    rc, out, err = run_cli("report", SAMPLE_NIGHT, "--events", p, "--out", str(tmp_path / "r.html"))
    assert (rc, err.count("\n")) == ((0, 0) if kind else (2, 1)), err


def test_a_wide_copy_writes_its_range_without_pyedflib_s_warning(tmp_path):
    """A copy of loud samples (±194 mV) leaked pyedflib's two-line UserWarning about -194000.0's 9 characters."""
    import warnings

    x = np.random.default_rng(0).normal(0, 40_000, (10_000, 1))
    x[5] = 193_500.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_edf(str(tmp_path / "wide.edf"), 1000, ["calf"], lambda: iter([x]))
    r = pyedflib.EdfReader(str(tmp_path / "wide.edf"))
    assert r.getPhysicalMinimum(0) == -194000.0 and r.getPhysicalMaximum(0) == 194000.0
    np.testing.assert_allclose(r.readSignal(0), x[:, 0], atol=194000 / 32767)
    r.close()


def test_a_file_of_another_kind_named_npy_is_said_to_be_no_npy_file(tmp_path):
    """NumPy takes any file that is not an NPY for a pickle, and its message suggested unpickling it."""
    import shutil

    from conftest import SAMPLE_NIGHT

    shutil.copy(SAMPLE_NIGHT, tmp_path / "x.npy")
    with pytest.raises(InputError) as e:
        open_recording(str(tmp_path / "x.npy"), fs=1000.0)
    assert str(e.value) == (f"{tmp_path / 'x.npy'}: not a readable .npy file (it does not begin as one does: another "
                            "kind of file named .npy?)")


def test_a_name_two_channels_share_takes_the_first_and_says_so(tmp_path):
    from conftest import run_cli

    np.savetxt(tmp_path / "dd.csv", np.random.default_rng(0).normal(0, 5, (8000, 2)), delimiter=",",
               header="GM,gm", comments="")
    rc, _, err = run_cli("analyze", tmp_path / "dd.csv", "--fs", "1000", "--channel", "GM")
    assert rc == 0 and err == (f"emgcramp: note: {tmp_path / 'dd.csv'}: 2 channels are named 'GM': the first (index "
                               "0) is analysed; give an index to take another\n")
    assert run_cli("analyze", tmp_path / "dd.csv", "--fs", "1000", "--channel", "1")[2] == ""


def test_lines_of_text_above_a_table_are_said_with_where_the_table_starts(tmp_path):
    """An export that names the subject and the date above its header was "found text at line 1", no more."""
    (tmp_path / "pre.csv").write_text("Subject: S01\nDate: 2026-01-01 23:00\n\ntime,GM\n"
                                      + "".join(f"{i / 1000:.3f},{i % 5}.0\n" for i in range(50)))
    with pytest.raises(InputError, match=r"pre\.csv: not a recording: .*found text at line 1; its table seems to "
                                         r"start at line 4: remove the lines above it$"):
        open_recording(str(tmp_path / "pre.csv"))
    (tmp_path / "prose.txt").write_text("Night 3\ncramp at 2 am, left calf\n")
    with pytest.raises(InputError, match=r"found text at line 1$"):
        open_recording(str(tmp_path / "prose.txt"), fs=1000.0)


def test_a_headerless_first_column_that_climbs_like_time_is_said_not_silently_taken_for_emg(tmp_path):
    # before: analysed as the channel ch0, then "channel 'ch0' is flat (constant or all-zero)"
    rng = np.random.default_rng(3)
    emg = rng.normal(0.0, 5.0, 3000)
    (tmp_path / "t.csv").write_text("".join(f"{i / 1000:.3f},{v:.3f}\n" for i, v in enumerate(emg)))
    (tmp_path / "n.tsv").write_text("".join(f"{i}\t{v:.3f}\n" for i, v in enumerate(emg)))
    (tmp_path / "two.csv").write_text("".join(f"{v:.3f},{w:.3f}\n" for v, w in zip(emg, rng.normal(0, 5, 3000))))
    for name in ("t.csv", "n.tsv"):
        with pytest.warns(SettingsWarning, match=rf"{name}: its first column climbs row by row as a time or "
                                                 r"sample count does.* add a header line that names it time"):
            open_recording(str(tmp_path / name), fs=1000.0).close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # two EMG channels: nothing said
        rec = open_recording(str(tmp_path / "two.csv"), fs=1000.0)
        assert rec.channel_names == ["ch0", "ch1"]
        rec.close()



def test_a_table_of_times_is_marks_only_when_its_columns_rise_a_recording_named_in_s_stays_one(tmp_path):
    rng = np.random.default_rng(4)
    rows = "".join(f"{i / 1000:.3f},{rng.normal():.3f},{rng.normal():.3f}\n" for i in range(3000))
    (tmp_path / "emg.csv").write_text("time_s,GM_s,GL_s\n" + rows)
    (tmp_path / "noname.csv").write_text("soleus ms,gastroc ms\n" + "".join(r.split(",", 1)[1] for r in
                                                                          rows.splitlines(keepends=True)))
    with open_recording(str(tmp_path / "emg.csv")) as rec:
        assert rec.channel_names == ["GM_s", "GL_s"] and rec.fs == 1000.0
    with open_recording(str(tmp_path / "noname.csv"), fs=1000.0) as rec:
        assert len(rec.channel_names) == 2
    from emgcramp.core.settings import personal_problem, settings_problem
    # a whole number too large for a float is weighed, not an OverflowError
    assert settings_problem({"min_duration_s": 10 ** 400}) == ""
    assert personal_problem(10 ** 400, {}).startswith("offset must be a number of log-odds within ±0.9")
