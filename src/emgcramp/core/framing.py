"""The sensor link's wire format: constants, CRC, and where frames begin and end in a byte stream.

See ``firmware_bridge/PROTOCOL.md``; :mod:`emgcramp.core.protocol` builds
and decodes frames with these.
"""

from __future__ import annotations

import binascii
import struct

import numpy as np

SYNC = b"\xa5\x5a"
VERSION = 1
TYPE_DATA, TYPE_STATUS = 0, 1
FMT_INT16, FMT_INT24 = 0, 1
HEADER = struct.Struct("<BBBBHI")  # version·type, channels, format, n, seq, timestamp
STATUS = struct.Struct("<HIHBBH")  # fs_hz, nv_per_lsb, battery_mv, lead_off, gain, flags
MAX_WIRE_FS_HZ = 2 ** 16 - 1  # the status frame carries the rate as a whole number of Hz in 16 bits
HEADER_LEN = 2 + HEADER.size
MAX_CHANNELS = 8
SAMPLE_BYTES = {FMT_INT16: 2, FMT_INT24: 3}
TS_WRAP = 1 << 32


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF)."""
    return binascii.crc_hqx(data, 0xFFFF)



def payload_len(kind: int, channels: int, fmt: int, n: int) -> int | None:
    """Payload size for a plausible header, else ``None``."""
    if not 1 <= channels <= MAX_CHANNELS or fmt not in SAMPLE_BYTES:
        return None
    if kind == TYPE_STATUS:
        return STATUS.size if n == 0 else None
    if kind == TYPE_DATA and n >= 1:
        return n * channels * SAMPLE_BYTES[fmt]
    return None


def samples(payload: bytes, channels: int, fmt: int) -> np.ndarray:
    if fmt == FMT_INT16:
        return np.frombuffer(payload, "<i2").astype(np.int32).reshape(-1, channels)
    b = np.frombuffer(payload, np.uint8).reshape(-1, 3).astype(np.int32)
    v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
    return np.where(v >= 1 << 23, v - (1 << 24), v).reshape(-1, channels)


def frame_at(buf: bytearray, i: int) -> tuple[int, bool] | None:
    """A frame header at ``i``: (its total length, whether it is complete with a good CRC); ``None`` if implausible."""
    if buf[i:i + 2] != SYNC or len(buf) < i + HEADER_LEN:
        return None
    vt, ch, fmt, n, _, _ = HEADER.unpack_from(buf, i + 2)
    plen = payload_len(vt & 0x0F, ch, fmt, n) if vt >> 4 == VERSION else None
    if plen is None:
        return None
    total = HEADER_LEN + plen + 2
    if len(buf) < i + total:
        return total, False
    crc = struct.unpack_from("<H", buf, i + total - 2)[0]
    return total, crc == crc16(bytes(buf[i + 2: i + total - 2]))


def still_coming(buf: bytearray, i: int, total: int) -> bool:
    """Whether the frame of ``total`` bytes at ``i`` may yet complete.

    Not once its bytes are all here (then its CRC has said), nor once a good
    frame has begun after its header: a damaged header, or garbage, else the
    decoder would wait on it for ever.
    """
    return len(buf) < i + total and good_frame_after(buf, i + 2) is None


def good_frame_after(buf: bytearray, start: int) -> int | None:
    """Where the first complete frame with a good CRC begins at or after ``start``."""
    k = buf.find(SYNC, start)
    while k >= 0:
        f = frame_at(buf, k)
        if f is not None and f[1]:
            return k
        k = buf.find(SYNC, k + 1)
    return None
