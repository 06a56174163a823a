"""Touching digits (realtime.split), measured through Recognizer.recognize: pairs of touching MNIST
test digits read right (both digits found at IoU >= 0.5 with their labels), and false cuts on the
generated tiers (regions read as two digits where the truth has one).

    python scripts/split_check.py [--pair-scenes 50] [--tier-scenes 60] [--models cnn,softmax]
                                  [--set FIELD=VALUE ...]   (a SplitConfig to try instead)

Both with the shipped SplitConfig (or the one --set gives) and with splitting off, on the same
scenes.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import accuracy  # noqa: E402
from realtime.mnist import load_mnist  # noqa: E402
from realtime.pipeline import Recognizer  # noqa: E402
from realtime.split import SplitConfig  # noqa: E402
from tools import scoring  # noqa: E402
from tools.pairs import make_pair_scene  # noqa: E402

PAIR_SEED = 11
TIERS = ("clean", "camera", "hard")


def pairs_right(recognizer, scenes) -> tuple[int, int]:
    """(pairs with both digits found and right, pairs)."""
    right = total = 0
    for scene in scenes:
        detections = recognizer.recognize(scene.image_bgr)
        found = dict(scoring.match([d.box for d in scene.digits], [d.box for d in detections], min_iou=0.5))
        ok = [i in found and detections[found[i]].label == digit.label for i, digit in enumerate(scene.digits)]
        right += sum(ok[k] and ok[k + 1] for k in range(0, len(ok), 2))
        total += len(ok) // 2
    return right, total


def false_cuts(recognizer, scenes) -> tuple[int, int, int]:
    """(true digits, detections with splitting, detections without) over the tier scenes: every
    extra detection is half of a false cut."""
    settings = recognizer.settings
    digits = with_split = without = 0
    for scene in scenes:
        digits += len(scene.digits)
        with_split += len(recognizer.recognize(scene.image_bgr))
        recognizer.settings = dataclasses.replace(settings, split=SplitConfig(enabled=False))
        without += len(recognizer.recognize(scene.image_bgr))
        recognizer.settings = settings
    return digits, with_split, without


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pair-scenes", type=int, default=50, help="scenes of 4 touching pairs")
    parser.add_argument("--tier-scenes", type=int, default=60, help="scenes per tier (10 digits each)")
    parser.add_argument("--models", default="cnn,softmax")
    parser.add_argument("--set", action="append", default=[], help="FIELD=VALUE of SplitConfig to try")
    args = parser.parse_args()
    import ast

    split = SplitConfig(**{k: ast.literal_eval(v) for k, v in (item.split("=", 1) for item in args.set)})
    mnist = load_mnist(os.environ.get("MNIST_NPZ") or "../shared/data/mnist.npz")
    rng = np.random.default_rng(PAIR_SEED)
    pair_scenes = [make_pair_scene(mnist.x_test, mnist.y_test, rng) for _ in range(args.pair_scenes)]
    tier_scenes = [scene for tier in TIERS
                   for scene in accuracy.make_scenes(mnist.x_test, mnist.y_test, tier, args.tier_scenes)]
    for model in args.models.split(","):
        recognizer = Recognizer(model, backend="litert")
        recognizer.settings = dataclasses.replace(recognizer.settings, split=split)
        right, total = pairs_right(recognizer, pair_scenes)
        recognizer.settings = dataclasses.replace(recognizer.settings, split=SplitConfig(enabled=False))
        right_off, _ = pairs_right(recognizer, pair_scenes)
        recognizer.settings = dataclasses.replace(recognizer.settings, split=split)
        digits, with_split, without = false_cuts(recognizer, tier_scenes)
        print(f"{model}: touching pairs right {right}/{total} (splitting off: {right_off}); "
              f"false cuts on {'/'.join(TIERS)}: {with_split - without} in {digits} digits", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
