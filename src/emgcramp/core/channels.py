"""Channels by name or number, and which channel records the tibialis."""

from __future__ import annotations

import re

from emgcramp.core.errors import InputError, settings_note

_TIBIALIS = re.compile(r"(^|[^a-z])(ta|tib\w*)([^a-z]|$)", re.I)
# What a sleep recording holds besides muscles, by the names polysomnography gives its channels (heart, brain,
# eyes, chin, breathing, oximetry, body position, snoring): ``all`` leaves these out.
# Short labels (ABD, POS, HR…) only as the whole name: "Abd hallucis" and "Pos. tibialis" are muscles.
_NOT_EMG = re.compile(r"(^|[^a-z])(ecg|ekg|eeg|eog|resp\w*|airflow|thorax|thoracic|abdomen|spo2|sao2|pleth\w*|pulse|"
                      r"heart\w*|position|snor\w*|chin\d?|submental|therm\w*|ptaf|nasal|cannula)([^a-z]|$)"
                      r"|^\s*(abdo?|thor( res\w*)?|pos|hr|flow|light|events?|loc|roc)\s*$"
                      # the AASM montage: EEG and EOG electrodes referred to a mastoid (F4-M1, C3-M2, E1-M2, LOC-A2).
                      # Bare electrode names are not enough: OpenBCI's boards name their inputs Fp1, C3, O1… whatever
                      # they record, and a C1 or M1 may be "channel 1", "muscle 1".
                      r"|^\s*(eeg\s*)?(fp|af|fc|ft|cp|tp|po|[fctpoeam]|loc|roc)(\d{1,2}|z)?\s*[-:/]\s*[ma]\d\s*$"
                      # two 10-20 electrodes, one against the other, one of them on the midline (z): a bipolar EEG
                      # derivation (Fpz-Cz, Pz-Oz of Sleep-EDF); "C1-C2" and "Fp1-Fp2" may be a board's inputs
                      # (OpenBCI's), "TP1-TP2" the tibialis posterior: they stay muscles
                      r"|^(?=.*z)\s*(fp|af|fc|cp|po|[fcpo])(\d{1,2}|z)\s*[-:/]\s*"
                      r"(fp|af|fc|cp|po|[fcpo])(\d{1,2}|z)\s*$",
                      re.I)


def default_names(n: int) -> list[str]:
    """Names for ``n`` channels that came without any: ``calf`` for one (the muscle the sensor is for), else
    ``ch0``, ``ch1``, … (each its 0-based index, as ``--channel`` takes it)."""
    return ["calf"] if n == 1 else [f"ch{i}" for i in range(n)]


def is_emg(name: str) -> bool:
    """False for a channel whose name says it records something else than a muscle (``ECG``, ``EEG C3``…)."""
    return not _NOT_EMG.search(name)


def is_tibialis(name: str, muscle: str = "") -> bool:
    """True for a channel that records the tibialis anterior.

    ``muscle`` is what the recording says the channel records (a BIDS
    ``target_muscle``); without it the channel's name decides (``TA``,
    ``tibialis``, ``L-TA`` …).
    """
    return bool(_TIBIALIS.search(muscle or name))


def channel_index(channel: str | int | None, names: list[str], where: str, units: dict[int, str] | None = None) -> int:
    """A channel by name (case-insensitive) or 0-based index among ``names``.

    Default: the first, unless its name says it is no muscle (a sleep recording's EEG, ECG…) while others'
    say they are: then :class:`InputError`, naming those, as which of them is the calf the names do not tell.
    """
    if channel is None:
        if names and not any(map(is_emg, names)):  # taken as asked, but not unsaid: its bursts are no calf's
            settings_note(f"{where}: no channel is a muscle by its name; the first, {names[0]!r}, is "
                          "analysed: give --channel with the calf's if it is another")
        if not names or is_emg(names[0]) or not any(map(is_emg, names)):
            return 0
        raise InputError(f"{where}: the first channel, {names[0]!r}, is not a muscle by its name; give --channel "
                         "with the calf's (the muscle channels: "
                         f"{', '.join(n for i, n in enumerate(names) if is_emg(n) and i not in (units or {}))})")
    if isinstance(channel, bool):  # an int to Python, but no channel's number
        pass
    elif isinstance(channel, int) or str(channel).lstrip("-").isdigit():
        if 0 <= int(channel) < len(names):
            return int(channel)
    else:
        lowered = [n.lower() for n in names]
        if str(channel).lower() in lowered:
            first = lowered.index(str(channel).lower())
            if lowered.count(str(channel).lower()) > 1:  # taken, but not unsaid: which one the name meant is a guess
                settings_note(f"{where}: {lowered.count(lowered[first])} channels are named "
                              f"{names[first]!r}: the first (index {first}) is analysed; give an "
                              "index to take another")
            return first
    raise InputError(f"no channel {channel!r} in {where}; channels are: {', '.join(names)}")


def channel_indices(spec: str | int | list[str | int] | tuple[str | int, ...] | None, names: list[str], where: str,
                    units: dict[int, str] | None = None) -> list[int]:
    """Channels by ``all`` (every muscle channel: :func:`is_emg`, and not in ``units``, the channels whose unit
    is no voltage, index: unit), a comma-separated list of names or indices (or a Python list of them), or one
    (default: the first)."""
    chosen = _chosen(spec, names, where, units or {})
    sides = {side: [names[i] for i in chosen if _SIDE[side].search(names[i])] for side in _SIDE}
    if all(sides.values()):  # the several channels taken are judged as one leg's muscles
        apart = "analyse each leg's rows apart" if where == "the array" else \
            "give --channel with one leg's channels for each leg"  # find_cramps takes no channel=
        settings_note(f"{where}: {', '.join(sides['left'])} and {', '.join(sides['right'])} name two legs, judged "
                      f"here as the muscles of one (a cramp of both at once counted once): {apart}")
    if (spec is None or str(spec).lower() == "all") and all(is_tibialis(names[i]) for i in chosen):  # not named
        settings_note(
            f"{where}: {', '.join(names[i] for i in chosen)} record{'s' if len(chosen) == 1 else ''} the tibialis "
            "anterior by name and no calf channel is taken: the cramps found are the tibialis's")
    return chosen


# A side in a channel's name: a word L/R, left/right, or the sleep labs' LAT1/RAT1 (left/right anterior tibialis;
# with its digit: "Gastroc Lat" is the lateral head).
_SIDE = {side: re.compile(rf"(^|[^a-z])({a}|{b}|{c}at\d)([^a-z]|$)", re.I)
         for side, a, b, c in (("left", "l", "left", "l"), ("right", "r", "right", "r"))}


def _chosen(spec: str | int | list[str | int] | tuple[str | int, ...] | None, names: list[str], where: str,
            units: dict[int, str]) -> list[int]:
    if spec is None or isinstance(spec, int):
        return [channel_index(spec, names, where, units)]
    if str(spec).lower() == "all":
        muscles = [i for i, name in enumerate(names) if is_emg(name) and i not in units]
        if not muscles:
            raise InputError(f"--channel all: no muscle channel in {where}; channels are: {', '.join(names)}")
        # said, so that a muscle the names mislead about is not left out unseen (one in no voltage is no EMG)
        by_name = [n for i, n in enumerate(names) if i not in muscles and i not in units]
        left = [f"{', '.join(by_name)} (not muscles by their names; name a channel to take it)"] if by_name else []
        left += [f"{', '.join(f'{n} (in {units[i]})' for i, n in enumerate(names) if i in units)}: not a voltage"] \
            if units else []
        if left:
            settings_note(f"{where}: --channel all leaves out {' and '.join(left)}")
        return muscles
    whole = [i for i, name in enumerate(names) if isinstance(spec, str) and "," in spec
             and name.lower() == spec.strip().lower()]
    if whole:  # a name with a comma in it (any case, as one name is matched): that channel, not a list
        return whole[:1]
    parts = list(spec) if isinstance(spec, (list, tuple)) else [p.strip() for p in str(spec).split(",")]
    if not parts:
        raise InputError(f"no channel named; channels of {where} are: {', '.join(names)}")
    idx = [channel_index(part, names, where) for part in parts]  # a list from Python: names with commas stand
    if len(set(idx)) != len(idx):
        raise InputError(f"--channel {spec}: a channel is named twice")
    return idx
