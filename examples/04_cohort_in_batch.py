"""
A cohort in batch
=================

Several nights, one table. Three short synthetic nights (seeded, a night a
day) are written by the command line's ``emgcramp simulate`` (called here
through :func:`emgcramp.cli.main`, as the shell would, with its arguments),
analysed one by one, and their events combined into one pandas ``DataFrame``
with a column for the night. ``emgcramp analyze nights/ --events all.csv
--jobs 2`` does the same from the shell. Needs pandas (``pip install
'emgcramp[pandas]'``).
"""

# %%
import tempfile
from pathlib import Path

import pandas as pd

import emgcramp
import emgcramp.cli

workdir = tempfile.TemporaryDirectory()  # removed when the script ends
folder = Path(workdir.name)
for seed in (1, 2, 3):
    emgcramp.cli.main(["simulate", str(folder / f"night-{seed}.edf"), "--hours", "0.15", "--seed", str(seed),
                       "--start", f"2026-01-0{seed}T23:00"])

# %%
# Analyse each night; ``records`` and ``to_dataframe`` take the kind of event
# (``cramps``, ``possible_cramps``, ``leg_movements``, ``warnings``, ``rejected``).
tables, counts = [], {}
for path in sorted(folder.glob("night-*.edf")):
    result = emgcramp.analyze(str(path))
    counts[path.stem] = result.summary()["leg_movements"]["lm"]
    tables.append(result.to_dataframe().assign(night=path.stem))
cramps = pd.concat(tables, ignore_index=True)
print(cramps[["night", "onset_clock", "duration_s", "kind", "peak_x_rest"]])
print(f"cramps found: {len(cramps)}")

# %%
# Per night: cramps, total cramp time (s) and leg movements.
per_night = cramps.groupby("night").agg(cramps=("duration_s", "size"), cramp_s=("duration_s", "sum"))
per_night = per_night.reindex(list(counts), fill_value=0).assign(leg_movements=pd.Series(counts))
print(per_night)
