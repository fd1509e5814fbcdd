"""Compile every kernel ahead of time into one extension module (run by ``setup.py``).

    python -m emgcramp.build DIR     # writes DIR/_kernels_<hash>.<ext>, prints its path

The module is named after the hash of the kernels' sources
(:func:`emgcramp.core.kernels.module_name`), so a kernel edited after the
build is never served stale: the package falls back to Numba's JIT until the
next build. Code is generated for a generic x86-64 (or the build machine's
architecture) rather than this CPU, so a wheel runs on other machines too.
A build that fails leaves its reason in ``DIR/_kernels_build_failed.txt``
(:func:`build_or_record`), which the run time quotes when it falls back.
"""

from __future__ import annotations

import contextlib
import glob
import importlib
import inspect
import os
import sys
from collections.abc import Iterator

from emgcramp.core import kernels

# The Numba releases whose numba.pycc the GIL patch below was read against and run with.
PYCC_CHECKED = "numba 0.58.1 and 0.68.1"


def build_or_record(out_dir: str) -> list[str]:
    """Build the kernels into ``out_dir``, or record why not; return the files to install either way.

    The module is optional (Numba's JIT does the same work on first use), so
    a failure does not fail the install. pip shows nothing of what a build
    prints unless it fails, so the reason also goes into a file beside the
    package, for the one warning the run time prints.
    """
    marker = os.path.join(out_dir, kernels.BUILD_FAILED)
    try:
        built = build_kernels(out_dir)
    except Exception as e:  # noqa: BLE001  (optional by design, see above)
        reason = " ".join(f"{type(e).__name__}: {e}".split())[:300]  # one line
        print(f"emgcramp: kernels not compiled ahead of time ({reason}); "
              "Numba compiles them on first use, which takes a few seconds", file=sys.stderr)
        with open(marker, "w", encoding="utf-8") as f:
            f.write(reason + "\n")
        return [marker]
    if os.path.exists(marker):
        os.remove(marker)
    return [built, os.path.join(out_dir, kernels.STAMP)]


def build_kernels(out_dir: str) -> str:
    """Compile the kernels into ``out_dir``; remove modules built from older sources; return the new file."""
    os.environ[kernels.FORCE_JIT_ENV] = "1"  # import the kernel modules without any module built before
    pycc_compiler()  # first, for a clear reason when this Numba's pycc cannot be patched
    from numba.pycc import CC

    for name in kernels.KERNEL_MODULES:
        importlib.import_module(name)
    name = kernels.module_name()
    cc = CC(name)
    cc.output_dir = out_dir
    cc.verbose = False
    for fn_name, (fn, signature) in sorted(kernels.registered().items()):
        kernels.jit(fn)  # registers the helpers the kernels call
        cc.export(fn_name, signature())(fn)
    for old in glob.glob(os.path.join(out_dir, "_kernels_*")):
        if not os.path.basename(old).startswith(name + "."):
            os.remove(old)
    with _pycc_releasing_the_gil():
        cc.compile()
    built = glob.glob(os.path.join(out_dir, name + ".*"))
    if not built:
        raise RuntimeError(f"numba.pycc wrote no {name} module into {out_dir}")
    kernels.write_stamp(out_dir, name)
    return built[0]


@contextlib.contextmanager
def _pycc_releasing_the_gil() -> Iterator[None]:
    """While inside, ``numba.pycc`` wraps every kernel as ``njit(nogil=True)`` would: the GIL released inside.

    Then the filter's channel-parallel path runs this module's kernel on two
    threads, as it runs the JIT's; ``tests/test_aot.py`` checks that the built
    module calls ``PyEval_SaveThread``.

    Numba has no public way to ask this: ``numba.pycc.CC`` takes no compile
    options, and ``CC.compile`` makes its ``numba.core.compiler.Flags`` itself
    (``_ModuleCompiler._cull_exports`` calls ``Flags()``, the name looked up
    in ``numba.pycc.compiler``). Its entry points come from the same lowering
    as the JIT's, which releases the GIL when ``Flags.release_gil`` is set. So
    ``numba.pycc.compiler.Flags`` is replaced, for this compile only, by a
    subclass with ``release_gil`` on. Read against, and run with,
    :data:`PYCC_CHECKED`; :func:`pycc_compiler` refuses a Numba where that is
    no longer how it works, which fails the build (JIT then, with the reason)
    rather than build kernels that hold the GIL.
    """
    compiler = pycc_compiler()
    original = compiler.Flags

    class NoGilFlags(original):
        __slots__ = ()

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.release_gil = True

    compiler.Flags = NoGilFlags
    try:
        yield
    finally:
        compiler.Flags = original


def pycc_compiler():
    """``numba.pycc.compiler``, checked to still make its flags as :func:`_pycc_releasing_the_gil` expects.

    Raises
    ------
    RuntimeError
        When there is no ``numba.pycc``, or ``numba.pycc.compiler`` has no
        ``Flags`` with a ``release_gil`` option, or its
        ``_ModuleCompiler._cull_exports`` no longer calls it.
    """
    import numba

    try:
        from numba.pycc import compiler
    except ImportError as e:  # pending deprecation since Numba 0.57: a later release may drop it
        raise RuntimeError(f"numba {numba.__version__} has no numba.pycc ({e}); checked against {PYCC_CHECKED}") from e
    flags = getattr(compiler, "Flags", None)
    cull = inspect.unwrap(getattr(getattr(compiler, "_ModuleCompiler", None), "_cull_exports", None))
    missing = []
    if not (isinstance(flags, type) and "release_gil" in getattr(flags, "options", {})):
        missing.append("numba.pycc.compiler.Flags with a release_gil option")
    if "Flags" not in getattr(getattr(cull, "__code__", None), "co_names", ()):
        missing.append("numba.pycc.compiler._ModuleCompiler._cull_exports that calls Flags()")
    if missing:
        raise RuntimeError(f"numba {numba.__version__} has no {' and no '.join(missing)}: emgcramp.build cannot "
                           f"make numba.pycc release the GIL (checked against {PYCC_CHECKED}); "
                           "see emgcramp.build._pycc_releasing_the_gil")
    return compiler


if __name__ == "__main__":
    print(build_kernels(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))))
