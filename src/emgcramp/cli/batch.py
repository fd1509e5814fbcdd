"""Many recordings at once: ``emgcramp analyze DIR|GLOB --jobs N``.

Each file goes through the same single-file analysis in a worker process
(a local pool, or a Dask cluster with ``--dask ADDRESS|local``);
a file that fails is reported on its own line and the others carry on. The
episodes of all files are merged into one table: the usual events-CSV
columns first and in their order (so ``trend`` reads it), then ``file`` and
``subject``. With ``--json`` one JSON document is printed instead of the table.
Ctrl-C stops at once: workers ignore SIGINT and are ended by the parent, and
the table is written whole or not at all.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import warnings
from collections.abc import Iterator
from dataclasses import replace

from emgcramp.cli import one_line
from emgcramp.core.errors import InputError, SettingsWarning, settings_note
from emgcramp.io import recordings_in
from emgcramp.io.events import nulls
from emgcramp.io.secure import is_night_folder



def is_batch(path: str) -> bool:
    """A folder that is not a monitor night, or a glob pattern (not a file that exists: its name may hold ``[``)."""
    if any(c in path for c in "*?[") and not os.path.isfile(path):
        return True
    return os.path.isdir(path) and not is_night_folder(path)


# A subject id: BIDS's sub-LABEL, or a subject code (S012, P3, pt07, id4, subj2) or subject/patient/participant
# with its number, as a whole name or before _ - . or a space; any other word with a digit ("day7", "rec1", "nights2") is
# not one: a week of one person's nights must not read as seven subjects.
SUBJECT = re.compile(r"(sub-[A-Za-z0-9]+|(?:s|p|pt|pat|id|subj|subject|patient|participant)\d+)(?=[_\-.\s]|$)",
                     re.I)


def subject_of(path: str) -> str:
    """A subject id from names like ``S012_night3.edf`` or ``sub-07/...`` (else empty); see :data:`SUBJECT`."""
    for part in reversed(os.path.normpath(path).split(os.sep)):
        m = SUBJECT.match(part)
        if m:
            return m.group(1)
    return ""


def _one(path: str, read, config):
    """(path, result, start, error, skipped, notes) of one file; a worker's notes go back to the parent to print."""
    import warnings

    from emgcramp.core.errors import SettingsWarning

    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always", SettingsWarning)
        outcome = _analysed(path, read, config)
    for w in said:  # any other warning is shown here, as it would have been
        if w.category is not SettingsWarning:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    return (*outcome, [str(w.message) for w in said if w.category is SettingsWarning])


def _analysed(path: str, read, config) -> tuple:
    """(path, result, start, error, skipped): ``skipped`` says why a file that holds no samples was passed over."""
    from emgcramp.files import analyze_file
    from emgcramp.io import holds_no_samples

    try:
        result, start = analyze_file(path, _applying(path, read), config)
        return path, result, start, None, None
    except InputError as e:
        if holds_no_samples(path, e):  # notes or an empty file kept beside the recordings: not one that failed
            return path, None, None, None, str(e).removeprefix(f"{path}: ")
        return path, None, None, str(e), None
    except (OSError, MemoryError) as e:  # unreadable (permission, a disk error): this file fails, the rest go on
        why = f"{path}: {e.strerror or e}" if isinstance(e, OSError) else f"{path}: out of memory"
        return path, None, None, why, None
    except Exception as e:  # a reader's bug on a damaged file: reported as such, and the batch goes on
        return path, None, None, f"{path}: internal error reading it ({type(e).__name__}: {e})", None


def _applying(path: str, read):
    """``read`` without the options meant for other formats than ``path``'s, each dropped with a note.

    In a folder of mixed formats ``--fs`` is meant for the files without a rate (NPY, text without a
    time column), ``--scale`` for those without units (NPY, WAV, text whose header names none) and
    ``--stream`` for the XDF ones; a file that carries its own is read as it is, and says so.
    """

    from emgcramp.io import BY_NAME, detect_format
    from emgcramp.io.text import header_facts

    try:
        name = detect_format(path)
    except InputError:
        return read  # opening it will say what is wrong
    fmt = BY_NAME[name]
    timed, units = header_facts(path) if fmt.name == "text" else (False, fmt.name == "edf" and _edf_units(path))
    for option, what, applies in (("fs", "it carries its own rate", fmt.has_rate is False or
                                   (fmt.has_rate is None and not timed)),
                                  ("scale", "it carries its own units", "scale" in fmt.takes and not units),
                                  ("stream", "it holds one recording", "stream" in fmt.takes)):
        if getattr(read, option) is not None and not applies:
            settings_note(f"{path}: --{option} not applied: {what}")
            read = replace(read, **{option: None})
    return read


def _edf_units(path: str) -> bool:
    """Whether every signal of an EDF/BDF names its unit (``--scale`` is then not for it)."""
    from emgcramp.io.edf_header import layout

    try:
        lay = layout(path)
    except OSError:
        return False  # opening it will say what is wrong
    return lay is None or all(u for u, name in zip(lay.units, lay.labels)
                              if name not in ("EDF Annotations", "BDF Annotations"))


def _outcomes(files: list[str], args: argparse.Namespace) -> Iterator[tuple]:
    """(path, result, start, error, skipped, notes) per file as they finish: in this process, a local pool, or Dask."""
    from emgcramp.cli.common import detector_settings, read_options

    # picklable, what the workers get; each night folder is judged with its recorded settings under the options
    settings = read_options(args), detector_settings(args)
    if getattr(args, "dask", None):
        from emgcramp.cli.cluster import dask_outcomes

        yield from dask_outcomes(_one, files, args.dask, args.jobs, settings)
        return
    jobs = min(args.jobs, len(files))  # a worker per file at most: none started to sit idle
    if jobs <= 1:  # no pool: Ctrl-C interrupts the analysis itself, at once
        yield from (_one(f, *settings) for f in files)
        return
    from emgcramp.workers import run_each

    yield from run_each(_one_job, [(f, *settings) for f in files], jobs)


def _one_job(job: tuple) -> tuple:
    """:func:`_one` of one (path, read options, detector settings), as a worker takes it."""
    return _one(*job)


def inputs_of(path: str) -> list[str]:
    """The recordings a folder or pattern names, for the output check (``[]`` for one recording)."""
    if not is_batch(path):
        return []
    try:
        with warnings.catch_warnings():  # its notes come once, where the recordings are analysed
            warnings.simplefilter("ignore", SettingsWarning)
            return recordings_in(path)
    except InputError:
        return []  # said where the recordings are looked for, with the rest of batch mode


def run(args: argparse.Namespace) -> int:
    """Analyse every recording; write the merged table (or print JSON); exit 1 if any file failed."""
    files = recordings_in(args.file)
    if args.events:
        from emgcramp.io.events import is_events_csv
        from emgcramp.io.secure import check_writable

        check_writable(args.events, files, args.force, is_events_csv)
    results, errors, skipped, said = {}, {}, {}, {}
    with contextlib.closing(_outcomes(files, args)) as outcomes:  # an interrupt ends the workers here too
        for done, (path, result, start, error, skip, notes) in enumerate(outcomes, 1):
            said[path] = notes
            for note in notes:
                print(f"[{done}/{len(files)}] note: {one_line(note)}", file=sys.stderr)
            if error:
                errors[path] = error
                why = str(error).removeprefix(f"{path}: ")  # said once, at the start of the line
                print(f"[{done}/{len(files)}] {one_line(path)}: FAILED: {one_line(why)}", file=sys.stderr)
            elif skip:
                skipped[path] = skip
                print(f"[{done}/{len(files)}] {one_line(path)}: skipped, no samples in it: {one_line(str(skip))}",
                      file=sys.stderr)
            else:
                results[path] = (result, start)
                if not args.no_progress:  # the progress; a note, a failure or a skip is said all the same
                    print(f"[{done}/{len(files)}] {one_line(path)}: {len(result.episodes)} cramp(s)", file=sys.stderr)
    if not results:
        raise InputError(f"{args.file}: none of the {len(files)} recording(s) could be analysed; nothing written"
                         + (f" ({len(skipped)} held no samples)" if skipped else ""))
    files = [p for p in files if p not in skipped]
    n_cramps = sum(len(r.episodes) for r, _ in results.values())
    if args.events:
        _write_table(args.events, [p for p in files if p in results], results)
    labels = _answers(results, said)
    if getattr(args, "json", False):
        doc = _json_document(files, results, errors, n_cramps, labels, said) | {"skipped": skipped}
        print(json.dumps(nulls(doc), indent=2, default=float))
        return 1 if errors else 0
    _print_lines(files, results, labels)
    print(f"{len(results)} of {len(files)} recordings analysed, {n_cramps} cramp(s) in all"
          + _labelled_part(results, labels) + (f"; {len(errors)} failed" if errors else "")
          + (f"; {len(skipped)} file(s) skipped: no samples in them" if skipped else ""))
    return 1 if errors else 0


def _answers(results: dict, said: dict[str, list[str]]) -> dict[str, dict]:
    """The answers given on each recording with ``emgcramp review``, as single-night analyze reads them; what
    is said of its answers file goes with its notes."""
    from emgcramp.cli.common import notes_kept
    from emgcramp.io.labels import tally_for

    labels = {}
    for p, (r, _) in results.items():
        with notes_kept(said.setdefault(p, [])):
            if (t := tally_for(p, r)) is not None:
                labels[p] = t
    return labels


def _print_lines(files: list[str], results: dict, labels: dict[str, dict]) -> None:
    """A line per recording analysed: path, subject, cramps found, hours; the answers given, where there are some."""
    from emgcramp.cli.common import span_text
    from emgcramp.io.labels import tally_line

    longest = max((results[p][0].duration_s for p in files if p in results), default=0.0)
    for p in files:
        if p in results:
            r = results[p][0]
            answers = f"\t{tally_line(labels[p])}" if p in labels else ""
            span = span_text(r.duration_s, longest)  # one unit down the column
            # a name's tab or newline makes no column nor line of its own
            print(f"{one_line(p)}\t{subject_of(p) or '-'}\t{len(r.episodes)} cramp(s)\t{span}{answers}")


def _labelled_part(results: dict, labels: dict[str, dict]) -> str:
    """The summary's words on the labelled recordings: cramps found there beside the cramps the person counts."""
    if not labels:
        return ""
    found = sum(len(results[p][0].episodes) for p in labels)
    counted, added = sum(t["cramps"] for t in labels.values()), sum(t["missed"] for t in labels.values())
    return (f"; on the {len(labels)} recording(s) you labelled, {found} cramp(s) were found and you counted "
            f"{counted} ({counted - added} confirmed, {added} you added that it missed)")


def _write_table(path: str, files: list[str], results: dict) -> None:
    """The merged events table: the events-CSV columns in their order, then ``file`` and ``subject``; atomic."""
    import csv

    from emgcramp.io.events import COLUMNS, episode_row
    from emgcramp.io.secure import private_file

    with private_file(path) as f:
        w = csv.DictWriter(f, fieldnames=[*COLUMNS, "file", "subject"])
        w.writeheader()
        for p in files:
            result, start = results[p]
            w.writerows(episode_row(e, start) | {"file": p, "subject": subject_of(p)} for e in result.episodes)


def _json_document(files: list[str], results: dict, errors: dict[str, str], n_cramps: int,
                   labels: dict[str, dict] | None = None, notes: dict[str, list[str]] | None = None) -> dict:
    """Per recording in order: its path, subject, and summary with episodes, or its one-line error; and the
    notes said of it (``emgcramp: note: …`` on stderr), as single-recording ``--json`` gives them.

    A recording answered with ``emgcramp review`` also has ``labels`` (:func:`emgcramp.io.labels.tally`);
    ``labelled`` counts those recordings, ``confirmed`` the cramps their answers confirmed and ``counted`` those and
    the cramps added as missed.
    """
    from emgcramp.core.types import episode_record

    recordings = []
    for p in files:
        entry = {"file": p, "subject": subject_of(p)}
        if p in results:
            result, start = results[p]
            entry |= {"summary": result.summary(start), "episodes": [episode_record(e, start) for e in result.episodes]}
            if p in (labels or {}):
                entry["labels"] = labels[p]
        else:
            entry["error"] = errors.get(p, "not analysed")
        recordings.append(entry | {"notes": (notes or {}).get(p, [])})
    labels = labels or {}
    return {"recordings": recordings, "analysed": len(results), "failed": len(errors), "cramps": n_cramps,
            "labelled": len(labels), "confirmed": sum(t["confirmed"] for t in labels.values()),
            "counted": sum(t["cramps"] for t in labels.values())}

