"""``analyze FOLDER --dask ADDRESS``: the recordings of a batch analysed on a Dask cluster (the dask extra)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from emgcramp.core.errors import InputError

DASK_CONNECT_S = 5.0  # a scheduler that does not answer by then is not there


def dask_outcomes(work: Callable[..., tuple], files: list[str], dask: str, jobs: int,
                  settings: tuple) -> Iterator[tuple]:
    """``work`` (a file, then its read options and settings) of each file on a Dask cluster: ``dask``, a scheduler's
    address, or ``local`` for one of ``jobs`` workers on this machine."""
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_completed
    except ImportError:
        raise InputError("--dask needs the dask extra: pip install 'emgcramp[dask]'") from None
    cluster = LocalCluster(n_workers=max(1, jobs), threads_per_worker=1, processes=True,
                           dashboard_address=None) if dask == "local" else None
    try:
        with _client(Client, cluster or dask, dask) as client:
            futures = client.map(work, files, read=settings[0], config=settings[1], pure=False)
            yield from (f.result() for f in dask_completed(futures))
    finally:
        if cluster is not None:
            cluster.close()


def _client(client_type: type, address: Any, said: str) -> Any:
    """A Dask client of the scheduler at ``address`` (``said`` so) within :data:`DASK_CONNECT_S`, else
    :class:`InputError`: Dask's own timeout bounds the connection, not what follows (a server that took the
    connection and said nothing, a web page's port, held the command for minutes)."""
    import threading

    made: list = []
    lock, late = threading.Lock(), [False]  # once late, a client made is closed, not handed over

    def connect() -> None:
        try:
            got: Any = client_type(address, timeout=DASK_CONNECT_S)
        except Exception as e:  # refused, timed out, or something answered that is not a scheduler
            got = e
        with lock:
            if not late[0]:
                made.append(got)
            elif not isinstance(got, Exception):
                got.close()

    thread = threading.Thread(target=connect, name="emgcramp-dask-connect", daemon=True)
    thread.start()
    thread.join(DASK_CONNECT_S + 1.0)
    with lock:
        late[0] = True
    if not made or isinstance(made[0], Exception):
        why = type(made[0]).__name__ if made else "it took the connection and did not answer"
        raise InputError(f"cannot reach a Dask scheduler at {said} within {DASK_CONNECT_S:g} s ({why})")
    return made[0]
