"""Exceptions that the command line turns into one clear line and exit status 2, and the one warning it
shows as a line (``emgcramp: note: …``)."""

from __future__ import annotations

import contextvars
import os
import re
import sys
import warnings


class SettingsWarning(UserWarning):
    """A note on a recording or its settings, in one sentence: what in the signal looks wrong though it could be
    analysed (its units, unscored leg movements, rows or channels left out), or a setting that cannot apply as it
    was and what is used instead. The command line prints each as ``emgcramp: note: …``."""


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where a command was, so that it unwinds as from Ctrl-C (``signum``: which)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class InputError(Exception):
    """Bad input: a file, a channel, a parameter or a signal we cannot analyse.

    The message is a complete sentence for the user, without a traceback.
    """


class BadSamples(InputError):
    """A block holds a NaN, an infinite sample or one beyond any electrode's input; ``at``: the first, in the block.

    The samples before it are good: a live night keeps them (:mod:`emgcramp.live.monitor`), and ``records``
    holds what the night logged for them.
    """

    def __init__(self, message: str, at: int):
        super().__init__(message)
        self.at = at
        self.records: list[dict] = []


# Whether the Python API is the caller (emgcramp.api.checks.worded_for_python sets it, per thread and task):
# its notes then name the API's keywords, not the command line's options.
FOR_PYTHON: contextvars.ContextVar[bool] = contextvars.ContextVar("emgcramp_for_python", default=False)
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A command-line option in a message, and the keyword the API takes for it: with a value after it
# (``--fs HZ``, ``--stream NAME``) it becomes ``fs=HZ``; alone (``give --channel with the calf's``), ``channel=``.
_OPTION_VALUE = re.compile(r"--(fs|scale|stream|channel) ([A-Z0-9][^\s,;:)]*)")
_OPTION = re.compile(r"--(fs|scale|stream|channel)\b")


def python_words(message: str) -> str:
    """``message`` with the command line's options named as the API's keywords."""
    message = message.replace("(--scale)", "(scale= for a file; multiply an array by it)")
    message = message.replace("; --scale on the command line)", "; scale= for a file)")
    return _OPTION.sub(r"\1=", _OPTION_VALUE.sub(r"\1=\2", message))


def settings_note(message: str) -> None:
    """Issue ``message`` as a :class:`SettingsWarning` at the first line outside the package (the caller's, so
    that Python's once-per-line filter does not take two calls' notes for one), in the API's words when it is
    the caller. The process's warning filters are left as they are."""
    frame, level = sys._getframe(1), 2
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE + os.sep):
        frame, level = frame.f_back, level + 1
    warnings.warn(SettingsWarning(python_words(message) if FOR_PYTHON.get() else message), stacklevel=level)
