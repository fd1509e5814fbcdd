"""Frame codec for the sensor link (mirrors ``firmware_bridge/PROTOCOL.md``).

:func:`encode_data` and :func:`encode_status` build frames;
:class:`Decoder` takes byte chunks of any size (split frames, garbage,
flipped bits), finds its place again, and never raises on bad bytes. It
counts CRC errors, skipped bytes and frames lost to sequence gaps.
"""

from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass, field

import numpy as np

SYNC = b"\xa5\x5a"
VERSION = 1
TYPE_DATA, TYPE_STATUS = 0, 1
FMT_INT16, FMT_INT24 = 0, 1
HEADER = struct.Struct("<BBBBHI")  # version·type, channels, format, n, seq, timestamp
STATUS = struct.Struct("<HIHBBH")  # fs_hz, nv_per_lsb, battery_mv, lead_off, gain, flags
HEADER_LEN = 2 + HEADER.size
MAX_CHANNELS = 8
SAMPLE_BYTES = {FMT_INT16: 2, FMT_INT24: 3}


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF)."""
    return binascii.crc_hqx(data, 0xFFFF)


@dataclass(frozen=True)
class DataFrame:
    """Samples in ADC counts, ``(n, channels)`` int32; ``timestamp`` in samples."""

    seq: int
    timestamp: int
    samples: np.ndarray


@dataclass(frozen=True)
class StatusFrame:
    """Sensor state: rate (Hz), ADC step (nV), battery (mV), lead-off bits."""

    seq: int
    timestamp: int
    fs_hz: int
    nv_per_lsb: int
    battery_mv: int
    lead_off: int
    gain: int
    flags: int

    @property
    def uv_per_count(self) -> float:
        return self.nv_per_lsb / 1000.0


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


def _payload_len(kind: int, channels: int, fmt: int, n: int) -> int | None:
    """Payload size for a plausible header, else ``None``."""
    if not 1 <= channels <= MAX_CHANNELS or fmt not in SAMPLE_BYTES:
        return None
    if kind == TYPE_STATUS:
        return STATUS.size if n == 0 else None
    if kind == TYPE_DATA and n >= 1:
        return n * channels * SAMPLE_BYTES[fmt]
    return None


def _samples(payload: bytes, channels: int, fmt: int) -> np.ndarray:
    if fmt == FMT_INT16:
        return np.frombuffer(payload, "<i2").astype(np.int32).reshape(-1, channels)
    b = np.frombuffer(payload, np.uint8).reshape(-1, 3).astype(np.int32)
    v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
    return np.where(v >= 1 << 23, v - (1 << 24), v).reshape(-1, channels)


@dataclass
class Decoder:
    """Incremental frame decoder; :meth:`feed` returns the frames completed."""

    frames: int = 0
    crc_errors: int = 0
    skipped_bytes: int = 0
    dropped_frames: int = 0
    _buf: bytearray = field(default_factory=bytearray, repr=False)
    _last_seq: int | None = field(default=None, repr=False)

    def feed(self, chunk: bytes, final: bool = False) -> list[DataFrame | StatusFrame]:
        """Add bytes; return every complete valid frame, in order.

        A damaged length field can make a frame look longer than it is; the
        decoder then waits for more bytes before the CRC rejects it. With
        ``final=True`` (end of stream) it gives up waiting and rescans.
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
            plen = _payload_len(vt & 0x0F, ch, fmt, n) if vt >> 4 == VERSION else None
            if plen is None:
                self._skip(buf)
                continue
            total = HEADER_LEN + plen + 2
            if len(buf) < total:
                if final:
                    self._skip(buf)
                    continue
                break
            body = bytes(buf[2: total - 2])
            if struct.unpack_from("<H", buf, total - 2)[0] != crc16(body):
                self.crc_errors += 1
                self._skip(buf)
                continue
            del buf[:total]
            out.append(self._make(vt & 0x0F, ch, fmt, seq, ts, body[HEADER.size:]))
        return out

    def _skip(self, buf: bytearray) -> None:
        self.skipped_bytes += 1
        del buf[:1]

    def _make(self, kind: int, ch: int, fmt: int, seq: int, ts: int, payload: bytes) -> DataFrame | StatusFrame:
        if self._last_seq is not None:
            self.dropped_frames += (seq - self._last_seq - 1) & 0xFFFF
        self._last_seq = seq
        self.frames += 1
        if kind == TYPE_STATUS:
            return StatusFrame(seq, ts, *STATUS.unpack(payload))
        return DataFrame(seq, ts, _samples(payload, ch, fmt))
