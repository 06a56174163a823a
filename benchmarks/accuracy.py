"""Accuracy: finding and reading digits on generated scenes with known boxes and labels (per tier,
per model, MNIST layout vs the original example's plain resize), and on the real desk photos.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from realtime import synth
from realtime.detect import find_digits
from realtime.normalize import deskew, naive_resize, normalize_regions

# Fixed so every run scores the same scenes; tier k draws from default_rng([SCENE_SEED, k]), so a
# tier's scenes do not change when another tier's count does.
SCENE_SEED = 2024
SCENE_SIZE = (640, 480)
SCENE_DIGITS = 10
# A found box is the true digit when they overlap by IoU >= 0.5 (the usual detection criterion;
# synth.match's own default of 0.3 is for tests that only ask "was it found at all").
MATCH_MIN_IOU = 0.5
NORMALIZATIONS = ("ours", "naive")
# Real photos are also read scaled to this width: what a 640x480 webcam would see.
PHOTO_WIDTH_PX = 640
# Two consecutive detections (in reading order) are on one line when their boxes overlap
# vertically by this fraction of the shorter box: a digit of the next line never does.
SAME_LINE_MIN_Y_OVERLAP = 0.3


@dataclass(frozen=True)
class Score:
    """Counts for one tier, model and normalization over all its scenes.

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


def _naive_28x28(ink: np.ndarray, deskewed: bool) -> np.ndarray:
    """The original example's stretch to 28x28, deskewed when the model was trained deskewed
    (so the comparison is about the layout, not about a deskew mismatch)."""
    digit = naive_resize(ink)
    return deskew(digit) if deskewed else digit


def score_tier(tier: str, scenes: list, recognizers: dict, progress=None) -> list[Score]:
    """Scores of every model x normalization on one tier's scenes.

    "ours" is Recognizer.recognize exactly as shipped; "naive" is the same detection
    (find_digits) with naive_resize instead of the MNIST layout, then the same model.
    """
    counts = {(name, norm): np.zeros(3, int) for name in recognizers for norm in NORMALIZATIONS}
    settings = next(iter(recognizers.values())).settings
    naive = {name: functools.partial(_naive_28x28, deskewed=recognizer.model.deskew)
             for name, recognizer in recognizers.items()}
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
            digits = normalize_regions(regions.ink_work, regions.boxes_work, naive[name])
            labels = recognizer.model.predict(digits).argmax(axis=1)
            counts[name, "naive"] += _count(true_boxes, true_labels, regions.boxes_src, labels)
        if progress is not None:
            progress.update(1)
    return [Score(tier, name, norm, len(scenes), true_digits, *map(int, counts[name, norm]))
            for name in recognizers for norm in NORMALIZATIONS]


def _count(true_boxes, true_labels, found_boxes, found_labels) -> np.ndarray:
    """[found, matched, correct] for one scene."""
    pairs = synth.match(true_boxes, [tuple(box) for box in found_boxes], min_iou=MATCH_MIN_IOU)
    correct = sum(int(true_labels[i] == found_labels[j]) for i, j in pairs)
    return np.array([len(found_boxes), len(pairs), correct])


# ---------------------------------------------------------------------------------------------
# Real photos (issue #8).

@dataclass(frozen=True)
class PhotoReading:
    """What one model read on one photo at one size.

    truth / read: digits in reading order, a space between lines; cer: Levenshtein distance
    between the digit strings (spaces ignored) / true digits, None when the photo has no digits;
    false_digits: for a photo without digits, how many were reported (all false).
    """

    file: str
    size: tuple[int, int]
    scaled: bool
    model: str
    truth: str
    read: str
    cer: float | None
    false_digits: int | None

    def to_json(self) -> dict:
        return {"file": self.file, "size": list(self.size), "scaled": self.scaled,
                "model": self.model, "truth": self.truth, "read": self.read,
                "cer": None if self.cer is None else round(self.cer, 4),
                "false_digits": self.false_digits}


def read_photos(real_dir: Path, recognizers: dict) -> tuple[list[PhotoReading], list[str]]:
    """Every labelled photo at full size and scaled to PHOTO_WIDTH_PX wide, by every model;
    and the reasons for whatever had to be skipped."""
    real_dir = Path(real_dir)
    labels_path = real_dir / "labels.json"
    if not labels_path.is_file():
        return [], [f"real photos skipped: no labels.json in {real_dir}"]
    labels = json.loads(labels_path.read_text(encoding="utf-8"))
    readings, skipped = [], []
    for file, about in labels.items():
        image = cv2.imread(str(real_dir / file), cv2.IMREAD_COLOR)
        if image is None:
            skipped.append(f"{file} skipped: cannot read {real_dir / file}")
            continue
        truth = " ".join(about.get("lines", []))
        versions = [(image, False)]
        height, width = image.shape[:2]
        if width != PHOTO_WIDTH_PX:
            scale = PHOTO_WIDTH_PX / width
            interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
            versions.append((cv2.resize(image, (PHOTO_WIDTH_PX, round(height * scale)),
                                        interpolation=interpolation), True))
        for version, scaled in versions:
            for name, recognizer in recognizers.items():
                read = text_in_lines(recognizer.recognize(version))
                true_digits = truth.replace(" ", "")
                read_digits = read.replace(" ", "")
                cer = (levenshtein(read_digits, true_digits) / len(true_digits)
                       if true_digits else None)
                readings.append(PhotoReading(file, (version.shape[1], version.shape[0]), scaled,
                                             name, truth, read, cer,
                                             None if true_digits else len(read_digits)))
    return readings, skipped


def text_in_lines(detections) -> str:
    """Labels of detections (already in reading order) as text, a space where a line ends."""
    text, previous = "", None
    for detection in detections:
        if previous is not None and not _same_line(previous.box, detection.box):
            text += " "
        text += str(detection.label)
        previous = detection
    return text


def _same_line(box_a, box_b) -> bool:
    _, top_a, _, height_a = box_a
    _, top_b, _, height_b = box_b
    overlap = min(top_a + height_a, top_b + height_b) - max(top_a, top_b)
    return overlap >= SAME_LINE_MIN_Y_OVERLAP * min(height_a, height_b)


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions each cost 1)."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]
