"""Many nights: cramps per night and per month, durations, time of night, intensity.

A night is one events CSV (from ``analyze --events`` or a monitor night
folder). Its date is the recording start (an episode's clock time less its
onset), else from a ``night-YYYYmmdd-…`` folder name or a date in the file
name; without these it is placed by its file's time, and left out of the span of days the rate is over.
The summary states facts and the usual rule of thumb; it never diagnoses.

Nights are counted alike only when judged alike: a night folder records
the ``--cramp-threshold`` its ``events.csv`` was written with (``raw.json``),
and the summary says when night folders were counted at different
thresholds (another events CSV does not say which it was written at).
:func:`count_at` counts every night at one (the cramps whose probability
clears it).
"""

from __future__ import annotations

import csv
import math
import os
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from emgcramp.core.errors import InputError
from emgcramp.core.types import Episode
from emgcramp.io.events import COLUMNS, REQUIRED, read_rows

FREQUENT_PER_WEEK = 1.0
LONG_S = 600.0
MIN_SPAN_DAYS = 7  # a weekly rate, and any advice, needs at least a week of nights


@dataclass
class Night:
    """One night: its file, date, start clock (if known), episodes, and the cramp threshold they were counted at.

    ``folder``: the events are a night folder's, whose ``raw.json`` says at
    which ``threshold`` (probability, 0–1) they were counted; ``None``
    there: the decision's own. Any other events CSV does not say.
    ``uncounted``: cramps :func:`count_at` left out. ``same``: the other
    files that held this same night (:func:`load_nights`). ``table``: the
    batch table a recording's night was read from. ``dated``: ``date`` is the night's, not its file's.
    """

    path: str
    date: datetime
    clocks: list[datetime | None]
    episodes: list[Episode]
    threshold: float | None = None
    folder: bool = False
    uncounted: list[Episode] = field(default_factory=list)
    same: list[str] = field(default_factory=list)
    table: str = ""
    dated: bool = True


def _date_from_name(path: str) -> datetime | None:
    m = re.search(r"(20\d\d)-?(\d\d)-?(\d\d)", path)
    try:
        return datetime(int(m[1]), int(m[2]), int(m[3])) if m else None
    except ValueError:  # digits that are no date (20261399)
        return None


def load_nights(folder: str) -> list[Night]:
    """Every events CSV under ``folder`` (recursively) as a night, oldest first.

    A CSV that is not an events CSV (another table, ``--lm-events``) is
    passed over; one that is but holds a bad cell stops the trend with one
    line naming the file, the line and the column, as a trend that quietly
    left a night out would undercount. Files that hold the same cramps at
    the same clock times are one recording analysed twice (``analyze
    --events`` and a replay, say): it counts once (:attr:`Night.same`).
    """
    nights = []
    for root, _, files in os.walk(folder):
        for name in sorted(files):
            if name.endswith(".csv") and os.path.isfile(os.path.join(root, name)):  # no pipe: it would wait
                nights += _nights_in(os.path.join(root, name))
    if not nights:
        if not os.path.isdir(folder):
            raise InputError(f"{folder}: no such folder")
        raise InputError(f"{folder}: no events CSV files found (write them with analyze --events or monitor)")
    return sorted(_once(nights), key=lambda n: n.date)


def _once(nights: list[Night]) -> list[Night]:
    """Each night once, a night folder's first (it records its threshold); only cramps with clock times tell."""
    first: dict[tuple[str, ...], Night] = {}
    kept: set[int] = set()  # ids of the nights counted
    for n in sorted(nights, key=lambda n: not n.folder):
        key = tuple(c.isoformat() for c in n.clocks if c is not None)
        told = bool(n.episodes) and len(key) == len(n.episodes)  # every cramp with its clock time
        seen = first.get(key) if told else None
        if seen is not None and not (n.table and n.table == seen.table):  # a batch table's recordings stay apart
            seen.same.append(n.path)
            continue
        if told:
            first.setdefault(key, n)
        kept.add(id(n))
    return [n for n in nights if id(n) in kept]  # in the order given


Row = tuple[int, dict[str, str | None], Episode]  # line number, cells, the episode they give


def _nights_in(path: str) -> list[Night]:
    """The nights of one CSV: none when it is not an events CSV, else one (a batch table: one per file)."""
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:  # -sig: a spreadsheet's BOM
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        # An events CSV starts onset_s, offset_s, duration_s, kind, peak_intensity; --lm-events has channel fifth.
        if header[:4] != COLUMNS[:4] or header[4:5] not in ([], [COLUMNS[4]]):
            if _night_folder_events(path):  # a night's own events: never passed over
                raise InputError(f"{path}: not an events CSV (its header is {','.join(header) or 'missing'}); "
                                 f"write it again with emgcramp recover {os.path.dirname(path)}")
            return []
        absent = [c for c in REQUIRED if c not in header]
        if absent:
            raise InputError(f"{path}: an events CSV with no {absent[0]!r} column; expected the columns "
                             f"{', '.join(REQUIRED)} first, as analyze --events writes them")
        by_file: dict[str, list[Row]] = {}  # a batch table (file column) holds a night per file
        for row in read_rows(path, reader):
            by_file.setdefault(row[1].get("file") or "", []).append(row)
    return [_night(path, rows) for rows in by_file.values() or [[]]]


def _night(path: str, rows: list[Row]) -> Night:
    """One night from its rows, dated by its start clock, else by its name, else (undated) by the file's age."""
    clocks = [_clock(path, line, r.get("onset_clock")) for line, r, _ in rows]
    episodes = [e for _, _, e in rows]
    starts = [c - timedelta(seconds=e.onset_s) for c, e in zip(clocks, episodes) if c is not None]
    name = rows[0][1].get("file") or path if rows else path
    named = starts[0] if starts else _date_from_name(name)
    date = named or datetime.fromtimestamp(os.path.getmtime(path))
    if not _night_folder_events(path):
        return Night(name, date, clocks, episodes, table=path if name != path else "", dated=named is not None)
    from emgcramp.io.night_reader import recorded_settings

    threshold = recorded_settings(os.path.dirname(path)).get("cramp_probability")
    return Night(name, date, clocks, episodes, threshold, folder=True, dated=named is not None)


def _night_folder_events(path: str) -> bool:
    """``path`` is a night folder's ``events.csv`` (a ``raw.json`` beside it)."""
    return os.path.basename(path) == "events.csv" and os.path.exists(os.path.join(os.path.dirname(path), "raw.json"))


def count_at(nights: list[Night], threshold: float) -> list[Night]:
    """``nights`` counting only the cramps of probability ``threshold`` (0–1) or more.

    Probabilities are written to three decimals: one that rounds to the
    threshold counts. A cramp with no probability (an events CSV written
    without one) stays: nothing says it would not clear the threshold.
    """
    def keep(e: Episode) -> bool:
        return e.probability is None or math.isnan(e.probability) or e.probability >= threshold - 5e-4

    return _once([replace(n, clocks=[c for c, e in zip(n.clocks, n.episodes) if keep(e)],
                          episodes=[e for e in n.episodes if keep(e)],
                          uncounted=n.uncounted + [e for e in n.episodes if not keep(e)]) for n in nights])


def _clock(path: str, line: int, text: str | None) -> datetime | None:
    """A row's ``onset_clock`` (empty: none), or one line naming the cell that is not a clock time."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{path} line {line}: column 'onset_clock' holds {text!r}; expected a date and time "
                         "such as 2026-01-05T23:40:00, or nothing") from None


def summarize(nights: list[Night], threshold: float | None = None, default: float | None = None) -> dict:
    """Counts, durations (s), per-month counts, onset hours, and the facts to tell.

    A rate needs a span: under ``MIN_SPAN_DAYS`` of nights the facts give
    counts per night, no weekly rate, and no advice. ``threshold``: the
    nights were counted at this cramp probability (:func:`count_at`);
    ``default``: the decision's own, which a night that records none was counted at.
    """
    eps = [e for n in nights for e in n.episodes]
    dated = [n.date.date() for n in nights if n.dated]
    span_days = (max(dated) - min(dated)).days + 1 if dated else 0
    per_week = len(eps) / span_days * 7 if span_days >= MIN_SPAN_DAYS else None
    longest = max((e.duration_s for e in eps), default=0.0)
    months = Counter(n.date.strftime("%Y-%m") for n in nights for _ in n.episodes)
    hours = Counter(c.hour for n in nights for c in n.clocks if c is not None)
    had = sum(1 for n in nights if n.episodes)
    if per_week is None:
        counts = ", ".join(str(len(n.episodes)) for n in nights)
        facts = [f"{len(eps)} cramp(s) over {len(nights)} night(s) ({counts} per night); {had} night(s) had at "
                 f"least one. Under {MIN_SPAN_DAYS} days of nights is too short a span for a rate."]
    else:
        facts = [f"{len(eps)} cramp(s) over {len(nights)} night(s) in {span_days} day(s): "
                 f"{per_week:.1f} a week; {had} night(s) had at least one."]
    if eps:
        facts.append(f"Longest {longest / 60:.1f} min; total {sum(e.duration_s for e in eps) / 60:.1f} min.")
    if per_week is not None:
        facts.append("A few cramps a month are common.")
    if per_week is not None and (per_week >= FREQUENT_PER_WEEK or longest >= LONG_S):
        why = "more often than that" if per_week >= FREQUENT_PER_WEEK else "one lasted ten minutes or more"
        facts.append(f"These nights show {why}: frequent or very long cramps are worth a doctor's look.")
    per_night = [{"date": n.date.strftime("%Y-%m-%d"), "dated": n.dated, "path": n.path, "cramps": len(n.episodes),
                  "confirmed": None if t is None else t["cramps"], "labels": t}
                 for n, t in ((n, night_labels(n)) for n in nights)]
    if undated := [n.path for n in nights if not n.dated]:
        facts.append(f"No date for {', '.join(undated)} (no clock time, no date in the name): not in the span.")
    if same := [p for n in nights for p in n.same]:
        facts.append(f"Not counted again, holding a night already counted (the same cramps at the same clock times): "
                     f"{', '.join(same)}.")
    facts += _labels_fact(per_night) + _threshold_fact(nights, threshold, default)
    return {"counted_at": threshold, "nights": len(nights), "span_days": span_days, "cramps": len(eps),
            "per_night": per_night, "per_week": None if per_week is None else round(per_week, 2),
            "per_night_max": max(len(n.episodes) for n in nights), "longest_s": round(longest, 3),
            "total_s": round(sum(e.duration_s for e in eps), 3), "per_month": dict(sorted(months.items())),
            "onset_hours": dict(sorted(hours.items())), "facts": facts}


def night_labels(night: Night) -> dict | None:
    """The person's answers on a night (:func:`emgcramp.io.labels.tally`), ``None`` when it has none.

    A night folder's ``events.csv`` has its ``labels.csv`` beside it; a
    recording named in a batch table has its own (``RECORDING.labels/``).
    """
    from emgcramp.io.labels import folder_for, read_labels, tally

    folder = os.path.dirname(night.path) if os.path.basename(night.path) == "events.csv" else night.path
    labels = read_labels(folder_for(folder))  # answered against every cramp found, counted here or not
    return tally(labels, [(e.onset_s, e.offset_s) for e in night.episodes + night.uncounted]) if labels else None


def _labels_fact(per_night: list[dict]) -> list[str]:
    """One sentence on the nights the person answered, when there are any."""
    answered = [n for n in per_night if n["labels"] is not None]
    if not answered:
        return []
    found = sum(n["cramps"] for n in answered)
    added = sum(n["labels"]["missed"] for n in answered)
    counted = sum(n["confirmed"] for n in answered)  # the answered cramps, those added as missed among them
    return [f"On the {len(answered)} night(s) you reviewed, {found} cramp(s) were found and you counted "
            f"{counted} ({counted - added} confirmed, {added} you added that it missed)."]


def _threshold_fact(nights: list[Night], threshold: float | None, default: float | None) -> list[str]:
    """What is known of the thresholds the nights were counted at, when it matters: one sentence or none."""
    folders = [n for n in nights if n.folder]
    at = [default if n.threshold is None else n.threshold for n in folders]  # None: the default, value not known
    named = ["the default" if n.threshold is None else _show(n.threshold) for n in folders]
    unsaid = len(nights) - len(folders)
    if threshold is not None:
        said = f"Counted at cramp probability {_show(threshold)} or more."
        stricter = [k for k, t in enumerate(at) if t is not None and t > threshold]
        if stricter:
            said += (f" {len(stricter)} night(s) were counted at a stricter threshold "
                     f"({', '.join(sorted({named[k] for k in stricter}))}): their cramps below it are not in "
                     "their events.")
        return [said + (f" {unsaid} night(s) from events CSVs do not say which threshold they were counted at."
                        if unsaid else "")]
    told = Counter(named)
    if len(told) < 2:
        return []
    order = sorted(told.items(), key=lambda tk: (tk[0] != "the default", float(tk[0].replace("the default", "0"))))
    return [f"These nights were counted at different cramp thresholds ("
            + ", ".join(f"{t} on {k}" for t, k in order) +
            # rounded up to three decimals: as a threshold it keeps out what the strictest kept out
            f"): give --cramp-threshold {_show(math.ceil(max(t for t in at if t is not None) * 1000 - 1e-9) / 1000)}"
            " to count them alike"
            + (f" (of {unsaid} night(s) from events CSVs the threshold is not known)." if unsaid else ".")]


def _show(p: float) -> str:
    """A probability as given, without exponent or trailing zeros."""
    return format(p, ".7f").rstrip("0").rstrip(".")


def plot(nights: list[Night], path: str) -> None:
    """Cramps per night, per month, time of night, and intensity over the nights (PNG/PDF/SVG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    s = summarize(nights)
    fig, ax = plt.subplots(2, 2, figsize=(12, 7), constrained_layout=True)
    # Nights by their order, labelled with their dates: two nights of one date stay two bars.
    x = range(len(nights))
    labels = [n.date.strftime("%Y-%m-%d") for n in nights]
    step = max(1, len(nights) // 12)
    ax[0, 0].bar(x, [len(n.episodes) for n in nights], width=0.8, color="tab:red")
    ax[0, 0].set(title="Cramps per night", ylabel="cramps")
    ax[0, 1].bar(list(s["per_month"]), list(s["per_month"].values()), color="tab:red")
    ax[0, 1].set(title="Cramps per month", ylabel="cramps")
    # Clock hours on an axis that wraps at noon, so a night's 23 h and 0 h sit side by side.
    ax[1, 0].bar([(h + 12) % 24 for h in s["onset_hours"]], list(s["onset_hours"].values()), color="tab:purple")
    ax[1, 0].set_xticks(range(0, 24, 2), [f"{(p + 12) % 24:02d}:00" for p in range(0, 24, 2)])
    ax[1, 0].set(title="Time of night (cramp onset, clock hour)", ylabel="cramps", xlim=(-0.5, 23.5))
    ax[1, 1].scatter([i for i, n in enumerate(nights) for _ in n.episodes],
                     [e.peak_x_rest for n in nights for e in n.episodes],
                     s=[8 + e.duration_s / 5 for n in nights for e in n.episodes], color="tab:orange")
    ax[1, 1].set(title="Peak intensity of each cramp; dot size: its duration", ylabel="× rest level")
    for a in (ax[0, 0], ax[1, 1]):
        a.set_xticks(list(x)[::step], labels[::step])
        a.set_xlim(-0.6, len(nights) - 0.4)
        a.set_xlabel("night")
    for a in (ax[0, 0], ax[0, 1], ax[1, 0]):
        a.yaxis.set_major_locator(MaxNLocator(integer=True))
    for a in ax.flat:
        a.tick_params(axis="x", labelrotation=30, labelsize=8)
    fig.suptitle(" ".join(s["facts"][:1]), wrap=True)
    fig.supxlabel("These figures describe the recordings; they are not a diagnosis.", fontsize=8)
    from emgcramp.io.secure import save_figure

    save_figure(fig, path)
    plt.close(fig)
