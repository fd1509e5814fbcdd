"""The README's shell commands, run as written.

Every line of every ``sh``/``shell`` block is a step. A block is one session: its steps run in order in
a fresh folder, through ``bash`` with this environment's ``emgcramp`` first on the PATH, and each must
exit 0. A file a step reads that no earlier step of its block writes is made first: ``night.edf`` by
the README's own ``emgcramp simulate night.edf …`` line; the others (a CSV with a time column, an NPY,
a three-muscle EDF, a folder of recordings, of events CSVs or of monitor nights, a BIDS dataset, a WFDB
record, an XDF file) small and of the kind the README names.

Not run: setting up the environment (venv, pip: no network here; the test suite itself; the bench
scripts, which rewrite bench/RESULTS.md), and what needs hardware or another program: a sensor found
by ``--serial auto`` or ``--ble``, a BrainFlow board on a serial port, an LSL stream. ``monitor`` and
``review`` run until Ctrl-C: each is given one once it says it is working (``link ok``; the review's
address, its browser being ``true`` here), as the README says to stop them. Slow (``-m slow``): the
8-hour ``emgcramp demo``, ``bench accuracy`` and ``bench speed``, the BrainFlow synthetic board, and
the emulator on a pseudo-terminal with the monitor reading it.
"""

import importlib.util
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import ROOT, bursts

README = os.path.join(ROOT, "README.md")
BIN = os.path.dirname(sys.executable)  # this environment's `emgcramp` console script
STEP_TIMEOUT_S = 600
SLOW_TIMEOUT_S = 4 * 3600  # bench accuracy: 13 scenarios x 3 seeds x 8 h, offline and live
LIVE_WAIT_S = 60  # a monitor's first `link ok`, a review's address
SHELL_FENCES = ("```sh", "```shell", "```bash")
# Commands that run until Ctrl-C, and what they print once they are working.
LIVE = {"monitor": "link ok", "review": "(Ctrl-C stops it)"}


# --- the README, as steps ------------------------------------------------------------------------------------

def _sh_blocks() -> list[tuple[str, list[str]]]:
    """(name, command lines) of each ``sh`` block, comments and blank lines left out.

    A block is named by its section, and numbered when its section has several.
    """
    blocks, heading = [], "top"
    lines = open(README, encoding="utf-8").read().splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("#"):
            heading = lines[i].lstrip("# ").strip()
        if lines[i].strip() in SHELL_FENCES:
            body = []
            i += 1
            while lines[i].strip() != "```":
                text = _without_comment(lines[i])
                if text:
                    body.append(text)
                i += 1
            blocks.append((heading, body))
        i += 1
    count = {h: sum(b[0] == h for b in blocks) for h, _ in blocks}
    seen: dict[str, int] = {}
    named = []
    for h, body in blocks:
        seen[h] = seen.get(h, 0) + 1
        named.append((h if count[h] == 1 else f"{h} ({seen[h]})", body))
    return named


def _without_comment(line: str) -> str:
    """The command of a line: up to a ``#`` that starts a word outside quotes (a shell comment)."""
    quote = None
    for k, c in enumerate(line):
        if quote:
            quote = None if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == "#" and (k == 0 or line[k - 1].isspace()):
            return line[:k].strip()
    return line.strip()


def _segments(line: str) -> list[tuple[list[str], bool]]:
    """The commands of a line: (argv, runs in the background) for each part of an ``&&`` chain."""
    lex = shlex.shlex(line, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    out, argv = [], []
    for tok in lex:
        if tok in ("&&", "&"):
            out.append((argv, tok == "&"))
            argv = []
        else:
            argv.append(tok)
    if argv:
        out.append((argv, False))
    return out


def _why_not_run(argv: list[str]) -> str | None:
    """Why a command is not run here (None: it is)."""
    if argv[0] != "emgcramp":
        if argv[0] == "pip" or argv[:3] == ["python3", "-m", "venv"] or argv[0] == ".":
            return "sets up the environment (venv, pip; no network here)"
        if argv[1:3] == ["-m", "pytest"]:
            return "runs the test suite this test is part of"
        if any(a.startswith("bench/") for a in argv):
            return "a bench script: runs for minutes and rewrites bench/RESULTS.md in the repository"
        return f"not an emgcramp command: {argv[0]}"
    pairs = list(zip(argv, argv[1:]))
    if ("--serial", "auto") in pairs or "--ble" in argv or any(a == "--serial" and b.startswith("/dev/")
                                                               for a, b in pairs):
        return "needs the sensor (USB serial or BLE)"
    if any(a.startswith("serial_port=") for a in argv):
        return "needs a BrainFlow board on a serial port"
    if "--lsl" in argv:
        return "needs a Lab Streaming Layer stream from another program"
    if argv[1] == "review" and importlib.util.find_spec("flask") is None:
        return "needs the review extra (Flask), not installed here"
    return None


def _is_slow(argv: list[str]) -> bool:
    hours = float(argv[argv.index("--hours") + 1]) if "--hours" in argv else 8.0
    return (argv[1] == "bench" or argv[1] == "emulate" or (argv[1] == "demo" and hours >= 8)
            or (argv[1] == "monitor" and "--brainflow" in argv))


class Step:
    """One README command (with the background command before it, for ``emulate … &`` then ``monitor``)."""

    def __init__(self, block: str, text: str, argv: list[str], background: "Step | None" = None):
        self.block, self.text, self.argv, self.background = block, text, argv, background
        self.skip = _why_not_run(argv)
        self.slow = _is_slow(argv) or (background is not None and background.slow)
        self.live = argv[1] in LIVE if argv[0] == "emgcramp" else False  # runs until Ctrl-C

    def __repr__(self):
        return self.text


def _steps() -> list[Step]:
    steps = []
    for heading, lines in _sh_blocks():
        background = None
        for line in lines:
            for argv, in_background in _segments(line):
                text = shlex.join(argv)
                if in_background:
                    background = Step(heading, text, argv)
                    continue
                steps.append(Step(heading, text, argv, background))
                background = None
    return steps


STEPS = _steps()
FAST_BLOCKS = list(dict.fromkeys(s.block for s in STEPS if not s.skip and not s.slow))
SLOW_STEPS = [s for s in STEPS if not s.skip and s.slow]
NIGHT_STEP = next(s for s in STEPS if s.argv[1:3] == ["simulate", "night.edf"])  # the README's 8-hour night


# --- the files the commands read -----------------------------------------------------------------------------

FS = 1000.0


def _edf(path: str, names: list[str], seconds: float = 120.0) -> None:
    from emgcramp.io.edf import write_edf

    cols = [bursts(FS, seconds, 4.0, [(40.0, 70.0, 200.0)] if k == 0 else [], seed=k) for k in range(len(names))]
    write_edf(path, FS, names, [np.column_stack(cols)], [])


def _make_csv(path: str) -> None:  # `--channel GM`, "a CSV with a time column: rate from it"
    x = bursts(FS, 60.0, 4.0, [(20.0, 40.0, 200.0)])
    np.savetxt(path, np.column_stack([np.arange(len(x)) / FS, x]), delimiter=",", header="time,GM", comments="",
               fmt=["%.3f", "%.3f"])


def _make_npy(path: str) -> None:  # `--fs 1000 --scale 0.5`: units of 0.5 µV
    np.save(path, (bursts(FS, 60.0, 4.0, [(20.0, 40.0, 200.0)]) / 0.5).astype(np.float32))


def _make_recordings(path: str) -> None:  # `analyze nights/`: a folder of recordings
    os.mkdir(path)
    for name in ("night-2026-01-01.edf", "night-2026-01-02.edf"):
        _edf(os.path.join(path, name), ["calf"], 90.0)


def _make_events_folder(path: str) -> None:  # `trend nights/`: events CSVs, one per night
    from datetime import datetime, timedelta

    from emgcramp.core.types import Episode
    from emgcramp.io.events import write_events_csv

    os.mkdir(path)
    for k in range(3):
        start = datetime(2026, 1, 1, 23, 0) + timedelta(days=k)
        write_events_csv(os.path.join(path, f"night-{start:%Y%m%d}.csv"),
                         [Episode(600.0 * (j + 1), 600.0 * (j + 1) + 60.0, 60.0, "tonic", 90.0, 70.0, 5.0)
                          for j in range(k + 1)], start)


def _make_night_folder(path: str) -> None:  # as monitor leaves one: nights/night-YYYYmmdd-HHMMSS/
    from datetime import datetime

    from emgcramp.core.blocks import Block
    from emgcramp.io.night import NightLog

    os.makedirs(os.path.dirname(path), exist_ok=True)
    log = NightLog(path, FS, ["calf"], datetime.strptime(os.path.basename(path), "night-%Y%m%d-%H%M%S"))
    log.block(Block(0, bursts(FS, 120.0, 4.0, [(40.0, 70.0, 200.0)])[:, None]))
    log.close({"duration_s": 120.0})


def _make_bids(path: str) -> None:  # BIDS 1.11: sub-*/[ses-*/]emg/*_emg.edf with _channels.tsv
    import json

    emg = os.path.join(path, "sub-01", "emg")
    os.makedirs(emg)
    with open(os.path.join(path, "dataset_description.json"), "w") as f:
        json.dump({"Name": "calf nights", "BIDSVersion": "1.11.0"}, f)
    _edf(os.path.join(emg, "sub-01_task-sleep_emg.edf"), ["GM", "TA"])
    with open(os.path.join(emg, "sub-01_task-sleep_channels.tsv"), "w") as f:
        f.write("name\ttype\tunits\nGM\tEMG\tuV\nTA\tEMG\tuV\n")
    with open(os.path.join(emg, "sub-01_task-sleep_emg.json"), "w") as f:
        json.dump({"SamplingFrequency": FS}, f)


def _make_wfdb(path: str) -> None:
    wfdb = pytest.importorskip("wfdb")
    x = np.column_stack([bursts(FS, 60.0, 4.0, [(20.0, 40.0, 200.0)]), bursts(FS, 60.0, 4.0, [], seed=1)])
    wfdb.wrsamp(os.path.basename(path)[:-4], fs=FS, units=["mV", "mV"], sig_name=["GM", "TA"], p_signal=x / 1000.0,
                fmt=["16", "16"], adc_gain=[10000.0, 10000.0], baseline=[0, 0], write_dir=os.path.dirname(path))


def _make_xdf(path: str) -> None:
    pytest.importorskip("pyxdf")
    from test_xdf import FS as XDF_FS
    from test_xdf import write_xdf

    x = bursts(XDF_FS, 60.0, 4.0, [(20.0, 40.0, 200.0)])
    write_xdf(path, [("calf", "microvolts", ["GM"], x[:, None], np.arange(len(x)) / XDF_FS)])


def _make_openbci(path: str) -> None:  # a raw file as the OpenBCI GUI saves it
    from test_openbci import gui_file

    x = bursts(250.0, 60.0, 4.0, [(20.0, 40.0, 200.0)])
    gui_file(path, np.column_stack([x, x]))


MAKERS = {"OpenBCI-RAW-2026-01-01_23-00-00.txt": _make_openbci, "night.csv": _make_csv, "night.npy": _make_npy, "leg.edf": lambda p: _edf(p, ["GM", "GL", "TA"]),
          "my_bids_dataset": _make_bids, "rec.hea": _make_wfdb, "session.xdf": _make_xdf}


@pytest.fixture(scope="module")
def readme_night(tmp_path_factory):
    """night.edf, made (once, when first asked for) by the README's own ``emgcramp simulate night.edf …`` line."""
    made = []

    def night() -> str:
        if not made:
            made.append(_shared_night(tmp_path_factory))
        return made[0]

    return night


def _shared_night(tmp_path_factory) -> str:
    """The README's night.edf, made once for the whole run.

    The 8-hour night takes seconds to simulate. Under pytest-xdist each worker would make its own; here
    the first to ask makes it, under a lock, in the temporary folder the workers of this run share, and
    the others wait for it and use it (each step copies it into its own folder, so none changes it).
    """
    import fcntl

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # pytest-N/, over each worker's pytest-N/popen-gwK/
    folder = root / "readme_night"
    with open(root / "readme_night.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "made").exists():
            folder.mkdir(exist_ok=True)
            _run(NIGHT_STEP, str(folder))
            (folder / "made").touch()
    return str(folder / "night.edf")


def _inputs(argv: list[str]) -> list[str]:
    """The files a command reads, as the command line's own parser sees them."""
    from emgcramp.cli.parser import build_parser

    ns = build_parser().parse_args(argv[1:])
    names = [getattr(ns, k, None) for k in ("replay", "profile", "folder", "target")]
    if ns.command in ("analyze", "report", "emulate"):
        names.append(ns.file)
    if ns.command == "calibrate":
        names.append(ns.file)
    return [os.path.normpath(n) for n in names if n]


def _prepare(step: Step, folder: str, night) -> None:
    for name in _inputs(step.argv):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            continue  # an earlier step of the block wrote it
        if name == "night.edf":
            shutil.copy(night(), path)
        elif re.fullmatch(r"nights/night-\d{8}-\d{6}", name) or (name == "nights" and step.argv[1] == "review"):
            _make_night_folder(path if name != "nights" else os.path.join(path, "night-20260105-224000"))
        elif name == "nights":
            (_make_events_folder if step.argv[1] == "trend" else _make_recordings)(path)
        else:
            assert name in MAKERS, f"the README's {step.text!r} reads {name}, which this test cannot make"
            MAKERS[name](path)


# --- running --------------------------------------------------------------------------------------------------

def _env() -> dict:
    # BROWSER: `review` opens its page in the user's browser; here the browser is `true`, which opens nothing
    return os.environ | {"PATH": BIN + os.pathsep + os.environ.get("PATH", ""), "BROWSER": "true"}


def _run(step: Step, folder: str, timeout: float = STEP_TIMEOUT_S) -> None:
    p = subprocess.run(["bash", "-c", step.text], cwd=folder, env=_env(), stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, f"{step.text!r} exited {p.returncode}: {p.stderr[-1500:]}"


def _start(text: str, folder: str, log: str) -> subprocess.Popen:
    with open(os.path.join(folder, log), "w") as f:
        return subprocess.Popen(["bash", "-c", f"exec {text}"], cwd=folder, env=_env(), stdin=subprocess.DEVNULL,
                                stdout=f, stderr=subprocess.STDOUT)


def _interrupt(p: subprocess.Popen, timeout: float = 60) -> int:
    if p.poll() is None:
        p.send_signal(signal.SIGINT)
    try:
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise


def _run_live(step: Step, folder: str) -> None:
    """A monitor or a review: started, and given Ctrl-C once it says it is working; it must then end with 0."""
    ready = LIVE[step.argv[1]]
    background = _start(step.background.text, folder, "background.log") if step.background else None
    try:
        log = os.path.join(folder, f"{step.argv[1]}.log")
        p = _start(step.text, folder, os.path.basename(log))
        deadline = time.monotonic() + LIVE_WAIT_S
        while time.monotonic() < deadline and p.poll() is None and ready not in open(log, errors="replace").read():
            time.sleep(0.2)
        status = _interrupt(p)
        text = open(log, errors="replace").read().replace("\r", "\n")
        assert ready in text and status == 0, f"{step.text!r} exited {status}: {text[-1500:]}"
    finally:
        if background is not None:
            _interrupt(background)


def _run_step(step: Step, folder: str, night, timeout: float = STEP_TIMEOUT_S) -> None:
    _prepare(step, folder, night)
    if step.live:
        _run_live(step, folder)
    elif step.text == NIGHT_STEP.text:
        # The very command readme_night runs, as written and checked the same way, once for the whole
        # run: what it wrote is copied here rather than an 8-hour night simulated again.
        made = os.path.dirname(night())
        for name in os.listdir(made):
            if name.startswith("night."):
                shutil.copy(os.path.join(made, name), os.path.join(folder, name))
    else:
        _run(step, folder, timeout)


# --- the tests ------------------------------------------------------------------------------------------------

def test_every_readme_command_is_run_or_skipped_for_a_reason():
    assert len(STEPS) > 30 and len(FAST_BLOCKS) >= 7
    assert [s.text for s in STEPS if s.skip and s.argv[0] == "emgcramp" and "auto" not in s.argv
            and "--lsl" not in s.argv and not any(a.startswith(("serial_port=", "/dev/")) for a in s.argv)] == []
    fast = {s.text for s in STEPS if not s.skip and not s.slow}
    assert any(t.startswith("emgcramp calibrate --file") for t in fast)  # the calibration from a file, as written
    assert any(t.startswith("emgcramp monitor --replay") for t in fast)


def _check_calibration(folder) -> None:
    """The calibrate example's MVC window holds the simulated push whole, and gives an MVC far over rest."""
    import json

    profile = json.load(open(folder / "profile.json"))
    assert profile["mvc_uv"] > 50 * profile["rest_uv"]
    given = next(s.argv for s in STEPS if s.argv[1:3] == ["calibrate", "--file"])
    truth = json.load(open(folder / given[given.index("--file") + 1].replace(".edf", ".truth.json")))
    lo, hi = map(float, given[given.index("--mvc") + 1].split(":"))
    pushes = [e for e in truth["events"] if lo - 1 < e["onset_s"] < hi]
    assert [e["kind"] for e in pushes] == ["plantar_flexion"]
    assert lo <= pushes[0]["onset_s"] < pushes[0]["offset_s"] <= hi


CHECKS = {"Calibrate": _check_calibration}  # beyond status 0: what a block's example is there to show


@pytest.mark.parametrize("block", FAST_BLOCKS)
def test_a_readme_block_runs_as_written(block, tmp_path, readme_night):
    for step in [s for s in STEPS if s.block == block and not s.skip and not s.slow]:
        _run_step(step, str(tmp_path), readme_night)
    CHECKS.get(block, lambda folder: None)(tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("step", SLOW_STEPS, ids=[s.text for s in SLOW_STEPS])
def test_a_slow_readme_command_runs_as_written(step, tmp_path, readme_night):
    _run_step(step, str(tmp_path), readme_night, SLOW_TIMEOUT_S)
