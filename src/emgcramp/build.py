"""Compile every kernel ahead of time into one extension module (run by ``setup.py``).

    python -m emgcramp.build DIR     # writes DIR/_kernels_<hash>.<ext>, prints its path

The module is named after the hash of the kernels' sources
(:func:`emgcramp.core.kernels.module_name`), so a kernel edited after the
build is never served stale: the package falls back to Numba's JIT until the
next build. Code is generated for a generic x86-64 (or the build machine's
architecture) rather than this CPU, so a wheel runs on other machines too.
"""

from __future__ import annotations

import glob
import importlib
import os
import sys


def build_kernels(out_dir: str) -> str:
    """Compile the kernels into ``out_dir``; remove modules built from older sources; return the new file."""
    os.environ["EMGCRAMP_JIT"] = "1"  # import the kernel modules without any module built before
    from numba.pycc import CC

    _release_the_gil()

    from emgcramp.core import kernels

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
    cc.compile()
    built = glob.glob(os.path.join(out_dir, name + ".*"))
    if not built:
        raise RuntimeError(f"numba.pycc wrote no {name} module into {out_dir}")
    return built[0]


def _release_the_gil() -> None:
    """Have ``numba.pycc`` wrap every kernel as ``njit(nogil=True)`` would: the GIL released inside.

    ``numba.pycc`` takes no compile options; it builds its entry points from
    the same lowering as the JIT, which releases the GIL when its ``Flags``
    ask for it, so its ``Flags`` are given that default. Then the filter's
    channel-parallel path runs this module's kernel on two threads, as it runs
    the JIT's. ``tests/test_aot.py`` checks that the built module calls
    ``PyEval_SaveThread``.
    """
    from numba.pycc import compiler

    class NoGilFlags(compiler.Flags):
        __slots__ = ()

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.release_gil = True

    compiler.Flags = NoGilFlags


if __name__ == "__main__":
    print(build_kernels(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))))
