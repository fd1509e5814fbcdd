"""Trend statistics on constructed nights."""

import csv
import json
import os

import pytest
from conftest import SAMPLE_NIGHT, run_cli

from emgcramp.core.types import Episode
from emgcramp.io.events import is_events_csv, write_events_csv
from emgcramp.viz.nights import count_at, load_nights
from emgcramp.viz.trend import summarize


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
    # 5 Jan – 3 Feb: 30 days, but 3 nights recorded: too few for a rate (the days between were not nights without)
    assert s["per_week"] is None and s["span_days"] == 30
    assert s["facts"][0] == ("3 cramp(s) over 3 night(s) (1, 2, 0 per night); 2 night(s) had at least one. Under 7 "
                             "nights with a date are too few for a rate.")


def test_frequent_or_long_cramps_are_flagged_without_diagnosis(tmp_path):
    from datetime import datetime

    for d in range(1, 8):
        night(tmp_path / str(d), "e.csv", datetime(2026, 3, d, 23, 0), [(600.0, 40.0), (5000.0, 700.0)])
    s = summarize(load_nights(str(tmp_path)))
    assert s["per_week"] == pytest.approx(14.0)  # seven nights: a week, so a rate
    assert "worth a doctor's look" in s["facts"][-1] and "diagnos" not in " ".join(s["facts"])


def test_two_nights_give_counts_per_night_not_a_rate_nor_advice(tmp_path):
    from datetime import datetime

    night(tmp_path / "1", "e.csv", datetime(2026, 3, 1, 23, 0), [(600.0, 40.0)] * 7)
    night(tmp_path / "2", "e.csv", datetime(2026, 3, 2, 23, 0), [(600.0, 40.0)] * 7)
    s = summarize(load_nights(str(tmp_path)))
    assert s["per_week"] is None and s["span_days"] == 2
    assert s["facts"][0].startswith("14 cramp(s) over 2 night(s) (7, 7 per night)")
    assert "a week" not in " ".join(s["facts"]) and "doctor" not in " ".join(s["facts"])
    assert "common" not in " ".join(s["facts"])  # no reassurance without a rate either


def test_the_trend_picture_counts_every_night_of_one_date(tmp_path):
    # Three nights with the same start date (simulated ones before --start): three bars of 6.
    from datetime import datetime

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from emgcramp.viz.trend import plot

    for k in range(3):
        night(tmp_path / str(k), "e.csv", datetime(2026, 1, 1, 23, 0), [(600.0 * (i + 1) + k, 40.0) for i in range(6)])
    captured = {}
    real = plt.subplots

    def keep(*a, **kw):
        captured["fig"], captured["ax"] = real(*a, **kw)
        return captured["fig"], captured["ax"]

    plt.subplots = keep
    try:
        plot(load_nights(str(tmp_path)), str(tmp_path / "t.png"))
    finally:
        plt.subplots = real
    ax = captured["ax"]
    assert [b.get_height() for b in ax[0, 0].patches] == [6, 6, 6]
    hours = {t.get_text() for t in ax[1, 0].get_xticklabels()}
    assert {"22:00", "00:00", "02:00"} <= hours  # an axis that wraps at noon, not midnight
    # onsets 23:10-00:00: the 23 h's bar spans 23:00-24:00 from its tick (it was centred on 23:00)
    tick_of = {t.get_text(): t.get_position()[0] for t in ax[1, 0].get_xticklabels()}
    spans = sorted((round(b.get_x(), 3), round(b.get_x() + b.get_width(), 3), b.get_height()) for b in ax[1, 0].patches)
    assert spans == [(tick_of["00:00"] - 1, tick_of["00:00"] - 0.1, 15), (tick_of["00:00"], tick_of["00:00"] + 0.9, 3)]
    ticks = ax[0, 0].get_yticks()
    assert all(float(t).is_integer() for t in ticks)


@pytest.mark.long
def test_one_night_in_two_files_counts_once(tmp_cwd):
    import shutil


    os.mkdir("all")
    assert run_cli("analyze", SAMPLE_NIGHT, "--events", "all/out.csv")[0] == 0
    rc, _, err = run_cli("monitor", "--replay", SAMPLE_NIGHT, "--speed", "0", "--out", "all/nights")
    assert rc == 0, err
    s = json.loads(run_cli("trend", "all", "--json")[1])
    assert (s["nights"], s["cramps"]) == (1, 3) and s["per_night"][0]["path"].startswith("all/nights/night-")
    assert any(f.startswith("Not counted again") and f.endswith("all/out.csv.") for f in s["facts"])
    # two quiet nights, or nights whose cramps differ, stay two
    shutil.copy("all/out.csv", "all/other.csv")
    night("all", "quiet1.csv", None, [])
    night("all", "quiet2.csv", None, [])
    night("all", "late.csv", None, [(100.0, 50.0)])
    assert json.loads(run_cli("trend", "all", "--json")[1])["nights"] == 4


def test_a_night_with_a_cramp_of_unknown_clock_is_not_taken_for_another():
    from datetime import datetime

    from emgcramp.viz.nights import Night

    c1, c2 = datetime(2026, 3, 1, 23, 30), datetime(2026, 3, 2, 1, 0)
    ep = Episode(10.0, 60.0, 50.0, "tonic", 200.0, 150.0, 4.0, "calf")
    partly = Night("a.csv", c1, [c1, None], [ep, ep])  # its second cramp's clock is not known
    one = Night("b.csv", c1, [c1], [ep])
    same = Night("c.csv", c1, [c1, c2], [ep, ep])
    again = Night("nights/night-x/events.csv", c1, [c1, c2], [ep, ep], folder=True)
    s = summarize(count_at([partly, one, same, again], 0.0))
    assert s["nights"] == 3 and [n["path"] for n in s["per_night"]] == ["a.csv", "b.csv", "nights/night-x/events.csv"]
    assert any(f.startswith("Not counted again") and f.endswith(": c.csv.") for f in s["facts"])


@pytest.mark.long
def test_trend_command(tmp_cwd):
    from datetime import datetime

    night("n", "e.csv", datetime(2026, 4, 1, 23, 0), [(100.0, 50.0)])
    rc, out, err = run_cli("trend", "n", "--json", "--out", "t.png")
    assert rc == 0 and err == "trend written to t.png\n", err  # stdout stays JSON
    assert json.loads(out)["cramps"] == 1 and os.path.getsize("t.png") > 20_000
    rc, out, err = run_cli("trend", "n", "--out", "t.png")
    assert rc == 0 and out.endswith("trend written to t.png\n"), out
    rc, _, err = run_cli("trend", "empty_dir_that_does_not_exist")
    assert rc == 2 and "no such folder" in err
    os.mkdir("empty")
    rc, _, err = run_cli("trend", "empty")
    assert rc == 2 and "no events CSV" in err


def test_nights_counted_at_different_thresholds_are_said_to_be_and_can_be_counted_alike(tmp_cwd):
    from datetime import datetime

    def folder(name, day, probabilities, recorded):
        """A night folder's events.csv and raw.json, counted at threshold ``recorded`` (None: the default)."""
        os.makedirs(name)
        eps = [Episode(600.0 * (i + 1), 600.0 * (i + 1) + 40.0, 40.0, "tonic", 200.0, 150.0, 4.0, "calf",
                       probability=p) for i, p in enumerate(probabilities)]
        write_events_csv(os.path.join(name, "events.csv"), eps, datetime(2026, 3, day, 23, 0))
        settings = {"mains": "auto", "min_duration_s": 3.0, "mvc_uv": None}
        settings |= {} if recorded is None else {"cramp_probability": recorded}
        json.dump({"fs": 1000.0, "channels": ["calf"], "start": f"2026-03-0{day}T23:00:00", "settings": settings},
                  open(os.path.join(name, "raw.json"), "w"))

    folder("n/a", 1, [0.85, 0.9], 0.8)  # a stricter --cramp-threshold
    folder("n/b", 2, [0.7, 0.95], None)
    folder("n/d", 4, [0.6], 0.55)  # a laxer one
    os.makedirs("n/c")  # analyze --events: the CSV does not say its threshold; one cramp has no probability
    write_events_csv("n/c/analyzed.csv", [Episode(60.0, 100.0, 40.0, "tonic", 200.0, 150.0, 4.0, "calf",
                                                  probability=0.75),
                                          Episode(160.0, 200.0, 40.0, "tonic", 200.0, 150.0, 4.0, "calf")],
                     datetime(2026, 3, 3, 23, 0))
    with open("n/c/analyzed.csv") as f:
        text = f.read()
    with open("n/c/analyzed.csv", "w") as f:  # an empty probability cell, as a CSV edited by hand may hold
        f.write(text.replace(",nan\n", ",\n"))
    nights = load_nights("n")
    assert [(n.threshold, n.folder) for n in nights] == [(0.8, True), (None, True), (None, False), (0.55, True)]
    s = summarize(nights, default=0.6722)
    assert s["cramps"] == 7 and s["facts"][-1] == (
        "These nights were counted at different cramp thresholds (the default on 1, 0.55 on 1, 0.8 on 1): give "
        "--cramp-threshold 0.8 to count them alike (of 1 night(s) from events CSVs the threshold is not known).")
    rc, out, err = run_cli("trend", "n", "--json", "--cramp-threshold", "0.8")
    s = json.loads(out)
    assert rc == 0 and [n["cramps"] for n in s["per_night"]] == [2, 1, 1, 0] and s["counted_at"] == 0.8, err
    assert s["facts"][-1] == ("Counted at cramp probability 0.8 or more. 1 night(s) from events CSVs do not say "
                              "which threshold they were counted at. 1 cramp(s) with no probability in their table "
                              "(an earlier version's) are counted as they were.")
    rc, out, err = run_cli("trend", "n", "--cramp-threshold", "0.5999")  # under all but one night's own
    assert rc == 0 and "7 cramp(s) over 4 night(s)" in out, err  # 0.6 written to 3 decimals: it counts
    assert out.rstrip().endswith("Counted at cramp probability 0.5999 or more. 2 night(s) were counted at a stricter "
                                 "threshold (0.8, the default): their cramps below it are not in their events. "
                                 "1 night(s) from events CSVs do not say which threshold they were counted at. "
                                 "1 cramp(s) with no probability in their table (an earlier version's) are counted "
                                 "as they were.")
    rc, _, err = run_cli("trend", "n", "--cramp-threshold", "1.5")
    assert rc == 2 and err.count("\n") == 1 and "--cramp-threshold" in err
    only = summarize(count_at(load_nights("n/b"), 0.8))  # one threshold: nothing to say of it
    assert only["cramps"] == 1 and not any("threshold" in f for f in only["facts"])


@pytest.mark.long
def test_a_spreadsheets_csv_counts_and_a_damaged_one_is_one_line(tmp_cwd):
    from datetime import datetime

    night("n", "e.csv", datetime(2026, 4, 1, 23, 0), [(100.0, 50.0)])
    with open("n/e.csv", encoding="utf-8") as f:
        text = f.read()
    with open("n/e.csv", "w", encoding="utf-8-sig") as f:  # as a spreadsheet saves it: a byte-order mark first
        f.write(text)
    assert summarize(load_nights("n"))["cramps"] == 1
    rows = text.splitlines()
    at = rows[0].split(",").index("probability")

    def with_probability(cell: str) -> str:
        cells = rows[1].split(",")
        return ",".join(cells[:at] + [cell] + cells[at + 1:])

    negative = ",".join(["100.0", "150.0", "-5.0"] + rows[1].split(",")[3:])  # before: counted, 5 s off the total
    backwards = ",".join(["150.0", "100.0", "50.0"] + rows[1].split(",")[3:])
    longer = ",".join(["100.0", "150.0", "3000.0"] + rows[1].split(",")[3:])  # before: "3000 s in all"
    endless = ",".join(["1e12", "1e12", "0"] + rows[1].split(",")[3:])  # before: internal error (a clock overflowed)
    # times a spreadsheet saved to a tenth, each rounded on its own (100.04, 150.06, 50.02): refused, 2.1 > 2 ms
    tenths = ",".join(["100.0", "150.1", "50.0"] + rows[1].split(",")[3:])
    with open("n/e.csv", "w") as f:
        f.write("\n".join([rows[0], tenths]) + "\n")
    assert summarize(load_nights("n"))["cramps"] == 1
    def with_cell(name: str, cell: str) -> str:
        cells, k = rows[1].split(","), rows[0].split(",").index(name)
        return ",".join(cells[:k] + [cell] + cells[k + 1:])

    # each read by report too: a rest level under 0 (of 0, an internal error: × rest divided by it), a clock time
    # that is none passed the check that the table is the recording's
    for bad, says in ((with_cell("rest_uv", "-1"), "column 'rest_uv' holds '-1'; expected the rest level, µV, or"),
                      (with_cell("onset_clock", "2026-13-45T99:99:99"), "column 'onset_clock' holds '2026-13-45T99"),
                      (with_probability("1.5"), "expected a probability between 0 and 1"),
                      (longer, "duration_s is 3000.0 s for a cramp from 100.0 s to 150.0 s; expected offset_s − "),
                      (endless, "column 'onset_s' holds '1e12'; expected seconds from the recording's start"),
                      (with_probability("x" * 200_000), "not readable as CSV"),
                      (negative, "expected 0 ≤ onset_s ≤ offset_s and a duration_s of 0 or more"),
                      (backwards, "the cramp runs from 150.0 s to 100.0 s")):
        with open("n/e.csv", "w") as f:
            f.write("\n".join([rows[0], bad]) + "\n")
        rc, _, err = run_cli("trend", "n")
        assert rc == 2 and err.count("\n") == 1 and says in err, err
        if "rest_uv" in says or "onset_clock" in says:
            rc, _, err = run_cli("report", SAMPLE_NIGHT, "--events", "n/e.csv", "--out", "r.png")
            assert rc == 2 and err.count("\n") == 1 and says in err and not os.path.exists("r.png"), err
    for cut in (100, len(rows[0]) - 3):  # cut inside its header: was a night of no cramp
        with open("n/e.csv", "w") as f:
            f.write(text[:cut])
        rc, _, err = run_cli("trend", "n")
        assert rc == 2 and err == "emgcramp: error: n/e.csv: cut short in its header (it ends inside it); copy or " \
                                   "write it again\n", err
    with open("n/e.csv", "w") as f:  # a whole header with no line end (a spreadsheet's export): a night, no cramp
        f.write(rows[0])
    assert summarize(load_nights("n"))["cramps"] == 0
    os.makedirs("f")  # a night folder's own events.csv, emptied: said, never passed over
    json.dump({"fs": 1000.0, "channels": ["calf"], "start": "2026-04-02T23:00:00"}, open("f/raw.json", "w"))
    open("f/events.csv", "w").close()
    # beside another night (n/e.csv, no cramp): said, and the other counted (it stopped the trend: one damaged
    # night of sixty hid the other fifty-nine), status 1 as analyze FOLDER gives for a file it could not read
    rc, out, err = run_cli("trend", ".")
    assert rc == 1 and err == ("emgcramp: note: not counted: ./f/events.csv: not an events CSV (its header is "
                               "missing); write it again with emgcramp recover ./f\n"), err
    assert "0 cramp(s) over 1 night(s)" in out
    rc, _, err = run_cli("trend", "f")  # the only night: the trend stops
    assert rc == 2 and err.count("\n") == 1 and "f/events.csv: not an events CSV" in err, err


def test_a_night_without_a_date_is_counted_and_left_out_of_the_rate(tmp_path):
    """A cramp-free events CSV says no clock time: its file's age is no night's date (it was 337 days)."""
    from datetime import datetime

    night(tmp_path, "n4.csv", datetime(2026, 1, 4, 23, 0), [(600.0, 40.0)] * 5)
    night(tmp_path, "n5.csv", None, [])
    os.utime(tmp_path / "n5.csv", (datetime(2026, 12, 6).timestamp(),) * 2)  # analysed today
    s = summarize(load_nights(str(tmp_path)))
    assert (s["nights"], s["cramps"], s["span_days"], s["per_week"]) == (2, 5, 1, None)
    assert [(n["path"].endswith("n5.csv"), n["dated"]) for n in s["per_night"]] == [(False, True), (True, False)]
    assert f"No date for {tmp_path / 'n5.csv'} (no clock time, no date in the name): not in the rate." in s["facts"]


def test_a_csv_passed_over_is_named_unless_it_is_our_own_leg_movements(tmp_path):
    """A damaged header made a night vanish from the count without a word."""
    from datetime import datetime

    night(tmp_path, "n1.csv", datetime(2026, 1, 4, 23, 0), [(600.0, 40.0)])
    night(tmp_path, "n2.csv", datetime(2026, 1, 5, 23, 0), [(600.0, 40.0)])
    text = (tmp_path / "n2.csv").read_text()
    (tmp_path / "n2.csv").write_text("x" + text)  # a header no longer ours
    from emgcramp.io.labels import add_label

    (tmp_path / "n1.edf").write_bytes(b"")  # the recording the answers are of
    add_label(str(tmp_path / "n1.edf.labels"), 600.0, 640.0, "cramp")  # answers: no night, and not said to be
    rc, out, err = run_cli("analyze", os.path.join(os.path.dirname(__file__), "..", "recordings", "sample_night.edf"),
                           "--lm-events", tmp_path / "lm.csv")
    assert rc == 0, err
    rc, out, err = run_cli("trend", tmp_path, "--json")
    assert rc == 0 and json.loads(out)["nights"] == 1
    assert err.strip() == f"emgcramp: note: passed over, not events CSVs: {tmp_path / 'n2.csv'}"


def test_the_rate_and_the_months_are_of_the_dated_nights_only(tmp_path):
    """Three undated copies of a night were counted in a rate over the dated nights' span (13.1 a week)."""

    for name in ("a.csv", "b.csv", "c.csv"):
        night(tmp_path, name, None, [(600.0, 40.0)] * 3)
    for day in (1, 2, 3, 5, 8, 9, 10):  # seven nights recorded over ten days
        night(tmp_path, f"n-202601{day:02d}.csv", None, [(600.0, 40.0)] * (day % 2))
    s = summarize(load_nights(str(tmp_path)))
    assert (s["nights"], s["cramps"], s["span_days"]) == (10, 13, 10)
    # per night recorded: the three days between were not recorded, not nights without cramps
    assert s["per_week"] == pytest.approx(4 / 7 * 7, abs=0.01) and s["per_month"] == {"2026-01": 4}
    assert s["facts"][0].startswith("4 cramp(s) over 7 night(s) in 10 day(s): 4.0 for every 7 nights recorded; "
                                    "4 night(s)")
    # an undated night has no date in the JSON (it had the day its file was written), nor in the figure
    assert sorted((n["date"], os.path.basename(n["path"])) for n in s["per_night"] if not n["dated"]) == \
        [(None, "a.csv"), (None, "b.csv"), (None, "c.csv")]
    plt = pytest.importorskip("matplotlib.pyplot")
    captured = []
    real = plt.Figure.savefig
    try:
        plt.Figure.savefig = lambda fig, *a, **k: captured.append(fig)
        from emgcramp.viz.trend import plot

        plot(load_nights(str(tmp_path)), str(tmp_path / "t.png"))
    finally:
        plt.Figure.savefig = real
    ticks = [t.get_text() for t in captured[0].axes[0].get_xticklabels()]
    assert sorted(t for t in ticks if t.startswith("(")) == ["(a.csv)", "(b.csv)", "(c.csv)"]


def test_the_totals_say_they_take_in_an_undated_night_the_rate_leaves_out(tmp_path):
    """'28 cramp(s) over 8 night(s) …; total 47.0 min' counted an undated night's cramp in the minutes only."""
    from datetime import datetime

    for d in range(1, 9):
        night(tmp_path, f"n{d}.csv", datetime(2026, 3, d, 23, 0), [(600.0, 60.0)])
    night(tmp_path, "x.csv", None, [(300.0, 120.0)])
    s = summarize(load_nights(str(tmp_path)))
    assert (s["nights"], s["cramps"], s["total_s"]) == (9, 9, 600.0)
    assert "8 cramp(s) over 8 night(s) in 8 day(s): 7.0 for every 7 nights recorded; 8 night(s) had at least one." \
        in s["facts"]
    assert "Longest 2 min; total 10 min over all 9 nights, the undated too (9 cramp(s))." in s["facts"]


def test_nights_whose_clock_times_carry_a_zone_count_by_their_clocks_beside_those_without(tmp_cwd):
    # a table written from Python with a zone (…+01:00) beside one without: before, an internal error (exit 3)
    from datetime import datetime, timedelta, timezone

    night("mix", "a.csv", datetime(2026, 1, 5, 23, 0), [(3600.0, 60.0)])
    night("mix", "b.csv", datetime(2026, 1, 6, 23, 0, tzinfo=timezone(timedelta(hours=1))), [(1800.0, 30.0)])
    assert open("mix/b.csv").read().splitlines()[1].split(",")[7] == "2026-01-06T23:30:00+01:00"
    s = summarize(load_nights("mix"))
    assert (s["nights"], s["cramps"], s["onset_hours"]) == (2, 2, {0: 1, 23: 1})
    rc, out, err = run_cli("trend", "mix")
    assert rc == 0 and "2 cramp(s)" in out and "Traceback" not in err, err


def test_a_batch_table_s_answers_are_found_from_another_folder_or_said_lost(tmp_cwd, monkeypatch):
    import shutil

    from conftest import SAMPLE_NIGHT

    from emgcramp.io.labels import add_label

    os.mkdir("recs")
    os.mkdir("tr")
    shutil.copy(SAMPLE_NIGHT, "recs/n1.edf")
    add_label("recs/n1.edf.labels", 123.7, 159.8, "cramp", listed="cramp")
    add_label("recs/n1.edf.labels", 600.0, 640.0, "cramp")  # where none was listed: one it missed
    assert run_cli("analyze", "recs", "--events", "tr/all.csv")[0] == 0
    here = run_cli("trend", "tr")[1]
    # a cramp added as missed is counted, not confirmed (the night's line said "2 confirmed")
    assert "you counted 2 (1 confirmed, 1 you added that it missed)" in here
    assert "2026-01-01: 3 cramp(s) found; you counted 2 (1 confirmed, 1 you added)" in here
    monkeypatch.chdir("/")  # the table names recs/n1.edf from where analyze ran: before, no answers, no word
    there = run_cli("trend", str(tmp_cwd / "tr"))[1]
    assert [line for line in there.splitlines() if "you counted" in line] == \
        [line for line in here.splitlines() if "you counted" in line]
    shutil.move(str(tmp_cwd / "recs"), str(tmp_cwd / "elsewhere"))
    rc, out, err = run_cli("trend", str(tmp_cwd / "tr"))
    assert rc == 0 and "you counted" not in out and "its recording recs/n1.edf is not found from here" in err


def test_a_night_folder_the_monitor_never_closed_is_said_not_skipped(tmp_path):
    """trend passed over a killed monitor's night unsaid, where review and analyze counted its cramps."""
    from datetime import datetime

    from emgcramp.io.secure import NIGHT_FILES

    killed = tmp_path / "night-20260302-230000"
    killed.mkdir()
    for name in NIGHT_FILES:  # what a monitor writes from its first second; events.csv comes at its end
        (killed / name).write_text("")
    rc, _, err = run_cli("trend", tmp_path)
    said = ("night folders without their events.csv, which the monitor writes as the night ends (emgcramp recover "
            f"FOLDER writes it for one stopped): {killed}")
    assert rc == 2 and err == f"emgcramp: error: {tmp_path}: no events CSV to count, only {said}\n"
    night(tmp_path / "b", "e.csv", datetime(2026, 3, 1, 23, 0), [(600.0, 40.0)])
    rc, out, err = run_cli("trend", tmp_path)
    assert rc == 0 and "1 cramp(s) over 1 night(s)" in out
    assert err == f"emgcramp: note: not counted, {said}\n"


def test_a_night_in_two_files_is_one_night_of_the_rate(tmp_path):
    """A monitor restarted at 02:00 leaves two folders of one night: two 'nights recorded' lowered the rate."""
    from datetime import datetime

    for d in range(1, 7):
        night(tmp_path, f"n{d}.csv", datetime(2026, 3, d, 23, 0), [(600.0, 60.0)])
    night(tmp_path, "n7a.csv", datetime(2026, 3, 7, 23, 0), [(600.0, 60.0)])
    night(tmp_path, "n7b.csv", datetime(2026, 3, 8, 2, 0), [(600.0, 60.0)])  # the same night, after a restart
    s = summarize(load_nights(str(tmp_path)))
    assert s["per_week"] == pytest.approx(8 / 7 * 7)
    assert s["facts"][0].startswith("8 cramp(s) over 7 night(s) in 7 day(s): 8.0 for every 7 nights recorded")
    # the part begun at 02:00 is the evening before's night in its label and the span too (it made 8 days)
    assert [n["date"] for n in s["per_night"]][-2:] == ["2026-03-07", "2026-03-07"]


def test_a_night_without_cramps_is_dated_by_the_time_in_its_name(tmp_path):
    """night-20260104-230000.csv with no cramp was dated 2026-01-04 00:00, so filed under the evening before,
    on the night of 01-03: eight nights counted as four, and too few for a rate."""
    from datetime import datetime

    for d in (1, 3, 5, 7):
        night(tmp_path, f"night-2026010{d}-230000.csv", datetime(2026, 1, d, 23, 0), [(600.0, 60.0)])
    for d in (2, 4, 6, 8):
        night(tmp_path, f"night-2026010{d}-230000.csv", datetime(2026, 1, d, 23, 0), [])
    night(tmp_path, "S1_2026-01-09.csv", datetime(2026, 1, 9, 23, 0), [])  # a date alone: that evening's night
    night(tmp_path / "export-20250101", "S1_2026-01-10.csv", None, [])  # its own name's date, not its folder's
    nights = load_nights(str(tmp_path))
    assert sorted(n.date for n in nights if not n.episodes)[-3:] == [datetime(2026, 1, 8, 23, 0),
                                                                     datetime(2026, 1, 9, 12, 0),
                                                                     datetime(2026, 1, 10, 12, 0)]
    s = summarize(nights)
    assert s["facts"][0].startswith("4 cramp(s) over 10 night(s) in 10 day(s): 2.8 for every 7 nights recorded")


@pytest.mark.parametrize("path,date", [
    ("2026-01-04/S1_20261399.csv", (2026, 1, 4, 12)), ("nights/2026-01-04/rec_id2045-67-89.csv", (2026, 1, 4, 12)),
    ("S1_20261399_2026-02-03.csv", (2026, 2, 3, 12)), ("n_2026-01-04_23-10.csv", (2026, 1, 4, 23, 10)),
    ("night-20260104-256100/events.csv", (2026, 1, 4, 12)), ("a/b.csv", None)])
def test_digits_in_a_name_that_are_no_date_do_not_hide_the_date_after_them(path, date):
    """An id like 20261399 in a file's own name left the night undated, its folder's 2026-01-04 unread."""
    from datetime import datetime

    from emgcramp.viz.nights import _date_from_name

    assert _date_from_name(path) == (datetime(*date) if date else None)


def test_an_events_csv_whose_columns_a_spreadsheet_moved_is_still_a_night(tmp_path):
    """Its columns in another order, it was 'passed over, not events CSVs', and the night's cramps lost."""
    from datetime import datetime

    night(tmp_path / "a", "night-20260101.csv", datetime(2026, 1, 1, 23, 0), [(600.0, 60.0), (900.0, 30.0)])
    rows = list(csv.reader(open(tmp_path / "a" / "night-20260101.csv")))
    os.makedirs(tmp_path / "b")
    csv.writer(open(tmp_path / "b" / "night-20260101.csv", "w", newline="")).writerows(r[::-1] for r in rows)
    assert not is_events_csv(str(tmp_path / "b" / "night-20260101.csv"))  # edited: no output of ours to replace
    open(tmp_path / "b" / "my_notes.csv", "w").write("onset_s,offset_s,duration_s,kind,note\n100,130,30,cramp,woke\n")
    same = [summarize(load_nights(str(tmp_path / k))) for k in "ab"]
    assert same[0]["cramps"] == same[1]["cramps"] == 2 and same[0]["facts"] == same[1]["facts"]
    rc, _, err = run_cli("trend", tmp_path / "b")  # a notes table of the same first columns is no night
    assert rc == 0 and "passed over, not events CSVs" in err and "my_notes.csv" in err, err


def test_a_file_that_cannot_be_read_is_named(tmp_path):
    """A read error (EIO) said only 'Input/output error': which of thousands of files?"""
    import subprocess
    import sys
    from datetime import datetime

    night(tmp_path, "n1.csv", datetime(2026, 1, 1, 23, 0), [(600.0, 60.0)])
    os.symlink("/proc/self/mem", tmp_path / "zz.csv")  # opens, and fails at its first read
    rc, out, err = run_cli("trend", tmp_path)
    assert rc == 1 and err == f"emgcramp: note: not counted: {tmp_path / 'zz.csv'}: not readable (Input/output " \
                              "error)\n", err
    assert "1 cramp(s) over 1 night(s)" in out
    rc, out, err = run_cli("trend", tmp_path, "--json")
    assert rc == 1 and json.loads(out)["not_counted"] == [f"{tmp_path / 'zz.csv'}: not readable (Input/output error)"]
    rc, _, err = run_cli("analyze", "/proc/self/mem")
    assert rc == 2 and err.count("\n") == 1 and "/proc/self/mem" in err, err
    os.remove(tmp_path / "zz.csv")
    p = subprocess.run([sys.executable, "-m", "emgcramp", "trend", str(tmp_path)], stdout=open("/dev/full", "w"),
                       stderr=subprocess.PIPE, text=True)  # a write's error is no input's: none is blamed
    assert p.returncode == 2 and p.stderr == "emgcramp: error: No space left on device\n", p.stderr


def test_cramps_without_a_probability_counted_at_a_threshold_are_said_to_be(tmp_path):
    """trend --cramp-threshold 0.7 counted a table's cramps with no probability and said 'Counted at 0.7'."""
    from datetime import datetime

    night(tmp_path, "night-20260101.csv", datetime(2026, 1, 1, 23, 0), [(600.0, 60.0), (900.0, 30.0)])
    s = summarize(count_at(load_nights(str(tmp_path)), 0.7), 0.7)
    assert s["cramps"] == 2 and s["facts"][-1].endswith(
        "2 cramp(s) with no probability in their table (an earlier version's) are counted as they were.")


def test_a_night_folder_of_a_monitor_stopped_as_it_began_is_no_night_to_recover(tmp_path):
    """Stopped 1.2 s in: recover failed ('signal is 1.2 s long') while trend kept saying to recover it."""
    import subprocess
    import sys

    folder = tmp_path / "nights" / "night-20260101-230000"
    code = ("import os, numpy as np; from datetime import datetime; from emgcramp.core.blocks import Block\n"
            "from emgcramp.io.night import NightLog\n"
            f"log = NightLog({str(folder)!r}, 1000.0, ['calf'], datetime(2026, 1, 1, 23, 0, 0))\n"
            "log.block(Block(0, np.random.default_rng(0).normal(0, 4, (1200, 1)))); log.flush(); os._exit(0)  # killed")
    subprocess.run([sys.executable, "-c", code], check=True)
    night(tmp_path / "nights", "night-20260102.csv", __import__("datetime").datetime(2026, 1, 2, 23, 0),
          [(600.0, 60.0)])
    rc, out, err = run_cli("trend", tmp_path / "nights")
    assert rc == 0 and "1 cramp(s) over 1 night(s)" in out and "recover" not in err
    assert err == (f"emgcramp: note: passed over, night folders of under 2 s of signal (a monitor stopped as it "
                   f"began; remove them): {folder}\n"), err
    rc, _, err = run_cli("recover", folder)
    assert rc == 2 and err == (f"emgcramp: error: {folder}: holds 1.2 s of signal, under the 2 s a night's "
                               "analysis needs, and no cramp in its log: nothing to recover; remove the folder\n"), err


def test_a_table_of_two_nights_pasted_together_is_two_nights(tmp_path):
    """Two nights' rows under one header were counted as one night (its date the first's)."""
    from datetime import datetime

    night(tmp_path / "a", "n1.csv", datetime(2026, 1, 1, 23, 0), [(600.0, 60.0), (7200.0, 30.0)])
    night(tmp_path / "a", "n2.csv", datetime(2026, 1, 2, 22, 30), [(900.0, 40.0)])
    first, second = (open(tmp_path / "a" / n).read().splitlines() for n in ("n1.csv", "n2.csv"))
    os.makedirs(tmp_path / "b")
    open(tmp_path / "b" / "both.csv", "w").write("\n".join(first + second[1:]) + "\n")
    apart, together = (summarize(load_nights(str(tmp_path / k))) for k in "ab")
    assert together["nights"] == apart["nights"] == 2 and together["cramps"] == 3
    assert [n["date"] for n in together["per_night"]] == ["2026-01-01", "2026-01-02"]
    assert [n["cramps"] for n in together["per_night"]] == [2, 1]
