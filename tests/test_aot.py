"""Kernels compiled ahead of time: served only when current, equal to Numba's JIT, and free of Numba at run time.

``tests/test_kernels.py`` holds whichever compiled kernels serve to their
plain-Python references; here the ahead-of-time module is held to the JIT
end to end, and to its promise of a lighter process. CI sets
``EMGCRAMP_REQUIRE_AOT=1``: there, a module that failed to build fails the tests
instead of skipping them.
"""

import filecmp
import os
import shutil
import subprocess
import sys

import pytest

import emgcramp
from emgcramp.core import kernels

PKG = os.path.dirname(emgcramp.__file__)
REC = os.path.join(os.path.dirname(__file__), "..", "recordings", "sample_night.edf")


def _need_module():
    import emgcramp.dsp.filters  # noqa: F401  (registers a kernel, which looks the module up)

    if kernels.ahead_of_time() is None:
        if os.environ.get("EMGCRAMP_REQUIRE_AOT") == "1":
            pytest.fail(f"no ahead-of-time kernels named {kernels.module_name()} in {PKG}")
        pytest.skip("kernels not compiled ahead of time here (pip install -e . builds them)")


def _run(args: list[str], jit: bool, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, **{kernels.FORCE_JIT_ENV: "1" if jit else "0"})
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=300,
                          check=True, **kw)


def test_every_module_that_defines_a_kernel_is_listed():
    defining = set()
    for root, _dirs, files in os.walk(PKG):
        for f in files:
            path = os.path.join(root, f)
            if f.endswith(".py") and path != kernels.__file__:
                if "= kernel(" in open(path, encoding="utf-8").read():
                    rel = os.path.relpath(path, os.path.dirname(PKG))[:-3]
                    defining.add(rel.replace(os.sep, "."))
    assert defining == set(kernels.KERNEL_MODULES)


def test_analyze_runs_without_numba_when_the_kernels_were_built():
    _need_module()
    probe = ("import sys; from emgcramp.cli import main; rc = main(['analyze', sys.argv[1], '--no-progress']); "
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'numba', 'llvmlite', 'scipy'}))")
    out = _run(["-c", probe, REC], jit=False)
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert "cramp(s)" in out.stdout
    jit = _run(["-c", probe, REC], jit=True)  # the switch really switches
    assert "'numba'" in jit.stdout.strip().splitlines()[-1]


def test_version_tells_how_the_kernels_run():
    _need_module()
    assert "kernels: compiled ahead of time (emgcramp._kernels_" in _run(["-m", "emgcramp", "--version"], False).stdout
    assert "kernels: Numba's JIT (EMGCRAMP_JIT=1)" in _run(["-m", "emgcramp", "--version"], True).stdout


def test_the_built_kernels_release_the_gil_as_the_jit_ones_do():
    _need_module()
    with open(kernels.ahead_of_time().__file__, "rb") as f:
        binary = f.read()
    # The entry points save the thread state around the native call (numba's nogil wrapper).
    assert b"PyEval_SaveThread" in binary and b"PyEval_RestoreThread" in binary


def test_ahead_of_time_and_jit_give_identical_files(tmp_path):
    _need_module()
    for jit in (False, True):
        d = tmp_path / ("jit" if jit else "aot")
        d.mkdir()
        night = str(d / "night.edf")  # the simulator's renderer, then every detection kernel
        _run(["-m", "emgcramp", "simulate", night, "--hours", "0.25", "--seed", "5"], jit)
        _run(["-m", "emgcramp", "analyze", night, "--events", str(d / "ev.csv"), "--lm-events", str(d / "lm.csv"),
              "--no-progress"], jit)
        _run(["-m", "emgcramp", "analyze", REC, "--events", str(d / "rec.csv"), "--no-progress"], jit)
    for name in ("night.edf", "ev.csv", "lm.csv", "rec.csv"):
        assert filecmp.cmp(tmp_path / "aot" / name, tmp_path / "jit" / name, shallow=False), name
    assert len((tmp_path / "aot" / "ev.csv").read_text().splitlines()) >= 2  # a cramp to compare


def test_an_edited_kernel_source_is_never_served_stale(tmp_path):
    copy = tmp_path / "emgcramp"
    shutil.copytree(PKG, copy, ignore=shutil.ignore_patterns("__pycache__"))  # the built module too
    probe = ("import os; import emgcramp.dsp.filters as f; from emgcramp.core import kernels as k; "
             "print(k.module_name(), k.ahead_of_time() is None, type(f._bins_kernel).__name__, "
             "os.environ.get('NUMBA_CACHE_DIR'))")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env |= {"PYTHONPATH": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache"), kernels.FORCE_JIT_ENV: "0"}

    def look() -> list[str]:
        return subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                              check=True, timeout=120).stdout.split()

    name, _missing, _kind, _cache = look()
    assert name == kernels.module_name()  # the same sources name the same module
    with open(copy / "detect" / "rings.py", "a", encoding="utf-8") as f:
        f.write("\n# an edit to a helper the kernels call (segment.py imports it)\n")
    edited, missing, kind, cache = look()
    assert edited != name and missing == "True" and kind == "CPUDispatcher"
    # Numba's own cache notices edits to the kernel's file only: the JIT gets a cache of its own per version.
    assert cache == str(tmp_path / "cache" / "emgcramp" / "numba" / edited.removeprefix("_kernels_"))
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "mine")
    assert look()[3] == str(tmp_path / "mine")  # a cache the user chose is left alone


def test_the_source_hash_follows_every_import_form_the_package_uses():
    found = kernels._IMPORT.findall("import emgcramp.a.b as y\nfrom emgcramp.detect import rings\n"
                                    "from emgcramp.x import (a,\n    b)\n"
                                    "    from emgcramp.core.trace import T_ENV, N  # c\n")
    assert found == [("emgcramp.a.b", "", "", ""), ("", "emgcramp.detect", "", "rings"),
                     ("", "emgcramp.x", "a,\n    b", ""), ("", "emgcramp.core.trace", "", "T_ENV, N  ")]
    names = {os.path.relpath(f, PKG).replace(os.sep, "/") for f in kernels.source_files()}
    assert {"detect/rings.py", "core/trace.py", "dsp/filters.py", "build.py", "core/kernels.py"} <= names


def test_the_public_entry_points_hand_the_kernels_float64_only():
    """The built kernels check no dtypes: every caller converts, or refuses with a ValueError."""
    import numpy as np

    from emgcramp.core.config import DetectorConfig
    from emgcramp.detect.movements import MovementScorer
    from emgcramp.detect.precramp import PreCrampWatch
    from emgcramp.detect.segment import Segmenter
    from emgcramp.dsp.filters import EmgFilter, sosfilt

    rng = np.random.default_rng(3)
    raw = (rng.normal(0.0, 30.0, (4_000, 2)) * 10).astype(np.int16)  # ADC counts, as a reader might pass them
    a, b = EmgFilter(1000.0, 2).process(raw), EmgFilter(1000.0, 2).process(raw.astype(np.float64))
    np.testing.assert_array_equal(a.ms, b.ms)
    with pytest.raises(ValueError):
        sosfilt(np.ones((1, 6)), np.zeros((10, 2)), np.zeros((2, 1, 2), dtype=np.float32))
    ms = (rng.uniform(1.0, 5.0, 600) ** 2).astype(np.float32)
    ms[300:360] *= 400.0  # a 1.2-s burst at 20 x rest: a leg movement for the trace passes below
    rows_a, trace_a = Segmenter(DetectorConfig(), 50.0).run(ms, np.zeros(600, np.int32), [0] * 600)
    rows_b, trace_b = Segmenter(DetectorConfig(), 50.0).run(ms.astype(float), np.zeros(600), np.zeros(600))
    np.testing.assert_array_equal(trace_a, trace_b)
    found = {}
    for cls in (MovementScorer, PreCrampWatch):
        one, other = cls(50.0, DetectorConfig()), cls(50.0, DetectorConfig())
        found[cls] = one.process(trace_b.astype(np.float32))
        assert found[cls] == other.process(trace_b.astype(np.float32).astype(float))
        assert one._S.tobytes() == other._S.tobytes()
    assert len(found[MovementScorer]) == 1 and 5.5 <= found[MovementScorer][0].onset_s <= 6.5
    for bad in ((ms, np.zeros(599), np.zeros(600)), (ms[:, None], np.zeros((600, 1)), np.zeros((600, 1)))):
        with pytest.raises(ValueError, match="three vectors of one length"):
            Segmenter(DetectorConfig(), 50.0).run(*bad)
    from emgcramp.core.trace import N_TRACE

    with pytest.raises(ValueError, match=f"{N_TRACE} columns per row"):
        MovementScorer(50.0, DetectorConfig()).process(np.zeros((200, N_TRACE + 1)))
    with pytest.raises(ValueError, match="rest_quantile"):  # the kernel indexes its history by it
        Segmenter(DetectorConfig().replace(rest_quantile=1.5), 50.0)
    with pytest.raises(ValueError):  # read-only: the kernel writes the filter state back
        sosfilt(np.ones((1, 6)), np.zeros((10, 1)), np.broadcast_to(np.zeros((1, 1, 2)), (1, 1, 2)))


def test_the_segmenter_has_room_for_every_candidate_a_block_can_close():
    """Episodes close after a merge gap of quiet or at the length guard, whichever comes first."""
    import numpy as np

    from emgcramp.core.config import DetectorConfig
    from emgcramp.detect.segment import Segmenter, segment_bins

    ms = np.r_[np.full(400, 4.0), 4.0 * 1.4 ** np.arange(1, 1500)]  # rest, then a level that climbs for 30 s
    n = len(ms)
    cfg = DetectorConfig().replace(max_duration_s=0.1)  # the length guard, shorter than the merge gap
    rows_py, _ = Segmenter(cfg, 50.0, segment_bins).run(ms, np.zeros(n), np.zeros(n), flush=True)
    rows, _ = Segmenter(cfg, 50.0).run(ms, np.zeros(n), np.zeros(n), flush=True)
    assert len(rows_py) > n // round(cfg.segment.merge_gap_s * 50) + 2  # more than the old sizing allowed
    np.testing.assert_array_equal(rows, rows_py)
