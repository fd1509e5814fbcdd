"""How text files are decoded: UTF-8, and a byte that is not UTF-8 as Windows-1252 (else Latin-1).

A spreadsheet or a board's tool in a Western locale saves ``GM (µV)`` or
``GM – left`` in Windows-1252; decoded with replacement characters, the
channel was ``GM (\\ufffdV)`` and its unit was lost. Registered as a codec
error handler (:data:`LEGACY_BYTES`), so that a file is still read in one
pass, and only the bytes that are not UTF-8 are decoded apart.
"""

from __future__ import annotations

import codecs

LEGACY_BYTES = "emgcramp-cp1252"  # ``errors=`` of ``open`` or ``bytes.decode`` for a text file


def _as_cp1252(err: UnicodeError) -> tuple[str, int]:
    """The bytes UTF-8 could not decode, as Windows-1252; its five unused bytes as Latin-1."""
    if not isinstance(err, UnicodeDecodeError):
        raise err
    chars = []
    for b in err.object[err.start:err.end]:
        try:
            chars.append(bytes([b]).decode("cp1252"))
        except UnicodeDecodeError:
            chars.append(chr(b))  # Latin-1: the byte's own code point
    return "".join(chars), err.end


codecs.register_error(LEGACY_BYTES, _as_cp1252)
