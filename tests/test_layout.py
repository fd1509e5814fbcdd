"""The package's shape: every import points down the stages, and light parts stay light.

The layers are those of docs/architecture.md. Imports inside functions count
as much as those at the top: a deferred import is still a dependency.
"""

import ast
import os
import subprocess
import sys

import pytest

import emgcramp

PKG = os.path.dirname(emgcramp.__file__)

# What each part may import from the package (besides itself). Read top to bottom: each part
# sits on those before it; nothing below reaches up.
ALLOWED = {
    "core": set(),
    "workers": set(),  # process pools that end with their caller (analyze FOLDER, bench accuracy)
    "dsp": {"core"},
    "detect": {"core", "dsp"},
    "pipeline": {"core", "dsp", "detect"},
    "runner": {"core", "pipeline"},
    "io": {"core"},
    "sim": {"core"},
    "files": {"core", "io", "detect", "pipeline", "runner"},
    "live": {"core", "dsp", "detect", "io", "pipeline", "runner", "sim"},
    "eval": {"core", "dsp", "detect", "pipeline", "runner", "live", "sim", "workers"},
    "viz": {"core", "dsp", "io", "pipeline"},
    "api": {"core", "io", "pipeline", "runner", "files", "live", "viz"},
    "review": {"core", "io", "pipeline", "runner", "files", "viz"},
    "cli": {"core", "dsp", "detect", "pipeline", "runner", "io", "sim", "files", "live", "eval", "viz", "review",
            "workers"},
    "build": {"core"},  # and the kernel modules, imported by name from core.kernels.KERNEL_MODULES
}
TOP_LEVEL = {"__init__", "__main__"}


def _modules() -> dict[str, str]:
    """Dotted module name → file, for every module of the package."""
    out = {}
    for root, _dirs, files in os.walk(PKG):
        for f in files:
            if f.endswith(".py"):
                rel = os.path.relpath(os.path.join(root, f), os.path.dirname(PKG))[:-3].replace(os.sep, ".")
                out[rel.removesuffix(".__init__")] = os.path.join(root, f)
    return out


def _imports(path: str, name: str) -> set[str]:
    """Every emgcramp module ``path`` imports, at any depth of its code."""
    found = set()
    for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("emgcramp")}
        elif isinstance(node, ast.ImportFrom):
            assert not node.level, f"{name}: relative import (the package imports by full name)"
            if (node.module or "").startswith("emgcramp"):
                found.add(node.module)
                found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {m: {i for i in _imports(p, m) if i in mods and i != m} for m, p in mods.items()}


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_module_belongs_to_a_known_part():
    parts = {_part(m) for m in _modules()} - TOP_LEVEL - {"__init__"}
    assert parts <= set(ALLOWED), parts - set(ALLOWED)


def test_imports_point_down_the_stages():
    graph = _graph()
    # The root holds the version, and the API's names imported at their first use: anyone may import it
    assert graph["emgcramp"] == {"emgcramp.api"}
    wrong = sorted(f"{m} -> {i}" for m, deps in graph.items() for i in deps - {"emgcramp"}
                   if _part(m) not in TOP_LEVEL and _part(i) != _part(m) and _part(i) not in ALLOWED[_part(m)])
    assert not wrong, wrong


def test_no_import_cycles():
    graph, state, cycles = _graph(), {}, []

    def visit(m, stack):
        state[m] = "open"
        for i in sorted(graph[m]):
            if state.get(i) == "open":
                cycles.append(stack[stack.index(i):] + [i])
            elif i not in state:
                visit(i, stack + [i])
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert not cycles, cycles


def test_the_allowed_table_itself_has_no_cycle():
    order = list(ALLOWED)  # written bottom-up: each part may only name parts before it
    for k, part in enumerate(order):
        assert ALLOWED[part] <= set(order[:k]), part


_LOADED = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(" ".join(sorted({m.split(".")[0] for m in sys.modules} & {"numba", "scipy", "llvmlite", "matplotlib"})))
"""


def test_readers_writers_and_trend_load_neither_numba_nor_scipy():
    light = [m for m in _modules() if _part(m) in ("core", "io")] + ["emgcramp.viz.trend", "emgcramp.viz.nights", "emgcramp.cli"]
    out = subprocess.run([sys.executable, "-c", _LOADED, *light], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("argv", [["--help"], ["analyze", "--help"], ["trend", "NIGHTS", "--json"]])
def test_light_commands_import_neither_numba_nor_scipy(argv, tmp_path):
    if "NIGHTS" in argv:
        from emgcramp.core.types import Episode
        from emgcramp.io.events import write_events_csv

        write_events_csv(str(tmp_path / "night.csv"), [Episode(60.0, 120.0, 60.0, "tonic", 90.0, 70.0, 5.0)])
        argv = [str(tmp_path) if a == "NIGHTS" else a for a in argv]
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "emgcramp", *argv], capture_output=True,
                         text=True, timeout=60)
    loaded = {line.split("|")[-1].strip().split(".")[0] for line in run.stderr.splitlines()
              if line.startswith("import time:")}
    assert not loaded & {"numba", "scipy", "llvmlite"}, argv
    assert run.returncode == 0, run.stderr[-500:]


@pytest.mark.parametrize("argv", [["--help"], ["analyze", "--help"]])
def test_help_reads_the_format_table_without_a_reader_or_numpy(argv):
    # analyze --help lists the formats from emgcramp.io.FORMATS: the table, not the readers behind it
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "emgcramp", *argv], capture_output=True,
                         text=True, timeout=60)
    loaded = {line.split("|")[-1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")}
    assert "emgcramp.io" in loaded and run.returncode == 0, run.stderr[-500:]
    assert sorted(m for m in loaded if m.startswith("emgcramp.io.") or m.split(".")[0] == "numpy") == []


def _code_lines(fn: ast.FunctionDef) -> int:
    """Lines of a function after its docstring."""
    first = fn.body[0]
    docstring = isinstance(first, ast.Expr) and isinstance(getattr(first.value, "value", None), str)
    start = first.end_lineno + 1 if docstring and len(fn.body) > 1 else first.lineno
    return fn.end_lineno - start + 1


# Kept whole on purpose, with the measurement that says why beside it in the code.
LONG_ON_PURPOSE = {"emgcramp.detect.segment.segment_bins"}  # split into helpers, 4x slower under Numba
# Each generator family is one self-contained module that shares no code with the package or with the
# other families (so a detector can be scored on nights it was not made with): long by design.
SELF_CONTAINED = ("emgcramp.sim.families.",)


def test_modules_and_functions_stay_small():
    big_modules, big_functions = [], []
    for name, path in _modules().items():
        if name.startswith(SELF_CONTAINED):
            continue
        text = open(path, encoding="utf-8").read()
        if len(text.splitlines()) > 320:
            big_modules.append(name)
        big_functions += [f"{name}.{n.name}" for n in ast.walk(ast.parse(text))
                          if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and _code_lines(n) > 60]
    assert not big_modules and set(big_functions) == LONG_ON_PURPOSE, (big_modules, big_functions)
