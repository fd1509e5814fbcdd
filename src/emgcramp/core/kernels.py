"""Numba kernels: compiled ahead of time when the package was built, else by Numba on first use.

Every kernel is a plain Python function (the reference the tests run it
against) that its module hands to :func:`kernel` with its signature. The
package build (``setup.py``, :mod:`emgcramp.build`) compiles them all with
Numba's ahead-of-time compiler (``numba.pycc``) into one extension module
named after a hash of the kernels' sources. At run time that module is used
when it was built from these very sources; otherwise (no C compiler at
install, a kernel edited since, or ``EMGCRAMP_JIT=1``) each kernel is
``numba.njit(cache=True)`` as before.

Why ahead of time: loading Numba and LLVM to run cached kernels costs
~0.4 s of start-up and ~120 MB of resident memory (measured, bench/RESULTS.md),
far more than the work on a one-hour file; the extension module needs
neither. Its entry points release the GIL, as the JIT kernels do
(``nogil=True``), but check no types: a wrong dtype is undefined behaviour,
not a TypeError, so the callers pass arrays they made themselves.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import os
import re
import sys
from collections.abc import Callable

# The modules that define kernels; the build imports them to find every kernel.
KERNEL_MODULES = ("emgcramp.dsp.filters", "emgcramp.detect.segment", "emgcramp.detect.movements",
                  "emgcramp.detect.precramp", "emgcramp.sim.motor_units")
FORCE_JIT_ENV = "EMGCRAMP_JIT"  # set to 1: ignore the ahead-of-time module

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# ``import emgcramp.a.b`` and ``from emgcramp.a import b, c``: the package imports by full name (tests/test_layout.py)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+(emgcramp[\w.]*)"
                     r"|^[ \t]*from[ \t]+(emgcramp[\w.]*)[ \t]+import[ \t]+(?:\(([\w\s,]+)\)|([\w \t,]+))", re.M)

_helpers: list[tuple[Callable, str]] = []  # (function, Numba inline option)
_kernels: dict[str, tuple[Callable, Callable]] = {}  # name → (plain function, signature factory)
_jitted: dict[str, Callable] = {}


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
    return jit(fn)


def jit(fn: Callable) -> Callable:
    """``fn`` through ``numba.njit(cache=True, nogil=True)``, its cache kept apart for each version of the sources."""
    if fn.__name__ not in _jitted:
        _numba_cache_per_source()
        from numba import njit
        from numba.extending import register_jitable

        while _helpers:  # registered once each, just before the first kernel needs them
            f, inline = _helpers.pop()
            register_jitable(inline=inline)(f)
        _jitted[fn.__name__] = njit(cache=True, nogil=True)(fn)
    return _jitted[fn.__name__]


def _numba_cache_per_source() -> None:
    """Point Numba's cache at a folder named after the kernels' sources, unless the user chose one.

    Numba's cache notices edits to the file of the function it compiled, not
    to the helpers and constants it took from other files; a folder per
    version of all of them cannot serve a kernel compiled from other sources.
    """
    if "NUMBA_CACHE_DIR" in os.environ or "numba" in sys.modules:  # the user's choice, or too late to make one
        return
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(base, "emgcramp", "numba", module_name().removeprefix("_kernels_"))
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return
    if os.access(path, os.W_OK):
        os.environ["NUMBA_CACHE_DIR"] = path


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
            for plain, package, in_parens, names in _IMPORT.findall(f.read()):
                names = (in_parens or names).split(",")
                todo += [plain] if plain else [package, *(f"{package}.{n.strip()}" for n in names if n.strip())]
    return sorted(seen.values())


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


@functools.cache
def ahead_of_time():
    """The ahead-of-time module built from the current sources, or ``None`` (looked up once per process)."""
    if os.environ.get(FORCE_JIT_ENV, "") not in ("", "0"):
        return None
    try:
        return importlib.import_module(f"emgcramp.{module_name()}")
    except ImportError:
        return None
