"""Any Lab Streaming Layer stream (OpenBCI GUI, BrainFlow, amplifier apps), through ``pylsl``.

The stream is found by name, or by a property (``type=EMG``); its rate,
channel labels and units come from its header. Samples are placed by their
LSL timestamps: a pause in them longer than 1.5 sample intervals is a gap of
the samples it held, so a dropped network or a paused sender shows as a gap,
not as a signal squeezed together. An outlet that disappears is waited for
(the inlet recovers by itself when it comes back).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from types import ModuleType

import numpy as np

from emgcramp.core.blocks import Block, StampGaps
from emgcramp.core.channels import default_names
from emgcramp.core.errors import InputError
from emgcramp.io.base import unit_scale

EXTRA = "Lab Streaming Layer needs the lsl extra: pip install 'emgcramp[lsl]'"
PULL_S = 0.1  # longest wait for a chunk: the status line keeps moving while nothing comes
SILENT_S = 2.0  # no sample for this long: the stream is reported lost
# How late (s) a chunk may be stamped before the samples it leaves room for count as missing: a sender its
# scheduler delays stamps its chunks late (a lossless stream on a loaded 2-core machine logged 78 gaps in 69 s
# at 1.5 sample intervals); a tenth of the 0.5 s the detector bridges within a cramp.
JITTER_S = 0.05


# liblsl's log level (loguru's: -3 fatal only, -2 errors, 0 its INFO lines, the default, up to 9).
# Fatal only: a lost or silent stream is said on the status line, once, in the monitor's words.
QUIET_LOG_LEVEL = -3
_configured: list[bool] = []  # liblsl reads its configuration once, at its first call that needs it


def load_pylsl(verbose: bool = False) -> ModuleType:
    """Import ``pylsl``, with liblsl's log lines kept off stderr unless ``verbose``.

    Raises :class:`InputError` (one line) when the lsl extra is not installed.
    """
    try:
        import pylsl
    except ImportError:
        raise InputError(EXTRA) from None
    if not _configured:
        _configured.append(True)
        text = None if verbose else liblsl_config()
        if text is not None:
            _give_liblsl(pylsl, text)
    return pylsl


def _user_config() -> str:
    """The text of the configuration file liblsl would read itself (``""``: none, liblsl's defaults).

    The places it looks, first found wins: ``$LSLAPICFG``, ``lsl_api.cfg`` in the working folder,
    ``~/lsl_api/lsl_api.cfg``, ``/etc/lsl_api/lsl_api.cfg``.
    """
    places = [os.environ.get("LSLAPICFG", ""), "lsl_api.cfg", os.path.expanduser("~/lsl_api/lsl_api.cfg"),
              "/etc/lsl_api/lsl_api.cfg"]
    for path in filter(None, places):
        with contextlib.suppress(OSError, UnicodeDecodeError), open(path, encoding="utf-8") as f:
            return f.read()
    return ""


def _sets_log(text: str) -> bool:
    """The configuration ``text`` chooses liblsl's logging itself (``level`` or ``file`` under ``[log]``)."""
    section = ""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif section == "log" and line.partition("=")[0].strip() in ("level", "file"):
            return True
    return False


def liblsl_config() -> str | None:
    """The configuration to give liblsl: the user's own, made quiet; ``None`` to leave liblsl to read its own.

    liblsl prints INFO lines on stderr (the file it loaded, its build)
    unless its configuration sets ``[log] level``. The user's file keeps
    every setting (network, session, tuning) with a quiet level added; a
    file that sets the level or a log file itself is the user's choice
    and is left as it is.
    """
    text = _user_config()
    if _sets_log(text):
        return None
    return (text.rstrip("\n") + "\n" if text.strip() else "") + f"[log]\nlevel = {QUIET_LOG_LEVEL}\n"


def _give_liblsl(pylsl: ModuleType, text: str) -> None:
    """Make ``text`` liblsl's configuration: it must come before any LSL call that reads it."""
    try:
        pylsl.set_config_content(text)  # pylsl >= 1.16.1 with liblsl >= 1.17.7: wins over every file
        return
    except (AttributeError, NotImplementedError):
        pass
    # Older ones read the file LSLAPICFG names, first of all: a new owner-only file, removed at exit.
    fd, path = tempfile.mkstemp(prefix="emgcramp-lsl-", suffix=".cfg")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.environ["LSLAPICFG"] = path
    atexit.register(_remove, path)


def _remove(path: str) -> None:
    """Remove ``path`` if it is still there."""
    with contextlib.suppress(OSError):
        os.unlink(path)


def resolve(query: str, timeout_s: float = 5.0):
    """The StreamInfo of the first stream matching ``NAME`` or ``PROPERTY=VALUE`` (``type=EMG``)."""
    pylsl = load_pylsl()
    prop, sep, value = query.partition("=")
    prop, value = (prop.strip().lower(), value.strip()) if sep else ("name", query)
    if prop not in ("name", "type", "source_id", "hostname"):
        raise InputError(f"--lsl {query}: give a stream name, or type=, source_id= or hostname=")
    found = pylsl.resolve_byprop(prop, value, minimum=1, timeout=timeout_s)
    if not found:
        raise InputError(f"--lsl {query}: no such LSL stream seen within {timeout_s:g} s")
    return found[0]


def _labels_and_scales(info) -> tuple[list[str], np.ndarray]:
    """Channel labels (:func:`~emgcramp.core.channels.default_names` where the header has none) and µV per stream
    unit (µV when unsaid)."""
    n = info.channel_count()
    labels, scales = default_names(n), np.ones(n)
    ch = info.desc().child("channels").child("channel")
    for i in range(n):
        if ch.empty():
            break
        labels[i] = ch.child_value("label") or labels[i]
        unit = ch.child_value("unit")
        if unit:
            scale = unit_scale(unit)
            if scale is None:
                raise InputError(f"LSL channel {labels[i]!r} is in {unit!r}, not a voltage")
            scales[i] = scale
        ch = ch.next_sibling()
    return labels, scales


class LslSource:
    """Blocks (µV) of an LSL stream's channels, placed on its timestamps."""

    start = None  # LSL timestamps are the sender's clock; the night starts when the first sample arrives
    lead_off = 0

    def __init__(self, query: str, channels: list[int] | None = None, resolve_s: float = 5.0,
                 stop: threading.Event | None = None, verbose: bool = False):
        pylsl = load_pylsl(verbose)  # before resolve(): liblsl's configuration is read at its first call
        self._info = resolve(query, resolve_s)
        self.fs: float = float(self._info.nominal_srate())
        if not self.fs > 0:
            raise InputError(f"--lsl {query}: the stream is irregular (no nominal rate); EMG needs a fixed rate")
        self._inlet = pylsl.StreamInlet(self._info, max_buflen=360, recover=True)
        try:  # the full header (channel labels, units) comes with the inlet, not with the resolved info
            header = self._inlet.info(timeout=resolve_s)
        except pylsl.TimeoutError:
            raise InputError(f"--lsl {query}: the stream did not send its header within {resolve_s:g} s") from None
        self._labels, self._all_scales = _labels_and_scales(header)
        self.keep(channels)
        self.stop = stop or threading.Event()
        self.connected, self.problem = False, ""

    def keep(self, channels: list[int] | None) -> None:
        """Read only these channels (indices into the stream's; ``None``: all)."""
        self._pick = list(range(len(self._labels))) if channels is None else list(channels)
        self.channel_names = [self._labels[i] for i in self._pick]
        self._scales = self._all_scales[self._pick]

    def blocks(self) -> Iterator[Block | None]:
        t0, heard, gaps = 0, time.monotonic(), StampGaps(self.fs, JITTER_S)
        try:
            while not self.stop.is_set():
                samples, stamps = self._inlet.pull_chunk(timeout=PULL_S)
                if not stamps:
                    if time.monotonic() - heard > SILENT_S:
                        self.connected, self.problem = False, "the LSL stream has gone quiet"
                    yield None
                    continue
                heard, self.connected, self.problem = time.monotonic(), True, ""
                x = np.asarray(samples, dtype=np.float64)[:, self._pick] * self._scales
                missing = gaps.missing(np.asarray(stamps))
                edges = [0, *[int(c) for c in np.flatnonzero(missing) if c > 0], len(x)]
                for a, b in zip(edges[:-1], edges[1:]):  # a new block wherever the timestamps pause
                    gap = int(missing[a])  # the count: the night log and the EDF keep the gap's length
                    t0 += gap
                    yield Block(t0, x[a:b], gap_before=gap)
                    t0 += b - a
        finally:
            self._inlet.close_stream()

