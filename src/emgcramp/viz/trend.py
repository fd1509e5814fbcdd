"""Many nights: cramps per night and per month, durations, time of night, intensity.

The nights are :mod:`emgcramp.viz.nights`' (one events CSV each, dated where
they say when). The summary states facts and the usual rule of thumb; it never
diagnoses. Nights are counted alike only when judged alike: the summary says
when night folders were counted at different thresholds (another events CSV
does not say which it was written at).
"""

from __future__ import annotations

import math
import os
from collections import Counter
from datetime import timedelta

from emgcramp.core.clock import duration_words
from emgcramp.core.errors import settings_note
from emgcramp.viz.nights import Night

FREQUENT_PER_WEEK = 1.0
LONG_S = 600.0
MIN_NIGHTS = 7  # a weekly rate, and any advice, needs a week of nights recorded


def summarize(nights: list[Night], threshold: float | None = None, default: float | None = None) -> dict:
    """Counts, durations (s), per-month counts, onset hours, and the facts to tell.

    A rate needs nights: under ``MIN_NIGHTS`` dated nights the facts give
    counts per night, no weekly rate, and no advice. The rate is per night
    recorded (× 7): a night not recorded is not known to have had none. ``threshold``: the
    nights were counted at this cramp probability (:func:`count_at`);
    ``default``: the decision's own, which a night that records none was counted at.
    """
    eps = [e for n in nights for e in n.episodes]
    dated = [n for n in nights if n.dated]  # a rate and a month are of the nights that say when they were
    # nights by the evening they began (noon to noon): a night in two files (a monitor restarted) is one night,
    # and one begun at 00:05 is the evening before's, in its count, its span and its label alike
    evening = {id(n): (n.date - timedelta(hours=12)).date() for n in dated}
    span_days = (max(evening.values()) - min(evening.values())).days + 1 if dated else 0
    in_span = sum(len(n.episodes) for n in dated)
    recorded = len(set(evening.values()))
    per_week = in_span / recorded * 7 if recorded >= MIN_NIGHTS else None
    longest = max((e.duration_s for e in eps), default=0.0)
    months = Counter(evening[id(n)].strftime("%Y-%m") for n in dated for _ in n.episodes)
    hours = Counter(c.hour for n in nights for c in n.clocks if c is not None)
    had = sum(1 for n in nights if n.episodes)
    if per_week is None:
        counts = ", ".join(str(len(n.episodes)) for n in nights)
        facts = [f"{len(eps)} cramp(s) over {len(nights)} night(s) ({counts} per night); {had} night(s) had at "
                 f"least one. Under {MIN_NIGHTS} nights with a date are too few for a rate."]
    else:
        facts = [f"{in_span} cramp(s) over {recorded} night(s) in {span_days} day(s): "
                 f"{per_week:.1f} for every 7 nights recorded; {sum(1 for n in dated if n.episodes)} night(s) had at "
                 "least one."]
    if eps:
        over = (f" over all {len(nights)} nights, the undated too ({len(eps)} cramp(s))"
                if per_week is not None and len(dated) < len(nights) else "")  # the rate's count is the dated
        total = sum(e.duration_s for e in eps)  # in words, as the review page says a cramp's length
        facts.append(f"Longest {duration_words(longest)}; total {duration_words(total)}{over}.")
    if per_week is not None:
        facts.append("A few cramps a month are common.")
    if per_week is not None and (per_week >= FREQUENT_PER_WEEK or longest >= LONG_S):
        why = "more often than that" if per_week >= FREQUENT_PER_WEEK else "one lasted ten minutes or more"
        facts.append(f"These nights show {why}: frequent or very long cramps are worth a doctor's look.")
    per_night = [{"date": evening[id(n)].strftime("%Y-%m-%d") if n.dated else None, "dated": n.dated, "path": n.path,
                  "cramps": len(n.episodes),
                  "confirmed": None if t is None else t["confirmed"], "counted": None if t is None else t["cramps"],
                  "labels": t}
                 for n, t in ((n, night_labels(n)) for n in nights)]
    if undated := [n.path for n in nights if not n.dated]:
        facts.append(f"No date for {', '.join(undated)} (no clock time, no date in the name): not in the rate.")
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
    recording named in a batch table has its own (``RECORDING.labels/``), found from the working folder
    or, as the table names it from where ``analyze`` ran, from the table's folder or one above it; one
    found nowhere is said.
    """
    from emgcramp.io.labels import folder_for, read_labels, tally

    folder = os.path.dirname(night.path) if os.path.basename(night.path) == "events.csv" else night.path
    if night.table and not os.path.exists(folder):
        folder = _from_table(folder, night.table)
    labels = read_labels(folder_for(folder))  # answered against every cramp found, counted here or not
    return tally(labels, [(e.onset_s, e.offset_s) for e in night.episodes + night.uncounted]) if labels else None


def _from_table(name: str, table: str) -> str:
    """A batch table's recording ``name`` from the table's folder or one above it (``name`` when none holds it)."""
    here = os.path.dirname(os.path.abspath(table))
    for folder in (here, os.path.dirname(here)):  # analyze run in it, the table written there or a folder down
        if os.path.exists(candidate := os.path.join(folder, name)):
            return candidate
    settings_note(f"{table}: its recording {name} is not found from here nor from the table's "
                  "folder: its answers, if any, are not counted (run trend where analyze ran)")
    return name


def _labels_fact(per_night: list[dict]) -> list[str]:
    """One sentence on the nights the person answered, when there are any."""
    answered = [n for n in per_night if n["labels"] is not None]
    if not answered:
        return []
    found = sum(n["cramps"] for n in answered)
    added = sum(n["labels"]["missed"] for n in answered)
    counted = sum(n["counted"] for n in answered)  # the cramps confirmed and those added as missed
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
        unknown = sum(1 for n in nights for e in n.episodes if e.probability is None or math.isnan(e.probability))
        return [said + (f" {unsaid} night(s) from events CSVs do not say which threshold they were counted at."
                        if unsaid else "")
                + (f" {unknown} cramp(s) with no probability in their table (an earlier version's) are counted as "
                   "they were." if unknown else "")]
    told = Counter(named)
    if len(told) < 2:
        return []
    order = sorted(told.items(), key=lambda tk: (tk[0] != "the default", float(tk[0].replace("the default", "0"))))
    return ["These nights were counted at different cramp thresholds ("
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
    # an undated night by its name: the date its file was last written is no night's
    labels = [n["date"] or f"({os.path.basename(n['path'])[:16]})" for n in s["per_night"]]
    step = max(1, len(nights) // 12)
    ax[0, 0].bar(x, [len(n.episodes) for n in nights], width=0.8, color="tab:red")
    ax[0, 0].set(title="Cramps per night", ylabel="cramps")
    ax[0, 1].bar(list(s["per_month"]), list(s["per_month"].values()), color="tab:red")
    ax[0, 1].set(title="Cramps per month", ylabel="cramps")
    # Clock hours on an axis that wraps at noon, so a night's 23 h and 0 h sit side by side.
    # Each bar spans its hour, from its tick (23:00-24:00 for the 23 h's onsets), not centred on it.
    ax[1, 0].bar([(h + 12) % 24 for h in s["onset_hours"]], list(s["onset_hours"].values()), width=0.9,
                 align="edge", color="tab:purple")
    ax[1, 0].set_xticks(range(0, 25, 2), [f"{(p + 12) % 24:02d}:00" for p in range(0, 25, 2)])
    ax[1, 0].set(title="Time of night (cramp onset, clock hour)", ylabel="cramps", xlim=(0, 24))
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
    from emgcramp.io.secure import TREND, save_figure

    save_figure(fig, path, TREND)
    plt.close(fig)
