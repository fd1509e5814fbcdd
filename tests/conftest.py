import os
import signal
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECORDINGS = os.path.join(ROOT, "recordings")
SAMPLE_NIGHT = os.path.join(RECORDINGS, "sample_night.edf")
REAL = os.path.join(RECORDINGS, "real")

# A suite started in the background (``cmd &``, nohup) inherits SIGINT and SIGHUP ignored, and so would every
# command the tests start: Ctrl-C and hangup would do nothing there, and the tests of what they do would fail for
# the way the suite was started. A handler set here is put back to the default in each command started (exec
# resets handled signals, never ignored ones): Python's own for SIGINT, as in a terminal; for SIGHUP one that
# does nothing, so that the suite itself still outlives the hangup it was started to outlive.
# The workers pytest-xdist starts get the default, not an ignored SIGHUP: the environment tells them.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
if signal.getsignal(signal.SIGHUP) == signal.SIG_IGN or os.environ.get("EMGCRAMP_TESTS_NOHUP"):
    os.environ["EMGCRAMP_TESTS_NOHUP"] = "1"
    signal.signal(signal.SIGHUP, lambda *_: None)


def run_cli(*args, cwd=None):
    """Run the installed command line in a subprocess: (exit status, stdout, stderr)."""
    p = subprocess.run([sys.executable, "-m", "emgcramp", *map(str, args)], capture_output=True, text=True,
                       cwd=cwd, timeout=300)
    return p.returncode, p.stdout, p.stderr


def run_main(*args, cwd=None):
    """Run the command line in this process: (exit status, stdout, stderr), as :func:`run_cli` gives them.

    For a test about what a command computes or writes, not about the process: its start-up, a signal, or
    stderr holding one line and nothing else (a warning would go to pytest here, not to the stderr
    returned). It spares the start of a new interpreter, about 0.4 s a call.
    """
    import contextlib
    import io

    from emgcramp.cli import main

    out, err, here = io.StringIO(), io.StringIO(), os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = main([str(a) for a in args])
            except SystemExit as e:  # argparse: --help, --version, a bad argument
                rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    finally:
        os.chdir(here)
        if "matplotlib.pyplot" in sys.modules:  # a process would end here; figures left open stay in this one
            sys.modules["matplotlib.pyplot"].close("all")
    return rc, out.getvalue(), err.getvalue()


def sample_night_head(path, seconds):
    """The first ``seconds`` of the sample night as an EDF+ of its own: same channel, rate and start.

    Its first two cramps (tonic, 124–160 s and 219–271 s) are in the first 300 s; a replay of those
    alone spares the 15 quiet minutes after them.
    """
    from emgcramp.io import open_recording
    from emgcramp.io.edf import write_edf

    with open_recording(SAMPLE_NIGHT) as rec:
        n = int(seconds * rec.fs)
        x = np.concatenate([b.samples for b in rec.blocks([0], int(rec.fs))])[:n]
        write_edf(str(path), rec.fs, rec.channel_names[:1], [x], [], start=rec.start)
    return str(path)


def emg_noise(n, fs, rms, seed=0):
    """Band-limited (20–450 Hz) Gaussian noise with the given RMS, µV."""
    from scipy import signal

    x = np.random.default_rng(seed).standard_normal(n + 2000)
    sos = signal.butter(2, [20, min(450, 0.45 * fs)], btype="bandpass", output="sos", fs=fs)
    y = signal.sosfilt(sos, x)[2000:]
    return y * rms / y.std()


def bursts(fs, seconds, rest_uv, events, seed=0):
    """Rest EMG with bursts [(onset_s, offset_s, rms_uv)], smooth 0.1-s edges; µV."""
    n = int(seconds * fs)
    t = np.arange(n) / fs
    power = np.full(n, rest_uv ** 2)
    for on, off, a in events:
        u = np.clip(np.minimum((t - on) / 0.1, (off - t) / 0.1), 0, 1)
        power += (a * u) ** 2
    return emg_noise(n, fs, 1.0, seed) * np.sqrt(power)


def degc_edf(path):
    """An EDF+ with a skin-temperature channel (degC) beside a calf one (µV), 10 s at 1 kHz."""
    import pyedflib

    w = pyedflib.EdfWriter(str(path), 2, file_type=pyedflib.FILETYPE_EDFPLUS)
    w.setSignalHeaders([{"label": "skin", "dimension": "degC", "sample_frequency": 1000, "physical_max": 50.0,
                         "physical_min": -50.0, "digital_max": 32767, "digital_min": -32768},
                        {"label": "calf", "dimension": "uV", "sample_frequency": 1000, "physical_max": 500.0,
                         "physical_min": -500.0, "digital_max": 32767, "digital_min": -32768}])
    w.writeSamples([np.full(10_000, 33.0), np.zeros(10_000)])
    w.close()


@pytest.fixture
def tmp_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def pools_started(monkeypatch):
    """The worker counts asked of emgcramp's process pools, run in threads here (``emgcramp.workers``)."""
    import concurrent.futures

    from emgcramp import workers

    started = []

    class Pool(concurrent.futures.ThreadPoolExecutor):
        def __init__(self, max_workers, initializer=None):
            started.append(max_workers)
            super().__init__(max_workers)

    monkeypatch.setattr(workers, "ProcessPoolExecutor", Pool)
    return started
