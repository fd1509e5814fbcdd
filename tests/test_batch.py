"""Batch analysis equals one-by-one runs; one bad file is reported, not fatal; every format is found; EDF+ copies."""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import REAL, RECORDINGS, SAMPLE_NIGHT, bursts, run_cli

from emgcramp.cli.batch import subject_of
from emgcramp.io import recordings_in as expand
from emgcramp.io.events import COLUMNS


def test_batch_equals_one_by_one_and_survives_a_bad_file(tmp_cwd):
    os.mkdir("cohort")
    shutil.copy(SAMPLE_NIGHT, "cohort/S01_night1.edf")
    shutil.copy(os.path.join(REAL, "santuz_walking_lowerlimb", "ID0012_TW_01_raw_emg.csv"), "cohort/S02_walk.csv")
    open("cohort/S03_broken.edf", "wb").write(b"0       garbage")
    rc, out, err = run_cli("analyze", "cohort", "--jobs", "2", "--events", "all.csv")
    assert rc == 1  # one file failed: said so, and the rest is there
    assert "S03_broken.edf: FAILED" in err and "2 of 3 recordings analysed, 3 cramp(s) in all; 1 failed" in out
    merged = list(csv.DictReader(open("all.csv")))
    assert list(merged[0]) == [*COLUMNS, "file", "subject"]  # the events CSV's columns first, as promised
    assert run_cli("analyze", "cohort/S01_night1.edf", "--events", "one.csv")[0] == 0
    single = list(csv.DictReader(open("one.csv")))
    assert [{k: r[k] for k in single[0]} for r in merged] == single
    assert {r["subject"] for r in merged} == {"S01"}


def test_folder_rerun_with_its_tables_inside(tmp_cwd):
    os.mkdir("tn")
    shutil.copy(SAMPLE_NIGHT, "tn/S01_a.edf")
    assert run_cli("analyze", "tn", "--events", "tn/all.csv", "--jobs", "1")[0] == 0
    assert run_cli("analyze", "tn/S01_a.edf", "--lm-events", "tn/lm.csv")[0] == 0
    first = open("tn/all.csv").read()
    rc, out, err = run_cli("analyze", "tn", "--events", "tn/all.csv", "--jobs", "1")  # our tables are no recordings
    assert rc == 0 and "1 of 1 recordings analysed, 3 cramp(s)" in out, err
    assert open("tn/all.csv").read() == first
    rc, out, err = run_cli("analyze", "tn", "--events", "elsewhere.csv", "--jobs", "1")
    assert rc == 0 and "1 of 1 recordings analysed" in out and "FAIL" not in out + err


def test_glob_and_nothing_found(tmp_cwd):
    shutil.copy(SAMPLE_NIGHT, "a_night.edf")
    rc, out, _ = run_cli("analyze", "*.edf")
    assert rc == 0 and "1 of 1 recordings analysed, 3 cramp(s)" in out
    rc, _, err = run_cli("analyze", "*.nothing")
    assert rc == 2 and "no recordings found" in err
    shutil.copy(SAMPLE_NIGHT, "night[1].edf")  # a file that exists is one recording, whatever its name holds
    rc, out, _ = run_cli("analyze", "night[1].edf")
    assert rc == 0 and "3 cramp(s) in" in out and "recordings analysed" not in out


def test_a_recording_reached_by_a_link_is_analysed_once(tmp_cwd):
    os.makedirs("nights")
    shutil.copy(SAMPLE_NIGHT, "nights/a.edf")
    os.symlink("a.edf", "nights/b.edf")
    os.symlink(os.path.abspath("nights/a.edf"), "nights/c.edf")
    shutil.copy(SAMPLE_NIGHT, "nights/d.edf")  # a copy is another file: a night of its own
    with pytest.warns(UserWarning) as said:
        assert expand("nights") == ["nights/a.edf", "nights/d.edf"]
    assert [str(w.message) for w in said] == [f"nights/{n}.edf is the same recording as nights/a.edf (a link to it): "
                                              "analysed once" for n in "bc"]
    rc, out, err = run_cli("analyze", "nights")
    assert rc == 0 and "2 of 2 recordings analysed, 6 cramp(s) in all" in out, err
    assert "nights/b.edf is the same recording as nights/a.edf" in err


@pytest.mark.long
def test_a_folder_says_which_subfolders_it_did_not_search(tmp_cwd):
    """A study kept as one folder per subject: its recordings are not taken unsaid, nor refused without the way."""
    for sub in ("S012", "P3"):
        os.makedirs(f"study/{sub}")
        shutil.copy(SAMPLE_NIGHT, f"study/{sub}/night.edf")
    os.makedirs("study/notes")  # holds no recording: not named
    rc, _, err = run_cli("analyze", "study")
    assert rc == 2 and err.strip() == (
        "emgcramp: error: study: no recordings found (looked for .asc, .bdf, .csv, .dat, .edf, .hea, .npy, .rec, "
        ".tsv, .txt, .wav, .xdf and monitor night folders); its subfolders are not searched (P3, S012): give a "
        "pattern such as 'study/*/*.edf'"), err
    shutil.copy(SAMPLE_NIGHT, "study/top.edf")
    rc, out, err = run_cli("analyze", "study")
    notes = [line for line in err.splitlines() if "note:" in line]
    assert rc == 0 and "1 of 1 recordings analysed" in out and notes == [
        "emgcramp: note: study: only the files in it are taken (1); its subfolders are not searched (P3, S012): give a "
        "pattern such as 'study/*/*.edf'"], err
    rc, out, _ = run_cli("analyze", "study/*/*.edf")
    assert rc == 0 and "2 of 2 recordings analysed, 6 cramp(s)" in out
    for sub in ("S012", "P3"):  # results beside the recordings are no recordings; night folders take '*'
        shutil.move(f"study/{sub}/night.edf", f"study/{sub}.edf")
    run_cli("analyze", "study/S012.edf", "--events", "study/P3/cramps.csv")
    # nor are a recording's answers (review keeps them in RECORDING.labels/) or notes without numbers
    os.makedirs("study/S012.edf.labels")
    open("study/S012.edf.labels/labels.csv", "w").write("onset_s,offset_s,label,given_at,listed\n1,2,cramp,x,\n")
    open("study/notes/what I felt.txt", "w").write("woke at 3, calf hard\n")
    rc, _, err = run_cli("analyze", "study")
    assert rc == 0 and "subfolders" not in err, err
    from datetime import datetime

    from emgcramp.core.blocks import Block
    from emgcramp.io.night import NightLog

    log = NightLog("study/P3/night", 1000.0, ["calf"], datetime(2026, 1, 1, 23, 0, 0))
    log.block(Block(0, bursts(1000.0, 5.0, 4.0, [])[:, None]))
    log.close({"duration_s": 5.0})
    rc, _, err = run_cli("analyze", "study")
    assert "its subfolders are not searched (P3): give a pattern such as 'study/*/*'" in err, err


@pytest.mark.parametrize("path,subject", [("data/S012_night3.edf", "S012"), ("sub-07/ses-1/night.edf", "sub-07"),
                                          ("nights/night.edf", ""), ("nights2/night-20261205-073309", ""),
                                          ("cohort/patient12/night.edf", "patient12"), ("P3/n.edf", "P3"),
                                          ("pt07_n2.edf", "pt07"), ("week/day7.edf", ""), ("rec1.edf", ""),
                                          ("leg2.edf", ""), ("v2/n1.edf", ""), ("S02 nuit été.edf", "S02"),
                                          ("p4 2026-12-01.edf", "p4"), ("day 7.edf", "")])
def test_subject_from_names(path, subject):
    assert subject_of(path) == subject


def test_edf_copy_with_cramps_annotated(tmp_cwd):
    rc, _, err = run_cli("analyze", SAMPLE_NIGHT, "--edf-out", "copy.edf")
    assert rc == 0, err
    mne = pytest.importorskip("mne")
    raw = mne.io.read_raw_edf("copy.edf", preload=False, verbose="error")
    notes = [d for d in raw.annotations.description if d.startswith("cramp:")]
    assert notes == ["cramp:tonic peak 426 uV", "cramp:tonic peak 162 uV", "cramp:clonic peak 288 uV"]
    assert not [d for d in raw.annotations.description if d.startswith("possible_cramp:")]
    movements = [d for d in raw.annotations.description if d == "lm" or d.startswith("plm ")]
    lm = run_cli("analyze", SAMPLE_NIGHT, "--json")[1]
    assert len(movements) == json.loads(lm)["leg_movements"]["lm"] and movements.count("plm 1") >= 5
    assert raw.n_times == 1_200_000



def test_edf_copy_marks_a_possible_cramp_apart_with_its_probability(tmp_cwd):
    from conftest import bursts

    from emgcramp.io.edf import write_edf

    # a cramp held 90 s at 50 × rest, and a 20-s burst at 25 × rest that the decision is unsure of
    x = bursts(1000.0, 200, 4.0, [(30, 120, 200), (150, 170, 100)])
    write_edf("two.edf", 1000.0, ["calf"], [x[:, None]], [])
    rc, _, err = run_cli("analyze", "two.edf", "--edf-out", "copy.edf")
    assert rc == 0, err
    mne = pytest.importorskip("mne")
    notes = list(mne.io.read_raw_edf("copy.edf", preload=False, verbose="error").annotations.description)
    doc = json.loads(run_cli("analyze", "two.edf", "--json")[1])
    (listed,) = doc["possible_cramps"]
    assert listed["kind"] == "tonic" and listed["onset_s"] == pytest.approx(150.0, abs=0.5)
    assert 0.0 < listed["probability"] < 0.6
    assert [n for n in notes if n.startswith("possible_cramp:")] == [f"possible_cramp:tonic p {listed['probability']:.2f}"]
    assert [n.split(" peak")[0] for n in notes if n.startswith("cramp:")] == ["cramp:tonic"]

@pytest.mark.long
def test_dask_local_cluster_gives_the_same_table(tmp_cwd):
    pytest.importorskip("distributed")
    os.mkdir("cohort")
    shutil.copy(SAMPLE_NIGHT, "cohort/S01_a.edf")
    shutil.copy(SAMPLE_NIGHT, "cohort/S02_b.edf")
    rc, out, err = run_cli("analyze", "cohort", "--dask", "local", "--jobs", "2", "--events", "dask.csv")
    assert rc == 0, err
    assert run_cli("analyze", "cohort", "--jobs", "2", "--events", "pool.csv")[0] == 0
    assert open("dask.csv").read() == open("pool.csv").read()
    assert len(open("dask.csv").read().splitlines()) == 1 + 6  # two nights, three cramps each


def test_a_folder_starts_no_more_workers_than_it_has_recordings(tmp_cwd, pools_started):
    """--jobs 300 started 300 worker processes for 3 files; for one file now none (it runs here)."""
    from conftest import run_main

    os.mkdir("cohort")
    for name in ("S01.edf", "S02.edf"):
        shutil.copy(SAMPLE_NIGHT, f"cohort/{name}")
    assert run_main("analyze", "cohort", "--jobs", "300", "--events", "two.csv")[0] == 0
    os.remove("cohort/S02.edf")
    assert run_main("analyze", "cohort", "--jobs", "300", "--events", "one.csv")[0] == 0
    assert pools_started == [2] and open("one.csv").read().count("S01.edf") == 3  # its three cramps


def test_a_file_name_with_a_newline_or_a_tab_makes_no_line_or_column_of_its_own(tmp_cwd):
    os.mkdir("cohort")
    shutil.copy(SAMPLE_NIGHT, "cohort/x\nFAKE\t-\t99 cramp(s).edf")
    rc, out, err = run_cli("analyze", "cohort")
    assert rc == 0 and out.splitlines()[0] == "cohort/x\\nFAKE\\t-\\t99 cramp(s).edf\t-\t3 cramp(s)\t0.33 h"
    assert len(out.splitlines()) == 2 and err == "[1/1] cohort/x\\nFAKE\\t-\\t99 cramp(s).edf: 3 cramp(s)\n"


@pytest.mark.long
def test_a_scheduler_that_is_not_there_is_said_within_seconds(tmp_cwd):
    import shutil
    import time

    pytest.importorskip("distributed")  # without the dask extra --dask says so instead: not this test

    os.mkdir("in")
    shutil.copy(os.path.join(RECORDINGS, "field", "field_tone.edf"), "in")
    t = time.monotonic()
    rc, _, err = run_cli("analyze", "in", "--dask", "tcp://127.0.0.1:1")
    assert rc == 2 and "cannot reach a Dask scheduler" in err and err.count("\n") == 1
    assert time.monotonic() - t < 15.0  # 5 s to connect, plus start-up


@pytest.mark.long
def test_a_server_that_takes_the_connection_and_says_nothing_is_no_scheduler(tmp_cwd):
    """A web page's port given as --dask held the command for minutes: Dask's timeout bounds the connection."""
    import shutil
    import socket
    import time

    pytest.importorskip("distributed")
    os.mkdir("in")
    shutil.copy(os.path.join(RECORDINGS, "field", "field_tone.edf"), "in")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
        t = time.monotonic()
        rc, _, err = run_cli("analyze", "in", "--dask", address)
    assert rc == 2 and err == (f"emgcramp: error: cannot reach a Dask scheduler at {address} within 5 s "
                               "(it took the connection and did not answer)\n"), err
    assert time.monotonic() - t < 15.0


def test_every_format_open_recording_reads_is_found_in_a_folder(tmp_path):
    """.asc text, a WFDB record (.hea with its .dat) and XDF: each found once, and analysed."""
    pytest.importorskip("wfdb")
    pytest.importorskip("pyxdf")
    from test_wfdb import _write_record
    from test_xdf import FS as XDF_FS
    from test_xdf import write_xdf

    fs = 500.0
    x = bursts(fs, 120, 4.0, [(40, 70, 300)])
    with open(tmp_path / "S01_night.asc", "w") as f:  # tab-separated, its rate from the time column
        f.write("time_s\tGM\n" + "".join(f"{k / fs:.4f}\t{v:.3f}\n" for k, v in enumerate(x)))
    _write_record(tmp_path, bursts(1000.0, 120, 4.0, [(40, 70, 300)]), name="S02_night")
    y = bursts(XDF_FS, 120, 4.0, [(40, 70, 300)])
    write_xdf(tmp_path / "S03_night.xdf", [("calf", "microvolts", ["GM"], y[:, None], np.arange(len(y)) / XDF_FS)])
    assert sorted(os.listdir(tmp_path)) == ["S01_night.asc", "S02_night.dat", "S02_night.hea", "S03_night.xdf"]
    found = [os.path.basename(p) for p in expand(str(tmp_path))]
    assert found == ["S01_night.asc", "S02_night.hea", "S03_night.xdf"]  # the record once, by its header
    rc, out, err = run_cli("analyze", tmp_path, "--channel", "GM")
    assert rc == 0, err
    assert "3 of 3 recordings analysed" in out


def test_the_files_a_wfdb_header_names_are_parts_of_its_record(tmp_path):
    """Signal files named otherwise than the record, a multi-segment record, and a text .dat of its own."""
    (tmp_path / "rec.hea").write_text("# a comment\nrec 2 1000 5000\nrec_a.dat 16 200 16 0 0 0 0 GM\n"
                                      "rec_b.dat 16 200 16 0 0 0 0 TA\n")
    for name in ("rec_a.dat", "rec_b.dat"):
        (tmp_path / name).write_bytes(b"\x00\x01" * 10)
    (tmp_path / "other.dat").write_text("1 2\n3 4\n")
    (tmp_path / "long.hea").write_text("long/2 1 1000 10000\nlong_1 5000\n~ 5000\n")  # multi-segment
    (tmp_path / "long_1.hea").write_text("long_1 1 1000 5000\nlong_1.dat 16 200 16 0 0 0 0 GM\n")
    (tmp_path / "long_1.dat").write_bytes(b"\x00\x01" * 10)
    assert [os.path.basename(p) for p in expand(str(tmp_path))] == ["long.hea", "other.dat", "rec.hea"]


def test_trend_reads_the_batch_table_a_night_per_recording(tmp_cwd):
    os.mkdir("cohort")
    os.mkdir("tables")
    shutil.copy(SAMPLE_NIGHT, "cohort/S01_night1.edf")
    shutil.copy(SAMPLE_NIGHT, "cohort/S02_night1.edf")
    rc, _, err = run_cli("analyze", "cohort", "--jobs", "2", "--events", "tables/all.csv")
    assert rc == 0, err
    header = open("tables/all.csv").readline().strip().split(",")
    assert header[:6] == ["onset_s", "offset_s", "duration_s", "kind", "peak_intensity", "mean_intensity"]
    assert header[:len(COLUMNS)] == COLUMNS and header[-2:] == ["file", "subject"]
    rc, out, err = run_cli("trend", "tables", "--json")
    assert rc == 0, err
    s = json.loads(out)
    assert (s["nights"], s["cramps"]) == (2, 6)  # one night per recording, not one for the whole table
    # a table has a row per cramp: a recording without any is not in it, and trend says it cannot count it
    assert err.strip() == ("emgcramp: note: tables/all.csv: a batch table lists only the recordings it found cramps "
                           "in; the nights without any are not counted here (one events CSV per night, from analyze "
                           "FILE --events or monitor, counts them)")


def test_trend_over_a_batch_table_without_cramps_says_it_lists_no_night(tmp_cwd):
    os.mkdir("quiet")
    os.mkdir("tables")
    for k in (1, 2):
        np.save(f"quiet/S0{k}.npy", np.random.default_rng(k).normal(0, 4, 30_000))
    assert run_cli("analyze", "quiet", "--fs", "1000", "--events", "tables/all.csv")[0] == 0
    rc, _, err = run_cli("trend", "tables")
    assert rc == 2 and err.strip() == ("emgcramp: error: tables: no night to count: tables/all.csv is a batch table "
                                       "with no cramp in it, so it lists no recording (one events CSV per night, "
                                       "from analyze FILE --events, counts them)")
    assert run_cli("analyze", "quiet/S01.npy", "--fs", "1000", "--events", "tables/S01.csv")[0] == 0
    rc, out, err = run_cli("trend", "tables", "--json")
    assert rc == 0 and json.loads(out)["nights"] == 1 and "a batch table lists only the recordings" in err, err


def test_batch_json_is_one_document_with_episodes_and_failures(tmp_cwd):
    os.mkdir("cohort")
    shutil.copy(SAMPLE_NIGHT, "cohort/S01_night1.edf")
    open("cohort/S02_broken.edf", "wb").write(b"0       garbage")
    rc, out, err = run_cli("analyze", "cohort", "--jobs", "2", "--json")
    assert rc == 1, err  # a file failed: still said by the exit status
    doc = json.loads(out)  # the whole of stdout is one JSON document
    good, bad = doc["recordings"]
    assert (doc["analysed"], doc["failed"], doc["cramps"]) == (1, 1, 3)
    assert good["file"] == os.path.join("cohort", "S01_night1.edf") and good["subject"] == "S01"
    assert good["summary"]["n_episodes"] == len(good["episodes"]) == 3
    single = json.loads(run_cli("analyze", "cohort/S01_night1.edf", "--json")[1])
    assert good["episodes"] == single["episodes"]
    assert bad["file"].endswith("S02_broken.edf") and "episodes" not in bad
    assert "\n" not in bad["error"] and "S02_broken.edf" in bad["error"]


def test_single_file_json_lists_its_episodes(tmp_cwd):
    from emgcramp.io.events import EPISODE_FIELDS

    rc, out, err = run_cli("analyze", SAMPLE_NIGHT, "--json", "--events", "one.csv")
    assert rc == 0, err
    s = json.loads(out)
    assert {"n_episodes", "tonic", "clonic", "leg_movements", "possible_cramps"} <= set(s)  # the keys it had
    assert len(s["episodes"]) == s["n_episodes"] == 3 and list(s["episodes"][0]) == list(EPISODE_FIELDS)
    rows = list(csv.DictReader(open("one.csv")))
    assert [e["onset_s"] for e in s["episodes"]] == [float(r["onset_s"]) for r in rows]
    assert s["episodes"][0]["onset_clock"] == rows[0]["onset_clock"]


@pytest.fixture(scope="module")
def long_cohort(tmp_path_factory):
    """24 hard links to one hour of 8-channel 2-kHz EMG: about half a second each with --channel all."""
    from emgcramp.io.edf import write_edf

    folder = tmp_path_factory.mktemp("long")
    fs = 2000
    x = np.random.default_rng(0).normal(0.0, 5.0, (fs * 60, 8))
    write_edf(str(folder / "S00_night.edf"), fs, [f"M{i}" for i in range(8)], (x for _ in range(60)))
    for k in range(1, 25):
        os.link(folder / "S00_night.edf", folder / f"S{k:02d}_night.edf")
    os.unlink(folder / "S00_night.edf")
    return folder


@pytest.mark.parametrize("jobs, to_group, sig", [(1, False, signal.SIGINT), (2, False, signal.SIGINT),
                                                (1, True, signal.SIGINT), (2, True, signal.SIGINT),
                                                (2, False, signal.SIGTERM)])
def test_ctrl_c_ends_batch_at_once_and_writes_nothing(long_cohort, tmp_path, jobs, to_group, sig):
    """Ctrl-C, or a SIGTERM or SIGHUP (a service stopped, a terminal closed): no worker left, nothing written."""
    out = tmp_path / "all.csv"
    p = subprocess.Popen([sys.executable, "-m", "emgcramp", "analyze", str(long_cohort), "--channel", "all",
                          "--jobs", str(jobs), "--events", str(out)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    time.sleep(2.5)  # started, and busy with the first files
    assert p.poll() is None, "finished before it could be interrupted"
    t = time.monotonic()
    (os.killpg if to_group else os.kill)(p.pid, sig)
    try:
        _, err = p.communicate(timeout=30)
    finally:
        p.kill()
    elapsed = time.monotonic() - t
    said = "interrupted" if sig == signal.SIGINT else f"stopped ({signal.Signals(sig).name})"
    assert p.returncode == (130 if sig == signal.SIGINT else 128 + sig) and "Traceback" not in err
    assert err.rstrip().endswith(f"emgcramp: {said}")
    assert elapsed < 1.5, f"took {elapsed:.2f} s to stop"
    assert os.listdir(tmp_path) == []  # no table, no partial file
    with pytest.raises(ProcessLookupError):  # no worker left running
        os.killpg(p.pid, 0)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_damaged_file_fails_alone_and_the_batch_goes_on(tmp_path, jobs):
    for name in ("a.edf", "c.edf"):
        shutil.copy(SAMPLE_NIGHT, tmp_path / name)
    (tmp_path / "b.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEgarbage")  # a header cut short
    rc, out, err = run_cli("analyze", tmp_path, "--jobs", jobs, "--events", tmp_path.parent / f"all{jobs}.csv")
    assert rc == 1 and "Traceback" not in err and "internal error" not in err and "Warning" not in err
    assert "b.wav: FAILED: not a readable WAV file" in err and "2 of 3 recordings analysed" in out  # its path once
    with open(tmp_path.parent / f"all{jobs}.csv", newline="") as f:
        assert {os.path.basename(r["file"]) for r in csv.DictReader(f)} == {"a.edf", "c.edf"}


def test_batch_gives_the_answers_beside_the_cramps_found_for_the_nights_with_labels(tmp_path):
    from datetime import datetime

    from emgcramp.core.blocks import Block
    from emgcramp.io.labels import add_label
    from emgcramp.io.night import NightLog

    nights = tmp_path / "nights"
    folders = []
    for k in (1, 2):  # two monitor nights, each 4 min of rest with one 60-s cramp at 100 s
        folders.append(str(nights / f"night-2026010{k}-230000"))
        log = NightLog(folders[-1], 1000.0, ["calf"], datetime(2026, 1, k, 23, 0, 0))
        log.block(Block(0, bursts(1000.0, 240.0, 4.0, [(100.0, 160.0, 150.0)], seed=k)[:, None]))
        log.close({"duration_s": 240.0})
    add_label(folders[0], 100.0, 160.0, "cramp")  # the morning's answers on the first night only
    add_label(folders[0], 200.0, 220.0, "cramp")  # and a cramp it missed
    rc, out, err = run_cli("analyze", nights, "--no-progress")
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(folders[0]) and lines[0].endswith(
        "1 cramp(s)\t240 s\tlabels: 1 confirmed, 0 not a cramp, 0 unsure, 1 missed")
    assert lines[1].startswith(folders[1]) and lines[1].endswith("1 cramp(s)\t240 s")  # no answers: none said
    assert lines[2] == ("2 of 2 recordings analysed, 2 cramp(s) in all; on the 1 recording(s) you labelled, "
                        "1 cramp(s) were found and you counted 2 (1 confirmed, 1 you added that it missed)")
    rc, out, _ = run_cli("analyze", nights, "--json", "--no-progress")
    doc = json.loads(out)
    first, second = doc["recordings"]
    assert first["labels"] == {"confirmed": 1, "not_cramp": 0, "unsure": 0, "unanswered": 0, "missed": 1, "cramps": 2}
    # one confirmed and one added: counted 2, confirmed 1 (it said confirmed 2)
    assert "labels" not in second and (doc["labelled"], doc["confirmed"], doc["counted"], doc["cramps"]) == (1, 1, 2, 2)
    # The same counts as single-night analyze gives for that night
    rc, out, _ = run_cli("analyze", folders[0], "--json", "--no-progress")
    assert rc == 0 and json.loads(out)["labels"] == first["labels"]


def test_notes_and_empty_files_beside_the_nights_are_skipped_a_damaged_table_still_fails(tmp_path):
    shutil.copy(SAMPLE_NIGHT, tmp_path / "a.edf")
    (tmp_path / "README.txt").write_text("Nights of patient 3, left calf.\nSensor moved on night 2.\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "remarks.txt").write_text("# only a comment\n# another\n")  # an internal error in batch mode
    (tmp_path / "blank.csv").write_text("\n\n")
    rc, out, err = run_cli("analyze", tmp_path, "--jobs", "1", "--events", tmp_path.parent / "all.csv")
    assert rc == 0, err  # nothing failed: the notes hold no samples, they are no recording
    assert "README.txt: skipped, no samples in it: not a recording" in err and "empty.csv: skipped" in err
    assert "remarks.txt: skipped, no samples in it: the file holds only comments" in err and "blank.csv: skipped" in err
    assert "FAILED" not in err
    assert "1 of 1 recordings analysed, 3 cramp(s) in all; 4 file(s) skipped: no samples in them" in out
    doc = json.loads(run_cli("analyze", tmp_path, "--jobs", "1", "--json")[1])
    assert sorted(map(os.path.basename, doc["skipped"])) == ["README.txt", "blank.csv", "empty.csv", "remarks.txt"]
    assert [os.path.basename(r["file"]) for r in doc["recordings"]] == ["a.edf"] and doc["failed"] == 0
    (tmp_path / "log.txt").write_text("12 May: sensor moved at 02:10\nNight 2 3 cramps\n")  # words with numbers
    # marks kept beside a night, every column a time (a gait lab's strides): before, FAILED "give --fs HZ"
    (tmp_path / "strides.csv").write_text("touchdown_s,liftoff_s\n1.414,2.074\n2.448,3.115\n3.488,4.141\n")
    rc, out, err = run_cli("analyze", tmp_path, "--jobs", "1")
    assert rc == 0 and "log.txt: skipped, no samples in it" in err, err
    assert "strides.csv: skipped, no samples in it: not a recording: every column is a time (touchdown_s, " \
           "liftoff_s): a table of events or marks, not of samples" in err
    (tmp_path / "strides.csv").unlink()
    # recordings that cannot be read fail, however little they look like a table: a units row under the
    # header, a binary .dat whose header is missing, text saved as UTF-16
    (tmp_path / "units.csv").write_text("time,calf\ns,uV\n" + "".join(f"{k / 1000},1.0\n" for k in range(3000)))
    (tmp_path / "signal.dat").write_bytes(np.arange(6000, dtype=np.int16).tobytes())
    (tmp_path / "wide.txt").write_bytes("1.0\n2.0\n3.0\n".encode("utf-16"))
    (tmp_path / "clock.csv").write_text("time,calf\n" + "".join(f"22:10:{k / 1000:06.3f},1.0\n" for k in range(3000)))
    rc, out, err = run_cli("analyze", tmp_path, "--jobs", "1", "--fs", "1000")
    failed = ("units.csv", "signal.dat", "wide.txt", "clock.csv")
    assert rc == 1 and all(f"{n}: FAILED" in err for n in failed), err
    assert "1 of 5 recordings analysed" in out and "4 failed" in out and "5 file(s) skipped" in out
    rc, out, err = run_cli("analyze", tmp_path / "README.txt")  # named on its own, it is bad input
    assert rc == 2 and "README.txt: not a recording" in err and "Traceback" not in err


def test_fs_and_scale_in_a_folder_of_mixed_formats_go_to_the_files_without_them_and_say_so(tmp_path):
    shutil.copy(SAMPLE_NIGHT, tmp_path / "a.edf")
    x = np.random.default_rng(1).normal(0.0, 2.0, 60_000).astype(np.float32)
    np.save(tmp_path / "b.npy", x)  # its rate is 500 Hz; the EDF's, 1000 Hz
    # a table with its own time column (1000 Hz) and its unit in its header (mV)
    (tmp_path / "c.csv").write_text("time,calf_mV\n" + "".join(f"{k / 1000:.3f},{v / 1000:.6f}\n"
                                                             for k, v in enumerate(x[:30_000])))
    rc, out, err = run_cli("analyze", tmp_path, "--fs", "500", "--scale", "2", "--jobs", "1", "--json")
    assert rc == 0, err
    assert "a.edf: --scale not applied: it carries its own units" in err and "b.npy: --scale" not in err
    assert "a.edf: --fs not applied: it carries its own rate" in err and "b.npy: --fs" not in err
    assert "c.csv: --fs not applied" in err and "c.csv: --scale not applied: it carries its own units" in err
    doc = {os.path.basename(r["file"]): r for r in json.loads(out)["recordings"]}
    single = json.loads(run_cli("analyze", tmp_path / "a.edf", "--json")[1])
    assert doc["a.edf"]["episodes"] == single["episodes"]  # read as it is, in its own units
    scaled = json.loads(run_cli("analyze", tmp_path / "b.npy", "--fs", "500", "--scale", "2", "--json")[1])
    assert doc["b.npy"]["summary"]["quality"] == scaled["quality"]  # the scale reached the NPY
    plain = json.loads(run_cli("analyze", tmp_path / "b.npy", "--fs", "500", "--json")[1])
    assert scaled["quality"]["calf"]["rest_uv"] == pytest.approx(2 * plain["quality"]["calf"]["rest_uv"], rel=0.05)
    assert run_cli("analyze", tmp_path / "a.edf", "--scale", "2")[0] == 2  # named on its own: refused


@pytest.mark.parametrize("sig", [signal.SIGHUP])  # SIGTERM: the batch test above
def test_a_signal_that_stops_one_analysis_leaves_no_part_file(long_cohort, tmp_path, sig):
    """Its outputs not complete are removed as after Ctrl-C; they stayed behind as hidden .part files."""
    p = subprocess.Popen([sys.executable, "-m", "emgcramp", "analyze", str(long_cohort / "S01_night.edf"),
                          "--channel", "all", "--events", str(tmp_path / "e.csv"), "--edf-out", str(tmp_path / "c.edf")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60.0  # until it writes (a fixed 2 s: on a loaded machine, still loading)
    while not os.listdir(tmp_path) and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert p.poll() is None, "finished before it could be stopped"
    p.send_signal(sig)
    _, err = p.communicate(timeout=30)
    assert p.returncode == 128 + sig and err.strip().splitlines()[-1] == f"emgcramp: stopped ({signal.Signals(sig).name})"
    # no unfinished output is left; the EDF copy, written before the events table, may have been finished (on a
    # fast machine, within the 2 s): then it is whole
    left = os.listdir(tmp_path)
    assert left in ([], ["c.edf"]), left
    if left:
        import pyedflib

        with pyedflib.EdfReader(str(tmp_path / "c.edf")) as copy, \
                pyedflib.EdfReader(str(long_cohort / "S01_night.edf")) as original:
            assert copy.getNSamples().tolist()[:original.signals_in_file] == original.getNSamples().tolist()


def test_the_lengths_of_a_folder_s_recordings_are_in_one_unit(capsys):
    """A 160-s recording beside a 6-min one was '160 s' above '0.10 h'."""
    from types import SimpleNamespace

    from emgcramp.cli.batch import _print_lines

    results = {"a.edf": (SimpleNamespace(episodes=[], duration_s=160.0),),
               "b.edf": (SimpleNamespace(episodes=[1], duration_s=360.0),)}
    _print_lines(["a.edf", "b.edf"], results, {})
    assert [line.split("\t")[3] for line in capsys.readouterr().out.splitlines()] == ["0.04 h", "0.10 h"]
    _print_lines(["a.edf"], results, {})
    assert capsys.readouterr().out.split("\t")[3].strip() == "160 s"  # all short: seconds


def test_scale_reaches_a_mixed_tables_unlabelled_column_in_a_folder_as_on_its_own(tmp_cwd):
    """--scale goes to the columns without a unit, in batch mode as for one file; only a table whose every column
    names its unit is read as it is, with a note."""
    os.mkdir("mixed")
    v = np.random.default_rng(3).normal(0, 2, 20_000)
    rows = "".join(f"{i / 1000:.3f},{a:.3f},{a:.3f}\n" for i, a in enumerate(v))
    open("mixed/a.csv", "w").write("time_s,GM_uV,TA\n" + rows)
    open("mixed/b.csv", "w").write("time_s,GM_uV,TA_uV\n" + rows)
    rc, out, err = run_cli("analyze", "mixed", "--channel", "TA", "--scale", "4", "--json")
    assert rc == 0, err
    doc = {os.path.basename(r["file"]): r for r in json.loads(out)["recordings"]}
    single = json.loads(run_cli("analyze", "mixed/a.csv", "--channel", "TA", "--scale", "4", "--json")[1])
    assert doc["a.csv"]["summary"]["quality"] == single["quality"]  # scaled alike
    ta_a, ta_b = (doc[n]["summary"]["quality"]["TA"]["rest_uv"] for n in ("a.csv", "b.csv"))
    assert ta_a == pytest.approx(4 * ta_b, rel=0.05)  # b.csv's TA names its unit: not scaled
    assert "mixed/b.csv: --scale not applied: it carries its own units" in err and "a.csv: --scale" not in err
    # each recording's notes in the JSON, as single-recording --json gives them (before: on stderr only)
    assert doc["b.csv"]["notes"] == ["mixed/b.csv: --scale not applied: it carries its own units"]
    assert doc["a.csv"]["notes"] == single["notes"] == []


def test_no_progress_leaves_out_the_line_per_recording_and_still_says_a_failure(tmp_path):
    """--no-progress still printed "[1/2] a.edf: 3 cramp(s)" for each recording."""
    shutil.copy(SAMPLE_NIGHT, tmp_path / "a.edf")
    (tmp_path / "b.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEgarbage")
    rc, out, err = run_cli("analyze", tmp_path, "--no-progress")
    assert rc == 1 and "1 of 2 recordings analysed, 3 cramp(s)" in out
    assert err.splitlines() == [line for line in err.splitlines() if "b.wav" in line] and "b.wav: FAILED" in err
    rc, out, err = run_cli("analyze", tmp_path)
    assert rc == 1 and "a.edf: 3 cramp(s)" in err and "b.wav: FAILED" in err
