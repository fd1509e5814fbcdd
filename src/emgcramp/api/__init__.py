"""The Python API: find cramps in an array, a file or an MNE recording, or as the samples come.

Everything here is also importable from :mod:`emgcramp` itself (``emgcramp.find_cramps``).
"""

from emgcramp.api.monitor import Monitor
from emgcramp.api.result import Result
from emgcramp.api.run import analyze, find_cramps, from_mne
from emgcramp.core.config import DetectorConfig, PipelineConfig
from emgcramp.core.errors import InputError, SettingsWarning

__all__ = ["DetectorConfig", "InputError", "Monitor", "PipelineConfig", "Result", "SettingsWarning", "analyze",
           "find_cramps", "from_mne"]
