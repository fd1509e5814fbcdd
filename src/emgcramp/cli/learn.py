"""``emgcramp calibrate --learn NIGHTS``: the person's own cramp decision, from the labels of their nights."""

from __future__ import annotations

import argparse
import os
from datetime import datetime

from emgcramp.core.errors import InputError


def cmd_learn(args: argparse.Namespace) -> int:
    """Fit the adjustment to every labelled night under ``--learn``; write it into the ``--out`` profile."""
    from emgcramp.detect.model import model_id
    from emgcramp.io.secure import check_writable
    from emgcramp.live.labelled import labelled_nights

    check_writable(args.out)
    profile = _existing(args.out)
    nights = labelled_nights(args.learn)
    if not nights:
        raise InputError(f"{args.learn}: no night folder with labels (labels.csv) at or under it; learning reads "
                         "the nights monitor stored, not answers given on a recording file (RECORDING.labels)")
    from emgcramp.detect.personal import fit, labelled_bursts, threshold_logit
    from emgcramp.live.labelled import night_candidates

    items, out_of_reach, answers, threshold = [], 0, 0, None
    for folder in nights:
        log, labels, config, _hours = night_candidates(folder)
        found, lost = labelled_bursts(log, labels, config.detector)
        items, out_of_reach = items + found, out_of_reach + lost
        answers += sum(lab.label in ("cramp", "not_cramp") for lab in labels)
        threshold = threshold_logit(config.detector) if threshold is None else threshold
    if not items:
        raise InputError(f"{args.learn}: the labels ({answers} cramp or not_cramp) overlap no burst the "
                         "detector weighed: nothing to learn from")
    result = fit(items, threshold, out_of_reach=out_of_reach)
    profile["decision"] = {"logit_offset": result.offset, "weights": dict(result.weights), "nights": len(nights),
                           "labels": answers, "fitted": datetime.now().isoformat(timespec="seconds"),
                           "model": model_id()}
    from emgcramp.io.events import write_json

    write_json(args.out, profile)
    print("\n".join(_told(result, len(items), answers, len(nights), args.out)))
    return 0


def _told(result, used: int, answers: int, nights: int, out: str) -> list[str]:
    """What was learned, in a few plain lines: the answers used, then what changes on the answered nights."""
    from emgcramp.detect.personal import describe

    first = (f"learned from {used} of {answers} answers (the {'other' if answers - used == 1 else 'others'} "
             "matched no burst the detector weighed)"
             if used < answers else f"learned from {answers} answers")
    lines = [f"{first} over {nights} night{'s' * (nights != 1)} -> {out}",
             f"  bursts you called not a cramp that it counted as cramps: {result.false_before}, "
             f"now {result.false_after}",
             f"  cramps you confirmed that it found: {result.found_before}, still found {result.kept}"]
    if result.missed_before:
        lines.append(f"  cramps it missed (you added them or it listed them as possible): {result.missed_before}, "
                     f"now found {result.missed_before - result.missed_after}")
    return [*lines, f"  the decision moves by {describe(result)}"]


def _existing(path: str) -> dict:
    """The profile already at ``path`` (its levels are kept), or a new one."""
    if not os.path.exists(path):
        return {"created": datetime.now().isoformat(timespec="seconds")}
    from emgcramp.live.profile import read_profile

    return read_profile(path)
