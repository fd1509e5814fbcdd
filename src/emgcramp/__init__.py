"""emgcramp: streaming surface-EMG cramp detection for the calf.

One folder per stage, each importing only those below it (docs/architecture.md):
``core`` (types, settings, errors), ``dsp`` (filters), ``detect`` (the rules),
``pipeline``, ``io`` (readers and writers), ``sim`` (synthetic nights),
``analyze`` (a file, end to end), ``live`` (the sensor), ``eval`` (scoring,
timing), ``viz`` (report, trend) and ``cli``. Importing the package is cheap:
Numba loads only with :mod:`emgcramp.dsp.filters` and what builds on it.
"""

__version__ = "0.1.0"
