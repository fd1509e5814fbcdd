"""USB serial source (pyserial): frames or text lines, reconnecting on unplug.

On a read error or an unplugged port the source closes the port, retries
with back-off (0.2 s doubling to ``max_backoff_s``, 1 s: a missing device
node is cheap to look for, and a longer wait is signal lost after the
replug), and marks the time it was away as a gap, so nothing after the
replug is lost and the detector does not join the two sides.
"""

from __future__ import annotations

import errno
import queue
import threading
import time
from collections.abc import Iterator

import serial
from serial.tools import list_ports

from emgcramp.core.blocks import Block
from emgcramp.core.errors import InputError
from emgcramp.live.sources.base import FS_BEFORE_KNOWN_HZ, LinkedSource
from emgcramp.live.sources.frames import FrameLink

SILENT_S = 5.0  # an open port with no bytes for this long is reported as silent

# USB bridges of common ESP32 boards: CP210x, CH340/CH9102, ESP32-S3/C3 native USB.
KNOWN_USB_IDS = [(0x10C4, 0xEA60), (0x1A86, 0x7523), (0x1A86, 0x55D4), (0x303A, 0x1001)]


def find_port(ids: list[tuple[int, int]] = KNOWN_USB_IDS) -> str:
    """The first serial port whose USB VID:PID is in ``ids``."""
    for p in list_ports.comports():
        if (p.vid, p.pid) in ids:
            return p.device
    known = ", ".join(f"{v:04x}:{p:04x}" for v, p in ids)
    raise InputError(f"no sensor found on USB (looked for {known}); give --serial PORT")


class SerialSource(LinkedSource):
    """Blocks from a serial port.

    Args:
        port: device path (a by-id symlink survives replugging best).
        link: :class:`FrameLink` (default) or :class:`~emgcramp.live.sources.ascii.LineLink`.
        baudrate: ignored by USB CDC devices and pseudo-terminals.
        give_up_s: stop after this long without a connection (``None``: never).
        stop: set it to end :meth:`blocks` from another thread.
    """

    def __init__(self, port: str, link=None, baudrate: int = 921_600, max_backoff_s: float = 1.0,
                 give_up_s: float | None = None, stop: threading.Event | None = None, heartbeat_s: float = 1.0):
        self.port = port
        self.link = link or FrameLink()
        self.baudrate = baudrate
        self.max_backoff_s = max_backoff_s
        self.give_up_s = give_up_s
        self.stop = stop or threading.Event()
        self.heartbeat_s = heartbeat_s
        self.connected = False
        self.problem = ""  # what keeps data from arriving, in words ("" when it flows)
        self._data_at = time.monotonic()
        self.reconnects = 0
        self._ser: serial.Serial | None = None
        self._lost_at: float | None = None

    def _open(self) -> bool:
        """One try at opening the port; on failure :attr:`problem` says why, in words."""
        try:
            self._ser = serial.Serial(self.port, self.baudrate, timeout=0.05)
        except (serial.SerialException, OSError) as e:
            self.problem = _why(self.port, e)
            return False
        self.connected, self.problem = True, ""
        self._data_at = time.monotonic()
        return True

    def _drop(self) -> None:
        self.connected = False
        if self._ser is not None:
            try:
                self._ser.close()
            except (serial.SerialException, OSError):
                pass
        self._ser = None
        self._lost_at = time.monotonic()

    def blocks(self) -> Iterator[Block | None]:
        """Yield blocks until :attr:`stop` is set or reconnecting gives up.

        A thread reads the port from the start, so nothing the sensor sends
        is lost while the consumer is busy (building filters, compiling).
        While nothing arrives (the port is missing, closed, or silent) this
        yields ``None`` every ``heartbeat_s``, so a status line can say so
        as it happens; :attr:`problem` then says what is wrong.
        """
        items: queue.Queue = queue.Queue()
        reader = threading.Thread(target=self._read, args=(items,), name="emgcramp-serial", daemon=True)
        reader.start()
        last = time.monotonic()  # when a block last went out (or the stream began)
        try:
            while True:
                try:
                    kind, value = items.get(timeout=self.heartbeat_s)
                except queue.Empty:
                    kind, value = "", None
                if kind == "end":
                    return
                out = (self.link.mark_disconnect(int(value * (self.fs or FS_BEFORE_KNOWN_HZ))) if kind == "lost"
                       else self.link.feed(value) if kind == "data" else [])
                if out:
                    last, self.problem = time.monotonic(), ""
                    yield from out
                elif time.monotonic() - last >= self.heartbeat_s:
                    if kind == "data" and time.monotonic() - last > SILENT_S:
                        self.problem = (f"{self.port}: bytes arrive but none make sensor frames "
                                        "(a text sensor needs --ascii)")
                    yield None
        finally:
            self.stop.set()
            reader.join(timeout=2.0)

    def _read(self, items: queue.Queue) -> None:
        """The reader thread: open, read, reopen after an unplug; hand bytes and outages over."""
        backoff, since = 0.2, time.monotonic()
        try:
            while not self.stop.is_set():
                if self._ser is None:
                    if not self._open():
                        if self.give_up_s is not None and time.monotonic() - since > self.give_up_s:
                            return
                        self.stop.wait(backoff)
                        backoff = min(backoff * 2, self.max_backoff_s)
                        continue
                    backoff = 0.2
                    if self._lost_at is not None:
                        self.reconnects += 1
                        items.put(("lost", time.monotonic() - self._lost_at))
                try:
                    data = self._ser.read(max(1, self._ser.in_waiting))
                except (serial.SerialException, OSError):
                    self._drop()
                    since = time.monotonic()
                    continue
                if data:
                    self._data_at = time.monotonic()
                    items.put(("data", data))
                elif time.monotonic() - self._data_at > SILENT_S:
                    self.problem = f"{self.port} is open but nothing arrives: is the sensor on and sending?"
        finally:
            if self._ser is not None:
                self._ser.close()
            items.put(("end", None))


def _why(port: str, e: Exception) -> str:
    """Why a port would not open, with the usual fix."""
    err = getattr(e, "errno", None)
    text = str(e)
    if err == errno.ENOENT or "No such file" in text:
        return f"{port} does not exist: is the sensor plugged in? (--serial auto finds it by USB id)"
    if err == errno.EACCES or "Permission denied" in text:
        return (f"no permission to open {port}: add yourself to the dialout group "
                "(sudo usermod -aG dialout $USER, then log in again)")
    if err == errno.EBUSY or "busy" in text.lower():
        return f"{port} is in use by another program"
    return f"cannot open {port}: {text}"
