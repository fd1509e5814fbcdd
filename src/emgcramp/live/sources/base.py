"""The one interface the monitor reads every source through."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Protocol, runtime_checkable

from emgcramp.core.blocks import Block

# Before the sensor's first status frame has given its rate, an outage is counted in samples at
# this rate: the middle of the 500–2000 Hz typical of sEMG, and the rate most hobby boards run at.
# Only the length of a gap marked before any data came depends on it.
FS_BEFORE_KNOWN_HZ = 1000.0


@runtime_checkable
class Source(Protocol):
    """A stream of blocks in µV: serial, BLE, text lines over serial, or a replayed recording.

    ``blocks()`` yields :class:`Block` s as they come (``gap_before`` after a
    reconnect), and ``None`` when nothing has come for a while, so the caller
    can say so; setting ``stop`` ends it. ``fs`` (Hz) may be ``None`` until
    the sensor has said it. ``connected``, ``problem`` (what keeps data from
    arriving, in words; ``""`` when it flows) and ``lead_off`` (electrodes
    reported off, a count) feed the status line.
    """

    stop: threading.Event
    connected: bool
    problem: str
    start: datetime | None  # clock time of the first sample when the source knows it (a replay); else now

    @property
    def fs(self) -> float | None: ...

    @property
    def lead_off(self) -> int: ...

    def blocks(self) -> Iterator[Block | None]: ...


def gave_up(what: str, seconds: float, why: str = "") -> str:
    """Why a night ended on ``--give-up``: ``what`` (the sensor) gone for ``seconds`` (s), or connected but
    giving no samples for as long (``why``: what it does instead), in one line."""
    lost = f"no samples from {what} for {seconds:g} s ({why})" if why else f"no connection to {what} for {seconds:g} s"
    return f"{lost} (--give-up): the night ends there, stored and summarised; start monitor again when the sensor is back"


class LinkedSource:
    """Rate and lead-off as the sensor link decoding the bytes (``self.link``) knows them.

    A sensor may announce a new rate mid-stream. The link may have decoded
    that status frame before the consumer has taken the blocks made before
    it, so :attr:`fs` is the rate of the block last handed out (see
    :meth:`_hand_out`), not the link's latest: a consumer that compares it
    block by block sees the change at the right block.
    """

    link: object
    start = None  # a live sensor's samples are timed by the clock when they arrive
    _block_fs: float | None = None

    @property
    def fs(self) -> float | None:
        """Rate (Hz) of the block last handed out; before the first, the link's."""
        return self._block_fs if self._block_fs is not None else self.link.fs

    @property
    def lead_off(self) -> int:
        """Lead-off reports from the sensor so far."""
        return self.link.lead_off

    def clock_note(self) -> str:
        """A sentence when the sensor's samples arrive at another rate than it declares, else ``""``."""
        note = getattr(self.link, "clock_note", None)
        return note() if note is not None else ""

    def _hand_out(self, block: Block) -> Block:
        """``block``, with :attr:`fs` now its rate (for links that track it per block)."""
        fs_at = getattr(self.link, "fs_at", None)
        if fs_at is not None:
            self._block_fs = fs_at(block.t0_sample)
        return block
