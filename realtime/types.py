"""The small values that flow between the stages: a Frame in, Detections and Numbers out, all of
one frame together in a FrameResult."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Frame:
    """One picture from a source: its position in the stream, its time and its pixels.

    index: 0-based frame number; time_s: seconds since the start of the source (file time for
    videos, wall clock for live sources); image_bgr: (H, W, 3) uint8; name: the file it was read
    from, for sources of separate files (images), else None.
    """

    index: int
    time_s: float
    image_bgr: np.ndarray
    name: str | None = None


def is_sure(confidence: float, min_confidence: float) -> bool:
    """The one "?" rule: a reading at or above min_confidence is shown as its digit, one below
    it as "?" (annotate, numbers, the benchmarks' false digits)."""
    return confidence >= min_confidence


@dataclass(frozen=True)
class Detection:
    """One digit found in a frame.

    box: (x, y, w, h) in source pixels; label: 0-9; confidence: the model's probability of label;
    digit_28x28: (28, 28) float32 in [0, 1], white ink on black: exactly what the model saw.
    """

    box: tuple[int, int, int, int]
    label: int
    confidence: float
    digit_28x28: np.ndarray
    probabilities: np.ndarray | None = None  # (10,) float32, the model's whole answer
    track: int | None = None  # set by the label smoother: the same digit across frames
    steady_label: int | None = None  # the smoothed label of that track

    @property
    def shown_label(self) -> int:
        """The label to show: the steady one when smoothing is on."""
        return self.label if self.steady_label is None else self.steady_label

    def is_sure(self, min_confidence: float) -> bool:
        """Confident enough to be shown as its digit (see `is_sure`)."""
        return is_sure(self.confidence, min_confidence)

    def shown_text(self, min_confidence: float) -> str:
        """'7' for a sure digit (the steady label when smoothed), '?' under min_confidence."""
        return str(self.shown_label) if self.is_sure(min_confidence) else "?"

    def to_json(self) -> dict:
        record = {"box": [int(v) for v in self.box], "label": int(self.label),
                  "confidence": round(float(self.confidence), 4)}
        if self.track is not None:
            record["track"] = int(self.track)
            record["steady_label"] = int(self.steady_label)
        return record


@dataclass(frozen=True)
class Number:
    """Digits read together: text: the digits left to right ('?' where unsure); box: (x, y, w,
    h) around them in source pixels; digits: their indices in the frame's detections."""

    text: str
    box: tuple[int, int, int, int]
    digits: tuple[int, ...]

    def to_json(self) -> dict:
        return {"text": self.text, "box": [int(v) for v in self.box], "digits": list(self.digits)}


@dataclass(frozen=True)
class FrameResult:
    """Everything the pipeline knows about one frame, for annotate and the sinks.

    frame: the frame as recognized (already mirrored when settings.mirror); detections: in
    reading order (with track and steady_label when smoothing is on); numbers: in reading order;
    ink_mask: (h, w) uint8, 255 = ink, what detection saw (at its working resolution), or None.
    """

    frame: Frame
    detections: tuple[Detection, ...]
    numbers: tuple[Number, ...]
    ink_mask: np.ndarray | None = None

    def to_json(self) -> dict:
        """The stable JSON form: {"frame", "time_s", "detections": [{box, label,
        confidence[, track, steady_label]}], "numbers": [{text, box, digits}]}."""
        return {"frame": self.frame.index, "time_s": round(self.frame.time_s, 4),
                "detections": [d.to_json() for d in self.detections],
                "numbers": [n.to_json() for n in self.numbers]}
