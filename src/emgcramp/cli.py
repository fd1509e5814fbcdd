"""Command line: ``emgcramp analyze | demo | simulate``.

Only argparse is imported up front; numba, scipy and the readers load inside
the command that needs them, so ``--help`` and bad input answer at once.
Every :class:`~emgcramp.errors.InputError` becomes one line on stderr and
exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import datetime

from emgcramp import __version__
from emgcramp.errors import InputError

EXIT_INPUT = 2
EXIT_INTERNAL = 3
CHUNK_S = 60.0
DEMO_START = datetime(2026, 1, 1, 23, 0, 0)


def _mains(value: str) -> str | float:
    if value in ("auto", "off"):
        return value
    if value in ("50", "60"):
        return float(value)
    raise argparse.ArgumentTypeError("choose 50, 60, auto or off")


def _positive(value: str) -> float:
    try:
        v = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be positive: {value}")
    return v


def _add_detector_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("signal chain and detector")
    g.add_argument("--mains", type=_mains, default="auto",
                   help="mains notch: 50, 60, auto (find hum in the first 8 s) or off (default auto)")
    g.add_argument("--min-duration", type=_positive, metavar="S",
                   help="shortest episode reported as a cramp, seconds (default 3)")
    g.add_argument("--mvc-uv", type=_positive, metavar="UV",
                   help="envelope at maximal voluntary contraction, µV RMS: adds %%MVC to each episode")
    g.add_argument("--profile", metavar="PROFILE.json",
                   help="calibration profile with mvc_uv (and rest_uv); --mvc-uv overrides it")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="emgcramp", description="Find muscle cramps in calf surface EMG.")
    p.add_argument("--version", action="version", version=f"emgcramp {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    a = sub.add_parser("analyze", help="find cramps in a recording (EDF/BDF, CSV/TXT, NPY, WAV)",
                       description="Stream a recording through the detector and list its cramps.")
    a.add_argument("file", help="recording: .edf/.bdf, .csv/.tsv/.txt, .npy or .wav")
    a.add_argument("--channel", help="channel name or 0-based index (default: the first)")
    a.add_argument("--fs", type=float, metavar="HZ", help="sampling rate, for files that do not carry one")
    a.add_argument("--scale", type=float, metavar="UV",
                   help="µV per file unit for NPY, WAV and unit-less text columns (default 1: values are µV)")
    a.add_argument("--events", metavar="OUT.csv", help="write one row per episode (owner-only file)")
    a.add_argument("--json", action="store_true", help="print a machine-readable summary instead of the table")
    a.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    _add_detector_args(a)

    d = sub.add_parser("demo", help="generate a synthetic night with known cramps, analyse it, score it",
                       description="Generate a night (seeded), write it as EDF+, analyse it, compare with truth.")
    d.add_argument("--hours", type=_positive, default=8.0, help="length of the night (default 8)")
    d.add_argument("--fs", type=_positive, default=1000.0, help="sampling rate, Hz (default 1000)")
    d.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    d.add_argument("--keep", metavar="NIGHT.edf", help="keep the generated EDF+ here")

    m = sub.add_parser("monitor", help="watch a live sensor (serial) or a replayed recording for cramps",
                       description="Monitor all night: status line, an alert per cramp, a crash-safe night folder.")
    src = m.add_mutually_exclusive_group(required=True)
    src.add_argument("--serial", metavar="PORT", help="serial port of the sensor, or 'auto' to find it by USB id")
    src.add_argument("--ble", metavar="NAME|ADDR", help="BLE sensor by address, name prefix, or 'auto' (by service)")
    src.add_argument("--replay", metavar="FILE", help="play a recording through the live path")
    m.add_argument("--speed", type=float, default=1.0, help="replay speed, × real time (0: as fast as possible)")
    m.add_argument("--channel", help="replay: channel name or index")
    m.add_argument("--ascii", action="store_true", help="serial sends text lines of numbers (needs --fs, --scale)")
    m.add_argument("--fs", type=float, metavar="HZ", help="sampling rate of --ascii lines or a replayed NPY")
    m.add_argument("--scale", type=float, metavar="UV", help="µV per count of --ascii lines or NPY/WAV values")
    m.add_argument("--out", metavar="DIR", default=".", help="where the night folder goes (default .)")
    m.add_argument("--on-cramp", metavar="CMD", help="run this shell command on each cramp alert")
    m.add_argument("--give-up", type=_positive, metavar="S",
                   help="stop after this long without a connection (default: keep trying)")
    _add_detector_args(m)

    e = sub.add_parser("emulate", help="play a night as the sensor would, over a pseudo-terminal",
                       description="Sensor emulator: frames of the sensor protocol on a pseudo-terminal.")
    e.add_argument("file", nargs="?", help="recording to play (default: a synthetic night)")
    e.add_argument("--pty", metavar="PATH", default="./emgcramp-sensor", help="symlink to the pseudo-terminal")
    e.add_argument("--speed", type=float, default=1.0, help="× real time (0: as fast as it is read)")
    e.add_argument("--hours", type=_positive, default=8.0)
    e.add_argument("--fs", type=_positive, default=1000.0)
    e.add_argument("--seed", type=int, default=1)

    c = sub.add_parser("calibrate", help="measure rest (and maximal contraction) levels into a profile",
                       description="Write a calibration profile (rest_uv, mvc_uv) for %%MVC and rest multiples. "
                                   "From a sensor: sit still for --rest-s, then contract as hard as you can "
                                   "for --mvc-s when told. From a file: give the windows in seconds.")
    csrc = c.add_mutually_exclusive_group(required=True)
    csrc.add_argument("--serial", metavar="PORT")
    csrc.add_argument("--ble", metavar="NAME|ADDR")
    csrc.add_argument("--file", metavar="REC", help="a recording with a rest stretch (and a contraction)")
    c.add_argument("--rest", metavar="START:END", help="file: the rest window, seconds")
    c.add_argument("--mvc", metavar="START:END", help="file: the maximal contraction window, seconds")
    c.add_argument("--rest-s", type=_positive, default=30.0, help="sensor: seconds of rest (default 30)")
    c.add_argument("--mvc-s", type=float, default=5.0, help="sensor: seconds of contraction, 0 to skip (default 5)")
    c.add_argument("--channel", help="channel name or index (file)")
    c.add_argument("--fs", type=float, metavar="HZ")
    c.add_argument("--out", metavar="PROFILE.json", default="profile.json")

    r = sub.add_parser("recover", help="finish a night folder left by a stopped or killed monitor",
                       description="Analyse a night folder again and write its events.csv (and an EDF+ copy).")
    r.add_argument("folder", metavar="NIGHT_DIR")
    r.add_argument("--edf", metavar="OUT.edf", help="also write the recording as EDF+ (gaps as zeros, annotated)")

    s = sub.add_parser("simulate", help="write a synthetic night as EDF+ with a truth JSON",
                       description="Write a seeded synthetic night (EDF+, truth as annotations) and NIGHT.truth.json.")
    s.add_argument("out", metavar="NIGHT.edf")
    s.add_argument("--hours", type=_positive, default=8.0)
    s.add_argument("--fs", type=_positive, default=1000.0)
    s.add_argument("--seed", type=int, default=1)
    return p


class _Progress:
    """A one-line progress bar on stderr, shown only on a terminal."""

    def __init__(self, total_samples: int | None, fs: float, enabled: bool):
        self.total, self.fs = total_samples, fs
        self.enabled = enabled and sys.stderr.isatty() and bool(total_samples)

    def __call__(self, done: int) -> None:
        if self.enabled:
            frac = min(done / self.total, 1.0)
            bar = "#" * int(30 * frac)
            sys.stderr.write(f"\ranalyze [{bar:<30}] {100 * frac:5.1f}%  {done / self.fs / 3600:.2f} h")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def _config(args: argparse.Namespace):
    from emgcramp.detect import DetectorConfig
    from emgcramp.pipeline import PipelineConfig

    mvc = getattr(args, "mvc_uv", None)
    if mvc is None and getattr(args, "profile", None):
        from emgcramp.profile import load_profile

        mvc = load_profile(args.profile).get("mvc_uv")
    det = DetectorConfig().replace(min_duration_s=getattr(args, "min_duration", None), mvc_uv=mvc)
    return PipelineConfig(mains=getattr(args, "mains", "auto"), detector=det)


def _analyze_file(path: str, args: argparse.Namespace, channel: str | None = None, start: datetime | None = None):
    from emgcramp.io import open_recording
    from emgcramp.io.base import check_fs

    with open_recording(path, args.fs, getattr(args, "scale", None)) as rec:
        ch = rec.channel_index(channel)
        fs = check_fs(rec.fs)
        from emgcramp.pipeline import run_blocks  # numba and scipy load only for a usable input

        progress = _Progress(rec.n_samples, fs, not getattr(args, "no_progress", False))
        try:
            result = run_blocks(rec.blocks([ch], int(CHUNK_S * fs)), fs, [rec.channel_names[ch]],
                                _config(args), progress)
        finally:
            progress.close()
        return result, start or rec.start


def _print_table(episodes, start: datetime | None) -> None:
    from emgcramp.io.events import episode_row

    if not episodes:
        print("no cramps found")
        return
    print(f"{'onset':>10} {'clock':>8} {'duration':>9} {'kind':<7} {'peak µV':>8} {'mean µV':>8} {'×rest':>6}")
    for e in episodes:
        clock = episode_row(e, start)["onset_clock"][11:] or "-"
        print(f"{e.onset_s:9.1f}s {clock:>8} {e.duration_s:8.1f}s {e.kind:<7} {e.peak_intensity:8.1f} "
              f"{e.mean_intensity:8.1f} {e.peak_x_rest:6.1f}")


def cmd_analyze(args: argparse.Namespace) -> int:
    import json

    from emgcramp.io.secure import check_writable

    if args.events:
        check_writable(args.events)
    if args.profile:
        from emgcramp.profile import load_profile

        load_profile(args.profile)  # a bad profile fails before the run, not after
    result, start = _analyze_file(args.file, args, args.channel)
    if args.events:
        from emgcramp.io.events import write_events_csv

        write_events_csv(args.events, result.episodes, start)
    if args.json:
        print(json.dumps(result.summary(), indent=2, default=float))
    else:
        _print_table(result.episodes, start)
        s = result.summary()
        print(f"{s['episodes']} cramp(s) in {s['duration_s'] / 3600:.2f} h "
              f"({s['tonic']} tonic, {s['clonic']} clonic), total {s['total_cramp_s']:.1f} s")
    return 0


def _write_night(path: str, spec):
    from emgcramp.io.edf import write_edf
    from emgcramp.io.events import write_json
    from emgcramp.synth import NightGenerator

    gen = NightGenerator(spec)  # returned: the caller reports its truth
    notes = [(e.onset_s, e.offset_s - e.onset_s, f"truth:{e.kind}") for e in gen.events]
    write_edf(path, spec.fs, ["calf"], (s[:, None] for s in gen.segments()), notes, DEMO_START)
    write_json(os.path.splitext(path)[0] + ".truth.json", gen.truth_dict())
    return gen


def _night_spec(args: argparse.Namespace):
    from emgcramp.synth import NightSpec

    if args.fs != int(args.fs):
        raise InputError("--fs must be a whole number of Hz for EDF output")
    return NightSpec(hours=args.hours, fs=args.fs, seed=args.seed)


def cmd_simulate(args: argparse.Namespace) -> int:
    from emgcramp.io.secure import check_writable

    check_writable(args.out)
    gen = _write_night(args.out, _night_spec(args))
    cramps = sum(e.is_cramp for e in gen.events)
    print(f"wrote {args.out} ({args.hours:g} h at {args.fs:g} Hz, {cramps} cramps, "
          f"{len(gen.events) - cramps} look-alikes) and its .truth.json")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from emgcramp.score import match, median_abs

    spec = _night_spec(args)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or os.path.join(tmp, "demo_night.edf")
        print(f"generating a {spec.hours:g}-hour synthetic night at {spec.fs:g} Hz (seed {spec.seed}) …")
        gen = _write_night(path, spec)
        print(f"analysing {os.path.basename(path)} …")
        args.scale, args.no_progress = None, False
        args.mains, args.min_duration, args.mvc_uv, args.profile, args.fs = "auto", None, None, None, None
        result, start = _analyze_file(path, args)
    truth = [e for e in gen.events if e.is_cramp]
    det = result.episodes
    sc = match([(t.onset_s, t.offset_s, t.kind) for t in truth], [(e.onset_s, e.offset_s, e.kind) for e in det])
    _print_comparison(truth, det, sc, start)
    lookalikes = len(gen.events) - len(truth)
    print(f"\nsensitivity {sc.sensitivity:.2f}  precision {sc.precision:.2f}  F1 {sc.f1:.2f}  "
          f"median onset error {median_abs(sc.onset_errors_s):.2f} s  "
          f"({lookalikes} look-alikes in the night, {sc.fp} counted as cramps)")
    return 0


def _print_comparison(truth, det, sc, start: datetime) -> None:
    from datetime import timedelta

    by_truth = dict(sc.pairs)
    print(f"\n{'':2}{'truth clock':>11} {'dur s':>7} {'kind':<7} {'µV':>5} | {'found clock':>11} {'dur s':>7} "
          f"{'kind':<7} {'peak µV':>7} {'mean µV':>7}")

    def clock(t: float) -> str:
        return (start + timedelta(seconds=t)).strftime("%H:%M:%S")

    for i, t in enumerate(truth):
        left = f"  {clock(t.onset_s):>11} {t.offset_s - t.onset_s:7.1f} {t.kind:<7} {t.amplitude_uv:5.0f}"
        if i in by_truth:
            e = det[by_truth[i]]
            right = (f"{clock(e.onset_s):>11} {e.duration_s:7.1f} {e.kind:<7} {e.peak_intensity:7.1f} "
                     f"{e.mean_intensity:7.1f}")
        else:
            right = f"{'missed':>11}"
        print(f"{left} | {right}")
    matched = set(by_truth.values())
    for j, e in enumerate(det):
        if j not in matched:
            print(f"  {'(none)':>11} {'':7} {'':7} {'':5} | {clock(e.onset_s):>11} {e.duration_s:7.1f} "
                  f"{e.kind:<7} {e.peak_intensity:7.1f} {e.mean_intensity:7.1f}  false alarm")


def _status_line(state: dict, connected: bool) -> str:
    h, rem = divmod(int(state["t_s"]), 3600)
    if not state["channels"]:
        return f"{h:02d}:{rem // 60:02d}:{rem % 60:02d} starting (measuring mains hum)"
    ch = state["channels"][0]
    rest = ch["rest_uv"] or float("nan")
    if ch["open"] is not None:
        what = f"ACTIVE {ch['open'].duration_s:5.1f} s" + (f" ({ch['kind']})" if ch["kind"] else "")
    else:
        what = "idle"
    link = "link ok" if connected else "RECONNECTING"
    return (f"{h:02d}:{rem // 60:02d}:{rem % 60:02d} {link:<12} envelope {ch['level_uv']:7.1f} µV "
            f"= {ch['level_uv'] / rest:5.1f}× rest {rest:5.1f} µV  {what:<24} cramps {state['cramps']} "
            f"gaps {state['gaps']}")


def _monitor_source(args: argparse.Namespace):
    if args.replay:
        from emgcramp.io import open_recording
        from emgcramp.io.base import check_fs
        from emgcramp.sources.replay import ReplaySource

        rec = open_recording(args.replay, args.fs, args.scale)
        ch = rec.channel_index(args.channel)
        check_fs(rec.fs)
        return ReplaySource(rec, [ch], args.speed), [rec.channel_names[ch]]
    if args.ble:
        from emgcramp.sources.ble import BleSource

        return BleSource(args.ble, give_up_s=args.give_up), ["calf"]
    from emgcramp.sources.ascii import LineLink
    from emgcramp.sources.serial import SerialSource, find_port

    link = None
    if args.ascii:
        from emgcramp.io.base import check_fs

        link = LineLink(check_fs(args.fs), args.scale if args.scale is not None else 1.0)
    port = find_port() if args.serial == "auto" else args.serial
    return SerialSource(port, link, give_up_s=args.give_up), ["calf"]


def cmd_monitor(args: argparse.Namespace) -> int:
    import subprocess
    from datetime import datetime

    source, channels = _monitor_source(args)
    folder = os.path.join(args.out, datetime.now().strftime("night-%Y%m%d-%H%M%S"))
    from emgcramp.io.secure import check_writable

    check_writable(folder)
    from emgcramp.monitor import run_monitor

    tty = sys.stderr.isatty()

    def on_status(state: dict) -> None:
        line = _status_line(state, getattr(source, "connected", True))
        sys.stderr.write(("\r" + line) if tty else line + "\n")
        sys.stderr.flush()

    def on_alert(alert) -> None:
        sys.stderr.write(f"\a\n*** cramp ({alert.kind}) on {alert.channel} since {alert.onset_s:.1f} s, "
                         f"{alert.peak_uv:.0f} µV\n")
        if args.on_cramp:
            subprocess.Popen(args.on_cramp, shell=True, env=os.environ | {
                "EMGCRAMP_ONSET_S": f"{alert.onset_s:.3f}", "EMGCRAMP_KIND": alert.kind})

    what = f"replay of {args.replay}" if args.replay else f"BLE {args.ble}" if args.ble else args.serial
    sys.stderr.write(f"monitoring {what}; "
                     f"night folder {folder}; Ctrl-C ends the night\n")
    try:
        result = run_monitor(source.blocks(), lambda: source.fs, channels, folder, _config(args),
                             on_alert, on_status)
    except ConnectionError as e:
        raise InputError(f"{e}: is the sensor on and in reach?") from None
    if tty:
        sys.stderr.write("\n")
    from emgcramp.io.events import write_events_csv
    from emgcramp.io.night import NightRecording

    write_events_csv(os.path.join(folder, "events.csv"), result.analysis.episodes, NightRecording(folder).start)
    _print_table(result.analysis.episodes, NightRecording(folder).start)
    s = result.analysis.summary()
    print(f"{s['episodes']} cramp(s) in {s['duration_s'] / 3600:.2f} h, {len(result.alerts)} alert(s); "
          f"night folder {folder}")
    return 0


def cmd_emulate(args: argparse.Namespace) -> int:
    from emgcramp.emulator import PtyPort, SensorEmulator, play

    if args.file:
        from emgcramp.io import open_recording
        from emgcramp.io.base import check_fs

        rec = open_recording(args.file)
        fs = check_fs(rec.fs)
        segments = (b.samples for b in rec.blocks([0], int(fs)))
    else:
        from emgcramp.synth import NightGenerator

        spec = _night_spec(args)
        fs, segments = spec.fs, NightGenerator(spec).segments()
    port = PtyPort(args.pty)
    print(f"sensor emulator on {args.pty} -> {os.readlink(args.pty)} at {fs:g} Hz, × {args.speed:g}; "
          f"Ctrl-C stops", flush=True)
    try:
        frames = play(SensorEmulator(segments, fs), port, args.speed)
    finally:
        port.close()
    print(f"sent {frames} frames")
    return 0


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
    from emgcramp.io.secure import check_writable

    check_writable(args.out)
    if args.file:
        from emgcramp.io import open_recording
        from emgcramp.io.base import check_fs

        rest = _window(args.rest, "rest")
        if rest is None:
            raise InputError("calibrating from a file needs --rest START:END")
        windows = {"rest": rest} | ({"mvc": w} if (w := _window(args.mvc, "mvc")) else {})
        with open_recording(args.file, args.fs) as rec:
            ch = rec.channel_index(args.channel)
            fs = check_fs(rec.fs)
            from emgcramp.calibrate import collect, make_profile

            parts = collect(rec.blocks([ch], int(fs)), fs, windows)
            name = rec.channel_names[ch]
    else:
        args.replay, args.ascii, args.scale, args.give_up = None, False, None, None
        source, (name,) = _monitor_source(args)
        settle, ready = 2.0, 3.0
        windows = {"rest": (settle, settle + args.rest_s)}
        if args.mvc_s > 0:
            start = settle + args.rest_s + ready
            windows["mvc"] = (start, start + args.mvc_s)
        print(f"sit or lie still, leg relaxed, for {args.rest_s:g} s …", flush=True)
        if "mvc" in windows:
            print(f"then, at the signal, point the foot down as hard as you can for {args.mvc_s:g} s", flush=True)
        from emgcramp.calibrate import collect, make_profile

        def announced(blocks):
            told = False
            for b in blocks:
                if not told and "mvc" in windows and b.t0_sample / source.fs >= windows["mvc"][0] - ready:
                    print("\aNOW: contract as hard as you can", flush=True)
                    told = True
                yield b

        parts = collect(announced(source.blocks()), source.fs or 1.0, windows)
        source.stop.set()
        fs = source.fs
    if len(parts["rest"]) < fs:
        raise InputError("the rest window holds less than 1 s of signal")
    profile = make_profile(parts["rest"], fs, parts.get("mvc"), name)
    from emgcramp.io.events import write_json

    write_json(args.out, profile)
    mvc = f", MVC {profile['mvc_uv']:.1f} µV" if "mvc_uv" in profile else ""
    print(f"rest {profile['rest_uv']:.2f} µV{mvc} -> {args.out}")
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    from emgcramp.io.events import write_events_csv
    from emgcramp.io.night import NightRecording, read_events
    from emgcramp.pipeline import run_blocks

    rec = NightRecording(args.folder)
    names = rec.channel_names
    result = run_blocks(rec.blocks(list(range(len(names))), int(CHUNK_S * rec.fs)), rec.fs, names)
    write_events_csv(os.path.join(args.folder, "events.csv"), result.episodes, rec.start)
    if args.edf:
        from emgcramp.io.edf import write_edf

        notes = [(e.onset_s, e.duration_s, f"cramp:{e.kind}") for e in result.episodes]
        for b in rec.blocks(list(range(len(names))), int(CHUNK_S * rec.fs)):
            if b.gap_before:
                notes.append(((b.t0_sample - b.gap_before) / rec.fs, b.gap_before / rec.fs, "gap:no signal"))
        write_edf(args.edf, rec.fs, names, rec.filled(list(range(len(names))), int(CHUNK_S * rec.fs)), notes,
                  rec.start)
    ended = any(e.get("type") == "end" for e in read_events(args.folder))
    print(f"{args.folder}: {result.duration_s / 3600:.2f} h kept, {len(result.episodes)} cramp(s)"
          f"{'' if ended else ' (the monitor had not finished: recovered)'}; events.csv written"
          + (f", {args.edf}" if args.edf else ""))
    return 0


COMMANDS = {"analyze": cmd_analyze, "demo": cmd_demo, "simulate": cmd_simulate, "monitor": cmd_monitor,
            "emulate": cmd_emulate, "calibrate": cmd_calibrate, "recover": cmd_recover}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``emgcramp`` console script; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_INPUT
    try:
        return COMMANDS[args.command](args)
    except InputError as e:
        print(f"emgcramp: error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("emgcramp: interrupted", file=sys.stderr)
        return 130
    except OSError as e:
        print(f"emgcramp: error: {e.strerror or e}: {e.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_INPUT
    except Exception as e:  # a bug: say so in one line; EMGCRAMP_DEBUG=1 shows the traceback
        if os.environ.get("EMGCRAMP_DEBUG"):
            raise
        print(f"emgcramp: internal error: {type(e).__name__}: {e} (set EMGCRAMP_DEBUG=1 for details)",
              file=sys.stderr)
        return EXIT_INTERNAL
