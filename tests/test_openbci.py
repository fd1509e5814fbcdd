"""The OpenBCI GUI's raw files: its ExG channels in µV at the rate its header names, the rest left out."""

import json

import numpy as np
import pytest
from conftest import bursts, run_main

import emgcramp
from emgcramp.core.errors import InputError, SettingsWarning
from emgcramp.io import detect_format, open_recording

FS = 250.0
HEAD = ("%OpenBCI Raw EXG Data\n%Number of channels = 4\n%Sample Rate = 250 Hz\n"
        "%Board = OpenBCI_GUI$BoardCytonSerial\n"
        "Sample Index, EXG Channel 0, EXG Channel 1, Accel Channel 0, Accel Channel 1, Accel Channel 2, Other, "
        "Analog Channel 0, Timestamp, Marker, Timestamp (Formatted)\n")


def gui_file(path, exg: np.ndarray) -> str:
    """``exg`` (samples × 2, µV) as the GUI saves it: a wrapping packet counter, timestamps, a date at the end."""
    t = 1767308400.0 + np.arange(len(exg)) / FS
    with open(path, "w") as f:
        f.write(HEAD)
        for i, (a, b) in enumerate(exg):
            stamp = np.datetime64(int(t[i] * 1000), "ms").astype(str).replace("T", " ")
            f.write(f"{i % 256}, {a:.6f}, {b:.6f}, 0.012, -0.004, 0.998, 192.0, 0.0, {t[i]:.6f}, 0.0, {stamp}\n")
    return str(path)


def test_the_exg_channels_are_read_in_microvolts_at_the_header_s_rate(tmp_path):
    # before: "not a recording … found text at line 1"; the '%' lines cut, the packet counter was the channel
    x = np.column_stack([bursts(FS, 300.0, 4.0, [(60.0, 130.0, 150.0)], seed=1), bursts(FS, 300.0, 3.0, [], seed=2)])
    path = gui_file(tmp_path / "OpenBCI-RAW-2026-01-01_23-00-00.txt", x)
    assert detect_format(path) == "openbci"
    with open_recording(path) as rec:
        assert rec.fs == FS and rec.channel_names[:2] == ["EXG Channel 0", "EXG Channel 1"]
        assert rec.foreign_units() == {2: "g", 3: "g", 4: "g"} and str(rec.start) == "2026-01-01 23:00:00"
        rec.select([0, 1])
        got = np.concatenate([b.samples for b in rec.blocks([0, 1], 997)])
    np.testing.assert_allclose(got, x, atol=5e-7)  # printed to 6 decimals
    same = emgcramp.find_cramps(got.T, FS, channel_names=["EXG Channel 0", "EXG Channel 1"])
    with pytest.warns(SettingsWarning, match=r"channel= all leaves out Accel Channel 0 \(in g\), Accel Channel 1 "):
        r = emgcramp.analyze(path, channel="all")
    assert r.summary()["channels"] == ["EXG Channel 0", "EXG Channel 1"]  # the accelerometer, in g, left out
    assert [(c.onset_s, c.offset_s, c.probability) for c in r.cramps] == \
        [(c.onset_s, c.offset_s, c.probability) for c in same.cramps]
    assert [round(c.onset_s) for c in r.cramps] == [60]


def test_what_the_file_cannot_give_is_one_line(tmp_path):
    path = gui_file(tmp_path / "r.txt", np.random.default_rng(0).normal(0.0, 3.0, (500, 2)))
    rc, _, err = run_main("analyze", path, "--channel", "Accel Channel 0")
    assert rc == 2 and err.endswith("channel 'Accel Channel 0' is the accelerometer, in g, not a voltage\n"), err
    rc, _, err = run_main("analyze", path, "--fs", "500")
    assert rc == 2 and "--fs 500 Hz disagrees with the file's 250 Hz" in err, err
    (tmp_path / "norate.txt").write_text(open(path).read().replace("%Sample Rate = 250 Hz\n", ""))
    rc, _, err = run_main("analyze", str(tmp_path / "norate.txt"))
    assert rc == 2 and "no sampling rate" in err, err
    rc, out, err = run_main("analyze", str(tmp_path / "norate.txt"), "--fs", "250", "--json")
    assert rc == 0 and json.loads(out)["fs_hz"] == 250.0, err
    with open(path, "a") as f:
        f.write("244, 1.0, 2.0, 0.0\n")  # cut by a crash
    with pytest.raises(InputError, match=r"r.txt: not an OpenBCI GUI table: line 506 has 4 columns where the "
                                         r"header names 11; fix or remove that line"):
        emgcramp.analyze(path)
    (tmp_path / "h.txt").write_text(HEAD.replace("EXG Channel", "Aux"))
    with pytest.raises(InputError, match="an OpenBCI GUI file whose header names no EXG channel"):
        emgcramp.analyze(str(tmp_path / "h.txt"))


def test_a_folder_of_gui_files_is_analysed_file_by_file(tmp_path):
    # their rows end in a date, which is no number: before, taken for notes beside the recordings
    for k in (1, 2):
        gui_file(tmp_path / f"OpenBCI-RAW-{k}.txt", np.random.default_rng(k).normal(0.0, 3.0, (2500, 2)))
    rc, out, err = run_main("analyze", str(tmp_path), "--no-progress")
    assert rc == 0 and out.splitlines()[-1] == "2 of 2 recordings analysed, 0 cramp(s) in all", out + err


def test_a_file_cut_after_its_header_lines_and_one_from_an_older_gui_are_read_or_refused_in_one_line(tmp_path):
    # before: a file holding only its '%' lines (a GUI stopped at once) hung for good; the GUI's columns were
    # "EEG Channel N" before version 5, which no command took as a muscle without naming it
    (tmp_path / "cut.txt").write_text("%OpenBCI Raw EXG Data\n%Sample Rate = 250 Hz\n")
    with pytest.raises(InputError, match="cut.txt: an OpenBCI GUI file with no header row and no samples"):
        open_recording(str(tmp_path / "cut.txt"))
    x = np.column_stack([bursts(FS, 120.0, 4.0, [(40.0, 100.0, 150.0)], seed=1), bursts(FS, 120.0, 3.0, [], seed=2)])
    new = gui_file(tmp_path / "new.txt", x)
    (tmp_path / "old.txt").write_text(open(new).read().replace("EXG Channel", "EEG Channel"))
    old = emgcramp.analyze(str(tmp_path / "old.txt"))
    assert old.summary()["channels"] == ["EXG Channel 0"]
    assert [(c.onset_s, c.probability) for c in old.cramps] == [(c.onset_s, c.probability)
                                                                for c in emgcramp.analyze(new).cramps]
    assert emgcramp.analyze(str(tmp_path / "old.txt"), channel="EEG Channel 1").summary()["channels"] == \
        ["EXG Channel 1"]  # asked for by the name the file gives it
