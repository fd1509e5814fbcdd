"""
Live monitoring
===============

Cramps as they happen: :class:`emgcramp.Monitor` takes blocks of samples as a
sensor delivers them (here 0.1 s at a time of a simulated signal) and returns
the events each block brought. An ``alert`` goes out once a cramp under way
is confirmed, long before it ends; the ``cramp`` record follows when it
closes. This is the loop behind ``emgcramp monitor``; give ``folder=`` to
store the night, crash-safe, as the command does.
"""

# %%
import numpy as np

import emgcramp

fs = 1000.0
rng = np.random.default_rng(2)
signal = rng.normal(0, 4, int(240 * fs))  # four minutes of rest, 4 µV RMS
signal[int(60 * fs):int(150 * fs)] *= 40  # a cramp from 60 s to 150 s

monitor = emgcramp.Monitor(fs)
block = int(0.1 * fs)
for k in range(0, signal.size, block):
    for event in monitor.feed(signal[k:k + block]):
        now = (k + block) / fs
        if event["type"] == "alert":
            print(f"[{now:6.1f} s] ALERT: {event['kind']} cramp under way since {event['onset_s']:.1f} s")
        elif event["type"] == "cramp":
            print(f"[{now:6.1f} s] cramp ended: {event['duration_s']:.1f} s, peak {event['peak_x_rest']:.0f} x rest")
        else:
            print(f"[{now:6.1f} s] {event['type']}")

# %%
# At the end of the stream, ``finish`` closes what is still under way and
# gives the whole stream's :class:`emgcramp.Result`.
result = monitor.finish()
print(result)
print(f"cramps found: {len(result.cramps)}")
