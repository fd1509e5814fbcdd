"""The documents say what the tree holds: every part in docs/architecture.md, every command, no missing file."""

import glob
import os
import re

import emgcramp
from emgcramp.cli import COMMANDS

PKG = os.path.dirname(emgcramp.__file__)
ROOT = os.path.dirname(os.path.dirname(PKG))


def _read(*path: str) -> str:
    with open(os.path.join(*path), encoding="utf-8") as f:
        return f.read()


def test_architecture_names_every_subpackage_and_top_level_module():
    doc = _read(ROOT, "docs", "architecture.md")
    names = [f"`{n}/`" for n in os.listdir(PKG) if os.path.isfile(os.path.join(PKG, n, "__init__.py"))]
    names += [f"`{n}`" for n in os.listdir(PKG) if n.endswith(".py")]
    assert len(names) > 10  # the tree was found
    assert [n for n in sorted(names) if n not in doc] == []


def test_the_command_line_docstring_lists_every_command():
    import emgcramp.cli

    doc = emgcramp.cli.__doc__
    assert [c for c in COMMANDS if f"``{c}``" not in doc] == []


def test_every_markdown_file_the_code_cites_exists():
    """A path (``docs/architecture.md``) from the repository root; a bare name (``SOURCE.md``) anywhere in it."""
    cited = set()
    for path in glob.glob(os.path.join(PKG, "**", "*.py"), recursive=True):
        cited |= set(re.findall(r"[\w./*-]*\w\.md\b", _read(path)))
    missing = [c for c in sorted(cited) if not glob.glob(os.path.join(ROOT, c if "/" in c else f"**/{c}"),
                                                         recursive=True)]
    assert cited and missing == []


def test_readme_gives_the_python_versions_pyproject_allows():
    requires = re.search(r'^requires-python = "([^"]+)"', _read(ROOT, "pyproject.toml"), re.MULTILINE).group(1)
    note = re.search(r"\*\*Supported systems\*\*:(.*?)\n\n", _read(ROOT, "README.md"), re.DOTALL).group(1)
    assert f'requires-python = "{requires}"' in note and "Windows is not supported" in note
