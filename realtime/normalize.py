"""Stage 3 of the pipeline: turn each found ink region into an MNIST-style 28x28 digit.

MNIST digits were made by fitting the ink into a 20x20 box (aspect ratio kept), then placing the
box so that the centre of mass sits at the centre of a 28x28 field, white on black. A softmax
model only knows that layout, so we reproduce it, including a stroke width near MNIST's.
"""

from __future__ import annotations

import cv2
import numpy as np

MNIST_SIDE = 28
# 20x20 is MNIST's own box for the ink; the 4-pixel margin is where the centre-of-mass shift goes.
MNIST_BOX = 20


def deskew(digit_28x28: np.ndarray) -> np.ndarray:
    """Undo the slant of a 28x28 digit with its second moments (OpenCV's digits.py way).

    Same dtype and shape in and out; used identically in training and at run time when the
    model folder says `"deskew": true`.
    """
    moments = cv2.moments(digit_28x28)
    if abs(moments["mu02"]) < 1e-2:
        return digit_28x28.copy()
    skew = moments["mu11"] / moments["mu02"]
    shear = np.float32([[1, skew, -0.5 * MNIST_SIDE * skew], [0, 1, 0]])
    return cv2.warpAffine(digit_28x28, shear, (MNIST_SIDE, MNIST_SIDE),
                          flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR)


def deskew_batch(digits: np.ndarray) -> np.ndarray:
    """deskew() over (N, 28, 28) images; returns a new array of the same dtype."""
    return np.stack([deskew(d) for d in digits]) if len(digits) else digits.copy()
