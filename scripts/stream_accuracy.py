"""Does a stream read as right as its frames alone? Right and false digits of each clip the
speed benchmark times (demo.mp4 with its truth, the camera clip, the wild clip's pages), read
as a stream (Recognizer.recognize_frame with one reuse state: kept surface, rules and digits)
and every frame alone.

    python scripts/stream_accuracy.py [--clips demo,camera,wild] [--model softmax]
                                      [--set FIELD=VALUE ...]   (a KeptDigitsConfig to try)

Right: a found box at IoU >= 0.5 with a true digit and its label; false: every other found
digit. The clips are those of benchmarks/speed.py, drawn from the scenes themselves (the speed
rows time the decoded mp4 of the same frames).
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import speed  # noqa: E402
from benchmarks.speed import read_frames  # noqa: E402
from realtime.mnist import load_mnist  # noqa: E402
from realtime.pipeline import Recognizer  # noqa: E402
from realtime.types import Frame  # noqa: E402
from tools import scoring, synth  # noqa: E402

CLIPS = ("demo", "camera", "wild")
WILD_PAGES = 3  # the benchmark's 150 frames


def clip_pages(name: str, mnist, folder: Path) -> list[list[tuple]]:
    """One clip as pages (one per view: a cut between pages), each [(frame, [(box, label), ...])]."""
    if name == "demo":
        truth = json.loads(speed.DEMO_CLIP.with_suffix(".json").read_text())["frames"]
        frames = read_frames(speed.DEMO_CLIP)
        return [[(image, [(tuple(d["box"]), d["label"]) for d in t["digits"]])
                 for image, t in zip(frames, truth, strict=False)]]
    options = dict(fps=speed.CLIP_FPS, size=speed.CLIP_SIZE, n_digits=speed.CLIP_DIGITS)
    if name == "camera":
        drawn = [synth.make_video(mnist.x_test, mnist.y_test, folder / "camera.mp4", tier=speed.CLIP_TIER,
                                  n_frames=150, seed=speed.CLIP_SEED, sheet=True, **options)]
    else:
        drawn = [synth.make_video(mnist.x_test, mnist.y_test, folder / "wild.mp4", tier="wild",
                                  n_frames=speed.WILD_PAGE_FRAMES, seed=speed.WILD_SEED + page, **options)
                 for page in range(WILD_PAGES)]
    return [[(scene.image_bgr, [(d.box, d.label) for d in scene.digits]) for scene in page] for page in drawn]


def right_and_false(recognizer, page, stream: bool) -> tuple[int, int]:
    state = recognizer.new_reuse() if stream else None
    right = found = 0
    for i, (image, truth) in enumerate(page):
        detections = recognizer.recognize_frame(Frame(i, i / speed.CLIP_FPS, image), reuse=state).detections
        pairs = scoring.match([box for box, _ in truth], [d.box for d in detections], min_iou=0.5)
        right += sum(detections[j].label == truth[t][1] for t, j in pairs)
        found += len(detections)
    return right, found - right


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", default=",".join(CLIPS))
    parser.add_argument("--model", default="softmax")
    parser.add_argument("--set", action="append", default=[], help="FIELD=VALUE of KeptDigitsConfig to try")
    args = parser.parse_args(argv)
    recognizer = Recognizer(Path(__file__).resolve().parent.parent / "models" / args.model)
    if args.set:
        settings = recognizer.settings
        reuse = settings.detect.reuse
        changes = {field: ast.literal_eval(value) for field, value in (item.split("=", 1) for item in args.set)}
        recognizer.settings = dataclasses.replace(settings, detect=settings.detect.replace(
            reuse=dataclasses.replace(reuse, digits=dataclasses.replace(reuse.digits, **changes))))
    mnist = load_mnist(os.environ.get("MNIST_NPZ") or "../shared/data/mnist.npz")
    print("clip    page  true  stream right / false  alone right / false")
    with tempfile.TemporaryDirectory() as folder:
        for name in args.clips.split(","):
            totals = [0, 0, 0, 0, 0]
            for k, page in enumerate(clip_pages(name, mnist, Path(folder))):
                row = (sum(len(truth) for _, truth in page), *right_and_false(recognizer, page, True),
                       *right_and_false(recognizer, page, False))
                totals = [a + b for a, b in zip(totals, row, strict=True)]
                print(f"{name:7s} {k:4d}  {row[0]:4d}  {row[1]:12d} / {row[2]:<5d}  {row[3]:11d} / {row[4]}")
            print(f"{name:7s}  all  {totals[0]:4d}  {totals[1]:12d} / {totals[2]:<5d}  {totals[3]:11d} / {totals[4]}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
