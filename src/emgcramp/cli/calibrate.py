"""``emgcramp calibrate``: a person's rest and maximal-contraction levels, from a file or the sensor;
``--learn``: their own cramp decision, from their labelled nights (:mod:`emgcramp.cli.learn`)."""

from __future__ import annotations

import argparse
import os
import time
from typing import TYPE_CHECKING

from emgcramp.cli.common import CALIBRATE_MVC_S, CALIBRATE_REST_S
from emgcramp.cli.sources import ascii_link, sensor_source
from emgcramp.core.errors import InputError, settings_note

if TYPE_CHECKING:
    from emgcramp.live.sources.base import Source

CALIBRATE_SILENT_S = 5.0  # a calibration gives up after this long without a sample


def _window(text: str | None, name: str) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        lo, hi = (float(v) for v in text.split(":"))
    except ValueError:
        raise InputError(f"--{name} takes START:END in seconds, not {text!r}") from None
    if not 0 <= lo < hi:
        raise InputError(f"--{name} {text}: the window must start at 0 s or later and end after it starts")
    return lo, hi


def cmd_calibrate(args: argparse.Namespace) -> int:
    if getattr(args, "learn", None):  # the person's own decision, from their labelled nights
        from emgcramp.cli.learn import cmd_learn

        return cmd_learn(args)
    from emgcramp.io.secure import check_writable

    if args.scale is not None and not (args.file or args.ascii):
        raise InputError("--scale is for a --file without units (NPY, WAV, text) or --ascii lines; a sensor sends its "
                         "own µV per count")
    if args.ascii and not args.serial:
        raise InputError("--ascii is for a board on a serial port that sends text lines of numbers (--serial)")
    sensor_only = [o for o, v in (("--baud", args.baud), ("--rest-s", args.rest_s), ("--mvc-s", args.mvc_s))
                   if v is not None]
    if args.file and sensor_only:  # taken without a word, as if they had done something
        raise InputError(f"{sensor_only[0]} is for calibrating from a sensor, not from --file: a file's windows are "
                         "--rest START:END and --mvc START:END")
    args.rest_s = CALIBRATE_REST_S if args.rest_s is None else args.rest_s
    args.mvc_s = CALIBRATE_MVC_S if args.mvc_s is None else args.mvc_s
    check_writable(args.out, [args.file] if args.file else [])
    _check_profile_out(args.out)
    parts, fs, name = _calibration_from_file(args) if args.file else _calibration_from_sensor(args)
    if len(parts["rest"]) < fs:
        raise InputError("the rest window holds less than 1 s of signal")
    from emgcramp.live.calibrate import keep_unmeasured, make_profile

    profile = make_profile(parts["rest"], fs, parts.get("mvc"), name, parts.get("around"))
    if os.path.exists(args.out):
        profile = keep_unmeasured(profile, args.out)  # a rest-only calibration keeps the MVC on file
    from emgcramp.io.events import write_json

    write_json(args.out, profile)
    mvc = f", MVC {profile['mvc_uv']:.1f} µV" if "mvc_uv" in profile else ""
    print(f"rest {profile['rest_uv']:.2f} µV{mvc} -> {args.out}")
    return 0


def _check_profile_out(path: str) -> None:
    """An ``--out`` that exists is a profile to update (a rest-only calibration keeps its MVC); any
    other file, an events CSV say, is refused before any work rather than replaced."""
    if not os.path.lexists(path):
        return
    from emgcramp.live.profile import read_profile

    try:
        read_profile(path)  # levels, a learned decision (calibrate --learn alone), or both
    except InputError as e:  # what is wrong with it said: a profile of another version is to learn again
        raise InputError(f"{e}. calibrate --out updates a profile: choose another --out or remove it") from None


def _calibration_from_file(args: argparse.Namespace):
    """The rest (and MVC) samples (µV) of ``--file`` between the given seconds, its rate and channel name."""
    from emgcramp.io import open_recording

    rest = _window(args.rest, "rest")
    if rest is None:
        raise InputError("calibrating from a file needs --rest START:END")
    windows = {"rest": rest} | ({"mvc": w} if (w := _window(args.mvc, "mvc")) else {})
    with open_recording(args.file, args.fs, args.scale) as rec:
        ch = rec.channel_index(args.channel)
        fs = rec.rate()
        length_s = rec.n_samples / fs if rec.n_samples is not None else None
        for name, (_, end) in windows.items():  # a window cut short measures less than was asked for
            if length_s is not None and end > length_s + 1.0 / fs:
                raise InputError(f"--{name} ends at {end:g} s, after the recording ({length_s:.1f} s)")
        from emgcramp.live.calibrate import AROUND_S, collect  # Numba loads only for a usable input

        lo, hi = windows["rest"]
        end = min(hi + AROUND_S, length_s) if length_s is not None else hi + AROUND_S
        windows["around"] = (max(0.0, lo - AROUND_S), end)  # what the rest window is weighed against
        return collect(rec.blocks([ch], int(fs)), lambda: fs, windows), fs, rec.channel_names[ch]


def _calibration_from_sensor(args: argparse.Namespace):
    """Rest (and MVC) samples (µV) from the sensor, told when to rest and when to contract."""
    from emgcramp.live.calibrate import collect

    if args.baud is not None and not args.serial:
        raise InputError("--baud is for a serial sensor (--serial)")
    source = sensor_source(args.serial, args.ble, ascii_link(args.fs, args.scale) if args.ascii else None,
                           baud=args.baud)
    settle, ready = 2.0, 3.0  # s: the filters settle; the person gets ready for the contraction
    windows = {"rest": (settle, settle + args.rest_s)}
    if args.mvc_s > 0:
        start = settle + args.rest_s + ready
        windows["mvc"] = (start, start + args.mvc_s)
    began: list[float] = []  # when the first block came (monotonic s)
    parts = collect(_instructed(source, windows, args.rest_s, args.mvc_s, ready, began), lambda: source.fs, windows)
    source.stop.set()
    span_s, wall_s = max(end for _, end in windows.values()), time.monotonic() - began[0]
    if span_s > SENSOR_CLOCK_TOLERANCE * wall_s + 1.0:  # the windows are times the person was told of


        settings_note(
            f"the sensor sent the {span_s:g} s of the calibration in {wall_s:.1f} s (a sped-up emulator, or a "
            "sensor whose clock runs fast): the rest and contraction windows were not the seconds you were told of")
    return parts, source.fs, "calf"


# A calibration whose signal time runs this much faster than the wall clock was not timed as the person was told.
SENSOR_CLOCK_TOLERANCE = 1.5


def _instructed(source: "Source", windows: dict, rest_s: float, mvc_s: float, ready_s: float,
                began: list[float]):
    """The source's blocks, with the instructions printed once the sensor is there and a NOW at the contraction;
    ``began`` gets the time (monotonic s) the first came."""
    told, data_at, started = False, time.monotonic(), False
    for b in source.blocks():
        if b is not None and not started:  # the sensor is there: now the instructions mean something
            started = True
            began.append(time.monotonic())
            print(f"sit or lie still, leg relaxed, for {rest_s:g} s …", flush=True)
            if "mvc" in windows:
                print(f"then, at the signal, point the foot down as hard as you can for {mvc_s:g} s", flush=True)
        if b is None:  # nothing from the sensor: give up rather than wait for ever
            problem = source.problem
            if "does not exist" in problem or "permission" in problem or \
                    time.monotonic() - data_at > CALIBRATE_SILENT_S:
                source.stop.set()
                raise InputError(f"no signal from the sensor: {problem or 'nothing arrived'}")
            continue
        data_at = time.monotonic()
        if not told and "mvc" in windows and b.t0_sample / source.fs >= windows["mvc"][0] - ready_s:
            print("\aNOW: contract as hard as you can", flush=True)
            told = True
        yield b
