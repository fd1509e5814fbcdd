"""Several muscles of one leg: involvement, the tibialis' word, and the command line, on constructed signals."""

import csv
import json
import warnings

import numpy as np
import pytest
from conftest import bursts, run_cli

from emgcramp.core.blocks import Block
from emgcramp.core.channels import channel_indices, is_tibialis
from emgcramp.core.errors import InputError, SettingsWarning
from emgcramp.core.history import LevelHistory
from emgcramp.pipeline import Pipeline

FS = 1000.0
REST = 4.0
NAMES = ["GM", "GL", "TA"]


def leg(seconds, gm=(), gl=(), ta=()):
    """Three channels of rest EMG with bursts [(onset_s, offset_s, µV RMS)] each (independent noise)."""
    return np.column_stack([bursts(FS, seconds, REST, ev, seed=k) for k, ev in enumerate((gm, gl, ta))])


def run(x, names=NAMES, chunk=9_000, muscles=None):
    pipe = Pipeline(FS, names, muscles=muscles)
    eps = []
    for i in range(0, len(x), chunk):
        eps += pipe.process(Block(i, x[i:i + chunk]))
    eps += pipe.finish()
    return eps, pipe


def test_channel_roles_by_name():
    assert [is_tibialis(n) for n in ["TA", "L-TA", "tib ant", "Tibialis", "GM", "GL", "SOL", "calf", "stand"]] == \
        [True, True, True, True, False, False, False, False, False]


def test_channel_all_takes_the_muscles_of_a_sleep_recording():
    names = ["GM", "ECG", "L-TA", "EEG C3-A2", "Resp chest", "SpO2", "EMG calf R", "Position", "sol", "ABD", "HR",
             "Abd hallucis", "Pos. tibialis", "Abductor hallucis", "Flexor", "Tib Ant", "Thorax", "Snoring"]
    assert channel_indices("all", names, "night.edf") == [0, 2, 6, 8, 11, 12, 13, 14, 15]
    assert channel_indices("ECG,GM", names, "night.edf") == [1, 0]  # named, any channel is taken
    with pytest.raises(InputError, match="--channel all: no muscle channel in night.edf; channels are: ECG, EEG"):
        channel_indices("all", ["ECG", "EEG"], "night.edf")


def test_a_polysomnogram_by_the_aasm_labels_leaves_brain_eyes_chin_and_breathing_out():
    # the AASM montage's labels: before, every one but ECG was taken for a calf, and the first (an EEG)
    # was analysed by default
    names = ["C3-M2", "O1-M2", "E1-M2", "Chin1-Chin2", "LAT", "RAT", "ECG", "Abdo", "F4-M1", "LOC-A2", "A1-A2",
             "EMG submental", "THOR RES", "PTAF", "Thermistor", "GM", "EMG1", "ch0", "C1", "M1", "Fp1", "C3",
             "Abductor_hallucis", "AbdHal"]
    with pytest.warns(SettingsWarning, match="leaves out C3-M2, O1-M2, E1-M2, Chin1-Chin2, ECG, Abdo, F4-M1, "
                                              "LOC-A2, A1-A2, EMG submental, THOR RES, PTAF, Thermistor \\(not"):
        # bare electrode names are taken: OpenBCI names its inputs Fp1, C3… whatever they record
        assert channel_indices("all", names, "psg.edf") == [4, 5] + list(range(15, 24))
    with pytest.raises(InputError, match="the first channel, 'C3-M2', is not a muscle by its name"):
        channel_indices(None, names, "psg.edf")
    # a leg channel beside a chin labelled just "EMG" (MESA, SHHS) stays a muscle of its own, not a tibialis
    assert [is_tibialis(n) for n in ["LAT", "RAT", "Leg", "EMG"]] == [False] * 4
    with pytest.warns(SettingsWarning, match="TA, tib ant record the tibialis anterior by name .* the cramps found"):
        assert channel_indices("all", ["TA", "tib ant", "ECG"], "legs.edf") == [0, 1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # named: the person knows which it is, nothing said
        assert channel_indices("TA", ["TA", "tib ant", "ECG"], "legs.edf") == [0]
    with pytest.raises(InputError, match="no channel"):
        channel_indices([], names, "psg.edf")  # before: a traceback from the filters
    # no muscle at all by the names: the first is taken as before, and said (it was analysed without a word)
    with pytest.warns(SettingsWarning, match="psg.edf: no channel is a muscle by its name; the first, 'EEG Fpz-Cz', "
                                             "is analysed: give --channel"):
        assert channel_indices(None, ["EEG Fpz-Cz", "ECG"], "psg.edf") == [0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert channel_indices("ECG", ["EEG Fpz-Cz", "ECG"], "psg.edf") == [1]  # named: nothing said


def test_bipolar_eeg_derivations_are_not_muscles_but_a_board_s_numbered_inputs_are():
    # Sleep-EDF's Fpz-Cz and Pz-Oz were taken for leg muscles (a cramp on the forehead's EEG)
    # and one on the midline (z) is what tells them: "Fp1-Fp2" may be OpenBCI's inputs, "TP1-TP2" the tibialis
    # posterior
    names = ["Fpz-Cz", "Pz-Oz", "C3 - Oz", "Cz-Pz", "C1-C2", "Fp1-Fp2", "TP1-TP2", "E1-E2", "GM-LAT", "TA-R", "calf"]
    with pytest.warns(SettingsWarning, match="leaves out Fpz-Cz, Pz-Oz, C3 - Oz, Cz-Pz \\(not"):
        assert channel_indices("all", names, "psg.edf") == list(range(4, 11))


def test_two_tibialis_channels_without_a_calf_are_judged_as_the_leg_s_muscles():
    x = leg(120, gm=[(40.0, 100.0, 200.0)])  # a minute's contraction of the first channel
    both = Pipeline(FS, ["TA left", "TA right"])
    found = both.process(Block(0, x[:, :2])) + both.finish()  # before: turned down as the tibialis's, no cramp
    assert [(e.channel, round(e.onset_s)) for e in found] == [("TA left", 40)]


def test_the_muscle_a_recording_names_decides_the_tibialis_not_the_channel_name():
    x = leg(120, ta=[(40.0, 100.0, 200.0)])  # a minute's contraction of the third channel alone
    muscles = {"c1": "gastrocnemius medialis", "c3": "tibialis anterior"}
    named, _ = run(x)
    unnamed, _ = run(x, names=["c1", "c2", "c3"])
    told, pipe = run(x, names=["c1", "c2", "c3"], muscles=muscles)
    assert named == [] and told == []  # the tibialis is not a calf muscle: no calf cramp
    assert [e.channel for e in unnamed] == ["c3"]  # without its muscle, a calf channel's cramp
    assert pipe.analysis([]).muscles == muscles and pipe.analysis([]).channels == ["c1", "c2", "c3"]


def test_cramp_confined_to_one_head():
    eps, pipe = run(leg(120, gm=[(40.0, 80.0, 200.0)]))
    assert [(e.channel, e.muscles, e.kind) for e in eps] == [("GM", ["GM"], "tonic")]
    assert abs(eps[0].onset_s - 40) < 0.5


def test_cramp_of_both_heads_is_one_record():
    eps, _ = run(leg(120, gm=[(40.0, 80.0, 200.0)], gl=[(40.5, 78.0, 120.0)]))
    assert len(eps) == 1
    e = eps[0]
    assert e.muscles == ["GM", "GL"] and e.channel == "GM"  # the stronger one leads the record
    assert abs(e.onset_s - 40) < 0.5 and abs(e.offset_s - 80) < 0.5


def test_voluntary_plantar_flexion_recruits_both_heads_with_tibialis():
    # Ten seconds with the tibialis co-contracting: no cramp (and, on the calf alone, no sure one).
    x = leg(120, gm=[(40.0, 50.0, 200.0)], gl=[(40.0, 50.0, 180.0)], ta=[(40.0, 50.0, 25.0)])
    eps, pipe = run(x)
    assert eps == []
    # Held for a minute it is no voluntary movement: a cramp of both heads, the tibialis co-active or not.
    for ta in ([(40.0, 100.0, 25.0)], []):
        eps, _ = run(leg(160, gm=[(40.0, 100.0, 200.0)], gl=[(40.0, 100.0, 180.0)], ta=ta))
        assert [(e.kind, e.muscles) for e in eps] == [("tonic", ["GM", "GL"])]


def test_pulling_the_foot_up_is_a_stretch_not_a_cramp():
    x = leg(200, gm=[(40.0, 130.0, 40.0)], gl=[(40.0, 130.0, 30.0)], ta=[(40.0, 130.0, 150.0)])
    eps, pipe = run(x)
    assert eps == [] and pipe.rejected()["stretch"] == 1 and pipe.rejected()["tibialis"] == 1
    # Turned down with what showed it: the calf burst's own probability, and the tibialis's evidence.
    (s,) = [r for r in pipe.lookalikes() if r.reason == "stretch"]
    ev = s.features
    assert 0.0 < s.probability < 1.0 and abs(s.onset_s - 40.0) < 1.0
    assert ev.tibialis and ev.coactive and ev.tibialis_over_calf and ev.tibialis_share > 0.9
    # the tibialis's own burst is turned down with the probability its channel was given (was NaN)
    (t,) = [r for r in pipe.lookalikes() if r.reason == "tibialis"]
    assert 0.5 < t.probability <= 1.0 and abs(t.onset_s - 40.0) < 1.0
    assert ev.muscles == ("GM", "GL") and ev.all_heads and ev.tibialis_active_s == pytest.approx(90.0, abs=2.0)


def test_stretch_to_relieve_a_cramp_is_flagged_and_no_new_cramp():
    # A GM cramp from 40 to 90 s; at 75 s the person pulls the foot up for 20 s (the stretch stirs GL too).
    x = leg(150, gm=[(40.0, 90.0, 200.0)], gl=[(75.0, 95.0, 30.0)], ta=[(75.0, 95.0, 120.0)])
    eps, pipe = run(x)
    assert [(e.muscles, e.flags) for e in eps] == [(["GM"], ["stretched"])]
    assert abs(eps[0].onset_s - 40) < 0.5


def test_muscle_records_do_not_depend_on_block_size():
    x = leg(200, gm=[(40.0, 80.0, 200.0), (120.0, 130.0, 200.0)], gl=[(41.0, 85.0, 100.0), (120.0, 130.0, 190.0)],
            ta=[(70.0, 90.0, 120.0), (120.0, 130.0, 25.0)])
    a, pa = run(x, chunk=20)
    b, pb = run(x, chunk=50_000)
    assert a == b and len(a) == 1 and pa.rejected() == pb.rejected()


def test_lms_are_scored_on_the_tibialis():
    lm = [(20.0 + 20 * k, 22.0 + 20 * k, 30.0) for k in range(5)]
    x = leg(130, gm=[(60.0, 62.0, 30.0)], ta=lm)
    eps, pipe = run(x)
    ms = pipe.movements(eps)
    assert [round(m.onset_s) for m in ms] == [20, 40, 60, 80, 100] and {m.channel for m in ms} == {"TA"}
    assert all(m.series == 1 for m in ms)


def test_level_history_is_a_ring_read_by_time():
    h = LevelHistory(rate=10.0, seconds=5.0)
    h.push(np.arange(30.0))
    h.push(np.arange(30.0, 70.0))  # 70 bins pushed, 51 kept
    np.testing.assert_array_equal(h.window(2.0, 3.0), np.arange(20.0, 30.0))
    np.testing.assert_array_equal(h.window(6.5, 7.5), np.arange(65.0, 70.0))  # up to the last bin
    assert h.window(0.0, 1.0).size == 0  # forgotten


@pytest.mark.long
def test_analyze_all_channels_from_the_command_line(tmp_cwd):
    from emgcramp.io.edf import write_edf

    x = leg(260, gm=[(40.0, 90.0, 200.0)], ta=[(140.0, 230.0, 100.0)])
    write_edf("leg.edf", FS, NAMES, iter([x]), [], None)
    rc, out, err = run_cli("analyze", "leg.edf", "--channel", "all", "--events", "e.csv", "--json")
    assert rc == 0, err
    s = json.loads(out)
    assert s["channels"] == NAMES and s["n_episodes"] == 1 and s["rejected_lookalikes"].get("tibialis") == 1
    (row,) = list(csv.DictReader(open("e.csv")))
    assert row["muscles"] == "GM" and row["channel"] == "GM"
    rc, out, err = run_cli("analyze", "leg.edf", "--channel", "GL,TA", "--json")
    assert rc == 0 and json.loads(out)["channels"] == ["GL", "TA"] and json.loads(out)["n_episodes"] == 0
    rc, out, err = run_cli("analyze", "leg.edf", "--channel", "GL,TA")
    assert rc == 0 and out.splitlines()[-1] == "channels analysed: GL, TA", err
    rc, _, err = run_cli("analyze", "leg.edf", "--channel", "GM,GM")
    assert rc == 2 and "named twice" in err
    # a sleep recording's heart channel is left out, said once though the copy reads the recording again
    write_edf("psg.edf", FS, NAMES + ["ECG"], iter([np.column_stack([x, x[:, 0]])]), [], None)
    rc, _, err = run_cli("analyze", "psg.edf", "--channel", "all", "--edf-out", "copy.edf", "--no-progress")
    assert rc == 0 and err.count("--channel all leaves out ECG") == 1, err


def test_monitor_raises_no_alert_for_a_voluntary_flexion(tmp_path):
    from emgcramp.live.monitor import run_monitor

    x = leg(190, gm=[(40.0, 50.0, 200.0), (90.0, 160.0, 200.0)], gl=[(40.0, 50.0, 180.0)], ta=[(40.0, 50.0, 25.0)])
    blocks = [Block(i, x[i:i + 100]) for i in range(0, len(x), 100)]
    res = run_monitor(iter(blocks), lambda: FS, NAMES, str(tmp_path / "night"))
    assert [(a.channel, round(a.onset_s)) for a in res.alerts] == [("GM", 90)]
    assert [e.muscles for e in res.analysis.episodes] == [["GM"]]


def test_calf_tension_while_the_foot_is_pulled_up_is_no_warning():
    from conftest import emg_noise

    t = np.arange(int(150 * FS)) / FS
    tense = np.where((t >= 40) & (t < 80), 3.0, 1.0)  # 40 s of calf tension at 3 × rest on both heads
    calf = [emg_noise(len(t), FS, REST, seed=k) * tense for k in range(2)]
    quiet_ta = bursts(FS, 150, REST, [], seed=2)
    _, pipe = run(np.column_stack(calf + [quiet_ta]))
    assert sorted(w.channel for w in pipe.warnings()) == ["GL", "GM"]
    _, pipe = run(np.column_stack(calf + [bursts(FS, 150, REST, [(40.0, 80.0, 100.0)], seed=2)]))
    assert pipe.warnings() == []


def test_monitor_names_a_multi_channel_sensor(tmp_path):
    from emgcramp.core.errors import InputError
    from emgcramp.live.monitor import run_monitor

    x = leg(150, gl=[(30.0, 110.0, 200.0)])
    blocks = [Block(i, x[i:i + 500]) for i in range(0, len(x), 500)]
    res = run_monitor(iter(blocks), lambda: FS, [], str(tmp_path / "a"))
    assert res.analysis.channels == ["ch0", "ch1", "ch2"] and [e.muscles for e in res.analysis.episodes] == [["ch1"]]
    res = run_monitor(iter(blocks), lambda: FS, NAMES, str(tmp_path / "b"))
    assert [e.muscles for e in res.analysis.episodes] == [["GL"]]
    with pytest.raises(InputError, match="sends 3 channel"):
        run_monitor(iter(blocks), lambda: FS, ["GM", "GL"], str(tmp_path / "c"))


def test_level_history_keeps_the_last_seconds_whatever_the_push_sizes():
    from emgcramp.core.history import LevelHistory

    rng = np.random.default_rng(0)
    h, pushed = LevelHistory(10.0, 3.0), []
    for _ in range(200):  # pushes from empty to longer than the ring, wrapping anywhere
        x = rng.standard_normal(int(rng.integers(0, 45)))
        h.push(x)
        pushed += list(x)
        t = len(pushed) / 10.0
        w = h.window(t - 3.0, t)
        assert len(w) == min(len(pushed), 30) and np.array_equal(w, pushed[len(pushed) - len(w):])


def test_possible_cramps_are_events_of_the_leg_as_cramps_are():
    # weak bursts (possible cramps) on both calf heads at once, one on the tibialis alone, and one on GM while
    # the foot is pulled up: before, 5 listed (GM and GL apart, the tibialis's two, the stretch)
    x = leg(300, gm=[(40, 60, 25), (200, 220, 25)], gl=[(41, 61, 25)], ta=[(120, 140, 25), (199, 221, 200)])
    pipe = Pipeline(FS, NAMES)
    a = pipe.analysis(pipe.process(Block(0, x)) + pipe.finish())
    per_channel = sorted((e.channel, round(e.onset_s)) for d in pipe._detectors for e in d.possible)
    assert per_channel == [("GL", 41), ("GM", 40), ("GM", 200), ("TA", 120), ("TA", 199)]
    assert [(e.channel, e.muscles, round(e.onset_s), round(e.offset_s)) for e in a.possible_cramps] == \
        [("GM", ["GM", "GL"], 40, 61)]
    assert a.episodes == [] and a.rejected == {"stretch": 1, "tibialis": 2}
    assert [(x.reason, round(x.onset_s)) for x in a.lookalikes if x.reason == "stretch"] == [("stretch", 200)]


def test_a_recording_that_opens_inside_a_stretch_raises_no_cramp():
    # the tibialis read against a rest it learned from the stretch itself looks idle: before, a cramp (p 0.67)
    x = leg(260, gm=[(40.0, 130.0, 40.0)], gl=[(40.0, 130.0, 30.0)], ta=[(40.0, 130.0, 150.0)])
    whole, _ = run(x)
    opened, _ = run(x[70_000:])
    assert whole == [] and opened == []


@pytest.mark.parametrize("block", [100, 60_000])
def test_the_live_log_lists_the_possible_cramps_of_the_leg_as_the_night_s_record_does(tmp_path, block):
    # before: two records (GM, then GL) for 0.1-s feeds, one for 60-s ones; and a possible cramp inside a
    # cramp of another head logged live though the night's record drops it
    import emgcramp

    x = leg(180, gm=[(40, 60, 25), (100, 150, 300)], gl=[(41, 61, 25), (105, 120, 25)])
    m = emgcramp.Monitor(FS, channel_names=NAMES, folder=str(tmp_path / "n"))
    for i in range(0, len(x), block):
        m.feed(x[i:i + block].T)
    r = m.finish()
    logged = [json.loads(line) for line in open(tmp_path / "n" / "events.jsonl")]
    possible = [(d["channel"], d["muscles"], d["onset_s"], d["offset_s"])
                for d in logged if d["type"] == "possible_cramp"]
    assert possible == [(e.channel, "+".join(e.muscles), e.onset_s, e.offset_s) for e in r.possible_cramps]
    assert [(e.muscles, round(e.onset_s)) for e in r.possible_cramps] == [(["GM", "GL"], 40)]
    assert [round(c.onset_s) for c in r.cramps] == [100]


def test_each_head_s_alert_is_withdrawn_when_their_burst_ends_a_possible_cramp_of_the_leg(tmp_path):
    from emgcramp.io.night import NightLog
    from emgcramp.live.alerts import Alert, log_quiet_events

    x = leg(120, gm=[(40, 60, 25)], gl=[(41, 61, 25)])
    pipe = Pipeline(FS, NAMES)
    pipe.process(Block(0, x))
    pipe.finish()
    log = NightLog(str(tmp_path / "n"), FS, NAMES, None)
    log_quiet_events(pipe, log, [Alert("GM", 40.0, "tonic", 100.0, 45.0), Alert("GL", 41.0, "tonic", 100.0, 46.0)])
    log.close(None)
    logged = [json.loads(line) for line in open(tmp_path / "n" / "events.jsonl")]
    assert sorted(d["channel"] for d in logged if d["type"] == "retracted") == ["GL", "GM"]  # before: GM's only


def test_channels_of_two_legs_taken_together_are_said_to_be_judged_as_one_leg():
    # before: "Leg L" and "Leg R" judged as one leg's muscles, unsaid
    names = ["EEG C3-M2", "Leg L", "Leg R"]
    with pytest.warns(SettingsWarning, match=r"^legs.edf: Leg L and Leg R name two legs, judged here as the muscles "
                                             r"of one \(a cramp of both at once counted once\): give --channel with "
                                             r"one leg's channels for each leg$"):
        assert channel_indices("all", names, "legs.edf") == [1, 2]
    with pytest.warns(SettingsWarning, match="LAT1-LAT2 and RAT1-RAT2 name two legs"):
        channel_indices("LAT1-LAT2,RAT1-RAT2", ["LAT1-LAT2", "RAT1-RAT2"], "psg.edf")
    # find_cramps has no channel= (it said to give one): an array's rows are chosen by the caller
    with pytest.warns(SettingsWarning, match=r"^the array: GM L and GM R name two legs, .*: analyse each leg's rows "
                                             r"apart$"):
        channel_indices("0,1", ["GM L", "GM R"], "the array")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one leg's heads, the lateral one named so, say nothing of sides
        assert channel_indices("all", ["Gastroc Lat R", "Gastroc Med R", "TA R"], "r.edf") == [0, 1, 2]
        assert channel_indices("Leg L", names, "legs.edf") == [1]


@pytest.mark.long
def test_a_cramp_of_both_heads_that_a_dropout_cut_is_alerted_once(tmp_path):
    # before: alerted on GM, and again on GL when the signal returned (only the alerted head was marked as cut)
    from emgcramp.core.blocks import Block
    from emgcramp.live.monitor import run_monitor

    x, n = leg(240, gm=[(40, 180, 300)], gl=[(40.5, 180, 250)]), 50
    lost = range(120_000, 130_000)  # the link down for 10 s, 80 s into the cramp
    blocks = [Block(i, x[i:i + n], len(lost) if i == lost.stop else 0) for i in range(0, len(x), n) if i not in lost]
    res = run_monitor(iter(blocks), lambda: FS, NAMES, str(tmp_path / "night"))
    assert len(res.alerts) == 1 and 40.0 <= res.alerts[0].onset_s < 41.0, res.alerts  # on either head, once
