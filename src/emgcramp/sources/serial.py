"""USB serial source (pyserial): frames or text lines, reconnecting on unplug.

On a read error or an unplugged port the source closes the port, retries
with back-off (0.2 s doubling to ``max_backoff_s``), and marks the time it
was away as a gap, so nothing after the replug is lost and the detector
does not join the two sides.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import serial
from serial.tools import list_ports

from emgcramp.blocks import Block
from emgcramp.errors import InputError
from emgcramp.sources.frames import FrameLink

# USB bridges of common ESP32 boards: CP210x, CH340/CH9102, ESP32-S3/C3 native USB.
KNOWN_USB_IDS = [(0x10C4, 0xEA60), (0x1A86, 0x7523), (0x1A86, 0x55D4), (0x303A, 0x1001)]


def find_port(ids: list[tuple[int, int]] = KNOWN_USB_IDS) -> str:
    """The first serial port whose USB VID:PID is in ``ids``."""
    for p in list_ports.comports():
        if (p.vid, p.pid) in ids:
            return p.device
    known = ", ".join(f"{v:04x}:{p:04x}" for v, p in ids)
    raise InputError(f"no sensor found on USB (looked for {known}); give --serial PORT")


class SerialSource:
    """Blocks from a serial port.

    Args:
        port: device path (a by-id symlink survives replugging best).
        link: :class:`FrameLink` (default) or :class:`~emgcramp.sources.ascii.LineLink`.
        baudrate: ignored by USB CDC devices and pseudo-terminals.
        give_up_s: stop after this long without a connection (``None``: never).
        stop: set it to end :meth:`blocks` from another thread.
    """

    def __init__(self, port: str, link=None, baudrate: int = 921_600, max_backoff_s: float = 5.0,
                 give_up_s: float | None = None, stop: threading.Event | None = None):
        self.port = port
        self.link = link or FrameLink()
        self.baudrate = baudrate
        self.max_backoff_s = max_backoff_s
        self.give_up_s = give_up_s
        self.stop = stop or threading.Event()
        self.connected = False
        self.reconnects = 0
        self._ser: serial.Serial | None = None
        self._lost_at: float | None = None

    @property
    def fs(self) -> float | None:
        return self.link.fs

    def _open(self) -> bool:
        backoff, since = 0.2, time.monotonic()
        while not self.stop.is_set():
            try:
                self._ser = serial.Serial(self.port, self.baudrate, timeout=0.05)
                self.connected = True
                return True
            except (serial.SerialException, OSError):
                if self.give_up_s is not None and time.monotonic() - since > self.give_up_s:
                    return False
                self.stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)
        return False

    def _drop(self) -> None:
        self.connected = False
        if self._ser is not None:
            try:
                self._ser.close()
            except (serial.SerialException, OSError):
                pass
        self._ser = None
        self._lost_at = time.monotonic()

    def blocks(self) -> Iterator[Block]:
        """Yield blocks until :attr:`stop` is set or reconnecting gives up."""
        try:
            while not self.stop.is_set():
                if self._ser is None:
                    if not self._open():
                        return
                    if self._lost_at is not None:
                        away = time.monotonic() - self._lost_at
                        self.reconnects += 1
                        self.link.mark_disconnect(int(away * (self.fs or 1000.0)))
                try:
                    data = self._ser.read(max(1, self._ser.in_waiting))
                except (serial.SerialException, OSError):
                    self._drop()
                    continue
                if data:
                    yield from self.link.feed(data)
        finally:
            if self._ser is not None:
                self._ser.close()
