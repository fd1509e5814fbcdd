"""Worker processes for many recordings or nights at once, ended at once when the caller is stopped.

``analyze FOLDER --jobs N`` and ``bench accuracy --jobs N`` run here. No more
workers start than there are jobs, and Ctrl-C, ``SIGTERM`` or ``SIGHUP`` in the
caller (or any exception) cancels the jobs not started and kills the workers
then, rather than after the jobs they hold (a pool's own shutdown waits for
those: 40 s for a 4-h night).
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any

POLL_S = 0.5  # how often a wait for the workers looks for a stop whose exception was lost (s)


def _ignore_sigint() -> None:
    """Pool workers leave Ctrl-C to the parent, which ends them (a terminal signals the whole group)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel the jobs not started and kill the workers now, not after the jobs they hold."""
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for w in workers:
        w.kill()
    for w in workers:
        w.join(1.0)


_dropped: list[list[BaseException]] = []  # for each pool waiting, the stops Python dropped since it began
_hook_before: list[Callable[[Any], object]] = []  # the unraisable hook while pools wait (set by the first)


def _unraisable(unraisable: Any) -> None:
    """Note a stop (Ctrl-C, SIGTERM, SIGHUP) Python dropped for each pool waiting, unprinted; pass on the rest."""
    if _dropped and isinstance(unraisable.exc_value, KeyboardInterrupt):
        for lost in _dropped:
            lost.append(unraisable.exc_value)
    else:
        _hook_before[0](unraisable)


@contextmanager
def _stops_kept() -> Iterator[Callable[[], None]]:
    """Yield a check that raises again a stop whose exception Python dropped.

    A signal handler's exception raised while ``os.fork`` runs its Python callbacks (logging's lock release)
    goes to :func:`sys.unraisablehook` ("Exception ignored"), and is lost: a ``bench accuracy`` stopped as its
    workers started ran on to the end of its nights. While a pool waits, such a stop is noted rather than
    printed, and ``check()`` raises it where the pool is (said once, by the caller).
    """
    lost: list[BaseException] = []
    if not _dropped:
        _hook_before[:] = [sys.unraisablehook]
        sys.unraisablehook = _unraisable
    _dropped.append(lost)

    def check() -> None:
        if lost:
            raise lost.pop(0)

    try:
        yield check
    finally:
        _dropped[:] = [other for other in _dropped if other is not lost]  # this pool's: lists alike are equal
        if not _dropped:
            sys.unraisablehook = _hook_before[0]


def _finished(futures: list[Future], ordered: bool, check: Callable[[], None]) -> Iterator[Future]:
    """The futures as each finishes (or in order), looking for a lost stop every :data:`POLL_S`."""
    waiting = set(futures)
    while waiting:
        done, waiting = wait(waiting, timeout=POLL_S, return_when=FIRST_COMPLETED)
        check()
        yield from (f for f in futures if f in done) if not ordered else ()
        while ordered and futures and futures[0].done():
            yield futures.pop(0)


def run_each(fn: Callable[[Any], Any], jobs: list, workers: int, ordered: bool = False) -> Iterator[Any]:
    """``fn(job)`` for each of ``jobs`` on up to ``workers`` processes (never more than the jobs), as each
    finishes, or in the jobs' order (``ordered``); ``fn`` and the jobs are sent to the workers (picklable)."""
    with _stops_kept() as check:
        pool = ProcessPoolExecutor(max_workers=max(1, min(workers, len(jobs))), initializer=_ignore_sigint)
        try:
            futures = [pool.submit(fn, job) for job in jobs]  # the workers are forked here
            check()
            yield from (f.result() for f in _finished(list(futures), ordered, check))
            check()  # one dropped as the caller took the last
        except BaseException:  # Ctrl-C, a signal, or the caller gave up: drop what is queued, end what runs
            _stop(pool)
            raise
        pool.shutdown()
