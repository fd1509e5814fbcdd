"""Field excerpts: nights made outside the project, with their truth (recordings/field/README.md).

The generator behind them shares no code or constants with emgcramp, so
these guard the detector against look-alikes our own simulator does not
make: tone that follows sleep depth, PLMs joined by raised tone, position
changes with motion artefact, a lead-off pinned at the rail.
"""

import json
import os

import pytest
from conftest import RECORDINGS

from emgcramp.io import open_recording
from emgcramp.runner import run_blocks

FIELD = os.path.join(RECORDINGS, "field")
SHARED = os.path.join(os.path.dirname(os.path.dirname(RECORDINGS)), "shared", "recordings", "field")


def analyse(path):
    with open_recording(path) as rec:
        return run_blocks(rec.blocks([0], int(rec.fs * 10)), rec.fs, [rec.channel_names[0]])


def truth(path):
    with open(path.replace(".edf", ".truth.json")) as f:
        return json.load(f)


def test_the_cramp_is_found_with_its_onset_and_kind():
    path = os.path.join(FIELD, "field_cramp.edf")
    res, t = analyse(path), truth(path)["events"][0]
    assert [e.kind for e in res.episodes] == [t["kind"]] == ["clonic"]
    assert abs(res.episodes[0].onset_s - t["onset_s"]) <= 1.0
    assert abs(res.episodes[0].offset_s - t["offset_s"]) <= 2.0


@pytest.mark.parametrize("name,reason", [
    ("field_tone", None),  # 6 false cramps once: tone plateaus at 5–10 × rest (main reason: whichever input
    # speaks most against, which follows the fitted weights)
    ("field_lead_off", "signal_loss"),  # a 20-s "cramp" at 1200 × rest once
    ("field_movements", None),  # 2 false cramps once, at 120–200 × rest
])
def test_lookalikes_are_turned_down_for_their_reason(name, reason):
    res = analyse(os.path.join(FIELD, name + ".edf"))
    assert res.episodes == []
    # Each burst is a look-alike, or at most a possible cramp (listed, never alarmed) with its reason.
    reasons = set(res.rejected) | {e.reason for e in res.possible_cramps}
    assert sum(res.rejected.values()) + len(res.possible_cramps) >= 1
    assert all(e.tier == "possible_cramp" and e.probability < 0.5 for e in res.possible_cramps)
    if reason:
        assert reason in reasons


def test_plm_series_over_raised_tone_stays_within_bound():
    # 9 periodic leg movements with tone between them: 5 false cramps before, PLM bursts
    # merged with the tone into 17–26 s "cramps". Cut from the night, the excerpt starts
    # inside raised tone, so its first movements are not scored as LMs and one 4-s PLM at
    # 25 × rest is still taken live; the night's record retracts it once the series is known.
    res = analyse(os.path.join(FIELD, "field_plm_tone.edf"))
    assert len(res.episodes) <= 1
    assert all(e.duration_s < 6.0 for e in res.episodes)
    assert sum(res.rejected.values()) >= 9  # the nine movements, and the tone between them, turned down


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir(SHARED), reason="the whole field nights are kept outside the repository")
def test_whole_field_nights_at_most_one_false_cramp_per_night():
    found, false = 0, 0
    for name in ("field_night_a", "field_night_b"):
        path = os.path.join(SHARED, name + ".edf")
        res, events = analyse(path), truth(path)["events"]
        onsets = [e.onset_s for e in res.episodes]
        for t in events:
            hit = [o for o in onsets if abs(o - t["onset_s"]) <= 1.0]
            found += bool(hit)
            onsets = [o for o in onsets if o not in hit[:1]]
        false += len(onsets)
    assert found == 1
    assert false <= 1  # 30 before (14 + 16)
