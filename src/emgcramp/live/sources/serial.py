"""USB serial source (pyserial): frames or text lines, reconnecting on unplug.

On a read error or an unplugged port the source closes the port, looks
for it again every 0.05 s while its device node is missing (cheap to look
for, and each wait after the replug is signal lost), with back-off (0.05 s
doubling to ``max_backoff_s``) while it is there but will not open, and
marks the time it was away as a gap, so nothing after the replug is lost
and the detector does not join the two sides. The port is opened without
emptying its input: bytes the sensor sent while it was being opened are
the first of the new connection.
"""

from __future__ import annotations

import errno
import os
import queue
import stat
import threading
import time
from collections.abc import Iterator

import serial
from serial.tools import list_ports

from emgcramp.core.blocks import Block
from emgcramp.core.errors import InputError
from emgcramp.live.sources.base import FS_BEFORE_KNOWN_HZ, LinkedSource, gave_up
from emgcramp.live.sources.frames import FrameLink

DEFAULT_BAUD = 921_600  # the reference sensor's (firmware_bridge/sensor_esp32); USB CDC boards, ptys ignore it
SILENT_S = 5.0  # an open port with no bytes for this long is reported as silent
RETRY_S = 0.05  # first wait before opening the port again (s)

# USB bridges of common ESP32 boards: CP210x, CH340/CH9102, ESP32-S3/C3 native USB.
KNOWN_USB_IDS = [(0x10C4, 0xEA60), (0x1A86, 0x7523), (0x1A86, 0x55D4), (0x303A, 0x1001)]


def find_port(ids: list[tuple[int, int]] = KNOWN_USB_IDS) -> str:
    """The first serial port whose USB VID:PID is in ``ids``."""
    for p in list_ports.comports():
        if (p.vid, p.pid) in ids:
            return p.device
    known = ", ".join(f"{v:04x}:{p:04x}" for v, p in ids)
    raise InputError(f"no sensor found on USB (looked for {known}); give --serial PORT")


class _KeepInputSerial(serial.Serial):
    """A port whose opening keeps the bytes already waiting (pyserial's empties them, on POSIX)."""

    def _reset_input_buffer(self) -> None:
        pass  # called by open() only: reset_input_buffer() still empties it when asked


class SerialSource(LinkedSource):
    """Blocks from a serial port.

    Args:
        port: device path (a by-id symlink survives replugging best).
        link: :class:`FrameLink` (default) or :class:`~emgcramp.live.sources.ascii.LineLink`.
        baudrate: ignored by USB CDC devices and pseudo-terminals.
        give_up_s: stop after this long without a connection (``None``: never).
        stop: set it to end :meth:`blocks` from another thread.
    """

    def __init__(self, port: str, link=None, baudrate: int = DEFAULT_BAUD, max_backoff_s: float = 1.0,
                 give_up_s: float | None = None, stop: threading.Event | None = None, heartbeat_s: float = 1.0):
        if os.path.exists(port) and not stat.S_ISCHR(os.stat(port).st_mode):
            raise InputError(f"{port} is not a serial port (a {'folder' if os.path.isdir(port) else 'file'}); "
                             "give the sensor's device, such as /dev/ttyUSB0, or --serial auto")
        if _other_device(port):
            raise InputError(f"{port} is not a serial port (a device of another kind); "
                             "give the sensor's device, such as /dev/ttyUSB0, or --serial auto")
        self.port = port
        self.link = link or FrameLink()
        self.baudrate = baudrate
        self.max_backoff_s = max_backoff_s
        self.give_up_s = give_up_s
        self.gave_up = ""  # why it ended by itself (--give-up), in one line; "" otherwise
        self.stop = stop or threading.Event()
        self.heartbeat_s = heartbeat_s
        self.connected = False
        self.problem = ""  # what keeps data from arriving, in words ("" when it flows)
        self._data_at = time.monotonic()
        self._bytes_at = 0.0  # when bytes last arrived (monotonic s); 0: never
        self.reconnects = 0
        self._ser: serial.Serial | None = None
        self._lost_at: float | None = None
        self._node_missing = False  # the last open failed for want of the device node

    def _open(self) -> bool:
        """One try at opening the port; on failure :attr:`problem` says why, in words."""
        try:
            # exclusive: a second monitor on the same port would take half of every frame stream
            self._ser = _KeepInputSerial(self.port, self.baudrate, timeout=0.05, exclusive=True)
        except (serial.SerialException, OSError) as e:
            self.problem = _why(self.port, e)
            self._node_missing = _is_missing(e)
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
        last = made = time.monotonic()  # when a block last went out, and when its bytes came (or the stream began)
        frames = self._frames_decoded()  # frames decoded by then
        try:
            while True:
                try:
                    kind, value = items.get(timeout=self.heartbeat_s)
                except queue.Empty:
                    kind, value = "", None
                if kind == "end":
                    return
                out = self._take(kind, value)
                # the reader's clock, as far as the consumer has got: a busy consumer takes bytes late
                now = value[1] if kind == "data" else time.monotonic()
                if out:
                    last, made, frames, self.problem = time.monotonic(), now, self._frames_decoded(), ""
                    for block in out:
                        yield self._hand_out(block)
                elif time.monotonic() - last >= self.heartbeat_s:
                    if kind == "data" and time.monotonic() - last > SILENT_S:
                        self.problem = self._why_no_blocks(frames)
                    if self._useless_for_too_long(made, now, frames):
                        return
                    yield None
        finally:
            self.stop.set()
            reader.join(timeout=2.0)

    def _useless_for_too_long(self, made: float, now: float, frames: int) -> bool:
        """Whether the port, open, gave no samples for ``give_up_s``: from ``made``, when the bytes of the last
        samples came, to ``now``, when those handled last came (monotonic s); silent, or sending what makes
        none (another baud rate, a text sensor without --ascii). ``frames``: the frames decoded by ``made``.
        Sets :attr:`gave_up`. A port that will not open is the reader's to give up on (:meth:`_read`)."""
        if self.give_up_s is None or self._ser is None or now - made <= self.give_up_s:
            return False
        why = self._why_no_blocks(frames) if self._bytes_at > made else "open, but nothing arrives"
        self.gave_up = gave_up(self.port, self.give_up_s, why.removeprefix(f"{self.port}: "))
        self.problem = why if self._bytes_at > made else f"{self.port} is {why}"  # said if no sample ever came
        return True

    def _take(self, kind: str, value) -> list[Block]:
        """What the reader handed over → blocks: bytes with their arrival time, or an outage (s)."""
        if kind == "lost":
            return self.link.mark_disconnect(int(value * (self.fs or FS_BEFORE_KNOWN_HZ)))
        if kind != "data":
            return []
        data, at = value
        # the reader's clock, not this thread's: a busy consumer takes bytes late
        return self.link.feed(data, at)

    def _frames_decoded(self) -> int:
        decoder = getattr(self.link, "decoder", None)
        return decoder.frames if decoder is not None else 0

    def _why_no_blocks(self, frames_before: int) -> str:
        """Why bytes have arrived for a while with no samples, in words."""
        if self._frames_decoded() > frames_before:
            why = "status frames only: is it recording?" if self.fs else "no status frame with a usable rate yet?"
            return f"{self.port}: sensor frames arrive but none give samples ({why})"
        if not isinstance(self.link, FrameLink):  # text lines (--ascii)
            return (f"{self.port}: bytes arrive but none make whole lines of numbers (a board at another rate: "
                    "--baud; lines holding words besides their numbers; or a binary sensor, read without --ascii)")
        return (f"{self.port}: bytes arrive but none make sensor frames (a text sensor needs --ascii; one at another "
                "rate, --baud)")

    def _read(self, items: queue.Queue) -> None:
        """The reader thread: open, read, reopen after an unplug; hand bytes and outages over."""
        backoff, since = RETRY_S, time.monotonic()
        try:
            while not self.stop.is_set():
                if self._ser is None:
                    if not self._open():
                        if self.give_up_s is not None and time.monotonic() - since > self.give_up_s:
                            self.gave_up = gave_up(self.port, self.give_up_s)
                            return
                        backoff = self._wait_to_retry(backoff)
                        continue
                    backoff = RETRY_S
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
                    self._data_at = self._bytes_at = time.monotonic()
                    items.put(("data", (data, self._data_at)))
                elif time.monotonic() - self._data_at > SILENT_S:
                    self.problem = f"{self.port} is open but nothing arrives: is the sensor on and sending?"
        finally:
            if self._ser is not None:
                self._ser.close()
            items.put(("end", None))

    def _wait_to_retry(self, backoff: float) -> float:
        """Wait ``backoff`` s before the next try at opening (less while unplugged); return the next wait."""
        if self._node_missing:  # a look for the node is cheap, and each wait after the replug is signal lost
            backoff = RETRY_S
        self.stop.wait(backoff)
        return min(backoff * 2, self.max_backoff_s)


def _other_device(port: str) -> bool:
    """Whether ``port`` is a character device the kernel lists as something other than a terminal.

    ``/dev/null`` opens, then fails every try at setting a baud rate, which
    would read as a sensor not yet there for ever. Linux names each device's
    class under ``/sys/dev/char``; a pseudo-terminal is not listed there, so
    an unlisted device (or another system) is given the benefit of the doubt.
    The port is never opened to find out: opening resets many boards.
    """
    try:
        dev = os.stat(port).st_rdev
    except OSError:
        return False
    sys_path = f"/sys/dev/char/{os.major(dev)}:{os.minor(dev)}"
    return os.path.exists(sys_path) and "/tty/" not in os.path.realpath(sys_path)


def _is_missing(e: Exception) -> bool:
    """Whether opening failed because the device node is not there (unplugged)."""
    return getattr(e, "errno", None) == errno.ENOENT or "No such file" in str(e)


def _why(port: str, e: Exception) -> str:
    """Why a port would not open, with the usual fix."""
    err = getattr(e, "errno", None)
    text = str(e)
    if _is_missing(e):
        return f"{port} does not exist: is the sensor plugged in? (--serial auto finds it by USB id)"
    if err == errno.EACCES or "Permission denied" in text:
        return (f"no permission to open {port}: add yourself to the dialout group "
                "(sudo usermod -aG dialout $USER, then log in again)")
    if err == errno.EBUSY or "busy" in text.lower() or "exclusively lock" in text:
        return f"{port} is in use by another program"
    return f"cannot open {port}: {text}"
