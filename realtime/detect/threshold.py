"""Detection step 3, the threshold: which pixels of the ink-bright image are ink.

An adaptive (local mean) threshold by default, Otsu on the background-subtracted image on
request; limited to the writing surface; and, for dark ink on paper, only ink near a dark core
(after the rules are removed: see find_digits).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class ThresholdConfig:
    """The threshold's neighbourhood and offsets."""

    # Adaptive threshold: neighbourhood as a fraction of the shorter side (larger than a stroke,
    # about a digit) and how much brighter (in ink) than its neighbourhood a pixel must be to be ink.
    block_fraction: float = 1 / 10
    # ... and at least this fraction of the longer side: a thin strip (a row of answer boxes,
    # 640x59) has digits nearly as tall as the strip and strokes as wide as on any working image
    # (3-5 px at 640), so a tenth of its shorter side (5 px) sits inside a stroke and the stroke's
    # core stands out by 27 levels at best instead of 100. 1/20 of 640 = 33 px: several strokes.
    min_block_fraction_of_longer: float = 1 / 20
    offset: int = 12
    # Ink has a core this far above the paper within core_reach_px of each of its pixels (twice
    # the threshold; has_ink_contrast later asks ContrastConfig.min_ink_contrast of a whole digit
    # anyway). ink_cores=False keeps all thresholded ink on paper too.
    ink_cores: bool = True
    core_offset: int = 24
    core_reach_px: int = 5


def paper_block(shape: tuple[int, int], config: ThresholdConfig) -> int:
    """The threshold's neighbourhood side (odd px) for an image of `shape`: about a digit, from
    the shorter side, but never under a few strokes, from the longer."""
    return max(3, int(max(min(shape) * config.block_fraction,
                          max(shape) * config.min_block_fraction_of_longer)) | 1)


def local_contrast(ink_bright: np.ndarray, config: ThresholdConfig) -> np.ndarray:
    """How far each pixel stands above the mean of its paper_block neighbourhood (uint8,
    saturating): the adaptive threshold's measure."""
    block = paper_block(ink_bright.shape, config)
    return cv2.subtract(ink_bright, cv2.boxFilter(ink_bright, -1, (block, block),
                                                  borderType=cv2.BORDER_REPLICATE))


def threshold_ink(ink_bright: np.ndarray, contrast: np.ndarray, search: np.ndarray | None, mode: str,
                  config: ThresholdConfig) -> np.ndarray:
    """Binary ink mask (uint8 255) of `ink_bright` (ink = bright), limited to `search` if given.

    contrast: local_contrast(ink_bright); mode: "adaptive" or "otsu" (Settings.threshold).
    """
    if mode == "otsu":
        # Otsu on the background-subtracted image: one global cut, but uneven light is removed
        # first by subtracting a large-scale background estimate.
        block = paper_block(ink_bright.shape, config)
        background = cv2.morphologyEx(ink_bright, cv2.MORPH_OPEN,
                                      cv2.getStructuringElement(cv2.MORPH_RECT, (block, block)))
        detail = cv2.subtract(ink_bright, background)
        values = detail if search is None else detail[search > 0]
        cut, _ = cv2.threshold(values.reshape(1, -1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        mask = ((detail > max(cut, config.offset)) * 255).astype(np.uint8)
    else:
        # An adaptive (mean) threshold, pixel for pixel what cv2.adaptiveThreshold gives, with
        # the contrast kept for what follows.
        mask = cv2.compare(contrast, config.offset, cv2.CMP_GT)
    if search is not None:
        mask = cv2.bitwise_and(mask, search)
    return mask


def keep_ink_cores(ink_mask: np.ndarray, contrast: np.ndarray, config: ThresholdConfig) -> np.ndarray:
    """The ink of `ink_mask` within core_reach_px of a pixel at least core_offset above its
    paper: for dark ink on a sheet, after the rules are removed.

    Only after the rules are found whole (before their faint stretches are cut off): a pale
    grid line that the threshold only half sees is left as dashes that join the digits; it has
    no core. Not for light ink or without a sheet: desk texture is told from ink later, by
    statistics of all its faint specks, which this would thin out.
    """
    core = cv2.compare(contrast, config.core_offset, cv2.CMP_GT)
    reach = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (config.core_reach_px, config.core_reach_px))
    return cv2.bitwise_and(ink_mask, cv2.dilate(core, reach))
