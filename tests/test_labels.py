"""labels.csv: answers appended durably, the latest kept, a cut line skipped, counts against detections."""

import os
import stat
import warnings
from datetime import datetime

import pytest

from emgcramp.core.errors import InputError, SettingsWarning
from emgcramp.io.labels import Label, add_label, confirmed, labels_path, read_labels


def test_answers_are_kept_latest_first_and_owner_only(tmp_path):
    f = str(tmp_path)
    add_label(f, 100.0, 160.0, "cramp", datetime(2026, 3, 2, 7, 0, 0))
    add_label(f, 300.0, 320.0, "not_cramp", datetime(2026, 3, 2, 7, 0, 5))
    add_label(f, 100.0, 160.0, "unsure", datetime(2026, 3, 2, 7, 1, 0))  # changed their mind
    assert read_labels(f) == [Label(100.0, 160.0, "unsure", "2026-03-02T07:01:00"),
                              Label(300.0, 320.0, "not_cramp", "2026-03-02T07:00:05")]
    assert stat.S_IMODE(os.stat(labels_path(f)).st_mode) == 0o600
    assert open(labels_path(f)).read().splitlines()[0] == "onset_s,offset_s,label,given_at,listed"


def test_an_answer_whose_span_rounds_to_nothing_is_refused_not_saved_to_be_thrown_away(tmp_path):
    """100.0001–100.0004 s was taken (the page told it saved), written as 100.000,100.000 and left out on reading."""
    f = str(tmp_path)
    for onset, offset in ((100.0001, 100.0004), (1e-300, 2e-300)):
        with pytest.raises(InputError, match=r"^a label needs 0 ≤ onset < offset within a day, to the ms, not "):
            add_label(f, onset, offset, "cramp")
    assert not os.path.exists(labels_path(f))
    assert add_label(f, 100.0004, 100.0016, "cramp") == Label(100.0, 100.002, "cramp", read_labels(f)[0].given_at)


def test_a_line_cut_by_a_crash_is_skipped_and_the_next_answer_stands_alone(tmp_path):
    f = str(tmp_path)
    add_label(f, 10.0, 40.0, "cramp")
    with open(labels_path(f), "a") as out:
        out.write("55.000,80.0")  # killed mid-write
    assert [(lab.onset_s, lab.label) for lab in read_labels(f)] == [(10.0, "cramp")]  # the cut end: no note
    add_label(f, 90.0, 95.0, "not_cramp")
    with pytest.warns(SettingsWarning, match=r"labels.csv: line 3 holds no answer and is left out \(an answer: "
                      r"onset_s,offset_s,label,given_at,listed, the label one of cramp, not_cramp, unsure"):
        assert [(lab.onset_s, lab.label) for lab in read_labels(f)] == [(10.0, "cramp"), (90.0, "not_cramp")]


def _answered_then(tmp_path, lines: str) -> str:
    """A folder answered once (a cramp at 10-40 s) through the page, then ``lines`` written into it by hand."""
    f = str(tmp_path)
    add_label(f, 10.0, 40.0, "cramp")
    with open(labels_path(f), "a") as out:
        out.write(lines)
    return f


def test_answers_written_by_hand_are_read_or_named_never_dropped_unsaid(tmp_path):
    """Rows written as Cramp, or with a space for the T, were left out without a word."""
    f = _answered_then(tmp_path, "50, 70 ,Cramp,2026-01-05 23:40:00\n80,90,NOT_CRAMP,2026-01-05T23:41:00,"
                                 "Possible_Cramp\n100,120,yes,2026-01-05T23:42:00\n\n130,140,unsure,5 January\n")
    with pytest.warns(SettingsWarning, match="lines 5, 7 hold no answer and are left out"):
        got = read_labels(f)
    assert [(lab.onset_s, lab.offset_s, lab.label, lab.listed) for lab in got] == [
        (10.0, 40.0, "cramp", ""), (50.0, 70.0, "cramp", ""), (80.0, 90.0, "not_cramp", "possible_cramp")]
    assert got[1].given_at == "2026-01-05T23:40:00"


def test_answers_saved_by_a_spreadsheet_with_a_byte_order_mark_are_read_and_added_to(tmp_path):
    """Saved as "CSV UTF-8", the header began with a BOM and was named as a line that holds no answer."""
    f = str(tmp_path)
    with open(labels_path(f), "w", encoding="utf-8-sig") as out:
        out.write("onset_s,offset_s,label,given_at,listed\n254.9,327.8,cramp,2026-01-05T23:40:00,cramp\n")
    add_label(f, 400.0, 420.0, "not_cramp", datetime(2026, 1, 6, 7, 0, 0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no note
        got = read_labels(f)
    assert [(lab.onset_s, lab.offset_s, lab.label) for lab in got] == [(254.9, 327.8, "cramp"),
                                                                        (400.0, 420.0, "not_cramp")]


@pytest.mark.parametrize("args", [(10.0, 5.0, "cramp"), (-1.0, 5.0, "cramp"), (1.0, 5.0, "yes")])
def test_bad_answers_are_refused_and_nothing_is_written(tmp_path, args):
    with pytest.raises(InputError):
        add_label(str(tmp_path), *args)
    assert not os.path.exists(labels_path(str(tmp_path)))


def test_confirmed_counts_answers_per_detection_and_missed_cramps():
    labels = [Label(100, 160, "cramp", "a"), Label(300, 320, "not_cramp", "a"), Label(500, 530, "cramp", "a")]
    spans = [(101.0, 158.0), (299.0, 322.0), (400.0, 420.0)]
    assert confirmed(labels, spans) == {"cramp": 1, "not_cramp": 1, "unsure": 0, "unanswered": 1, "missed": 1}


def test_a_confirmed_possible_cramp_an_events_table_does_not_carry_is_confirmed_not_added(tmp_path):
    """trend reads the cramps of an events table, which lists no possible cramp: the person's "cramp" on one
    was counted as a cramp they added that the detector missed."""
    f = str(tmp_path)
    add_label(f, 100.0, 160.0, "cramp", listed="cramp")
    add_label(f, 300.0, 320.0, "cramp", listed="possible_cramp")
    add_label(f, 500.0, 530.0, "cramp")  # added: listed as nothing
    with open(labels_path(f), "a") as out:  # an earlier version's line, without the column
        out.write("700.000,710.000,cramp,2026-01-01T00:00:00\n")
    labels = read_labels(f)
    old = str(tmp_path / "old")  # an earlier version's file takes the new header at the first new answer
    os.mkdir(old)
    open(labels_path(old), "w").write("onset_s,offset_s,label,given_at\n1.000,2.000,cramp,2026-01-01T00:00:00\n")
    os.chmod(labels_path(old), 0o600)
    add_label(old, 5.0, 6.0, "not_cramp", datetime(2026, 1, 2), listed="possible_cramp")
    assert open(labels_path(old)).read() == ("onset_s,offset_s,label,given_at,listed\n1.000,2.000,cramp,"
                                              "2026-01-01T00:00:00\n5.000,6.000,not_cramp,2026-01-02T00:00:00,"
                                              "possible_cramp\n")
    assert stat.S_IMODE(os.stat(labels_path(old)).st_mode) == 0o600
    assert [lab.listed for lab in labels] == ["cramp", "possible_cramp", "", ""]
    assert confirmed(labels, [(101.0, 158.0)]) == {"cramp": 2, "not_cramp": 0, "unsure": 0, "unanswered": 0,
                                                   "missed": 2}
    with pytest.raises(InputError, match="listed as cramp or possible_cramp"):
        add_label(f, 800.0, 810.0, "cramp", listed="lm")
    # "not sure" on a possible cramp, then changed: counted once, by its latest answer (trend dropped it)
    add_label(f, 900.0, 910.0, "cramp", datetime(2026, 1, 3), listed="possible_cramp")
    add_label(f, 900.0, 910.0, "unsure", datetime(2026, 1, 4), listed="possible_cramp")
    assert confirmed(read_labels(f), [(101.0, 158.0)]) == {"cramp": 2, "not_cramp": 0, "unsure": 1, "unanswered": 0,
                                                            "missed": 2}


def test_tally_for_reads_a_night_folder_or_the_folder_beside_a_recording(tmp_path):
    from types import SimpleNamespace

    from emgcramp.io.labels import tally_for

    def span(on, off):
        return SimpleNamespace(onset_s=on, offset_s=off)

    analysis = SimpleNamespace(episodes=[span(101.0, 158.0), span(400.0, 420.0)], possible_cramps=[span(299.0, 322.0)])
    night, edf = str(tmp_path / "night"), str(tmp_path / "n.edf")
    os.mkdir(night)
    open(edf, "wb").close()
    assert tally_for(night, analysis) is None and tally_for(edf, analysis) is None  # nothing answered yet
    add_label(night, 100.0, 160.0, "cramp")
    add_label(night, 300.0, 320.0, "not_cramp")
    add_label(night, 500.0, 530.0, "cramp")  # one the detector missed
    assert tally_for(night, analysis) == {"confirmed": 1, "not_cramp": 1, "unsure": 0, "unanswered": 1,
                                          "missed": 1, "cramps": 2}
    add_label(edf + ".labels", 400.0, 420.0, "unsure")  # a recording's answers live beside it
    # the cramp not answered is counted; the possible cramp not answered is not (nor is it in an events table)
    assert tally_for(edf, analysis) == {"confirmed": 0, "not_cramp": 0, "unsure": 1, "unanswered": 1,
                                        "missed": 0, "cramps": 0}


def test_an_answer_no_page_could_give_is_passed_over_as_a_damaged_line(tmp_path):
    """5,1e308,cramp was counted (and learned from) as a cramp of 1e308 s."""
    f = _answered_then(tmp_path, "5.000,1e308,cramp,2026-01-01T00:00:00\n5.000,inf,cramp,2026-01-01T00:00:00\n"
                                 "nan,9.000,cramp,2026-01-01T00:00:00\n")
    with pytest.warns(SettingsWarning, match="lines 3, 4, 5 hold no answer and are left out"):
        assert [(lab.onset_s, lab.offset_s) for lab in read_labels(f)] == [(10.0, 40.0)]


def test_answers_given_at_once_on_an_earlier_version_s_file_are_all_kept(tmp_path):
    # the first answer rewrites such a file whole for its header: an answer appended meanwhile was lost
    # (8 of 20 trials of two at once through the review page lost one)
    import threading

    for trial in range(5):
        f = str(tmp_path / f"t{trial}")
        os.mkdir(f)
        open(labels_path(f), "w").write("onset_s,offset_s,label,given_at\n1.000,2.000,cramp,2026-01-01T00:00:00\n")
        go = threading.Barrier(8)

        def answer(k, f=f, go=go):
            go.wait()
            add_label(f, 10.0 * (k + 1), 10.0 * (k + 1) + 5.0, "cramp")

        threads = [threading.Thread(target=answer, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [lab.onset_s for lab in read_labels(f)] == [1.0] + [10.0 * (k + 1) for k in range(8)]


def test_an_answer_the_disk_takes_only_in_part_is_not_saved_and_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    import emgcramp.io.labels as labels_module

    f = str(tmp_path)
    add_label(f, 100.0, 160.0, "cramp", listed="cramp")
    before = open(labels_path(f), "rb").read()
    real = os.write
    monkeypatch.setattr(labels_module.os, "write", lambda fd, data: real(fd, data[:20]))  # a full disk's short write
    with pytest.raises(OSError, match="only part of the answer"):
        add_label(f, 100.0, 160.0, "not_cramp", listed="cramp")
    monkeypatch.setattr(labels_module.os, "write", real)
    assert open(labels_path(f), "rb").read() == before  # before: "…,not_" was left, and read back later
    assert [lab.label for lab in read_labels(f)] == ["cramp"]
    # a line cut inside its time (a crash) is no answer, though its label is whole
    with open(labels_path(f), "a") as out:
        out.write("100.000,160.000,unsure,202")
    assert [lab.label for lab in read_labels(f)] == ["cramp"]


def test_missed_cramps_marked_again_over_each_other_count_once(tmp_path):
    f = str(tmp_path)
    for k in range(5):  # one missed cramp dragged over five times, a little differently
        add_label(f, 200.0 + k, 210.5 + k, "cramp")
    add_label(f, 400.0, 420.0, "cramp")  # another, apart
    add_label(f, 203.0, 213.5, "not_cramp")  # one of the marks answered again: no longer a cramp
    assert confirmed(read_labels(f), [(100.0, 150.0)]) == {"cramp": 0, "not_cramp": 0, "unsure": 0,
                                                            "unanswered": 1, "missed": 2}  # before: 5


def test_answers_that_are_a_pipe_or_a_file_for_a_folder_are_refused_not_waited_on(tmp_path):
    """A FIFO named labels.csv held the answer (and the folder's lock, so every later one) for ever; a file
    where a recording's answers folder belongs was a NotADirectoryError (the review page's 500)."""
    import subprocess
    import sys

    os.mkfifo(tmp_path / "labels.csv")
    code = ("from emgcramp.io.labels import add_label\n"
            f"try: add_label({str(tmp_path)!r}, 10.0, 20.0, 'cramp')\n"
            "except Exception as e: print(type(e).__name__, e)")
    said = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert said == f"InputError {tmp_path / 'labels.csv'}: is a pipe, not the answers as emgcramp review writes them\n"
    (tmp_path / "r.edf.labels").write_text("x\n")
    for act in (lambda f: read_labels(f), lambda f: add_label(f, 10.0, 20.0, "cramp")):
        with pytest.raises(InputError, match=r"r\.edf\.labels: is a file, not the folder of answers emgcramp review "
                                             r"writes$"):
            act(str(tmp_path / "r.edf.labels"))


def test_an_answer_for_a_night_folder_moved_away_is_refused_not_saved_in_a_new_empty_one(tmp_path):
    """A night folder moved while the page was open came back empty, holding only the answer."""
    from emgcramp.io.labels import folder_for

    night = tmp_path / "night-20260101-230000"
    for folder in (str(night), folder_for(str(night))):  # the folder itself, or, gone, what a recording's would be
        with pytest.raises(InputError, match=r"night-20260101-230000: no longer there \(moved or removed since"):
            add_label(folder, 10.0, 20.0, "cramp")
    assert os.listdir(tmp_path) == []
    (tmp_path / "r.edf").write_bytes(b"")
    assert add_label(folder_for(str(tmp_path / "r.edf")), 10.0, 20.0, "cramp").label == "cramp"  # made at first


def test_answers_through_a_symbolic_link_are_refused_as_a_night_s_files_are(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "n.edf.labels").symlink_to(outside)  # before: answers written into outside/
    with pytest.raises(InputError, match="n.edf.labels: is a symbolic link"):
        add_label(str(tmp_path / "n.edf.labels"), 10.0, 20.0, "cramp")
    assert list(outside.iterdir()) == []
    night = tmp_path / "night"
    night.mkdir()
    (outside / "t.csv").write_text("onset_s,offset_s,label,given_at,listed\n1.000,2.000,not_cramp,2026-01-01T00:00:00,\n")
    os.symlink(outside / "t.csv", labels_path(str(night)))  # before: read and counted, but never written
    with pytest.raises(InputError, match="labels.csv: is a symbolic link"):
        read_labels(str(night))


def test_a_line_cut_after_the_minutes_of_its_time_is_no_answer(tmp_path):
    f = str(tmp_path)
    add_label(f, 100.0, 130.0, "cramp", listed="possible_cramp")
    with open(labels_path(f), "a") as out:  # a crash cut the next answer after its minutes
        out.write("100.000,130.000,not_cramp,2026-01-05T23:40")
    assert [(lab.label, lab.listed) for lab in read_labels(f)] == [("cramp", "possible_cramp")]


def test_a_damaged_answer_is_among_the_notes_of_analyze_json(tmp_path):
    # before: said on stderr only, the JSON's notes empty
    import json

    import numpy as np

    from conftest import bursts, run_cli
    from emgcramp.core.blocks import Block
    from emgcramp.io.night import NightLog

    folder = str(tmp_path / "night-20260101-230000")
    log = NightLog(folder, 1000.0, ["calf"], datetime(2026, 1, 1, 23, 0, 0))
    log.block(Block(0, bursts(1000.0, 240.0, 4.0, [(100.0, 160.0, 150.0)])[:, None].astype(np.float32)))
    log.close({"duration_s": 240.0})
    add_label(folder, 100.0, 160.0, "cramp")
    with open(labels_path(folder), "a") as out:
        out.write("not,an,answer\n")
    rc, out, err = run_cli("analyze", folder, "--json", "--no-progress")
    doc = json.loads(out)
    assert rc == 0 and doc["labels"]["confirmed"] == 1, err
    said = [n for n in doc["notes"] if "holds no answer" in n]
    assert len(said) == 1 and said[0].startswith(labels_path(folder) + ": line 3 holds no answer"), doc["notes"]
    assert err.count("holds no answer") == 1  # still said once on stderr
