"""Detection step 6, filters: which candidates are digits by their size and shape, by how clearly
their ink stands out from the ground around it, and by not being letters of a written word.

Size and shape come first (no pixels read); the pixel checks run on the largest survivors only.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from realtime.detect.candidates import Candidates
from realtime.detect.components import Components
from realtime.detect.reading import ReadingConfig, reading_lines

# 1.4826 * median absolute deviation estimates a normal spread's standard deviation.
MAD_TO_STD = 1.4826


@dataclass(frozen=True)
class ShapeConfig:
    """Size, aspect and fill of a digit."""

    # Digit size limits relative to the working frame's shorter side, with an absolute floor:
    # below 10 px (12 px at 480 lines) nothing is legible and specks pair up; above 90% of the
    # frame it is the frame, not a digit.
    min_height_px: int = 10
    min_height_fraction: float = 0.025
    max_height_fraction: float = 0.9
    # Wider than this (w/h) is a ruled line, a scribble or digits that touch (skipped
    # deliberately: splitting them would guess).
    max_aspect: float = 2.0
    # A region filling more than this of its box while being more than a stroke wide is a blob
    # (a shadow, a thumb, a filled square); a '1' is excused by its thinness.
    max_fill_for_wide: float = 0.85
    thin_aspect: float = 0.45
    # A box touching the frame border is cut off, or it is the border: neither can be read.
    reject_border: bool = True
    # Pixel checks (has_ink_contrast) run on at most this many candidates, the largest (and on
    # at least Settings.max_regions): what bounds the work on a frame of scribbles or texture,
    # which holds ~1100 candidates. The old 4 x 64 regions; it no longer grows with the region
    # cap, so a cap high enough for a page of digits costs a noise frame nothing more.
    max_pixel_checks: int = 256


@dataclass(frozen=True)
class ContrastConfig:
    """How clearly a digit's ink must stand out from the ground right around it."""

    enabled: bool = True
    # A digit's darkest strokes (ink_quantile) must be darker than the paper right around it by
    # this fraction of the paper's brightness: shading, creases and show-through are fainter. A
    # fraction, not grey levels: all of them take a share of the light, and in a dim room
    # pencil on paper at 111 stands 20-40 above it (a floor of 30 levels dropped most of it).
    # A fine pen shrunk to 461 px wide measures 42 on white paper (235), red ink in the
    # brightest channel 40.
    min_ink_contrast_ratio: float = 0.15
    ink_quantile: float = 0.95
    # Ink stands out from the ground around it by far more than that ground varies: contrast
    # over the ground's robust spread (MAD_TO_STD * MAD). Digits on paper, camera noise
    # included, measure 7.5 and up; leather texture, wood grain and highlights 2-4 (they are
    # made of the same stuff as their surroundings).
    min_contrast_to_noise: float = 6.0
    # A frame with at least texture_min_candidates candidates, most of them under that bar, is
    # looking at texture (a bare desk): the survivors must then beat texture_margin times the
    # typical candidate, as real writing does (15-40 against the desk's 3-5).
    texture_min_candidates: int = 12
    texture_margin: float = 2.5
    # The ground is what is not ink within this fraction of the box's height around it (at
    # least ground_min_pad_px): near enough to share its light, wide enough to hold plain paper.
    ground_pad_fraction: float = 0.15
    ground_min_pad_px: int = 2
    # ...less the candidate's own soft flank: a blurred stroke fades into the ground, and taken
    # as ground that flank is "noise". Chalk on 05_blackboard_crop2 (7-8 px strokes at 640) is
    # still 8 levels above the board 4 px out and reaches it only 9 px out: its flank measured
    # 7-9 levels of "noise" against the board's own 3-4 and halved every chalk digit's ratio
    # (2.6-7.1, all rejected: 1 of 18 found). A pen's edge fades within 1-2 px. How far the
    # flank reaches is measured on the frame (flank_px): the distance from the ink where the
    # ground's mean is within flank_fraction of the ink's contrast of the level max_flank_px
    # out; the window grows to leave ground_min_pad_px beyond it. 0.3: the chalk's flank is 3 px
    # there (16 of 18 found) and a pen's 0-1; at 0.1 the pale print of IMG_4219 ("ditulis
    # dengan huruf", blurred by the upscale) gets 2 px and 13 of its letter pieces pass.
    # Other ink's flank stays in the ground: crowded letters keep a busy ground.
    flank_fraction: float = 0.3
    max_flank_px: int = 12
    # The flank is read around this many of the largest candidates (the digits, on a page):
    # enough for a mean, and it costs ~0.1 ms (a distance transform of the whole frame, 1-2).
    flank_candidates: int = 8
    # Fewer ground pixels than this measure nothing: the candidate is dropped.
    min_ground_px: int = 4
    # Windows larger than this (px) are read at every other pixel: plenty for a median, and it
    # keeps a big region's check cheap.
    subsample_above_px: int = 4096


@dataclass(frozen=True)
class WordConfig:
    """When a run of candidates is a written word."""

    enabled: bool = True
    # Written words: at least min_letters regions in a line, each less than max_gap of its
    # height from the next. Digits people write stand further apart (0.3-0.9 heights on the
    # real photo and in generated scenes), and a word's letters touch or overlap.
    min_letters: int = 3
    max_gap: float = 0.12


def plausible_digits(candidates: Candidates, shape: tuple[int, int], config: ShapeConfig) -> np.ndarray:
    """(N,) bool keep-mask by size, aspect and fill (vectorized; no pixels read).

    shape: (H, W) of the working frame.
    """
    if len(candidates) == 0:
        return np.zeros(0, bool)
    h_frame, w_frame = shape
    short = min(h_frame, w_frame)
    x, y, w, h = candidates.boxes.T
    fill = candidates.ink_area / np.maximum(w * h, 1)
    min_h = max(config.min_height_px, config.min_height_fraction * short)
    keep = (h >= min_h) & (h <= config.max_height_fraction * h_frame) & (w <= config.max_height_fraction * w_frame)
    keep &= ~too_wide(candidates, config)
    keep &= ~((fill > config.max_fill_for_wide) & (w > config.thin_aspect * h))
    if config.reject_border:
        keep &= (x > 0) & (y > 0) & (x + w < w_frame) & (y + h < h_frame)
    return keep


def too_wide(candidates: Candidates, config: ShapeConfig) -> np.ndarray:
    """(N,) bool: wider than max_aspect times their height."""
    return candidates.boxes[:, 2] > config.max_aspect * candidates.boxes[:, 3]


def has_ink_contrast(ink_bright: np.ndarray, ink_mask: np.ndarray, components: Components,
                     candidates: Candidates, config: ContrastConfig) -> np.ndarray:
    """(N,) bool keep-mask: the candidate's ink is clearly brighter (in ink_bright, 255 = the
    most ink) than the plain ground around it.

    Shading and show-through are too faint; desk texture and highlights have no plain ground
    around them (their surroundings vary nearly as much as they do). When most candidates are
    texture, the texture sets a higher bar for the rest. components: those the candidates' members refer
    to; ink_mask: uint8 255 = ink.
    """
    if not config.enabled:
        return np.ones(len(candidates), bool)
    labels, label_lut = components.labels, candidates.label_lut(components.count)
    contrast = np.zeros(len(candidates))
    noise = np.ones(len(candidates))
    ground_level = np.zeros(len(candidates))
    measured = np.zeros(len(candidates), bool)
    h_img, w_img = ink_bright.shape
    flank = flank_px(ink_bright, ink_mask, candidates.largest(config.flank_candidates).boxes, config)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * flank + 1, 2 * flank + 1))
    for k, (x, y, w, h) in enumerate(candidates.boxes):
        pad = max(config.ground_min_pad_px, int(config.ground_pad_fraction * h), flank + config.ground_min_pad_px)
        window = (slice(max(0, y - pad), min(h_img, y + h + pad)), slice(max(0, x - pad), min(w_img, x + w + pad)))
        window_px = (window[0].stop - window[0].start) * (window[1].stop - window[1].start)
        step = 2 if window_px > config.subsample_above_px else 1
        own = own_ink(labels[window], label_lut, candidates.members[k], k)
        is_ink = own[::step, ::step]
        if flank:
            own = cv2.dilate(own.view(np.uint8), disc).view(bool)
        window = (slice(window[0].start, window[0].stop, step), slice(window[1].start, window[1].stop, step))
        is_ground = (ink_mask[window] == 0) & ~own[::step, ::step]
        if not is_ink.any() or np.count_nonzero(is_ground) < config.min_ground_px:
            continue
        measured[k] = True
        # Quantiles of the uint8 levels themselves: the same values as of their float copies,
        # and a partition of bytes is 2-4x faster on a large region's thousands of pixels.
        patch = ink_bright[window]
        ground = patch[is_ground]
        centre = ground_level[k] = quantile(ground, 0.5)
        deviation = ground.astype(np.int16)
        deviation -= int(centre)
        noise[k] = max(1.0, MAD_TO_STD * quantile(np.abs(deviation, out=deviation), 0.5))
        contrast[k] = quantile(patch[is_ink], config.ink_quantile) - centre
    paper_brightness = 255.0 - ground_level  # in the original polarity
    ratio = contrast / noise
    bar = config.min_contrast_to_noise
    if (measured.sum() >= config.texture_min_candidates
            and np.median(ratio[measured]) < config.min_contrast_to_noise):
        bar = max(bar, config.texture_margin * float(np.median(ratio[measured])))
    return measured & (contrast >= config.min_ink_contrast_ratio * paper_brightness) & (ratio >= bar)


def flank_px(ink_bright: np.ndarray, ink_mask: np.ndarray, boxes: np.ndarray, config: ContrastConfig) -> int:
    """How far (px) strokes fade into the ground around them, read around `boxes` ((N, 4) x, y,
    w, h: the largest candidates): the first distance from the ink at which the mean ground
    level is within flank_fraction of the ink's contrast of the level max_flank_px out (0: a
    sharp edge; nothing to measure: 0)."""
    reach = config.max_flank_px
    if reach <= 0 or not len(boxes):
        return 0
    h_img, w_img = ink_bright.shape
    # Pixels by (ring, ink level): a histogram of two uint8 images, a third of the cost of
    # counting each ring and summing its levels (np.bincount, with weights) box by box.
    # float32 counts are exact below 2**24 px a box.
    by_level = np.zeros((reach + 2, 256))
    for x, y, w, h in boxes:
        window = (slice(max(0, y - reach - 1), min(h_img, y + h + reach + 1)),
                  slice(max(0, x - reach - 1), min(w_img, x + w + reach + 1)))
        # L1 (city-block) distance: a few times faster than L2, and rings of it are what a
        # 3x3 dilation grows; its staircase is no matter for a mean over a ring.
        distance = cv2.distanceTransform(cv2.bitwise_not(ink_mask[window]), cv2.DIST_L1, 3, dstType=cv2.CV_8U)
        ring = cv2.min(distance, reach + 1)
        by_level += cv2.calcHist([ring, np.ascontiguousarray(ink_bright[window])], [0, 1], None,
                                 [reach + 2, 256], [0, reach + 2, 0, 256])
    counts = by_level.sum(axis=1)
    sums = by_level @ np.arange(256.0)
    if counts[0] == 0 or counts[reach] == 0:
        return 0
    level = sums / np.maximum(counts, 1)
    far = level[reach]
    near = np.flatnonzero(level[1:reach + 1] - far <= config.flank_fraction * (level[0] - far))
    return int(near[0]) if len(near) else reach


def in_words(boxes: np.ndarray, config: WordConfig, reading: ReadingConfig) -> np.ndarray:
    """(N,) bool: boxes ((N, 4) x, y, w, h) that are letters of written words, not digits.

    Letters of a word nearly touch (or overlap, slanted), run after run; people leave room
    between the digits they write. min_letters or more regions in a line, each closer than
    max_gap of their height to the next, are a word.
    """
    words = np.zeros(len(boxes), bool)
    if not config.enabled:
        return words
    for line in reading_lines(boxes, reading):
        run = [line[0]]
        for previous, index in zip(line, line[1:] + [None], strict=True):
            if index is not None:
                gap = boxes[index, 0] - (boxes[previous, 0] + boxes[previous, 2])
                if gap < config.max_gap * min(boxes[index, 3], boxes[previous, 3]):
                    run.append(index)
                    continue
            if len(run) >= config.min_letters:
                words[run] = True
            run = [index]
    return words


def own_ink(labels: np.ndarray, label_lut: np.ndarray, members: tuple[int, ...], k: int) -> np.ndarray:
    """(h, w) bool: where `labels` (a window of Components.labels) is candidate k's ink, i.e.
    `label_lut[labels] == k` (Candidates.label_lut). Most candidates are one component: a
    comparison with its label is several times cheaper than the look-up over the window."""
    mine = [label for label in members if label_lut[label] == k]
    if len(mine) == 1:
        return labels == mine[0]
    return label_lut[labels] == k


def quantile(values: np.ndarray, q: float) -> float:
    """The q-quantile of a flat array (nearest rank, by partition): np.percentile's Python
    overhead is most of its cost on the few hundred pixels of one region."""
    k = int(q * (values.size - 1))
    return float(np.partition(values, k)[k])
