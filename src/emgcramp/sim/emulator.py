"""A stand-in for the calf sensor: plays a night as frames over a pseudo-terminal.

The emulator speaks the sensor link protocol (``firmware_bridge/PROTOCOL.md``)
exactly as the sketch does: a status frame first and once a second, data
frames of ``n`` int16 samples, the sample clock running on while the cable
is out. :class:`PtyPort` keeps one stable path (a symlink, as udev gives a
USB sensor) across unplug and replug.
"""

from __future__ import annotations

import os
import threading
import time
import tty
from collections.abc import Iterable, Iterator

import numpy as np

from emgcramp.core.blocks import Block
from emgcramp.core.protocol import encode_data, encode_status

DEFAULT_NV_PER_LSB = 250  # 0.25 µV steps: ±8.19 mV of int16 range


class SensorEmulator:
    """Frames from µV segments (1-D, or samples × channels) at ``fs`` Hz.

    A segment given as a :class:`~emgcramp.core.blocks.Block` starts at its
    ``t0_sample``: one that starts later than the samples before it end
    follows a gap (a night folder's lost signal), sent as a sensor away
    sends it: the samples pending go in a short frame, then the sample
    clock leaps over the gap, as it runs on while the cable is out.
    """

    def __init__(self, segments: Iterable[np.ndarray | Block], fs: float, n: int = 100,
                 nv_per_lsb: int = DEFAULT_NV_PER_LSB, battery_mv: int = 3900, lose: float = 0.0, seed: int = 0):
        self.segments, self.fs, self.n = segments, int(fs), n
        self.nv_per_lsb, self.battery_mv = nv_per_lsb, battery_mv
        # Share of data frames lost on the air (a BLE notification that never arrives); they still
        # take their sequence number and samples, so the receiver sees a gap.
        self.lose, self._rng = lose, np.random.default_rng(seed)
        self.skipped = 0  # samples of the gaps leapt over so far (frames())

    def counts(self, x_uv: np.ndarray) -> np.ndarray:
        """µV → int16 ADC counts, clipped at the rails."""
        return np.clip(np.round(x_uv * 1000.0 / self.nv_per_lsb), -32768, 32767).astype(np.int32)

    def frames(self) -> Iterator[tuple[int, bytes]]:
        """Yield (sample clock after the frame, frame bytes); :attr:`skipped` counts the gaps' samples so far."""
        seq, clock, next_status, rest = 0, 0, 0, None
        self.skipped = 0
        for seg in self.segments:
            at, seg = (seg.t0_sample, seg.samples) if isinstance(seg, Block) else (None, seg)
            seg = seg[:, None] if seg.ndim == 1 else seg
            pending = 0 if rest is None else len(rest)
            if at is not None and at > clock + pending:  # a gap: what is pending goes now, then the clock leaps
                if pending:
                    yield clock + pending, encode_data(seq, clock, rest)
                    seq, clock, rest = seq + 1, clock + pending, None
                seq, clock, self.skipped = seq + (at - clock) // self.n, at, self.skipped + at - clock
                next_status = max(next_status, clock)
            c = self.counts(seg) if rest is None or not len(rest) else np.vstack([rest, self.counts(seg)])
            whole = len(c) // self.n * self.n
            for i in range(0, whole, self.n):
                if clock >= next_status:
                    yield clock, encode_status(seq, clock, self.fs, self.nv_per_lsb, self.battery_mv,
                                               channels=c.shape[1])
                    seq, next_status = seq + 1, next_status + self.fs
                if not (self.lose and self._rng.random() < self.lose):
                    yield clock + self.n, encode_data(seq, clock, c[i:i + self.n])
                seq, clock = seq + 1, clock + self.n
            rest = c[whole:]


# How long a pty must show no byte waiting before its reader is taken to have read them all (s): the kernel
# hands written bytes to the reader's side within milliseconds, later on a loaded machine.
SETTLED_S = 0.1


class PtyPort:
    """A pseudo-terminal with a stable path; :meth:`unplug` / :meth:`plug` replug it."""

    def __init__(self, path: str):
        self.path = path
        self._master: int | None = None
        self._slave: int | None = None
        self.plug()

    def plug(self) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # bytes pass untouched, whoever opens the slave
        tmp = f"{self.path}.new"
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(os.ttyname(self._slave), tmp)
        os.replace(tmp, self.path)

    def unplug(self) -> None:
        """Pull the cable: the pty goes, and so does the device link (as udev removes it).

        A link left behind would point at a pty number the next process to
        open a terminal may get, and a reader would reconnect to that.
        """
        if os.path.lexists(self.path):
            os.unlink(self.path)
        for fd in (self._master, self._slave):
            if fd is not None:
                os.close(fd)
        self._master = self._slave = None

    @property
    def plugged(self) -> bool:
        return self._master is not None

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view and self._master is not None:
            view = view[os.write(self._master, view):]

    def drain(self, timeout_s: float = 10.0) -> int:
        """Wait until a reader has taken every byte written (up to ``timeout_s``, s); the bytes still unread.

        Closing a pty drops what its reader has not read yet: a night played
        faster than it is read would lose its end. The kernel moves bytes
        written to the reader's side a little later, so none waiting counts
        only once it has held for ``SETTLED_S`` (right after a write the
        count can read 0 with every byte still to come).
        """
        import fcntl
        import struct
        import termios
        import time

        now = time.monotonic()
        deadline, waiting, empty_since = now + timeout_s, 0, None
        while self._slave is not None:
            waiting = struct.unpack("i", fcntl.ioctl(self._slave, termios.FIONREAD, b"\0\0\0\0"))[0]
            now = time.monotonic()
            empty_since = (empty_since or now) if not waiting else None
            if (empty_since is not None and now - empty_since >= SETTLED_S) or now > deadline:
                break
            time.sleep(0.01)
        return waiting

    def close(self) -> None:
        self.unplug()


def play(emulator: SensorEmulator, port: PtyPort, speed: float = 1.0, stop: threading.Event | None = None,
         unplugs: Iterable[tuple[float, float]] = ()) -> int:
    """Write the emulator's frames to ``port`` in real time × ``speed`` (0: as fast as read).

    ``unplugs`` lists (at_s, for_s) on the sensor clock: the port is
    unplugged then, and frames sampled meanwhile are lost, as with a cable
    pulled from a running sensor. A gap in the segments (:class:`SensorEmulator`)
    is waited through at real time, as a sensor away is silent that long; above
    real time it goes by at once: a stream run ahead of the wall clock has its
    clock's leap believed, and one that waited it out ×``speed`` would not.
    Returns the frames written.
    """
    stop = stop or threading.Event()
    plan = sorted(unplugs)
    start, written = time.monotonic(), 0
    for clock, frame in emulator.frames():
        if stop.is_set():
            break
        t = clock / emulator.fs
        paced = t - (emulator.skipped / emulator.fs if speed > 1 else 0.0)  # the time to send it at, × speed
        while plan and t >= plan[0][0] + plan[0][1]:
            plan.pop(0)
            if not port.plugged:
                port.plug()
        if plan and t >= plan[0][0]:
            if port.plugged:
                port.unplug()
            if speed:
                _wait_until(start, paced / speed, stop)
            continue
        if not port.plugged:
            port.plug()
        if speed:
            _wait_until(start, paced / speed, stop)
        port.write(frame)
        written += 1
    return written


def _wait_until(start: float, offset_s: float, stop: threading.Event) -> None:
    delay = start + offset_s - time.monotonic()
    if delay > 0:
        stop.wait(delay)
