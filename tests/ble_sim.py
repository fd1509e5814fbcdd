"""A simulated BLE sensor behind bleak's backend interface, for tests.

``BleakClient(address, backend=SimulatedSensorClient, sensor=...)`` runs
bleak's own client code over it: connect, service lookup, start_notify,
unsolicited disconnects through the disconnected callback.
"""

import asyncio

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError

from emgcramp.live.sources.ble import EMG_SERVICE_UUID, FRAMES_CHAR_UUID


class SimulatedSensor:
    """Frames a sensor sends, with the link dropping at scripted points.

    ``drops``: (after_frames, lost_frames): the link drops once
    ``after_frames`` have been sent, and the sensor, still sampling, loses
    the next ``lost_frames`` before it can be reached again.
    """

    def __init__(self, frames, per_notification=1, drops=(), stall=False):
        self.stall = stall  # when the frames run out: stay connected and silent, not drop the link
        self.frames = iter(frames)
        self.per_notification = per_notification
        self.drops = sorted(drops)
        self.sent = self.lost = self.connects = 0
        self.off = False

    def take(self, n):
        out = []
        for _ in range(n):
            try:
                out.append(next(self.frames))
            except StopIteration:
                self.off = True
                break
        return out


class SimulatedSensorClient(BaseBleakClient):
    def __init__(self, address_or_ble_device, *, disconnected_callback, timeout, sensor, services=None, **kwargs):
        super().__init__(address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout)
        self.sensor = sensor
        self._connected = False
        self._task = None

    @property
    def mtu_size(self):
        return 247

    @property
    def name(self):
        return "emgcramp-sim"

    @property
    def is_connected(self):
        return self._connected

    async def connect(self, pair, **kwargs):
        if self.sensor.off:
            raise BleakError("device not found")
        services = BleakGATTServiceCollection()
        svc = BleakGATTService(None, 1, EMG_SERVICE_UUID)
        char = BleakGATTCharacteristic(None, 2, FRAMES_CHAR_UUID, ["notify"], lambda: 244, svc)
        services.add_service(svc)
        services.add_characteristic(char)
        self.services = services
        self._connected = True
        self.sensor.connects += 1

    async def disconnect(self):
        if self._task:
            self._task.cancel()
        self._connected = False

    async def pair(self, *args, **kwargs):
        pass

    async def unpair(self):
        pass

    async def read_gatt_char(self, *args, **kwargs):
        raise BleakError("not readable")

    async def read_gatt_descriptor(self, *args, **kwargs):
        raise BleakError("not readable")

    async def write_gatt_char(self, *args, **kwargs):
        raise BleakError("not writable")

    async def write_gatt_descriptor(self, *args, **kwargs):
        raise BleakError("not writable")

    async def start_notify(self, characteristic, callback, **kwargs):
        self._task = asyncio.get_running_loop().create_task(self._pump(callback))

    async def stop_notify(self, characteristic):
        if self._task:
            self._task.cancel()

    async def _pump(self, callback):
        s = self.sensor
        while self._connected:
            if s.drops and s.sent >= s.drops[0][0]:
                _, lost = s.drops.pop(0)
                s.lost += len(s.take(lost))
                return self._drop()
            frames = s.take(s.per_notification)
            if not frames and s.stall:
                await asyncio.sleep(0.02)
                continue
            if not frames:
                return self._drop()
            s.sent += len(frames)
            callback(bytearray(b"".join(frames)))
            await asyncio.sleep(0)

    def _drop(self):
        self._connected = False
        if self._disconnected_callback:
            self._disconnected_callback()


class SimulatedScanner(BaseBleakScanner):
    """Advertises ``ADVERTS`` (address, name, service UUIDs) shortly after scanning starts."""

    ADVERTS = [("AA:BB:CC:DD:EE:01", "emgcramp-5e01", [EMG_SERVICE_UUID]),
               ("11:22:33:44:55:66", "kitchen-scale", [])]

    def __init__(self, detection_callback, service_uuids, scanning_mode="active", **kwargs):
        super().__init__(detection_callback, service_uuids)

    async def start(self):
        loop = asyncio.get_running_loop()
        for i, (address, name, uuids) in enumerate(self.ADVERTS):
            adv = AdvertisementData(name, {}, {}, uuids, None, -60, ())
            loop.call_later(0.01 * (i + 1), self._advertise, address, name, adv)

    def _advertise(self, address, name, adv):
        self.call_detection_callbacks(self.create_or_update_device(address, address, name, None, adv), adv)

    async def stop(self):
        pass
