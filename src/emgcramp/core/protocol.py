"""Frame codec for the sensor link (mirrors ``firmware_bridge/PROTOCOL.md``).

:func:`encode_data` and :func:`encode_status` build frames;
:class:`Decoder` takes byte chunks of any size (split frames, garbage,
flipped bits), finds its place again, and never raises on bad bytes. It
counts CRC errors, skipped bytes and frames lost to sequence gaps, and
tells a sensor that restarted (its sequence and clock back at 0) from a
frame that came late.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

from emgcramp.core.blocks import MAX_FS_HZ, MIN_FS_HZ
from emgcramp.core.framing import (
    FMT_INT16,
    HEADER,
    HEADER_LEN,
    MAX_CHANNELS,
    STATUS,
    SYNC,
    TS_WRAP,
    TYPE_DATA,
    TYPE_STATUS,
    VERSION,
    crc16,
    frame_at,
    good_frame_after,
    payload_len,
    samples,
    still_coming,
)

# A frame up to this many sequence numbers behind the last is late (reordered) if that number was
# counted lost; further back it is a jump forward (frames lost while the link was down), or the
# stream would stop on it.
LATE_WINDOW = 64
# Samples in a frame at most: a late frame's clock is at most LATE_WINDOW × this behind the last one's,
# and a clock that goes back by more than one frame while the numbers go on is a sensor that restarted.
MAX_SAMPLES = 255


@dataclass(frozen=True)
class DataFrame:
    """Samples in ADC counts, ``(n, channels)`` int32; ``timestamp`` in samples.

    ``restart``: the first frame the decoder heard after the sensor
    restarted (sequence and sample clock begun again): a new segment.
    """

    seq: int
    timestamp: int
    samples: np.ndarray
    restart: bool = False


@dataclass(frozen=True)
class StatusFrame:
    """Sensor state: rate (Hz), ADC step (nV), battery (mV), lead-off bits; ``restart`` as for :class:`DataFrame`."""

    seq: int
    timestamp: int
    fs_hz: int
    nv_per_lsb: int
    battery_mv: int
    lead_off: int
    gain: int
    flags: int
    restart: bool = False

    @property
    def uv_per_count(self) -> float:
        return self.nv_per_lsb / 1000.0

    @property
    def plausible(self) -> bool:
        """Whether the rate is one sEMG is sampled at and the ADC step is not 0."""
        return MIN_FS_HZ <= self.fs_hz <= MAX_FS_HZ and self.nv_per_lsb > 0


def _frame(kind: int, channels: int, fmt: int, n: int, seq: int, timestamp: int, payload: bytes) -> bytes:
    body = HEADER.pack((VERSION << 4) | kind, channels, fmt, n, seq & 0xFFFF, timestamp & 0xFFFFFFFF) + payload
    return SYNC + body + struct.pack("<H", crc16(body))


def encode_data(seq: int, timestamp: int, counts: np.ndarray, fmt: int = FMT_INT16) -> bytes:
    """A data frame from ``counts`` (n × channels ADC counts)."""
    counts = np.asarray(counts)
    if counts.ndim == 1:
        counts = counts[:, None]
    n, ch = counts.shape
    if not (1 <= n <= 255 and 1 <= ch <= MAX_CHANNELS):
        raise ValueError(f"a frame holds 1–255 samples of 1–{MAX_CHANNELS} channels, not {counts.shape}")
    if fmt == FMT_INT16:
        payload = counts.astype("<i2").tobytes()
    else:
        b = counts.astype("<i4").reshape(-1, 1).view(np.uint8).reshape(-1, 4)
        payload = b[:, :3].tobytes()
    return _frame(TYPE_DATA, ch, fmt, n, seq, timestamp, payload)


def encode_status(seq: int, timestamp: int, fs_hz: int, nv_per_lsb: int, battery_mv: int = 0,
                  lead_off: int = 0, gain: int = 1, flags: int = 0, channels: int = 1) -> bytes:
    """A status frame."""
    payload = STATUS.pack(fs_hz, nv_per_lsb, battery_mv, lead_off, gain, flags)
    return _frame(TYPE_STATUS, channels, FMT_INT16, 0, seq, timestamp, payload)


@dataclass
class Decoder:
    """Incremental frame decoder; :meth:`feed` returns the frames completed.

    Sequence numbers (u16, wrapping) are counted: ``dropped_frames`` never
    arrived; ``duplicate_frames`` repeated the last one and ``late_frames``
    came after a later one (both are discarded: their place in the stream
    has passed, and the sensor clock marks it as a gap).

    A frame behind the last one is late only if its number was counted
    lost and its clock is just behind; otherwise the sensor restarted (a
    number already heard again, or the clock gone back while the numbers
    went on): ``restarts`` counts those; that frame comes out flagged
    ``restart=True``, and the ones after it as usual. ``bad_frames`` counts
    status frames whose rate or ADC step cannot be right (rate 0, say):
    they are dropped, and the rate stays what it was.
    """

    frames: int = 0
    crc_errors: int = 0
    skipped_bytes: int = 0
    dropped_frames: int = 0
    duplicate_frames: int = 0
    late_frames: int = 0
    restarts: int = 0
    bad_frames: int = 0
    _buf: bytearray = field(default_factory=bytearray, repr=False)
    _last_seq: int | None = field(default=None, repr=False)
    _last_ts: int = field(default=0, repr=False)
    _missing: set[int] = field(default_factory=set, repr=False)  # lost numbers a late frame may still bring
    _restart_due: bool = field(default=False, repr=False)  # a restart seen on a dropped frame: mark the next

    def feed(self, chunk: bytes, final: bool = False) -> list[DataFrame | StatusFrame]:
        """Add bytes; return every complete valid frame, in order.

        A damaged length field can make a frame look longer than it is; the
        decoder does not wait for those bytes once a good frame has begun
        after it, and with ``final=True`` (end of stream) it gives up
        waiting and rescans. A frame cut short by its last byte, followed
        by a good one, passes its 16-bit CRC 1 time in 256 (the next frame's
        sync byte standing in for the lost one); where the sync straddles
        the CRC and a good frame starts there, the good frame wins.
        """
        self._buf += chunk
        out: list[DataFrame | StatusFrame] = []
        buf = self._buf
        while True:
            i = buf.find(SYNC)
            if i < 0:
                keep = 1 if buf.endswith(SYNC[:1]) else 0
                self.skipped_bytes += len(buf) - keep
                del buf[: len(buf) - keep]
                break
            if i:
                self.skipped_bytes += i
                del buf[:i]
            if len(buf) < HEADER_LEN:
                if final:
                    self.skipped_bytes += len(buf)
                    del buf[:]
                break
            vt, ch, fmt, n, seq, ts = HEADER.unpack_from(buf, 2)
            plen = payload_len(vt & 0x0F, ch, fmt, n) if vt >> 4 == VERSION else None
            if plen is None:
                self._skip(buf)
                continue
            total = HEADER_LEN + plen + 2
            if len(buf) < total:
                if final:
                    self._skip(buf)
                    continue
                later = good_frame_after(buf, 2)
                if later is None:
                    break
                self.skipped_bytes += later  # a header damaged into a long frame: resync at once
                del buf[:later]
                continue
            body = bytes(buf[2: total - 2])
            if struct.unpack_from("<H", buf, total - 2)[0] != crc16(body):
                self.crc_errors += 1
                self._skip(buf)
                continue
            if buf[total - 1: total + 1] == SYNC:
                nxt = frame_at(buf, total - 1)
                if nxt is not None and not final and still_coming(buf, total - 1, nxt[0]):
                    break  # wait: is the frame that starts inside this CRC a real one?
                if nxt is not None and nxt[1]:
                    self.crc_errors += 1  # this one was cut short by a byte
                    self.skipped_bytes += total - 1
                    del buf[: total - 1]
                    continue
            del buf[:total]
            frame = self._make(vt & 0x0F, ch, fmt, seq, ts, body[HEADER.size:])
            if frame is not None:
                out.append(frame)
        return out

    def restart(self) -> None:
        """Forget the stream so far: the next frame starts it afresh (no gap, no restart counted)."""
        self._last_seq = None
        self._missing.clear()

    def reconnected(self) -> None:
        """The link dropped and came back: frames lost meanwhile will not come late."""
        self._missing.clear()

    def _skip(self, buf: bytearray) -> None:
        self.skipped_bytes += 1
        del buf[:1]

    def _make(self, kind: int, ch: int, fmt: int, seq: int, ts: int,
              payload: bytes) -> DataFrame | StatusFrame | None:
        place = self._account(seq, ts)
        if place is None:
            return None
        restart, self._restart_due = place == "restart" or self._restart_due, False
        if kind == TYPE_DATA:
            self._last_ts = ts
            return DataFrame(seq, ts, samples(payload, ch, fmt), restart=restart)
        frame = StatusFrame(seq, ts, *STATUS.unpack(payload), restart=restart)
        if frame.plausible:
            return frame
        self.bad_frames += 1
        self._restart_due = restart  # the next frame still begins the new segment
        return None

    def _account(self, seq: int, ts: int) -> str | None:
        """Count a frame by its number: its place (see :meth:`_place`), or ``None`` to discard it."""
        first, place = self._last_seq is None, self._place(seq, ts)
        if place == "duplicate":
            self.duplicate_frames += 1
            return None
        if place == "late":
            self.late_frames += 1
            self.dropped_frames = max(0, self.dropped_frames - 1)  # counted lost when the later one came
            self._missing.discard(seq)
            return None
        if place == "restart":
            self.restarts += 1
            self._missing.clear()  # numbers lost before the restart will never come now
        else:
            self._count_lost(seq)
        if place == "restart" or first:
            self._last_ts = ts  # the clock to go by, even a status frame's: the data after it is no restart
        self._last_seq = seq
        self.frames += 1
        return place

    def _place(self, seq: int, ts: int) -> str:
        """Where a frame falls: ``"next"``, ``"duplicate"``, ``"late"`` or ``"restart"``.

        The clock is compared with the last data frame's (a status frame's
        stamp is the sensor's to choose). Numbers going on with the clock
        going back more than one frame's length is a restart: a sensor that
        ran long enough before restarting.
        """
        if self._last_seq is None:
            return "next"
        step = (seq - self._last_seq) & 0xFFFF
        back = (self._last_ts - ts) % TS_WRAP  # how far the sensor clock went back (samples)
        far_back = MAX_SAMPLES < back < TS_WRAP // 2
        if step == 0:
            return "restart" if far_back else "duplicate"
        if step > 0xFFFF - LATE_WINDOW:  # a few numbers behind: one that was lost, or heard before
            late = seq in self._missing and back <= LATE_WINDOW * MAX_SAMPLES
            return "late" if late else "restart"
        return "restart" if far_back else "next"

    def _count_lost(self, seq: int) -> None:
        """Count the numbers skipped before ``seq``; keep those a late frame may still bring."""
        step = (seq - self._last_seq) & 0xFFFF if self._last_seq is not None else 1
        self.dropped_frames += step - 1
        if step > 1:
            self._missing.update((seq - k) & 0xFFFF for k in range(1, min(step, LATE_WINDOW + 1)))
        if self._missing:
            self._missing = {m for m in self._missing if (seq - m) & 0xFFFF <= LATE_WINDOW}
