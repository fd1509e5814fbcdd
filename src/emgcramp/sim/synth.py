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

from collections.abc import Iterator
from dataclasses import asdict

import numpy as np
from scipy import signal

from emgcramp.core.blocks import Block
from emgcramp.sim.plan import CRAMP_KINDS, NightSpec, TruthEvent, plan_night

SEGMENT_S = 10.0
# ECG bleed: a sleeping adult's heart near 60 beats/min (Trinder et al. 2001, J Sleep Res 10:253),
# swinging ±10 % over 5 minutes; HEART_SWING is the beat count that swing adds at its height.
HEART_PERIOD_S = 300.0
HEART_SWING = 0.1 * HEART_PERIOD_S / (2 * np.pi)
VOLUNTARY = ("plantar_flexion", "stretch")
# The motion a voluntary movement's start and end add, as a share of a position change's (NightSpec.motion_scale):
# a bench choice, the foot moves but the leg stays put.
VOLUNTARY_MOTION = 0.2


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
    elif e.kind in VOLUNTARY and e.ramp_s:
        rise = fall = min(e.ramp_s, 0.3 * d)
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
    if e.kind in VOLUNTARY and e.ramp_s:  # the foot moves as the push starts and as it ends
        d = e.offset_s - e.onset_s
        ramp = min(e.ramp_s, 0.3 * d)
        edges = np.sin(np.pi * np.clip(x / ramp, 0, 1)) ** 2 + np.sin(np.pi * np.clip((d - x) / ramp, 0, 1)) ** 2
        return VOLUNTARY_MOTION * motion_scale * e.amplitude_uv * edges * np.sin(2 * np.pi * e.rate_hz * x)
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
        """QRS-like biphasic spikes (unit peak) at a heart rate of 54-66 /min, swinging over 5 min.

        The beat count is the integral of the rate ``1 + 0.1·sin(2πt/300)`` Hz, so the rate stays
        in its range all night (a count of ``t·rate(t)`` would sweep the rate further with every hour).
        """
        beat = t + HEART_SWING * (1.0 - np.cos(2 * np.pi * t / HEART_PERIOD_S))  # beats since the start
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


