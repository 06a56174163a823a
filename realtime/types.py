"""The small values that flow between the stages: a Frame in, a list of Detections out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Frame:
    """One picture from a source: its position in the stream, its time and its pixels.

    index: 0-based frame number; time_s: seconds since the start of the source (file time for
    videos, wall clock for live sources); image_bgr: (H, W, 3) uint8.
    """

    index: int
    time_s: float
    image_bgr: np.ndarray


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

    def to_json(self) -> dict:
        record = {"box": [int(v) for v in self.box], "label": int(self.label),
                  "confidence": round(float(self.confidence), 4)}
        if self.track is not None:
            record["track"] = int(self.track)
            record["steady_label"] = int(self.steady_label)
        return record
