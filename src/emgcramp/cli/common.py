"""The commands behind ``emgcramp``; :mod:`emgcramp.cli` parses and dispatches.

Each module imports the numerical stack (Numba) only inside the
functions that need it, after the input has been checked.
"""

from __future__ import annotations

import argparse
from datetime import datetime

from emgcramp.core.errors import InputError

EXIT_NOT_STORED = 4  # monitor: the night ran and alerted, but its folder is not whole (full disk, size limit)


def detector_config(args: argparse.Namespace, settings: dict | None = None):
    """The pipeline settings from the shared detector options (``--mains``, ``--min-duration``, …).

    ``settings``: chosen before (a night folder's, see :func:`emgcramp.core.config.settings_of`);
    an option given replaces its setting.
    """
    from emgcramp.core.config import config_from

    mvc = getattr(args, "mvc_uv", None)
    if mvc is None and getattr(args, "profile", None):
        from emgcramp.live.profile import load_profile

        mvc = load_profile(args.profile).get("mvc_uv")
    return config_from(settings or {}, mains=getattr(args, "mains", None),
                       min_duration_s=getattr(args, "min_duration", None), mvc_uv=mvc)


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


MAX_NIGHT_H = 24  # a night, and a day's sleep at most


def night_spec(args: argparse.Namespace):
    """The :class:`~emgcramp.sim.synth.NightSpec` for ``--hours``, ``--fs`` and ``--seed``."""
    from emgcramp.core.blocks import check_fs
    from emgcramp.sim.plan import NightSpec

    check_fs(args.fs)  # before any work: a rate analyze would refuse, or one that fills the memory
    if args.fs != int(args.fs):
        raise InputError("--fs must be a whole number of Hz for EDF output")
    if args.hours > MAX_NIGHT_H:
        raise InputError(f"--hours {args.hours:g}: a synthetic night lasts at most {MAX_NIGHT_H} h")
    return NightSpec(hours=args.hours, fs=args.fs, seed=args.seed)


def read_options(args: argparse.Namespace):
    """The :class:`~emgcramp.files.ReadOptions` of ``--fs``, ``--scale`` and ``--channel``."""
    from emgcramp.files import ReadOptions

    return ReadOptions(fs=getattr(args, "fs", None), scale=getattr(args, "scale", None),
                       channel=getattr(args, "channel", None), stream=getattr(args, "stream", None))


class ProgressBar:
    """A ``progress(done, total)`` callback drawing a bar on stderr (made at the first call)."""

    def __init__(self, label: str, enabled: bool = True):
        self.label, self.enabled = label, enabled
        self._bar = None

    def __call__(self, done: int, total: int | None) -> None:
        if self._bar is None:
            from emgcramp.cli.progress import Progress

            self._bar = Progress(self.label, total, self.enabled)
        self._bar(done)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def analyze_recording(path: str, args: argparse.Namespace, progress: bool = True):
    """:func:`emgcramp.files.analyze_file` with the settings the command line gave."""
    from emgcramp.files import analyze_file

    bar = ProgressBar("analyze", progress and not getattr(args, "no_progress", False))
    try:
        return analyze_file(path, read_options(args), detector_config(args), bar)
    finally:
        bar.close()
