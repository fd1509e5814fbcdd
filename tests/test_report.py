"""The night report: one zoom per cramp, a table row per cramp, a self-contained page."""

import csv
import json
import os
import re
import stat

import numpy as np
import pytest
from conftest import SAMPLE_NIGHT, bursts, run_cli

from emgcramp.core.blocks import Block
from emgcramp.core.types import Episode
from emgcramp.runner import run_blocks
from emgcramp.viz import report
from emgcramp.viz.report_page import page_html

FS = 1000.0


@pytest.fixture(scope="module")
def night():
    x = bursts(FS, 300, 4.0, [(60, 100, 200), (200, 270, 120)])
    res = run_blocks([Block(0, x[:, None])], FS, ["calf"])
    return x, res


def test_view_and_figure_match_the_episodes(night):
    x, res = night
    view = report.night_view([Block(i, x[i:i + 7000, None]) for i in range(0, len(x), 7000)], FS, res.episodes)
    assert len(view.envelope_1s) == 300 and not view.flat_1s.any()
    assert np.median(view.envelope_1s[:50]) == pytest.approx(4.0, rel=0.15)
    assert np.median(view.envelope_1s[70:90]) == pytest.approx(200.0, rel=0.15)
    for e, (t, sig) in zip(res.episodes, view.zooms):
        assert t[0] == pytest.approx(e.onset_s - report.ZOOM_PAD_S, abs=1e-6)
        assert t[-1] == pytest.approx(e.offset_s + report.ZOOM_PAD_S, abs=0.01)
    fig = report.figure(view, res.episodes, None, "test", [(150.0, 152.0, "leg_movement")],
                        [(20.0, 40.0, "warning"), (200.0, 202.0, "plm"), (230.0, 232.0, "plm")])
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "not a cramp: leg movement" in labels and "pre-cramp warning" in labels
    (plm,) = [c for c in fig.axes[0].collections if c.get_label() == "periodic leg movement"]
    assert len(plm.get_paths()) == 2
    zooms = [a for a in fig.axes if a.get_title().startswith("#")]
    assert len(zooms) == len(res.episodes) == 2
    assert "tonic" in zooms[0].get_title() and "40.0 s" in zooms[0].get_title()


@pytest.mark.long
def test_each_zoom_draws_its_own_muscle(tmp_cwd):
    """With --channel all, a cramp of the second muscle was drawn from the first (a flat 4-µV trace under a
    title of 177 µV)."""
    gm = bursts(FS, 320, 4.0, [(80, 140, 150)], seed=1)
    gl = bursts(FS, 320, 4.0, [(190, 250, 180)], seed=2)
    x = np.column_stack([gm, gl])
    res = run_blocks([Block(0, x)], FS, ["GM", "GL"])
    assert [(e.channel, round(e.onset_s)) for e in res.episodes] == [("GM", 80), ("GL", 190)]
    view = report.night_view([Block(i, x[i:i + 7000]) for i in range(0, len(x), 7000)], FS, res.episodes,
                             ["GM", "GL"])
    rms = [float(np.sqrt(np.mean(sig[(t > e.onset_s + 2) & (t < e.offset_s - 2)] ** 2)))
           for e, (t, sig) in zip(res.episodes, view.zooms)]
    assert rms[0] == pytest.approx(150, rel=0.15) and rms[1] == pytest.approx(180, rel=0.15)
    assert np.median(view.envelope_1s[190:250]) < 10  # the timeline stays the first muscle's
    import emgcramp  # Result.plot reads the signal again the same way: each zoom its own muscle

    fig = emgcramp.find_cramps(x.T, FS, channel_names=["GM", "GL"]).plot()
    zooms = [a for a in fig.axes if a.get_title().startswith("#")]
    traces = [a.get_lines()[0].get_ydata() for a in zooms]
    assert [float(np.sqrt(np.mean(y ** 2))) > 60 for y in traces] == [True, True]
    np.savetxt("two.csv", x, delimiter=",", header="GM,GL", comments="", fmt="%.3f")
    rc, _, err = run_cli("report", "two.csv", "--fs", "1000", "--channel", "all", "--out", "two.png")
    assert rc == 0, err


def test_a_person_can_read_the_figure_without_knowing_emg(night):
    from datetime import datetime

    x, res = night
    view = report.night_view([Block(0, x[:, None])], FS, res.episodes)
    start = datetime(2026, 3, 1, 23, 30)
    fig = report.figure(view, res.episodes, start, "Night", [(150.0, 152.0, "short"), (170.0, 174.0, "motion")])
    timeline = fig.axes[0]
    # each cramp band numbered as its zoom panel is
    assert sorted(t.get_text() for t in timeline.texts) == ["#1", "#2"]
    # clock time on the timeline and in the zooms, not seconds from the start
    fig.canvas.draw()
    assert timeline.get_xlabel() == "clock time"
    ticks = [t.get_text() for t in timeline.get_xticklabels() if t.get_text()]
    # a 5-min night's ticks are under a minute apart: each read 23:30 or 23:31, to the minute, before
    assert len(ticks) >= 3 and len(set(ticks)) == len(ticks) and all(re.fullmatch(r"23:3[0-5]:\d\d", t) for t in ticks)
    zooms = [a for a in fig.axes if a.get_title().startswith("#")]
    assert all(z.get_xlabel() == "clock time" for z in zooms)
    assert all(re.fullmatch(r"23:3\d:\d\d", t.get_text()) for t in zooms[0].get_xticklabels() if t.get_text())
    # the lines in the zooms are named, and a reason has the same colour in every report
    assert zooms[0].get_legend_handles_labels()[1] == ["filtered EMG", "its level (0.5-s RMS)", "cramp starts",
                                                      "cramp ends"]
    import matplotlib.colors as mc

    (short,) = [c for c in timeline.collections if c.get_label() == "not a cramp: short"]
    assert mc.to_hex(short.get_facecolor()[0]) == report.REASON_COLORS["short"]
    # the legend sits beside the data, not on it
    assert timeline.get_legend().get_bbox_to_anchor().x0 >= timeline.get_window_extent().x1
    # the plain sentence and the note, in the picture itself
    text = " ".join(t.get_text() for a in fig.axes for t in a.texts)
    assert "2 cramp(s) this night" in text and "it is not a diagnosis" in text


def test_html_report_is_the_review_page_saved_whole(tmp_cwd):
    rc, out, err = run_cli("report", SAMPLE_NIGHT, "--out", "night.html")
    assert rc == 0, err
    page = open("night.html").read()
    assert stat.S_IMODE(os.stat("night.html").st_mode) == 0o600
    boot = json.loads(re.search(r'<script type="application/json" id="boot">(.*?)</script>', page, re.S).group(1))
    night = boot["night_data"]
    assert boot["static"] and night["counts"]["cramps"] == 3  # the three cramps of the sample night
    assert [e["tier"] for e in night["events"]].count("cramp") == 3 and night["counts"]["possible_cramps"] == 0
    assert len(boot["levels_b64"]) > 1000 and "not a diagnosis" in page
    assert night["review_command"] == f"emgcramp review {SAMPLE_NIGHT}"  # what its note tells to run to answer it
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", page)  # nothing is fetched: it works offline


def test_the_saved_page_names_the_review_command_with_the_options_it_was_drawn_with(tmp_cwd):
    # before: "emgcramp review x.npy", which that file refuses (no rate), for a report made with --fs and others
    np.save("x.npy", np.random.default_rng(0).normal(0.0, 3.0, 30_000))
    rc, _, err = run_cli("report", "x.npy", "--fs", "1000", "--cramp-threshold", "0.8", "--out", "night.html")
    assert rc == 0, err
    boot = re.search(r'<script type="application/json" id="boot">(.*?)</script>', open("night.html").read(), re.S)
    assert json.loads(boot.group(1))["night_data"]["review_command"] == \
        "emgcramp review x.npy --fs 1000.0 --cramp-threshold 0.8"


@pytest.mark.long
def test_report_from_an_events_csv_and_bad_output(tmp_cwd):
    assert run_cli("analyze", SAMPLE_NIGHT, "--events", "e.csv")[0] == 0
    rc, out, err = run_cli("report", SAMPLE_NIGHT, "--events", "e.csv", "--out", "night.png")
    assert rc == 0, err
    assert os.path.getsize("night.png") > 50_000
    rc, _, err = run_cli("report", SAMPLE_NIGHT, "--out", "night.docx")
    assert rc == 2 and "choose a .html" in err and not os.path.exists("night.docx")
    open("bad.csv", "w").write("a,b\n1,2\n")
    rc, _, err = run_cli("report", SAMPLE_NIGHT, "--events", "bad.csv", "--out", "n.png")
    assert rc == 2 and "not an emgcramp events CSV" in err


@pytest.mark.long
def test_a_report_from_events_counts_as_asked_or_says_it_cannot(tmp_cwd):
    """--cramp-threshold and --min-duration were taken and ignored with --events (3 cramps drawn where analyze, so
    asked, found none); --mvc-uv, --mains and --profile too, which only an analysis can apply."""
    assert run_cli("analyze", SAMPLE_NIGHT, "--events", "e.csv")[0] == 0
    rows = list(csv.DictReader(open("e.csv")))
    assert [round(float(r["probability"]), 2) for r in rows] == [0.66, 0.67, 0.85]
    rc, out, err = run_cli("report", SAMPLE_NIGHT, "--events", "e.csv", "--out", "n.png", "--cramp-threshold", "0.7")
    assert rc == 0 and out.startswith("1 cramp(s)") and "2 of its 3 cramp(s) left out, under --cramp-threshold" in err
    rc, out, _ = run_cli("report", SAMPLE_NIGHT, "--events", "e.csv", "--out", "n.png", "--min-duration", "1000")
    assert rc == 0 and out.startswith("0 cramp(s)")
    for option, value in (("--mvc-uv", "300"), ("--mains", "50")):
        rc, _, err = run_cli("report", SAMPLE_NIGHT, "--events", "e.csv", "--out", "m.png", option, value)
        assert rc == 2 and err == f"emgcramp: error: {option} changes what an analysis measures; with --events the " \
                                  "table's cramps are drawn as it holds them: drop --events to analyse the recording " \
                                  "again with it\n" and not os.path.exists("m.png")


@pytest.mark.long
def test_a_report_from_events_draws_this_recording_s_cramps_only_and_says_what_it_measured(tmp_cwd):
    """A batch table's rows for other recordings were drawn on this one, a table of another night too; and the
    page said "Rest level nan µV; signal lost 0.0 %" over a figure with a level and dark lost seconds."""
    for name, start, seed in (("n1.edf", "2026-01-01T23:00", 1), ("n2.edf", "2026-01-02T23:00", 2)):
        assert run_cli("simulate", name, "--hours", "0.2", "--seed", str(seed), "--start", start)[0] == 0
    assert run_cli("analyze", "n1.edf", "--events", "n1.csv")[0] == 0
    assert run_cli("analyze", ".", "--events", "all.csv")[0] == 0
    table = list(csv.DictReader(open("all.csv")))
    mine = [r for r in table if os.path.basename(r["file"]) == "n2.edf"]
    assert len(mine) < len(table)
    rc, out, err = run_cli("report", "n2.edf", "--events", "all.csv", "--out", "a.html")
    assert rc == 0 and out == f"{len(mine)} cramp(s); report written to a.html\n", err
    page = open("a.html").read()
    # the level its cramps were measured against, as the table gives it (their median)
    rest = sorted(float(r["rest_uv"]) for r in mine)[len(mine) // 2] if len(mine) % 2 else \
        sum(sorted(float(r["rest_uv"]) for r in mine)[len(mine) // 2 - 1:len(mine) // 2 + 1]) / 2
    assert mine and re.search(rf"Rest level {rest:.1f} µV; signal lost [\d.]+ % of the night", page), page
    assert "nan" not in page
    from emgcramp.io.events import write_events_csv

    write_events_csv("none.csv", [], None)  # no cramp: no rest level in the table, the night's median instead
    assert run_cli("report", "n2.edf", "--events", "none.csv", "--out", "quiet.html")[0] == 0
    assert re.search(r"Typical level [\d.]+ µV \(the night&#x27;s median; no cramp in the events table gives a rest "
                     r"level\); signal lost", open("quiet.html").read())
    # a table written from another folder than both the report's and its own: the one file of the name
    os.makedirs("tables")
    assert run_cli("analyze", ".", "--events", "tables/batch.csv")[0] == 0
    rc, out, err = run_cli("report", "../n2.edf", "--events", "batch.csv", "--out", "a2.html", cwd="tables")
    assert rc == 0 and out == f"{len(mine)} cramp(s); report written to a2.html\n", err
    rc, _, err = run_cli("report", "n2.edf", "--events", "n1.csv", "--out", "b.html")
    assert rc == 2 and "n1.csv: its cramp at " in err and "and n2.edf starts 2026-01-02 23:00:00: events of " \
        "another recording?" in err and not os.path.exists("b.html")


def test_the_report_s_timeline_keeps_a_gap_s_seconds(night):
    """1-s means were appended block after block: a night with 20 s not stored drew its end 20 s early."""
    x, res = night
    fs, cut, gap = int(FS), 120, 20
    blocks = [Block(0, x[:cut * fs, None]), Block((cut + gap) * fs, x[(cut + gap) * fs:, None], gap_before=gap * fs)]
    view = report.night_view(blocks, FS, [])
    assert len(view.envelope_1s) == len(x) // fs
    assert np.isnan(view.envelope_1s[cut:cut + gap]).all() and view.flat_1s[cut:cut + gap].all()
    assert np.isfinite(view.envelope_1s[cut + gap + 1:]).all()


@pytest.mark.long
def test_a_note_on_the_recording_is_said_once_though_it_is_read_twice(tmp_path):
    """The report reads the recording to analyse it and again to draw it: '--channel all leaves out ECG' twice."""
    import pyedflib

    x = bursts(FS, 120.0, 4.0, [(30.0, 90.0, 200.0)], seed=4)
    w = pyedflib.EdfWriter(str(tmp_path / "m.edf"), 2, file_type=pyedflib.FILETYPE_EDFPLUS)
    w.setSignalHeaders([{"label": label, "dimension": "uV", "sample_frequency": int(FS), "physical_min": -8000.0,
                         "physical_max": 8000.0, "digital_min": -32768, "digital_max": 32767} for label in ("GM", "ECG")])
    w.writeSamples([x, x])
    w.close()
    rc, _, err = run_cli("report", tmp_path / "m.edf", "--channel", "all", "--out", tmp_path / "m.png")
    assert rc == 0 and err.count("--channel all leaves out ECG") == 1, err


def test_the_picture_and_the_page_give_the_same_rest_level(night):
    x, res = night
    view = report.night_view([Block(0, x[:, None])], FS, res.episodes)
    summary = res.summary()
    fig = report.figure(view, res.episodes, None, "Night", summary=summary)
    rest = summary["quality"]["calf"]["rest_uv"]
    assert f"rest level {rest:.1f} µV" in fig.axes[0].get_legend_handles_labels()[1]
    page = page_html("", res.episodes, None, summary, "Night")
    assert f"Rest level {rest:.1f} µV" in page


def test_a_saved_figure_page_names_the_likeliest_possible_cramps_and_counts_the_rest():
    from emgcramp.viz.report_page import POSSIBLE_LISTED, possible_html

    possible = [{"onset_s": 60.0 * k, "duration_s": 12.0, "kind": "tonic", "probability": round(0.1 + 0.02 * k, 2),
                 "reason": "short_duration"} for k in range(POSSIBLE_LISTED + 3)]
    text = possible_html(possible, None)
    named = [float(p) for p in re.findall(r"probability (0\.\d\d) \(", text)]
    assert named == sorted((p["probability"] for p in possible), reverse=True)[:POSSIBLE_LISTED]
    assert text.startswith(f"<p>{POSSIBLE_LISTED + 3} possible cramp(s)")
    assert "and 3 more, each at probability 0.14 or less" in text  # 0.10, 0.12, 0.14 are not named
    assert possible_html([], None) == ""


def test_the_figure_and_the_page_number_each_event_as_the_review_page_does():
    """The PNG numbered the cramps alone (#1, #2), the review page cramps and possible cramps together (1, 3)."""
    assert report.numbers([100.0, 500.0], [300.0, 50.0]) == ([2, 4], [3, 1])
    cramps = [Episode(100.0, 160.0, 60.0, "tonic", 200.0, 150.0, 40.0, "calf"),
              Episode(500.0, 530.0, 30.0, "clonic", 200.0, 150.0, 40.0, "calf")]
    view = report.NightView(1000.0, np.full(900, 5.0), np.zeros(900, bool),
                            [(np.arange(2000) / 1000.0, np.ones(2000))] * 2, [0, 1])
    fig = report.figure(view, cramps, None, "Night", [(300.0, 320.0, "possible_cramp"), (50.0, 60.0, "possible_cramp")])
    assert sorted(t.get_text() for t in fig.axes[0].texts) == ["#1", "#2", "#3", "#4"]
    assert [a.get_title().split()[0] for a in fig.axes[2:4]] == ["#2", "#4"]
    possible = [{"onset_s": t, "duration_s": 20.0, "kind": "tonic", "probability": 0.4, "reason": "weak"}
                for t in (300.0, 50.0)]
    page = page_html("", cramps, None, {"possible_cramps": possible, "n_episodes": 2}, "Night")
    assert re.findall(r"<tr><td>(\d)</td>", page) == ["2", "4"] and "#3 " in page and "#1 " in page


def test_a_night_of_many_cramps_draws_and_lists_the_likeliest_and_says_so():
    """A table of hundreds of cramps made a zoom each (200: 41 s and a 26 000-px image; 3000 did not end)."""
    n = report.ZOOMS_DRAWN + 8
    cramps = [Episode(100.0 + 40 * k, 120.0 + 40 * k, 20.0, "tonic", 200.0, 150.0, 40.0, "calf",
                      probability=0.63 + 0.01 * ((7 * k) % n)) for k in range(n)]
    cramps[3].probability = None  # an older table: no probability (None as read), drawn after the known ones
    likeliest = sorted(range(n), key=lambda k: -(cramps[k].probability if k != 3 else 0.0))[:report.ZOOMS_DRAWN]
    x = bursts(FS, 100 + 40 * n, 4.0, [(e.onset_s, e.offset_s, 100.0) for e in cramps])
    view = report.night_view([Block(i, x[i:i + 7000, None]) for i in range(0, len(x), 7000)], FS, cramps)
    assert view.zoomed == sorted(likeliest) and 3 not in view.zoomed and len(view.zooms) == report.ZOOMS_DRAWN
    for k, (t, _) in zip(view.zoomed, view.zooms):
        assert t[0] == pytest.approx(cramps[k].onset_s - report.ZOOM_PAD_S, abs=1e-6)
    fig = report.figure(view, cramps, None, "Night")
    titles = [a.get_title().split()[0] for a in fig.axes if a.get_title().startswith("#")]
    assert titles == [f"#{k + 1}" for k in sorted(likeliest)]
    cells = [t.get_text().get_text() for a in fig.axes for tab in a.tables for (r, c), t in tab.get_celld().items() if c == 0 and r]
    assert sorted(map(int, cells)) == [k + 1 for k in sorted(likeliest)]
    words = " ".join(t.get_text() for a in fig.axes for t in a.texts)
    assert f"The {report.ZOOMS_DRAWN} likeliest of the {n} cramps are drawn" in words
    few = report.night_view([Block(0, x[:20000, None])], FS, cramps[:2])
    assert few.zoomed == [0, 1]


def test_a_recording_without_a_clock_is_timed_in_minutes_when_short_and_hours_when_long():
    """A 10-min recording's timeline read 0.00 h, 0.02 h … 0.16 h."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from emgcramp.viz.report import _clock_axis

    fig, ax = plt.subplots()
    labels = {}
    for hours in (10 / 60, 8.0):
        ax.set_xlim(0, hours)
        _clock_axis(ax.xaxis, None, 3600.0)
        fmt = ax.xaxis.get_major_formatter()
        labels[hours] = [fmt(v) for v in ax.xaxis.get_major_locator()() if -1e-9 <= v <= hours + 1e-9]
    plt.close(fig)
    assert labels[10 / 60][:3] == ["0 min", "1 min", "2 min"] and labels[10 / 60][-1] == "10 min"
    assert all(t.endswith(" h") for t in labels[8.0]) and "8.00 h" in labels[8.0]


def test_labels_of_events_close_together_share_one_not_drawn_over_each_other():
    """Two possible cramps a minute apart on an 8-h timeline were labelled '#5#6'."""
    from emgcramp.viz.report import LABEL_SHARE, _label_groups

    near = LABEL_SHARE * 8.0 / 2  # hours: half a label's width on an 8-h night
    assert _label_groups([1.0, 1.0 + near, 1.0 + 2 * near, 3.0, 3.0 + 3 * near], 8.0) == [(0, 2), (3, 3), (4, 4)]
    assert _label_groups([], 8.0) == []


def test_a_note_on_a_recording_read_twice_is_said_once(tmp_path):
    """``report`` reads a file for its figure and its table: each note on it came twice."""
    x = np.random.default_rng(0).normal(0, 5, 20_000)
    path = tmp_path / "cut.csv"
    path.write_text("time,GM\n" + "".join(f"{3600 + i / 1000:.3f},{v:.2f}\n" for i, v in enumerate(x)))
    rc, out, err = run_cli("report", path, "--out", tmp_path / "r.png")
    assert rc == 0 and err == (f"emgcramp: note: {path}: its time column starts at 3600 s; times here count from its "
                               "first row (add 3600 s for the column's)\n"), err


def test_report_of_a_folder_says_which_commands_take_one(tmp_path):
    (tmp_path / "nights").mkdir()
    rc, out, err = run_cli("report", tmp_path / "nights", "--out", tmp_path / "r.png")
    assert rc == 2 and out == "" and err == (f"emgcramp: error: {tmp_path / 'nights'}: is a folder; report draws one "
                                             f"recording (emgcramp review {tmp_path / 'nights'} shows each night in it, "
                                             f"emgcramp analyze {tmp_path / 'nights'} analyses each)\n")
    assert not (tmp_path / "r.png").exists()
