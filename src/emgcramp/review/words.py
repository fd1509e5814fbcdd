"""The review page's words: what a reader without EMG training is told, with the technical term beside it.

Every figure keeps its unit in the text (``2:50``, ``75 × rest``); the
technical term goes into a tooltip, never in place of the plain word.
"""

from __future__ import annotations

import math
from datetime import datetime

from emgcramp.core.clock import duration_words, later

# Peak level (× the person's own rest) → a word. The detector starts to look at 2.5 × rest and partial
# cramps hold at a few × rest (core/config.py), so under 10 × is mild; the boundaries are for reading, not
# a clinical scale, and the figure always stands beside the word.
STRENGTHS = ((30.0, "strong"), (10.0, "moderate"), (0.0, "mild"))

KINDS = {"tonic": ("steady", "tonic: the muscle stays contracted"),
         "clonic": ("jerking", "clonic: the muscle contracts in repeated jerks")}

# Why a burst was only listed as a possible cramp (detect/decide.py's reasons), in plain words.
REASONS = {"short": "shorter than a cramp", "brief": "too brief", "signal_loss": "the signal was lost",
           "motion": "looked like the sensor moving", "intermittent": "came and went",
           "weak": "too weak", "tone_change": "looked like a change of muscle tone",
           "leg_movement": "looked like a leg movement",
           "leg_movement_series": "looked like a series of leg movements", "sparse": "too little activity",
           "stretch": "looked like a stretch", "voluntary": "looked like a deliberate movement",
           "uncertain": "not sure enough, though nothing spoke against it",
           "open_at_start": "under way as the recording began: how it started is not known",
           "cut_short": "a short part cut off by a gap in the signal: how long it lasted is not known"}

# A burst's frequency that moved by less than this share between the first and last third of its middle reads as
# steady. On steady noise, thirds of the shortest length measured (emgcramp.detect.shape.DRIFT_MIN_S) drift by
# 5-8 % one time in twenty, at 250 Hz to 2 kHz: below a tenth, a move is not told from the estimate's spread.
STEADY_DRIFT = 0.10

NOT_A_DIAGNOSIS = ("A few cramps a month are common; frequent or very long cramps are worth a doctor's look. "
                   "This page describes the signal; it is not a diagnosis.")


def shown(name: str) -> str:
    """A file or folder name as a page can show it: bytes that are not UTF-8 (kept by the file system as
    surrogates, which no page can encode) as the replacement character."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def clock(start: datetime | None, t_s: float, seconds: bool = True) -> str:
    """The clock time ``t_s`` seconds into the night (``HH:MM:SS``), or the time since the start without a clock."""
    if start is not None:
        return later(start, t_s).strftime("%H:%M:%S" if seconds else "%H:%M")
    whole = int(round(t_s))
    return f"+{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def lost_why(channels: list[str], gap: bool, flat: bool, not_stored: bool = False, damaged: bool = False) -> str:
    """Why a stretch had no signal, in plain words: nothing came (``gap``), it came but was not stored
    (``not_stored``), it was stored and later damaged in the file (``damaged``), or a flat line (on ``channels``)."""
    parts = ["its samples were damaged in the night's file after they were stored (a failing disk, a bad copy)"] \
        if damaged else []
    if gap:
        parts.append("nothing came from the sensor (out of reach, or switched off)")
    if not_stored:
        parts.append("the sensor's samples came but could not be stored (a full disk?): cramps were still alerted")
    if flat:
        on = f" on {', '.join(channels)}" if channels else ""
        parts.append(f"a flat line{on}: an electrode off, or the sensor's input dead")
    return "; ".join(parts)


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 cramp``, ``2 cramps``."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def strength(x_rest: float, pct_mvc: float | None = None) -> tuple[str, str]:
    """The word for a peak of ``x_rest`` × rest, and the phrase with the figures (``strong: 75 × rest``)."""
    if not math.isfinite(x_rest):  # a cramp known from the night's log alone: its rest was never stored
        return "unknown", "its strength over rest not known (its samples were not stored)"
    word = next(w for floor, w in STRENGTHS if x_rest >= floor)
    mvc = f", {pct_mvc:.0f} % of your strongest push" if pct_mvc is not None else ""
    return word, f"{word}: {x_rest:.0f} × rest{mvc}"


def summary_sentence(cramps: list, possible: list, lm: int, start: datetime | None, lost_s: float = 0.0) -> str:
    """The page's opening sentence: ``2 cramps, the longest 3 min at 01:31; 1 possible cramp; 25 leg movements``.

    ``cramps`` and ``possible`` are :class:`~emgcramp.core.types.Episode` lists; ``lm`` counts leg movements;
    ``lost_s``: seconds without signal, said (``; no signal for 12 min``) when they come to a second or more.
    """
    if cramps:
        longest = max(cramps, key=lambda e: e.duration_s)
        at = clock(start, longest.onset_s, seconds=False)
        first = (f"{plural(len(cramps), 'cramp')}, the longest {duration_words(longest.duration_s)} at {at}"
                 if len(cramps) > 1 else f"1 cramp, {duration_words(longest.duration_s)} at {at}")
    else:
        first = "No cramps"
    lost = f"; no signal for {duration_words(lost_s)}" if lost_s >= 0.5 else ""
    return f"{first}; {plural(len(possible), 'possible cramp')}; {plural(lm, 'leg movement')}{lost}"


def spectrum(freq_hz: float | None, drift: float | None) -> tuple[str, str] | None:
    """The words for a burst's frequency (``129 Hz, fell 12 %``) and its tooltip; ``None`` when not measured."""
    if freq_hz is None:
        return None
    if drift is None:
        how = ""
    elif abs(drift) < STEADY_DRIFT:
        how = ", steady"
    else:
        how = f", {'fell' if drift < 0 else 'rose'} {abs(drift) * 100:.0f} %"
    return (f"{freq_hz:.0f} Hz{how}", "the signal's RMS frequency over the burst, which follows its median "
            "frequency: lower where fat and depth muffle the muscle, and falling through a held contraction as "
            "the muscle tires (from the first to the last third of it)")
