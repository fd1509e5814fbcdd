"""False cramps from leg movements: an earlier detector against this one, on the same nights.

    python bench/bench_before_after.py 0d86630    # the detector before AASM leg-movement scoring

The earlier revision is checked out into a temporary git worktree; the
nights come from *this* tree's simulator and scenarios (copied over it), so
both detectors see identical signals. Every scenario × 3 seeds × 8 h, run
offline. Rewrites its section of bench/RESULTS.md.
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
from emgcramp.scenarios import SCENARIOS
from emgcramp.scoreboard import score_night

def one(job):
    r = score_night(job[0], job[1], job[2], live=False)
    return [r.scenario, r.tp, r.fn, r.fp, dict(r.false_alarm_causes)]

if __name__ == "__main__":
    jobs = [(n, float(sys.argv[1]), s) for n in SCENARIOS for s in map(int, sys.argv[2:])]
    with ProcessPoolExecutor(max_workers=2) as pool:
        print(json.dumps(list(pool.map(one, jobs))))
"""


def score(src: str) -> list:
    """Scoreboard rows from the package in ``src``."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(_RUN)
    try:
        out = subprocess.run([sys.executable, f.name, str(HOURS), *map(str, SEEDS)], capture_output=True,
                             text=True, check=True, env=os.environ | {"PYTHONPATH": src})
    finally:
        os.unlink(f.name)
    return json.loads(out.stdout)


def totals(rows: list) -> dict:
    t = {"tp": 0, "fn": 0, "fp": 0, "movement_fp": 0}
    for _, tp, fn, fp, causes in rows:
        t["tp"] += tp
        t["fn"] += fn
        t["fp"] += fp
        t["movement_fp"] += sum(v for k, v in causes.items() if k in MOVEMENT_CAUSES)
    return t


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
        t0 = time.perf_counter()
        before = score(os.path.join(tree, "src"))
        after = score(os.path.join(ROOT, "src"))
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
    lines.append("")
    replace_section("bench_before_after", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
