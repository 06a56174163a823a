"""Detection step 3, the threshold: which pixels of the ink-bright image are ink.

An adaptive (local mean) threshold by default, Otsu on the background-subtracted image on
request; limited to the writing surface; and, for dark ink on paper, only ink near a dark core
(after the rules are removed: see find_digits).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

# A normal spread's smaller 90% (|x| < 1.645 sigma) has a mean square of 0.623 sigma^2.
NOISE_QUANTILE = 0.9
NOISE_TRUNCATED_VARIANCE = 0.623


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
    # Dark ink on paper: the core is core_offset for paper at nominal_paper_level and less on
    # paper dimmer under each pixel, in proportion. Ink takes a share of the light, so in a dim
    # room (pencil on grey paper at 90-130) or a shadow its contrast shrinks with the light:
    # pencil strokes stand 12-24 above paper at 111, where a fixed core of 24 kept only specks.
    # The threshold stays at offset: scaled too, on grey paper (138) it joined a form's faint
    # frame line into one component that swallowed all 9 digits of data_sample_02_crop2.
    relative_core: bool = True
    nominal_paper_level: int = 225
    # ...but at least core_noise_floor times the frame's noise (robust sigma of the working
    # image on the surface): a dim frame's sensor noise does not shrink with its light (pencil_dim:
    # sigma 2.5-3.5 after the blur, against a relative core of 9-14).
    core_noise_floor: float = 5.0
    # The noise is read from differences of pixels noise_lag_px apart (past the 3x3 blur's
    # reach: independent) on every noise_row_step-th row: plenty for a median, ~0.1 ms.
    noise_lag_px: int = 3
    noise_row_step: int = 8


class Offsets(NamedTuple):
    """How far above its neighbourhood a pixel must stand to be ink (threshold, grey levels) and
    to be a core of ink (core: grey levels, or an (H, W) uint8 map of the working image)."""

    threshold: int
    core: int | np.ndarray
    # The noise sigma the core's floor was set by (None: not used, the offsets are fixed).
    noise_sigma: float | None = None


def ink_offsets(ink_bright: np.ndarray, search: np.ndarray | None, light_ink: bool,
                config: ThresholdConfig, sigma: float | None = None) -> Offsets:
    """The offsets for this frame: for dark ink, the core relative to the paper's brightness
    under each pixel (at most core_offset, at least the noise floor); for light ink the fixed
    ones (a board's brightness says nothing of the light on the chalk).

    sigma: the noise of the view `ink_bright` is a window of (context.ViewContext); None: read
    on `ink_bright` itself."""
    if light_ink or not config.relative_core:
        return Offsets(config.offset, config.core_offset)
    if sigma is None:
        sigma = noise_sigma(ink_bright, search, config)
    floor = min(config.core_offset, int(np.ceil(config.core_noise_floor * sigma)))
    # contrast > f * paper, with paper = gray + contrast (the neighbourhood's mean in the
    # original polarity), is contrast > gray * f / (1 - f).
    share = config.core_offset / config.nominal_paper_level
    relative = cv2.convertScaleAbs(cv2.bitwise_not(ink_bright), alpha=share / (1 - share))
    return Offsets(config.offset, cv2.max(cv2.min(relative, config.core_offset), floor), sigma)


def noise_sigma(ink_bright: np.ndarray, search: np.ndarray | None, config: ThresholdConfig) -> float:
    """Robust sigma (grey levels) of the working image's noise on `search` (uint8 255 = the
    surface; None = everywhere): from differences of pixels noise_lag_px apart along every
    noise_row_step-th row (a difference of two has twice the variance)."""
    rows = ink_bright[::config.noise_row_step].astype(np.int16)
    lag = config.noise_lag_px
    if rows.shape[1] <= lag:
        return 0.0
    difference = np.abs(rows[:, lag:] - rows[:, :-lag])
    if search is not None:
        on = search[::config.noise_row_step]
        difference = difference[(on[:, lag:] > 0) & (on[:, :-lag] > 0)]
    if difference.size == 0:
        return 0.0
    # The mean square of the smaller NOISE_QUANTILE of the differences: a median of small whole
    # numbers moves in steps of a whole level, this does not; strokes and edges are in the rest.
    # Taken from their histogram (differences are whole levels 0-255): the k + 1 smallest are
    # every difference below the k-th smallest's level and enough at that level. Whole numbers
    # throughout, so the same mean as of the partitioned values, in a fifth of the time.
    k = int(NOISE_QUANTILE * (difference.size - 1))
    cumulative = np.cumsum(np.bincount(difference.ravel(), minlength=256))
    level = int(np.searchsorted(cumulative, k + 1))  # the k-th smallest difference
    below = int(cumulative[level - 1]) if level else 0
    squares = np.arange(level, dtype=np.int64) ** 2
    sum_of_squares = int(np.diff(cumulative[:level], prepend=0) @ squares) + (k + 1 - below) * level * level
    return float(np.sqrt(sum_of_squares / (k + 1) / NOISE_TRUNCATED_VARIANCE / 2))


def paper_block(shape: tuple[int, int], config: ThresholdConfig) -> int:
    """The threshold's neighbourhood side (odd px) for an image of `shape`: about a digit, from
    the shorter side, but never under a few strokes, from the longer."""
    return max(3, int(max(min(shape) * config.block_fraction,
                          max(shape) * config.min_block_fraction_of_longer)) | 1)


def local_contrast(ink_bright: np.ndarray, config: ThresholdConfig,
                   view_shape: tuple[int, int] | None = None) -> np.ndarray:
    """How far each pixel stands above the mean of its paper_block neighbourhood (uint8,
    saturating): the adaptive threshold's measure. view_shape: the image whose neighbourhood
    applies when `ink_bright` is a window of it (the same contrast as the view's own away from
    the window's edges); None: its own."""
    block = paper_block(view_shape or ink_bright.shape, config)
    return cv2.subtract(ink_bright, cv2.boxFilter(ink_bright, -1, (block, block),
                                                  borderType=cv2.BORDER_REPLICATE))


def threshold_ink(ink_bright: np.ndarray, contrast: np.ndarray, search: np.ndarray | None, mode: str,
                  config: ThresholdConfig, offsets: Offsets | None = None) -> np.ndarray:
    """Binary ink mask (uint8 255) of `ink_bright` (ink = bright), limited to `search` if given.

    contrast: local_contrast(ink_bright); mode: "adaptive" or "otsu" (Settings.threshold);
    offsets: ink_offsets(...) for the adaptive threshold (None: the fixed config.offset).
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
        offset = config.offset if offsets is None else offsets.threshold
        mask = cv2.compare(contrast, offset, cv2.CMP_GT)
    if search is not None:
        mask = cv2.bitwise_and(mask, search)
    return mask


def keep_ink_cores(ink_mask: np.ndarray, contrast: np.ndarray, config: ThresholdConfig,
                   offsets: Offsets | None = None) -> np.ndarray:
    """The ink of `ink_mask` within core_reach_px of a pixel at least core_offset (or
    offsets.core) above its paper: for dark ink on a sheet, after the rules are removed.

    Only after the rules are found whole (before their faint stretches are cut off): a pale
    grid line that the threshold only half sees is left as dashes that join the digits; it has
    no core. Not for light ink or without a sheet: desk texture is told from ink later, by
    statistics of all its faint specks, which this would thin out.
    """
    core = cv2.compare(contrast, config.core_offset if offsets is None else offsets.core, cv2.CMP_GT)
    reach = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (config.core_reach_px, config.core_reach_px))
    return cv2.bitwise_and(ink_mask, cv2.dilate(core, reach))
