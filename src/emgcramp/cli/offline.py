"""Offline commands: analyze a recording, simulate a night, run the demo."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import datetime

from emgcramp.cli.common import (ProgressBar, analyze_recording, check_night_outputs, night_spec, notes_kept,
                                 print_table, span_text)
from emgcramp.core.errors import InputError, settings_note
from emgcramp.files import analyze_file
from emgcramp.io.events import nulls

DEMO_START = datetime(2026, 1, 1, 23, 0, 0)


def cmd_analyze(args: argparse.Namespace) -> int:
    from emgcramp.cli.batch import inputs_of
    from emgcramp.io.edf import is_annotated_copy
    from emgcramp.io.events import is_activity_csv, is_events_csv
    from emgcramp.io.secure import check_writable

    inputs = [args.file] + ([args.profile] if args.profile else []) + inputs_of(args.file)
    outputs = [out for out in (args.events, args.lm_events, args.edf_out) if out]
    if len({os.path.realpath(out) for out in outputs}) < len(outputs):  # the last written would win
        given = [o for o, v in (("--events", args.events), ("--lm-events", args.lm_events),
                                ("--edf-out", args.edf_out)) if v]
        raise InputError(f"{' and '.join(given)} name the same file; give each its own")
    for out, own in ((args.events, is_events_csv), (args.lm_events, is_activity_csv),
                     (args.edf_out, is_annotated_copy)):
        if out:  # re-running over its own earlier output replaces it; anything else needs --force
            check_writable(out, inputs, args.force, own)
    if args.edf_out:  # before the analysis, not after it
        from emgcramp.io.edf_header import check_copy_name, is_bdf

        check_copy_name(args.edf_out, "--edf-out")
        if is_bdf(args.file) and not args.edf_out.lower().endswith(".bdf"):
            raise InputError(f"--edf-out {args.edf_out}: {args.file} holds BDF's 24-bit samples, which EDF's 16 bits "
                             "would not keep; name the copy NAME.bdf")
    if args.profile:
        from emgcramp.live.profile import load_profile

        load_profile(args.profile)  # a bad profile fails before the run, not after
    from emgcramp.cli import batch

    if os.path.isdir(args.file) and batch.is_batch(args.file):
        from emgcramp.io.bids import dataset_root

        if dataset_root(args.file) is not None:
            if args.events or args.lm_events or args.edf_out or args.json:
                raise InputError("a BIDS dataset's results go to its derivatives/emgcramp folder; "
                                 "drop --events, --lm-events, --edf-out and --json")
            from emgcramp.cli.bids import run_bids

            _one_process(args, f"a BIDS dataset's recordings ({args.file}) are analysed one after another")
            return run_bids(args)
    if batch.is_batch(args.file):
        if args.lm_events or args.edf_out:
            raise InputError("--lm-events and --edf-out take a single recording, not a folder or pattern")
        return batch.run(args)
    if os.path.exists(args.file):  # else its one line says what is wrong with it, and nothing before it
        _one_process(args, f"{args.file} is one recording, analysed in one process")
    notes: list[str] = []
    result, start = analyze_recording(args.file, args, notes=notes)
    _write_outputs(args, result, start)
    with notes_kept(notes):  # a damaged line of the answers file is said of this recording too
        labels = _labels(args.file, result)
    _print_result(result, start, args.json, labels, notes)
    return 0


def _one_process(args: argparse.Namespace, why: str) -> None:
    """Say that --jobs and --dask, given, are not used here (``why``), rather than drop them unsaid."""
    if given := " and ".join(o for o, v in (("--jobs", args.jobs != 1), ("--dask", args.dask)) if v):
        settings_note(f"{given}: for a folder or pattern of recordings; {why}")


def _write_outputs(args: argparse.Namespace, result, start: datetime | None) -> None:
    """The copy, the events CSV and the leg-movement table asked for: the earlier ones whole, or these whole."""
    from emgcramp.io.secure import written_together

    with written_together():
        if args.edf_out:
            from emgcramp.cli.edf_copy import write_annotated_copy

            write_annotated_copy(args, result, start)
        if args.events:
            from emgcramp.io.events import write_events_csv

            write_events_csv(args.events, result.episodes, start)
        if args.lm_events:
            from emgcramp.io.events import write_activity_csv

            write_activity_csv(args.lm_events, result.movements, result.warnings, start, result.possible_cramps)


def _labels(path: str, result) -> dict | None:
    """The answers given on this recording with ``emgcramp review`` (``None``: none given)."""
    from emgcramp.io.labels import tally_for

    return tally_for(path, result)


def _print_result(result, start: datetime | None, as_json: bool, labels: dict | None = None,
                  notes: list[str] | None = None) -> None:
    """The analysis on stdout: one JSON document (with the notes said of it), or the table and the night's figures
    (and the answers given)."""
    import json

    if as_json:
        from emgcramp.core.types import episode_record

        episodes = [episode_record(e, start) for e in result.episodes]
        extra = ({"labels": labels} if labels is not None else {}) | {"notes": notes or []}
        print(json.dumps(nulls(result.summary(start) | {"episodes": episodes} | extra), indent=2, default=float))
        return
    print_table(result.episodes, start)
    if result.possible_cramps:  # said "listed": listed here too, under the cramps, apart from them
        print("possible cramps (listed, not counted; p: the decision's probability):")
        print_table(result.possible_cramps, start)
    s = result.summary()
    n_possible = len(s["possible_cramps"])
    possible = f"; {n_possible} possible cramp(s) listed, not counted" if n_possible else ""
    print(f"{s['n_episodes']} cramp(s) in {span_text(s['duration_s'])} "
          f"({s['tonic']} tonic, {s['clonic']} clonic), total {s['total_cramp_s']:.1f} s{possible}")
    from emgcramp.core.types import activity_line

    print(activity_line(s))
    if lost := _without_signal(result, s):
        print(lost)
    if labels is not None:
        from emgcramp.io.labels import tally_line

        print(tally_line(labels))
    # the channels analysed, and what each records where the recording says: a file may hold many others
    named = [f"{c} ({s['muscles'][c]})" if c in s["muscles"] else c for c in s["channels"]]
    print(f"channel{'s' * (len(named) > 1)} analysed: " + ", ".join(named))


def _without_signal(result, s: dict) -> str:
    """The time without signal, in words, as the report says it (``""``: under a second): flat lines, gaps."""
    from emgcramp.core.clock import duration_words

    parts = [f"{ch} flat for {duration_words(sec)}" for ch, q in s["quality"].items()
             if (sec := q["flat_fraction"] * q["seconds"]) >= 1.0]
    if result.recorded_s is not None and (gaps := result.duration_s - result.recorded_s) >= 1.0:
        parts.append(f"{duration_words(gaps)} missing between the parts recorded")
    return f"no signal: {'; '.join(parts)} (electrodes off, or a dead line): nothing is found there" if parts else ""


def write_night(path: str, spec, start: datetime | None = None):
    """Write a synthetic night as EDF+ (truth as annotations) and its truth JSON; return the generator."""
    from emgcramp.cli.progress import Progress
    from emgcramp.io.edf import SIMULATED_BY, write_edf
    from emgcramp.io.events import write_json
    from emgcramp.io.secure import written_together
    from emgcramp.sim.synth import NightGenerator

    gen = NightGenerator(spec)  # returned: the caller reports its truth
    notes = [(e.onset_s, e.offset_s - e.onset_s, f"truth:{e.kind}") for e in gen.events]
    segments = Progress("generate", spec.n_samples).over(gen.segments())
    with written_together():  # a night without its truth, or a truth of another night, is never left
        write_edf(path, spec.fs, list(spec.muscles), segments, notes, start or DEMO_START, note=SIMULATED_BY)
        write_json(os.path.splitext(path)[0] + ".truth.json", gen.truth_dict())
    return gen


def cmd_simulate(args: argparse.Namespace) -> int:
    check_night_outputs(args.out, args.force)
    gen = write_night(args.out, night_spec(args), args.start)
    cramps = sum(e.is_cramp for e in gen.events)
    print(f"wrote {args.out} ({args.hours:g} h at {args.fs:g} Hz, {cramps} cramp(s), "
          f"{len(gen.events) - cramps} look-alike(s)) and its .truth.json")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from emgcramp.eval.matching import match, median_abs

    spec = night_spec(args)
    if args.keep:
        check_night_outputs(args.keep, args.force)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or os.path.join(tmp, "demo_night.edf")
        print(f"generating a synthetic night of {spec.hours:g} h at {spec.fs:g} Hz (seed {spec.seed}) …")
        gen = write_night(path, spec)
        print(f"analysing {os.path.basename(path)} …")
        bar = ProgressBar("analyze")
        try:
            result, start = analyze_file(path, progress=bar)
        finally:
            bar.close()
    truth = [e for e in gen.events if e.is_cramp]
    det = result.episodes
    sc = match([(t.onset_s, t.offset_s, t.kind) for t in truth], [(e.onset_s, e.offset_s, e.kind) for e in det])
    listed = sorted(det + result.possible_cramps, key=lambda e: e.onset_s)
    both = match([(t.onset_s, t.offset_s, t.kind) for t in truth], [(e.onset_s, e.offset_s, e.kind) for e in listed])
    _print_comparison(truth, listed, both, start)
    lookalikes = len(gen.events) - len(truth)
    onsets = f"; onsets {median_abs(sc.onset_errors_s):.2f} s off (median)" if sc.tp else ""
    scores = (f"sensitivity {sc.sensitivity:.2f}, precision {sc.precision:.2f}, F1 {sc.f1:.2f}" if truth
              else "the night holds no cramp: nothing to find, so no sensitivity or F1")  # not 1.00 of nothing
    print(f"\ncramps: {sc.tp} of {len(truth)} true cramps counted, {sc.fp} false (the night holds {lookalikes} "
          f"look-alike(s)){onsets}\n        ({scores})")
    print(f"with the possible cramps: {both.tp} of {len(truth)} found, "
          f"{len(result.possible_cramps)} possible cramp(s) listed")
    from emgcramp.core.types import activity_line

    true_lm = sum(e.kind == "leg_movement" for e in gen.events)
    print(f"{activity_line(result.summary())} (the night holds {true_lm} periodic leg movements)")
    return 0


def _print_comparison(truth, det, sc, start: datetime) -> None:
    from emgcramp.core.clock import later

    by_truth = dict(sc.pairs)
    print(f"\n{'':2}{'truth clock':>11} {'dur s':>7} {'kind':<7} {'µV':>5} | {'found clock':>11} {'dur s':>7} "
          f"{'kind':<7} {'peak µV':>7} {'mean µV':>7}  tier (probability)")

    def clock(t: float) -> str:
        return later(start, t).strftime("%H:%M:%S")

    for i, t in enumerate(truth):
        left = f"  {clock(t.onset_s):>11} {t.offset_s - t.onset_s:7.1f} {t.kind:<7} {t.amplitude_uv:5.0f}"
        if i in by_truth:
            e = det[by_truth[i]]
            right = (f"{clock(e.onset_s):>11} {e.duration_s:7.1f} {e.kind:<7} {e.peak_intensity:7.1f} "
                     f"{e.mean_intensity:7.1f}  {e.tier} ({e.probability:.2f})")
        else:
            right = f"{'missed':>11}"
        print(f"{left} | {right}")
    matched = set(by_truth.values())
    for j, e in enumerate(det):
        if j not in matched:
            print(f"  {'(none)':>11} {'':7} {'':7} {'':5} | {clock(e.onset_s):>11} {e.duration_s:7.1f} "
                  f"{e.kind:<7} {e.peak_intensity:7.1f} {e.mean_intensity:7.1f}  "
                  f"{'false alarm' if e.tier == 'cramp' else 'possible_cramp'} ({e.probability:.2f})")


def cmd_trend(args: argparse.Namespace) -> int:
    import json

    from emgcramp.viz import trend
    from emgcramp.viz.nights import count_at, load_nights

    damaged: list[str] = []  # a night that cannot be read is said and the others counted, as analyze FOLDER does
    nights = load_nights(args.folder, damaged)
    for line in damaged:
        settings_note(f"not counted: {line}")
    if args.cramp_threshold is not None:
        nights = count_at(nights, args.cramp_threshold)
    if args.out:
        from emgcramp.cli.common import check_figure_out
        from emgcramp.io.secure import TREND

        check_figure_out("--out", args.out, args.force, TREND)
    from emgcramp.detect.model import shipped_model

    try:  # the threshold of the nights that record none; trend judges nothing, so a damaged model only loses it
        default = shipped_model().cramp_threshold
    except InputError:
        default = None
    s = trend.summarize(nights, args.cramp_threshold, default)
    s["not_counted"] = damaged  # the nights that could not be read, each with why
    if args.json:
        print(json.dumps(nulls(s), indent=2, default=float))
    else:
        for month, n in s["per_month"].items():
            print(f"{month}: {n} cramp(s)")
        print("\n".join(s["facts"]))
        for n in s["per_night"]:
            if n["labels"] is not None:  # the nights the person answered in emgcramp review
                print(f"{n['date'] or n['path']}: {n['cramps']} cramp(s) found; you counted {n['counted']} "
                      f"({n['confirmed']} confirmed, {n['labels']['missed']} you added)")
    if args.out:
        trend.plot(nights, args.out)
        print(f"trend written to {args.out}", file=sys.stderr if args.json else sys.stdout)  # --json: stdout is JSON
    return 1 if damaged else 0
