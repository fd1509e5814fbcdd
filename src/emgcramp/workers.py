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
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any

_STOPS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
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


@contextmanager
def _stops_kept() -> Iterator[Callable[[], None]]:
    """Yield a check that raises again a stop (Ctrl-C, SIGTERM, SIGHUP) whose exception Python dropped.

    A handler's exception raised while ``os.fork`` runs its Python callbacks (logging's lock release) is printed
    as "Exception ignored" and lost: a ``bench accuracy`` stopped as its workers started ran on to the end of its
    nights. Each Python handler that raises is wrapped to note the signal; ``check()`` calls it again, and the
    dropped exception's traceback is not printed (the stop is said once, where it is raised again).
    """
    lost: list[int] = []
    before: dict[int, Any] = {}
    hook = sys.unraisablehook

    def quiet(unraisable: Any) -> None:
        if not (lost and isinstance(unraisable.exc_value, KeyboardInterrupt)):
            hook(unraisable)

    def noting(prev: Callable[[int, Any], Any]) -> Callable[[int, Any], Any]:
        def handler(signum: int, frame: Any) -> Any:
            try:
                return prev(signum, frame)
            except BaseException:
                lost.append(signum)  # looked at only where no exception came through: there it was lost
                raise
        return handler

    if threading.current_thread() is threading.main_thread():  # only it may set handlers
        before = {sig: h for sig in _STOPS if callable(h := signal.getsignal(sig))}
        for sig, h in before.items():
            signal.signal(sig, noting(h))

    def check() -> None:
        if lost:
            before[lost[0]](lost[0], None)

    sys.unraisablehook = quiet
    try:
        yield check
    finally:
        sys.unraisablehook = hook
        if threading.current_thread() is threading.main_thread():  # not a generator's end in another thread
            for sig, h in before.items():
                signal.signal(sig, h)


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
        except BaseException:  # Ctrl-C, a signal, or the caller gave up: drop what is queued, end what runs
            _stop(pool)
            raise
        pool.shutdown()
