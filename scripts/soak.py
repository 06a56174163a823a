"""Soak test: run many generated frames through one Recognizer and watch its memory.

A live session runs for hours; a leak of a few KB per frame (a growing cache, a retraced
function, a list that is never cleared) only shows after tens of thousands of frames. This
pre-generates a pool of scenes (MNIST test digits on paper, see tools.synth) and cycles
through them with small random shifts, so the recognizer, not scene generation, is what runs.
RSS is sampled every --sample-every frames; the growth reported is between the first sample
after warm-up (TensorFlow and OpenCV allocate their pools during the first frames) and the last.

    python scripts/soak.py                     # 100,000 frames
    python scripts/soak.py --frames 20000 --max-growth-mb 50   # exit 1 above 50 MB of growth

Not a CI test: at ~50-100 frames/s a full run takes 20-40 minutes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def rss_mb() -> float:
    """Resident memory of this process in MB: psutil if installed, else /proc/self/status."""
    try:
        import psutil
    except ImportError:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024  # reported in kB
        raise RuntimeError("no psutil and no /proc/self/status: cannot measure memory here") from None
    return psutil.Process().memory_info().rss / 2**20


def scene_pool(mnist_path: Path, count: int, size: tuple[int, int], seed: int) -> list[np.ndarray]:
    """`count` camera-tier scenes, half with a desk around the sheet, as (H, W, 3) uint8 BGR."""
    from tools.synth import make_scene

    with np.load(mnist_path) as mnist:
        images, labels = mnist["x_test"], mnist["y_test"]
    rng = np.random.default_rng(seed)
    return [make_scene(images, labels, rng, tier="camera", size=size, n_digits=int(rng.integers(4, 13)),
                       sheet=bool(i % 2)).image_bgr for i in range(count)]


def shifted(image: np.ndarray, rng: np.random.Generator, max_shift_px: int) -> np.ndarray:
    """The scene moved by a few whole pixels (edges wrap): a new frame for the price of a copy."""
    dx, dy = (int(v) for v in rng.integers(-max_shift_px, max_shift_px + 1, 2))
    return np.roll(image, (dy, dx), axis=(0, 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=100_000, help="frames to run (default 100000)")
    parser.add_argument("--pool", type=int, default=50, help="distinct scenes to cycle (default 50)")
    parser.add_argument("--sample-every", type=int, default=1000, help="frames between RSS samples")
    parser.add_argument("--warmup", type=int, default=1000,
                        help="frames before the baseline sample (default 1000)")
    parser.add_argument("--size", default="640x480", help="frame size WxH (default 640x480)")
    parser.add_argument("--model", default=None, help="model folder or name (default: softmax)")
    parser.add_argument("--data",
                        default=os.environ.get("MNIST_NPZ") or str(REPO.parent / "shared" / "data" / "mnist.npz"),
                        help="MNIST .npz (default: $MNIST_NPZ, else ../shared/data/mnist.npz)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-growth-mb", type=float, default=None,
                        help="exit 1 when RSS grows more than this after warm-up")
    args = parser.parse_args(argv)
    if args.frames < args.warmup + args.sample_every:
        parser.error(f"--frames must be at least --warmup + --sample-every ({args.warmup + args.sample_every})")
    if not Path(args.data).is_file():
        parser.error(f"MNIST not found at {args.data}: give --data or set MNIST_NPZ")
    width, height = (int(v) for v in args.size.lower().split("x"))

    from realtime.pipeline import Recognizer

    started = time.perf_counter()
    pool = scene_pool(Path(args.data), args.pool, (width, height), args.seed)
    print(f"{len(pool)} scenes of {width}x{height} made in {time.perf_counter() - started:.1f} s; "
          f"RSS {rss_mb():.1f} MB before the model", flush=True)
    recognizer = Recognizer(args.model)
    rng = np.random.default_rng(args.seed + 1)

    print(f"{'frames':>8} {'seconds':>8} {'fps':>6} {'digits/frame':>12} {'RSS MB':>8} {'vs baseline':>11}",
          flush=True)
    samples: list[tuple[int, float]] = []
    baseline = None
    digits = 0
    window_start, window_digits = time.perf_counter(), 0
    run_start = time.perf_counter()
    for index in range(1, args.frames + 1):
        found = recognizer.recognize(shifted(pool[index % len(pool)], rng, 4))
        digits += len(found)
        window_digits += len(found)
        if index % args.sample_every == 0:
            now = time.perf_counter()
            rss = rss_mb()
            samples.append((index, rss))
            if baseline is None and index >= args.warmup:
                baseline = rss
            versus = f"{rss - baseline:+.1f}" if baseline is not None else "warm-up"
            print(f"{index:>8} {now - run_start:>8.0f} {args.sample_every / (now - window_start):>6.1f} "
                  f"{window_digits / args.sample_every:>12.2f} {rss:>8.1f} {versus:>11}", flush=True)
            window_start, window_digits = now, 0

    after_warmup = [(n, rss) for n, rss in samples if n >= args.warmup]
    first_n, first_rss = after_warmup[0]
    last_n, last_rss = after_warmup[-1]
    growth = last_rss - first_rss
    # A least-squares slope over all samples after warm-up: steadier than two end points.
    frames_axis = np.array([n for n, _ in after_warmup], float)
    slope = np.polyfit(frames_axis, [rss for _, rss in after_warmup], 1)[0] if len(after_warmup) > 2 else 0.0
    elapsed = time.perf_counter() - run_start
    print(f"\n{args.frames} frames in {elapsed:.0f} s ({args.frames / elapsed:.1f} fps), "
          f"{digits / args.frames:.2f} digits per frame")
    print(f"RSS after warm-up (frame {first_n}): {first_rss:.1f} MB; at frame {last_n}: {last_rss:.1f} MB; "
          f"growth {growth:+.1f} MB ({slope * 10_000:+.2f} MB per 10,000 frames by linear fit)")
    if args.max_growth_mb is not None and growth > args.max_growth_mb:
        print(f"FAIL: growth {growth:.1f} MB is above --max-growth-mb {args.max_growth_mb}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
