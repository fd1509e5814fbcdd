"""emgcramp: streaming surface-EMG cramp detection for the calf.

The Python API (see :mod:`emgcramp.api`): :func:`find_cramps` for an array,
:func:`analyze` for a file, :func:`from_mne` for an MNE ``Raw``, :class:`Monitor`
for samples as they come; each gives a :class:`Result`.

One folder per stage, each importing only those below it (docs/architecture.md):
``core`` (types, settings, errors), ``dsp`` (filters), ``detect`` (the decision),
``pipeline``, ``runner``, ``io`` (readers and writers), ``sim`` (synthetic nights),
``files`` (a file, end to end), ``live`` (the sensor), ``eval`` (scoring,
timing), ``viz`` (report, trend), ``api`` and ``cli``. Importing the package is
cheap: the API, NumPy and Numba load at the first use of a name above.
"""

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["DetectorConfig", "InputError", "Monitor", "PipelineConfig", "Result", "SettingsWarning", "analyze",
           "find_cramps", "from_mne"]

if TYPE_CHECKING:
    from emgcramp.api import (DetectorConfig, InputError, Monitor, PipelineConfig, Result, SettingsWarning, analyze,
                              find_cramps, from_mne)


def __getattr__(name: str) -> Any:
    """The API's names, imported at their first use (so ``import emgcramp`` and ``--help`` stay instant)."""
    if name in __all__:
        import emgcramp.api

        return getattr(emgcramp.api, name)
    raise AttributeError(f"module 'emgcramp' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
