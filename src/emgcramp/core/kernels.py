"""Numba kernels: compiled ahead of time when the package was built, else by Numba on first use.

Every kernel is a plain Python function (the reference the tests run it
against) that its module hands to :func:`kernel` with its signature. The
package build (``setup.py``, :mod:`emgcramp.build`) compiles them all with
Numba's ahead-of-time compiler (``numba.pycc``) into one extension module
named after a hash of the kernels' sources. At run time that module is used
when it was built from these very sources; otherwise (no C compiler at
install, a kernel edited since, or ``EMGCRAMP_JIT=1``) each kernel is
``numba.njit(cache=True)`` as before. Unless the user asked for the JIT,
the first call of a kernel says so in one line on stderr, once per process,
with the reason (the build's own, recorded beside the package, when it
failed: pip hides what a build prints).

Why ahead of time: loading Numba and LLVM to run cached kernels costs
~0.4 s of start-up and ~120 MB of resident memory (measured, bench/RESULTS.md),
far more than the work on a one-hour file; the extension module needs
neither. Its entry points release the GIL, as the JIT kernels do
(``nogil=True``), but check no types: a wrong dtype is undefined behaviour,
not a TypeError, so the callers pass arrays they made themselves.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import importlib
import json
import os
import sys
import threading
from collections.abc import Callable, Iterator

# The modules that define kernels; the build imports them to find every kernel.
KERNEL_MODULES = ("emgcramp.dsp.filters", "emgcramp.dsp.samples", "emgcramp.detect.segment",
                  "emgcramp.detect.movements", "emgcramp.detect.precramp", "emgcramp.sim.motor_units")
FORCE_JIT_ENV = "EMGCRAMP_JIT"  # set to 1: ignore the ahead-of-time module
BUILD_FAILED = "_kernels_build_failed.txt"  # beside the package: why the last build made no module

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_helpers: list[tuple[Callable, str]] = []  # (function, Numba inline option)
_kernels: dict[str, tuple[Callable, Callable]] = {}  # name → (plain function, signature factory)
_jitted: dict[str, Callable] = {}
_jit_lock = threading.Lock()  # one thread at a time makes dispatchers (Numba's cache setting is global) or warns
_warned = threading.Event()  # the fallback warning was printed


def helper(fn: Callable | None = None, *, inline: str = "never"):
    """Mark a function that kernels call: compiled into them, plain Python otherwise."""
    def mark(f: Callable) -> Callable:
        _helpers.append((f, inline))
        return f
    return mark(fn) if fn is not None else mark


def kernel(fn: Callable, signature: Callable) -> Callable:
    """``fn`` compiled: from the ahead-of-time module when current, else Numba's JIT.

    ``signature`` returns the Numba signature (called only by the build, so that
    Numba is not imported here when the ahead-of-time module serves).
    """
    _kernels[fn.__name__] = (fn, signature)
    aot = ahead_of_time()
    if aot is not None and hasattr(aot, fn.__name__):
        return getattr(aot, fn.__name__)
    if forced_jit():
        return jit(fn)
    return _warning_on_first_call(jit(fn))


def forced_jit() -> bool:
    """Whether the user asked for Numba's JIT (``EMGCRAMP_JIT=1``)."""
    return os.environ.get(FORCE_JIT_ENV, "") not in ("", "0")


def _warning_on_first_call(compiled: Callable) -> Callable:
    """``compiled``, behind a call that first warns of the fallback (once per process, for all kernels).

    At the first call rather than at import: importing a module is no promise
    to run a kernel, and the wait the warning explains comes with the call.
    The JIT's dispatcher stays reachable as ``__wrapped__``.
    """
    def call(*args, **kwargs):
        if not _warned.is_set():
            warn_jit_fallback()
        return compiled(*args, **kwargs)

    return functools.update_wrapper(call, compiled, updated=())


def warn_jit_fallback() -> None:
    """Say once per process, on stderr, that Numba compiles the kernels, and why."""
    with _jit_lock:  # two threads calling their first kernels at once still print one line
        if _warned.is_set():
            return
        _warned.set()
    print(f"emgcramp: kernels not compiled ahead of time ({fallback_reason()}); "
          "Numba compiles them on first use, which takes a few seconds", file=sys.stderr, flush=True)


def fallback_reason() -> str:
    """Why no ahead-of-time module serves: the last build's failure, if it recorded one."""
    try:
        with open(os.path.join(_PKG_DIR, BUILD_FAILED), encoding="utf-8") as f:
            return f"the build failed: {f.readline().strip()}"
    except OSError:
        return f"no {module_name()} module for these sources"


def jit(fn: Callable) -> Callable:
    """``fn`` through ``numba.njit(cache=True, nogil=True)``, its cache kept apart for each version of the sources."""
    with _jit_lock:
        if fn.__name__ not in _jitted:
            from numba import njit
            from numba.extending import register_jitable

            while _helpers:  # registered once each, just before the first kernel needs them
                f, inline = _helpers.pop()
                register_jitable(inline=inline)(f)
            with _cache_per_source():
                _jitted[fn.__name__] = njit(cache=True, nogil=True)(fn)
    return _jitted[fn.__name__]


@contextlib.contextmanager
def _cache_per_source() -> Iterator[None]:
    """Numba's cache folder named after the kernels' sources, while a kernel's dispatcher is made.

    Numba's cache notices edits to the file of the function it compiled, not
    to the helpers and constants it took from other files; a folder per
    version of all of them cannot serve a kernel compiled from other sources.

    Numba picks a function's cache folder once, when its dispatcher is made,
    from ``numba.core.config.CACHE_DIR`` (what ``NUMBA_CACHE_DIR`` sets, and
    the setting Numba expects to be changed in its ``config`` module). So the
    folder is set there for that moment only and put back: no environment
    variable, nothing for other Numba functions of the process (unless another
    thread makes one in that very moment: it would share the folder, keyed by
    its own file, which is harmless), and it works even when Numba was
    imported first. A folder the user chose
    (``NUMBA_CACHE_DIR``, or the setting made by hand) is left alone; one
    that cannot be written makes Numba fall back to its usual places.
    """
    from numba.core import config

    if config.CACHE_DIR:
        yield
        return
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    config.CACHE_DIR = os.path.join(base, "emgcramp", "numba", module_name().removeprefix("_kernels_"))
    try:
        yield
    finally:
        config.CACHE_DIR = ""


def registered() -> dict[str, tuple[Callable, Callable]]:
    """Every kernel registered so far: name → (plain function, signature factory)."""
    return dict(_kernels)


def source_files() -> list[str]:
    """The files the kernels are made of: their modules, every package module those import, and the build."""
    todo = [*KERNEL_MODULES, "emgcramp.build"]
    seen: dict[str, str] = {}
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = _module_file(name)
        if path is None:
            continue
        seen[name] = path
        with open(path, encoding="utf-8") as f:
            # The package root's functions run only when a name is asked of it (the Python API, loaded at
            # its first use): importing a kernel runs the root's body, never those.
            todo += sorted(imported_modules(f.read(), name, path.endswith("__init__.py"), name == "emgcramp"))
    return sorted(seen.values())


def imported_modules(source: str, module: str, is_package: bool = False, body_only: bool = False) -> set[str]:
    """Every ``emgcramp`` name that ``source`` (the module ``module``) imports, with the packages above it.

    From Python's own parse, so every form counts: ``import a.b as c``,
    ``from a import (b,  # comment`` over lines, ``from . import b``, and
    imports inside functions. A ``from m import x`` gives ``m`` and ``m.x``
    (``x`` may be a module); names that are not modules find no file later.
    Importing a module runs the packages above it, so they count too.
    ``body_only``: leave out imports inside functions.
    """
    package = module if is_package else module.rpartition(".")[0]
    names = set()
    for node in _nodes(ast.parse(source), body_only):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module, node.level, package)
            if base is not None:
                names |= {base, *(f"{base}.{a.name}" for a in node.names)}
    parts = [n.split(".") for n in names if n == "emgcramp" or n.startswith("emgcramp.")]
    return {".".join(p[:k]) for p in parts for k in range(1, len(p) + 1)}


def _nodes(tree: ast.AST, body_only: bool) -> Iterator[ast.AST]:
    """Every node of ``tree`` but those under ``if TYPE_CHECKING:`` (never run); with ``body_only``, none in a function."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            todo.extend(node.orelse)
        elif not (body_only and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))):
            todo.extend(ast.iter_child_nodes(node))


def _absolute(name: str | None, level: int, package: str) -> str | None:
    """The full name of ``from <dots><name> import``, in ``package`` (``None`` above the top)."""
    if not level:
        return name
    parts = package.split(".") if package else []
    if level - 1 >= len(parts):
        return None
    base = parts[:len(parts) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def _module_file(name: str) -> str | None:
    """The source file of a package module (``None`` for names that are not modules, e.g. a class)."""
    base = os.path.join(_PKG_DIR, *name.split(".")[1:])
    for path in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.isfile(path):
            return path
    return None


def module_name() -> str:
    """The ahead-of-time module's name for the kernels' current sources."""
    h = hashlib.sha256()
    for path in source_files():
        h.update(os.path.relpath(path, _PKG_DIR).encode())
        with open(path, "rb") as f:
            h.update(f.read())
    return f"_kernels_{h.hexdigest()[:16]}"


# Beside the built module, the build leaves its name and a digest of each source file it was built
# from. Finding the files unchanged costs a read of each; walking the imports (module_name) costs a
# parse of each, ~30 ms at every start. Only when a digest differs is the walk done again.
STAMP = "_kernels_stamp.json"


def _digest(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def write_stamp(out_dir: str, name: str) -> None:
    """Record, in ``out_dir``, that module ``name`` was built from the sources as they are now."""
    stamp = {"module": name, "sources": {os.path.relpath(p, _PKG_DIR): _digest(p) for p in source_files()}}
    with open(os.path.join(out_dir, STAMP), "w", encoding="utf-8") as f:
        json.dump(stamp, f, indent=1)


def _stamped_name() -> str | None:
    """The built module's name when every source it was built from is unchanged, else ``None``."""
    try:
        with open(os.path.join(_PKG_DIR, STAMP), encoding="utf-8") as f:
            stamp = json.load(f)
        same = all(_digest(os.path.join(_PKG_DIR, rel)) == d for rel, d in stamp["sources"].items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return str(stamp["module"]) if same else None


@functools.cache
def ahead_of_time():
    """The ahead-of-time module built from the current sources, or ``None`` (looked up once per process)."""
    if forced_jit():
        return None
    try:
        return importlib.import_module(f"emgcramp.{_stamped_name() or module_name()}")
    except ImportError:
        return None
