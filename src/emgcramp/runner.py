"""The offline runner: a recording's blocks through one :class:`~emgcramp.pipeline.Pipeline`.

:func:`run_blocks` takes the chunks a :class:`~emgcramp.io.base.Recording`
streams, so a file of any length is analysed in constant memory;
:func:`unusable` is the check it and the monitor make at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from emgcramp.core.blocks import Block
from emgcramp.core.config import PipelineConfig
from emgcramp.core.errors import InputError
from emgcramp.core.types import Analysis, Episode
from emgcramp.pipeline import Pipeline

MIN_SECONDS = 2.0


def run_blocks(blocks: Iterable[Block], fs: float, channels: list[str], config: PipelineConfig | None = None,
               progress: Callable[[int], None] | None = None) -> Analysis:
    """Run blocks through one :class:`Pipeline`; check the signal is usable."""
    pipe = Pipeline(fs, channels, config)
    episodes: list[Episode] = []
    for block in blocks:
        episodes += pipe.process(block)
        if progress:
            progress(pipe.samples_seen)
    episodes += pipe.finish()
    problem = unusable(pipe)
    if problem:
        raise InputError(problem)
    return pipe.analysis(episodes)


def unusable(pipe: Pipeline) -> str:
    """Why the signal ``pipe`` has seen cannot be analysed, in one line (``""``: it can)."""
    duration = pipe.samples_seen / pipe.fs
    if duration < MIN_SECONDS:
        return f"signal is {duration:.3g} s long: at least {MIN_SECONDS:g} s are needed"
    dead = [ch for ch, q in pipe.quality().items() if q["flat_fraction"] >= 0.999]
    if dead:
        return f"channel {dead[0]!r} is flat (constant or all-zero): lead-off, or the wrong channel?"
    return ""
