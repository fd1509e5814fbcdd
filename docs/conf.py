"""Sphinx configuration: ``pip install -e '.[docs]'``, then
``python -m sphinx -W --keep-going -b html docs docs/_build/html``.

The pages of the commands (``commands/``) are written here from the real
parser at each build, and the gallery (``auto_examples/``) runs every script
of the repository's ``examples/`` folder: neither is kept in the repository.
"""

import os
import sys

DOCS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(DOCS), "src"))  # this tree's package, whatever is installed

import emgcramp

project = "emgcramp"
author = "emgcramp contributors"
copyright = "emgcramp contributors"
release = version = emgcramp.__version__

extensions = [
    "sphinx.ext.autodoc",
    "numpydoc",
    "myst_parser",
    "sphinxarg.ext",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
html_theme = "alabaster"
html_title = f"emgcramp {release}"
html_static_path: list[str] = []
html_theme_options = {"page_width": "1240px", "sidebar_width": "230px", "body_max_width": "none"}  # 120-column code
smartquotes = False  # options stay as typed: --fs, not an en dash

# The API reference: numpydoc reads the docstrings; members are listed by autodoc, not as summary tables.
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the types are in each docstring's Parameters and Returns
numpydoc_show_class_members = False
numpydoc_attributes_as_param_list = True
# Every documented parameter, return value and exception, checked at each build (a miss fails it with -W);
# left out: See Also, Extended Summary and Examples sections on every object, and the style of each sentence.
numpydoc_validation_checks = {"all", "SA01", "ES01", "EX01", "PR08", "PR09", "RT02", "RT05", "SS03", "SS05", "SS06",
                              "GL01", "GL02", "GL08"}

myst_heading_anchors = 3

sphinx_gallery_conf = {
    "examples_dirs": os.path.join(DOCS, "..", "examples"),
    "gallery_dirs": os.path.join(DOCS, "auto_examples"),
    "filename_pattern": r"\.py$",  # run every example, not only plot_*.py
    "within_subsection_order": "sphinx_gallery.sorting.FileNameSortKey",
    "download_all_examples": False,
    "image_scrapers": ("matplotlib",),
}


# --- a page per command, from emgcramp.cli.parser.build_parser() -------------------------------------------

def _commands() -> list[tuple[str, str, str]]:
    """(name, one-line help, epilog) of each command, in the parser's order."""
    import argparse

    from emgcramp.cli.parser import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    helps = {c.dest: c.help or "" for c in sub._choices_actions}
    return [(name, helps.get(name, ""), p.epilog or "") for name, p in sub.choices.items()]


def _write_if_changed(path: str, text: str) -> None:
    """Write ``text`` to ``path`` unless it holds it already (so Sphinx rebuilds only what changed)."""
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except FileNotFoundError:
        pass
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def write_command_pages() -> None:
    folder = os.path.join(DOCS, "commands")
    os.makedirs(folder, exist_ok=True)
    commands = _commands()
    index = ["Commands", "========", "",
             ("``emgcramp COMMAND [options]``; ``emgcramp COMMAND --help`` prints the same text as these pages. "
              "Bad input is one line on stderr and exit status 2."), "",
             ".. argparse::", "   :module: emgcramp.cli.parser", "   :func: build_parser", "   :prog: emgcramp",
             "   :nosubcommands:", "", ".. toctree::", "   :maxdepth: 1", ""]
    index += [f"   {name}" for name, _, _ in commands]
    for old in set(os.listdir(folder)) - {f"{name}.rst" for name, _, _ in commands} - {"index.rst"}:
        os.remove(os.path.join(folder, old))  # a command the parser no longer has
    _write_if_changed(os.path.join(folder, "index.rst"), "\n".join(index) + "\n")
    for name, summary, epilog in commands:
        title = f"emgcramp {name}"
        page = [f".. _command-{name}:", "", title, "=" * len(title), "", summary[:1].upper() + summary[1:] + ".", "",
                ".. argparse::", "   :module: emgcramp.cli.parser", "   :func: build_parser", "   :prog: emgcramp",
                f"   :path: {name}", "   :nodefault:", ""]  # each help text gives its default in words
        if epilog:  # laid out by hand for the terminal (exit statuses): shown as it is printed
            page[-1:] = ["   :noepilog:", "", "::", ""] + [f"   {line}".rstrip() for line in epilog.splitlines()] + [""]
        _write_if_changed(os.path.join(folder, f"{name}.rst"), "\n".join(page))


write_command_pages()
