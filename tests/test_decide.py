"""The one decision: features in, probability, tier and reason out (emgcramp.detect.decide)."""

import json
import math
from dataclasses import replace

import pytest

from emgcramp.core.config import DetectorConfig
from emgcramp.core.types import Episode, LegMovement, Rejections
from emgcramp.detect.decide import CRAMP, POSSIBLE, decide, in_series, overrule
from emgcramp.detect.features import DIRECTION, INPUTS, REASON_OF, Features, MuscleEvidence, vector
from emgcramp.detect.model import MODEL_PATH, Model, shipped_model

CFG = DetectorConfig()


def feats(**kw) -> Features:
    """A plain tonic cramp: a minute held at 37 × rest, risen in 0.3 s from rest and fading over 1 s, no leg
    movements, no motion but the muscle's own low-frequency voltage at its edges (0.15 × its level, as the
    sample night's cramps show)."""
    base = dict(duration_s=60.0, hold_x_rest=37.5, peak_x_rest=50.0, contrast=37.5, rise_s=0.3, hold_share=0.75,
                held_run_share=1.0, duty=1.0, clonic_rate_hz=0.03, motion=0.0, flat=0.0, lf_ratio=0.15,
                background_x_rest=1.0, lm_chain=0, series_ratio=1.0, recent_lms=0, announced=False, fall_s=1.0,
                edge_motion_x_hold=0.15, wax=0.05)
    return Features(**(base | kw))


def toy_model(weights: dict[str, float], intercept: float = 0.0, means: dict[str, float] | None = None) -> Model:
    n, means = len(INPUTS), means or {}
    return Model(INPUTS, tuple(means.get(i, 0.0) for i in INPUTS), (1.0,) * n,
                 tuple(weights.get(i, 0.0) for i in INPUTS), intercept, 0.8, 0.3)


def test_probability_is_the_logistic_of_the_weighted_inputs():
    m = toy_model({"log_duration_s": 0.5, "duty": -2.0}, intercept=-1.0)
    f = feats(duration_s=20.0, duty=0.5)
    logit = -1.0 + 0.5 * math.log(20.0) - 2.0 * 0.5
    assert decide(f, 1, CFG, m).probability == pytest.approx(1 / (1 + math.exp(-logit)), rel=1e-12)


def test_tiers_follow_the_thresholds_and_the_reason_is_the_strongest_input_against():
    m = toy_model({"log_hold_x_rest": 1.0, "duty": 4.0}, intercept=0.0, means={"log_hold_x_rest": 4.0, "duty": 1.0})
    strong = decide(feats(hold_x_rest=math.exp(10.0)), 1, CFG, m)  # logit 6: p 0.998
    assert (strong.tier, strong.reason) == (CRAMP, "")
    middling = decide(feats(hold_x_rest=math.exp(5.0)), 1, CFG, m)  # logit 1: p 0.73
    assert middling.tier == POSSIBLE and 0.3 <= middling.probability < 0.8
    sparse = decide(feats(hold_x_rest=math.exp(5.0), duty=0.5), 1, CFG, m)  # logit -1: duty pulls it down most
    assert (sparse.tier, sparse.reason) == ("", "sparse")
    weak = decide(feats(hold_x_rest=math.exp(2.0)), 1, CFG, m)
    assert (weak.tier, weak.reason) == ("", "weak")
    # the user's thresholds overrule the model's
    cfg = CFG.replace(cramp_probability=0.5)
    assert decide(feats(hold_x_rest=math.exp(5.0)), 1, cfg, m).tier == CRAMP
    # a cramp threshold under the model's floor (0.3): a burst of p 0.27 over it was rejected, neither tier's
    low = decide(feats(hold_x_rest=math.exp(5.0), duty=0.5), 1, CFG.replace(cramp_probability=0.2), m)  # p 0.27
    assert 0.2 <= low.probability < 0.3 and low.tier == CRAMP


def test_stated_gates_come_before_any_weight():
    m = toy_model({}, intercept=10.0)  # the model would call anything a cramp
    d = decide(feats(flat=0.5), 1, CFG, m)
    assert (d.probability, d.tier, d.kind, d.reason) == (0.0, "", "tonic", "signal_loss")
    d = decide(feats(duration_s=2.0), 1, CFG, m)
    assert (d.probability, d.tier, d.kind, d.reason) == (0.0, "", "tonic", "short")
    assert decide(feats(duration_s=2.0), 1, CFG.replace(min_duration_s=1.0), m).tier == CRAMP


def test_kind_is_clonic_when_the_envelope_contracts_again_and_again():
    m = toy_model({}, intercept=10.0)
    assert decide(feats(clonic_rate_hz=0.5), 15, CFG, m).kind == "clonic"
    assert decide(feats(clonic_rate_hz=0.1), 3, CFG, m).kind == "tonic"  # 3 rises over 30 s: a waver
    assert decide(feats(clonic_rate_hz=1.0), 2, CFG, m).kind == "tonic"


def test_every_input_has_a_reason_and_non_finite_features_stay_finite():
    assert set(REASON_OF) == set(INPUTS) and all(REASON_OF[i] for i in INPUTS if i != "clonic_rate_hz")
    x = vector(feats(hold_x_rest=float("nan"), rise_s=float("inf"), peak_x_rest=0.0))
    assert len(x) == len(INPUTS) and all(math.isfinite(v) for v in x)


def test_shipped_weights_run_the_way_the_physiology_says():
    assert set(DIRECTION) == set(INPUTS)
    for m in shipped_model().parts():  # brief bursts' weights and long ones'
        assert all(DIRECTION[i] * w >= 0 for i, w in zip(m.inputs, m.weights))
        assert m.weights[INPUTS.index("log_contrast")] > 0


def test_shipped_model_matches_the_inputs_and_names_its_fit():
    d = json.loads(MODEL_PATH.read_text())
    assert d["inputs"] == list(INPUTS)
    assert set(d["fitted_on"]) == {"motor_units", "carrier", "texture", "drive"}
    m = shipped_model()
    assert 0.0 < m.possible_floor <= m.cramp_threshold < 1.0
    assert all(s > 0 for s in m.scale)
    with pytest.raises(ValueError, match="INPUTS"):
        Model.from_dict(d | {"inputs": d["inputs"][::-1]})
    long = d.get("long") or {k: d[k] for k in ("mean", "scale", "weights", "intercept")}
    for damage in ({"weights": d["weights"][:-3]}, {"scale": [0.0] * len(INPUTS)}, {"cramp_threshold": 1.5},
                   {"weights": [float("nan")] * len(INPUTS)}, {"intercept": None}, {"duration_cap_s": 0.0},
                   {"split_s": 0.0, "long": long}, {"split_s": 20.0, "long": None}, {"split_s": None, "long": long},
                   {"split_s": 20.0, "long": long | {"weights": long["weights"][:-1]}},
                   {"split_s": 20.0, "long": long | {"scale": [-1.0] * len(INPUTS)}},
                   {"split_s": 20.0, "long": long | {"intercept": "x"}}, {"split_s": 20.0, "long": [1, 2]}):
        with pytest.raises(ValueError, match="model"):
            Model.from_dict(d | damage)


def test_duration_counts_up_to_the_models_cap_and_no_further():
    m = toy_model({"log_duration_s": 1.0})
    capped = replace(m, duration_cap_s=60.0)
    p = {d: (m.probability(vector(feats(duration_s=d))), capped.probability(vector(feats(duration_s=d))))
         for d in (20.0, 60.0, 600.0)}
    assert p[20.0][1] == pytest.approx(p[20.0][0]) and p[60.0][1] == pytest.approx(p[60.0][0])  # under the cap
    assert p[600.0][1] == pytest.approx(p[60.0][1]) and p[60.0][1] < p[600.0][0]  # past it, 10 min count as 1
    assert capped.standardised(vector(feats(duration_s=600.0)))[0] == pytest.approx(math.log(60.0))
    d = json.loads(MODEL_PATH.read_text())
    assert Model.from_dict(d | {"duration_cap_s": None}).duration_cap_s == math.inf  # null in the file: no cap


def test_long_bursts_are_weighed_by_the_long_weights_from_the_split_on():
    short = toy_model({"log_duration_s": 1.0}, intercept=-1.0, means={"duty": 0.5})
    long = toy_model({"duty": 4.0}, intercept=2.0, means={"duty": 0.9})
    m = replace(short, split_s=15.0, long=long)
    assert m.parts() == (m, long) and short.parts() == (short,)
    for d in (3.0, 14.9):  # under the split: the brief bursts' weights, standardisation and intercept
        x = vector(feats(duration_s=d, duty=0.7))
        assert m.part(x) is m and m.logit(x) == pytest.approx(-1.0 + math.log(d))
        assert m.standardised(x)[INPUTS.index("duty")] == pytest.approx(0.2)
    for d in (15.0, 600.0):  # from it on: the long ones'
        x = vector(feats(duration_s=d, duty=0.7))
        assert m.part(x) is long and m.logit(x) == pytest.approx(2.0 + 4.0 * (0.7 - 0.9))
        assert m.contributions(x)[INPUTS.index("log_duration_s")] == 0.0
    # the reason is read from the weights that judged the burst: low duty speaks against a long one only
    slack = replace(m, cramp_threshold=0.99, possible_floor=0.98)
    assert decide(feats(duration_s=60.0, duty=0.3), 1, CFG, slack).reason == REASON_OF["duty"]
    assert decide(feats(duration_s=5.0, duty=0.3), 1, CFG, slack).reason == "uncertain"
    d = json.loads(MODEL_PATH.read_text())
    as_file = d | {"split_s": 15.0, "long": {"mean": list(long.mean), "scale": list(long.scale),
                                            "weights": list(long.weights), "intercept": long.intercept}}
    read = Model.from_dict(as_file)
    assert read.split_s == 15.0 and read.long is not None and read.long.weights == long.weights
    assert Model.from_dict(d | {"split_s": None, "long": None}).parts() == (Model.from_dict(d | {"split_s": None,
                                                                                              "long": None}),)


def test_a_damaged_model_file_is_one_clear_line(tmp_path, monkeypatch):
    import emgcramp.detect.model as decide_module
    from emgcramp.core.errors import InputError

    bad = tmp_path / "model.json"
    bad.write_text("")
    monkeypatch.setattr(decide_module, "MODEL_PATH", bad)
    decide_module.shipped_model.cache_clear()
    try:
        with pytest.raises(InputError, match="damaged or missing .*reinstall emgcramp"):
            decide_module.shipped_model()
    finally:
        decide_module.shipped_model.cache_clear()


@pytest.mark.parametrize("lookalike", [
    dict(hold_x_rest=2.0, peak_x_rest=2.6, contrast=1.2, background_x_rest=1.7, rise_s=25.0),  # tone of lighter sleep
    dict(duration_s=4.0, hold_x_rest=6.0, peak_x_rest=9.0, contrast=6.0, lm_chain=3, recent_lms=5),  # in a PLM series
    dict(hold_x_rest=5.0, peak_x_rest=60.0, contrast=5.0, hold_share=0.08, held_run_share=0.05, duty=0.2),  # pops
])
def test_shipped_model_turns_down_plain_lookalikes_and_keeps_a_plain_cramp(lookalike):
    plain, other = decide(feats(), 1, CFG), decide(feats(**lookalike), 1, CFG)
    assert plain.tier == CRAMP and plain.probability > 0.7  # calibrated out of family: not sure beyond the evidence
    assert other.tier != CRAMP and other.probability < plain.probability - 0.2


@pytest.mark.parametrize("name,model_input,low,high", [
    ("duration_s", "log_duration_s", 4.0, 60.0), ("hold_x_rest", "log_hold_x_rest", 3.0, 30.0),
    ("contrast", "log_contrast", 1.5, 20.0), ("duty", "duty", 0.3, 1.0), ("rise_s", "log1p_rise_s", 5.0, 0.3),
    ("lm_chain", "lm_chain", 3, 0), ("edge_motion_x_hold", "log_edge_motion_x_hold", 2.0, 0.1),
    ("fall_s", "log1p_fall_s", 0.2, 3.0)])
def test_shipped_model_weighs_evidence_the_physiological_way(name, model_input, low, high):
    """More of what makes a cramp (lasting, held high, sudden over its background, continuous) raises p,
    unless the fit left that input out (weight 0), when p does not move at all: in each weight set, brief
    bursts' and long ones'."""
    model = shipped_model()
    spans = [(3.0, 0.9 * model.split_s), (model.split_s, 10 * model.split_s)] if model.long else [(4.0, 60.0)]
    for part, (brief, lasting) in zip(model.parts(), spans):
        f = feats(hold_x_rest=6.0, peak_x_rest=8.0, contrast=4.0, duration_s=math.sqrt(brief * lasting))
        if name == "duration_s":  # both lengths judged by the same weight set
            low, high = brief, lasting
        p = [decide(f._replace(**{name: v}), 1, CFG).probability for v in (low, high)]
        assert model.part(vector(f._replace(**{name: low}))) is model.part(vector(f._replace(**{name: high}))) is part
        if part.weights[INPUTS.index(model_input)] == 0.0:
            assert p[1] == p[0]
        else:
            assert p[1] > p[0]


def test_the_reason_is_an_input_that_spoke_against_it_or_uncertain():
    # Every weighed input speaks for this burst: none is to blame, and the ones with no weight say nothing.
    m = toy_model({"log_duration_s": 1.0, "log_contrast": 0.5}, intercept=-20.0)
    d = decide(feats(duration_s=20.0, contrast=5.0), 1, CFG, m)
    assert (d.tier, d.reason) == ("", "uncertain")
    # A low contrast speaks against it: that is the reason, though a long duration spoke for it.
    d = decide(feats(duration_s=20.0, contrast=0.5), 1, CFG, m)
    assert m.contributions(vector(feats(duration_s=20.0, contrast=0.5)))[INPUTS.index("log_contrast")] < 0
    assert (d.tier, d.reason) == ("", REASON_OF["log_contrast"]) == ("", "tone_change")


def test_what_the_tibialis_shows_is_said_here_by_stated_rules():
    """The several-muscles step measures; the decision says: a stretch, a voluntary flexion, or a cramp."""
    heads = ("GM", "GL")
    pull = MuscleEvidence(heads, True, tibialis=True, coactive=True, tibialis_share=0.9, tibialis_active_s=27.0,
                          tibialis_over_calf=True)
    assert overrule(pull, 30.0, CFG) == ("stretch", ())
    assert overrule(pull._replace(tibialis_share=0.4), 30.0, CFG) == ("", ("stretched",))  # not most of it
    push = pull._replace(tibialis_share=0.2, tibialis_active_s=2.0, tibialis_over_calf=False)
    assert overrule(push, 15.0, CFG) == ("voluntary", ())
    assert overrule(push, 15.1, CFG) == ("", ("stretched",))  # held past a voluntary flexion: a cramp
    assert overrule(push._replace(muscles=("GM",), all_heads=False), 10.0, CFG) == ("", ("stretched",))  # one head
    relief = MuscleEvidence(("GM",), False, tibialis=True, tibialis_share=0.1, tibialis_active_s=6.0)
    assert overrule(relief, 60.0, CFG) == ("", ("stretched",))  # a stretch after the onset: still a cramp
    assert overrule(relief._replace(tibialis_active_s=1.9), 60.0, CFG) == ("", ())
    assert overrule(MuscleEvidence(heads, True), 10.0, CFG) == ("", ())  # no tibialis: nothing to tell


def test_a_short_cramp_of_a_kind_with_a_plm_series_is_one_of_its_movements():
    # four LMs of 30 µV peak, 20 s apart, numbered series 1; a 4-s burst over the third
    moves = [LegMovement(t, t + 2.0, 30.0, 3.0, series=1) for t in (10.0, 30.0, 50.0, 70.0)]
    def burst(peak, dur=4.0, kind="tonic"):
        return Episode(49.0, 49.0 + dur, dur, kind, peak, peak / 2, 3.0, probability=0.9)
    assert in_series(burst(100.0), moves, CFG)  # 3.3 × the series' median peak: one of them
    assert not in_series(burst(121.0), moves, CFG)  # over plm_cramp_peak_ratio (4) × 30 µV: a cramp among them
    assert not in_series(burst(100.0, kind="clonic"), moves, CFG)
    assert not in_series(burst(100.0, dur=12.0), moves, CFG)  # longer than any LM (AASM: 10 s)
    assert not in_series(burst(100.0), [replace(m, series=0) for m in moves], CFG)  # no series
    ratio = CFG.replace(plm_cramp_peak_ratio=3.0)
    assert not in_series(burst(100.0), moves, ratio)


def test_a_burst_turned_down_keeps_its_probability_and_none_reads_nan():
    r = Rejections()
    r.add(1.0, 5.0, "leg_movement_series", 0.83)
    r.add(6.0, 9.0, "short")
    assert r.counts == {"leg_movement_series": 1, "short": 1}
    assert r.items[0].probability == 0.83 and math.isnan(r.items[1].probability)


def test_every_detector_setting_names_where_its_number_comes_from():
    # Each setting of the detector's sections sits under a comment that gives its source: a citation, the
    # AASM/WASM rules, a bench that measures or fits it, an equation with another setting, or "set by hand".
    import ast
    import inspect
    import re

    import emgcramp.core.config as config

    source = re.compile(r"doi:|AASM|WASM|et al\.|\(\w[^()]* \d{4}[,)]|bench/|by hand|field excerpts|pilot|= |user's")
    lines = inspect.getsource(config).splitlines()
    unsourced = []
    for node in ast.parse("\n".join(lines)).body:
        if not (isinstance(node, ast.ClassDef) and node.name in
                ("SegmentConfig", "JudgeConfig", "MovementConfig", "WarningConfig", "MuscleConfig")):
            continue
        fields = {n.lineno for n in node.body if isinstance(n, ast.AnnAssign)}
        for n in (n for n in node.body if isinstance(n, ast.AnnAssign)):
            i = n.lineno - 1
            while i in fields:  # a group of settings under one comment
                i -= 1
            text = [lines[n.lineno - 1].partition("#")[2]]  # a comment on the setting's own line
            while lines[i - 1].strip().startswith("#"):
                text.append(lines[i - 1].strip().lstrip("#").strip())
                i -= 1
            if not source.search(" ".join(reversed(text))):
                unsourced.append(f"{node.name}.{n.target.id}")
    assert unsourced == []
