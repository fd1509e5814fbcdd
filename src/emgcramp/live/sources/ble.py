"""Bluetooth LE source (bleak): notifications of the sensor link, reconnecting.

The sensor advertises the EMG service and notifies frames on one
characteristic (UUIDs in ``firmware_bridge/PROTOCOL.md``). A notification
may hold one frame or several (batched), or a frame may span notifications
at a small MTU: the decoder takes any chunking. On an unsolicited
disconnect the source marks the time it was away as a gap and connects
again with back-off, until stopped.

bleak's ``BleakClient`` runs in an asyncio loop on a background thread;
:meth:`BleSource.blocks` hands the blocks to the caller's thread.
``backend`` / ``scanner_backend`` are passed to bleak unchanged, which is
how tests run the real ``BleakClient`` over a simulated sensor.
"""

from __future__ import annotations

import asyncio
import queue
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

from emgcramp.core.blocks import Block
from emgcramp.core.errors import InputError
from emgcramp.live.sources.base import FS_BEFORE_KNOWN_HZ, LinkedSource, gave_up
from emgcramp.live.sources.frames import FrameLink

EMG_SERVICE_UUID = "6e3a0001-7c1f-4d2c-9a55-3b1d2c0e5a01"
FRAMES_CHAR_UUID = "6e3a0002-7c1f-4d2c-9a55-3b1d2c0e5a01"
NAME_PREFIX = "emgcramp-"
SILENT_S = 5.0  # connected, and no samples for this long: the sensor is reported as silent
_ADDRESS = re.compile(r"^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f-]{36}$")
_DONE = object()


class BleSource(LinkedSource):
    """Blocks from a BLE sensor found by address, name or service UUID.

    Args:
        target: ``AA:BB:CC:DD:EE:FF`` (or a macOS UUID) connects directly;
            anything else is a device name (or prefix) to scan for;
            ``"auto"`` scans for the EMG service.
        backend, scanner_backend: bleak backend classes (default: the platform's).
        give_up_s: stop after this long without a connection (``None``: never).
        client_kwargs: passed on to ``BleakClient``.
    """

    def __init__(self, target: str, backend: type | None = None, scanner_backend: type | None = None,
                 give_up_s: float | None = None, max_backoff_s: float = 10.0, scan_timeout_s: float = 10.0,
                 stop: threading.Event | None = None, **client_kwargs: Any):
        self.target = target
        self.backend, self.scanner_backend = backend, scanner_backend
        self.give_up_s, self.max_backoff_s, self.scan_timeout_s = give_up_s, max_backoff_s, scan_timeout_s
        self.stop = stop or threading.Event()
        self.client_kwargs = client_kwargs
        self.link = FrameLink()
        self.connected = False
        self.problem = ""  # what keeps data from arriving, in words ("" when it flows)
        self.gave_up = ""  # why it ended by itself (--give-up), in one line; "" otherwise
        self.heartbeat_s = 1.0
        self.reconnects = 0
        self.mtu: int | None = None
        self._queue: queue.Queue = queue.Queue()
        self._error: BaseException | None = None
        self._data_at = 0.0  # when the last samples came (monotonic s)

    def blocks(self) -> Iterator[Block | None]:
        """Yield blocks until stopped or reconnecting gives up; ``None`` every ``heartbeat_s`` without data."""
        thread = threading.Thread(target=self._thread, name="emgcramp-ble", daemon=True)
        thread.start()
        try:
            while True:
                try:
                    item = self._queue.get(timeout=self.heartbeat_s)
                except queue.Empty:
                    yield None  # nothing for a while: let the status line say so
                    continue
                if item is _DONE:
                    break
                yield self._hand_out(item)
        finally:
            self.stop.set()
            thread.join(timeout=5.0)
        if self._error is not None:
            raise self._error

    def _thread(self) -> None:
        try:
            asyncio.run(self._run())
        except BaseException as e:  # handed to the consumer thread
            self._error = e
        finally:
            self._queue.put(_DONE)

    async def _find(self, timeout_s: float):
        """The device to connect to (``None`` when no sensor matched within ``timeout_s``, s, or on a stop)."""
        from bleak import BleakScanner

        if _ADDRESS.match(self.target):
            return self.target
        kw = {"backend": self.scanner_backend} if self.scanner_backend else {}
        want = self.target.lower()

        def match(device, adv) -> bool:
            if want == "auto":
                return EMG_SERVICE_UUID in [u.lower() for u in adv.service_uuids]
            return (device.name or adv.local_name or "").lower().startswith(want)

        scan = asyncio.ensure_future(BleakScanner.find_device_by_filter(match, timeout=timeout_s, **kw))
        while not scan.done() and not self.stop.is_set():  # a stop (Ctrl-C) ends a scan at once
            await asyncio.wait([scan], timeout=0.05)
        if not scan.done():
            scan.cancel()
            await asyncio.gather(scan, return_exceptions=True)  # the scanner stops before the loop closes
            return None
        return scan.result()

    async def _run(self) -> None:
        from bleak import BleakClient
        from bleak.exc import BleakError

        backoff, down_since, ever = 0.5, time.monotonic(), False
        while not self.stop.is_set():
            lost = asyncio.Event()
            try:
                self.problem = f"looking for a BLE sensor matching {self.target!r}"
                # a scan takes no longer than what is left of --give-up
                left = None if self.give_up_s is None else self.give_up_s - (time.monotonic() - down_since)
                device = await self._find(self.scan_timeout_s if left is None else
                                          max(min(self.scan_timeout_s, left + 0.05), 0.05))
                if device is None:
                    raise BleakError(f"no BLE sensor matching {self.target!r} found: is it on, charged and near?")
                kw = {"backend": self.backend} if self.backend else {}
                async with BleakClient(device, disconnected_callback=lambda _: lost.set(), **kw,
                                       **self.client_kwargs) as client:
                    if ever:
                        self.reconnects += 1
                        missing = int((time.monotonic() - down_since) * (self.fs or FS_BEFORE_KNOWN_HZ))
                        for block in self.link.mark_disconnect(missing):
                            self._queue.put(block)
                    ever, self.connected, backoff, self.problem = True, True, 0.5, ""
                    self.mtu, self._data_at = client.mtu_size, time.monotonic()
                    await client.start_notify(FRAMES_CHAR_UUID, self._on_notify)
                    while not lost.is_set() and not self.stop.is_set():
                        await asyncio.sleep(0.02)
                        if self._silent_too_long():
                            return
            except (BleakError, OSError, asyncio.TimeoutError) as e:
                self.problem = _why(e)
            if self.connected:
                self.connected, down_since = False, time.monotonic()
            if self.stop.is_set():
                return
            waited = time.monotonic() - down_since
            if self.give_up_s is not None and waited > self.give_up_s:
                if not ever:
                    raise InputError(f"could not connect to a BLE sensor matching {self.target!r}: {self.problem}")
                self.gave_up = gave_up(f"the BLE sensor {self.target!r}", self.give_up_s)
                return
            # no wait outlasts --give-up, and a stop ends it at once (a calibration that gave up, Ctrl-C)
            await self._pause(backoff if self.give_up_s is None else min(backoff, self.give_up_s - waited + 0.05))
            backoff = min(backoff * 2, self.max_backoff_s)

    async def _pause(self, seconds: float) -> None:
        """Wait ``seconds`` (s), or less when the source is stopped."""
        end = time.monotonic() + seconds
        while not self.stop.is_set() and time.monotonic() < end:
            await asyncio.sleep(min(0.05, max(0.0, end - time.monotonic())))

    def _silent_too_long(self) -> bool:
        """Connected, no samples for ``SILENT_S``: said (:attr:`problem`); for ``give_up_s``: given up (True)."""
        silent = time.monotonic() - self._data_at
        if silent > SILENT_S:
            self.problem = f"the BLE sensor {self.target!r} is connected but sends no samples: is it recording?"
        if self.give_up_s is None or silent <= self.give_up_s:
            return False
        self.gave_up = gave_up(f"the BLE sensor {self.target!r}", self.give_up_s, "connected, but nothing arrives")
        return True

    def _on_notify(self, _characteristic, data: bytearray) -> None:
        for block in self.link.feed(bytes(data), time.monotonic()):  # arrival times a sensor restart's gap
            self._queue.put(block)
            self._data_at, self.problem = time.monotonic(), ""


def _why(e: BaseException) -> str:
    """What stopped a connection, for the status line: a missing Bluetooth service named as such, not by errno."""
    if isinstance(e, (FileNotFoundError, ConnectionRefusedError)):  # bleak reaches BlueZ over the D-Bus socket
        return f"no Bluetooth service to talk to (is Bluetooth on and bluetoothd running?): {e.strerror or e}"
    return str(e) or type(e).__name__
