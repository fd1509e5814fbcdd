"""Publish a night as it happens on Lab Streaming Layer: the envelope × rest, and a marker per event.

Two streams, named ``PREFIX-envelope`` (type ``EMG-envelope``: one float
channel per muscle at the detector rate, 50 Hz by default, the 0.5-s
envelope as a multiple of rest, NaN while rest is still being learnt) and
``PREFIX-markers`` (type ``Markers``, irregular: each cramp, warning, alert
and retraction as the JSON record the night folder logs). Any LSL consumer
(a viewer, LabRecorder, another program) can follow the night live.
"""

from __future__ import annotations

import json

import numpy as np

from emgcramp.core.channels import default_names
from emgcramp.live.sources.lsl import load_pylsl


class LslPublisher:
    """The two outlets; the envelope outlet opens at the first levels, when their rate is known."""

    def __init__(self, channels: list[str], prefix: str = "emgcramp", verbose: bool = False):
        # ``verbose``: liblsl's own log lines on stderr too; else only its fatal ones (see load_pylsl)
        self.pylsl, self.channels, self.prefix = load_pylsl(verbose), list(channels), prefix
        info = self.pylsl.StreamInfo(f"{prefix}-markers", "Markers", 1, self.pylsl.IRREGULAR_RATE, "string",
                                     f"{prefix}-markers")
        self._markers = self.pylsl.StreamOutlet(info)
        self._envelope = None

    def levels(self, x_rest: np.ndarray, rate: float) -> None:
        """Push bins (bins × channels, × rest) at ``rate`` Hz."""
        if self._envelope is None:
            self._envelope = self._open_envelope(x_rest.shape[1], rate)
        self._envelope.push_chunk(np.ascontiguousarray(x_rest, dtype=np.float32))

    def event(self, record: dict) -> None:
        """Push one event record as a JSON string."""
        self._markers.push_sample([json.dumps(record, default=float)])

    def _open_envelope(self, n: int, rate: float):
        info = self.pylsl.StreamInfo(f"{self.prefix}-envelope", "EMG-envelope", n, rate, "float32",
                                     f"{self.prefix}-envelope")
        chans = info.desc().append_child("channels")
        for name in (self.channels + default_names(n)[len(self.channels):])[:n]:
            ch = chans.append_child("channel")
            ch.append_child_value("label", name)
            ch.append_child_value("unit", "x rest")
        return self.pylsl.StreamOutlet(info, chunk_size=0, max_buffered=360)
