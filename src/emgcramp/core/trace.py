"""Layout of the per-bin trace the cramp state machine leaves for later passes.

One row per detector bin (50 Hz by default): the 0.5-s and 0.1-s RMS
envelopes and the 20-ms bin RMS (µV), the rest level (µV; -1 while it is
still being learnt), flag bits, and the low-frequency (motion) voltage:
the bin means high-passed at 1 Hz, as RMS over 0.5 s (µV); and the mean square of the
band-passed signal's first difference (µV², NaN where not measured), which with the bin RMS
gives the spectrum's RMS frequency (:func:`emgcramp.detect.shape.spectrum`). Leg-movement scoring
(:mod:`emgcramp.detect.movements`) and the pre-cramp watch
(:mod:`emgcramp.detect.precramp`) read it, so the envelope is computed once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from emgcramp.core.history import LevelHistory

T_ENV, T_ENV_S, T_BIN, T_REST, T_FLAGS, T_LF, T_DMS, N_TRACE = range(8)
F_FLAT, F_MOTION, F_EPISODE = 1, 2, 4


def trace_rows(trace) -> np.ndarray:
    """``trace`` as contiguous float64 rows of ``N_TRACE`` columns, else ValueError.

    The compiled passes that read it check neither types nor shapes.
    """
    rows = np.ascontiguousarray(trace, dtype=np.float64)
    if rows.ndim != 2 or rows.shape[1] != N_TRACE:
        raise ValueError(f"a trace has {N_TRACE} columns per row, not shape {rows.shape}")
    return rows


def x_rest(rows: np.ndarray) -> np.ndarray:
    """The 0.5-s envelope of trace rows as a multiple of their rest level (NaN where rest is not known yet)."""
    rest = rows[:, T_REST]
    return np.where(rest > 0, rows[:, T_ENV] / np.where(rest > 0, rest, 1.0), np.nan)


class RestMultiples:
    """The 0.5-s envelope as a multiple of the rest level, read from a detector's trace history.

    ``window`` gives NaN where the rest level was not known yet.
    """

    def __init__(self, history: LevelHistory):
        self._history = history
        self.rate = history.rate

    def window(self, t0_s: float, t1_s: float) -> np.ndarray:
        return x_rest(self._history.window(t0_s, t1_s))
