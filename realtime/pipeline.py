"""The Recognizer: a frame in, its digits out (detect -> normalize -> one batch -> model and
digit check), and the frame loop that adds steady labels and numbers.

`Recognizer(model_dir).recognize(frame_bgr)` is the stable Python API for one picture;
`stream(frames)` yields one FrameResult a frame (what the CLI wraps with windows, keys and sinks).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator

import cv2
import numpy as np

from realtime.detect import StreamReuse, digits_in, find_digits, working_view
from realtime.detect.kept_digits import KeptDigits
from realtime.digit_check import DigitCheck
from realtime.model import DigitModel
from realtime.normalize import normalize_regions
from realtime.numbers import group_numbers
from realtime.settings import Settings
from realtime.split import keep_sure_cuts, propose_cuts, rows_and_boxes
from realtime.track import LabelSmoother
from realtime.types import Detection, Frame, FrameResult


@dataclasses.dataclass(frozen=True)
class _Boxes:
    """What normalize reads of regions: their ink (working px) and boxes in it."""

    ink_work: np.ndarray
    boxes_work: np.ndarray


class Recognizer:
    """Finds and labels the handwritten digits of frames with one loaded model.

    model_dir: a SavedModel folder or a name under models/ (None: the shipped softmax model);
    backend: "tensorflow" (the SavedModel) or "litert" (model.tflite, no TensorFlow at all).
    settings is a frozen value; replacing it (`recognizer.settings = dataclasses.replace(...)`)
    takes effect from the next frame, also in a running stream (the window's mirror key).
    With settings.digit_check the "not a digit" check (models/notdigit, same backend) runs on
    the classifier's batch and the regions it rejects are dropped.
    """

    def __init__(self, model_dir=None, settings: Settings | None = None, backend: str = "tensorflow"):
        self.settings = settings or Settings()
        self.model = DigitModel(model_dir, backend=backend)
        self._check = DigitCheck(backend=backend) if self.settings.digit_check else None

    def recognize(self, frame_bgr: np.ndarray) -> list[Detection]:
        """Digits of one (H, W, 3) uint8 BGR frame in reading order, boxes in its pixels."""
        return self._detections(find_digits(frame_bgr, self.settings))

    def digits_28x28(self, regions) -> np.ndarray:  # regions: find_digits' Regions (or _Boxes)
        """The normalize stage: (N, 28, 28) float32 in [0, 1] of find_digits' regions in MNIST's
        layout (the model's own graph deskews them)."""
        return normalize_regions(regions.ink_work, regions.boxes_work)

    def _detections(self, regions) -> list[Detection]:
        return [d for one in self._read(regions.ink_work, regions.boxes_work, regions.boxes_src, regions.scale)
                for d in one]

    def _read(self, ink_work, boxes_work, boxes_src, scale) -> list[tuple[Detection, ...]]:
        """The detections of each region (boxes_work in ink_work's pixels, boxes_src in the
        frame's): none (the digit check dropped it), one, or two halves of a kept cut."""
        if len(boxes_work) == 0:
            return []
        digits = self.digits_28x28(_Boxes(ink_work, boxes_work))
        # Touching digits: wide regions' halves ride in the same batch; a cut stays where the
        # model is sure of both halves (realtime.split).
        split = self.settings.split
        cuts = propose_cuts(ink_work, boxes_work, split)
        digits = np.concatenate([digits, cuts.digits_28x28])
        probabilities = self.model.predict(digits)
        kept = keep_sure_cuts(cuts, probabilities, split.rule_for(self.model.metadata.get("arch")))
        rows, boxes = rows_and_boxes(boxes_src, scale, cuts, kept)
        digits, probabilities = digits[rows], probabilities[rows]
        labels = probabilities.argmax(axis=1)
        confidences = probabilities[np.arange(len(labels)), labels]
        # The not-a-digit check reads what will be shown: whole regions and the halves kept.
        is_digit = self.digit_check_keeps(digits)
        n = len(boxes_work)
        out: list[list[Detection]] = [[] for _ in range(n)]
        for box, label, confidence, digit, row, keep, source in zip(
                boxes, labels, confidences, digits, probabilities, is_digit, rows, strict=True):
            if keep:
                out[source if source < n else int(cuts.regions[(source - n) // 2])].append(
                    Detection(box, int(label), float(confidence), digit, row))
        return [tuple(one) for one in out]

    def digit_check_keeps(self, digits: np.ndarray) -> np.ndarray:
        """(N,) bool: which of the (N, 28, 28) batch are digits by the check (all when it is off)."""
        settings = self.settings
        if not settings.digit_check:
            return np.ones(len(digits), bool)
        if self._check is None:  # turned on after construction
            self._check = DigitCheck(backend=self.model.backend)
        return self._check.is_digit(digits) >= settings.min_is_digit

    def recognize_frame(self, frame: Frame, smoother: LabelSmoother | None = None,
                        reuse: StreamReuse | None = None) -> FrameResult:
        """One frame through the whole pipeline: mirrored first when settings.mirror, its
        detections (steadied by `smoother` when given), its numbers and its ink mask.

        reuse: the stream's detection state (new_reuse(), one per stream, every frame in
        order): what is slow to find is kept across frames while the view stays the same.
        """
        settings = self.settings
        if settings.mirror:
            frame = dataclasses.replace(frame, image_bgr=cv2.flip(frame.image_bgr, 1))
        if reuse is None:
            regions = find_digits(frame.image_bgr, settings)
            detections, ink_mask = self._detections(regions), regions.ink_mask
        else:
            detections, ink_mask = self._stream_detections(frame.image_bgr, settings, reuse)
        if smoother is not None:
            detections = smoother.update(detections)
        numbers = group_numbers(detections, settings.min_confidence)
        return FrameResult(frame, tuple(detections), tuple(numbers), ink_mask)

    def _stream_detections(self, frame_bgr, settings, reuse: StreamReuse):
        """A stream's frame: the digits kept from the frames before where they have not changed
        (realtime.detect.kept_digits), only the rest detected (on windows) and read, in one batch."""
        if reuse.digits is None or reuse.digits.config != settings.detect.reuse.digits:
            reuse.digits = KeptDigits(settings.detect.reuse.digits)  # (new settings: none kept)
        kept = reuse.digits
        view = working_view(frame_bgr, settings, reuse)
        plan = kept.plan(view, settings, reuse)
        found = ([digits_in(view, settings, reuse)] if plan is None
                 else [digits_in(view, settings, reuse, window, plan.context) for window in plan.windows])
        pending = kept.merge(view, plan, found, settings)
        readings = self._read(pending.ink_work, pending.boxes_work, pending.boxes_src, view.scale)
        return kept.finish(view, pending, readings), kept.ink_mask

    def new_reuse(self) -> StreamReuse:
        """A fresh detection state for one stream (settings.detect.reuse as it is now)."""
        return StreamReuse(self.settings.detect.reuse)

    def stream(self, frames: Iterable[Frame], reuse: bool = True) -> Iterator[FrameResult]:
        """One FrameResult for every frame of a source, with steady labels (track,
        steady_label) when settings.smooth > 0 (its value when the stream starts).

        reuse: consecutive frames of one view (a camera, a video) share what is slow to find
        (new_reuse()); False for frames that are separate pictures (a folder of images): each
        is then found from scratch, as recognize does.
        """
        smoother = LabelSmoother(self.settings.smooth) if self.settings.smooth else None
        state = self.new_reuse() if reuse else None
        for frame in frames:
            yield self.recognize_frame(frame, smoother, state)
