"""Accuracy: finding and reading digits on generated scenes with known boxes and labels (per tier,
per model, MNIST layout vs the original example's plain resize), what a page of handwritten text
without digits gives (false digits). The real photos are in benchmarks.real_photos.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

from realtime.detect import find_digits
from realtime.normalize import naive_resize, normalize_regions
from tools import scoring, synth

# Fixed so every run scores the same scenes; tier k draws from default_rng([SCENE_SEED, k]), so a
# tier's scenes do not change when another tier's count does.
SCENE_SEED = 2024
SCENE_SIZE = (640, 480)
SCENE_DIGITS = 10
# A found box is the true digit when they overlap by IoU >= 0.5 (the usual detection criterion;
# scoring.match's own default of 0.3 is for tests that only ask "was it found at all").
MATCH_MIN_IOU = 0.5
NORMALIZATIONS = ("ours", "naive")
# The one-factor conditions (synth.CONDITIONS): condition k draws from
# default_rng([CONDITION_SEED, k]).
CONDITION_SEED = 2026
# Text pages (synth.make_text_page) have their own seed; tier k draws from
# default_rng([TEXT_PAGE_SEED, k]) as the scenes do.
TEXT_PAGE_SEED = 2025


@dataclass(frozen=True)
class Score:
    """Counts for one tier (or condition), model and normalization over all its scenes.

    true_digits: drawn; found: detections; matched: found boxes paired with a true one at
    IoU >= MATCH_MIN_IOU; correct: matched with the right label.
    """

    tier: str
    model: str
    normalization: str
    scenes: int
    true_digits: int
    found: int
    matched: int
    correct: int

    @property
    def recall(self) -> float:
        return self.matched / max(self.true_digits, 1)

    @property
    def precision(self) -> float:
        return self.matched / self.found if self.found else 1.0

    @property
    def accuracy_found(self) -> float:
        return self.correct / self.matched if self.matched else 0.0

    @property
    def end_to_end(self) -> float:
        return self.correct / max(self.true_digits, 1)

    def to_json(self) -> dict:
        return {"tier": self.tier, "model": self.model, "normalization": self.normalization,
                "scenes": self.scenes, "true_digits": self.true_digits, "found": self.found,
                "matched": self.matched, "correct": self.correct,
                "recall": round(self.recall, 4), "precision": round(self.precision, 4),
                "accuracy_found": round(self.accuracy_found, 4),
                "end_to_end": round(self.end_to_end, 4)}


def make_scenes(x_test: np.ndarray, y_test: np.ndarray, tier: str, count: int) -> list:
    """`count` synth.Scenes of one tier, the same every run (MNIST *test* digits only)."""
    rng = np.random.default_rng([SCENE_SEED, synth.TIERS.index(tier)])
    return [synth.make_scene(x_test, y_test, rng, tier=tier, size=SCENE_SIZE,
                             n_digits=SCENE_DIGITS) for _ in range(count)]


def make_condition_scenes(x_test: np.ndarray, y_test: np.ndarray, condition: str,
                          count: int) -> list:
    """`count` synth.Scenes of one condition (one hard factor each), the same every run."""
    rng = np.random.default_rng([CONDITION_SEED, synth.CONDITIONS.index(condition)])
    return [synth.make_scene(x_test, y_test, rng, condition=condition, size=SCENE_SIZE,
                             n_digits=SCENE_DIGITS) for _ in range(count)]


def score_tier(tier: str, scenes: list, recognizers: dict, progress=None) -> list[Score]:
    """Scores of every model x normalization on one tier's scenes.

    "ours" is Recognizer.recognize exactly as shipped; "naive" is the same detection
    (find_digits) with naive_resize instead of the MNIST layout, then the same model.
    """
    counts = {(name, norm): np.zeros(3, int) for name in recognizers for norm in NORMALIZATIONS}
    settings = next(iter(recognizers.values())).settings
    true_digits = 0
    for scene in scenes:
        true_boxes = [digit.box for digit in scene.digits]
        true_labels = [digit.label for digit in scene.digits]
        true_digits += len(true_boxes)
        regions = find_digits(scene.image_bgr, settings)
        for name, recognizer in recognizers.items():
            detections = recognizer.recognize(scene.image_bgr)
            counts[name, "ours"] += _count(true_boxes, true_labels, [d.box for d in detections],
                                           [d.label for d in detections])
            digits = normalize_regions(regions.ink_work, regions.boxes_work, naive_resize)
            labels = recognizer.model.predict(digits).argmax(axis=1)
            counts[name, "naive"] += _count(true_boxes, true_labels, regions.boxes_src, labels)
        if progress is not None:
            progress.update(1)
    return [Score(tier, name, norm, len(scenes), true_digits, *map(int, counts[name, norm]))
            for name in recognizers for norm in NORMALIZATIONS]


def _count(true_boxes, true_labels, found_boxes, found_labels) -> np.ndarray:
    """[found, matched, correct] for one scene."""
    pairs = scoring.match(true_boxes, [tuple(box) for box in found_boxes], min_iou=MATCH_MIN_IOU)
    correct = sum(int(true_labels[i] == found_labels[j]) for i, j in pairs)
    return np.array([len(found_boxes), len(pairs), correct])


# ---------------------------------------------------------------------------------------------
# Text pages: letters are not digits.

@dataclass(frozen=True)
class TextPageScore:
    """What one model reported on one tier's text pages (no digit on them).

    detections: every box reported; false_digits: those at or above min_confidence, which the
    window and JSON show as digits (the rest are shown as '?'); most_false_digits: on the worst
    page; capped_pages: pages where the recognizer stopped at max_regions (Settings), whose
    counts are therefore lower bounds.
    """

    tier: str
    model: str
    pages: int
    min_confidence: float
    max_regions: int
    detections: int
    false_digits: int
    most_false_digits: int
    capped_pages: int

    @property
    def detections_per_page(self) -> float:
        return self.detections / max(self.pages, 1)

    @property
    def false_digits_per_page(self) -> float:
        return self.false_digits / max(self.pages, 1)

    @property
    def unsure_share(self) -> float | None:
        """Share of the detections shown as '?' (None when there were none)."""
        return 1 - self.false_digits / self.detections if self.detections else None

    def to_json(self) -> dict:
        return {"tier": self.tier, "model": self.model, "pages": self.pages,
                "min_confidence": self.min_confidence, "max_regions": self.max_regions,
                "detections": self.detections, "false_digits": self.false_digits,
                "most_false_digits": self.most_false_digits, "capped_pages": self.capped_pages,
                "detections_per_page": round(self.detections_per_page, 3),
                "false_digits_per_page": round(self.false_digits_per_page, 3),
                "unsure_share": (None if self.unsure_share is None
                                 else round(self.unsure_share, 4))}


def make_text_pages(tier: str, count: int) -> list[np.ndarray]:
    """`count` text pages of one tier, (H, W, 3) uint8 BGR, the same every run."""
    rng = np.random.default_rng([TEXT_PAGE_SEED, synth.TIERS.index(tier)])
    return [synth.make_text_page(rng, size=SCENE_SIZE, tier=tier) for _ in range(count)]


def score_text_pages(tier: str, pages: list[np.ndarray], recognizers: dict,
                     progress=None) -> list[TextPageScore]:
    """Every model's detections and false digits (those shown as digits, not "?", at its
    Settings.min_confidence) on one tier's text pages."""
    per_page = {name: [] for name in recognizers}  # (found, false digits) per page
    for page in pages:
        for name, recognizer in recognizers.items():
            min_confidence = recognizer.settings.min_confidence
            detections = recognizer.recognize(page)
            per_page[name].append((len(detections),
                                   sum(d.is_sure(min_confidence) for d in detections)))
        if progress is not None:
            progress.update(1)
    scores = []
    for name, counts in per_page.items():
        settings = recognizers[name].settings
        found, false = np.array(counts, int).reshape(-1, 2).T
        scores.append(TextPageScore(tier, name, len(pages), settings.min_confidence,
                                    settings.max_regions, int(found.sum()), int(false.sum()),
                                    int(false.max(initial=0)),
                                    int((found >= settings.max_regions).sum())))
    return scores
# The one-factor conditions (synth.CONDITIONS): condition k draws from
# default_rng([CONDITION_SEED, k]).
CONDITION_SEED = 2026


def main(argv: list[str] | None = None) -> int:
    import argparse
    import os

    from benchmarks import report
    from realtime.errors import UserError, whole_number
    from realtime.mnist import load_mnist
    from realtime.model import resolve_model_dir
    from realtime.pipeline import Recognizer

    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.accuracy",
        description="Recall, precision and end-to-end accuracy on generated scenes: per tier "
                    "and per one-factor condition (the accuracy part of python -m benchmarks).")
    parser.add_argument("--models", default="softmax,cnn", help="comma-separated models")
    parser.add_argument("--tiers", default=",".join(synth.TIERS),
                        help="comma-separated tiers, '' = none")
    parser.add_argument("--scenes", type=whole_number(1), default=100, help="scenes per tier")
    parser.add_argument("--condition-scenes", type=whole_number(0), default=50,
                        help="scenes per condition, 0 = none")
    parser.add_argument("--data", help="MNIST .npz (default $MNIST_NPZ, else ../shared/data)")
    args = parser.parse_args(argv)
    try:
        models = [name for name in args.models.split(",") if name]
        tiers = [name for name in args.tiers.split(",") if name]
        for tier in tiers:
            if tier not in synth.TIERS:
                raise UserError(f"unknown tier {tier!r}: choose from {', '.join(synth.TIERS)}")
        recognizers = {name: Recognizer(str(resolve_model_dir(name))) for name in models}
        from benchmarks.run import DEFAULT_MNIST

        mnist = load_mnist(args.data or os.environ.get("MNIST_NPZ") or DEFAULT_MNIST)
    except UserError as error:
        print(f"benchmarks.accuracy: error: {error}", file=sys.stderr)
        return 2
    scores = []
    for tier in tiers:
        scores += score_tier(tier, make_scenes(mnist.x_test, mnist.y_test, tier, args.scenes),
                             recognizers)
    condition_scores = []
    for condition in synth.CONDITIONS[:len(synth.CONDITIONS) if args.condition_scenes else 0]:
        scenes = make_condition_scenes(mnist.x_test, mnist.y_test, condition,
                                       args.condition_scenes)
        condition_scores += [score for score in score_tier(condition, scenes, recognizers)
                             if score.normalization == "ours"]
    about = {"seed": SCENE_SEED, "scenes_per_tier": args.scenes, "digits_per_scene": SCENE_DIGITS,
             "size": list(SCENE_SIZE), "min_iou": MATCH_MIN_IOU}
    if scores:
        print(report.accuracy_text(about, scores) + "\n")
    print(report.conditions_text({**about, "seed": CONDITION_SEED,
                                  "scenes_per_condition": args.condition_scenes},
                                 condition_scores))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
