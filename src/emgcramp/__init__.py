"""emgcramp: streaming surface-EMG cramp detection for the calf.

Importing the package is cheap: the numerical modules (:mod:`emgcramp.dsp`,
:mod:`emgcramp.detect`, :mod:`emgcramp.pipeline`) load numba and scipy and are
imported only where they are used.
"""

__version__ = "0.1.0"
