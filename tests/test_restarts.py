"""A sensor that restarts, a cable pulled for a second, a rate changed mid-stream: over a real pty and pyserial."""

import itertools
import threading
import time

import numpy as np
import pytest

from emgcramp.core.protocol import encode_data, encode_status
from emgcramp.live.sources.frames import FrameLink
from emgcramp.live.sources.serial import SerialSource
from emgcramp.sim.emulator import PtyPort, SensorEmulator, play

FS = 1000
NV = 250  # 0.25 µV per count


def restarting_sensor(counts, n, session_s, boot_s):
    """Frames of a sensor that restarts every ``session_s`` s, silent ``boot_s`` s while it boots.

    Each session begins its sequence numbers and sample clock at 0; every
    other one skips the boot status frame (a brown-out may). Yields (when
    the frame is complete, s of real time; frame bytes).
    """
    per_session = int(session_s * FS) // n * n
    t = 0.0
    for k, start in enumerate(range(0, len(counts), per_session)):
        seq = 0
        for clock in range(0, min(per_session, len(counts) - start) // n * n, n):
            if clock % FS == 0 and (clock or k % 2 == 0):
                yield t + clock / FS, encode_status(seq, clock, FS, NV)
                seq += 1
            yield t + (clock + n) / FS, encode_data(seq, clock, counts[start + clock:start + clock + n])
            seq += 1
        t += per_session / FS + boot_s


def serve(path, source, frames, speed, then_close_s=0.5):
    """Write ``frames`` (when, bytes) to a pty at ``path`` × ``speed`` once ``source`` has it open."""
    port = PtyPort(path)

    def run():
        while not source.connected:
            time.sleep(0.005)
        start = time.monotonic()
        for when, frame in frames:
            time.sleep(max(0.0, start + when / speed - time.monotonic()))
            port.write(frame)
        time.sleep(then_close_s)
        port.close()  # for good: the source gives up and the stream ends

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def read_all(source):
    """Every block, with the source's rate and problem text as each came, and every problem said."""
    blocks, problems = [], set()
    for b in source.blocks():
        problems.add(source.problem)
        if b is not None:
            blocks.append((b, source.fs))
    return blocks, problems


@pytest.mark.long
def test_a_sensor_that_restarts_every_5_s_for_a_minute_loses_no_sample(tmp_path):
    counts = np.random.default_rng(3).integers(-3000, 3000, (60 * FS, 1))
    frames = list(restarting_sensor(counts, n=100, session_s=5.0, boot_s=0.3))
    source = SerialSource(str(tmp_path / "sensor"), give_up_s=1.0, heartbeat_s=0.2)
    serve(source.port, source, frames, speed=8.0)  # 8× real time: silences of over 5 s would still show
    blocks, problems = read_all(source)
    got = np.concatenate([b.samples for b, _ in blocks])
    assert len(got) == len(counts)  # every sample sent is kept (it lost 55 000 of 60 000)
    np.testing.assert_allclose(got, counts * 0.25)
    restarts = [b for b, _ in blocks if b.gap_before]
    assert len(restarts) == 11  # each restart a new segment: the stream broke there
    assert [b.t0_sample for b, _ in blocks[1:]] == [a.t0_sample + len(a.samples) + b.gap_before
                                                    for (a, _), (b, _) in itertools.pairwise(blocks)]
    decoder = source.link.decoder
    assert decoder.restarts == 11 and decoder.late_frames == decoder.dropped_frames == 0
    assert not any("none make sensor frames" in p for p in problems)


@pytest.mark.long
def test_the_gap_of_a_restart_is_how_long_the_sensor_was_away(tmp_path):
    # In real time: 2 s, a 0.5-s boot, 1.5 s. The sensor clock cannot say; the arrivals do.
    counts = np.random.default_rng(4).integers(-3000, 3000, (3500, 1))
    frames = [f for f in restarting_sensor(counts, n=50, session_s=2.0, boot_s=0.5)]
    source = SerialSource(str(tmp_path / "sensor"), give_up_s=1.0)
    serve(source.port, source, frames, speed=1.0)
    blocks, _ = read_all(source)
    [restart] = [b for b, _ in blocks if b.gap_before]
    assert restart.t0_sample == 2000 + restart.gap_before
    assert restart.gap_before == pytest.approx(0.5 * FS, abs=0.1 * FS)
    assert sum(len(b.samples) for b, _ in blocks) == len(counts)


@pytest.mark.long
def test_a_1_s_unplug_is_logged_as_a_1_s_gap(tmp_path):
    # In real time. It was logged as 1.42 s: frames sent while the port was being reopened were emptied
    # out by pyserial's open, after a back-off that had grown to 0.8 s.
    x = np.random.default_rng(5).standard_normal(4 * FS) * 20.0  # 2 s, the 1-s unplug, 1 s after the replug
    emu = SensorEmulator([x], FS, n=20)
    port = PtyPort(str(tmp_path / "sensor"))  # its link goes with the cable, as udev removes it
    source = SerialSource(port.path, give_up_s=1.5, heartbeat_s=0.2)

    def run():
        while not source.connected:
            time.sleep(0.005)
        play(emu, port, speed=1.0, unplugs=[(2.0, 1.0)])
        time.sleep(0.3)
        port.close()

    threading.Thread(target=run, daemon=True).start()
    blocks, _ = read_all(source)
    gap_s = sum(b.gap_before for b, _ in blocks) / FS
    assert source.reconnects == 1 and gap_s == pytest.approx(1.0, abs=0.1)
    assert sum(len(b.samples) for b, _ in blocks) + source.link.assembler.missing_samples == len(x)
    # the timestamps said it: the clock carried on, so no estimate was used
    assert source.link.assembler.restarts == 0


def test_frames_sent_while_the_port_is_being_opened_are_kept(tmp_path):
    port = PtyPort(str(tmp_path / "sensor"))
    counts = np.arange(500).reshape(-1, 1)
    port.write(encode_status(0, 0, FS, NV) + b"".join(encode_data(k + 1, 100 * k, counts[100 * k:100 * k + 100])
                                                      for k in range(5)))
    source = SerialSource(port.path, give_up_s=0.3)
    threading.Thread(target=lambda: (time.sleep(0.5), port.close()), daemon=True).start()
    blocks, _ = read_all(source)
    assert [b.t0_sample for b, _ in blocks] == [0, 100, 200, 300, 400]


def test_a_new_rate_is_seen_at_the_first_block_made_at_it(tmp_path):
    c = np.arange(100).reshape(-1, 1)
    frames = ([encode_status(0, 0, FS, NV)] + [encode_data(1 + k, 100 * k, c) for k in range(3)]
              + [encode_status(4, 300, 2000, 500)] + [encode_data(5 + k, 300 + 100 * k, c) for k in range(2)]
              + [encode_status(7, 500, 0, 500), encode_status(8, 500, 2000, 0)]  # absurd: rate 0, step 0
              + [encode_data(9, 500, c)])
    source = SerialSource(str(tmp_path / "sensor"), give_up_s=0.3)
    serve(source.port, source, [(0.0, b"".join(frames))], speed=1.0)  # in one write: one chunk
    blocks, _ = read_all(source)
    assert [fs for _, fs in blocks] == [1000.0] * 3 + [2000.0] * 3
    assert [b.samples[1, 0] for b, _ in blocks] == [0.25] * 3 + [0.5] * 3  # µV at the step of the time
    assert [b.gap_before for b, _ in blocks] == [0] * 6
    assert source.link.decoder.bad_frames == 2 and source.link.assembler.rate_changes == 1


def test_a_frame_cut_by_a_read_error_goes_on_after_it():
    frames = [encode_status(0, 0, FS, NV)] + [encode_data(k, 10 * (k - 1), np.arange(10)) for k in (1, 2, 3)]
    data = b"".join(frames)
    cut = len(frames[0]) + len(frames[1]) + 7
    link = FrameLink()
    before = link.feed(data[:cut])
    link.mark_disconnect(300)  # the port failed a read and was opened again: the same bytes go on
    after = link.feed(data[cut:])
    assert [b.t0_sample for b in before + after] == [0, 10, 20] and link.assembler.gaps == 0


def test_after_a_replug_the_cut_frame_costs_none_of_the_new_ones_and_the_lost_are_counted():
    old = encode_status(0, 0, FS, NV) + encode_data(1, 0, np.arange(10))
    link = FrameLink()
    assert len(link.feed(old + encode_data(2, 10, np.arange(10))[:9])) == 1
    link.mark_disconnect(300)
    new = b"".join(encode_data(k, 10 * k, np.arange(10)) for k in range(40, 44))  # the clock went on
    blocks = link.feed(new)
    assert [(b.t0_sample, b.gap_before) for b in blocks] == [(400, 390), (410, 0), (420, 0), (430, 0)]
    assert link.decoder.dropped_frames == 38  # seq 2–39, counted across the drop
