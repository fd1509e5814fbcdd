"""The command line's grammar: one function per command, each adding its parser and options."""

from __future__ import annotations

import argparse
import os

from emgcramp import __version__
from emgcramp.cli.common import CALIBRATE_MVC_S, CALIBRATE_REST_S, FIRST_CHANNEL, SCALE_HELP
from emgcramp.cli.common import baud_arg as _baud
from emgcramp.cli.common import channels_arg as _channels
from emgcramp.cli.common import clock_arg as _clock
from emgcramp.cli.common import command_arg as _command
from emgcramp.cli.common import count_arg as _count
from emgcramp.cli.common import edf_out_arg as _edf_out
from emgcramp.cli.common import hours_arg as _hours
from emgcramp.cli.common import mains_arg as _mains
from emgcramp.cli.common import mvc_arg as _mvc
from emgcramp.cli.common import positive_arg as _positive
from emgcramp.cli.common import probability_arg as _probability
from emgcramp.cli.common import pty_arg as _pty
from emgcramp.cli.common import scale_arg as _scale
from emgcramp.cli.common import seconds_arg as _seconds
from emgcramp.cli.common import seed_arg as _seed
from emgcramp.cli.common import speed_arg as _speed
from emgcramp.io import FORMATS, formats_text


def _add_detector_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("signal chain and detector")
    g.add_argument("--mains", type=_mains,
                   help="mains notch: 50, 60, auto (find hum in the first 8 s, then watch for hum that comes on) or off "
                        "(default auto; for a night folder, the one it was monitored with)")
    g.add_argument("--min-duration", type=_positive, metavar="S",
                   help="shortest episode reported as a cramp, seconds (default 3)")
    g.add_argument("--cramp-threshold", type=_probability, metavar="P",
                   help="probability, between 0 and 1, from which a burst counts as a cramp: counted, alarmed, in "
                        "the events CSV; a burst under it is still listed as a possible cramp (default 0.62, the "
                        "shipped model's). Higher: fewer false alarms, and fewer cramps counted. A monitored night "
                        "keeps the one it was monitored with, unless given again")
    g.add_argument("--mvc-uv", type=_mvc, metavar="UV",
                   help="envelope at maximal voluntary contraction, µV RMS: adds %%MVC to each episode")
    g.add_argument("--profile", metavar="PROFILE.json",
                   help="calibration profile with mvc_uv (and rest_uv), and the personal adjustment of the decision "
                        "that calibrate --learn fits; --mvc-uv overrides its mvc_uv")


FORCE_HELP = ("replace an output file that exists but is not this command's own earlier output (a recording, a "
              "truth file, another command's output); the command's own is replaced without it. Never written, "
              "--force or not: an input, or a file in a monitor night folder (one holding raw.json)")


def _add_force(p: argparse.ArgumentParser) -> None:
    """``--force``: the one rule for every command that writes files the user names."""
    p.add_argument("--force", action="store_true", help=FORCE_HELP)


def _analyze(sub) -> None:
    labels = ", ".join(dict.fromkeys(f.label for f in FORMATS.values()))
    a = sub.add_parser("analyze", help=f"find cramps in a recording ({labels})",
                       description="Stream a recording through the detector and list its cramps.")
    a.add_argument("file", help=f"recording: {formats_text()}, or a monitor night folder; a folder of recordings "
                                "or a quoted glob analyses them all (--jobs); a BIDS dataset (or a subject or "
                                "session in one), its _emg recordings")
    a.add_argument("--channel", help=f"channel name or 0-based index ({FIRST_CHANNEL}); 'all' or NAME,NAME "
                                     "for several muscles of one leg (a channel named TA/tib… is the tibialis)")
    a.add_argument("--fs", type=_positive, metavar="HZ", help="sampling rate, for files that do not carry one")
    a.add_argument("--stream", metavar="NAME", help="XDF: the stream to analyse, by name or type")
    a.add_argument("--scale", type=_scale, metavar="UV", help=SCALE_HELP)
    a.add_argument("--events", metavar="OUT.csv", help="write one row per cramp (owner-only file); possible cramps go to "
                                                       "--lm-events and --json, never here")
    a.add_argument("--lm-events", metavar="OUT.csv",
                   help="write each leg movement (AASM rules, with its PLM series), pre-cramp warning and "
                        "possible cramp (with its probability and reason)")
    a.add_argument("--json", action="store_true", help="print a machine-readable summary instead of the table")
    a.add_argument("--no-progress", action="store_true", help="no progress bar (nor a line per recording) on stderr")
    a.add_argument("--edf-out", metavar="COPY.edf", help="also write the channel as EDF+ with the cramps annotated")
    a.add_argument("--jobs", type=_count, default=1, help="recordings analysed in parallel in batch mode (default 1)")
    a.add_argument("--dask", metavar="ADDRESS", help="batch mode on a Dask cluster (scheduler address, or 'local')")
    _add_force(a)
    _add_detector_args(a)


def _demo(sub) -> None:
    d = sub.add_parser("demo", help="generate a synthetic night with known cramps, analyse it, score it",
                       description="Generate a night (seeded), write it as EDF+, analyse it, compare with truth.")
    _add_night_args(d)
    d.add_argument("--keep", type=_edf_out, metavar="NIGHT.edf",
                   help="keep the generated EDF+ here (and its .truth.json beside it)")
    _add_force(d)


MONITOR_EXIT = """exit status:
  0        the night ended with Ctrl-C and is stored whole
  128+N    it ended on signal N (143 SIGTERM, 129 SIGHUP) and is stored whole
  2        bad options or input, no data from the source, or no room for the night at the
           start (one line; no night folder is left behind); or the night ended early or
           cannot be analysed (the sensor changed, a channel flat all night): one line says why
  4        the night ran and was watched (alerts went out), but the disk (full, or a
           file-size limit) did not take all of it: the table is printed all the same and
           one line says what the night folder lacks; 4 is given however the night ended"""


def _monitor(sub) -> None:
    m = sub.add_parser("monitor",
                       help="watch a live sensor (serial, BLE, BrainFlow, LSL) or a replayed recording for cramps",
                       description="Monitor all night: status line, an alert per cramp, a crash-safe night folder.",
                       epilog=MONITOR_EXIT, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = m.add_mutually_exclusive_group(required=True)
    src.add_argument("--serial", metavar="PORT", help="serial port of the sensor, or 'auto' to find it by USB id")
    src.add_argument("--ble", metavar="NAME|ADDR", help="BLE sensor by address, name prefix, or 'auto' (by service)")
    src.add_argument("--replay", metavar="FILE", help="play a recording through the live path")
    src.add_argument("--brainflow", metavar="BOARD",
                     help="a BrainFlow board by name or id (cyton, ganglion, synthetic, …; the brainflow extra)")
    src.add_argument("--lsl", metavar="NAME|type=EMG",
                     help="a Lab Streaming Layer stream by name or property (the lsl extra)")
    m.add_argument("--lsl-out", nargs="?", const="emgcramp", metavar="PREFIX",
                   help="publish the envelope (x rest) and each event on Lab Streaming Layer as PREFIX-envelope "
                        "and PREFIX-markers (default prefix emgcramp; the lsl extra)")
    m.add_argument("--verbose", action="store_true",
                   help="let the Lab Streaming Layer library's own log lines through (silenced by default)")
    m.add_argument("--board-param", action="append", default=[], metavar="KEY=VALUE",
                   help="BrainFlow input parameter, repeatable (serial_port=/dev/ttyUSB0, mac_address=…)")
    m.add_argument("--speed", type=_speed, default=1.0,
                   help="replay speed, × real time (0: as fast as possible; default 1)")
    m.add_argument("--channel", help="replay, BrainFlow, LSL: channel name or index, 'all' or NAME,NAME")
    m.add_argument("--ascii", action="store_true", help="serial sends text lines of numbers (needs --fs, --scale)")
    m.add_argument("--baud", type=_baud, metavar="BPS",
                   help="serial: the port's rate (default 921600, the sensor's; an Arduino sketch's Serial.begin "
                        "rate behind a USB-serial bridge, such as 115200)")
    m.add_argument("--fs", type=_positive, metavar="HZ", help="sampling rate of --ascii lines or a replayed NPY")
    m.add_argument("--scale", type=_scale, metavar="UV", help="µV per count of --ascii lines or NPY/WAV values")
    m.add_argument("--out", metavar="DIR", default=".", help="where the night folder goes (default .)")
    m.add_argument("--on-cramp", type=_command, metavar="CMD", help="run this shell command on each alert "
                                                           "(EMGCRAMP_KIND: the cramp's kind, or 'warning')")
    m.add_argument("--muscles", metavar="NAME,NAME",
                   help="serial/BLE: names of the sensor's channels in order, e.g. GM,GL,TA "
                        "(default: calf, or ch0, ch1, … for several)")
    m.add_argument("--alert-on", choices=["cramp", "warning"], default="cramp",
                   help="'warning': also alert when a pre-cramp warning (rising tension, twitching) opens")
    m.add_argument("--give-up", type=_positive, metavar="S",
                   help="stop after this long without a connection, or without samples from a port that is open "
                        "(silent, or sending what makes none) (default: keep trying)")
    _add_detector_args(m)


def _emulate(sub) -> None:
    e = sub.add_parser("emulate", help="play a night as the sensor would, over a pseudo-terminal",
                       description="Sensor emulator: frames of the sensor protocol on a pseudo-terminal.")
    e.add_argument("file", nargs="?", help="recording to play (default: a synthetic night)")
    e.add_argument("--pty", metavar="PATH", type=_pty, default="./emgcramp-sensor",
                   help="symlink to the pseudo-terminal (default ./emgcramp-sensor)")
    e.add_argument("--speed", type=_speed, default=1.0, help="× real time (0: as fast as it is read; default 1)")
    _add_night_args(e, " (without a file)", file_rate=True)
    e.add_argument("--scale", type=_scale, metavar="UV", help="file: " + SCALE_HELP)
    e.add_argument("--channel", help=f"file: channel name or index, 'all' or NAME,NAME ({FIRST_CHANNEL})")


def _calibrate(sub) -> None:
    c = sub.add_parser("calibrate", help="measure rest (and maximal contraction) levels into a profile",
                       description="Write a calibration profile (rest_uv, mvc_uv) for %MVC and rest multiples. "
                                   "From a sensor: sit still for --rest-s, then contract as hard as you can "
                                   "for --mvc-s when told. From a file: give the windows in seconds.")
    csrc = c.add_mutually_exclusive_group(required=True)
    csrc.add_argument("--serial", metavar="PORT", help="serial port of the sensor, or 'auto' to find it by USB id")
    csrc.add_argument("--ble", metavar="NAME|ADDR", help="BLE sensor by address, name prefix, or 'auto'")
    csrc.add_argument("--file", metavar="REC", help="a recording with a rest stretch (and a contraction)")
    csrc.add_argument("--learn", metavar="NIGHTS", help="a folder of monitor nights with labels (labels.csv): "
                                                        "fit the person's own cramp decision to their answers "
                                                        "and write it into --out, keeping its levels")
    c.add_argument("--rest", metavar="START:END", help="file: the rest window, seconds")
    c.add_argument("--mvc", metavar="START:END", help="file: the maximal contraction window, seconds")
    c.add_argument("--rest-s", type=_positive, help=f"sensor: seconds of rest (default {CALIBRATE_REST_S:g})")
    c.add_argument("--mvc-s", type=_seconds,
                   help=f"sensor: seconds of contraction, 0 to skip (default {CALIBRATE_MVC_S:g})")
    c.add_argument("--baud", type=_baud, metavar="BPS", help="serial: the port's rate (default 921600)")
    c.add_argument("--ascii", action="store_true", help="serial sends text lines of numbers (needs --fs, --scale), "
                                                        "as monitor --ascii")
    c.add_argument("--channel", help="channel name or index (file)")
    c.add_argument("--fs", type=_positive, metavar="HZ", help="file: sampling rate when the file has none (NPY); "
                                                              "--ascii: the lines a second")
    c.add_argument("--scale", type=_scale, metavar="UV", help="file: " + SCALE_HELP + "; --ascii: µV per number")
    c.add_argument("--out", metavar="PROFILE.json", default="profile.json",
                   help="where the profile goes (default profile.json; an MVC already there is kept "
                        "when only rest is measured)")


def _recover(sub) -> None:
    r = sub.add_parser("recover", help="finish a night folder left by a stopped or killed monitor",
                       description="Analyse a night folder again and (re)write its own events.csv; --edf also "
                                   "writes an EDF+ copy, outside the night folder. The night is analysed with the "
                                   "settings it was monitored with (--mains, --min-duration, --cramp-threshold, "
                                   "--mvc-uv); an option given here replaces that one.")
    r.add_argument("folder", metavar="NIGHT_DIR", help="a night folder written by monitor")
    r.add_argument("--edf", metavar="OUT.edf", help="also write the recording as EDF+ (gaps as zeros, annotated), "
                                                    "outside the night folder")
    _add_detector_args(r)
    _add_force(r)


def _report(sub) -> None:
    rp = sub.add_parser("report", help="a night report: timeline, one zoom per cramp, table (HTML, PNG, PDF, SVG)",
                        description="Draw a night: the whole-night envelope with cramps shaded, a zoom panel per "
                                    "cramp, a signal-quality strip and a table of episodes.")
    rp.add_argument("file", help="the recording, or a monitor night folder")
    rp.add_argument("--events", metavar="CSV", help="episodes from an events CSV (default: analyse the file)")
    rp.add_argument("--out", metavar="REPORT", required=True, help="report.html (self-contained), .png, .pdf or .svg")
    rp.add_argument("--channel", help=f"channel name or index ({FIRST_CHANNEL}); 'all' or NAME,NAME: "
                                      "several muscles judged together, the first one drawn")
    rp.add_argument("--fs", type=_positive, metavar="HZ", help="sampling rate when the file has none (NPY)")
    rp.add_argument("--scale", type=_scale, metavar="UV", help=SCALE_HELP)
    _add_force(rp)
    _add_detector_args(rp)


def _trend(sub) -> None:
    tr = sub.add_parser("trend", help="cramps over many nights: per night, per month, time of night, intensity",
                        description="Read every events CSV under a folder (one per night) and summarise the trend.")
    tr.add_argument("folder", help="a folder of nights (events CSVs, one per night)")
    tr.add_argument("--out", metavar="TREND.png", help="plots (.png, .pdf or .svg)")
    tr.add_argument("--json", action="store_true", help="machine-readable summary")
    tr.add_argument("--cramp-threshold", type=_probability, metavar="P",
                    help="count only the cramps of probability P or more (0 to 1), so that nights judged at "
                         "different thresholds count alike (default: every cramp in the events)")
    _add_force(tr)


def _review(sub) -> None:
    from emgcramp.cli.review import add_parser  # the command's options beside it; loads no web framework

    add_parser(sub, _positive, _add_detector_args)


def _bench(sub) -> None:
    b = sub.add_parser("bench", help="score the detector on synthetic scenarios, or time the pipeline",
                       description="accuracy: every scenario through the pipeline (offline and live) against "
                                   "truth. speed: our filters against scipy's on the same signal.")
    b.add_argument("what", choices=["accuracy", "speed"], help="accuracy: score the detector; speed: time the filters")
    b.add_argument("--hours", type=_hours, default=8.0, help="length of each night (default 8)")
    b.add_argument("--seeds", type=_count, default=None, help="accuracy: nights per scenario (default 3)")
    b.add_argument("--scenario", action="append", metavar="NAME",
                   help="accuracy: only this scenario (repeatable): quiet, typical, frequent, noisy_electrodes, "
                        "weak_cramps, warned_cramps, short_cramps, long_cramp, hobby_500hz, mains_60hz, "
                        "restless_legs, light_sleep, restless_sleep, three_muscles")
    b.add_argument("--no-live", action="store_true", help="accuracy: skip the live-path replay")
    b.add_argument("--jobs", type=_count, default=None, help="accuracy: worker processes (default 2)")
    b.add_argument("--json", action="store_true", help="accuracy: JSON instead of a Markdown table")
    b.add_argument("--figure", metavar="OUT.png", help="accuracy: per-scenario F1 and timing errors (.png, .pdf or .svg)")
    _add_force(b)
    b.add_argument("--fs", type=_positive, default=None, help="speed: sampling rate (default 2000)")
    b.add_argument("--channels", type=_channels, default=None, help="speed: channels (default 1)")


def _simulate(sub) -> None:
    s = sub.add_parser("simulate", help="write a synthetic night as EDF+ with a truth JSON",
                       description="Write a seeded synthetic night (EDF+, truth as annotations) and NIGHT.truth.json.")
    s.add_argument("out", type=_edf_out, metavar="NIGHT.edf",
                   help="the EDF+ to write (its truth goes beside it as .truth.json)")
    _add_night_args(s)
    s.add_argument("--start", type=_clock, default=None, metavar="YYYY-MM-DDTHH:MM",
                   help="clock time of the first sample (default 2026-01-01T23:00; give successive "
                        "dates to successive nights)")
    s.add_argument("--calibration", action="store_true",
                   help="open the night as calibrate asks of a sensor: still, then 5 s of maximal push at "
                        "35-40 s (calibrate --file NIGHT.edf --rest 2:32 --mvc 35:40)")
    _add_force(s)


class _Version(argparse.Action):
    """``--version``: the release, and whether the kernels run compiled ahead of time or through Numba's JIT."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, help="show the version and how the kernels run, and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        from emgcramp.core import kernels

        aot, forced = kernels.ahead_of_time(), os.environ.get(kernels.FORCE_JIT_ENV, "") not in ("", "0")
        how = (f"compiled ahead of time ({aot.__name__})" if aot is not None else
               f"Numba's JIT ({kernels.FORCE_JIT_ENV}=1)" if forced else
               f"Numba's JIT (no {kernels.module_name()} module for these sources; `pip install .` builds it)")
        print(f"emgcramp {__version__}\nkernels: {how}")
        parser.exit()


class _OneLineParser(argparse.ArgumentParser):
    """Bad arguments are one line (and status 2), as every other bad input: the usage is a ``--help`` away."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def parse_args(self, args=None, namespace=None):  # type: ignore[override]
        """As argparse's, but an option the command does not know is said by that command's parser: its
        ``--help`` then lists what the command takes (``emgcramp --help`` lists the commands only)."""
        ns, extra = self.parse_known_args(args, namespace)
        if extra:
            commands = next((a.choices for a in self._actions if isinstance(a, argparse._SubParsersAction)), {})
            (commands.get(getattr(ns, "command", None)) or self).error(f"unrecognized arguments: {' '.join(extra)}")
        return ns


def build_parser() -> argparse.ArgumentParser:
    """The ``emgcramp`` parser with every command."""
    p = _OneLineParser(prog="emgcramp", description="Find muscle cramps in calf surface EMG.")
    p.add_argument("--version", action=_Version)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_analyze, _demo, _monitor, _emulate, _calibrate, _recover, _report, _trend, _review, _bench, _simulate):
        add(sub)
    return p


def _add_night_args(p: argparse.ArgumentParser, when: str = "", file_rate: bool = False) -> None:
    """``--hours``, ``--fs`` and ``--seed`` of a synthetic night; ``file_rate``: ``--fs`` is also a file's
    rate when it has none (then its default, 1000, is applied by the command)."""
    p.add_argument("--hours", type=_positive, default=8.0, help=f"length of the night{when} (default 8)")
    p.add_argument("--fs", type=_positive, default=None if file_rate else 1000.0,
                   help="sampling rate, Hz: of the synthetic night (default 1000), or of a file that has none (NPY)"
                   if file_rate else f"sampling rate, Hz{when} (default 1000)")
    p.add_argument("--seed", type=_seed, default=1,
                   help=f"random seed{when}: the same seed, the same night (default 1)")
