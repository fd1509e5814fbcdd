"""Cut the short field excerpts in this folder from the two shared field nights.

    python recordings/field/cut_excerpts.py DIR_WITH_field_night_a.edf

Each excerpt keeps the samples as they were (same 16-bit EDF+ scaling), starts
at least 60 s before the events it holds (the detector needs its rest level and
the background before an onset), and gets the truth that falls inside it,
times shifted to the excerpt's start.
"""

import json
import os
import sys

import numpy as np
import pyedflib

from emgcramp.io.edf import write_edf

# name: (night, start s, end s, what it holds)
EXCERPTS = {
    "field_cramp": ("b", 78, 238, "the night's one cramp (clonic, 77 s)"),
    "field_tone": ("a", 2050, 2400, "background tone rising and falling with sleep depth, no cramp"),
    "field_plm_tone": ("b", 1600, 1960, "periodic leg movements with raised tone between them, no cramp"),
    "field_lead_off": ("a", 530, 610, "a 20-s lead-off (input pinned at the rail with hum)"),
    "field_movements": ("b", 880, 1150, "two position changes with motion artefact, no cramp"),
}


def cut(src_dir: str, name: str) -> None:
    night, t0, t1, _ = EXCERPTS[name]
    base = os.path.join(src_dir, f"field_night_{night}")
    with pyedflib.EdfReader(base + ".edf") as r:
        fs = r.getSampleFrequency(0)
        x = r.readSignal(0, start=int(t0 * fs), n=int((t1 - t0) * fs))
        label = r.getLabel(0)
    here = os.path.dirname(os.path.abspath(__file__))
    write_edf(os.path.join(here, name + ".edf"), fs, [label], [x[:, None]])
    with open(base + ".truth.json") as f:
        truth = json.load(f)

    def inside(e: dict) -> bool:
        return e["onset_s"] < t1 and e["offset_s"] > t0

    def shift(e: dict) -> dict:
        return e | {"onset_s": round(e["onset_s"] - t0, 3), "offset_s": round(e["offset_s"] - t0, 3)}

    out = {"excerpt_of": f"field_night_{night}.edf", "start_s": t0, "end_s": t1, "fs": fs, "units": "uV",
           "events": [shift(e) for e in truth["events"] if inside(e)],
           "confounders": [shift(e) for e in truth["confounders"] if inside(e)]}
    with open(os.path.join(here, name + ".truth.json"), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    for n in EXCERPTS:
        cut(sys.argv[1], n)
    print(np.__name__ and "done")
