"""``emgcramp calibrate --learn NIGHTS``: the person's own cramp decision, from the labels of their nights."""

from __future__ import annotations

import argparse
import os
from datetime import datetime

from emgcramp.core.errors import InputError


def cmd_learn(args: argparse.Namespace) -> int:
    """Fit the adjustment to every labelled night under ``--learn``; write it into the ``--out`` profile."""
    from emgcramp.detect.decide import model_id
    from emgcramp.io.secure import check_writable
    from emgcramp.live.labelled import labelled_nights

    check_writable(args.out)
    profile = _existing(args.out)
    nights = labelled_nights(args.learn)
    if not nights:
        raise InputError(f"{args.learn}: no night folder with labels (labels.csv) at or under it")
    from emgcramp.detect.personal import describe, fit, labelled_bursts, threshold_logit
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
    cramps = result.found_before + result.missed_before
    missed = (f", missed cramps now found {result.missed_before - result.missed_after}/{result.missed_before}"
              if result.missed_before else "")
    print(f"learned from {len(items)} of {answers} answers (the others matched no burst the detector weighed) "
          if len(items) < answers else f"learned from {answers} answers ", end="")
    print(f"over {len(nights)} night{'s' * (len(nights) != 1)}: the decision moves by {describe(result)}; "
          f"labelled false cramps {result.false_before}→{result.false_after}, labelled cramps kept "
          f"{result.kept}/{result.found_before}{missed} (of {cramps} labelled as cramps) -> {args.out}")
    return 0


def _existing(path: str) -> dict:
    """The profile already at ``path`` (its levels are kept), or a new one."""
    if not os.path.exists(path):
        return {"created": datetime.now().isoformat(timespec="seconds")}
    from emgcramp.live.profile import read_profile

    return read_profile(path)
