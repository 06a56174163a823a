"""Detection step 6, filters: which candidates are digits by their size and shape, by how clearly
their ink stands out from the ground around it, and by not being letters of a written word.

Size and shape come first (no pixels read); the pixel checks run on the largest survivors only.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    # A digit's darkest strokes (ink_quantile) must be this much darker than the paper right
    # around it (grey levels, and fraction of the paper's brightness): shading, creases and
    # show-through are fainter. A fine pen shrunk to 461 px wide measures 42 on white paper
    # (235), red ink in the brightest channel 40.
    min_ink_contrast: int = 30
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
    for k, (x, y, w, h) in enumerate(candidates.boxes):
        pad = max(config.ground_min_pad_px, int(config.ground_pad_fraction * h))
        window = (slice(max(0, y - pad), min(h_img, y + h + pad)), slice(max(0, x - pad), min(w_img, x + w + pad)))
        window_px = (window[0].stop - window[0].start) * (window[1].stop - window[1].start)
        step = 2 if window_px > config.subsample_above_px else 1
        window = (slice(window[0].start, window[0].stop, step), slice(window[1].start, window[1].stop, step))
        patch = ink_bright[window]
        is_ink = label_lut[labels[window]] == k
        ground = patch[ink_mask[window] == 0]
        if not is_ink.any() or ground.size < config.min_ground_px:
            continue
        measured[k] = True
        ground_level[k] = quantile(ground, 0.5)
        noise[k] = max(1.0, MAD_TO_STD * quantile(np.abs(ground.astype(np.int16) - int(ground_level[k])), 0.5))
        contrast[k] = quantile(patch[is_ink], config.ink_quantile) - ground_level[k]
    paper_brightness = 255.0 - ground_level  # in the original polarity
    ratio = contrast / noise
    bar = config.min_contrast_to_noise
    if (measured.sum() >= config.texture_min_candidates
            and np.median(ratio[measured]) < config.min_contrast_to_noise):
        bar = max(bar, config.texture_margin * float(np.median(ratio[measured])))
    return (measured & (contrast >= config.min_ink_contrast)
            & (contrast >= config.min_ink_contrast_ratio * paper_brightness) & (ratio >= bar))


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


def quantile(values: np.ndarray, q: float) -> float:
    """The q-quantile of a flat array (nearest rank, by partition): np.percentile's Python
    overhead is most of its cost on the few hundred pixels of one region."""
    k = int(q * (values.size - 1))
    return float(np.partition(values, k)[k])
