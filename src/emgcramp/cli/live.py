"""Live commands: monitor a sensor, emulate one, calibrate, recover a night folder."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import time
from typing import TYPE_CHECKING

from emgcramp.analyze import CHUNK_S
from emgcramp.cli.common import detector_config, night_spec, print_table
from emgcramp.core.errors import InputError

CALIBRATE_SILENT_S = 5.0  # a calibration gives up after this long without a sample

if TYPE_CHECKING:
    from emgcramp.live.sources.base import Source


def _status_line(state: dict, connected: bool, lead_off: int = 0, problem: str = "") -> str:
    h, rem = divmod(int(state["t_s"]), 3600)
    if state.get("preparing"):
        return f"{h:02d}:{rem // 60:02d}:{rem % 60:02d} preparing filters (the first run compiles them, a few seconds)"
    if not state["channels"]:
        waiting = f"waiting for the sensor: {problem}" if problem else "starting (measuring mains hum)"
        return f"{h:02d}:{rem // 60:02d}:{rem % 60:02d} {waiting}"
    if problem and not connected:
        return f"{h:02d}:{rem // 60:02d}:{rem % 60:02d} RECONNECTING: {problem}  cramps {state['cramps']}"
    ch = state["channels"][0]
    rest = ch["rest_uv"] or float("nan")
    if ch["open"] is not None:
        what = f"ACTIVE {ch['open'].duration_s:5.1f} s" + (f" ({ch['kind']})" if ch["kind"] else "")
    elif ch.get("warning_since") is not None:
        what = f"WARNING {state['t_s'] - ch['warning_since']:5.1f} s"
    else:
        what = "idle"
    link = "RECONNECTING" if not connected else "LEAD-OFF" if lead_off else "link ok"
    stored = "" if state.get("not_stored_since") is None else "  NOT STORED"
    return (f"{h:02d}:{rem // 60:02d}:{rem % 60:02d} {link:<12} envelope {ch['level_uv']:7.1f} µV "
            f"= {ch['level_uv'] / rest:5.1f}× rest {rest:5.1f} µV  {what:<24} cramps {state['cramps']} "
            f"gaps {state['gaps']}{stored}")


def _monitor_source(args: argparse.Namespace) -> "tuple[Source, list[str]]":
    if args.replay:
        from emgcramp.core.blocks import check_fs
        from emgcramp.io import open_recording
        from emgcramp.live.sources.replay import ReplaySource

        rec = open_recording(args.replay, args.fs, args.scale)
        chs = rec.channel_indices(args.channel)
        check_fs(rec.fs)
        return ReplaySource(rec, chs, args.speed), [rec.channel_names[c] for c in chs]
    if args.ble:
        from emgcramp.live.sources.ble import BleSource

        return BleSource(args.ble, give_up_s=args.give_up), _muscles(args)
    from emgcramp.live.sources.ascii import LineLink
    from emgcramp.live.sources.serial import SerialSource, find_port

    link = None
    if args.ascii:
        from emgcramp.core.blocks import check_fs

        link = LineLink(check_fs(args.fs), args.scale if args.scale is not None else 1.0)
    port = find_port() if args.serial == "auto" else args.serial
    return SerialSource(port, link, give_up_s=args.give_up), _muscles(args)


def _muscles(args: argparse.Namespace) -> list[str]:
    """Channel names given with ``--muscles``; ``[]`` lets the monitor name them from the first frame."""
    names = [n.strip() for n in (getattr(args, "muscles", None) or "").split(",") if n.strip()]
    if len(set(names)) != len(names):
        raise InputError(f"--muscles {args.muscles}: a name is given twice")
    return names


def cmd_monitor(args: argparse.Namespace) -> int:
    import subprocess
    from datetime import datetime

    source, channels = _monitor_source(args)
    from emgcramp.io.night import new_night_folder

    folder = new_night_folder(args.out, datetime.now())
    from emgcramp.live.monitor import run_monitor

    tty = sys.stderr.isatty()

    told = []

    def on_status(state: dict) -> None:
        since = state.get("not_stored_since")
        if since is not None and not told:
            told.append(since)
            sys.stderr.write(f"\a\n*** the night is NOT being stored since {since:.0f} s ({state['store_error']}): "
                             "cramps are still detected and alerted; storing is tried again every minute\n")
        elif since is None and told:
            told.clear()
            sys.stderr.write("\n*** storing again; what was missed is marked as a gap\n")
        line = _status_line(state, source.connected, source.lead_off, source.problem)
        sys.stderr.write(("\r" + line) if tty else line + "\n")
        sys.stderr.flush()

    def on_alert(alert) -> None:
        since = alert.onset_clock or f"{alert.onset_s:.1f} s"
        if alert.kind == "warning":
            sys.stderr.write(f"\a\n*** warning: calf tension rising on {alert.channel} since {since}, "
                             f"{alert.peak_uv:.0f} µV\n")
        else:
            sys.stderr.write(f"\a\n*** cramp ({alert.kind}) on {alert.channel} since {since}, "
                             f"{alert.peak_uv:.0f} µV\n")
        if args.on_cramp:
            subprocess.Popen(args.on_cramp, shell=True, env=os.environ | {
                "EMGCRAMP_ONSET_S": f"{alert.onset_s:.3f}", "EMGCRAMP_KIND": alert.kind})

    what = f"replay of {args.replay}" if args.replay else f"BLE {args.ble}" if args.ble else args.serial
    sys.stderr.write(f"monitoring {what}; "
                     f"night folder {folder}; Ctrl-C ends the night\n")
    ended_by = _end_on_signals(source.stop)
    try:
        result = run_monitor(source.blocks(), lambda: source.fs, channels, folder, detector_config(args),
                             on_alert, on_status, alert_on_warning=args.alert_on == "warning",
                             start=getattr(source, "start", None))
    except ConnectionError as e:
        with contextlib.suppress(OSError):
            os.rmdir(folder)  # the night never began: leave no empty folder
        raise InputError(f"{e}: is the sensor on and in reach?") from None
    if tty:
        sys.stderr.write("\n")
    from emgcramp.io.events import write_events_csv
    from emgcramp.io.night import NightRecording

    start = NightRecording(folder).start
    write_events_csv(os.path.join(folder, "events.csv"), result.analysis.episodes, start)
    print_table(result.analysis.episodes, start)
    s = result.analysis.summary()
    print(f"{s['n_episodes']} cramp(s) in {s['duration_s'] / 3600:.2f} h, {len(result.alerts)} alert(s); "
          f"night folder {folder}")
    from emgcramp.pipeline import activity_line

    print(activity_line(s))
    # Ctrl-C is the documented way to end a night; a supervisor's signal is reported as such.
    return 0 if ended_by in ([], [signal.SIGINT]) else 128 + ended_by[0]


def _end_on_signals(stop) -> list[int]:
    """Make SIGINT, SIGTERM and SIGHUP end the night cleanly: the source stops, the night is closed and summarised.

    Returns the list the first signal's number is put in. A second Ctrl-C
    interrupts at once.
    """
    got: list[int] = []

    def handler(signum, frame) -> None:
        if not got:
            got.append(signum)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            sys.stderr.write(f"\nending the night ({signal.Signals(signum).name}) …\n")
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, handler)
    return got


def cmd_emulate(args: argparse.Namespace) -> int:
    from emgcramp.sim.emulator import PtyPort, SensorEmulator, play

    if args.file:
        from emgcramp.core.blocks import check_fs
        from emgcramp.io import open_recording

        rec = open_recording(args.file)
        fs = check_fs(rec.fs)
        segments = (b.samples for b in rec.blocks(rec.channel_indices(args.channel), int(fs)))
    else:
        from emgcramp.sim.synth import NightGenerator

        spec = night_spec(args)
        fs, segments = spec.fs, NightGenerator(spec).segments()
    port = PtyPort(args.pty)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stopped like Ctrl-C: the link is removed
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

    check_writable(args.out, [args.file] if args.file else [])
    if args.file:
        from emgcramp.core.blocks import check_fs
        from emgcramp.io import open_recording

        rest = _window(args.rest, "rest")
        if rest is None:
            raise InputError("calibrating from a file needs --rest START:END")
        windows = {"rest": rest} | ({"mvc": w} if (w := _window(args.mvc, "mvc")) else {})
        with open_recording(args.file, args.fs) as rec:
            ch = rec.channel_index(args.channel)
            fs = check_fs(rec.fs)
            from emgcramp.live.calibrate import collect, make_profile

            parts = collect(rec.blocks([ch], int(fs)), lambda: fs, windows)
            name = rec.channel_names[ch]
    else:
        args.replay, args.ascii, args.scale, args.give_up = None, False, None, None
        args.muscles = None
        source, _ = _monitor_source(args)
        name = "calf"
        settle, ready = 2.0, 3.0
        windows = {"rest": (settle, settle + args.rest_s)}
        if args.mvc_s > 0:
            start = settle + args.rest_s + ready
            windows["mvc"] = (start, start + args.mvc_s)
        from emgcramp.live.calibrate import collect, make_profile

        def instructions() -> None:
            print(f"sit or lie still, leg relaxed, for {args.rest_s:g} s …", flush=True)
            if "mvc" in windows:
                print(f"then, at the signal, point the foot down as hard as you can for {args.mvc_s:g} s", flush=True)

        def announced(blocks):
            told, data_at, started = False, time.monotonic(), False
            for b in blocks:
                if b is not None and not started:  # the sensor is there: now the instructions mean something
                    started = True
                    instructions()
                if b is None:  # nothing from the sensor: give up rather than wait for ever
                    problem = getattr(source, "problem", "")
                    if "does not exist" in problem or "permission" in problem or \
                            time.monotonic() - data_at > CALIBRATE_SILENT_S:
                        source.stop.set()
                        raise InputError(f"no signal from the sensor: {problem or 'nothing arrived'}")
                    continue
                data_at = time.monotonic()
                if not told and "mvc" in windows and b.t0_sample / source.fs >= windows["mvc"][0] - ready:
                    print("\aNOW: contract as hard as you can", flush=True)
                    told = True
                yield b

        parts = collect(announced(source.blocks()), lambda: source.fs, windows)
        source.stop.set()
        fs = source.fs
    if len(parts["rest"]) < fs:
        raise InputError("the rest window holds less than 1 s of signal")
    profile = make_profile(parts["rest"], fs, parts.get("mvc"), name)
    if os.path.exists(args.out):
        from emgcramp.live.calibrate import keep_unmeasured

        profile = keep_unmeasured(profile, args.out)  # a rest-only calibration keeps the MVC on file
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
