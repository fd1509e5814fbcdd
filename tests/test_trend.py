"""Trend statistics on constructed nights."""

import json
import os

import pytest
from conftest import run_cli

from emgcramp.detect import Episode
from emgcramp.io.events import write_events_csv
from emgcramp.trend import load_nights, summarize


def night(folder, name, start, cramps):
    """An events CSV for a night starting at ``start`` with cramps (onset_s, duration_s)."""
    os.makedirs(folder, exist_ok=True)
    eps = [Episode(o, o + d, d, "tonic", 200.0, 150.0, 4.0, "calf") for o, d in cramps]
    write_events_csv(os.path.join(folder, name), eps, start)


def test_counts_months_hours_and_facts(tmp_path):
    from datetime import datetime

    night(tmp_path / "a", "e.csv", datetime(2026, 1, 5, 23, 0), [(3600.0, 60.0)])  # 00:00 on the 6th
    night(tmp_path / "b", "e.csv", datetime(2026, 1, 20, 22, 30), [(1800.0, 30.0), (7200.0, 90.0)])
    night(tmp_path, "night-20260203-230000.csv", None, [])  # a quiet night, dated by its name
    s = summarize(load_nights(str(tmp_path)))
    assert (s["nights"], s["cramps"], s["longest_s"], s["total_s"]) == (3, 3, 90.0, 180.0)
    assert s["per_month"] == {"2026-01": 3}
    assert s["onset_hours"] == {0: 2, 23: 1}  # 00:00, then 23:00 and 00:30
    assert s["per_week"] == pytest.approx(3 / 30 * 7)  # 5 Jan – 3 Feb: 30 days
    assert s["facts"][-1] == "A few cramps a month are common."


def test_frequent_or_long_cramps_are_flagged_without_diagnosis(tmp_path):
    from datetime import datetime

    for d in range(1, 8):
        night(tmp_path / str(d), "e.csv", datetime(2026, 3, d, 23, 0), [(600.0, 40.0), (5000.0, 700.0)])
    s = summarize(load_nights(str(tmp_path)))
    assert s["per_week"] == pytest.approx(14.0)
    assert "worth a doctor's look" in s["facts"][-1] and "diagnos" not in " ".join(s["facts"])


def test_trend_command(tmp_cwd):
    from datetime import datetime

    night("n", "e.csv", datetime(2026, 4, 1, 23, 0), [(100.0, 50.0)])
    rc, out, err = run_cli("trend", "n", "--json", "--out", "t.png")
    assert rc == 0, err
    assert json.loads(out)["cramps"] == 1 and os.path.getsize("t.png") > 20_000
    rc, _, err = run_cli("trend", "empty_dir_that_does_not_exist")
    assert rc == 2 and "no events CSV" in err
