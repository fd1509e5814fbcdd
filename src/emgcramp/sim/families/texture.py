"""Texture family: synthetic nights spliced from REAL leg-EMG recordings.

Principle
---------
Nothing in the muscle signal is synthesised from a model of motor units or of
filtered noise.  Every stretch of muscle activity is a cut of a real surface-EMG
recording from ``recordings/real/`` (see the ``SOURCE.md`` beside each CSV):

* rest texture: the calf channel (LG) while the calf is quiet, looped over the
  whole night with random offsets, time reversal and sign flips, joined by
  power-complementary cross-fades so no seam or repeat is visible;
* contraction texture: isometric holds (Silva et al. 2024), for cramps,
  arousals and voluntary stretches / plantar flexions;
* walking bursts: phasic calf bursts of treadmill walking (Santuz et al. 2020),
  for leg movements, jerks and position changes.

Each cut is high-passed, resampled to the night's sampling rate (anti-alias
filter included), normalised, scaled to a drawn level and spliced into the
night with a cross-fade.  Only the artefacts that no recording here contains
(mains hum, baseline wander, ECG bleed, electrode pops, lead-off, ADC
saturation, motion swings) are drawn from simple waveforms.

Every drawn range is in the constants block below with its source.  Where the
literature gives no number the value is marked "bench choice".  Event
densities are bench choices: they are far above real nocturnal-cramp rates
(most sufferers have at most one episode a night, Naylor & Young 1994) so that
a one-hour night holds enough cramps and look-alikes to score a detector.

This module shares no code and no number with the rest of ``emgcramp`` and
imports nothing from it.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
from scipy import signal

# =============================================================================
# Constants: every number that shapes a night, each with its source.
# "bench choice" = not taken from the literature; chosen to make the bench hard.
# =============================================================================

# --- real recordings ---------------------------------------------------------
# Silva DA, Castelo Branco NFL, Andrade Mesquita LS, Castelo Branco HMG,
# Barreto GA (2024) Biomed Signal Process Control 88:105635,
# doi:10.1016/j.bspc.2023.105635 (CC0): 10-s isometric holds, 2000 Hz, µV.
# Santuz A et al. (2020) iScience 23:100796, doi:10.1016/j.isci.2019.100796,
# via R package musclesyneRgies (MIT): treadmill walking, 1000 Hz, µV.
_ISO = "elderly_ta_lg_isometric"
_WALK = "santuz_walking_lowerlimb"
REST_SOURCES: tuple[tuple[str, str], ...] = (
    # SOURCE.md: calf-quiet LG ~2.7 µV RMS (VL trial), ~3.5 µV RMS (TA trial).
    (f"{_ISO}/ID4_VL_knee_extension_hold_calf_quiet.csv", "LG"),
    (f"{_ISO}/ID4_TA_dorsiflexion_hold.csv", "LG"),
)
HOLD_SOURCES: tuple[tuple[str, str], ...] = (
    # Channels that are clearly contracting in each hold (SOURCE.md: 44-99 µV RMS).
    (f"{_ISO}/ID4_TA_dorsiflexion_hold.csv", "TA"),
    (f"{_ISO}/ID4_TA_dorsiflexion_hold.csv", "VL"),
    (f"{_ISO}/ID4_VL_knee_extension_hold_calf_quiet.csv", "VL"),
    (f"{_ISO}/ID4_LG_plantarflexion_hold.csv", "BF"),
    (f"{_ISO}/ID4_LG_plantarflexion_hold.csv", "TA"),
)
WALK_SOURCES: tuple[tuple[str, str], ...] = tuple(
    (f"{_WALK}/ID0012_TW_01_raw_emg.csv", ch) for ch in ("GM", "GL", "SO", "PL", "TA")
)

# --- sampling rate and front end ---------------------------------------------
# 250 Hz: OpenBCI Cyton (TI ADS1299) default rate with 8 channels (OpenBCI docs).
# 500 Hz: AASM manual (Iber et al. 2007) "desirable" EMG sampling rate for PSG.
# 1000-4000 Hz: SENIAM (Hermens et al. 2000, J Electromyogr Kinesiol 10:361,
# doi:10.1016/S1050-6411(00)00027-4) low-pass "near 500 Hz" needs >= 1 kHz.
FS_CHOICES_HZ: tuple[float, ...] = (250.0, 500.0, 1000.0, 2000.0, 4000.0)
FS_PROBS: tuple[float, ...] = (0.25, 0.1875, 0.1875, 0.1875, 0.1875)  # 250 Hz ~1 night in 4 (brief)
# High-pass applied to every real cut before use: De Luca et al. 2010, J Biomech
# 43:1573, doi:10.1016/j.jbiomech.2010.01.027 (20 Hz corner); also the
# SAS1000's own 20-500 Hz hardware band (Silva et al. 2024).
HIGHPASS_HZ = 20.0
HIGHPASS_ORDER = 4  # bench choice
EDGE_TRIM_S = 0.25  # drop filter/resampler edge transients of each cut: bench choice
# Probability that a non-250-Hz night is a hobby (DC-coupled ADS1299-type) board: bench choice.
P_HOBBY = 0.3
# ADC rails (µV, referred to input).  Research front end: the SAS1000 of Silva
# et al. 2024 steps by ~2.44 µV over 12 bits -> 4096 * 2.44 / 2 ~ +/-5 mV.
# Hobby: ADS1299 full scale +/-VREF/gain = 4.5 V / 24 = +/-187.5 mV (TI ADS1299 datasheet).
RAIL_RESEARCH_UV = 5000.0
RAIL_HOBBY_UV = 187500.0

# --- rest tone -----------------------------------------------------------------
# Rest level (RMS of the rest texture, µV).  Calf-quiet LG in Silva et al. 2024
# is 2.7-3.5 µV RMS; PSG leg-movement scoring puts LM onset at +8 µV above
# resting EMG (Ferri et al. 2016, Sleep Med 26:86, doi:10.1016/j.sleep.2016.10.010),
# which presumes resting leg EMG of a few µV.  Wide range: bench choice.
REST_UV = (1.5, 10.0)
# Sleep-depth tone drift: bout length and multiplicative level.  Sleep is scored
# in 30-s epochs and muscle tone falls from wake to NREM to REM atonia (AASM
# manual, Iber et al. 2007); bouts 30 s - 20 min, level x0.6-1.6 and transition
# width tens of seconds (brief): bench choice.
DRIFT_BOUT_S = (30.0, 1200.0)
DRIFT_FACTOR = (0.6, 1.6)
DRIFT_TRANSITION_S = (10.0, 60.0)
TONE_GRID_S = 0.1  # resolution of the slow tone curve: bench choice
# Tone step after waking ("tone_step"): rate per hour, factor, duration, onset
# rise and decay: bench choice (brief: "steps up after waking, stays minutes").
TONE_STEP_RATE_PER_H = (0.5, 3.0)
TONE_STEP_FACTOR = (1.5, 4.0)
TONE_STEP_DUR_S = (120.0, 1200.0)
TONE_STEP_RISE_S = (1.0, 5.0)
TONE_STEP_DECAY_S = (10.0, 60.0)

# --- texture splicing -----------------------------------------------------------
# Segment length and cross-fade when looping a 10-s recording: bench choice
# (segments shorter than the 10-s source; fades >> one 20-Hz period).
SEG_S = (0.8, 4.0)
XFADE_S = (0.08, 0.3)
# Walking bursts: envelope window and burst-peak detection: bench choice.
WALK_ENV_S = 0.05
WALK_PEAK_GAP_S = 0.3

# --- cramps ---------------------------------------------------------------------
# Rate: bench choice (brief 3-8 per hour; real sufferers: mostly < 1 per night,
# Naylor & Young 1994, Age Ageing 23:418, doi:10.1093/ageing/23.5.418).
CRAMP_RATE_PER_H = (3.0, 8.0)
# Duration: "few seconds to 10 min" (Sleep-related leg cramps, in The Parasomnias
# and Other Sleep-Related Movement Disorders, Cambridge UP 2010, pp. 244-251);
# "seconds to minutes" (Minetto et al. 2013, Exerc Sport Sci Rev 41:3,
# doi:10.1097/JES.0b013e3182724817); survey mean 9 min, 95% CI 6.7-11.2
# (Naylor & Young 1994).  Log-normal with median 60 s (brief "~1 min typical"),
# sigma 1.0, clipped to 3-600 s: shape is a bench choice.
CRAMP_DUR_S = (3.0, 600.0)
CRAMP_DUR_MEDIAN_S = 60.0
CRAMP_DUR_LOG_SIGMA = 1.0
# Strong cramp plateau (x rest).  Real holds in Silva et al. 2024 are 44-99 µV
# RMS against 2.7-3.5 µV calf-quiet, i.e. x13-37 at sub-maximal effort; cramp
# size varies with drive (Minetto et al. 2009, Neurophysiol Clin 39:15,
# doi:10.1016/j.neucli.2008.11.002).  Range: bench choice overlapping voluntary.
CRAMP_STRONG_X = (8.0, 80.0)
# Partial / weak cramps: a cramp can involve only part of a muscle (Minetto et
# al. 2013; a slowly moving fraction of fibres, Roeleveld et al. 2000, J Appl
# Physiol 88:1698, doi:10.1152/jappl.2000.88.5.1698; one gastrocnemius head
# only, Khan & Burne 2007, J Neurophysiol 98:1102, doi:10.1152/jn.00371.2007),
# so the surface sees only a few x rest.  Level and hold: brief, bench choice.
P_WEAK = 0.35
CRAMP_WEAK_X = (2.0, 5.0)
CRAMP_WEAK_DUR_S = (20.0, 300.0)
# Onset rise and relaxation: "sudden" (Minetto et al. 2013); brief: fraction of
# a second to several seconds.  Relaxation range: bench choice.
CRAMP_RISE_S = (0.2, 5.0)
CRAMP_FALL_S = (0.5, 8.0)
# Waxing and waning of the plateau (moving active fraction, Roeleveld et al.
# 2000): depth and rate are bench choices.
CRAMP_WAX_DEPTH = (0.1, 0.35)
CRAMP_WAX_HZ = (0.05, 0.5)
# Clonic cramps: contraction alternating with relaxation at 0.3-3 Hz (brief),
# duty and relaxed level: bench choice.
P_CLONIC = 0.35
CLONIC_HZ = (0.3, 3.0)
CLONIC_DUTY = (0.3, 0.7)
CLONIC_LOW_X = (1.0, 2.0)
CLONIC_JITTER = 0.15  # relative rate wander: bench choice
# Aftershock (second, shorter cramp soon after a long one): bench choice.
P_AFTERSHOCK = 0.4
AFTERSHOCK_MIN_PARENT_S = 30.0
AFTERSHOCK_DELAY_S = (5.0, 120.0)
AFTERSHOCK_DUR_FRAC = (0.1, 0.5)
AFTERSHOCK_LEVEL_FRAC = (0.3, 1.0)
# Relief stretch after a cramp (forceful stretching relieves it: Allen & Kirby
# 2012, Am Fam Physician 86:350): probability, gap, duration, calf level are
# bench choices.
P_RELIEF = 0.5
RELIEF_MIN_PARENT_S = 10.0
RELIEF_GAP_S = (0.0, 5.0)
RELIEF_DUR_S = (5.0, 40.0)
RELIEF_X = (1.5, 6.0)

# --- look-alikes -------------------------------------------------------------------
# Arousals: index 13.8-27.1 per hour by age group, duration 14.9 +/- 2.3 s
# (Boselli et al. 1998, Sleep 21:351, doi:10.1093/sleep/21.4.351; see also
# Bonnet & Arand 2007, J Clin Sleep Med 3:271); >= 3 s (ASDA 1992, Sleep 15:173,
# doi:10.1093/sleep/15.2.173).  Brief: 10-40 per hour, few s to ~15 s.
AROUSAL_RATE_PER_H = (10.0, 40.0)
AROUSAL_DUR_S = (3.0, 18.0)
AROUSAL_X = (3.0, 30.0)  # brief "a few to tens x rest": bench choice
AROUSAL_RISE_S = (0.1, 0.6)  # "quick rise": bench choice
AROUSAL_FALL_S = (0.3, 2.0)  # bench choice
AROUSAL_WAX_DEPTH = (0.05, 0.3)  # bench choice
# Voluntary stretch / plantar flexion: rate bench choice; rise >= 1 s (brief;
# voluntary force build-up takes seconds, Kroemer & Marras 1980, Eur J Appl
# Physiol 45:1, doi:10.1007/BF00421195); plateau x rest: sub-maximal holds are
# x13-37 rest in Silva et al. 2024 and plantar-flexor EMG grows non-linearly
# towards maximal effort (Diong et al. 2022, PLoS One 17:e0277947,
# doi:10.1371/journal.pone.0277947), so a large share of max effort spans
# x10-100: bench choice overlapping strong cramps.
VOLUNTARY_RATE_PER_H = (2.0, 6.0)
VOLUNTARY_DUR_S = (2.0, 45.0)
VOLUNTARY_X = (10.0, 100.0)
VOLUNTARY_RISE_S = (1.0, 3.0)
VOLUNTARY_FALL_S = (0.5, 2.0)
VOLUNTARY_WAX_DEPTH = (0.03, 0.15)
# Motion artefact at start/end of a voluntary movement: movement artefact lives
# below ~20 Hz (De Luca et al. 2010); amplitude and length: bench choice.
MOTION_BAND_HZ = (0.5, 15.0)
MOTION_UV = (20.0, 400.0)
MOTION_DUR_S = (0.3, 1.5)
# Periodic leg movements: LM 0.5-10 s, series >= 4, inter-movement interval
# 10-90 s (WASM, Ferri et al. 2016) or 5-90 s (AASM manual, Berry et al.);
# onset +8 µV above rest (both).  Series rate per hour (brief 0-3), series
# length cap, burst amplitude top and inter-burst tone: bench choice.
PLM_SERIES_RATE_PER_H = (0.5, 3.0)
PLM_LM_DUR_S = (0.5, 10.0)
PLM_IMI_S = (5.0, 90.0)
PLM_MIN_COUNT = 4
PLM_MAX_COUNT = 30
PLM_DELTA_UV = (8.0, 100.0)
PLM_IMI_JITTER = 0.15
PLM_TONE_X = (1.0, 1.5)
PLM_MAX_NIGHT_FRAC = 0.15
PLM_RISE_S = (0.05, 0.3)
PLM_FALL_S = (0.1, 0.5)
# Position changes: 2.1-4.7 shifts per hour by age (De Koninck et al. 1992,
# Sleep 15:143, doi:10.1093/sleep/15.2.143), 1.6 +/- 0.7 per hour by
# accelerometry (Skarpsno et al. 2017, Nat Sci Sleep 9:267,
# doi:10.2147/NSS.S145777).  Duration, swing, burst: bench choice.
POSITION_RATE_PER_H = (1.5, 5.0)
POSITION_DUR_S = (2.0, 10.0)
POSITION_SWING_UV = (50.0, 1500.0)
POSITION_SWING_HZ = (0.3, 5.0)
POSITION_BURST_S = (1.0, 6.0)
POSITION_X = (3.0, 30.0)
# Jerks (hypnic / myoclonic, < 1 s, brief): rate, duration, level: bench choice.
JERK_RATE_PER_H = (2.0, 15.0)
JERK_DUR_S = (0.1, 1.0)
JERK_X = (5.0, 50.0)
# Electrode pop: sudden jump with a drift back to baseline (Greenfield in
# Ebersole & Pedley, Clinical Practice of EEG; Tatum et al. 2011, J Clin
# Neurophysiol 28:252, doi:10.1097/WNP.0b013e31821c3c93).  Numbers: bench choice.
POP_RATE_PER_H = (0.5, 6.0)
POP_STEP_UV = (50.0, 1500.0)
POP_TAU_S = (0.05, 2.0)
POP_SPAN_TAU = 5.0  # event lasts 5 time constants, then a short taper to zero: bench choice
# Lead-off (flat or pinned at a rail, seconds to minutes): bench choice.
LEAD_OFF_RATE_PER_H = (0.3, 1.5)
LEAD_OFF_DUR_S = (2.0, 300.0)
LEAD_OFF_FLAT_UV = 100.0
# ADC saturation: electrode offsets up to +/-300 mV must be tolerated by ECG
# front ends (IEC 60601-2-27 / AAMI EC11), so an offset jump can exceed a
# +/-187.5 mV ADS1299 range.  Rate, duration, overshoot: bench choice.
SAT_RATE_PER_H = (0.3, 2.0)
SAT_DUR_S = (0.2, 20.0)
SAT_OVERSHOOT = (1.1, 2.0)
SAT_RISE_S = (0.005, 0.05)
SAT_TAU_S = (0.05, 0.5)
# Minimum quiet gap between two scheduled events: bench choice.
MIN_GAP_S = 5.0

# --- ECG bleed --------------------------------------------------------------------
# Cardiac interference in PSG leg EMG is common enough that detectors cancel it
# (Moore et al. 2014, PLoS One 9:e114565, doi:10.1371/journal.pone.0114565);
# strongest on the trunk (Drake & Callaghan 2006, J Electromyogr Kinesiol 16:175,
# doi:10.1016/j.jelekin.2005.07.003).  Heart rate: AASM scores sleep
# bradycardia < 40 bpm and tachycardia > 90 bpm in adults; 45-100 bpm keeps the
# normal range plus brief surges.  QRS < 120 ms normal (Surawicz et al. 2009,
# J Am Coll Cardiol 53:976, doi:10.1016/j.jacc.2008.12.014).  Presence,
# episode count/length, amplitude at the calf and beat jitter: bench choice.
P_ECG = 0.7
ECG_EPISODES = (1, 3)
ECG_EPISODE_S = (600.0, 7200.0)
ECG_RAMP_S = (60.0, 600.0)
ECG_HR_BPM = (45.0, 100.0)
ECG_QRS_UV = (2.0, 40.0)
ECG_QRS_S = (0.08, 0.11)
ECG_RR_JITTER = (0.02, 0.06)

# --- mains hum and baseline wander ------------------------------------------------
# Mains 50 or 60 Hz with harmonics; the largest extraneous noise in bio-signals
# (Mewett et al. 2004, Med Biol Eng Comput 42:524, doi:10.1007/BF02350994).
# Amplitudes (fundamental, µV peak) and harmonic decay: bench choice.
MAINS_HZ = (50.0, 60.0)
MAINS_RESEARCH_UV = (0.2, 10.0)
MAINS_HOBBY_UV = (2.0, 100.0)
MAINS_HARMONICS = 5
MAINS_HARMONIC_REL = (0.05, 0.5)
MAINS_MOD_X = (0.5, 1.5)
MAINS_MOD_PERIOD_S = 60.0
# Baseline wander: low-frequency electrode/motion noise (De Luca et al. 2010);
# hobby DC-coupled boards: hundreds of µV (brief).  RMS in µV and corner: bench choice.
WANDER_RESEARCH_UV = (2.0, 30.0)
WANDER_HOBBY_UV = (100.0, 800.0)
WANDER_CORNER_HZ = (0.05, 1.0)


# =============================================================================
# Public entry point
# =============================================================================


def generate(
    seed: int,
    hours: float = 1.0,
    fs: float | None = None,
    data_dir: str | None = None,
) -> tuple[np.ndarray, float, list[dict]]:
    """Generate one synthetic night from spliced real leg-EMG texture.

    Parameters
    ----------
    seed : int
        Seed of the night; the same seed (and arguments) gives the same night.
    hours : float, optional
        Length of the night in hours (default 1.0).
    fs : float or None, optional
        Sampling rate in Hz.  ``None`` draws it from {250, 500, 1000, 2000,
        4000} Hz with 250 Hz about one night in four.
    data_dir : str or None, optional
        Folder holding ``elderly_ta_lg_isometric/`` and
        ``santuz_walking_lowerlimb/``.  ``None`` uses the repository's
        ``recordings/real``.

    Returns
    -------
    x : numpy.ndarray
        The night, float32, shape ``(round(hours * 3600 * fs),)``, in µV.
    fs : float
        Sampling rate in Hz.
    events : list of dict
        Truth, sorted by onset.  Keys: ``onset_s`` and ``offset_s`` (s),
        ``kind`` (``"tonic"``/``"clonic"`` for cramps, otherwise ``"arousal"``,
        ``"stretch"``, ``"plantar_flexion"``, ``"tone_step"``, ``"plm"``,
        ``"position_change"``, ``"jerk"``, ``"pop"``, ``"lead_off"``,
        ``"saturation"``, ``"ecg"``), ``is_cramp`` (bool),
        ``strength_x_rest`` (plateau envelope RMS over the local rest RMS at
        onset, both measured above 20 Hz at the night's ``fs``; burst-peak
        level for walking-texture events; step factor for ``tone_step``; NaN
        for pure artefacts) and extra keys such as ``source`` (provenance of the real
        texture), ``weak``, ``aftershock``, ``relief``, ``series_id``.

    Raises
    ------
    FileNotFoundError
        If the recordings folder or one of its CSV files is missing.
    ValueError
        If ``hours`` or ``fs`` is not positive.

    Notes
    -----
    Event densities (about 3-8 cramps, 10-40 arousals, 0.5-3 PLM series,
    1.5-5 position changes per hour, ...) are bench choices, far denser than
    real nights.  Mains hum, baseline wander and ECG bleed are added on top,
    so a narrower measuring band (e.g. 30-450 Hz, mains notched) sees the
    contraction-to-rest ratio slightly higher than ``strength_x_rest``
    because the rest texture is broadband.
    """
    if not hours > 0:
        raise ValueError(f"hours must be > 0, got {hours!r}")
    root = _resolve_data_dir(data_dir)
    rng = np.random.default_rng(seed)
    fs_drawn = _draw_fs(rng)  # always drawn: a seed's event schedule is the same whatever `fs` is passed
    fs = fs_drawn if fs is None else float(fs)
    if not fs > 0:
        raise ValueError(f"fs must be > 0, got {fs!r}")
    duration = hours * 3600.0
    n = round(duration * fs)
    pools = _pools(str(root), fs)
    board = _draw_board(rng, fs)
    events = _schedule(rng, duration)
    steps = _draw_tone_steps(rng, duration)
    tone_t, tone = _tone_curve(rng, duration, steps, events)
    x = _rest_layer(rng, n, fs, pools, board, tone_t, tone)
    extras: list[tuple[int, np.ndarray]] = []
    for ev in events:
        _render_tissue(x, fs, rng, pools, ev, board["rest_uv"], tone_t, tone, extras)
    _add_continuous(x, fs, rng, board, duration)
    for a, add in extras:
        x[a : a + add.size] += add
    ecg = _add_ecg(x, fs, rng, duration)
    for ev in events:
        _render_artefact(x, fs, ev, board["rail_uv"])
    np.clip(x, -board["rail_uv"], board["rail_uv"], out=x)
    return x, fs, _public(events + steps + ecg, duration)


# =============================================================================
# Data: locate, load once, prepare per sampling rate
# =============================================================================


def _resolve_data_dir(data_dir: str | None) -> Path:
    """Return the recordings folder, checking every CSV the family uses.

    Parameters
    ----------
    data_dir : str or None
        Override; ``None`` means ``<repo>/recordings/real``.

    Returns
    -------
    pathlib.Path
        The folder.

    Raises
    ------
    FileNotFoundError
        If the folder or a needed CSV is missing.
    """
    # This file sits at <repo>/src/emgcramp/sim/families/, so the repo is parents[4].
    root = Path(data_dir) if data_dir is not None else Path(__file__).resolve().parents[4] / "recordings" / "real"
    if not root.is_dir():
        raise FileNotFoundError(
            f"texture family: recordings folder not found: {root} "
            "(pass data_dir= pointing at the folder that holds "
            f"{_ISO}/ and {_WALK}/)"
        )
    for rel, _ in REST_SOURCES + HOLD_SOURCES + WALK_SOURCES:
        if not (root / rel).is_file():
            raise FileNotFoundError(f"texture family: missing recording {root / rel}")
    return root


@functools.cache
def _read_csv(path: str) -> tuple[float, dict[str, np.ndarray]]:
    """Read one recording CSV once per process.

    Parameters
    ----------
    path : str
        CSV with a header row and a ``time_s`` first column.

    Returns
    -------
    fs : float
        Sampling rate in Hz, from the time column.
    columns : dict of str to numpy.ndarray
        Each column (µV for EMG columns).
    """
    with open(path, encoding="utf-8") as fh:
        header = fh.readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    fs = float(round(1.0 / float(np.median(np.diff(data[:, 0])))))
    return fs, {name: data[:, i] for i, name in enumerate(header)}


def _prepare(x: np.ndarray, fs_src: float, fs: float) -> np.ndarray:
    """High-pass, resample and trim one real cut.

    Parameters
    ----------
    x : numpy.ndarray
        Raw channel (µV) at ``fs_src``.
    fs_src, fs : float
        Source and target sampling rates (Hz).

    Returns
    -------
    numpy.ndarray
        float64 cut at ``fs`` with DC and motion below 20 Hz removed.
    """
    sos = signal.butter(HIGHPASS_ORDER, HIGHPASS_HZ, "highpass", fs=fs_src, output="sos")
    y = signal.sosfiltfilt(sos, x - x.mean())
    ratio = Fraction(fs).limit_denominator(1000) / Fraction(fs_src).limit_denominator(1000)
    if ratio != 1:
        # resample_poly applies its own anti-alias FIR: band-limits to the new Nyquist.
        y = signal.resample_poly(y, ratio.numerator, ratio.denominator)
    trim = int(EDGE_TRIM_S * fs)
    return y[trim : y.size - trim]


def _unit_rms(y: np.ndarray) -> np.ndarray:
    """Scale to unit RMS, as float32."""
    return (y / np.sqrt(np.mean(y * y))).astype(np.float32)


def _unit_burst(y: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """Scale a walking cut so its burst peaks have unit RMS; find the peaks.

    Parameters
    ----------
    y : numpy.ndarray
        Walking EMG at ``fs``.
    fs : float
        Sampling rate (Hz).

    Returns
    -------
    tex : numpy.ndarray
        float32 texture whose 95th-percentile short-time RMS is 1.
    peaks : numpy.ndarray
        Sample indices of burst peaks.
    """
    win = max(1, int(WALK_ENV_S * fs))
    env = np.sqrt(np.convolve(y * y, np.ones(win) / win, mode="same"))
    top = float(np.percentile(env, 95))
    peaks, _ = signal.find_peaks(env, height=0.5 * top, distance=max(1, int(WALK_PEAK_GAP_S * fs)))
    return (y / top).astype(np.float32), peaks


@functools.lru_cache(maxsize=16)
def _pools(root: str, fs: float) -> dict:
    """Texture pools resampled to ``fs`` (cached per folder and rate).

    Parameters
    ----------
    root : str
        Recordings folder.
    fs : float
        Night sampling rate (Hz).

    Returns
    -------
    dict
        ``rest``/``hold``: lists of (label, unit-RMS float32 array);
        ``walk``: list of (label, unit-burst float32 array, peak indices).
    """

    def cut(rel: str, ch: str) -> np.ndarray:
        fs_src, cols = _read_csv(str(Path(root) / rel))
        return _prepare(cols[ch], fs_src, fs)

    rest = [(f"{rel}:{ch}", _unit_rms(cut(rel, ch))) for rel, ch in REST_SOURCES]
    hold = [(f"{rel}:{ch}", _unit_rms(cut(rel, ch))) for rel, ch in HOLD_SOURCES]
    walk = [(f"{rel}:{ch}", *_unit_burst(cut(rel, ch), fs)) for rel, ch in WALK_SOURCES]
    return {"rest": rest, "hold": hold, "walk": walk}


# =============================================================================
# Small random helpers
# =============================================================================


def _u(rng: np.random.Generator, lohi: tuple[float, float]) -> float:
    """Uniform draw in ``lohi``."""
    return float(rng.uniform(lohi[0], lohi[1]))


def _logu(rng: np.random.Generator, lohi: tuple[float, float]) -> float:
    """Log-uniform draw in ``lohi`` (both > 0)."""
    return float(math.exp(rng.uniform(math.log(lohi[0]), math.log(lohi[1]))))


def _count(rng: np.random.Generator, rate_per_h: tuple[float, float], hours: float) -> int:
    """Poisson count for a rate drawn uniformly in ``rate_per_h`` (per hour)."""
    return int(rng.poisson(_u(rng, rate_per_h) * hours))


def _draw_fs(rng: np.random.Generator) -> float:
    """Draw a board sampling rate (Hz)."""
    return float(rng.choice(np.asarray(FS_CHOICES_HZ), p=np.asarray(FS_PROBS)))


def _draw_board(rng: np.random.Generator, fs: float) -> dict:
    """Draw the night's front end: rest level, rail, hum and wander.

    Parameters
    ----------
    rng : numpy.random.Generator
        Night generator.
    fs : float
        Sampling rate (Hz); 250-Hz nights are hobby (ADS1299-type) boards.

    Returns
    -------
    dict
        ``rest_uv`` (µV RMS), ``rest_src`` (index), ``hobby`` (bool),
        ``rail_uv``, ``mains_hz``, ``mains_uv``, ``wander_uv``, ``wander_hz``.
    """
    hobby = bool(rng.random() < P_HOBBY) or fs == 250.0
    return {
        "rest_uv": _logu(rng, REST_UV),
        "rest_src": int(rng.integers(len(REST_SOURCES))),
        "hobby": hobby,
        "rail_uv": RAIL_HOBBY_UV if hobby else RAIL_RESEARCH_UV,
        "mains_hz": float(rng.choice(np.asarray(MAINS_HZ))),
        "mains_uv": _logu(rng, MAINS_HOBBY_UV if hobby else MAINS_RESEARCH_UV),
        "wander_uv": _logu(rng, WANDER_HOBBY_UV if hobby else WANDER_RESEARCH_UV),
        "wander_hz": _logu(rng, WANDER_CORNER_HZ),
    }


def _smooth_noise(rng: np.random.Generator, m: int, fs: float, rate_hz: float) -> np.ndarray:
    """Piecewise-linear random curve with knots every ``1/rate_hz`` s.

    Returns
    -------
    numpy.ndarray
        float32, length ``m``, values roughly N(0, 1) at the knots.
    """
    k = int(m / fs * rate_hz) + 2
    knots = rng.standard_normal(k)
    return np.interp(np.linspace(0.0, k - 1.0, m), np.arange(k), knots).astype(np.float32)


def _shape(m: int, fs: float, rise_s: float, fall_s: float) -> np.ndarray:
    """Raised-cosine rise, flat plateau, raised-cosine fall (0..1, float32)."""
    r = max(1, int(rise_s * fs))
    f = max(1, int(fall_s * fs))
    if r + f > m:  # squeeze the ramps into short events, keeping their ratio
        r = max(1, int(m * r / (r + f)))
        f = max(1, m - r)
    s = np.ones(m, np.float32)
    s[:r] = 0.5 - 0.5 * np.cos(np.pi * np.arange(r) / r)
    s[m - f :] = 0.5 + 0.5 * np.cos(np.pi * (np.arange(f) + 1) / f)
    return s


# =============================================================================
# Scheduling: blocks of events placed without overlap
# =============================================================================


def _ev(kind: str, onset: float, dur: float, is_cramp: bool, strength: float, **extra) -> dict:
    """One event dict, times relative to its block (s)."""
    return {
        "onset_s": onset,
        "offset_s": onset + dur,
        "kind": kind,
        "is_cramp": is_cramp,
        "strength_x_rest": strength,
        **extra,
    }


def _cramp_event(
    rng: np.random.Generator, onset: float, dur: float, level: float, clonic: bool, weak: bool, **extra
) -> dict:
    """A cramp event with its render recipe (tonic or clonic)."""
    rise, fall = _logu(rng, CRAMP_RISE_S), _logu(rng, CRAMP_FALL_S)
    recipe = {
        "how": "contraction",
        "tex": "hold",
        "level": level,
        "rise": rise,
        "fall": fall,
        "wax": (_u(rng, CRAMP_WAX_DEPTH), _logu(rng, CRAMP_WAX_HZ)),
    }
    if clonic:
        recipe["clonic"] = (_logu(rng, CLONIC_HZ), _u(rng, CLONIC_DUTY), _u(rng, CLONIC_LOW_X))
    return _ev("clonic" if clonic else "tonic", onset, dur, True, level, weak=weak, _r=recipe, **extra)


def _cramp_block(rng: np.random.Generator, duration: float) -> list[dict]:
    """A cramp, maybe followed by a relief stretch and an aftershock.

    Parameters
    ----------
    rng : numpy.random.Generator
        Night generator.
    duration : float
        Night length (s); caps a single cramp at half the night.

    Returns
    -------
    list of dict
        Events with onsets relative to the block start (s).
    """
    weak = bool(rng.random() < P_WEAK)
    clonic = bool(rng.random() < P_CLONIC)
    if weak:
        dur, level = _logu(rng, CRAMP_WEAK_DUR_S), _u(rng, CRAMP_WEAK_X)
    else:
        dur = CRAMP_DUR_MEDIAN_S * math.exp(CRAMP_DUR_LOG_SIGMA * rng.standard_normal())
        level = _logu(rng, CRAMP_STRONG_X)
    dur = float(np.clip(dur, CRAMP_DUR_S[0], min(CRAMP_DUR_S[1], 0.5 * duration)))
    out = [_cramp_event(rng, 0.0, dur, level, clonic, weak)]
    t = dur
    if dur >= RELIEF_MIN_PARENT_S and rng.random() < P_RELIEF:
        out.append(
            _voluntary_event(
                rng, "stretch", t + _u(rng, RELIEF_GAP_S), _u(rng, RELIEF_DUR_S), _u(rng, RELIEF_X), relief=True
            )
        )
        t = out[-1]["offset_s"]
    if dur >= AFTERSHOCK_MIN_PARENT_S and rng.random() < P_AFTERSHOCK:
        a_dur = max(CRAMP_DUR_S[0], _u(rng, AFTERSHOCK_DUR_FRAC) * dur)
        a_level = max(CRAMP_WEAK_X[0], _u(rng, AFTERSHOCK_LEVEL_FRAC) * level)
        out.append(_cramp_event(rng, t + _u(rng, AFTERSHOCK_DELAY_S), a_dur, a_level, clonic, weak, aftershock=True))
    return out


def _voluntary_event(rng: np.random.Generator, kind: str, onset: float, dur: float, level: float, **extra) -> dict:
    """Voluntary contraction: smooth rise, plateau, motion artefact at both ends."""
    m1, m2 = _u(rng, MOTION_DUR_S), _u(rng, MOTION_DUR_S)
    recipe = {
        "how": "contraction",
        "tex": "hold",
        "level": level,
        "rise": _u(rng, VOLUNTARY_RISE_S),
        "fall": _u(rng, VOLUNTARY_FALL_S),
        "wax": (_u(rng, VOLUNTARY_WAX_DEPTH), _logu(rng, CRAMP_WAX_HZ)),
        "motion": [(0.0, m1, _logu(rng, MOTION_UV)), (max(0.0, dur - m2), m2, _logu(rng, MOTION_UV))],
    }
    return _ev(kind, onset, dur, False, level, _r=recipe, **extra)


def _plm_block(rng: np.random.Generator, duration: float, series_id: int) -> list[dict]:
    """A series of >= 4 periodic leg movements (walking-burst texture).

    Returns
    -------
    list of dict
        One ``"plm"`` event per movement, relative onsets (s).
    """
    period = _logu(rng, PLM_IMI_S)
    count = int(rng.integers(PLM_MIN_COUNT, PLM_MAX_COUNT + 1))
    cap = PLM_MAX_NIGHT_FRAC * duration
    count = max(PLM_MIN_COUNT, min(count, int(cap // period)))
    period = min(period, max(PLM_IMI_S[0], cap / count))  # short nights: tighter series
    tone_x = _u(rng, PLM_TONE_X)
    out, t = [], 0.0
    for i in range(count):
        lm = min(_logu(rng, PLM_LM_DUR_S), 0.8 * period)
        recipe = {
            "how": "contraction",
            "tex": "walk",
            "delta_uv": _logu(rng, PLM_DELTA_UV),
            "rise": _u(rng, PLM_RISE_S),
            "fall": _u(rng, PLM_FALL_S),
            "wax": (0.0, 1.0),
            "series_tone_x": tone_x,
        }
        out.append(_ev("plm", t, lm, False, float("nan"), series_id=series_id, series_index=i, _r=recipe))
        imi = period * (1.0 + PLM_IMI_JITTER * rng.uniform(-1.0, 1.0))
        t += float(np.clip(imi, PLM_IMI_S[0], PLM_IMI_S[1]))
    return out


def _single_blocks(rng: np.random.Generator, hours: float) -> list[list[dict]]:
    """One-event blocks: arousals, voluntary moves, position changes, jerks, artefacts."""
    blocks: list[list[dict]] = []
    for _ in range(_count(rng, AROUSAL_RATE_PER_H, hours)):
        recipe = {
            "how": "contraction",
            "tex": "hold",
            "level": _logu(rng, AROUSAL_X),
            "rise": _u(rng, AROUSAL_RISE_S),
            "fall": _u(rng, AROUSAL_FALL_S),
            "wax": (_u(rng, AROUSAL_WAX_DEPTH), _logu(rng, CRAMP_WAX_HZ)),
        }
        blocks.append([_ev("arousal", 0.0, _u(rng, AROUSAL_DUR_S), False, recipe["level"], _r=recipe)])
    for _ in range(_count(rng, VOLUNTARY_RATE_PER_H, hours)):
        kind = "stretch" if rng.random() < 0.5 else "plantar_flexion"
        blocks.append([_voluntary_event(rng, kind, 0.0, _u(rng, VOLUNTARY_DUR_S), _logu(rng, VOLUNTARY_X))])
    for _ in range(_count(rng, POSITION_RATE_PER_H, hours)):
        dur = _u(rng, POSITION_DUR_S)
        burst = min(_u(rng, POSITION_BURST_S), 0.9 * dur)
        recipe = {
            "how": "contraction",
            "tex": "walk",
            "level": _logu(rng, POSITION_X),
            "rise": 0.2 * burst,
            "fall": 0.3 * burst,
            "wax": (0.0, 1.0),
            "splice": (_u(rng, (0.0, dur - burst)), burst),
            "motion": [(0.0, dur, _logu(rng, POSITION_SWING_UV))],
            "motion_band": POSITION_SWING_HZ,
        }
        blocks.append([_ev("position_change", 0.0, dur, False, recipe["level"], _r=recipe)])
    for _ in range(_count(rng, JERK_RATE_PER_H, hours)):
        dur = _u(rng, JERK_DUR_S)
        recipe = {
            "how": "contraction",
            "tex": "walk",
            "level": _logu(rng, JERK_X),
            "rise": 0.15 * dur,
            "fall": 0.4 * dur,
            "wax": (0.0, 1.0),
        }
        blocks.append([_ev("jerk", 0.0, dur, False, recipe["level"], _r=recipe)])
    blocks += _artefact_blocks(rng, hours)
    return blocks


def _artefact_blocks(rng: np.random.Generator, hours: float) -> list[list[dict]]:
    """One-event blocks for pops, lead-offs and saturations (pure artefacts)."""
    nan = float("nan")
    blocks: list[list[dict]] = []
    for _ in range(_count(rng, POP_RATE_PER_H, hours)):
        tau = _logu(rng, POP_TAU_S)
        step = _logu(rng, POP_STEP_UV) * (1 if rng.random() < 0.5 else -1)
        blocks.append(
            [
                _ev(
                    "pop",
                    0.0,
                    POP_SPAN_TAU * tau,
                    False,
                    nan,
                    step_uv=step,
                    tau_s=tau,
                    _r={"how": "pop", "step": step, "tau": tau},
                )
            ]
        )
    for _ in range(_count(rng, LEAD_OFF_RATE_PER_H, hours)):
        mode = "rail" if rng.random() < 0.5 else "flat"
        level = (1 if rng.random() < 0.5 else -1) * (1.0 if mode == "rail" else rng.uniform(0, 1))
        blocks.append(
            [
                _ev(
                    "lead_off",
                    0.0,
                    _logu(rng, LEAD_OFF_DUR_S),
                    False,
                    nan,
                    mode=mode,
                    _r={"how": "lead_off", "mode": mode, "level": float(level)},
                )
            ]
        )
    for _ in range(_count(rng, SAT_RATE_PER_H, hours)):
        recipe = {
            "how": "saturation",
            "over": _u(rng, SAT_OVERSHOOT),
            "rise": _logu(rng, SAT_RISE_S),
            "tau": _logu(rng, SAT_TAU_S),
            "sign": 1 if rng.random() < 0.5 else -1,
        }
        hold = _logu(rng, SAT_DUR_S)
        blocks.append(
            [
                _ev(
                    "saturation",
                    0.0,
                    hold + recipe["rise"] + 4.0 * recipe["tau"],
                    False,
                    nan,
                    _r={**recipe, "hold": hold},
                )
            ]
        )
    return blocks


def _schedule(rng: np.random.Generator, duration: float) -> list[dict]:
    """Draw all scheduled blocks and place them without overlap.

    Cramp blocks have priority: if the night is too short, look-alike blocks
    are dropped first.

    Parameters
    ----------
    rng : numpy.random.Generator
        Night generator.
    duration : float
        Night length (s).

    Returns
    -------
    list of dict
        Events with absolute onsets (s), sorted.
    """
    hours = duration / 3600.0
    cramps = [_cramp_block(rng, duration) for _ in range(_count(rng, CRAMP_RATE_PER_H, hours))]
    others = [_plm_block(rng, duration, i) for i in range(_count(rng, PLM_SERIES_RATE_PER_H, hours))]
    others += _single_blocks(rng, hours)
    others = [others[i] for i in rng.permutation(len(others))]

    def span(b: list[dict]) -> float:
        return max(e["offset_s"] for e in b)

    blocks = cramps + others
    while blocks and sum(map(span, blocks)) + (len(blocks) + 1) * MIN_GAP_S > duration:
        blocks.pop()  # drops look-alikes first, cramps last
    blocks = [blocks[i] for i in rng.permutation(len(blocks))]
    free = duration - sum(map(span, blocks)) - (len(blocks) + 1) * MIN_GAP_S
    gaps = MIN_GAP_S + free * rng.dirichlet(np.ones(len(blocks) + 1))
    events, t = [], float(gaps[0])
    for b, gap in zip(blocks, gaps[1:]):
        for e in b:
            events.append({**e, "onset_s": e["onset_s"] + t, "offset_s": e["offset_s"] + t})
        t += span(b) + float(gap)
    return sorted(events, key=lambda e: e["onset_s"])


# =============================================================================
# Slow tone: sleep-depth drift, tone steps, inter-PLM tone
# =============================================================================


def _draw_tone_steps(rng: np.random.Generator, duration: float) -> list[dict]:
    """Tone steps after waking, non-overlapping among themselves.

    Returns
    -------
    list of dict
        ``"tone_step"`` events (absolute s) with their recipe.
    """
    steps, t = [], 0.0
    for _ in range(_count(rng, TONE_STEP_RATE_PER_H, duration / 3600.0)):
        dur = min(_logu(rng, TONE_STEP_DUR_S), 0.5 * duration)
        decay = _u(rng, TONE_STEP_DECAY_S)
        onset = t + rng.uniform(0.0, max(0.0, duration - t - dur - decay))
        if onset + dur + decay > duration:
            break
        factor = _u(rng, TONE_STEP_FACTOR)
        steps.append(
            _ev("tone_step", float(onset), dur, False, factor, _r={"rise": _u(rng, TONE_STEP_RISE_S), "decay": decay})
        )
        t = onset + dur + decay
    return steps


def _tone_curve(
    rng: np.random.Generator, duration: float, steps: list[dict], events: list[dict]
) -> tuple[np.ndarray, np.ndarray]:
    """Multiplicative rest-tone curve on a coarse grid.

    Parameters
    ----------
    rng : numpy.random.Generator
        Night generator.
    duration : float
        Night length (s).
    steps : list of dict
        Tone-step events.
    events : list of dict
        Scheduled events (PLM series raise the tone between their bursts).

    Returns
    -------
    t : numpy.ndarray
        Grid times (s).
    tone : numpy.ndarray
        Dimensionless factor on the rest level.
    """
    t = np.arange(0.0, duration + 2 * TONE_GRID_S, TONE_GRID_S)
    edges, levels, s = [], [], 0.0
    while s < duration:
        s += _logu(rng, DRIFT_BOUT_S)
        edges.append(s)
        levels.append(_logu(rng, DRIFT_FACTOR))
    stair = np.asarray(levels)[np.minimum(np.searchsorted(edges, t, side="right"), len(levels) - 1)]
    w = max(3, int(_u(rng, DRIFT_TRANSITION_S) / TONE_GRID_S))
    win = np.hanning(w)
    tone = np.convolve(np.pad(stair, (w, w), mode="edge"), win / win.sum(), mode="same")[w:-w]
    for st in steps:
        tone *= 1.0 + (st["strength_x_rest"] - 1.0) * _plateau(
            t, st["onset_s"], st["offset_s"], st["_r"]["rise"], st["_r"]["decay"]
        )
    for sid in {e["series_id"] for e in events if e["kind"] == "plm"}:
        lms = [e for e in events if e["kind"] == "plm" and e["series_id"] == sid]
        extra = lms[0]["_r"]["series_tone_x"] - 1.0
        tone *= 1.0 + extra * _plateau(t, lms[0]["onset_s"], lms[-1]["offset_s"], 2.0, 2.0)
    return t, tone


def _plateau(t: np.ndarray, on: float, off: float, rise: float, decay: float) -> np.ndarray:
    """0..1 curve: linear rise over ``rise`` s from ``on``, hold to ``off``, linear decay."""
    up = np.clip((t - on) / rise, 0.0, 1.0)
    down = np.clip(1.0 - (t - off) / decay, 0.0, 1.0)
    return np.minimum(up, down)


def _rest_at(tone_t: np.ndarray, tone: np.ndarray, rest_uv: float, when: float) -> float:
    """Local rest RMS (µV) at time ``when`` (s)."""
    return float(rest_uv * np.interp(when, tone_t, tone))


# =============================================================================
# Signal layers
# =============================================================================


def _loop_texture(rng: np.random.Generator, src: np.ndarray, m: int, fs: float) -> np.ndarray:
    """Loop a real recording into ``m`` samples without visible repeats.

    Random segments (random offset, time reversal, sign flip) are joined by
    power-complementary sine/cosine cross-fades, so uncorrelated segments
    keep a constant expected power across each seam.

    Parameters
    ----------
    rng : numpy.random.Generator
        Night generator.
    src : numpy.ndarray
        Unit-normalised texture at ``fs``.
    m : int
        Output length (samples).
    fs : float
        Sampling rate (Hz).

    Returns
    -------
    numpy.ndarray
        float32, length ``m``.
    """
    out = np.zeros(m, np.float32)
    c = max(1, int(_u(rng, XFADE_S) * fs))
    up = np.sin(0.5 * np.pi * (np.arange(c) + 0.5) / c).astype(np.float32)
    down = up[::-1].copy()  # cos ramp: up**2 + down**2 == 1 sample by sample
    pos, first = 0, True
    while pos < m:
        core = max(1, min(int(_u(rng, SEG_S) * fs), src.size - c - 1, m - pos))
        total = core + c
        off = int(rng.integers(0, src.size - total + 1))
        seg = src[off : off + total]
        seg = (seg[::-1] if rng.random() < 0.5 else seg) * np.float32(1 if rng.random() < 0.5 else -1)
        if not first:
            seg[:c] *= up
        seg[-c:] *= down
        end = min(pos + total, m)
        out[pos:end] += seg[: end - pos]
        pos, first = pos + core, False
    # The last core ends exactly at m, so its unpartnered fade-out falls outside.
    return out


def _rest_layer(
    rng: np.random.Generator, n: int, fs: float, pools: dict, board: dict, tone_t: np.ndarray, tone: np.ndarray
) -> np.ndarray:
    """Whole-night rest texture scaled by the rest level and tone curve.

    Returns
    -------
    numpy.ndarray
        float32, length ``n``, µV.
    """
    _, src = pools["rest"][board["rest_src"]]
    x = _loop_texture(rng, src, n, fs)
    chunk = 1 << 20  # bounded temporaries: one chunk of float64 at a time
    for i0 in range(0, n, chunk):
        i1 = min(n, i0 + chunk)
        g = np.interp(np.arange(i0, i1) / fs, tone_t, tone) * board["rest_uv"]
        x[i0:i1] *= g.astype(np.float32)
    return x


def _event_texture(rng: np.random.Generator, pools: dict, tex: str, m: int, fs: float) -> tuple[np.ndarray, str]:
    """Texture for one event: looped hold, or walking cut centred on a burst.

    Returns
    -------
    texture : numpy.ndarray
        float32, length ``m`` (unit RMS for holds, unit burst peak for walks).
    source : str
        Provenance ``"<folder>/<file>.csv:<channel>"``.
    """
    if tex == "hold":
        label, src = pools["hold"][int(rng.integers(len(pools["hold"])))]
        return _loop_texture(rng, src, m, fs), label
    label, src, peaks = pools["walk"][int(rng.integers(len(pools["walk"])))]
    if m >= src.size // 2 or peaks.size == 0:
        return _loop_texture(rng, src, m, fs), label
    p = int(peaks[rng.integers(peaks.size)])
    start = int(np.clip(p - m // 3, 0, src.size - m))  # burst peak early in the event
    seg = src[start : start + m]
    seg = seg[::-1] if rng.random() < 0.5 else seg
    return (seg * np.float32(1 if rng.random() < 0.5 else -1)).astype(np.float32), label


def _envelope(rng: np.random.Generator, m: int, fs: float, r: dict, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Envelope (x rest) and cross-fade weight of one contraction.

    Returns
    -------
    amp : numpy.ndarray
        float32 envelope in units of the local rest RMS.
    weight : numpy.ndarray
        float32 0..1 cross-fade weight of the event texture.
    """
    shape = _shape(m, fs, r["rise"], r["fall"])
    depth, hz = r["wax"]
    amp = np.full(m, level, np.float32)
    if "clonic" in r:
        f0, duty, low = r["clonic"]
        rate = f0 * (1.0 + CLONIC_JITTER * _smooth_noise(rng, m, fs, 0.2))
        phase = 2.0 * np.pi * np.cumsum(rate, dtype=np.float64) / fs + rng.uniform(0, 2 * np.pi)
        thr = math.cos(math.pi * duty)
        on = np.clip((np.cos(phase) - thr) / (1.0 - thr) * 3.0, 0.0, 1.0).astype(np.float32)
        amp = np.float32(min(low, level)) + (np.float32(level) - np.float32(min(low, level))) * on
    if depth > 0:
        amp *= np.maximum(np.float32(0.3), 1.0 + np.float32(depth) * _smooth_noise(rng, m, fs, hz))
    return amp * shape, shape


def _motion(rng: np.random.Generator, m: int, fs: float, amp_uv: float, band: tuple[float, float]) -> np.ndarray:
    """Low-frequency motion swing: a few random sinusoids under a Hann window.

    Returns
    -------
    numpy.ndarray
        float32, length ``m``, peak about ``amp_uv`` µV.
    """
    t = np.arange(m) / fs
    y = np.zeros(m)
    for _ in range(3):
        f = min(_logu(rng, band), 0.45 * fs)
        y += rng.standard_normal() * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
    y *= np.hanning(m) if m > 2 else 1.0
    peak = float(np.max(np.abs(y))) or 1.0
    return (y * (amp_uv / peak)).astype(np.float32)


def _render_tissue(
    x: np.ndarray,
    fs: float,
    rng: np.random.Generator,
    pools: dict,
    ev: dict,
    rest_uv: float,
    tone_t: np.ndarray,
    tone: np.ndarray,
    extras: list[tuple[int, np.ndarray]],
) -> None:
    """Splice one muscle event into the night (in place).

    The rest texture is faded out as ``sqrt(1 - w**2)`` while the event
    texture fades in with weight ``w``, so the plateau RMS equals the drawn
    level.  Motion artefacts are queued in ``extras`` and added later.
    """
    r = ev.get("_r", {})
    if r.get("how") != "contraction":
        return
    n = x.size
    rel0, dur = r.get("splice", (0.0, ev["offset_s"] - ev["onset_s"]))
    a = round((ev["onset_s"] + rel0) * fs)
    m = min(max(1, round(dur * fs)), n - a)
    if m <= 0:
        return
    local = _rest_at(tone_t, tone, rest_uv, ev["onset_s"] + rel0)
    level = r["level"] if "level" in r else 1.0 + r["delta_uv"] / local
    ev["strength_x_rest"] = float(level)
    tex, ev["source"] = _event_texture(rng, pools, r["tex"], m, fs)
    amp, w = _envelope(rng, m, fs, r, level)
    seg = x[a : a + m]
    seg *= np.sqrt(np.maximum(0.0, 1.0 - w * w))
    seg += tex * amp * np.float32(local)
    for rel, mdur, amp_uv in r.get("motion", []):
        b = round((ev["onset_s"] + rel) * fs)
        k = min(max(2, round(mdur * fs)), n - b)
        if k > 2:
            extras.append((b, _motion(rng, k, fs, amp_uv, r.get("motion_band", MOTION_BAND_HZ))))


def _add_continuous(x: np.ndarray, fs: float, rng: np.random.Generator, board: dict, duration: float) -> None:
    """Add mains hum (with harmonics, slowly modulated) and baseline wander, in place."""
    n = x.size
    f0 = board["mains_hz"]
    harmonics = [
        (h, board["mains_uv"] * (1.0 if h == 1 else _u(rng, MAINS_HARMONIC_REL) / h), rng.uniform(0, 2 * np.pi))
        for h in range(1, MAINS_HARMONICS + 1)
    ]
    harmonics = [hp for hp in harmonics if hp[0] * f0 < 0.45 * fs]  # the ADC's anti-alias filter
    mod_t = np.arange(0.0, duration + 2 * MAINS_MOD_PERIOD_S, MAINS_MOD_PERIOD_S)
    mod = np.exp(rng.uniform(math.log(MAINS_MOD_X[0]), math.log(MAINS_MOD_X[1]), mod_t.size))
    # Baseline wander: low-passed white noise on the tone grid, scaled to its RMS.
    w_t = np.arange(0.0, duration + 2 * TONE_GRID_S, TONE_GRID_S)
    sos = signal.butter(2, min(board["wander_hz"], 0.4 / TONE_GRID_S), fs=1.0 / TONE_GRID_S, output="sos")
    wander = signal.sosfiltfilt(sos, rng.standard_normal(w_t.size))
    wander *= board["wander_uv"] / (np.sqrt(np.mean(wander * wander)) or 1.0)
    integer_fs = float(fs).is_integer()
    period = int(fs) if integer_fs else 0
    table = _hum(np.arange(period) / fs, f0, harmonics) if integer_fs else None
    step = (max(1, (1 << 20) // period) * period) if integer_fs else (1 << 20)
    for i0 in range(0, n, step):
        i1 = min(n, i0 + step)
        t = np.arange(i0, i1) / fs
        hum = np.tile(table, (i1 - i0) // period + 1)[: i1 - i0] if integer_fs else _hum(t, f0, harmonics)
        add = hum * np.interp(t, mod_t, mod) + np.interp(t, w_t, wander)
        x[i0:i1] += add.astype(np.float32)


def _hum(t: np.ndarray, f0: float, harmonics: list[tuple[int, float, float]]) -> np.ndarray:
    """Sum of mains harmonics at times ``t`` (s); µV."""
    y = np.zeros(t.size)
    for h, amp, ph in harmonics:
        y += amp * np.sin(2 * np.pi * h * f0 * t + ph)
    return y


def _add_ecg(x: np.ndarray, fs: float, rng: np.random.Generator, duration: float) -> list[dict]:
    """Add ECG bleed episodes (QRS-like spikes) in place.

    Returns
    -------
    list of dict
        One ``"ecg"`` event per episode (absolute s).
    """
    if rng.random() >= P_ECG:
        return []
    out = []
    for _ in range(int(rng.integers(ECG_EPISODES[0], ECG_EPISODES[1] + 1))):
        dur = min(_logu(rng, ECG_EPISODE_S), duration)
        on = float(rng.uniform(0.0, duration - dur))
        hr, qrs_uv = _u(rng, ECG_HR_BPM), _logu(rng, ECG_QRS_UV)
        _ecg_episode(x, fs, rng, on, dur, hr, qrs_uv)
        out.append(_ev("ecg", on, dur, False, float("nan"), hr_bpm=hr, qrs_uv=qrs_uv))
    return out


def _ecg_episode(
    x: np.ndarray, fs: float, rng: np.random.Generator, on: float, dur: float, hr: float, qrs_uv: float
) -> None:
    """Place QRS-like (Ricker) complexes at jittered RR intervals, fading in and out."""
    rr = 60.0 / hr
    k = int(dur / rr * 1.3) + 2
    beats = on + np.cumsum(rr * (1.0 + _u(rng, ECG_RR_JITTER) * rng.standard_normal(k)))
    beats = beats[beats < on + dur]
    sigma = _u(rng, ECG_QRS_S) / 5.0  # Ricker main lobe ~ QRS width / 5 per side
    half = int(3 * sigma * fs) + 1
    tt = np.arange(-half, half + 1) / fs
    tmpl = (1 - (tt / sigma) ** 2) * np.exp(-0.5 * (tt / sigma) ** 2)
    tmpl += 0.3 * (tt / sigma) * np.exp(-0.5 * (tt / sigma) ** 2)  # asymmetry, like R-S
    tmpl /= np.max(np.abs(tmpl))
    ramp = min(_logu(rng, ECG_RAMP_S), 0.5 * dur)
    gain = qrs_uv * _plateau(beats, on, on + dur - ramp, ramp, ramp) * (1 + 0.05 * rng.standard_normal(beats.size))
    idx = np.round(beats * fs).astype(np.int64)[:, None] + np.arange(-half, half + 1)[None, :]
    ok = (idx[:, 0] >= 0) & (idx[:, -1] < x.size)
    # RR (>= 0.6 s) exceeds the template length, so indices never repeat.
    x[idx[ok].ravel()] += (gain[ok, None] * tmpl[None, :]).astype(np.float32).ravel()


def _render_artefact(x: np.ndarray, fs: float, ev: dict, rail: float) -> None:
    """Apply a pop, a lead-off or a saturation to the night (in place)."""
    r = ev.get("_r", {})
    how = r.get("how")
    if how not in ("pop", "lead_off", "saturation"):
        return
    a = round(ev["onset_s"] * fs)
    m = min(round((ev["offset_s"] - ev["onset_s"]) * fs), x.size - a)
    if m <= 0:
        return
    t = np.arange(m) / fs
    if how == "pop":
        # Exponential drift back, tapered to exactly zero over the last 20 %.
        taper = np.clip((m - np.arange(m)) / (0.2 * m), 0.0, 1.0)
        x[a : a + m] += (r["step"] * np.exp(-t / r["tau"]) * taper).astype(np.float32)
    elif how == "lead_off":
        x[a : a + m] = np.float32(r["level"] * (rail if r["mode"] == "rail" else LEAD_OFF_FLAT_UV))
        ev["level_uv"] = float(x[a])
    else:
        # Offset jump beyond the rail: the final clip pins it there.
        up = np.clip(t / r["rise"], 0.0, 1.0)
        # Raised-cosine recovery over 4 tau: back to exactly zero at the offset.
        rec = np.clip((t - r["rise"] - r["hold"]) / (4.0 * r["tau"]), 0.0, 1.0)
        down = 0.5 + 0.5 * np.cos(np.pi * rec)
        x[a : a + m] += (r["sign"] * r["over"] * rail * up * down).astype(np.float32)
        ev["rail_uv"] = rail


def _public(events: list[dict], duration: float) -> list[dict]:
    """Strip render recipes, clip to the night, sort by onset."""
    out = []
    for e in events:
        d = {k: v for k, v in e.items() if not k.startswith("_")}
        d["onset_s"] = float(max(0.0, d["onset_s"]))
        d["offset_s"] = float(min(duration, d["offset_s"]))
        d["strength_x_rest"] = float(d["strength_x_rest"])
        d["is_cramp"] = bool(d["is_cramp"])
        out.append(d)
    return sorted(out, key=lambda e: (e["onset_s"], e["offset_s"]))
