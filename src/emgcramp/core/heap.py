"""Keep freed chunk buffers in the process heap (glibc only).

glibc serves allocations over 128 kB (its dynamic threshold rises only to
what it has seen freed) with their own ``mmap`` and returns them with
``munmap``; each new 60-s chunk then faults its pages in afresh and the
kernel zeroes them. Over an 8-h 2-kHz night that was 140,000 page faults
and a fifth of the wall time (``bench/RESULTS.md``). Raising the mmap
threshold over the largest chunk buffer lets freed buffers be reused.
Peak memory is unchanged: the same buffers are live at the peak either way.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD = -1  # glibc malloc.h
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 32 << 20  # over a 60-s chunk of 8 channels at 4 kHz in float64 (15 MB)
TRIM_THRESHOLD_BYTES = 64 << 20

_done = False


def reuse_freed_buffers() -> bool:
    """Ask glibc to keep large freed blocks for reuse; False where there is no glibc ``mallopt``."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others: no mallopt
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    _done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
    return _done
