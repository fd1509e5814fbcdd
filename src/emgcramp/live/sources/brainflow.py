"""Any board BrainFlow drives (OpenBCI Cyton and Ganglion, and the rest), through the ``brainflow`` package.

The board's EMG channels, their names and its sampling rate come from
BrainFlow's board description; the samples arrive in µV as BrainFlow
delivers them. At the low rates these boards run (250 Hz for a Cyton), the
band-pass keeps what lies under Nyquist: 20 Hz to 0.45·fs (112 Hz at 250 Hz),
the lower part of the sEMG band, where most of a calf's power is.

A session that fails is released and opened again with a back-off, as the
serial source does; the samples missed, measured on BrainFlow's own
timestamps, become a gap before the first block after it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import numpy as np

from emgcramp.core.blocks import Block
from emgcramp.core.errors import InputError
from emgcramp.live.sources.base import gave_up

EXTRA = "BrainFlow boards need the brainflow extra: pip install 'emgcramp[brainflow]'"
POLL_S = 0.05  # how often the board's buffer is emptied


def _bf():
    try:
        from brainflow import board_shim
    except ImportError:
        raise InputError(EXTRA) from None
    return board_shim


def board_id(board: str | int) -> int:
    """A BrainFlow board id from its number or name (``cyton``, ``CYTON_BOARD``, ``synthetic`` …)."""
    ids = _bf().BoardIds
    text = str(board).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    for name in (text.upper(), text.upper() + "_BOARD"):
        if name in ids.__members__:
            return ids[name].value
    known = ", ".join(n.removesuffix("_BOARD").lower() for n in list(ids.__members__)[:12])
    raise InputError(f"--brainflow {board}: no such BrainFlow board (a number, or a name such as {known}, …)")


def input_params(pairs: list[str]):
    """BrainFlowInputParams from ``KEY=VALUE`` pairs (``serial_port=/dev/ttyUSB0``, ``mac_address=…``)."""
    params = _bf().BrainFlowInputParams()
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key.startswith("_") or not hasattr(params, key) or key == "to_json":
            raise InputError(f"--board-param {pair}: expected KEY=VALUE with KEY one of BrainFlow's input "
                             "parameters (serial_port, mac_address, ip_address, ip_port, serial_number, file, …)")
        current = getattr(params, key)
        setattr(params, key, int(value) if isinstance(current, int) and value.lstrip("-").isdigit() else value)
    return params


class BrainFlowSource:
    """Blocks of a BrainFlow board's EMG channels (µV), with reconnects and gaps."""

    start = None  # a board's samples are timed by the clock when they arrive

    def __init__(self, board: str | int, params: list[str] | None = None, channels: list[int] | None = None,
                 give_up_s: float | None = None, max_backoff_s: float = 5.0, stop: threading.Event | None = None):
        bf = _bf()
        self.board = board_id(board)
        self.label = next((n.lower() for n, v in bf.BoardIds.__members__.items() if v.value == self.board),
                          str(self.board))
        self.params = input_params(params or [])
        # A playback or streaming board carries another board's data: that board describes it.
        relay = {bf.BoardIds.PLAYBACK_FILE_BOARD.value, bf.BoardIds.STREAMING_BOARD.value}
        described = self.params.master_board if self.board in relay else self.board
        try:
            self.fs: float = float(bf.BoardShim.get_sampling_rate(described))
            rows = list(bf.BoardShim.get_emg_channels(described))
            descr = bf.BoardShim.get_board_descr(described)
        except bf.BrainFlowError as e:
            raise InputError(f"--brainflow {board}: {e}") from None
        if not rows:
            raise InputError(f"--brainflow {board}: the board has no EMG channels")
        names = _names(descr, rows)
        pick = list(range(len(rows))) if channels is None else channels
        self.rows, self.channel_names = [rows[i] for i in pick], [names[i] for i in pick]
        self._ts_row = bf.BoardShim.get_timestamp_channel(described)
        self.give_up_s, self.max_backoff_s = give_up_s, max_backoff_s
        self.stop = stop or threading.Event()
        self.connected, self.problem, self.lead_off = False, "", 0
        self.gave_up = ""  # why it ended by itself (--give-up), in one line; "" otherwise
        self.reconnects = 0
        self.last_timestamp: float | None = None  # BrainFlow's timestamp (s, Unix time) of the newest sample
        self._shim = None

    def blocks(self) -> Iterator[Block | None]:
        """Blocks as they come; ``None`` while nothing does; a gap before the first block after a reconnect."""
        t0, gap, last_ts, backoff, since = 0, False, None, 0.5, time.monotonic()
        while not self.stop.is_set():
            if self._shim is None and not self._open():
                if self.give_up_s is not None and time.monotonic() - since > self.give_up_s:
                    self.gave_up = gave_up(f"the BrainFlow board {self.label}", self.give_up_s)
                    return
                self.stop.wait(backoff)
                backoff = min(2 * backoff, self.max_backoff_s)
                yield None
                continue
            try:
                data = self._shim.get_board_data()
            except _bf().BrainFlowError as e:
                self._drop(str(e))
                gap, since = True, time.monotonic()
                continue
            backoff = 0.5
            if data.shape[1] == 0:
                self.stop.wait(POLL_S)
                yield None
                continue
            x = np.ascontiguousarray(data[self.rows].T, dtype=np.float64)
            ts = data[self._ts_row]
            missing = 0
            if gap and last_ts is not None:  # the samples the outage took (one at least: continuity broke)
                missing = max(1, int(round((ts[0] - last_ts) * self.fs)) - 1)
                t0 += missing
            self.last_timestamp = float(ts[-1])
            yield Block(t0, x, gap_before=missing)
            t0, gap, last_ts = t0 + len(x), False, ts[-1]
        self._drop("")

    def _open(self) -> bool:
        bf = _bf()
        try:
            bf.BoardShim.disable_board_logger()
            shim = bf.BoardShim(self.board, self.params)
            shim.prepare_session()
            shim.start_stream()
        except bf.BrainFlowError as e:
            self.problem = f"BrainFlow {self.label}: {e}"
            return False
        self._shim, self.connected, self.problem = shim, True, ""
        return True

    def _drop(self, problem: str) -> None:
        shim, self._shim = self._shim, None
        if shim is not None:
            self.reconnects += bool(problem)
            try:
                shim.release_session()
            except _bf().BrainFlowError:
                pass
        self.connected, self.problem = False, problem


def _names(descr: dict, rows: list[int]) -> list[str]:
    """The board's names for its EMG rows (its EEG names where the rows are shared), else ``emg1`` …"""
    for key, key_rows in (("emg_names", "emg_channels"), ("eeg_names", "eeg_channels")):
        names = [n.strip() for n in str(descr.get(key, "")).split(",") if n.strip()]
        if names and list(descr.get(key_rows, [])) == rows and len(names) == len(rows):
            return names
    return [f"emg{i + 1}" for i in range(len(rows))]
