"""The one runner: a source's blocks through one :class:`~emgcramp.pipeline.Pipeline`, an analysis out.

:class:`Runner` is the loop every path shares: ``analyze`` and ``recover``
(through :func:`run_blocks`), ``monitor`` (:func:`emgcramp.live.monitor.run_monitor`
wraps it with its night folder, alerts and status line), the scoreboard
and the report. It builds the pipeline when the first block comes (a live
source learns its rate and channel count from the sensor), refuses a
mid-stream change of either, and says at the end whether the signal was
usable.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from emgcramp.core.blocks import MIN_SIGNAL_S, Block
from emgcramp.core.channels import default_names
from emgcramp.core.config import ELECTRODE_NOISE_UV, MAX_REST_UV, PipelineConfig
from emgcramp.core.errors import InputError, settings_note
from emgcramp.core.types import Analysis, Episode
from emgcramp.pipeline import Pipeline


class SensorChanged(InputError):
    """The source's channel count or rate changed mid-stream (the message says which)."""


class Runner:
    """Blocks in, episodes as they close, the analysis at the end.

    ``fs``: the rate (Hz), or a callable asked for it at every block (a live
    source may learn it late, or see it change). ``channels`` names the
    channels; empty: ``calf`` for one, ``ch0``, ``ch1``, … for several, as
    the first block shows. ``muscles`` maps a channel to the muscle it
    records, where the recording says (a BIDS ``target_muscle``).
    """

    def __init__(self, fs: float | Callable[[], float | None], channels: list[str],
                 config: PipelineConfig | None = None, muscles: dict[str, str] | None = None):
        self._fs = fs if callable(fs) else (lambda: fs)
        self.channels, self.config, self.muscles = list(channels), config, muscles
        self.pipe: Pipeline | None = None
        self.episodes: list[Episode] = []

    def feed(self, block: Block) -> list[Episode]:
        """:meth:`admit` and :meth:`process` one block; the episodes it closed."""
        self.admit(block)
        return self.process(block)

    def admit(self, block: Block) -> None:
        """Build the pipeline for the first block; for a later one, raise :class:`SensorChanged` if the set-up changed.

        (The monitor stores a block between admitting and processing it.)
        """
        width = block.samples.shape[1] if block.samples.ndim == 2 else 1
        if self.pipe is None:
            self.pipe = Pipeline(self._fs(), _names(self.channels, width), self.config, self.muscles)
        else:
            _check_same(self.pipe, width, self._fs())

    def process(self, block: Block) -> list[Episode]:
        """Run an admitted block; the episodes it closed."""
        new = self.pipe.process(block)
        self.episodes += new
        return new

    def finish(self) -> list[Episode]:
        """Close the signal; the episodes still open."""
        new = self.pipe.finish() if self.pipe is not None else []
        self.episodes += new
        return new

    def problem(self) -> str:
        """Why the signal seen cannot be analysed, in one line (``""``: it can)."""
        return "no samples arrived" if self.pipe is None else unusable(self.pipe)

    def analysis(self) -> Analysis:
        """What the signal so far comes to."""
        return self.pipe.analysis(self.episodes)


def run_blocks(blocks: Iterable[Block], fs: float, channels: list[str], config: PipelineConfig | None = None,
               progress: Callable[[int], None] | None = None, muscles: dict[str, str] | None = None,
               where: str = "") -> Analysis:
    """Run blocks through one :class:`Runner`; check the signal is usable (else :class:`InputError`).

    ``where``: the recording's name, which begins the notes on its signal (a batch's are told apart by it).
    """
    runner = Runner(fs, channels, config, muscles)
    for block in blocks:
        runner.feed(block)
        if progress:
            progress(runner.pipe.samples_seen)
    runner.finish()
    if runner.problem():
        raise InputError(runner.problem())
    say_doubts(runner.pipe, where=where)
    return runner.analysis()


def unusable(pipe: Pipeline) -> str:
    """Why the signal ``pipe`` has seen cannot be analysed, in one line (``""``: it can)."""
    duration = pipe.samples_seen / pipe.fs
    if duration < MIN_SIGNAL_S:  # as many digits as keep it under the minimum: 1.9995 s is not "2 s long"
        text = next(t for k in range(3, 17) if float(t := f"{duration:.{k}g}") < MIN_SIGNAL_S)
        return f"signal is {text} s long: at least {MIN_SIGNAL_S:g} s are needed"
    dead = [ch for ch, q in pipe.quality().items() if q["flat_fraction"] >= 0.999]
    if dead:
        return (f"channel {dead[0]!r} is flat in the EMG band (constant, all zero, or only a slow ramp such as a "
                "time or counter column): lead-off, or the wrong channel?")
    return ""


# More than half the signal without EMG is said, whatever the cause: a night of it is a night not watched.
FLAT_NOTE_SHARE = 0.5


def say_doubts(pipe: Pipeline, units: bool = True, movements: bool = True, where: str = "") -> bool:
    """Warn (:class:`SettingsWarning`, one line each) of what in the signal ``pipe`` has seen looks wrong
    though it could be analysed: a channel whose rest level lies under the electrodes' own noise
    (:data:`~emgcramp.core.config.ELECTRODE_NOISE_UV`), so whose samples are not µV and whose cramps go unseen
    (``units``), or more than :data:`FLAT_NOTE_SHARE` of whose signal is flat; one whose resting EMG wavers so that rises of leg-movement length come by chance, not scored
    (``movements``). Returns whether a channel's units were doubted. ``where``: the recording, named first.
    """
    doubted, named = False, f"{where}: " if where else ""
    if len(pipe.hum_left) > pipe.hum_said:  # a mains setting that leaves hum in: it hides weak cramps; said once
        new, pipe.hum_said = pipe.hum_left[pipe.hum_said:], len(pipe.hum_left)
        mains = pipe.config.mains if isinstance(pipe.config.mains, str) else f"{pipe.config.mains:g}"
        settings_note(f"{named}mains hum at {', '.join(f'{f:g}' for f in new[:3])} Hz is left in by the mains "
                      f"setting ({mains}): it raises the rest level and hides weak cramps; 'auto' notches the hum "
                      "it finds")
    for channel, q in pipe.quality().items():
        rest, tiny = q["rest_uv"], False
        if units and math.isfinite(rest) and rest < ELECTRODE_NOISE_UV and q["flat_fraction"] < 0.999:
            doubted = tiny = True
            settings_note(
                f"{named}channel {channel!r}: its rest level, {rest:.2g} µV, lies under what any skin electrode reads "
                f"({ELECTRODE_NOISE_UV:g} µV): are the samples in µV? Multiply them by the µV per unit (1000 for mV, "
                "1000000 for V; --scale on the command line)")
        elif units and math.isfinite(rest) and rest > MAX_REST_UV:
            doubted = True
            settings_note(
                f"{named}channel {channel!r}: its rest level, {rest:.3g} µV, is over what surface EMG reads even in a maximal "
                f"contraction ({MAX_REST_UV:g} µV RMS): are the samples in the unit the file says? (µV said to be mV "
                "read 1000 times too high; for a file without a unit, --scale gives the µV per unit)")
        # whole: unusable(), an error; samples in volts read as µV are "flat" too (a mean square under 1e-9 µV²)
        if units and not tiny and FLAT_NOTE_SHARE <= q["flat_fraction"] < 0.999:
            settings_note(
                f"{named}channel {channel!r}: {100 * q['flat_fraction']:.0f} % of it is flat (one value held: the "
                "electrodes off, or each sample sent more than once, when the rate given is not the board's own); "
                "no cramp is found there")
        if movements and q.get("lm_unscored"):
            settings_note(
                f"{named}channel {channel!r}: {q['lm_unscored']:.0f} rise(s) of leg-movement length not scored as leg "
                f"movements: its resting EMG ({rest:.3g} µV) wavers so much that they come by chance; leg movements "
                "and the PLM index leave them out (a noisier electrode contact than a sleep lab's)")
    return doubted


def _names(channels: list[str], width: int) -> list[str]:
    if not channels:
        return default_names(width)
    if len(channels) != width:
        raise InputError(f"the sensor sends {width} channel(s) but --muscles names {len(channels)}")
    return list(channels)


def _check_same(pipe: Pipeline, width: int, fs: float | None) -> None:
    """Raise :class:`SensorChanged` when the channel count or the rate is not the pipeline's."""
    if width != len(pipe.channel_names):
        raise SensorChanged(f"the sensor now sends {width} channel(s) instead of {len(pipe.channel_names)}")
    if fs is not None and fs != pipe.fs:
        raise SensorChanged(f"the sensor now samples at {fs:g} Hz instead of {pipe.fs:g} Hz")
