"""Which source the command line asks for: a replay, a serial or BLE sensor, a BrainFlow board, an LSL stream.

Each source's module is imported only when it is chosen (pyserial, bleak, BrainFlow and pylsl load no sooner).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from emgcramp.core.errors import InputError

if TYPE_CHECKING:
    from emgcramp.live.sources.base import Source


# Options that only some sources take (option, what it is for, the attribute of the sources that take it).
_SOURCE_ONLY = (("--ascii", "a serial sensor that sends text", "serial"), ("--baud", "a serial sensor", "serial"),
                ("--board-param", "a BrainFlow board", "brainflow"),
                ("--speed", "a replay", "replay"))


def _check_options_apply(args: argparse.Namespace) -> None:
    """An option the chosen source does not take is one line, not silently ignored."""
    given = {"--ascii": args.ascii, "--board-param": args.board_param, "--speed": args.speed != 1.0,
             "--baud": args.baud is not None}
    for option, used_by, source in _SOURCE_ONLY:
        if given[option] and not getattr(args, source):
            raise InputError(f"{option} is for {used_by} (--{source}), not this source")
    if args.scale is not None and not (args.replay or args.ascii):
        raise InputError("--scale is for --ascii lines or a replayed NPY/WAV; a sensor sends its own µV per count")
    if args.fs is not None and not (args.replay or args.ascii):
        raise InputError("--fs is for --ascii lines or a replayed NPY; a sensor or stream declares its own rate")
    sensor = not (args.replay or args.brainflow or args.lsl)
    if args.muscles and not sensor:
        raise InputError("--muscles names a serial or BLE sensor's channels; this source names its own "
                         "(pick among them with --channel)")
    if args.give_up is not None and (args.replay or args.lsl):
        raise InputError(f"--give-up is for a sensor that may drop out, not {'a replay' if args.replay else 'LSL'}")


def monitor_source(args: argparse.Namespace) -> "tuple[Source, list[str]]":
    """The source ``monitor``'s options name, and the names of the channels it gives."""
    _check_options_apply(args)
    if args.replay:
        from emgcramp.io import open_recording
        from emgcramp.live.sources.replay import ReplaySource

        rec = open_recording(args.replay, args.fs, args.scale)
        chs = rec.channel_indices(args.channel)
        rec.rate()
        return ReplaySource(rec, chs, args.speed), [rec.channel_names[c] for c in chs]
    if args.brainflow:
        return _brainflow_source(args)
    if args.lsl:
        from emgcramp.live.sources.lsl import LslSource

        source = LslSource(args.lsl, verbose=getattr(args, "verbose", False))
        source.keep(_live_channels(args.channel, source.channel_names, f"LSL stream {args.lsl}"))
        return source, source.channel_names
    link = ascii_link(args.fs, args.scale) if args.ascii else None
    return sensor_source(args.serial, args.ble, link, args.give_up, args.baud), _muscles(args)


def ascii_link(fs: float | None, scale: float | None):
    """The reader of a board's text lines of numbers (``--ascii``), at ``fs`` Hz, ``scale`` µV per number."""
    from emgcramp.core.blocks import check_fs
    from emgcramp.live.sources.ascii import LineLink

    missing = [(o, why) for o, v, why in (("--fs HZ", fs, "the samples a second"),
                                          ("--scale UV", scale, "the µV per number they send: 1 when the board "
                                                                "sends µV")) if v is None]
    if missing:  # both at once: a 10-bit board's counts taken for µV would make every level wrong
        raise InputError(f"--ascii lines carry no rate and no unit: give {' and '.join(o for o, _ in missing)} "
                         f"({', and '.join(why for _, why in missing)})")
    return LineLink(check_fs(fs), scale)


def _brainflow_source(args: argparse.Namespace) -> "tuple[Source, list[str]]":
    """The BrainFlow board's EMG channels, or those ``--channel`` names among them."""
    from emgcramp.live.sources.brainflow import BrainFlowSource

    every = BrainFlowSource(args.brainflow, args.board_param)
    pick = _live_channels(args.channel, every.channel_names, f"BrainFlow board {args.brainflow}")
    source = BrainFlowSource(args.brainflow, args.board_param, pick, give_up_s=args.give_up)
    return source, source.channel_names


def _live_channels(spec: str | None, names: list[str], where: str) -> list[int] | None:
    """``--channel`` among a live source's ``names``; ``None`` (no selection) reads them all."""
    from emgcramp.core.channels import channel_indices

    return None if spec is None else channel_indices(spec, names, where)


def sensor_source(serial: str | None, ble: str | None, link=None, give_up_s: float | None = None,
                  baud: int | None = None) -> "Source":
    """The sensor on a serial port (``auto``: found by USB id; ``baud``: its rate, default the sensor's) or
    over BLE."""
    if ble:
        from emgcramp.live.sources.ble import BleSource

        return BleSource(ble, give_up_s=give_up_s)
    from emgcramp.live.sources.serial import DEFAULT_BAUD, SerialSource, find_port

    return SerialSource(find_port() if serial == "auto" else serial, link, baud or DEFAULT_BAUD, give_up_s=give_up_s)


def _muscles(args: argparse.Namespace) -> list[str]:
    """Channel names given with ``--muscles``; ``[]`` lets the monitor name them from the first frame."""
    names = [n.strip() for n in (getattr(args, "muscles", None) or "").split(",") if n.strip()]
    if len(set(names)) != len(names):
        raise InputError(f"--muscles {args.muscles}: a name is given twice")
    return names
