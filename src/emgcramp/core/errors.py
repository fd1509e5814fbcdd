"""Exceptions that the command line turns into one clear line and exit status 2, and the one warning it
shows as a line (``emgcramp: note: …``)."""


class SettingsWarning(UserWarning):
    """A recorded setting that cannot apply as it was, and what is used instead (one sentence)."""


class InputError(Exception):
    """Bad input: a file, a channel, a parameter or a signal we cannot analyse.

    The message is a complete sentence for the user, without a traceback.
    """
