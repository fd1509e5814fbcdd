"""Frame codec: round trips, the C encoder byte for byte, resync, counters, fuzz."""

import os
import shutil
import subprocess

import numpy as np
import pytest
from conftest import ROOT

from emgcramp.core.framing import FMT_INT16, FMT_INT24, HEADER, SYNC, TYPE_DATA, VERSION, crc16
from emgcramp.core.protocol import DataFrame, Decoder, StatusFrame, encode_data, encode_status


def test_crc_check_value():
    assert crc16(b"123456789") == 0x29B1  # the CRC-16/CCITT-FALSE catalogue check


@pytest.mark.parametrize("fmt,lo,hi", [(FMT_INT16, -32768, 32767), (FMT_INT24, -(1 << 23), (1 << 23) - 1)])
def test_round_trip(fmt, lo, hi):
    counts = np.random.default_rng(0).integers(lo, hi + 1, size=(50, 3))
    counts[0] = [lo, hi, 0]
    frames = Decoder().feed(encode_data(65535, 2**32 - 1, counts, fmt))
    assert len(frames) == 1 and isinstance(frames[0], DataFrame)
    f = frames[0]
    assert (f.seq, f.timestamp) == (65535, 2**32 - 1)
    np.testing.assert_array_equal(f.samples, counts)


def test_status_round_trip():
    [s] = Decoder().feed(encode_status(3, 99, 2000, 2441, 3700, lead_off=2, gain=12, flags=1, channels=2))
    assert s == StatusFrame(3, 99, 2000, 2441, 3700, 2, 12, 1) and s.uv_per_count == pytest.approx(2.441)


@pytest.fixture(scope="module")
def c_vectors(tmp_path_factory):
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler")
    src = os.path.join(ROOT, "firmware_bridge")
    exe = str(tmp_path_factory.mktemp("c") / "test_vectors")
    subprocess.run([cc, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-o", exe,
                    os.path.join(src, "test_vectors.c"), os.path.join(src, "emgframe.c")], check=True)
    return subprocess.run([exe], capture_output=True, text=True, check=True).stdout.split()


def test_c_encoder_matches_python_byte_for_byte(c_vectors):
    ramp = np.arange(10) * 1000 - 5000
    expected = [
        encode_data(0, 0, ramp, FMT_INT16),
        encode_data(65535, 2**32 - 1, np.array([[-32768, 32767], [-1, 0], [1234, -4321]]), FMT_INT16),
        encode_data(7, 123456, np.array([[-8388608, 8388607], [-2, 70000]]), FMT_INT24),
        encode_status(8, 2000, 2000, 2441, 3700, 0x02, 12, 1, channels=2),
    ]
    assert c_vectors[:4] == [f.hex() for f in expected]
    assert int(c_vectors[4], 16) == crc16(b"123456789")
    frames = [Decoder().feed(bytes.fromhex(v))[0] for v in c_vectors[:4]]  # vectors, not one stream
    np.testing.assert_array_equal(frames[2].samples, [[-8388608, 8388607], [-2, 70000]])


def stream(n_frames, seed=0, skip=()):
    rng = np.random.default_rng(seed)
    frames = [encode_data(k, 10 * k, rng.integers(-2000, 2000, (10, 1))) for k in range(n_frames)]
    return frames, b"".join(f for k, f in enumerate(frames) if k not in skip)


def test_any_chunking_gives_the_same_frames():
    frames, data = stream(20)
    whole = Decoder().feed(data)
    for size in (1, 2, 3, 7, 33):
        d = Decoder()
        got = [f for i in range(0, len(data), size) for f in d.feed(data[i:i + size])]
        assert [(f.seq, f.samples.tolist()) for f in got] == [(f.seq, f.samples.tolist()) for f in whole]
        assert d.frames == 20 and d.skipped_bytes == 0


def test_resync_after_garbage_and_bit_flips():
    frames, _ = stream(10)
    bad = bytearray(frames[4])
    bad[15] ^= 0x10  # a flipped bit in the payload
    data = b"\x00\xa5\xff" * 7 + b"".join(frames[:4]) + bytes(bad) + b"\xa5\x5a\x13" + b"".join(frames[5:])
    d = Decoder()
    got = d.feed(data)
    assert [f.seq for f in got] == [0, 1, 2, 3, 5, 6, 7, 8, 9]
    assert d.crc_errors == 1 and d.dropped_frames == 1 and d.skipped_bytes >= 21


def test_dropped_frames_counted_across_seq_wrap():
    d = Decoder()
    d.feed(encode_data(65534, 0, [1]) + encode_data(1, 30, [1]))  # 65535 and 0 missing
    assert d.dropped_frames == 2


def test_duplicates_and_late_frames_are_not_counted_as_lost():
    data = b"".join(encode_data(k, 10 * k, [k]) for k in (0, 1, 2, 2, 3, 5, 4, 6))
    d = Decoder()
    assert [f.seq for f in d.feed(data)] == [0, 1, 2, 3, 5, 6]
    assert (d.dropped_frames, d.duplicate_frames, d.late_frames) == (0, 1, 1)


def test_a_long_jump_of_sequence_numbers_is_frames_lost_not_late():
    d = Decoder()
    got = d.feed(b"".join(encode_data(k, 10 * k, [k]) for k in (100, 101, 100 + 40_000, 100 + 40_001)))
    assert [f.seq for f in got] == [100, 101, 40_100, 40_101] and d.dropped_frames == 39_998


def test_a_frame_cut_by_its_last_byte_never_costs_the_good_frame_after_it():
    # The cut frame's CRC borrows the next sync byte (0xA5): 1 in 256 cut frames used to pass.
    rng = np.random.default_rng(7)
    accepted_cut = lost_good = 0
    for k in range(3000):
        cut = encode_data(k, 0, rng.integers(-2000, 2000, (10, 1)))[:-1]
        good = encode_data(k + 1, 10, rng.integers(-2000, 2000, (10, 1)))
        d = Decoder()
        seqs = [f.seq for f in d.feed(cut + good)] + [f.seq for f in d.feed(b"", final=True)]
        accepted_cut += seqs.count(k & 0xFFFF)
        lost_good += (k + 1) & 0xFFFF not in seqs
    assert accepted_cut == 0 and lost_good == 0


def test_a_header_damaged_into_a_long_frame_does_not_hold_back_good_ones():
    # Damaged to claim 255 samples of 8 int24 channels (6 kB): the next frames come out at once.
    damaged = SYNC + HEADER.pack((VERSION << 4) | TYPE_DATA, 8, FMT_INT24, 255, 7, 0) + b"\x00" * 5
    frames, data = stream(3)
    d = Decoder()
    assert [f.seq for f in d.feed(damaged + data)] == [0, 1, 2]


def test_fuzz_random_and_mutated_streams_never_raise():
    rng = np.random.default_rng(42)
    frames, data = stream(40, seed=1)
    for trial in range(300):
        buf = bytearray(data)
        n_mut = int(rng.integers(0, 20))
        for _ in range(n_mut):
            op = rng.integers(3)
            pos = int(rng.integers(len(buf)))
            if op == 0:
                buf[pos] ^= 1 << int(rng.integers(8))
            elif op == 1:
                del buf[pos: pos + int(rng.integers(1, 30))]
            else:
                buf[pos:pos] = rng.integers(0, 256, int(rng.integers(1, 30)), dtype=np.uint8).tobytes()
        d = Decoder()
        got = []
        for i in range(0, len(buf), 17):
            got += d.feed(bytes(buf[i:i + 17]))
        got += d.feed(b"", final=True)
        good = {f.seq: f.samples.tolist() for f in Decoder().feed(data)}
        # whatever survives is a real frame, intact; each mutation costs at most two frames
        assert all(f.seq in good and good[f.seq] == f.samples.tolist() for f in got)
        assert len(got) >= 40 - 2 * n_mut
    d = Decoder()
    assert d.feed(rng.integers(0, 256, 100_000, dtype=np.uint8).tobytes()) == []
    assert d.skipped_bytes > 99_000


def test_a_sensor_that_restarts_after_a_drop_is_heard_from_its_first_frame():
    from emgcramp.live.sources.frames import FrameLink

    link = FrameLink()
    status = encode_status(0, 0, 1000, 250)
    assert len(link.feed(status + b"".join(encode_data(k, 10 * k, np.arange(10)) for k in range(1, 30)))) == 29
    link.mark_disconnect(500)
    restarted = encode_status(0, 0, 1000, 250) + b"".join(encode_data(k, 10 * k, np.arange(10)) for k in range(1, 10))
    assert len(link.feed(restarted)) == 9  # not dropped as late: the sequence starts again


def _session(boot_status, frames=30, n=10):
    """A sensor's frames from power-on: numbers and sample clock from 0, a status frame first or not."""
    head = [encode_status(0, 0, 1000, 250)] if boot_status else []
    return b"".join(head + [encode_data(len(head) + k, n * k, np.arange(n)) for k in range(frames)])


@pytest.mark.parametrize("boot_status", [True, False])
def test_a_sensor_that_restarts_with_the_link_up_is_heard_from_its_first_frame(boot_status):
    # No disconnect to tell: the numbers start again a few behind, which used to make every frame "late".
    from emgcramp.live.sources.frames import FrameLink

    link = FrameLink()
    first = link.feed(_session(True))
    again = link.feed(_session(boot_status))
    assert len(first) == len(again) == 30
    assert again[0].gap_before >= 1 and again[0].t0_sample == 300 + again[0].gap_before  # a new segment
    assert [b.gap_before for b in again[1:]] == [0] * 29
    d = link.decoder
    assert (d.restarts, d.late_frames, d.dropped_frames, d.duplicate_frames) == (1, 0, 0, 0)
    assert link.assembler.restarts == 1


def test_a_late_frame_is_still_dropped_but_a_number_heard_before_is_a_restart():
    d = Decoder()
    got = d.feed(b"".join(encode_data(k, 10 * k, [k]) for k in (0, 1, 2, 4, 5, 3)))
    assert [f.seq for f in got] == [0, 1, 2, 4, 5]
    assert (d.late_frames, d.dropped_frames) == (1, 0)  # 3 was lost, then came late
    assert [f.seq for f in d.feed(encode_data(2, 0, [0]))] == [2]  # 2 was heard: the sensor began again
    assert (d.restarts, d.late_frames) == (1, 1)


def test_a_restart_after_a_long_run_is_not_counted_as_frames_lost():
    d = Decoder()
    d.feed(b"".join(encode_data(k, 10 * k, [k]) for k in range(200)))
    [f] = d.feed(encode_data(0, 0, [0]))  # numbers on (200 → 0 is ahead by 65 336), clock back
    assert d.dropped_frames == 0 and f.restart and d.restarts == 1


@pytest.mark.parametrize("fs_hz, nv", [(0, 250), (5, 250), (2000, 0)])
def test_a_status_frame_with_an_absurd_rate_or_step_is_a_bad_frame_and_the_rate_stays(fs_hz, nv):
    from emgcramp.live.sources.frames import FrameAssembler, FrameLink

    link = FrameLink()
    link.feed(encode_status(0, 0, 1000, 250) + encode_data(1, 0, np.arange(10)))
    [b] = link.feed(encode_status(2, 10, fs_hz, nv) + encode_data(3, 10, np.arange(10)))
    assert link.fs == 1000.0 and link.decoder.bad_frames == 1
    assert (b.t0_sample, b.gap_before, b.samples[1, 0]) == (10, 0, 0.25)
    # first thing heard: data waits for a status frame that can be believed
    link = FrameLink()
    assert link.feed(encode_status(0, 0, fs_hz, nv) + encode_data(1, 0, np.arange(10))) == [] and link.fs is None
    assert len(link.feed(encode_status(2, 10, 1000, 250))) == 1
    asm = FrameAssembler()
    assert asm.add([StatusFrame(0, 0, fs_hz, nv, 0, 0, 1, 0)]) == [] and asm.fs is None


def test_a_bad_frame_starting_inside_a_crc_does_not_stall_the_decoder():
    # A frame whose CRC ends in 0xA5, then 0x5A: the sync of a frame that may begin inside that CRC (the
    # one cut short by a byte). When that one was whole and failed its CRC, the decoder waited on it for ever.
    k = next(k for k in range(5000) if encode_data(k, 0, [k])[-1] == 0xA5)
    bad = b"\x5a" + HEADER.pack((VERSION << 4) | TYPE_DATA, 1, FMT_INT16, 1, 9, 0) + b"\x00" * 4
    good = b"".join(encode_data(k + 1 + j, 1 + j, [j]) for j in range(3))
    d = Decoder()
    assert [f.seq for f in d.feed(encode_data(k, 0, [k]) + bad + good)] == [k, k + 1, k + 2, k + 3]


@pytest.mark.parametrize("sent_hz, said", [(2000, "about 2000 samples a second, not the 1000 Hz it declares: the "
                                                  "night's times run fast"),
                                           (1000, ""), (1030, ""), (500, "run slow")])
def test_a_sensor_sending_at_another_rate_than_it_declares_is_told(sent_hz, said):
    from emgcramp.live.sources.frames import FrameLink

    rng = np.random.default_rng(0)
    link = FrameLink()
    link.feed(encode_status(0, 0, 1000, 250), at=0.0)
    n, at = 100, 0.0
    for k in range(int(70 * sent_hz / n)):  # 70 s of frames, their arrival bunched as USB and BLE bunch them
        at += n / sent_hz
        link.feed(encode_data(1 + k, n * k, np.zeros(n, dtype=int)), at=at + rng.uniform(0, 0.2))
    assert (link.clock_note().endswith(said) if said else link.clock_note() == "")
    assert link.assembler.arrival_fs == pytest.approx(sent_hz, rel=0.01)
    link.feed(encode_status(999, n * 999, 2000, 250), at=at + 1)  # a new rate: measured again
    assert link.clock_note() == "" and link.assembler.arrival_fs is None


def test_a_timestamp_that_leaps_ahead_of_the_time_that_passed_is_not_believed():
    from emgcramp.live.sources.frames import FrameLink

    def night(frames):
        link = FrameLink()
        link.feed(encode_status(0, 0, 1000, 250), at=0.0)
        blocks = [b for seq, (ts, at) in enumerate(frames, 1)
                  for b in link.feed(encode_data(seq, ts, np.zeros(100, dtype=int)), at=at)]
        return blocks[-1].t0_sample + 100, link.assembler

    steady = [(100 * k, 0.1 * (k + 1)) for k in range(300)]  # 30 s at 1 kHz, in real time
    # one frame stamped 50 minutes ahead (a glitch), then the stream as before: a few samples' gap, not 50 minutes
    glitch = steady[:150] + [(3_000_000, 15.05)] + steady[150:]
    length, asm = night(glitch)
    assert length < 31_000 and asm.restarts == 2
    # frames really lost for 10 s (the wall clock says so): the gap is believed, to the sample
    lost = steady[:100] + [(100 * k, 0.1 * (k + 1) + 0.01) for k in range(200, 400)]
    length, asm = night(lost)
    assert asm.restarts == 0 and asm.missing_samples == 10_000 and length == 40_000
    # a host that stalled 20 s, then read what was buffered at once, 5 s of it dropped: believed too
    stalled = steady[:100] + [(100 * k, 30.0) for k in range(100, 300) if not 150 <= k < 200]
    length, asm = night(stalled)
    assert asm.restarts == 0 and asm.missing_samples == 5_000 and length == 30_000
    # the emulator played 20 × faster than real time runs ahead by design: its gaps are believed
    fast = [(100 * k, 0.005 * (k + 1)) for k in range(1500) if not 1000 <= k < 1100]
    length, asm = night(fast)
    assert asm.restarts == 0 and asm.missing_samples == 10_000 and length == 150_000


@pytest.mark.parametrize("speed", [1.0, 0.0])
def test_a_recording_s_gap_is_sent_as_the_sensor_clock_leaping_over_it(speed):
    """emulate of a night folder played its gaps as if absent: the cramps after a 60-s gap came 60 s early."""
    from emgcramp.core.blocks import Block
    from emgcramp.live.sources.frames import FrameLink
    from emgcramp.sim.emulator import SensorEmulator

    fs, gap, cut, n = 1000, 60_000, 20_550, 25_050  # 20.55 s, the gap, then 4.5 s
    x = np.round(np.random.default_rng(3).standard_normal((n, 2)) * 80) * 0.25  # on the 0.25-µV steps
    emu = SensorEmulator([Block(0, x[:cut]), Block(cut + gap, x[cut:24_000]), Block(24_000 + gap, x[24_000:])],
                         fs, n=100)
    link = FrameLink()
    # arrivals: the frame's end on the sensor clock in real time, or all at once (as fast as read)
    blocks = [b for clock, frame in emu.frames() for b in link.feed(frame, at=clock / fs * speed)]
    assert [b.t0_sample for b in blocks if b.gap_before] == [cut + gap]
    assert link.assembler.missing_samples == gap and link.assembler.restarts == 0
    got = np.full((n + gap, 2), np.nan)
    for b in blocks:
        got[b.t0_sample:b.t0_sample + len(b.samples)] = b.samples
    assert np.array_equal(got[:cut], x[:cut]) and np.isnan(got[cut:cut + gap]).all()
    assert np.array_equal(got[cut + gap:], x[cut:])  # the 50 pending at the gap went in a frame of their own


def test_a_gap_played_above_real_time_goes_by_at_once_and_is_believed():
    """×10, play waited a 30-min gap out for 3 min: a clock leaping 30 min after 3 min was taken for a restart,
    and the samples after it came 27 min early."""
    import time

    from emgcramp.core.blocks import Block
    from emgcramp.live.sources.frames import FrameLink
    from emgcramp.sim.emulator import SensorEmulator, play

    class Port:  # a port that hands each frame to the receiver as it is written, at the wall clock's time
        plugged = True

        def __init__(self):
            self.link, self.blocks = FrameLink(), []

        def write(self, frame):
            self.blocks += self.link.feed(frame, at=time.monotonic())

    fs, before, gap = 1000, 30_000, 1_800_000
    emu = SensorEmulator([Block(0, np.zeros((before, 1))), Block(before + gap, np.ones((10_000, 1)), gap)], fs)
    port, t = Port(), time.monotonic()
    play(emu, port, speed=20.0)
    assert time.monotonic() - t < 10.0  # 40 s of signal at × 20: 2 s, not the gap's 90 s more
    [after] = [b for b in port.blocks if b.gap_before]
    assert (after.t0_sample, after.gap_before, port.link.assembler.restarts) == (before + gap, gap, 0)
