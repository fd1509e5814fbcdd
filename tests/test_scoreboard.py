"""The scorer is honest, and the scoreboard runs offline and live alike."""

import json
import math
import signal

import pytest

from emgcramp.core.types import Episode
from emgcramp.eval.matching import iou, match
from emgcramp.eval.scoreboard import NightScore, _cause, markdown_table, score_night, summarize
from emgcramp.io.events import nulls
from emgcramp.sim.plan import TruthEvent

TRUTH = [(100.0, 160.0, "tonic"), (500.0, 520.0, "clonic"), (900.0, 905.0, "tonic")]


def test_perfect_detections_score_one():
    sc = match(TRUTH, TRUTH)
    assert (sc.tp, sc.fn, sc.fp, sc.f1, sc.kind_correct) == (3, 0, 0, 1.0, 3)
    assert sc.onset_errors_s == [0.0, 0.0, 0.0]


def test_no_detections_score_zero():
    sc = match(TRUTH, [])
    assert (sc.tp, sc.fn, sc.fp, sc.sensitivity, sc.f1) == (0, 3, 0, 0.0, 0.0)
    assert match([], [(1.0, 5.0, "tonic")]).precision == 0.0


def test_known_partial_case():
    detected = [(100.5, 158.0, "tonic"),  # a match, 0.5 s late
                (503.0, 560.0, "tonic"),  # IoU 17/60 < 0.3 and onset 3 s off: no match
                (904.0, 906.0, "tonic"),  # IoU 1/6 but onset 4 s off: no match
                (2000.0, 2030.0, "tonic")]  # a false alarm
    sc = match(TRUTH, detected)
    assert (sc.tp, sc.fn, sc.fp) == (1, 2, 3)
    assert sc.sensitivity == pytest.approx(1 / 3) and sc.precision == pytest.approx(1 / 4)
    assert sc.f1 == pytest.approx(2 / 7)
    assert sc.onset_errors_s == [0.5] and sc.offset_errors_s == [-2.0]


def test_onset_rule_and_one_to_one():
    assert iou((0, 10), (5, 15)) == pytest.approx(5 / 15)
    sc = match([(100.0, 101.0, "tonic")], [(101.5, 130.0, "tonic"), (100.2, 100.8, "tonic")])
    assert sc.tp == 1 and sc.fp == 1 and sc.pairs == [(0, 1)]  # the better IoU wins, once


def test_false_alarms_are_blamed_on_the_overlapping_lookalike():
    events = [TruthEvent(50.0, 52.0, "jerk", 300.0), TruthEvent(200.0, 203.0, "position_change", 90.0)]
    e = Episode(199.0, 204.0, 5.0, "tonic", 100.0, 80.0, 4.0)
    assert _cause(e, events) == "position_change"
    assert _cause(Episode(600.0, 610.0, 10.0, "tonic", 100.0, 80.0, 4.0), events) == "none"


@pytest.mark.long
def test_a_scenario_scores_alike_offline_and_live_and_the_table_says_so():
    r = score_night("frequent", 0.5, 4)
    assert r.live_agrees and r.cramps >= 5
    s = summarize([r])
    assert s["f1"] == pytest.approx(2 * r.tp / (2 * r.tp + r.fp + r.fn))
    assert s["fp_per_hour"] == pytest.approx(r.fp / 0.5)
    table = markdown_table({"frequent": s}, s)
    assert table[2].startswith(f"| frequent | 1 | {r.cramps} | {r.tp} | {r.fn} | {r.fp} | {s['sensitivity']:.3f} |")
    assert table[2].split(" | ")[-2] == "yes"
    offline_only = score_night("frequent", 0.5, 4, live=False)  # no live replay: its agreement is not claimed
    assert offline_only.live_agrees is None and (offline_only.tp, offline_only.fp) == (r.tp, r.fp)
    assert summarize([offline_only])["live_agrees"] is None and summarize([offline_only, r])["live_agrees"] is True
    assert markdown_table({}, summarize([offline_only]))[2].split(" | ")[-2] == "not run"


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="tone at twice the simulated strength: F1 0.51 and 1.6 false/h on these four "
                   "nights with the fitted decision (bench/RESULTS.md, stress sweep: 0.667 over its eight); raised "
                   "waking tone held for minutes is a look-alike one channel's envelope does not tell apart")
def test_the_worst_stress_step_keeps_f1_over_0_9():
    # Tone at twice the simulated strength: the sweep's worst step (bench/RESULTS.md), on nights
    # no constant was chosen on.
    from emgcramp.sim.scenarios import scenario, stretched

    rows = [score_night(n, 4.0, seed, False, None, stretched(scenario(n, 4.0, seed), "tone ×2"))
            for n in ("typical", "light_sleep") for seed in (201, 202)]
    s = summarize(rows)
    assert s["f1"] >= 0.9 and s["fp_per_hour"] <= 0.5


def test_nights_without_cramps_have_no_sensitivity_and_no_perfect_f1():
    def night(cramps, tp, fp):
        return NightScore("quiet", 1, 1.0, cramps, tp, cramps - tp, fp, tp, [0.1] * tp, [0.2] * tp, found_any=tp)

    quiet = summarize([night(0, 0, 0)])  # nothing to find and nothing found: nothing to score, not 1.000
    assert math.isnan(quiet["sensitivity"]) and math.isnan(quiet["precision"]) and math.isnan(quiet["f1"])
    assert math.isnan(quiet["sensitivity_both_tiers"]) and quiet["fp_per_hour"] == 0.0
    false_only = summarize([night(0, 0, 2)])  # nothing to find, two found: F1 0, precision 0
    assert (false_only["f1"], false_only["precision"], false_only["fp_per_hour"]) == (0.0, 0.0, 2.0)
    row = markdown_table({"quiet": quiet}, summarize([night(0, 0, 0), night(4, 3, 1)]))
    assert row[2].startswith("| quiet | 1 | 0 | 0 | 0 | 0 | – | – | – | 0.000 | – |")
    assert row[3].startswith("| **all** | 2 | 4 | 3 | 1 | 1 | 0.750 | 0.750 | 0.750 | 0.500 | 0.750 |")
    text = json.dumps(nulls({"all": quiet}), allow_nan=False)  # strict JSON: null where there is nothing
    assert json.loads(text)["all"]["f1"] is None and json.loads(text)["all"]["fp"] == 0


def test_no_worker_is_started_beyond_the_nights_to_score(monkeypatch, pools_started):
    """bench accuracy --jobs 200 started about 195 processes for one night (--jobs 100000: thousands)."""
    from emgcramp.eval import scoreboard

    monkeypatch.setattr(scoreboard, "_score_job", lambda job: job)
    assert scoreboard.score_nights(["quiet"], 0.01, 1, False, 200) == [("quiet", 0.01, 1, False)]
    assert scoreboard.score_nights(["quiet", "typical"], 0.01, 3, False, 4)[-1] == ("typical", 0.01, 3, False)
    assert pools_started == [1, 4]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_bench_accuracy_stops_at_once_with_the_nights_under_way(tmp_cwd, sig):
    """It ended only once the nights under way were scored: 36–41 s after the signal at --hours 4."""
    import os
    import subprocess
    import sys
    import time

    # 12-h nights: two of 4 h were scored in 2.7 s on an idle machine, before the signal could come
    p = subprocess.Popen([sys.executable, "-m", "emgcramp", "bench", "accuracy", "--hours", "12", "--seeds", "1",
                          "--scenario", "quiet", "--scenario", "typical", "--no-live", "--jobs", "2"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert p.stderr.readline().startswith("scoring 2 nights")  # started (a fixed wait: on a loaded machine, loading)
    time.sleep(1.0)  # its two nights under way
    assert p.poll() is None, "finished before it could be stopped"
    t = time.monotonic()
    p.send_signal(sig)
    _, err = p.communicate(timeout=30)
    assert time.monotonic() - t < 5.0 and p.returncode == (130 if sig == signal.SIGINT else 128 + sig), err
    time.sleep(0.5)
    with pytest.raises(ProcessLookupError):  # no worker left behind in its group
        os.killpg(p.pid, 0)
