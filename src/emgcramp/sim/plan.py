"""The plan of a synthetic night: what happens when (cramps, look-alikes, faults), its settings and its truth.

:mod:`emgcramp.sim.synth` turns a plan into signal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

import numpy as np

RAIL_UV = 8000.0
CRAMP_KINDS = ("tonic", "clonic")
# A night that opens as ``emgcramp calibrate`` asks of a sensor: 2 s to settle, 30 s still, 3 s to get
# ready, then 5 s of the hardest push (a voluntary plantar flexion at the motor-unit pool's full
# excitation, PoolSpec.mvc_uv). The planned events all come after 60 s, so the opening stays clear.
CALIBRATION_MVC_S = (35.0, 40.0)
CALIBRATION_MVC_UV = 400.0


@dataclass(frozen=True)
class TruthEvent:
    """One planned event. Times in seconds, ``amplitude_uv`` in µV RMS.

    ``kind`` is ``tonic`` or ``clonic`` for cramps; ``warning`` is the rise
    of tension that may announce one; look-alikes are ``leg_movement`` (part
    of a periodic series), ``position_change``, ``jerk``, ``pop`` and
    ``lead_off``, ``arousal`` (the calf firing as sleep lightens), ``plantar_flexion``
    (voluntary) and ``stretch`` (pulling the foot up, alone or to relieve a cramp).
    """

    onset_s: float
    offset_s: float
    kind: str
    amplitude_uv: float
    rate_hz: float = 0.0  # clonic alternation or motion frequency
    ramp_s: float = 0.0  # tone, ECG bleed and voluntary movements: how long they take to come and to go
    gains: tuple[float, ...] = ()  # share of the amplitude per muscle (empty: all of it everywhere)
    series: int = 0  # leg movements: the planned periodic series they belong to (1, 2, …; 0: none)

    @property
    def is_cramp(self) -> bool:
        return self.kind in CRAMP_KINDS

    def gain(self, channel: int) -> float:
        """Share of the amplitude on ``channel``."""
        return self.gains[channel] if self.gains else 1.0


@dataclass(frozen=True)
class NightSpec:
    """What to generate. Counts are events per night; levels in µV."""

    hours: float = 8.0
    fs: float = 1000.0
    seed: int = 1
    rest_uv: float = 4.0
    mains_hz: float = 50.0
    mains_uv: float = 15.0
    wander_uv: float = 30.0
    ecg_uv: float = 0.0  # peak of QRS complexes bleeding in from the heart
    rail_uv: float = RAIL_UV  # the amplifier saturates here
    tonic: int = 4
    clonic: int = 2
    plm_series: int = 3
    lm_uv: tuple[float, float] = (12.0, 40.0)  # size of the periodic leg movements, µV RMS
    # AASM leg movements last 0.5–10 s; periodic ones mostly 1.5–4 s. Stress steps stretch this.
    lm_duration_s: tuple[float, float] = (0.5, 4.5)
    plantar_flexion_s: tuple[float, float] = (5.0, 15.0)  # voluntary flexions; stretched to a minute in stress
    motion_scale: float = 10.0  # a position change's artefact, × its EMG size (0.3 × in the weak-motion step)
    # Background tone with sleep depth: comes over 10–60 s, holds 8–130 s, at 2–8 × rest
    # (issue 11's measurements of independent nights: plateaus 8–130 s at 5–13 × rest).
    tone_changes: int = 0
    tone_uv: tuple[float, float] = (8.0, 32.0)
    tone_ramp_s: tuple[float, float] = (10.0, 60.0)
    tone_hold_s: tuple[float, float] = (8.0, 130.0)
    # Heartbeat bleed that comes and goes: periods of 20–90 min, QRS peak in µV.
    ecg_periods: int = 0
    ecg_period_uv: tuple[float, float] = (20.0, 80.0)
    position_changes: int = 6
    jerks: int = 6
    pops: int = 4
    lead_offs: int = 1
    tonic_duration_s: tuple[float, float] = (5.0, 400.0)
    cramp_uv: tuple[float, float] = (60.0, 400.0)  # tonic cramp size, µV RMS (clonic: ×0.5–0.75 of the range)
    # Share of cramps announced by a rise of calf tension, ending at the cramp, with fasciculations
    # (lone discharges of large units, ~1/s) in the motor-unit model. The pilot home recordings
    # the warning rule is built on saw ~40 s at 2–5 × rest; drawn here half as wide again each
    # way (10–90 s, 1.5–6 × rest), so the rule is scored beyond the figures it was made from.
    warned_fraction: float = 0.0
    prodrome_s: tuple[float, float] = (10.0, 90.0)
    prodrome_x_rest: tuple[float, float] = (1.5, 6.0)
    # "motor_units": EMG from a recruited motor-unit pool (emgcramp.sim.motor_units);
    # "noise": band-limited Gaussian noise scaled to the same RMS.
    model: str = "motor_units"
    # Several muscles of one leg (names; one containing TA/tib is the tibialis). With more than one,
    # cramps seize one gastrocnemius head (half of them) or all, the tibialis stays silent, and the
    # look-alikes below appear; see plan_muscles.
    muscles: tuple[str, ...] = ("calf",)
    plantar_flexions: int = 0
    stretches: int = 0
    # Voluntary movements ramp up and down smoothly, the foot moving as they start and end: 0.5-3 s
    # (a bench choice around "a smooth rise over a second or more").
    voluntary_ramp_s: tuple[float, float] = (0.5, 3.0)
    # Arousal bursts: the calf fires as sleep lightens, for 3 s (the shortest scored arousal) up to
    # 15 s (longer is an awakening; AASM scoring manual, Berry et al. 2017), in clusters of 1-3
    # recurring every 10-60 s (cyclic alternating pattern, Terzano et al. 2001, Sleep Med 2:537,
    # doi:10.1016/S1389-9457(01)00149-6); size a bench choice that spans leg movements and weak
    # cramps (2-30 x rest), so that some cannot be told from a short cramp.
    arousals: int = 0
    arousal_s: tuple[float, float] = (3.0, 15.0)
    arousal_x_rest: tuple[float, float] = (2.0, 30.0)
    relief_fraction: float = 0.0  # share of cramps the person relieves by stretching the foot up
    calibration: bool = False  # open with rest and a maximal push (CALIBRATION_MVC_S), as calibrate asks

    @property
    def n_samples(self) -> int:
        return int(round(self.hours * 3600 * self.fs))


def plan_night(spec: NightSpec) -> list[TruthEvent]:
    """Place cramps and look-alikes at random, non-overlapping, by seed."""
    rng = np.random.default_rng([spec.seed, 0])
    total = spec.hours * 3600.0
    groups: list[list[TruthEvent]] = []
    lo, hi = np.log(spec.tonic_duration_s[0]), np.log(spec.tonic_duration_s[1])
    for _ in range(spec.tonic):
        groups.append([TruthEvent(0, float(np.exp(rng.uniform(lo, hi))), "tonic", float(rng.uniform(*spec.cramp_uv)))])
    for _ in range(spec.clonic):
        c_lo, c_hi = spec.cramp_uv
        groups.append([TruthEvent(0, float(rng.uniform(6, 40)), "clonic", float(rng.uniform(1.33 * c_lo, 0.75 * c_hi)),
                                  float(rng.uniform(0.5, 2.0)))])
    for g in groups:
        if spec.warned_fraction and rng.random() < spec.warned_fraction:
            lead = float(rng.uniform(*spec.prodrome_s))
            level = float(rng.uniform(*spec.prodrome_x_rest)) * spec.rest_uv
            g[:] = [TruthEvent(0, lead, "warning", level)] + [
                TruthEvent(e.onset_s + lead, e.offset_s + lead, e.kind, e.amplitude_uv, e.rate_hz) for e in g]
    for k in range(spec.plm_series):
        t, series = 0.0, []
        for _ in range(int(rng.integers(4, 12))):
            d = float(rng.uniform(*spec.lm_duration_s))
            series.append(TruthEvent(t, t + d, "leg_movement", float(rng.uniform(*spec.lm_uv)), series=k + 1))
            t += float(rng.uniform(15, 40))
        groups.append(series)
    for _ in range(spec.position_changes):
        groups.append([TruthEvent(0, float(rng.uniform(1, 4)), "position_change", float(rng.uniform(30, 150)),
                                  float(rng.uniform(0.5, 3.0)))])
    for _ in range(spec.jerks):
        groups.append([TruthEvent(0, float(rng.uniform(0.2, 0.6)), "jerk", float(rng.uniform(100, 400)))])
    for _ in range(spec.pops):
        groups.append([TruthEvent(0, float(rng.uniform(0.3, 1.0)), "pop", float(rng.uniform(500, 3000)))])
    for _ in range(spec.lead_offs):
        groups.append([TruthEvent(0, float(rng.uniform(10, 60)), "lead_off", spec.rail_uv)])
    extra = np.random.default_rng([spec.seed, 6])  # draws of their own: nights without these stay as they were

    def voluntary(kind: str, t0: float, t1: float, uv: float) -> TruthEvent:
        motion_hz = float(extra.uniform(0.5, 3.0))  # the foot's swing, as a position change's
        return TruthEvent(t0, t1, kind, uv, motion_hz, float(extra.uniform(*spec.voluntary_ramp_s)))

    for _ in range(spec.plantar_flexions):
        flexion_s, flexion_uv = float(rng.uniform(*spec.plantar_flexion_s)), float(rng.uniform(60, 300))
        groups.append([voluntary("plantar_flexion", 0, flexion_s, flexion_uv)])
    for _ in range(spec.stretches):
        groups.append([voluntary("stretch", 0, float(rng.uniform(3, 15)), float(rng.uniform(40, 150)))])
    if spec.relief_fraction:
        for g in groups:
            if g[-1].is_cramp and rng.random() < spec.relief_fraction:
                c = g[-1]
                start = c.offset_s - min(10.0, 0.3 * (c.offset_s - c.onset_s))
                g.append(voluntary("stretch", start, start + float(rng.uniform(8, 20)), float(rng.uniform(40, 150))))
    groups += _arousals(spec, extra)
    events = sorted(_place(groups, total, rng) + _background(spec, total), key=lambda e: e.onset_s)
    events = [e for e in events if e.onset_s < total]  # a night shorter than the draws hold none after its end
    if spec.calibration:  # after every draw: the rest of the night is the one its seed gives without it
        events.insert(0, TruthEvent(*CALIBRATION_MVC_S, "plantar_flexion", CALIBRATION_MVC_UV))
    return plan_muscles(events, spec) if len(spec.muscles) > 1 else events


def _arousals(spec: NightSpec, rng: np.random.Generator) -> list[list[TruthEvent]]:
    """Clusters of arousal bursts (:attr:`NightSpec.arousals` bursts in all), each a group to place."""
    groups, left = [], spec.arousals
    while left > 0:
        t, group = 0.0, []
        for _ in range(min(left, int(rng.integers(1, 4)))):
            d = float(rng.uniform(*spec.arousal_s))
            group.append(TruthEvent(t, t + d, "arousal", spec.rest_uv * float(rng.uniform(*spec.arousal_x_rest))))
            t += d + float(rng.uniform(10.0, 60.0))
        groups.append(group)
        left -= len(group)
    return groups


def _background(spec: NightSpec, total: float) -> list[TruthEvent]:
    """Tone changes and ECG periods: anywhere in the night, over or under other events."""
    rng = np.random.default_rng([spec.seed, 5])
    out = []
    for _ in range(spec.tone_changes):
        ramp, hold = float(rng.uniform(*spec.tone_ramp_s)), float(rng.uniform(*spec.tone_hold_s))
        t0 = float(rng.uniform(60.0, max(61.0, total - 2 * ramp - hold)))
        out.append(TruthEvent(round(t0, 3), round(t0 + 2 * ramp + hold, 3), "tone",
                              float(rng.uniform(*spec.tone_uv)), ramp_s=ramp))
    for _ in range(spec.ecg_periods):
        d = float(rng.uniform(20, 90)) * 60.0
        t0 = float(rng.uniform(0.0, max(1.0, total - d)))
        out.append(TruthEvent(round(t0, 3), round(t0 + d, 3), "ecg", float(rng.uniform(*spec.ecg_period_uv)),
                              ramp_s=float(rng.uniform(5, 60))))
    return out


def plan_muscles(events: list[TruthEvent], spec: NightSpec) -> list[TruthEvent]:
    """Give each event its share per muscle (``gains``), by kind, reproducibly by seed.

    Cramps seize one gastrocnemius head alone (half of them; the others rest)
    or all heads (the others at 60–100 %); the tibialis is silent, and a
    warning tenses the same heads as its cramp. A voluntary plantar flexion
    recruits all heads with 20 % tibialis co-contraction; a stretch is
    tibialis work with 20 % calf activity; periodic leg movements are
    tibialis-led (calf 20–50 %); position changes, jerks move everything; a
    pop or lead-off hits one electrode.
    """
    from emgcramp.core.channels import is_tibialis

    rng = np.random.default_rng([spec.seed, 4])
    ta = np.array([is_tibialis(m) for m in spec.muscles])
    heads = np.flatnonzero(~ta)
    out, last_cramp = [], None
    for e in events:
        g = np.zeros(len(spec.muscles))
        if e.kind in CRAMP_KINDS or e.kind == "warning":
            if e.kind == "warning" or last_cramp is None or last_cramp[0] != e.onset_s:
                g[heads] = 0.0 if rng.random() < 0.5 else rng.uniform(0.6, 1.0, len(heads))
                g[rng.choice(heads)] = 1.0
            if e.kind == "warning":
                last_cramp = (e.offset_s, g)
            elif last_cramp is not None and abs(last_cramp[0] - e.onset_s) < 1e-6:
                g = last_cramp[1]
        elif e.kind == "plantar_flexion":
            g[heads], g[ta] = 1.0, 0.2
        elif e.kind == "stretch":
            g[heads], g[ta] = 0.2, 1.0
        elif e.kind == "leg_movement":
            g[heads], g[ta] = rng.uniform(0.2, 0.5, len(heads)), 1.0
        elif e.kind in ("pop", "lead_off"):
            g[rng.integers(len(g))] = 1.0
        else:
            g[:] = 1.0
            g[ta] = 0.7
        out.append(replace(e, gains=tuple(float(x) for x in g)))  # every other field kept (series, ramp)
    return out


def _place(groups: list[list[TruthEvent]], total: float, rng: np.random.Generator) -> list[TruthEvent]:
    taken: list[tuple[float, float]] = []
    placed: list[TruthEvent] = []
    margin = 30.0
    for gi in rng.permutation(len(groups)):
        group = groups[gi]
        span = group[-1].offset_s
        for _ in range(2000):
            t0 = float(rng.uniform(60.0, max(61.0, total - span - margin)))
            if all(t0 + span + margin < a or t0 > b + margin for a, b in taken):
                break
        else:
            continue  # the night is too full for this one
        taken.append((t0, t0 + span))
        placed += [TruthEvent(round(t0 + e.onset_s, 3), round(t0 + e.offset_s, 3), e.kind, e.amplitude_uv,
                              e.rate_hz, e.ramp_s, series=e.series) for e in group]
    return sorted(placed, key=lambda e: e.onset_s)


def load_truth(path: str) -> list[TruthEvent]:
    """Read the truth JSON that ``emgcramp simulate`` writes beside a night."""
    with open(path) as f:
        data = json.load(f)
    return [TruthEvent(e["onset_s"], e["offset_s"], e["kind"], e["amplitude_uv"], e.get("rate_hz", 0.0),
                       gains=tuple(e.get("gains") or ()), ramp_s=e.get("ramp_s", 0.0), series=e.get("series", 0))
            for e in data["events"]]
