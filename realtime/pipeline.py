"""The Recognizer: a frame in, its digits out (detect -> normalize -> one batch -> model).

`Recognizer(model_dir).recognize(frame_bgr)` is the stable Python API; `stream(source)` is the
loop the CLI wraps with windows, keys and sinks.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import cv2
import numpy as np

from realtime.detect import find_digits
from realtime.model import DigitModel
from realtime.normalize import normalize_regions
from realtime.settings import Settings
from realtime.track import LabelSmoother
from realtime.types import Detection, Frame


class Recognizer:
    """Finds and labels the handwritten digits of frames with one loaded model.

    model_dir: a SavedModel folder or a name under models/ (None: the shipped softmax model);
    backend: "tensorflow" (the SavedModel) or "litert" (model.tflite, no TensorFlow at all).
    """

    def __init__(self, model_dir=None, settings: Settings | None = None, backend: str = "tensorflow"):
        self.settings = settings or Settings()
        self.model = DigitModel(model_dir, backend=backend)
        self.mirror = self.settings.mirror
        self.last_ink_mask: np.ndarray | None = None  # for the window's threshold view

    def recognize(self, frame_bgr: np.ndarray) -> list[Detection]:
        """Digits of one (H, W, 3) uint8 BGR frame in reading order, boxes in its pixels."""
        regions = find_digits(frame_bgr, self.settings)
        self.last_ink_mask = regions.ink_mask
        if len(regions) == 0:
            return []
        digits = normalize_regions(regions.ink_work, regions.boxes_work)
        probabilities = self.model.predict(digits)
        labels = probabilities.argmax(axis=1)
        confidences = probabilities[np.arange(len(labels)), labels]
        return [Detection(tuple(int(v) for v in box), int(label), float(confidence), digit, row)
                for box, label, confidence, digit, row
                in zip(regions.boxes_src, labels, confidences, digits, probabilities)]

    def stream(self, frames: Iterable[Frame]) -> Iterator[tuple[Frame, list[Detection]]]:
        """(frame, detections) for every frame of a source, mirrored first when asked, with
        steady labels (track, steady_label) when settings.smooth > 0."""
        smoother = LabelSmoother(self.settings.smooth) if self.settings.smooth else None
        for frame in frames:
            if self.mirror:
                frame = Frame(frame.index, frame.time_s, cv2.flip(frame.image_bgr, 1))
            detections = self.recognize(frame.image_bgr)
            yield frame, smoother.update(detections) if smoother else detections
