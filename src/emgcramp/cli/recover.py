"""``emgcramp recover``: end a night folder a monitor left unfinished (a crash, a power cut, a kill)."""

from __future__ import annotations

import argparse
import os

from emgcramp.cli.common import detector_settings, span_text
from emgcramp.core.blocks import MIN_SIGNAL_S
from emgcramp.core.errors import InputError
from emgcramp.files import CHUNK_S, config_for, with_unstored


def cmd_recover(args: argparse.Namespace) -> int:
    from emgcramp.io.events import write_events_csv
    from emgcramp.io.night_reader import NightRecording, read_events
    from emgcramp.runner import run_blocks

    rec = NightRecording(args.folder)
    from emgcramp.io.night import being_monitored

    if being_monitored(args.folder):  # its events.csv is the monitor's to write when the night ends
        raise InputError(f"{args.folder}: the night is still being monitored; recover it once that monitor has ended")
    if args.edf:  # before hours of work; the night's own files are its inputs, never an output
        from emgcramp.io.edf import is_annotated_copy
        from emgcramp.io.edf_header import check_copy_name
        from emgcramp.io.secure import NIGHT_FILES, check_writable

        check_writable(args.edf, [os.path.join(args.folder, n) for n in NIGHT_FILES], args.force, is_annotated_copy)
        check_copy_name(args.edf, "--edf")
    names, chunk = rec.channel_names, int(CHUNK_S * rec.fs)
    config = config_for(rec, detector_settings(args))
    try:
        analysed = run_blocks(rec.blocks(list(range(len(names))), chunk), rec.fs, names, config)
    except InputError as e:  # the samples stored cannot be analysed (a crash within a second of the start)
        return _recover_from_log(args, rec, config, str(e))
    result = with_unstored(rec, analysed, config)
    _record_settings(args, rec.settings, config)  # first: a run cut short, then run again, ends as asked
    episodes = result.episodes
    kept = [e for e in episodes if "not_stored" in e.flags]  # alerted live where no samples reached the disk
    write_events_csv(os.path.join(args.folder, "events.csv"), episodes, rec.start)
    if args.edf:
        from emgcramp.io.edf import ANNOTATED_BY, write_edf, zero_filled
        from emgcramp.io.night_reader import lost_stretches

        base = lost_stretches(args.folder, rec.n_samples / rec.fs) + result.notes()  # as analyze --edf-out's
        notes = list(base)

        def filled():  # read afresh if the copy's range must widen; the gaps noted once
            notes[:] = base
            return zero_filled(rec.blocks(list(range(len(names))), chunk), rec.fs, notes)

        write_edf(args.edf, rec.fs, names, filled, notes, rec.start, note=ANNOTATED_BY)
    ended = any(e.get("type") == "end" for e in read_events(args.folder))
    possible = f" and {len(result.possible_cramps)} possible" if result.possible_cramps else ""
    unstored = (f", {len(kept)} of them alerted where no samples were stored (from the night's log, flagged "
                "not_stored)") if kept else ""
    kept_s = result.duration_s if result.recorded_s is None else result.recorded_s  # samples, not gaps
    print(f"{args.folder}: {span_text(kept_s)} kept, {len(episodes)} cramp(s){unstored}{possible}"
          f"{'' if ended else ' (the monitor had not finished: recovered)'}; events.csv written"
          + (f", {args.edf}" if args.edf else ""))
    return 0


def _recover_from_log(args: argparse.Namespace, rec, config, why: str) -> int:
    """Recover a night whose stored samples cannot be analysed (``why``) from its log: the cramps alerted live
    (flagged ``not_stored``) that clear the settings go into its events.csv; with none there, ``why`` is the error."""
    from emgcramp.detect.decide import thresholds
    from emgcramp.files import kept_from_log
    from emgcramp.io.events import write_events_csv
    from emgcramp.io.unstored import no_night

    kept = kept_from_log(rec, [], config, thresholds(config.detector)[0])
    if not kept and no_night(args.folder):  # a monitor stopped as it began
        raise InputError(f"{args.folder}: holds {rec.n_samples / rec.fs:.1f} s of signal, under the {MIN_SIGNAL_S:g} s "
                         "a night's analysis needs, and no cramp in its log: nothing to recover; remove the folder")
    if not kept:
        raise InputError(f"{args.folder}: {why}")
    _record_settings(args, rec.settings, config)
    write_events_csv(os.path.join(args.folder, "events.csv"), kept, rec.start)
    no_copy = f"; {args.edf} not written: too few samples to copy" if args.edf else ""
    print(f"{args.folder}: the samples stored cannot be analysed ({why}); {len(kept)} cramp(s) alerted live kept "
          f"from the night's log (flagged not_stored); events.csv written{no_copy}")
    return 0


def _record_settings(args: argparse.Namespace, recorded: dict, config) -> None:
    """Record in the night's raw.json the settings its new events.csv is written with, when they differ.

    A personal adjustment set aside (made for another model, and no ``--profile`` decision replacing
    it) stays on record with its model: every run sets it aside alike, and it is not lost.
    """
    from emgcramp.core.settings import PERSONAL_SETTINGS
    from emgcramp.detect.model import other_model
    from emgcramp.io.night_reader import record_settings
    from emgcramp.io.parts import remove_stale_parts
    from emgcramp.live.monitor import night_settings
    from emgcramp.live.profile import load_decision

    remove_stale_parts(os.path.join(args.folder, "raw.json"))  # a run killed while writing it left its part
    judged = night_settings(config)
    if other_model(recorded) and not (args.profile and load_decision(args.profile) is not None):
        judged |= {k: recorded[k] for k in (*PERSONAL_SETTINGS, "model") if k in recorded}
    if judged != recorded:
        record_settings(args.folder, judged)
