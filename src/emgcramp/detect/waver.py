"""The resting envelope's own waver: whether a leg movement rose out of it or is one of its chance excursions.

The AASM rule starts a leg movement where the EMG rises 8 µV above the
resting level (:mod:`emgcramp.detect.movements`). It was written for a
quiet baseline. The 0.1-s RMS envelope of any resting EMG wavers by itself,
by about ``rest / √(4·B·T)`` for band-limited noise of bandwidth ``B`` Hz
over a window of ``T`` s (the variance of a mean square of ``2·B·T``
independent samples), more when the spectrum is narrower or coloured. At a
rest of a few µV that is a fraction of a µV and the rule holds; at 30 µV and
more (a noisy electrode, a hobby board's floor) an 8-µV rise comes by chance
many times an hour, and white noise alone was scored at a PLM index of 180/h.

Deviation, and why: a stretch the AASM rule scores as a leg movement is kept
only when its peak rises above its onset's rest by :data:`Z_CHANCE` times
the waver measured over the :data:`WINDOW_S` before its onset: the spread of
the change between successive independent windows (0.1 s apart) of the
envelope where it stayed under the onset level, ``1.4826 · MAD / √2`` (the
median absolute deviation scaled to a Gaussian's SD, which a movement or a
pop in the window barely moves; differences leave out the slow climb of tone).
:data:`Z_CHANCE` = 4.5 is the one-sided Gaussian tail of about one chance in
300 000 (3.4e-6), the number of independent 0.1-s windows in an 8-h night:
about one excursion that high a night in noise alone. Likewise, where the
rest wavers so much that the AASM end (0.5 s within 2 µV of rest) would
come less than half the time (:data:`END_CHANCE`), a stretch ends where the
envelope stays within :data:`Z_END` times that waver. With fewer than
:data:`MIN_PAIRS` such differences (the night's first seconds, a minute of
activity) the waver is not known and the AASM rule stands as it is.
"""

from __future__ import annotations

import math

import numpy as np

from emgcramp.core.trace import N_TRACE, T_ENV_S, T_REST

Z_CHANCE = 4.5  # rise over the waver a chance excursion reaches about once in an 8-h night (see above)
# The end of a movement, by the same reasoning. The AASM end asks 0.5 s (five independent 0.1-s windows) within
# 2 µV of rest. It stands wherever it can come: while five resting windows in a row stay within it at least
# half the time (END_CHANCE; a waver up to 1.77 µV, as Φ(2 / 1.77)^5 = ½). On a rest that wavers more it seldom
# comes, and a stretch ran on over the movements after it; there a stretch ends within Z_END SDs of rest, where
# five resting windows in a row stay with a chance of Φ(2.5)^5 = 0.97.
END_CHANCE = 0.5
Z_END = 2.5
WINDOW_S = 60.0  # the minute before an onset: long against the 0.1-s windows, short against a night's tone changes
MIN_PAIRS = 50  # 5 s of resting windows at the least: the MAD's SD of about 1.1/√50 ≈ 16 % of itself
MAD_TO_SD = 1.4826  # a Gaussian's SD over its median absolute deviation


class RestWaver:
    """A history of the detector's trace rows, and the waver of its envelope before any row of it.

    Parameters
    ----------
    rate : float
        Trace rows per second (Hz).
    window_s : float
        The envelope's window (s): rows this far apart are independent.
    onset_delta_uv : float
        The rise above rest that starts a movement (µV): rows under it are resting.
    delay_s : float
        How long after its onset a movement may be told (s): the history keeps that much more.
    """

    def __init__(self, rate: float, window_s: float, onset_delta_uv: float, delay_s: float):
        self.lag = max(1, round(window_s * rate))
        self.rows = max(self.lag, round(WINDOW_S * rate))
        self.keep = self.rows + math.ceil(delay_s * rate) + 1
        self.delta = onset_delta_uv
        self._buf = np.zeros((0, N_TRACE))
        self._seen = 0  # rows added so far; row g sits at g % len(_buf)

    def add(self, trace: np.ndarray) -> None:
        """Append trace rows (``N_TRACE`` columns), in time order."""
        n, size = len(trace), len(self._buf)
        if self.keep + n > size:  # a long block (offline): room for it and the history before it
            self._grow(2 * (self.keep + n))
            size = len(self._buf)
        start = self._seen % size
        if start + n <= size:  # a live block's row or two: one copy of whole rows (faster than two columns)
            self._buf[start:start + n] = trace
        else:
            self._buf[start:] = trace[:size - start]
            self._buf[:n - (size - start)] = trace[size - start:]
        self._seen += n

    def _grow(self, size: int) -> None:
        old, held = self._buf, min(self._seen, len(self._buf))
        self._buf = np.zeros((size, N_TRACE))
        if held:
            rows = np.arange(self._seen - held, self._seen)
            self._buf[rows % size] = old[rows % len(old)]

    def waver_uv(self, row: int) -> float:
        """The envelope's waver (µV, an SD) over the window before trace row ``row``; NaN when not known."""
        first = max(0, row - self.rows, self._seen - len(self._buf))
        at = np.arange(row - self.lag, first - 1, -self.lag)[::-1]  # aligned on ``row``: as any block split gives
        if len(at) < 2:
            return math.nan
        rows = self._buf[at % len(self._buf)]
        env, rest = rows[:, T_ENV_S], rows[:, T_REST]
        resting = env < rest + self.delta
        pairs = resting[1:] & resting[:-1]
        if int(pairs.sum()) < MIN_PAIRS:
            return math.nan
        d = np.diff(env)[pairs]
        return float(MAD_TO_SD * np.median(np.abs(d - np.median(d))) / math.sqrt(2.0))

    def end_delta_uv(self, row: int, aasm_uv: float, windows: int) -> float:
        """The rise above rest (µV) a stretch under way at trace row ``row`` must stay within to end: the AASM's
        ``aasm_uv`` while ``windows`` independent resting windows in a row stay within it with a chance of
        :data:`END_CHANCE` or more (or the waver is not known), else :data:`Z_END` times the waver."""
        w = self.waver_uv(row)
        if not math.isfinite(w) or w <= 0.0 or (0.5 * (1.0 + math.erf(aasm_uv / w / math.sqrt(2.0)))) ** windows \
                >= END_CHANCE:
            return aasm_uv
        return Z_END * w

    def by_chance(self, row: int, rise_uv: float) -> bool:
        """True when a rise of ``rise_uv`` (µV) above rest at trace row ``row`` is within what the waver reaches."""
        w = self.waver_uv(row)
        return math.isfinite(w) and rise_uv < Z_CHANCE * w
