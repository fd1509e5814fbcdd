"""Mains hum: which lines to notch, found in the signal itself (NumPy only)."""

from __future__ import annotations

import math

import numpy as np

from emgcramp.core.config import DEFAULT_BAND_HZ, PipelineConfig
from emgcramp.dsp import design
from emgcramp.dsp.filters import NOTCH_Q

MAINS_FREQS_HZ = (50.0, 60.0)


# A spectral line this many times above its neighbourhood counts as hum.
MAINS_PEAK_RATIO = 4.0
# Hum told by its harmonics alone needs a line twice as clear: with eight or so places to look instead
# of one, noise alone would otherwise pass in about one 4-s probe of 400 (measured on white noise);
# hum worth a notch stands tens of times over its neighbours in 1-Hz bins.
HARMONIC_ONLY_RATIO = 2.0 * MAINS_PEAK_RATIO


# The band-pass does not stop a line at its upper edge: a Butterworth's gain there is -3 dB, and -20 dB
# only at 99^(1/2n) × the edge (1.78 × for the 4th order). Hum worth a notch stands tens of times over
# its neighbours (power, 1-Hz bins); cut by 20 dB (100×) it is under them. So harmonics are notched up to
# where the band-pass has cut REACH_CUT_DB, and under the Nyquist frequency by a notch's half-width
# (f0 / 2Q): at 333 Hz the 150-Hz harmonic sits on the band's edge (0.45 × 333 = 149.85 Hz) and passed.
REACH_CUT_DB = 20.0


def pass_reach_hz(high_hz: float, fs: float, order: int = PipelineConfig.order) -> float:
    """Up to where the band-pass lets a line through (Hz): its upper edge ``high_hz`` (held under
    0.45·``fs``, as the band-pass holds it) × the factor at which its gain is -``REACH_CUT_DB`` dB, and
    under the Nyquist frequency by a notch's half-width."""
    edge = min(high_hz, 0.45 * fs)
    return min(edge * (10 ** (REACH_CUT_DB / 10) - 1) ** (1 / (2 * order)), 0.5 * fs / (1 + 1 / (2 * NOTCH_Q)))


def mains_harmonics(mains_hz: float, fs: float, high_hz: float) -> list[float]:
    """Mains fundamental and the harmonics the band-pass (upper edge ``high_hz``, Hz) lets through, Hz:
    up to :func:`pass_reach_hz`."""
    return [k * mains_hz for k in range(1, int(pass_reach_hz(high_hz, fs) // mains_hz) + 1)]


def detect_mains(x: np.ndarray, fs: float, high_hz: float = DEFAULT_BAND_HZ[1]) -> list[float]:
    """Find mains hum by its spectral lines; return the frequencies to notch (Hz).

    Welch spectrum at 1 Hz resolution of ``x`` (samples × channels, µV). A line
    counts when its power is ``MAINS_PEAK_RATIO`` times the median of its
    ±3–10 Hz neighbourhood. Hum is the mains frequency (50 or 60 Hz) whose
    fundamental or harmonics in the band show the strongest line: a board
    with a notch of its own at the fundamental, or non-linear loads (lamps'
    and chargers' supplies), leave hum at the harmonics alone (odd ones
    above all: Huhta & Webster 1973, doi:10.1109/TBME.1973.324169); a
    harmonic counts towards it at ``HARMONIC_ONLY_RATIO``. Lines both grids
    share (300 Hz) say neither. Its fundamental is notched, and
    each harmonic the band-pass lets through (:func:`pass_reach_hz`) that
    shows its own line. Returns ``[]`` when
    there is no hum.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    nper = int(min(len(x), round(fs)))
    if nper < 64:
        return []
    freqs, psd = design.welch(x, fs, nper)
    psd = psd.mean(axis=1)
    df = float(freqs[1] - freqs[0])
    lines = {f: mains_harmonics(f, fs, high_hz) or [f] for f in MAINS_FREQS_HZ}
    shared = set(lines[MAINS_FREQS_HZ[0]]) & set(lines[MAINS_FREQS_HZ[1]])
    ratios = {f: dict(zip(h, _line_ratios(psd, df, h))) for f, h in lines.items()}
    band = min(high_hz, 0.45 * fs)  # hum is told in the band (as many places to look as it was measured with)
    scores = {f: max([r if g == f else r * MAINS_PEAK_RATIO / HARMONIC_ONLY_RATIO
                      for g, r in ratios[f].items() if g not in shared and (g == f or g <= band)], default=0.0)
              for f in MAINS_FREQS_HZ}
    f0 = max(scores, key=scores.get)
    if scores[f0] < MAINS_PEAK_RATIO:
        return []
    return [g for g, r in ratios[f0].items() if g == f0 or r >= MAINS_PEAK_RATIO]


def _line_ratios(psd: np.ndarray, df: float, freqs_hz) -> np.ndarray:
    """Each line's power (the highest of its 3 bins) over the median of its ±3–10 Hz neighbourhood.

    All lines in one NumPy pass (a probe through the night runs this every few minutes); 0 for a line
    whose neighbourhood runs past the spectrum's end.
    """
    near3, near10 = int(3 / df), int(10 / df)
    at = np.rint(np.asarray(freqs_hz, dtype=float) / df).astype(int)
    side = np.r_[-np.arange(near10, near3 - 1, -1), np.arange(near3, near10 + 1)]
    fits = at + near10 < len(psd)
    at = np.where(fits, at, near10)  # a stand-in index, its ratio set to 0 below
    near = np.median(psd[at[:, None] + side[None, :]], axis=1)
    peak = psd[np.clip(at[:, None] + np.arange(-1, 2)[None, :], 0, None)].max(axis=1)
    return np.where(fits, peak / np.maximum(near, 1e-30), 0.0)


# Hum can begin in the night (a lamp or an electric blanket switched on, a cable that moves and
# unbalances the electrode impedances: Huhta & Webster 1973, doi:10.1109/TBME.1973.324169), and an
# amplifier still settling in the first seconds hides it from the first probe. So ``mains="auto"``
# looks again: a probe of MAINS_RECHECK_PROBE_S at MAINS_RECHECK_FIRST_S (the amplifier has settled)
# and every MAINS_RECHECK_S of signal after. The probe is 4 s (Welch at 1 Hz, 7 half-overlapping
# segments: a line 4 × its neighbourhood stands well clear of their spread), the period 10 min:
# together about 20 ms of an 8-h night at 2 kHz (2 % of its analysis).
MAINS_RECHECK_FIRST_S = 60.0
MAINS_RECHECK_S = 600.0
MAINS_RECHECK_PROBE_S = 4.0
# Hum that switches on raises the level at once and holds it, as steady as a cramp's plateau: let
# through until the next probe, 10 µV of it over a 4-µV rest reads as a cramp at p 0.75 (50 Hz, one
# calf channel). So between probes a line check looks at every LINE_CHECK_S of signal: the power at
# each mains fundamental not yet notched over the median of its neighbours LINE_NEIGHBOURS_HZ away
# (outside a Hann window's main lobe at 0.5-Hz resolution), from a Hann-windowed DFT of every k-th
# raw sample, k the largest that keeps LINE_RATE_HZ (no filter: 67 Hz stays under the Nyquist
# frequency; what folds onto a line is asked about once, below). Hum that can lift the envelope to a
# burst carries the rest level's power in one line, hundreds of times the noise in a 0.5-Hz bin beside
# it; a line LINE_TRIP_RATIO times its neighbours (noise alone: a chance of about e^-14 per look,
# Bendat & Piersol 2010, ch. 8) sends the last probe of signal to :func:`detect_mains`, which decides
# as every probe does. A line it does not confirm (a harmonic of notched hum folded by the every-k-th
# look, a stimulator's tone) raises that fundamental's bar LINE_REARM times, so it is asked once.
LINE_CHECK_S = 2.0
LINE_NEIGHBOURS_HZ = (-7.0, -5.0, -3.0, 3.0, 5.0, 7.0)
LINE_RATE_HZ = 150.0
LINE_TRIP_RATIO = 20.0
LINE_REARM = 4.0


class LineCheck:
    """Trips where a mains fundamental not yet notched stands out of the raw signal, every ``check_s``.

    Looks sit at fixed sample positions (every ``check_s`` from sample 0), so where a block boundary
    falls changes nothing; a look that a gap cut short is skipped. Keeps the last ``keep`` samples in a
    ring of its own, so the samples before a trip can be probed.
    """

    def __init__(self, fs: float, n_channels: int, keep: int, check_s: float = LINE_CHECK_S):
        self.n = max(1, int(round(check_s * fs))) if math.isfinite(check_s) else 0
        # every step-th sample, step the largest divisor of a look's length that keeps LINE_RATE_HZ, so
        # looks tile the signal as 60-s chunks do (no look straddles two of them)
        self.step = max([d for d in range(1, max(2, int(fs // LINE_RATE_HZ) + 1)) if not self.n % d] or [1])
        m = max(1, self.n // self.step)
        self.freqs = sorted({f + o for f in MAINS_FREQS_HZ for o in (0.0, *LINE_NEIGHBOURS_HZ)})
        arg = 2.0 * np.pi * np.arange(m)[:, None] * np.asarray(self.freqs)[None, :] / (fs / self.step)
        hann = (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(m) / m))[:, None]
        table = np.concatenate([hann * np.cos(arg), hann * np.sin(arg)], axis=1)  # m × 2F
        self._table_t = np.ascontiguousarray(table.T)
        at = {f: i for i, f in enumerate(self.freqs)}
        self._line = [at[f] for f in MAINS_FREQS_HZ]
        self._near = np.array([[at[f + o] for o in LINE_NEIGHBOURS_HZ] for f in MAINS_FREQS_HZ])
        self.bar = {f: LINE_TRIP_RATIO for f in MAINS_FREQS_HZ}
        self.keep = max(keep, self.n, 1)
        self._ring = np.zeros((self.keep, n_channels))
        self._end = -1  # absolute index after the last sample in the ring; -1: nothing yet
        self._have = 0  # contiguous samples in the ring, ending at _end

    def ratios(self, seg: np.ndarray) -> np.ndarray:
        """Each fundamental's power over the median of its neighbours' (segments × fundamentals), in ``seg``.

        ``seg``: segments × n × channels; the columns follow :data:`MAINS_FREQS_HZ`. Power is summed over
        the channels, which the ratio cancels as the mean would. Few NumPy calls: a live block in which a
        look ends pays for them all at once.
        """
        spec = np.matmul(self._table_t, seg[:, ::self.step, :])  # segments × 2F × channels
        np.square(spec, out=spec)
        half = len(self.freqs)
        power = spec[:, :half] + spec[:, half:]
        power = power[:, :, 0] if power.shape[2] == 1 else np.add.reduce(power, axis=2)  # segments × F
        # the median of the 6 neighbours: the mean of the middle two of them sorted
        near = np.sort(power[:, self._near], axis=2)
        return power[:, self._line] * 2.0 / np.maximum(near[..., 2] + near[..., 3], 1e-30)

    def window(self, end: int, n: int, t0: int, x: np.ndarray) -> np.ndarray | None:
        """Samples ``end - n`` … ``end`` (absolute), from the ring and block ``x`` at ``t0``; None if not all held."""
        start = end - n
        if start >= t0:
            return x[start - t0:end - t0]
        before = t0 - start
        if self._end != t0 or self._have < before:
            return None
        at = (t0 - before) % self.keep
        held = self._ring[at:at + before]
        if len(held) < before:  # it wraps round the ring's end
            held = np.concatenate([held, self._ring[:before - len(held)]])
        return np.concatenate([held, x[:end - t0]])

    def remember(self, t0: int, x: np.ndarray) -> None:
        """Keep the last ``keep`` samples of block ``x`` at ``t0``."""
        if self._end != t0:
            self._have = 0
        n, keep = len(x), self.keep
        at = (t0 + n) % keep - min(n, keep)  # where the block's kept tail begins in the ring
        if at >= 0:  # the usual case: one copy
            self._ring[at:at + n] = x
        else:  # it wraps: the part up to the ring's end, the rest from its start
            tail = x[n - min(n, keep):]
            self._ring[at:] = tail[:-at]
            self._ring[:len(tail) + at] = tail[-at:]
        self._end, self._have = t0 + n, min(keep, self._have + n)

    def follows(self, t0: int) -> bool:
        """Whether a block at sample ``t0`` comes right after the last one kept (no gap between)."""
        return self._end == t0

    def next_end(self, after: int) -> int:
        """The first sample after ``after`` at which a look ends (a very large number when none will)."""
        return -(-(after + 1) // self.n) * self.n if self.n else 2 ** 62

    def looks(self, t0: int, x: np.ndarray, notched: list[float]) -> list[tuple[int, dict[float, float]]]:
        """(absolute end, ratio per fundamental) of each look that ended in block ``x`` at ``t0`` and stood out.

        A look is listed when a fundamental not in ``notched`` reached its bar (:attr:`bar`, which only
        rises), in time order.
        """
        if not self.n:
            return []
        first = -(-(t0 + 1) // self.n) * self.n  # the first look ending after t0
        ends = list(range(first, t0 + len(x) + 1, self.n))
        rows: list[tuple[int, np.ndarray]] = []
        bar = [math.inf if f in notched else self.bar[f] for f in MAINS_FREQS_HZ]
        if ends and ends[0] - self.n < t0:  # the one look that began in an earlier block
            seg = self.window(ends.pop(0), self.n, t0, x)
            if seg is not None:
                rows.append((first, self.ratios(seg[None])[0]))
        if ends:
            a = ends[0] - self.n - t0
            rows += zip(ends, self.ratios(x[a:a + len(ends) * self.n].reshape(len(ends), self.n, x.shape[1])))
        if not rows:
            return []
        stood_out = (np.array([r for _, r in rows]) >= np.array(bar)).any(axis=1)
        return [(e, dict(zip(MAINS_FREQS_HZ, map(float, r)))) for (e, r), up in zip(rows, stood_out) if up]


class MainsWatch:
    """Looks for hum again as the signal goes on; says where in a block new lines start being notched.

    Two kinds of look, both at fixed sample positions, so where a block boundary falls changes nothing:
    a probe (:func:`detect_mains` over ``probe_s``) from ``first_s`` and every ``every_s`` after, and
    the :class:`LineCheck` every 2 s, whose trips are probed at once. They are taken in time order,
    each against the lines notched by then; a window that a gap cut short is skipped. Lines are only
    added: a notch that hum no longer needs costs the EMG less than hum let through.

    Parameters
    ----------
    fs : float
        Sampling rate, Hz.
    n_channels : int
        Channels per block (the probe averages their spectra, as :func:`detect_mains` does).
    high_hz : float
        Upper edge of the pass band, Hz: harmonics past its reach (:func:`pass_reach_hz`) are not notched.
    notches : list of float
        Lines notched already, Hz.
    """

    def __init__(self, fs: float, n_channels: int, high_hz: float, notches: list[float],
                 first_s: float = MAINS_RECHECK_FIRST_S, every_s: float = MAINS_RECHECK_S,
                 probe_s: float = MAINS_RECHECK_PROBE_S, check_s: float | None = LINE_CHECK_S):
        self.fs, self.high_hz, self.notches = fs, high_hz, list(notches)
        self.every = max(1, int(round(every_s * fs)))
        self.probe = max(1, int(round(probe_s * fs)))
        self._first_end = max(0, int(round(first_s * fs))) + self.probe  # where the first probe's window ends
        # check_s None: probes only (the line check's looks are then never due)
        self.lines = LineCheck(fs, n_channels, self.probe, check_s or math.inf)
        self._due = 0  # no look ends before this sample: a block that ends before it is only kept

    def _probe_ends(self, t0_sample: int, end_sample: int) -> list[int]:
        """Ends (absolute) of the periodic probes' windows that end in ``t0_sample`` … ``end_sample``."""
        k = max(0, -(-(t0_sample + 1 - self._first_end) // self.every))
        return list(range(self._first_end + k * self.every, end_sample + 1, self.every))

    def look(self, t0_sample: int, x: np.ndarray) -> list[tuple[int, list[float]]]:
        """(index in ``x``, new lines in Hz) for each look that ended in block ``x`` and found new hum.

        ``x``: samples × channels (µV) of the block that starts at sample ``t0_sample``.
        """
        if t0_sample + len(x) < self._due and self.lines.follows(t0_sample):  # a live block between looks
            self.lines.remember(t0_sample, x)
            return []
        looks = [(e, 0, None) for e in self._probe_ends(t0_sample, t0_sample + len(x))]
        looks += [(e, 1, r) for e, r in self.lines.looks(t0_sample, x, self.notches)]
        found: list[tuple[int, list[float]]] = []
        for end, _, ratios in sorted(looks, key=lambda k: k[:2]):
            tripped = [] if ratios is None else [f for f, r in ratios.items()
                                                 if f not in self.notches and r >= self.lines.bar[f]]
            if ratios is not None and not tripped:
                continue
            window = self.lines.window(end, self.probe, t0_sample, x)
            if window is None and tripped:  # a trip soon after a gap: the look's own samples
                window = self.lines.window(end, self.lines.n, t0_sample, x)
            if window is None:  # a gap cut this window
                continue
            new = [f for f in detect_mains(window, self.fs, self.high_hz) if f not in self.notches]
            if new:
                self.notches += new
                found.append((end - t0_sample, new))
            for f in tripped:
                if f not in self.notches:  # not hum as a probe sees it: asked again only if it grows
                    self.lines.bar[f] = ratios[f] * LINE_REARM
        self.lines.remember(t0_sample, x)
        end = t0_sample + len(x)
        self._due = min(self._probe_ends(end, end + self.every)[:1] + [self.lines.next_end(end)])
        return found
