"""The gallery's scripts (examples/*.py) run as a user runs them, and find what they are there to show.

Each runs in its own process from a scratch folder (so the sample night is found from the script's own
place, not the current folder) and prints ``cramps found: N``; the documentation's build runs the same
scripts.
"""

import glob
import os
import re
import subprocess
import sys

import pytest
from conftest import ROOT

EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "examples", "*.py")))
# cramps each example finds: the sample night's two tonic cramps, one made-up cramp in each array, and the
# cohort's 2 + 2 + 0 over three 9-minute simulated nights (seeds 1, 2, 3)
FOUND = {"01_night_from_a_file.py": 3, "02_array_from_a_notebook.py": 1, "03_mne_recording.py": 1,
         "04_cohort_in_batch.py": 4, "05_live_monitoring.py": 1}
EXTRA_LINES = {  # beyond the count: a line each example prints when it works as it says
    "03_mne_recording.py": r"^\s+30\.0 s\s+90\.0 s\s+cramp:tonic",  # the cramp, an annotation on the Raw
    "05_live_monitoring.py": r"^\[\s*\d+\.\d s\] ALERT: tonic cramp under way since 60\.0 s",  # alerted while under way
}


def test_every_example_is_checked():
    assert sorted(os.path.basename(p) for p in EXAMPLES) == sorted(FOUND)


@pytest.mark.parametrize("path", EXAMPLES, ids=os.path.basename)
def test_example_runs_and_finds_its_cramps(path, tmp_path):
    run = subprocess.run([sys.executable, path], capture_output=True, text=True, cwd=tmp_path, timeout=300,
                         env={**os.environ, "MPLBACKEND": "Agg"}, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    name = os.path.basename(path)
    found = re.findall(r"^cramps found: (\d+)$", run.stdout, re.MULTILINE)
    assert found == [str(FOUND[name])], run.stdout
    if name in EXTRA_LINES:
        assert re.search(EXTRA_LINES[name], run.stdout, re.MULTILINE), run.stdout
