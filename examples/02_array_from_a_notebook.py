"""
An array from a notebook
========================

Find cramps in samples already in memory: a NumPy array in µV and its
sampling rate. Here three minutes of rest are made up, with a held
contraction from 40 s to 100 s, and a shorter burst that is not one. The
table at the end needs pandas (``pip install 'emgcramp[pandas]'``).
"""

# %%
import numpy as np

import emgcramp

fs = 1000.0  # Hz
rng = np.random.default_rng(0)
x = rng.normal(0, 4, int(180 * fs))  # three minutes of rest, 4 µV RMS
x[int(40 * fs):int(100 * fs)] *= 60  # a cramp: 60 × rest held from 40 s to 100 s
x[int(140 * fs):int(141 * fs)] *= 40  # a one-second jerk

result = emgcramp.find_cramps(x, fs)
print(result)
print(f"cramps found: {len(result.cramps)}")

# %%
# The events as a table (pandas), one row per cramp, columns as in the
# events CSV; ``kind="rejected"`` gives what was turned down, and why.
print(result.to_dataframe()[["onset_s", "offset_s", "duration_s", "kind", "peak_intensity", "probability"]])
print(result.to_dataframe("rejected"))

# %%
# Several muscles of one leg: a 2-D array ``(n_channels, n_samples)``, one
# name per channel. With the person's maximal voluntary contraction, each
# cramp also gets ``pct_mvc``.
legs = np.vstack([x, rng.normal(0, 4, x.size)])
both = emgcramp.find_cramps(legs, fs, channel_names=["GM", "TA"], mvc_uv=400.0)
print([(c.channel, round(c.pct_mvc or 0)) for c in both.cramps])

# %%
# The envelope the detector followed, with the cramp shaded.
fig = result.plot(title="Three minutes in memory")
