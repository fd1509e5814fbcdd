"""RESULTS.md is shared by the bench scripts: each one rewrites only its own part."""

from __future__ import annotations

import os
import re

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")
HEADER = ("# Benchmarks\n\nEvery figure quoted in the README or a closing note comes from here. Each part is "
          "rewritten by the script named in it.\n")


def replace_section(key: str, text: str, path: str = PATH) -> None:
    """Put ``text`` between ``<!-- key -->`` markers in RESULTS.md, replacing what was there."""
    old = open(path, encoding="utf-8").read() if os.path.exists(path) else HEADER
    block = f"<!-- {key} -->\n{text.strip()}\n<!-- /{key} -->"
    pattern = re.compile(rf"<!-- {re.escape(key)} -->.*?<!-- /{re.escape(key)} -->", re.S)
    new = pattern.sub(lambda _: block, old) if pattern.search(old) else old.rstrip() + "\n\n" + block + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(new)
