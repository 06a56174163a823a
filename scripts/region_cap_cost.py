"""What the region cap (Settings.max_regions) bounds: the time one frame of scribbles or noise
takes end to end (find_digits + normalize + one model batch) at a given cap, and the cost per
region. Run from the repository root: `python scripts/region_cap_cost.py [--caps 64,128,256]`.
Prints figures; no assertion (a noisy machine times nothing reliably)."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_reliability import DEGENERATE_FRAMES

from realtime.detect import find_digits
from realtime.pipeline import Recognizer


def median_ms(call, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--caps", default="64,128,160,256")
    parser.add_argument("--model", default="cnn")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    recognizer = Recognizer(args.model)
    frames = {name: DEGENERATE_FRAMES[name] for name in ("scribbles", "pure_noise", "salt_noise", "4k_noise")}
    print(f"{'frame':12} {'cap':>5} {'regions':>7} {'detect ms':>9} {'total ms':>9}")
    for name, frame in frames.items():
        for cap in (int(c) for c in args.caps.split(",")):
            recognizer.settings = dataclasses.replace(recognizer.settings, max_regions=cap)
            regions = len(find_digits(frame, recognizer.settings))
            recognizer.recognize(frame)  # warm the model at this batch size
            detect = median_ms(lambda frame=frame: find_digits(frame, recognizer.settings), args.repeats)
            total = median_ms(lambda frame=frame: recognizer.recognize(frame), args.repeats)
            print(f"{name:12} {cap:5d} {regions:7d} {detect:9.1f} {total:9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
