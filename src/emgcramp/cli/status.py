"""What a person watching ``monitor`` sees: the status line, redrawn once a second, and the alerts."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from emgcramp.core.clock import later

if TYPE_CHECKING:
    from emgcramp.live.sources.base import Source


def say(text: str, droppable: bool = False) -> None:
    """Write ``text`` on stderr, come what may: a terminal gone under a running night must not end it.

    A hang-up (the terminal closed) or a reader that stopped (``| head``) makes the write fail; the night
    goes on unwatched, its stream sent to /dev/null from then on (:func:`unwatched`). While a night runs
    (:func:`night_outbox`) the text is handed to a thread that writes it, and the night never waits for it;
    a ``droppable`` one (a status line, redrawn each second) is dropped when many wait.
    """
    if sys.stderr is None:  # started with stderr closed (2>&-): nobody to tell
        return
    for box in _outbox[-1:]:  # a copy: the night's box may go meanwhile (another thread's say)
        box.put(text, droppable)
        return
    with unwatched(sys.stderr):
        sys.stderr.write(text)
        sys.stderr.flush()


_outbox: list[_Outbox] = []  # the night's, while one runs


class _Outbox:
    """Texts for stderr, written by a thread of their own (see :func:`night_outbox`)."""

    LIMIT = 1000  # texts waiting (over 15 minutes of status lines); past it, status lines are dropped

    def __init__(self) -> None:
        import queue
        import threading

        sys.stderr.flush()  # what was said before comes first
        self._fd, self._queue = os.dup(sys.stderr.fileno()), queue.SimpleQueue()
        self._encoding = sys.stderr.encoding or "utf-8"
        self._thread = threading.Thread(target=self._write, name="emgcramp-stderr", daemon=True)
        self._thread.start()

    def put(self, text: str | None, droppable: bool = False) -> None:
        """Queue ``text`` (``None``: the end); a status line is dropped when LIMIT texts wait. Alerts and
        notices are never dropped: a night has few."""
        if not (droppable and self._queue.qsize() >= self.LIMIT):
            self._queue.put(text)

    def _write(self) -> None:
        while (text := self._queue.get()) is not None:
            data = text.encode(self._encoding, "backslashreplace")
            try:
                while data:
                    data = data[os.write(self._fd, data):]
            except OSError:  # the stream has gone (EIO after a hang-up, EPIPE): as :func:`unwatched` does
                with contextlib.suppress(OSError):
                    os.dup2(os.open(os.devnull, os.O_WRONLY), self._fd)
        os.close(self._fd)

    def close(self, wait_s: float) -> None:
        """Let the thread write what waits for up to ``wait_s`` s, then leave it (a reader that stopped)."""
        self._queue.put(None)
        self._thread.join(wait_s)


@contextlib.contextmanager
def night_outbox(wait_s: float = 2.0) -> Iterator[None]:
    """While the block runs, :func:`say` hands its text to a thread that writes it on stderr.

    A reader that stops reading (a paused pager, ``| tee`` to a stuck disk,
    a stalled ssh session) fills the pipe and a write blocks: the night
    stopped with it, storing and alerts included, and no signal could end
    it (its handler's message waited too). What is said on stderr is for a
    person watching: when nobody reads, it waits, and past
    :attr:`_Outbox.LIMIT` waiting texts the status lines are dropped. At
    the end, what waits is written for up to ``wait_s`` s; a stderr that
    stays stuck is left to the thread, and the command ends.
    """
    if sys.stderr is None or not hasattr(sys.stderr, "fileno"):
        yield
        return
    try:
        box = _Outbox()
    except (OSError, ValueError):  # no file behind stderr (a test's capture): written as before
        yield
        return
    _outbox.append(box)
    try:
        yield
    finally:
        _outbox.remove(box)
        box.close(wait_s)


@contextlib.contextmanager
def unwatched(stream) -> Iterator[None]:
    """Run the block's writes to ``stream``; if the stream has gone, send it to /dev/null and carry on."""
    try:
        yield
    except (OSError, ValueError):  # EIO after a hang-up, EPIPE, a closed file
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def night_time(t_s: float, start: datetime | None = None) -> str:
    """When the status line is: the night's clock, with the time into the night beside it.

    ``t_s``: seconds of signal since the night's first sample; ``start``:
    the clock time of that sample (the night folder's start, which the
    alerts' ``since HH:MM:SS`` is counted from too). ``02:14:09 (night
    01:12:04)``; without ``start`` only the time into the night,
    ``01:12:04``.
    """
    h, rem = divmod(int(t_s), 3600)
    night = f"{h:02d}:{rem // 60:02d}:{rem % 60:02d}"
    if start is None:
        return night
    return f"{later(start, t_s):%H:%M:%S} (night {night})"  # cut to the second, as the alerts are


def status_line(state: dict, connected: bool, lead_off: int = 0, problem: str = "",
                start: datetime | None = None) -> str:
    """One line: clock and night time, link, envelope against rest, the episode under way, cramps and gaps so far.

    ``state["t_s"]`` is the signal time into the night (s); ``start`` the
    clock time of its first sample (see :func:`night_time`).
    """
    when = night_time(state["t_s"], start)
    if state.get("preparing"):
        return f"{when} preparing filters (a few seconds at most)"
    lost = state.get("signal_lost") or []
    if not state["channels"] and not lost:
        if not problem:  # the first seconds of signal go to finding the mains hum
            return f"{when} starting ({'measuring mains hum' if state['t_s'] > 0 else 'waiting for the first samples'})"
        m, sec = divmod(int(state.get("waited_s", 0.0)), 60)
        give_up = state.get("give_up_s")
        stops = f"gives up at {give_up:g} s" if give_up else "--give-up S stops by itself"
        return f"{when} waiting for the sensor for {m} min {sec:02d} s: {problem} (Ctrl-C stops; {stops})"
    if problem and not connected:  # the night's time stands still with no samples: how long, on the wall clock
        m, sec = divmod(int(state.get("down_s", 0.0)), 60)
        return f"{when} RECONNECTING for {m} min {sec:02d} s: {problem}  cramps {state['cramps']}"
    if not state["channels"]:  # still measuring the mains hum, but the signal is already gone
        return f"{when} SIGNAL LOST ({', '.join(lost)}: flat line)"
    ch = state["channels"][0]
    rest = ch["rest_uv"] or float("nan")
    if ch["open"] is not None:
        what = f"ACTIVE {ch['open'].duration_s:5.1f} s" + (f" ({ch['kind']})" if ch["kind"] else "")
    elif ch.get("warning_since") is not None:
        what = f"WARNING {state['t_s'] - ch['warning_since']:5.1f} s"
    else:
        what = "idle"
    # connected with a problem: the port is open but the sensor is silent, or sends what makes no samples
    link = ("RECONNECTING" if not connected else "LEAD-OFF" if lead_off else
            f"SIGNAL LOST ({', '.join(lost)}: flat line)" if lost else "NO DATA" if problem else "link ok")
    stored = "" if state.get("not_stored_since") is None else "  NOT STORED"
    # a night begun on a flat line (the electrodes not yet on) has no rest level yet: said, not "nan× rest"
    level = (f"= {ch['level_uv'] / rest:5.1f}× rest {rest:5.1f} µV" if rest > 0 else "(rest level not yet known)")
    return (f"{when} {link:<12} envelope {ch['level_uv']:7.1f} µV "
            f"{level}  {what:<24} cramps {state['cramps']} "
            f"gaps {state['gaps']}{stored}" + (f"  {problem}" if problem else ""))


def status_printer(source: "Source", clock: bool = True):
    """The status line, redrawn in place on a terminal, and a loud line when storing stops or resumes.

    The line's clock is the one the alerts use: the night's start plus
    the signal time. A replay's start is its recording's
    (``source.start``); a live night starts when its first block arrives
    (the night folder takes the clock then), so the start is taken from
    the first status after it, to within a second. Without ``clock`` (a
    replay of a recording without a start) the line gives the time into
    the night only.
    """
    tty, told, began, clock_told, down = sys.stderr.isatty(), [], time.monotonic(), [], []
    start: list[datetime | None] = [source.start]

    def on_status(state: dict) -> None:
        # before the first sample: how long so far, and how long it will wait (--give-up)
        state = state | {"waited_s": time.monotonic() - began, "give_up_s": getattr(source, "give_up_s", None)}
        if source.connected or not source.problem:
            down.clear()
        elif not down:
            down.append(time.monotonic())
        state["down_s"] = time.monotonic() - down[0] if down else 0.0  # the link lost: since when
        if start[0] is None and state["t_s"] > 0 and not state.get("preparing"):
            start[0] = datetime.now().replace(microsecond=0) - timedelta(seconds=round(state["t_s"]))
        since = state.get("not_stored_since")
        if since is not None and not told:
            told.append(since)
            say(f"\a\n*** the night is NOT being stored since {since:.0f} s ({state['store_error']}): "
                "cramps are still detected and alerted; storing is tried again every minute\n")
        elif since is None and told:
            told.clear()
            say("\n*** storing again; what was missed is marked as a gap\n")
        note = source.clock_note() if hasattr(source, "clock_note") else ""
        if note and not clock_told:  # said once, loud: every time in the night depends on it
            clock_told.append(note)
            say(f"\a\n*** {note}; check the sensor's rate setting\n")
        now = start[0] or datetime.now().replace(microsecond=0)  # no sample yet: the night starts now
        line = status_line(state, source.connected, source.lead_off, source.problem, now if clock else None)
        say(_on_terminal(line) if tty else line + "\n", droppable=True)

    return on_status


def _on_terminal(line: str) -> str:
    """The status ``line`` rewritten over the last one: cut to the terminal's width (a longer one wraps, and each
    update leaves a line behind) and the rest of the old one cleared (a shorter one left its tail on screen)."""
    import shutil

    width = max(20, shutil.get_terminal_size((80, 24)).columns - 1)
    return "\r" + (line if len(line) <= width else line[:width - 1] + "…") + "\x1b[K"


# Why an alert was withdrawn, by the night log's ``retracted`` reason.
WITHDRAWN_WHY = {"possible_cramp": "the burst ended as a possible cramp (listed, not counted)",
                 "leg_movement_series": "it was one of a series of periodic leg movements"}


def stopped_early(signum: int, why: str, folder: str) -> int:
    """Say that a signal stopped a night before it could be analysed (``why``); the exit status, 128 + ``signum``.

    A night ended at will with less than the signal analysis needs is a stop,
    not bad input: it is said as one, with where its samples are if any were stored.
    """
    kept = (f"; {folder} holds the little it stored, too short to be a night: nothing to recover, remove it"
            if os.path.isdir(folder) else "")
    say(f"emgcramp: stopped ({signal.Signals(signum).name}) before the night could be analysed ({why}){kept}\n")
    return 128 + signum


def retraction_line(record: dict) -> str:
    """The line that withdraws an alert the night log retracted (a ``retracted`` record)."""
    since = record.get("onset_clock") or f"{record['onset_s']:.1f} s"
    why = WITHDRAWN_WHY.get(record.get("reason", ""), record.get("reason", ""))
    return f"--- cramp alert on {record['channel']} since {since} withdrawn: {why}"


# How long the end of a night waits for --on-cramp commands still running (s): an alarm that sounds or sends
# a message takes seconds; one that runs longer is left to run, and said.
HOOK_WAIT_S = 10.0


class AlertPrinter:
    """An alert: a bell and a line on stderr, and ``--on-cramp`` run with the alert in its environment
    (the night goes on meanwhile); :meth:`finish` waits for those still running at the night's end."""

    def __init__(self, on_cramp: str | None):
        self.on_cramp = on_cramp
        self._running: list = []

    def __call__(self, alert) -> None:
        since = alert.onset_clock or f"{alert.onset_s:.1f} s"
        if alert.kind == "warning":
            say(f"\a\n*** warning: calf tension rising on {alert.channel} since {since}, "
                f"{alert.peak_uv:.0f} µV\n")
        else:
            say(f"\a\n*** cramp ({alert.kind}) on {alert.channel} since {since}, "
                f"{alert.peak_uv:.0f} µV\n")
        if self.on_cramp:
            import threading

            thread = threading.Thread(target=_run_alarm, args=(self.on_cramp, alert), name="emgcramp-on-cramp",
                                      daemon=True)
            thread.start()
            self._running = [t for t in self._running if t.is_alive()] + [thread]

    def finish(self, timeout_s: float = HOOK_WAIT_S) -> None:
        """Wait up to ``timeout_s`` s for the ``--on-cramp`` commands still running (their failures are said);
        say those that still run, which are left running."""
        import time

        if any(t.is_alive() for t in self._running):
            say(f"emgcramp: waiting up to {timeout_s:g} s for --on-cramp to finish\n")
        deadline = time.monotonic() + timeout_s
        for t in self._running:
            t.join(max(0.0, deadline - time.monotonic()))
        if left := sum(t.is_alive() for t in self._running):
            say(f"emgcramp: note: --on-cramp still runs for {left} alert(s) {timeout_s:g} s after the night "
                "ended; it is left running\n")


def _run_alarm(command: str, alert) -> None:
    """Run ``--on-cramp`` for ``alert`` (the night goes on meanwhile); a command that failed is said, as the
    alarm it was to raise may not have gone off."""
    import subprocess

    try:  # what it prints goes where the alerts go (stderr), not into the night's summary on stdout
        out = sys.stderr.fileno()
    except (AttributeError, ValueError):  # a stderr with no file (captured): its own stdout then
        out = None
    try:
        status = subprocess.run(command, shell=True, stdout=out, env=os.environ | {
            "EMGCRAMP_ONSET_S": f"{alert.onset_s:.3f}", "EMGCRAMP_KIND": alert.kind}).returncode
    except OSError as e:
        status = f"not run ({e.strerror or e})"
    if status != 0:
        say(f"\nemgcramp: note: --on-cramp failed (exit status {status}): the alarm it raises may not have gone "
            "off\n")
