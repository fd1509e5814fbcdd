"""The commands behind ``emgcramp``; :mod:`emgcramp.cli` parses and dispatches.

Each module imports the numerical stack (Numba) only inside the
functions that need it, after the input has been checked.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import math
import os
import warnings
from collections.abc import Iterator
from datetime import datetime

from emgcramp.core.config import ELECTRODE_NOISE_UV, SCALE_RANGE_UV
from emgcramp.core.errors import InputError, SettingsWarning

EXIT_NOT_STORED = 4  # monitor: the night ran and alerted, but its folder is not whole (full disk, size limit)


def detector_config(args: argparse.Namespace, settings: dict | None = None):
    """The pipeline settings from the shared detector options (``--mains``, ``--min-duration``, …).

    ``settings``: chosen before (a night folder's, see :func:`emgcramp.core.settings.settings_of`);
    an option given replaces its setting.
    """
    return detector_settings(args)(settings or {})


def detector_settings(args: argparse.Namespace):
    """The shared detector options as a picklable ``settings -> PipelineConfig`` (:func:`emgcramp.files.config_for`).

    The profile is read here, once, and a bad option or profile refused here in one line: a
    batch's workers get the values, not the path.
    """
    mvc, decision = getattr(args, "mvc_uv", None), None
    if getattr(args, "profile", None):
        from emgcramp.live.profile import load_decision, load_profile

        mvc = load_profile(args.profile).get("mvc_uv") if mvc is None else mvc
        decision = load_decision(args.profile)
    options = {"mains": getattr(args, "mains", None), "min_duration_s": getattr(args, "min_duration", None),
               "cramp_probability": getattr(args, "cramp_threshold", None), "mvc_uv": mvc,
               "decision": decision}
    chosen = functools.partial(_config_with, options)
    chosen({})  # the decision's input names are checked now
    return chosen


def _config_with(options: dict, settings: dict):
    """:func:`detector_settings`'s ``options`` over recorded ``settings``."""
    from emgcramp.core.settings import config_from

    config = config_from(settings, mains=options["mains"], min_duration_s=options["min_duration_s"],
                         mvc_uv=options["mvc_uv"], cramp_probability=options["cramp_probability"])
    if not options["decision"]:
        return config
    from emgcramp.live.profile import with_decision

    return with_decision(config, options["decision"])


def span_text(seconds: float, unit_of: float | None = None) -> str:
    """A recording's length for a summary line: hours to two decimals, or seconds under six minutes (0.1 h).

    ``unit_of``: the length (s) whose unit to use instead, so that a column of lengths has one unit.
    """
    return f"{seconds / 3600:.2f} h" if (seconds if unit_of is None else unit_of) >= 360 else f"{seconds:.0f} s"


def check_figure_out(option: str, path: str, force: bool, kind: str) -> None:
    """A figure named by ``option`` (``--out``, ``--figure``) may be written: a known format, and
    :func:`~emgcramp.io.secure.check_writable`'s rule (an earlier figure of ``kind``, this command's, is replaced)."""
    from emgcramp.io.secure import FIGURE_FORMATS, check_writable, made_by_us, output_format

    output_format(path, FIGURE_FORMATS, option)
    check_writable(path, force=force, own=made_by_us(kind))


def check_night_outputs(path: str, force: bool) -> None:
    """The synthetic night's EDF+ and truth JSON may be written: new, ``force``, or an earlier synthetic night's."""
    from emgcramp.io.edf import is_simulated_night
    from emgcramp.io.secure import check_writable

    check_writable(path, force=force, own=is_simulated_night)
    check_writable(os.path.splitext(path)[0] + ".truth.json", force=force, own=is_truth)


def is_truth(path: str) -> bool:
    """True for a synthetic night's truth JSON (an object with ``spec`` and ``events``)."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and {"spec", "events"} <= data.keys()


def print_table(episodes, start: datetime | None) -> None:
    """Print episodes as a table (times in s, intensities in µV)."""
    from emgcramp.io.events import episode_row

    if not episodes:
        print("no cramps found")
        return
    # %MVC with a calibration, flags where a cramp has any: what the events CSV holds, not hidden on screen
    mvc, flags = any(e.pct_mvc is not None for e in episodes), any(e.flags for e in episodes)
    print(f"{'onset':>10} {'clock':>8} {'duration':>9} {'kind':<7} {'peak µV':>8} {'mean µV':>8} {'×rest':>6} "
          f"{'p':>4}" + (f" {'%MVC':>5}" if mvc else "") + ("  flags" if flags else ""))
    for e in episodes:
        row = episode_row(e, start)
        p = f"{e.probability:4.2f}" if e.probability is not None and math.isfinite(e.probability) else "-"
        print(f"{e.onset_s:9.1f}s {row['onset_clock'][11:] or '-':>8} {e.duration_s:8.1f}s {e.kind:<7} "
              f"{e.peak_intensity:8.1f} {e.mean_intensity:8.1f} {e.peak_x_rest:6.1f} {p:>4}"
              + (f" {row['pct_mvc'] or '-':>5}" if mvc else "") + (f"  {row['flags']}" if flags else ""))


MAX_NIGHT_H = 24  # a night, and a day's sleep at most
CALIBRATE_REST_S, CALIBRATE_MVC_S = 30.0, 5.0  # calibrate from a sensor: seconds of rest, of contraction
CALIBRATION_NIGHT_S = 60.0  # simulate --calibration: the opening rest and push, then the night


def night_spec(args: argparse.Namespace):
    """The :class:`~emgcramp.sim.synth.NightSpec` for ``--hours``, ``--fs`` and ``--seed``."""
    from emgcramp.core.blocks import MIN_SIGNAL_S, check_fs
    from emgcramp.sim.plan import NightSpec

    check_fs(args.fs)  # before any work: a rate analyze would refuse, or one that fills the memory
    if args.fs != int(args.fs):
        raise InputError("--fs must be a whole number of Hz for EDF output")
    if args.hours > MAX_NIGHT_H:
        raise InputError(f"--hours {args.hours:g}: a synthetic night lasts at most {MAX_NIGHT_H} h")
    if args.hours * 3600 < MIN_SIGNAL_S:  # it wrote nothing, and said the disk might be full
        raise InputError(f"--hours {args.hours:g}: a synthetic night lasts at least {MIN_SIGNAL_S:g} s, the shortest "
                         "signal analyze takes")
    calibration = getattr(args, "calibration", False)
    if calibration and args.hours * 3600 < CALIBRATION_NIGHT_S:
        raise InputError(f"--calibration needs a night of {CALIBRATION_NIGHT_S / 60:g} min or more")
    return NightSpec(hours=args.hours, fs=args.fs, seed=args.seed, calibration=calibration)


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


def analyze_recording(path: str, args: argparse.Namespace, progress: bool = True, notes: list[str] | None = None):
    """:func:`emgcramp.files.analyze_file` with the settings the command line gave.

    ``notes``: a list that gets each note said of the recording (see :func:`notes_kept`).
    """
    from emgcramp.files import analyze_file

    bar = ProgressBar("analyze", progress and not getattr(args, "no_progress", False))
    with notes_kept(notes):  # said once the bar is gone from the line
        try:
            return analyze_file(path, read_options(args), detector_settings(args), bar)
        finally:
            bar.close()


@contextlib.contextmanager
def notes_kept(notes: list[str] | None) -> Iterator[None]:
    """Keep in ``notes`` each note said within (``emgcramp: note: …``, shown all the same), for a reader of
    ``--json``; shown as they would have been, also when the work failed after them."""
    said: list[warnings.WarningMessage] | None = None
    try:
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always", SettingsWarning)
            yield
    finally:
        for w in said or ():
            if notes is not None and issubclass(w.category, SettingsWarning):
                notes.append(str(w.message))
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)


# --- argument types: a value the command cannot use is refused as the options are read, in one line ---------

def mains_arg(value: str) -> str | float:
    if value in ("auto", "off"):
        return value
    if value in ("50", "60"):
        return float(value)
    raise argparse.ArgumentTypeError("choose 50, 60, auto or off")


def number_arg(convert, ok, needs: str):
    """An argparse type: ``convert`` the text (``int`` or ``float``), and refuse what ``ok`` refuses."""
    def parse(value: str):
        try:
            v = convert(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a {'whole ' if convert is int else ''}number: {value!r}") from None
        if not ok(v):
            raise argparse.ArgumentTypeError(f"must be {needs}: {value}")
        return v
    return parse


positive_arg = number_arg(float, lambda v: 0 < v < math.inf, "a positive number")
probability_arg = number_arg(float, lambda v: 0 < v < 1, "a probability between 0 and 1")  # --cramp-threshold
count_arg = number_arg(int, lambda v: v >= 1, "1 or more")  # --jobs, --seeds
seed_arg = number_arg(int, lambda v: v >= 0, "0 or more")  # NumPy's seeds are not negative
# --mvc-uv: a contraction's level reads at least the electrodes' own noise (1e-300 gave a %MVC of 300 digits)
mvc_arg = number_arg(float, lambda v: ELECTRODE_NOISE_UV <= v < math.inf, f"{ELECTRODE_NOISE_UV:g} µV or more")
# bench speed --channels: a wearable or a lab amplifier has up to 256; a million was a 30-GB signal in memory
channels_arg = number_arg(int, lambda v: 1 <= v <= 256, "1 to 256")
speed_arg = number_arg(float, lambda v: 0 <= v < math.inf, "0 (as fast as possible) or more")  # × real time
seconds_arg = number_arg(float, lambda v: 0 <= v < math.inf, "0 or more")  # calibrate --mvc-s (0: no MVC)
# --channel's default, as every command that reads a file says it (emgcramp.core.channels.channel_index)
FIRST_CHANNEL = ("default: the first, unless its name says EEG, ECG… where others name muscles: then name one; "
                 "a night folder: the channels it was monitored on")
SCALE_HELP = (  # --scale, as every command that reads a file says it
    "µV per file unit for NPY, WAV, unit-less text columns and EDF channels without one (default 1: values are µV)")
scale_arg = number_arg(float, lambda v: SCALE_RANGE_UV[0] <= abs(v) <= SCALE_RANGE_UV[1],  # µV per file unit
                       f"{SCALE_RANGE_UV[0]:g} to {SCALE_RANGE_UV[1]:g} (negative: the sign flipped)")
hours_arg = number_arg(float, lambda v: 0 < v <= MAX_NIGHT_H, f"over 0 and at most {MAX_NIGHT_H} (h of a night)")
baud_arg = number_arg(int, lambda v: 300 <= v <= 16_000_000, "300 to 16000000 (bits a second)")  # --baud


def command_arg(text: str) -> str:
    """An argparse type: a shell command (``--on-cramp``), not an empty one that would raise no alarm."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty command: give the one to run on each alert")
    return text


def clock_arg(text: str) -> datetime:
    """``simulate --start``: a local date and time EDF+ can hold (EDFlib writes 1970 to 2999; others it replaced
    with the time of writing, and a time zone it dropped, without a word)."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date and time like 2026-01-01T23:00: {text!r}") from None
    if when.tzinfo is not None:
        raise argparse.ArgumentTypeError(f"{text}: an EDF+ file holds the clock time where it was recorded, with no "
                                         "time zone; give it without one")
    if not 1970 <= when.year <= 2999:
        raise argparse.ArgumentTypeError(f"{text}: an EDF+ file written here starts between 1970 and 2999")
    return when


def edf_out_arg(path: str) -> str:
    """A synthetic night to write (``simulate``, ``demo --keep``): EDF+, named so (``.edf``, or EDF's ``.rec``),
    as readers pick a format by its name."""
    if not path.lower().endswith((".edf", ".rec")):
        raise argparse.ArgumentTypeError(f"{path}: the file written is EDF+; name it NAME.edf")
    return path


def pty_arg(path: str) -> str:
    """``emulate --pty``: where the emulator puts its device link, replacing only a link an emulator left.

    The link is made beside ``path`` (``PATH.new``) and renamed over it, and removed at the end: a
    file or folder of the user's there would be lost.
    """
    for p in (path, f"{path}.new"):
        if os.path.lexists(p) and not (os.path.islink(p) and os.readlink(p).startswith("/dev/")):
            raise argparse.ArgumentTypeError(f"{p} exists and is not a device link; name a new path for the link")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise argparse.ArgumentTypeError(f"cannot make {path}: folder {folder} does not exist")
    return path
