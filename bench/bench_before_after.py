"""False cramps from leg movements: an earlier detector against this one, on the same nights.

    python bench/bench_before_after.py 0d86630    # the detector before AASM leg-movement scoring

The earlier revision is checked out into a temporary git worktree and runs
in its own interpreter; the nights come from *this* tree's simulator and
scenarios, each made once and fed block by block to both detectors, so both
see identical samples. Every one-muscle scenario × 3 seeds
× 8 h, run offline. Rewrites its section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from types import SimpleNamespace

import numpy as np
from results import replace_section

from emgcramp.eval.matching import match

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SEEDS = (1, 2, 3)
HOURS = 8.0
MOVEMENT_CAUSES = ("leg_movement", "position_change", "jerk")

# The earlier detector, in its own interpreter (its package has this one's name): blocks of µV on stdin, each
# an int64 sample count then float32 samples × channels; its episodes out as JSON.
_EARLIER = """
import json, sys
import numpy as np
try:
    from emgcramp.core.blocks import Block
    from emgcramp.runner import run_blocks
except ImportError:  # a tree from before the stage folders
    from emgcramp.blocks import Block
    from emgcramp.pipeline import run_blocks

def blocks(f, width):
    t0 = 0
    while len(head := f.read(8)) == 8:
        n = int(np.frombuffer(head, "<i8")[0])
        yield Block(t0, np.frombuffer(f.read(4 * n * width), "<f4").reshape(n, width).astype(float))
        t0 += n

fs, names = float(sys.argv[1]), sys.argv[2].split(",")
print(json.dumps([[e.onset_s, e.offset_s, e.kind] for e in run_blocks(blocks(sys.stdin.buffer, len(names)), fs,
                                                                          names).episodes]))
"""


def score_pair(job: tuple[str, int, str]) -> tuple[list, list]:
    """One night of this tree's simulator through the earlier detector (``job[2]``: its ``src``) and this one.

    The night is made once, block by block, and each block goes to both: the two see identical samples.
    Returns a row (scenario, found, missed, false, false alarms by cause) for each.
    """
    from emgcramp.eval.scoreboard import OFFLINE_BLOCK_S, _cause
    from emgcramp.runner import Runner
    from emgcramp.sim.scenarios import scenario
    from emgcramp.sim.synth import NightGenerator

    name, seed, src = job
    spec = scenario(name, HOURS, seed)
    gen = NightGenerator(spec)
    earlier = subprocess.Popen([sys.executable, "-c", _EARLIER, str(spec.fs), ",".join(spec.muscles)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=os.environ | {"PYTHONPATH": src})
    runner = Runner(spec.fs, list(spec.muscles))
    for b in gen.blocks(int(OFFLINE_BLOCK_S * spec.fs)):
        earlier.stdin.write(np.int64(len(b.samples)).tobytes() + np.ascontiguousarray(b.samples, "<f4").tobytes())
        runner.feed(b)
    earlier.stdin.close()
    before = json.loads(earlier.stdout.read())
    if earlier.wait():
        raise RuntimeError(f"the detector at {src} failed on {name} seed {seed}")
    runner.finish()
    truth = [(e.onset_s, e.offset_s, e.kind) for e in gen.events if e.is_cramp]
    rows = []
    for found in (before, [(e.onset_s, e.offset_s, e.kind) for e in runner.analysis().episodes]):
        sc = match(truth, [tuple(f) for f in found])
        matched = {j for _, j in sc.pairs}
        causes = Counter(_cause(SimpleNamespace(onset_s=f[0], offset_s=f[1]), gen.events)
                         for j, f in enumerate(found) if j not in matched)
        rows.append([name, sc.tp, sc.fn, sc.fp, dict(causes)])
    return rows[0], rows[1]


def totals(rows: list) -> dict:
    t = {"tp": 0, "fn": 0, "fp": 0, "movement_fp": 0}
    for _, tp, fn, fp, causes in rows:
        t["tp"] += tp
        t["fn"] += fn
        t["fp"] += fp
        t["movement_fp"] += sum(v for k, v in causes.items() if k in MOVEMENT_CAUSES)
    return t


def muscles_table() -> list[str]:
    """On the several-muscle scenario: one calf channel alone (as before) against all channels with the tibialis."""
    from emgcramp.sim.scenarios import SCENARIOS

    multi = [n for n, spec in SCENARIOS.items() if len(spec.muscles) > 1]
    lines = ["Several muscles (this tree): the first calf channel alone, as a one-channel analysis would see "
             "it, against all channels with the cross-channel step.", "",
             "| scenario | channels | cramps | found | false | false alarms caused by |", "|---|---|---|---|---|---|"]
    for name in multi:
        muscles = SCENARIOS[name].muscles
        for chs in ([0], None):
            with ProcessPoolExecutor(max_workers=2) as pool:
                rows = list(pool.map(_score_channels, [(name, s, chs) for s in SEEDS]))
            causes = sum((r.false_alarm_causes for r in rows), start=type(rows[0].false_alarm_causes)())
            label = muscles[0] if chs else "+".join(muscles)
            lines.append(f"| {name} | {label} | {sum(r.cramps for r in rows)} | {sum(r.tp for r in rows)} | "
                         f"{sum(r.fp for r in rows)} | {', '.join(f'{k} {v}' for k, v in sorted(causes.items())) or '–'} |")
    return lines


def _score_channels(job):
    from emgcramp.eval.scoreboard import score_night

    name, seed, chs = job
    return score_night(name, HOURS, seed, live=False, channels=chs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("before", help="git revision of the earlier detector")
    args = ap.parse_args()
    rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", args.before], capture_output=True, text=True,
                         check=True).stdout.strip()
    tmp = tempfile.mkdtemp()
    tree = os.path.join(tmp, "before")
    subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", tree, rev], check=True, capture_output=True)
    try:
        from emgcramp.sim.scenarios import SCENARIOS

        # One muscle only: the earlier detector had no multi-channel step to compare.
        names = [n for n, spec in SCENARIOS.items() if len(spec.muscles) == 1]
        t0 = time.perf_counter()
        jobs = [(n, seed, os.path.join(tree, "src")) for n in names for seed in SEEDS]
        with ProcessPoolExecutor(max_workers=2) as pool:
            pairs = list(pool.map(score_pair, jobs))
        before, after = [b for b, _ in pairs], [a for _, a in pairs]
        elapsed = time.perf_counter() - t0
    finally:
        subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", tree], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    names = list(dict.fromkeys(r[0] for r in after))
    lines = [f"## False cramps from leg movements, before and after (`python bench/bench_before_after.py {rev}`)", "",
             f"Detector at `{rev}` (before leg movements were scored by the AASM rules) against this tree, on the "
             f"same nights: {len(names)} scenarios × {len(SEEDS)} seeds × {HOURS:g} h, offline; {elapsed:.0f} s. "
             f"Movement-caused: false cramps overlapping a leg movement, position change or jerk.", "",
             "| scenario | cramps | found before / after | false before / after | of them from movements "
             "before / after |", "|---|---|---|---|---|"]
    for name in [*names, None]:
        b = totals([r for r in before if name is None or r[0] == name])
        a = totals([r for r in after if name is None or r[0] == name])
        label = "**all**" if name is None else name
        lines.append(f"| {label} | {a['tp'] + a['fn']} | {b['tp']} / {a['tp']} | {b['fp']} / {a['fp']} | "
                     f"{b['movement_fp']} / {a['movement_fp']} |")
    lines += ["", *muscles_table(), ""]
    replace_section("bench_before_after", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
