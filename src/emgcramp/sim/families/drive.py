"""Drive family: nights built from neural drive, activation dynamics, an amplitude law and an AR carrier.

Principle
---------
Every muscle event is a neural command ``u(t)`` in [0, 1] (share of maximal drive) whose time course follows its
kind: a cramp rises suddenly (or builds over seconds) to a plateau that waxes and wanes, is sometimes announced by
fasciculation-like twitches and fades slowly; a clonic cramp alternates its drive at a few Hz; an arousal burst is
brief; a voluntary stretch or plantar flexion ramps smoothly with foot movement at its start and end.  The summed
drive passes through first-order activation/deactivation dynamics (Zajac 1989; Thelen 2003) to an activation
``a(t)``; activation maps to an EMG RMS amplitude ``A_max * a**p`` (Lawrence & De Luca 1983), added in power to a
resting tone that follows a semi-Markov sleep-stage sequence (REM atonia lowers it, wake raises it and the raised
tone lingers for minutes).  The amplitude scales the innovations of a time-varying autoregressive carrier (three
pole pairs) whose poles are drawn per night so that the median frequency lies in the calf sEMG range; activation
moves the poles up a little and fatigue during long contractions moves them down.  A recording board then adds
input noise, mains hum, baseline wander, ECG bleed, electrode pops, lead-off, saturation and motion artefacts,
clips at its rail and quantises.

All amplitudes are in µV, times in s, rates in Hz.  The event plan (times, kinds, strengths) is computed on a fixed
200 Hz envelope grid and never depends on the sampling rate.

Event densities (bench choices, per hour of recording)
------------------------------------------------------
Cramps: Poisson, mean ``CRAMP_RATE_PER_H`` (every night holds at least one); 30 % clonic, 40 % strong; 30 % with
aftershocks, 40 % followed by a relief stretch, 35 % announced by twitching.  Look-alikes: arousal bursts 10,
associated arousals with 30 % of periodic limb movements, voluntary stretches 1.5 and plantar flexions 1.5, tone
steps 1.5, PLM series 0.8, position changes 2.5, hypnic jerks 2 plus half of the wake-to-N1 transitions.
Artefacts: pops 3, lead-off 0.6, saturation 0.8, wander episodes 3, ECG bleed on 75 % of nights (hours long),
mains hum on 85 % of nights.

References
----------
AASM 2014: International Classification of Sleep Disorders, 3rd ed. (sleep starts, sleep-related leg cramps).
Allen RE, Kirby KA 2012, Nocturnal leg cramps. Am Fam Physician 86:350-355.
Ament W, Bonga GJJ, Hof AL, Verkerke GJ 1993, EMG median power frequency in an exhausting exercise.
J Electromyogr Kinesiol 3:214-220.
Ament W, Verkerke GJ, Bonga GJJ, Hof AL 1996, Electromyogram median power frequency in dynamic exercise at
medium exercise intensities. Eur J Appl Physiol 74:180-186.
Berry RB et al. 2017, The AASM Manual for the Scoring of Sleep and Associated Events, v2.4. AASM.
Bianchi MT, Cash SS, Mietus J, Peng CK, Thomas R 2010, Obstructive sleep apnea alters sleep stage transition
dynamics. PLoS One 5:e11356. doi:10.1371/journal.pone.0011356.
Bilodeau M et al. 2003, EMG frequency content changes with increasing force and during fatigue in the quadriceps
femoris muscle of men and women. J Electromyogr Kinesiol 13:83-92. doi:10.1016/S1050-6411(02)00050-0.
Bonnet MH et al. 2007, The scoring of arousal in sleep: reliability, validity, and alternatives.
J Clin Sleep Med 3:133-145.
Chase MH, Morales FR 1990, The atonia and myoclonia of active (REM) sleep. Annu Rev Psychol 41:557-584.
Carskadon MA, Dement WC 2011, Normal human sleep: an overview. Principles and Practice of Sleep Medicine, 5th ed.
De Koninck J, Lorrain D, Gagnon P 1992, Sleep positions and position shifts in five age groups. Sleep 15:143-149.
De Luca CJ 1997, The use of surface electromyography in biomechanics. J Appl Biomech 13:135-163.
De Luca CJ, Gilmore LD, Kuznetsov M, Roy SH 2010, Filtering the surface EMG signal: movement artifact and
baseline noise contamination. J Biomech 43:1573-1579. doi:10.1016/j.jbiomech.2010.01.027.
Diong J, Kishimoto KC, Butler JE, Heroux ME 2022, Muscle electromyographic activity normalized to maximal muscle
activity, not to Mmax, better represents voluntary activation. PLoS One 17:e0277947.
doi:10.1371/journal.pone.0277947.
ENTSO-E, Continental Europe Operation Handbook, Policy 1 (normal frequency band +-50 mHz).
Ferri R et al. 2016, World Association of Sleep Medicine (WASM) 2016 standards for recording and scoring leg
movements in polysomnograms. Sleep Med 26:86-95. doi:10.1016/j.sleep.2016.10.010.
Hallegraeff J, de Greef M, Krijnen W, van der Schans C 2017, Criteria in diagnosing nocturnal leg cramps: a
systematic review. BMC Fam Pract 18:29. doi:10.1186/s12875-017-0600-x.
Hidler JM, Rymer WZ 1999, A simulation study of reflex instability in spasticity: origins of clonus.
IEEE Trans Rehabil Eng 7:327-340. doi:10.1109/86.788469.
Khan SI, Burne JA 2007, Reflex inhibition of normal cramp following electrical stimulation of the muscle tendon.
J Neurophysiol 98:1102-1107. doi:10.1152/jn.00371.2007.
Lawrence JH, De Luca CJ 1983, Myoelectric signal versus force relationship in different human muscles.
J Appl Physiol 54:1653-1659. doi:10.1152/jappl.1983.54.6.1653.
Lindstrom LH, Magnusson RI 1977, Interpretation of myoelectric power spectra: a model and its applications.
Proc IEEE 65:653-662. doi:10.1109/PROC.1977.10543.
Lo CC et al. 2002, Dynamics of sleep-wake transitions during sleep. Europhys Lett 57:625-631.
doi:10.1209/epl/i2002-00508-7.
McSharry PE, Clifford GD, Tarassenko L, Smith LA 2003, A dynamical model for generating synthetic
electrocardiogram signals. IEEE Trans Biomed Eng 50:289-294. doi:10.1109/TBME.2003.808805.
Merletti R, Knaflitz M, De Luca CJ 1990, Myoelectric manifestations of fatigue in voluntary and electrically
elicited contractions. J Appl Physiol 69:1810-1820. doi:10.1152/jappl.1990.69.5.1810.
Merletti R, Parker PA (eds) 2004, Electromyography: Physiology, Engineering, and Noninvasive Applications.
Wiley-IEEE Press. doi:10.1002/0471678384.
Miller TM, Layzer RB 2005, Muscle cramps. Muscle Nerve 32:431-442. doi:10.1002/mus.20341.
Minetto MA, Holobar A, Botter A, Farina D 2013, Origin and development of muscle cramps.
Exerc Sport Sci Rev 41:3-10. doi:10.1097/JES.0b013e3182724817.
Ohayon MM, Carskadon MA, Guilleminault C, Vitiello MV 2004, Meta-analysis of quantitative sleep parameters from
childhood to old age in healthy individuals. Sleep 27:1255-1273. doi:10.1093/sleep/27.7.1255.
Roeleveld K, van Engelen BGM, Stegeman DF 2000, Possible mechanisms of muscle cramp from temporal and spatial
surface EMG characteristics. J Appl Physiol 88:1698-1706. doi:10.1152/jappl.2000.88.5.1698.
Task Force of the ESC and NASPE 1996, Heart rate variability: standards of measurement, physiological
interpretation and clinical use. Circulation 93:1043-1065. doi:10.1161/01.CIR.93.5.1043.
Texas Instruments 2017, ADS1299 low-noise 8-channel 24-bit ADC for biopotential measurements (SBAS499C).
Thelen DG 2003, Adjustment of muscle mechanics model parameters to simulate dynamic contractions in older adults.
J Biomech Eng 125:70-77. doi:10.1115/1.1531112.
Trinder J et al. 2001, Autonomic activity during human sleep as a function of time and sleep stage.
J Sleep Res 10:253-264. doi:10.1046/j.1365-2869.2001.00263.x.
Zajac FE 1989, Muscle and tendon: properties, models, scaling, and application to biomechanics and motor
control. Crit Rev Biomed Eng 17:359-411.
Zucconi M et al. 2006, The official WASM standards for recording and scoring periodic leg movements in sleep.
Sleep Med 7:175-183. doi:10.1016/j.sleep.2006.01.001.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import signal

__all__ = ["CRAMP_KINDS", "LOOKALIKE_KINDS", "generate", "night_parameters", "plan"]

Event = dict[str, Any]
Range = tuple[float, float]

# ----------------------------------------------------------------------------------------------------------------
# Grids, seeds, sampling
# ----------------------------------------------------------------------------------------------------------------
SEED_TAG = 0x44524956  # bench choice: family tag mixed into every seed ("DRIV")
ENV_FS_HZ = 200.0  # bench choice: rate of the drive, activation and amplitude envelopes (Hz)
LTV_BLOCK = 128  # bench choice: block length of the vectorised time-varying first-order recursion (samples)
CHUNK_SAMPLES = 1 << 19  # bench choice: samples rendered per chunk at the board rate
FS_CHOICES_HZ = (250.0, 500.0, 1000.0, 2000.0, 4000.0)  # bench choice: board rates drawn per night (Hz)
PLACE_TRIES = 60  # bench choice: random placement attempts per event
CRAMP_KINDS = ("tonic", "clonic")  # names fixed by the bench interface
LOOKALIKE_KINDS = ("arousal", "stretch", "plantar_flexion", "tone_step", "plm", "position_change", "jerk", "pop",
                   "lead_off", "saturation", "ecg", "wander", "hum")  # names fixed by the bench interface
ARTEFACT_KINDS = ("pop", "lead_off", "saturation", "ecg", "wander", "hum")  # pure artefacts: strength is NaN

# ----------------------------------------------------------------------------------------------------------------
# Muscle: activation dynamics and amplitude law
# ----------------------------------------------------------------------------------------------------------------
TAU_ACT_S = (0.010, 0.020)  # activation time constant, s: Zajac 1989 Crit Rev Biomed Eng 17:359; Thelen 2003
TAU_DEACT_S = (0.030, 0.060)  # deactivation time constant, s: Zajac 1989; Thelen 2003 doi:10.1115/1.1531112
EMG_EXPONENT = (1.0, 2.0)  # EMG RMS ~ activation**p: Lawrence & De Luca 1983 doi:10.1152/jappl.1983.54.6.1653
A_MAX_UV = (150.0, 1500.0)  # maximal calf sEMG RMS, µV: De Luca 1997 J Appl Biomech 13:135; Diong et al. 2022
REST_WINDOW_S = (6.0, 0.5)  # bench choice: resting RMS is taken from 6 s to 0.5 s before an event's rise

# ----------------------------------------------------------------------------------------------------------------
# Carrier: time-varying AR(6) with a differential (DC) zero
# ----------------------------------------------------------------------------------------------------------------
AR_POLE_REL_FREQ = (0.35, 1.0, 2.2)  # bench choice: pole-pair frequencies relative to a per-night scale
AR_POLE_REL_BW = (0.9, 1.2, 1.8)  # bench choice: pole-pair bandwidths relative to the same scale
AR_POLE_JITTER = 0.15  # bench choice: relative jitter of pole frequencies and bandwidths per night
MDF_REST_HZ = (60.0, 130.0)  # calf sEMG median frequency, Hz: Ament 1993 J Electromyogr Kinesiol; Merletti 2004
MDF_FORCE_GAIN = (0.0, 0.15)  # MDF rise at full activation: Bilodeau 2003 doi:10.1016/S1050-6411(02)00050-0
FATIGUE_RATE_PER_S = (0.001, 0.004)  # MDF fall per s at full activation: Merletti 1990 doi:10.1152/jappl.1990.69.5.1810
FATIGUE_MAX = 0.3  # largest relative MDF fall: Merletti, Knaflitz & De Luca 1990; Ament 1993
FATIGUE_RECOVERY_S = (60.0, 300.0)  # MDF recovery time constant, s: Ament 1996 Eur J Appl Physiol 74:180
POLE_SHIFT_TAU_S = 0.3  # bench choice: smoothing of activation before it moves the poles, s
LEVEL_STEP = 0.01  # bench choice: pole-scale quantisation step (1 % of frequency)
MDF_REF_FS_HZ = 8000.0  # bench choice: reference rate on which the physical spectrum is evaluated, Hz
POLE_NYQUIST_FRACTION = 0.45  # bench choice: poles above this share of fs are dropped (anti-alias filter)
SPECTRUM_GRID = 4096  # bench choice: frequency grid for spectra

# ----------------------------------------------------------------------------------------------------------------
# Sleep and resting tone
# ----------------------------------------------------------------------------------------------------------------
STAGES = ("W", "N1", "N2", "N3", "REM")
W, N1, N2, N3, REM = range(5)
NIGHT_H = 8.0  # bench choice: length of the simulated night from lights off, h
WINDOW_AT_LIGHTS_OFF_PROB = 0.2  # bench choice: share of recordings that start at lights off
CYCLE_MIN = (80.0, 110.0)  # NREM-REM cycle, min: Carskadon & Dement 2011
SLEEP_LATENCY_MIN = (5.0, 30.0)  # sleep-onset latency, min: Ohayon et al. 2004 doi:10.1093/sleep/27.7.1255
WAKE_PARETO = (0.25, 1.3, 20.0)  # wake bouts (min length min, tail exponent, cap min): Lo et al. 2002 (power law)
DWELL_MEDIAN_MIN = (1.0, 2.5, 10.0, 15.0, 10.0)  # W,N1,N2,N3,REM median bout, min: bench choice (Bianchi 2010)
DWELL_LOG_SD = 0.6  # bench choice: log-normal spread of sleep bouts (Bianchi et al. 2010)
REM_GROWTH_MIN = 6.0  # REM bouts lengthen per cycle, min: Carskadon & Dement 2011 (bench value)
TONE_NREM_UV = (0.8, 5.0)  # resting leg EMG in N2, µV: bench choice (AASM LM rule: 8 µV above resting)
STAGE_TONE_FACTOR = ((1.5, 3.0), (1.1, 1.5), (1.0, 1.0), (0.7, 1.0), (0.3, 0.6))  # W..REM: REM atonia (Berry
# 2017); values are a bench choice
ATONIA_TAU_S = 10.0  # REM atonia is active motoneuron inhibition (Chase & Morales 1990); time constant bench, s
TONE_RISE_S = 5.0  # bench choice: tone rises within seconds of waking, s
TONE_LINGER_S = (60.0, 300.0)  # bench choice: raised wake tone decays over minutes, s
POST_CRAMP_WAKE_S = (30.0, 180.0)  # awake after a cramp, s: Allen & Kirby 2012 (residual pain); bench values
VOLUNTARY_WAKE_PAD_S = (5.0, 15.0)  # bench choice: awake before / after a voluntary movement, s

# ----------------------------------------------------------------------------------------------------------------
# Cramps
# ----------------------------------------------------------------------------------------------------------------
CRAMP_RATE_PER_H = 3.0  # bench choice
CRAMP_MEDIAN_S = 60.0  # typical duration about a minute: Miller & Layzer 2005 doi:10.1002/mus.20341 (bench value)
CRAMP_LOG_SD = 1.0  # bench choice: log-normal spread of cramp durations
CRAMP_DUR_S = (3.0, 600.0)  # seconds to 10 min: Hallegraeff et al. 2017 doi:10.1186/s12875-017-0600-x
CRAMP_MAX_SHARE = 0.35  # bench choice: a cramp takes at most this share of a short recording
CLONIC_FRACTION = 0.3  # bench choice
STRONG_FRACTION = 0.4  # bench choice
CRAMP_STRONG_DRIVE = (0.5, 1.0)  # near-maximal cramps: Khan & Burne 2007 doi:10.1152/jn.00371.2007 (bench range)
CRAMP_PARTIAL_X_REST = (3.0, 80.0)  # part of the muscle: Roeleveld 2000 doi:10.1152/jappl.2000.88.5.1698; bench
CRAMP_MIN_X_REST = 3.0  # bench choice: a cramp is at least a few times rest
CRAMP_RISE_S = (0.05, 4.0)  # bench choice: sudden, or building over seconds (log-uniform)
CRAMP_FADE_S = (1.0, 20.0)  # bench choice: slow fade (log-uniform)
CRAMP_WAX_DEPTH = (0.0, 0.3)  # bench choice: waxing/waning of the plateau (Roeleveld 2000: moving fraction)
CRAMP_WAX_HZ = (0.03, 0.3)  # bench choice: waxing/waning rates, Hz
CLONIC_HZ = (3.0, 8.0)  # alternation rate, Hz: ankle clonus (Hidler & Rymer 1999 doi:10.1109/86.788469), widened
CLONIC_DEPTH = (0.5, 0.95)  # bench choice: depth of drive alternation
CLONIC_SHARPNESS = (1.0, 3.0)  # bench choice: exponent sharpening each drive pulse
PRECURSOR_PROB = 0.35  # fasciculations before cramps: Miller & Layzer 2005; Minetto 2013 (bench share)
PRECURSOR_S = (5.0, 60.0)  # bench choice: twitching period, s
TWITCH_RATE_HZ = (0.3, 3.0)  # bench choice
TWITCH_WIDTH_S = (0.01, 0.04)  # bench choice: Gaussian width of a twitch drive pulse, s
TWITCH_X_REST = (2.0, 15.0)  # bench choice: twitch peak over rest
AFTERSHOCK_PROB = 0.3  # bench choice
AFTERSHOCK_N = (1, 3)  # bench choice
AFTERSHOCK_GAP_S = (5.0, 120.0)  # bench choice: "soon after"
AFTERSHOCK_DUR_S = (3.0, 30.0)  # bench choice (log-uniform)
AFTERSHOCK_REL = (0.3, 1.0)  # bench choice: strength relative to the main cramp
RELIEF_PROB = 0.4  # forceful stretching relieves cramps: Allen & Kirby 2012; bench share
RELIEF_GAP_S = (0.5, 5.0)  # bench choice
RELIEF_DUR_S = (5.0, 40.0)  # bench choice
RELIEF_DRIVE = (0.05, 0.4)  # bench choice
CRAMP_CLEAR_S = 10.0  # bench choice: look-alikes keep this far from a cramp group, s

# ----------------------------------------------------------------------------------------------------------------
# Look-alikes
# ----------------------------------------------------------------------------------------------------------------
AROUSAL_RATE_PER_H = 10.0  # bench choice (spontaneous arousal index ~10-20/h: Bonnet et al. 2007)
AROUSAL_DUR_S = (2.0, 16.0)  # a few s to ~15 s: AASM (Berry 2017) >= 3 s; Bonnet et al. 2007 (widened)
AROUSAL_X_REST = (2.0, 40.0)  # bench choice: a few to tens of times rest
AROUSAL_RISE_S = (0.1, 1.0)  # bench choice
AROUSAL_FADE_S = (0.3, 2.0)  # bench choice
AROUSAL_AT_TRANSITION_PROB = 0.4  # bench choice
AROUSAL_CLUSTER_PROB = 0.3  # bench choice
AROUSAL_CLUSTER_N = (1, 4)  # bench choice: followers in a cluster
AROUSAL_CLUSTER_GAP_S = (10.0, 60.0)  # bench choice
PLM_AROUSAL_PROB = 0.3  # bench choice: LM-associated arousals (Ferri 2016: < 0.5 s apart)
STRETCH_RATE_PER_H = 1.5  # bench choice
STRETCH_DUR_S = (3.0, 50.0)  # bench choice
STRETCH_RISE_S = (1.0, 4.0)  # bench choice: smooth rise over a second or more
STRETCH_DRIVE = (0.2, 0.9)  # bench choice: a large share of maximal effort
PF_RATE_PER_H = 1.5  # bench choice
PF_DUR_S = (2.0, 40.0)  # bench choice
PF_RISE_S = (0.5, 2.5)  # bench choice
PF_DRIVE = (0.15, 0.9)  # bench choice
VOLUNTARY_FADE_S = (0.5, 3.0)  # bench choice
MOTION_UV = (100.0, 3000.0)  # motion artefact amplitude, µV: De Luca 2010 doi:10.1016/j.jbiomech.2010.01.027; bench
MOTION_S = (0.3, 2.0)  # bench choice: motion transient length, s (content 0-20 Hz: De Luca 2010)
MOTION_CYCLES = (0.5, 2.0)  # bench choice: cycles within a transient
TONE_STEP_RATE_PER_H = 1.5  # bench choice
TONE_STEP_DUR_S = (60.0, 900.0)  # bench choice: minutes
TONE_STEP_X_REST = (1.5, 8.0)  # bench choice
TONE_STEP_RISE_S = (0.5, 5.0)  # bench choice
TONE_STEP_FADE_S = (5.0, 60.0)  # bench choice
TONE_STEP_AFTER_WAKE_PROB = 0.6  # bench choice
PLM_SERIES_RATE_PER_H = 0.8  # bench choice
PLM_MIN_N = 4  # at least 4 movements in a series: Berry 2017 (AASM); Ferri 2016 (WASM)
PLM_EXTRA_MEAN = 6.0  # bench choice: Poisson mean of movements beyond the fourth
PLM_DUR_S = (0.5, 10.0)  # LM duration bounds, s: Berry 2017; Ferri 2016
PLM_MEDIAN_S = 2.0  # bench choice: median LM duration (Ferri 2016 report LMs of a few s)
PLM_LOG_SD = 0.6  # bench choice
PLM_IMI_S = (5.0, 90.0)  # onset-to-onset interval bounds, s: Berry 2017 (AASM)
PLM_MEAN_IMI_S = (15.0, 45.0)  # bench choice: series periodicity
PLM_IMI_JITTER = 0.35  # bench choice
PLM_MIN_GAP_S = 0.6  # movements < 0.5 s apart merge (Berry 2017); bench margin
PLM_X_REST = (2.5, 30.0)  # bench choice
PLM_RISE_S = (0.05, 0.5)  # bench choice
PLM_FADE_S = (0.1, 1.0)  # bench choice
POSITION_RATE_PER_H = 2.5  # position shifts ~2-3 per hour: De Koninck et al. 1992 Sleep 15:143
POSITION_DUR_S = (0.5, 5.0)  # bench choice
POSITION_DRIVE = (0.03, 0.3)  # bench choice
JERK_RATE_PER_H = 2.0  # bench choice
JERK_AT_ONSET_PROB = 0.5  # sleep starts at sleep onset: AASM 2014 (ICSD-3); bench share
JERK_DUR_S = (0.1, 1.0)  # bench choice: brief myoclonic burst
JERK_RISE_S = (0.01, 0.04)  # bench choice
JERK_FADE_S = (0.05, 0.2)  # bench choice
JERK_X_REST = (5.0, 150.0)  # bench choice
JERK_MOTION_PROB = 0.5  # bench choice
JERK_MOTION_UV = (50.0, 500.0)  # bench choice

# ----------------------------------------------------------------------------------------------------------------
# Board and artefacts
# ----------------------------------------------------------------------------------------------------------------
NOISE_UV = (0.3, 3.0)  # input-referred noise, µV RMS: ADS1299 datasheet (TI 2017) to hobby boards; De Luca 2010
BOARDS = ((0.0224, 187500.0), (0.153, 5000.0), (0.806, 1650.0), (3.22, 1650.0))  # (LSB, rail) µV: ADS1299 gain 24;
# 16-bit +-2.5 V gain 500; 12- and 10-bit 3.3 V gain 1000 (datasheet arithmetic; the set is a bench choice)
MAINS_HZ = (50.0, 60.0)  # mains frequencies, Hz
MAINS_DEV_HZ = 0.05  # grid frequency deviation, Hz: ENTSO-E Policy 1 normal band
HUM_PROB = 0.85  # bench choice
HUM_UV = (0.5, 60.0)  # bench choice: fundamental amplitude, µV
HUM_N_HARM = 5  # bench choice: harmonics up to the 5th
HUM_HARM_REL = (0.02, 0.5)  # bench choice: harmonic amplitude relative to the fundamental
HUM_MOD_DEPTH = 0.3  # bench choice: slow amplitude modulation depth
HUM_MOD_PERIOD_S = (300.0, 1800.0)  # bench choice
HUM_WHOLE_NIGHT_PROB = 0.7  # bench choice
ECG_PROB = 0.75  # bench choice
ECG_FULL_PROB = 0.5  # bench choice: bleed covers the whole recording
ECG_DURATION_H = (1.0, 10.0)  # bench choice: bleed lasting hours
ECG_R_UV = (3.0, 80.0)  # bench choice: R amplitude on a calf lead (far from the heart)
HR_SLEEP_BPM = (50.0, 75.0)  # heart rate in sleep, bpm: Trinder et al. 2001 doi:10.1046/j.1365-2869.2001.00263.x
HR_BOUNDS_BPM = (42.0, 105.0)  # bench choice: physiological bounds kept at all times, bpm
HR_STAGE_FACTOR = (1.10, 1.02, 1.0, 0.96, 1.04)  # W..REM: Trinder et al. 2001 (NREM slows, REM and wake speed up)
HR_STAGE_TAU_S = 30.0  # bench choice: smoothing of stage effects on heart rate, s
HR_DRIFT_SD = 0.06  # bench choice: slow relative drift of heart rate
HR_DRIFT_TAU_S = 1200.0  # bench choice: drift time constant, s
HR_GRID_HZ = 4.0  # bench choice: heart-rate grid, Hz
RSA_DEPTH = (0.02, 0.06)  # bench choice: respiratory sinus arrhythmia depth (Task Force 1996 HF band)
RESP_HZ = (0.2, 0.33)  # breathing 12-20 /min, within the HF band 0.15-0.4 Hz: Task Force 1996
ECG_RESP_AMP_MOD = 0.1  # bench choice: respiratory modulation of beat amplitude
ECG_WAVES = ((-0.167, 0.040, 0.25), (-0.042, 0.016, -0.17), (0.0, 0.016, 1.0), (0.042, 0.016, -0.25),
             (0.25, 0.064, 0.40))  # P,Q,R,S,T (centre s, width s, amplitude re R): McSharry 2003 at 60 bpm
ECG_SPAN_S = (0.27, 0.45)  # bench choice: template extent before / after R, s
ECG_GROUP = 256  # bench choice: beats added per vectorised group
POP_RATE_PER_H = 3.0  # bench choice
POP_UV = (100.0, 3000.0)  # bench choice
POP_TAU_S = (0.05, 1.5)  # bench choice
LEAD_OFF_RATE_PER_H = 0.6  # bench choice
LEAD_OFF_S = (1.0, 120.0)  # bench choice
LEAD_OFF_RAIL_PROB = 0.5  # bench choice
LEAD_OFF_FLAT_UV = (-200.0, 200.0)  # bench choice: flat level, µV
SATURATION_RATE_PER_H = 0.8  # bench choice
SATURATION_S = (0.2, 10.0)  # bench choice
SATURATION_AFTER_MOTION_PROB = 0.5  # bench choice
WANDER_RATE_PER_H = 3.0  # bench choice
WANDER_S = (10.0, 900.0)  # bench choice
WANDER_UV = (20.0, 800.0)  # bench choice: hobby boards wander by hundreds of µV
WANDER_CUTOFF_HZ = (0.05, 1.0)  # bench choice
WANDER_GRID_HZ = 10.0  # bench choice


# ================================================================================================================
# Small helpers
# ================================================================================================================
def _uni(rng: np.random.Generator, lo_hi: Range, size: int | None = None) -> Any:
    """Uniform draw on ``lo_hi``."""
    return rng.uniform(lo_hi[0], lo_hi[1], size)


def _logu(rng: np.random.Generator, lo_hi: Range, size: int | None = None) -> Any:
    """Log-uniform draw on ``lo_hi`` (both > 0)."""
    return np.exp(rng.uniform(math.log(lo_hi[0]), math.log(lo_hi[1]), size))


def _streams(seed: int) -> list[np.random.Generator]:
    """Independent generators: night parameters, event plan, textures (fs-free), board-rate samples."""
    children = np.random.SeedSequence([SEED_TAG, int(seed)]).spawn(4)
    return [np.random.default_rng(c) for c in children]


def _ltv_first_order(u: np.ndarray, alpha: np.ndarray, y0: float = 0.0) -> np.ndarray:
    """Solve ``y[n] = alpha[n] y[n-1] + (1 - alpha[n]) u[n]`` in vectorised blocks.

    Within a block the recursion is ``y = P * (y_start + cumsum(c / P))`` with ``P`` the running product of
    ``alpha``; only the block starts are chained in Python.  ``u`` must be non-negative (no cancellation).
    """
    n_env = u.size
    n_blocks = -(-n_env // LTV_BLOCK)
    pad = n_blocks * LTV_BLOCK - n_env
    uu = np.pad(u, (0, pad)).reshape(n_blocks, LTV_BLOCK)
    aa = np.pad(alpha, (0, pad), constant_values=1.0).reshape(n_blocks, LTV_BLOCK)
    p = np.exp(np.cumsum(np.log(aa), axis=1))
    local = p * np.cumsum((1.0 - aa) * uu / p, axis=1)
    starts = np.empty(n_blocks)
    carry = float(y0)
    p_end, l_end = p[:, -1], local[:, -1]
    for b in range(n_blocks):  # loop over blocks, not samples
        starts[b] = carry
        carry = p_end[b] * carry + l_end[b]
    return (local + p * starts[:, None]).ravel()[:n_env]


def _asym_first_order(u: np.ndarray, dt: float, tau_up: float, tau_down: float, y0: float = 0.0) -> np.ndarray:
    """First-order follower with one time constant rising and another falling (activation dynamics).

    Parameters
    ----------
    u : ndarray
        Input (drive, or tone in µV), non-negative.
    dt : float
        Grid step, s.
    tau_up, tau_down : float
        Time constants while the input is above / below the output, s.
    y0 : float
        Initial output.
    """
    tau_mid = math.sqrt(tau_up * tau_down)
    al = math.exp(-dt / tau_mid)
    first = signal.lfilter([1.0 - al], [1.0, -al], u, zi=[al * y0])[0]
    alpha = np.where(u >= first, math.exp(-dt / tau_up), math.exp(-dt / tau_down))
    return _ltv_first_order(u, alpha, y0)


def _smooth(x: np.ndarray, dt: float, tau: float, x0: float = 0.0) -> np.ndarray:
    """Symmetric first-order low-pass with time constant ``tau`` (s) on a grid of step ``dt`` (s)."""
    al = math.exp(-dt / tau)
    return signal.lfilter([1.0 - al], [1.0, -al], x, zi=[al * x0])[0]


# ================================================================================================================
# Night parameters and carrier poles
# ================================================================================================================
def _ar_coefs(freqs_hz: np.ndarray, bws_hz: np.ndarray, fs: float) -> np.ndarray:
    """AR polynomial of conjugate pole pairs at ``freqs_hz`` with bandwidths ``bws_hz``; poles above the
    anti-alias share of ``fs`` are dropped."""
    keep = freqs_hz < POLE_NYQUIST_FRACTION * fs
    radius = np.exp(-np.pi * bws_hz[keep] / fs)
    theta = 2.0 * np.pi * freqs_hz[keep] / fs
    roots = np.concatenate([radius * np.exp(1j * theta), radius * np.exp(-1j * theta)])
    return np.real(np.poly(roots)) if roots.size else np.ones(1)


def _carrier_spectrum(freqs_hz: np.ndarray, bws_hz: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """Power spectrum (Hz grid, unit-innovation power) of the carrier: differential zero at DC (bipolar
    detection, Lindstrom & Magnusson 1977) followed by the all-pole AR part."""
    f, h = signal.freqz([1.0, -1.0], _ar_coefs(freqs_hz, bws_hz, fs), worN=SPECTRUM_GRID, fs=fs)
    return f, np.abs(h) ** 2


def _median_frequency(f: np.ndarray, psd: np.ndarray) -> float:
    """Median frequency (Hz) of a one-sided spectrum."""
    c = np.cumsum(psd)
    return float(f[np.searchsorted(c, 0.5 * c[-1])])


def _draw_poles(rng: np.random.Generator, mdf_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """Pole-pair frequencies and bandwidths (Hz) whose physical spectrum has median frequency ``mdf_hz``."""
    rel_f = np.array(AR_POLE_REL_FREQ) * (1.0 + AR_POLE_JITTER * rng.uniform(-1.0, 1.0, 3))
    rel_b = np.array(AR_POLE_REL_BW) * (1.0 + AR_POLE_JITTER * rng.uniform(-1.0, 1.0, 3))
    scale = mdf_hz
    for _ in range(3):  # fixed-point refinement of the frequency scale
        got = _median_frequency(*_carrier_spectrum(rel_f * scale, rel_b * scale, MDF_REF_FS_HZ))
        scale *= mdf_hz / got
    return rel_f * scale, rel_b * scale


def _draw_night(rng: np.random.Generator) -> dict[str, Any]:
    """Per-night parameters (person, placement, board); independent of the event plan and of fs."""
    p: dict[str, Any] = {"fs_hz": float(rng.choice(FS_CHOICES_HZ))}
    p["tau_act_s"], p["tau_deact_s"] = _uni(rng, TAU_ACT_S), _uni(rng, TAU_DEACT_S)
    p["emg_exponent"], p["a_max_uv"] = _uni(rng, EMG_EXPONENT), _logu(rng, A_MAX_UV)
    p["mdf_rest_hz"], p["mdf_force_gain"] = _uni(rng, MDF_REST_HZ), _uni(rng, MDF_FORCE_GAIN)
    p["fatigue_rate_per_s"], p["fatigue_recovery_s"] = _uni(rng, FATIGUE_RATE_PER_S), _uni(rng, FATIGUE_RECOVERY_S)
    p["pole_hz"], p["pole_bw_hz"] = _draw_poles(rng, p["mdf_rest_hz"])
    p["tone_uv"] = _logu(rng, TONE_NREM_UV)
    p["stage_tone"] = np.array([_uni(rng, r) for r in STAGE_TONE_FACTOR])
    p["tone_linger_s"] = _uni(rng, TONE_LINGER_S)
    p["noise_uv"] = _logu(rng, NOISE_UV)
    p["lsb_uv"], p["rail_uv"] = BOARDS[int(rng.integers(len(BOARDS)))]
    p["mains_hz"] = float(rng.choice(MAINS_HZ)) + _uni(rng, (-MAINS_DEV_HZ, MAINS_DEV_HZ))
    p["hum_uv"], p["hum_harm"] = _logu(rng, HUM_UV), _uni(rng, HUM_HARM_REL, HUM_N_HARM - 1)
    p["hum_phase"] = rng.uniform(0.0, 2.0 * np.pi, HUM_N_HARM + 1)
    p["hum_mod_period_s"] = _uni(rng, HUM_MOD_PERIOD_S)
    p["ecg_r_uv"], p["ecg_sign"] = _logu(rng, ECG_R_UV), float(rng.choice([-1.0, 1.0]))
    p["hr_bpm"], p["rsa_depth"], p["resp_hz"] = _uni(rng, HR_SLEEP_BPM), _uni(rng, RSA_DEPTH), _uni(rng, RESP_HZ)
    return p


def night_parameters(seed: int) -> dict[str, Any]:
    """Per-night parameters of ``seed`` (µV, s, Hz): e.g. ``mdf_rest_hz``, ``a_max_uv``, ``noise_uv``, ``fs_hz``.

    Parameters
    ----------
    seed : int
        Night seed.

    Returns
    -------
    dict
        The parameters, drawn from their own seed stream (independent of hours, fs and the event plan).
    """
    return _draw_night(_streams(seed)[0])


# ================================================================================================================
# Sleep stages (semi-Markov) and resting tone
# ================================================================================================================
def _dwell_s(rng: np.random.Generator, stage: int, cycle: int) -> float:
    """Bout duration (s) of ``stage`` in NREM-REM cycle number ``cycle``."""
    if stage == W:
        lo, alpha, cap = WAKE_PARETO
        return 60.0 * min(cap, lo * (1.0 - rng.random()) ** (-1.0 / alpha))
    median = DWELL_MEDIAN_MIN[stage]
    if stage == N3:
        median *= math.exp(-0.6 * cycle)
    if stage == REM:
        median += REM_GROWTH_MIN * cycle
    return 60.0 * float(np.clip(rng.lognormal(math.log(median), DWELL_LOG_SD), 0.5, 60.0))


def _next_stage(rng: np.random.Generator, stage: int, phase: float, cycle: int) -> int:
    """Embedded transition of the semi-Markov chain; weights depend on the cycle phase (bench choice shaped by
    Carskadon & Dement 2011: deep sleep early in a cycle and early in the night, REM late in a cycle)."""
    weights = np.zeros(5)
    if stage == W:
        weights[[N1, N2]] = 0.8, 0.2
    elif stage == N1:
        weights[[N2, W, REM]] = 0.8, 0.15, 0.05 + (0.3 if phase > 0.7 else 0.0)
    elif stage == N2:
        weights[N3] = 3.0 * math.exp(-cycle / 1.2) if phase < 0.6 else 0.1 * math.exp(-cycle)
        weights[REM] = 3.0 if phase > 0.65 else 0.05
        weights[[W, N1]] = 0.3, 0.4
    elif stage == N3:
        weights[[N2, W, N1]] = 0.85, 0.1, 0.05
    else:
        weights[[N2, W, N1]] = 0.5, 0.35, 0.15
    return int(rng.choice(5, p=weights / weights.sum()))


def _night_stages(rng: np.random.Generator, total_s: float) -> np.ndarray:
    """Stage per second from lights off (int codes W..REM) over ``total_s`` seconds."""
    cycle_s = 60.0 * _uni(rng, CYCLE_MIN)
    latency = 60.0 * _uni(rng, SLEEP_LATENCY_MIN)
    bounds, codes = [0.0, latency], [W]
    stage, t = N1, latency
    while t < total_s:  # loop over bouts (a few hundred per night)
        cycle = int((t - latency) // cycle_s)
        t += _dwell_s(rng, stage, cycle)
        bounds.append(t)
        codes.append(stage)
        stage = _next_stage(rng, stage, ((t - latency) % cycle_s) / cycle_s, cycle)
    secs = np.arange(math.ceil(total_s) + 1) + 0.5
    idx = np.searchsorted(np.asarray(bounds), secs, side="right") - 1
    return np.asarray(codes, dtype=np.int8)[np.clip(idx, 0, len(codes) - 1)]


def _window_stages(rng: np.random.Generator, dur_s: float) -> np.ndarray:
    """Stages per second for a recording window of ``dur_s`` placed somewhere in the night."""
    spare_h = max(0.0, NIGHT_H - dur_s / 3600.0)
    at_lights_off = rng.random() < WINDOW_AT_LIGHTS_OFF_PROB
    offset_s = 0.0 if at_lights_off else 3600.0 * rng.uniform(0.0, spare_h)
    stages = _night_stages(rng, offset_s + dur_s + 1.0)
    start = int(offset_s)
    return stages[start:start + math.ceil(dur_s) + 1].copy()


def _apply_wake(stages: np.ndarray, spans: list[tuple[float, float]]) -> np.ndarray:
    """Copy of ``stages`` with wake imposed over ``spans`` (s)."""
    out = stages.copy()
    for a, b in spans:  # loop over spans
        out[max(0, int(a)):max(0, math.ceil(b))] = W
    return out


def _tone_envelope(night: dict[str, Any], stages: np.ndarray, n_env: int) -> np.ndarray:
    """Resting tone (µV RMS) on the envelope grid: stage level, fast rise on waking, slow linger afterwards, and
    REM atonia as an inhibition applied on top (it silences even lingering tone within seconds)."""
    factor = night["stage_tone"].copy()
    atonia = factor[REM] / factor[N2]
    factor[REM] = factor[N2]
    per_s = night["tone_uv"] * factor[stages]
    held = _asym_first_order(per_s, 1.0, TONE_RISE_S, night["tone_linger_s"], y0=float(per_s[0]))
    inhibit = np.where(stages == REM, atonia, 1.0)
    held *= _smooth(inhibit, 1.0, ATONIA_TAU_S, float(inhibit[0]))
    return np.interp(np.arange(n_env) / ENV_FS_HZ, np.arange(per_s.size) + 0.5, held)


def _transitions(stages: np.ndarray, into: tuple[int, ...] | None = None,
                 out_of: tuple[int, ...] | None = None) -> np.ndarray:
    """Times (s) of stage changes, optionally restricted to changes out of / into given stages."""
    idx = np.flatnonzero(np.diff(stages)) + 1
    if into is not None:
        idx = idx[np.isin(stages[idx], into)]
    if out_of is not None:
        idx = idx[np.isin(stages[idx - 1], out_of)]
    return idx.astype(float)


# ================================================================================================================
# Event shapes
# ================================================================================================================
def _half_fractions(p_exp: float) -> tuple[float, float]:
    """Shares of a raised-cosine rise / fade at which the EMG amplitude (drive**p) is half of its plateau."""
    s = 0.5 ** (1.0 / p_exp)
    return math.acos(1.0 - 2.0 * s) / math.pi, math.acos(2.0 * s - 1.0) / math.pi


def _burst(kind: str, onset: float, dur: float, rise: float, fade: float, p_exp: float, **extra: Any) -> Event:
    """A rise-plateau-fade drive event whose half-amplitude points are ``onset`` and ``onset + dur`` (s).

    The onset and offset are where the EMG amplitude crosses half of its plateau, as a scorer marks a sudden rise
    and the end of a plateau.  Rise and fade are shortened when they do not fit in ``dur``.
    """
    h_rise, h_fade = _half_fractions(p_exp)
    need = (1.0 - h_rise) * rise + h_fade * fade
    if need > dur:
        rise, fade = rise * dur / need, fade * dur / need
        need = dur
    t0 = onset - h_rise * rise
    plat = dur - need
    ev: Event = {"onset_s": onset, "offset_s": onset + dur, "kind": kind, "is_cramp": kind in CRAMP_KINDS,
                 "strength_x_rest": math.nan, "rise_start_s": t0, "_t0": t0, "_rise": rise, "_plat": plat,
                 "_fade": fade, "_end": t0 + rise + plat + fade}
    has_plateau = plat >= 2.0 / ENV_FS_HZ
    ev["plateau_start_s"] = t0 + rise if has_plateau else onset
    ev["plateau_end_s"] = t0 + rise + plat if has_plateau else onset + dur
    ev.update(extra)
    return ev


def _event_shape(ev: Event, tau: np.ndarray) -> np.ndarray:
    """Normalised drive time course of a burst at times ``tau`` (s) after its rise start."""
    r, plat, f = ev["_rise"], ev["_plat"], ev["_fade"]
    env = np.ones_like(tau)
    up = tau < r
    env[up] = 0.5 - 0.5 * np.cos(np.pi * np.clip(tau[up] / r, 0.0, 1.0))
    down = tau > r + plat
    env[down] = 0.5 + 0.5 * np.cos(np.pi * np.clip((tau[down] - r - plat) / f, 0.0, 1.0))
    if "_wax" in ev:
        depth, freqs, phases = ev["_wax"]
        wave = np.sin(2.0 * np.pi * freqs[:, None] * tau[None, :] + phases[:, None]).sum(axis=0)
        env *= np.clip(1.0 + depth * wave / math.sqrt(0.5 * freqs.size), 0.2, None)
    if "_clonic" in ev:
        rate, depth, sharp, phase = ev["_clonic"]
        pulse = (0.5 + 0.5 * np.cos(2.0 * np.pi * rate * tau + phase)) ** sharp
        env *= (1.0 - depth) + depth * pulse
    return env


def _twitch_drive(ev: Event, t: np.ndarray, night: dict[str, Any], rest_ms: float) -> np.ndarray:
    """Drive of fasciculation-like twitches: Gaussian pulses whose EMG peaks reach their drawn multiple of rest."""
    p2 = 2.0 * night["emg_exponent"]
    heights = ((ev["_twitch_x"] ** 2 - 1.0) * rest_ms / night["a_max_uv"] ** 2) ** (1.0 / p2)
    z = (t[None, :] - ev["_twitch_t"][:, None]) / ev["_twitch_w"][:, None]
    return (np.minimum(heights, 1.0)[:, None] * np.exp(-0.5 * z * z)).sum(axis=0)


def _motion(rng: np.random.Generator, t: float, amp: Range = MOTION_UV) -> tuple[float, float, float, float, float]:
    """Motion-artefact transient starting at ``t`` (s): (start s, signed amplitude µV, length s, cycles, phase)."""
    sign = float(rng.choice([-1.0, 1.0]))
    return (t, sign * _logu(rng, amp), _uni(rng, MOTION_S), _uni(rng, MOTION_CYCLES), rng.uniform(0, 2 * np.pi))


def _shift(ev: Event, dt: float) -> Event:
    """Move every time of an event by ``dt`` (s)."""
    for key in ("onset_s", "offset_s", "rise_start_s", "_t0", "_end", "plateau_start_s", "plateau_end_s"):
        if key in ev:
            ev[key] += dt
    if "_twitch_t" in ev:
        ev["_twitch_t"] = ev["_twitch_t"] + dt
    if "_motion" in ev:
        ev["_motion"] = [(m[0] + dt,) + tuple(m[1:]) for m in ev["_motion"]]
    return ev


def _span(ev: Event) -> tuple[float, float]:
    """Full extent (s) of an event including rise, fade and motion."""
    lo = min(ev["onset_s"], ev.get("_t0", ev["onset_s"]))
    hi = max(ev["offset_s"], ev.get("_end", ev["offset_s"]))
    for m in ev.get("_motion", ()):
        lo, hi = min(lo, m[0]), max(hi, m[0] + m[2])
    return lo, hi


# ================================================================================================================
# Timeline with reserved cramp windows
# ================================================================================================================
class _Timeline:
    """Recording window of ``dur_s`` seconds with intervals reserved for cramp groups."""

    def __init__(self, rng: np.random.Generator, dur_s: float) -> None:
        self.rng, self.dur_s = rng, dur_s
        self.busy: list[tuple[float, float]] = []

    def free(self, a: float, b: float) -> bool:
        """True when [a, b] (s) lies in the window and clears every reserved interval."""
        inside = a >= 0.0 and b <= self.dur_s
        return inside and all(b <= s or a >= e for s, e in self.busy)

    def draw(self, length: float, near: float | None = None) -> float | None:
        """Start time (s) of a free interval of ``length`` s, first tried at ``near``; None if none is found."""
        if near is not None and self.free(near, near + length):
            return near
        for _ in range(PLACE_TRIES):  # loop over placement attempts
            t = self.rng.uniform(0.0, max(0.0, self.dur_s - length))
            if self.free(t, t + length):
                return t
        return None


# ================================================================================================================
# Cramp groups
# ================================================================================================================
def _cramp(rng: np.random.Generator, night: dict[str, Any], kind: str, dur: float, onset: float,
           strong: bool, target: float, **extra: Any) -> Event:
    """One cramp burst (tonic or clonic) at ``onset`` lasting ``dur`` s between its half-amplitude points."""
    ev = _burst(kind, onset, dur, min(_logu(rng, CRAMP_RISE_S), 0.4 * dur), _logu(rng, CRAMP_FADE_S),
                night["emg_exponent"], partial=not strong, aftershock=False, **extra)
    ev["_wax"] = (_uni(rng, CRAMP_WAX_DEPTH), _logu(rng, CRAMP_WAX_HZ, 3), rng.uniform(0, 2 * np.pi, 3))
    if kind == "clonic":
        rate = float(_uni(rng, CLONIC_HZ))
        ev["_clonic"] = (rate, _uni(rng, CLONIC_DEPTH), _uni(rng, CLONIC_SHARPNESS), rng.uniform(0, 2 * np.pi))
        ev["rate_hz"] = rate
    if strong:
        ev["_u"] = float(target)
    else:
        ev["_target"] = float(max(target, CRAMP_MIN_X_REST))
    return ev


def _precursor(rng: np.random.Generator, rise_start: float) -> Event:
    """Fasciculation-like twitching before a cramp whose drive starts rising at ``rise_start`` (s)."""
    length = _uni(rng, PRECURSOR_S)
    n = max(2, rng.poisson(_uni(rng, TWITCH_RATE_HZ) * length))
    times = np.sort(rng.uniform(rise_start - length, rise_start - 0.3, n))
    widths = _uni(rng, TWITCH_WIDTH_S, n)
    on, off = float(times[0] - 2 * widths[0]), float(times[-1] + 2 * widths[-1])
    return {"onset_s": on, "offset_s": off, "kind": "precursor", "is_cramp": False, "strength_x_rest": math.nan,
            "rise_start_s": on, "plateau_start_s": on, "plateau_end_s": off, "_twitch_t": times,
            "_twitch_w": widths, "_twitch_x": _logu(rng, TWITCH_X_REST, n)}


def _relief(rng: np.random.Generator, night: dict[str, Any], start: float) -> Event:
    """Relief stretch (foot dorsiflexion, standing) beginning at ``start`` (s): moderate drive, motion at both ends."""
    ev = _burst("stretch", start, _uni(rng, RELIEF_DUR_S), _uni(rng, STRETCH_RISE_S), _uni(rng, VOLUNTARY_FADE_S),
                night["emg_exponent"], relief=True)
    ev["_u"] = float(_uni(rng, RELIEF_DRIVE))
    ev["_motion"] = [_motion(rng, ev["_t0"]), _motion(rng, ev["_end"] - 0.5)]
    return ev


def _cramp_group(rng: np.random.Generator, night: dict[str, Any], dur_s: float, shrink: bool) -> list[Event]:
    """A cramp with its optional precursor, aftershocks and relief stretch, timed from a main onset at 0 s."""
    dur = float(np.clip(rng.lognormal(math.log(CRAMP_MEDIAN_S), CRAMP_LOG_SD), *CRAMP_DUR_S))
    dur = max(CRAMP_DUR_S[0], min(dur, CRAMP_MAX_SHARE * dur_s, 20.0 if shrink else dur))
    kind = "clonic" if rng.random() < CLONIC_FRACTION else "tonic"
    strong = rng.random() < STRONG_FRACTION
    level = _uni(rng, CRAMP_STRONG_DRIVE) if strong else _logu(rng, CRAMP_PARTIAL_X_REST)
    main = _cramp(rng, night, kind, dur, 0.0, strong, level)
    group = [main]
    if rng.random() < PRECURSOR_PROB and not shrink:
        group.append(_precursor(rng, main["_t0"]))
    end = main["_end"]
    if rng.random() < AFTERSHOCK_PROB and not shrink:
        for _ in range(int(rng.integers(AFTERSHOCK_N[0], AFTERSHOCK_N[1] + 1))):  # loop over aftershocks
            onset = end + _uni(rng, AFTERSHOCK_GAP_S)
            rel = _uni(rng, AFTERSHOCK_REL)
            shock = _cramp(rng, night, kind, _logu(rng, AFTERSHOCK_DUR_S), onset, strong, level * rel)
            shock["aftershock"] = True
            group.append(shock)
            end = shock["_end"]
    if rng.random() < RELIEF_PROB and not shrink:
        group.append(_relief(rng, night, end + _uni(rng, RELIEF_GAP_S)))
    return group


def _plan_cramps(rng: np.random.Generator, night: dict[str, Any],
                 tl: _Timeline) -> tuple[list[Event], list[tuple[float, float]]]:
    """All cramp groups of the night; returns the events and the wake spans they cause (s)."""
    n = max(1, int(rng.poisson(CRAMP_RATE_PER_H * tl.dur_s / 3600.0)))
    events: list[Event] = []
    wake: list[tuple[float, float]] = []
    for i in range(n):  # loop over cramps
        for shrink in (False, True):  # the first cramp is always placed, shortened if need be
            group = _cramp_group(rng, night, tl.dur_s, shrink)
            lo = min(_span(e)[0] for e in group) - CRAMP_CLEAR_S
            hi = max(_span(e)[1] for e in group) + CRAMP_CLEAR_S
            start = tl.draw(hi - lo)
            if start is None and i == 0 and shrink:
                start = max(0.0, 0.5 * (tl.dur_s - (hi - lo)))
            if start is not None:
                break
        if start is None:
            continue
        group = [_shift(e, start - lo) for e in group]
        tl.busy.append((start, start + hi - lo))
        events.extend(group)
        last = max(e["offset_s"] for e in group)
        wake.append((group[0]["offset_s"], last + _uni(rng, POST_CRAMP_WAKE_S)))
    return events, wake


# ================================================================================================================
# Look-alikes
# ================================================================================================================
def _count(rng: np.random.Generator, rate_per_h: float, dur_s: float) -> int:
    """Poisson count for a rate per hour over ``dur_s`` seconds."""
    return int(rng.poisson(rate_per_h * dur_s / 3600.0))


def _arousal(rng: np.random.Generator, night: dict[str, Any], tl: _Timeline, near: float | None,
             strict: bool = False, **extra: Any) -> Event | None:
    """An arousal burst placed with its onset at ``near`` (s) when free (elsewhere at random unless ``strict``)."""
    ev = _burst("arousal", 0.0, _logu(rng, AROUSAL_DUR_S), _uni(rng, AROUSAL_RISE_S), _uni(rng, AROUSAL_FADE_S),
                night["emg_exponent"], **extra)
    ev["_target"] = float(_logu(rng, AROUSAL_X_REST))
    lo, hi = _span(ev)
    if near is None:
        t = None if strict else tl.draw(hi - lo)
    elif strict:
        t = near + lo if tl.free(near + lo, near + hi) else None
    else:
        t = tl.draw(hi - lo, near + lo)
    return None if t is None else _shift(ev, t - lo)


def _plan_arousals(rng: np.random.Generator, night: dict[str, Any], tl: _Timeline, stages: np.ndarray,
                   plms: list[Event]) -> list[Event]:
    """Arousal bursts: at stage transitions or at random, some in clusters, and some with leg movements."""
    trans = _transitions(stages)
    out: list[Event] = []
    for _ in range(_count(rng, AROUSAL_RATE_PER_H, tl.dur_s)):  # loop over arousals
        at_trans = trans.size > 0 and rng.random() < AROUSAL_AT_TRANSITION_PROB
        near = float(rng.choice(trans)) + rng.uniform(-2.0, 2.0) if at_trans else None
        n_follow = int(rng.integers(AROUSAL_CLUSTER_N[0], AROUSAL_CLUSTER_N[1] + 1)) \
            if rng.random() < AROUSAL_CLUSTER_PROB else 0
        ev = _arousal(rng, night, tl, near, cluster=False)
        while ev is not None:  # a cluster: each follower starts shortly after the previous arousal
            out.append(ev)
            if n_follow == 0:
                break
            n_follow -= 1
            ev = _arousal(rng, night, tl, ev["offset_s"] + _uni(rng, AROUSAL_CLUSTER_GAP_S), strict=True,
                          cluster=True)
    for lm in plms:  # loop over leg movements
        if rng.random() < PLM_AROUSAL_PROB:
            ev = _arousal(rng, night, tl, lm["onset_s"] + rng.uniform(-0.5, 0.5), strict=True, with_lm=True)
            if ev is not None:
                out.append(ev)
    return out


def _plan_plm(rng: np.random.Generator, night: dict[str, Any], tl: _Timeline) -> list[Event]:
    """Periodic limb movement series: >= 4 movements of 0.5-10 s, 5-90 s apart onset to onset (AASM)."""
    out: list[Event] = []
    for k in range(_count(rng, PLM_SERIES_RATE_PER_H, tl.dur_s)):  # loop over series
        n = PLM_MIN_N + int(rng.poisson(PLM_EXTRA_MEAN))
        durs = np.clip(rng.lognormal(math.log(PLM_MEDIAN_S), PLM_LOG_SD, n), *PLM_DUR_S)
        imis = _uni(rng, PLM_MEAN_IMI_S) * (1.0 + PLM_IMI_JITTER * rng.uniform(-1.0, 1.0, n - 1))
        imis = np.clip(np.maximum(imis, durs[:-1] + PLM_MIN_GAP_S), *PLM_IMI_S)
        onsets = np.concatenate([[0.0], np.cumsum(imis)])
        start = tl.draw(float(onsets[-1] + durs[-1]) + 2.0 + PLM_FADE_S[1])
        if start is None:
            continue
        for i in range(n):  # loop over movements of the series
            ev = _burst("plm", start + 1.0 + onsets[i], float(durs[i]), _uni(rng, PLM_RISE_S), _uni(rng, PLM_FADE_S),
                        night["emg_exponent"], series=k, index=i)
            ev["_target"] = float(_logu(rng, PLM_X_REST))
            out.append(ev)
    return out


def _voluntary(rng: np.random.Generator, night: dict[str, Any], kind: str, tl: _Timeline) -> Event | None:
    """A voluntary stretch or plantar flexion: smooth ramp, large plateau, ramp down, motion at start and end."""
    dur_r, rise_r, drive_r = (STRETCH_DUR_S, STRETCH_RISE_S, STRETCH_DRIVE) if kind == "stretch" else \
        (PF_DUR_S, PF_RISE_S, PF_DRIVE)
    ev = _burst(kind, 0.0, _logu(rng, dur_r), _uni(rng, rise_r), _uni(rng, VOLUNTARY_FADE_S), night["emg_exponent"])
    ev["_u"] = float(_uni(rng, drive_r))
    ev["_motion"] = [_motion(rng, ev["_t0"]), _motion(rng, ev["_end"] - 0.5)]
    lo, hi = _span(ev)
    t = tl.draw(hi - lo)
    return None if t is None else _shift(ev, t - lo)


def _plan_tone_steps(rng: np.random.Generator, night: dict[str, Any], tl: _Timeline,
                     stages: np.ndarray) -> list[Event]:
    """Tone that steps up after waking and stays for minutes."""
    after_wake = _transitions(stages, out_of=(W,))
    out: list[Event] = []
    for _ in range(_count(rng, TONE_STEP_RATE_PER_H, tl.dur_s)):  # loop over tone steps
        ev = _burst("tone_step", 0.0, _logu(rng, TONE_STEP_DUR_S), _uni(rng, TONE_STEP_RISE_S),
                    _uni(rng, TONE_STEP_FADE_S), night["emg_exponent"])
        ev["_target"] = float(_uni(rng, TONE_STEP_X_REST))
        use_wake = after_wake.size and rng.random() < TONE_STEP_AFTER_WAKE_PROB
        near = float(rng.choice(after_wake)) if use_wake else None
        t = tl.draw(ev["_end"] - ev["_t0"], near)
        if t is not None:
            out.append(_shift(ev, t - ev["_t0"]))
    return out


def _plan_positions(rng: np.random.Generator, night: dict[str, Any], tl: _Timeline) -> list[Event]:
    """Position changes: a large low-frequency motion artefact with a modest muscle burst."""
    out: list[Event] = []
    for _ in range(_count(rng, POSITION_RATE_PER_H, tl.dur_s)):  # loop over position changes
        ev = _burst("position_change", 0.0, _uni(rng, POSITION_DUR_S), _uni(rng, (0.1, 0.5)), _uni(rng, (0.2, 1.0)),
                    night["emg_exponent"])
        ev["_u"] = float(_uni(rng, POSITION_DRIVE))
        ev["_motion"] = [_motion(rng, ev["_t0"]), _motion(rng, ev["onset_s"] + 0.5 * (ev["offset_s"] - ev["onset_s"]))]
        lo, hi = _span(ev)
        t = tl.draw(hi - lo)
        if t is not None:
            out.append(_shift(ev, t - lo))
    return out


def _plan_jerks(rng: np.random.Generator, night: dict[str, Any], tl: _Timeline, stages: np.ndarray) -> list[Event]:
    """Hypnic jerks: at wake-to-N1 transitions and at random."""
    at_onset = [t for t in _transitions(stages, into=(N1,), out_of=(W,)) if rng.random() < JERK_AT_ONSET_PROB]
    nears: list[float | None] = [float(t) + rng.uniform(0.0, 30.0) for t in at_onset]
    nears += [None] * _count(rng, JERK_RATE_PER_H, tl.dur_s)
    out: list[Event] = []
    for near in nears:  # loop over jerks
        ev = _burst("jerk", 0.0, _logu(rng, JERK_DUR_S), _uni(rng, JERK_RISE_S), _uni(rng, JERK_FADE_S),
                    night["emg_exponent"])
        ev["_target"] = float(_logu(rng, JERK_X_REST))
        if rng.random() < JERK_MOTION_PROB:
            ev["_motion"] = [_motion(rng, ev["_t0"], JERK_MOTION_UV)]
        lo, hi = _span(ev)
        t = tl.draw(hi - lo, near)
        if t is not None:
            out.append(_shift(ev, t - lo))
    return out


def _plan_muscle(rng: np.random.Generator, night: dict[str, Any], dur_s: float,
                 stages: np.ndarray) -> tuple[list[Event], list[tuple[float, float]]]:
    """Cramps and look-alikes with the wake spans they impose (s)."""
    tl = _Timeline(rng, dur_s)
    events, wake = _plan_cramps(rng, night, tl)
    plms = _plan_plm(rng, night, tl)
    events += plms + _plan_arousals(rng, night, tl, stages, plms)
    for kind, rate in (("stretch", STRETCH_RATE_PER_H), ("plantar_flexion", PF_RATE_PER_H)):
        for _ in range(_count(rng, rate, dur_s)):  # loop over voluntary movements
            ev = _voluntary(rng, night, kind, tl)
            if ev is not None:
                events.append(ev)
    events += _plan_tone_steps(rng, night, tl, stages) + _plan_positions(rng, night, tl)
    events += _plan_jerks(rng, night, tl, stages)
    for ev in events:  # voluntary movements happen awake
        if ev["kind"] in ("stretch", "plantar_flexion"):
            wake.append((ev["onset_s"] - VOLUNTARY_WAKE_PAD_S[0], ev["offset_s"] + VOLUNTARY_WAKE_PAD_S[1]))
    return events, wake


# ================================================================================================================
# Artefact plan
# ================================================================================================================
def _artefact(kind: str, onset: float, offset: float, **extra: Any) -> Event:
    """A pure artefact event (no muscle strength)."""
    return {"onset_s": float(onset), "offset_s": float(offset), "kind": kind, "is_cramp": False,
            "strength_x_rest": math.nan, **extra}


def _heart_beats(rng: np.random.Generator, night: dict[str, Any], dur_s: float,
                 stages: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R-peak times (s) and beat amplitudes (µV) from a slowly drifting, stage-modulated, bounded heart rate."""
    dt = 1.0 / HR_GRID_HZ
    t = np.arange(int(dur_s * HR_GRID_HZ) + 2) * dt
    fac = np.asarray(HR_STAGE_FACTOR)[stages[np.minimum(t.astype(int), stages.size - 1)]]
    fac = _smooth(fac, dt, HR_STAGE_TAU_S, float(fac[0]))
    rho = math.exp(-dt / HR_DRIFT_TAU_S)
    x0 = rng.normal(0.0, HR_DRIFT_SD)
    drift = signal.lfilter([HR_DRIFT_SD * math.sqrt(1 - rho * rho)], [1.0, -rho], rng.standard_normal(t.size),
                           zi=[rho * x0])[0]
    resp = 2.0 * np.pi * night["resp_hz"] * t + rng.uniform(0, 2 * np.pi)
    hr = night["hr_bpm"] * fac * (1.0 + drift) * (1.0 + night["rsa_depth"] * np.sin(resp))
    hr = np.clip(hr, *HR_BOUNDS_BPM)
    phase = np.cumsum(hr / 60.0 * dt) + rng.random()
    k = np.arange(math.ceil(phase[0]), math.floor(phase[-1]) + 1)
    beats = np.interp(k, phase, t)
    amps = night["ecg_r_uv"] * (1.0 + ECG_RESP_AMP_MOD * np.sin(np.interp(beats, t, resp)))
    return beats, amps


def _plan_ecg(rng: np.random.Generator, night: dict[str, Any], dur_s: float, stages: np.ndarray) -> list[Event]:
    """ECG bleed lasting hours (or the whole recording)."""
    present = rng.random() < ECG_PROB
    full = rng.random() < ECG_FULL_PROB
    length = min(dur_s, 3600.0 * _logu(rng, ECG_DURATION_H))
    start = 0.0 if full else rng.uniform(0.0, dur_s - length)
    stop = dur_s if full else start + length
    beats, amps = _heart_beats(rng, night, dur_s, stages)
    if not present:
        return []
    keep = (beats >= start) & (beats < stop)
    rr = np.diff(beats[keep])
    return [_artefact("ecg", start, stop, beats_s=beats[keep], r_amplitude_uv=night["ecg_r_uv"],
                      hr_bpm_mean=float(60.0 / rr.mean()) if rr.size else math.nan, _amps=amps[keep])]


def _plan_board_faults(rng: np.random.Generator, night: dict[str, Any], dur_s: float,
                       motions: list[float]) -> list[Event]:
    """Electrode pops, lead-off (flat or rail) and saturation (often right after motion)."""
    out: list[Event] = []
    for _ in range(_count(rng, POP_RATE_PER_H, dur_s)):  # loop over pops
        t, tau = rng.uniform(0.0, dur_s), _logu(rng, POP_TAU_S)
        amp = float(rng.choice([-1.0, 1.0])) * _logu(rng, POP_UV)
        out.append(_artefact("pop", t, min(dur_s, t + 3.0 * tau), amplitude_uv=amp, tau_s=tau))
    for _ in range(_count(rng, LEAD_OFF_RATE_PER_H, dur_s)):  # loop over lead-offs
        length = _logu(rng, LEAD_OFF_S)
        t = rng.uniform(0.0, max(0.0, dur_s - length))
        rail = rng.random() < LEAD_OFF_RAIL_PROB
        level = float(rng.choice([-1.0, 1.0])) * night["rail_uv"] if rail else _uni(rng, LEAD_OFF_FLAT_UV)
        out.append(_artefact("lead_off", t, min(dur_s, t + length), mode="rail" if rail else "flat", level_uv=level))
    for _ in range(_count(rng, SATURATION_RATE_PER_H, dur_s)):  # loop over saturations
        length = _logu(rng, SATURATION_S)
        after = motions and rng.random() < SATURATION_AFTER_MOTION_PROB
        t = float(rng.choice(motions)) if after else rng.uniform(0.0, max(0.0, dur_s - length))
        sign = float(rng.choice([-1.0, 1.0]))
        out.append(_artefact("saturation", t, min(dur_s, t + length), level_uv=sign * night["rail_uv"]))
    return out


def _plan_artefacts(rng: np.random.Generator, night: dict[str, Any], dur_s: float, stages: np.ndarray,
                    muscle: list[Event]) -> list[Event]:
    """All pure artefacts of the night (drawn whether or not they are rendered)."""
    motions = sorted(m[0] + m[2] for ev in muscle for m in ev.get("_motion", ()) if m[0] + m[2] < dur_s)
    out = _plan_ecg(rng, night, dur_s, stages) + _plan_board_faults(rng, night, dur_s, motions)
    for _ in range(_count(rng, WANDER_RATE_PER_H, dur_s)):  # loop over wander episodes
        length = min(dur_s, _logu(rng, WANDER_S))
        t = rng.uniform(0.0, dur_s - length)
        out.append(_artefact("wander", t, t + length, amplitude_uv=_logu(rng, WANDER_UV),
                             cutoff_hz=_logu(rng, WANDER_CUTOFF_HZ)))
    if rng.random() < HUM_PROB:
        whole = rng.random() < HUM_WHOLE_NIGHT_PROB
        a = 0.0 if whole else rng.uniform(0.0, 0.7 * dur_s)
        b = dur_s if whole else rng.uniform(a + 0.1 * dur_s, dur_s)
        out.append(_artefact("hum", a, b, mains_hz=night["mains_hz"], amplitude_uv=night["hum_uv"]))
    return out


# ================================================================================================================
# Drive -> activation -> amplitude on the envelope grid
# ================================================================================================================
def _index(t: float, n_env: int) -> int:
    """Envelope-grid index of time ``t`` (s), clipped to the grid."""
    return int(min(max(round(t * ENV_FS_HZ), 0), n_env))


def _rest_ms(ev: Event, night: dict[str, Any], tone: np.ndarray) -> float:
    """Resting mean square (µV²): tone plus input noise over the quiet window before the event's rise."""
    t0 = ev["rise_start_s"]
    a, b = _index(t0 - REST_WINDOW_S[0], tone.size), _index(t0 - REST_WINDOW_S[1], tone.size)
    if b <= a:
        a, b = _index(t0, tone.size), _index(t0, tone.size) + 1
    return float(np.mean(tone[a:b] ** 2) + night["noise_uv"] ** 2)


def _solve_drive(ev: Event, night: dict[str, Any], shape: np.ndarray, t: np.ndarray, tone: np.ndarray,
                 rest_ms: float) -> float:
    """Plateau drive at which the plateau EMG RMS reaches the drawn multiple of rest."""
    pl = (t >= ev["plateau_start_s"]) & (t <= ev["plateau_end_s"])
    if not pl.any():
        pl = shape >= shape.max() * 0.99
    p2 = 2.0 * night["emg_exponent"]
    want = ev["_target"] ** 2 * rest_ms
    evt_ms = max(want - np.mean(tone[pl] ** 2) - night["noise_uv"] ** 2, 0.5 * (want - rest_ms))
    return float(min(1.0, (evt_ms / (night["a_max_uv"] ** 2 * np.mean(shape[pl] ** p2))) ** (1.0 / p2)))


def _add_drive(ev: Event, night: dict[str, Any], drive: np.ndarray, tone: np.ndarray) -> None:
    """Add an event's drive time course to ``drive`` (envelope grid)."""
    lo, hi = _span(ev)
    i0, i1 = _index(lo, drive.size), _index(hi, drive.size) + 1
    i1 = min(i1, drive.size)
    if i1 <= i0:
        return
    t = np.arange(i0, i1) / ENV_FS_HZ
    rest_ms = _rest_ms(ev, night, tone)
    if "_twitch_t" in ev:
        drive[i0:i1] += _twitch_drive(ev, t, night, rest_ms)
        return
    shape = _event_shape(ev, t - ev["_t0"])
    if "_u" not in ev:
        ev["_u"] = _solve_drive(ev, night, shape, t, tone[i0:i1], rest_ms)
    drive[i0:i1] += ev["_u"] * shape


def _pole_scale(night: dict[str, Any], act: np.ndarray) -> np.ndarray:
    """Relative pole frequency: up with (smoothed) activation, down with accumulated fatigue."""
    dt = 1.0 / ENV_FS_HZ
    smooth = _smooth(act, dt, POLE_SHIFT_TAU_S)
    rho = math.exp(-dt / night["fatigue_recovery_s"])
    fatigue = np.minimum(signal.lfilter([night["fatigue_rate_per_s"] * dt], [1.0, -rho], act), FATIGUE_MAX)
    return (1.0 + night["mdf_force_gain"] * smooth) * (1.0 - fatigue)


def _realise(ev: Event, night: dict[str, Any], amp: np.ndarray, tone: np.ndarray, scale: np.ndarray) -> None:
    """Realised plateau RMS over resting RMS (and expected plateau median frequency) of a muscle event."""
    n_env = amp.size
    a = min(_index(ev["plateau_start_s"], n_env), n_env - 1)
    b = max(_index(ev["plateau_end_s"], n_env), a + 1)
    rest_ms = _rest_ms(ev, night, tone)
    pl_ms = float(np.mean(amp[a:b] ** 2) + night["noise_uv"] ** 2)
    ev["strength_x_rest"] = math.sqrt(pl_ms / rest_ms)
    ev["rest_uv"], ev["plateau_uv"] = math.sqrt(rest_ms), math.sqrt(pl_ms)
    if ev["is_cramp"]:
        c = min(b, a + int(2.0 * ENV_FS_HZ))
        ev["mdf_hz"] = float(night["mdf_rest_hz"] * np.mean(scale[a:c]))


def _muscle_envelopes(night: dict[str, Any], events: list[Event], tone: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """EMG RMS amplitude (µV) and pole scale on the envelope grid; fills each muscle event's strength."""
    drive = np.zeros(tone.size)
    for ev in events:  # loop over events
        _add_drive(ev, night, drive, tone)
    np.clip(drive, 0.0, 1.0, out=drive)
    act = _asym_first_order(drive, 1.0 / ENV_FS_HZ, night["tau_act_s"], night["tau_deact_s"])
    amp = np.sqrt(tone ** 2 + (night["a_max_uv"] * act ** night["emg_exponent"]) ** 2)
    scale = _pole_scale(night, act)
    for ev in events:  # loop over events
        _realise(ev, night, amp, tone, scale)
    return amp, scale


# ================================================================================================================
# Whole plan
# ================================================================================================================
def _build(seed: int, hours: float, artefacts: bool, render: bool = True) -> dict[str, Any]:
    """Night parameters, events and fs-free envelopes of one night (``render=False`` skips artefact textures)."""
    r_night, r_plan, r_tex, _ = _streams(seed)
    night = _draw_night(r_night)
    dur_s = float(hours) * 3600.0
    n_env = math.ceil(dur_s * ENV_FS_HZ) + 2
    stages = _window_stages(r_plan, dur_s)
    muscle, wake = _plan_muscle(r_plan, night, dur_s, stages)
    stages = _apply_wake(stages, wake)
    art = _plan_artefacts(r_plan, night, dur_s, stages, muscle)
    tone = _tone_envelope(night, stages, n_env)
    amp, scale = _muscle_envelopes(night, muscle, tone)
    events = muscle + (art if artefacts else [])
    for ev in events:  # loop over events
        ev["stage"] = STAGES[int(stages[min(max(int(ev["onset_s"]), 0), stages.size - 1)])]
    events.sort(key=lambda e: (e["onset_s"], e["kind"]))
    lf = _lf_envelope(r_tex, events, n_env) if artefacts and render else None
    return {"night": night, "events": events, "amp": amp, "scale": scale, "lf": lf, "dur_s": dur_s}


def _public(ev: Event) -> Event:
    """Event without internal keys, with plain Python scalars."""
    out: Event = {}
    for k, v in ev.items():
        if k.startswith("_"):
            continue
        if isinstance(v, np.generic):
            v = v.item()
        out[k] = v
    for k in ("onset_s", "offset_s", "strength_x_rest"):
        out[k] = float(out[k])
    return out


def plan(seed: int, hours: float = 1.0, *, artefacts: bool = True) -> list[dict]:
    """Event list of a night without rendering the signal (identical to ``generate``'s list for any fs).

    Parameters
    ----------
    seed : int
        Night seed.
    hours : float
        Recording length, h.
    artefacts : bool
        Include pure artefact events.

    Returns
    -------
    list of dict
        Events sorted by onset (times in s, strengths as plateau RMS over resting RMS).
    """
    return [_public(e) for e in _build(seed, hours, artefacts, render=False)["events"]]


# ================================================================================================================
# Rendering at the board rate
# ================================================================================================================
def _lf_envelope(rng: np.random.Generator, events: list[Event], n_env: int) -> np.ndarray:
    """Low-frequency artefacts (µV) on the envelope grid: motion transients and baseline-wander episodes."""
    lf = np.zeros(n_env)
    for ev in events:  # loop over events
        for start, amp, length, cycles, phase in ev.get("_motion", ()):
            i0, i1 = _index(start, n_env), min(n_env, _index(start + length, n_env) + 1)
            x = (np.arange(i0, i1) / ENV_FS_HZ - start) / length
            lf[i0:i1] += amp * np.sin(np.pi * np.clip(x, 0, 1)) ** 2 * np.sin(2 * np.pi * cycles * x + phase)
        if ev["kind"] == "wander":
            _add_wander(rng, ev, lf)
    return lf


def _add_wander(rng: np.random.Generator, ev: Event, lf: np.ndarray) -> None:
    """Add a baseline-wander episode: low-passed noise, tapered, scaled to its amplitude (µV)."""
    length = ev["offset_s"] - ev["onset_s"]
    n = int(length * WANDER_GRID_HZ) + 16
    cut = min(ev["cutoff_hz"], 0.4 * WANDER_GRID_HZ)
    sos = signal.butter(2, cut, fs=WANDER_GRID_HZ, output="sos")
    w = signal.sosfiltfilt(sos, rng.standard_normal(n))
    w = (w - w.mean()) / (w.std() + 1e-12) * signal.windows.tukey(n, 0.2)
    i0, i1 = _index(ev["onset_s"], lf.size), min(lf.size, _index(ev["offset_s"], lf.size) + 1)
    tt = (np.arange(i0, i1) / ENV_FS_HZ - ev["onset_s"]) * WANDER_GRID_HZ
    lf[i0:i1] += ev["amplitude_uv"] * np.interp(tt, np.arange(n), w)


def _fs_correction(night: dict[str, Any], fs: float) -> float:
    """Pole-frequency factor at ``fs`` that makes the sampled carrier's median frequency equal that of the
    physical spectrum seen through an ideal anti-alias filter at fs / 2 (corrects the pole mapping near Nyquist)."""
    f_ref, p_ref = _carrier_spectrum(night["pole_hz"], night["pole_bw_hz"], MDF_REF_FS_HZ)
    band = f_ref <= 0.5 * fs
    target = _median_frequency(f_ref[band], p_ref[band])
    k = 1.0
    for _ in range(4):  # fixed-point refinement
        k *= target / _median_frequency(*_carrier_spectrum(night["pole_hz"] * k, night["pole_bw_hz"] * k, fs))
    return k


def _level_filters(night: dict[str, Any], levels: np.ndarray, fs: float) -> dict[int, tuple[np.ndarray, float]]:
    """AR polynomial and unit-innovation output variance (with the DC zero) per pole-scale level."""
    table: dict[int, tuple[np.ndarray, float]] = {}
    k = _fs_correction(night, fs)
    for lev in np.unique(levels):  # loop over distinct levels (tens)
        s = k * (1.0 + LEVEL_STEP * float(lev))
        _, psd = _carrier_spectrum(night["pole_hz"] * s, night["pole_bw_hz"] * s, fs)
        table[int(lev)] = (_ar_coefs(night["pole_hz"] * s, night["pole_bw_hz"] * s, fs), float(np.mean(psd)))
    return table


def _carrier_runs(d: np.ndarray, lev: np.ndarray, table: dict[int, tuple[np.ndarray, float]],
                  state: dict[str, Any]) -> np.ndarray:
    """All-pole filtering of innovations ``d`` with coefficients constant over runs of equal level (state carried;
    at a level change the new filter state is rebuilt from past outputs, so the AR recursion stays exact)."""
    y = np.empty_like(d)
    cuts = np.flatnonzero(np.diff(lev)) + 1
    for s0, s1 in zip(np.r_[0, cuts], np.r_[cuts, d.size]):  # loop over runs of constant level
        level = int(lev[s0])
        a = table[level][0]
        zi = state["zi"] if state["level"] == level else signal.lfiltic([1.0], a, state["hist"])
        y[s0:s1], state["zi"] = signal.lfilter([1.0], a, d[s0:s1], zi=zi)
        state["level"] = level
        state["hist"] = np.concatenate([y[s0:s1][::-1][:8], state["hist"]])[:8]
    return y


def _hum(t: np.ndarray, ev: Event, night: dict[str, Any], fs: float) -> np.ndarray:
    """Mains hum with harmonics (µV) over times ``t`` (s), ramped in and out of its episode."""
    gate = np.clip(t - ev["onset_s"], 0.0, 1.0) * np.clip(ev["offset_s"] - t, 0.0, 1.0)
    if not gate.any():
        return np.zeros_like(t)
    ph = night["hum_phase"]
    am = night["hum_uv"] * (1.0 + HUM_MOD_DEPTH * np.sin(2 * np.pi * t / night["hum_mod_period_s"] + ph[0])) * gate
    theta = 2.0 * np.pi * night["mains_hz"] * t
    wave = np.sin(theta + ph[1])
    for k, rel in enumerate(night["hum_harm"], start=2):  # loop over harmonics
        if k * night["mains_hz"] < POLE_NYQUIST_FRACTION * fs:
            wave += rel * np.sin(k * theta + ph[k])
    return am * wave


def _render_chunks(x: np.ndarray, built: dict[str, Any], fs: float, rng: np.random.Generator,
                   artefacts: bool) -> None:
    """Carrier, input noise, low-frequency artefacts and hum, chunk by chunk into ``x`` (µV)."""
    night, amp, n_env = built["night"], built["amp"], built["amp"].size
    levels = np.round((built["scale"] - 1.0) / LEVEL_STEP).astype(np.int64)
    table = _level_filters(night, levels, fs)
    lmin = int(levels.min())
    gain = np.ones(int(levels.max()) - lmin + 1)
    for lev, (_, g) in table.items():
        gain[lev - lmin] = g
    t_env = np.arange(n_env) / ENV_FS_HZ
    hums = [e for e in built["events"] if e["kind"] == "hum"]
    state: dict[str, Any] = {"zi": None, "level": None, "hist": np.zeros(8), "prev": 0.0}
    n_samp = x.size
    for c0 in range(0, n_samp, CHUNK_SAMPLES):  # loop over chunks
        t = np.arange(c0, min(c0 + CHUNK_SAMPLES, n_samp)) / fs
        lev = levels[np.minimum((t * ENV_FS_HZ).astype(np.int64), n_env - 1)]
        v = rng.standard_normal(t.size) * np.interp(t, t_env, amp) / np.sqrt(gain[lev - lmin])
        d = np.diff(v, prepend=state["prev"])
        state["prev"] = v[-1]
        y = _carrier_runs(d, lev, table, state)
        y += night["noise_uv"] * rng.standard_normal(t.size)
        if artefacts:
            y += np.interp(t, t_env, built["lf"])
            for ev in hums:
                y += _hum(t, ev, night, fs)
        x[c0:c0 + t.size] = y


def _add_ecg(x: np.ndarray, ev: Event, night: dict[str, Any], fs: float) -> None:
    """Add QRS-like beats (sum of Gaussian waves, McSharry 2003) at the event's R times."""
    off = np.arange(-int(ECG_SPAN_S[0] * fs), int(ECG_SPAN_S[1] * fs) + 1)
    tt = off / fs
    tmpl = np.sum([a * np.exp(-0.5 * ((tt - c) / w) ** 2) for c, w, a in ECG_WAVES], axis=0)
    pos = np.round(ev["beats_s"] * fs).astype(np.int64)
    amps = ev["_amps"] * night["ecg_sign"]
    for parity in (0, 1):  # alternate beats never overlap, so fancy-index adds are safe
        p, a = pos[parity::2], amps[parity::2]
        for g in range(0, p.size, ECG_GROUP):  # loop over groups of beats
            idx = p[g:g + ECG_GROUP, None] + off[None, :]
            ok = (idx >= 0) & (idx < x.size)
            x[idx[ok]] += (a[g:g + ECG_GROUP, None] * tmpl[None, :])[ok]


def _apply_board(x: np.ndarray, built: dict[str, Any], fs: float) -> None:
    """ECG, pops, lead-off, saturation, rail clipping and quantisation, in place (µV)."""
    night = built["night"]
    for ev in built["events"]:  # loop over events
        i0 = round(ev["onset_s"] * fs)
        if ev["kind"] == "ecg":
            _add_ecg(x, ev, night, fs)
        elif ev["kind"] == "pop":
            k = np.arange(min(x.size - i0, int(8 * ev["tau_s"] * fs) + 1))
            x[i0:i0 + k.size] += ev["amplitude_uv"] * np.exp(-k / (ev["tau_s"] * fs))
    for ev in built["events"]:  # faults overwrite the signal after everything else
        if ev["kind"] in ("lead_off", "saturation"):
            x[round(ev["onset_s"] * fs):min(x.size, round(ev["offset_s"] * fs))] = ev["level_uv"]
    full_scale = math.floor(night["rail_uv"] / night["lsb_uv"])  # largest ADC code
    x /= night["lsb_uv"]
    np.round(x, out=x)
    np.clip(x, -full_scale, full_scale, out=x)
    x *= night["lsb_uv"]


def generate(seed: int, hours: float = 1.0, fs: float | None = None, *,
             artefacts: bool = True) -> tuple[np.ndarray, float, list[dict]]:
    """Generate one synthetic night of calf surface EMG from the drive principle.

    Parameters
    ----------
    seed : int
        Night seed; the same (seed, hours, fs) always gives the same output.
    hours : float
        Recording length, h.
    fs : float or None
        Sampling rate, Hz; drawn per night from 250, 500, 1000, 2000, 4000 Hz when None.
    artefacts : bool, keyword-only
        When False the board is ideal: muscle signal plus amplifier input noise only (no hum, wander, ECG, pops,
        lead-off, saturation, motion, rail clipping or quantisation) and pure artefact events are not listed.

    Returns
    -------
    x : ndarray of float32
        Signal, µV, length ``round(hours * 3600 * fs)``.
    fs : float
        Sampling rate, Hz.
    events : list of dict
        Sorted by onset: ``onset_s``, ``offset_s`` (s), ``kind``, ``is_cramp``, ``strength_x_rest`` (plateau RMS
        over resting RMS, NaN for pure artefacts) and extras (``stage``, ``partial``, ``aftershock``, ``rate_hz``,
        ``plateau_start_s``, ``plateau_end_s``, ``rise_start_s``, ``rest_uv``, ``mdf_hz``, ``series``, ``beats_s``...).
    """
    built = _build(seed, hours, artefacts)
    fs_out = float(built["night"]["fs_hz"] if fs is None else fs)
    x = np.empty(round(hours * 3600.0 * fs_out))
    _render_chunks(x, built, fs_out, _streams(seed)[3], artefacts)
    if artefacts:
        _apply_board(x, built, fs_out)
    return x.astype(np.float32), fs_out, [_public(e) for e in built["events"]]
