"""One contraction on a slow board and a fast one: what the decision reads from each (a known defect, measured)."""

import pytest

from emgcramp.core.config import PipelineConfig
from emgcramp.detect.features import vector
from emgcramp.detect.model import shipped_model
from emgcramp.pipeline import Pipeline
from emgcramp.sim.plan import NightSpec
from emgcramp.sim.synth import NightGenerator


def _sixty_second_contraction(fs, seed):
    """The record of a lone 60-s contraction at 25 × rest, on a quiet night sampled at ``fs`` Hz."""
    spec = NightSpec(hours=0.1, fs=fs, seed=seed, tonic=1, clonic=0, plm_series=0, position_changes=0, jerks=0,
                     pops=0, lead_offs=0, tonic_duration_s=(60.0, 60.0), cramp_uv=(100.0, 100.0), mains_uv=5.0)
    pipe = Pipeline(fs, ["calf"], PipelineConfig())
    pipe.candidate_log = []
    for b in NightGenerator(spec).blocks(int(60 * fs)):
        pipe.process(b)
    pipe.finish()
    (f,) = [f for on, off, f, _ in pipe.candidate_log if off - on > 30]
    return f


def test_the_held_level_and_the_length_read_alike_at_any_rate():
    fast, slow = _sixty_second_contraction(1000.0, 1), _sixty_second_contraction(250.0, 1)
    assert slow.duration_s == pytest.approx(fast.duration_s, abs=0.2)
    assert slow.hold_x_rest == pytest.approx(fast.hold_x_rest, rel=0.1)  # both levels are over the same band's rest


@pytest.mark.xfail(strict=True, reason=(
    "two inputs depend on the board's band: hold_share (the largest 0.5-s envelope stands higher over the "
    "median on a narrow band; its spread goes as 1/sqrt(bandwidth x window)) and edge_motion_x_hold (over "
    "the EMG's level, which a narrow band lowers): p 0.70 at 1 kHz, 0.58 at 250 Hz"))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_contraction_is_as_likely_a_cramp_at_250_hz_as_at_1_khz(seed):
    fast, slow = _sixty_second_contraction(1000.0, seed), _sixty_second_contraction(250.0, seed)
    model = shipped_model()
    assert model.probability(vector(slow)) == pytest.approx(model.probability(vector(fast)), abs=0.05)
