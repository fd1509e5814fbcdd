"""EDF, EDF+ and BDF through pyedflib (EDFlib): read in chunks, write EDF+."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

import numpy as np
import pyedflib

from emgcramp.core.blocks import Block
from emgcramp.core.errors import InputError, settings_note
from emgcramp.io.base import Recording, unit_scale
from emgcramp.io.edf_header import (
    MAX_SLOTS,
    Layout,
    Scale,
    check_length,
    check_name,
    check_written,
    open_reader,
    pieces,
    start_unknown,
)
from emgcramp.io.secure import mentions_maker, private_path

# Largest physical value (µV) a channel's header may give: 1 kV is a hundred times any amplifier's
# input range, so a larger one is a damaged or mistyped header. Beyond it the samples' squares
# (power, RMS) overflow float64 long before 1e308, and NumPy would warn instead of one clear line.
MAX_PHYSICAL_UV = 1e9


class EdfRecording(Recording):
    """An EDF/EDF+/BDF file; channels in the file's physical unit, scaled to µV."""

    def __init__(self, path: str, scale: float | None = None):
        """``scale``: µV per unit of the channels whose header leaves the unit blank (InputError when none does)."""
        self.path = path
        check_name(path)
        layout = check_length(path)
        # Annotations are read when asked for: EDFlib reads every data record for them.
        self._r = open_reader(path, pyedflib.DO_NOT_READ_ANNOTATIONS)
        r, self.channel_names = self._r, [s.strip() for s in self._r.getSignalLabels()]
        if not r.datarecord_duration > 0:
            self.close()
            raise InputError(f"{path}: not a readable EDF/BDF file (its header gives the data records no duration)")
        if not self.channel_names:
            self.close()
            raise InputError(f"{path}: the file holds no signals")
        self._fs = [float(f) for f in r.getSampleFrequencies()]
        self._ns = [int(n) for n in r.getNSamples()]
        self._scale, self._foreign = [], {}
        dims = [r.getPhysicalDimension(i).strip() for i in range(len(self.channel_names))]
        if scale is not None and all(dims):
            self.close()
            raise InputError(f"{path}: --scale is for channels whose header gives no unit; each one here gives its own")
        for i, dim in enumerate(dims):
            per = unit_scale(dim) if dim else scale or 1.0  # a blank unit: µV, or --scale µV per unit
            self._scale.append(1.0 if per is None else per)
            if per is None:
                self._foreign[i] = dim  # not a voltage: refused if chosen, left out of --channel all
        self.fs = self._fs[0]
        self.n_samples = self._ns[0]
        try:
            self.start = r.getStartdatetime() if layout is None or layout.start_known else None
        except Exception:
            self.start = None
        self._map = self._records_map(layout)

    @property
    def bdf(self) -> bool:
        """The file is BDF (24-bit integers), not EDF (16-bit)."""
        return self._r is not None and self._r.filetype in (pyedflib.FILETYPE_BDF, pyedflib.FILETYPE_BDFPLUS)

    def scales(self, channels: list[int]) -> list[Scale]:
        """How the chosen channels' integers stand for their values, as their headers say (a copy keeps them; a
        blank unit becomes µV, its range × the µV per unit it was read at)."""
        r = self._r
        k = {c: 1.0 if r.getPhysicalDimension(c).strip() else self._scale[c] for c in channels}
        return [Scale(r.getPhysicalDimension(c).strip() or "uV", r.getPhysicalMinimum(c) * k[c], r.getPhysicalMaximum(c)
                      * k[c], r.getDigitalMinimum(c), r.getDigitalMaximum(c), self._scale[c] / k[c]) for c in channels]

    @property
    def rates(self) -> list[float | None]:
        """Each channel's sampling rate (Hz), as the header gives it."""
        return list(self._fs)

    def select(self, channels: list[int]) -> None:
        """Use the rate and length of the chosen channels (they must agree)."""
        for c in channels:
            if c in self._foreign:
                raise InputError(f"{self.path}: channel {self.channel_names[c]!r} is in {self._foreign[c]!r}, "
                                 "not a voltage (V, mV, uV or nV)")
            self._check_range(c)
        if len({self._fs[c] for c in channels}) > 1:
            each = ", ".join(f"{self.channel_names[c]} at {self._fs[c]:g} Hz" for c in channels)
            raise InputError(f"{self.path}: the channels chosen are sampled at different rates ({each}); "
                             "choose channels of one rate with --channel")
        if self.fs_given is not None and abs(self.fs_given - self._fs[channels[0]]) > 1e-6 * self._fs[channels[0]]:
            raise InputError(f"{self.path}: --fs {self.fs_given:g} Hz disagrees with the {self._fs[channels[0]]:g} Hz "
                             f"of channel {self.channel_names[channels[0]]!r}")
        self.fs, self.n_samples = self._fs[channels[0]], min(self._ns[c] for c in channels)

    def _check_range(self, c: int) -> None:
        """Refuse channel ``c`` when its header's physical range is not finite or over :data:`MAX_PHYSICAL_UV`
        (EDFlib checks only that its ends differ: ``1e308`` passes, and every sample read is then inf or NaN)."""
        lo, hi = self._r.getPhysicalMinimum(c), self._r.getPhysicalMaximum(c)
        ends = (lo * self._scale[c], hi * self._scale[c])  # µV; Python floats become inf, never warn
        if not all(math.isfinite(v) and abs(v) <= MAX_PHYSICAL_UV for v in ends):
            dim = self._r.getPhysicalDimension(c).strip()
            raise InputError(f"{self.path}: channel {self.channel_names[c]!r} has the physical range {lo:g} to "
                             f"{hi:g}{' ' + dim if dim else ''} in its header, beyond what electrodes record "
                             f"(over ±{MAX_PHYSICAL_UV / 1e9:g} kV): the header is damaged or wrong")

    def _records_map(self, layout: Layout | None):
        """16-bit EDF: the file, its layout, each signal's columns in a record and µV per count.

        EDFlib reads one signal at a time, seeking through every record for
        each; reading a chunk's records once and slicing them is several
        times faster for many channels, and holds only that chunk in memory
        (a memory map would keep every page it touched resident). BDF
        (24-bit) stays with EDFlib.
        """
        if layout is None or layout.width != 2 or not layout.records:
            return None
        data = [i for i, lab in enumerate(layout.labels) if lab not in ("EDF Annotations", "BDF Annotations")]
        if len(data) != len(self.channel_names):
            return None
        starts = np.concatenate([[0], np.cumsum(layout.per_record)])
        r = self._r
        cols, gain, offset = [], [], []
        for c, i in enumerate(data):
            cols.append(slice(int(starts[i]), int(starts[i + 1])))
            span = r.getDigitalMaximum(c) - r.getDigitalMinimum(c)
            bit = (r.getPhysicalMaximum(c) - r.getPhysicalMinimum(c)) / span
            gain.append(bit * self._scale[c])
            offset.append((r.getPhysicalMaximum(c) / bit - r.getDigitalMaximum(c)) * bit * self._scale[c])
        return open(self.path, "rb"), layout, cols, gain, offset

    def _read(self, channels: list[int], chunk: int) -> Iterator[np.ndarray]:
        self.select(channels)
        for start in range(0, self.n_samples, chunk):
            n = min(chunk, self.n_samples - start)
            if self._map is None:
                yield np.column_stack([self._r.readSignal(c, start, n) * self._scale[c] for c in channels])
            else:
                yield self._mapped(channels, start, n)

    def _mapped(self, channels: list[int], start: int, n: int) -> np.ndarray:
        """Samples ``start``…``start + n`` of ``channels`` from the record map, µV."""
        f, layout, cols, gain, offset = self._map
        spr = cols[channels[0]].stop - cols[channels[0]].start  # the chosen channels share a rate
        r0, r1 = start // spr, -(-(start + n) // spr)
        f.seek(layout.header + r0 * layout.record_bytes)
        records = np.fromfile(f, "<i2", (r1 - r0) * sum(layout.per_record)).reshape(r1 - r0, -1)
        out = np.empty((n, len(channels)))
        for j, c in enumerate(channels):
            counts = records[:, cols[c]].reshape(-1)[start - r0 * spr: start - r0 * spr + n]
            np.add(np.multiply(counts, gain[c], out=out[:, j]), offset[c], out=out[:, j])  # no chunk-sized temporaries
        return out

    def annotations(self) -> list[tuple[float, float, str]]:
        """EDF+ annotations as (onset s, duration s, text); damaged ones are one line, the samples still readable."""
        if self._r is None:
            raise InputError(f"{self.path}: the recording was closed")
        self._r.close()  # EDFlib opens a file once: this reader is replaced by one that reads them
        try:
            self._r = open_reader(self.path, pyedflib.READ_ALL_ANNOTATIONS)
        except InputError:
            self._r = open_reader(self.path, pyedflib.DO_NOT_READ_ANNOTATIONS)
            raise
        onsets, durations, texts = self._r.readAnnotations()
        return [(float(o), float(d), str(t)) for o, d, t in zip(onsets, durations, texts)]

    def close(self) -> None:
        if getattr(self, "_map", None) is not None:
            self._map[0].close()
            self._map = None
        if getattr(self, "_r", None) is not None:
            self._r.close()
            self._r = None


GAP_NOTE = "gap:no signal"


def zero_filled(blocks: Iterable[Block], fs: float, notes: list[tuple[float, float, str]],
                chunk: int | None = None) -> Iterator[np.ndarray]:
    """The blocks' samples (µV) with each gap filled by zeros of its length, for EDF, which has no gaps.

    Each gap is appended to ``notes`` as it passes, as (onset s, duration s, ``gap:no signal``): pass the
    same list as :func:`write_edf`'s annotations, which it reads after the last block. The zeros come
    ``chunk`` samples at a time (default 10 s), so an hours-long gap is never held whole.
    """
    step = chunk or max(1, int(10 * fs))
    for b in blocks:
        if b.gap_before:
            notes.append(((b.t0_sample - b.gap_before) / fs, b.gap_before / fs, GAP_NOTE))
            width = b.samples.shape[1]
            for i in range(0, b.gap_before, step):
                yield np.zeros((min(step, b.gap_before - i), width))
        yield b.samples


def write_edf(path: str, fs: float, channel_names: list[str],
              blocks: Iterable[np.ndarray] | Callable[[], Iterable[np.ndarray]],
              annotations: Iterable[tuple[float, float, str]] = (), start: datetime | None = None,
              physical_range_uv: float = 8000.0, bdf: bool = False, note: str = "",
              scales: list[Scale] | None = None) -> None:
    """Write µV blocks (samples × channels) as an EDF+ (or BDF+) file, 0600; ``note`` in the recording field.

    Data records are 1 s long, so ``fs`` must be a whole number; a last
    partial record is padded with its final value. Each channel's samples
    are stored as ``scales`` says (a recording's own, for a copy that keeps
    its integers), by default ±``physical_range_uv`` µV over the whole
    integer range. When that range does not hold them and ``blocks`` is a
    callable that gives them afresh, the file is written again over a range
    that does (:func:`range_for`); otherwise samples beyond it are stored at
    its ends, as an amplifier's rail would, and an annotation says how many.
    ``annotations`` (onset s, duration s, text) are read after the last
    block, so notes made while the blocks pass (:func:`zero_filled`) are
    written too.
    """
    if fs != int(fs):
        raise ValueError("EDF records of 1 s need a whole-number sampling rate")
    fs = int(fs)
    check_name(path)
    fresh = blocks if callable(blocks) else None
    with private_path(path) as tmp:
        own = scales or [Scale.symmetric(physical_range_uv, bdf)] * len(channel_names)
        records, peak, notes = _write_records(tmp, fs, channel_names, fresh() if fresh else blocks, annotations,
                                              start, own, bdf, note, retry=scales is None and fresh is not None)
        wide = peak > physical_range_uv and scales is None
        if fresh is not None and (wide or notes > records):  # written again: a wider range, more annotation slots
            own = [Scale.symmetric(range_for(peak), bdf)] * len(channel_names) if wide else own
            records, _, notes = _write_records(tmp, fs, channel_names, fresh(), annotations, start, own, bdf, note,
                                               slots=-(-notes // max(records, 1)))
        if notes > records * (MAX_SLOTS if fresh else 1):
            said = (f"{path}: {notes} annotations for {records} s of signal: EDF+ holds "
                    f"{MAX_SLOTS if fresh else 1} a second")
            if fresh:  # over 64 a second: no copy rather than one without them
                raise InputError(f"cannot write {said}")
            settings_note(f"{said} here, the last ones are not in it")
        if start is None:
            start_unknown(tmp)
        check_written(tmp, path, records)


def range_for(peak_uv: float) -> float:
    """The range (±µV) a copy stores samples up to ``peak_uv`` in: the next whole mV (16 bits: 0.6 µV at ±20 mV)."""
    return 1000.0 * math.ceil(peak_uv / 1000.0)


ANNOTATED_BY = "annotated_by_emgcramp"  # the recording field's note in the copies below (EDF+: no spaces)
SIMULATED_BY = "simulated_by_emgcramp"  # the recording field's note of a synthetic night (simulate, demo --keep)


def is_annotated_copy(path: str) -> bool:
    """True for an EDF+ copy this package annotated (``--edf-out``, ``recover --edf``): its recording field says so."""
    return mentions_maker(path, 256, ANNOTATED_BY)


def is_simulated_night(path: str) -> bool:
    """True for a synthetic night this package wrote (``simulate``, ``demo --keep``): its recording field says so."""
    return mentions_maker(path, 256, SIMULATED_BY)


def _write_records(tmp: str, fs: int, channel_names: list[str], blocks: Iterable[np.ndarray],
                   annotations: Iterable[tuple[float, float, str]], start: datetime | None, scales: list[Scale],
                   bdf: bool, note: str = "", retry: bool = False, slots: int = 1) -> tuple[int, float, int]:
    """Write the file at ``tmp``; return the number of 1-s data records, the largest sample's size (µV) and
    the number of annotations written (a text over EDFlib's 40 bytes counts as its pieces, :func:`pieces`).

    Samples beyond ``scales`` are stored at its ends, said in an annotation unless it is written again (``retry``).
    EDFlib keeps ``slots`` annotations a data record (1 s), the others are lost: see :func:`write_edf`.
    """
    kind = pyedflib.FILETYPE_BDFPLUS if bdf else pyedflib.FILETYPE_EDFPLUS
    records, peak, cut, written = 0, 0.0, 0, 0
    w = pyedflib.EdfWriter(tmp, len(channel_names), file_type=kind)
    try:
        w.set_number_of_annotation_signals(min(slots, MAX_SLOTS))
        w.setSignalHeaders([{"label": name[:16], "sample_frequency": fs, "transducer": "sEMG electrodes",
                             "prefilter": ""} | scale.header() for name, scale in zip(channel_names, scales)])
        if start is not None:
            w.setStartdatetime(start)
        w.setRecordingAdditional(note)
        pending = np.empty((0, len(channel_names)))
        for block in blocks:
            if len(block):
                peak = max(peak, float(np.abs(block).max()))
                cut += sum(s.beyond(block[:, c]) for c, s in enumerate(scales))
            pending = np.vstack([pending, block])
            whole = len(pending) // fs * fs
            if whole:
                w.writeSamples([s.integers(pending[:whole, c]) for c, s in enumerate(scales)], digital=True)
                pending, records = pending[whole:], records + whole // fs
        if len(pending):
            full = np.vstack([pending, np.repeat(pending[-1:], fs - len(pending), axis=0)])
            w.writeSamples([s.integers(full[:, c]) for c, s in enumerate(scales)], digital=True)
            records += 1
        notes = sorted(annotations, key=lambda a: a[0])  # gap notes come in late
        if cut and not retry:
            top = max(max(-s.physical_min, s.physical_max) * s.uv_per_unit for s in scales)
            notes.insert(0, (0.0, -1.0, f"{cut} samples cut to +-{top:g} uV"))  # EDFlib keeps 40 characters
        for onset, duration, text in notes:
            for piece in pieces(text):
                w.writeAnnotation(onset, duration, piece)
                written += 1
    finally:
        w.close()
    return records, peak, written
