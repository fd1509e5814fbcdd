"""The commands behind ``emgcramp``; :mod:`emgcramp.cli` parses and dispatches.

Each module imports the numerical stack (Numba) only inside the
functions that need it, after the input has been checked.
"""

from __future__ import annotations

import argparse
from datetime import datetime

CHUNK_S = 60.0


def detector_config(args: argparse.Namespace):
    """The pipeline settings from the shared detector options (``--mains``, ``--min-duration``, …)."""
    from emgcramp.detect import DetectorConfig
    from emgcramp.pipeline import PipelineConfig

    mvc = getattr(args, "mvc_uv", None)
    if mvc is None and getattr(args, "profile", None):
        from emgcramp.profile import load_profile

        mvc = load_profile(args.profile).get("mvc_uv")
    det = DetectorConfig().replace(min_duration_s=getattr(args, "min_duration", None), mvc_uv=mvc)
    return PipelineConfig(mains=getattr(args, "mains", "auto"), detector=det)


def print_table(episodes, start: datetime | None) -> None:
    """Print episodes as a table (times in s, intensities in µV)."""
    from emgcramp.io.events import episode_row

    if not episodes:
        print("no cramps found")
        return
    print(f"{'onset':>10} {'clock':>8} {'duration':>9} {'kind':<7} {'peak µV':>8} {'mean µV':>8} {'×rest':>6}")
    for e in episodes:
        clock = episode_row(e, start)["onset_clock"][11:] or "-"
        print(f"{e.onset_s:9.1f}s {clock:>8} {e.duration_s:8.1f}s {e.kind:<7} {e.peak_intensity:8.1f} "
              f"{e.mean_intensity:8.1f} {e.peak_x_rest:6.1f}")
