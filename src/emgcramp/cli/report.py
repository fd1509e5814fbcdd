"""``emgcramp report``: a night report of a recording, from its analysis or from an events table of it."""

from __future__ import annotations

import argparse
import os
import warnings

from emgcramp.cli.common import analyze_recording
from emgcramp.core.errors import InputError, SettingsWarning, settings_note
from emgcramp.files import CHUNK_S


def cmd_report(args: argparse.Namespace) -> int:
    from emgcramp.io import open_recording
    from emgcramp.io.secure import (FIGURE_FORMATS, PAGE_FORMATS, REPORT, check_writable, is_night_folder,
                                    made_by_us, output_format)

    ext = output_format(args.out, PAGE_FORMATS + FIGURE_FORMATS, "--out")  # before any file is looked at
    if os.path.isdir(args.file) and not is_night_folder(args.file):
        raise InputError(f"{args.file}: is a folder; report draws one recording (emgcramp review {args.file} shows "
                         f"each night in it, emgcramp analyze {args.file} analyses each)")
    check_writable(args.out, [args.file] + ([args.events] if args.events else []), args.force, made_by_us(REPORT))
    if ext in PAGE_FORMATS and not args.events:
        return _saved_review(args)
    if args.events:
        from emgcramp.io.events import recording_events

        with open_recording(args.file, args.fs, args.scale) as rec:
            start = rec.start
        episodes, lookalikes, activity = _as_asked(recording_events(args.events, args.file, start), args), [], []
    else:
        result, start = analyze_recording(args.file, args, progress=False)
        episodes, summary = result.episodes, result.summary(start)
    from emgcramp.viz import report, report_page

    if not args.events:
        lookalikes, activity = report.marks(result)
    from emgcramp.cli.progress import Progress

    with warnings.catch_warnings():  # read again to draw: its notes were said once (opening it said them again)
        warnings.simplefilter("ignore", SettingsWarning)
        with open_recording(args.file, args.fs, args.scale) as rec:
            chs = rec.channel_indices(args.channel)  # the timeline shows the first channel analysed; a zoom, its own
            fs = rec.rate()
            blocks = Progress("draw", rec.n_samples).over(rec.blocks(chs, int(CHUNK_S * fs)),
                                                          lambda b: len(b.samples))
            view = report.night_view(blocks, fs, episodes, [rec.channel_names[c] for c in chs])
    if args.events:
        summary = report.events_summary(view, episodes)
    # 1-s means: the recording's length. (A night's own cramp may lie past its samples: alerted, not stored.)
    beyond = [e for e in episodes if e.onset_s > len(view.envelope_1s) + 1.0 and "not_stored" not in e.flags]
    if beyond:
        raise InputError(f"{args.events}: a cramp at {beyond[0].onset_s:g} s starts after {args.file} ends "
                         f"({len(view.envelope_1s)} s): events of another recording?")
    title = f"Night of {start:%Y-%m-%d}" if start else os.path.basename(args.file)
    fig = report.figure(view, episodes, start, title, lookalikes, activity, summary)
    report_page.write(args.out, fig, episodes, start, summary, title)
    print(f"{len(episodes)} cramp(s); report written to {args.out}")
    return 0


def _as_asked(episodes: list, args: argparse.Namespace) -> list:
    """An events table's cramps, those under ``--cramp-threshold`` or ``--min-duration`` left out (said in a note),
    as ``trend`` counts them; the options that would need the night analysed again are refused in one line."""
    again = [o for o, v in (("--mains", args.mains), ("--mvc-uv", args.mvc_uv), ("--profile", args.profile)) if v]
    if again:
        raise InputError(f"{again[0]} changes what an analysis measures; with --events the table's cramps are drawn "
                         "as it holds them: drop --events to analyse the recording again with it")
    p, d = args.cramp_threshold or 0.0, args.min_duration or 0.0
    kept = [e for e in episodes if (e.probability is None or not e.probability < p - 5e-4) and e.duration_s >= d]
    if len(kept) < len(episodes):  # a probability not known (an older table) is kept, as trend keeps it
        settings_note(f"{args.events}: {len(episodes) - len(kept)} of its {len(episodes)} cramp(s) left out, "
                      "under --cramp-threshold or --min-duration")
    return kept


def _saved_review(args: argparse.Namespace) -> int:
    """``report --out NIGHT.html``: the review page saved whole, its data in it and no answer buttons."""
    from emgcramp.cli.common import detector_settings, read_options
    from emgcramp.io.secure import private_path
    from emgcramp.review.data import load_night
    from emgcramp.review.page import saved_night

    night = load_night(args.file, read_options(args), detector_settings(args))
    with private_path(args.out) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.write(saved_night(night, review_command(args)))
    print(f"{len(night.analysis.episodes)} cramp(s); report written to {args.out}")
    return 0


# The options of report that review takes too, and that change what is read or judged.
SHARED = ("channel", "fs", "scale", "mains", "min_duration", "cramp_threshold", "mvc_uv", "profile")


def review_command(args: argparse.Namespace) -> str:
    """The ``emgcramp review`` command that shows the night this report drew: the file and the options given."""
    import shlex

    given = [(f"--{k.replace('_', '-')}", str(v)) for k in SHARED if (v := getattr(args, k, None)) is not None]
    return shlex.join(["emgcramp", "review", str(args.file), *(x for pair in given for x in pair)])
