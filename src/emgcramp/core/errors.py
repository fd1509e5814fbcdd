"""Exceptions that the command line turns into one clear line and exit status 2, and the one warning it
shows as a line (``emgcramp: note: …``)."""


class SettingsWarning(UserWarning):
    """A recorded setting that cannot apply as it was, and what is used instead (one sentence)."""


class InputError(Exception):
    """Bad input: a file, a channel, a parameter or a signal we cannot analyse.

    The message is a complete sentence for the user, without a traceback.
    """


class NotARecording(InputError):
    """A file that holds no samples at all (prose, an empty file), not a damaged recording.

    Named on its own, it is bad input like any other; met in a folder given to ``analyze``
    (notes kept beside the nights), it is passed over with a line rather than failed.
    """
