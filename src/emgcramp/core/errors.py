"""Exceptions that the command line turns into one clear line and exit status 2, and the one warning it
shows as a line (``emgcramp: note: …``)."""


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
