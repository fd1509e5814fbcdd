"""The Python API: the same events as the command line, from arrays, files, MNE and a stream of blocks."""

import csv
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime

import numpy as np
import pytest
from conftest import SAMPLE_NIGHT, bursts, run_cli

import emgcramp
from emgcramp.io.events import COLUMNS, read_events_csv

FS = 1000.0
START = datetime(2026, 3, 1, 23, 30, 0)


@pytest.fixture(scope="module")
def night():
    """Eight minutes at rest (4 µV RMS): cramps of 60 s at 300 µV and 90 s at 80 µV, a 25-s burst at 40 µV."""
    return bursts(FS, 480, 4.0, [(100.0, 160.0, 300.0), (220.0, 245.0, 40.0), (330.0, 420.0, 80.0)], seed=3)


def _edf_samples(path):
    """The samples of an EDF file's first channel, µV, as the readers give them."""
    from emgcramp.io import open_recording

    with open_recording(path) as rec:
        return np.concatenate([b.samples[:, 0] for b in rec.blocks([0], 60_000)])


def test_find_cramps_gives_the_command_lines_events_for_the_same_samples(night, tmp_path):
    from emgcramp.io.edf import write_edf

    edf = str(tmp_path / "night.edf")
    write_edf(edf, FS, ["calf"], [night[:, None]], start=START)
    rc, _, err = run_cli("analyze", edf, "--events", tmp_path / "cli.csv")
    assert rc == 0, err
    x = _edf_samples(edf)  # what the EDF holds (16-bit): the very samples the command line analysed
    assert np.max(np.abs(x - night)) <= 16_000 / 65_535 + 1e-9  # µV: one step of ±8 mV in 16 bits
    r = emgcramp.find_cramps(x, FS, start=START)
    r.to_csv(str(tmp_path / "api.csv"))
    assert (tmp_path / "api.csv").read_text() == (tmp_path / "cli.csv").read_text()
    assert [(round(c.onset_s), round(c.offset_s)) for c in r.cramps] == [(100, 160), (330, 420)]
    assert emgcramp.analyze(edf).summary() == r.summary()
    # The summary is the command line's --json one.
    rc, out, _ = run_cli("analyze", edf, "--json")
    import json

    cli = json.loads(out)
    assert cli["n_episodes"] == r.summary()["n_episodes"] == 2
    assert cli["total_cramp_s"] == r.summary()["total_cramp_s"]


def test_importing_the_package_loads_neither_numpy_nor_numba_until_a_name_is_used():
    code = ("import sys, emgcramp; a = sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'numba', 'scipy'});"
            "emgcramp.find_cramps; b = 'numpy' in sys.modules;"
            "print(a, b, 'find_cramps' in dir(emgcramp))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] True True"  # nothing heavy until the first name is used; then the API is there


def test_several_channels_and_their_muscles(night):
    ta = bursts(FS, 480, 4.0, [], seed=9)
    r = emgcramp.find_cramps(np.vstack([night, ta]), FS, channel_names=["c1", "c2"],
                             muscles={"c2": "tibialis anterior"})
    assert r.analysis.channels == ["c1", "c2"] and r.summary()["muscles"] == {"c2": "tibialis anterior"}
    assert [c.channel for c in r.cramps] == ["c1", "c1"]
    with pytest.raises(emgcramp.InputError, match="3 channel name"):
        emgcramp.find_cramps(np.vstack([night, ta]), FS, channel_names=["c1", "c2", "c3"])
    with pytest.raises(emgcramp.InputError, match="not the string"):
        emgcramp.find_cramps(night, FS, channel_names="calf")


@pytest.mark.parametrize("x, fs, says", [
    (np.zeros(1000), FS, "at least 2 s"),
    (np.zeros(10_000), FS, "flat"),
    (np.zeros(1999), FS, "signal is 1.999 s long: at least 2 s"),  # before: "2 s long: at least 2 s"
    (np.zeros(1), 2 * FS, "signal is 0.0005 s long"),
    (np.r_[np.zeros(30_000), 300.0, np.zeros(30_000)], FS, "flat"),  # one glitch: no volts
    # MNE's get_data() in volts: before, "flat (constant or all-zero): lead-off"
    (np.random.default_rng(0).normal(0, 4e-6, 10_000), FS, "holds no EMG: .* are they in volts\\? Multiply them by"),
    (np.full(10_000, np.nan), FS, "NaN"),
    (np.ones((2, 3, 4)), FS, "shape"),
    (np.array(["a", "b"]), FS, "real numbers"),
    (np.zeros((600_000, 2)), FS, r"x\.T"),  # samples × channels: refused at once, not 600 000 channels
    (np.random.default_rng(0).normal(size=10_000), 50.0, "out of range"),
    (np.zeros(10_000), None, "fs is the sampling rate in Hz, a number, not None"),
    (np.zeros(10_000), "1kHz", "fs is the sampling rate in Hz, a number, not '1kHz'"),
])
def test_bad_arrays_raise_one_clear_input_error(x, fs, says):
    with pytest.raises(emgcramp.InputError, match=says):
        emgcramp.find_cramps(x, fs)


def test_a_monitor_refuses_a_rate_that_is_no_number_as_find_cramps_does():
    with pytest.raises(emgcramp.InputError, match="fs is the sampling rate in Hz, a number, not None"):
        emgcramp.Monitor(None)


@pytest.mark.parametrize("kwargs, says", [
    ({"mvc_uv": -5}, "mvc_uv is the maximal contraction's level in µV RMS, 0.1 µV or more, not -5"),
    ({"mvc_uv": 0}, "0.1 µV or more, not 0"),
    ({"mvc_uv": float("nan")}, "0.1 µV or more, not nan"),
    ({"start": "2024-01-01T23:00"}, "start is the wall-clock time of the first sample, a datetime"),
    ({"config": {"mains": 50}}, r"config is an emgcramp.PipelineConfig \(PipelineConfig\(mains=50\), say\)"),
    # the command line's checks (before: taken, and a negative shortest cramp made a 0.4-s pop a cramp)
    ({"config": emgcramp.PipelineConfig(mains=55)}, "config: 'mains' is 55; expected 50, 60, \"auto\" or \"off\""),
    ({"config": emgcramp.PipelineConfig(mains="50")}, "config: 'mains' is '50'; expected 50, 60"),  # a string
    ({"config": emgcramp.PipelineConfig(detector=emgcramp.DetectorConfig().replace(min_duration_s=-1))},
     "config: 'min_duration_s' is -1; expected the shortest cramp in seconds, a number above 0"),
    ({"config": emgcramp.PipelineConfig(detector=emgcramp.DetectorConfig().replace(cramp_probability=1.5))},
     "config: 'cramp_probability' is 1.5; expected a probability above 0 and under 1"),
    # the signal chain's own (before: a ValueError, an IndexError, a ZeroDivisionError; order 16 ran, rest 1e9 µV)
    ({"config": emgcramp.PipelineConfig(band=(450, 20))}, r"config: 'band' is \(450, 20\); expected \(low, high\)"),
    ({"config": emgcramp.PipelineConfig(band=(20,))}, r"config: 'band' is \(20,\)"),
    ({"config": emgcramp.PipelineConfig(order=16)}, "config: 'order' is 16; expected the band-pass's order, one of "
                                                     "2, 4, 6, 8"),
    ({"config": emgcramp.PipelineConfig(env_rate=0)}, "config: 'env_rate' is 0"),
    ({"config": emgcramp.PipelineConfig(mains=None)}, "config: 'mains' is None"),
    ({"config": emgcramp.PipelineConfig(detector=None)}, "config: 'detector' is None"),
    ({"config": emgcramp.PipelineConfig(detector=emgcramp.DetectorConfig().replace(
        cramp_probability=0.3, possible_probability=0.9))}, r"config: 'possible_probability' \(0.9\) is above"),
    ({"config": emgcramp.PipelineConfig(detector=emgcramp.DetectorConfig().replace(possible_probability=-1))},
     "config: 'possible_probability' is -1"),
    # values of the wrong type, each of which passed the check and failed inside (TypeError, ValueError)
    ({"config": emgcramp.PipelineConfig(order=4.0)}, "config: 'order' is 4.0; expected the band-pass's order"),
    ({"config": emgcramp.PipelineConfig(env_rate="50")}, "config: 'env_rate' is '50'; expected the envelope's rate"),
    ({"config": emgcramp.PipelineConfig(band=("20", "450"))}, r"config: 'band' is \('20', '450'\)"),
    ({"config": emgcramp.PipelineConfig(band=(0.001, 450))}, r"config: 'band' .* 5 ≤ low < high"),  # motion as EMG
    ({"config": emgcramp.PipelineConfig(env_rate=1000)}, "config: 'env_rate' is 1000; .* 20 to 125"),
    ({"config": emgcramp.PipelineConfig(detector=emgcramp.DetectorConfig().replace(possible_probability="0.3"))},
     "config: 'possible_probability' is '0.3'; expected a probability"),
    ({"config": emgcramp.PipelineConfig(detector=emgcramp.DetectorConfig().replace(
        personal_weights={"wax": 0.1}))}, r"config: 'personal_weights' is \{'wax': 0.1\}; expected \(input name, "),
    ({"config": emgcramp.PipelineConfig(detector=emgcramp.DetectorConfig().replace(
        personal_weights=(("duration", 0.1),)))}, r"the array: a personal weight names no input of the decision: "
                                                  r"'duration' \(its inputs: log_duration_s, "),
    ({"config": emgcramp.PipelineConfig(detector=emgcramp.DetectorConfig().replace(mvc_uv=0.05))},
     "config: 'mvc_uv' is 0.05; expected the maximal contraction's level, 0.1 µV or more"),  # as mvc_uv= says
    ({"config": emgcramp.PipelineConfig(detector=__import__("dataclasses").replace(emgcramp.DetectorConfig(),
                                                                                    judge={}))},
     r"config: the detector's 'judge' is \{\}; expected an emgcramp.core.config.JudgeConfig$"),
    ({"channel_names": ["GM", "TA"], "muscles": {"ta": 3}}, "muscles gives each channel the muscle it records"),
    ({"channel_names": ["GM", 2]}, "channel_names are the channels' names, non-empty strings"),
    ({"channel_names": ["GM", "GL"], "muscles": {"TA": "tibialis anterior"}},
     "muscles names no channel 'TA'; the channels are: GM, GL"),
    ({"channel_names": ["GM", "gm"]}, r"channel_names names 'GM' twice \(names are matched whatever their case\)"),
    ({"channel_names": ["ECG", "EEG C3"]}, r"no row of the array is a muscle's by its name \(ECG, EEG C3\)"),
])
def test_bad_arguments_are_refused_by_name_before_any_analysis(kwargs, says):
    x = np.random.default_rng(1).normal(0, 4, (2, 5_000))
    with pytest.raises(emgcramp.InputError, match=says):
        emgcramp.find_cramps(x, FS, **kwargs)


def test_every_inner_setting_out_of_its_range_is_refused_by_name():
    """The detector's inner settings went unchecked: 0 divided by zero deep inside, NaN turned to an index,
    1e9 s asked for terabytes, -1 found no cramp without a word."""
    from emgcramp.api.checks import ZERO_MEANS
    from emgcramp.core.config import SECTION_OF

    x = np.random.default_rng(1).normal(0, 4, 5_000)
    given = emgcramp.DetectorConfig()
    special = {"personal_weights", "personal_logit_offset", "cramp_probability", "possible_probability"}
    for name in sorted(set(SECTION_OF) - special):
        under = -1 if name.endswith("_uv") or name in ZERO_MEANS else 0
        for value in (under, float("nan"), float("inf"), 1e9, "2", True):
            if name in ("min_duration_s", "mvc_uv") and value == 1e9:  # as --min-duration, --mvc-uv take them
                continue
            config = emgcramp.PipelineConfig(detector=given.replace(**{name: value}))
            with pytest.raises(emgcramp.InputError, match=f"^config: '{name}' is {re.escape(repr(value))}; expected"):
                emgcramp.find_cramps(x, FS, config=config)
    # NumPy's numbers are numbers (np.int64(50) was "expected 50, 60 …")
    numpy_numbers = emgcramp.PipelineConfig(mains=np.int64(50), env_rate=np.float32(50), detector=given.replace(
        min_duration_s=np.float32(5), on_ratio=np.float64(2.5), cramp_probability=np.float32(0.7)))
    assert emgcramp.find_cramps(x, FS, config=numpy_numbers).cramps == []


def test_a_setting_whose_zero_means_something_takes_it(night):
    """No warm-up, the onset at the climb to ON, no drop rule, …: refused as "above 0" where they had run."""
    from emgcramp.api.checks import ZERO_MEANS

    ref = emgcramp.find_cramps(night, FS).cramps
    for name in sorted(ZERO_MEANS):
        config = emgcramp.PipelineConfig(detector=emgcramp.DetectorConfig().replace(**{name: 0}))
        got = emgcramp.find_cramps(night, FS, config=config).cramps
        assert [round(c.onset_s) for c in got] == [round(c.onset_s) for c in ref] == [100, 330], name


def test_rows_named_for_no_muscle_are_left_out_in_the_apis_words(night):
    with pytest.warns(emgcramp.SettingsWarning, match=r"^the array: the rows ECG are left out \(not muscles by their "
                                                      r"names; name a row for the muscle it records to analyse it\)$"):
        r = emgcramp.find_cramps(np.vstack([night, night]), FS, channel_names=np.array(["GM", "ECG"]))
    assert r.analysis.channels == ["GM"] and type(r.analysis.channels[0]) is str and len(r.cramps) == 2


def test_warnings_point_at_the_callers_line_so_a_second_is_not_hidden(night, tmp_path):
    """They pointed at the package's lines: Python's once-per-line filter hid the Monitor's, said at the same
    library line as find_cramps' before it, and the rest-level warning spoke of the command line."""
    script = tmp_path / "notebook.py"
    script.write_text("import numpy as np, emgcramp\n"
                      "x = np.random.default_rng(0).normal(0, 4, 120_000)\n"
                      "emgcramp.find_cramps(np.vstack([x, x]), 1000, channel_names=['GM', 'ECG'])\n"
                      "emgcramp.find_cramps(x / 1000, 1000)\n"
                      "emgcramp.Monitor(1000, ['GM', 'ECG'])\n")
    err = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True).stderr
    lines = [line for line in err.splitlines() if "SettingsWarning" in line]
    assert [line.split(": SettingsWarning")[0] for line in lines] == [f"{script}:{n}" for n in (3, 4, 5)], err
    assert "the rows ECG are left out" in lines[2] and lines[1].endswith("1000000 for V; scale= for a file)")


def test_notes_name_the_apis_keywords(tmp_path, night):
    """'give --channel with the calf's' became 'give channel with the calf's'."""
    with open(tmp_path / "f.csv", "w") as f:
        f.write("time_s,ECG\n" + "".join(f"{k / FS:.3f},{v:.2f}\n" for k, v in enumerate(night[:60_000])))
    with pytest.warns(emgcramp.SettingsWarning, match=r"the first, 'ECG', is analysed: give channel= with the calf's"):
        emgcramp.analyze(tmp_path / "f.csv")


def test_notes_leave_the_process_s_warning_filters_alone_across_threads():
    """Notes caught and issued again around each call changed the filters all threads share: calls from a thread
    pool left an 'always' filter and a dead catcher behind, and every later warning of the process was lost."""
    import warnings
    from concurrent.futures import ThreadPoolExecutor

    x = np.random.default_rng(0).normal(0, 4, 30_000)
    before = list(warnings.filters)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda _: emgcramp.find_cramps(np.vstack([x, x]), 1000, channel_names=["GM", "ECG"]),
                          range(8)))
        warnings.warn("the caller's own")
    assert len(said) == 9 and all(w.filename == __file__ for w in said)  # each call's note, at the caller's line
    assert str(said[-1].message) == "the caller's own" and list(warnings.filters) == before


def test_errors_name_the_apis_keywords_not_the_command_lines_options(night, tmp_path):
    np.save(tmp_path / "x.npy", night)
    with pytest.raises(emgcramp.InputError, match=r"x\.npy: no sampling rate: .* give fs=HZ$"):
        emgcramp.analyze(str(tmp_path / "x.npy"))
    with pytest.raises(emgcramp.InputError, match="stream= is for XDF files"):
        emgcramp.analyze(tmp_path / "x.npy", fs=FS, stream="EMG")
    with pytest.raises(emgcramp.InputError, match=r"\(scale= for a file; multiply an array by it\)$"):
        emgcramp.find_cramps(night * 1e6, FS)
    with pytest.raises(emgcramp.InputError, match="from_mne takes an MNE Raw .* not ndarray; .* find_cramps"):
        emgcramp.from_mne(night)


def test_a_pandas_table_is_a_column_a_channel_named_by_its_columns(night):
    """A DataFrame of one or two columns (a row a sample, as pandas tables are) was refused as tens of
    thousands of channels of one or two samples."""
    pd = pytest.importorskip("pandas")
    pair = np.vstack([night, night / 2])
    ref = emgcramp.find_cramps(pair, FS, channel_names=["GM", "GL"])
    got = emgcramp.find_cramps(pd.DataFrame(pair.T, columns=["GM", "GL"]), FS)
    assert got.analysis.channels == ["GM", "GL"] and len(ref.cramps) == 2
    assert [(c.onset_s, c.probability, c.muscles) for c in got.cramps] == \
        [(c.onset_s, c.probability, c.muscles) for c in ref.cramps]
    one = emgcramp.find_cramps(pd.DataFrame({"calf_uv": night}), FS)
    assert [c.onset_s for c in one.cramps] == [c.onset_s for c in emgcramp.find_cramps(night, FS).cramps]
    m = emgcramp.Monitor(FS, ["GM", "GL"])
    events = [e for k in range(0, len(night), 50_000) for e in m.feed(pd.DataFrame(pair[:, k:k + 50_000].T))]
    assert [e["onset_s"] for e in events if e["type"] == "cramp"] == [c.onset_s for c in ref.cramps]
    with pytest.raises(emgcramp.InputError, match=r"^the table's column 'time_s' holds times .*drop it .* as fs$"):
        emgcramp.find_cramps(pd.DataFrame({"time_s": np.arange(len(night)) / FS, "GM": night}), FS)
    # a Monitor named by the first table it is fed (ECG left out, as find_cramps leaves it): it was ch0 and ch1
    m = emgcramp.Monitor(FS)
    with pytest.warns(emgcramp.SettingsWarning, match="ECG are left out"):
        m.feed(pd.DataFrame({"GM": night[:1], "ECG": night[:1]}))  # one row: a table's layout is not in doubt
    for k in range(1, len(night), 50_000):
        m.feed(pd.DataFrame({"gm": night[k:k + 50_000], "ECG": night[k:k + 50_000]}))
    assert m.finish().analysis.channels == ["GM"] and len(m.cramps) == 2
    with pytest.raises(emgcramp.InputError, match=r"^the table's columns \(TA\) are not the monitor's channels \(GM"):
        emgcramp.Monitor(FS, ["GM", "GL"]).feed(pd.DataFrame({"TA": night[:100]}))
    # units in the columns' names, as a CSV's header gives them (an mV column was read as µV: no cramp)
    mv = emgcramp.find_cramps(pd.DataFrame({"calf_mV": night / 1000}), FS)
    assert mv.analysis.channels == ["calf"]
    assert [(c.onset_s, round(c.peak_intensity, 3)) for c in mv.cramps] == \
        [(c.onset_s, round(c.peak_intensity, 3)) for c in emgcramp.find_cramps(night, FS).cramps]
    for columns, says in ((["GM", "gm_uV"], r"^the table names 'GM' twice"),
                          (["GM", "force_kgf"], r"^the table's column 'force_kgf' is in kgf, not a voltage"),
                          (pd.MultiIndex.from_tuples([("GM", "mV"), ("GL", "mV")]), r"^the table's columns are named "
                                                                                    r"on several levels"),
                          (["GM", ""], r"^the table's columns are the channels' names, non-empty strings")):
        with pytest.raises(emgcramp.InputError, match=says):
            emgcramp.find_cramps(pd.DataFrame(pair.T, columns=columns), FS)
    with pytest.raises(emgcramp.InputError, match=r"^the table's column 'note' holds no numbers \(µV\): drop it"):
        emgcramp.find_cramps(pd.DataFrame({"GM": night, "note": "x"}), FS)
    assert emgcramp.find_cramps(pd.DataFrame({"GM": night, "S": night}), FS).analysis.channels == ["GM", "S"]  # a
    # time is a first column, as in a CSV: a second one named S (a site) is a channel
    m = emgcramp.Monitor(FS)  # a refused first table leaves the monitor unnamed: refused again, not taken as calf
    for _ in range(2):
        with pytest.raises(emgcramp.InputError, match="no row of the array is a muscle's by its name"):
            m.feed(pd.DataFrame({"ECG": night[:1000]}))
    # A table of unnamed columns, more than its rows, is a channels × samples array made a table the wrong way
    # round, as an array would be: find_cramps ran for minutes before saying a 20 000-column one was too short
    # (a detector set up per column), a Monitor took 4000 channels. Named channels, or named columns, settle it.
    wide = pd.DataFrame(np.zeros((2, 4000)))
    with pytest.raises(emgcramp.InputError, match=r"^a table of 2 rows and 4000 columns would be 4000 channels "
                       r"of 2 samples: a row a sample, a column a channel \(df\.T for a table of a row per"):
        emgcramp.Monitor(FS).feed(wide)
    with pytest.raises(emgcramp.InputError, match=r"^a table of 2 rows and (\d+) columns would be \1 channels"):
        emgcramp.find_cramps(pd.DataFrame(pair[:, :3000]), FS)
    assert emgcramp.Monitor(FS, list("abcd")).feed(pd.DataFrame(np.zeros((2, 4)))) == []  # 4 named: no doubt
    assert emgcramp.Monitor(FS).feed(pd.DataFrame(np.zeros((2, 4)), columns=list("abcd"))) == []


def test_a_table_whose_labels_name_no_channel_is_read_when_the_channels_are_named_and_nullable_floats_are_numbers(
        night):
    """Refused: a table with its time column dropped (labels 1, 2) or one name twice, channel_names given all the
    same; two columns of pandas' nullable Float64 (convert_dtypes) were "not object"."""
    pd = pytest.importorskip("pandas")
    pair = np.vstack([night, night / 2])
    ref = [(c.onset_s, c.probability, c.muscles)
           for c in emgcramp.find_cramps(pair, FS, channel_names=["GM", "GL"]).cramps]
    dropped = pd.DataFrame(np.column_stack([np.arange(len(night)) / FS, pair.T])).drop(columns=0)
    twice = pd.DataFrame(pair.T, columns=["EMG_mV", "EMG_mV"]) / 1000
    for table in (dropped, twice):
        got = emgcramp.find_cramps(table, FS, channel_names=["GM", "GL"])
        assert got.analysis.channels == ["GM", "GL"]
        assert [(c.onset_s, c.probability, c.muscles) for c in got.cramps] == ref
    with pytest.raises(emgcramp.InputError, match=r"^the table names 'EMG_mV' twice"):  # unnamed, still refused
        emgcramp.find_cramps(twice, FS)
    for table in (dropped, twice):  # the units of a name given twice apply all the same (mV read as µV: no cramp)
        m = emgcramp.Monitor(FS, ["GM", "GL"])
        events = [e for k in range(0, len(night), 50_000) for e in m.feed(table.iloc[k:k + 50_000])]
        assert [e["onset_s"] for e in events if e["type"] == "cramp"] == [onset for onset, _, _ in ref]
    nullable = pd.DataFrame(pair.T, columns=["GM", "GL"]).convert_dtypes()
    assert [str(t) for t in nullable.dtypes] == ["Float64", "Float64"]
    got = emgcramp.find_cramps(nullable, FS)
    assert [(c.onset_s, c.probability, c.muscles) for c in got.cramps] == ref
    m = emgcramp.Monitor(FS)
    assert m.feed(nullable.iloc[:5_000]) == [] and m.finish().analysis.channels == ["GM", "GL"]
    with pytest.raises(emgcramp.InputError, match=r"^the table's column 'note' holds no numbers"):  # said by name
        emgcramp.Monitor(FS).feed(pd.DataFrame({"GM": night[:100], "note": "x"}))


def test_a_monitor_checks_its_blocks_and_its_end(night):
    pair = np.vstack([night, night / 2])
    for names in ([], ["GM", "GL"]):  # samples × channels: refused whether the channels are named or not
        with pytest.raises(emgcramp.InputError, match=r"shape \(100, 2\) would be 100 channels of 2 samples: .*x\.T"):
            emgcramp.Monitor(FS, names).feed(pair[:, :100].T)
    m = emgcramp.Monitor(FS)
    m.feed(pair[:, :100])
    with pytest.raises(emgcramp.InputError, match=r"a block of 1 channel\(s\) for a monitor of 2 \(ch0, ch1\)"):
        m.feed(night[100:200])
    with pytest.raises(emgcramp.InputError, match="channel_names is a list of names, one per channel, not the string"):
        emgcramp.Monitor(FS, "GM")
    m = emgcramp.Monitor(FS)
    assert m.feed(np.zeros(0)) == [] and m.feed(np.zeros((2, 0))) == []  # no samples: no channel count learnt
    with pytest.raises(emgcramp.InputError, match=r"not of shape \(0, 5\)"):
        m.feed(np.zeros((0, 5)))
    m.feed(pair[:, :3_000])
    assert m.finish().analysis.channels == ["ch0", "ch1"]
    named = emgcramp.Monitor(FS, ["GM", "GL"])  # named: a block of one sample each is no table the wrong way round
    for k in range(3_000):
        named.feed(pair[:, k:k + 1])
    assert named.finish().analysis.duration_s == pytest.approx(3.0)
    with pytest.raises(emgcramp.InputError, match="sampling rate 0 Hz is out of range"):
        emgcramp.Monitor(0)
    with pytest.raises(emgcramp.InputError, match="no samples were fed to this Monitor"):
        emgcramp.Monitor(FS).finish()
    m = emgcramp.Monitor(FS)
    for k in range(0, len(night), 4_000):
        m.feed(night[k:k + 4_000])
    done = m.finish()
    assert m.finish() is done and len(done.cramps) == 2
    with pytest.raises(emgcramp.InputError, match="this Monitor has finished"):
        m.feed(night[:100])
    assert len(m.finish().cramps) == 2 and done.analysis.duration_s == pytest.approx(len(night) / FS)


def test_tables_with_no_events_keep_number_columns_so_nights_concatenate(night):
    pd = pytest.importorskip("pandas")
    quiet = emgcramp.find_cramps(night[:60_000], FS)
    both = pd.concat([emgcramp.find_cramps(night, FS).to_dataframe(), quiet.to_dataframe()])
    assert both["duration_s"].dtype == np.float64 and both["duration_s"].mean() == pytest.approx(75.0, abs=1.0)
    assert both["pct_mvc"].dtype == np.float64 and both["pct_mvc"].isna().all()  # no MVC: not measured, NaN
    lms = quiet.to_dataframe("leg_movements")
    assert (lms["onset_s"].dtype, lms["plm_series"].dtype, lms["is_lm"].dtype) == (np.float64, np.int64, np.bool_)
    assert quiet.to_dataframe("rejected")["probability"].dtype == np.float64
    # text columns too: as pandas infers them for a table with rows (str from pandas 3 on, else object)
    text = pd.Series(["tonic"]).dtype
    assert [both[c].dtype for c in ("kind", "channel", "tier", "reason")] == [text] * 4
    assert lms["channel"].dtype == text


def test_result_tables_keep_the_events_csv_contract(night, tmp_path):
    r = emgcramp.find_cramps(night, FS, mvc_uv=600.0)
    df = r.to_dataframe()
    assert list(df.columns[:6]) == COLUMNS[:6] and len(df) == 2
    assert [round(p.onset_s) for p in r.possible_cramps] == [220]  # 10 × rest for 25 s: listed, not counted
    assert df["pct_mvc"].tolist() == pytest.approx([c.peak_intensity / 6.0 for c in r.cramps], abs=0.05)
    r.to_csv(str(tmp_path / "e.csv"))
    back = read_events_csv(str(tmp_path / "e.csv"))
    assert [(e.onset_s, e.kind) for e in back] == [(round(c.onset_s, 3), c.kind) for c in r.cramps]
    for kind in ("possible_cramps", "leg_movements", "warnings", "rejected"):
        assert len(r.to_dataframe(kind)) == len(getattr(r, kind))
    with pytest.raises(ValueError, match="kind must be one of"):
        r.to_dataframe("nope")
    # plain Python numbers throughout, as a notebook shows them: no np.float64(…) in any repr
    for shown in (r.cramps, r.possible_cramps, r.rejected, r.leg_movements, r.summary()):
        assert "np." not in repr(shown)
    quiet = emgcramp.find_cramps(night[:60_000], FS)  # a minute at rest: no event of any kind
    for kind in ("cramps", "warnings", "rejected"):
        assert len(quiet.to_dataframe(kind)) == 0 and "onset_s" in quiet.to_dataframe(kind).columns


def test_a_monitor_fed_any_blocks_finds_what_the_whole_array_does_and_alerts_first(night):
    whole = emgcramp.find_cramps(night, FS)
    for size in (100, 1337, 20_000):
        m = emgcramp.Monitor(FS)
        events = []
        for k in range(0, len(night), size):
            events += [(k / FS, e) for e in m.feed(night[k:k + size])]
        r = m.finish()
        assert [(c.onset_s, c.offset_s) for c in r.cramps] == [(c.onset_s, c.offset_s) for c in whole.cramps]
        alerts = [(t, e) for t, e in events if e["type"] == "alert"]
        closed = [(t, e) for t, e in events if e["type"] == "cramp"]
        assert len(closed) == 2
        if size == 20_000:  # 20-s blocks: a cramp may begin, be confirmed and end inside one; its record tells
            continue
        assert len(alerts) == 2
        # Each alert goes out while its cramp is under way, and by the block that brought it.
        for (t, a), (_, c) in zip(alerts, closed):
            assert c["onset_s"] <= a["at_s"] <= c["offset_s"] and t <= a["at_s"] <= t + size / FS + 0.01


def test_a_monitor_can_store_a_night_folder_that_recover_reads(night, tmp_path):
    folder = str(tmp_path / "night")
    m = emgcramp.Monitor(FS, folder=folder, start=START)
    for k in range(0, len(night), 500):
        m.feed(night[k:k + 500])
    live = m.finish()
    again = emgcramp.analyze(folder)
    assert [(c.onset_s, c.offset_s) for c in again.cramps] == [(c.onset_s, c.offset_s) for c in live.cramps]
    assert again.start == START
    # and its events.csv, as the monitor command leaves it, which trend counts (before: none, trend found nothing)
    table = read_events_csv(os.path.join(folder, "events.csv"))
    assert [(e.onset_s, e.offset_s) for e in table] == [(c.onset_s, c.offset_s) for c in live.cramps] != []
    rc, out, _ = run_cli("trend", folder)
    assert rc == 0 and f"{len(live.cramps)} cramp(s)" in out


def test_a_night_folder_of_several_muscles_is_analysed_on_all_of_them_as_live(night, tmp_path):
    """analyze, report and review of a night monitored on GM and GL took GM alone (its first channel)."""
    folder = str(tmp_path / "night")
    pair = np.vstack([night, bursts(FS, 480, 4.0, [(101.0, 158.0, 200.0), (200.0, 230.0, 500.0)], seed=4)])
    m = emgcramp.Monitor(FS, ["GM", "GL"], folder=folder, start=START)
    for k in range(0, pair.shape[1], 5_000):
        m.feed(pair[:, k:k + 5_000])
    live = m.finish()
    assert any(c.muscles == ["GM", "GL"] for c in live.cramps)
    again = emgcramp.analyze(folder)
    assert again.analysis.channels == ["GM", "GL"]
    assert [(c.onset_s, c.muscles) for c in again.cramps] == [(c.onset_s, c.muscles) for c in live.cramps]
    rc, out, _ = run_cli("analyze", folder, "--json")
    assert rc == 0 and __import__("json").loads(out)["channels"] == ["GM", "GL"]
    assert emgcramp.analyze(folder, channel="GL").analysis.channels == ["GL"]  # a channel named still narrows


@pytest.mark.parametrize("names", [["ECG"], ["calf", "ECG"]])
def test_a_night_folder_is_analysed_on_every_channel_stored_whatever_its_name(night, tmp_path, names):
    """A night monitored on a channel not named as a muscle (an LSL stream's, ``monitor --channel ECG``) was refused
    ("no muscle channel") or left out by analyze, where the live night and recover judged it."""
    from emgcramp.core.blocks import Block
    from emgcramp.live.monitor import run_monitor

    folder = str(tmp_path / "night")
    x = np.column_stack([night] * len(names))
    live = run_monitor(iter([Block(k, x[k:k + 5_000]) for k in range(0, len(x), 5_000)]), lambda: FS, names, folder)
    again = emgcramp.analyze(folder)
    assert again.analysis.channels == live.analysis.channels == names
    assert [(c.onset_s, c.muscles) for c in again.cramps] == [(c.onset_s, c.muscles) for c in live.analysis.episodes]
    assert len(again.cramps) == 2
    assert emgcramp.analyze(folder, channel="all").analysis.channels == names  # all it holds, as without it


def test_mne_raw_round_trip(night):
    mne = pytest.importorskip("mne")
    info = mne.create_info(["GM", "stim"], FS, ["emg", "stim"])
    raw = mne.io.RawArray(np.vstack([night * 1e-6, np.zeros_like(night)]), info, verbose=False)  # MNE holds V
    raw.set_meas_date(START.replace(tzinfo=__import__("datetime").timezone.utc))
    r = emgcramp.from_mne(raw)
    ref = emgcramp.find_cramps(night, FS, channel_names=["GM"])
    assert r.analysis.channels == ["GM"] and r.start == START
    assert [(c.onset_s, c.offset_s, round(c.peak_intensity, 6)) for c in r.cramps] == \
        [(c.onset_s, c.offset_s, round(c.peak_intensity, 6)) for c in ref.cramps]
    raw.set_annotations(r.to_annotations())
    cramps = [a for a in raw.annotations if a["description"].startswith("cramp:")]
    assert [(round(a["onset"], 3), round(a["duration"], 3)) for a in cramps] == \
        [(round(c.onset_s, 3), round(c.duration_s, 3)) for c in r.cramps]
    raw.set_annotations(r.to_annotations(detail=False))  # one event id per kind, for events_from_annotations
    events, ids = mne.events_from_annotations(raw, verbose=False)
    kinds = {f"cramp:{c.kind}" for c in r.cramps}
    assert kinds <= set(ids) <= kinds | {"lm", "plm", "warning", "possible_cramp:tonic", "possible_cramp:clonic"}
    assert sum(int((events[:, 2] == ids[k]).sum()) for k in kinds) == len(r.cramps)
    with pytest.raises(emgcramp.InputError, match="no such channel"):
        emgcramp.from_mne(raw, picks=["GM", "soleus"])


def test_mne_bad_spans_are_signal_lost_where_mne_places_them(night):
    """Spans annotated BAD_… (a movement, a loose lead marked in MNE) were analysed as signal."""
    mne = pytest.importorskip("mne")
    from emgcramp.io.memory import _sound_spans

    raw = mne.io.RawArray(night[None] * 1e-6, mne.create_info(["GM"], FS, "emg"), first_samp=5000, verbose=False)
    raw.set_meas_date(START.replace(tzinfo=__import__("datetime").timezone.utc))  # onsets count from first_samp 0
    raw.set_annotations(mne.Annotations([325.0, 475.0, 50.0], [110.0, 10.0, 1.0], ["BAD_motion", "bad end", "cramp?"],
                                        orig_time=raw.annotations.orig_time))
    ok = ~np.isnan(raw.get_data(reject_by_annotation="NaN", verbose=False)[0])
    assert [(a, b) for a, b in _sound_spans(raw, raw.n_times)] == [(0, 320_000), (430_000, 470_000)]
    assert ok.sum() == 360_000 and ok[:320_000].all() and ok[430_000:470_000].all()  # as MNE leaves them out
    r = emgcramp.from_mne(raw)
    ref = emgcramp.find_cramps(night, FS, channel_names=["GM"])
    assert [round(c.onset_s) for c in ref.cramps] == [100, 330]
    assert [(c.onset_s, c.offset_s) for c in r.cramps] == [(c.onset_s, c.offset_s) for c in ref.cramps[:1]]
    assert r.summary()["quality"]["GM"]["seconds"] == pytest.approx(360.0)
    raw.set_annotations(mne.Annotations([5.0], [479.0], ["BAD_all"], orig_time=raw.annotations.orig_time))
    with pytest.raises(emgcramp.InputError, match=r"its BAD annotations leave 1 s of its 480 s as signal; at least 2 s"):
        emgcramp.from_mne(raw)  # it said the Raw was 0 s long


def test_mne_raw_typed_eeg_throughout_takes_its_muscles_by_name(night):
    """MNE's EDF reader types every channel eeg: a sleep recording's EEG and ECG were judged as leg muscles."""
    mne = pytest.importorskip("mne")
    rng = np.random.default_rng(0)
    info = mne.create_info(["EEG C3-A2", "ECG", "EMG Left calf"], FS, "eeg")
    raw = mne.io.RawArray(np.vstack([rng.normal(0, 20e-6, len(night)), rng.normal(0, 500e-6, len(night)),
                                     night * 1e-6]), info, verbose=False)
    with pytest.warns(emgcramp.SettingsWarning, match=r"from_mne leaves out EEG C3-A2, ECG \(not muscles"):
        r = emgcramp.from_mne(raw)
    ref = emgcramp.find_cramps(night, FS, channel_names=["EMG Left calf"])
    assert r.analysis.channels == ["EMG Left calf"]
    assert [(c.onset_s, c.offset_s) for c in r.cramps] == [(c.onset_s, c.offset_s) for c in ref.cramps]
    assert emgcramp.from_mne(raw, picks="eeg").analysis.channels == info.ch_names  # asked for: taken


@pytest.mark.long
def test_plot_draws_the_report_from_the_signal_again(tmp_path):
    r = emgcramp.analyze(SAMPLE_NIGHT)
    fig = r.plot(str(tmp_path / "night.png"))
    assert (tmp_path / "night.png").stat().st_size > 10_000 and (tmp_path / "night.png").stat().st_mode & 0o777 == 0o600
    assert fig.axes[0].get_title().endswith(f"{len(r.cramps)} cramp(s)")


def test_plot_draws_a_channel_named_or_numbered_among_those_analysed(night):
    import matplotlib.pyplot as plt

    r = emgcramp.find_cramps(np.vstack([night, night / 4]), FS, channel_names=["GM", "GL"])

    def drawn(channel):
        fig = r.plot(channel=channel)
        y = [np.asarray(line.get_ydata(), dtype=float) for line in fig.axes[0].lines]
        plt.close(fig)
        return np.concatenate(y)

    gl = drawn("gl")
    assert np.array_equal(gl, drawn(1)) and not np.array_equal(gl, drawn("GM"))
    for wrong in (2, "TA", True):
        with pytest.raises(emgcramp.InputError, match=f"no channel {wrong!r} in the channels analysed; channels are: GM, GL"):
            r.plot(channel=wrong)


def test_plot_refuses_an_array_changed_since_its_analysis(night, tmp_path):
    """The array is kept, not copied: changed in place after find_cramps (a notebook's x[:] = 0), the plot drew
    the hour as signal lost beside a table of the cramps found in it, and said nothing."""
    import matplotlib.pyplot as plt

    x = night.copy()
    r = emgcramp.find_cramps(x, FS)
    plt.close(r.plot())  # unchanged: drawn
    for change in (lambda x: x.__setitem__(12_345, x[12_345] + 1.0), np.ndarray.sort, lambda x: x.__setitem__(
            slice(None), x[::-1].copy())):  # a value changed; the same values moved
        x = night.copy()
        r = emgcramp.find_cramps(x, FS)
        change(x)
        with pytest.raises(emgcramp.InputError, match=r"^the array given to find_cramps has changed since it was "
                           r"analysed .*analyse a copy \(find_cramps\(x\.copy\(\), fs\)\)$"):
            r.plot(tmp_path / "night.png")
    assert not (tmp_path / "night.png").exists()


def test_a_pandas_series_is_one_channel_named_by_its_name(night):
    """A Series was the channel 'calf' whatever its name, and its unit (calf_mV) was not read, as a DataFrame's
    column's is."""
    pd = pytest.importorskip("pandas")
    ref = [(c.onset_s, c.offset_s) for c in emgcramp.find_cramps(night, FS).cramps]
    r = emgcramp.find_cramps(pd.Series(night / 1000, name="GM_mV"), FS)
    assert r.analysis.channels == ["GM"] and [(c.onset_s, c.offset_s) for c in r.cramps] == ref and ref
    assert emgcramp.find_cramps(pd.Series(night), FS).analysis.channels == ["calf"]
    for unnamed in (2, ("a", 1)):  # a numbered frame's column (df[2]), a MultiIndex's: one channel of no name
        assert emgcramp.find_cramps(pd.Series(night, name=unnamed), FS).analysis.channels == ["calf"]
    m = emgcramp.Monitor(FS)
    m.feed(pd.Series(night, name="GL"))
    assert m.finish().analysis.channels == ["GL"]


def test_the_events_csv_from_the_api_is_what_analyze_writes_for_the_sample_night(tmp_path):
    rc, _, err = run_cli("analyze", SAMPLE_NIGHT, "--events", tmp_path / "cli.csv")
    assert rc == 0, err
    emgcramp.analyze(SAMPLE_NIGHT).to_csv(str(tmp_path / "api.csv"))
    rows = list(csv.DictReader(open(tmp_path / "api.csv")))
    assert rows and (tmp_path / "api.csv").read_text() == (tmp_path / "cli.csv").read_text()


@pytest.mark.long
def test_writing_never_replaces_a_recording_unasked(tmp_path):
    night = tmp_path / "night.edf"
    shutil.copy(SAMPLE_NIGHT, night)
    before = night.read_bytes()
    r = emgcramp.analyze(str(night))
    with pytest.raises(emgcramp.InputError, match="it is the input"):
        r.to_csv(str(night))
    for path in (night, tmp_path / "n.jpg"):  # a figure or a page, by its extension, nothing else
        with pytest.raises(emgcramp.InputError, match=r"path .*: choose a \.html, \.png, \.pdf or \.svg file"):
            r.plot(path, overwrite=True)
    (tmp_path / "other.edf").write_bytes(before)  # another recording: replaced only when asked
    with pytest.raises(emgcramp.InputError, match=r"other.edf exists .* give overwrite=True to replace it"):
        r.to_csv(str(tmp_path / "other.edf"))
    (tmp_path / "other.png").write_bytes(before)
    with pytest.raises(emgcramp.InputError, match="give overwrite=True"):
        r.plot(str(tmp_path / "other.png"))
    assert night.read_bytes() == before == (tmp_path / "other.edf").read_bytes()
    r.to_csv(str(tmp_path / "e.csv"))
    r.to_csv(str(tmp_path / "e.csv"))  # an earlier events CSV is replaced
    r.plot(str(tmp_path / "n.png"))
    r.plot(str(tmp_path / "n.png"))  # and an earlier figure
    (tmp_path / "notes.csv").write_text("mine\n")
    with pytest.raises(emgcramp.InputError, match="it is the input"):  # not even when asked: it is the input
        r.to_csv(night, overwrite=True)
    assert night.read_bytes() == before == (tmp_path / "other.png").read_bytes()
    assert not (tmp_path / "n.jpg").exists()
    r.to_csv(tmp_path / "path.csv")  # a pathlib.Path as well as a str
    assert (tmp_path / "path.csv").read_text() == (tmp_path / "e.csv").read_text()
    r.to_csv(str(tmp_path / "notes.csv"), overwrite=True)
    assert (tmp_path / "notes.csv").read_text() == (tmp_path / "e.csv").read_text()


def test_clock_times_across_a_daylight_saving_change_count_elapsed_time():
    # 02:58 summer time in Berlin on the night the clocks go back at 03:00: a cramp 150 s in began at
    # 02:00:30 winter time (+01:00); before, the clock read 03:00:30+01:00, an hour late
    from zoneinfo import ZoneInfo

    x = bursts(1000.0, 240, 4.0, [(150.0, 210.0, 240.0)])
    result = emgcramp.find_cramps(x, 1000, start=datetime(2026, 10, 25, 2, 58, tzinfo=ZoneInfo("Europe/Berlin")))
    assert [r["onset_clock"] for r in result.records()] == ["2026-10-25T02:00:30+01:00"]
    naive = emgcramp.find_cramps(x, 1000, start=datetime(2026, 10, 25, 2, 58))  # a recorder's clock: read as it is
    assert [r["onset_clock"] for r in naive.records()] == ["2026-10-25T03:00:30"]


def test_what_is_no_samples_is_one_clear_error_for_an_array_and_a_monitor(night):
    # before: numpy's own ValueError (ragged rows), "got shape ()" (a file's name); a monitor took complex
    # numbers (their imaginary part dropped) and booleans
    for bad, says in (([list(night[:500]), list(night[:100])], "rows \\(channels\\) of one length"),
                      ("night.edf", "not the name 'night.edf': a file is read with emgcramp.analyze"),
                      (night.astype(complex), "real numbers \\(µV\\), not complex128"),
                      (night > 0, "real numbers \\(µV\\), not bool"),
                      (night.astype("timedelta64[s]"), "real numbers \\(µV\\), not timedelta64\\[s\\]")):
        with pytest.raises(emgcramp.InputError, match=says):
            emgcramp.find_cramps(bad, FS)
        with pytest.raises(emgcramp.InputError, match=says):
            emgcramp.Monitor(FS).feed(bad)
    with pytest.raises(emgcramp.InputError, match=r"^path is a file path \(str or pathlib.Path\), not 'out/a\\x00b.csv'$"):
        emgcramp.find_cramps(night, FS).to_csv("out/a\0b.csv")  # a ValueError from the system's call
    for empty, shape in ((np.zeros(0), "\\(0,\\)"), (np.zeros((2, 0)), "\\(2, 0\\)")):  # as given, not as made into
        with pytest.raises(emgcramp.InputError, match=f"got no samples, shape {shape}$"):
            emgcramp.find_cramps(empty, FS)


def test_analyze_takes_its_channels_as_a_list(tmp_path, night):
    from emgcramp.io.edf import write_edf

    path = str(tmp_path / "two.edf")
    write_edf(path, FS, ["GM, medial", "GL"], [np.column_stack([night, night])], [])
    r = emgcramp.analyze(path, channel=["GM, medial", "GL"])  # before: split at its comma, "no channel '['GM'"
    assert r.analysis.channels == ["GM, medial", "GL"] and len(r.cramps) == len(emgcramp.find_cramps(night, FS).cramps)


def test_mne_annotations_join_the_raw_s_own_and_bad_channels_are_left_out(night):
    mne = pytest.importorskip("mne")
    info = mne.create_info(["GM", "GL"], FS, ["emg", "emg"])
    raw = mne.io.RawArray(np.vstack([night, night]) * 1e-6, info, verbose=False)
    raw.set_meas_date(START.replace(tzinfo=__import__("datetime").timezone.utc))
    raw.crop(tmin=10.0)  # its first sample 10 s after the measurement began
    raw.set_annotations(mne.Annotations([20.0], [30.0], ["Sleep stage 2"], orig_time=raw.info["meas_date"]))
    raw.info["bads"] = ["GL"]
    with pytest.warns(emgcramp.SettingsWarning, match="from_mne leaves out GL \\(marked bad in the Raw"):
        r = emgcramp.from_mne(raw)  # before: GL analysed, bad or not
    assert r.analysis.channels == ["GM"] and r.cramps
    # before: orig_time=None only, and raw.annotations + ours raised "orig_time should be the same"
    joined = raw.annotations + r.to_annotations(raw=raw)
    raw.set_annotations(joined)
    assert raw.annotations.description[0] == "Sleep stage 2"
    events, ids = mne.events_from_annotations(raw, verbose=False)
    first_cramp = events[events[:, 2] == ids[next(d for d in ids if d.startswith("cramp:"))]][0, 0]
    assert (first_cramp - raw.first_samp) / FS == pytest.approx(r.cramps[0].onset_s, abs=1e-3)


def test_a_night_folder_keeps_its_start_s_zone_across_a_daylight_saving_change(tmp_path):
    # 01:00 in Berlin on the night the clocks go forward at 02:00: a cramp 5430 s in began at 03:30:30+02:00
    from datetime import datetime
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    m = emgcramp.Monitor(FS, folder=str(tmp_path / "n"), start=datetime(2026, 3, 29, 1, 0, tzinfo=berlin))
    y = np.random.default_rng(4).normal(0.0, 4.0, 5520 * 1000)
    y[5430 * 1000:5490 * 1000] *= 60
    for k in range(0, len(y), 600_000):
        m.feed(y[k:k + 600_000])
    assert [c["onset_clock"] for c in m.finish().records()] == ["2026-03-29T03:30:30+02:00"]
    cell = open(tmp_path / "n" / "events.csv").read().splitlines()[1].split(",")[7]
    # the folder keeps the start's offset (+01:00), so the same instant: before, 02:30:30, a time that never was
    assert datetime.fromisoformat(cell) == datetime(2026, 3, 29, 3, 30, 30, tzinfo=berlin)


def test_mne_sleep_eeg_derivations_are_not_leg_muscles_and_any_picks_is_one_line(night):
    """Sleep-EDF's Fpz-Cz and Pz-Oz were taken for leg muscles (a cramp on Fpz-Cz); picks of a stim, a misc or
    two channel types at once ended in MNE's tracebacks; Epochs in an AttributeError."""
    mne = pytest.importorskip("mne")
    rng = np.random.default_rng(1)
    eeg = rng.normal(0, 20e-6, (2, len(night)))
    eeg[0, 40_000:100_000] *= 40  # an artefact on the EEG as long as a cramp
    info = mne.create_info(["Fpz-Cz", "Pz-Oz", "calf"], FS, "eeg")  # as MNE's EDF reader types them
    raw = mne.io.RawArray(np.vstack([eeg, night * 1e-6]), info, verbose=False)
    with pytest.warns(emgcramp.SettingsWarning, match=r"from_mne leaves out Fpz-Cz, Pz-Oz \(not muscles"):
        r = emgcramp.from_mne(raw)
    ref = emgcramp.find_cramps(night, FS)
    assert r.analysis.channels == ["calf"] and [c.onset_s for c in r.cramps] == [c.onset_s for c in ref.cramps]
    mixed = mne.io.RawArray(np.vstack([night * 1e-6, eeg[1], np.zeros(len(night)), np.zeros(len(night))]),
                            mne.create_info(["calf", "Fz", "STI", "aux"], FS, ["emg", "eeg", "stim", "misc"]),
                            verbose=False)
    both = emgcramp.from_mne(mixed, picks=["calf", "Fz"])  # two types at once: each in µV
    assert [(c.onset_s, round(c.peak_intensity, 6)) for c in both.cramps if c.channel == "calf"] == \
        [(c.onset_s, round(c.peak_intensity, 6)) for c in ref.cramps]
    for picks, name in (("stim", "STI"), (["aux"], "aux"), ("misc", "aux")):
        with pytest.raises(emgcramp.InputError, match=f"'{name}' is a (stim|misc) channel, which holds no voltage"):
            emgcramp.from_mne(mixed, picks=picks)
    with pytest.raises(emgcramp.InputError, match="from_mne takes an MNE Raw .* not Epochs"):
        emgcramp.from_mne(mne.make_fixed_length_epochs(mixed, 10.0, verbose=False))


def test_monitor_takes_the_rows_find_cramps_takes(night):
    x = np.vstack([night, np.random.default_rng(2).normal(0, 300, len(night))])
    with pytest.warns(emgcramp.SettingsWarning, match="rows ECG are left out"):
        ref = emgcramp.find_cramps(x, FS, channel_names=["GM", "ECG"])
    with pytest.warns(emgcramp.SettingsWarning, match="rows ECG are left out"):
        m = emgcramp.Monitor(FS, ["GM", "ECG"])
    for k in range(0, x.shape[1], 7_001):
        m.feed(x[:, k:k + 7_001])
    live = m.finish()
    assert live.analysis.channels == ref.analysis.channels == ["GM"]  # before: ECG analysed live
    assert [(c.onset_s, c.offset_s) for c in live.cramps] == [(c.onset_s, c.offset_s) for c in ref.cramps] != []
    with pytest.raises(emgcramp.InputError, match="no row of the array is a muscle's by its name"):
        emgcramp.Monitor(FS, ["ECG"])  # before: a cramp found on the heart's channel


def test_analyze_takes_its_numbers_as_find_cramps_does_and_refuses_what_is_none(tmp_path, night):
    path = str(tmp_path / "night.npy")
    np.save(path, night.astype(np.float32))
    ref = emgcramp.analyze(path, fs=FS)
    assert [c.onset_s for c in emgcramp.analyze(path, fs=str(int(FS)), scale="1").cramps] == \
        [c.onset_s for c in ref.cramps] != []
    for kwargs, message in ((dict(fs="fast"), "fs is the sampling rate in Hz, a number, not 'fast'"),
                            (dict(fs=FS, scale="x"), "scale is µV per unit of the file's values, 1e-06 to 1e"),
                            (dict(fs=FS, scale=0), r"1e-06 to 1e\+06 \(negative: the sign flipped\), not 0"),
                            (dict(fs=FS, scale=1e308), "not 1e"), (dict(fs=FS, scale=-1e7), "not -1")):
        with pytest.raises(emgcramp.InputError, match=message):  # before: TypeError, ValueError
            emgcramp.analyze(path, **kwargs)
    with pytest.raises(emgcramp.InputError, match="path is a file path"):
        emgcramp.analyze(None)
    assert [c.onset_s for c in emgcramp.analyze(path.encode(), fs=FS).cramps] == [c.onset_s for c in ref.cramps]


def test_every_kind_of_record_is_rounded_as_the_tables_write_it(tmp_path):
    """Leg movements' and rejected bursts' records held the full floats (peak_uv 183.64946951027608), so the
    same file read by analyze and from_mne differed in the 13th digit."""
    r = emgcramp.analyze(SAMPLE_NIGHT)
    run_cli("analyze", SAMPLE_NIGHT, "--lm-events", str(tmp_path / "lm.csv"))
    with open(tmp_path / "lm.csv", newline="") as f:
        lm_rows = [row for row in csv.DictReader(f) if row["kind"] == "lm"]
    lms = r.records("leg_movements")
    assert [m for m in lms if m["is_lm"]] and len(lm_rows) == sum(m["is_lm"] for m in lms)
    # with the table's length and clock time (the records had neither)
    assert [(f"{m['onset_s']:.3f}", f"{m['duration_s']:.3f}", m["onset_clock"], f"{m['peak_uv']:.2f}")
            for m in lms if m["is_lm"]] == \
        [(row["onset_s"], row["duration_s"], row["onset_clock"], row["peak_uv"]) for row in lm_rows]
    assert lms[0]["onset_clock"].startswith("2026-") and list(lms[0])[:4] == \
        ["onset_s", "offset_s", "duration_s", "onset_clock"]
    quiet = emgcramp.find_cramps(np.random.default_rng(0).normal(0, 3, 30_000), 1000.0)
    assert list(quiet.to_dataframe("leg_movements").columns[2:4]) == ["duration_s", "onset_clock"]
    for m in lms:
        assert m["onset_s"] == round(m["onset_s"], 3) and m["peak_uv"] == round(m["peak_uv"], 2)
    rejected = r.records("rejected")
    assert rejected and all(x["probability"] == round(x["probability"], 3) for x in rejected)


@pytest.mark.parametrize("block", [100, 20_000])
def test_one_cramp_on_two_muscles_wakes_the_person_once(block):
    """The night counts one cramp of GM and GL; live, each muscle raised its own alert (and --on-cramp ran twice)."""
    gm = bursts(FS, 480, 4.0, [(100.0, 160.0, 300.0)], seed=3)
    gl = bursts(FS, 480, 4.0, [(101.0, 158.0, 200.0), (330.0, 420.0, 80.0)], seed=4)  # and one of its own
    x = np.vstack([gm, gl])
    m = emgcramp.Monitor(FS, ["GM", "GL"])
    events = [e for k in range(0, x.shape[1], block) for e in m.feed(x[:, k:k + block])]
    assert [(c.onset_s, c.muscles) for c in m.finish().cramps] == [(100.0, ["GM", "GL"]), (pytest.approx(330.0, abs=0.1),
                                                                                           ["GL"])]
    assert [(e["channel"], round(e["onset_s"])) for e in events if e["type"] == "alert"] == [("GM", 100), ("GL", 330)]


@pytest.mark.parametrize("gap_s", [0.5, 3.0, 5.0])
@pytest.mark.parametrize("block", [100, 2_000])
def test_a_cramp_on_a_second_muscle_just_after_the_first_s_ends_is_alerted_as_the_second_cramp_it_is(block, gap_s):
    """The night counts two cramps (their spans do not overlap); live, the second one 2–5 s later raised no alert."""
    gm = bursts(FS, 300, 4.0, [(40.0, 70.0, 200.0)], seed=0)
    gl = bursts(FS, 300, 4.0, [(70.0 + gap_s, 110.0 + gap_s, 200.0)], seed=1)
    x = np.vstack([gm, gl])
    m = emgcramp.Monitor(FS, ["GM", "GL"])
    events = [e for k in range(0, x.shape[1], block) for e in m.feed(x[:, k:k + block])]
    assert [(c.muscles, round(c.onset_s, 1)) for c in m.finish().cramps] == [(["GM"], 40.0), (["GL"], 70.0 + gap_s)]
    assert [(e["channel"], round(e["onset_s"], 1)) for e in events if e["type"] == "alert"] == [
        ("GM", 40.0), ("GL", 70.0 + gap_s)]


def test_a_monitor_s_alert_gives_the_onset_s_clock_time(night):
    """The alert dict had no clock time (the cramp dict had one), where the README says alerts give it."""
    m = emgcramp.Monitor(FS, start=datetime(2026, 1, 1, 23, 0))
    events = [e for k in range(0, len(night), 5_000) for e in m.feed(night[k:k + 5_000])]
    alerts, cramps = ([e for e in events if e["type"] == kind] for kind in ("alert", "cramp"))
    assert alerts and len(alerts) == len(cramps)
    assert [a["onset_clock"] for a in alerts] == [c["onset_clock"][11:19] for c in cramps]  # 23:00:40 of 23:00:40


def test_a_monitor_fed_faster_than_real_time_stores_all_but_the_last_minute_before_a_crash(tmp_path, night):
    """Samples were stored once a wall-clock second: 250 s fed in a moment left raw.f32 empty when the process
    died, and recover kept nothing of them."""
    script = tmp_path / "crash.py"
    script.write_text("import os, numpy as np, emgcramp\n"
                      "x = np.random.default_rng(1).normal(0, 4, 250_000)\n"
                      f"m = emgcramp.Monitor(1000, folder={str(tmp_path / 'n')!r})\n"
                      "for k in range(0, len(x), 1000):\n"
                      "    m.feed(x[k:k + 1000])\n"
                      "os._exit(9)\n")
    subprocess.run([sys.executable, str(script)], check=False, timeout=120)
    stored_s = os.path.getsize(tmp_path / "n" / "raw.f32") / 4 / 1000
    assert 190.0 <= stored_s <= 250.0


def test_a_monitor_s_folder_that_is_a_file_is_one_line(tmp_path, night):
    (tmp_path / "night.edf").write_bytes(b"x")
    for folder in (tmp_path / "night.edf", tmp_path / "night.edf" / "n"):
        m = emgcramp.Monitor(FS, folder=str(folder))
        with pytest.raises(emgcramp.InputError, match="cannot create the night folder .*: (File exists|Not a dir)"):
            m.feed(night[:5_000])  # before: FileExistsError, NotADirectoryError
    assert (tmp_path / "night.edf").read_bytes() == b"x"
    # a folder holding anything is refused when the monitor is made (it was at the first block)
    with pytest.raises(emgcramp.InputError, match=r"the night folder is not empty; a night is written to a new folder"):
        emgcramp.Monitor(FS, folder=tmp_path)


def test_a_monitor_s_night_is_drawn_from_its_folder_and_without_one_is_one_line(tmp_path, night):
    m = emgcramp.Monitor(FS, folder=str(tmp_path / "n"))
    for k in range(0, len(night), 50_000):
        m.feed(night[k:k + 50_000])
    r = m.finish()
    r.plot(str(tmp_path / "n.png"))  # before: ValueError, "plot the result of find_cramps or analyze"
    assert (tmp_path / "n.png").stat().st_size > 10_000
    bare = emgcramp.Monitor(FS)
    bare.feed(night)
    with pytest.raises(emgcramp.InputError, match="a Monitor without a folder keeps none"):
        bare.finish().plot()
    with pytest.raises(emgcramp.InputError, match="raw is the MNE Raw the annotations go on, not str"):
        r.to_annotations(raw="x")  # before: AttributeError


def test_from_mne_with_no_muscle_by_name_takes_the_channels_that_hold_a_voltage(night):
    """Every data channel was taken, a temperature's too, which then stopped the analysis."""
    mne = pytest.importorskip("mne")
    info = mne.create_info(["X1", "Temp"], FS, ["eeg", "temperature"])
    raw = mne.io.RawArray(np.vstack([night * 1e-6, np.full(len(night), 36.5)]), info, verbose=False)
    r = emgcramp.from_mne(raw)
    assert r.analysis.channels == ["X1"] and [c.onset_s for c in r.cramps] == \
        [c.onset_s for c in emgcramp.find_cramps(night, FS).cramps]
    # none a muscle by name or type: all taken as before, now said (the docstring said they were left out)
    raw = mne.io.RawArray(np.vstack([night, night]) * 1e-6, mne.create_info(["EEG Fpz-Cz", "ECG"], FS, ["eeg", "ecg"]),
                          verbose=False)
    with pytest.warns(emgcramp.SettingsWarning, match=r"from_mne: no channel is a muscle by its name or type; all "
                                                     r"are analysed \(EEG Fpz-Cz, ECG\): picks= chooses"):
        assert emgcramp.from_mne(raw).analysis.channels == ["EEG Fpz-Cz", "ECG"]


def test_muscles_named_in_any_case_apply_to_the_channel_they_name():
    """{'CH1': 'tibialis anterior'} was accepted and then not applied: the tibialis read as a second calf."""
    rng = np.random.default_rng(0)
    gm, ta = rng.normal(0, 4, (2, 180 * 1000))
    gm[40_000:100_000] *= 60
    ta[41_000:100_000] *= 30  # the foot pulled up a second in: a relief stretch
    for key in ("ch1", "CH1"):
        r = emgcramp.find_cramps(np.vstack([gm, ta]), 1000, muscles={key: "tibialis anterior"})
        assert r.summary()["muscles"] == {"ch1": "tibialis anterior"}
        assert [c.flags for c in r.cramps] == [["stretched"]]


def test_a_result_pickles_so_it_can_come_back_from_a_process_pool(night):
    import pickle

    from conftest import SAMPLE_NIGHT

    for r in (emgcramp.analyze(SAMPLE_NIGHT), emgcramp.find_cramps(night, FS)):
        again = pickle.loads(pickle.dumps(r))
        assert again.records() == r.records() and again.summary() == r.summary()


def test_a_monitor_says_what_it_is_and_takes_its_folder_as_a_path(tmp_path):
    m = emgcramp.Monitor(1000, folder=tmp_path / "night")
    assert repr(m) == f"<Monitor: 1000 Hz, 0.0 s fed, 0 cramp(s) so far, night folder {tmp_path / 'night'}>"
    m.feed(np.random.default_rng(0).normal(0, 4, 5000))
    assert repr(m).startswith("<Monitor: 1000 Hz, 5.0 s fed, 0 cramp(s)")
    m.finish()
    assert repr(m).startswith("<Monitor: 1000 Hz, finished")
    with pytest.raises(emgcramp.InputError, match=r"folder is a file path \(str or pathlib.Path\), not 3"):
        emgcramp.Monitor(1000, folder=3)


def test_a_signal_mostly_flat_is_said_not_passed_as_a_quiet_night():
    """Each sample sent twice read as 97 % flat: no cramp, no word, and a rest level of NaN in the JSON."""
    x = np.random.default_rng(0).normal(0, 4, 120_000)
    x[40_000:100_000] *= 60
    with pytest.warns(emgcramp.SettingsWarning, match=r"channel 'calf': 97 % of it is flat \(one value held"):
        r = emgcramp.find_cramps(np.repeat(x, 2), 2000)
    assert r.cramps == []


def test_a_missing_optional_package_is_named_with_how_to_install_it(night, monkeypatch):
    """to_annotations without MNE raised a bare ModuleNotFoundError, where to_dataframe named its extra."""
    r = emgcramp.find_cramps(night, FS)
    for module, method in (("mne", r.to_annotations), ("pandas", r.to_dataframe)):
        monkeypatch.setitem(sys.modules, module, None)  # as if not installed: its import fails
        said = rf"^{method.__name__} needs {module}: pip install 'emgcramp\[{module}\]'$"
        with pytest.raises(ImportError, match=said):
            method()


def test_samples_in_volts_are_said_to_be_in_volts_not_flat():
    """In volts, rest's mean square is under the 1e-9 µV² that reads as a held value: beside 'are the samples in
    µV?' came '90 % of it is flat (one value held: the electrodes off…)', of samples no two of which are equal."""
    x = np.random.default_rng(0).normal(0, 5, 600_000)
    x[100_000:160_000] *= 50  # a cramp over 1000 µV: a few samples in volts pass the 0.001 of an array of no EMG
    with pytest.warns(emgcramp.SettingsWarning) as said:
        emgcramp.find_cramps(x * 1e-6, FS)
    assert [str(w.message)[:60] for w in said] == ["the array: channel 'calf': its rest level, 0.00023 µV, lies "]
    assert "are the samples in µV? Multiply them by the µV per unit (1000 for mV, 1000000 for V" in str(said[0].message)
