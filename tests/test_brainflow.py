"""BrainFlow boards through the real brainflow library: its synthetic board, no mock."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import run_cli

board_shim = pytest.importorskip("brainflow.board_shim")


def _blocks_for(source, seconds: float) -> list:
    stop_at = time.monotonic() + seconds
    out = []
    for b in source.blocks():
        if b is not None:
            out.append(b)
        if time.monotonic() > stop_at:
            source.stop.set()
    return out


def test_the_synthetic_board_streams_its_emg_channels_in_microvolts_at_its_rate():
    from emgcramp.live.sources.base import Source
    from emgcramp.live.sources.brainflow import BrainFlowSource

    bid = board_shim.BoardIds.SYNTHETIC_BOARD.value
    source = BrainFlowSource("synthetic", channels=[0, 3])
    assert isinstance(source, Source)
    assert source.fs == board_shim.BoardShim.get_sampling_rate(bid) == 250.0
    assert source.channel_names == ["Fz", "C4"]  # the board description's names for its EMG rows
    blocks = _blocks_for(source, 1.5)
    x = np.concatenate([b.samples for b in blocks])
    assert x.shape[1] == 2 and 250 <= len(x) <= 2 * 250  # about 1.5 s of samples at 250 Hz
    assert [b.t0_sample for b in blocks] == list(np.cumsum([0] + [len(b.samples) for b in blocks[:-1]]))
    assert 1.0 < np.std(x) < 500.0 and not any(b.gap_before for b in blocks)  # µV, as BrainFlow gives them
    assert not source.connected  # released when stopped
    assert 0.0 <= time.time() - source.last_timestamp < 2.0  # BrainFlow's Unix-time stamp of the newest sample


@pytest.mark.long
def test_a_failing_session_is_reopened_and_the_outage_is_a_gap():
    from emgcramp.live.sources.brainflow import BrainFlowSource

    source = BrainFlowSource("synthetic", channels=[0])
    failed = []

    def flaky_blocks():
        for b in source.blocks():
            if b is not None and not failed and b.t0_sample > 100:
                failed.append(b.t0_sample + len(b.samples))
                real = source._shim.get_board_data

                def broken():  # the board stops answering once, as when the dongle is pulled
                    source._shim.get_board_data = real
                    time.sleep(0.4)
                    raise board_shim.BrainFlowError("board is not ready", 7)

                source._shim.get_board_data = broken
            yield b

    stop_at, blocks = time.monotonic() + 3.0, []
    for b in flaky_blocks():
        if b is not None:
            blocks.append(b)
        if time.monotonic() > stop_at:
            source.stop.set()
    after = [b for b in blocks if b.gap_before]
    assert source.reconnects == 1 and len(after) == 1
    # The first block after the outage starts later than the last sample before it.
    assert after[0].t0_sample >= failed[0]
    i = blocks.index(after[0])  # and the gap counts the samples between, as the timestamps say
    assert after[0].gap_before == after[0].t0_sample - blocks[i - 1].t0_sample - len(blocks[i - 1].samples) >= 1


def test_board_names_and_parameters_are_checked_with_one_line(tmp_path):
    rc, _, err = run_cli("monitor", "--brainflow", "no_such_board", "--out", str(tmp_path))
    assert rc == 2 and "no such BrainFlow board" in err and err.count("\n") == 1
    rc, _, err = run_cli("monitor", "--brainflow", "synthetic", "--board-param", "colour=red", "--out", str(tmp_path))
    assert rc == 2 and "--board-param colour=red" in err and err.count("\n") == 1


@pytest.mark.long
def test_monitor_runs_a_night_from_the_synthetic_board_and_ends_it_on_ctrl_c(tmp_path):
    cmd = [sys.executable, "-m", "emgcramp", "monitor", "--brainflow", "synthetic", "--channel", "Fz",
           "--out", str(tmp_path)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(6.0)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err[-500:]
    night = next(os.path.join(tmp_path, d) for d in os.listdir(tmp_path))
    from emgcramp.io.night_reader import NightRecording

    rec = NightRecording(night)
    assert rec.fs == 250.0 and rec.channel_names == ["Fz"] and rec.n_samples >= 250  # over a second stored
    assert "cramp(s) in" in out


@pytest.mark.long
def test_a_recording_played_through_brainflows_playback_board_arrives_unchanged(tmp_path):
    from brainflow.data_filter import DataFilter

    from emgcramp.live.sources.brainflow import BrainFlowSource

    # Record 2 s of the synthetic board with BrainFlow itself, in BrainFlow's file format.
    bid = board_shim.BoardIds.SYNTHETIC_BOARD.value
    shim = board_shim.BoardShim(bid, board_shim.BrainFlowInputParams())
    shim.prepare_session()
    shim.start_stream()
    time.sleep(2.0)
    data = shim.get_board_data()
    shim.stop_stream()
    shim.release_session()
    path = str(tmp_path / "night.csv")
    DataFilter.write_file(data, path, "w")
    # Play it back through BrainFlow's playback board, which describes itself as the synthetic board.
    source = BrainFlowSource("playback_file", [f"file={path}", f"master_board={bid}"], channels=[2])
    assert source.fs == 250.0 and source.channel_names == ["Cz"]
    blocks, end = [], time.monotonic() + 10
    for b in source.blocks():
        if b is not None:
            blocks.append(b)
        if sum(len(b.samples) for b in blocks) >= data.shape[1] or time.monotonic() > end:
            source.stop.set()
    got = np.concatenate([b.samples[:, 0] for b in blocks])
    row = board_shim.BoardShim.get_emg_channels(bid)[2]
    n = min(len(got), data.shape[1])
    assert n >= 0.9 * data.shape[1]
    np.testing.assert_allclose(got[:n], data[row, :n], rtol=1e-5, atol=1e-3)  # BrainFlow's CSV keeps 6 digits
