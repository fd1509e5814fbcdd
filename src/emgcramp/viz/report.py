"""The night report: the whole night at a glance, one zoom per cramp, a table.

One streaming pass over the recording gives a 1-s envelope for the whole
night (RMS of the same band-passed, notched signal the detector uses, µV),
the seconds with a flat signal (lead-off, saturation), and the filtered
signal around each episode for its zoom panel. Memory stays small for any
length: only the 1-s timeline and the zoom windows are kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from emgcramp.core.clock import later
from emgcramp.core.types import Analysis, Episode, activity_line
from emgcramp.dsp.filters import EmgFilter, sosfilt
from emgcramp.dsp.mains import detect_mains
from emgcramp.io.events import episode_row

ZOOM_PAD_S = 10.0
ZOOMS_DRAWN = 12  # a morning's reading (the page lists as many possible cramps): past it, the likeliest
COLORS = {"tonic": "tab:red", "clonic": "tab:orange"}
# One colour per reason a burst was not counted (and the possible cramps), the same in every report.
REASON_COLORS = {"possible_cramp": "#ff9896", "short": "#8c8c8c", "brief": "#c7c7c7", "signal_loss": "#000000",
                 "motion": "#8c564b", "intermittent": "#17becf", "weak": "#bcbd22", "tone_change": "#9edae5",
                 "leg_movement": "#2ca02c", "leg_movement_series": "#98df8a", "sparse": "#c49c94",
                 "stretch": "#1f77b4", "voluntary": "#aec7e8", "uncertain": "#f7b6d2"}


@dataclass
class NightView:
    """What the report draws: 1-s envelope (µV), flat seconds, zoom windows (s, µV) of the episodes ``zoomed``."""

    fs: float
    envelope_1s: np.ndarray
    flat_1s: np.ndarray
    zooms: list[tuple[np.ndarray, np.ndarray]]
    zoomed: list[int]


def zoomed(episodes: list[Episode]) -> list[int]:
    """Which episodes get a zoom and a row in the figure: all of them up to :data:`ZOOMS_DRAWN`, else the likeliest
    (then the longest) that many; their places in ``episodes``, in its order."""
    p = [e.probability if e.probability == e.probability and e.probability is not None else 0.0  # an older table
         for e in episodes]
    ranked = sorted(range(len(episodes)), key=lambda i: (-p[i], -episodes[i].duration_s))
    return sorted(ranked[:ZOOMS_DRAWN])


def night_view(blocks, fs: float, episodes: list[Episode], channels: list[str] | None = None) -> NightView:
    """Stream the blocks once; keep the first channel's timeline and each episode's window of its own channel.

    ``channels``: the blocks' columns' names (an episode of a channel not among them is drawn from the first).
    Only the episodes :func:`zoomed` picks are kept."""
    picked = zoomed(episodes)
    episodes = [episodes[i] for i in picked]
    windows = [(max(0.0, e.onset_s - ZOOM_PAD_S), e.offset_s + ZOOM_PAD_S) for e in episodes]
    own = [channels.index(e.channel) if channels and e.channel in channels else 0 for e in episodes]
    pieces: list[list[np.ndarray]] = [[] for _ in windows]
    filt, ms_1s, flat_1s = None, [], []
    pending = np.zeros((0, 2))  # bins not yet making a whole second: (ms, flat)
    after = 0  # the sample after the last block's: a block further on follows a gap (a night not stored)
    for b in blocks:
        x, every = b.samples[:, :1], b.samples
        if filt is None:
            filt = EmgFilter(fs, 1, notches=detect_mains(x[: int(8 * fs)], fs))
            zi = np.zeros((every.shape[1], filt.sos.shape[0], 2))
            per_s = int(round(filt.env_rate))
        if b.t0_sample > after:  # the gap's seconds stay on the timeline, without signal
            missing = int(round((b.t0_sample - after) * filt.env_rate / fs))
            pending = np.vstack([pending, np.tile([np.nan, 1.0], (missing, 1))])
        after = b.t0_sample + len(x)
        bins = filt.process(x)
        y = sosfilt(filt.sos, every, zi)  # the same filters, sample by sample, for the zooms
        t0 = b.t0_sample / fs
        for k, (lo, hi) in enumerate(windows):
            i0, i1 = int(max(lo - t0, 0) * fs), int(min(hi - t0, len(x) / fs) * fs)
            if i1 > i0:
                pieces[k].append(y[i0:i1, own[k]])
        pending = np.vstack([pending, np.column_stack([bins.ms[:, 0], bins.stuck[:, 0] >= 0.9])])
        whole = len(pending) // per_s * per_s
        seconds = pending[:whole].reshape(-1, per_s, 2).mean(axis=1)
        ms_1s.append(seconds[:, 0])
        flat_1s.append(seconds[:, 1] >= 0.5)
        pending = pending[whole:]
    zooms = []
    for (lo, _), p in zip(windows, pieces):
        sig = np.concatenate(p) if p else np.zeros(0)
        zooms.append((lo + np.arange(len(sig)) / fs, sig))
    ms = np.concatenate(ms_1s) if ms_1s else np.zeros(0)
    flat = np.concatenate(flat_1s) if flat_1s else np.zeros(0, bool)
    return NightView(fs, np.sqrt(ms), flat.astype(bool), zooms, picked)


# A recording without a clock shorter than this (s) is timed in minutes, not in hundredths of an hour;
# a clock axis shorter than CLOCK_MINUTES_S has ticks under a minute apart: they show seconds.
SHORT_TIMELINE_S, CLOCK_MINUTES_S = 2 * 3600.0, 20 * 60.0


def clock_text(start: datetime | None, t: float) -> str:
    return later(start, t).strftime("%H:%M:%S") if start else f"{t:.0f} s"


def _clock_axis(axis, start: datetime | None, unit_s: float, fmt: str = "%H:%M") -> str:
    """Tick labels in clock time for an axis in units of ``unit_s`` seconds; returns its label."""
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    lo, hi = axis.get_view_interval()
    if start is None:  # hours on a night's timeline, minutes on a shorter one, seconds in a zoom
        if unit_s >= 3600 and (hi - lo) * unit_s < SHORT_TIMELINE_S:
            step = next((m for m in (1, 2, 5, 10, 15, 30) if (hi - lo) * unit_s / 60 / m <= 10), 60)
            axis.set_major_locator(MultipleLocator(step * 60 / unit_s))
            fmt_s = lambda v: f"{v * unit_s / 60:.0f} min"  # noqa: E731
        else:
            fmt_s = (lambda v: f"{v * unit_s / 3600:.2f} h") if unit_s >= 3600 else (lambda v: f"{v * unit_s:.0f} s")
        axis.set_major_formatter(FuncFormatter(lambda v, _: fmt_s(v)))
        return "time from the start of the recording"
    fmt = "%H:%M:%S" if (hi - lo) * unit_s < CLOCK_MINUTES_S else fmt  # a short night's ticks are seconds apart
    axis.set_major_formatter(FuncFormatter(lambda v, _: later(start, v * unit_s).strftime(fmt)))
    return "clock time"


def plain_summary(episodes: list[Episode], summary: dict | None) -> str:
    """The sentence that opens the report, for a reader who does not know EMG."""
    if not episodes:
        text = "No cramp was found this night."
    else:
        longest = max(e.duration_s for e in episodes)
        text = (f"{len(episodes)} cramp(s) this night, {sum(e.duration_s for e in episodes):.0f} s in all; "
                f"the longest lasted {longest:.0f} s.")
    if summary and "leg_movements" in summary:
        text += f" {activity_line(summary)}."
    return text


NOT_A_DIAGNOSIS = ("A few cramps a month are common; frequent or very long cramps are worth a doctor's look. "
                   "This report describes the signal; it is not a diagnosis.")


def marks(analysis: Analysis) -> tuple[list[tuple[float, float, str]], list[tuple[float, float, str]]]:
    """What :func:`figure` draws besides the cramps: the look-alikes (and possible cramps), and the activity row."""
    lookalikes = [(e.onset_s, e.offset_s, e.reason) for e in analysis.lookalikes]
    lookalikes += [(e.onset_s, e.offset_s, "possible_cramp") for e in analysis.possible_cramps]
    activity = ([(m.onset_s, m.offset_s, "plm") for m in analysis.movements if m.series]
                + [(w.onset_s, w.offset_s, "warning") for w in analysis.warnings])
    return lookalikes, activity


def figure(view: NightView, episodes: list[Episode], start: datetime | None, title: str,
           lookalikes: list[tuple[float, float, str]] = (), activity: list[tuple[float, float, str]] = (),
           summary: dict | None = None):
    """The report figure: timeline, quality strip, one zoom per episode, episode table, plain summary.

    ``lookalikes`` (onset s, offset s, reason) are drawn as ticks under the
    timeline: bursts the detector saw and did not count as cramps, each
    reason in its own colour, the same in every report.
    ``activity`` (onset s, offset s, ``"plm"`` or ``"warning"``) adds the
    periodic leg movements and pre-cramp warnings on a row of their own.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n, drawn = len(episodes), len(view.zoomed)
    cols = min(max(drawn, 1), 3)
    zoom_rows = (drawn + cols - 1) // cols
    fig = plt.figure(figsize=(13, 4.8 + 2.6 * zoom_rows + 0.3 * drawn), constrained_layout=True)
    grid = fig.add_gridspec(4 + zoom_rows, cols,
                            height_ratios=[3.0, 0.35] + [2.4] * zoom_rows + [0.5 + 0.3 * drawn, 0.45])
    ax = fig.add_subplot(grid[0, :])
    _timeline(ax, view, episodes, lookalikes, activity, _rest_uv(summary))
    ax.set_title(f"{title}: {n} cramp(s)", pad=14)  # above the cramps' numbers
    q = fig.add_subplot(grid[1, :], sharex=ax)
    q.imshow(view.flat_1s[None, :].astype(float), aspect="auto", cmap="Greys", vmin=0, vmax=1,
             extent=(0, max(len(view.flat_1s) / 3600.0, 1e-3), 0, 1))
    q.set_yticks([])
    q.set_ylabel("signal\nlost", rotation=0, ha="right", va="center", fontsize=8)
    q.set_xlabel(f"{_clock_axis(q.xaxis, start, 3600.0)}   (dark: signal lost or saturated)")
    ax.tick_params(labelbottom=True)
    ax.set_xlabel(_clock_axis(ax.xaxis, start, 3600.0), fontsize=8)
    nums = numbers([e.onset_s for e in episodes], [x[0] for x in lookalikes if x[2] == "possible_cramp"])[0]
    for k, (i, (t, sig)) in enumerate(zip(view.zoomed, view.zooms)):
        _zoom(fig.add_subplot(grid[2 + k // cols, k % cols]), nums[i], episodes[i], t, sig, view.fs, start,
              legend=k == 0)
    tab = fig.add_subplot(grid[-2, :])
    tab.axis("off")
    rows = [table_row(nums[i], episodes[i], start) for i in view.zoomed]
    if rows:
        tab.table(cellText=rows, colLabels=TABLE_HEAD, loc="upper center", cellLoc="center").scale(1, 1.2)
    else:
        tab.text(0.5, 0.5, "no cramps this night", ha="center", va="center")
    foot = fig.add_subplot(grid[-1, :])
    foot.axis("off")
    drawn_words = (f"\nThe {drawn} likeliest of the {n} cramps are drawn and listed here; every cramp is in the "
                   "events table and on the review page." if drawn < n else "")
    foot.text(0.0, 1.0, plain_summary(episodes, summary) + drawn_words + "\n" + NOT_A_DIAGNOSIS, va="top",
              fontsize=9, wrap=True)
    return fig


def _rest_uv(summary: dict | None) -> float | None:
    """The detector's rest level (µV) from a summary, when it has one."""
    q = next(iter((summary or {}).get("quality", {}).values()), {})
    rest = q.get("rest_uv")
    return float(rest) if rest is not None and rest == rest else None


def events_summary(view: NightView, episodes: list[Episode]) -> dict:
    """A night drawn from an events table: its cramps' totals, the rest level they were measured against (µV, their
    median), else the view's median level (µV; a gap's seconds are NaN in it), and share of seconds without signal."""
    rests = [e.rest_uv for e in episodes if e.rest_uv > 0]  # NaN: a table without the column
    flat = float(np.mean(view.flat_1s)) if len(view.flat_1s) else 0.0
    return {"n_episodes": len(episodes), "total_cramp_s": sum(e.duration_s for e in episodes),
            "longest_cramp_s": max((e.duration_s for e in episodes), default=0.0),
            "typical_uv": float(np.nanmedian(view.envelope_1s)) if np.isfinite(view.envelope_1s).any() else 0.0,
            "flat_fraction": flat} | ({"quality": {"": {"rest_uv": float(np.median(rests)), "flat_fraction": flat}}}
                                     if rests else {})


LABEL_SHARE = 0.03  # of the timeline's width, what a label "#12" takes at 8 pt (the report's figure is 13 in wide)


def _label_groups(xs: list[float], width_h: float) -> list[tuple[int, int]]:
    """Runs of labels at ``xs`` (h, in order) that would overlap, as (first, last) indices: each run one label."""
    groups: list[tuple[int, int]] = []
    for i, x in enumerate(xs):
        if groups and x - xs[groups[-1][1]] < LABEL_SHARE * width_h:
            groups[-1] = (groups[-1][0], i)
        else:
            groups.append((i, i))
    return groups


def _timeline(ax, view: NightView, episodes: list[Episode], lookalikes, activity,
              rest_uv: float | None = None) -> None:
    """The whole night: envelope, numbered cramp bands, look-alikes and leg movements under it."""
    hours = np.arange(len(view.envelope_1s)) / 3600.0
    ax.semilogy(hours, np.maximum(view.envelope_1s, 0.1), lw=0.5, color="0.2", label="muscle activity (1-s RMS)")
    for kind in ("tonic", "clonic"):
        if any(e.kind == kind for e in episodes):
            ax.axvspan(0, 0, color=COLORS[kind], alpha=0.35, lw=0, label=f"cramp, {kind}")
    possible = [x[:2] for x in lookalikes if x[2] == "possible_cramp"]
    nums, nums_possible = numbers([e.onset_s for e in episodes], [on for on, _ in possible])
    for e in episodes:
        ax.axvspan(e.onset_s / 3600, e.offset_s / 3600, color=COLORS[e.kind], alpha=0.35, lw=0)
    marks = sorted([((e.onset_s + e.offset_s) / 7200, k, False) for e, k in zip(episodes, nums)]
                   + [((on + off) / 7200, k, True) for (on, off), k in zip(possible, nums_possible)])
    # numbered as on the review page; events whose labels would overlap share one: #5–6 (numbers run in time)
    for a, b in _label_groups([x for x, _, _ in marks], len(hours) / 3600):
        grey = all(g for _, _, g in marks[a:b + 1])
        ax.text((marks[a][0] + marks[b][0]) / 2, 1.005, f"#{marks[a][1]}" + (f"–{marks[b][1]}" if b > a else ""),
                transform=ax.get_xaxis_transform(), ha="center", va="bottom", fontsize=8,
                fontweight="normal" if grey else "bold", color="0.55" if grey else "k", clip_on=False)
    # The level the cramps are measured against (the same figure as the HTML); else the night's median.
    rest = rest_uv or (float(np.nanmedian(view.envelope_1s)) if np.isfinite(view.envelope_1s).any() else 1.0)
    ax.axhline(rest, color="tab:blue", lw=0.8, ls="--",
               label=f"rest level {rest:.1f} µV" if rest_uv else f"typical level {rest:.1f} µV")
    for kind in sorted({x[2] for x in lookalikes}, key=lambda r: list(REASON_COLORS).index(r)
                       if r in REASON_COLORS else len(REASON_COLORS)):
        xs = [(x[0] / 3600, max(x[1] - x[0], 1.0) / 3600) for x in lookalikes if x[2] == kind]
        ax.broken_barh(xs, (0.11, 0.04), color=REASON_COLORS.get(kind, "0.5"),
                       label="possible cramp (not counted)" if kind == "possible_cramp" else
                       f"not a cramp: {kind.replace('_', ' ')}", transform=ax.get_xaxis_transform())
    for kind, color, label in (("plm", "tab:purple", "periodic leg movement"),
                               ("warning", "gold", "pre-cramp warning")):
        xs = [(a / 3600, max(b - a, 1.0) / 3600) for a, b, k in activity if k == kind]
        if xs:
            ax.broken_barh(xs, (0.04, 0.05), color=color, label=label, transform=ax.get_xaxis_transform())
    ax.set_ylabel("envelope, µV RMS")
    ax.set_ylim(bottom=min(ax.get_ylim()[0], rest / 30))  # the rows of ticks under the trace, not on it
    ax.set_xlim(0, max(hours[-1] if len(hours) else 1.0, 1e-3))
    ax.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=7, frameon=False)  # beside, not over, the data


def _zoom(z, k: int, e: Episode, t: np.ndarray, sig: np.ndarray, fs: float, start: datetime | None,
          legend: bool) -> None:
    """One cramp up close: filtered EMG, its envelope, onset and end."""
    z.plot(t, sig, lw=0.3, color="0.4", label="filtered EMG")
    if len(sig):
        w = max(1, int(0.5 * fs))
        env = np.sqrt(np.convolve(sig ** 2, np.ones(w) / w, mode="same"))
        z.plot(t, env, color="tab:blue", lw=1.2, label="its level (0.5-s RMS)")  # one colour: one legend
    z.axvline(e.onset_s, color="k", lw=0.8, label="cramp starts")
    z.axvline(e.offset_s, color="k", lw=0.8, ls="--", label="cramp ends")
    z.set_title(f"#{k} {clock_text(start, e.onset_s)}  {e.kind}  {e.duration_s:.1f} s  "
                f"peak {e.peak_intensity:.0f} µV" + (f" ({e.peak_x_rest:.0f}× rest)" if math.isfinite(e.peak_x_rest) else ""),
                fontsize=9)
    from matplotlib.ticker import MaxNLocator

    z.xaxis.set_major_locator(MaxNLocator(4))
    z.set_xlabel(_clock_axis(z.xaxis, start, 1.0, "%H:%M:%S"), fontsize=8)
    z.set_ylabel("µV", fontsize=8)
    z.tick_params(labelsize=7)
    if legend:  # room above the trace for the key, so it covers nothing
        lo, hi = z.get_ylim()
        z.set_ylim(lo, hi + 0.35 * (hi - lo))
        for handle in z.legend(loc="upper left", fontsize=6, ncol=2, frameon=False).get_lines():
            handle.set_linewidth(max(handle.get_linewidth(), 1.0))  # the trace's hairline reads paler than it is


TABLE_HEAD = ["#", "clock", "duration s", "kind", "peak µV", "mean µV", "peak × rest", "%MVC", "flags"]


def numbers(cramps: list[float], possible: list[float]) -> tuple[list[int], list[int]]:
    """The numbers a night's review page gives its cramps and possible cramps (by onset, s): their places in time
    order (:meth:`~emgcramp.review.data.NightData.listed`), so that the report and the page agree."""
    place = {key: i + 1 for i, key in enumerate(sorted([(t, 0) for t in cramps] + [(t, 1) for t in possible]))}
    return [place[(t, 0)] for t in cramps], [place[(t, 1)] for t in possible]


def table_row(number: int, e: Episode, start: datetime | None) -> list[str]:
    """One row of the episode table (shared by the figure and the HTML); ``number``: see :func:`numbers`."""
    r = {k: "–" if v in ("", "nan") else v for k, v in episode_row(e, start).items()}  # not known: a dash
    return [str(number), clock_text(start, e.onset_s), r["duration_s"], e.kind, r["peak_intensity"],
            r["mean_intensity"], r["peak_x_rest"], r["pct_mvc"], r["flags"]]
