"""``emgcramp analyze DATASET``: every ``_emg`` recording of a BIDS dataset into its derivatives."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace

from emgcramp.core.errors import InputError


def run_bids(args: argparse.Namespace) -> int:
    """Analyse every ``_emg`` recording of a BIDS dataset (or of a subject or session in one) into derivatives."""
    from emgcramp.cli.common import detector_config, read_options
    from emgcramp.files import analyze_file
    from emgcramp.io.bids import derivative_path, find_recordings, write_derivative

    recordings, failed = find_recordings(args.file), []
    base, config = read_options(args), detector_config(args)
    for k, rec in enumerate(recordings, 1):
        read = replace(base, channel=base.channel or (list(rec.emg_channels) or None),  # a name may hold a comma
                       muscles=dict(rec.muscles) or None)
        try:
            if rec.problem:
                raise InputError(rec.problem)
            if read.channel is None and rec.others:  # the dataset says what each channel is, and none is a muscle
                raise InputError(f"its channels.tsv types none of its channels EMG ({', '.join(rec.others)}); "
                                 "give --channel to analyse one anyway")
            analysis, _ = analyze_file(rec.path, read, config)
        except InputError as e:
            failed.append(rec.path)
            # an earlier run's results stay (nothing written is removed unasked), but not as if they were this run's
            old = derivative_path(rec)
            left = f"; its results of an earlier run are left as they were: {old}" if os.path.exists(old) else ""
            print(f"[{k}/{len(recordings)}] {rec.path}: FAILED: {e}{left}", file=sys.stderr)
            continue
        out = write_derivative(rec, analysis)
        print(f"[{k}/{len(recordings)}] {rec.path}: {len(analysis.episodes)} cramp(s) -> {out}")
    if len(failed) == len(recordings):
        raise InputError(f"{args.file}: none of the {len(recordings)} recording(s) could be analysed")
    return 1 if failed else 0
