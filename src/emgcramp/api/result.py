"""What :func:`emgcramp.find_cramps` and its kin return: a night's events, as tables, files or MNE annotations."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from emgcramp.api.checks import needs, path_arg, worded_for_python
from emgcramp.core.errors import InputError
from emgcramp.core.types import Analysis, CrampWarning, Episode, LegMovement, Lookalike

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from emgcramp.io.base import Recording

KINDS = ("cramps", "possible_cramps", "leg_movements", "warnings", "rejected")


class Result:
    """The events of one recording, with the figures the command line prints.

    Times are seconds from the first sample; intensities µV RMS of the
    0.5-s envelope; ratios × the rest level the detector learned.

    Made by :func:`~emgcramp.find_cramps`, :func:`~emgcramp.analyze`,
    :func:`~emgcramp.from_mne` and :meth:`Monitor.finish <emgcramp.Monitor.finish>`,
    not by hand.

    Parameters
    ----------
    analysis : emgcramp.core.types.Analysis
        Everything the pipeline found.
    start : datetime, optional
        Wall-clock time of the first sample.
    reopen : callable, optional
        Gives the recording again, for :meth:`plot`: a file is read again; an array in memory is the
        caller's own (kept, not copied: :meth:`plot` refuses it once changed).
    source : str, optional
        The recording's file: :meth:`to_csv` and :meth:`plot` never write over it.

    Attributes
    ----------
    analysis : emgcramp.core.types.Analysis
        Everything the pipeline found (episodes, quality, rejections).
    start : datetime or None
        Wall-clock time of the first sample, when the recording has one.
    """

    def __init__(self, analysis: Analysis, start: datetime | None = None,
                 reopen: Callable[[], Recording] | None = None, source: str | None = None):
        self.analysis, self.start = analysis, start
        self._reopen = reopen  # gives the recording again, for plot(): a file's path, or the caller's array
        self._inputs = [source] if source else []  # never written over, even with overwrite=True

    def __repr__(self) -> str:
        s = self.analysis
        return (f"<Result: {len(self.cramps)} cramp(s), {len(self.possible_cramps)} possible, "
                f"{len(self.leg_movements)} leg movement(s) in {s.duration_s / 3600:.2f} h at {s.fs:g} Hz>")

    @property
    def cramps(self) -> list[Episode]:
        """The cramps: counted, and alarmed live (tier ``cramp``)."""
        return list(self.analysis.episodes)

    @property
    def possible_cramps(self) -> list[Episode]:
        """Bursts that may be cramps or look-alikes (tier ``possible_cramp``): listed, never counted."""
        return list(self.analysis.possible_cramps)

    @property
    def leg_movements(self) -> list[LegMovement]:
        """Leg movements scored by the AASM rules (``series``: the PLM series, 0 for none)."""
        return [m for m in self.analysis.movements if m.is_lm]

    @property
    def warnings(self) -> list[CrampWarning]:
        """Pre-cramp warnings (twitching, rising tone), with the lead on the cramp that followed."""
        return list(self.analysis.warnings)

    @property
    def rejected(self) -> list[Lookalike]:
        """Bursts not counted as cramps, each with its ``reason`` and the decision's ``probability``."""
        return list(self.analysis.lookalikes)

    def summary(self) -> dict[str, Any]:
        """The figures of ``emgcramp analyze --json``: counts, durations (s), leg movements, quality.

        Not the command's ``labels`` (the answers given in ``emgcramp review``, which ``emgcramp analyze``
        counts) nor its ``notes`` (here, Python warnings as they are said).

        Returns
        -------
        dict
            ``n_episodes``, ``tonic``, ``clonic``, ``total_cramp_s``,
            ``cramp_threshold`` and ``possible_floor`` (the tiers' thresholds it was judged with),
            ``possible_cramps``, ``rejected_lookalikes``, ``leg_movements``,
            ``warnings``, ``quality`` and the recording's rate and channels.
        """
        return self.analysis.summary(self.start)

    def records(self, kind: str = "cramps") -> list[dict[str, Any]]:
        """One dict per event of ``kind``, cramps as in the events CSV.

        Parameters
        ----------
        kind : {'cramps', 'possible_cramps', 'leg_movements', 'warnings', 'rejected'}
            The events to give (``KINDS``).

        Returns
        -------
        list of dict
            One per event, its fields as columns, rounded as the events CSV (or, for leg movements and
            warnings, the ``--lm-events`` table) writes them (times to the ms, intensities to 0.01 µV,
            probabilities to 3 decimals) and ``muscles`` joined by ``+``
            (``GM+GL``); the :class:`~emgcramp.core.types.Episode` objects (``result.cramps``) hold the
            full values and ``muscles`` as a list.

        Raises
        ------
        ValueError
            ``kind`` is none of ``KINDS``.
        """
        from emgcramp.core.types import clock_time, episode_record

        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        events = getattr(self, kind)
        if kind in ("cramps", "possible_cramps"):
            return [episode_record(e, self.start) for e in events]
        from emgcramp.io.events import activity_names, rounded, timed

        if kind == "rejected":
            return [rounded({"onset_s": r.onset_s, "offset_s": r.offset_s, "reason": r.reason,
                             "probability": r.probability}) for r in events]
        return [rounded(timed(activity_names(asdict(e)), e.duration_s, clock_time(self.start, e.onset_s)))
                for e in events]

    def to_dataframe(self, kind: str = "cramps") -> Any:
        """The events of ``kind`` as a pandas ``DataFrame`` (pandas: ``pip install 'emgcramp[pandas]'``).

        Parameters
        ----------
        kind : {'cramps', 'possible_cramps', 'leg_movements', 'warnings', 'rejected'}
            The events to give, as for :meth:`records`.

        Returns
        -------
        pandas.DataFrame
            One row per event (:meth:`records`).
        """
        pd = needs("pandas", "to_dataframe")
        # Number columns as numbers, with or without events (a value not measured, such as %MVC without a
        # calibration, is NaN), so that nights' tables concatenate and describe() sums them; text columns of
        # a table without rows as this pandas infers text (its str dtype from pandas 3 on, else object).
        frame = pd.DataFrame.from_records(self.records(kind), columns=_columns(kind)).astype(_dtypes(kind))
        if len(frame):
            return frame
        text = pd.Series(["text"]).dtype
        return frame.astype({c: text for c in frame.columns if c not in _dtypes(kind) and c != "flags"})

    @worded_for_python
    def to_csv(self, path: str | os.PathLike[str], overwrite: bool = False) -> None:
        """Write the cramps as the events CSV of ``emgcramp analyze --events`` (owner-only, whole or nothing).

        Parameters
        ----------
        path : str or path-like
            The CSV file to write. An earlier events CSV there is replaced.
        overwrite : bool, optional
            Replace a file there of any other kind too (a recording, another
            table), as ``--force`` does.

        Raises
        ------
        emgcramp.InputError
            ``path`` holds another kind of file (without ``overwrite``), is a
            folder, or lies in a monitor night folder.
        """
        from emgcramp.io.events import is_events_csv, write_events_csv
        from emgcramp.io.secure import check_writable

        path = path_arg(path, "path")
        check_writable(path, self._inputs, force=overwrite, own=is_events_csv, force_is="overwrite=True")
        write_events_csv(path, self.cramps, self.start)

    def to_annotations(self, detail: bool = True, raw: Any = None) -> Any:
        """Every event as ``mne.Annotations`` (the texts of the EDF+ copy), for ``raw.set_annotations``.

        Onsets count from the first sample analysed (``orig_time=None``), as
        MNE expects of annotations for the data it holds; with ``raw``, they
        are placed as that Raw's own annotations are (its ``orig_time``, its
        first sample's time), so that ``raw.annotations + result.to_annotations(raw=raw)``
        keeps the recording's annotations (a hypnogram) beside ours.

        Parameters
        ----------
        detail : bool, optional
            ``True`` (default): the EDF+ copy's texts, with each event's figures
            (``cramp:tonic peak 212 uV``, ``plm 3``). ``False``: its kind alone
            (``cramp:tonic``, ``possible_cramp:clonic``, ``lm``, ``plm``,
            ``warning``), so that ``mne.events_from_annotations`` gives one
            event id per kind rather than one per event.
        raw : mne.io.BaseRaw, optional
            The Raw analysed (:func:`from_mne`), whose annotations ours join.

        Returns
        -------
        mne.Annotations
            One annotation per cramp, possible cramp, leg movement and warning.

        Raises
        ------
        emgcramp.InputError
            ``raw`` is no MNE Raw.
        """
        mne = needs("mne", "to_annotations")

        if raw is not None and not hasattr(getattr(raw, "annotations", None), "orig_time"):
            raise InputError(f"raw is the MNE Raw the annotations go on, not {type(raw).__name__}")
        notes = self.analysis.notes()
        texts = [n[2] if detail else n[2].split(" ", 1)[0] for n in notes]
        orig = raw.annotations.orig_time if raw is not None else None
        shift = float(raw.first_time) if orig is not None else 0.0  # MNE counts those from orig_time
        return mne.Annotations([n[0] + shift for n in notes], [n[1] for n in notes], texts, orig_time=orig)

    @worded_for_python
    def plot(self, path: str | os.PathLike[str] | None = None, channel: int | str = 0, title: str | None = None,
             overwrite: bool = False) -> Figure:
        """The night report figure (timeline, a zoom per cramp, table); saved to ``path`` when given.

        The signal is read again, a chunk at a time.

        Parameters
        ----------
        path : str or path-like, optional
            Where to save it: ``path`` ending in ``.html`` writes the report
            page, ``.png``, ``.pdf`` or ``.svg`` the image.
        channel : int or str, optional
            Which of the channels analysed to draw: its 0-based index among them or its name (default the first).
        title : str, optional
            The figure's title (default: ``Night of`` its date).
        overwrite : bool, optional
            Replace a file at ``path`` that is not an earlier report or figure
            of ours, as ``--force`` does.

        Returns
        -------
        matplotlib.figure.Figure
            The figure.

        Raises
        ------
        emgcramp.InputError
            ``path`` of another format or not to be written over (without ``overwrite``), a channel not analysed,
            or no signal to draw (the result of a :class:`~emgcramp.Monitor` without a folder).
        """
        from emgcramp.core.channels import channel_index
        from emgcramp.files import CHUNK_S
        from emgcramp.viz import report, report_page

        if self._reopen is None:
            raise InputError("this result holds no way back to its signal (a Monitor without a folder keeps none): "
                             "plot the result of find_cramps, analyze, from_mne or a Monitor given a folder")
        a = self.analysis
        name = a.channels[channel_index(channel, list(a.channels), "the channels analysed")]
        if path is not None:  # before the signal is read again
            from emgcramp.io.secure import FIGURE_FORMATS, PAGE_FORMATS, REPORT, check_writable, made_by_us, output_format

            path = path_arg(path, "path")
            output_format(path, PAGE_FORMATS + FIGURE_FORMATS, "path")
            check_writable(path, self._inputs, force=overwrite, own=made_by_us(REPORT), force_is="overwrite=True")
        title = title or (f"Night of {self.start:%Y-%m-%d}" if self.start else "Night")
        with self._reopen() as rec:
            chs = [rec.channel_index(c) for c in [name] + [c for c in a.channels if c != name]]  # zooms: their own
            rec.select(chs)
            view = report.night_view(rec.blocks(chs, int(CHUNK_S * a.fs)), a.fs, a.episodes,
                                     [rec.channel_names[c] for c in chs])
        fig: Figure = report.figure(view, a.episodes, self.start, title, *report.marks(a), a.summary())
        if path is not None:
            report_page.write(path, fig, a.episodes, self.start, a.summary(), title)
        return fig


def _columns(kind: str) -> list[str]:
    """The columns of :meth:`Result.records` of ``kind``, so that a table with no events still has them."""
    from dataclasses import fields

    from emgcramp.core.types import EPISODE_FIELDS
    from emgcramp.io.events import activity_names, timed

    if kind in ("cramps", "possible_cramps"):
        return list(EPISODE_FIELDS)
    if kind == "rejected":
        return ["onset_s", "offset_s", "reason", "probability"]
    kept = LegMovement if kind == "leg_movements" else CrampWarning
    return list(timed(activity_names({f.name: None for f in fields(kept)}), 0.0, ""))


# A field's type in the event records, as the pandas dtype of its column.
_DTYPE_OF = {"float": "float64", "float | None": "float64", "int": "int64", "bool": "bool"}


def _dtypes(kind: str) -> dict[str, str]:
    """The dtypes of the number (and flag) columns of :meth:`Result.records` of ``kind``."""
    from dataclasses import fields

    from emgcramp.core.types import EPISODE_FIELDS
    from emgcramp.io.events import activity_names

    if kind in ("cramps", "possible_cramps"):  # the CSV's columns printed with digits hold numbers
        return {name: "float64" for name, digits in EPISODE_FIELDS.items() if digits is not None}
    if kind == "rejected":
        return {"onset_s": "float64", "offset_s": "float64", "probability": "float64"}
    kept = LegMovement if kind == "leg_movements" else CrampWarning
    types = {f.name: _DTYPE_OF[str(f.type)] for f in fields(kept) if str(f.type) in _DTYPE_OF}
    return activity_names(types) | {"duration_s": "float64"}
