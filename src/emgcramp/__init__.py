"""emgcramp: streaming surface-EMG cramp detection for the calf.

Importing the package is cheap: the numerical modules (:mod:`emgcramp.dsp`,
:mod:`emgcramp.detect`, :mod:`emgcramp.pipeline`) load Numba (filter design is
NumPy alone, :mod:`emgcramp.design`) and are imported only where they are used.
"""

__version__ = "0.1.0"
