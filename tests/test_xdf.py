"""XDF files through the real pyxdf; the files are written here by a minimal XDF 1.0 writer."""

import os
import struct

import numpy as np
import pytest
from conftest import bursts, run_cli

pytest.importorskip("pyxdf")

FS = 500.0


def _chunk(tag: int, content: bytes) -> bytes:
    body = struct.pack("<H", tag) + content
    return struct.pack("<BI", 4, len(body)) + body


def _varlen(n: int) -> bytes:
    return struct.pack("<BI", 4, n)


def write_xdf(path, streams: list[tuple[str, str, list[str], np.ndarray, np.ndarray]]) -> None:
    """``streams``: (name, unit, labels, samples × channels, timestamps s) each, float32 samples."""
    out = [b"XDF:", _chunk(1, b'<?xml version="1.0"?><info><version>1.0</version></info>')]
    for sid, (name, unit, labels, x, ts) in enumerate(streams, 1):
        chans = "".join(f"<channel><label>{lab}</label><unit>{unit}</unit></channel>" for lab in labels)
        header = (f'<?xml version="1.0"?><info><name>{name}</name><type>EMG</type><channel_count>{len(labels)}'
                  f"</channel_count><nominal_srate>{FS}</nominal_srate><channel_format>float32</channel_format>"
                  f"<created_at>0</created_at><desc><channels>{chans}</channels></desc></info>")
        out.append(_chunk(2, struct.pack("<I", sid) + header.encode()))
        for a in range(0, len(x), 1000):
            rows = b"".join(b"\x08" + struct.pack("<d", t) + np.asarray(r, "<f4").tobytes()
                            for r, t in zip(x[a:a + 1000], ts[a:a + 1000]))
            out.append(_chunk(3, struct.pack("<I", sid) + _varlen(len(x[a:a + 1000])) + rows))
        footer = (f'<?xml version="1.0"?><info><first_timestamp>{ts[0]}</first_timestamp><last_timestamp>{ts[-1]}'
                  f"</last_timestamp><sample_count>{len(x)}</sample_count></info>")
        out.append(_chunk(6, struct.pack("<I", sid) + footer.encode()))
    with open(path, "wb") as f:
        f.write(b"".join(out))


def test_an_xdf_stream_reads_by_name_in_microvolts_with_a_pause_as_a_gap(tmp_path):
    from emgcramp.io import open_recording

    n = 6000
    ts = 100.0 + np.arange(n) / FS
    ts[3000:] += 2.0  # the sender paused for 2 s
    x = np.column_stack([np.sin(np.arange(n) / 10.0), np.cos(np.arange(n) / 10.0)]) * 0.05  # mV
    markers = np.zeros((10, 1))
    write_xdf(tmp_path / "s.xdf", [("Markers", "mV", ["m"], markers, 100.0 + np.arange(10.0)),
                                   ("calf", "millivolts", ["GM", "TA"], x, ts)])
    with open_recording(str(tmp_path / "s.xdf"), stream="calf") as rec:
        assert rec.fs == FS and rec.channel_names == ["GM", "TA"] and rec.n_samples == n
        blocks = list(rec.blocks([1], 2500))
    y = np.concatenate([b.samples[:, 0] for b in blocks])
    np.testing.assert_allclose(y, x[:, 1] * 1000.0, atol=1e-3)  # mV -> µV, float32 storage
    gaps = [b for b in blocks if b.gap_before]
    assert len(gaps) == 1 and gaps[0].t0_sample == pytest.approx(3000 + 2.0 * FS, abs=2)
    assert gaps[0].gap_before == pytest.approx(2.0 * FS, abs=2)  # the samples the pause held, not a flag


def test_analyze_an_xdf_stream_finds_the_cramp_an_edf_of_it_holds(tmp_path):
    from emgcramp.io.edf import write_edf

    x = bursts(FS, 150, 4.0, [(40, 110, 300)])  # a cramp that holds for 70 s: the cramp tier
    write_xdf(tmp_path / "night.xdf", [("calf", "microvolts", ["GM"], x[:, None], np.arange(len(x)) / FS)])
    write_edf(str(tmp_path / "night.edf"), FS, ["GM"], [x[:, None]], [])
    import json

    got = {}
    for name in ("night.xdf", "night.edf"):
        rc, out, err = run_cli("analyze", str(tmp_path / name), "--json")
        assert rc == 0, err
        got[name] = json.loads(out)
    assert got["night.xdf"]["n_episodes"] == got["night.edf"]["n_episodes"] == 1
    assert got["night.xdf"]["total_cramp_s"] == pytest.approx(got["night.edf"]["total_cramp_s"], abs=0.1)


def test_two_streams_and_no_choice_is_one_line_naming_them(tmp_path):
    x = np.zeros((1000, 1))
    write_xdf(tmp_path / "two.xdf", [("left", "uV", ["a"], x, np.arange(1000) / FS),
                                     ("right", "uV", ["b"], x, np.arange(1000) / FS)])
    rc, _, err = run_cli("analyze", str(tmp_path / "two.xdf"))
    assert rc == 2 and "pick one with --stream NAME (left, right)" in err and err.count("\n") == 1


PRE_S, PAUSE_S, HELD_S, CRAMP_S = 30.0, 100.0, 150.0, (70.0, 140.0)  # s of signal; the cramp is after the pause


def _paused_xdf(path) -> None:
    """150 s of calf EMG whose sender paused for 100 s after 30 s; a 70-s cramp at 70 s of signal (170 s real)."""
    x = bursts(FS, HELD_S, 4.0, [(*CRAMP_S, 300)])
    ts = np.arange(len(x)) / FS
    ts[int(PRE_S * FS):] += PAUSE_S
    write_xdf(path, [("calf", "microvolts", ["GM"], x[:, None], ts)])


def _edf_span_and_notes(path) -> tuple[float, list[tuple[float, float, str]]]:
    """Length (s) and annotations of an EDF, through the project's reader and, where installed, MNE's."""
    from emgcramp.io.edf import EdfRecording

    rec = EdfRecording(str(path))
    try:
        span, notes = rec.n_samples / rec.fs, rec.annotations()
        zeros = np.concatenate([b.samples[:, 0] for b in rec.blocks([0], int(FS))])[
            int((PRE_S + 1) * FS):int((PRE_S + PAUSE_S - 1) * FS)]
    finally:
        rec.close()
    assert np.abs(zeros).max() < 0.25  # zeros to one EDF step (0.24 µV), not the 4-µV rest after the pause
    try:
        import mne
    except ImportError:
        return span, notes
    raw = mne.io.read_raw_edf(str(path), verbose="error")
    assert raw.n_times / raw.info["sfreq"] == pytest.approx(span)
    assert [(round(a["onset"], 3), round(a["duration"], 3), a["description"]) for a in raw.annotations] == \
        [(round(o, 3), round(d, 3), t) for o, d, t in sorted(notes)]
    return span, notes


def test_analyze_edf_out_writes_a_pause_in_an_xdf_stream_as_a_gap_of_its_length(tmp_path):
    _paused_xdf(tmp_path / "gap.xdf")
    rc, out, err = run_cli("analyze", tmp_path / "gap.xdf", "--edf-out", tmp_path / "gap.edf")
    assert rc == 0, err
    span, notes = _edf_span_and_notes(tmp_path / "gap.edf")
    assert span == pytest.approx(HELD_S + PAUSE_S)  # 250 s, the real span, not the 150 s held
    assert [(o, d) for o, d, t in notes if t == "gap:no signal"] == [(PRE_S, PAUSE_S)]
    [cramp] = [(o, d) for o, d, t in notes if t.startswith("cramp:")]
    assert cramp == pytest.approx((CRAMP_S[0] + PAUSE_S, CRAMP_S[1] - CRAMP_S[0]), abs=1.0)


def test_monitor_keeps_the_length_of_an_xdf_pause_and_recover_and_analyze_write_it_alike(tmp_path):
    from emgcramp.io.night_reader import read_events

    _paused_xdf(tmp_path / "gap.xdf")
    rc, out, err = run_cli("monitor", "--replay", tmp_path / "gap.xdf", "--speed", "0", "--out", tmp_path)
    assert rc == 0, err
    [folder] = [tmp_path / d for d in os.listdir(tmp_path) if d == "replay-gap"]  # an XDF holds no wall-clock start
    events = read_events(str(folder))
    assert [e["missing"] for e in events if e["type"] == "gap"] == [int(PAUSE_S * FS)]
    assert [round(e["onset_s"]) for e in events if e["type"] == "cramp"] == [CRAMP_S[0] + PAUSE_S]
    got = {}
    for cmd, out_opt in (("recover", "--edf"), ("analyze", "--edf-out")):
        rc, out, err = run_cli(cmd, folder, out_opt, tmp_path / f"{cmd}.edf")
        assert rc == 0, err
        span, notes = _edf_span_and_notes(tmp_path / f"{cmd}.edf")
        got[cmd] = span, [(o, d) for o, d, t in notes if t == "gap:no signal"]
    assert got["recover"] == got["analyze"] == (pytest.approx(HELD_S + PAUSE_S), [(PRE_S, PAUSE_S)])


def test_edf_out_of_one_stream_of_several_is_that_stream(tmp_path):
    """--edf-out opened the file again without --stream, and failed on the streams it had been told about."""
    x = bursts(FS, 60, 4.0, [(20, 40, 300)])
    write_xdf(tmp_path / "two.xdf", [("Markers", "mV", ["m"], np.zeros((10, 1)), np.arange(10.0)),
                                     ("calf", "microvolts", ["GM"], x[:, None], np.arange(len(x)) / FS)])
    rc, out, err = run_cli("analyze", tmp_path / "two.xdf", "--stream", "calf", "--edf-out", tmp_path / "two.edf")
    assert rc == 0, err
    from emgcramp.io.edf import EdfRecording

    rec = EdfRecording(str(tmp_path / "two.edf"))
    try:
        assert rec.channel_names == ["GM"] and rec.n_samples == len(x)
    finally:
        rec.close()
