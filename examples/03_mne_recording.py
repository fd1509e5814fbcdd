"""
An MNE recording
================

Analyse an MNE-Python ``Raw`` (from any of MNE's readers) and put the events
back on it as annotations. MNE holds EMG in volts: :func:`emgcramp.from_mne`
converts to µV through MNE itself. Needs ``pip install 'emgcramp[mne]'``.
"""

# %%
import mne
import numpy as np

import emgcramp

fs = 1000.0
rng = np.random.default_rng(1)
calf = rng.normal(0, 4e-6, int(150 * fs))  # rest, 4 µV RMS, in volts
calf[int(30 * fs):int(120 * fs)] *= 50  # a cramp from 30 s to 120 s
eeg = rng.normal(0, 10e-6, calf.size)  # another channel, not EMG: left out by default

info = mne.create_info(["calf", "Fz"], fs, ch_types=["emg", "eeg"])
raw = mne.io.RawArray(np.vstack([calf, eeg]), info, verbose="error")

result = emgcramp.from_mne(raw)  # picks: the EMG channels (or picks="emg", ["calf"], [0])
print(result)
print(f"cramps found: {len(result.cramps)}")

# %%
# Every event (cramps, possible cramps, leg movements, warnings) as
# ``mne.Annotations``, placed as the Raw's own annotations are, beside them
# (and ready for ``raw.plot()`` or ``mne.events_from_annotations``).
raw.set_annotations(raw.annotations + result.to_annotations(raw=raw))
for a in raw.annotations:
    print(f"{a['onset']:6.1f} s  {a['duration']:5.1f} s  {a['description']}")
