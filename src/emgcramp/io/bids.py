"""BIDS-EMG datasets: find the ``_emg`` recordings, read ``_channels.tsv``, write derivatives the BIDS way.

EMG is part of BIDS since 1.11: ``sub-<label>/[ses-<label>/]emg/<entities>_emg.edf|bdf``
with ``<entities>_channels.tsv`` beside it (``name``, ``type``, ``units``,
and for EMG ``target_muscle``). Each recording's results go to
``derivatives/emgcramp/`` under the same path, as
``<entities>_desc-cramps_events.tsv`` (``onset``, ``duration``,
``trial_type``: ``cramp_tonic``, ``cramp_clonic``, ``leg_movement`` or
``warning``, then our columns) with a JSON sidecar that describes every
column, and the derivative's ``dataset_description.json`` names us in
``GeneratedBy``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
from dataclasses import dataclass

from emgcramp import __version__
from emgcramp.core.errors import InputError
from emgcramp.core.types import Analysis
from emgcramp.io.events import episode_cells
from emgcramp.io.secure import check_regular, private_file

PIPELINE = "emgcramp"
RECORDING = re.compile(r"^(sub-[A-Za-z0-9]+(?:_[a-z]+-[A-Za-z0-9]+)*)_emg\.(edf|bdf)$")
COLUMNS = {
    "onset": "Onset of the event, seconds from the start of the recording.",
    "duration": "Duration of the event, seconds.",
    "trial_type": "cramp_tonic or cramp_clonic (a cramp), possible_cramp (listed, not counted), leg_movement "
                  "(AASM rules), or warning (pre-cramp tension).",
    "channel": "The channel the event was found on.",
    "muscles": "Calf channels involved in a cramp (several-muscle recordings), joined by '+'.",
    "peak_uv": "Cramps and leg movements: largest 0.5-s RMS envelope over the event, microvolts.",
    "mean_uv": "Cramps: mean 0.5-s RMS envelope over the event, microvolts.",
    "rest_uv": "The person's rest level the event was measured against, microvolts RMS.",
    "plm_series": "Leg movements: number of the periodic-limb-movement series the movement belongs to (0: none).",
    "warning_lead_s": "Cramps announced by a warning: seconds from the warning's onset to the cramp's.",
    "flags": ("Quality notes (max_length, open_at_start, open_at_end, gap, gap_at_end, gap_at_start, motion, "
              "above_mvc), by '|'."),
    "probability": "Cramps and possible cramps: the decision's probability (0-1) that the burst is a cramp.",
    "freq_hz": "Cramps and possible cramps: RMS frequency of the band-passed signal over the burst, Hz (it follows "
               "the median frequency; compare within one sensor and sampling rate).",
    "freq_drift": "Cramps and possible cramps of 10 s or more: relative change of that frequency from the first to "
                  "the last third of the burst's middle 60 % (negative: it fell).",
}

# The columns with a unit, as BIDS states it beside the description (SI symbols; "uV" as BIDS writes µV).
UNITS = {"onset": "s", "duration": "s", "peak_uv": "uV", "mean_uv": "uV", "rest_uv": "uV", "warning_lead_s": "s",
         "freq_hz": "Hz"}


@dataclass(frozen=True)
class BidsRecording:
    """One ``_emg`` recording of a dataset: its path, its entities prefix and its EMG channel names."""

    path: str
    root: str
    prefix: str  # e.g. sub-01_ses-1_task-sleep
    emg_channels: tuple[str, ...]
    muscles: tuple[tuple[str, str], ...] = ()  # (channel, target muscle) where _channels.tsv says
    others: tuple[str, ...] = ()  # the channels _channels.tsv types other than EMG (ECG, EEG, MISC…)
    problem: str = ""  # why its _channels.tsv could not be read: the recording fails alone, the others go on

    @property
    def relative_dir(self) -> str:
        return os.path.relpath(os.path.dirname(self.path), self.root)


def dataset_root(path: str) -> str | None:
    """The BIDS root at ``path`` or up to three folders above it (``sub-``, ``ses-``, ``emg``), else ``None``."""
    here = os.path.abspath(path)
    for _ in range(4):
        if os.path.isfile(os.path.join(here, "dataset_description.json")):
            return here
        here = os.path.dirname(here)
    return None


def find_recordings(path: str) -> list[BidsRecording]:
    """Every ``_emg`` recording under ``path`` (a BIDS root, or a ``sub-``/``ses-`` folder in one)."""
    root = dataset_root(path)
    if root is None:
        raise InputError(f"{path}: not in a BIDS dataset (no dataset_description.json at or above it)")
    found = []
    for folder, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d != "derivatives" and not d.startswith("."))
        if os.path.basename(folder) != "emg":
            continue
        for name in sorted(files):
            m = RECORDING.match(name)
            if m:
                full = os.path.join(folder, name)
                try:
                    found.append(BidsRecording(full, root, m.group(1), *_emg_channels(full, m.group(1))))
                except InputError as e:
                    found.append(BidsRecording(full, root, m.group(1), (), problem=str(e)))
    if not found:
        raise InputError(f"{path}: no sub-*/emg/*_emg.edf or .bdf recordings in this BIDS dataset")
    return found


def _emg_channels(recording: str, prefix: str) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...],
                                                     tuple[str, ...]]:
    """The EMG channels in the recording's ``_channels.tsv``, their target muscles where given, and the others."""
    tsv = os.path.join(os.path.dirname(recording), f"{prefix}_channels.tsv")
    if not os.path.exists(tsv):
        return (), (), ()
    rows = list(csv.DictReader(io.StringIO(_tsv_text(tsv), newline=""), delimiter="\t"))
    if rows and "name" not in rows[0]:
        raise InputError(f"{tsv}: a channels.tsv needs a 'name' column")
    for line, r in enumerate(rows, 2):
        if not (r.get("name") or "").strip():
            raise InputError(f"{tsv} line {line}: no channel name; each row needs one in its 'name' column")
    # A short row leaves its last cells None: an unsaid type is EMG, an unsaid muscle is none.
    emg = [r for r in rows if (r.get("type") or "EMG").upper() == "EMG"]
    muscles = tuple((r["name"], r["target_muscle"]) for r in emg
                    if (r.get("target_muscle") or "n/a") not in ("", "n/a"))
    others = tuple(r["name"] for r in rows if r not in emg)
    return tuple(r["name"] for r in emg), muscles, others


def _tsv_text(tsv: str) -> str:
    """The file's text: UTF-8 as BIDS asks (a byte-order mark allowed), else Latin-1, said in a note.

    Spreadsheets on Windows still save Latin-1; every byte is a Latin-1
    character, so the file is read rather than refused, and the note says
    how, as the names read go into the results.
    """
    check_regular(tsv, "a channels.tsv")
    with open(tsv, "rb") as f:
        raw = f.read()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        print(f"emgcramp: note: {tsv} is not UTF-8, as BIDS asks; read as Latin-1 (ISO-8859-1)", file=sys.stderr)
        return raw.decode("latin-1")


def _private_dirs(root: str, relative: str) -> str:
    """``root/relative``, each folder this creates 0700 (``os.makedirs`` gives those above the last the umask's).

    Folders that exist are left as they are: ``derivatives/`` may hold other pipelines' results.
    """
    path = root
    for part in os.path.normpath(relative).split(os.sep):
        path = os.path.join(path, part)
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            if not os.path.isdir(path):
                raise InputError(f"cannot write the derivatives: {path} is a file, not a folder") from None
    return path


def derivative_path(rec: BidsRecording) -> str:
    """Where the recording's events TSV goes: ``derivatives/emgcramp/…/PREFIX_desc-cramps_events.tsv``."""
    return os.path.join(rec.root, "derivatives", PIPELINE, rec.relative_dir, f"{rec.prefix}_desc-cramps_events.tsv")


def write_derivative(rec: BidsRecording, analysis: Analysis) -> str:
    """Write the recording's events TSV and sidecar under ``derivatives/emgcramp``; return the TSV's path."""
    _private_dirs(rec.root, os.path.join("derivatives", PIPELINE, rec.relative_dir))
    _write_description(os.path.join(rec.root, "derivatives", PIPELINE))
    tsv = derivative_path(rec)
    with private_file(tsv) as f:
        w = csv.DictWriter(f, fieldnames=list(COLUMNS), delimiter="\t", lineterminator="\n")
        w.writeheader()
        w.writerows(sorted(_rows(analysis), key=lambda r: float(r["onset"])))
    with private_file(tsv[:-4] + ".json") as f:
        json.dump({name: {"Description": text} | ({"Units": UNITS[name]} if name in UNITS else {})
                   for name, text in COLUMNS.items()}, f, indent=2)
    return tsv


def _rows(a: Analysis) -> list[dict]:
    rows = [_episode(e, f"cramp_{e.kind}") for e in a.episodes]
    rows += [_episode(e, "possible_cramp") | {"warning_lead_s": "n/a"} for e in a.possible_cramps]
    rows += [{"onset": f"{m.onset_s:.3f}", "duration": f"{m.duration_s:.3f}", "trial_type": "leg_movement",
              "channel": m.channel, "muscles": "n/a", "peak_uv": f"{m.peak_uv:.2f}", "mean_uv": "n/a",
              "rest_uv": f"{m.rest_uv:.2f}", "plm_series": str(m.series), "warning_lead_s": "n/a", "flags": "n/a",
              "probability": "n/a", "freq_hz": "n/a", "freq_drift": "n/a"}
             for m in a.movements if m.is_lm]
    rows += [{"onset": f"{w.onset_s:.3f}", "duration": f"{w.duration_s:.3f}", "trial_type": "warning",
              "channel": w.channel, "muscles": "n/a", "peak_uv": "n/a", "mean_uv": "n/a", "rest_uv": "n/a",
              "plm_series": "n/a", "warning_lead_s": "n/a" if w.lead_s is None else f"{w.lead_s:.1f}",
              "flags": "n/a", "probability": "n/a", "freq_hz": "n/a", "freq_drift": "n/a"} for w in a.warnings]
    return rows


def _episode(e, trial_type: str) -> dict[str, str]:
    """A cramp's row, its values from the one episode serialiser (``n/a`` for none, ``|`` between notes)."""
    c = episode_cells(e, empty="n/a", sep="|")
    return {"onset": c["onset_s"], "duration": c["duration_s"], "trial_type": trial_type, "plm_series": "n/a",
            "peak_uv": c["peak_intensity"], "mean_uv": c["mean_intensity"]} | {
        k: c[k] for k in ("channel", "muscles", "rest_uv", "warning_lead_s", "flags", "probability", "freq_hz",
                          "freq_drift")}


def _write_description(folder: str) -> None:
    path = os.path.join(folder, "dataset_description.json")
    if os.path.exists(path):
        return
    with private_file(path) as f:
        json.dump({"Name": "emgcramp: cramps, leg movements and pre-cramp warnings", "BIDSVersion": "1.11.0",
                   "DatasetType": "derivative",
                   "GeneratedBy": [{"Name": PIPELINE, "Version": __version__,
                                    "Description": "Cramp detection in calf surface EMG"}]}, f, indent=2)
