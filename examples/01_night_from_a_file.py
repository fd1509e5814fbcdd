"""
One night from a file
=====================

Analyse a recording on disk, as ``emgcramp analyze`` does, in constant memory:
here the 20-minute synthetic sample night of the repository's ``recordings/``
folder (EDF+, one calf channel in µV, 50 Hz hum, two tonic cramps and a
clonic one among leg movements, position changes, jerks, an electrode pop and
a lead-off).
"""

# %%
import tempfile
from pathlib import Path

import emgcramp


def sample_night() -> Path:
    """``recordings/sample_night.edf`` of a clone of the repository."""
    try:
        here = Path(__file__).resolve().parent  # a script, or the documentation's build
    except NameError:  # a notebook, started in the examples folder
        here = Path.cwd()
    for root in (here.parent, Path(emgcramp.__file__).resolve().parents[2]):  # the clone; an editable install
        path = root / "recordings" / "sample_night.edf"
        if path.exists():
            return path
    raise FileNotFoundError("recordings/sample_night.edf not found: run this example from a clone of the repository")


result = emgcramp.analyze(str(sample_night()))
print(result)
print(f"cramps found: {len(result.cramps)}")

# %%
# Each cramp: seconds from the first sample, intensities in µV RMS of the
# 0.5-s envelope, and as a multiple of the rest level the detector learned.
for c in result.cramps:
    print(f"{c.onset_s:7.1f} s for {c.duration_s:5.1f} s  {c.kind:6}  peak {c.peak_intensity:5.0f} µV RMS "
          f"({c.peak_x_rest:.0f} x rest), probability {c.probability:.2f}")

# %%
# What was not counted: possible cramps (listed, never counted) and rejected
# bursts, each with the reason that weighed most against it.
for p in result.possible_cramps:
    print(f"possible cramp at {p.onset_s:.1f} s ({p.reason}, probability {p.probability:.2f})")
print("rejected:", result.summary()["rejected_lookalikes"])

# %%
# The events CSV of ``emgcramp analyze --events``, and the night report
# (timeline, a zoom per cramp, table); ``plot("report.html")`` writes the page.
with tempfile.TemporaryDirectory() as folder:
    result.to_csv(str(Path(folder) / "cramps.csv"))
    print((Path(folder) / "cramps.csv").read_text().splitlines()[0])
fig = result.plot(title="Sample night")
