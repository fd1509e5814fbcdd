"""Raw samples checked as they arrive, in one compiled pass per block: values that are not numbers, flat lines.

:class:`SampleChecks` refuses NaN and infinite samples, and samples beyond
what any electrode input holds (one clear line naming the channel and the
time), and times how long each channel has repeated itself, so a dead
signal shows within seconds. Both look at every sample of
every block, live blocks of 10–50 ms included, so they are one kernel call
rather than several NumPy passes: per 20-ms block the NumPy version cost
about 2 µs, most of it in call overhead. (A long block is first bounded by
NumPy's largest and smallest, which is faster there: :data:`NUMPY_FIRST_SAMPLES`.)
"""

from __future__ import annotations

import math

import numpy as np

from emgcramp.core.errors import BadSamples
from emgcramp.core.kernels import kernel
from emgcramp.core.samples import MAX_INPUT_UV


def checks_kernel(x, last, has_last, state, scan, t0, min_run, found):
    """Refuse or carry on: ``1 +`` the flat index of the first sample of ``x`` that is not finite or that lies
    beyond ±:data:`MAX_INPUT_UV`, else ``-k``.

    ``x``: samples × channels (float64), its first sample at ``t0`` (absolute
    sample index); ``scan``: look at every sample (False: the caller knows
    them finite and within range). Only when all are finite are the runs carried on:
    ``runs[c]``, samples since channel ``c`` last changed, grows by the block
    or restarts at its last change (the first sample is compared with
    ``last[c]`` when ``has_last``, else with itself); ``last`` becomes the
    block's last sample. ``state`` holds ``runs`` (row 0) and ``begun`` (row 1).
    With ``min_run`` > 0, flat lines are also listed:
    ``begun[c]`` is where channel ``c``'s current run began (restarting at
    ``t0`` without ``has_last``), and each run of at least ``min_run`` equal
    samples that ends in the block is written to ``found`` as (channel, first
    sample, end sample), ``k`` rows. The plain-Python reference;
    :func:`_checks_kernel` is the same function compiled.
    """
    n, channels = x.shape
    runs, begun = state[0], state[1]
    for i in range(n if scan else 0):
        for c in range(channels):
            v = x[i, c]
            if v - v != 0.0 or abs(v) > MAX_INPUT_UV:  # v - v: NaN or ±inf, the only values it is not 0 for
                return i * channels + c + 1
    if n == 0:
        return 0
    k = 0
    for c in range(channels):
        changed = -1
        if min_run > 0:  # every change, forward: the runs that end here are listed
            if not has_last:
                begun[c] = t0
            for i in range(n):
                before = x[i - 1, c] if i > 0 else (last[c] if has_last else x[0, c])
                if x[i, c] != before:
                    if t0 + i - begun[c] >= min_run:
                        found[k, 0], found[k, 1], found[k, 2] = c, begun[c], t0 + i
                        k += 1
                    begun[c] = t0 + i
                    changed = i
        else:  # only the last change matters: backward, usually one step
            for i in range(n - 1, -1, -1):
                before = x[i - 1, c] if i > 0 else (last[c] if has_last else x[0, c])
                if x[i, c] != before:
                    changed = i
                    break
        runs[c] = runs[c] + n if changed < 0 else n - 1 - changed
        last[c] = x[n - 1, c]
    return -k


def _checks_signature():
    from numba import types as t

    return t.intp(t.float64[:, :], t.float64[:], t.boolean, t.int64[:, :], t.boolean, t.int64, t.int64, t.int64[:, :])


_checks_kernel = kernel(checks_kernel, _checks_signature)

# From this many samples on, NumPy's largest and smallest (vectorised) tell a block within range faster
# than the kernel's sample-by-sample look: a 60-s chunk at 2 kHz in about 0.04 ms against 0.18 ms; a live
# block of 10-50 ms is far under it and pays one call instead of three.
NUMPY_FIRST_SAMPLES = 4096
_NONE = np.empty((0, 3), np.int64)  # where no flat line is listed (read-only: nothing is written to it)


class SampleChecks:
    """Per channel: refuses samples that are not numbers, and times the run of samples equal to the one before.

    On request (:meth:`list_losses`) it also lists the stretches without
    signal as they pass: each gap, and each flat line of at least a given length.

    Parameters
    ----------
    fs : float
        Sampling rate, Hz (for the time in the refusal).
    channel_names : list of str
        Names, for the refusal.
    kernel : callable, optional
        The compiled :func:`checks_kernel` (default: the ahead-of-time one when built).
    """

    def __init__(self, fs: float, channel_names: list[str], kernel=None):
        self.fs, self.channel_names = fs, list(channel_names)
        self.kernel = kernel or _checks_kernel
        self._state = np.zeros((2, len(self.channel_names)), dtype=np.int64)  # runs, and where each began
        self.samples = self._state[0]  # flat run per channel, samples
        self._last = np.zeros(len(self.channel_names))
        self._has_last = False
        self.min_run = 0  # samples of one value listed as a flat line; 0: timed, not listed
        self.losses: list[tuple[float, float, str]] = []  # (onset s, offset s, "gap" or the channel)
        self._begun = self._state[1]
        self._end = 0  # the sample after the last one checked

    @property
    def flat_since_s(self) -> np.ndarray:
        """Per channel, where its current run of one value began (s); kept while losses are listed."""
        return self._begun / self.fs

    def list_losses(self, min_flat_s: float) -> None:
        """From now on, list in :attr:`losses` each gap and each flat line of ``min_flat_s`` (s) or longer."""
        self.min_run = max(2, math.ceil(min_flat_s * self.fs))

    def check(self, x: np.ndarray, t0_sample: int, gap: int = 0) -> None:
        """Check block ``x`` (samples × channels, float64, C order) from sample ``t0_sample``; a gap breaks the runs.

        Raises :class:`~emgcramp.core.errors.BadSamples` (an InputError) naming the first NaN or infinite
        sample, or one beyond ±:data:`MAX_INPUT_UV`, with its place in the block; then nothing of the block is
        counted.
        """
        if gap:  # a gap ends every run: samples either side of it are not one line
            if self.min_run:
                self._close()
                self.losses.append(((t0_sample - gap) / self.fs, t0_sample / self.fs, "gap"))
            self._has_last = False
        # the largest and the smallest within the limit mean every sample is (NaN and ±inf fail it too:
        # they carry through both); else the exact look, which names the first that is not
        scan = x.size < NUMPY_FIRST_SAMPLES or not (np.maximum.reduce(x, axis=None) <= MAX_INPUT_UV
                                                 and np.minimum.reduce(x, axis=None) >= -MAX_INPUT_UV)
        found = np.empty((x.shape[1] * (len(x) // self.min_run + 1), 3), np.int64) if self.min_run else _NONE
        got = self.kernel(x, self._last, self._has_last, self._state, scan, t0_sample, self.min_run, found)
        if got > 0:
            i, c = divmod(got - 1, x.shape[1])
            where = f"channel {self.channel_names[c]!r} has"
            if math.isfinite(x[i, c]):
                raise BadSamples(f"{where} samples of {x[i, c]:.3g} µV from {(t0_sample + i) / self.fs:.3f} s, beyond "
                                 f"what any electrode input holds ({MAX_INPUT_UV / 1e6:g} V): are the samples in µV? "
                                 "Where the file names their unit, correct it there; else give the µV per "
                                 "unit (--scale)", i)
            raise BadSamples(f"{where} NaN or infinite samples from "
                             f"{(t0_sample + i) / self.fs:.3f} s: repair or cut the recording first", i)
        self._has_last = self._has_last or len(x) > 0
        if self.min_run:  # (a live block pays nothing for what it does not list)
            self.losses += [(a / self.fs, b / self.fs, self.channel_names[c]) for c, a, b in found[:-got]]
            self._end = t0_sample + len(x)

    def finish(self) -> list[tuple[float, float, str]]:
        """Every stretch listed (:meth:`list_losses`), the runs under way ended at the last sample, in time order."""
        self._close()
        return sorted((float(on), float(off), what) for on, off, what in self.losses)

    def _close(self) -> None:
        """List the flat lines under way, ended at the last sample checked."""
        if self.min_run and self._has_last:
            self.losses += [(b / self.fs, self._end / self.fs, name) for b, name in zip(self._begun, self.channel_names)
                            if self._end - b >= self.min_run]
            self._begun[:] = self._end
