"""WFDB records (PhysioNet) through wfdb's own writer and reader: units, rate, episodes as from EDF."""

import numpy as np
import pytest
from conftest import bursts, run_cli

wfdb = pytest.importorskip("wfdb")

FS = 1000.0


def _write_record(folder, x_uv: np.ndarray, unit: str = "mV", name: str = "night") -> str:
    scale = {"mV": 1e-3, "uV": 1.0}[unit]
    wfdb.wrsamp(name, fs=FS, units=[unit, unit], sig_name=["GM", "TA"], p_signal=np.column_stack(
        [x_uv * scale, x_uv[::-1] * 0.1 * scale]), fmt=["16", "16"], adc_gain=None, write_dir=str(folder))
    return str(folder / f"{name}.hea")


def test_a_wfdb_record_reads_in_microvolts_in_chunks(tmp_path):
    from emgcramp.io import open_recording

    x = bursts(FS, 40, 4.0, [(10, 20, 300)])
    hea = _write_record(tmp_path, x)
    with open_recording(hea) as rec:
        assert rec.fs == FS and rec.channel_names == ["GM", "TA"] and rec.n_samples == len(x)
        y = np.concatenate([b.samples[:, 0] for b in rec.blocks([0], 7_001)])
    np.testing.assert_allclose(y, x, atol=np.abs(x).max() / 2 ** 14)  # 16-bit storage


def test_analyze_finds_the_same_episodes_in_wfdb_as_in_edf(tmp_path):
    from emgcramp.io.edf import write_edf

    x = bursts(FS, 150, 4.0, [(40, 110, 300)])
    hea = _write_record(tmp_path, x)
    write_edf(str(tmp_path / "same.edf"), FS, ["GM"], [x[:, None]], [])
    out = {}
    for path in (hea, str(tmp_path / "same.edf")):
        rc, text, err = run_cli("analyze", path, "--json", "--channel", "GM")
        assert rc == 0, err
        out[path] = text
    import json

    wf, edf = (json.loads(out[p]) for p in (hea, str(tmp_path / "same.edf")))
    assert wf["n_episodes"] == edf["n_episodes"] == 1
    assert wf["total_cramp_s"] == pytest.approx(edf["total_cramp_s"], abs=0.1)


def test_naming_the_signal_file_points_at_the_header(tmp_path):
    """It was "not a recording: expected columns of numbers (CSV/TSV/text), found text at line 1"."""
    from conftest import run_main

    hea = _write_record(tmp_path, bursts(FS, 10, 4.0, []))
    rc, _, err = run_main("analyze", hea[:-4] + ".dat")
    assert rc == 2 and err.strip().endswith(f"a WFDB record's signal file; give its header, {hea}")
    rows = np.random.default_rng(0).normal(0, 10, (3000, 2))  # a table of numbers named .dat is still read as one
    (tmp_path / "table.dat").write_text("".join(f"{a:.2f},{b:.2f}\n" for a, b in rows))
    (tmp_path / "table.hea").write_text("not read\n")
    assert run_main("analyze", tmp_path / "table.dat", "--fs", "1000")[0] == 0


def test_a_channel_that_is_not_a_voltage_is_refused_by_name(tmp_path):
    wfdb.wrsamp("odd", fs=FS, units=["degC"], sig_name=["temp"], p_signal=np.full((5000, 1), 36.6),
                fmt=["16"], write_dir=str(tmp_path))
    rc, _, err = run_cli("analyze", str(tmp_path / "odd.hea"))
    assert rc == 2 and "'temp' is in 'degC', not a voltage" in err and err.count("\n") == 1


def test_without_the_extra_the_error_names_it(tmp_path):
    import subprocess
    import sys

    hea = _write_record(tmp_path, np.zeros(5000))
    code = ("import sys\nsys.modules['wfdb'] = None  # as if not installed\n"
            "from emgcramp.cli import main\nsys.exit(main(['analyze', sys.argv[1]]))")
    run = subprocess.run([sys.executable, "-c", code, hea], capture_output=True, text=True)
    assert run.returncode == 2 and run.stderr.strip() == (
        "emgcramp: error: reading WFDB records needs the wfdb extra: pip install 'emgcramp[wfdb]'")
