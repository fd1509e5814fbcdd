"""The nights a review serves: one recording or night folder, or every night in a folder of them.

A night is analysed when it is first asked for, once, and kept. The
many-nights view counts what it can without analysing: a night folder's
``events.csv`` (written by ``monitor`` and ``recover``), else the analysis
once the night has been opened; the guidance is :func:`emgcramp.viz.trend.summarize`'s.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import datetime

from emgcramp.core.clock import duration_words, later
from emgcramp.core.config import PipelineConfig
from emgcramp.core.errors import InputError
from emgcramp.core.types import Episode
from emgcramp.files import ReadOptions
from emgcramp.io import recordings_in
from emgcramp.io.labels import folder_for, read_labels, tally
from emgcramp.io.secure import is_night_folder
from emgcramp.review import words
from emgcramp.review.data import NightData, load_night


class Library:
    """What ``emgcramp review PATH`` shows: one night (``many`` false), or the nights of a folder.

    ``config``: the settings of every night; or a callable given a night folder's recorded
    settings (``{}`` for a recording file) that returns its own, as
    :func:`~emgcramp.review.data.load_night` takes them (``None``: each night's recorded settings).
    ``progress(path)`` makes the callback given to an analysis, or ``None``.
    Bad input raises :class:`~emgcramp.core.errors.InputError` here, before anything is served.
    """

    def __init__(self, path: str, read: ReadOptions = ReadOptions(),
                 config: PipelineConfig | Callable[[dict], PipelineConfig] | None = None,
                 progress: Callable[[str], Callable | None] = lambda path: None):
        if not os.path.exists(path):
            raise InputError(f"{path}: no such file or folder")
        if os.path.islink(path) and is_night_folder(path):  # named, the night it points to: answers go there
            path = os.path.realpath(path)
        self.many = os.path.isdir(path) and not is_night_folder(path)
        self.path, self.read, self.config, self.progress = path, read, config, progress
        self.paths = [p for p in recordings_in(path) if not _notes(p)] if self.many else [path]
        if not self.paths:
            raise InputError(f"{words.shown(path)}: no recording or night folder in it")
        self._nights: dict[int, NightData] = {}
        self._locks = [threading.Lock() for _ in self.paths]
        # One analysis at a time: each records the notes said of its night, which Python's warnings keep
        # process-wide, so two at once would swap them (and share two cores for no night sooner).
        self._analysing = threading.Lock()
        self._counted: dict[int, tuple] = {}  # what the count behind the page kept of a night: start, cramps, possible
        self._unread: dict[int, str] = {}  # nights the count behind the page could not read: why
        self._starts: dict[int, datetime | None] = {}  # each recording's start, read from its header once
        self._counting: threading.Thread | None = None

    def night(self, k: int) -> NightData:
        """Night ``k`` (0-based), analysed at its first call; two requests at once analyse it once."""
        with self._locks[k]:
            if k not in self._nights:
                path = self.paths[k]
                with self._analysing:
                    self._nights[k] = load_night(path, self.read, self.config, self.progress(path))
                self._unread.pop(k, None)
            return self._nights[k]

    def count_behind(self) -> None:
        """Analyse, one after another in a thread of their own, the nights the overview cannot count without it
        (recording files, nights never closed), so that the page fills in as they are read, none opened. Only
        their counts are kept (a night opened is analysed again): a folder of many nights stays small."""
        def count() -> None:
            for k in range(len(self.paths)):
                try:
                    if self._counts(k)[1] is None:
                        with self._analysing:
                            self._counted[k] = _counts_of(load_night(self.paths[k], self.read, self.config))
                except Exception as e:  # whatever it was, the other nights are still counted; the row says why
                    self._unread[k] = str(e) or type(e).__name__
        self._counting = threading.Thread(target=count, name="count nights", daemon=True)
        self._counting.start()

    def name(self, k: int) -> str:
        """Night ``k``'s file or folder name."""
        return words.shown(os.path.basename(os.path.normpath(self.paths[k])))

    def overview(self) -> dict:
        """Each night's counts (``None`` where not known yet) and the trend's figures and facts."""
        rows, known = [], []
        for k, path in enumerate(self.paths):
            start, episodes, possible = self._counts(k)
            unread = self._unread.get(k)
            try:  # a night's answers that cannot be read (a link, a pipe) are said on its row, the others shown
                labels = read_labels(folder_for(path))
            except InputError as e:
                labels, unread = [], unread or f"its answers: {e}"
            spans = [(e.onset_s, e.offset_s) for e in episodes or []]
            t = tally(labels, spans, possible or []) if labels and episodes is not None else None
            rows.append({"k": k, "name": self.name(k), "start": start.isoformat() if start else None,
                         "date": start.strftime("%a %d %b %Y") if start else self.name(k),
                         "day": start.date().isoformat() if start else None,  # undated: off the calendar
                         "cramps": None if episodes is None else len(episodes),
                         "possible": None if possible is None else len(possible),
                         "longest": duration_words(max((e.duration_s for e in episodes), default=0))
                         if episodes else "", "confirmed": None if t is None else t["cramps"], "labels": t,
                         "unread": unread})
            if episodes is not None:
                known.append(_trend_night(path, start, episodes))
        counting = self._counting is not None and self._counting.is_alive()
        return {"nights": rows, "trend": _trend(known), "note": words.NOT_A_DIAGNOSIS,
                "counting": {"read": len(known), "of": len(rows)} if counting else None}

    def _counts(self, k: int) -> tuple[datetime | None, list[Episode] | None, list[tuple] | None]:
        """A night's start, cramps and possible-cramp spans: from its analysis, else its events.csv, else unknown."""
        if k in self._nights:
            return _counts_of(self._nights[k])
        if k in self._counted:
            return self._counted[k]
        path = self.paths[k]
        if k not in self._starts:  # asked again at each look of the page while the nights are counted
            self._starts[k] = _start(path)
        start = self._starts[k]
        csv = os.path.join(path, "events.csv")
        if is_night_folder(path) and os.path.isfile(csv):
            from emgcramp.io.events import read_events_csv

            try:
                return start, read_events_csv(csv), _possible_logged(path)
            except InputError:
                pass  # a damaged table: the night is counted when it is opened
        return start, None, None


def _counts_of(night: NightData) -> tuple[datetime | None, list[Episode], list[tuple[float, float]]]:
    """A night analysed: its start, its cramps and its possible cramps' spans (s), what the overview counts."""
    return night.start, night.analysis.episodes, [(e.onset_s, e.offset_s) for e in night.analysis.possible_cramps]


def _notes(path: str) -> bool:
    """Whether ``path`` is a text file with no samples in it (notes kept beside the nights), as analyze skips."""
    from emgcramp.io import FORMATS, holds_no_samples, open_recording

    fmt = FORMATS.get(os.path.splitext(path)[1].lower())
    if fmt is None or fmt.name != "text":
        return False
    try:
        open_recording(path, fs=1.0e3).close()  # any rate: whether a table of numbers starts is the question
    except InputError as e:
        return holds_no_samples(path, e)
    return False


def _possible_logged(folder: str) -> list[tuple] | None:
    """The possible cramps' spans (s) of the monitor's closing record, ``None`` when the night never closed."""
    from emgcramp.io.night_reader import read_events

    try:
        if os.path.getmtime(os.path.join(folder, "raw.json")) > os.path.getmtime(os.path.join(folder, "events.jsonl")):
            return None  # recover judged the night again with other settings since it ended: its events.csv's
        end = [e for e in read_events(folder) if e.get("type") == "end"]
        return [(p["onset_s"], p["offset_s"]) for p in end[-1]["possible_cramps"]] if end else None
    except (InputError, OSError, KeyError, TypeError):
        return None  # an older or damaged log: counted when the night is opened


def _start(path: str) -> datetime | None:
    """A recording's start clock from its header (``None`` when it has none or cannot be read)."""
    from emgcramp.io import open_recording

    try:
        with open_recording(path) as rec:
            return rec.start
    except (InputError, OSError, ValueError):
        return None


def night_date(path: str, start: datetime | None) -> datetime:
    """The date a night is ordered by in the trend: its start's clock (a zone left aside, so that nights with and
    without one compare), else (an undated night) its file's age."""
    return start.replace(tzinfo=None) if start else datetime.fromtimestamp(os.path.getmtime(path))


def _trend_night(path: str, start: datetime | None, episodes: list[Episode]):
    from emgcramp.viz.nights import Night

    date = night_date(path, start)
    clocks = [later(start, e.onset_s).replace(tzinfo=None) if start else None for e in episodes]  # as on its clock
    folder = is_night_folder(path)
    return Night(os.path.join(path, "events.csv") if folder else path, date, clocks, episodes,
                 folder=folder, dated=start is not None)


def _trend(nights: list) -> dict | None:
    """:func:`emgcramp.viz.trend.summarize` over the nights counted so far (``None``: none yet), each once, as
    ``trend`` counts them: a recording and the night folder of its replay are one night."""
    if not nights:
        return None
    from emgcramp.viz.nights import once
    from emgcramp.viz.trend import summarize

    return summarize(sorted(once(nights), key=lambda n: n.date))

