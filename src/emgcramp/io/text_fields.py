"""What one field or name of a text table is: a number, a unit, a decimal comma, a clock time.

The field-level rules :mod:`emgcramp.io.text` reads a table with, apart
from its reading: which delimiter a line uses, which unit a column's name
ends in, and which fields are numbers to a person but not to a parser of
numbers (``-12,5``, ``23:00:01``), so the error can say how to write them.
"""

from __future__ import annotations

import csv
import re

import numpy as np

from emgcramp.io.base import unit_scale

MIN_FRACTION_ROWS = 100  # rows a column must span before it is judged the digits after a decimal comma
UNIFORM_CHI2 = 40.0  # chi-square (9 degrees of freedom) under which ten digits' counts are taken as even


def unended(delim: str | None, fields: list[str]) -> tuple[str | None, list[str]]:
    """``(delim, fields)`` of a line without the empty field after a separator that ends it (``1.5;3.2;``)."""
    return delim, fields[:-1] if delim and len(fields) > 1 and not fields[-1].strip() else fields


def ends_in_separator(rows: list[str], delim: str | None, width: int) -> bool:
    """Whether a table's rows end in their separator (``1.5;3.2;``): its first row of data among ``rows``
    (blank and comment lines passed) splits into ``width`` (its columns) + 1 fields, the last empty."""
    row = next((r.split("#", 1)[0] for r in rows if r.split("#", 1)[0].strip()), "")
    fields = row.split(delim) if delim else []
    return len(fields) == width + 1 and not fields[-1].strip()


def cut_separator(text: str, delim: str) -> str:
    """``text`` (a line or many) without the separator that ends each line, before a comment if one follows."""
    return re.sub(rf"{re.escape(delim)}[ \t\r]*(?=(#.*)?$)", "", text, flags=re.M)


def split_header(line: str) -> tuple[str | None, list[str]]:
    """(delimiter, fields) of ``line``: the first of tab, semicolon and comma it holds, else whitespace (None);
    a comma last, as between tabs or semicolons it may be a decimal comma (``0,001;-4,77``)."""
    bare = re.sub(r'"[^"]*"', "", line)  # a quoted name may hold any of them ("calf, left" in a TSV)
    for delim in ("\t", ";", ","):
        if delim in bare:  # split as CSV is: the quoted name stays one
            return delim, [f.strip().strip('"') for f in next(csv.reader([line], delimiter=delim))]
    return None, line.split()


def is_number(s: str) -> bool:
    """Whether ``s`` parses as a float, as NumPy will read it."""
    try:
        float(s)
        return True
    except ValueError:
        return False


UNIT_RE = re.compile(r"(?:[_\s(\[]|^)(microvolts?|millivolts?|nanovolts?|volts?|uv|µv|μv|mv|nv|v)[)\]]?$", re.I)


def unit_of(name: str) -> float | None:
    """µV per unit of a column named with a voltage unit at its end (``calf_mV`` → 1000), else None."""
    m = UNIT_RE.search(name.strip())
    return unit_scale(m.group(1).lower()) if m else None


def named(names: list[str]) -> list[str]:
    """Channel names without the voltage unit that ends them (``GM_uV`` → ``GM``: the samples are µV once
    read); a name that would be left empty, or the same as another, is kept whole."""
    bare = [UNIT_RE.sub("", n.strip()).rstrip(" _-") if unit_of(n) is not None else n for n in names]
    return [b if b and bare.count(b) == 1 else n for n, b in zip(names, bare)]


# Units a lab's other instruments write at a column's end (force, torque, angle, pressure, temperature, heart
# rate): ``force_kgf``, ``angle (deg)``. Only these: a short ending such as ``_C`` or ``_g`` may name a site.
_OTHER_UNIT_RE = re.compile(r"[_\s(](n|kn|kgf|lbf|nm|kg|deg|degc|rad|kpa|pa|mmhg|bpm|m/s2|m/s\^2)\)?$", re.I)


def foreign_unit(name: str) -> str | None:
    """The unit a name gives in square brackets (``pressure [kPa]``) when it is not a voltage, or one of the
    units of other instruments at its end (``force_kgf``)."""
    m = re.search(r"\[\s*([^\[\]]+?)\s*\]$", name.strip())
    if m:
        return m.group(1) if unit_scale(m.group(1)) is None else None
    m = _OTHER_UNIT_RE.search(name.strip())
    return m.group(1) if m else None


# Fields a whole table is written with that are numbers to a person but not to a reader of numbers.
HINTS = {
    "decimal_comma": "a number with a decimal comma: save the table with decimal points (and commas, tabs or "
                     "semicolons between the columns)",
    "clock": "a clock time: a time column is read in seconds (time, time_s) or milliseconds (time_ms) from the "
             "start; write it so, or leave it out and give --fs HZ",
    "quoted": "a number in quotes: save the table with its numbers unquoted (a spreadsheet's or a script's "
              "'quote all fields' off)",
}


_DECIMAL_COMMA = re.compile(r"[-+]?\d+,\d+(?:[eE][-+]?\d+)?")  # -12,5 or 3,46E-06


def decimal_commas(rows: list[str], delim: str | None) -> bool:
    """Whether the numbers of a table split by ``delim`` (a semicolon or a tab) are written with decimal commas,
    as a spreadsheet in such a locale saves them, from its first ``rows``: a field holds one that no thousands
    separator makes (a leading 0, other than 3 digits after it, an exponent: ``0,001``, ``-3,25``, ``3,46E-06``)
    and no number holds a decimal point (``2,816`` beside ``0.001`` is two thousand)."""
    if delim not in (";", "\t"):
        return False
    fields = [f.strip() for row in rows for f in row.split("#", 1)[0].split(delim)]
    if any("." in f and is_number(f) for f in fields):
        return False
    return any(_DECIMAL_COMMA.fullmatch(f) and not re.fullmatch(r"[-+]?[1-9]\d{0,2},\d{3}", f) for f in fields)


def kind(field: str) -> str:
    """``decimal_comma`` (``-12,5``), ``clock`` (``23:00:01.5``, ``2026-01-01T23:00:00``), ``quoted`` (``"4.25"``)
    or ``""``."""
    if len(field) > 2 and field[0] == field[-1] == '"' and is_number(field[1:-1]):
        return "quoted"
    if _DECIMAL_COMMA.fullmatch(field):
        return "decimal_comma"
    if re.fullmatch(r"(\d{4}-\d\d-\d\d[T ])?\d{1,2}:\d\d(:\d\d([.,]\d+)?)?(Z|[+-]\d\d:?\d\d)?", field):
        return "clock"
    return ""


def decimals(field: str) -> int:
    """Digits printed after the point (``7.0005`` → 4, ``1.5e-03`` → 4)."""
    mant, _, exp = field.strip().strip('"').lower().partition("e")
    digits = len(mant.split(".", 1)[1]) if "." in mant else 0
    try:
        return digits - int(exp or 0)
    except ValueError:
        return digits


def fraction_column(second: list[str], first: list[str]) -> bool:
    """Whether ``second`` reads as the one digit after a decimal comma, ``first`` as the whole part before it.

    Printed to one decimal, a signal's fraction leaves a single digit that takes each value about as often
    as the others (a chi-square of the ten counts under :data:`UNIFORM_CHI2`, which even ten fair digits
    pass all but once in 10⁵), beside a whole part that takes several. A device's second channel of small
    counts (an envelope output reading 0–9 at rest) gathers round its level instead. Wider fractions give
    themselves away by a leading zero (``12,05``) within a few rows. Judged over :data:`MIN_FRACTION_ROWS`
    rows or more.
    """
    if len(second) < MIN_FRACTION_ROWS or not all(len(b) == 1 and b.isdigit() for b in second):
        return False
    expected = len(second) / 10.0
    chi2 = sum((second.count(str(d)) - expected) ** 2 / expected for d in range(10))
    return chi2 < UNIFORM_CHI2 and len(set(first)) >= 3


def fit_step(t: np.ndarray) -> tuple[float, float]:
    """Least-squares step of a time column ``t`` against its row number, and the step's standard error."""
    i = np.arange(len(t), dtype=np.float64)
    i -= i.mean()
    step = float(np.dot(i, t - t.mean()) / np.dot(i, i))
    resid = t - t.mean() - step * i
    dof = max(len(t) - 2, 1)
    return step, float(np.sqrt(np.dot(resid, resid) / dof / np.dot(i, i)))


def whole_rate(step: float, se: float) -> float:
    """The rate (Hz) of a fitted time step (s) and its standard error: the nearest whole number of Hz when the
    fit allows it (a device's rate most often is)."""
    rate, whole = 1.0 / step, round(1.0 / step)
    return float(whole) if whole > 0 and abs(rate - whole) <= max(4.0 * se * rate * rate, 1e-9 * rate) else rate


def decimal_comma_row(rows: list[str]) -> int | None:
    """The first of ``rows`` (a table without a header, comments cut) that shows it to be one column of
    decimal-comma numbers (``-0,05``) rather than two of whole numbers, or None.

    Split at its commas, such a table parses as two columns of whole
    numbers; but no device prints a whole number as ``-0``, nor one in the
    second column with a leading zero (``05``) unless it pads the first
    column too (``0533,0330``): those are a decimal comma's two halves.
    """
    fields = [[f.strip() for f in unended(",", row.split(","))[1]] for row in rows]
    pairs = [(i, f) for i, f in enumerate(fields) if len(f) == 2]
    if not pairs or any(len(f[0].lstrip("+-")) > 1 and f[0].lstrip("+-")[0] == "0" for _, f in pairs):
        return None  # whole numbers printed to a fixed width
    bad = next((i for i, (a, b) in pairs if a == "-0" or (len(b) > 1 and b[0] == "0" and b.isdigit())), None)
    if bad is None and fraction_column([b for _, (_, b) in pairs], [a for _, (a, _) in pairs]):
        bad = pairs[0][0]
    return bad


def start_note(path: str, t0: float) -> str | None:
    """The note for the time column of ``path`` that starts ``t0`` s in (a table cut from a longer recording);
    None under 1 s, less than a cramp's onset is known to."""
    if abs(t0) < 1.0:
        return None
    t0_text = f"{t0:.6f}".rstrip("0").rstrip(".")  # all its digits: a Unix time has 10 before the point
    return f"{path}: its time column starts at {t0_text} s; times here count from its first row (add {t0_text} s " \
           "for the column's)"


def table_below(lines: list[str]) -> int | None:
    """The line (1-based) where a table seems to start among a file's first ``lines``, below lines of text (an
    export that names the subject and the date above its header): its header, or its first row, followed by two
    rows of as many numbers. None when no such line is found."""
    rows = [unended(*split_header(line.strip())) for line in lines]
    numeric = [bool(f) and all(is_number(x) for x in f) for _, f in rows]
    for i in range(len(rows) - 2):
        n = len(rows[i][1])
        if n and numeric[i + 1] and numeric[i + 2] and len(rows[i + 1][1]) == len(rows[i + 2][1]) == n:
            return i + 1
    return None
