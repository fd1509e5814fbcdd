"""The one recording interface every file reader implements."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import numpy as np

from emgcramp.core.blocks import Block
from emgcramp.core.errors import InputError

UNIT_TO_UV = {"uv": 1.0, "µv": 1.0, "μv": 1.0, "mv": 1e3, "v": 1e6, "nv": 1e-3,
              "microvolts": 1.0, "millivolts": 1e3, "volts": 1.0e6, "nanovolts": 1e-3}  # LSL/XDF spell them out


def unit_scale(unit: str) -> float | None:
    """µV per unit for a unit name (``uV``, ``mV``, ``V``…), else ``None``."""
    return UNIT_TO_UV.get(unit.strip().lower())


class Recording:
    """A recording opened for streaming: fixed sampling rate, named channels.

    Readers fix units at the edge: :meth:`blocks` yields µV. Subclasses set
    ``fs`` (Hz, or ``None`` when the format does not carry it),
    ``channel_names``, ``n_samples`` (``None`` if unknown before reading),
    ``start`` (wall-clock start, if known) and implement :meth:`_read`.
    """

    path: str
    fs: float | None
    channel_names: list[str]
    n_samples: int | None = None
    start: datetime | None = None

    def channel_index(self, channel: str | int | None) -> int:
        """Resolve a channel by name (case-insensitive) or 0-based index."""
        names = self.channel_names
        if channel is None:
            return 0
        if isinstance(channel, int) or str(channel).lstrip("-").isdigit():
            i = int(channel)
            if 0 <= i < len(names):
                return i
        else:
            lowered = [n.lower() for n in names]
            if str(channel).lower() in lowered:
                return lowered.index(str(channel).lower())
        raise InputError(f"no channel {channel!r} in {self.path}; channels are: {', '.join(names)}")

    def channel_indices(self, spec: str | int | None) -> list[int]:
        """Channels by ``all``, a comma-separated list of names or indices, or one (default: the first)."""
        if spec is None or isinstance(spec, int):
            return [self.channel_index(spec)]
        if str(spec).lower() == "all":
            return list(range(len(self.channel_names)))
        idx = [self.channel_index(part.strip()) for part in str(spec).split(",")]
        if len(set(idx)) != len(idx):
            raise InputError(f"--channel {spec}: a channel is named twice")
        return idx

    def blocks(self, channels: list[int], chunk: int) -> Iterator[Block]:
        """Yield contiguous :class:`Block` s of ``chunk`` samples (µV)."""
        t0 = 0
        for x in self._read(channels, chunk):
            yield Block(t0, x)
            t0 += len(x)

    def _read(self, channels: list[int], chunk: int) -> Iterator[np.ndarray]:
        raise NotImplementedError

    def close(self) -> None:
        """Release the file."""

    def __enter__(self) -> "Recording":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
