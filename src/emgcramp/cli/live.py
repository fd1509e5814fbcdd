"""Live commands: monitor a sensor, emulate one."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading

from emgcramp.cli.common import EXIT_NOT_STORED, detector_config, night_spec, print_table, span_text
from emgcramp.cli.sources import monitor_source
from emgcramp.cli.status import (
    AlertPrinter,
    night_outbox,
    retraction_line,
    say,
    status_printer,
    stopped_early,
    unwatched,
)
from emgcramp.core.blocks import MIN_SIGNAL_S
from emgcramp.core.errors import InputError


def cmd_monitor(args: argparse.Namespace) -> int:
    from datetime import datetime

    source, channels = monitor_source(args)
    config = detector_config(args)  # a bad option or profile: one line, before any folder is made
    publisher = None
    if args.lsl_out:  # before the night folder: a missing extra is one line and leaves nothing behind
        from emgcramp.live.lsl_out import LslPublisher

        publisher = LslPublisher(channels, args.lsl_out, verbose=getattr(args, "verbose", False))
    from emgcramp.io.night import new_night_folder

    # A replay is the recording's own night, on its clock; one without a start has none (no time is made up).
    clock = not args.replay or source.start is not None
    what = (f"replay of {args.replay}" if args.replay else f"BLE {args.ble}" if args.ble
            else f"BrainFlow board {args.brainflow}" if args.brainflow
            else f"LSL stream {args.lsl}" if args.lsl else args.serial)
    args.out_made = _first_missing(args.out)  # made for this night: it goes with a night that never began
    folder = new_night_folder(args.out, source.start or datetime.now() if clock else None,
                              os.path.splitext(os.path.basename(os.path.normpath(args.replay or "")))[0])
    with night_outbox():  # from here on, nothing the night says waits for a reader of stderr
        try:
            say(f"monitoring {what}; night folder {folder}; Ctrl-C ends the night\n")
            ending = _SignalsEnd(source.stop, folder)
        except KeyboardInterrupt:  # Ctrl-C before its handler was in place: no empty folder left behind
            _remove_if_empty(folder, args.out_made)
            raise
        alarms = AlertPrinter(args.on_cramp)
        try:
            with ending:
                try:
                    return _night(args, source, channels, config, publisher, folder, clock, ending.got, alarms)
                finally:  # after the night's table: a second Ctrl-C while a hook runs cannot cost it
                    alarms.finish()
        except KeyboardInterrupt:  # a second Ctrl-C before any sample was stored: no empty folder left either
            _remove_if_empty(folder, args.out_made)
            raise


def _night(args: argparse.Namespace, source, channels: list[int], config, publisher, folder: str, clock: bool,
           ended_by: list[int], alarms: AlertPrinter) -> int:
    """Monitor the night into ``folder`` until the source ends or a signal (in ``ended_by``) stops it;
    print its summary and return the exit status."""
    from emgcramp.live.monitor import run_monitor

    try:
        told = [0]  # records given the night log: each is a line of events.jsonl once stored

        def on_event(record: dict) -> None:
            told[0] += 1
            if record.get("type") == "retracted":  # a person who saw the alert sees it withdrawn
                say("\n" + retraction_line(record) + "\n")  # off the status line, as an alert
            if publisher:
                publisher.event(record)

        result = run_monitor(source.blocks(), lambda: source.fs, channels, folder, config,
                             alarms, status_printer(source, clock),
                             alert_on_warning=args.alert_on == "warning", start=source.start,
                             on_event=on_event, on_levels=publisher.levels if publisher else None, clock=clock,
                             lead_off=lambda: getattr(source, "lead_off", 0))
    except (ConnectionError, InputError) as e:
        _remove_if_empty(folder, args.out_made)  # the night never began (no data, a bad first sample, no room)
        if ended_by and not source.problem:  # stopped before any data came, the source at fault for nothing
            return stopped_early(ended_by[0], str(e), folder)
        why = source.problem or "is the sensor on and in reach?"  # a port in use, a missing Bluetooth service …
        raise e if isinstance(e, InputError) else InputError(f"{e}: {why}") from None
    if sys.stderr.isatty():
        say("\n")
    if ended_by and result.analysis.duration_s < MIN_SIGNAL_S:  # stopped before there was a night: no summary
        return stopped_early(ended_by[0], result.stopped, folder)
    if result.analysis.duration_s < MIN_SIGNAL_S:  # the source ended first: no night to summarise, one line
        kept = (f"; {folder} holds the little it stored, too short to be a night: nothing to recover, remove it"
                if os.path.isdir(folder) else "")
        raise InputError(f"the source ended before the night could be analysed ({result.stopped}){kept}")
    csv_error = _night_summary(folder, result)  # the table is printed whatever the disk said
    missing = _not_stored(folder, result, told[0], csv_error)
    stopped = result.stopped or getattr(source, "gave_up", "")  # a night cut short, by the signal or --give-up
    for line in filter(None, (stopped, missing)):  # after the summary: what was stored is shown either way
        say(f"emgcramp: error: {line}\n")
    if missing or stopped:  # a night not stored whole says so first, however it ended
        return EXIT_NOT_STORED if missing else 2
    # Ctrl-C is the documented way to end a night; a supervisor's signal is reported as such.
    return 0 if ended_by in ([], [signal.SIGINT]) else 128 + ended_by[0]


def _night_summary(folder: str, result) -> str:
    """Write the night's events.csv, then print its table and totals; return why the write failed ("" if it did not).

    The events.csv is written first (a reader of stdout that stopped reading must not keep it off the
    disk), and the table printed whatever the disk said: on a full disk it is the night's only record.
    """
    from emgcramp.core.types import activity_line
    from emgcramp.io.events import write_events_csv
    from emgcramp.io.unstored import night_events

    episodes, start = night_events(folder, result.analysis.episodes)
    s = result.analysis.summary(start)
    possible = f", {len(s['possible_cramps'])} possible cramp(s) listed, not counted" if s["possible_cramps"] else ""
    try:
        write_events_csv(os.path.join(folder, "events.csv"), episodes, start)
        error = ""
    except OSError as e:
        error = e.strerror or str(e)
    except InputError as e:  # the folder taking no new file (made read-only): the table is the night's record
        error = str(e)
    with unwatched(sys.stdout):  # a terminal gone by the morning: the night is stored all the same
        print_table(episodes, start)
        print(f"{s['n_episodes']} cramp(s) in {span_text(s['duration_s'])}, {len(result.alerts)} alert(s)"
              f"{_withdrawn(folder)}{possible}; night folder {folder}")
        print(activity_line(s), flush=True)
    return error


def _first_missing(path: str) -> str | None:
    """The outermost folder of ``path`` that does not exist yet (``None``: all of it does)."""
    missing = None
    while path and not os.path.lexists(path):
        missing, path = path, os.path.dirname(path)
    return missing


def _remove_if_empty(folder: str, out_made: str | None) -> None:
    """Remove a night ``folder`` that never began, and the folders of ``--out`` made for it (from ``out_made``
    in) that it leaves empty."""
    from emgcramp.io.night import remove_if_empty

    with contextlib.suppress(OSError):  # what cannot be removed stays: the night's own message is the one to say
        remove_if_empty(folder)
        path = os.path.dirname(folder)
        while out_made and not os.path.exists(folder) and path and not os.listdir(path):
            os.rmdir(path)
            if os.path.normpath(path) == os.path.normpath(out_made):
                break
            path = os.path.dirname(path)


def _withdrawn(folder: str) -> str:
    """``" (N withdrawn)"`` for the alerts the night log retracted (a burst that closed as less than a cramp)."""
    from emgcramp.io.night_reader import read_events

    with contextlib.suppress(InputError, OSError):
        n = sum(1 for e in read_events(folder) if e.get("type") == "retracted")
        return f" ({n} withdrawn)" if n else ""
    return ""


def _not_stored(folder: str, result, told: int, csv_error: str) -> str:
    """What of the night its folder lacks, in one line ("" when it holds it all).

    ``told``: event records the night log was given; ``csv_error``: why events.csv could not be written.
    """
    from emgcramp.io.night_reader import unstored

    a = result.analysis  # the seconds with samples it had, against those stored (its gaps had none)
    samples_s, lost, why = unstored(folder, a.duration_s if a.recorded_s is None else a.recorded_s, told)
    parts = ([f"{samples_s:.0f} s of the samples"] if samples_s >= 1.0 else []) \
        + ([f"{lost} of {told} event record(s)"] if lost > 0 else []) + (["events.csv"] if csv_error else [])
    if not parts:
        return ""
    why = csv_error or why
    what = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    only = "; the table above is the night's only full record" if lost > 0 or csv_error else ""
    return (f"the night is not stored whole in {folder}" + (f" ({why})" if why else "")
            + f": {what} could not be written; cramps were still detected and alerted{only}")


def _has_samples(folder: str) -> bool:
    """The night folder holds stored samples (its ``raw.f32`` is not empty)."""
    try:
        return os.path.getsize(os.path.join(folder, "raw.f32")) > 0
    except OSError:
        return False


RELAY_WAIT_S = 1.0  # at the night's end, the signal thread's message is waited for this long (s) at most


class _SignalsEnd:
    """Make SIGINT, SIGTERM and SIGHUP end the night cleanly: the source stops, the night is closed and summarised.

    ``got`` holds the first signal's number once one came. A second Ctrl-C
    interrupts at once; what was stored stays in ``folder`` for recover.
    Leaving the ``with`` block puts the handlers that were there back.

    The handler only notes the signal and writes its number into a pipe: a
    thread reads it, says so and stops the source. Python runs handlers in the
    main thread between any two steps, and ``stop.set()`` takes the lock the
    main thread holds while it waits on ``stop`` (a replay's pacing, a
    reconnect's backoff); from the handler it waited for itself, and the night
    never ended (Python's ``signal`` documentation warns of locks in handlers).
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self, stop, folder: str):
        self.got: list[int] = []
        self._stop, self._folder = stop, folder
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)  # a handler never waits (a full pipe already holds a stop)
        self._thread = threading.Thread(target=self._relay, name="emgcramp-signals", daemon=True)
        self._thread.start()
        self._before = {sig: signal.signal(sig, self._handler) for sig in self.SIGNALS}

    def _handler(self, signum: int, frame: object) -> None:
        if not self.got:
            self.got.append(signum)
            signal.signal(signal.SIGINT, signal.default_int_handler)
        with contextlib.suppress(OSError):
            os.write(self._write, bytes([signum]))

    def _relay(self) -> None:
        """Until the pipe closes: say the night is ending (once) and stop the source, for each signal."""
        while os.read(self._read, 64):
            told = self._stop.is_set()
            self._stop.set()  # first: a message that waits on a reader of stderr must not hold the night up
            if not told:
                # before the first samples are stored there is nothing to recover (and the empty folder goes)
                after = f": then emgcramp recover {self._folder} ends it" if _has_samples(self._folder) else ""
                say(f"\nending the night ({signal.Signals(self.got[0]).name}) … (Ctrl-C again stops at once{after})\n")
        os.close(self._read)

    def __enter__(self) -> _SignalsEnd:
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._before.items():  # None: set outside Python; the default then, not ours
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
        os.close(self._write)  # the relay reads the end of the pipe, and ends: what it says is said by then
        self._thread.join(RELAY_WAIT_S)


def cmd_emulate(args: argparse.Namespace) -> int:
    from emgcramp.core.framing import MAX_WIRE_FS_HZ
    from emgcramp.sim.emulator import PtyPort, SensorEmulator, play

    def carried(fs: float) -> float:  # before the port is made and the night announced
        if fs != int(fs) or fs > MAX_WIRE_FS_HZ:
            raise InputError(f"the sensor protocol carries whole rates up to {MAX_WIRE_FS_HZ} Hz, not {fs:g} Hz: "
                             + ("resample the recording first" if args.file and args.fs is None
                                else "give a --fs it carries"))
        return fs

    if args.file:
        from emgcramp.io import open_recording

        rec = open_recording(args.file, args.fs, args.scale)
        chs = rec.channel_indices(args.channel)  # first: a sleep lab's EDF keeps a rate per channel
        fs = carried(rec.rate())
        segments = _sound_samples(rec.blocks(chs, int(fs)), fs, args.file)
    else:
        from emgcramp.sim.synth import NightGenerator

        if args.scale is not None:
            raise InputError("--scale is for a file's NPY/WAV values; the synthetic night is in µV")
        args.fs = carried(1000.0 if args.fs is None else args.fs)
        spec = night_spec(args)
        fs, segments = spec.fs, NightGenerator(spec).segments()
    port = PtyPort(args.pty)
    pace = f"× {args.speed:g}" if args.speed else "as fast as it is read"
    print(f"sensor emulator on {args.pty} -> {os.readlink(args.pty)} at {fs:g} Hz, {pace}; "
          f"Ctrl-C stops", flush=True)
    try:
        frames = play(SensorEmulator(segments, fs), port, args.speed)
        unread = port.drain()  # the reader's to take before the port goes: closing it drops them
    finally:
        port.close()
    print(f"sent {frames} frames" + (f"; {unread} bytes were not read before the port closed" if unread else ""))
    return 0


def _sound_samples(blocks, fs: float, path: str):
    """The blocks (µV; each where it starts: a night folder's gaps stay gaps), to send as a sensor would;
    :class:`InputError` at a NaN or infinite sample, which no sensor sends (``analyze`` refuses the same file)."""
    import numpy as np

    for b in blocks:
        if not np.isfinite(b.samples).all():
            at = (b.t0_sample + int(np.argmin(np.isfinite(b.samples).all(axis=1)))) / fs
            raise InputError(f"{path}: has NaN or infinite samples from {at:.3f} s, which no sensor sends")
        yield b
