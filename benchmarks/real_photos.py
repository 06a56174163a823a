"""Real photos (issue 13): every image of ../shared/data/real read at full size and at 640 px by
each of our models and by RapidOCR (a general OCR engine, the reference), scored against the
labels' digits.

Labels give digits per text line, top to bottom, and no boxes, so every figure comes from one
alignment of two digit strings: the digits read (lines in reading order, concatenated: a line
break costs nothing, a line read in the wrong order costs its edits) against the true digits
(the label's lines concatenated).

- CER: edit distance (insertions, deletions, substitutions) / true digits; false digits count,
  so it can pass 1.
- matched: digits of an alignment of least edit distance (among those, the one with most
  matches) read with the right label in the right place; recall = matched / true digits,
  precision = matched / digits read.
- found: matched plus substituted digits (something was read there, perhaps the wrong label):
  detection recall without boxes, found / true digits.
- negatives: images labelled with no digit, where every digit read is false.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from realtime.detect import reading_lines

# What a 640x480 webcam would see: the longer side scaled to this (down or up).
SCALED_SIDE_PX = 640
SIZES = ("full", "640")
# Issue 13's goal per image: at least this share of its digits found.
MIN_FOUND_PER_IMAGE = 0.8
RAPIDOCR = "rapidocr"


# ---------------------------------------------------------------------------------------------
# Scoring two digit strings.

@dataclass(frozen=True)
class Alignment:
    """One least-edit alignment of read digits against true digits (most matches among ties)."""

    distance: int
    matched: int
    substituted: int


def align_digits(read: str, truth: str) -> Alignment:
    """Align `read` to `truth`: edit distance, and the matches and substitutions of the
    least-distance alignment that has the most matches."""
    # Each cell holds (distance, -matched, substituted) so min() breaks distance ties towards
    # more matches.
    previous = [(j, 0, 0) for j in range(len(truth) + 1)]
    for i, char_read in enumerate(read, 1):
        current = [(i, 0, 0)]
        for j, char_true in enumerate(truth, 1):
            d, m, s = previous[j - 1]
            diagonal = (d, m - 1, s) if char_read == char_true else (d + 1, m, s + 1)
            extra = previous[j]  # a digit read that is not there
            missed = current[j - 1]  # a true digit not read
            current.append(min(diagonal, (extra[0] + 1, *extra[1:]), (missed[0] + 1, *missed[1:])))
        previous = current
    distance, negative_matched, substituted = previous[-1]
    return Alignment(distance, -negative_matched, substituted)


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions each cost 1)."""
    return align_digits(a, b).distance


def text_in_lines(detections) -> str:
    """Labels of detections as text in reading order, lines as the pipeline groups them
    (realtime.detect.reading_lines), a space where a line ends."""
    boxes = np.array([detection.box for detection in detections], np.int64).reshape(-1, 4)
    return " ".join("".join(str(detections[i].label) for i in line)
                    for line in reading_lines(boxes))


@dataclass(frozen=True)
class PhotoScore:
    """What one reader read on one image at one size.

    size: (width, height) px read; truth / read: digits, a space between lines; ms: time of the
    reader's call on this image, once (after one untimed call of the reader on the first
    image); RapidOCR: its whole engine call.
    """

    file: str
    size_name: str
    size: tuple[int, int]
    reader: str
    truth: str
    read: str
    ms: float

    @property
    def true_digits(self) -> int:
        return len(self.truth.replace(" ", ""))

    @property
    def read_digits(self) -> int:
        return len(self.read.replace(" ", ""))

    @property
    def negative(self) -> bool:
        return self.true_digits == 0

    @property
    def alignment(self) -> Alignment:
        return align_digits(self.read.replace(" ", ""), self.truth.replace(" ", ""))

    def to_json(self) -> dict:
        alignment = self.alignment
        record = {"file": self.file, "size_name": self.size_name, "size": list(self.size),
                  "reader": self.reader, "truth": self.truth, "read": self.read,
                  "true_digits": self.true_digits, "read_digits": self.read_digits,
                  "matched": alignment.matched, "substituted": alignment.substituted,
                  "edit_distance": alignment.distance, "ms": round(self.ms, 1)}
        if self.negative:
            record["false_digits"] = self.read_digits
        else:
            record.update(_rates(self.true_digits, self.read_digits, alignment.matched,
                                 alignment.substituted, alignment.distance))
        return record


def _rates(true_digits: int, read_digits: int, matched: int, substituted: int,
           distance: int) -> dict:
    return {"recall": round(matched / true_digits, 4),
            "precision": round(matched / read_digits, 4) if read_digits else None,
            "found": round((matched + substituted) / true_digits, 4),
            "cer": round(distance / true_digits, 4)}


@dataclass(frozen=True)
class Totals:
    """One reader at one size over all images: sums of the per-image counts (micro averages)."""

    reader: str
    size_name: str
    images: int
    true_digits: int
    read_digits: int  # on the images with digits
    matched: int
    substituted: int
    distance: int
    negative_digits: int  # everything read on the negatives
    negatives: int
    images_under_goal: int  # images that found < MIN_FOUND_PER_IMAGE of their digits
    median_ms: float

    @classmethod
    def of(cls, scores: list[PhotoScore]) -> Totals:
        positives = [score for score in scores if not score.negative]
        alignments = [score.alignment for score in positives]
        under = sum((a.matched + a.substituted) < MIN_FOUND_PER_IMAGE * s.true_digits
                    for s, a in zip(positives, alignments))
        return cls(scores[0].reader, scores[0].size_name, len(scores),
                   sum(s.true_digits for s in positives), sum(s.read_digits for s in positives),
                   sum(a.matched for a in alignments), sum(a.substituted for a in alignments),
                   sum(a.distance for a in alignments),
                   sum(s.read_digits for s in scores if s.negative),
                   sum(s.negative for s in scores), int(under),
                   float(np.median([s.ms for s in scores])))

    def to_json(self) -> dict:
        return {"reader": self.reader, "size_name": self.size_name, "images": self.images,
                "true_digits": self.true_digits, "read_digits": self.read_digits,
                "matched": self.matched, "substituted": self.substituted,
                "edit_distance": self.distance,
                **_rates(self.true_digits, self.read_digits, self.matched, self.substituted,
                         self.distance),
                "negatives": self.negatives, "digits_on_negatives": self.negative_digits,
                "images_under_goal": self.images_under_goal,
                "min_found_per_image": MIN_FOUND_PER_IMAGE, "median_ms": round(self.median_ms, 1)}


def totals(scores: list[PhotoScore]) -> list[Totals]:
    """Totals per (reader, size), in the order the scores came."""
    groups: dict[tuple[str, str], list[PhotoScore]] = {}
    for score in scores:
        groups.setdefault((score.reader, score.size_name), []).append(score)
    return [Totals.of(group) for group in groups.values()]


# ---------------------------------------------------------------------------------------------
# Reading the images.

def load_labels(real_dir: Path) -> tuple[dict, list[str]]:
    """labels.json of the folder ({} and a note when it is missing)."""
    labels_path = Path(real_dir) / "labels.json"
    if not labels_path.is_file():
        return {}, [f"real photos skipped: no labels.json in {real_dir}"]
    return json.loads(labels_path.read_text(encoding="utf-8")), []


def scaled_versions(image: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """[("full", image), ("640", longer side scaled to SCALED_SIDE_PX)]; the second is the same
    array when the image already has that size."""
    height, width = image.shape[:2]
    scale = SCALED_SIDE_PX / max(height, width)
    if scale == 1:
        return [("full", image), ("640", image)]
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    scaled = cv2.resize(image, (max(1, round(width * scale)), max(1, round(height * scale))),
                        interpolation=interpolation)
    return [("full", image), ("640", scaled)]


class RapidOcrReader:
    """RapidOCR (PP-OCR models in ONNX, shipped in the rapidocr-onnxruntime wheel) keeping only
    the digits of what it reads, its text boxes put into lines the way ours are."""

    def __init__(self):
        from rapidocr_onnxruntime import RapidOCR

        self.engine = RapidOCR()

    def __call__(self, image_bgr: np.ndarray) -> str:
        found, _ = self.engine(image_bgr)
        boxes, texts = [], []
        for corners, text, _score in found or []:
            digits = "".join(char for char in text if char.isdigit() and char.isascii())
            if digits:
                boxes.append(cv2.boundingRect(np.array(corners, np.float32)))
                texts.append(digits)
        lines = reading_lines(np.array(boxes, np.int64).reshape(-1, 4))
        return " ".join("".join(texts[i] for i in line) for line in lines)


def rapidocr_reader() -> tuple[RapidOcrReader | None, str | None]:
    """(the reader, None), or (None, why not) when the optional `anchors` extra is absent."""
    try:
        return RapidOcrReader(), None
    except ImportError as error:
        return None, (f"RapidOCR row skipped: {error} (pip install rapidocr-onnxruntime, the "
                      f"'anchors' extra)")


def read_photos(real_dir: Path, recognizers: dict, reference=None, sizes=SIZES,
                progress=None) -> tuple[list[PhotoScore], list[str]]:
    """Every labelled image at each of `sizes` by every recognizer (Recognizer.recognize, as
    shipped) and by `reference` (a callable image -> digits text, e.g. RapidOcrReader) if given.
    Returns the scores and the notes on what was skipped."""
    real_dir = Path(real_dir)
    labels, skipped = load_labels(real_dir)
    readers = {name: (lambda image, r=recognizer: text_in_lines(r.recognize(image)))
               for name, recognizer in recognizers.items()}
    if reference is not None:
        readers[RAPIDOCR] = reference
    scores = []
    warmed: set[str] = set()  # a reader's first call pays one-off costs (graph tracing)
    for file, about in labels.items():
        image = cv2.imread(str(real_dir / file), cv2.IMREAD_COLOR)
        if image is None:
            skipped.append(f"{file} skipped: cannot read {real_dir / file}")
            continue
        truth = " ".join(about.get("lines", []))
        for size_name, version in scaled_versions(image):
            if size_name not in sizes:
                continue
            for name, read in readers.items():
                if name not in warmed:
                    read(version)
                    warmed.add(name)
                started = time.perf_counter()
                text = read(version)
                ms = 1000 * (time.perf_counter() - started)
                scores.append(PhotoScore(file, size_name, (version.shape[1], version.shape[0]),
                                         name, truth, text, ms))
            if progress is not None:
                progress.update(1)
    return scores, skipped


def short_name(file: str, width: int = 36) -> str:
    """owner:file without the repository part (owner__repo__file), cut to `width`."""
    parts = file.split("__")
    name = f"{parts[0][:10]}:{parts[-1]}" if len(parts) > 1 else file
    return name if len(name) <= width else name[:width - 1] + "~"
