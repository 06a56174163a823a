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
MNIST_CENTRE = 14.0

# Digits are first fitted into a box this many times MNIST's 20x20, where stroke width can be
# adjusted a pixel at a time, then area-resized down to 20x20 (which also anti-aliases them).
WORK_FACTOR = 4
WORK_BOX = MNIST_BOX * WORK_FACTOR
# MNIST's stroke width measured the same way (2 * ink area / boundary pixels) on its test digits
# upscaled 4x: median 7.4 px, 10th percentile 5.5. Strokes thinner than that are thickened to the
# median: a thin pen on a big digit would otherwise be a faint hairline. Thick strokes are left
# as they are: eroding them erased a 7's bar or a 4's arm on small thick digits (measured on 100
# generated scenes a tier, softmax end to end camera 95.2 -> 96.6%, hard 87.2 -> 88.7%).
MNIST_STROKE_PX = 7.4
MIN_STROKE_PX = 5.5
MAX_STROKE_CHANGE_PX = 12
INK_LEVEL = 0.5
# Below this an interpolated pixel is paper, for finding the ink's extent.
INK_FLOOR = 0.05


def stroke_width(ink: np.ndarray) -> float:
    """Mean stroke width (px) of ink > INK_LEVEL: 2 * area / boundary-pixel count."""
    solid = (ink > INK_LEVEL).view(np.uint8)
    area = int(np.count_nonzero(solid))
    if area == 0:
        return 0.0
    # Outside the image counts as paper, so a crop cut through a stroke still has a boundary.
    eroded = cv2.erode(solid, _KERNEL_3, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    boundary = int(np.count_nonzero(solid - eroded))
    return 2.0 * area / max(boundary, 1)


_KERNEL_3 = np.ones((3, 3), np.uint8)


def to_mnist(ink: np.ndarray) -> np.ndarray:
    """One digit's ink ((h, w) float32, 1 = ink, 0 = paper) -> (28, 28) float32 in [0, 1].

    Fit into 20x20 keeping the aspect ratio, thin strokes thickened to MNIST's width, centre of
    mass at the centre of 28x28, white on black: MNIST as it is. No deskew here: a model trained
    on deskewed digits deskews inside its own graph.
    """
    h, w = ink.shape[:2]
    if h == 0 or w == 0 or not ink.max() > 0:
        return np.zeros((MNIST_SIDE, MNIST_SIDE), np.float32)
    big = _fit(ink.astype(np.float32), WORK_BOX)
    big = _tight(_thicken_thin_strokes(big))
    return _centre_by_mass(np.clip(_fit(big, MNIST_BOX), 0, 1))


def _fit(image: np.ndarray, box: int) -> np.ndarray:
    """Resize so the longer side is `box` px, keeping the aspect ratio."""
    h, w = image.shape
    scale = box / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def _tight(image: np.ndarray) -> np.ndarray:
    """Crop to the ink's bounding box (after thickening, the ink may reach past the old box)."""
    # The box of the pixels above INK_FLOOR (cv2.boundingRect of a mask: a few us, where
    # numpy's row and column maxima took 20).
    x, y, w, h = cv2.boundingRect((image > INK_FLOOR).view(np.uint8))
    if w == 0:
        return image
    return image[y:y + h, x:x + w]


def _thicken_thin_strokes(big: np.ndarray) -> np.ndarray:
    """Strokes thinner than MIN_STROKE_PX grown to MNIST_STROKE_PX; others unchanged."""
    width = stroke_width(big)
    if width == 0 or width >= MIN_STROKE_PX:
        return big
    grow = min(round(MNIST_STROKE_PX - width), MAX_STROKE_CHANGE_PX)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow + 1, grow + 1))
    # Grey dilation thickens while keeping the anti-aliased rim; pad so strokes at the box edge
    # grow outwards too.
    padded = cv2.copyMakeBorder(big, grow, grow, grow, grow, cv2.BORDER_CONSTANT, value=0)
    return cv2.dilate(padded, kernel)


def _centre_by_mass(digit: np.ndarray) -> np.ndarray:
    """Place a (<=20, <=20)-ish ink image in 28x28 with its centre of mass at (14, 14)."""
    # numpy, not cv2.moments: OpenCV reads an array 2 or 3 columns wide (a thin '1') as a list
    # of points instead of an image.
    h, w = digit.shape
    mass = float(digit.sum())
    if mass <= 1e-6:
        cx, cy = (w - 1) / 2, (h - 1) / 2
    else:
        cx = float(digit.sum(axis=0) @ np.arange(w)) / mass
        cy = float(digit.sum(axis=1) @ np.arange(h)) / mass
    # MNIST's own digits have their centre of mass at (14.0, 14.0) in pixel-index coordinates
    # (measured on the test set), so that is where ours go.
    shift = np.float32([[1, 0, MNIST_CENTRE - cx], [0, 1, MNIST_CENTRE - cy]])
    return cv2.warpAffine(digit, shift, (MNIST_SIDE, MNIST_SIDE), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def naive_resize(ink: np.ndarray) -> np.ndarray:
    """The original example's way, for comparison only: stretch the tight crop to 28x28."""
    if ink.size == 0:
        return np.zeros((MNIST_SIDE, MNIST_SIDE), np.float32)
    return np.clip(cv2.resize(ink.astype(np.float32), (MNIST_SIDE, MNIST_SIDE),
                              interpolation=cv2.INTER_AREA), 0, 1)


def normalize_regions(ink_work: np.ndarray, boxes_work: np.ndarray, to_28x28=to_mnist) -> np.ndarray:
    """All of a frame's regions as one (N, 28, 28) float32 batch, white on black in [0, 1].

    to_28x28: the per-digit normalizer (to_mnist, or naive_resize for comparisons).
    """
    batch = np.zeros((len(boxes_work), MNIST_SIDE, MNIST_SIDE), np.float32)
    for k, (x, y, w, h) in enumerate(boxes_work):
        batch[k] = to_28x28(ink_work[y:y + h, x:x + w])
    return batch
