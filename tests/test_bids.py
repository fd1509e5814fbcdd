"""BIDS-EMG: a small dataset in, derivatives out and read back; the BIDS rules they must keep, written down."""

import csv
import json
import os
import re
import stat

import pytest
from conftest import bursts, run_cli

from emgcramp.io.edf import write_edf

FS = 1000.0


def _dataset(root, with_tibialis_row: bool = True, gm: str = "GM") -> str:
    """One subject, one session, one night: GM (named ``gm``) and TA as EMG, a temperature channel as MISC."""
    os.makedirs(root / "sub-01" / "ses-1" / "emg")
    (root / "dataset_description.json").write_text(json.dumps({"Name": "calf nights", "BIDSVersion": "1.11.0"}))
    emg = root / "sub-01" / "ses-1" / "emg"
    x = bursts(FS, 150, 4.0, [(40, 110, 300)])
    quiet = bursts(FS, 150, 4.0, [])
    import numpy as np

    write_edf(str(emg / "sub-01_ses-1_task-sleep_emg.edf"), FS, [gm, "TA", "temp"],
              [np.column_stack([x, quiet, np.full_like(x, 36.5)])], [])
    rows = ["name\ttype\tunits\ttarget_muscle", f"{gm}\tEMG\tuV\tgastrocnemius medialis"]
    if with_tibialis_row:
        rows.append("TA\tEMG\tuV\ttibialis anterior")
    rows.append("temp\tMISC\tn/a\tn/a")
    (emg / "sub-01_ses-1_task-sleep_channels.tsv").write_text("\n".join(rows) + "\n")
    (emg / "sub-01_ses-1_task-sleep_emg.json").write_text(json.dumps({"SamplingFrequency": FS}))
    return str(root)


# The rules a derivative events file keeps (BIDS 1.11: common principles, derivatives, events).
ENTITY_NAME = re.compile(r"^sub-[A-Za-z0-9]+(_ses-[A-Za-z0-9]+)?(_[a-z]+-[A-Za-z0-9]+)*_desc-cramps_events\.tsv$")
REQUIRED_FIRST = ["onset", "duration"]
TRIAL_TYPES = {"cramp_tonic", "cramp_clonic", "leg_movement", "warning"}


def test_a_bids_dataset_round_trips_into_derivatives(tmp_path):
    root = _dataset(tmp_path / "ds")
    rc, out, err = run_cli("analyze", root)
    assert rc == 0, err
    der = os.path.join(root, "derivatives", "emgcramp")
    desc = json.load(open(os.path.join(der, "dataset_description.json")))
    assert desc["DatasetType"] == "derivative" and desc["GeneratedBy"][0]["Name"] == "emgcramp"
    assert desc["BIDSVersion"].startswith("1.11")
    folder = os.path.join(der, "sub-01", "ses-1", "emg")
    tsv = os.path.join(folder, "sub-01_ses-1_task-sleep_desc-cramps_events.tsv")
    assert ENTITY_NAME.match(os.path.basename(tsv)) and stat.S_IMODE(os.stat(tsv).st_mode) == 0o600
    rows = list(csv.DictReader(open(tsv), delimiter="\t"))
    header = list(rows[0])
    assert header[:2] == REQUIRED_FIRST
    sidecar = json.load(open(tsv[:-4] + ".json"))
    assert set(sidecar) == set(header) and all(v["Description"] for v in sidecar.values())
    assert {k: v["Units"] for k, v in sidecar.items() if "Units" in v} == {
        "onset": "s", "duration": "s", "peak_uv": "uV", "mean_uv": "uV", "rest_uv": "uV", "warning_lead_s": "s",
        "freq_hz": "Hz"}
    assert {r["trial_type"] for r in rows} <= TRIAL_TYPES
    assert all(v != "" for r in rows for v in r.values())  # BIDS writes n/a, never an empty cell
    cramps = [r for r in rows if r["trial_type"].startswith("cramp_")]
    assert len(cramps) == 1 and float(cramps[0]["onset"]) == pytest.approx(40.0, abs=1.0)
    # Both EMG channels were analysed together (the MISC one was not), TA as the tibialis.
    # Channels keep the names _channels.tsv gives them; the muscle it names is a field of its own.
    assert cramps[0]["channel"] == "GM" and cramps[0]["muscles"] == "GM"
    assert "1 cramp(s)" in out


def test_an_emg_channel_named_with_a_comma_is_one_channel(tmp_path):
    """'GM, left' was split into 'GM' and 'left', neither a channel: the recording failed."""
    root = _dataset(tmp_path / "ds", gm="GM, left")
    rc, out, err = run_cli("analyze", root)
    assert rc == 0 and "1 cramp(s)" in out, err
    tsv = os.path.join(root, "derivatives", "emgcramp", "sub-01", "ses-1", "emg",
                       "sub-01_ses-1_task-sleep_desc-cramps_events.tsv")
    [cramp] = [r for r in csv.DictReader(open(tsv), delimiter="\t") if r["trial_type"].startswith("cramp_")]
    assert cramp["channel"] == "GM, left" and float(cramp["onset"]) == pytest.approx(40.0, abs=1.0)


def test_a_subject_folder_is_enough_and_outputs_are_refused(tmp_path):
    root = _dataset(tmp_path / "ds", with_tibialis_row=False)
    rc, out, err = run_cli("analyze", os.path.join(root, "sub-01"))
    assert rc == 0, err
    assert os.path.exists(os.path.join(root, "derivatives", "emgcramp", "sub-01", "ses-1", "emg",
                                       "sub-01_ses-1_task-sleep_desc-cramps_events.tsv"))
    rc, _, err = run_cli("analyze", root, "--events", str(tmp_path / "x.csv"))
    assert rc == 2 and "derivatives/emgcramp" in err and err.count("\n") == 1


def test_a_recording_that_fails_now_has_its_earlier_results_named_not_passed_off_as_this_runs(tmp_path):
    root = _dataset(tmp_path / "ds")
    assert run_cli("analyze", root)[0] == 0
    tsv = os.path.join(root, "derivatives", "emgcramp", "sub-01", "ses-1", "emg",
                       "sub-01_ses-1_task-sleep_desc-cramps_events.tsv")
    before = open(tsv).read()
    edf = os.path.join(root, "sub-01", "ses-1", "emg", "sub-01_ses-1_task-sleep_emg.edf")
    open(edf, "wb").write(b"0       garbage")
    rc, _, err = run_cli("analyze", root)
    assert rc == 2 and "FAILED: " in err and f"its results of an earlier run are left as they were: {tsv}" in err, err
    assert open(tsv).read() == before


def test_a_recording_whose_channels_tsv_types_no_channel_emg_is_not_analysed_as_a_calf(tmp_path):
    root = _dataset(tmp_path / "ds")
    tsv = os.path.join(root, "sub-01", "ses-1", "emg", "sub-01_ses-1_task-sleep_channels.tsv")
    open(tsv, "w").write("name\ttype\tunits\nGM\tECG\tuV\nTA\tEEG\tuV\ntemp\tMISC\tn/a\n")
    rc, out, err = run_cli("analyze", root)
    assert rc == 2 and "types none of its channels EMG (GM, TA, temp); give --channel" in err, err
    assert not os.path.exists(os.path.join(root, "derivatives", "emgcramp", "sub-01"))
    rc, out, err = run_cli("analyze", root, "--channel", "GM")  # asked for: analysed
    assert rc == 0 and "1 cramp(s)" in out, err


def test_a_damaged_channels_tsv_fails_its_own_recording_and_the_others_go_on(tmp_path):
    import shutil

    root = _dataset(tmp_path / "ds")
    shutil.copytree(os.path.join(root, "sub-01"), os.path.join(root, "sub-02"))
    emg = os.path.join(root, "sub-02", "ses-1", "emg")
    for name in os.listdir(emg):
        os.rename(os.path.join(emg, name), os.path.join(emg, name.replace("sub-01", "sub-02")))
    tsv = os.path.join(emg, "sub-02_ses-1_task-sleep_channels.tsv")
    open(tsv, "w").write("garbage\tmore\nGM\tEMG\n")
    rc, out, err = run_cli("analyze", root)
    assert rc == 1 and f"sub-02_ses-1_task-sleep_emg.edf: FAILED: {tsv}: a channels.tsv needs a 'name' column" \
        in err and "Traceback" not in err, err
    assert "[1/2]" in out and "1 cramp(s)" in out
    assert os.path.exists(os.path.join(root, "derivatives", "emgcramp", "sub-01", "ses-1", "emg",
                                       "sub-01_ses-1_task-sleep_desc-cramps_events.tsv"))


def test_a_bids_folder_without_emg_recordings_is_one_line(tmp_path):
    (tmp_path / "dataset_description.json").write_text("{}")
    os.makedirs(tmp_path / "sub-01" / "anat")
    rc, _, err = run_cli("analyze", str(tmp_path))
    assert rc == 2 and "no sub-*/emg/" in err and err.count("\n") == 1


def test_the_bids_validator_accepts_the_dataset_and_the_derivative_name(tmp_path):
    validator = pytest.importorskip("bids_validator").BIDSValidator()
    root = _dataset(tmp_path / "ds")
    assert run_cli("analyze", root)[0] == 0
    raw = [os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs
           if "derivatives" not in d and f != "dataset_description.json"]
    assert len(raw) == 3 and all(validator.is_bids("/" + p) for p in raw), raw
    der = os.path.join(root, "derivatives", "emgcramp")
    made = [os.path.relpath(os.path.join(d, f), der) for d, _, fs in os.walk(der) for f in fs
            if f.endswith("_events.tsv")]
    # The validator checks raw datasets; a derivative adds the desc entity, which BIDS derivatives allow.
    assert made and all(validator.is_bids("/" + p.replace("_desc-cramps", "")) for p in made)
