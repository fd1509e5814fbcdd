"""Batch analysis equals one-by-one runs; one bad file is reported, not fatal; EDF+ copies."""

import csv
import json
import os
import shutil

import pytest
from conftest import REAL, RECORDINGS, SAMPLE_NIGHT, run_cli

from emgcramp.cli.batch import subject_of


def test_batch_equals_one_by_one_and_survives_a_bad_file(tmp_cwd):
    os.mkdir("cohort")
    shutil.copy(SAMPLE_NIGHT, "cohort/S01_night1.edf")
    shutil.copy(os.path.join(REAL, "santuz_walking_lowerlimb", "ID0012_TW_01_raw_emg.csv"), "cohort/S02_walk.csv")
    open("cohort/S03_broken.edf", "wb").write(b"0       garbage")
    rc, out, err = run_cli("analyze", "cohort", "--jobs", "2", "--events", "all.csv")
    assert rc == 1  # one file failed: said so, and the rest is there
    assert "S03_broken.edf: FAILED" in err and "2 of 3 recordings analysed, 2 cramp(s) in all; 1 failed" in out
    merged = list(csv.DictReader(open("all.csv")))
    assert list(merged[0])[:8] == ["file", "subject", "onset_s", "offset_s", "duration_s", "kind",
                                   "peak_intensity", "mean_intensity"]
    assert run_cli("analyze", "cohort/S01_night1.edf", "--events", "one.csv")[0] == 0
    single = list(csv.DictReader(open("one.csv")))
    assert [{k: r[k] for k in single[0]} for r in merged] == single
    assert {r["subject"] for r in merged} == {"S01"}


def test_glob_and_nothing_found(tmp_cwd):
    shutil.copy(SAMPLE_NIGHT, "a_night.edf")
    rc, out, _ = run_cli("analyze", "*.edf")
    assert rc == 0 and "1 of 1 recordings analysed, 2 cramp(s)" in out
    rc, _, err = run_cli("analyze", "*.nothing")
    assert rc == 2 and "no recordings found" in err


@pytest.mark.parametrize("path,subject", [("data/S012_night3.edf", "S012"), ("sub-07/ses-1/night.edf", "sub-07"),
                                          ("nights/night.edf", "")])
def test_subject_from_names(path, subject):
    assert subject_of(path) == subject


def test_edf_copy_with_cramps_annotated(tmp_cwd):
    rc, _, err = run_cli("analyze", SAMPLE_NIGHT, "--edf-out", "copy.edf")
    assert rc == 0, err
    mne = pytest.importorskip("mne")
    raw = mne.io.read_raw_edf("copy.edf", preload=False, verbose="error")
    notes = [d for d in raw.annotations.description if d.startswith("cramp:")]
    assert notes == ["cramp:tonic peak 426 uV", "cramp:tonic peak 162 uV"]
    (possible,) = [d for d in raw.annotations.description if d.startswith("possible_cramp:")]
    assert possible.startswith("possible_cramp:clonic p 0.")
    movements = [d for d in raw.annotations.description if d == "lm" or d.startswith("plm ")]
    lm = run_cli("analyze", SAMPLE_NIGHT, "--json")[1]
    assert len(movements) == json.loads(lm)["leg_movements"]["lm"] and movements.count("plm 1") >= 5
    assert raw.n_times == 1_200_000


def test_dask_local_cluster_gives_the_same_table(tmp_cwd):
    pytest.importorskip("distributed")
    os.mkdir("cohort")
    shutil.copy(SAMPLE_NIGHT, "cohort/S01_a.edf")
    shutil.copy(SAMPLE_NIGHT, "cohort/S02_b.edf")
    rc, out, err = run_cli("analyze", "cohort", "--dask", "local", "--jobs", "2", "--events", "dask.csv")
    assert rc == 0, err
    assert run_cli("analyze", "cohort", "--jobs", "2", "--events", "pool.csv")[0] == 0
    assert open("dask.csv").read() == open("pool.csv").read()
    assert len(open("dask.csv").read().splitlines()) == 1 + 4  # two nights, two cramps each


def test_a_scheduler_that_is_not_there_is_said_within_seconds(tmp_cwd):
    import shutil
    import time

    os.mkdir("in")
    shutil.copy(os.path.join(RECORDINGS, "field", "field_tone.edf"), "in")
    t = time.monotonic()
    rc, _, err = run_cli("analyze", "in", "--dask", "tcp://127.0.0.1:1")
    assert rc == 2 and "cannot reach a Dask scheduler" in err and err.count("\n") == 1
    assert time.monotonic() - t < 15.0  # 5 s to connect, plus start-up
