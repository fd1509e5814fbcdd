"""Regenerate sample_night.edf and sample_night.truth.json (seeded, reproducible).

    python recordings/make_sample_night.py
"""

import os

from emgcramp.cli.offline import write_night
from emgcramp.sim.plan import NightSpec

SPEC = NightSpec(hours=20 / 60, fs=1000.0, seed=7, tonic=2, clonic=1, plm_series=1, position_changes=2,
                 jerks=2, pops=1, lead_offs=1, tonic_duration_s=(8.0, 90.0))

if __name__ == "__main__":
    write_night(os.path.join(os.path.dirname(os.path.abspath(__file__)), "sample_night.edf"), SPEC)
