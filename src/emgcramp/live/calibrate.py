"""Calibration: a person's rest level and, optionally, maximal voluntary contraction.

Both are envelope levels in µV RMS from this package's own chain (mains
notches, 20–450 Hz band-pass, 0.5-s RMS), so %MVC and multiples of rest
compare like with like. Rest is the median of the envelope over the rest
window; MVC is its maximum over the contraction window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

import numpy as np

from emgcramp.core.blocks import Block
from emgcramp.core.config import ELECTRODE_NOISE_UV, SegmentConfig
from emgcramp.core.errors import InputError
from emgcramp.dsp.filters import EmgFilter
from emgcramp.dsp.mains import detect_mains
from emgcramp.dsp.samples import MAX_INPUT_UV

WINDOW_S = 0.5
# A maximal calf contraction reads some 100–500 µV RMS on surface electrodes against a rest of
# 1–5 µV (the simulator's and the field excerpts' ranges agree); under 10 × rest the window
# missed it or the push was not maximal, and every %MVC after it would be inflated.
MVC_MIN_X_REST = 10.0
# How far either side of a rest window in a recording its level is weighed against (s): long enough
# that a cramp covering the window, about a minute typically and ten at most (Miller & Layzer 2005,
# doi:10.1002/mus.20341), leaves at least half of the span at rest, wherever in the cramp the window
# sits. The window is weighed against the quietest quarter of the span (AROUND_QUIET, a percentile of
# its 2-s means): at rest while half of it is, and not set by a few minutes of unusually low signal.
AROUND_S = 600.0
AROUND_QUIET = 25.0
# Under this (µV RMS) a stretch carries no signal: a tenth of the electrodes' own thermal noise
# (ELECTRODE_NOISE_UV); a lead-off or a dropout filters to far less.
NO_SIGNAL_UV = ELECTRODE_NOISE_UV / 10
REST_MEAN_BINS = 100  # 2 s of 20-ms bins: a heartbeat's bleed (40–120 beats a minute) averages out


def envelope(x: np.ndarray, fs: float, notches: list[float]) -> np.ndarray:
    """0.5-s RMS envelope (µV) of one channel ``x`` (µV), one value per 20-ms bin."""
    f = EmgFilter(fs, 1, notches=notches)
    ms = f.process(x[:, None]).ms[:, 0]
    w = max(1, round(WINDOW_S * f.env_rate))
    if len(ms) < w:
        raise InputError(f"a calibration window needs at least {WINDOW_S:g} s of signal")
    return np.sqrt(np.convolve(ms, np.ones(w) / w, mode="valid"))


def collect(blocks: Iterable[Block], fs: Callable[[], float], windows: dict[str, tuple[float, float]]
            ) -> dict[str, np.ndarray]:
    """Gather channel-0 samples (µV) of each named (start_s, end_s) window from a stream.

    ``fs`` is asked per block: a live source learns its rate from the sensor.
    """
    parts: dict[str, list[np.ndarray]] = {k: [] for k in windows}
    end = max(e for _, e in windows.values())
    for b in blocks:
        t = (b.t0_sample + np.arange(len(b.samples))) / fs()
        for name, (lo, hi) in windows.items():
            sel = (t >= lo) & (t < hi)
            if sel.any():
                parts[name].append(b.samples[sel, 0])
        if t[-1] >= end:
            break
    return {k: np.concatenate(v) if v else np.zeros(0) for k, v in parts.items()}


def make_profile(rest: np.ndarray, fs: float, mvc: np.ndarray | None = None, channel: str = "",
                 around: np.ndarray | None = None) -> dict:
    """Profile from rest (and MVC) samples in µV: levels in µV RMS.

    ``around``: the recording's samples (µV) from :data:`AROUND_S` before the rest window to as long
    after it, when there is a recording; the rest level is weighed against its typical level.
    """
    for name, x in (("rest", rest), ("contraction", mvc)):
        if x is not None and not np.isfinite(x).all():  # a level of NaN would be saved and refused ever after
            raise InputError(f"the {name} window holds NaN or infinite samples; choose a stretch without them")
        if x is not None and len(x) and float(np.abs(x).max()) > MAX_INPUT_UV:  # as analyze refuses them
            raise InputError(f"the {name} window holds samples of {float(np.abs(x).max()):.3g} µV, beyond what any "
                             f"electrode input holds ({MAX_INPUT_UV / 1e6:g} V): are the samples in µV? Give the µV "
                             "per unit (--scale)")
    notches = detect_mains(rest, fs)
    env = envelope(rest, fs, notches)
    _check_units(rest, env)
    level = _rest_level(env)
    if around is not None and len(around) > len(rest):
        # hum is found minute by minute: under a cramp it is not seen, and unnotched it would raise the quiet
        minutes = range(0, len(around), int(60 * fs))
        hum = sorted(set().union(*(detect_mains(around[i:i + int(60 * fs)], fs) for i in minutes)))
        _check_against(level, envelope(around, fs, hum), len(around) / fs)
    profile = {"rest_uv": round(level, 3), "channel": channel,
               "fs_hz": fs, "mains_notches_hz": notches, "created": datetime.now().isoformat(timespec="seconds")}
    if mvc is not None and len(mvc):
        env = envelope(mvc, fs, notches)
        level = float(env.max())
        if float(np.percentile(env, 10)) < NO_SIGNAL_UV:  # as for the rest window: said, not taken for a weak push
            raise InputError("the contraction window holds a stretch without signal (a lead-off or a dropout); "
                             "choose one where the sensor was recording")
        if level < MVC_MIN_X_REST * profile["rest_uv"]:
            raise InputError(
                f"the contraction ({level:.1f} µV) is only {level / profile['rest_uv']:.1f} × rest "
                f"({profile['rest_uv']:.1f} µV); a maximal one is {MVC_MIN_X_REST:g} × or more. The MVC window "
                "should hold 3–5 s of the hardest push the foot can make (pointing it down against a wall "
                "or a strap), all of it inside the window")
        profile["mvc_uv"] = round(level, 3)
    return profile


def _check_units(rest: np.ndarray, env: np.ndarray) -> None:
    """InputError when the rest window's level (``env``, µV) lies under the electrodes' own noise
    (:data:`~emgcramp.core.config.ELECTRODE_NOISE_UV`), which no profile may hold: samples in mV or V read as µV
    when they vary from sample to sample; else a signal mostly flat (a lead-off, steps coarser than rest EMG)."""
    level = float(np.median(env)) if len(env) else 0.0
    if len(rest) < 2 or level >= ELECTRODE_NOISE_UV:
        return
    said = (f"the rest window's level, {level:.2g} µV, lies under what any skin electrode reads "
            f"({ELECTRODE_NOISE_UV:g} µV)")
    if np.count_nonzero(np.diff(rest)) > 0.5 * (len(rest) - 1):
        raise InputError(f"{said}, though its samples vary: are they in µV? Give the µV per unit "
                         "(--scale 1000 for mV)")
    raise InputError(f"{said}: its samples mostly repeat (a lead-off, or steps too coarse for the EMG at rest); "
                     "choose a window where the sensor was recording")


def _rest_level(env: np.ndarray) -> float:
    """The median of a rest window's envelope ``env`` (µV, one value per 20-ms bin); InputError when the
    window was not at rest.

    A window at rest is steady. Its 2-s means (a heartbeat's bleed every second or so averages out in them)
    are compared: one whose loudest tenth reaches the segmenter's ON ratio over its quietest tenth holds a
    burst by the detector's own rule (a cramp, a push, a movement) for a tenth of it or more, and its level
    would be raised by it and hide the weak cramps after it. A window with a stretch under NO_SIGNAL_UV holds
    a lead-off or a dropout.
    """
    k = max(1, min(REST_MEAN_BINS, len(env) // 10))
    means = env[:len(env) // k * k].reshape(-1, k).mean(axis=1)
    quiet, loud = (float(v) for v in np.percentile(means, [10, 90]))
    on = SegmentConfig().on_ratio
    if float(np.percentile(env, 10)) < NO_SIGNAL_UV:
        raise InputError("the rest window holds a stretch without signal (a lead-off or a dropout); choose one "
                         "where the sensor was recording")
    if loud >= on * quiet:
        raise InputError(f"the rest window is not at rest: its loudest tenth ({loud:.1f} µV) is {loud / quiet:.1f} × "
                         f"its quietest ({quiet:.1f} µV), {on:g} × or more, as over a contraction or a movement; "
                         "choose a stretch where the leg lay still")
    return float(np.median(env))


def _check_against(level: float, around: np.ndarray, span_s: float) -> None:
    """InputError when a rest ``level`` (µV) reaches the ON ratio over the quiet minutes of ``around`` (µV),
    the envelope of the ``span_s`` (s) around the window.

    A window wholly inside a cramp is as steady as rest; only the minutes around it tell them apart. The
    quietest quarter of their 2-s means (:data:`AROUND_QUIET`; a heartbeat's bleed averages out in them, and
    a mean over a dropout does not count) stands for rest while half of them are at rest: a cramp of ten
    minutes over the window leaves that.
    """
    k = min(REST_MEAN_BINS, len(around))
    cut = around[:len(around) // k * k].reshape(-1, k)
    live = cut.mean(axis=1)[cut.min(axis=1) >= NO_SIGNAL_UV]
    if len(live) < len(cut) / 2:
        return  # mostly without signal: nothing to weigh the window against
    quiet, on = float(np.percentile(live, AROUND_QUIET)), SegmentConfig().on_ratio
    if level >= on * quiet:
        raise InputError(f"the rest window is not at rest: its level ({level:.1f} µV) is {level / quiet:.1f} × the "
                         f"quiet minutes of the {span_s / 60:.0f} minutes around it ({quiet:.1f} µV), {on:g} × or "
                         "more, as inside a cramp or a push; choose a stretch where the leg lay still")


def keep_unmeasured(profile: dict, old_path: str) -> dict:
    """``profile`` with what it did not measure (a level, the learned decision) kept from ``old_path``'s."""
    from emgcramp.live.profile import read_profile

    try:
        old = read_profile(old_path)
    except InputError:
        return profile
    return {k: old[k] for k in ("rest_uv", "mvc_uv", "decision") if k in old and k not in profile} | profile
