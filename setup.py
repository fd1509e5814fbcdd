"""Build hook: compile the Numba kernels ahead of time (the rest of the metadata is in pyproject.toml).

The extension module is optional. When it cannot be built (no C compiler,
say), the install goes on and Numba compiles the kernels on first use.
"""

import os
import sys

from setuptools import Distribution, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))


class BuildKernels(build_ext):
    """``build_ext`` that runs :func:`emgcramp.build.build_kernels` instead of compiling C sources."""

    def run(self):
        in_place = self.inplace or getattr(self, "editable_mode", False)
        out_dir = os.path.join(HERE, "src", "emgcramp") if in_place else os.path.join(self.build_lib, "emgcramp")
        os.makedirs(out_dir, exist_ok=True)
        sys.path.insert(0, os.path.join(HERE, "src"))
        self._built = []
        try:
            from emgcramp.build import build_kernels

            self._built = [build_kernels(out_dir)]
        except Exception as e:  # optional by design: Numba's JIT does the same work on first use
            print(f"emgcramp: kernels not compiled ahead of time ({type(e).__name__}: {e}); "
                  "Numba will compile them on first use", file=sys.stderr)

    def get_outputs(self):
        return list(getattr(self, "_built", []))


class WithKernels(Distribution):
    """A distribution with a compiled part, so that ``build_ext`` runs and the wheel is platform-specific."""

    def has_ext_modules(self):
        return True


setup(distclass=WithKernels, cmdclass={"build_ext": BuildKernels})
