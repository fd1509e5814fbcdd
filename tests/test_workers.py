"""Worker pools (``emgcramp.workers``): a stop is never lost."""

import signal
import time

import pytest

from emgcramp.core.errors import Stopped


class _StopWhileCollected:
    """Sends SIGTERM from inside ``__del__``, where Python prints a handler's exception and drops it, as it does
    inside the callbacks ``os.fork`` runs while a pool starts its workers."""

    def __del__(self):
        signal.raise_signal(signal.SIGTERM)


def _slow(job):
    time.sleep(0.3)
    return job


def test_a_stop_whose_exception_python_dropped_as_workers_started_still_stops_them(pools_started, monkeypatch,
                                                                                   capsys):
    """``bench accuracy`` stopped as it forked its workers ran on to the end of its nights ("Exception ignored
    in _releaseLock … Stopped: 15"): 17 s for two 12-h nights, where it should stop at once."""
    from emgcramp import workers

    def raise_stop(signum, frame):
        raise Stopped(signum)

    submit = workers.ProcessPoolExecutor.submit

    def submit_and_drop(self, fn, *args):
        _StopWhileCollected()  # collected at once: the handler runs inside __del__
        return submit(self, fn, *args)

    monkeypatch.setattr(workers.ProcessPoolExecutor, "submit", submit_and_drop)
    before = signal.signal(signal.SIGTERM, raise_stop)
    try:
        done = []
        with pytest.raises(Stopped) as stop:
            for row in workers.run_each(_slow, list(range(6)), 2, ordered=True):
                done.append(row)
        assert stop.value.signum == signal.SIGTERM and done == []
        assert signal.getsignal(signal.SIGTERM) is raise_stop  # the caller's handler is put back
        assert capsys.readouterr().err == ""  # no "Exception ignored" traceback: the stop is said once, by its caller
    finally:
        signal.signal(signal.SIGTERM, before)


@pytest.mark.parametrize("ordered", [True, False])
def test_each_job_is_answered_once_in_order_or_as_it_finishes(pools_started, ordered):
    from emgcramp.workers import run_each

    rows = list(run_each(_slow_first, [3, 2, 1, 4, 0], 2, ordered))
    assert rows == [3, 2, 1, 4, 0] if ordered else (sorted(rows) == [0, 1, 2, 3, 4] and rows[0] != 3)


def _slow_first(job):
    time.sleep(0.4 if job == 3 else 0.01)
    return job


def test_a_stop_dropped_as_the_caller_takes_the_last_row_still_stops_it(pools_started):
    from emgcramp.workers import run_each

    def raise_stop(signum, frame):
        raise Stopped(signum)

    before = signal.signal(signal.SIGTERM, raise_stop)
    try:
        rows = []
        with pytest.raises(Stopped):
            for row in run_each(abs, [-1, -2], 2, ordered=True):
                rows.append(row)
                if len(rows) == 2:
                    _StopWhileCollected()
        assert rows == [1, 2]
    finally:
        signal.signal(signal.SIGTERM, before)


def test_a_ctrl_c_the_caller_handled_is_not_raised_again_and_the_hook_is_put_back(pools_started):
    """Only a stop Python dropped is raised again: one that reached the caller was the caller's to handle."""
    import sys

    from emgcramp.workers import run_each

    hook, rows = sys.unraisablehook, []
    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # Python's Ctrl-C (a test worker's differs)
    try:
        first, second = run_each(abs, [-1, -2, -3], 2, ordered=True), run_each(abs, [-4, -5], 2, ordered=True)
        for row in first:
            rows.append(row)
            if len(rows) < 4:
                rows.append(next(second))  # two pools waiting at once, ended in another order than they began
            try:
                signal.raise_signal(signal.SIGINT)
            except KeyboardInterrupt:
                pass
            if len(rows) == 4:
                second.close()
    finally:
        signal.signal(signal.SIGINT, before)
    assert rows == [1, 4, 2, 5, 3] and sys.unraisablehook is hook


def test_a_pool_that_ends_first_leaves_the_other_s_dropped_stops_noted():
    """Each waiting pool is its own list of dropped stops, and two empty lists are equal: the pool that ended
    first took the other's from the hook (list.remove), whose dropped stop was then never raised."""
    import sys
    import types

    from emgcramp.workers import _stops_kept

    hook = sys.unraisablehook
    with _stops_kept() as first_check:
        with _stops_kept():
            pass  # the second pool, begun later, ends first
        dropped = KeyboardInterrupt()
        sys.unraisablehook(types.SimpleNamespace(exc_value=dropped, exc_type=KeyboardInterrupt, exc_traceback=None,
                                                 err_msg=None, object=None))
        with pytest.raises(KeyboardInterrupt) as raised:
            first_check()
        assert raised.value is dropped
    assert sys.unraisablehook is hook
