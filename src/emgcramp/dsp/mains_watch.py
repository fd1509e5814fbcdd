"""Hum that begins in the night: the mains watch looks for it again as the signal goes on (NumPy only).

:func:`~emgcramp.dsp.mains.detect_mains` finds the lines to notch in a stretch of signal; this module
decides when to ask it again (a probe every few minutes, and a line check every 2 s in between) and
says where in a block new lines start being notched.
"""

from __future__ import annotations

import math

import numpy as np

from emgcramp.core.config import DEFAULT_BAND_HZ
from emgcramp.dsp.mains import MAINS_FREQS_HZ, MAINS_PEAK_RATIO, detect_mains, mains_harmonics


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
# Hum is notched at its fundamental and each harmonic that shows a line, so a device switched on where hum
# is already notched (an LED lamp, a charger: rich in odd harmonics) adds lines at harmonics not notched
# while its own fundamental falls on a notched one: 20 µV at 50 Hz with 10 µV at 150, 250 and 350 Hz over
# notched 50 and 150 Hz read as a cramp at p 0.82 for the 364 s to the next probe. So the looks also
# follow, for each fundamental whose line stands out, the summed power of its harmonics in the band where
# the every-k-th look folds them (the fundamental's own line among them): a look where it changed by
# LINE_CHANGE of its last look's is probed as a trip is. Steady hum moves it by about 2·√(noise/hum)
# per look (cross terms with the noise in its bins: a few % for hum that can lift the envelope), far
# under half; new hum a third of the old amplitude or more moves it by half or more at most phases, and
# new harmonics where there were none many times over. A change the probe does not confirm raises its
# bar LINE_REARM times.
LINE_CHANGE = 0.5
# Folds that land this close to 0 Hz are left out: baseline wander and motion live there (Hz).
LINE_FOLD_MIN_HZ = 10.0


class LineCheck:
    """Trips where a mains fundamental not yet notched stands out of the raw signal, every ``check_s``.

    Looks sit at fixed sample positions (every ``check_s`` from sample 0), so where a block boundary
    falls changes nothing; a look that a gap cut short is skipped. Keeps the last ``keep`` samples in a
    ring of its own, so the samples before a trip can be probed.
    """

    def __init__(self, fs: float, n_channels: int, keep: int, check_s: float = LINE_CHECK_S,
                 high_hz: float = DEFAULT_BAND_HZ[1]):
        self.n = max(1, int(round(check_s * fs))) if math.isfinite(check_s) else 0
        # every step-th sample, step the largest divisor of a look's length that keeps LINE_RATE_HZ, so
        # looks tile the signal as 60-s chunks do (no look straddles two of them)
        self.step = max([d for d in range(1, max(2, int(fs // LINE_RATE_HZ) + 1)) if not self.n % d] or [1])
        m = max(1, self.n // self.step)
        # where each fundamental's harmonics in the band fold to in the every-step-th look (not the wander's few Hz)
        self._folds = {f: sorted({a for k in range(1, len(mains_harmonics(f, fs, high_hz)) + 1)
                                  if (a := _folded(k * f, fs / self.step)) >= LINE_FOLD_MIN_HZ})
                       for f in MAINS_FREQS_HZ}
        self.freqs = sorted({f + o for f in MAINS_FREQS_HZ for o in (0.0, *LINE_NEIGHBOURS_HZ)}
                            | {a for folds in self._folds.values() for a in folds})
        arg = 2.0 * np.pi * np.arange(m)[:, None] * np.asarray(self.freqs)[None, :] / (fs / self.step)
        hann = (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(m) / m))[:, None]
        self._table = np.concatenate([hann * np.cos(arg), hann * np.sin(arg)], axis=1)  # m × 2F
        at = {f: i for i, f in enumerate(self.freqs)}
        self._line = [at[f] for f in MAINS_FREQS_HZ]
        self._near = np.array([[at[f + o] for o in LINE_NEIGHBOURS_HZ] for f in MAINS_FREQS_HZ])
        self._family = np.zeros((len(self.freqs), len(MAINS_FREQS_HZ)))  # sums the folds of each
        for j, f in enumerate(MAINS_FREQS_HZ):
            self._family[[at[a] for a in self._folds[f]], j] = 1.0
        self.bar = {f: LINE_TRIP_RATIO for f in MAINS_FREQS_HZ}
        self.change_bar = {f: LINE_CHANGE for f in MAINS_FREQS_HZ}
        self._last: tuple[np.ndarray, np.ndarray] | None = None  # the last look's line powers and ratios
        self.keep = max(keep, self.n, 1)
        self._ring = np.zeros((self.keep, n_channels))
        self._end = -1  # absolute index after the last sample in the ring; -1: nothing yet
        self._have = 0  # contiguous samples in the ring, ending at _end

    def powers(self, seg: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each fundamental's power, the median of its neighbours' and the power of all its harmonics' folds
        (each segments × fundamentals), in ``seg``.

        ``seg``: segments × n × channels; the columns follow :data:`MAINS_FREQS_HZ`.
        """
        d = seg[:, ::self.step, :]
        flat = np.ascontiguousarray(d.transpose(0, 2, 1)).reshape(-1, d.shape[1])  # (segment, channel) rows
        spec = (flat @ self._table).reshape(len(seg), seg.shape[2], -1)
        half = len(self.freqs)
        power = (spec[..., :half] ** 2 + spec[..., half:] ** 2).mean(axis=1)  # segments × F
        # the median of the 6 neighbours (the mean of the middle two): segments × fundamentals
        near = np.sort(power[:, self._near], axis=2)[..., 2:4].mean(axis=2)
        return power[:, self._line], np.maximum(near, 1e-30), power @ self._family

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

    def looks(self, t0: int, x: np.ndarray, notched: list[float]) -> list[tuple[int, dict[float, float],
                                                                            dict[float, float]]]:
        """(absolute end, ratio and change per fundamental) of each look that ended in block ``x`` at ``t0`` and
        stood out, in time order.

        The ratio is a fundamental's power over its neighbours'; the change, how far its power moved since
        the last look, as a share of it (0 for the first look after a gap). A look is listed when a
        fundamental not in ``notched`` reached its :attr:`bar`, or one in it its :attr:`change_bar`.
        """
        if not self.n:
            return []
        if self._end != t0:
            self._last = None  # no change is measured across a gap
        first = -(-(t0 + 1) // self.n) * self.n  # the first look ending after t0
        ends = list(range(first, t0 + len(x) + 1, self.n))
        rows: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
        if ends and ends[0] - self.n < t0:  # the one look that began in an earlier block
            seg = self.window(ends.pop(0), self.n, t0, x)
            if seg is None:
                self._last = None
            else:
                rows.append((first, *(v[0] for v in self.powers(seg[None]))))
        if ends:
            a = ends[0] - self.n - t0
            rows += zip(ends, *self.powers(x[a:a + len(ends) * self.n].reshape(len(ends), self.n, x.shape[1])))
        return self._stood_out(rows, notched)

    def _stood_out(self, rows: list, notched: list[float]) -> list[tuple[int, dict[float, float], dict[float, float]]]:
        """The looks of ``rows`` (end, line, neighbours' and harmonics' powers) that reached a bar, with ratio and
        change.

        A change (of the harmonics' power) is measured only for a fundamental whose line stood out
        (``MAINS_PEAK_RATIO``) in the look or the one before it: what the signal shows, whatever is notched,
        so that the looks listed for a block are those that a block cut anywhere inside it would list (the
        bars only rise, the notches only grow).
        """
        if not rows:
            return []
        ratio = np.array([r[1] for r in rows]) / np.array([r[2] for r in rows])
        family = np.array([r[3] for r in rows])
        first = (family[:1], ratio[:1]) if self._last is None else (self._last[0][None], self._last[1][None])
        before, ratio_before = np.vstack([first[0], family[:-1]]), np.vstack([first[1], ratio[:-1]])
        stands = (ratio >= MAINS_PEAK_RATIO) | (ratio_before >= MAINS_PEAK_RATIO)
        change = np.where(stands, np.abs(family - before) / np.maximum(before, 1e-30), 0.0)
        self._last = (family[-1], ratio[-1])
        bar = [math.inf if f in notched else self.bar[f] for f in MAINS_FREQS_HZ]
        up = (ratio >= np.array(bar)).any(axis=1) | (change >= np.array(list(self.change_bar.values()))).any(axis=1)
        return [(r[0], dict(zip(MAINS_FREQS_HZ, map(float, q))), dict(zip(MAINS_FREQS_HZ, map(float, c))))
                for r, q, c, u in zip(rows, ratio, change, up) if u]


def _folded(f_hz: float, rate_hz: float) -> float:
    """Where a line at ``f_hz`` appears when sampled at ``rate_hz`` (0 … rate/2), Hz."""
    a = f_hz % rate_hz
    return round(min(a, rate_hz - a), 6)


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
        Upper edge of the pass band, Hz: harmonics above it are not notched.
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
        self.lines = LineCheck(fs, n_channels, self.probe, check_s or math.inf, high_hz)
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
        looks = [(e, 0, None, None) for e in self._probe_ends(t0_sample, t0_sample + len(x))]
        looks += [(e, 1, r, c) for e, r, c in self.lines.looks(t0_sample, x, self.notches)]
        found: list[tuple[int, list[float]]] = []
        for end, _, ratios, changes in sorted(looks, key=lambda k: k[:2]):
            tripped = [] if ratios is None else [f for f, r in ratios.items()
                                                 if f not in self.notches and r >= self.lines.bar[f]]
            changed = [] if changes is None else [f for f, c in changes.items()
                                                  if f in self.notches and c >= self.lines.change_bar[f]]
            if ratios is not None and not tripped and not changed:
                continue
            window = self.lines.window(end, self.probe, t0_sample, x)
            if window is None and ratios is not None:  # a trip soon after a gap: the look's own samples
                window = self.lines.window(end, self.lines.n, t0_sample, x)
            if window is None:  # a gap cut this window
                continue
            new = [f for f in detect_mains(window, self.fs, self.high_hz) if f not in self.notches]
            if new:
                self.notches += new
                found.append((end - t0_sample, new))
            self._rearm(tripped, ratios, [] if new else changed, changes)
        self.lines.remember(t0_sample, x)
        end = t0_sample + len(x)
        self._due = min(self._probe_ends(end, end + self.every)[:1] + [self.lines.next_end(end)])
        return found

    def _rearm(self, tripped: list[float], ratios, changed: list[float], changes) -> None:
        """Raise the bars of the trips and changes a probe did not confirm: asked again only if they grow."""
        for f in tripped:
            if f not in self.notches:
                self.lines.bar[f] = ratios[f] * LINE_REARM
        for f in changed:
            self.lines.change_bar[f] = changes[f] * LINE_REARM
