"""Detection step 1, the working image: a frame's brightness at a size the later steps are tuned for.

Boxes found on it are scaled back to source pixels at the end (find_digits).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class WorkingConfig:
    """Size and denoising of the working image."""

    # Frames larger than this (longest side, px) are searched at this size: a 15-megapixel photo
    # then costs what a 1280x720 frame costs. Boxes are always scaled back to source pixels.
    work_side_px: int = 1280
    # Smaller frames (320x240 webcams, thumbnails) are enlarged to this: a pen stroke there is
    # under a pixel wide, and thresholds and morphology need a few pixels to work with.
    min_work_side_px: int = 640
    # 3x3 Gaussian: removes sensor noise without eating a thin pen stroke (odd; 1 = off).
    denoise_kernel_px: int = 3


def to_working_gray(frame_bgr: np.ndarray, config: WorkingConfig) -> tuple[np.ndarray, float]:
    """Brightness (H, W) uint8 at working size, denoised; and the working/source scale."""
    if frame_bgr.ndim == 2:
        gray = frame_bgr
    else:
        # The brightest channel, not the luma: light blue rules and a red margin line are as
        # bright as paper in their own colour, while pencil, black and blue pens are dark in
        # every channel. The price: red ink keeps only ~40 levels of contrast on white.
        blue, green, red = cv2.split(frame_bgr)
        gray = cv2.max(cv2.max(blue, green), red)
    longest = max(gray.shape[:2])
    scale = 1.0
    if longest > config.work_side_px:
        scale = config.work_side_px / longest
        gray = rescale(gray, scale, cv2.INTER_AREA)
    elif longest < config.min_work_side_px:
        scale = config.min_work_side_px / longest
        gray = rescale(gray, scale, cv2.INTER_LINEAR)
    kernel = config.denoise_kernel_px
    return cv2.GaussianBlur(gray, (kernel, kernel), 0), scale


def area_shrink(image: np.ndarray, longest_px: int) -> np.ndarray:
    """`image` area-averaged down to `longest_px` on its longer side (unchanged if smaller).

    Halved first while it is twice as large: OpenCV's area resize by exactly 2 is a fast path,
    by 2.67 (640 -> 240) a slow general one; the result differs by a fraction of a grey level
    on average (0.3 ms -> 0.12 ms a 640x480 frame).
    """
    while max(image.shape[:2]) >= 2 * longest_px:
        h, w = image.shape[:2]
        image = cv2.resize(image, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)
    shrink = longest_px / max(image.shape[:2])
    return rescale(image, shrink, cv2.INTER_AREA) if shrink < 1 else image


def rescale(image: np.ndarray, scale: float, interpolation: int) -> np.ndarray:
    """Resize by `scale`, never to less than one pixel a side (a 1-px strip of the screen)."""
    h, w = image.shape[:2]
    return cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=interpolation)
