"""Worker processes for many recordings or nights at once, ended at once when the caller is stopped.

``analyze FOLDER --jobs N`` and ``bench accuracy --jobs N`` run here. No more
workers start than there are jobs, and Ctrl-C, ``SIGTERM`` or ``SIGHUP`` in the
caller (or any exception) cancels the jobs not started and kills the workers
then, rather than after the jobs they hold (a pool's own shutdown waits for
those: 40 s for a 4-h night).
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any


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


def run_each(fn: Callable[[Any], Any], jobs: list, workers: int, ordered: bool = False) -> Iterator[Any]:
    """``fn(job)`` for each of ``jobs`` on up to ``workers`` processes (never more than the jobs), as each
    finishes, or in the jobs' order (``ordered``); ``fn`` and the jobs are sent to the workers (picklable)."""
    pool = ProcessPoolExecutor(max_workers=max(1, min(workers, len(jobs))), initializer=_ignore_sigint)
    try:
        futures = [pool.submit(fn, job) for job in jobs]
        yield from (f.result() for f in (futures if ordered else as_completed(futures)))
    except BaseException:  # Ctrl-C, a signal, or the caller gave up: drop what is queued, end what runs
        _stop(pool)
        raise
    pool.shutdown()
