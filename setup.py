"""Build hook: compile the Numba kernels ahead of time (the rest of the metadata is in pyproject.toml).

The extension module is optional. When it cannot be built (no C compiler,
say), the install goes on, the reason is recorded beside the package
(:func:`emgcramp.build.build_or_record`), and Numba compiles the kernels on
first use, saying so once, with that reason.
"""

import os
import sys

from setuptools import Distribution, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))


class BuildKernels(build_ext):
    """``build_ext`` that runs :func:`emgcramp.build.build_or_record` instead of compiling C sources."""

    def run(self):
        in_place = self.inplace or getattr(self, "editable_mode", False)
        out_dir = os.path.join(HERE, "src", "emgcramp") if in_place else os.path.join(self.build_lib, "emgcramp")
        os.makedirs(out_dir, exist_ok=True)
        sys.path.insert(0, os.path.join(HERE, "src"))
        from emgcramp.build import build_or_record  # the standard library alone, until it builds

        self._built = build_or_record(out_dir)  # the module, or the file that says why there is none

    def get_outputs(self):
        return list(getattr(self, "_built", []))


class WithKernels(Distribution):
    """A distribution with a compiled part, so that ``build_ext`` runs and the wheel is platform-specific."""

    def has_ext_modules(self):
        return True


setup(distclass=WithKernels, cmdclass={"build_ext": BuildKernels})
