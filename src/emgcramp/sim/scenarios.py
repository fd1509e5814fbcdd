"""Named synthetic nights for the scoreboard, each stressing one thing.

Amplitudes are µV RMS at the calf; rest is the sleeping muscle's floor.
"""

from __future__ import annotations

from dataclasses import replace

from emgcramp.sim.plan import NightSpec

SCENARIOS: dict[str, NightSpec] = {
    # few events, none of them cramps: every detection is a false alarm
    "quiet": NightSpec(tonic=0, clonic=0, plm_series=2, position_changes=4, jerks=4, pops=1, lead_offs=0),
    "typical": NightSpec(),
    "frequent": NightSpec(fs=2000.0, tonic=10, clonic=5, plm_series=2, position_changes=6, jerks=6),
    # drying electrodes: pops, lead-offs, hum, wander, ECG bleed, a higher floor
    "noisy_electrodes": NightSpec(rest_uv=6.0, mains_uv=60.0, wander_uv=150.0, ecg_uv=40.0, pops=20, lead_offs=4),
    # cramps that engage only part of the muscle: 5–15 × rest
    "weak_cramps": NightSpec(cramp_uv=(20.0, 60.0)),
    # every cramp announced by 10–90 s of rising tension at 1.5–6 × rest (NightSpec.prodrome_*), with twitching
    "warned_cramps": NightSpec(warned_fraction=1.0),
    "short_cramps": NightSpec(tonic=10, clonic=0, tonic_duration_s=(3.0, 10.0)),
    "long_cramp": NightSpec(tonic=1, clonic=0, tonic_duration_s=(480.0, 600.0)),
    # MyoWare-class board on a 10-bit ADC: 500 Hz, more noise, saturates early
    "hobby_500hz": NightSpec(fs=500.0, rest_uv=8.0, mains_uv=40.0, rail_uv=1500.0),
    "mains_60hz": NightSpec(mains_hz=60.0, mains_uv=80.0),
    # restless legs: many PLM series, some movements as strong as a weak cramp (up to 25 × rest)
    "restless_legs": NightSpec(plm_series=12, lm_uv=(15.0, 100.0)),
    # lighter sleep: background tone that comes and goes over tens of seconds, and heartbeat bleed
    # for an hour or so; cramps may begin on top of either
    "light_sleep": NightSpec(tone_changes=24, ecg_periods=2),
    # restless sleep: the calf fires with arousals (in clusters), the foot is pointed and pulled up on waking
    "restless_sleep": NightSpec(arousals=60, plantar_flexions=4, stretches=4),
    # medial and lateral gastrocnemius and tibialis anterior: cramps in one head or both, voluntary
    # plantar flexions, stretches of the foot, half the cramps relieved by one
    "three_muscles": NightSpec(muscles=("GM", "GL", "TA"), plantar_flexions=6, stretches=4, relief_fraction=0.5),
}


def scenario(name: str, hours: float = 8.0, seed: int = 1) -> NightSpec:
    """The named scenario at a given length and seed."""
    try:
        return replace(SCENARIOS[name], hours=hours, seed=seed)
    except KeyError:
        raise KeyError(f"no scenario {name!r}; known: {', '.join(SCENARIOS)}") from None


# The stress sweep: one range at a time stretched beyond what the scenarios draw.
STRESS_STEPS = ("as drawn", "leg movements ×1.6 longer", "plantar flexions ×1.5 longer", "tone ×2",
                "ECG bleed ×2", "motion artefact ×0.3")


def stretched(spec: NightSpec, step: str) -> NightSpec:
    """``spec`` with the range of one of :data:`STRESS_STEPS` stretched."""
    def scale(r: tuple[float, float], k: float) -> tuple[float, float]:
        return r[0] * k, r[1] * k

    changes = {
        "as drawn": {},
        "leg movements ×1.6 longer": {"lm_duration_s": scale(spec.lm_duration_s, 1.6)},
        "plantar flexions ×1.5 longer": {"plantar_flexion_s": scale(spec.plantar_flexion_s, 1.5)},
        "tone ×2": {"tone_uv": scale(spec.tone_uv, 2.0), "tone_changes": max(spec.tone_changes, 12)},
        "ECG bleed ×2": {"ecg_period_uv": scale(spec.ecg_period_uv, 2.0), "ecg_periods": max(spec.ecg_periods, 2)},
        "motion artefact ×0.3": {"motion_scale": spec.motion_scale * 0.3},
    }[step]
    return replace(spec, **changes)
