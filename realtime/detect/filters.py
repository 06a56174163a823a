"""Detection step 6, filters: which candidates are digits by their size and shape, by how clearly
their ink stands out from the ground around it, and by not being letters of a written word.

Size and shape come first (no pixels read); the pixel checks run on the largest survivors only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

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
    # brightest channel 40. Light ink (chalk) stands out by this fraction of its ground's own
    # brightness too: a board at 20 takes a share of 20, not of 255 - 20 (has_ink_contrast).
    min_ink_contrast_ratio: float = 0.15
    ink_quantile: float = 0.95
    # Ink stands out from the ground around it by far more than that ground varies: contrast
    # over the ground's robust spread (MAD_TO_STD * MAD). Digits on paper, camera noise
    # included, measure 7.5 and up; leather texture, wood grain and highlights 2-4 (they are
    # made of the same stuff as their surroundings).
    min_contrast_to_noise: float = 6.0
    # The ground's spread is read about its shading (_shading), not about one level: the edge of
    # a deep shadow (30-55% of the light) crossing a digit makes its ground vary by 15-37 levels
    # from side to side, which was taken for noise (shadow condition: 23 of 500 digits at ratios
    # 2.8-5.9, contrast 80-135). Only for boxes at most detrend_max_fraction of the frame's
    # shorter side tall: over a digit the light's shading is smooth, over a large part of the
    # frame it is not, and there it took the shading of a page out from under a blob of merged
    # handwriting (page09, 242x364 at 640: ratio 2.3 -> over 6, read as a digit).
    detrend_ground: bool = True
    detrend_max_fraction: float = 0.25
    # The shading is a profile across the window in the direction the ground brightens (that of
    # a plane through its medians), only rising (monotone), at the light's own scale: the
    # ground's medians in strips shading_bin_fraction of the frame's shorter side wide (19 px
    # at 480 lines), joined by straight lines. A plane left a shadow's soft edge (a sigmoid,
    # 10-90% of its shade within 35 px and up in the wild tier) as 6-15 levels of "noise"
    # (wild, 100 scenes: 6 digits of contrast 27-62 dropped at ratios 4-5.5; the 4 whose window
    # holds min_shading_strips strips are found now, at 6.3-20). Desk grain and mottle go up and
    # down across a window: a monotone profile cannot follow them, nor strips grain finer than
    # they are (the generator's grain is ~20 px at 480 lines), and they stay in the spread.
    # Narrower strips followed texture too: 10 px passed 4 desk marks more on those scenes, a
    # piece of a chalk 0 and letters of IMG_4219's pale print; 4-6 px, or a profile free to go
    # up and down, 9-25 desk marks. At 0.04 no mark more on those scenes nor the real photos.
    shading_bin_fraction: float = 0.04
    # A window narrower than this many strips has too few for a profile: its shading is the
    # plane's. One or two strips are a level, not a slope, and the plane read small digits
    # better (wild digits 10-12 px tall: the spread 2.4-2.6 about the plane, 4.5-7.4 about a
    # single strip's median).
    min_shading_strips: int = 3
    # A frame with at least texture_min_candidates candidates, most of them under that bar, is
    # looking at texture (a bare desk): the survivors must then beat texture_margin times the
    # typical candidate, as real writing does (15-40 against the desk's 3-5). The bar jumps
    # where the typical candidate reaches it (5.9 asks 14.8, 6.0 asks 6), and stays so: the
    # bare desk along the top of sheet_on_desk.png (its first 110 rows) has a typical 5.85 and
    # marks up to 8.1, while wild pages of faint digits have typicals of 4.9-5.4 with their
    # digits at 8-12 (seeds 53, 99). No bar rising continuously from 6 as the typical falls
    # keeps that desk out and those digits in: min(margin * typical, 6 + k * (6 - typical))
    # let 8 of its marks through at k = 3.5 (and found 9 more of 4000 wild digits), 2 at 14.
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
    """When a run of marks is a written word."""

    enabled: bool = True
    # Written words: at least min_letters letters in a line, each less than max_gap of the
    # shorter one's height from the next. Digits people write stand further apart (0.3-0.9
    # heights on the real photo and in generated scenes), and a word's letters touch or overlap.
    min_letters: int = 3
    max_gap: float = 0.12
    # Handwriting spaced wider than that is still a word when its letters are of mixed heights
    # (ascenders and descenders beside x-height letters) or some of them are joined into a mark
    # too wide for one digit (ShapeConfig.max_aspect): the digits of a number are of one height
    # and stand apart. Up to max_loose_gap of the shorter one's height: the words of
    # lukasbindr:12_colors space their letters 0.14-0.30 of it (blau, grun, the b of braun);
    # the tightest digits of the real photos that are not already in a tight pair, the box
    # digits "122" of automark_start, 0.13-0.19 (one height), the next digit in a line of mixed
    # heights 0.49 (pwp_sample_01) and generated digits stand 0.4 of the taller one apart.
    # Mixed as letters are: a mark under max_height_ratio of the run's tallest that shares its
    # baseline or its top line (within line_align of the shorter one's height): an x-height
    # letter beside an ascender, or beside a descender. The x-height letters of those words are
    # 0.31-0.35 of their b and l, 1 px off their baseline; a number's digits are 0.65 of each
    # other and up; a digit in a printed box, its sides beside it twice its height, sits in their
    # middle (automark_start at 320 px: 0.6 of the digit above and below).
    max_loose_gap: float = 0.4
    max_height_ratio: float = 0.5
    line_align: float = 0.25
    # Neighbouring letters of a word are within this factor of each other's height (an
    # ascender beside an x-height letter: 2.6 in those words). A mark taller than that beside
    # small letters is not one of them: on IMG_4219 at 320 px a 7 whose foot reaches into the
    # printed line under it (123 px against 15-23) made a tight run with two of its letters.
    max_neighbour_ratio: float = 3.0
    # Letters dropped by an earlier filter (joined into a mark too wide for a digit, too faint)
    # are still a digit's word context: the marks before the shape filter within this many of a
    # candidate's heights to its left or right are judged with it. Enough for two letters on
    # each side, and it bounds the work on a frame of texture.
    context_heights: float = 3.0


def plausible_digits(candidates: Candidates, shape: tuple[int, int], config: ShapeConfig) -> np.ndarray:
    """(N,) bool keep-mask by size, aspect and fill (vectorized; no pixels read).

    shape: (H, W) of the working frame.
    """
    if len(candidates) == 0:
        return np.zeros(0, bool)
    h_frame, w_frame = shape
    x, y, w, h = candidates.boxes.T
    fill = candidates.ink_area / np.maximum(w * h, 1)
    min_h = least_digit_height(shape, config)
    keep = (h >= min_h) & (h <= config.max_height_fraction * h_frame) & (w <= config.max_height_fraction * w_frame)
    keep &= ~too_wide(candidates, config)
    keep &= ~((fill > config.max_fill_for_wide) & (w > config.thin_aspect * h))
    if config.reject_border:
        keep &= (x > 0) & (y > 0) & (x + w < w_frame) & (y + h < h_frame)
    return keep


def least_digit_height(shape: tuple[int, int], config: ShapeConfig) -> float:
    """The least height (px) of a digit in a frame of `shape` (H, W)."""
    return max(config.min_height_px, config.min_height_fraction * min(shape))


def too_wide(candidates: Candidates, config: ShapeConfig) -> np.ndarray:
    """(N,) bool: wider than max_aspect times their height."""
    return wider_than_a_digit(candidates.boxes, config)


def wider_than_a_digit(boxes: np.ndarray, config: ShapeConfig) -> np.ndarray:
    """(N,) bool: boxes ((N, 4) x, y, w, h) wider than max_aspect times their height."""
    return boxes[:, 2] > config.max_aspect * boxes[:, 3]


class InkContrast(NamedTuple):
    """The contrast filter's verdict: keep, (N,) bool per candidate; and what it judged them by
    on this frame (context.ViewContext): bar, the contrast-to-noise ratio asked; flank_px."""

    keep: np.ndarray
    bar: float
    flank_px: int


def has_ink_contrast(ink_bright: np.ndarray, ink_mask: np.ndarray, components: Components,
                     candidates: Candidates, config: ContrastConfig, light_ink: bool = False) -> np.ndarray:
    """(N,) bool keep-mask: the candidate's ink is clearly brighter (in ink_bright, 255 = the
    most ink) than the plain ground around it (ink_contrast's keep, judged on this frame)."""
    return ink_contrast(ink_bright, ink_mask, components, candidates, config, light_ink).keep


def ink_contrast(ink_bright: np.ndarray, ink_mask: np.ndarray, components: Components,
                 candidates: Candidates, config: ContrastConfig, light_ink: bool = False,
                 bar: float | None = None, flank: int | None = None,
                 view_shape: tuple[int, int] | None = None) -> InkContrast:
    """Which candidates' ink is clearly brighter (in ink_bright, 255 = the most ink) than the
    plain ground around it, and the bar and flank they were judged by.

    Shading and show-through are too faint; desk texture and highlights have no plain ground
    around them (their surroundings vary nearly as much as they do). When most candidates are
    texture, the texture sets a higher bar for the rest. components: those the candidates' members refer
    to; ink_mask: uint8 255 = ink; light_ink: ink_bright is the image itself (light ink on a dark
    ground), not its negative. bar, flank: those of the view `ink_bright` is a window of
    (context.ViewContext); None: read on these candidates. view_shape: that view's (H, W), which
    sets the scale of the light's shading; None: ink_bright's own.
    """
    if not config.enabled:
        return InkContrast(np.ones(len(candidates), bool), 0.0, 0)
    labels, label_lut = components.labels, candidates.label_lut(components.count)
    contrast = np.zeros(len(candidates))
    noise = np.ones(len(candidates))
    unshaded_noise = np.ones(len(candidates))  # about the shading (detrend_ground)
    ground_level = np.zeros(len(candidates))
    measured = np.zeros(len(candidates), bool)
    h_img, w_img = ink_bright.shape
    view_side = min(view_shape or ink_bright.shape)
    detrend_max_px = config.detrend_max_fraction * view_side
    strip_px = max(1.0, config.shading_bin_fraction * view_side)
    grounds = {}  # candidate -> (is_ground, its levels, step): for the shading read
    if flank is None:
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
        noise[k] = unshaded_noise[k] = max(1.0, MAD_TO_STD * quantile(np.abs(deviation, out=deviation), 0.5))
        contrast[k] = quantile(patch[is_ink], config.ink_quantile) - centre
        # Its shading is read once the frame's bar is known (below), and only if it is faint
        # enough to need it and not too faint for its ground's light (min_ink_contrast_ratio).
        brightness = centre if light_ink else 255.0 - centre
        if (config.detrend_ground and h <= detrend_max_px
                and contrast[k] >= config.min_ink_contrast_ratio * brightness):
            grounds[k] = (is_ground, ground, step)
    # The ground's own brightness in the image: its negative's level for dark ink, its level for
    # light ink. Shading takes a share of the ground's light; 255 - level of a dark board is not
    # its light but the board's darkness, and asked chalk at 20-30 above a board at 20 for 35
    # (wild tier: 24 of 47 digits dropped by the contrast test, on every chalkboard).
    paper_brightness = ground_level if light_ink else 255.0 - ground_level
    ratio = contrast / noise
    if bar is None:
        bar = texture_bar(ratio[measured], config)
    # Whether the frame is texture is read on the plain spread (desk grain and a crowd of pale
    # print measure the same with the plane taken out, but more of them pass the median); a
    # candidate under the bar then passes on its spread about the shading.
    for k, (is_ground, ground, step) in grounds.items():
        if contrast[k] < bar * noise[k]:
            spread = ground.astype(np.float32) - _shading(is_ground, ground, strip_px / step, config.min_shading_strips)
            unshaded_noise[k] = max(1.0, MAD_TO_STD * quantile(np.abs(spread - quantile(spread, 0.5)), 0.5))
    ratio = np.maximum(ratio, contrast / unshaded_noise)
    keep = measured & (contrast >= config.min_ink_contrast_ratio * paper_brightness) & (ratio >= bar)
    return InkContrast(keep, bar, flank)


def texture_bar(ratios: np.ndarray, config: ContrastConfig) -> float:
    """The contrast-to-noise ratio a frame's candidates must reach, from the ratios of all of
    them (measured, on their plain spread): min_contrast_to_noise, or texture_margin times the
    typical one on a frame that is mostly texture."""
    bar = config.min_contrast_to_noise
    under = np.count_nonzero(ratios < config.min_contrast_to_noise)
    if len(ratios) >= config.texture_min_candidates and 2 * under > len(ratios):
        bar = max(bar, config.texture_margin * float(np.median(ratios)))
    return bar


def _shading(is_ground: np.ndarray, ground: np.ndarray, strip_px: float, min_strips: int) -> np.ndarray:
    """The ground's shading at each of its pixels, float32 (ground: uint8, the values of
    `is_ground`'s True pixels in row-major order): a monotone profile in the direction the
    ground brightens, the medians of strips strip_px wide across that direction (window pixels)
    joined by straight lines (the end ones carried on to the window's edges). The direction and,
    on a window narrower than min_strips strips, the shading itself are a plane's, through
    the ground's median with the slopes of the medians of its halves (either side of its
    middle column, and row). Medians, not least squares: a box's line or a neighbour's faint
    flank in the ground would tilt a fitted plane or shift a strip."""
    rows, cols = np.nonzero(is_ground)
    centre = quantile(ground, 0.5)
    slopes = []
    for coordinate in (rows, cols):
        middle = (int(coordinate.min()) + int(coordinate.max())) / 2
        low, high = coordinate < middle, coordinate > middle
        if not low.any() or not high.any():
            slopes.append(0.0)
            continue
        distance = float(coordinate[high].mean() - coordinate[low].mean())
        slopes.append((quantile(ground[high], 0.5) - quantile(ground[low], 0.5)) / distance)
    length = float(np.hypot(*slopes))
    if length == 0.0:
        return np.full(ground.shape, centre, np.float32)
    across = (rows * (slopes[0] / length) + cols * (slopes[1] / length)).astype(np.float32)
    across -= across.min()
    extent = float(across.max())
    if extent < min_strips * strip_px:
        return (centre + length * (across - across.mean())).astype(np.float32)
    strip = (across / strip_px).astype(np.int64)
    counts = np.bincount(strip)
    filled = np.flatnonzero(counts)
    # Each strip's median: sorted by (strip, level), the middle of each strip's run.
    by_strip = np.sort(strip * 256 + ground)
    medians = (by_strip[np.cumsum(counts)[filled] - counts[filled] + counts[filled] // 2] % 256).astype(np.float32)
    centres = np.bincount(strip, weights=across)[filled] / counts[filled]
    # Monotone: halfway between the medians' running maximum and their running minimum from
    # the far end (both rising; equal where the medians already rise).
    rising = (np.maximum.accumulate(medians) + np.minimum.accumulate(medians[::-1])[::-1]) / 2
    first = (rising[1] - rising[0]) / (centres[1] - centres[0])
    last = (rising[-1] - rising[-2]) / (centres[-1] - centres[-2])
    centres = np.concatenate(([0.0], centres, [extent]))
    rising = np.concatenate(([rising[0] - first * centres[1]], rising, [rising[-1] + last * (extent - centres[-2])]))
    return np.interp(across, centres, rising).astype(np.float32)


def flank_px(ink_bright: np.ndarray, ink_mask: np.ndarray, boxes: np.ndarray, config: ContrastConfig) -> int:
    """How far (px) strokes fade into the ground around them, read around `boxes` ((N, 4) x, y,
    w, h: the largest candidates): the median over the boxes of the first distance from the ink
    at which the mean ground level is within flank_fraction of the ink's contrast of the level
    max_flank_px out (0: a sharp edge; nothing to measure: 0). The median, not the pooled
    rings: the largest candidates of a frame are not all digits, and a few blurred blobs of desk
    pooled with them (wild seed 119: two of 113x73 and 69x69 px, 7-8 px of flank) set the
    digits' flank at 6 instead of 1-2 and took the ground from round small digits."""
    reach = config.max_flank_px
    if reach <= 0 or not len(boxes):
        return 0
    h_img, w_img = ink_bright.shape
    flanks = []
    for x, y, w, h in boxes:
        window = (slice(max(0, y - reach - 1), min(h_img, y + h + reach + 1)),
                  slice(max(0, x - reach - 1), min(w_img, x + w + reach + 1)))
        # L1 (city-block) distance: a few times faster than L2, and rings of it are what a
        # 3x3 dilation grows; its staircase is no matter for a mean over a ring.
        distance = cv2.distanceTransform(cv2.bitwise_not(ink_mask[window]), cv2.DIST_L1, 3, dstType=cv2.CV_8U)
        ring = cv2.min(distance, reach + 1)
        # Pixels by (ring, ink level): a histogram of two uint8 images, a third of the cost of
        # counting each ring and summing its levels (np.bincount, with weights).
        by_level = cv2.calcHist([ring, np.ascontiguousarray(ink_bright[window])], [0, 1], None,
                                [reach + 2, 256], [0, reach + 2, 0, 256])
        counts = by_level.sum(axis=1)
        if counts[0] == 0 or counts[reach] == 0:
            continue
        level = (by_level @ np.arange(256.0, dtype=np.float32)) / np.maximum(counts, 1)
        far = level[reach]
        near = np.flatnonzero(level[1:reach + 1] - far <= config.flank_fraction * (level[0] - far))
        flanks.append(int(near[0]) if len(near) else reach)
    return int(np.median(flanks)) if flanks else 0


def in_written_words(marks: np.ndarray, boxes: np.ndarray, config: WordConfig, reading: ReadingConfig,
                     shape: ShapeConfig, letters: np.ndarray) -> np.ndarray:
    """(N,) bool: the candidates ((N, 4) x, y, w, h) in a written word (in_words): among
    themselves (the pieces of a joined word that split_thin_lines cut apart), or inside a word's
    mark, judged on the marks ((K, 4): letter-sized candidates before the shape filter) around the
    candidates, less those around another mark (printed boxes, circles); or inside a joined mark
    whose letters ((L, 4): the letter-sized pieces split_thin_lines cut the marks into) are a
    word (in_joined_words)."""
    words = in_words(boxes, config, reading)
    marks = marks[near_candidates(marks, boxes, config, reading)]
    marks = marks[~encloses_another(marks)]
    if np.array_equal(marks[np.lexsort(marks.T)], boxes[np.lexsort(boxes.T)]):
        return words  # nothing around the candidates but themselves: judged already
    joined = wider_than_a_digit(marks, shape)
    mark_words = in_words(marks, config, reading, joined)
    joined_words = in_joined_words(marks[joined & ~mark_words], letters, config)
    return words | within_any(boxes, marks[mark_words]) | within_any(boxes, joined_words)


def in_joined_words(joined: np.ndarray, letters: np.ndarray, config: WordConfig) -> np.ndarray:
    """(J, 4) the joined marks ((K, 4) x, y, w, h, each too wide for a digit) that are a
    written word by the pieces cut out of them (letters, (L, 4)): a cursive word written in one
    stroke across a rule, which split_thin_lines cut there. Its letters touched, so they are a
    word when they are min_letters or more of mixed heights (_letters_of_mixed_heights, an
    x-height letter beside an ascender); digits strung together by a rule are of one height."""
    if not config.enabled or not len(joined):
        return joined[:0]
    inside = _inside(letters, joined)
    is_word = [inside[:, k].sum() >= config.min_letters and _letters_of_mixed_heights(letters[inside[:, k]], config)
               for k in range(len(joined))]
    return joined[np.array(is_word, bool)]


def letter_sized(boxes: np.ndarray, shape: tuple[int, int], config: ShapeConfig) -> np.ndarray:
    """(N,) bool: boxes ((N, 4) x, y, w, h) as tall as a digit may be (ShapeConfig's limits), of
    any width, clear of the frame border: the marks a word is made of, before the shape filter
    drops the joined ones. What the border cuts is unknown (on pilpres_2019_3_crop2 at 320 px a
    box's side cut by the top edge made a tight run with the digit beside it)."""
    h_frame, w_frame = shape
    min_h = least_digit_height(shape, config)
    x, y, w, h = boxes.T
    keep = (h >= min_h) & (h <= config.max_height_fraction * h_frame)
    if config.reject_border:
        keep &= (x > 0) & (y > 0) & (x + w < w_frame) & (y + h < h_frame)
    return keep


def near_candidates(marks: np.ndarray, boxes: np.ndarray, config: WordConfig,
                    reading: ReadingConfig) -> np.ndarray:
    """(K,) bool: the marks ((K, 4) x, y, w, h) on a line with one of the boxes ((N, 4)) and
    within context_heights of its height to its left or right (the box itself included)."""
    if not len(marks) or not len(boxes):
        return np.zeros(len(marks), bool)
    mx, my, mw, mh = (v[:, None] for v in marks.T)
    bx, by, bw, bh = (v[None, :] for v in boxes.T)
    overlap = (np.minimum(my + mh, by + bh) - np.maximum(my, by)) / np.maximum(1, np.minimum(mh, bh))
    gap = np.maximum(bx - (mx + mw), mx - (bx + bw))
    return ((overlap >= reading.line_min_y_overlap) & (gap <= config.context_heights * bh)).any(axis=1)


def in_words(boxes: np.ndarray, config: WordConfig, reading: ReadingConfig,
             joined: np.ndarray | None = None) -> np.ndarray:
    """(N,) bool: marks (boxes, (N, 4) x, y, w, h) that are letters of written words, not digits.

    Letters of a word nearly touch (or overlap, slanted), run after run; people leave room
    between the digits they write. A run of marks in a line, each closer than max_gap of the
    shorter one's height to the next, holding min_letters letters or more, is a word; so is a
    run spaced up to max_loose_gap whose heights are mixed or that holds a joined mark.
    joined: (N,) bool, marks too wide for one digit (letters joined by the pen); each counts
    as many letters as it is heights wide, at least two. None: no mark is joined.
    """
    words = np.zeros(len(boxes), bool)
    if not config.enabled or not len(boxes):
        return words
    joined = np.zeros(len(boxes), bool) if joined is None else np.asarray(joined, bool)
    letters = np.where(joined, np.maximum(boxes[:, 2] // np.maximum(boxes[:, 3], 1), 2), 1)
    heights = boxes[:, 3]

    def is_word(run: list[int], tight: bool) -> bool:
        if letters[run].sum() < config.min_letters or len(run) < 2:
            return False
        return tight or bool(joined[run].any()) or _letters_of_mixed_heights(boxes[run], config)

    for line in reading_lines(boxes, reading):
        run, tight = [line[0]], True
        for previous, index in zip(line, line[1:] + [None], strict=True):
            if index is not None:
                shorter, taller = sorted((heights[index], heights[previous]))
                gap = (boxes[index, 0] - (boxes[previous, 0] + boxes[previous, 2])) / max(shorter, 1)
                if gap < config.max_loose_gap and taller <= config.max_neighbour_ratio * shorter:
                    run.append(index)
                    tight &= gap < config.max_gap
                    continue
            if is_word(run, tight):
                words[run] = True
            else:
                _tight_words(run, boxes, config, words)
            run, tight = [index], True
    return words


def _letters_of_mixed_heights(boxes: np.ndarray, config: WordConfig) -> bool:
    """Whether a run of marks ((N, 4) x, y, w, h) holds one under max_height_ratio of the
    tallest that shares its baseline or top line, as x-height letters share an ascender's or a
    descender's."""
    tallest = boxes[np.argmax(boxes[:, 3])]
    short = boxes[boxes[:, 3] < config.max_height_ratio * tallest[3]]
    tolerance = config.line_align * short[:, 3]
    top = np.abs(short[:, 1] - tallest[1]) <= tolerance
    bottom = np.abs(short[:, 1] + short[:, 3] - tallest[1] - tallest[3]) <= tolerance
    return bool((top | bottom).any())


def _tight_words(run: list[int], boxes: np.ndarray, config: WordConfig, words: np.ndarray) -> None:
    """Marks the tight sub-runs (gaps under max_gap) of a loose run that is not a word as a whole."""
    sub = [run[0]]
    for previous, index in zip(run, run[1:] + [None], strict=True):
        if index is not None:
            gap = boxes[index, 0] - (boxes[previous, 0] + boxes[previous, 2])
            if gap < config.max_gap * min(boxes[index, 3], boxes[previous, 3]):
                sub.append(index)
                continue
        if len(sub) >= config.min_letters:
            words[sub] = True
        sub = [index]


def within_any(boxes: np.ndarray, outer: np.ndarray) -> np.ndarray:
    """(N,) bool: boxes ((N, 4) x, y, w, h) that lie inside one of the outer boxes ((K, 4))."""
    return _inside(boxes, outer).any(axis=1)


def encloses_another(boxes: np.ndarray) -> np.ndarray:
    """(N,) bool: boxes ((N, 4) x, y, w, h) around another of them: a printed box or a circle
    around a digit, not a letter beside it (a word's letters overlap, never nest)."""
    inside = _inside(boxes, boxes)
    np.fill_diagonal(inside, False)
    return inside.any(axis=0)


def _inside(boxes: np.ndarray, outer: np.ndarray) -> np.ndarray:
    """(N, K) bool: box n lies inside outer box k."""
    if not len(boxes) or not len(outer):
        return np.zeros((len(boxes), len(outer)), bool)
    bx, by, bw, bh = (v[:, None] for v in boxes.T)
    ox, oy, ow, oh = (v[None, :] for v in outer.T)
    return (bx >= ox) & (by >= oy) & (bx + bw <= ox + ow) & (by + bh <= oy + oh)


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
