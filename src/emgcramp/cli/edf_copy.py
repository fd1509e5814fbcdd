"""``analyze --edf-out``: the analysed channels copied as EDF+ (or BDF+), with the analysis as annotations."""

from __future__ import annotations

import argparse
import contextlib
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

from emgcramp.core.errors import InputError, SettingsWarning
from emgcramp.files import CHUNK_S

if TYPE_CHECKING:
    import numpy as np


def write_annotated_copy(args: argparse.Namespace, result, start) -> None:
    """The analysed channels as EDF+, annotated: cramps, possible cramps, leg movements (``lm``/``plm N``), warnings."""
    from emgcramp.io import open_recording
    from emgcramp.io.edf import ANNOTATED_BY, write_edf

    with open_recording(args.file, args.fs, getattr(args, "scale", None), getattr(args, "stream", None)) as rec, \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", SettingsWarning)  # read as the analysis read it: its notes were said then
        chs = rec.channel_indices(args.channel)
        if rec.fs != int(rec.fs):
            raise InputError(f"--edf-out needs a whole-number sampling rate, not {rec.fs:g} Hz")
        notes = result.notes()
        if hasattr(rec, "annotations"):  # the recording's own notes (lights off, a technician's) stay in its copy
            with contextlib.suppress(InputError):  # damaged ones: the copy carries ours alone
                notes = [n for n in rec.annotations() if n[2].strip()] + notes
        # an EDF or BDF recording's copy stores its samples as the recording does: the same integers
        scales = rec.scales(chs) if hasattr(rec, "scales") else None
        fs, names = rec.fs, [rec.channel_names[c] for c in chs]
    base = list(notes)  # closed first: EDFlib opens a file once at a time, and the samples are read afresh
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SettingsWarning)
        write_edf(args.edf_out, fs, names, lambda: _samples(args, chs, notes, base), notes, start,
                  bdf=args.edf_out.lower().endswith(".bdf"), note=ANNOTATED_BY, scales=scales)


def _samples(args: argparse.Namespace, chs: list[int], notes: list, base: list) -> Iterator[np.ndarray]:
    """The chosen channels' samples (µV) of ``args.file``, read afresh (a copy they overflow is written again).

    ``notes`` becomes ``base`` and the gaps' notes (EDF has no gaps: a pause in the recording is written as
    zeros and noted, so times after it stay right), however often it is read.
    """
    from emgcramp.io import open_recording
    from emgcramp.io.edf import zero_filled

    notes[:] = base
    with open_recording(args.file, args.fs, getattr(args, "scale", None), getattr(args, "stream", None)) as rec:
        rec.select(chs)
        yield from zero_filled(rec.blocks(chs, int(CHUNK_S * rec.fs)), rec.fs, notes)
