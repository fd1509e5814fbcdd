"""The command line as a user meets it: the analyze contract and clean failures.

What a command computes and writes is checked in this process (:func:`run_main`); what the process
shows (exit status with one line on stderr and nothing else, a closed pipe, what it imports) in a
process of its own (:func:`run_cli`).
"""

import csv
import json
import os
import re
import signal
import stat
import subprocess
import sys
from datetime import datetime

import numpy as np
import pytest
from conftest import SAMPLE_NIGHT, bursts, run_cli, run_main

from emgcramp.detect.model import shipped_model
from emgcramp.sim.plan import load_truth


def test_analyze_sample_night_writes_the_contract_csv(tmp_cwd):
    rc, out, err = run_main("analyze", SAMPLE_NIGHT, "--events", "cramps.csv")
    assert rc == 0, err
    rows = list(csv.DictReader(open("cramps.csv")))
    assert list(rows[0])[:6] == ["onset_s", "offset_s", "duration_s", "kind", "peak_intensity", "mean_intensity"]
    assert stat.S_IMODE(os.stat("cramps.csv").st_mode) == 0o600
    truth = [e for e in load_truth(SAMPLE_NIGHT.replace(".edf", ".truth.json")) if e.is_cramp]
    # Only the cramp tier is in the file: the two tonic cramps of 36 and 52 s and the 16-s clonic one.
    assert len(truth) == 3 and len(rows) == 3
    for t, r in zip(truth, rows):
        assert abs(float(r["onset_s"]) - t.onset_s) < 0.5 and r["kind"] == t.kind
        assert 0.5 <= float(r["probability"]) <= 1.0
    assert rows[0]["onset_clock"].startswith("2026-01-01T23:02:0")
    assert "3 cramp(s) in 0.33 h (2 tonic, 1 clonic)" in out
    assert out.splitlines()[-1] == "channel analysed: calf"  # a file may hold others: which one was read


def test_the_table_shows_each_cramp_s_probability_and_its_mvc_share_and_flags_when_known(tmp_path):
    """The events CSV had a cramp's %MVC and its flags (open_at_end: cut by the recording's end); the screen not."""
    rc, out, _ = run_main("analyze", SAMPLE_NIGHT, "--events", tmp_path / "e.csv")
    lines, rows = out.splitlines(), list(csv.DictReader(open(tmp_path / "e.csv")))
    assert lines[0].split() == ["onset", "clock", "duration", "kind", "peak", "µV", "mean", "µV", "×rest", "p"]
    assert [line.split()[-1] for line in lines[1:4]] == [f"{float(r['probability']):.2f}" for r in rows]
    np.save(tmp_path / "cut.npy", bursts(1000.0, 200.0, 5.0, [(100.0, 200.0, 300.0)]))
    rc, out, _ = run_main("analyze", tmp_path / "cut.npy", "--fs", "1000", "--mvc-uv", "600")
    head, row = out.splitlines()[:2]
    assert head.split()[-3:] == ["p", "%MVC", "flags"] and row.split()[-2:] == ["54.5", "open_at_end"], out


def test_analyze_json_summary():
    rc, out, _ = run_main("analyze", SAMPLE_NIGHT, "--json", "--mains", "50")
    s = json.loads(out)
    assert rc == 0 and s["n_episodes"] == 3 and s["tonic"] == 2 and s["clonic"] == 1
    model = shipped_model()  # the thresholds it was judged with
    assert (s["cramp_threshold"], s["possible_floor"]) == (round(model.cramp_threshold, 4),
                                                           round(model.possible_floor, 4))
    truth = [e for e in load_truth(SAMPLE_NIGHT.replace(".edf", ".truth.json")) if e.is_cramp]
    found = sorted(s["episodes"], key=lambda e: e["onset_s"])
    assert [round(e["onset_s"] - t.onset_s) for e, t in zip(found, truth)] == [0, 0, 0] and not s["possible_cramps"]
    assert [e["kind"] for e in found] == ["tonic", "tonic", "clonic"]
    assert all(model.cramp_threshold <= e["probability"] < 0.9 for e in found)  # calibrated: sure, not certain
    assert s["duration_s"] == 1200.0 and s["mains_notches_hz"][:2] == [50.0, 100.0]
    assert s["total_cramp_s"] == pytest.approx(sum(t.offset_s - t.onset_s for t in truth), abs=3.0)
    assert 0.03 < s["quality"]["calf"]["flat_fraction"] < 0.06  # the 54-s lead-off of 20 min
    assert sum(s["rejected_lookalikes"].values()) >= 10


def test_analyze_scores_leg_movements_and_lists_them(tmp_cwd):
    rc, out, err = run_main("analyze", SAMPLE_NIGHT, "--json", "--lm-events", "lm.csv")
    assert rc == 0, err
    truth = load_truth(SAMPLE_NIGHT.replace(".edf", ".truth.json"))
    plm_truth = [e for e in truth if e.kind == "leg_movement"]  # one series of 7
    summary = json.loads(out)
    s = summary["leg_movements"]
    assert s["plm_series"] == 1 and 5 <= s["plm"] <= len(plm_truth)
    assert s["plm_index_per_h"] == pytest.approx(s["plm"] / (1200 / 3600))
    rows = list(csv.DictReader(open("lm.csv")))
    assert stat.S_IMODE(os.stat("lm.csv").st_mode) == 0o600
    lms = [r for r in rows if r["kind"] == "lm"]
    assert len(lms) == s["lm"] and {r["kind"] for r in rows} <= {"lm", "possible_cramp"}
    assert len(rows) - len(lms) == len(summary["possible_cramps"])
    in_series = [r for r in lms if r["plm_series"] == "1"]
    assert len(in_series) == s["plm"]
    for r in in_series:  # each one of the true periodic movements, its onset within 0.3 s
        assert min(abs(float(r["onset_s"]) - t.onset_s) for t in plm_truth) < 0.3
    rc, out, _ = run_main("analyze", SAMPLE_NIGHT)
    assert f"{s['lm']} leg movement(s), 1 PLM series, PLM index {s['plm_index_per_h']:.1f}/h" in out


def test_no_cramps_gives_header_only_csv(tmp_cwd):
    x = np.random.default_rng(0).standard_normal(20_000) * 5
    np.save("quiet.npy", x)
    rc, out, err = run_main("analyze", "quiet.npy", "--fs", "1000", "--events", "e.csv")
    assert rc == 0, err
    assert open("e.csv").read().count("\n") == 1 and "no cramps found" in out


@pytest.mark.parametrize("args,message", [
    (["missing.edf"], "no such file"),
    (["empty.edf"], "empty"),
    (["junk.edf"], "not a readable EDF"),
    (["truncated.edf"], "header says 1200 data records (2537568 bytes with the header), but the file holds 3000 "
                      "bytes, 1.06 records"),
    (["nan.csv"], "NaN"),
    (["short.npy", "--fs", "1000"], "at least 2 s"),
    (["zeros.npy", "--fs", "1000"], "flat"),
    (["zeros.npy"], "give --fs"),
    (["zeros.npy", "--fs", "-5"], "--fs: must be a positive number: -5"),
    ([SAMPLE_NIGHT, "--fs", "nan"], "--fs: must be a positive number: nan"),  # was taken, the file having its own
    (["zeros.npy", "--fs", "50"], "out of range"),
    ([SAMPLE_NIGHT, "--channel", "nope"], "no channel 'nope'"),
    ([SAMPLE_NIGHT, "--fs", "500"], "disagrees"),
    ([SAMPLE_NIGHT, "--events", "/proc/nope/out.csv"], "does not exist"),
])
def test_bad_input_one_line_exit_2_no_output(tmp_cwd, args, message):
    open("empty.edf", "w").close()
    open("junk.edf", "wb").write(b"garbage\x00\x01")
    open("truncated.edf", "wb").write(open(SAMPLE_NIGHT, "rb").read(3000))
    open("nan.csv", "w").write("time_s,emg_uv\n0,nan\n0.001,nan\n")
    np.save("zeros.npy", np.zeros(20_000))
    np.save("short.npy", np.ones(5))
    events = [] if "--events" in args else ["--events", "out.csv"]
    rc, out, err = run_cli("analyze", *args, *events)
    assert rc == 2
    assert err.count("\n") == 1 and message in err and "Traceback" not in err + out
    assert err.count(args[0]) <= 1  # the file is named once, not again inside a library's own words
    assert not os.path.exists("out.csv") and not [f for f in os.listdir() if f.endswith(".part")]


def test_help_and_bad_input_do_not_load_numba_or_scipy():
    code = ("import sys\nfrom emgcramp import cli\n"
            "for argv in (['analyze', '--help'], ['analyze', 'missing.edf'], ['monitor', '--help'],\n"
            "             ['emulate', '--help'], ['calibrate', '--file', 'missing.edf', '--rest', '0:5']):\n"
            "    try: cli.main(argv)\n    except SystemExit: pass\n"
            "print(sorted(m for m in ('numba', 'scipy', 'scipy.signal') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_ctrl_c_while_the_command_line_loads_is_one_line_and_status_130(monkeypatch, capsys):
    class CtrlC:  # an import finder: the Ctrl-C arrives while emgcramp.cli is being imported
        def find_spec(self, name, path=None, target=None):
            if name == "emgcramp.cli":
                raise KeyboardInterrupt
            return None

    monkeypatch.delitem(sys.modules, "emgcramp.cli", raising=False)
    monkeypatch.setattr(sys, "meta_path", [CtrlC(), *sys.meta_path])
    from emgcramp.__main__ import run

    assert run() == 130
    assert capsys.readouterr().err == "emgcramp: interrupted\n"
    from importlib.metadata import entry_points

    assert [e.value for e in entry_points(group="console_scripts", name="emgcramp")] == ["emgcramp.__main__:run"]


def test_the_cramp_thresholds_help_gives_the_shipped_default():
    from emgcramp.cli.parser import build_parser

    text = " ".join(build_parser()._subparsers._group_actions[0].choices["analyze"].format_help().split())
    assert f"(default {shipped_model().cramp_threshold:.2f}, the shipped model's)" in text


def test_the_readme_gives_the_shipped_thresholds():
    """The README said the floor was 0.08 after the model was refitted to 0.12."""
    with open(os.path.join(os.path.dirname(__file__), "..", "README.md"), encoding="utf-8") as f:
        readme = " ".join(f.read().split())
    m = shipped_model()
    assert f"{m.cramp_threshold:.2f} in the shipped model" in readme
    assert f"down to a floor ({m.possible_floor:.2f} in the shipped model)" in readme


def test_version_and_no_command():
    rc, out, _ = run_cli("--version")
    assert rc == 0 and out.startswith("emgcramp 0.")
    assert run_cli()[0] == 2


def test_simulate_then_analyze_agrees_with_truth(tmp_cwd):
    rc, out, err = run_main("simulate", "n.edf", "--hours", "0.5", "--seed", "5")
    assert rc == 0, err
    truth = json.load(open("n.truth.json"))
    assert stat.S_IMODE(os.stat("n.edf").st_mode) == 0o600
    cramps = [e for e in truth["events"] if e["is_cramp"]]
    rc, out, _ = run_main("analyze", "n.edf", "--json")
    s = json.loads(out)
    assert 1 <= s["n_episodes"] and s["n_episodes"] + len(s["possible_cramps"]) == len(cramps)


def test_demo_scores_a_short_night():
    rc, out, err = run_main("demo", "--hours", "1", "--seed", "3")
    assert rc == 0, err
    assert "precision 1.00" in out and "with the possible cramps: 6 of 6 found" in out


def test_demo_of_a_night_without_cramps_scores_nothing(tmp_cwd):
    """A 30-s demo night printed "sensitivity 1.00, precision 1.00, F1 1.00" and "onsets nan s off" for 0 of 0."""
    rc, out, err = run_main("demo", "--hours", "0.00833")
    assert rc == 0, err
    assert "0 of 0 true cramps counted, 0 false" in out and "nan" not in out and "F1 1.00" not in out
    assert "(the night holds no cramp: nothing to find, so no sensitivity or F1)" in out


def test_profile_gives_pct_mvc_and_bad_profiles_fail_cleanly(tmp_cwd):
    open("me.json", "w").write('{"rest_uv": 4.0, "mvc_uv": 500.0}')
    rc, _, err = run_main("analyze", SAMPLE_NIGHT, "--profile", "me.json", "--events", "e.csv")
    assert rc == 0, err
    rows = list(csv.DictReader(open("e.csv")))
    for r in rows:
        assert float(r["pct_mvc"]) == pytest.approx(100 * float(r["peak_intensity"]) / 500.0, abs=0.05)
    open("bad.json", "w").write('{"mvc_uv": -3}')
    open("tiny.json", "w").write('{"mvc_uv": 1e-300}')  # as --mvc-uv: it gave a pct_mvc of 300 digits
    for prof, msg in (("bad.json", "mvc_uv must be a level of 0.1 µV or more, not -3"),
                      ("tiny.json", "mvc_uv must be a level of 0.1 µV or more, not 1e-300"),
                      ("none.json", "no such calibration")):
        rc, _, err = run_cli("analyze", SAMPLE_NIGHT, "--profile", prof)
        assert rc == 2 and msg in err and err.count("\n") == 1


def test_an_mvc_below_the_cramps_flags_their_pct_mvc(tmp_cwd):
    open("me.json", "w").write('{"rest_uv": 4.0, "mvc_uv": 100.0}')
    rc, _, err = run_main("analyze", SAMPLE_NIGHT, "--profile", "me.json", "--events", "e.csv")
    assert rc == 0, err
    rows = list(csv.DictReader(open("e.csv")))
    assert [("above_mvc" in r["flags"]) for r in rows] == [float(r["pct_mvc"]) > 150.0 for r in rows]
    assert any("above_mvc" in r["flags"] for r in rows)


def test_a_rest_only_calibration_keeps_the_mvc_on_file(tmp_cwd):
    rc, _, err = run_main("calibrate", "--file", SAMPLE_NIGHT, "--rest", "10:60", "--mvc", "120:160",
                          "--out", "me.json")
    assert rc == 0, err
    mvc = json.load(open("me.json"))["mvc_uv"]
    rc, _, err = run_main("calibrate", "--file", SAMPLE_NIGHT, "--rest", "300:400", "--out", "me.json")
    assert rc == 0, err
    prof = json.load(open("me.json"))
    assert prof["mvc_uv"] == mvc and prof["rest_uv"] == pytest.approx(4.0, rel=0.1)


def test_levels_measured_after_learning_join_the_learned_profile(tmp_cwd):
    """A profile written by calibrate --learn alone was refused as --out ("not a calibration profile (rest_uv,
    mvc_uv)"), though analyze --profile takes it: the levels could not be measured after learning."""
    from emgcramp.detect.model import model_id

    decision = {"logit_offset": -0.3, "weights": {}, "nights": 2, "labels": 4, "fitted": "2026-03-02T07:00:00",
                "model": model_id()}
    json.dump({"decision": decision}, open("me.json", "w"))
    rc, _, err = run_main("calibrate", "--file", SAMPLE_NIGHT, "--rest", "10:60", "--out", "me.json")
    assert rc == 0, err
    prof = json.load(open("me.json"))
    assert prof["decision"] == decision and prof["rest_uv"] == pytest.approx(4.0, rel=0.1)
    open("e.csv", "w").write("onset_s,offset_s\n")
    rc, _, err = run_main("calibrate", "--file", SAMPLE_NIGHT, "--rest", "10:60", "--out", "e.csv")
    assert rc == 2 and err == "emgcramp: error: e.csv: not a calibration profile (profiles are JSON text). " \
                              "calibrate --out updates a profile: choose another --out or remove it\n", err
    # a profile whose decision weighs an input the decision has not was kept, and refused by analyze after
    json.dump({"rest_uv": 3.9, "decision": dict(decision, weights={"no_such_input": 1.0})}, open("odd.json", "w"))
    rc, _, err = run_main("calibrate", "--file", SAMPLE_NIGHT, "--rest", "10:60", "--out", "odd.json")
    assert rc == 2 and err.startswith("emgcramp: error: odd.json: decision weight for 'no_such_input', which the "
                                      "decision does not weigh; learn it again"), err
    assert json.load(open("odd.json"))["rest_uv"] == 3.9


def test_calibrate_from_a_file_matches_the_detector_levels(tmp_cwd):
    rc, out, err = run_main("calibrate", "--file", SAMPLE_NIGHT, "--rest", "10:60", "--mvc", "120:160",
                            "--out", "me.json")
    assert rc == 0, err
    prof = json.load(open("me.json"))
    assert stat.S_IMODE(os.stat("me.json").st_mode) == 0o600
    assert prof["rest_uv"] == pytest.approx(4.0, rel=0.1)  # the night's rest level is 4 µV RMS
    # the same chain: an MVC window over the first cramp gives that cramp's peak
    assert run_main("analyze", SAMPLE_NIGHT, "--events", "e.csv")[0] == 0
    rows = list(csv.DictReader(open("e.csv")))
    assert prof["mvc_uv"] == pytest.approx(float(rows[0]["peak_intensity"]), rel=0.01)


def test_calibrate_takes_the_units_of_a_file_without_them(tmp_cwd):
    """A WAV of counts (0.5 µV each) gave a profile in counts, twice the true levels, and no --scale to say so;
    samples in mV were refused as 'a stretch without signal (a lead-off)'."""
    from scipy.io import wavfile

    from emgcramp.io import open_recording

    with open_recording(SAMPLE_NIGHT) as rec:
        x = np.concatenate([b.samples[:, 0] for b in rec.blocks([0], 60_000)])
    wavfile.write("n.wav", 1000, np.round(x / 0.5).astype(np.int16))
    np.save("mv.npy", (x / 1000).astype(np.float32))
    windows = ("--rest", "10:60", "--mvc", "120:160")
    assert run_main("calibrate", "--file", SAMPLE_NIGHT, *windows, "--out", "edf.json")[0] == 0
    rc, _, err = run_main("calibrate", "--file", "n.wav", "--scale", "0.5", *windows, "--out", "wav.json")
    assert rc == 0, err
    edf, wav = json.load(open("edf.json")), json.load(open("wav.json"))
    assert wav["rest_uv"] == pytest.approx(edf["rest_uv"], rel=0.01)
    assert wav["mvc_uv"] == pytest.approx(edf["mvc_uv"], rel=0.01)
    rc, _, err = run_main("calibrate", "--file", "mv.npy", "--fs", "1000", *windows, "--out", "mv.json")
    assert rc == 2 and "though its samples vary: are they in µV? Give the µV per unit (--scale 1000 for mV)" in err
    assert not os.path.exists("mv.json")
    rc, _, err = run_main("calibrate", "--file", "mv.npy", "--fs", "1000", "--scale", "1000", *windows,
                          "--out", "mv.json")
    assert rc == 0 and json.load(open("mv.json"))["rest_uv"] == pytest.approx(edf["rest_uv"], rel=0.01), err
    rc, _, err = run_main("calibrate", "--serial", "/dev/null", "--scale", "2")
    assert rc == 2 and "--scale is for a --file without units" in err


@pytest.mark.parametrize("args,message", [
    (["--rest", "60:10"], "must start at 0 s or later"),
    (["--rest", "abc"], "START:END"),
    ([], "needs --rest"),
    (["--rest", "10:60", "--mvc", "10:60"], "a maximal one is 10 × or more"),
    (["--rest", "2:99999"], "--rest ends at 99999 s, after the recording (1200.0 s)"),
    (["--rest", "10:60", "--mvc", "1190:1300"], "--mvc ends at 1300 s, after the recording"),
    (["--rest", "125:155"], "the rest window is not at rest"),  # inside the first cramp (124–160 s)
    (["--rest", "130:200"], "the rest window is not at rest"),  # its end and the rest after: median 3 × rest
])
def test_calibrate_bad_windows(tmp_cwd, args, message):
    rc, _, err = run_main("calibrate", "--file", SAMPLE_NIGHT, *args)
    assert rc == 2 and message in err and not os.path.exists("profile.json")


def test_calibrate_refuses_a_rest_window_inside_a_cramp_that_fills_most_minutes_around_it(tmp_cwd):
    """An 8-min cramp at 30 µV over a 3-µV rest: a window in its middle is steady, and the median of the
    ten minutes around it was the cramp's own level."""
    from conftest import bursts

    np.save("long.npy", bursts(1000.0, 1800.0, 3.0, [(400.0, 880.0, 30.0)], seed=2).astype(np.float32))
    rc, _, err = run_main("calibrate", "--file", "long.npy", "--fs", "1000", "--rest", "620:650")
    said = re.search(r"not at rest: its level \(([\d.]+) µV\) is [\d.]+ × the quiet minutes of the 20 minutes "
                     r"around it \(([\d.]+) µV\)", err)
    assert rc == 2 and said and not os.path.exists("profile.json"), err
    assert (float(said[1]), float(said[2])) == (pytest.approx(30.0, rel=0.05), pytest.approx(3.0, rel=0.1))
    rc, _, err = run_main("calibrate", "--file", "long.npy", "--fs", "1000", "--rest", "100:130")
    assert rc == 0 and json.load(open("profile.json"))["rest_uv"] == pytest.approx(3.0, rel=0.1), err


@pytest.mark.long
def test_bench_accuracy_and_speed_commands(tmp_cwd, monkeypatch):
    rc, out, err = run_cli("bench", "accuracy", "--hours", "0.3", "--seeds", "1", "--scenario", "typical",
                           "--json", "--figure", "acc.png", "--jobs", "1")
    assert rc == 0, err
    s = json.loads(out)
    assert s["all"]["precision"] == 1.0 and s["all"]["sensitivity_both_tiers"] == 1.0
    assert s["all"]["live_agrees"] and os.path.getsize("acc.png") > 10_000
    assert os.stat("acc.png").st_mode & 0o777 == 0o600
    rc, _, err = run_main("bench", "accuracy", "--scenario", "nope")
    assert rc == 2 and "no scenario 'nope'" in err
    quick = ("bench", "accuracy", "--hours", "0.05", "--seeds", "1", "--scenario", "quiet", "--no-live", "--jobs", "1")
    open("victim.png", "w").write("keep me")  # refused before any scoring, not replaced after it
    for figure, said in (("victim.png", "not this command's own earlier output"), ("out.csv", "choose a .png")):
        rc, out, err = run_cli(*quick, "--figure", figure)
        assert rc == 2 and said in err and err.count("\n") == 1 and "scoring" not in err and out == "", err
    assert open("victim.png").read() == "keep me" and not os.path.exists("out.csv")
    os.utime("acc.png", (0, 0))
    assert run_main(*quick, "--figure", "acc.png")[0] == 0 and os.stat("acc.png").st_mtime > 0  # its own: replaced
    from emgcramp.eval import speed

    for toolkit in ("_neurokit", "_biosppy"):  # as where they are not installed: timing them took 40 s here
        monkeypatch.setattr(speed, toolkit, lambda x, fs: None)
    rc, out, err = run_main("bench", "speed", "--hours", "0.05", "--fs", "1000")
    assert rc == 0, err
    ours = [line for line in out.splitlines() if "ours (fused Numba)" in line][0]
    assert "   1.00× ours  (same filters and bins)" in ours and "p99" in out
    rows = [line for line in out.splitlines() if "(same filters and bins)" in line]
    assert len(rows) == 5 and any("plain Numba loop" in r for r in rows) and any("one-shot" in r for r in rows)
    assert any("Numba JIT (the fallback)" in r for r in rows)  # beside the kernel compiled ahead of time


def test_the_toolkits_timed_on_part_of_the_signal_are_scaled_to_the_whole(monkeypatch):
    """bench speed times NeuroKit2 and BioSPPy on 10 minutes at most; their times stand for the whole signal."""
    from emgcramp.eval import speed

    timed_on = []

    def timed(fn, arg, repeats):  # the toolkit's time: 1 ms per minute of what it was given (no clock to wait on)
        timed_on.append(len(arg))
        return len(arg) / 200.0 / 60 * 1e-3, len(arg) / 200.0 / 60 * 2e-3

    monkeypatch.setattr(speed, "_neurokit", lambda x, fs: 0.0)
    monkeypatch.setattr(speed, "_biosppy", lambda x, fs: None)  # not installed: left out
    monkeypatch.setattr(speed, "_timed", timed)
    x = np.zeros(int(3600 * 200.0))  # an hour at 200 Hz
    t = speed.throughput(1.0, 200.0, 2, x, toolkit_s=600.0)
    work, lo, med = t["NeuroKit2 emg_process"]
    assert work == "whole toolkit, its own processing; timed on 10 min, scaled" and "BioSPPy emg" not in t
    assert timed_on == [600 * 200]  # the 10 minutes, not the hour
    assert (lo, med) == pytest.approx((2 * 60 * 1e-3, 2 * 60 * 2e-3))  # 2 channels × 60 min, not the 10 timed
    assert speed.throughput(1.0, 200.0, 1, x[:60_000])["NeuroKit2 emg_process"][0] == "whole toolkit, its own processing"
    short = speed.throughput(1.0, 200.0, 1, x[:60_000], toolkit_s=600.0)  # 5 min under the 10: timed whole
    assert short["NeuroKit2 emg_process"][0] == "whole toolkit, its own processing"


def test_bench_help_names_every_scenario():
    from emgcramp.cli.parser import build_parser
    from emgcramp.sim.scenarios import SCENARIOS

    bench = build_parser()._subparsers._group_actions[0].choices["bench"]
    said = next(a.help for a in bench._actions if a.dest == "scenario")
    assert said.rsplit(": ", 1)[1].split(", ") == list(SCENARIOS)


def test_json_out_to_a_reader_that_stops_exits_quietly():
    p = subprocess.Popen([sys.executable, "-m", "emgcramp", "analyze", SAMPLE_NIGHT, "--json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()  # as `| head -0` would
    assert p.wait(timeout=120) == 0 and p.stderr.read() == b""


def test_an_episode_is_a_cramp_or_a_leg_movement_not_both(tmp_cwd):
    # A 6-s burst at 50 × rest among quiet rest. On one channel that is no sure cramp: a possible cramp,
    # listed in lm.csv as such, and still scored as the leg movement it may be (the AASM scoring does not
    # wait on an uncertain verdict). Taken as a cramp (a lower cramp threshold), it is not also an LM.
    from conftest import bursts

    from emgcramp.io.edf import write_edf

    x = bursts(1000.0, 120, 4.0, [(60.0, 66.0, 200.0)])
    write_edf("n.edf", 1000.0, ["calf"], [x[:, None]], start=datetime(2026, 1, 2, 23, 0))
    rc, out, err = run_main("analyze", "n.edf", "--events", "e.csv", "--lm-events", "lm.csv", "--json")
    assert rc == 0, err
    assert list(csv.DictReader(open("e.csv"))) == []
    rows = list(csv.DictReader(open("lm.csv")))
    assert [r["kind"] for r in rows] == ["possible_cramp", "lm"] and 0 < float(rows[0]["probability"]) < 1
    s = json.loads(out)
    assert s["n_episodes"] == 0 and len(s["possible_cramps"]) == 1
    (p,) = s["possible_cramps"]  # given whole, as a cramp is: the same fields, the same values as lm.csv
    from emgcramp.io.events import EPISODE_FIELDS

    assert list(p) == list(EPISODE_FIELDS) and p["tier"] == "possible_cramp"
    assert (p["onset_s"], p["probability"]) == (float(rows[0]["onset_s"]), float(rows[0]["probability"]))
    assert p["onset_clock"] == rows[0]["onset_clock"] and p["onset_clock"].startswith("2026-01-02T23:01:0")
    # White noise band-passed to 20-450 Hz: √(m₂/m₀) 266 Hz, a little less through the filter's skirts and
    # the first difference's sin² (at 1 kHz); 6 s is too short for a drift.
    assert 220.0 < p["freq_hz"] < 266.0 and p["freq_drift"] is None

    from emgcramp.core.config import DetectorConfig, PipelineConfig
    from emgcramp.files import analyze_file

    cfg = PipelineConfig(detector=DetectorConfig().replace(cramp_probability=0.01))
    a, _ = analyze_file("n.edf", config=cfg)
    assert len(a.episodes) == 1 and a.episodes[0].duration_s < 10.0 and a.movements == []


def test_every_option_says_what_it_does():
    import argparse

    from emgcramp.cli.parser import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    silent = [f"{name} {'/'.join(a.option_strings) or a.dest}" for name, p in sub.choices.items()
              for a in p._actions if not a.help and not isinstance(a, argparse._HelpAction)]
    assert silent == []
    assert "%%" not in sub.choices["calibrate"].format_help()


def test_simulated_nights_can_start_on_successive_dates(tmp_cwd):
    rc, _, err = run_main("simulate", "--hours", "0.02", "--start", "2026-02-03T22:30", "n.edf")
    assert rc == 0, err
    import pyedflib

    with pyedflib.EdfReader("n.edf") as r:
        assert r.getStartdatetime().isoformat() == "2026-02-03T22:30:00"


def test_a_short_simulated_night_s_truth_holds_only_what_it_holds(tmp_cwd):
    # before: a 36-s night's truth and annotations held a pop at 60 s
    rc, out, err = run_main("simulate", "--hours", "0.01", "n.edf")
    assert rc == 0, err
    import pyedflib

    truth = json.load(open("n.truth.json"))["events"]
    with pyedflib.EdfReader("n.edf") as r:
        onsets = list(r.readAnnotations()[0])
        length = r.getFileDuration()
    assert length == 36 and all(e["onset_s"] < 36 for e in truth) and all(t < 36 for t in onsets)
    assert f"{sum(e['is_cramp'] for e in truth)} cramp(s), {sum(not e['is_cramp'] for e in truth)} look-alike(s)" in out


@pytest.mark.parametrize("args,says", [
    (["analyze", SAMPLE_NIGHT, "--jobs", "0"], "--jobs: must be 1 or more: 0"),
    (["analyze", SAMPLE_NIGHT, "--jobs", "two"], "--jobs: not a whole number: 'two'"),
    (["monitor", "--replay", SAMPLE_NIGHT, "--speed", "-1"], "--speed: must be 0 (as fast as possible) or more: -1"),
    (["emulate", "--speed", "nan"], "--speed: must be 0 (as fast as possible) or more: nan"),
    (["bench", "accuracy", "--jobs", "0"], "--jobs: must be 1 or more"),
    (["bench", "speed", "--figure", "s.png"], "--figure is for bench accuracy, not bench speed"),  # ignored, before
    (["bench", "accuracy", "--channels", "3"], "--channels is for bench speed, not bench accuracy"),
    (["analyze"], "the following arguments are required: file"),
])
def test_nonsense_options_are_one_line_and_status_2_before_any_work(tmp_path, args, says):
    rc, out, err = run_cli(*args, cwd=tmp_path)
    assert rc == 2 and says in err and err.count("\n") == 1 and out == "" and os.listdir(tmp_path) == []


def test_a_batch_option_given_for_one_recording_is_said_not_dropped():
    rc, out, err = run_main("analyze", SAMPLE_NIGHT, "--jobs", "2", "--dask", "local")
    assert rc == 0 and "3 cramp(s)" in out
    assert err == (f"emgcramp: note: --jobs and --dask: for a folder or pattern of recordings; {SAMPLE_NIGHT} is one "
                   "recording, analysed in one process\n")
    assert run_main("analyze", SAMPLE_NIGHT)[2] == ""


@pytest.mark.parametrize("args,says", [
    (["simulate", "--fs", "1000000000", "x.edf"], "sampling rate 1e+09 Hz is out of range"),
    (["simulate", "--fs", "100", "x.edf"], "sampling rate 100 Hz is out of range"),
    (["simulate", "--hours", "1000", "x.edf"], "a synthetic night lasts at most 24 h"),
    (["demo", "--fs", "50"], "sampling rate 50 Hz is out of range"),
])
def test_a_synthetic_night_analyze_would_refuse_is_refused_up_front(tmp_path, args, says):
    rc, out, err = run_cli(*args, cwd=tmp_path)
    assert rc == 2 and says in err and err.count("\n") == 1 and os.listdir(tmp_path) == []


def test_calibrate_writes_no_profile_it_could_not_read_again(tmp_cwd):
    """A board whose 1-µV steps mostly read 0 at rest gave a rest level of 0.09 µV: written, then refused by every
    command given the profile (a level is 0.1 µV or more), and calibrate --out over it lost its old levels."""
    from emgcramp.live.profile import read_profile

    rng = np.random.default_rng(0)
    for share, ok in ((0.01, False), (0.05, True)):  # of samples off zero: rest levels 0.093 and 0.2 µV
        x = np.where(rng.random(60_000) < share, rng.choice([-1.0, 1.0], 60_000), 0.0)
        np.save("coarse.npy", x.astype(np.float32))
        rc, _, err = run_main("calibrate", "--file", "coarse.npy", "--fs", "1000", "--rest", "10:40", "--out", "p.json")
        if ok:
            assert rc == 0 and read_profile("p.json")["rest_uv"] >= 0.1
        else:
            assert rc == 2 and err.count("\n") == 1 and not os.path.exists("p.json")
            assert "0.093 µV, lies under what any skin electrode reads (0.1 µV): its samples mostly repeat" in err


def test_calibrate_refuses_a_rest_window_without_signal_and_takes_one_beside_a_dropout(tmp_cwd):
    fs = 1000
    x = np.random.default_rng(0).normal(0.0, 4.0, 600 * fs)
    x[:90 * fs] = 0.0  # the sensor not yet recording
    x[400 * fs:520 * fs] *= 0.05  # two minutes of an electrode half off, within 5 minutes of the window below
    np.save("drop.npy", x.astype(np.float32))
    rc, _, err = run_main("calibrate", "--file", "drop.npy", "--fs", "1000", "--rest", "80:110", "--out", "a.json")
    assert rc == 2 and "holds a stretch without signal" in err and not os.path.exists("a.json")
    rc, out, err = run_main("calibrate", "--file", "drop.npy", "--fs", "1000", "--rest", "300:330", "--mvc", "60:65",
                            "--out", "c.json")  # a contraction window where the sensor was not yet recording
    assert rc == 2 and "the contraction window holds a stretch without signal" in err and not os.path.exists("c.json")
    rc, out, err = run_main("calibrate", "--file", "drop.npy", "--fs", "1000", "--rest", "300:330", "--out", "b.json")
    assert rc == 0, err  # white noise of 4 µV RMS band-passed to 20–450 Hz of 500: 4 × √0.86 = 3.7 µV
    assert json.load(open("b.json"))["rest_uv"] == pytest.approx(3.7, rel=0.05)


def test_calibrate_takes_a_rest_window_with_strong_heartbeat_bleed(tmp_cwd):
    """Heartbeats every 0.86 s raise the 0.5-s level by beats; 2-s means hold still, as rest does."""
    fs = 1000
    x = np.random.default_rng(1).normal(0.0, 4.0, 120 * fs)
    beat = 300.0 * np.sin(2 * np.pi * 40.0 * np.arange(25) / fs)  # a QRS-like 25-ms wave of 300 µV
    for at in range(500, len(x) - 25, 860):
        x[at:at + 25] += beat
    np.save("ecg.npy", x.astype(np.float32))
    rc, _, err = run_main("calibrate", "--file", "ecg.npy", "--fs", "1000", "--rest", "30:60", "--out", "p.json")
    assert rc == 0, err
    assert json.load(open("p.json"))["rest_uv"] > 4.0  # the bleed is in it, as the detector sees it


@pytest.mark.parametrize("command", [["analyze"], ["report", "--out", "r.png"], ["review", "--no-browser"], ["monitor", "--replay"],
                                     ["calibrate", "--rest", "0:5", "--file"]])
def test_a_file_without_its_rate_is_named_by_every_command_that_reads_it(tmp_cwd, command):
    np.save("norate.npy", np.zeros(20_000))
    rc, out, err = run_main(*command, "norate.npy")
    assert rc == 2 and err.strip() == "emgcramp: error: norate.npy: no sampling rate: this format does not carry one, " \
        "give --fs HZ", err


def test_the_channels_offered_for_the_calf_leave_out_those_in_no_voltage(tmp_cwd):
    """'the muscle channels: C3, GM, Accel': an accelerometer in g, which --channel all leaves out, was offered."""
    import pyedflib

    w = pyedflib.EdfWriter("psg.edf", 3, file_type=pyedflib.FILETYPE_EDFPLUS)
    w.setSignalHeaders([{"label": label, "dimension": unit, "sample_frequency": 500, "physical_max": 500.0,
                         "physical_min": -500.0, "digital_max": 32767, "digital_min": -32768}
                        for label, unit in (("EEG C3-A2", "uV"), ("GM", "uV"), ("Accel", "g"))])
    w.writeSamples([np.zeros(5_000)] * 3)
    w.close()
    rc, _, err = run_main("analyze", "psg.edf")
    assert rc == 2 and err.strip().endswith("give --channel with the calf's (the muscle channels: GM)"), err


def test_a_sleep_recording_whose_first_channel_is_no_muscle_asks_which_is_the_calf(tmp_cwd):
    """Its EEG was analysed as a calf (32 leg movements, a PLM index of 144/h); the names say which are muscles."""
    from emgcramp.io.edf import write_edf

    x = bursts(500.0, 60.0, 4.0, [(20.0, 40.0, 150.0)], seed=4)
    write_edf("psg.edf", 500.0, ["EEG C3-A2", "ECG", "LAT", "RAT"], [np.column_stack([x / 2, x, x, x / 3])])
    rc, out, err = run_main("analyze", "psg.edf")
    assert rc == 2 and err.strip() == ("emgcramp: error: psg.edf: the first channel, 'EEG C3-A2', is not a muscle by "
                                       "its name; give --channel with the calf's (the muscle channels: LAT, RAT)")
    rc, out, err = run_main("analyze", "psg.edf", "--channel", "LAT", "--json")
    (burst,) = json.loads(out)["possible_cramps"]  # 20 s at 45 × rest, of the calf asked for
    assert rc == 0 and burst["channel"] == "LAT" and abs(burst["onset_s"] - 20.0) < 0.5


@pytest.mark.parametrize("window, bad, says", [("--rest", np.nan, "the rest window holds NaN"),
                                               ("--mvc", np.inf, "the contraction window holds NaN or infinite")])
def test_calibrate_refuses_a_window_with_samples_that_are_not_numbers(tmp_cwd, window, bad, says):
    """A profile of rest_uv NaN was written with exit 0, and every later use of it refused."""
    x = np.random.default_rng(0).normal(0.0, 4.0, 60_000)
    x[35_000:40_000] *= 40.0  # a push
    x[20_000 if window == "--rest" else 36_000] = bad
    np.save("w.npy", x)
    extra = ["--mvc", "35:40"] if window == "--mvc" else []
    rc, _, err = run_main("calibrate", "--file", "w.npy", "--fs", "1000", "--rest", "5:30", *extra, "--out", "p.json")
    assert rc == 2 and says in err and err.count("\n") == 1 and not os.path.exists("p.json")


def test_a_command_started_with_its_output_closed_still_writes_its_files(tmp_cwd):
    """``>&-``: sys.stdout is None, and the first print was an internal error (exit 3)."""
    p = subprocess.run(f"{sys.executable} -m emgcramp analyze {SAMPLE_NIGHT} --events e.csv >&-", shell=True,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and p.stderr == "" and open("e.csv").read().count("\n") == 4  # header, its 3 cramps
    # --json gives nothing but what it prints: with nowhere to print it, a status 0 would say it was given
    p = subprocess.run(f"{sys.executable} -m emgcramp analyze {SAMPLE_NIGHT} --json --events j.csv >&-", shell=True,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "standard output, which is closed" in p.stderr
    assert not os.path.exists("j.csv")  # refused before any analysis


_CTRL_C_WHILE_LOADING = """
import importlib, os, signal, sys
real = importlib.import_module

def import_module(name, *args):  # Ctrl-C arrives as the command's module loads
    if name.startswith("emgcramp.cli."):
        os.kill(os.getpid(), signal.SIGINT)
    return real(name, *args)

importlib.import_module = import_module
sys.argv = ["emgcramp", *sys.argv[1:]]
from emgcramp.__main__ import run
sys.exit(run())
"""


def test_ctrl_c_while_the_modules_load_ends_the_process_at_once(tmp_path):
    """A KeyboardInterrupt raised inside an import was swallowed there ("Exception ignored ... _get_module_lock",
    and a monitor ran on), gave a traceback, or an internal error (numpy's "failed to import")."""
    p = subprocess.run([sys.executable, "-c", _CTRL_C_WHILE_LOADING, "analyze", SAMPLE_NIGHT], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == -signal.SIGINT and p.stderr == "" and p.stdout == ""  # as a shell shows it: status 130
    # a Ctrl-C its parent had it ignore (a job a script started with `&`) stays ignored: the analysis runs to its end
    p = subprocess.run([sys.executable, "-c", _CTRL_C_WHILE_LOADING, "analyze", SAMPLE_NIGHT], capture_output=True,
                       text=True, timeout=60, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert p.returncode == 0 and "3 cramp(s)" in p.stdout, p.stderr
    # once loaded, Ctrl-C is Python's again: the command's own clean-up runs, and says so in one line
    p = subprocess.Popen([sys.executable, "-m", "emgcramp", "monitor", "--replay", SAMPLE_NIGHT, "--speed", "100",
                          "--out", str(tmp_path / "n")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in p.stderr:  # until a status line 10 s into the night
        if line.partition("(night ")[2][:8] >= "00:00:10":
            break
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 0 and "ending the night (SIGINT)" in err and "Traceback" not in err, err


@pytest.mark.parametrize("args, says", [
    (["analyze", "x.edf", "--events", ""], "an empty argument after --events"),
    (["analyze", "x.edf", "--lm-events="], "an empty argument in '--lm-events='"),
    (["trend", ".", "--out", " "], "an empty argument after --out"),
    ([""], "an empty argument first"),
])
def test_an_empty_argument_is_refused_not_taken_for_no_file(args, says):
    """--events "$OUT" with OUT unset wrote no table and exited 0: a script's output lost, unsaid."""
    rc, out, err = run_main(*args)
    assert rc == 2 and says in err and err.count("\n") == 1 and out == ""
    rc, _, err = run_main("analyze", "x.edf", "--channel=a=")  # a value that ends in "=" is a value
    assert rc == 2 and "empty argument" not in err


def test_a_file_name_with_a_newline_or_an_escape_keeps_the_error_on_one_line(tmp_path):
    import shutil

    odd = tmp_path / "new\nline\x1b[31m.edf"
    shutil.copy(SAMPLE_NIGHT, odd)
    rc, out, err = run_main("analyze", str(odd), "--channel", "zzz")
    assert rc == 2 and err.count("\n") == 1 and "\x1b" not in err and "new\\nline\\x1b[31m.edf" in err, err


def test_analyze_says_how_long_the_signal_was_lost(tmp_cwd):
    # before: a minute of lead-off and a gap were said in the report only, not by analyze
    from datetime import datetime

    from conftest import bursts

    from emgcramp.core.blocks import Block
    from emgcramp.io.night import NightLog

    x = bursts(1000.0, 300.0, 4.0, [], seed=1)
    x[100_000:160_000] = 0.0  # a minute of a dead line
    np.save("flat.npy", x)
    rc, out, err = run_main("analyze", "flat.npy", "--fs", "1000")
    assert rc == 0 and "no signal: calf flat for 1 min (electrodes off, or a dead line): nothing is found there\n" \
        in out, out + err
    log = NightLog("night-20260101-230000", 1000.0, ["calf"], datetime(2026, 1, 1, 23, 0, 0))
    log.block(Block(0, x[:100_000, None]))
    log.block(Block(190_000, x[160_000:, None], gap_before=90_000))  # 90 s without the sensor
    log.close({"duration_s": 330.0})
    rc, out, err = run_main("analyze", "night-20260101-230000")
    assert rc == 0 and "no signal: 1 min 30 s missing between the parts recorded" in out, out + err
    np.save("fine.npy", bursts(1000.0, 60.0, 4.0, [], seed=1))
    assert "no signal" not in run_main("analyze", "fine.npy", "--fs", "1000")[1]
