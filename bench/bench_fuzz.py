"""Frame decoder under damage; rewrites its part of bench/RESULTS.md.

    python bench/bench_fuzz.py             # 10^6 frames: ~1 min
    python bench/bench_fuzz.py --frames 100000

A stream of data frames (10 samples, 1 channel, sequence numbers running on)
is damaged at random: bit flips, deleted runs, inserted garbage, a frame's
last byte cut. It is fed in chunks of random size. Counted: exceptions,
intact frames lost (frames no damage touched that did not come out) and
damaged frames accepted (frames that came out different from every frame
sent). The fourth damage is the one a 16-bit CRC guards least well: the
next frame's sync byte stands in for the cut byte.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from results import replace_section

from emgcramp.core.protocol import Decoder, encode_data

DAMAGE = ("bit flip", "deleted run", "inserted garbage", "last byte cut")


def _stream(n: int, rate: float, rng: np.random.Generator):
    """Yield (bytes of one frame, possibly damaged; its timestamp; its samples' digest; intact)."""
    for k in range(n):
        samples = rng.integers(-2000, 2000, 10)
        frame = bytearray(encode_data(k, 10 * k, samples))
        intact = rng.random() >= rate
        if not intact:
            kind = int(rng.integers(4))
            pos = int(rng.integers(len(frame)))
            if kind == 0:
                frame[pos] ^= 1 << int(rng.integers(8))
            elif kind == 1:
                del frame[pos:pos + int(rng.integers(1, 12))]
            elif kind == 2:
                frame[pos:pos] = rng.integers(0, 256, int(rng.integers(1, 12)), dtype=np.uint8).tobytes()
            else:
                del frame[-1]
        yield bytes(frame), 10 * k, hash(samples.astype("<i2").tobytes()), intact


def run(n: int, rate: float, seed: int = 1) -> dict:
    """Feed ``n`` frames, a share ``rate`` of them damaged; count what came out."""
    rng = np.random.default_rng(seed)
    sent: dict[int, int] = {}  # the timestamp (unique; sequence numbers wrap) → samples digest
    intact: set[int] = set()
    d, exceptions, pending = Decoder(), 0, b""
    got: list[tuple[int, int]] = []

    def feed(data: bytes, final: bool = False) -> None:
        nonlocal exceptions
        try:
            got.extend((f.timestamp, hash(f.samples[:, 0].astype("<i2").tobytes())) for f in d.feed(data, final))
        except Exception:  # noqa: BLE001 - counting them is the point
            exceptions += 1

    for frame, ts, digest, ok in _stream(n, rate, rng):
        sent[ts] = digest
        if ok:
            intact.add(ts)
        pending += frame
        if len(pending) > int(rng.integers(1, 400)):
            feed(pending)
            pending = b""
    feed(pending, final=True)
    out = {ts for ts, _ in got}
    return {"frames": n, "damaged": n - len(intact), "exceptions": exceptions,
            "intact_lost": len(intact - out), "damaged_accepted": sum(sent.get(ts) != h for ts, h in got),
            "decoded": len(got)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=1_000_000)
    args = ap.parse_args()
    rows = []
    for rate in (0.01, 0.1):
        t = time.perf_counter()
        r = run(args.frames, rate)
        rows.append((rate, r, time.perf_counter() - t))
        print(rate, r)
    lines = ["## Frame decoder under damage (`python bench/bench_fuzz.py`)", "",
             f"{args.frames:,} data frames per row, each damaged with the given probability by one of: "
             f"{', '.join(DAMAGE)}; fed in chunks of 1–400 bytes. Goal: no exception, no intact frame lost "
             "beyond the one a damaged neighbour may take with it, no damaged frame accepted.", "",
             "| damaged share | frames | damaged | exceptions | intact frames lost | damaged frames accepted | "
             "decoded | seconds |", "|---|---|---|---|---|---|---|---|"]
    for rate, r, secs in rows:
        lines.append(f"| {rate:.0%} | {r['frames']:,} | {r['damaged']:,} | {r['exceptions']} | {r['intact_lost']} | "
                     f"{r['damaged_accepted']} | {r['decoded']:,} | {secs:.0f} |")
    replace_section("bench_fuzz", "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
