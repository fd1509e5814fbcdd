"""XDF files (what LabRecorder writes from Lab Streaming Layer streams), read through ``pyxdf``.

``--stream NAME`` picks the stream (by name, else by type); with one stream
of a fixed rate in the file it is taken. pyxdf reads the whole file: there is
no reading it a chunk at a time, so the stream's samples are held in memory
(an 8-h 2-kHz channel in float32 is 230 MB). Timestamps are pyxdf's,
dejittered; where they pause by 1.5 sample intervals or more, the samples
that pause held are marked as a gap (the stream is not resampled), as the
live LSL source does; timestamps that step back are refused, as are
streams cut short (no footer, or fewer samples than it counts). pyxdf's own
log is kept off stderr: what it says about damage comes in our one line.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from types import ModuleType

import numpy as np

from emgcramp.core.blocks import Block, missing_before
from emgcramp.core.channels import default_names
from emgcramp.core.errors import InputError
from emgcramp.io.base import Recording, unit_scale

EXTRA = "reading XDF files needs the xdf extra: pip install 'emgcramp[xdf]'"


def _pyxdf():
    try:
        import pyxdf
    except ImportError:
        raise InputError(EXTRA) from None
    return pyxdf


def _first(info: dict, key: str, default: str = "") -> str:
    value = info.get(key, [default])
    return str(value[0]) if isinstance(value, list) and value else default


def _choose(streams: list[dict], name: str | None, path: str) -> dict:
    regular = [s for s in streams if _rate(s["info"]) > 0]
    if name:
        for key in ("name", "type"):
            hits = [s for s in regular if _first(s["info"], key).lower() == name.lower()]
            if hits:
                return hits[0]
        raise InputError(f"{path}: no stream {name!r} of a fixed rate; streams are: "
                         + ", ".join(_first(s["info"], "name") for s in streams))
    if not regular:
        raise InputError(f"{path}: no stream of a fixed rate, only irregular ones ("
                         + ", ".join(_first(s["info"], "name") for s in streams) + ")")
    if len(regular) != 1:
        raise InputError(f"{path}: {len(regular)} streams of a fixed rate; pick one with --stream NAME ("
                         + ", ".join(_first(s["info"], "name") for s in regular) + ")")
    return regular[0]


def _labels_units(info: dict, n: int) -> tuple[list[str], list[str]]:
    labels, units = default_names(n), ["uV"] * n
    try:
        channels = info["desc"][0]["channels"][0]["channel"]
    except (KeyError, IndexError, TypeError):
        return labels, units
    for i, ch in enumerate(channels[:n]):
        labels[i] = _first(ch, "label", labels[i]) or labels[i]
        units[i] = _first(ch, "unit", "uV") or "uV"
    return labels, units


def _rate(info: dict) -> float:
    """The stream's nominal rate in Hz; 0 (irregular) when it is not a positive finite number."""
    try:
        rate = float(_first(info, "nominal_srate", "0"))
    except ValueError:
        return 0.0
    return rate if 0 < rate < float("inf") else 0.0


class _Keep(logging.Handler):
    """Keeps pyxdf's log records instead of printing them: its tracebacks are not for the user."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:  # damage it met and skipped; its warnings are about clock segments
            self.messages.append(record.getMessage())


def _load(pyxdf: ModuleType, path: str) -> tuple[list[dict], list[str]]:
    """pyxdf's streams, and the damage it logged and read past, its log kept off stderr for the call.

    pyxdf reads past a damaged or cut chunk, logging a traceback, and
    returns the rest: the caller decides, from what was logged and the
    stream's footer, whether what came back is whole.
    """
    log = logging.getLogger("pyxdf")
    keep, saved = _Keep(), (log.handlers[:], log.propagate, log.level)
    log.handlers, log.propagate = [keep], False
    log.setLevel(logging.WARNING)
    try:
        streams, _ = pyxdf.load_xdf(path)  # verbose left unset: it would reset the level
    except Exception as e:  # noqa: BLE001 -- a damaged file fails in many ways in pyxdf (struct.error, ...)
        reason = str(e) if isinstance(e, OSError) else f"{type(e).__name__}: {e}"
        raise InputError(f"{path}: not a readable XDF file ({reason})") from None
    finally:
        log.handlers, log.propagate = saved[0], saved[1]
        log.setLevel(saved[2])
    return streams, keep.messages


def _check_whole(s: dict, path: str, damage: list[str]) -> None:
    """Refuse a stream that its footer shows was cut; note damage pyxdf read past elsewhere in the file.

    LabRecorder writes each stream's footer, with its sample count, when
    the recording is closed: without it, or with fewer samples than it
    counts, what was read is only part of the stream. (More than it counts
    is normal: late samples arrive after the footer is written.)
    """
    name, n = _first(s["info"], "name"), len(s["time_stamps"])
    footer = (s.get("footer") or {}).get("info") or {}
    if not footer:
        raise InputError(f"{path}: the XDF file is cut short: stream {name!r} has no footer, so its {n} samples "
                         "may be only the start (the recording was not closed, or the file not copied whole)")
    count = _first(footer, "sample_count")
    if count.isdigit() and n < int(count):
        raise InputError(f"{path}: the XDF file is cut short or damaged: stream {name!r} holds {n} of the "
                         f"{int(count)} samples its footer counts")
    if damage:  # the stream is whole; say what pyxdf skipped, it is in the file
        print(f"emgcramp: note: {path}: damage outside stream {name!r} was skipped ({damage[0]}); "
              "the stream itself is whole", file=sys.stderr)


def _check_forward(stamps: np.ndarray, fs: float, path: str, name: str) -> None:
    """Refuse timestamps that step back by more than jitter: samples there cannot be placed in time.

    A step back is a clock reset or streams joined out of order; read
    forward, it would lay later samples over earlier ones.
    """
    steps = np.diff(stamps)
    back = np.flatnonzero(steps < -1.5 / fs)  # the threshold a pause forwards is a gap at
    if len(back):
        i = int(back[0]) + 1
        raise InputError(f"{path}: the timestamps of stream {name!r} step back {-steps[i - 1]:.3f} s at sample "
                         f"{i} ({stamps[i - 1] - stamps[0]:.3f} s in); expected them to go forward (a clock reset "
                         "or a splice cannot be placed in time)")


class XdfRecording(Recording):
    """One stream of an XDF file, in µV, with pauses in its timestamps marked as gaps."""

    def __init__(self, path: str, stream: str | None = None):
        self.path = path
        streams, damage = _load(_pyxdf(), path)
        if not streams:
            raise InputError(f"{path}: not a readable XDF file (no stream in it"
                             + (f"; pyxdf: {damage[0]})" if damage else ")"))
        s = _choose(streams, stream, path)
        _check_whole(s, path, damage)
        self.fs = _rate(s["info"])
        try:
            data = np.asarray(s["time_series"], dtype=np.float64)
        except (TypeError, ValueError):  # a stream of strings
            data = np.zeros((0,))
        if data.ndim != 2 or not len(data):
            raise InputError(f"{path}: the stream holds no numeric samples")
        self._stamps = np.asarray(s["time_stamps"], dtype=np.float64)
        _check_forward(self._stamps, self.fs, path, _first(s["info"], "name"))
        self.channel_names, units = _labels_units(s["info"], data.shape[1])
        scales = [unit_scale(u) for u in units]
        bad = [self.channel_names[i] for i, v in enumerate(scales) if v is None]
        if bad:
            raise InputError(f"{path}: channel {bad[0]!r} is not in a voltage unit")
        self._data, self._scales = data, np.asarray(scales)
        self.n_samples = len(data)

    def blocks(self, channels: list[int], chunk: int) -> Iterator[Block]:
        """Chunks in µV; a pause in the timestamps starts a new block marked as a gap."""
        missing = missing_before(self._stamps, self.fs)
        cuts = [int(c) for c in np.flatnonzero(missing)]
        edges = sorted(set(range(0, len(self._data), chunk)) | set(cuts) | {len(self._data)})
        t0 = 0
        for a, b in zip(edges[:-1], edges[1:]):
            gap = int(missing[a])  # how many samples the pause held, not just that there was one
            t0 += gap
            yield Block(t0, self._data[a:b, channels] * self._scales[channels], gap_before=gap)
            t0 += b - a
