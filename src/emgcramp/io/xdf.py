"""XDF files (what LabRecorder writes from Lab Streaming Layer streams), read through ``pyxdf``.

``--stream NAME`` picks the stream (by name, else by type); with one stream
of a fixed rate in the file it is taken. pyxdf reads the whole file: there is
no reading it a chunk at a time, so the stream's samples are held in memory
(an 8-h 2-kHz channel in float32 is 230 MB). Timestamps are pyxdf's,
dejittered; where they pause by 1.5 sample intervals or more, the samples
that pause held are marked as a gap (the stream is not resampled), as the
live LSL source does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numpy as np

from emgcramp.core.blocks import Block, missing_before
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
    regular = [s for s in streams if float(_first(s["info"], "nominal_srate", "0")) > 0]
    if name:
        for key in ("name", "type"):
            hits = [s for s in regular if _first(s["info"], key).lower() == name.lower()]
            if hits:
                return hits[0]
        raise InputError(f"{path}: no stream {name!r} of a fixed rate; streams are: "
                         + ", ".join(_first(s["info"], "name") for s in streams))
    if len(regular) != 1:
        raise InputError(f"{path}: {len(regular)} streams of a fixed rate; pick one with --stream NAME ("
                         + ", ".join(_first(s["info"], "name") for s in regular) + ")")
    return regular[0]


def _labels_units(info: dict, n: int) -> tuple[list[str], list[str]]:
    labels, units = [f"ch{i + 1}" for i in range(n)], ["uV"] * n
    try:
        channels = info["desc"][0]["channels"][0]["channel"]
    except (KeyError, IndexError, TypeError):
        return labels, units
    for i, ch in enumerate(channels[:n]):
        labels[i] = _first(ch, "label", labels[i]) or labels[i]
        units[i] = _first(ch, "unit", "uV") or "uV"
    return labels, units


class XdfRecording(Recording):
    """One stream of an XDF file, in µV, with pauses in its timestamps marked as gaps."""

    def __init__(self, path: str, stream: str | None = None):
        self.path = path
        pyxdf = _pyxdf()
        logging.getLogger("pyxdf").setLevel(logging.ERROR)  # its warnings are about clock segments, not our input
        try:
            streams, _ = pyxdf.load_xdf(path)  # verbose left unset: it would reset the level
        except (OSError, ValueError, EOFError, KeyError) as e:
            raise InputError(f"{path}: not a readable XDF file ({e})") from None
        s = _choose(streams, stream, path)
        self.fs = float(_first(s["info"], "nominal_srate"))
        data = np.asarray(s["time_series"], dtype=np.float64)
        if data.ndim != 2 or not len(data):
            raise InputError(f"{path}: the stream holds no numeric samples")
        self.channel_names, units = _labels_units(s["info"], data.shape[1])
        scales = [unit_scale(u) for u in units]
        bad = [self.channel_names[i] for i, v in enumerate(scales) if v is None]
        if bad:
            raise InputError(f"{path}: channel {bad[0]!r} is not in a voltage unit")
        self._data, self._scales = data, np.asarray(scales)
        self._stamps = np.asarray(s["time_stamps"], dtype=np.float64)
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
