"""Synthetic calf sEMG nights with known truth, for the demo, tests and bench.

Each event i (a cramp or a look-alike) has a time course sᵢ(t) in [0, 1]
and a size aᵢ in µV RMS. With the default ``motor_units`` model the events
drive a motor-unit pool (:mod:`emgcramp.sim.motor_units`, after Fuglevand et
al. 1993): the excitation is Σ Eᵢ·sᵢ(t), where Eᵢ is the excitation whose
steady RMS is aᵢ, and the pool recruits, rate-codes and sums MUAPs. A
band-limited noise floor of ``rest_uv`` stands for amplifier and distant
activity. The ``noise`` model instead scales band-limited Gaussian noise:
emg(t) = noise(t) · sqrt(rest² + Σ (aᵢ·sᵢ(t))²). Non-EMG look-alikes and faults are added on top:
motion artefact (smooth low-frequency excursions), electrode pops (a step
that decays), baseline wander, mains hum with its third harmonic, and
lead-off (the input stuck at the rail).

It is generated in fixed segments with a seed per segment and the shaping
filter's state carried over, so any night is reproducible by seed and
streams in constant memory. Both models share the plan and the truth.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import numpy as np
from scipy import signal

from emgcramp.core.blocks import Block

CRAMP_KINDS = ("tonic", "clonic")
SEGMENT_S = 10.0
RAIL_UV = 8000.0


@dataclass(frozen=True)
class TruthEvent:
    """One planned event. Times in seconds, ``amplitude_uv`` in µV RMS.

    ``kind`` is ``tonic`` or ``clonic`` for cramps; ``warning`` is the rise
    of tension that may announce one; look-alikes are ``leg_movement`` (part
    of a periodic series), ``position_change``, ``jerk``, ``pop`` and
    ``lead_off``, and on several muscles ``plantar_flexion`` (voluntary) and
    ``stretch`` (pulling the foot up, alone or to relieve a cramp).
    """

    onset_s: float
    offset_s: float
    kind: str
    amplitude_uv: float
    rate_hz: float = 0.0  # clonic alternation or motion frequency
    ramp_s: float = 0.0  # tone and ECG bleed: how long they take to come and to go
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
    relief_fraction: float = 0.0  # share of cramps the person relieves by stretching the foot up

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
    for _ in range(spec.plantar_flexions):
        groups.append([TruthEvent(0, float(rng.uniform(*spec.plantar_flexion_s)), "plantar_flexion", float(rng.uniform(60, 300)))])
    for _ in range(spec.stretches):
        groups.append([TruthEvent(0, float(rng.uniform(3, 15)), "stretch", float(rng.uniform(40, 150)))])
    if spec.relief_fraction:
        for g in groups:
            if g[-1].is_cramp and rng.random() < spec.relief_fraction:
                c = g[-1]
                start = c.offset_s - min(10.0, 0.3 * (c.offset_s - c.onset_s))
                g.append(TruthEvent(start, start + float(rng.uniform(8, 20)), "stretch", float(rng.uniform(40, 150))))
    events = sorted(_place(groups, total, rng) + _background(spec, total), key=lambda e: e.onset_s)
    return plan_muscles(events, spec) if len(spec.muscles) > 1 else events


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
        out.append(TruthEvent(e.onset_s, e.offset_s, e.kind, e.amplitude_uv, e.rate_hz,
                              gains=tuple(float(x) for x in g), ramp_s=e.ramp_s))
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
                              e.rate_hz, series=e.series) for e in group]
    return sorted(placed, key=lambda e: e.onset_s)


def _shape(e: TruthEvent, t: np.ndarray) -> np.ndarray:
    """Time course (0–1) of an EMG-producing event at times ``t`` (s)."""
    d = e.offset_s - e.onset_s
    if e.kind in ("tone", "ecg"):
        u = np.clip(np.minimum(t - e.onset_s, e.offset_s - t) / max(e.ramp_s, 1e-3), 0.0, 1.0)
        return u * u * (3 - 2 * u)
    if e.kind == "warning":  # tension creeping up over the lead time, handing over to the cramp
        return np.clip((t - e.onset_s) / d, 0.0, 1.0) * (t < e.offset_s + 1.0)
    if e.kind in CRAMP_KINDS:
        rise = min(1.0, 0.2 * d)
        fall = min(1.5, 0.25 * d)
    else:
        rise = fall = min(0.15, 0.3 * d)
    u = np.clip(np.minimum((t - e.onset_s) / rise, (e.offset_s - t) / fall), 0.0, 1.0)
    shape = u * u * (3 - 2 * u)
    if e.kind == "tonic":
        shape = shape * (1 + 0.1 * np.sin(2 * np.pi * 0.2 * (t - e.onset_s)))
    elif e.kind == "clonic":
        phase = np.sin(2 * np.pi * e.rate_hz * (t - e.onset_s) - np.pi / 2)
        shape = shape * np.clip(0.5 + 1.5 * phase, 0.05, 1.0)
    return shape


def _artefact(e: TruthEvent, t: np.ndarray, motion_scale: float) -> np.ndarray:
    """Non-EMG voltage (µV) an event adds: motion swings and pops."""
    x = t - e.onset_s
    if e.kind == "position_change":
        d = e.offset_s - e.onset_s
        bump = np.sin(np.pi * np.clip(x / d, 0, 1)) ** 2
        return motion_scale * e.amplitude_uv * bump * np.sin(2 * np.pi * e.rate_hz * x)
    if e.kind == "pop":
        return np.where(x >= 0, e.amplitude_uv * np.exp(-np.maximum(x, 0) / (0.3 * (e.offset_s - e.onset_s))), 0.0)
    return np.zeros_like(t)


class NightGenerator:
    """Streams a planned night as µV samples (samples × muscles), ``SEGMENT_S`` seconds at a time."""

    def __init__(self, spec: NightSpec, events: list[TruthEvent] | None = None):
        self.spec = spec
        self.events = plan_night(spec) if events is None else events
        self.n_channels = len(spec.muscles)
        high = min(450.0, 0.45 * spec.fs)
        self._sos = signal.butter(2, [20.0, high], btype="bandpass", output="sos", fs=spec.fs)
        _, h = signal.sosfreqz(self._sos, worN=8192)
        self._gain = 1.0 / np.sqrt(np.mean(np.abs(h) ** 2))  # unit-variance output for white input
        if spec.model == "motor_units":
            from emgcramp.sim.motor_units import MotorUnitEMG, MotorUnitPool, PoolSpec

            pool = MotorUnitPool(PoolSpec(seed=spec.seed), spec.fs)
            self._pool = pool
            self._units = [MotorUnitEMG(pool, spec.seed if c == 0 else spec.seed * 131 + c)
                           for c in range(self.n_channels)]
            self._drive = [{id(e): pool.excitation_for(e.amplitude_uv * e.gain(c)) for e in self.events if e.gain(c)}
                           for c in range(self.n_channels)]
            self._twitches = [self._plan_twitches(c) for c in range(self.n_channels)]
        elif spec.model != "noise":
            raise ValueError(f"unknown EMG model {spec.model!r}")
        rng = np.random.default_rng([spec.seed, 1])
        self._wander = [(float(rng.uniform(0.05, 0.4)), float(rng.uniform(0, 2 * np.pi))) for _ in range(2)]

    def segments(self) -> Iterator[np.ndarray]:
        """Yield the night in order as (samples, muscles) float64 arrays (µV)."""
        zi = np.zeros((self.n_channels, self._sos.shape[0], 2))
        seg = int(round(SEGMENT_S * self.spec.fs))
        for k, start in enumerate(range(0, self.spec.n_samples, seg)):
            n = min(seg, self.spec.n_samples - start)
            out = np.empty((n, self.n_channels))
            for c in range(self.n_channels):
                key = [self.spec.seed, 2, k] if c == 0 else [self.spec.seed, 2, k, c]
                noise = np.random.default_rng(key).standard_normal(n)
                unit, zi[c] = signal.sosfilt(self._sos, noise * self._gain, zi=zi[c])
                out[:, c] = self._render(start, unit, c)
            yield out

    def blocks(self, block_samples: int) -> Iterator[Block]:
        """The night as :class:`~emgcramp.core.blocks.Block` s of ``block_samples`` (the last may be short)."""
        pending, t0 = np.empty((0, self.n_channels)), 0
        for seg in self.segments():
            pending = np.concatenate([pending, seg])
            while len(pending) >= block_samples:
                yield Block(t0, pending[:block_samples])
                pending, t0 = pending[block_samples:], t0 + block_samples
        if len(pending):
            yield Block(t0, pending)

    def _render(self, start: int, unit: np.ndarray, c: int) -> np.ndarray:
        spec = self.spec
        t = (start + np.arange(len(unit))) / spec.fs
        t0, t1 = t[0], t[-1]
        power = np.full(len(t), spec.rest_uv ** 2)
        drive = np.zeros(len(t))
        extra = np.zeros(len(t))
        active = [e for e in self.events if e.onset_s <= t1 + 5 and e.offset_s + 5 >= t0 and e.gain(c)]
        for e in active:
            if e.kind in ("pop", "lead_off"):
                continue
            if e.kind == "ecg":
                extra += e.amplitude_uv * _shape(e, t) * self._ecg(t)
                continue
            if spec.model == "motor_units":
                drive += self._drive[c][id(e)] * _shape(e, t)
            else:
                power += (e.amplitude_uv * e.gain(c) * _shape(e, t)) ** 2
            extra += e.gain(c) * _artefact(e, t, spec.motion_scale)
        x = unit * np.sqrt(power) + extra  # the noise model's EMG, or the rest floor alone
        if spec.model == "motor_units":
            x += self._units[c].render(np.minimum(drive, 1.0))
            self._stamp_twitches(x, start, self._twitches[c])
        for e in active:
            if e.kind == "pop":
                x += _artefact(e, t, spec.motion_scale)
        for f, ph in self._wander:
            x += spec.wander_uv * np.sin(2 * np.pi * f * t + ph)
        if spec.mains_uv:
            w = 2 * np.pi * spec.mains_hz * t
            x += spec.mains_uv * (np.sin(w) + 0.3 * np.sin(3 * w + 0.5))
        if spec.ecg_uv:
            x += spec.ecg_uv * self._ecg(t)
        np.clip(x, -spec.rail_uv, spec.rail_uv, out=x)
        for e in active:
            if e.kind == "lead_off":
                x[(t >= e.onset_s) & (t < e.offset_s)] = spec.rail_uv
        return x

    def _ecg(self, t: np.ndarray) -> np.ndarray:
        """QRS-like biphasic spikes (unit peak) at a slowly varying heart rate near 60/min."""
        beat = t * (1.0 + 0.1 * np.sin(2 * np.pi * t / 300.0))  # beats since the start, ~1 Hz
        phase = (beat - np.round(beat)) / 0.02  # within ±20 ms of each beat
        return -phase * np.exp(0.5 - 0.5 * phase ** 2)

    def _plan_twitches(self, c: int) -> np.ndarray:
        """Fasciculations during warnings, in the muscles they tense: lone discharges of large units, ~1 per second.

        Rows of (sample, unit), sorted by sample.
        """
        rng = np.random.default_rng([self.spec.seed, 3] if c == 0 else [self.spec.seed, 3, c])
        n_units = len(self._pool.rte)
        rows = []
        for e in self.events:
            if e.kind == "warning" and e.gain(c) >= 0.5:
                n = rng.poisson(e.offset_s - e.onset_s)
                times = rng.uniform(e.onset_s, e.offset_s, n)
                rows += [(int(t * self.spec.fs), int(u)) for t, u in zip(times, rng.integers(n_units // 2, n_units, n))]
        return np.array(sorted(rows), dtype=np.int64).reshape(-1, 2)

    def _stamp_twitches(self, x: np.ndarray, start: int, twitches: np.ndarray) -> None:
        muaps = self._pool.muaps
        half = muaps.shape[1] // 2
        lo, hi = np.searchsorted(twitches[:, 0], [start - half, start + len(x) + half])
        for sample, unit in twitches[lo:hi]:
            a, b = sample - half - start, sample - half - start + muaps.shape[1]
            x[max(a, 0):min(b, len(x))] += muaps[unit, max(-a, 0):muaps.shape[1] - max(b - len(x), 0)]

    def truth_dict(self) -> dict:
        """The truth as JSON-ready data (events, spec)."""
        drive = getattr(self, "_drive", [{}])[0]
        return {"spec": asdict(self.spec),
                "events": [asdict(e) | {"is_cramp": e.is_cramp, "drive": drive.get(id(e))} for e in self.events]}


def load_truth(path: str) -> list[TruthEvent]:
    """Read the truth JSON that ``emgcramp simulate`` writes beside a night."""
    with open(path) as f:
        data = json.load(f)
    return [TruthEvent(e["onset_s"], e["offset_s"], e["kind"], e["amplitude_uv"], e.get("rate_hz", 0.0),
                       gains=tuple(e.get("gains") or ()), ramp_s=e.get("ramp_s", 0.0), series=e.get("series", 0))
            for e in data["events"]]
