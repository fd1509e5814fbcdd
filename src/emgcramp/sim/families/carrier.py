"""Carrier family: synthetic calf-sEMG sleep nights as *envelope × coloured-noise carrier*.

Principle
---------
No motor units are simulated.  Surface EMG is a Gaussian carrier whose power
spectrum is drawn per night from a volume-conductor model, multiplied by an
amplitude envelope (in µV RMS):

* carrier spectrum = source shape (Shwedyk et al. 1977 form
  ``f² fh⁴ / ((f²+fl²)(f²+fh²)²)``) × tissue low-pass ``exp(-4π f h / v)`` ×
  bipolar electrode comb ``sin²(π f d / v)`` (Lindström & Magnusson 1977), with
  the effective depth ``h`` solved so the median frequency (MDF) lands on a
  value drawn from the calf-sEMG literature.  Low MDFs (deep sources, as under
  thick subcutaneous fat) give low-passed carriers with more energy below 25 Hz.
  Fat thickness also sets the amplitude (Kuiken et al. 2003), drawn
  independently of the spectrum (a simplification of this family).
* rest tone follows a simulated hypnogram (~90-min NREM/REM cycles, wake bouts,
  REM atonia, raised tone that lingers for minutes after awakening, tens-of-
  seconds transitions).
* every EMG event adds an *independent* carrier whose spectrum is the night's
  spectrum stretched in frequency by a per-event factor (conduction-velocity
  scaling), so its RMS adds in quadrature to the tone:
  ``a(t) = rest · sqrt(env(t)² − 1)`` where ``env`` is in multiples of rest.
* board: white input noise, Butterworth anti-alias low-pass (optionally an
  AC-coupling high-pass), rail clipping and quantisation; artefacts (mains hum,
  baseline wander, ECG bleed, motion, pops, lead-off, saturation) are added in
  absolute µV before the board.

Event density (bench choice, not epidemiology)
----------------------------------------------
Per hour: 3–8 cramp episodes (every night has ≥ 1 cramp; clinical nocturnal
cramps are far rarer), 10–40 arousals, 0–3 PLM series, 2–8 stretches/plantar
flexions, 2–8 position changes, 2–15 jerks, a few pops, lead-offs and
saturations, tone steps at every awakening, ECG bleed on ~60 % of nights.  The
density is chosen so a few nights give enough of every kind for a bench.

Truth
-----
``generate`` returns events sorted by onset, each a dict with ``onset_s``,
``offset_s``, ``kind``, ``is_cramp``, ``strength_x_rest`` (plateau envelope over
the rest level at onset; NaN for pure artefacts) and extras (``rest_uv``,
``stage``, ``weak``, ``aftershock``, ``precursor_onset_s``, ``mdf_scale`` …).
The random streams for night parameters, the event plan and the sample noise
are separate children of one ``SeedSequence``, so the same seed gives the same
events whatever ``fs`` is passed.

References (cited beside the numbers below)
-------------------------------------------
Allen & Kirby 2012 Am Fam Physician 86(4):350-355 · Bonnet & Arand 2007 J Clin
Sleep Med 3(3):271-274 (PMID 17561594) · Carskadon & Dement, "Normal human
sleep: an overview", Principles and Practice of Sleep Medicine · Chaney &
Sherman, "Changes in muscle tension patterns predicting the start of nocturnal
leg cramps: a pilot study" (AEIRC, n = 6) · Chase & Morales 1990 Annu Rev
Psychol 41:557-584 · De la Barrera & Milner 1994 Electroencephalogr Clin
Neurophysiol 93(2):91-99 · De Luca et al. 2010 J Biomech 43:1573-1579, DOI
10.1016/j.jbiomech.2010.01.027 · De Talhouet & Webster 1996 Physiol Meas
17(2):81-93 · Drake & Callaghan 2006 J Electromyogr Kinesiol 16:175-187, DOI
10.1016/j.jelekin.2005.07.003 · Farina et al. 2004 IEEE TBME 51(8):1383-1393,
DOI 10.1109/TBME.2004.827556 · Ferri et al. 2008 J Sleep Res, DOI
10.1111/j.1365-2869.2008.00631.x · Ferri et al. 2016 Sleep Med (WASM 2016 LM
standards) · Ferri et al. 2021 Sleep 44(9):zsab092, DOI 10.1093/sleep/zsab092 ·
Frauscher et al. 2014 Sleep, DOI 10.5665/sleep.3586 · Hallegraeff et al. 2017
BMC Fam Pract (systematic review of NLC criteria) · Hermens et al. 2000
(SENIAM) J Electromyogr Kinesiol 10:361-374 · Huhta & Webster 1973 IEEE TBME
20(2):91-101 · Khan & Burne 2007 J Neurophysiol 98:1102-1107, DOI
10.1152/jn.00371.2007 · Krivickas et al. 1998 J Clin Neurophysiol
15(2):138-145 · Kuiken et al. 2003 Prosthet Orthot Int 27(1):48-54 · Lindström
& Magnusson 1977 Proc IEEE 65(5):653-662 · Malek et al. 2006 J Neurosci Methods
151:139-147, DOI 10.1016/j.jneumeth.2005.06.025 · Miller et al. 2022 J Athl
Train 57(1):5-15, DOI 10.4085/1062-6050-0696.20 · Minetto et al. 2009
Neurophysiol Clin 39(1):15-25, DOI 10.1016/j.neucli.2008.11.002 · Minetto et
al. 2013 Exerc Sport Sci Rev 41(1):3-10, DOI 10.1097/JES.0b013e3182724817 ·
PLOS ONE 2024 spectral properties of plantar-flexor sEMG, DOI
10.1371/journal.pone.0302632 · Rodriguez-Falces et al. 2015 Eur J Appl Physiol
115(3):627-638 · Roeleveld et al. 2000 J Appl Physiol 88:1698-1706, DOI
10.1152/jappl.2000.88.5.1698 · Shwedyk, Balasubramanian & Scott 1977 IEEE TBME
24(5):417-424 · Surawicz et al. 2009 J Am Coll Cardiol 53(11):976-981 (QRS
duration) · Tam & Webster 1977 IEEE TBME 24(2):134-139 · TI ADS1299 datasheet
SBAS499 · TI ADS124S08 datasheet SBAS660 (sinc3 −3 dB = 0.262 × data rate) ·
Zucconi et al. 2006 Sleep Med 7:175-183, DOI 10.1016/j.sleep.2006.01.001.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import fft as sp_fft
from scipy import signal

__all__ = ["draw_parameters", "generate"]

# ===========================================================================
# Every drawn range and fixed number of this family, with its source.
# "bench" = a choice of this generator (stated as such), not a measured value.
# ===========================================================================

# --- acquisition board ------------------------------------------------------
FS_CHOICES_HZ = (250.0, 500.0, 1000.0, 2000.0, 4000.0)  # brief; ADS1299 data rates 250 SPS-16 kSPS (TI SBAS499)
FS_WEIGHTS = (0.25, 0.2, 0.2, 0.2, 0.15)  # bench: ~1 night in 4 on a 250-Hz board (OpenBCI-style, ADS1299)
BOARD_LP_FRAC_FS = (0.262, 0.45)  # sinc3 decimator −3 dB at 0.262 × data rate (TI SBAS660 Tab. 14) .. analog AA (bench)
BOARD_LP_MAX_HZ = 500.0  # SENIAM/ISEK sEMG low-pass "near 500 Hz" (Hermens et al. 2000)
BOARD_LP_ORDERS = (2, 3, 4)  # bench
BOARD_HP_PROB = 0.4  # bench: share of boards that are AC-coupled (ADS1299 itself is DC-coupled)
BOARD_HP_HZ = (0.1, 10.0)  # ISEK 5 Hz / SENIAM 10-20 Hz high-pass recommendations, hardware coupling lower (bench)
RAIL_UV = (10_000.0, 187_500.0)  # ADS1299 ±4.5 V / gain 24 = ±187.5 mV (TI SBAS499); ~±10 mV hobby front-ends (bench)
ADC_LSB_UV = (0.02, 1.0)  # 24-bit ADS1299 at gain 24 ≈ 0.022 µV (SBAS499) .. 12-bit hobby ADC ≈ 1 µV (bench)
NOISE_FLOOR_UV = (0.2, 5.0)  # ADS1299 ≈ 1 µVpp ≈ 0.2 µV rms (SBAS499); cheap analog boards several µV (bench)

# --- carrier spectrum (volume-conductor model) ------------------------------
MDF_HZ = (40.0, 130.0)  # leg/arm sEMG initial MDF 85-116 ± 15-20 Hz (Krivickas 1998); calf < TA (PLOS ONE 2024,
#                         DOI 10.1371/journal.pone.0302632); low end for thick fat (De la Barrera & Milner 1994)
SOURCE_FL_HZ = (5.0, 50.0)  # low corner of the Shwedyk et al. (1977) shape; bench range
SOURCE_FH_HZ = (100.0, 400.0)  # high corner of the Shwedyk et al. (1977) shape; bench range
SOURCE_FH_SEARCH_HZ = (10.0, 5000.0)  # bench: bracket when the corner must be raised to reach the MDF
EFFECTIVE_DEPTH_MAX_M = 0.04  # bench: bracket of the solved effective tissue depth (Lindström & Magnusson 1977)
MFCV_M_S = (3.0, 5.0)  # muscle-fibre conduction velocity (Farina et al. 2004; Lindström & Magnusson 1977)
MFCV_SPREAD = 0.15  # bench: ±15 % velocity spread smooths the bipolar comb dips (Lindström & Magnusson 1977)
IED_MM = (10.0, 40.0)  # inter-electrode distance: SENIAM 20 mm; studies 10-50 mm (Rodriguez-Falces 2015; Malek 2006)
FAT_MM = (2.0, 20.0)  # calf subcutaneous fat; skinfolds 2-21 mm (De la Barrera & Milner 1994), 3-18 mm (Kuiken 2003)
KUIKEN_FAT_MM = (0.0, 3.0, 9.0, 18.0)  # Kuiken et al. 2003: RMS falls 31.3 / 80.2 / 90.0 % for 3 / 9 / 18 mm fat
KUIKEN_RMS_FACTOR = (1.0, 0.687, 0.198, 0.100)
FAT_REF_MM = 3.0  # bench: reference fat layer of the rest level below
IED_REF_MM = 20.0  # SENIAM reference inter-electrode distance (Hermens et al. 2000)
SPECTRUM_GRID_HZ = 1000.0  # bench: physiological MDF measured over 0-1000 Hz, before the board filter
LOW_BAND_HZ = 25.0  # brief: report the carrier's energy share below 25 Hz

# --- rest tone and hypnogram --------------------------------------------------
REST_REF_UV = (3.0, 30.0)  # N2 calf tone at 20-mm IED / 3-mm fat: AASM LM onset = rest + 8 µV implies rest of a few
#                            µV (Ferri 2016 WASM; AASM manual); "a few to tens of µV" on cheap boards (bench)
REST_UV_CLIP = (1.0, 60.0)  # bench: keep the measured tone within what cheap boards show
STAGE_CODES = {"W": 0, "N1": 1, "N2": 2, "N3": 3, "REM": 4}
STAGE_NAMES = {v: k for k, v in STAGE_CODES.items()}
TONE_N1 = (1.1, 1.4)  # bench, qualitative: tone falls from wake through NREM (Carskadon & Dement)
TONE_N3 = (0.7, 0.95)  # bench, qualitative (Carskadon & Dement)
TONE_REM = (0.25, 0.6)  # REM atonia (Chase & Morales 1990; Ferri et al. 2008 sleep atonia index), leg less atonic
TONE_WAKE = (1.5, 4.0)  # bench: raised tone after awakening = "tone_step" strength (brief)
TRANSITION_TAU_S = (10.0, 40.0)  # brief: tone changes over tens of seconds at stage transitions (bench)
WAKE_RISE_S = (1.0, 5.0)  # bench: tone steps up within seconds of waking
WAKE_DECAY_S = (60.0, 300.0)  # brief: raised tone stays for minutes after awakening (bench)
CYCLE_MIN = (80.0, 110.0)  # NREM-REM cycle ~90 min, first 70-100 min (Carskadon & Dement)
SLEEP_ONSET_N1_MIN = (1.0, 7.0)  # N1 at sleep onset lasts 1-7 min (Carskadon & Dement)
N1_FRAC = (0.02, 0.08)  # N1 ≈ 2-5 % of sleep (Carskadon & Dement), widened
N3_FRAC_EARLY = (0.2, 0.4)  # N3 concentrates in the first cycles (Carskadon & Dement)
N3_FRAC_LATE = (0.0, 0.1)
REM_FRAC_FIRST = (0.05, 0.15)  # first REM short, episodes lengthen across the night (Carskadon & Dement)
REM_FRAC_LATER = (0.2, 0.35)
WAKE_BOUTS_PER_H = (0.5, 3.0)  # bench: brief awakenings (WASO), more with age (Carskadon & Dement)
WAKE_BOUT_S = (30.0, 300.0)  # bench
NIGHT_TOTAL_H = 8.0  # bench: the hypnogram covers a full night; the excerpt starts at a random time in it
COARSE_HZ = 10.0  # bench: rate of the slow curves (tone, hum amplitude, wander, ECG envelope)

# --- cramps -----------------------------------------------------------------
CRAMPS_PER_H = (3.0, 8.0)  # bench (brief); real nights have "less than once a year to several times a night"
CRAMP_DUR_S = (3.0, 600.0)  # seconds to at most 10 min (Hallegraeff et al. 2017)
CRAMP_DUR_MEDIAN_S = 60.0  # bench: ~1 min typical (brief); Allen & Kirby 2012 report 9 min average episodes
CRAMP_DUR_SIGMA_LN = 1.1  # bench: log-normal width
STRONG_X_REST = (10.0, 80.0)  # bench: cramps are near-maximal contractions (Khan & Burne 2007; Roeleveld 2000)
WEAK_X_REST = (2.0, 5.0)  # partial cramps / raised tension +100..+500 % (Chaney & Sherman)
WEAK_DUR_S = (20.0, 300.0)  # brief: weak cramps held tens of seconds to minutes (bench)
WEAK_FRACTION = (0.25, 0.5)  # bench
CLONIC_PROB = 0.4  # bench
CLONIC_HZ = (0.3, 3.0)  # brief: contraction alternating with relaxation (bench, no measured source found)
CLONIC_FLOOR = (0.05, 0.4)  # bench: relaxation-phase share of the plateau
CLONIC_DUTY = (0.3, 0.7)  # bench
CRAMP_RISE_S = (0.2, 5.0)  # brief: onset from a fraction of a second to a few seconds (bench)
CRAMP_FALL_S = (1.0, 10.0)  # bench: "self-extinguishing within seconds to minutes" (Minetto et al. 2013)
TONIC_FLUCT = (0.05, 0.3)  # bench: slow wax and wane of a tonic cramp
FLUCT_FC_HZ = 0.3  # bench: bandwidth of that wax and wane
FLUCT_FLOOR = 0.3  # bench: the wane never drops below 30 % of the plateau excess
CLONIC_RATE_DRIFT = 0.1  # bench: ±10 % drift of the clonic rate
CLONIC_DRIFT_FC_HZ = 0.2  # bench
CLONIC_EDGE = 6.0  # bench: tanh sharpness of the contraction/relaxation alternation
CRAMP_MDF_SCALE = (0.75, 1.3)  # cramp spectra shift up (short potentials, Roeleveld 2000) or compress (Minetto 2009)
AFTERSHOCK_MIN_PARENT_S = 45.0  # bench: only long cramps get aftershocks
AFTERSHOCK_PROB = 0.5  # bench
AFTERSHOCK_GAP_S = (5.0, 120.0)  # bench
AFTERSHOCK_DUR_FRAC = (0.1, 0.5)  # bench: shorter second cramp
AFTERSHOCK_STRENGTH_FRAC = (0.3, 1.0)  # bench
PRECURSOR_PROB = 0.35  # bench
PRECURSOR_S = (20.0, 60.0)  # tension rose 41 ± 11 s before cramp awakenings (Chaney & Sherman)
PRECURSOR_TONE_X = (1.5, 3.0)  # tension "nearly twice baseline", +100..+500 % (Chaney & Sherman)
PRECURSOR_RAMP_FRAC = 0.5  # bench: tension reaches its level halfway through the precursor
TWITCH_X = (3.0, 9.0)  # spikes +200..+800 % above baseline (Chaney & Sherman); pre-cramp twitching (Miller 2022)
TWITCH_RATE_HZ = (0.2, 2.0)  # bench
TWITCH_DUR_S = (0.05, 0.3)  # bench: fasciculation-like twitches (Miller et al. 2022)
RELIEF_PROB = 0.5  # bench: patients stretch the calf to end the cramp (Hallegraeff et al. 2017)
RELIEF_GAP_S = (0.0, 5.0)  # bench
RELIEF_DUR_S = (5.0, 60.0)  # bench
RELIEF_X = (1.5, 8.0)  # bench: passive stretch, modest calf EMG, large motion artefact
POST_CRAMP_WAKE_PROB = 0.5  # bench: cramps disrupt sleep (Hallegraeff et al. 2017)
PRE_CRAMP_QUIET_S = 20.0  # bench: event-free stretch before each cramp episode (keeps the rest reference clean)

# --- look-alikes --------------------------------------------------------------
AROUSALS_PER_H = (10.0, 40.0)  # arousal index ~10-27/h by age (Bonnet & Arand 2007), widened for restless nights
AROUSAL_DUR_S = (3.0, 15.0)  # ≥ 3 s; > 15 s is an awakening (ASDA/AASM rules, Bonnet & Arand 2007)
AROUSAL_X = (2.0, 30.0)  # brief: a few to tens × rest (bench)
AROUSAL_RISE_S = (0.1, 1.0)  # bench: quick rise
AROUSAL_FALL_S = (0.3, 2.0)  # bench
AROUSAL_AT_TRANSITION_PROB = 0.4  # bench
AROUSAL_AFTER_LM_PROB = 0.3  # bench; LM-associated arousals are scored when < 0.5 s apart (Zucconi 2006)
AROUSAL_AFTER_LM_GAP_S = (0.0, 0.5)  # LM-arousal association window (Zucconi 2006; Ferri 2016)
RESTLESS_PROB = 0.35  # bench
AROUSAL_CLUSTERS_PER_H = (1.0, 3.0)  # bench
AROUSAL_CLUSTER_SIZE = (3, 8)  # bench
AROUSAL_CLUSTER_GAP_S = (15.0, 90.0)  # bench
PLM_SERIES_PER_H = (0.0, 3.0)  # bench; PLMS index > 5/h in 36 % of healthy sleepers (Frauscher et al. 2014)
PLM_BURST_S = (0.5, 10.0)  # LM duration 0.5-10 s (Zucconi 2006; Ferri 2016)
PLM_IMI_S = (5.0, 90.0)  # intermovement interval 5-90 s (Zucconi 2006)
PLM_PERIOD_S = (15.0, 40.0)  # bench: typical period inside the scoring window
PLM_PERIOD_JITTER = 0.15  # bench
PLM_COUNT = (4, 30)  # ≥ 4 movements per series (Zucconi 2006); upper bound bench
PLM_X = (2.0, 20.0)  # bench; scored LMs rise ≥ 8 µV above resting EMG (Zucconi 2006)
PLM_RISE_S = (0.1, 0.5)  # bench
PLM_FALL_S = (0.2, 1.0)  # bench
PLM_FLUCT = 0.1  # bench
BURST_EDGE_MAX_FRAC = 0.3  # bench: rise and fall of any burst take at most 30 % of it (a plateau exists)
STRETCHES_PER_H = (2.0, 8.0)  # bench
STRETCH_DUR_S = (2.0, 45.0)  # brief: seconds to most of a minute
STRETCH_RISE_S = (1.0, 3.0)  # brief: smooth voluntary rise over ≥ 1 s
STRETCH_MVC_FRAC = (0.1, 0.6)  # bench: general leg stretch
PF_MVC_FRAC = (0.3, 0.9)  # brief: plantar flexion at a large share of maximal effort
MVC_X_REST = (40.0, 250.0)  # bench: calf MVC sEMG (hundreds of µV) over sleeping rest (a few µV)
VOLUNTARY_MDF_SCALE = (0.85, 1.2)  # bench; MDF rises with force in some calf heads (force-dependent MF studies)
PLANTAR_FLEXION_PROB = 0.5  # bench: share of voluntary events that are plantar flexions
MOTION_ART_UV = (50.0, 2000.0)  # skin-stretch artefacts reach mV (De Talhouet & Webster 1996); bench range
MOTION_ART_S = (0.2, 1.0)  # bench
MOTION_ART_HZ = (1.0, 5.0)  # movement artefact energy lies below ~20 Hz (De Luca et al. 2010); bench
POSCHANGES_PER_H = (2.0, 8.0)  # bench
POSCHANGE_DUR_S = (3.0, 45.0)  # large-muscle-group movements last 3-45 s in adults (Ferri et al. 2021)
POSCHANGE_X = (3.0, 30.0)  # bench
POSCHANGE_RISE_S = (0.2, 2.0)  # bench
POSCHANGE_FALL_S = (0.3, 3.0)  # bench
POSCHANGE_FLUCT = (0.2, 0.5)  # bench: irregular activity while turning over
POSCHANGE_SWING_UV = (100.0, 3000.0)  # bench; mV motion artefacts (De Talhouet & Webster 1996; Tam & Webster 1977)
POSCHANGE_SWING_BAND_HZ = (0.3, 8.0)  # below 20 Hz (De Luca et al. 2010); bench
JERKS_PER_H = (2.0, 15.0)  # bench
JERK_DUR_S = (0.075, 0.9)  # hypnic-jerk EMG 75-250 ms (ICSD-3 normal variant), < 1 s (brief)
JERK_X = (5.0, 50.0)  # bench
JERK_RISE_FRAC, JERK_FALL_FRAC = 0.2, 0.3  # bench: share of the jerk spent rising / falling
MOTION_DECAY_FRAC = 0.4  # bench: motion transient decays with τ = 0.4 × its length
POPS_PER_H = (0.5, 6.0)  # bench
POP_UV = (100.0, 3000.0)  # bench: abrupt half-cell potential change (Tam & Webster 1977)
POP_TAU_S = (0.05, 2.0)  # bench
LEADOFF_PER_H = (0.3, 2.0)  # bench
LEADOFF_S = (2.0, 300.0)  # brief: seconds to minutes
SATURATION_PER_H = (0.5, 3.0)  # bench
SATURATION_S = (0.2, 10.0)  # bench
SATURATION_RISE_S = 0.02  # bench: front-end overload drives the output to the rail within ms
SATURATION_RECOVERY_S = 0.3  # bench: exponential return from the rail after the overload
ECG_NIGHT_PROB = 0.6  # bench
ECG_QRS_UV = (5.0, 80.0)  # bench: calf is far from the heart; trunk EMG is far worse (Drake & Callaghan 2006)
ECG_HR_BPM = (50.0, 90.0)  # brief 50-100 bpm; adult resting 60-100 bpm, lower asleep
ECG_HR_SWING_BPM = (0.0, 8.0)  # bench: slow heart-rate drift
ECG_RR_JITTER = (0.01, 0.05)  # bench: beat-to-beat variability
ECG_QRS_MS = (80.0, 120.0)  # normal QRS duration (Surawicz et al. 2009)
ECG_T_REL = (0.1, 0.3)  # bench: T wave relative to QRS
ECG_T_DELAY_S = 0.25  # bench: T-wave peak after the QRS, inside a normal QT of ~0.35-0.44 s
ECG_T_SIGMA_S = 0.05  # bench
ECG_QRS_LEAD_S = 0.1  # bench: template time before the QRS centre
ECG_HR_SWING_PERIOD_S = 600.0  # bench
ECG_BEAT_JITTER = 0.1  # bench: beat-to-beat amplitude variation
ECG_FADE_EXP = 0.3  # bench: how fast the bleed swells and fades at the ends of a span
ECG_ON_MIN = (10.0, 90.0)  # brief: bleed comes and goes over hours (bench)
ECG_OFF_MIN = (10.0, 120.0)  # bench
ECG_TEMPLATE_S = 0.5  # bench: shorter than the shortest RR interval (100 bpm → 0.6 s)
MAINS_HZ = (50.0, 60.0)  # grid frequencies (Huhta & Webster 1973)
MAINS_50_PROB = 0.6  # bench
MAINS_UV_RMS = (0.2, 30.0)  # bench: depends on electrode impedance imbalance (Huhta & Webster 1973)
MAINS_H3_REL = (0.1, 0.5)  # bench: odd harmonics from non-linear loads
MAINS_H5_REL = (0.05, 0.3)  # bench
MAINS_SWING_LN = 0.5  # bench: log-amplitude wander of the hum over minutes
MAINS_SWING_FC_HZ = 0.005  # bench: i.e. over minutes
WANDER_UV_RMS = (20.0, 500.0)  # brief: hobby boards wander by hundreds of µV (Tam & Webster 1977)
WANDER_FC_HZ = (0.05, 0.5)  # bench
EVENT_GAP_S = 1.0  # bench: minimum gap between placed look-alikes
TRANSITION_AROUSAL_JITTER_S = 5.0  # bench: arousal within ±5 s of a stage change
FALLBACK_CRAMP_S = (3.0, 30.0)  # bench: short strong cramp when a crowded short night had none placed
CHUNK = 1 << 20  # bench: samples per chunk for whole-night passes (keeps temporaries small)
PLACE_TRIES = 60  # bench


# ===========================================================================
# Night parameters
# ===========================================================================
@dataclass(frozen=True)
class Spectrum:
    """Carrier spectrum of one night (all frequencies in Hz, lengths in m, velocity in m/s)."""

    fl_hz: float
    fh_hz: float
    mfcv_m_s: float
    ied_m: float
    depth_m: float
    mdf_target_hz: float
    mdf_hz: float
    low_band_share: float


@dataclass(frozen=True)
class Board:
    """Acquisition board of one night (Hz, µV)."""

    fs: float
    lp_hz: float
    lp_order: int
    hp_hz: float | None
    rail_uv: float
    lsb_uv: float
    noise_uv: float


@dataclass(frozen=True)
class NightParams:
    """Every per-night draw (µV, Hz, s)."""

    hours: float
    board: Board
    spectrum: Spectrum
    fat_mm: float
    electrode_factor: float
    tone_uv: float
    stage_tone: dict
    transition_tau_s: float
    mvc_x_rest: float
    mains_hz: float
    mains_uv: float
    mains_h3: float
    mains_h5: float
    wander_uv: float
    wander_fc_hz: float
    ecg: bool
    ecg_qrs_uv: float
    ecg_hr_bpm: float
    restless: bool
    excerpt_start_s: float
    rates_per_h: dict = field(default_factory=dict)


def _u(rng: np.random.Generator, lo_hi: tuple[float, float]) -> float:
    """Uniform draw in ``lo_hi``."""
    return float(rng.uniform(lo_hi[0], lo_hi[1]))


def _lu(rng: np.random.Generator, lo_hi: tuple[float, float]) -> float:
    """Log-uniform draw in ``lo_hi`` (both > 0)."""
    return float(math.exp(rng.uniform(math.log(lo_hi[0]), math.log(lo_hi[1]))))


def _draw_fs(rng: np.random.Generator) -> float:
    """Sampling rate from the allowed set, 250-Hz boards weighted ~1 in 4."""
    return float(rng.choice(FS_CHOICES_HZ, p=FS_WEIGHTS))


def _draw_board(rng: np.random.Generator, fs: float) -> Board:
    """Anti-alias filter, coupling, rail, LSB and input noise of the board."""
    lp = min(_u(rng, BOARD_LP_FRAC_FS) * fs, BOARD_LP_MAX_HZ)
    order = int(rng.choice(BOARD_LP_ORDERS))
    hp = _lu(rng, BOARD_HP_HZ) if rng.random() < BOARD_HP_PROB else None
    return Board(
        fs=fs,
        lp_hz=lp,
        lp_order=order,
        hp_hz=hp,
        rail_uv=_lu(rng, RAIL_UV),
        lsb_uv=_lu(rng, ADC_LSB_UV),
        noise_uv=_lu(rng, NOISE_FLOOR_UV),
    )


def _comb(f: np.ndarray, ied_m: float, v: float) -> np.ndarray:
    """Bipolar electrode transfer power, averaged over a conduction-velocity spread (no hard zeros)."""
    vs = v * (1.0 + MFCV_SPREAD * np.linspace(-1.0, 1.0, 7))
    return np.mean(np.sin(np.pi * f[None, :] * ied_m / vs[:, None]) ** 2, axis=0)


def _source_tissue(f: np.ndarray, fl: float, fh: float, v: float, depth_m: float) -> np.ndarray:
    """Shwedyk source shape × tissue low-pass (power, unnormalised)."""
    f2 = f * f
    src = f2 * fh**4 / ((f2 + fl * fl) * (f2 + fh * fh) ** 2)
    return src * np.exp(-4.0 * np.pi * f * depth_m / v)  # Lindström & Magnusson 1977: |exp(-kh)|², k = 2πf/v


def _psd(f: np.ndarray, fl: float, fh: float, v: float, ied_m: float, depth_m: float) -> np.ndarray:
    """Unnormalised carrier PSD: Shwedyk source × tissue low-pass × bipolar comb."""
    return _source_tissue(f, fl, fh, v, depth_m) * _comb(f, ied_m, v)


def _median_freq(f: np.ndarray, p: np.ndarray) -> float:
    """Frequency splitting the power in two halves (Hz)."""
    c = np.cumsum(p)
    return float(np.interp(0.5 * c[-1], c, f))


def _bisect_log(fun: Callable[[float], float], lo: float, hi: float, target: float, increasing: bool) -> float:
    """Solve fun(v) = target for v in [lo, hi] (fun monotone), by bisection in log v."""
    a, b = math.log(lo), math.log(hi)
    for _ in range(40):
        m = 0.5 * (a + b)
        below = fun(math.exp(m)) < target
        if below == increasing:
            a = m
        else:
            b = m
    return math.exp(0.5 * (a + b))


def _draw_spectrum(rng: np.random.Generator) -> Spectrum:
    """Draw geometry, source corners and a target MDF, then solve the effective tissue depth for it.

    The geometric depth under fat would low-pass far more than measured
    spectra show (deeper fibres and the K0 shape of a line source), so the
    tissue term uses an *effective* depth solved so the MDF equals the drawn
    target; if even zero depth is too low, the source corner is raised instead.
    """
    v, ied = _u(rng, MFCV_M_S), _u(rng, IED_MM) * 1e-3
    fl, fh0, target = _lu(rng, SOURCE_FL_HZ), _lu(rng, SOURCE_FH_HZ), _u(rng, MDF_HZ)
    f = np.linspace(0.25, SPECTRUM_GRID_HZ, 4000)

    def mdf(fh: float, depth: float) -> float:
        return _median_freq(f, _psd(f, fl, fh, v, ied, depth))

    if mdf(fh0, 0.0) >= target:  # MDF falls monotonically with depth
        fh, depth = fh0, _bisect_log(lambda d: mdf(fh0, d), 1e-6, EFFECTIVE_DEPTH_MAX_M, target, False)
    else:  # MDF rises monotonically with the source corner
        depth, fh = 0.0, _bisect_log(lambda h: mdf(h, 0.0), fh0, SOURCE_FH_SEARCH_HZ[1], target, True)
    p = _psd(f, fl, fh, v, ied, depth)
    return Spectrum(
        fl_hz=fl,
        fh_hz=fh,
        mfcv_m_s=v,
        ied_m=ied,
        depth_m=depth,
        mdf_target_hz=target,
        mdf_hz=_median_freq(f, p),
        low_band_share=float(p[f < LOW_BAND_HZ].sum() / p.sum()),
    )


def _electrode_factor(spec: Spectrum, fat_mm: float) -> float:
    """Amplitude factor of fat (Kuiken 2003) and electrode spacing (bipolar comb power) vs the reference."""
    fat = np.interp(fat_mm, KUIKEN_FAT_MM, KUIKEN_RMS_FACTOR) / np.interp(FAT_REF_MM, KUIKEN_FAT_MM, KUIKEN_RMS_FACTOR)
    f = np.linspace(0.25, SPECTRUM_GRID_HZ, 2000)
    base = _source_tissue(f, spec.fl_hz, spec.fh_hz, spec.mfcv_m_s, spec.depth_m)
    v = spec.mfcv_m_s
    ied = np.sum(base * _comb(f, spec.ied_m, v)) / np.sum(base * _comb(f, IED_REF_MM * 1e-3, v))
    return float(fat * math.sqrt(ied))


def _draw_rates(rng: np.random.Generator, restless: bool) -> dict:
    """Per-hour event rates of this night (bench densities)."""
    rates = {
        "cramp": _u(rng, CRAMPS_PER_H),
        "arousal": _u(rng, AROUSALS_PER_H),
        "plm": _u(rng, PLM_SERIES_PER_H),
        "voluntary": _u(rng, STRETCHES_PER_H),
        "position_change": _u(rng, POSCHANGES_PER_H),
        "jerk": _u(rng, JERKS_PER_H),
        "pop": _u(rng, POPS_PER_H),
        "lead_off": _u(rng, LEADOFF_PER_H),
        "saturation": _u(rng, SATURATION_PER_H),
        "wake": _u(rng, WAKE_BOUTS_PER_H),
        "weak_fraction": _u(rng, WEAK_FRACTION),
        "clusters": _u(rng, AROUSAL_CLUSTERS_PER_H) if restless else 0.0,
    }
    return rates


def _draw_night(rng: np.random.Generator, hours: float, fs: float) -> NightParams:
    """All per-night parameters (no samples)."""
    board = _draw_board(rng, fs)
    spec, fat_mm = _draw_spectrum(rng), _lu(rng, FAT_MM)
    factor = _electrode_factor(spec, fat_mm)
    tone = float(np.clip(_lu(rng, REST_REF_UV) * factor, *REST_UV_CLIP))
    n1 = _u(rng, TONE_N1)
    # wake's base level is N1's: the raised wake tone is added as a separate step (see _tone_curve)
    stage_tone = {"W": n1, "N1": n1, "N2": 1.0, "N3": _u(rng, TONE_N3), "REM": _u(rng, TONE_REM)}
    restless = bool(rng.random() < RESTLESS_PROB)
    night_s = max(NIGHT_TOTAL_H, hours) * 3600.0
    return NightParams(
        hours=hours,
        board=board,
        spectrum=spec,
        fat_mm=fat_mm,
        electrode_factor=factor,
        tone_uv=tone,
        stage_tone=stage_tone,
        transition_tau_s=_u(rng, TRANSITION_TAU_S),
        mvc_x_rest=_lu(rng, MVC_X_REST),
        mains_hz=MAINS_HZ[0] if rng.random() < MAINS_50_PROB else MAINS_HZ[1],
        mains_uv=_lu(rng, MAINS_UV_RMS),
        mains_h3=_u(rng, MAINS_H3_REL),
        mains_h5=_u(rng, MAINS_H5_REL),
        wander_uv=_lu(rng, WANDER_UV_RMS),
        wander_fc_hz=_lu(rng, WANDER_FC_HZ),
        ecg=bool(rng.random() < ECG_NIGHT_PROB),
        ecg_qrs_uv=_lu(rng, ECG_QRS_UV),
        ecg_hr_bpm=_u(rng, ECG_HR_BPM),
        restless=restless,
        excerpt_start_s=float(rng.uniform(0.0, night_s - hours * 3600.0)),
        rates_per_h=_draw_rates(rng, restless),
    )


def _streams(seed: int) -> tuple[np.random.Generator, ...]:
    """Independent generators: fs, night parameters, event plan, sample noise."""
    return tuple(np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(4))


def draw_parameters(seed: int, hours: float = 1.0, fs: float | None = None) -> NightParams:
    """Per-night parameters that ``generate`` would use, without synthesising samples.

    Parameters
    ----------
    seed : int
        Night seed.
    hours : float
        Night length in hours.
    fs : float or None
        Sampling rate in Hz; None draws it from the seed.

    Returns
    -------
    NightParams
        Board (Hz, µV), carrier spectrum (Hz), rest tone (µV RMS in N2) and artefact levels (µV).
    """
    r_fs, r_night, _, _ = _streams(seed)
    drawn_fs = _draw_fs(r_fs)
    return _draw_night(r_night, float(hours), float(fs) if fs is not None else drawn_fs)


# ===========================================================================
# Hypnogram and tone
# ===========================================================================
def _cycle_stages(rng: np.random.Generator, k: int) -> list[tuple[str, float]]:
    """Stage sequence (stage, seconds) of the k-th NREM-REM cycle."""
    length = _u(rng, CYCLE_MIN) * 60.0
    n1 = _u(rng, N1_FRAC) * length
    n3 = _u(rng, N3_FRAC_EARLY if k < 2 else N3_FRAC_LATE) * length
    rem = _u(rng, REM_FRAC_FIRST if k == 0 else REM_FRAC_LATER) * length
    n2 = max(length - n1 - n3 - rem, 60.0)
    seq = [("N2", 0.6 * n2), ("N3", n3), ("N2", 0.4 * n2), ("REM", rem)]
    return ([("N1", n1)] if k > 0 else []) + seq


def _hypnogram(rng: np.random.Generator, night_s: float, wake_rate_h: float) -> np.ndarray:
    """Stage code per second over the full night (codes in STAGE_CODES)."""
    n = math.ceil(night_s) + 1
    stages = np.full(n, STAGE_CODES["N2"], dtype=np.int8)
    t, k = _u(rng, SLEEP_ONSET_N1_MIN) * 60.0, 0
    stages[: int(t)] = STAGE_CODES["N1"]
    while t < n:
        for name, dur in _cycle_stages(rng, k):
            stages[int(t) : int(t + dur)] = STAGE_CODES[name]
            t += dur
        k += 1
    for _ in range(rng.poisson(wake_rate_h * night_s / 3600.0)):  # brief awakenings anywhere in the night
        a = rng.uniform(0.0, night_s)
        stages[int(a) : int(a + _lu(rng, WAKE_BOUT_S))] = STAGE_CODES["W"]
    return stages


@dataclass
class _Step:
    """Raised tone after an awakening: onset, held until ``end``, then exponential decay (s)."""

    onset: float
    end: float
    mult: float
    rise: float
    decay: float


def _wake_steps(rng: np.random.Generator, hyp: np.ndarray, start_s: float, night_s: float) -> list[_Step]:
    """Tone steps at each wake bout that is visible in the excerpt."""
    w = (hyp == STAGE_CODES["W"]).astype(np.int8)
    d = np.diff(np.concatenate([[0], w, [0]]))
    steps = []
    for a, b in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)):
        step = _Step(a - start_s, b - start_s, _lu(rng, TONE_WAKE), _u(rng, WAKE_RISE_S), _lu(rng, WAKE_DECAY_S))
        if step.end + 2 * step.decay > 0 and step.onset < night_s:
            steps.append(step)
    return steps


def _tone_curve(p: NightParams, hyp: np.ndarray, steps: list[_Step], n_coarse: int) -> np.ndarray:
    """Tone multiplier on the coarse grid: smoothed stage levels × (1 + awakening steps)."""
    t = np.arange(n_coarse) / COARSE_HZ
    secs = np.clip((t + p.excerpt_start_s).astype(np.int64), 0, hyp.size - 1)
    levels = np.array([p.stage_tone[s] for s in ("W", "N1", "N2", "N3", "REM")])
    base = levels[hyp[secs]]
    a = math.exp(-1.0 / (COARSE_HZ * p.transition_tau_s))  # one-pole smoothing: tens-of-seconds transitions
    base = signal.lfilter([1 - a], [1, -a], base, zi=[a * base[0]])[0]
    bump = np.zeros(n_coarse)
    for s in steps:
        rise = np.clip((t - s.onset) / s.rise, 0.0, 1.0)
        after = np.where(t > s.end, np.exp(-(t - s.end) / s.decay), 1.0)
        bump += (s.mult - 1.0) * rise * after
    return base * (1.0 + bump)


# ===========================================================================
# Event plan (times and shapes, no samples)
# ===========================================================================
class _Grid:
    """Occupancy of the night at 0.1-s resolution, for non-overlapping placement."""

    def __init__(self, night_s: float) -> None:
        self.night_s = night_s
        self.busy = np.zeros(int(night_s * 10) + 2, dtype=bool)
        self.block = np.zeros_like(self.busy)  # extra spans avoided while ``blocking`` is on (cramps only)
        self.blocking = False

    def free(self, a: float, b: float) -> bool:
        """True if [a, b] is inside the night and unoccupied."""
        if a < 0 or b > self.night_s:
            return False
        sl = slice(int(a * 10), math.ceil(b * 10) + 1)
        return not (self.busy[sl].any() or (self.blocking and self.block[sl].any()))

    def take(self, a: float, b: float) -> None:
        """Mark [a, b] occupied."""
        self.busy[max(int(a * 10), 0) : math.ceil(b * 10) + 1] = True

    def place(self, rng: np.random.Generator, length: float, gap: float = EVENT_GAP_S) -> float | None:
        """Random free start for a span of ``length`` s (with ``gap`` around it), or None."""
        for _ in range(PLACE_TRIES):
            a = rng.uniform(gap, max(self.night_s - length - gap, gap + 1e-3))
            if self.free(a - gap, a + length + gap):
                self.take(a, a + length)
                return float(a)
        return None


def _ev(kind: str, onset: float, offset: float, strength: float, **extra) -> dict:
    """Truth record; synthesis instructions live under private ``_``-prefixed keys."""
    d = {
        "onset_s": float(onset),
        "offset_s": float(offset),
        "kind": kind,
        "is_cramp": kind in ("tonic", "clonic"),
        "strength_x_rest": float(strength),
    }
    d.update(extra)
    return d


def _cramp_duration(rng: np.random.Generator, weak: bool, limit: float) -> float:
    """Cramp length (s): log-normal around ~1 min (strong) or tens of s to minutes (weak)."""
    if weak:
        d = _lu(rng, WEAK_DUR_S)
    else:
        d = float(np.clip(CRAMP_DUR_MEDIAN_S * math.exp(CRAMP_DUR_SIGMA_LN * rng.standard_normal()), *CRAMP_DUR_S))
    return float(min(d, max(limit, CRAMP_DUR_S[0])))


def _cramp_shape(rng: np.random.Generator, weak: bool, strength: float | None = None) -> dict:
    """Envelope parameters of one cramp."""
    clonic = rng.random() < CLONIC_PROB
    shape = {
        "plateau": strength if strength is not None else _lu(rng, WEAK_X_REST if weak else STRONG_X_REST),
        "rise": _lu(rng, CRAMP_RISE_S),
        "fall": _lu(rng, CRAMP_FALL_S),
        "fluct": _u(rng, TONIC_FLUCT),
        "mdf_scale": _u(rng, CRAMP_MDF_SCALE),
        "clonic": clonic,
    }
    if clonic:
        shape.update(clonic_hz=_lu(rng, CLONIC_HZ), floor=_u(rng, CLONIC_FLOOR), duty=_u(rng, CLONIC_DUTY))
    return shape


def _cramp_event(onset: float, dur: float, shape: dict, weak: bool, **extra) -> dict:
    """Truth record of one cramp (rise and fall capped at 30 % of the duration so a plateau exists)."""
    shape["rise"] = min(shape["rise"], BURST_EDGE_MAX_FRAC * dur)
    shape["fall"] = min(shape["fall"], BURST_EDGE_MAX_FRAC * dur)
    kind = "clonic" if shape["clonic"] else "tonic"
    ex = {
        "weak": weak,
        "rise_s": shape["rise"],
        "mdf_scale": shape["mdf_scale"],
        "_emg": [("cramp", onset, dur, shape)],
    }
    if shape["clonic"]:
        ex.update(clonic_hz=shape["clonic_hz"])
    ex.update(extra)
    return _ev(kind, onset, onset + dur, shape["plateau"], **ex)


def _voluntary(rng: np.random.Generator, onset: float, dur: float, kind: str, plateau: float, **extra) -> dict:
    """Stretch / plantar flexion: smooth rise ≥ 1 s, plateau, motion artefact at both ends."""
    shape = {
        "plateau": plateau,
        "rise": _u(rng, STRETCH_RISE_S),
        "fall": _u(rng, STRETCH_RISE_S),
        "fluct": _u(rng, TONIC_FLUCT),
        "mdf_scale": _u(rng, VOLUNTARY_MDF_SCALE),
        "clonic": False,
    }
    shape["rise"] = min(shape["rise"], BURST_EDGE_MAX_FRAC * dur)
    shape["fall"] = min(shape["fall"], BURST_EDGE_MAX_FRAC * dur)
    arts = [
        ("motion", t, _lu(rng, MOTION_ART_S), _lu(rng, MOTION_ART_UV) * rng.choice([-1, 1]), _u(rng, MOTION_ART_HZ))
        for t in (onset, max(onset, onset + dur - 0.5))
    ]  # the foot moves at the start and at the end
    return _ev(
        kind,
        onset,
        onset + dur,
        plateau,
        mdf_scale=shape["mdf_scale"],
        _emg=[("burst", onset, dur, shape)],
        _art=arts,
        **extra,
    )


def _plan_cramp_episode(
    rng: np.random.Generator, grid: _Grid, weak: bool, steps: list[_Step], max_dur: float | None = None
) -> list[dict]:
    """One cramp with optional precursor twitching, aftershock, relief stretch and post-cramp awakening."""
    night_s = grid.night_s
    limit = 0.5 * night_s - PRE_CRAMP_QUIET_S - 10.0
    dur = _cramp_duration(rng, weak, limit if max_dur is None else min(limit, max_dur))
    pre = _u(rng, PRECURSOR_S) if rng.random() < PRECURSOR_PROB else 0.0
    shape = _cramp_shape(rng, weak)
    after = dur >= AFTERSHOCK_MIN_PARENT_S and rng.random() < AFTERSHOCK_PROB
    gap_a = _u(rng, AFTERSHOCK_GAP_S) if after else 0.0
    dur_a = max(CRAMP_DUR_S[0], _u(rng, AFTERSHOCK_DUR_FRAC) * dur) if after else 0.0
    relief = rng.random() < RELIEF_PROB
    gap_r, dur_r = (_u(rng, RELIEF_GAP_S), _lu(rng, RELIEF_DUR_S)) if relief else (0.0, 0.0)
    total = PRE_CRAMP_QUIET_S + pre + dur + gap_a + dur_a + gap_r + dur_r
    start = grid.place(rng, total, gap=EVENT_GAP_S)
    if start is None:
        return []
    onset = start + PRE_CRAMP_QUIET_S + pre
    extra = {"precursor_onset_s": onset - pre if pre > 0 else float("nan"), "aftershock": False}
    if pre > 0:
        extra["_emg_pre"] = (
            "precursor",
            onset - pre,
            pre,
            {"tone_x": _u(rng, PRECURSOR_TONE_X), "twitch_hz": _lu(rng, TWITCH_RATE_HZ)},
        )
    events = [_cramp_event(onset, dur, shape, weak, **extra)]
    t = onset + dur
    if after:
        strength = max(WEAK_X_REST[0], shape["plateau"] * _u(rng, AFTERSHOCK_STRENGTH_FRAC))
        events.append(
            _cramp_event(
                t + gap_a,
                dur_a,
                _cramp_shape(rng, weak, strength),
                weak,
                aftershock=True,
                precursor_onset_s=float("nan"),
            )
        )
        t += gap_a + dur_a
    if relief:
        events.append(_voluntary(rng, t + gap_r, dur_r, "stretch", _lu(rng, RELIEF_X), relief=True))
        t += gap_r + dur_r
    if rng.random() < POST_CRAMP_WAKE_PROB:  # awakened by the cramp: raised tone for minutes
        hold = _lu(rng, WAKE_BOUT_S)
        steps.append(
            _Step(t, min(t + hold, night_s), _lu(rng, TONE_WAKE), _u(rng, WAKE_RISE_S), _lu(rng, WAKE_DECAY_S))
        )
    return events


def _plan_cramps(rng: np.random.Generator, grid: _Grid, p: NightParams, steps: list[_Step]) -> list[dict]:
    """All cramp episodes of the night; every night gets at least one cramp (bench choice)."""
    events: list[dict] = []
    for _ in range(max(1, int(rng.poisson(p.rates_per_h["cramp"] * p.hours)))):
        events += _plan_cramp_episode(rng, grid, bool(rng.random() < p.rates_per_h["weak_fraction"]), steps)
    tries = 0
    while not events and tries < 20:  # short or crowded nights: fall back to a short strong cramp
        grid.blocking = tries < 10
        events = _plan_cramp_episode(rng, grid, False, steps, max_dur=_u(rng, FALLBACK_CRAMP_S))
        tries += 1
    grid.blocking = True
    return events


def _plan_plm(rng: np.random.Generator, grid: _Grid) -> list[dict]:
    """One PLM series: ≥ 4 bursts at a near-constant period, tone in between."""
    n = int(rng.integers(PLM_COUNT[0], PLM_COUNT[1] + 1))
    period = _u(rng, PLM_PERIOD_S)
    imi = np.clip(period * (1 + PLM_PERIOD_JITTER * rng.standard_normal(n - 1)), *PLM_IMI_S)
    durs = np.array([_lu(rng, PLM_BURST_S) for _ in range(n)])
    durs[:-1] = np.minimum(durs[:-1], 0.6 * imi)  # a burst ends before the next starts
    rel = np.concatenate([[0.0], np.cumsum(imi)])
    length = float(rel[-1] + durs[-1])
    if length > 0.8 * grid.night_s:  # keep the series inside short nights
        keep = max(4, int(np.searchsorted(rel, 0.6 * grid.night_s)))
        rel, durs = rel[:keep], durs[:keep]
        length = float(rel[-1] + durs[-1])
    start = grid.place(rng, length)
    if start is None:
        return []
    plateaus = [_lu(rng, PLM_X) for _ in rel]
    bursts = [
        (
            "burst",
            start + r,
            d,
            {
                "plateau": x,
                "rise": min(_u(rng, PLM_RISE_S), BURST_EDGE_MAX_FRAC * d),
                "fall": min(_u(rng, PLM_FALL_S), BURST_EDGE_MAX_FRAC * d),
                "fluct": PLM_FLUCT,
                "mdf_scale": _u(rng, VOLUNTARY_MDF_SCALE),
                "clonic": False,
            },
        )
        for r, d, x in zip(rel, durs, plateaus)
    ]
    return [
        _ev(
            "plm",
            start,
            start + length,
            float(np.median(plateaus)),
            n_bursts=len(rel),
            burst_onsets_s=[float(start + r) for r in rel],
            period_s=period,
            _emg=bursts,
        )
    ]


def _plan_simple_emg(rng: np.random.Generator, grid: _Grid, kind: str, p: NightParams) -> list[dict]:
    """Stretch, plantar flexion, position change or jerk in a free slot."""
    if kind in ("stretch", "plantar_flexion"):
        dur = _lu(rng, STRETCH_DUR_S)
        onset = grid.place(rng, dur)
        if onset is None:
            return []
        frac = PF_MVC_FRAC if kind == "plantar_flexion" else STRETCH_MVC_FRAC
        return [_voluntary(rng, onset, dur, kind, max(2.0, _u(rng, frac) * p.mvc_x_rest))]
    if kind == "position_change":
        dur = _lu(rng, POSCHANGE_DUR_S)
        onset = grid.place(rng, dur)
        if onset is None:
            return []
        x = _lu(rng, POSCHANGE_X)
        shape = {
            "plateau": x,
            "rise": min(_u(rng, POSCHANGE_RISE_S), BURST_EDGE_MAX_FRAC * dur),
            "fall": min(_u(rng, POSCHANGE_FALL_S), BURST_EDGE_MAX_FRAC * dur),
            "fluct": _u(rng, POSCHANGE_FLUCT),
            "mdf_scale": _u(rng, VOLUNTARY_MDF_SCALE),
            "clonic": False,
        }
        swing = ("swing", onset, dur, _lu(rng, POSCHANGE_SWING_UV), POSCHANGE_SWING_BAND_HZ)
        return [
            _ev(
                kind,
                onset,
                onset + dur,
                x,
                mdf_scale=shape["mdf_scale"],
                _emg=[("burst", onset, dur, shape)],
                _art=[swing],
            )
        ]
    dur = _lu(rng, JERK_DUR_S)  # jerk
    onset = grid.place(rng, dur)
    if onset is None:
        return []
    x = _lu(rng, JERK_X)
    shape = {
        "plateau": x,
        "rise": JERK_RISE_FRAC * dur,
        "fall": JERK_FALL_FRAC * dur,
        "fluct": 0.0,
        "mdf_scale": _u(rng, CRAMP_MDF_SCALE),
        "clonic": False,
    }
    return [_ev("jerk", onset, onset + dur, x, mdf_scale=shape["mdf_scale"], _emg=[("burst", onset, dur, shape)])]


def _arousal(rng: np.random.Generator, onset: float, dur: float, cause: str) -> dict:
    """Arousal: quick rise, plateau, fall."""
    x = _lu(rng, AROUSAL_X)
    shape = {
        "plateau": x,
        "rise": min(_lu(rng, AROUSAL_RISE_S), BURST_EDGE_MAX_FRAC * dur),
        "fall": min(_lu(rng, AROUSAL_FALL_S), BURST_EDGE_MAX_FRAC * dur),
        "fluct": _u(rng, TONIC_FLUCT),
        "mdf_scale": _u(rng, CRAMP_MDF_SCALE),
        "clonic": False,
    }
    return _ev(
        "arousal", onset, onset + dur, x, cause=cause, mdf_scale=shape["mdf_scale"], _emg=[("burst", onset, dur, shape)]
    )


def _try_arousal_at(rng: np.random.Generator, grid: _Grid, t: float, cause: str) -> list[dict]:
    """Arousal starting at ``t`` if the slot is free."""
    dur = _u(rng, AROUSAL_DUR_S)
    if grid.free(t, t + dur + EVENT_GAP_S):
        grid.take(t, t + dur)
        return [_arousal(rng, t, dur, cause)]
    return []


def _plan_arousals(
    rng: np.random.Generator, grid: _Grid, p: NightParams, hyp: np.ndarray, lms: list[dict]
) -> list[dict]:
    """Arousals at stage transitions, after leg movements, in clusters (restless nights), then spontaneous."""
    out: list[dict] = []
    sec0 = int(p.excerpt_start_s)
    seg = hyp[sec0 : sec0 + int(grid.night_s) + 1]
    for i in np.flatnonzero(np.diff(seg) != 0):
        if rng.random() < AROUSAL_AT_TRANSITION_PROB:
            jitter = rng.uniform(-TRANSITION_AROUSAL_JITTER_S, TRANSITION_AROUSAL_JITTER_S)
            out += _try_arousal_at(rng, grid, float(i) + jitter, "stage_transition")
    for lm in lms:
        if rng.random() < AROUSAL_AFTER_LM_PROB:
            out += _try_arousal_at(rng, grid, lm["offset_s"] + _u(rng, AROUSAL_AFTER_LM_GAP_S), "leg_movement")
    hours = grid.night_s / 3600.0
    for _ in range(rng.poisson(p.rates_per_h["clusters"] * hours)):
        t = rng.uniform(0.0, grid.night_s)
        for _ in range(int(rng.integers(AROUSAL_CLUSTER_SIZE[0], AROUSAL_CLUSTER_SIZE[1] + 1))):
            out += _try_arousal_at(rng, grid, t, "cluster")
            t += _u(rng, AROUSAL_CLUSTER_GAP_S)
    for _ in range(max(rng.poisson(p.rates_per_h["arousal"] * hours) - len(out), 0)):
        dur = _u(rng, AROUSAL_DUR_S)
        onset = grid.place(rng, dur)
        if onset is not None:
            out.append(_arousal(rng, onset, dur, "spontaneous"))
    return out


def _plan_artefacts(rng: np.random.Generator, grid: _Grid, p: NightParams) -> list[dict]:
    """Pops, saturations and lead-offs in free slots (pure artefacts: strength NaN)."""
    out, hours, nan = [], grid.night_s / 3600.0, float("nan")
    for _ in range(rng.poisson(p.rates_per_h["pop"] * hours)):
        tau = _lu(rng, POP_TAU_S)
        onset = grid.place(rng, 5 * tau)
        if onset is not None:
            amp = _lu(rng, POP_UV) * rng.choice([-1, 1])
            out.append(_ev("pop", onset, onset + 5 * tau, nan, amp_uv=amp, _art=[("pop", onset, tau, amp)]))
    for _ in range(rng.poisson(p.rates_per_h["saturation"] * hours)):
        dur = _lu(rng, SATURATION_S)
        onset = grid.place(rng, dur + 5 * SATURATION_RECOVERY_S)
        if onset is not None:
            sign = float(rng.choice([-1.0, 1.0]))
            out.append(_ev("saturation", onset, onset + dur, nan, _sat=(onset, dur, sign)))
    for _ in range(rng.poisson(p.rates_per_h["lead_off"] * hours)):
        dur = min(_lu(rng, LEADOFF_S), 0.3 * grid.night_s)
        onset = grid.place(rng, dur)
        if onset is not None:
            mode = str(rng.choice(["rail_pos", "rail_neg", "flat"]))
            out.append(_ev("lead_off", onset, onset + dur, nan, mode=mode, _leadoff=(onset, dur, mode)))
    return out


def _ecg_spans(rng: np.random.Generator, p: NightParams, night_s: float) -> list[tuple[float, float]]:
    """On-periods of ECG bleed (s, excerpt time) from an on/off process over the whole night."""
    if not p.ecg:
        return []
    spans, t, on = [], -p.excerpt_start_s, bool(rng.random() < 0.5)
    while t < night_s:
        d = _u(rng, ECG_ON_MIN if on else ECG_OFF_MIN) * 60.0
        if on and t + d > 0:
            spans.append((max(t, 0.0), min(t + d, night_s)))
        t, on = t + d, not on
    return spans


def _plan(rng: np.random.Generator, p: NightParams) -> tuple[list[dict], list[_Step], np.ndarray]:
    """Every event of the night (times, shapes, truth), the awakening steps and the hypnogram."""
    night_s = p.hours * 3600.0
    hyp = _hypnogram(rng, max(NIGHT_TOTAL_H * 3600.0, p.excerpt_start_s + night_s), p.rates_per_h["wake"])
    steps = _wake_steps(rng, hyp, p.excerpt_start_s, night_s)
    grid = _Grid(night_s)
    for s in steps:  # cramp episodes (with their quiet lead-in) keep clear of awakening tone steps
        grid.block[max(int(s.onset * 10), 0) : max(int((s.end + 2 * s.decay) * 10), 0) + 1] = True
    grid.blocking = True
    events = _plan_cramps(rng, grid, p, steps)
    grid.blocking = False
    for _ in range(rng.poisson(p.rates_per_h["plm"] * p.hours)):
        events += _plan_plm(rng, grid)
    lms: list[dict] = []  # leg movements, which may be followed by arousals
    for rate in ("voluntary", "position_change", "jerk"):
        for _ in range(rng.poisson(p.rates_per_h[rate] * p.hours)):
            kind = rate
            if rate == "voluntary":
                kind = "plantar_flexion" if rng.random() < PLANTAR_FLEXION_PROB else "stretch"
            lms += _plan_simple_emg(rng, grid, kind, p)
    events += lms + _plan_arousals(rng, grid, p, hyp, lms) + _plan_artefacts(rng, grid, p)
    events += [
        _ev("ecg", a, b, float("nan"), hr_bpm=p.ecg_hr_bpm, qrs_uv=p.ecg_qrs_uv) for a, b in _ecg_spans(rng, p, night_s)
    ]
    return events, steps, hyp


def _tone_step_events(steps: list[_Step], night_s: float) -> list[dict]:
    """Truth records of the awakening tone steps (strength filled in later)."""
    out = []
    for s in steps:
        a, b = max(s.onset, 0.0), min(s.end + 2.0 * s.decay, night_s)
        if b > a and s.onset < night_s:
            out.append(
                _ev(
                    "tone_step",
                    a,
                    b,
                    s.mult,
                    tone_mult=s.mult,
                    held_until_s=min(s.end, night_s),
                    started_before_night=s.onset < 0,
                    _step=s,
                )
            )
    return out


# ===========================================================================
# Synthesis
# ===========================================================================
def _board_sos(b: Board) -> np.ndarray:
    """Second-order sections of the board: Butterworth low-pass (+ first-order high-pass if AC-coupled)."""
    sos = signal.butter(b.lp_order, min(b.lp_hz, 0.49 * b.fs), btype="low", fs=b.fs, output="sos")
    if b.hp_hz is not None:
        sos = np.vstack([signal.butter(1, b.hp_hz, btype="high", fs=b.fs, output="sos"), sos])
    return sos


def _board_power_gain(f: np.ndarray, p_f: np.ndarray, sos: np.ndarray, fs: float) -> float:
    """Share of a spectrum's power that passes the board filter."""
    _, h = signal.sosfreqz(sos, worN=f, fs=fs)
    return float(np.sum(p_f * np.abs(h) ** 2) / max(np.sum(p_f), 1e-300))


def _carrier(rng: np.random.Generator, n: int, p: NightParams, sos: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Gaussian carrier (float32) whose variance after the board filter is 1.

    The spectrum is the night's PSD with its frequency axis stretched by ``scale``
    (conduction-velocity scaling: MDF × scale); synthesis is exact in the
    frequency domain (random complex spectrum × sqrt(PSD), inverse real FFT).
    """
    fs, sp = p.board.fs, p.spectrum
    grid = np.linspace(0.0, fs / 2.0, 8193)
    pg = _psd(grid / scale, sp.fl_hz, sp.fh_hz, sp.mfcv_m_s, sp.ied_m, sp.depth_m)
    pg[0] = 0.0
    nb = n // 2 + 1
    spec = np.empty(nb, dtype=np.complex64)
    spec.real = rng.standard_normal(nb, dtype=np.float32)
    spec.imag = rng.standard_normal(nb, dtype=np.float32)
    sum_h2 = 0.0
    for a in range(0, nb, CHUNK):  # shape the spectrum chunk by chunk (no full-length float64 arrays)
        b = min(a + CHUNK, nb)
        h2 = np.interp(np.arange(a, b) * (fs / n), grid, pg)
        w = 4.0 * np.ones(b - a)  # interior bins count twice (conjugate pair) in E[x²]
        w[[0, -1] if a == 0 and b == nb else ([0] if a == 0 else ([-1] if b == nb else []))] = 1.0
        sum_h2 += float(np.dot(w, h2))
        spec[a:b] *= np.sqrt(h2).astype(np.float32)
    gain = _board_power_gain(grid[1:], pg[1:], sos, fs)
    x = sp_fft.irfft(spec, n, workers=1)
    del spec
    x *= np.float32(float(n) / math.sqrt(max(sum_h2 * gain, 1e-300)))
    return x


def _upsample(coarse: np.ndarray, i0: int, i1: int, fs: float) -> np.ndarray:
    """Samples i0..i1 (at fs) of a COARSE_HZ curve, linearly interpolated (float32)."""
    t = np.arange(i0, i1) * (COARSE_HZ / fs)
    return np.interp(t, np.arange(coarse.size, dtype=np.float64), coarse).astype(np.float32)


def _scale_by(x: np.ndarray, coarse: np.ndarray, fs: float) -> None:
    """In place: x *= upsampled coarse curve."""
    for a in range(0, x.size, CHUNK):
        b = min(a + CHUNK, x.size)
        x[a:b] *= _upsample(coarse, a, b, fs)


def _add_upsampled(x: np.ndarray, coarse: np.ndarray, fs: float) -> None:
    """In place: x += upsampled coarse curve."""
    for a in range(0, x.size, CHUNK):
        b = min(a + CHUNK, x.size)
        x[a:b] += _upsample(coarse, a, b, fs)


def _smooth_noise(rng: np.random.Generator, n: int, fs: float, fc: float) -> np.ndarray:
    """Unit-RMS low-pass Gaussian noise of n samples at fs (zero-phase, for envelopes)."""
    if n < 16:
        return np.zeros(n)
    x = rng.standard_normal(n)
    sos = signal.butter(2, min(fc, 0.45 * fs), fs=fs, output="sos")
    y = signal.sosfiltfilt(sos, x) if n > 30 else x
    return y / max(float(np.std(y)), 1e-12)


def _edge(t: np.ndarray, dur: float, rise: float, fall: float) -> np.ndarray:
    """Raised-cosine onset over ``rise`` s and offset over ``fall`` s, 1 in between."""
    up = 0.5 - 0.5 * np.cos(np.pi * np.clip(t / max(rise, 1e-6), 0.0, 1.0))
    down = 0.5 - 0.5 * np.cos(np.pi * np.clip((dur - t) / max(fall, 1e-6), 0.0, 1.0))
    return np.minimum(up, down)


def _clonic_wave(rng: np.random.Generator, t: np.ndarray, hz: float, duty: float) -> np.ndarray:
    """0..1 contraction/relaxation alternation at ~hz with a drifting rate (±10 %)."""
    if t.size < 2:
        return np.ones(t.size)
    dt = t[1] - t[0]
    drift = 1.0 + CLONIC_RATE_DRIFT * _smooth_noise(rng, t.size, 1.0 / dt, CLONIC_DRIFT_FC_HZ)
    phase = 2.0 * np.pi * hz * np.cumsum(drift) * dt
    bias = math.cos(math.pi * duty)  # shifts the tanh square wave to the drawn duty cycle
    return 0.5 + 0.5 * np.tanh(CLONIC_EDGE * (np.sin(phase) + bias))


def _envelope(rng: np.random.Generator, kind: str, dur: float, shape: dict, fs: float) -> np.ndarray:
    """Envelope in multiples of rest (1 = rest) for one EMG component."""
    t = np.arange(round(dur * fs)) / fs
    if kind == "precursor":
        return _precursor_env(rng, t, dur, shape, fs)
    edge = _edge(t, dur, shape["rise"], shape["fall"])
    if shape["clonic"]:
        mod = shape["floor"] + (1.0 - shape["floor"]) * _clonic_wave(rng, t, shape["clonic_hz"], shape["duty"])
    else:
        mod = np.clip(1.0 + shape["fluct"] * _smooth_noise(rng, t.size, fs, FLUCT_FC_HZ), FLUCT_FLOOR, None)
    return 1.0 + (shape["plateau"] - 1.0) * edge * mod


def _precursor_env(rng: np.random.Generator, t: np.ndarray, dur: float, shape: dict, fs: float) -> np.ndarray:
    """Rising tension with fasciculation-like twitches before a cramp."""
    env = 1.0 + (shape["tone_x"] - 1.0) * np.clip(t / (PRECURSOR_RAMP_FRAC * dur), 0.0, 1.0)
    n_tw = rng.poisson(shape["twitch_hz"] * dur)
    for c in rng.uniform(0.0, dur, n_tw):
        w = _lu(rng, TWITCH_DUR_S)
        i0, i1 = int(max(c - w / 2, 0) * fs), int(min(c + w / 2, dur) * fs)
        if i1 > i0:
            bump = np.sin(np.linspace(0.0, np.pi, i1 - i0))
            env[i0:i1] = np.maximum(env[i0:i1], 1.0 + (_lu(rng, TWITCH_X) - 1.0) * bump)
    return env


def _add_emg(
    x: np.ndarray, rng: np.random.Generator, p: NightParams, sos: np.ndarray, comp: tuple, rest_uv: float
) -> None:
    """Add one EMG component: independent carrier × rest·sqrt(env² − 1), so RMS = env × rest."""
    kind, onset, dur, shape = comp
    fs = p.board.fs
    i0 = round(onset * fs)
    env = _envelope(rng, kind, dur, shape, fs)
    i1 = min(i0 + env.size, x.size)
    if i1 - i0 < 4 or i0 < 0:
        return
    env = env[: i1 - i0]
    car = _carrier(rng, i1 - i0, p, sos, shape.get("mdf_scale", 1.0))
    x[i0:i1] += (rest_uv * np.sqrt(np.maximum(env * env - 1.0, 0.0))).astype(np.float32) * car


def _add_artefact(x: np.ndarray, rng: np.random.Generator, fs: float, art: tuple) -> None:
    """Add a motion transient, low-frequency swing or electrode pop (µV)."""
    name, onset = art[0], art[1]
    i0 = max(round(onset * fs), 0)
    if name == "motion":
        _, _, dur, amp, hz = art
        t = np.arange(int(dur * fs)) / fs
        w = amp * np.exp(-t / (MOTION_DECAY_FRAC * dur)) * np.sin(2 * np.pi * hz * t)
    elif name == "swing":
        _, _, dur, amp, band = art
        m = int(dur * fs)
        sos = signal.butter(2, [band[0], min(band[1], 0.45 * fs)], btype="band", fs=fs, output="sos")
        w = signal.sosfiltfilt(sos, rng.standard_normal(m)) * np.hanning(m)
        w *= amp / max(float(np.max(np.abs(w))), 1e-12)
    else:  # "pop": step that decays
        _, _, tau, amp = art
        t = np.arange(int(5 * tau * fs)) / fs
        w = amp * np.exp(-t / tau)
    i1 = min(i0 + w.size, x.size)
    x[i0:i1] += w[: i1 - i0].astype(np.float32)


def _add_mains(x: np.ndarray, rng: np.random.Generator, p: NightParams, n_coarse: int) -> None:
    """Add mains hum with slowly varying amplitude and odd harmonics below Nyquist (µV), in place."""
    fs = p.board.fs
    swing = _smooth_noise(rng, n_coarse, COARSE_HZ, MAINS_SWING_FC_HZ)
    amp = p.mains_uv * math.sqrt(2.0) * np.exp(MAINS_SWING_LN * swing)  # rms → sine amplitude
    phi0 = rng.uniform(0, 2 * np.pi)
    harm = [
        (k, rel, rng.uniform(0, 2 * np.pi))
        for k, rel in ((3, p.mains_h3), (5, p.mains_h5))
        if k * p.mains_hz < 0.49 * fs
    ]
    w = 2.0 * np.pi * p.mains_hz / fs
    for a in range(0, x.size, CHUNK):
        b = min(a + CHUNK, x.size)
        phase = w * np.arange(a, b, dtype=np.float64) + phi0
        hum = np.sin(phase)
        for k, rel, ph in harm:
            hum += rel * np.sin(k * phase + ph)
        x[a:b] += (_upsample(amp, a, b, fs) * hum).astype(np.float32)


def _add_wander(x: np.ndarray, rng: np.random.Generator, p: NightParams, n_coarse: int) -> None:
    """Add electrode baseline wander: low-pass Gaussian drift of the drawn RMS (µV), in place."""
    _add_upsampled(x, _smooth_noise(rng, n_coarse, COARSE_HZ, p.wander_fc_hz) * p.wander_uv, p.board.fs)


def _add_white(x: np.ndarray, rng: np.random.Generator, sd: float) -> None:
    """Add white Gaussian input noise of standard deviation sd (µV), in place."""
    for a in range(0, x.size, CHUNK):
        b = min(a + CHUNK, x.size)
        x[a:b] += rng.standard_normal(b - a, dtype=np.float32) * np.float32(sd)


def _board_pass(x: np.ndarray, sos: np.ndarray, b: Board) -> None:
    """Board filter (causal, chunked with carried state), rail clipping and quantisation, in place."""
    zi = signal.sosfilt_zi(sos) * float(x[0])
    for a in range(0, x.size, CHUNK):
        e = min(a + CHUNK, x.size)
        y, zi = signal.sosfilt(sos, x[a:e].astype(np.float64), zi=zi)
        np.clip(y, -b.rail_uv, b.rail_uv, out=y)
        x[a:e] = np.round(y / b.lsb_uv) * b.lsb_uv


def _ecg_template(rng: np.random.Generator, fs: float) -> np.ndarray:
    """One beat: biphasic QRS (80-120 ms) plus a small T wave, peak |QRS| = 1."""
    t = np.arange(int(ECG_TEMPLATE_S * fs)) / fs - ECG_QRS_LEAD_S
    sigma = _u(rng, ECG_QRS_MS) / 1000.0 / 5.0  # the QRS spans about ±2.5 σ
    qrs = -(t / sigma) * np.exp(-0.5 * (t / sigma) ** 2)
    qrs /= np.max(np.abs(qrs))
    t_wave = _u(rng, ECG_T_REL) * rng.choice([-1, 1]) * np.exp(-0.5 * ((t - ECG_T_DELAY_S) / ECG_T_SIGMA_S) ** 2)
    return (qrs + t_wave) * rng.choice([-1, 1])


def _add_ecg(x: np.ndarray, rng: np.random.Generator, p: NightParams, spans: list[tuple[float, float]]) -> None:
    """QRS-like beats during the ECG on-spans, amplitude swelling and fading within each span."""
    fs = p.board.fs
    tmpl = _ecg_template(rng, fs).astype(np.float32)
    swing = _u(rng, ECG_HR_SWING_BPM)
    jitter = _u(rng, ECG_RR_JITTER)
    for a, b in spans:
        t, beats = a, []
        while t < b:
            hr = p.ecg_hr_bpm + swing * math.sin(2 * math.pi * t / ECG_HR_SWING_PERIOD_S)
            beats.append(t)
            t += max(60.0 / hr * (1.0 + jitter * rng.standard_normal()), 1.1 * ECG_TEMPLATE_S)
        bt = np.array(beats)
        fade = np.sin(np.pi * np.clip((bt - a) / max(b - a, 1e-6), 0, 1)) ** ECG_FADE_EXP  # comes and goes
        amp = (p.ecg_qrs_uv * fade * (1.0 + ECG_BEAT_JITTER * rng.standard_normal(bt.size))).astype(np.float32)
        idx = np.round(bt * fs).astype(np.int64)
        ok = idx + tmpl.size < x.size
        idx, amp = idx[ok], amp[ok]
        for k in range(0, idx.size, 256):  # beats never overlap (RR > template), so fancy += is exact
            rows = idx[k : k + 256, None] + np.arange(tmpl.size)[None, :]
            x[rows] += amp[k : k + 256, None] * tmpl[None, :]


def _apply_leadoff(x: np.ndarray, p: NightParams, lo: tuple) -> None:
    """Input pinned at a rail, or flat at the last value, for the lead-off span."""
    onset, dur, mode = lo
    fs = p.board.fs
    i0, i1 = int(onset * fs), min(int((onset + dur) * fs), x.size)
    if mode == "rail_pos":
        x[i0:i1] = p.board.rail_uv
    elif mode == "rail_neg":
        x[i0:i1] = -p.board.rail_uv
    else:
        x[i0:i1] = x[max(i0 - 1, 0)]


def _apply_saturation(x: np.ndarray, p: NightParams, sat: tuple) -> None:
    """Front-end overload: output ramps to a rail, stays pinned, then recovers exponentially."""
    onset, dur, sign = sat
    fs, rail = p.board.fs, sign * p.board.rail_uv
    i0 = int(onset * fs)
    i1 = min(int((onset + dur) * fs), x.size)
    t = np.arange(i1 - i0) / fs
    x[i0:i1] += (rail - x[i0:i1]) * np.clip(t / SATURATION_RISE_S, 0.0, 1.0).astype(np.float32)
    i2 = min(i1 + int(5 * SATURATION_RECOVERY_S * fs), x.size)
    t = np.arange(i2 - i1) / fs
    x[i1:i2] += ((rail - x[i1:i2]) * np.exp(-t / SATURATION_RECOVERY_S)).astype(np.float32)


def _rest_at(rest_coarse: np.ndarray, t: float) -> float:
    """Rest level (µV RMS) at time t from the coarse curve."""
    i = int(np.clip(round(t * COARSE_HZ), 0, rest_coarse.size - 1))
    return float(rest_coarse[i])


def _stage_at(hyp: np.ndarray, p: NightParams, t: float) -> str:
    """Hypnogram stage name at excerpt time t."""
    return STAGE_NAMES[int(hyp[int(np.clip(p.excerpt_start_s + t, 0, hyp.size - 1))])]


def _finalise(events: list[dict], rest_coarse: np.ndarray, hyp: np.ndarray, p: NightParams) -> list[dict]:
    """Attach rest level and stage, compute tone-step strengths, drop private keys, sort by onset."""
    out = []
    for e in events:
        rest = _rest_at(rest_coarse, e["onset_s"])
        e["rest_uv"] = rest
        e["stage"] = _stage_at(hyp, p, e["onset_s"])
        if e["kind"] == "tone_step":
            s = e["_step"]
            before = _rest_at(rest_coarse, max(s.onset - 1.0, 0.0))
            plateau = _rest_at(rest_coarse, min(max(s.onset, 0.0) + s.rise + 1.0, e["offset_s"]))
            e["strength_x_rest"] = plateau / max(before, 1e-9)
            e["rest_uv"] = before
        out.append({k: v for k, v in e.items() if not k.startswith("_")})
    out.sort(key=lambda d: (d["onset_s"], d["offset_s"]))
    return out


def _synthesise(
    rng: np.random.Generator,
    p: NightParams,
    events: list[dict],
    rest_coarse: np.ndarray,
    tone_coarse: np.ndarray,
    spans: list[tuple[float, float]],
) -> np.ndarray:
    """Samples of the night in µV (float32)."""
    b = p.board
    n = round(p.hours * 3600.0 * b.fs)
    sos = _board_sos(b)
    x = _carrier(rng, n, p, sos)
    _scale_by(x, tone_coarse, b.fs)
    white_gain = _board_power_gain(np.linspace(1.0, b.fs / 2, 2048), np.ones(2048), sos, b.fs)
    _add_white(x, rng, b.noise_uv / math.sqrt(white_gain))
    for e in events:
        rest = _rest_at(rest_coarse, e["onset_s"])
        comps = list(e.get("_emg", []))
        if "_emg_pre" in e:
            comps.append(e["_emg_pre"])
        for comp in comps:
            _add_emg(x, rng, p, sos, comp, rest)
        for art in e.get("_art", []):
            _add_artefact(x, rng, b.fs, art)
    n_coarse = tone_coarse.size
    _add_wander(x, rng, p, n_coarse)
    _add_mains(x, rng, p, n_coarse)
    _add_ecg(x, rng, p, spans)
    _board_pass(x, sos, b)
    for e in events:  # overloads and open leads act on the board's output
        if "_sat" in e:
            _apply_saturation(x, p, e["_sat"])
        if "_leadoff" in e:
            _apply_leadoff(x, p, e["_leadoff"])
    return x


def generate(seed: int, hours: float = 1.0, fs: float | None = None) -> tuple[np.ndarray, float, list[dict]]:
    """Generate one synthetic night of calf sEMG with cramp and look-alike truth.

    Parameters
    ----------
    seed : int
        Seed; the same seed gives the same night (and the same events whatever ``fs``).
    hours : float, default 1.0
        Night length in hours.
    fs : float or None, default None
        Sampling rate in Hz; None draws it from {250, 500, 1000, 2000, 4000} Hz
        (250 Hz on about one night in four).

    Returns
    -------
    x : numpy.ndarray
        Signal in µV, float32, shape ``(round(hours * 3600 * fs),)``.
    fs : float
        Sampling rate in Hz.
    events : list of dict
        Sorted by ``onset_s``.  Keys: ``onset_s`` and ``offset_s`` (s from night
        start), ``kind`` ("tonic", "clonic" for cramps; "arousal", "stretch",
        "plantar_flexion", "tone_step", "plm", "position_change", "jerk", "pop",
        "lead_off", "saturation", "ecg"), ``is_cramp`` (bool),
        ``strength_x_rest`` (plateau envelope / rest level at onset; NaN for
        pure artefacts), ``rest_uv`` (rest level at onset, µV RMS), ``stage``
        (hypnogram stage at onset) and kind-specific extras (``weak``,
        ``aftershock``, ``precursor_onset_s``, ``clonic_hz``, ``mdf_scale``,
        ``relief``, ``burst_onsets_s``, ``cause``, ``mode`` …).
    """
    hours = float(hours)
    if hours <= 0:
        raise ValueError("hours must be > 0")
    r_fs, r_night, r_plan, r_noise = _streams(seed)
    drawn_fs = _draw_fs(r_fs)
    p = _draw_night(r_night, hours, float(fs) if fs is not None else drawn_fs)
    events, steps, hyp = _plan(r_plan, p)
    events += _tone_step_events(steps, hours * 3600.0)
    n_coarse = math.ceil(hours * 3600.0 * COARSE_HZ) + 2
    tone = p.tone_uv * _tone_curve(p, hyp, steps, n_coarse)
    rest = np.sqrt(tone**2 + p.board.noise_uv**2)
    spans = [(e["onset_s"], e["offset_s"]) for e in events if e["kind"] == "ecg"]
    x = _synthesise(r_noise, p, events, rest, tone, spans)
    return x, p.board.fs, _finalise(events, rest, hyp, p)
