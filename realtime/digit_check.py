"""The "not a digit" check: a tiny learned model that says whether a region is a digit at all.

A classifier's softmax always names one of ten digits, so a letter, a bracket or a piece of a
printed box comes out as a confident 6 or 1. The check (models/notdigit, trained by
`train_export.py --arch notdigit` on MNIST digits against letters, words, signs, rule remnants,
pieces and pairs of digits and desk texture, all normalized as the recognizer normalizes a
region) reads the same (N, 784) batch as the classifier, in one call per frame, and the
Recognizer drops the regions it judges not to be digits. It takes its input un-deskewed like
every classifier, so it works beside any of them, on both backends.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from realtime.contract import (
    CHECK_MODEL,
    CHECK_OUTPUT_NAME,
    CHECK_OUTPUT_WIDTH,
    DIGIT_PIXELS,
    TFLITE_FILE,
    model_folder,
)
from realtime.errors import UserError
from realtime.model import _BACKEND_FILE, DEFAULT_BACKEND, LiteRTPredictor, _load_signature, check_backend


def check_folder(model_dir: str | os.PathLike | None = None) -> Path:
    """The check's model folder: `model_dir`, else models/notdigit under models_root()."""
    return model_folder(model_dir or CHECK_MODEL)


class DigitCheck:
    """(N, 784) or (N, 28, 28) float32 in [0, 1], white on black, MNIST layout -> (N,) float32,
    the probability that each region is a digit.

    model_dir: the check's folder (None: models/notdigit); backend: "tensorflow" (the SavedModel)
    or "litert" (its model.tflite); both agree within ~1e-6.
    """

    def __init__(self, model_dir: str | os.PathLike | None = None, backend: str = DEFAULT_BACKEND):
        self.backend = check_backend(backend)
        self.model_dir = check_folder(model_dir)
        needed = _BACKEND_FILE[self.backend]
        if not (self.model_dir / needed).is_file():
            raise UserError(f"the digit check's model is missing ({self.model_dir / needed}): "
                            f"train it with `python train_export.py --arch {CHECK_MODEL}`, or turn "
                            f"the check off (Settings(digit_check=False), no --digit-check)")
        if backend == "litert":
            self._predict = LiteRTPredictor(self.model_dir / TFLITE_FILE, CHECK_OUTPUT_WIDTH)
        else:
            self._predict = _load_signature(self.model_dir, CHECK_OUTPUT_NAME, CHECK_OUTPUT_WIDTH)

    def is_digit(self, digits: np.ndarray) -> np.ndarray:
        """(N, 28, 28) or (N, 784) float32 -> (N,) float32 probabilities, in one call."""
        flat = np.ascontiguousarray(digits, dtype=np.float32).reshape(len(digits), DIGIT_PIXELS)
        if len(flat) == 0:
            return np.zeros(0, np.float32)
        return self._predict(flat)[:, 0]
