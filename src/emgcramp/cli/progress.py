"""A one-line progress bar with the time left, on stderr, shown only on a terminal."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


class Progress:
    """``label [#####     ]  45.0%  12 s left``; call it with the amount done so far.

    ``total`` and the amounts are in any unit (samples, nights). Nothing is
    shown when stderr is not a terminal or ``enabled`` is false, so logs
    and pipes stay clean.
    """

    def __init__(self, label: str, total: float | None, enabled: bool = True, stream=None):
        self.label, self.total = label, total
        self.stream = stream or sys.stderr
        self.enabled = enabled and bool(total) and self.stream.isatty()
        self._t0 = time.monotonic()
        self._shown = 0.0
        self._steps = 0

    def __call__(self, done: float) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self._shown < 0.2 and done < self.total):
            return
        self._shown = now
        self.stream.write("\r" + self.line(done, now - self._t0))
        self.stream.flush()

    def step(self, *_done_item) -> None:
        """One more unit done (a callback for work that reports each item as it finishes)."""
        self._steps += 1
        self(self._steps)

    def line(self, done: float, elapsed_s: float) -> str:
        """The bar for ``done`` of ``total`` after ``elapsed_s`` seconds."""
        frac = min(max(done / self.total, 0.0), 1.0)
        left = elapsed_s * (1 - frac) / frac if frac > 0 else float("nan")
        eta = "" if left != left else f"  {_duration(left)} left"
        return f"{self.label} [{'#' * int(30 * frac):<30}] {100 * frac:5.1f}%{eta}   "

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()

    def over(self, items: Iterable[T], size=len) -> Iterator[T]:
        """Yield ``items``, counting ``size(item)`` of each as done."""
        done = 0
        try:
            for item in items:
                yield item
                done += size(item)
                self(done)
        finally:
            self.close()


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"
