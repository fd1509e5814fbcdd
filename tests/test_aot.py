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


@pytest.mark.long
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


def test_the_stamp_names_the_module_only_while_its_sources_are_unchanged(tmp_path, monkeypatch):
    copy = tmp_path / "emgcramp"
    shutil.copytree(PKG, copy, ignore=shutil.ignore_patterns("__pycache__", "_kernels_*"))
    monkeypatch.setattr(kernels, "_PKG_DIR", str(copy))
    assert kernels._stamped_name() is None  # no stamp: the import walk decides
    kernels.write_stamp(str(copy), kernels.module_name())
    assert kernels._stamped_name() == kernels.module_name()
    with open(copy / "detect" / "rings.py", "a", encoding="utf-8") as f:
        f.write("\n# an edit\n")
    assert kernels._stamped_name() is None and kernels.module_name() != kernels._stamped_name()
    (copy / kernels.STAMP).write_text("{not json")
    assert kernels._stamped_name() is None  # a damaged stamp is no stamp


def test_an_edited_kernel_source_is_never_served_stale(tmp_path):
    copy = tmp_path / "emgcramp"
    shutil.copytree(PKG, copy, ignore=shutil.ignore_patterns("__pycache__"))  # the built module too
    probe = ("import os; import emgcramp.dsp.filters as f; from emgcramp.core import kernels as k; "
             "d = getattr(f._bins_kernel, '__wrapped__', None); "  # the JIT's dispatcher, behind its warning
             "print(k.module_name(), k.ahead_of_time() is None, type(d).__name__, "
             "getattr(getattr(d, '_cache', None), 'cache_path', None))")
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
    assert cache.startswith(str(tmp_path / "cache" / "emgcramp" / "numba" / edited.removeprefix("_kernels_")) + os.sep)
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "mine")
    assert look()[3].startswith(str(tmp_path / "mine") + os.sep)  # a cache the user chose is left alone


def test_the_source_hash_follows_every_import_form():
    """Python's own parse, not a pattern: comments inside parentheses, aliases, relative and nested imports."""
    source = ("import emgcramp.a.b as y\nimport numpy as np\n"
              "from emgcramp.detect.rings import (\n    ring_push,  # why\n    ring_pop,\n)\n"
              "from emgcramp.detect import shape as r\nfrom . import muscles\nfrom ..dsp.mains import hum\n"
              "def f():\n    if True:\n        from emgcramp.core.trace import T_ENV  # c\n")
    found = kernels.imported_modules(source, "emgcramp.detect.segment")
    assert {"emgcramp.a.b", "emgcramp.a", "emgcramp", "emgcramp.detect.rings", "emgcramp.detect.shape",
            "emgcramp.detect.muscles", "emgcramp.dsp.mains", "emgcramp.core.trace"} <= found
    assert not {n for n in found if not n.startswith("emgcramp")}  # numpy is not ours
    assert kernels.imported_modules("from .. import x", "emgcramp") == set()  # above the package: nothing
    names = {os.path.relpath(f, PKG).replace(os.sep, "/") for f in kernels.source_files()}
    assert {"detect/rings.py", "core/trace.py", "dsp/filters.py", "build.py", "core/kernels.py"} <= names
    # Imports that never run with a kernel do not count: those under TYPE_CHECKING, and the package root's
    # lazy API (its __getattr__), so editing the API or what it uses does not send the kernels back to the JIT.
    typed = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from emgcramp.api import Result\n"
    assert kernels.imported_modules(typed, "emgcramp.x") == set()
    lazy = "def __getattr__(name):\n    import emgcramp.api\n"
    assert kernels.imported_modules(lazy, "emgcramp", True, body_only=True) == set()
    assert "emgcramp.api" in kernels.imported_modules(lazy, "emgcramp", True)
    assert not {n for n in names if n.startswith(("api/", "io/", "viz/", "live/", "files"))}


def test_an_edit_behind_any_import_form_renames_the_module(tmp_path, monkeypatch):
    """A module imported in parentheses with a comment, or under an alias, is part of the hash."""
    files = {"__init__.py": "", "detect/__init__.py": "", "detect/muscles.py": "",
             "detect/rings.py": "from . import muscles\n", "detect/shape.py": "",
             "build.py": ("def build():\n    from emgcramp.detect.rings import (\n        ring_push,  # why\n"
                          "    )\n    from emgcramp.detect import shape as r\n")}
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    monkeypatch.setattr(kernels, "_PKG_DIR", str(tmp_path))
    assert {os.path.relpath(f, tmp_path).replace(os.sep, "/") for f in kernels.source_files()} == set(files)
    before = kernels.module_name()
    for rel in ("detect/shape.py", "detect/muscles.py"):
        (tmp_path / rel).write_text("X = 1\n", encoding="utf-8")
        assert kernels.module_name() != before, rel
        before = kernels.module_name()


def _without_built_kernels(tmp_path) -> dict[str, str]:
    """The environment of a process that imports a copy of the package without its built module."""
    shutil.copytree(PKG, tmp_path / "emgcramp", ignore=shutil.ignore_patterns("__pycache__", "_kernels_*"))
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", kernels.FORCE_JIT_ENV)}
    return env | {"PYTHONPATH": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")}


@pytest.mark.long
def test_the_jit_fallback_says_so_once_at_the_first_kernel_call(tmp_path):
    env = _without_built_kernels(tmp_path)
    call = "sosfilt(np.ones((1, 6)), np.zeros((8, 1)), np.zeros((1, 1, 2)))"
    probe = ("import sys; import numpy as np; from emgcramp.dsp.filters import EmgFilter, sosfilt; "
             f"print('imported', file=sys.stderr, flush=True); {call}; {call}; "
             "EmgFilter(1000.0, 1).process(np.zeros((400, 1)))")  # a second kernel: still one line

    def said(extra: dict[str, str], *args: str) -> list[str]:
        err = subprocess.run([sys.executable, *(args or ("-c", probe))], env=env | extra, capture_output=True,
                             text=True, check=True, timeout=300).stderr.splitlines()
        return [line for line in err if line.startswith(("emgcramp:", "imported"))]

    name = subprocess.run([sys.executable, "-c", "from emgcramp.core import kernels; print(kernels.module_name())"],
                          env=env, capture_output=True, text=True, check=True).stdout.strip()
    warning = (f"emgcramp: kernels not compiled ahead of time (no {name} module for these sources); "
               "Numba compiles them on first use, which takes a few seconds")
    assert said({}) == ["imported", warning]  # at the first call, not at import, and once for all kernels
    assert said({kernels.FORCE_JIT_ENV: "1"}) == ["imported"]  # asked for: nothing to say
    assert said({}, "-m", "emgcramp", "--help") == []
    (tmp_path / "emgcramp" / kernels.BUILD_FAILED).write_text("CompileError: no C compiler\n", encoding="utf-8")
    assert "(the build failed: CompileError: no C compiler);" in said({})[1]


def test_a_failed_build_is_recorded_for_the_run_time(tmp_path, monkeypatch, capsys):
    from emgcramp import build

    def fails(out_dir):
        raise RuntimeError("no C compiler\nfound")

    monkeypatch.setattr(build, "build_kernels", fails)
    marker = tmp_path / kernels.BUILD_FAILED
    assert build.build_or_record(str(tmp_path)) == [str(marker)]  # installed with the package
    assert marker.read_text(encoding="utf-8") == "RuntimeError: no C compiler found\n"
    assert capsys.readouterr().err.startswith("emgcramp: kernels not compiled ahead of time (RuntimeError: no C")
    monkeypatch.setattr(kernels, "_PKG_DIR", str(tmp_path))
    assert kernels.fallback_reason() == "the build failed: RuntimeError: no C compiler found"
    monkeypatch.setattr(build, "build_kernels", lambda out_dir: os.path.join(out_dir, "_kernels_x.so"))
    assert build.build_or_record(str(tmp_path)) == [str(tmp_path / "_kernels_x.so"), str(tmp_path / kernels.STAMP)]
    assert not marker.exists()  # a build that worked leaves no old reason behind


@pytest.mark.parametrize("numba_first", [False, True])
def test_the_jit_leaves_the_environment_alone(tmp_path, numba_first):
    """The kernels' own cache folder goes through Numba's setting, for their dispatchers alone."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env |= {"XDG_CACHE_HOME": str(tmp_path / "cache"), kernels.FORCE_JIT_ENV: "1"}
    probe = ("import os, numpy as np; before = dict(os.environ); "
             + ("import numba; " if numba_first else "")  # the user's own Numba first: still in time
             + "from emgcramp.core import kernels; from emgcramp.dsp.filters import _sosfilt_kernel, sosfilt; "
             "sosfilt(np.ones((1, 6)), np.zeros((8, 1)), np.zeros((1, 1, 2))); from numba.core import config; "
             "print(dict(os.environ) == before, repr(config.CACHE_DIR), kernels.module_name(), "
             "_sosfilt_kernel._cache.cache_path)")
    same, setting, name, cache = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                                                text=True, check=True, timeout=300).stdout.split()
    assert same == "True" and setting == "''"  # neither the environment nor Numba's setting kept
    folder = tmp_path / "cache" / "emgcramp" / "numba" / name.removeprefix("_kernels_")
    assert cache.startswith(str(folder) + os.sep) and any(f.endswith(".nbi") for f in os.listdir(cache))


@pytest.mark.filterwarnings("ignore::numba.core.errors.NumbaPendingDeprecationWarning")  # numba.pycc's own
def test_the_numba_internal_the_build_patches_is_still_there(monkeypatch):
    """numba.pycc has no option to release the GIL; the build patches its flags (see emgcramp.build)."""
    from emgcramp import build

    compiler = build.pycc_compiler()  # raises, saying what is gone, on a Numba that changed
    original = compiler.Flags
    with build._pycc_releasing_the_gil():
        assert compiler.Flags().release_gil
    assert compiler.Flags is original and not compiler.Flags().release_gil  # for the build's compile only
    monkeypatch.delattr(compiler, "Flags")
    with pytest.raises(RuntimeError, match=r"numba .* has no numba.pycc.compiler.Flags with a release_gil option"):
        build.pycc_compiler()


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
    for bad in ((ms, np.zeros(599), np.zeros(600)), (ms[:, None], np.zeros((600, 1)), np.zeros((600, 1))),
                (ms, np.zeros(600), np.zeros(600), False, np.zeros(601))):
        with pytest.raises(ValueError, match="four vectors of one length"):
            Segmenter(DetectorConfig(), 50.0).run(*bad)
    from emgcramp.core.trace import N_TRACE

    with pytest.raises(ValueError, match=f"{N_TRACE} columns per row"):
        MovementScorer(50.0, DetectorConfig()).process(np.zeros((200, N_TRACE + 1)))
    with pytest.raises(ValueError, match="rest_quantile"):  # the kernel indexes its history by it
        Segmenter(DetectorConfig().replace(rest_quantile=1.5), 50.0)
    with pytest.raises(ValueError):  # read-only: the kernel writes the filter state back
        sosfilt(np.ones((1, 6)), np.zeros((10, 1)), np.broadcast_to(np.zeros((1, 1, 2)), (1, 1, 2)))


def test_the_segmenter_has_room_for_every_candidate_a_block_can_close():
    """Episodes close after a merge gap of quiet or at the length guard, whichever comes first.

    The guard counts from an episode's start, which may be the bin that closed the episode before:
    with every level over ON and a guard of two bins, an episode closes on each bin.
    """
    import numpy as np

    from emgcramp.core.config import DetectorConfig
    from emgcramp.detect.segment import Segmenter, new_rows, segment_bins

    every_level_on = dict(on_ratio=1.0, on_delta_uv=0.0, edge_ratio=1.0, edge_delta_uv=0.0, off_ratio=1.0,
                          off_delta_uv=0.0, sustain_fraction=0.0, warmup_s=1.0)
    cases = [  # rest, then a level that climbs; settings; the bins per close an older sizing assumed
        (np.r_[np.full(400, 4.0), 4.0 * 1.4 ** np.arange(1, 1500)],  # 30 s of climb, a guard shorter than the gap
         DetectorConfig().replace(max_duration_s=0.1), round(DetectorConfig().segment.merge_gap_s * 50)),
        (np.r_[np.full(200, 16.0), 16.0 * 1.05 ** np.arange(1, 401)],  # 8 s of climb, a guard of two bins
         DetectorConfig().replace(max_duration_s=0.04, **every_level_on), 2),  # one close per guard length
    ]
    for ms, cfg, assumed_bins in cases:
        n = len(ms)
        rows_py, _ = Segmenter(cfg, 50.0, segment_bins).run(ms, np.zeros(n), np.zeros(n), flush=True)
        rows, _ = Segmenter(cfg, 50.0).run(ms, np.zeros(n), np.zeros(n), flush=True)
        assert n // assumed_bins + 2 < len(rows_py) <= len(new_rows(Segmenter(cfg, 50.0).params, n))
        np.testing.assert_array_equal(rows, rows_py)
