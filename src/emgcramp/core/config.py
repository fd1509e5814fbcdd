"""Settings of the signal chain and the detector, with the source of every number.

Frozen dataclasses: the library takes these, never command-line arguments.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields

DEFAULT_BAND_HZ = (20.0, 450.0)
DEFAULT_ENV_RATE_HZ = 50.0
# A signal flat this long (s) is lost (monitor): EMG, even at rest, never repeats sample for sample
# that long, and the status line must say so within seconds, not at the end of the night.
SIGNAL_LOST_S = 2.0
# Under this (µV RMS in the 20–450 Hz band) no surface EMG reads, at rest or not, whatever the amplifier:
# the thermal noise of the electrode–skin interface alone, √(4kTRB) at 310 K over B = 430 Hz, is 0.09 µV
# for R = 1 kΩ, and gelled electrodes on prepared skin present 1–100 kΩ. A rest level under it is not in
# µV (mV or V read as µV, a unit-less file unscaled), and the cramps in it go unseen.
ELECTRODE_NOISE_UV = 0.1
# Over this (µV RMS) no surface EMG reads even in a maximal contraction, let alone at rest: its amplitude spans
# 0-10 mV peak to peak, 0-1.5 mV RMS (De Luca 1997, J Appl Biomech 13:135, doi:10.1123/jab.13.2.135). A rest
# level over it is not in µV (a channel in mV labelled µV, counts unscaled), and every level then reads too high.
MAX_REST_UV = 1500.0
# µV per unit of a file's values (--scale, scale=): a volt (1e6) at most, a 32-bit converter's count (1e-3 µV at
# ±4.5 V, gain 24, far less) at least: beyond either no value is a voltage an electrode gives (1e308 overflowed).
SCALE_RANGE_UV = (1e-6, 1e6)


@dataclass(frozen=True)
class SegmentConfig:
    """The segmenter: envelopes, the rest level, ON/OFF hysteresis, gating (:mod:`emgcramp.detect.segment`).

    Durations in s, levels in µV, ratios × rest.
    """

    # The segmenter proposes, the decision decides: it must propose the weak cramps that hold at a few
    # × rest (partial cramps, Minetto et al. 2013, doi:10.1097/JES.0b013e3182724817), so ON sits at
    # 2.5 × rest, under the 3 × their held level reaches; chosen with bench/bench_families.py for the
    # share of true cramps proposed on every family. 2 × rest, chosen by leaving each family out in turn, raised the
    # left-out F1 by 0.03 on average, but the motor-unit held-out nights' false cramps (raised tone) from 0.24 to 0.34
    # an hour (bench_heldout.py), and 5 nights of a light sleeper's labels no longer halved theirs (bench_personal.py).
    on_ratio: float = 2.5
    # A ratio alone sits in a quiet amplifier's noise: each level is also this many µV over rest. OFF's 2 µV is
    # the AASM end of a leg movement (within 2 µV of rest; Ferri et al. 2016, doi:10.1016/j.sleep.2016.10.010),
    # ON's the next whole µV over it; both under the AASM's +8 µV onset of a leg movement.
    on_delta_uv: float = 3.0
    # OFF under ON (hysteresis: a held level that wavers about ON is one burst), over EDGE. Set by hand, not
    # fitted; what it costs is the share of cramps proposed (bench/bench_families.py, bench/RESULTS.md).
    off_ratio: float = 1.8
    off_delta_uv: float = 2.0
    # Episode edges: where the 0.1-s envelope leaves / returns to this level: the warning watch's tension
    # (warn_ratio = 1.5 × rest, below), so that a weak cramp's ramps count; its µV floor under OFF's.
    edge_ratio: float = 1.5
    edge_delta_uv: float = 1.5
    # A cramp's onset is found at most this far before its climb to ON: = long_window_s, the causal lag.
    max_rise_s: float = 0.5
    # An episode starts only when this share of the 0.5-s window is over ON: a lone twitch (one motor unit's
    # discharge) fills one or two of its 25 bins (8 %); set by hand between that and a held contraction's 100 %.
    sustain_fraction: float = 0.4
    # A rest level under this reads as this (µV), ten times ELECTRODE_NOISE_UV: set by hand, so that the ratios
    # over rest stay finite and the µV floors above decide on an input that is near silent.
    min_rest_uv: float = 1.0
    # Quiet shorter than this does not end a burst, so a clonic cramp's relaxations join: set by hand, short of
    # the AASM's 5-s shortest onset-to-onset spacing of a series' leg movements (Ferri et al. 2016).
    merge_gap_s: float = 2.0
    # Tonic cramps last to about ten minutes (Miller & Layzer 2005, doi:10.1002/mus.20341): 1.5 × that.
    max_duration_s: float = 900.0
    warmup_s: float = 5.0  # 1-s means of idle signal before the rest level is trusted: set by hand
    # RMS windows (s), within the 20–500 ms of common sEMG practice (Konrad 2005, The ABC of EMG): the long
    # one steadies the level, the short one times the edges.
    long_window_s: float = 0.5
    short_window_s: float = 0.1
    # Motion: the bin means' 1–20-Hz content (movement artefact: De Luca et al. 2010,
    # doi:10.1016/j.jbiomech.2010.01.027) over this × the EMG envelope and this many µV. Set by hand.
    motion_ratio: float = 1.5
    motion_min_uv: float = 20.0
    # Low-frequency voltage held longer than a leg movement lasts (0.5-10 s, the AASM scoring manual, as in
    # emgcramp.detect.movements) is no movement (heartbeat bleed, wander): from then on it teaches the rest level.
    motion_max_s: float = 10.0
    # A bin with this share of its samples repeated is flat (dead line): live EMG repeats under 10 % (field
    # excerpts, clip_fraction).
    flat_fraction: float = 0.9
    # A loud bin with this share of repeated samples is pinned at the rail (lead-off, saturation).
    # Live EMG at 16 bits repeats under 10 % of its samples (field excerpts, p99.9 of all bins).
    clip_fraction: float = 0.5
    # Inside an episode the rest level keeps learning while the envelope stays under this × rest:
    # twice the 5 × rest top of pre-cramp tension (the home-recording pilot of emgcramp.detect.precramp)
    # and of light-sleep tone. Set by hand.
    rest_follow_ratio: float = 10.0
    # Rest is this quantile of the idle 1-s means: low, so that the twitches and brief
    # movements of light sleep (a few s a minute) do not lift it, not the minimum, so one
    # quiet lull does not sink it (the usual low-percentile noise floor of EMG onset detection). Set by hand.
    rest_quantile: float = 0.2
    # The rest level takes a second's mean only when at least this share of it was idle: the second
    # then stands for rest, not for the start or end of a burst. Set by hand.
    rest_idle_share: float = 0.5
    # Motion is read in the raw bin means above this (Hz): below is baseline wander (sweat, temperature, the
    # electrode offset), above the motion artefacts of up to 20 Hz (De Luca et al. 2010, as above).
    motion_highpass_hz: float = 1.0
    # Clonic: the 0.1-s envelope alternates between above clonic_rise and below clonic_relax times the
    # episode's own peak: a full relaxation, to a fifth, from at least half. Set by hand; the rate and count
    # that make a burst clonic are judge.clonic_min_rises and clonic_min_rate_hz.
    clonic_rise: float = 0.5
    clonic_relax: float = 0.2
    # An episode also goes quiet under this share of its own largest 0.5-s envelope, so that with the
    # low OFF above a burst on raised tone ends with the burst and does not chain into the next one;
    # a clonic cramp's relaxations are shorter than merge_gap_s. Chosen with bench/bench_families.py.
    drop_ratio: float = 0.15


# How far a person's labels may move any burst's log-odds (emgcramp.detect.personal): about the median log-odds
# by which the cramps the shipped decision finds clear its cramp threshold over the 96 one-hour nights of
# bench/bench_families.py (0.96 when set, rounded down to a tenth; 0.74, then 0.97 for the models refitted since:
# kept at 0.9 so that the profiles and night folders written under it stay readable).
# So an adjustment moves a typical cramp about to the threshold and no further, and a look-alike the model is
# much surer of than of a typical cramp stays beyond what a person's labels can undo.
PERSONAL_MAX_LOGIT = 0.9


@dataclass(frozen=True)
class JudgeConfig:
    """What the decision weighs beside its fitted model (:mod:`emgcramp.detect.decide`).

    Durations in s, levels in µV. The model's weights and tier thresholds
    live in ``emgcramp/detect/model.json``, fitted by ``bench/bench_families.py``.
    """

    # Cramps last from seconds to minutes (Miller & Layzer 2005, doi:10.1002/mus.20341); the user's --min-duration.
    min_duration_s: float = 3.0
    # Over this share of a burst lost (dead line, input at the rail), there is no EMG left to judge: a fifth,
    # set by hand.
    max_flat_fraction: float = 0.2
    # The 30 s before a burst are its background (contrast, the tone it rose from); the last second
    # is left out, it holds the climb. Set by hand: as long as the longest arousal burst (a quarter minute)
    # and more, shorter than the tens of seconds over which sleep depth moves tone.
    background_s: float = 30.0
    # Probability thresholds of the two tiers; None: the fitted model's own (model.json, bench/bench_families.py).
    cramp_probability: float | None = None
    possible_probability: float | None = None
    # A person's own adjustment, learned from their labelled nights (calibrate --learn; emgcramp.detect.personal,
    # bench/bench_personal.py): added to each burst's log-odds, offset + Σ weight × standardised input
    # (weights as (input, log-odds per SD) pairs), the sum held within ±PERSONAL_MAX_LOGIT.
    personal_logit_offset: float = 0.0
    personal_weights: tuple[tuple[str, float], ...] = ()
    # An episode with motion artefact in more than this share of its bins is flagged ``motion`` for
    # review (one bin in twenty, set by hand): a note in the record, it changes no decision.
    motion_flag_fraction: float = 0.05
    # Clonic: the 0.1-s envelope rises and relaxes at least this often, at this rate or faster: three
    # contractions within 12 s. Set by hand; the kind names a burst, the decision weighs clonic_rate_hz.
    clonic_min_rises: int = 3
    clonic_min_rate_hz: float = 0.25
    mvc_uv: float | None = None  # the person's maximal contraction (µV; --mvc-uv, a profile): the user's


@dataclass(frozen=True)
class MovementConfig:
    """Leg movements and PLM series by the AASM/WASM rules (:mod:`emgcramp.detect.movements`).

    Durations in s, levels in µV, ratios × rest.
    """

    # Leg-movement sized bursts and their spacing in a series (AASM/WASM).
    lm_min_s: float = 0.5
    lm_max_s: float = 10.0
    lm_min_interval_s: float = 5.0
    lm_series_window_s: float = 90.0
    # Leg-movement scoring (AASM): onset +8 µV over rest, end after 0.5 s within +2 µV; series of 4.
    lm_on_delta_uv: float = 8.0
    lm_off_delta_uv: float = 2.0
    lm_end_quiet_s: float = 0.5
    # No LM starts within this of signal loss: the 0.5-s envelope window and the band-pass's
    # settling as the signal returns (a 20-Hz 4th-order high edge rings for about 0.2 s), rounded up by hand.
    lm_settle_s: float = 1.0
    # A PLM series: at least this many LMs in a row (AASM/WASM, Ferri et al. 2016).
    plm_min_count: int = 4
    # A short burst this many times stronger than the median LM of its series is a cramp among them
    # (emgcramp.detect.decide.in_series): PLMs are stereotyped in strength. Set by hand.
    plm_cramp_peak_ratio: float = 4.0


@dataclass(frozen=True)
class WarningConfig:
    """The pre-cramp watch (:mod:`emgcramp.detect.precramp`).

    Durations in s, levels in µV, ratios × rest.
    """

    # Pre-cramp watch (emgcramp.detect.precramp, where the pilot they come from is): tension ≥ warn_ratio × rest
    # (or warn_delta_uv over it) over most of a window of warn_window_s; a twitch at twitch_ratio × the envelope
    # around it. The counts and times set by hand: twitches three at least, no warning for warn_refractory_s
    # after an episode (the calf settles), a warning announces a cramp that starts within warn_link_s of its end.
    warn_ratio: float = 1.5
    warn_delta_uv: float = 2.0
    warn_window_s: float = 10.0
    twitch_ratio: float = 3.0
    warn_min_twitches: int = 3
    warn_refractory_s: float = 30.0
    warn_link_s: float = 30.0
    # A warning opens when this share of the window is tense ("most of it": the pilot's tension
    # held for ~40 s, so most of a 10-s window), or the lower share with warn_min_twitches
    # twitches (twitching sometimes comes first); it closes after half a window under the lower share.
    warn_tense_share: float = 0.8
    warn_tense_share_with_twitches: float = 0.5
    # Tension is 2–5 × rest before a cramp (the home-recording pilot above): past 5 × rest, or 10 µV
    # over it on a quiet amplifier, a burst is a contraction, which ends a warning and is no twitch.
    contraction_ratio: float = 5.0
    contraction_delta_uv: float = 10.0
    # ... held that long (s): a twitch lifts the 0.5-s envelope for one window (0.5 s) at most: = 2 windows.
    contraction_s: float = 1.0


@dataclass(frozen=True)
class MuscleConfig:
    """Several muscles of one leg (:mod:`emgcramp.detect.muscles`).

    Durations in s, levels in µV, ratios × rest.
    """

    # Several muscles (emgcramp.detect.muscles): involved at involve_ratio × own rest; tibialis co-active
    # at coactive_ratio × rest over the first 2 s; a voluntary plantar flexion lasts at most voluntary_max_s.
    # Set by hand on the scenario three_muscles (below); no generator family has a tibialis to fit them on.
    involve_ratio: float = 3.0
    coactive_ratio: float = 2.0
    voluntary_max_s: float = 15.0
    # The onset window: a voluntary flexion's co-contraction comes with the onset, a relief stretch
    # seconds later (a person woken by the cramp). Involvement is judged on at least the first second.
    # A stretch has the tibialis active over at least stretch_share of the episode; a warning while it
    # works over warning_stretch_share is the calf stirred by a stretch. Set by hand on the tuning scenario
    # three_muscles (emgcramp.sim.scenarios), the only one with a tibialis.
    onset_window_s: float = 2.0
    min_involve_s: float = 1.0
    stretch_share: float = 0.5
    warning_stretch_share: float = 0.3


SECTION_OF = {name: section for section, cls in (
    ("segment", SegmentConfig), ("judge", JudgeConfig), ("movements", MovementConfig),
    ("warnings", WarningConfig), ("muscles", MuscleConfig)) for name in (f.name for f in fields(cls))}


@dataclass(frozen=True)
class DetectorConfig:
    """Detector settings, one section per concern.

    Parameters
    ----------
    segment : SegmentConfig
        The segmenter's levels (× rest), windows and durations (s).
    judge : JudgeConfig
        The decision's settings: the shortest cramp (``min_duration_s``, s), the tiers' thresholds
        (``cramp_probability``, ``possible_probability``), the MVC (``mvc_uv``, µV), a person's adjustment.
    movements : MovementConfig
        Leg-movement scoring by the AASM rules.
    warnings : WarningConfig
        The pre-cramp watch.
    muscles : MuscleConfig
        The rules for several muscles of one leg.
    """

    segment: SegmentConfig = field(default_factory=SegmentConfig)
    judge: JudgeConfig = field(default_factory=JudgeConfig)
    movements: MovementConfig = field(default_factory=MovementConfig)
    warnings: WarningConfig = field(default_factory=WarningConfig)
    muscles: MuscleConfig = field(default_factory=MuscleConfig)

    def replace(self, **changes) -> "DetectorConfig":
        """A copy with some settings changed, by their names in the sections.

        Parameters
        ----------
        **changes
            Settings by name, whatever their section (``min_duration_s=5.0``, ``cramp_probability=0.8``);
            ``None`` values are ignored.

        Returns
        -------
        DetectorConfig
            The copy.
        """
        unknown = set(changes) - set(SECTION_OF)
        if unknown:
            raise TypeError(f"no detector setting {sorted(unknown)[0]!r}")
        by_section: dict[str, dict] = {}
        for name, value in changes.items():
            if value is not None:
                by_section.setdefault(SECTION_OF[name], {})[name] = value
        sections = {s: dataclasses.replace(getattr(self, s), **v) for s, v in by_section.items()}
        return dataclasses.replace(self, **sections)


# A cramp can exceed a voluntary maximum somewhat (it recruits without the will's limits), but
# by more than half again the MVC on file was not maximal.
MAX_PCT_MVC = 150.0


@dataclass(frozen=True)
class PipelineConfig:
    """Signal-chain settings.

    Parameters
    ----------
    band : tuple of float
        The EMG band-pass, Hz (its top held under 0.45 × the sampling rate).
    order : int
        The band-pass's order.
    mains : str or float
        ``"auto"`` (find the hum in the first 8 s; its lines then looked at every 2 s, its harmonics every
        10 min), ``50``, ``60`` or ``"off"``.
    env_rate : float
        The detector's rate, Hz: the envelope's bins per second.
    detector : DetectorConfig
        The detector's settings.
    """

    band: tuple[float, float] = DEFAULT_BAND_HZ
    order: int = 4
    mains: str | float = "auto"
    env_rate: float = DEFAULT_ENV_RATE_HZ
    detector: DetectorConfig = field(default_factory=DetectorConfig)
