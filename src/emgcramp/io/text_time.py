"""The time column of a text table: the rate it gives, and each of its steps checked as the rows are read."""

from __future__ import annotations

import sys

import numpy as np

from emgcramp.core.blocks import MIN_FS_HZ
from emgcramp.core.errors import InputError
from emgcramp.io.text_fields import fit_step, whole_rate

# A column in seconds too slow for EMG is taken for milliseconds when that gives a board's rate, up to this (Hz)
MS_AS_S_HZ = 20_000.0


class TimeColumn:
    """The time column of the table at ``path``, its times in units of ``scale`` s, printed to ``slack`` s."""

    def __init__(self, path: str, scale: float, slack: float):
        self.path, self.scale, self.slack = path, scale, slack
        self.restart()

    def restart(self) -> None:
        """Check from the first row again (a new read)."""
        self.t_last: float | None = None
        self.rows_read = 0

    def rate(self, t: np.ndarray, fs: float | None) -> float | None:
        """The rate (Hz) the first rows' times ``t`` (in the column's unit) give, or ``fs`` (Hz) checked against it."""
        self._refuse_no_time(t, 0)  # with --fs it was read past, unsaid; without, "no sampling rate"
        dt = np.diff(t) * self.scale
        if len(dt) < 1:
            return fs
        step = float(np.median(dt))
        if step <= 0:  # a time column, but no rate comes of it: said as such, not as a missing rate
            how = "runs backwards (rows in reverse order?)" if step < 0 else "stands still (one time on most rows)"
            raise InputError(f"{self.path}: the time column {how} from t = {t[0] * self.scale:.6g} s to "
                             f"{t[-1] * self.scale:.6g} s over its first {len(t)} rows; "
                             f"{'sort the rows by time, or ' * (step < 0)}leave the column out and give --fs HZ")
        off = np.abs(dt - step)
        if off.max() > 0.05 * step + self.slack:
            raise InputError(f"{self.path}: the time column is not evenly sampled (steps vary beyond 5 % and the "
                             f"{self.slack:.3g} s its printed digits allow); if the samples came at a fixed rate and "
                             "only their times jitter, leave the time column out and give --fs HZ")
        rate = whole_rate(*fit_step(t * self.scale))
        whole = bool(np.all(t == np.round(t)))  # 0, 1, 2 …: a count of milliseconds far likelier than of seconds
        if self.scale == 1.0 and whole and rate < MIN_FS_HZ <= rate * 1e3 <= MS_AS_S_HZ:
            raise InputError(f"{self.path}: the time column steps by {step:.6g} s, {rate:.6g} Hz, too slow for EMG; "
                             "if its times are in milliseconds, name it time_ms")
        if fs is not None and abs(fs - rate) > 0.01 * rate:
            raise InputError(f"{self.path}: --fs {fs:g} Hz disagrees with the time column ({rate:.6g} Hz)")
        if fs is None and off.max() > 1e-3 * step:
            print(f"emgcramp: note: {self.path}: {rate:.6g} Hz from the time column (a least-squares fit "
                  f"over {len(t)} rows; times printed to {self.slack:.3g} s)", file=sys.stderr)
        return fs if fs is not None else round(rate, 6)

    def _refuse_no_time(self, t: np.ndarray, rows_before: int) -> None:
        """:class:`InputError` at the first time that is no number (NaN, ±inf), ``rows_before`` data rows in."""
        if not np.isfinite(t).all():
            bad = int(np.argmin(np.isfinite(t)))
            raise InputError(f"{self.path}: the time column holds {t[bad]} at data row {rows_before + bad + 1}: "
                             "fix or remove that row")

    def check(self, t: np.ndarray, fs: float) -> None:
        """Every step of the time column (``t``, the next rows' times), all the way through, at ``fs`` (Hz): a
        gap or a jump is an error, never skipped."""
        t = t * self.scale
        self._refuse_no_time(t, self.rows_read)
        prev = np.concatenate([[self.t_last], t[:-1]]) if self.t_last is not None else t[:-1]
        dt = t[-len(prev):] - prev if len(prev) else prev
        step = 1.0 / fs
        still = dt < 0 if self.slack > step else dt <= 0  # rows print alike only for a step under the last digit
        bad = np.flatnonzero((np.abs(dt - step) > 0.05 * step + self.slack) | still)
        if len(bad):
            i, what = int(bad[0]) + (self.t_last is None), "a gap or a jump" if dt[bad[0]] > 0 else \
                "a time repeated or going back (rows written twice?)"
            raise InputError(f"{self.path}: the time column steps by {dt[bad[0]]:+.6g} s at data row "
                             f"{self.rows_read + i + 1} (t = {t[i]:.6g} s) instead of {step:.6g} s: {what}; "
                             "fill or cut the recording there")
        self.t_last = float(t[-1])
        self.rows_read += len(t)
