"""What a channel's name says about its muscle."""

from __future__ import annotations

import re

_TIBIALIS = re.compile(r"(^|[^a-z])(ta|tib\w*)([^a-z]|$)", re.I)


def is_tibialis(name: str) -> bool:
    """True for a channel named as the tibialis anterior (``TA``, ``tibialis``, ``L-TA`` …)."""
    return bool(_TIBIALIS.search(name))
