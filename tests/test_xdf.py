"""XDF files through the real pyxdf; the files are written here by a minimal XDF 1.0 writer."""

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
