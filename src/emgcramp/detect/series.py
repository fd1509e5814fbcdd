"""PLM series among the leg movements of :mod:`emgcramp.detect.movements`, by the AASM and WASM 2016 rules.

The rules and the deviations from them are set out in that module's docstring:
a series is at least 4 consecutive LMs whose onsets are 5–90 s apart; it ends
at an interval outside that and at any activity longer than an LM.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from emgcramp.core.types import LegMovement, PriorMovement

if TYPE_CHECKING:
    from emgcramp.core.config import DetectorConfig


def score_series(movements: Iterable[LegMovement], cfg: DetectorConfig,
                 breaks: Iterable[tuple[float, float]] = ()) -> list[LegMovement]:
    """Number the PLM series among ``movements`` (in time order); return them all, ``series`` set.

    ``breaks`` are other (onset, offset) intervals in s that end a series,
    such as cramps; an LM that overlaps one is part of it (the first burst
    of a clonic cramp, say) and is left out.
    """
    breaks = list(breaks)
    def broken(m: LegMovement) -> bool:
        return m.is_lm and any(m.onset_s < off and on < m.offset_s for on, off in breaks)

    ms = sorted((m for m in movements if not broken(m)),
                key=lambda m: m.onset_s)
    stops = sorted(b[0] for b in breaks)
    series = [0] * len(ms)
    run: list[int] = []
    next_id = 1

    def close() -> None:
        nonlocal next_id
        if len(run) >= cfg.movements.plm_min_count:
            for i in run:
                series[i] = next_id
            next_id += 1
        run.clear()

    for i, m in enumerate(ms):
        if not m.is_lm:
            if m.duration_s > cfg.movements.lm_max_s:
                close()
            continue
        if run:
            prev = ms[run[-1]].onset_s
            gap = m.onset_s - prev
            broken = any(prev < t < m.onset_s for t in stops)
            if broken or not cfg.movements.lm_min_interval_s <= gap <= cfg.movements.lm_series_window_s:
                close()
        run.append(i)
    close()
    return [LegMovement(m.onset_s, m.offset_s, m.peak_uv, m.rest_uv, m.channel, m.is_lm, s)
            for m, s in zip(ms, series)]


def merge_channels(per_channel: Iterable[list[LegMovement]], cfg: DetectorConfig) -> list[LegMovement]:
    """One leg, several channels: overlapping stretches are one movement.

    The merged stretch spans the union, keeps the largest peak and is an LM
    only if its length still is (AASM counts a movement once).
    """
    allm = sorted((m for ms in per_channel for m in ms), key=lambda m: m.onset_s)
    merged: list[LegMovement] = []
    for m in allm:
        if merged and m.onset_s <= merged[-1].offset_s:
            p = merged[-1]
            on, off = p.onset_s, max(p.offset_s, m.offset_s)
            names = p.channel if m.channel in p.channel.split("+") else f"{p.channel}+{m.channel}"
            ok = (p.is_lm or m.is_lm) and off - on <= cfg.movements.lm_max_s
            merged[-1] = LegMovement(on, off, max(p.peak_uv, m.peak_uv), p.rest_uv, names, ok)
        else:
            merged.append(m)
    return merged


def series_chain(onset_s: float, recent_lms: list[PriorMovement],
                 cfg: DetectorConfig) -> list[tuple[float, float]]:
    """(peak µV, duration s) of the earlier LMs that chain back from ``onset_s`` at PLM spacing (5–90 s, AASM)."""
    chain, t = [], onset_s
    for on, peak, dur in sorted(recent_lms, reverse=True):
        gap = t - on
        if gap < cfg.movements.lm_min_interval_s:
            continue
        if gap > cfg.movements.lm_series_window_s:
            break
        chain.append((peak, dur))
        t = on
    return chain
