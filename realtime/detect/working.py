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
    # Coloured ink keeps its contrast: the brightest channel is darkened by colour_weight of the
    # pixel's colourfulness (brightest less darkest channel) beyond colour_floor. Black ink,
    # pencil and grey paper have little of it (sensor and JPEG colour noise, the light's tint:
    # under 20 levels), so they are untouched. Red ink at (36, 40, 169) BGR keeps 169 in its
    # brightest channel (56 below paper at 225) and becomes 119 (106 below); pale blue rules
    # (198, 162, 130) become 180, still far lighter than any pen. The floor is 32, not 16: the
    # leather desk of sheet_on_desk (colour up to 48 at its 99th percentile) has highlights that
    # at 16 and 24 lifted its bare strip over the texture rule's bar (9 false digits).
    # synth (cnn, 12 scenes): red_ink recall 71 -> 96%, wild 52 -> 56% (70% at a floor of 16),
    # the hard tier's ruled pages unchanged; a weight of 0.5 against 0.7, 1.0 (the darkest
    # channel: the rules then cut 18% of the hard tier's digits) and the luma.
    colour_weight: float = 0.5
    colour_floor: int = 32


def to_working_gray(frame_bgr: np.ndarray, config: WorkingConfig) -> tuple[np.ndarray, float]:
    """Brightness (H, W) uint8 at working size (ink_contrast_gray), denoised; and the
    working/source scale."""
    if frame_bgr.ndim == 2:
        gray = frame_bgr
    else:
        gray = ink_contrast_gray(frame_bgr, config)
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


# mixChannels' pairs (source channel, destination plane): B, G and R into planes 0, 1 and 2.
_EACH_PLANE = [0, 0, 1, 1, 2, 2]


def ink_contrast_gray(frame_bgr: np.ndarray, config: WorkingConfig) -> np.ndarray:
    """(H, W) uint8 brightness that keeps every ink's contrast: the brightest channel (light
    blue rules and a red margin line are nearly paper-bright in their own colour, pencil, black
    and blue pens dark in every channel), less colour_weight of the colourfulness beyond
    colour_floor (red and green ink are bright in one channel only)."""
    # The planes by one mixChannels into planes made here, not cv2.split: on a 640x480 frame
    # fresh from the decoder, OpenCV 5.0's split took 0.93-1.0 ms, three extractChannel calls
    # 0.54-0.68 and mixChannels 0.30 (the same planes).
    blue, green, red = planes = [np.empty(frame_bgr.shape[:2], np.uint8) for _ in range(3)]
    cv2.mixChannels([frame_bgr], planes, _EACH_PLANE)
    # Each step written over an image this function made and no longer needs (dst=): the same
    # values, with five full-size images allocated instead of eleven (interleaved on
    # the demo, wild and real frames: 0.75-0.95x in most runs, the machine noisy).
    brightest = cv2.max(cv2.max(blue, green), red)
    if config.colour_weight <= 0:
        return brightest
    darkest = cv2.min(cv2.min(blue, green, dst=blue), red, dst=blue)
    colour = cv2.subtract(cv2.subtract(brightest, darkest, dst=green), config.colour_floor, dst=green)
    return cv2.subtract(brightest, cv2.convertScaleAbs(colour, dst=red, alpha=config.colour_weight), dst=brightest)


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
