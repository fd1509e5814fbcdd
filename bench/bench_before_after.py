"""False cramps from leg movements: an earlier detector against this one, on the same nights.

    python bench/bench_before_after.py 0d86630    # the detector before AASM leg-movement scoring

The earlier revision is checked out into a temporary git worktree; the
nights come from *this* tree's simulator and scenarios (copied over it), so
both detectors see identical signals. Every one-muscle scenario × 3 seeds
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

from results import replace_section

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SEEDS = (1, 2, 3)
HOURS = 8.0
MOVEMENT_CAUSES = ("leg_movement", "position_change", "jerk")

_RUN = """
import json, sys
from concurrent.futures import ProcessPoolExecutor
try:
    from emgcramp.sim.scenarios import SCENARIOS
    from emgcramp.eval.scoreboard import score_night
except ImportError:  # a tree from before the stage folders
    from emgcramp.scenarios import SCENARIOS
    from emgcramp.scoreboard import score_night

def one(job):
    r = score_night(job[0], job[1], job[2], live=False)
    return [r.scenario, r.tp, r.fn, r.fp, dict(r.false_alarm_causes)]

if __name__ == "__main__":
    names = sys.argv[2].split(",")
    jobs = [(n, float(sys.argv[1]), s) for n in names for s in map(int, sys.argv[3:])]
    with ProcessPoolExecutor(max_workers=2) as pool:
        print(json.dumps(list(pool.map(one, jobs))))
"""


def score(src: str, names: list[str]) -> list:
    """Scoreboard rows from the package in ``src``."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(_RUN)
    try:
        out = subprocess.run([sys.executable, f.name, str(HOURS), ",".join(names), *map(str, SEEDS)],
                             capture_output=True, text=True, env=os.environ | {"PYTHONPATH": src})
    finally:
        os.unlink(f.name)
    if out.returncode:
        sys.exit(f"scoring with {src} failed:\n{out.stderr}")
    return json.loads(out.stdout)


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
    from concurrent.futures import ProcessPoolExecutor

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
        for name in ("synth.py", "scenarios.py", "motor_units.py"):
            shutil.copy(os.path.join(ROOT, "src", "emgcramp", name), os.path.join(tree, "src", "emgcramp", name))
        from emgcramp.sim.scenarios import SCENARIOS

        # One muscle only: the earlier detector had no multi-channel step to compare.
        names = [n for n, spec in SCENARIOS.items() if len(spec.muscles) == 1]
        t0 = time.perf_counter()
        before = score(os.path.join(tree, "src"), names)
        after = score(os.path.join(ROOT, "src"), names)
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
