"""One runner: analyze, monitor, recover and the scoreboard give the same events through it."""

import csv
import json
import os

import pytest
from conftest import SAMPLE_NIGHT, run_cli

from emgcramp.core.settings import config_from, settings_of
from emgcramp.detect.model import model_id
from emgcramp.eval.scoreboard import score_night
from emgcramp.runner import Runner, SensorChanged


def _rows(path):
    with open(path, newline="") as f:
        return [{k: v for k, v in r.items() if k != "onset_clock"} for r in csv.DictReader(f)]


@pytest.mark.long
def test_analyze_monitor_and_recover_give_the_same_events_with_the_nights_settings(tmp_path):
    opts = ["--mains", "50", "--mvc-uv", "300", "--min-duration", "4"]
    rc, _, err = run_cli("analyze", SAMPLE_NIGHT, *opts, "--events", tmp_path / "analyze.csv")
    assert rc == 0, err
    rc, _, err = run_cli("monitor", "--replay", SAMPLE_NIGHT, "--speed", "0", *opts, "--out", tmp_path / "n")
    assert rc == 0, err
    (night,) = os.listdir(tmp_path / "n")
    folder = tmp_path / "n" / night
    live = _rows(folder / "events.csv")
    assert json.load(open(folder / "raw.json"))["settings"] == {"mains": 50.0, "min_duration_s": 4.0, "mvc_uv": 300.0,
                                                                "model": model_id()}  # the decision that judged it
    os.remove(folder / "events.csv")
    rc, _, err = run_cli("recover", folder)  # no options: the night's own settings
    assert rc == 0, err
    offline = _rows(tmp_path / "analyze.csv")
    assert offline and all(r["pct_mvc"] for r in offline)  # --mvc-uv took effect
    assert _rows(folder / "events.csv") == live == offline
    os.remove(folder / "events.csv")
    rc, _, err = run_cli("recover", folder, "--min-duration", "600")  # an option given replaces the night's
    assert rc == 0 and _rows(folder / "events.csv") == []
    # and the night now records it, as its events.csv was written with it
    assert json.load(open(folder / "raw.json"))["settings"]["min_duration_s"] == 600.0


@pytest.mark.long
def test_a_chosen_cramp_threshold_is_the_nights_setting_live_and_after(tmp_path):
    """--cramp-threshold between the sample night's two least sure cramps: the least sure is only possible."""
    rc, _, err = run_cli("analyze", SAMPLE_NIGHT, "--events", tmp_path / "d.csv")  # the model's: all three
    default = _rows(tmp_path / "d.csv")
    assert rc == 0 and len(default) == 3, err
    low, mid = sorted(float(r["probability"]) for r in default)[:2]
    t = round((low + mid) / 2, 4)
    assert low < t < mid
    rc, _, err = run_cli("analyze", SAMPLE_NIGHT, "--cramp-threshold", str(t), "--events", tmp_path / "a.csv")
    offline = _rows(tmp_path / "a.csv")
    assert rc == 0 and offline == [r for r in default if float(r["probability"]) > t], err
    rc, out, err = run_cli("analyze", SAMPLE_NIGHT, "--cramp-threshold", str(t), "--json")
    assert rc == 0 and json.loads(out)["cramp_threshold"] == t, err
    rc, out, err = run_cli("monitor", "--replay", SAMPLE_NIGHT, "--speed", "0", "--cramp-threshold", str(t),
                           "--out", tmp_path / "n")
    (night,) = os.listdir(tmp_path / "n")
    folder = tmp_path / "n" / night
    assert rc == 0 and json.load(open(folder / "raw.json"))["settings"]["cramp_probability"] == t, err
    assert "2 cramp(s) in 0.33 h, 2 alert(s), 1 possible cramp(s) listed, not counted;" in out
    assert _rows(folder / "events.csv") == offline
    os.remove(folder / "events.csv")
    rc, _, err = run_cli("recover", folder)  # the night's own threshold
    assert rc == 0 and _rows(folder / "events.csv") == offline, err
    rc, out, err = run_cli("trend", tmp_path / "n", "--cramp-threshold", "0.6")
    assert rc == 0 and f"1 night(s) were counted at a stricter threshold ({t:g})" in out, err
    rc, _, err = run_cli("recover", folder, "--cramp-threshold", "0.6")  # recorded with the events it writes
    assert rc == 0 and _rows(folder / "events.csv") == default, err
    rc, out, err = run_cli("trend", tmp_path / "n", "--cramp-threshold", "0.6")
    assert rc == 0 and "stricter" not in out and "3 cramp(s)" in out, err


@pytest.mark.long
def test_the_scoreboards_live_column_is_the_monitors_loop_and_agrees():
    row = score_night("typical", 0.25, 2)
    assert row.live_agrees and row.cramps >= 1


def test_settings_round_trip_and_overrides():
    cfg = config_from({"mains": 50.0, "min_duration_s": 5.0, "mvc_uv": None}, mvc_uv=250.0)
    assert settings_of(cfg) == {"mains": 50.0, "min_duration_s": 5.0, "mvc_uv": 250.0}
    assert config_from(settings_of(cfg)) == cfg
    strict = config_from(settings_of(cfg), cramp_probability=0.8)
    assert strict.detector.judge.cramp_probability == 0.8 and settings_of(strict)["cramp_probability"] == 0.8
    assert config_from(settings_of(strict)) == strict


def test_the_runner_refuses_a_changed_set_up_by_name():
    import numpy as np

    from emgcramp.core.blocks import Block

    runner = Runner(1000.0, ["calf"])
    runner.feed(Block(0, np.random.default_rng(0).standard_normal((1000, 1))))
    with pytest.raises(SensorChanged, match="2 channel"):
        runner.feed(Block(1000, np.zeros((10, 2))))
    assert runner.pipe.samples_seen == 1000  # the changed block was not run
