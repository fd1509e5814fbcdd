"""The detector learns the person: the fit over labelled bursts, the profile, the decision, end to end."""

import csv
import json
import math
import os
from dataclasses import replace
from datetime import datetime

import numpy as np
import pytest
from conftest import emg_noise

import emgcramp
from emgcramp.cli import main
from emgcramp.core.config import PERSONAL_MAX_LOGIT, DetectorConfig
from emgcramp.core.errors import InputError
from emgcramp.detect.decide import CRAMP, POSSIBLE, decide
from emgcramp.detect.features import INPUTS, Features
from emgcramp.detect.model import Model, log_odds, model_id
from emgcramp.detect.personal import Labelled, choose_offset, fit
from emgcramp.io.events import read_events_csv
from emgcramp.io.labels import add_label
from emgcramp.live.profile import load_decision, load_profile, read_profile

T = 2.0  # a cramp threshold in log-odds, for the pure fits
B = 1.5  # a bound on the move, log-odds, for the pure fits (the shipped one is PERSONAL_MAX_LOGIT)


def _offset(cramps, false, bound=B):
    logit = np.array(cramps + false, dtype=float)
    return choose_offset(logit, np.arange(len(logit)) < len(cramps), T, bound=bound)[0]


def test_the_offset_turns_away_the_labelled_false_cramps_and_keeps_the_labelled_ones():
    # false cramps at 2.3 and 2.605 log-odds, cramps from 3.0: the smallest move under 2.0 - 2.605
    assert _offset([3.0, 3.5, 4.0], [2.3, 2.605]) == -0.61
    assert _offset([3.0, 4.0], []) == 0.0  # nothing to correct: no move
    # a counted cramp at 2.2 stands below the false one at 2.5: losing it is never the price
    assert _offset([2.2, 4.0], [2.5]) == 0.0
    # a missed cramp (1.5) pulls the decision up as long as no labelled false cramp (1.0) comes over
    assert _offset([1.5, 3.0], [1.0]) == 0.5


def test_the_offset_stays_within_its_bound():
    assert _offset([4.0], [3.2]) == -1.21  # 1.2 log-odds: within ±1.5
    assert _offset([4.0], [3.2], bound=1.0) == 0.0  # out of reach: the decision does not move at all
    assert _offset([4.5], [3.8]) == 0.0  # a look-alike the model is surer of than of a typical cramp
    assert _offset([0.2], []) == 0.0  # a missed cramp 1.8 log-odds under: beyond the bound
    for cramps, false in (([5.0, 6.0], [2.1, 3.0, 3.4]), ([-3.0, -1.0], [])):
        assert abs(_offset(cramps, false)) <= B
    # the shipped bound is the default: a move of 0.3 is within it, one of 1.21 is not
    assert PERSONAL_MAX_LOGIT < 1.21
    assert choose_offset(np.array([4.0, 3.2]), np.array([True, False]), T)[0] == 0.0
    assert choose_offset(np.array([4.0, 2.305]), np.array([True, False]), T)[0] == -0.31


def _toy(weights=None, cramp=0.8, floor=0.3) -> Model:
    n = len(INPUTS)
    w = tuple((weights or {}).get(i, 0.0) for i in INPUTS)
    return Model(INPUTS, (0.0,) * n, (1.0,) * n, w, 0.0, cramp, floor)


def _z(**kw):
    return tuple(kw.get(i, 0.0) for i in INPUTS)


def test_personal_weights_separate_what_an_offset_alone_cannot():
    # interleaved log-odds: cramps at 2.3 and 2.7, look-alikes at 2.5 and 2.9; the cramps last longer
    items = [Labelled(2.3, _z(log_duration_s=1.0), True), Labelled(2.7, _z(log_duration_s=1.2), True),
             Labelled(2.5, _z(log_duration_s=-1.0), False), Labelled(2.9, _z(log_duration_s=-1.1), False)]
    f = fit(items, T, _toy(), bound=B)
    assert (f.false_before, f.false_after, f.found_before, f.kept) == (2, 0, 2, 2)
    assert dict(f.weights)["log_duration_s"] > 0 and abs(f.offset) <= B
    # no weight may run against the physiology: a longer burst is never less of a cramp
    backwards = [Labelled(2.3, _z(log_duration_s=-1.0), True), Labelled(2.5, _z(log_duration_s=1.0), False)]
    assert dict(fit(backwards, T, _toy()).weights).get("log_duration_s", 0.0) == 0.0
    # only one kind of answer: an offset, no weights
    assert fit([Labelled(2.5, _z(duty=1.0), False)], T, _toy()).weights == ()
    # with a weight set for long bursts, a personal weight may run against the physiology in neither
    backwards = [Labelled(2.3, _z(duty=-1.0), True), Labelled(2.5, _z(duty=1.0), False)]
    assert dict(fit(backwards, T, _toy({"duty": 2.0})).weights)["duty"] < 0  # 2 + Δw stays >= 0
    both = replace(_toy({"duty": 2.0}), split_s=15.0, long=_toy())
    assert dict(fit(backwards, T, both).weights).get("duty", 0.0) == 0.0  # the long set's 0 + Δw would not


def feats(**kw) -> Features:
    base = dict(duration_s=30.0, hold_x_rest=30.0, peak_x_rest=40.0, contrast=30.0, rise_s=0.3, hold_share=0.75,
                held_run_share=1.0, duty=1.0, clonic_rate_hz=0.0, motion=0.0, flat=0.0, lf_ratio=0.1,
                background_x_rest=1.0, lm_chain=0, series_ratio=1.0, recent_lms=0, announced=False)
    return Features(**(base | kw))


def test_the_offset_moves_a_burst_between_tiers_exactly_at_the_shifted_threshold():
    m = _toy({"duty": 1.0}, floor=0.4)  # log-odds = duty; both thresholds within PERSONAL_MAX_LOGIT of a burst
    cfg = DetectorConfig()
    for duty, goal, offset, tier in ((1.0, 0.8, 0.0, POSSIBLE), (1.0, 0.8, 1e-9, CRAMP), (1.0, 0.8, -1e-9, POSSIBLE),
                                     (0.0, 0.4, 1e-9, POSSIBLE), (0.0, 0.4, -1e-9, "")):
        if offset:  # just over or just under the tier's threshold, moved by the offset
            offset += log_odds(goal) - duty
        d = decide(feats(duty=duty), 1, cfg.replace(personal_logit_offset=offset), m)
        assert d.tier == tier, (duty, offset)
        assert d.probability == pytest.approx(1 / (1 + math.exp(-(duty + offset))), rel=1e-12)
    f, to_cramp = feats(duty=1.0), log_odds(0.8) - 1.0
    # a personal weight adds its share of the standardised input; the whole move stops at ±PERSONAL_MAX_LOGIT
    with_weight = cfg.replace(personal_logit_offset=to_cramp - 0.5, personal_weights=(("duty", 0.5 + 1e-9),))
    assert decide(f, 1, with_weight, m).tier == CRAMP
    far = cfg.replace(personal_logit_offset=1.0, personal_weights=(("duty", 5.0),))
    assert decide(feats(duty=0.2), 1, far, m).probability == pytest.approx(1 / (1 + math.exp(-(0.2 + PERSONAL_MAX_LOGIT))))
    with pytest.raises(InputError, match="names no input"):
        decide(f, 1, cfg.replace(personal_weights=(("nose", 1.0),)), m)


def test_the_profile_keeps_the_decision_and_a_bad_one_is_one_line(tmp_path, capsys):
    path = str(tmp_path / "me.json")
    decision = {"logit_offset": -0.41, "weights": {"log_duration_s": 0.4}, "nights": 2, "labels": 4,
                "fitted": "2026-03-02T07:00:00", "model": model_id()}
    json.dump({"rest_uv": 4.0, "mvc_uv": 300.0, "decision": decision}, open(path, "w"))
    assert read_profile(path)["decision"] == decision and load_profile(path) == {"rest_uv": 4.0, "mvc_uv": 300.0}
    assert load_decision(path) == (-0.41, (("log_duration_s", 0.4),))
    for bad, says in (({"logit_offset": 2.0}, f"within ±{PERSONAL_MAX_LOGIT:g}"),
                      ({"logit_offset": "low"}, "logit_offset"),
                      ({"weights": [1, 2]}, "weights must map"), ({"nights": -1}, "nights must be a count"),
                      ([], "decision must be an object"),
                      ({"weights": {"wax": 0.1}}, "has weights but names no model"),
                      ({"logit_offset": -0.2, "model": "0123456789ab"}, "learned against another version")):
        json.dump({"rest_uv": 4.0, "decision": bad}, open(path, "w"))
        with pytest.raises(InputError, match=says) as e:
            read_profile(path)
        assert "\n" not in str(e.value)
        assert main(["analyze", str(tmp_path / "none.edf"), "--profile", path]) == 2
        assert capsys.readouterr().err.count("\n") == 1
    np.save(tmp_path / "night.npy", np.ones(1000, np.float32))
    nights = tmp_path / "nights"
    assert main(["monitor", "--replay", str(tmp_path / "night.npy"), "--fs", "500", "--speed", "0",
                 "--out", str(nights), "--profile", path]) == 2
    err = capsys.readouterr().err  # refused before the night began: no folder, no "monitoring …" line
    assert err.count("\n") == 1 and "learned against another version" in err and not nights.exists()


FS = 500.0
CRAMP_S, LOOKALIKE_S = (40.0, 130.0), (170.0, 266.0)


def _night(seed: int) -> np.ndarray:
    """Five minutes at 4 µV RMS: a 90-s cramp at 40 × rest, then a tone that rises in 3 s to 3 × for 90 s."""
    t = np.arange(int(300 * FS)) / FS
    env = np.ones_like(t)
    env[(t >= CRAMP_S[0]) & (t < CRAMP_S[1])] = 40.0
    a = LOOKALIKE_S[0]
    env = np.where((t >= a) & (t < a + 3), 1 + 2 * (t - a) / 3, env)
    env = np.where((t >= a + 3) & (t < a + 93), 3.0, env)
    env = np.where((t >= a + 93) & (t < a + 96), 3 - 2 * (t - a - 93) / 3, env)
    return emg_noise(len(t), FS, 4.0, seed) * env


def test_two_labelled_nights_teach_the_decision_to_drop_the_look_alike(tmp_path, capsys):
    nights = tmp_path / "nights"
    for k, seed in enumerate((1, 2)):
        folder = str(nights / f"night-2026030{k + 1}-230000")
        m = emgcramp.Monitor(FS, folder=folder, start=datetime(2026, 3, k + 1, 23, 0, 0))
        x = _night(seed)
        for i in range(0, len(x), int(FS)):
            m.feed(x[i:i + int(FS)])
        cramps = m.finish().cramps
        assert len(cramps) == 2  # the general decision counts the tone as a cramp too
        for c in cramps:  # the morning's answers
            add_label(folder, c.onset_s, c.offset_s, "cramp" if c.onset_s < CRAMP_S[1] else "not_cramp")
    profile = str(tmp_path / "me.json")
    json.dump({"rest_uv": 4.0, "mvc_uv": 300.0}, open(profile, "w"))
    assert main(["calibrate", "--learn", str(nights), "--out", profile]) == 0
    line = capsys.readouterr().out
    assert line.splitlines()[:3] == [f"learned from 4 answers over 2 nights -> {profile}",
                                     "  bursts you called not a cramp that it counted as cramps: 2, now 0",
                                     "  cramps you confirmed that it found: 2, still found 2"]
    assert line.splitlines()[3].startswith("  the decision moves by -")
    kept = json.load(open(profile))
    assert (kept["rest_uv"], kept["mvc_uv"], kept["decision"]["nights"]) == (4.0, 300.0, 2)
    assert kept["decision"]["model"] == model_id() and len(model_id()) == 12  # what it was learned against
    folder = str(nights / "night-20260301-230000")
    for with_profile, expected in ((False, 2), (True, 1)):
        out = str(tmp_path / f"events-{with_profile}.csv")
        assert main(["analyze", folder, "--events", out, "--no-progress"]
                    + (["--profile", profile] if with_profile else [])) == 0
        episodes = read_events_csv(out)
        assert len(episodes) == expected and episodes[0].onset_s < CRAMP_S[0] + 1.0
        # from Python, the same profile as --profile (there was no way to give one): its decision and its MVC
        given = {"profile": profile} if with_profile else {}
        api = emgcramp.analyze(folder, **given).cramps
        assert [(c.onset_s, round(c.probability, 3)) for c in api] == [(e.onset_s, e.probability) for e in episodes]
        found = emgcramp.find_cramps(_night(1), FS, **given).cramps
        m = emgcramp.Monitor(FS, **given)
        m.feed(_night(1))
        assert [c.onset_s for c in found] == [c.onset_s for c in m.finish().cramps] == [e.onset_s for e in episodes]
        assert [c.pct_mvc is not None for c in found] == [with_profile] * expected
    mvc = emgcramp.find_cramps(_night(1), FS, profile=profile, mvc_uv=150.0).cramps[0].pct_mvc  # given: it wins
    assert mvc == pytest.approx(2 * emgcramp.find_cramps(_night(1), FS, profile=profile).cramps[0].pct_mvc, rel=1e-3)
    with pytest.raises(emgcramp.InputError, match=r"none.json: no such calibration profile"):
        emgcramp.find_cramps(_night(1), FS, profile=tmp_path / "none.json")
    # a folder with no answers has nothing to teach
    os.makedirs(tmp_path / "empty")
    assert main(["calibrate", "--learn", str(tmp_path / "empty"), "--out", profile]) == 2
    assert "no night folder with labels" in capsys.readouterr().err


@pytest.mark.long
def test_a_night_monitored_with_a_personal_adjustment_keeps_it_for_recover_and_review(tmp_path):
    from conftest import run_cli

    from emgcramp.core.settings import config_from
    from emgcramp.io.night_reader import NightRecording, read_events
    from emgcramp.review.data import load_night, night_json
    from emgcramp.runner import run_blocks

    np.save(tmp_path / "night.npy", _night(1).astype(np.float32))
    profile = tmp_path / "me.json"
    # a learned move that turns this night's tone down (p 0.73 against the threshold's 0.66) and keeps its
    # cramp (0.80), within the bound
    move = -0.5
    assert abs(move) < PERSONAL_MAX_LOGIT
    json.dump({"rest_uv": 4.0, "decision": {"logit_offset": move, "weights": {}, "nights": 3, "labels": 9}},
              open(profile, "w"))
    rc, _, err = run_cli("monitor", "--replay", tmp_path / "night.npy", "--fs", FS, "--speed", 0,
                         "--out", tmp_path / "nights", "--profile", profile)
    assert rc == 0, err
    (folder,) = [str(p) for p in (tmp_path / "nights").iterdir()]
    rec = NightRecording(folder)
    assert rec.settings["personal_logit_offset"] == move and rec.settings["personal_weights"] == {}
    assert oct(os.stat(os.path.join(folder, "raw.json")).st_mode & 0o777) == "0o600"
    live = read_events_csv(os.path.join(folder, "events.csv"))
    (end,) = [e for e in read_events(folder) if e["type"] == "end"]
    # an NPY has no start: neither the night's log nor the events CSV makes up a clock time for its cramps
    with open(os.path.join(folder, "events.csv"), newline="") as f:
        clocks = [row["onset_clock"] for row in csv.DictReader(f)]
    assert clocks == [""] and [r["onset_clock"] for r in read_events(folder) if r["type"] == "cramp"] == [None]
    assert len(live) == 1 and live[0].onset_s < CRAMP_S[0] + 1.0  # the offset turned the tone down, live
    # Without the adjustment the same samples give two cramps: what follows tells the two apart.
    names = rec.channel_names
    general = run_blocks(rec.blocks([0], int(60 * FS)), rec.fs, names, config_from(rec.settings, personal=False))
    assert len(general.episodes) == 2
    os.remove(os.path.join(folder, "events.csv"))
    rc, out, err = run_cli("recover", folder)  # no --profile: the night's own
    assert rc == 0, err
    again = read_events_csv(os.path.join(folder, "events.csv"))
    assert [(e.onset_s, e.offset_s, e.kind) for e in again] == [(e.onset_s, e.offset_s, e.kind) for e in live]
    rc, _, err = run_cli("analyze", folder, "--events", tmp_path / "analyzed.csv", "--no-progress")
    assert rc == 0, err  # analyze, like recover, judges a night folder with its recorded settings
    assert [(e.onset_s, e.offset_s) for e in read_events_csv(tmp_path / "analyzed.csv")] == \
        [(e.onset_s, e.offset_s) for e in live]
    assert len(emgcramp.analyze(folder).cramps) == 1  # and so does the API, an MVC level given or not
    assert len(emgcramp.analyze(folder, mvc_uv=300.0).cramps) == 1
    possible = f" and {len(end['possible_cramps'])} possible" if end["possible_cramps"] else ""
    assert f"1 cramp(s){possible};" in out
    night = load_night(folder)  # the review's reading of the night, as the page shows it
    assert [(e.onset_s, e.tier) for e in night.listed()] == \
        sorted([(e.onset_s, "cramp") for e in live]
               + [(p["onset_s"], "possible_cramp") for p in end["possible_cramps"]])
    rc, out, err = run_cli("report", folder, "--out", tmp_path / "night.html")  # the saved review page
    assert rc == 0 and out.startswith("1 cramp(s); report written"), err
    from test_review import Review, _json

    served = Review(folder)  # emgcramp review NIGHT, without --profile
    try:
        page = _json(f"{served.base}/api/night/0?token={served.token}")
    finally:
        served.stop()
    assert [(e["onset_s"], e["tier"]) for e in page["events"]] == \
        [(round(e.onset_s, 3), e.tier) for e in night.listed()]
    assert page["counts"]["cramps"] == 1
    # A profile given to recover replaces the recorded adjustment: one that moves the other way brings the tone back.
    json.dump({"decision": {"logit_offset": 0.5, "weights": {}}}, open(profile, "w"))
    rc, out, err = run_cli("recover", folder, "--profile", profile)
    assert rc == 0 and "2 cramp(s)" in out, (out, err)
    # The night records the model its adjustment was learned against; with another, the adjustment is set
    # aside, in one line, and the night judged by the general decision (two cramps), as a profile is refused.
    from emgcramp.core.settings import settings_of
    from emgcramp.detect.model import model_id

    assert rec.settings["model"] == model_id() and len(model_id()) == 12
    head = json.load(open(os.path.join(folder, "raw.json")))
    head["settings"]["model"] = "0" * 12
    json.dump(head, open(os.path.join(folder, "raw.json"), "w"))
    with pytest.warns(emgcramp.SettingsWarning, match="another version of the cramp decision"):
        assert len(emgcramp.analyze(folder).cramps) == 2
    with pytest.warns(emgcramp.SettingsWarning):  # the review page says it too, under its opening sentence
        (said,) = night_json(load_night(folder))["settings_notes"]
    assert said.startswith(f"{folder}: the personal adjustment it was monitored with was made for another version")
    rc, out, err = run_cli("analyze", folder, "--profile", profile)  # a profile's own adjustment: nothing to say
    assert rc == 0 and err == "", (out, err)
    rc, out, err = run_cli("recover", folder)
    assert rc == 0 and "2 cramp(s)" in out, (out, err)
    assert err == (f"emgcramp: note: {folder}: the personal adjustment it was monitored with was made for another "
                   f"version of the cramp decision (model 000000000000, this emgcramp has {model_id()}): the night "
                   "is judged by the general decision\n")
    # the adjustment set aside stays on record with its model (every run sets it aside alike): not lost
    assert NightRecording(folder).settings == head["settings"]
    rc, out, err = run_cli("recover", folder)
    assert rc == 0 and "2 cramp(s)" in out and err.count("note:") == 1, (out, err)
    # a profile that learned no change replaces it: recorded so, with this model, and no note from then on
    json.dump({"decision": {"logit_offset": 0.0, "weights": {}}}, open(profile, "w"))
    rc, out, err = run_cli("recover", folder, "--profile", profile)
    assert rc == 0 and "2 cramp(s)" in out and err == "", (out, err)
    assert NightRecording(folder).settings == settings_of(None) | {"model": model_id()}
    assert run_cli("recover", folder)[2] == ""
    # A batch of two such nights, in this process and on a pool: a note for each, from the workers too
    import shutil

    shutil.copytree(folder, folder + "-2")
    for night in (folder, folder + "-2"):
        json.dump(head, open(os.path.join(night, "raw.json"), "w"))
    for jobs in ("1", "2"):
        rc, out, err = run_cli("analyze", tmp_path / "nights", "--jobs", jobs)
        notes = sorted(line for line in err.splitlines() if "note:" in line)
        assert rc == 0 and sorted(n.split("note: ")[1].split(":")[0] for n in notes) == [folder, folder + "-2"], err
        assert all(n.startswith("[") for n in notes), err  # the batch's own line, not Python's warning format


def test_options_replace_only_the_recorded_settings_they_give_and_the_profile_is_read_once(tmp_path):
    import pickle

    from emgcramp.cli.common import detector_settings
    from emgcramp.cli.parser import build_parser

    recorded = {"mains": 50.0, "min_duration_s": 4.0, "mvc_uv": None, "personal_logit_offset": -0.3,
                "personal_weights": {}}
    for command in (["analyze"], ["recover"], ["review"], ["report", "--out", "x.html"]):
        args = build_parser().parse_args([*command, "x", "--min-duration", "5"])
        config = detector_settings(args)(recorded)
        assert (config.mains, config.detector.judge.min_duration_s) == (50.0, 5.0), command
        assert config.detector.judge.personal_logit_offset == -0.3
        assert detector_settings(args)({}).mains == "auto"  # a recording file: the package's defaults
    profile = tmp_path / "me.json"
    json.dump({"mvc_uv": 250.0, "decision": {"logit_offset": 0.2, "weights": {"wax": 0.1}, "model": model_id()}},
              open(profile, "w"))
    args = build_parser().parse_args(["analyze", "x", "--profile", str(profile), "--mains", "60"])
    shipped = pickle.dumps(detector_settings(args))  # what a batch's workers get
    os.remove(profile)  # read once, in the parent: a worker needs no access to it
    config = pickle.loads(shipped)(recorded)
    judge = config.detector.judge
    assert (config.mains, judge.mvc_uv, judge.personal_logit_offset, judge.personal_weights) == \
        (60.0, 250.0, 0.2, (("wax", 0.1),))


def test_the_direction_fit_converges_where_plain_newton_steps_run_away():
    # 60 answered bursts, one with a rise 12 SD out: from zero, full Newton steps of this fit overshoot
    # without end (the intercept reached 1.8e4 within 50 steps, and the weights with it); halved steps
    # reach the optimum of the penalised loss
    from emgcramp.detect.personal import RIDGE, _ridge

    rng = np.random.default_rng(3)
    z = rng.normal(0.0, 1.0, (60, 2))
    z[0, 1] = 12.0
    logit = 1.5 * z[:, 0] + rng.normal(0.0, 1.0, 60) + 1.5
    y = (rng.random(60) < 0.4).astype(float)
    y[0] = 0.0
    w = _ridge(logit, z, y)
    assert np.all(np.abs(w) < 3.0)
    # at the optimum the penalised gradient in w is zero, for the best intercept b
    x = np.column_stack([np.ones(60), z])
    b = np.linspace(-5, 5, 20001)
    p = 1.0 / (1.0 + np.exp(-(logit[None, :] + b[:, None] + (z @ w)[None, :])))
    best = b[np.argmin(np.abs((p - y).sum(axis=1) + 1e-3 * b))]
    p = 1.0 / (1.0 + np.exp(-(logit + best + z @ w)))
    np.testing.assert_allclose(x[:, 1:].T @ (p - y) + RIDGE * w, 0.0, atol=1e-2)


def test_a_profile_or_nights_of_the_wrong_kind_are_named_in_words(tmp_path, capsys):
    """No errno or codec text: a folder given as a profile, a binary file as one, a file as the nights."""
    binary = tmp_path / "night.edf"
    binary.write_bytes(b"0       \xff\xfe" * 40)
    for profile, says in ((tmp_path, "is a folder, not a calibration profile"),
                          (binary, "not a calibration profile (profiles are JSON text)")):
        with pytest.raises(InputError) as e:
            read_profile(str(profile))
        assert str(e.value) == f"{profile}: {says}"
    assert main(["calibrate", "--learn", str(binary), "--out", str(tmp_path / "me.json")]) == 2
    assert capsys.readouterr().err.strip().endswith(f"{binary}: not a folder of nights")
    assert main(["calibrate", "--learn", str(tmp_path / "none"), "--out", str(tmp_path / "me.json")]) == 2
    assert capsys.readouterr().err.strip().endswith(f"{tmp_path / 'none'}: no such folder of nights")


@pytest.mark.long
def test_labels_are_learned_against_the_general_threshold_whatever_a_night_was_monitored_with(tmp_path):
    """A --cramp-threshold says where one night's alarms fell; the person's adjustment is learned without it."""
    from conftest import SAMPLE_NIGHT

    from emgcramp.live.labelled import night_candidates

    out = tmp_path / "n"
    assert main(["monitor", "--replay", SAMPLE_NIGHT, "--speed", "0", "--cramp-threshold", "0.79",
                 "--out", str(out)]) == 0
    (night,) = os.listdir(out)
    assert json.load(open(out / night / "raw.json"))["settings"]["cramp_probability"] == 0.79
    log, _labels, config, hours = night_candidates(str(out / night))
    assert config.detector.judge.cramp_probability is None and 0.3 < hours < 0.35 and len(log) >= 3
