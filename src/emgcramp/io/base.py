"""The one recording interface every file reader implements."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import numpy as np

from emgcramp.core.blocks import Block, check_fs
from emgcramp.core.errors import InputError
from emgcramp.core.channels import channel_index, channel_indices

UNIT_TO_UV = {"uv": 1.0, "µv": 1.0, "μv": 1.0, "mv": 1e3, "v": 1e6, "nv": 1e-3,  # LSL/XDF and headers spell them out
              "microvolts": 1.0, "millivolts": 1e3, "volts": 1.0e6, "nanovolts": 1e-3,
              "microvolt": 1.0, "millivolt": 1e3, "volt": 1.0e6, "nanovolt": 1e-3}


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
    fs_given: float | None = None  # a rate the user gave for a file that carries its own (checked against it)

    def rate(self) -> float:
        """The sampling rate (Hz), checked as :func:`~emgcramp.core.blocks.check_fs` checks it; an
        :class:`InputError` that names the file when it is missing or out of range."""
        try:
            return check_fs(self.fs)
        except InputError as e:
            raise InputError(f"{self.path}: {e}") from None

    # Other names a channel answers to, lower case: the file's own label where the name is shortened from it
    aliases: dict[str, str] = {}

    def channel_index(self, channel: str | int | None) -> int:
        """Resolve a channel by name (case-insensitive) or 0-based index, and :meth:`select` it."""
        index = channel_index(self._unaliased(channel), self.channel_names, self.path)
        self.select([index])
        return index

    def channel_indices(self, spec: str | int | list[str | int] | None) -> list[int]:
        """Channels by ``all``, a comma-separated list of names or indices (or a list of them), or one (default:
        the first); :meth:`select` s them."""
        if isinstance(spec, (list, tuple)) and self.aliases:
            spec = [self._unaliased(p) for p in spec]
        elif isinstance(spec, str) and self.aliases:
            spec = ",".join(str(self._unaliased(p.strip())) for p in spec.split(","))
        chosen = channel_indices(spec, self.channel_names, self.path, self.foreign_units())
        self.select(chosen)
        return chosen

    _foreign: dict[int, str] = {}  # a reader that knows each channel's unit: those that are no voltage

    def foreign_units(self) -> dict[int, str]:
        """The channels whose unit is no voltage (index: unit; a temperature, a force)."""
        return dict(self._foreign)

    @property
    def rates(self) -> list[float | None]:
        """Each channel's sampling rate (Hz): ``fs`` for all, but where a format keeps one per channel (EDF)."""
        return [self.fs] * len(self.channel_names)

    def select(self, channels: list[int]) -> None:
        """Take ``channels`` as the ones to read: ``fs`` and ``n_samples`` become theirs where a format keeps
        a rate per channel (a sleep recording's EEG at 256 Hz beside the legs' EMG at 1 kHz); here, nothing."""

    def _unaliased(self, channel: str | int | None) -> str | int | None:
        return self.aliases.get(channel.lower(), channel) if isinstance(channel, str) else channel

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
