"""The BLE source through bleak's real BleakClient over a simulated sensor."""

import numpy as np
import pytest
from ble_sim import SimulatedScanner, SimulatedSensor, SimulatedSensorClient

from emgcramp.core.errors import InputError
from emgcramp.live.sources.ble import BleSource
from emgcramp.sim.emulator import SensorEmulator

FS = 1000


def sensor_frames(seconds=30, n=115, seed=0):
    x = np.random.default_rng(seed).standard_normal(seconds * FS) * 20
    emu = SensorEmulator([x], FS, n=n)
    return x, emu, [f for _, f in emu.frames()]


def test_notifications_become_blocks_in_microvolts():
    x, emu, frames = sensor_frames()
    sensor = SimulatedSensor(frames, per_notification=2)  # two frames batched in one notification
    src = BleSource("AA:BB:CC:DD:EE:01", backend=SimulatedSensorClient, sensor=sensor, give_up_s=0.3)
    blocks = list(src.blocks())
    got = np.concatenate([b.samples[:, 0] for b in blocks])
    n = len(x) // 115 * 115
    np.testing.assert_allclose(got, emu.counts(x[:n]) * 0.25)
    assert src.fs == FS and src.mtu == 247 and src.reconnects == 0
    assert [b.t0_sample for b in blocks[:3]] == [0, 115, 230]
    assert src.gave_up.startswith("no connection to the BLE sensor 'AA:BB:CC:DD:EE:01' for 0.3 s (--give-up)")


def test_disconnect_reconnects_marks_the_gap_and_keeps_the_rest():
    x, emu, frames = sensor_frames()
    sensor = SimulatedSensor(frames, drops=[(100, 40)])  # 40 frames lost while away
    src = BleSource("AA:BB:CC:DD:EE:01", backend=SimulatedSensorClient, sensor=sensor, give_up_s=0.3)
    blocks = list(src.blocks())
    asm = src.link.assembler
    assert src.reconnects == 1 and sensor.connects == 2
    lost_samples = sum(len(frame_samples(f)) for f in frames[100:140])
    assert asm.gaps == 1 and asm.missing_samples == lost_samples
    gap = next(b for b in blocks if b.gap_before)
    assert gap.gap_before == lost_samples
    received = np.concatenate([b.samples[:, 0] for b in blocks])
    n = len(x) // 115 * 115
    assert len(received) + lost_samples == n
    np.testing.assert_allclose(np.concatenate([b.samples[:, 0] for b in blocks[blocks.index(gap):]]),
                               emu.counts(x[gap.t0_sample:n]) * 0.25)


def frame_samples(frame):
    from emgcramp.core.protocol import DataFrame, Decoder

    [f] = Decoder().feed(frame)
    return f.samples if isinstance(f, DataFrame) else []


@pytest.mark.parametrize("target", ["emgcramp-", "auto", "EMGCRAMP-5E01"])
def test_scan_by_name_prefix_or_service(target):
    x, emu, frames = sensor_frames(seconds=3)
    sensor = SimulatedSensor(frames)
    src = BleSource(target, backend=SimulatedSensorClient, scanner_backend=SimulatedScanner, sensor=sensor,
                    give_up_s=0.3, scan_timeout_s=0.5)
    assert sum(len(b.samples) for b in src.blocks()) == len(x) // 115 * 115
    assert sensor.connects == 1


@pytest.mark.parametrize("give_up_s", [0.2, 2.2])
def test_no_matching_sensor_is_a_clear_error_said_on_time(give_up_s):
    """The retries' growing waits (0.5, 1, 2 s) ran past --give-up: 2.2 s ended after 3.5 s."""
    import time

    src = BleSource("bedroom-", backend=SimulatedSensorClient, scanner_backend=SimulatedScanner,
                    sensor=SimulatedSensor([]), give_up_s=give_up_s, scan_timeout_s=0.01)
    t = time.monotonic()
    with pytest.raises(InputError, match="could not connect to a BLE sensor matching 'bedroom-': no BLE sensor "
                                         "matching 'bedroom-' found: is it on, charged and near"):
        list(src.blocks())
    assert time.monotonic() - t < give_up_s + 0.5


def test_a_scan_ends_with_give_up_and_at_a_stop():
    """A 10-s scan for a sensor that is not there ran whole before a 0.5-s --give-up, or a stop, was looked at."""
    import threading
    import time

    src = BleSource("bedroom-", backend=SimulatedSensorClient, scanner_backend=SimulatedScanner,
                    sensor=SimulatedSensor([]), give_up_s=0.5, scan_timeout_s=10.0)
    t = time.monotonic()
    with pytest.raises(InputError, match="could not connect"):
        list(src.blocks())
    assert time.monotonic() - t < 1.5
    src = BleSource("bedroom-", backend=SimulatedSensorClient, scanner_backend=SimulatedScanner,
                    sensor=SimulatedSensor([]), scan_timeout_s=10.0)  # no --give-up: a stop ends the scan
    threading.Timer(0.3, src.stop.set).start()
    t = time.monotonic()
    assert [b for b in src.blocks() if b is not None] == []
    assert time.monotonic() - t < 1.5


def test_a_sensor_connected_but_silent_is_said_and_given_up_on(monkeypatch):
    """A sensor that stayed connected and stopped notifying showed 'link ok' and was never given up on."""
    import threading
    import time

    import emgcramp.live.sources.ble as ble

    x, emu, frames = sensor_frames(seconds=3)
    src = BleSource("AA:BB:CC:DD:EE:01", backend=SimulatedSensorClient, sensor=SimulatedSensor(frames, stall=True),
                    give_up_s=0.5)
    t = time.monotonic()
    got = sum(len(b.samples) for b in src.blocks() if b is not None)
    assert got == len(x) // 115 * 115 and time.monotonic() - t < 2.0
    assert src.gave_up.startswith("no samples from the BLE sensor 'AA:BB:CC:DD:EE:01' for 0.5 s (connected, but "
                                  "nothing arrives) (--give-up)")
    monkeypatch.setattr(ble, "SILENT_S", 0.2)  # no --give-up: said, and the night goes on
    src = BleSource("AA:BB:CC:DD:EE:01", backend=SimulatedSensorClient,
                    sensor=SimulatedSensor(sensor_frames(seconds=3)[2], stall=True))
    src.heartbeat_s = 0.1
    threading.Timer(1.5, src.stop.set).start()
    said = {src.problem for b in src.blocks() if b is None}
    assert "the BLE sensor 'AA:BB:CC:DD:EE:01' is connected but sends no samples: is it recording?" in said
    assert src.gave_up == ""


def test_a_new_rate_is_seen_at_its_block_though_notifications_run_ahead():
    from emgcramp.core.protocol import encode_data, encode_status

    c = np.arange(115).reshape(-1, 1)
    frames = ([encode_status(0, 0, FS, 250)] + [encode_data(1 + k, 115 * k, c) for k in range(20)]
              + [encode_status(21, 2300, 2000, 500)] + [encode_data(22 + k, 2300 + 115 * k, c) for k in range(20)])
    sensor = SimulatedSensor(frames, per_notification=4)
    src = BleSource("AA:BB:CC:DD:EE:01", backend=SimulatedSensorClient, sensor=sensor, give_up_s=0.3)
    seen = [(src.fs, b.samples[1, 0]) for b in src.blocks() if b is not None]
    assert seen == [(1000.0, 0.25)] * 20 + [(2000.0, 0.5)] * 20  # rate and µV step of each block's own time
    assert src.link.assembler.rate_changes == 1
