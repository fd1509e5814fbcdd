"""Scoring detections against truth.

Matching rule: a detection and a true cramp match when their temporal
intersection-over-union is at least 0.3 or their onsets are within 2 s;
each is matched at most once, best IoU first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_IOU = 0.3
ONSET_TOL_S = 2.0


def iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Temporal intersection over union of two (onset, offset) intervals in s."""
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


@dataclass
class Score:
    """Counts and errors; ``pairs`` index (truth, detection)."""

    tp: int
    fn: int
    fp: int
    pairs: list[tuple[int, int]]
    onset_errors_s: list[float]
    offset_errors_s: list[float]
    kind_correct: int

    @property
    def sensitivity(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def f1(self) -> float:
        s, p = self.sensitivity, self.precision
        return 2 * s * p / (s + p) if s + p else 0.0


def pairable(t: tuple, d: tuple) -> bool:
    """Whether the rule may pair truth ``t`` with detection ``d`` ((onset_s, offset_s, ...) each).

    They overlap by MIN_IOU or more, or their onsets are within ONSET_TOL_S (s).
    """
    return iou(t[:2], d[:2]) >= MIN_IOU or abs(t[0] - d[0]) <= ONSET_TOL_S


def match(truth: list[tuple[float, float, str]], detected: list[tuple[float, float, str]]) -> Score:
    """Match (onset_s, offset_s, kind) truth cramps to detections one-to-one."""
    cands = []
    for i, t in enumerate(truth):
        for j, d in enumerate(detected):
            if pairable(t, d):
                cands.append((iou(t[:2], d[:2]), -abs(t[0] - d[0]), i, j))
    used_t, used_d, pairs = set(), set(), []
    for _, _, i, j in sorted(cands, reverse=True):
        if i not in used_t and j not in used_d:
            used_t.add(i)
            used_d.add(j)
            pairs.append((i, j))
    pairs.sort()
    on = [detected[j][0] - truth[i][0] for i, j in pairs]
    off = [detected[j][1] - truth[i][1] for i, j in pairs]
    kinds = sum(truth[i][2] == detected[j][2] for i, j in pairs)
    return Score(len(pairs), len(truth) - len(pairs), len(detected) - len(pairs), pairs, on, off, kinds)


def median_abs(x: list[float]) -> float:
    """Median absolute value (nan for an empty list)."""
    return float(np.median(np.abs(x))) if x else float("nan")
