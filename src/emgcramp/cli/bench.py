"""``emgcramp bench accuracy | speed``: the scoreboard and the speed comparison."""

from __future__ import annotations

import argparse
import json
import sys

from emgcramp.core.errors import InputError

# Each kind's own options, with their defaults (the parser's are None): one given to the other kind is
# refused, not ignored (bench speed --figure wrote nothing and said nothing).
OWN_OPTIONS = {"accuracy": {"seeds": 3, "scenario": None, "no_live": False, "jobs": 2, "json": False, "figure": None},
               "speed": {"fs": 2000.0, "channels": 1}}


def cmd_bench(args: argparse.Namespace) -> int:
    for what, options in OWN_OPTIONS.items():
        for name, default in options.items():
            if what != args.what and getattr(args, name) not in (None, False):
                raise InputError(f"--{name.replace('_', '-')} is for bench {what}, not bench {args.what}")
            if getattr(args, name) is None:
                setattr(args, name, default)
    from emgcramp.core.blocks import MIN_SIGNAL_S, check_fs

    if args.hours * 3600 < MIN_SIGNAL_S:  # before any work: it failed once scoring had begun ("no samples arrived")
        raise InputError(f"--hours {args.hours:g}: a night lasts at least {MIN_SIGNAL_S:g} s, the shortest signal "
                         "analyze takes")
    if args.what == "speed":
        check_fs(args.fs)  # 10 Hz was a traceback of the filter design, 1e9 Hz filled the memory
    return {"accuracy": _accuracy, "speed": _speed}[args.what](args)


def _accuracy(args: argparse.Namespace) -> int:
    from emgcramp.eval.scoreboard import markdown_table, plot, score_nights, summarize
    from emgcramp.io.events import nulls
    from emgcramp.sim.scenarios import SCENARIOS

    names = args.scenario or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        raise InputError(f"no scenario {unknown[0]!r}; known: {', '.join(SCENARIOS)}")
    if args.figure:  # before the hours of scoring, not after
        from emgcramp.cli.common import check_figure_out
        from emgcramp.io.secure import BENCH

        check_figure_out("--figure", args.figure, args.force, BENCH)
    n_nights = len(names) * args.seeds
    print(f"scoring {n_nights} nights of {args.hours:g} h ({len(names)} scenarios × {args.seeds} seeds)"
          f"{', offline and live' if not args.no_live else ''} …", file=sys.stderr, flush=True)
    from emgcramp.cli.progress import Progress

    bar = Progress("nights", n_nights)
    rows = score_nights(names, args.hours, args.seeds, not args.no_live, args.jobs, bar.step)
    bar.close()
    by = {n: summarize([r for r in rows if r.scenario == n]) for n in names}
    overall = summarize(rows)
    if args.json:
        print(json.dumps(nulls({"scenarios": by, "all": overall}), indent=2, default=float, allow_nan=False))
    else:
        print("\n".join(markdown_table(by, overall)))
    if args.figure:
        import matplotlib.pyplot as plt

        from emgcramp.io.secure import BENCH, save_figure

        fig = plot(rows)
        save_figure(fig, args.figure, BENCH, dpi=110)
        plt.close(fig)
    return 1 if overall["live_agrees"] is False else 0


TOOLKIT_MAX_S = 600.0  # bench speed times the whole toolkits on this much of the signal at most (s)


def _speed(args: argparse.Namespace) -> int:
    from emgcramp.eval.speed import REPEATS, TOOLKIT, streaming_block_costs, throughput

    print(f"timing {args.hours:g} h of signal through each chain, {REPEATS} times each …", file=sys.stderr, flush=True)
    # the toolkits on 10 minutes at most: NeuroKit2 on the default 8 h would take about two hours
    t = throughput(args.hours, args.fs, args.channels, toolkit_s=TOOLKIT_MAX_S)
    ours = t["ours (fused Numba)"][1]
    print(f"conditioning {args.hours:g} h at {args.fs:g} Hz, {args.channels} channel(s), min / median s:")
    for name, (work, lo, med) in t.items():
        print(f"  {name:<38} {lo:8.3f} / {med:8.3f} s  {args.hours * 3600 / lo:10,.0f}× real time  "
              f"{lo / ours:7.2f}× ours  ({work})")
    if not any(work.startswith(TOOLKIT) for work, _, _ in t.values()):
        print("  (NeuroKit2 and BioSPPy, whole toolkits, are timed when installed: pip install 'emgcramp[bench]')")
    print("streaming, cost of one block through the whole pipeline (filters + detector):")
    for ms, (p50, p99) in streaming_block_costs(args.fs).items():
        print(f"  {ms:3d} ms blocks: p50 {p50:6.1f} µs  p99 {p99:6.1f} µs")
    return 0
