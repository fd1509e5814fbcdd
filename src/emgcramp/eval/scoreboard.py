"""Accuracy scoreboard: every scenario through the pipeline, offline and live, against truth.

For each scenario and seed the night is generated twice, identically: once
analysed as a file would be (60-s chunks) and once through the monitor's
loop (0.1-s blocks, as the replay source sends them; nothing stored). The two episode lists must
be identical. Detections are scored against the truth with the rule in
:mod:`emgcramp.eval.matching`; each false detection is blamed on the look-alike it
overlaps most (or ``none``).
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from emgcramp.core.blocks import Block
from emgcramp.core.channels import is_tibialis
from emgcramp.core.config import DetectorConfig
from emgcramp.core.types import Episode, LegMovement
from emgcramp.eval.matching import match
from emgcramp.live.monitor import run_monitor
from emgcramp.runner import run_blocks
from emgcramp.sim.plan import NightSpec, TruthEvent
from emgcramp.sim.scenarios import scenario
from emgcramp.sim.synth import NightGenerator

OFFLINE_BLOCK_S = 60.0
LIVE_BLOCK_S = 0.1
LM_ONSET_TOL_S = 1.0


@dataclass
class NightScore:
    """One night's outcome. Errors in seconds (detected − true)."""

    scenario: str
    seed: int
    hours: float
    cramps: int
    tp: int
    fn: int
    fp: int
    kind_correct: int
    onset_errors_s: list[float]
    offset_errors_s: list[float]
    false_alarm_causes: Counter = field(default_factory=Counter)
    live_agrees: bool | None = None  # the live replay gave the offline events; None: not run
    movements: dict = field(default_factory=dict)  # see score_movements
    warning_leads_s: list[float] = field(default_factory=list)  # of matched cramps that had a true warning
    warnings: dict = field(default_factory=dict)  # true, found, false
    muscles: dict = field(default_factory=dict)  # several muscles: matched, muscles_right, relief_true, relief_right
    found_any: int = 0  # cramps found by either tier (cramp or possible_cramp)


def _blocks(spec: NightSpec, block_s: float, channels: list[int]) -> Iterator[Block]:
    for b in NightGenerator(spec).blocks(max(1, int(round(block_s * spec.fs)))):
        yield b if len(channels) == b.samples.shape[1] else Block(b.t0_sample, b.samples[:, channels], b.gap_before)


def _cause(e: Episode, events: list[TruthEvent]) -> str:
    best, kind = 0.0, "none"
    for t in events:
        overlap = min(e.offset_s, t.offset_s + 2.0) - max(e.onset_s, t.onset_s - 2.0)
        if overlap > best:
            best, kind = overlap, t.kind
    return kind


def _near(t: float, onsets: list[float], tol: float = LM_ONSET_TOL_S) -> bool:
    return any(abs(t - o) <= tol for o in onsets)


def score_movements(truth_events: list[TruthEvent], moves: list[LegMovement], hours: float) -> dict:
    """LM and PLM detection against the truth's movements, matched by onset (±1 s).

    True LMs are the planned leg movements and position changes of 0.5–10 s;
    true PLMs are the movements the simulator planned as a periodic series
    (its plan, not the detector's own series rules, is the truth).
    """
    cfg = DetectorConfig()
    true_lm = [e for e in truth_events if e.kind in ("leg_movement", "position_change")
               and cfg.movements.lm_min_s <= e.offset_s - e.onset_s <= cfg.movements.lm_max_s]
    true_plm = [e.onset_s for e in true_lm if e.series]
    found = [m.onset_s for m in moves if m.is_lm]
    found_plm = [m.onset_s for m in moves if m.is_lm and m.series]
    return {"lm_true": len(true_lm), "lm_found": sum(_near(m.onset_s, found) for m in true_lm),
            "plm_true": len(true_plm), "plm_found": sum(_near(t, found_plm) for t in true_plm),
            "plm_detected": len(found_plm), "plm_detected_true": sum(_near(t, true_plm) for t in found_plm),
            "plmi_true": len(true_plm) / hours, "plmi_detected": len(found_plm) / hours}


def _score_warnings(truth_events: list[TruthEvent], warnings: list) -> dict:
    true = [e for e in truth_events if e.kind == "warning"]

    def hits(w, e):
        return w.onset_s < e.offset_s + 2.0 and e.onset_s < w.offset_s

    return {"true": len(true), "found": sum(any(hits(w, e) for w in warnings) for e in true),
            "false": sum(not any(hits(w, e) for e in true) for w in warnings)}


def _score_muscles(spec: NightSpec, truth: list[TruthEvent], detected: list[Episode], pairs: list[tuple[int, int]],
                   events: list[TruthEvent]) -> dict:
    """On multi-muscle nights: matched cramps whose calf muscles (gain ≥ 0.5) and relief stretch were told right."""
    if len(spec.muscles) < 2:
        return {}
    heads = [i for i, m in enumerate(spec.muscles) if not is_tibialis(m)]
    right = relief = flagged = 0
    for i, j in pairs:
        t, e = truth[i], detected[j]
        right += [spec.muscles[k] for k in heads if t.gain(k) >= 0.5] == e.muscles
        stretched = any(x.kind == "stretch" and t.onset_s < x.onset_s <= t.offset_s for x in events)
        relief += stretched
        flagged += stretched == ("stretched" in e.flags)
    return {"matched": len(pairs), "muscles_right": right, "relief_true": relief, "relief_right": flagged}


def score_night(name: str, hours: float, seed: int, live: bool = True, channels: list[int] | None = None,
                spec: NightSpec | None = None) -> NightScore:
    """Run one scenario night offline (and live) and score it; ``channels``: only these muscles (default all).

    ``spec`` replaces the named scenario's (``name`` then only labels the row).
    """
    spec = scenario(name, hours, seed) if spec is None else spec
    truth_events = NightGenerator(spec).events
    chs = list(range(len(spec.muscles))) if channels is None else list(channels)
    names = [spec.muscles[c] for c in chs]
    analysis = run_blocks(_blocks(spec, OFFLINE_BLOCK_S, chs), spec.fs, names)
    offline = analysis.episodes
    agrees = None
    if live:
        # The monitor's own loop (alerts, warnings, status), storing nothing, on the replay's 0.1-s blocks.
        live = run_monitor(_blocks(spec, LIVE_BLOCK_S, chs), lambda: spec.fs, names, None).analysis
        agrees = ([dataclasses.asdict(e) for e in live.episodes + live.possible_cramps]
                  == [dataclasses.asdict(e) for e in offline + analysis.possible_cramps])
    truth = [e for e in truth_events if e.is_cramp]
    sc = match([(t.onset_s, t.offset_s, t.kind) for t in truth], [(e.onset_s, e.offset_s, e.kind) for e in offline])
    matched = {j for _, j in sc.pairs}
    causes = Counter(_cause(e, truth_events) for j, e in enumerate(offline) if j not in matched)
    warned = {round(e.onset_s, 3) for i, e in enumerate(truth_events)
              if e.is_cramp and i and truth_events[i - 1].kind == "warning"}
    leads = [offline[j].warning_lead_s or 0.0 for i, j in sc.pairs if round(truth[i].onset_s, 3) in warned]
    return NightScore(name, seed, hours, len(truth), sc.tp, sc.fn, sc.fp, sc.kind_correct, sc.onset_errors_s,
                      sc.offset_errors_s, causes, agrees, score_movements(truth_events, analysis.movements, hours),
                      leads, _score_warnings(truth_events, analysis.warnings),
                      _score_muscles(spec, truth, offline, sc.pairs, truth_events) if channels is None else {},
                      match([(t.onset_s, t.offset_s, t.kind) for t in truth],
                            [(e.onset_s, e.offset_s, e.kind) for e in offline + analysis.possible_cramps]).tp)


def _score_job(job: tuple[str, float, int, bool]) -> NightScore:
    return score_night(*job)


def score_nights(names: list[str], hours: float, seeds: int, live: bool = True, workers: int = 2,
                 on_night: Callable[[NightScore], None] | None = None) -> list[NightScore]:
    """Score seeds 1..``seeds`` of each named scenario, ``hours`` long, on a pool of ``workers`` processes.

    ``on_night`` is called as each night is scored (for a progress bar); rows come back in job order.
    """
    from emgcramp.workers import run_each

    jobs = [(n, hours, seed, live) for n in names for seed in range(1, seeds + 1)]
    rows = []
    for row in run_each(_score_job, jobs, workers, ordered=True):  # a signal ends the nights under way too
        rows.append(row)
        if on_night:
            on_night(row)
    return rows


def summarize(rows: list[NightScore]) -> dict:
    """Pool nights: sensitivity, precision, F1, false alarms per hour, error percentiles (s)."""
    tp, fn, fp = (sum(getattr(r, k) for r in rows) for k in ("tp", "fn", "fp"))
    hours = sum(r.hours for r in rows)
    on = np.abs([x for r in rows for x in r.onset_errors_s])
    off = np.abs([x for r in rows for x in r.offset_errors_s])
    causes = sum((r.false_alarm_causes for r in rows), Counter())

    def pct(x, q):
        return float(np.percentile(x, q)) if len(x) else float("nan")

    return {"nights": len(rows), "hours": hours, "cramps": tp + fn, "tp": tp, "fn": fn, "fp": fp,
            # NaN where there is nothing to measure (a night without cramps has no sensitivity, nor, when
            # nothing was found either, an F1): never a perfect score for finding nothing.
            "sensitivity": tp / (tp + fn) if tp + fn else math.nan, "fp_per_hour": fp / hours if hours else 0.0,
            "precision": tp / (tp + fp) if tp + fp else math.nan,
            "f1": 2 * tp / (2 * tp + fn + fp) if tp + fn + fp else math.nan,
            "onset_median_s": pct(on, 50), "onset_p90_s": pct(on, 90),
            "offset_median_s": pct(off, 50), "offset_p90_s": pct(off, 90),
            "kind_accuracy": sum(r.kind_correct for r in rows) / tp if tp else float("nan"),
            "sensitivity_both_tiers": sum(r.found_any for r in rows) / (tp + fn) if tp + fn else math.nan,
            "live_agrees": _agree(rows), "false_alarm_causes": dict(causes)}


def _agree(rows: list[NightScore]) -> bool | None:
    """Whether every live replay gave the offline events (False: one did not); None when none was run."""
    ran = [r.live_agrees for r in rows if r.live_agrees is not None]
    return all(ran) if ran else None


def summarize_movements(rows: list[NightScore]) -> dict:
    """Pool nights: LM and PLM sensitivity and precision, PLM index, warnings found and lead times (s)."""
    m = Counter()
    for r in rows:
        m.update(r.movements)
    w = Counter()
    for r in rows:
        w.update(r.warnings)
    hours = sum(r.hours for r in rows)
    leads = [x for r in rows for x in r.warning_leads_s]

    def ratio(a, b):
        return a / b if b else float("nan")

    return {"lm_sensitivity": ratio(m["lm_found"], m["lm_true"]),
            "plm_sensitivity": ratio(m["plm_found"], m["plm_true"]),
            "plm_precision": ratio(m["plm_detected_true"], m["plm_detected"]),
            "plmi_true": ratio(m["plmi_true"], len(rows)), "plmi_detected": ratio(m["plmi_detected"], len(rows)),
            "warnings_true": w["true"], "warnings_found": w["found"], "false_warnings_per_h": ratio(w["false"], hours),
            "cramps_warned": len(leads), "lead_announced": sum(x > 0 for x in leads),
            "lead_p10_s": float(np.percentile(leads, 10)) if leads else float("nan"),
            "lead_median_s": float(np.median(leads)) if leads else float("nan"),
            "lead_p90_s": float(np.percentile(leads, 90)) if leads else float("nan"),
            **_pool_muscles(rows)}


def _pool_muscles(rows: list[NightScore]) -> dict:
    m = Counter()
    for r in rows:
        m.update(r.muscles)
    return {"muscle_matched": m["matched"], "muscles_right": m["muscles_right"], "relief_right": m["relief_right"]}


def movement_table(by_scenario: dict[str, dict], overall: dict) -> list[str]:
    """Leg movements, PLM series and warnings as Markdown lines."""
    lines = ["| scenario | LM found | PLM found | PLM precision | PLM index true / found (per h) | "
             "warnings found | false warnings / h | warned cramps announced | lead p10 / median / p90 s | "
             "muscles right | relief stretch told right |",
             "|" + "---|" * 11]
    for name, s in [*by_scenario.items(), ("**all**", overall)]:
        lines.append(
            f"| {name} | {shown(s['lm_sensitivity'], '.3f')} | {shown(s['plm_sensitivity'], '.3f')} | "
            f"{shown(s['plm_precision'], '.3f')} | {s['plmi_true']:.1f} / {s['plmi_detected']:.1f} | "
            f"{s['warnings_found']}/{s['warnings_true']} | {shown(s['false_warnings_per_h'], '.3f')} | "
            f"{s['lead_announced']}/{s['cramps_warned']} | "
            f"{shown(s['lead_p10_s'], '.1f')} / {shown(s['lead_median_s'], '.1f')} / {shown(s['lead_p90_s'], '.1f')} | "
            + (f"{s['muscles_right']}/{s['muscle_matched']} | {s['relief_right']}/{s['muscle_matched']} |"
               if s["muscle_matched"] else "– | – |"))
    return lines


def shown(v: float, spec: str) -> str:
    """``v`` formatted, or a dash where there is nothing to measure (no cramp found: no timing error; no cramp: no
    sensitivity)."""
    return "–" if math.isnan(v) else format(v, spec)


_LIVE_SHOWN = {True: "yes", False: "**NO**", None: "not run"}


def markdown_table(by_scenario: dict[str, dict], overall: dict) -> list[str]:
    """The scoreboard as Markdown lines."""
    head = ("| scenario | nights | cramps | found | missed | false | sensitivity | precision | F1 | false/h | "
            "found by either tier | onset err median / p90 s | offset err median / p90 s | tonic/clonic right | "
            "live = offline | false alarms caused by |")
    lines = [head, "|" + "---|" * 16]
    for name, s in [*by_scenario.items(), ("**all**", overall)]:
        causes = ", ".join(f"{k} {v}" for k, v in sorted(s["false_alarm_causes"].items())) or "–"
        lines.append(
            f"| {name} | {s['nights']} | {s['cramps']} | {s['tp']} | {s['fn']} | {s['fp']} | "
            f"{shown(s['sensitivity'], '.3f')} | {shown(s['precision'], '.3f')} | {shown(s['f1'], '.3f')} | "
            f"{s['fp_per_hour']:.3f} | {shown(s['sensitivity_both_tiers'], '.3f')} | "
            f"{shown(s['onset_median_s'], '.2f')} / {shown(s['onset_p90_s'], '.2f')} | "
            f"{shown(s['offset_median_s'], '.2f')} / {shown(s['offset_p90_s'], '.2f')} | "
            f"{shown(s['kind_accuracy'], '.0%')} | {_LIVE_SHOWN[s['live_agrees']]} | {causes} |")
    return lines


def plot(rows: list[NightScore]) -> Any:
    """Per-scenario F1 and onset/offset error distributions: the Matplotlib figure (the caller saves it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    sideways = {"orientation": "horizontal"} if matplotlib.__version_info__ >= (3, 10) else {"vert": False}

    names = list(dict.fromkeys(r.scenario for r in rows))
    summ = [summarize([r for r in rows if r.scenario == n]) for n in names]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.5), constrained_layout=True)
    f1 = [s["f1"] for s in summ]
    a1.barh(names, np.nan_to_num(f1), color="tab:blue")
    for i, v in enumerate(f1):
        if math.isnan(v):  # no cramps and none found: no bar, which would read as an F1 of 0
            a1.text(0.01, i, "no cramps: nothing to score", va="center", fontsize=8)
    a1.axvline(0.95, color="k", ls="--", lw=1, label="target 0.95")
    a1.set_xlim(0, 1.02)
    a1.set_xlabel("F1")
    a1.invert_yaxis()
    a1.legend(loc="lower left")
    a1.set_title("Detection F1 per scenario")
    on = [[x for r in rows if r.scenario == n for x in r.onset_errors_s] for n in names]
    off = [[x for r in rows if r.scenario == n for x in r.offset_errors_s] for n in names]
    pos = np.arange(len(names))
    a2.boxplot([o or [np.nan] for o in on], positions=pos - 0.18, widths=0.3, showfliers=True, **sideways,
               patch_artist=True, boxprops={"facecolor": "tab:green", "alpha": 0.6})
    a2.boxplot([o or [np.nan] for o in off], positions=pos + 0.18, widths=0.3, showfliers=True, **sideways,
               patch_artist=True, boxprops={"facecolor": "tab:orange", "alpha": 0.6})
    a2.set_yticks(pos, names)
    a2.invert_yaxis()
    a2.axvline(0, color="k", lw=0.8)
    a2.set_xlabel("detected − true, s (green: onset, orange: offset)")
    a2.set_title("Timing errors of matched cramps")
    return fig
