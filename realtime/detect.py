"""Stage 2 of the pipeline: threshold a frame and find the regions that look like single digits.

Frame in, `Regions` out: each region is a box in source pixels plus the ink mask and ink
intensity the normalizer needs. The ideas that carry the robustness:
- find the writing surface first (the brightest large plain area: a sheet, or a blackboard) and
  look for ink only on it, so the desk's texture, its highlights and the sheet's own edge never
  become digits; its brightness also says whether the ink is dark or light;
- connected components instead of RETR_EXTERNAL contours, so a sheet edge or a frame border that
  encloses the digits cannot swallow them, and the holes of 0/6/8/9 are never regions;
- the lines of ruled and squared paper are removed before the components are taken (ink much
  darker than them stays, and on paper only ink with a dark core counts), and pieces of a
  digit whose stroke broke are merged back by their box geometry;
- a candidate must stand out from the ground around it by far more than that ground varies
  (texture never does), and runs of touching letters are words, not digits.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from realtime.settings import Settings

# Frames larger than this (longest side, px) are searched at this size: a 15-megapixel photo
# then costs what a 1280x720 frame costs. Boxes are always scaled back to source pixels.
WORK_SIDE_PX = 1280
# Smaller frames (320x240 webcams, thumbnails) are enlarged to this: a pen stroke there is under
# a pixel wide, and thresholds and morphology need a few pixels to work with.
MIN_WORK_SIDE_PX = 640
# The paper is looked for on a thumbnail of this longest side: the sheet is large, so a coarse
# view finds it for a fraction of a millisecond.
PAPER_THUMB_SIDE_PX = 240
# Local texture window, as a fraction of the thumbnail's longest side, and the largest local
# standard deviation (grey levels) that still counts as plain paper. Leather, wood grain and
# specular highlights measure 25-45 here; paper with its shading under 12.
PAPER_TEXTURE_WINDOW = 1 / 40
PAPER_MAX_TEXTURE_STD = 20.0
# A surface must cover this much of the frame, and be mostly plain inside (digits are small
# holes in it): a large white '0' on black fills only ~40% of its own outline.
PAPER_MIN_AREA_FRACTION = 0.08
PAPER_MIN_PLAIN_FRACTION = 0.7
# Plain parts at least this bright relative to the brightest are the same surface in shadow.
SURFACE_SHADE_RATIO = 0.5
# Ink this close to the sheet's outline (fraction of the frame's shorter side) is the sheet's
# edge or its shadow, not writing.
PAPER_EDGE_MARGIN = 0.012
# A writing surface darker than this (grey level) carries light ink: a blackboard, a dark-mode
# screen, the original example's white-on-black images.
DARK_GROUND_MEDIAN = 100
# Adaptive threshold: neighbourhood as a fraction of the shorter side (larger than a stroke,
# about a digit) and how much darker than its neighbourhood a pixel must be to be ink.
ADAPTIVE_BLOCK_FRACTION = 1 / 10
ADAPTIVE_OFFSET = 12
# Ink has a core this far above the paper within _INK_CORE_REACH of each of its pixels (twice the
# threshold; has_ink_contrast later asks MIN_INK_CONTRAST of a whole digit anyway).
INK_CORE_OFFSET = 24
_INK_CORE_REACH = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
# Digit size limits relative to the working frame's shorter side, with an absolute floor: below
# 10 px (12 px at 480 lines) nothing is legible and specks pair up; above 90% of the frame it is
# the frame, not a digit.
MIN_DIGIT_HEIGHT_PX = 10
MIN_DIGIT_HEIGHT_FRACTION = 0.025
MAX_DIGIT_HEIGHT_FRACTION = 0.9
# Wider than this (w/h) is a ruled line, a scribble or digits that touch (skipped deliberately:
# splitting them would guess).
MAX_DIGIT_ASPECT = 2.0
# A digit's darkest strokes (95th percentile) must be this much darker than the paper right
# around it (grey levels, and fraction of the paper's brightness): shading, creases and
# show-through are fainter. A fine pen shrunk to 461 px wide measures 42 on white paper (235),
# red ink in the brightest channel 40.
MIN_INK_CONTRAST = 30
MIN_INK_CONTRAST_RATIO = 0.15
# Ink stands out from the ground around it by far more than that ground varies: contrast over
# the ground's robust spread (1.4826 * MAD). Digits on paper, camera noise included, measure
# 7.5 and up; leather texture, wood grain and highlights 2-4 (they are made of the same stuff
# as their surroundings).
MIN_CONTRAST_TO_NOISE = 6.0
# A frame with at least TEXTURE_MIN_CANDIDATES candidates, most of them under that bar, is
# looking at texture (a bare desk): the survivors must then beat TEXTURE_MARGIN times the
# typical candidate, as real writing does (15-40 against the desk's 3-5).
TEXTURE_MIN_CANDIDATES = 12
TEXTURE_MARGIN = 2.5
# A region filling more than this of its box while being more than a stroke wide is a blob
# (a shadow, a thumb, a filled square); a '1' is excused by its thinness.
MAX_FILL_FOR_WIDE = 0.85
THIN_ASPECT = 0.45
# Rules: straight runs of at least RULE_RUN_FRACTION of the frame's width (height, for vertical
# ones) that line up into a line longer than RULE_MIN_LENGTH of it: rules cross the sheet,
# digit strokes do not. RULE_MAX_SLOPE (drift over length) admits a sheet turned by up to ~8
# degrees.
RULE_RUN_FRACTION = 1 / 48
RULE_MIN_LENGTH = 0.4
# Hough is asked for pieces this long (of the frame), chained into lines afterwards.
RULE_PIECE_LENGTH = 0.15
# The spacing of a ruled sheet is told by its lines at least this share of the longest's length.
RULE_SPACING_MIN_SHARE = 0.6
RULE_MAX_SLOPE = 0.15
# A rule is mostly there along its length; digits written on it interrupt it, but a chance
# alignment of a few digits' horizontal strokes is mostly gaps.
RULE_MIN_COVERAGE = 0.6
# ...and it is at least this many times longer than the ink it belongs to is wide across it
# (the side of one big '0' is a long straight stroke too).
RULE_MIN_LENGTH_TO_EXTENT = 2.0
# Three or more evenly spaced rules make a ruled sheet, whose lost rules are then filled in;
# segments within RULE_SAME_LINE_PX of each other (at the frame's middle) are one rule.
RULED_PAPER_MIN_RULES = 3
# Rules are thin: a "rule" thicker than this is a stroke lying along it.
MAX_RULE_PX = 6
RULE_SAME_LINE_PX = 4
# Rules are printed pale (light blue or grey) and ink is dark: pixels of a rule's band that stand
# out from the paper around them at least this many times more than the rule itself are ink
# written on the rule, and stay (a 2's base, a 5's bar). A rule as dark as ink keeps nothing.
# Hard tier, 100 scenes: cnn end to end 96.9 -> 97.7%, softmax 88.7 -> 89.7%.
RULE_INK_CONTRAST_RATIO = 2.0
# Pieces considered for merging: components this small (px of area) are specks.
MIN_PIECE_AREA_PX = 4
MAX_PIECES = 400
# Two pieces are one digit when they overlap horizontally by this fraction of the narrower one
# and the vertical gap is under this fraction of the taller one (a '5' whose bar broke off).
MERGE_MIN_X_OVERLAP = 0.5
MERGE_MAX_Y_GAP = 0.25
# ...and a piece whose box is under MERGE_SMALL_AREA of the other's, at least
# MERGE_MIN_PIECE_HEIGHT of its height (not a speck), within MERGE_NEAR_GAP of its height.
MERGE_SMALL_AREA = 0.35
MERGE_MIN_PIECE_HEIGHT = 0.15
MERGE_NEAR_GAP = 0.1
MERGE_ROUNDS = 3
# Regions too wide to be a digit are tried again with their thin horizontal lines cut (what
# is left of a rule in a dim corner): ink at most THIN_LINE_PX thick across; at most
# MAX_SPLIT_REGIONS such regions a frame.
THIN_LINE_PX = 3
MAX_SPLIT_REGIONS = 8
# Pixel checks run on at most this many times --max-regions candidates, the largest.
CANDIDATES_PER_REGION = 4
# A digit continues a line when it overlaps the line's latest digit vertically by this fraction
# of the shorter of the two.
LINE_MIN_Y_OVERLAP = 0.3
# Written words: at least WORD_MIN_LETTERS regions in a line, each less than WORD_MAX_GAP of its
# height from the next. Digits people write stand further apart (0.3-0.9 heights on the real
# photo and in generated scenes), and a word's letters touch or overlap.
WORD_MIN_LETTERS = 3
WORD_MAX_GAP = 0.12


@dataclass(frozen=True)
class Regions:
    """The candidate digits of one frame, with what the normalizer needs.

    boxes_src: (N, 4) int (x, y, w, h) in source pixels; boxes_work: the same in working pixels;
    ink_work: (H, W) float32 in [0, 1], 1 = full ink, in working pixels (contrast-normalized
    darkness, or brightness for light ink); labels_work: (H, W) component labels (uint16, int32
    past 65535); members: for each region, the component labels that make it up; scale: working/source.
    ink_mask: (H, W) uint8 255 = ink, for the threshold view.
    """

    boxes_src: np.ndarray
    boxes_work: np.ndarray
    ink_work: np.ndarray
    labels_work: np.ndarray
    members: tuple[tuple[int, ...], ...]
    scale: float
    ink_mask: np.ndarray

    def __len__(self) -> int:
        return len(self.boxes_src)


def find_digits(frame_bgr: np.ndarray, settings: Settings) -> Regions:
    """Threshold `frame_bgr` ((H, W, 3) uint8, or (H, W) grey) and return its digit regions."""
    gray, scale = to_working_gray(frame_bgr)
    surface, ground_brightness = find_paper(gray)
    light_ink = ink_is_light(ground_brightness, settings.invert)
    ink_dark = 255 - gray if not light_ink else gray  # bright = ink from here on
    ink_mask = threshold_ink(ink_dark, surface, settings.threshold,
                             ink_cores=surface is not None and not light_ink)
    count, labels, stats, _ = ink_components(ink_mask)
    boxes, members = merge_broken_strokes(stats, _pieces(stats, count))
    keep = plausible_digits(boxes, stats, members, gray.shape)
    too_wide = ~keep & (boxes[:, 2] > MAX_DIGIT_ASPECT * boxes[:, 3]) if len(boxes) else keep
    if too_wide.any():
        # Digits strung together by what is left of a rule: cut the thin line, try again.
        labels, stats, extra_boxes, extra_members = split_thin_lines(
            ink_mask, labels, stats, [members[i] for i in np.flatnonzero(too_wide)][:MAX_SPLIT_REGIONS])
        count = len(stats)
        extra_keep = plausible_digits(extra_boxes, stats, extra_members, gray.shape)
        boxes = np.vstack([boxes[keep], extra_boxes[extra_keep]])
        members = [members[i] for i in np.flatnonzero(keep)] + [extra_members[i] for i in np.flatnonzero(extra_keep)]
    else:
        boxes, members = _select(boxes, members, keep)
    # Pixel checks cost per candidate: a frame of noise keeps only its largest candidates.
    boxes, members = _largest(boxes, members, CANDIDATES_PER_REGION * settings.max_regions)
    keep = has_ink_contrast(ink_dark, ink_mask, labels, _region_lut(count, members), boxes)
    boxes, members = _select(boxes, members, keep)
    boxes, members = _largest(*_select(boxes, members, ~in_words(boxes)), settings.max_regions)
    order = reading_order(boxes)
    boxes, members = boxes[order], tuple(tuple(members[i]) for i in order)
    ink_work = ink_intensity(ink_dark, labels, _region_lut(count, members), boxes)
    boxes_src = np.round(boxes / scale).astype(int) if scale != 1.0 else boxes.astype(int)
    return Regions(boxes_src.reshape(-1, 4), boxes.reshape(-1, 4), ink_work, labels,
                   members, scale, ink_mask)


def ink_components(ink_mask: np.ndarray) -> tuple:
    """cv2.connectedComponentsWithStats, 8-connected, with 16-bit labels when they fit: half the
    memory to write, about 0.4 ms less a 640x480 frame. A frame of noise can hold more than
    65535 components; OpenCV refuses those and the labels are 32-bit."""
    try:
        return cv2.connectedComponentsWithStats(ink_mask, connectivity=8, ltype=cv2.CV_16U)
    except cv2.error:
        return cv2.connectedComponentsWithStats(ink_mask, connectivity=8, ltype=cv2.CV_32S)


def _select(boxes: np.ndarray, members: list, keep: np.ndarray) -> tuple[np.ndarray, list]:
    return boxes[keep], [members[i] for i in np.flatnonzero(keep)]


def _largest(boxes: np.ndarray, members: list, cap: int) -> tuple[np.ndarray, list]:
    """At most `cap` regions, the largest boxes first (noise frames: they are likeliest)."""
    if len(boxes) <= cap:
        return boxes, members
    order = np.sort(np.argsort(-(boxes[:, 2] * boxes[:, 3]), kind="stable")[:cap])
    return boxes[order], [members[i] for i in order]


def _region_lut(count: int, members) -> np.ndarray:
    """Component label -> region index (-1: no region), so `lut[labels] == k` is region k's ink."""
    lut = np.full(count, -1, np.int32)
    for k, member in enumerate(members):
        lut[list(member)] = k
    return lut


def to_working_gray(frame_bgr: np.ndarray) -> tuple[np.ndarray, float]:
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
    if longest > WORK_SIDE_PX:
        scale = WORK_SIDE_PX / longest
        gray = _rescale(gray, scale, cv2.INTER_AREA)
    elif longest < MIN_WORK_SIDE_PX:
        scale = MIN_WORK_SIDE_PX / longest
        gray = _rescale(gray, scale, cv2.INTER_LINEAR)
    # 3x3 Gaussian: removes sensor noise without eating a thin pen stroke.
    return cv2.GaussianBlur(gray, (3, 3), 0), scale


def _area_shrink(image: np.ndarray, longest_px: int) -> np.ndarray:
    """`image` area-averaged down to `longest_px` on its longer side (unchanged if smaller).

    Halved first while it is twice as large: OpenCV's area resize by exactly 2 is a fast path,
    by 2.67 (640 -> 240) a slow general one; the result differs by a fraction of a grey level
    on average (0.3 ms -> 0.12 ms a 640x480 frame).
    """
    while max(image.shape[:2]) >= 2 * longest_px:
        h, w = image.shape[:2]
        image = cv2.resize(image, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)
    shrink = longest_px / max(image.shape[:2])
    return _rescale(image, shrink, cv2.INTER_AREA) if shrink < 1 else image


def _rescale(image: np.ndarray, scale: float, interpolation: int) -> np.ndarray:
    """Resize by `scale`, never to less than one pixel a side (a 1-px strip of the screen)."""
    h, w = image.shape[:2]
    return cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=interpolation)


def find_paper(gray: np.ndarray) -> tuple[np.ndarray | None, float]:
    """The writing surface: (mask uint8 255 = on it, edge margin removed; its mean brightness).

    The surface is the brightest large region that is plain at the scale of a few strokes: a
    sheet under uneven light is still plain (shading changes slowly), desk texture never is. A
    dark plain surface (a blackboard, the black of the original example's images) means light
    ink. No such region: (None, median brightness) and the whole frame is searched.
    """
    h, w = gray.shape
    thumb = _area_shrink(gray, PAPER_THUMB_SIDE_PX)
    th, tw = thumb.shape
    window = max(3, int(max(th, tw) * PAPER_TEXTURE_WINDOW) | 1)
    thumb_f = thumb.astype(np.float32)
    mean = cv2.blur(thumb_f, (window, window))
    local_std = np.sqrt(np.maximum(cv2.blur(thumb_f * thumb_f, (window, window)) - mean * mean, 0))
    plain = (local_std < PAPER_MAX_TEXTURE_STD).astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (window, window))
    plain = cv2.morphologyEx(plain, cv2.MORPH_OPEN, kernel)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(plain, connectivity=4)
    large = [i for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] >= PAPER_MIN_AREA_FRACTION * th * tw]
    if not large:
        return None, float(np.median(gray))
    brightness = {i: float(thumb[labels == i].mean()) for i in large}
    best = max(large, key=brightness.get)
    # A sharp shadow (a hand, the phone) splits a sheet into plain parts of different
    # brightness: all large parts nearly as bright as the brightest belong to the surface.
    parts = [i for i in large if brightness[i] >= SURFACE_SHADE_RATIO * brightness[best]]
    # Each part's convex hull, not its outline: digits are holes in the plain area, and a digit
    # near the sheet's edge is a bay open to the desk that only the hull closes.
    sheet = np.zeros_like(plain)
    for part in parts:
        contours, _ = cv2.findContours((labels == part).astype(np.uint8), cv2.RETR_EXTERNAL,
                                       cv2.CHAIN_APPROX_SIMPLE)
        cv2.fillConvexPoly(sheet, cv2.convexHull(np.vstack(contours)), 1)
    sheet_area = int(sheet.sum())
    if sum(stats[part, cv2.CC_STAT_AREA] for part in parts) < PAPER_MIN_PLAIN_FRACTION * sheet_area:
        return None, float(np.median(gray))  # mostly holes: a big drawn shape, not a surface
    if sheet_area > 0.97 * th * tw:
        return np.full((h, w), 255, np.uint8), brightness[best]  # the surface fills the view
    # Back to full size, smooth edges, then binary again: the mask is used as "on the sheet or not".
    sheet = (cv2.resize(sheet * 255, (w, h), interpolation=cv2.INTER_LINEAR) > 127).astype(np.uint8) * 255
    margin = max(3, int(PAPER_EDGE_MARGIN * min(h, w)) | 1)
    return cv2.erode(sheet, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (margin, margin))), brightness[best]


def ink_is_light(ground_brightness: float, invert: str) -> bool:
    """True when the digits are lighter than their ground ("yes"/"no" force it)."""
    if invert != "auto":
        return invert == "yes"
    return ground_brightness < DARK_GROUND_MEDIAN


def threshold_ink(ink_bright: np.ndarray, search: np.ndarray | None, mode: str,
                  ink_cores: bool = False) -> np.ndarray:
    """Binary ink mask (uint8 255) of `ink_bright` (ink = bright), limited to `search` if given.

    ink_cores: keep only ink near a core (INK_CORE_OFFSET), for dark ink on a sheet of paper.
    """
    contrast = local_contrast(ink_bright)
    if mode == "otsu":
        # Otsu on the background-subtracted image: one global cut, but uneven light is removed
        # first by subtracting a large-scale background estimate.
        block = _paper_block(ink_bright.shape)
        background = cv2.morphologyEx(ink_bright, cv2.MORPH_OPEN,
                                      cv2.getStructuringElement(cv2.MORPH_RECT, (block, block)))
        detail = cv2.subtract(ink_bright, background)
        values = detail if search is None else detail[search > 0]
        cut, _ = cv2.threshold(values.reshape(1, -1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        mask = ((detail > max(cut, ADAPTIVE_OFFSET)) * 255).astype(np.uint8)
    else:
        # An adaptive (mean) threshold, pixel for pixel what cv2.adaptiveThreshold gives, with
        # the contrast kept for what follows.
        mask = cv2.compare(contrast, ADAPTIVE_OFFSET, cv2.CMP_GT)
    if search is not None:
        mask = cv2.bitwise_and(mask, search)
    mask = remove_rules(mask, contrast)
    if not ink_cores:
        # No sheet (or a dark one): desk texture is told from ink later, by statistics of all
        # its faint specks, which this would thin out.
        return mask
    # Only after the rules are found whole (before their faint stretches are cut off): a pale
    # grid line that the threshold only half sees is left as dashes that join the digits; it
    # has no core.
    core = cv2.compare(contrast, INK_CORE_OFFSET, cv2.CMP_GT)
    return cv2.bitwise_and(mask, cv2.dilate(core, _INK_CORE_REACH))


def local_contrast(ink_bright: np.ndarray) -> np.ndarray:
    """How far each pixel stands above the mean of its _paper_block neighbourhood (uint8,
    saturating): the adaptive threshold's measure."""
    block = _paper_block(ink_bright.shape)
    return cv2.subtract(ink_bright, cv2.boxFilter(ink_bright, -1, (block, block),
                                                  borderType=cv2.BORDER_REPLICATE))


def _paper_block(shape: tuple[int, int]) -> int:
    return max(3, int(min(shape) * ADAPTIVE_BLOCK_FRACTION) | 1)


def remove_rules(ink_mask: np.ndarray, contrast: np.ndarray) -> np.ndarray:
    """The ink mask without long straight lines (ruled or squared paper, a margin line, table
    rules).

    A digit that touches a rule would otherwise be one component with it, far too wide to be a
    digit. Rules are straight runs (RULE_RUN_FRACTION of the frame) that a probabilistic Hough
    transform chains into lines longer than RULE_MIN_LENGTH, across the gaps where digits
    interrupt them; a sheet held a few degrees off still has its rules found. Ink thicker
    across the rule than the rule itself (a stroke lying on it or crossing it) stays, and so
    does ink much darker than the rule (RULE_INK_CONTRAST_RATIO).

    contrast: local_contrast of the image the mask was thresholded from.
    """
    h, w = ink_mask.shape
    components = None
    for across, is_horizontal in ((w, True), (h, False)):
        run = max(5, int(across * RULE_RUN_FRACTION))
        runs = cv2.morphologyEx(ink_mask, cv2.MORPH_OPEN, cv2.getStructuringElement(
            cv2.MORPH_RECT, (run, 1) if is_horizontal else (1, run)))
        if cv2.countNonZero(runs) < RULE_MIN_LENGTH * across or not _may_hold_rules(runs, run, across, is_horizontal):
            continue
        # Hough finds pieces; collinear pieces are then chained into lines. Asked for whole
        # rules at once, it misses thin ones turned by a degree: its walk along a 1-degree angle
        # bin leaves a 1-px line after a hundred pixels or so.
        segments = cv2.HoughLinesP(runs, 1, np.pi / 180, threshold=2 * run,
                                   minLineLength=RULE_PIECE_LENGTH * across, maxLineGap=3 * run)
        if segments is None:
            continue
        segments = segments.reshape(-1, 4)  # (N, 1, 4) in OpenCV 4, (N, 4) in OpenCV 5
        straight, enough = _straight_pieces(segments, across, is_horizontal)
        if not enough:
            continue  # too little to make even one rule: a few long strokes of digits
        straight &= _coverage(runs, segments) >= RULE_MIN_COVERAGE
        position = _position_at_middle(segments, is_horizontal, w, h)
        length = _line_lengths(segments, position, straight, is_horizontal)
        straight &= length >= RULE_MIN_LENGTH * across
        if not straight.any():
            continue
        if components is None:
            components = ink_components(ink_mask)
        # A rule is long for what it belongs to: the side of one big '0' is a long straight
        # stroke too, but the '0' is nearly as wide as that stroke is tall. On squared paper
        # every line is one component with the whole grid: there, three or more parallel lines
        # in one component make them rules, whatever its size.
        component, extent = _component_under(components, segments, is_horizontal)
        straight &= ((length >= RULE_MIN_LENGTH_TO_EXTENT * extent)
                     | (_parallel_lines(position, component, straight) >= RULED_PAPER_MIN_RULES))
        if not straight.any():
            continue
        # The rules' thickness, taken from the thickest of them: light is uneven, and a rule in
        # a dim corner thresholds thicker than one in the light.
        rule_px = float(_thickness_across(runs, segments[straight], is_horizontal).max())
        canvas = np.zeros_like(ink_mask)
        # A rule crosses the sheet; Hough often finds only the stretches between digits. Each
        # line is fitted through all its pieces (a short piece's own angle is a degree off).
        lines, line_lengths = _fitted_lines(segments, position, length, straight, is_horizontal, w, h)
        for a, b, c, d in lines:
            cv2.line(canvas, (int(a), int(b)), (int(c), int(d)), 255, int(np.ceil(rule_px)) + 4)
        # Inferred rules are only as exact as the spacing: a wider band. Only lines nearly as
        # long as the longest tell the spacing (a digit's stroke may have chained into a line).
        spacing_from = lines[line_lengths >= RULE_SPACING_MIN_SHARE * line_lengths.max()]
        if is_horizontal:
            missing = _missing_rules(spacing_from, w, h)
        else:  # the same in transposed coordinates (squared paper, columns of a table)
            missing = _missing_rules(spacing_from[:, [1, 0, 3, 2]], h, w)[:, [1, 0, 3, 2]]
        for a, b, c, d in missing:
            cv2.line(canvas, (int(a), int(b)), (int(c), int(d)), 255, int(np.ceil(rule_px)) + 6)
        across_px = int(np.ceil(rule_px)) + 3
        stroke_on_rule = cv2.morphologyEx(ink_mask, cv2.MORPH_OPEN, cv2.getStructuringElement(
            cv2.MORPH_RECT, (1, across_px) if is_horizontal else (across_px, 1)))
        rule_contrast = _rule_contrast(contrast, runs, segments[straight])
        ink_on_rule = cv2.bitwise_or(stroke_on_rule, cv2.compare(
            contrast, RULE_INK_CONTRAST_RATIO * rule_contrast, cv2.CMP_GT))
        # Removed before the other direction looks: where a horizontal and a vertical rule
        # cross, each would otherwise keep the crossing as a stroke across the other.
        ink_mask = cv2.bitwise_and(ink_mask, cv2.bitwise_not(
            cv2.bitwise_and(canvas, cv2.bitwise_not(ink_on_rule))))
    return ink_mask


def _may_hold_rules(runs: np.ndarray, run: int, across: int, is_horizontal: bool) -> bool:
    """A first look at half resolution: are there straight pieces enough for one rule?

    Most frames have no rules, and Hough's cost grows with the pixels it votes for: at half
    resolution it costs about a quarter. Only when this look finds enough does the full
    resolution one run (pieces found at half resolution are too coarse to remove thin rules).
    """
    h, w = runs.shape
    small = cv2.resize(runs, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)
    segments = cv2.HoughLinesP(small, 1, np.pi / 180, threshold=max(run, 5),
                               minLineLength=RULE_PIECE_LENGTH * across / 2, maxLineGap=1.5 * run)
    if segments is None:
        return False
    return _straight_pieces(2 * segments.reshape(-1, 4), across, is_horizontal)[1]


def _straight_pieces(segments: np.ndarray, across: int, is_horizontal: bool) -> tuple[np.ndarray, bool]:
    """(straight, enough): which segments (N, 4) drift across their direction by at most
    RULE_MAX_SLOPE of their length, and whether those are long enough together to make one rule
    (RULE_MIN_COVERAGE of RULE_MIN_LENGTH of the frame)."""
    x0, y0, x1, y1 = segments.T.astype(np.float64)
    along, drift = (np.abs(x1 - x0), np.abs(y1 - y0)) if is_horizontal else (np.abs(y1 - y0), np.abs(x1 - x0))
    straight = drift <= RULE_MAX_SLOPE * along
    return straight, bool(along[straight].sum() >= RULE_MIN_COVERAGE * RULE_MIN_LENGTH * across)


def _rule_contrast(contrast: np.ndarray, runs: np.ndarray, segments: np.ndarray) -> float:
    """Median contrast against the local paper along the rules (where they are ink), or 255
    when no point of them is: then nothing counts as darker than a rule."""
    ys, xs = _segment_points(segments)
    ys, xs = np.clip(ys, 0, runs.shape[0] - 1), np.clip(xs, 0, runs.shape[1] - 1)
    on_rule = runs[ys, xs] > 0
    return float(np.median(contrast[ys, xs][on_rule])) if on_rule.any() else 255.0


def _fitted_lines(segments: np.ndarray, position: np.ndarray, length: np.ndarray,
                  candidates: np.ndarray, is_horizontal: bool, width: int, height: int):
    """One straight line per chain of candidate pieces (_same_lines), least-squares through
    their end points and extended from one edge of the frame to the other: ((M, 4) int64
    x0 y0 x1 y1, (M,) the chains' lengths)."""
    line = _same_lines(position, candidates)
    keep = line >= 0
    ids, line = np.unique(line[keep], return_inverse=True)
    pieces = segments[keep].astype(np.float64)
    a_idx, c_idx = ((0, 2), (1, 3)) if is_horizontal else ((1, 3), (0, 2))
    along = np.concatenate([pieces[:, a_idx[0]], pieces[:, a_idx[1]]])
    across = np.concatenate([pieces[:, c_idx[0]], pieces[:, c_idx[1]]])
    owner = np.concatenate([line, line])
    # Least squares across = offset + slope * along, per line, from sums over its end points.
    n, sa, sc = (np.bincount(owner, weights=v, minlength=len(ids)) for v in (np.ones_like(along), along, across))
    saa, sac = (np.bincount(owner, weights=v, minlength=len(ids)) for v in (along * along, along * across))
    denominator = n * saa - sa * sa
    slope = np.divide(n * sac - sa * sc, denominator, out=np.zeros(len(ids)), where=np.abs(denominator) > 1e-9)
    offset = (sc - slope * sa) / n
    limit = width - 1 if is_horizontal else height - 1
    first, last = offset, offset + slope * limit
    zeros, limits = np.zeros(len(ids)), np.full(len(ids), float(limit))
    ends = np.stack([zeros, first, limits, last] if is_horizontal else [first, zeros, last, limits], axis=1)
    lengths = np.zeros(len(ids))
    np.maximum.at(lengths, line, length[keep])
    return np.rint(ends).astype(np.int64), lengths


def _missing_rules(found: np.ndarray, width: int, height: int) -> np.ndarray:
    """Rules of a ruled sheet that the threshold lost (faint in the dim part of the frame).

    Ruled paper has parallel rules at one spacing: from three or more found rules, the
    rules that should lie between and beyond them, across the frame, as segments (N, 4).
    Only thin ink along them is removed later, so a guess that lands on writing costs nothing.
    """
    x0, y0, x1, y1 = found.T.astype(np.float64)
    slope = float(np.median((y1 - y0) / np.maximum(x1 - x0, 1)))
    centre_x = width / 2
    heights = np.sort(y0 + slope * (centre_x - x0))  # where each rule crosses the middle
    rules = [heights[0]]
    for y in heights[1:]:
        if y - rules[-1] > RULE_SAME_LINE_PX:  # Hough finds one rule as several segments
            rules.append(y)
    grid = _rule_grid(np.array(rules))
    if grid is None:
        return np.zeros((0, 4), found.dtype)  # not evenly spaced: not a ruled sheet
    spacing, anchor = grid
    missing = []
    first = anchor - spacing * np.floor((anchor + abs(slope) * centre_x) / spacing)
    for y in np.arange(first, height + abs(slope) * centre_x, spacing):
        if min(abs(y - r) for r in heights) > spacing / 4:
            missing.append((0, y - slope * centre_x, width - 1, y + slope * (width - 1 - centre_x)))
    return np.array(missing, found.dtype).reshape(-1, 4)


def _rule_grid(rules: np.ndarray) -> tuple[float, float] | None:
    """(spacing, position of one grid line) of evenly spaced rule positions, or None when they
    are not.

    Every gap between two found rules up to the median gap is a candidate spacing (rules in
    between may be lost); each is scored by the rules lying on its grid (within a quarter
    spacing) less half the grid lines between them with no rule found, so half the true
    spacing, which fits every rule too, loses by its empty lines; a stray line (a digit's
    stroke chained into a line) is outvoted. At least RULED_PAPER_MIN_RULES rules and three
    quarters of them must lie on the grid.
    """
    if len(rules) < RULED_PAPER_MIN_RULES:
        return None
    gaps = np.diff(rules)
    gaps = gaps[gaps > 2 * RULE_SAME_LINE_PX]
    if not len(gaps):
        return None
    best, best_score = None, -np.inf
    # Not wider than the median gap: a multiple of the spacing, with its quarter-spacing
    # tolerance, would take in every rule.
    for spacing in np.unique(np.round(gaps[gaps <= np.median(gaps)])):
        steps = (rules[None, :] - rules[:, None]) / spacing  # row: the anchor
        on_grid = np.abs(steps - np.round(steps)) * spacing <= spacing / 4
        counts = on_grid.sum(axis=1)
        span = np.array([np.ptp(np.round(row[on])) + 1 for row, on in zip(steps, on_grid)])
        scores = counts - 0.5 * (span - counts)
        k = int(np.argmax(scores))
        if scores[k] > best_score:
            best, best_score = (np.round(steps[k][on_grid[k]]), rules[on_grid[k]]), scores[k]
    if best is None or len(best[1]) < max(RULED_PAPER_MIN_RULES, 0.75 * len(rules)) or np.ptp(best[0]) == 0:
        return None
    # The spacing to a fraction of a pixel: a least-squares fit of the rules on the grid.
    spacing, anchor = np.polyfit(*best, 1)
    return float(spacing), float(anchor)


def _thickness_across(runs: np.ndarray, segments: np.ndarray, is_horizontal: bool) -> np.ndarray:
    """Median thickness (px, at least 1, at most MAX_RULE_PX) of each segment's ink across it."""
    ys, xs = _segment_points(segments)
    offsets = np.arange(-MAX_RULE_PX, MAX_RULE_PX + 1)
    h, w = runs.shape
    if is_horizontal:
        rows = np.clip(ys[..., None] + offsets, 0, h - 1)
        on = runs[rows, xs[..., None]] > 0
    else:
        cols = np.clip(xs[..., None] + offsets, 0, w - 1)
        on = runs[ys[..., None], cols] > 0
    return np.clip(np.median(on.sum(axis=2), axis=1), 1, MAX_RULE_PX)


def _segment_points(segments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ys, xs): 64 evenly spaced pixel positions along each segment (N, 4 int x0 y0 x1 y1)."""
    t = np.linspace(0.0, 1.0, 64)
    xs = np.rint(segments[:, [0]] + t * (segments[:, [2]] - segments[:, [0]])).astype(int)
    ys = np.rint(segments[:, [1]] + t * (segments[:, [3]] - segments[:, [1]])).astype(int)
    return ys, xs


def _coverage(mask: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """Fraction of each segment's length that lies on mask, +-1 px."""
    near = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    return (near[_segment_points(segments)] > 0).mean(axis=1)


def _component_under(components, segments: np.ndarray, is_horizontal: bool) -> tuple[np.ndarray, np.ndarray]:
    """For each segment, the ink component it mostly lies on (0: none) and how far across the
    segment that component reaches (px)."""
    _, labels, stats, _ = components
    on_segment = labels[_segment_points(segments)]
    component = np.zeros(len(segments), int)
    extent = np.zeros(len(segments))
    for k, row in enumerate(on_segment):
        row = row[row > 0]
        if len(row):
            component[k] = np.bincount(row).argmax()
            extent[k] = stats[component[k], cv2.CC_STAT_HEIGHT if is_horizontal else cv2.CC_STAT_WIDTH]
    return component, extent


def _position_at_middle(segments: np.ndarray, is_horizontal: bool, width: int, height: int) -> np.ndarray:
    """Where each segment's line crosses the middle of the frame: y at x = width / 2 for
    horizontal lines, x at y = height / 2 for vertical ones."""
    x0, y0, x1, y1 = segments.T.astype(np.float64)
    if is_horizontal:
        return y0 + (y1 - y0) / np.where(x1 != x0, x1 - x0, 1) * (width / 2 - x0)
    return x0 + (x1 - x0) / np.where(y1 != y0, y1 - y0, 1) * (height / 2 - y0)


def _same_lines(position: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Line ids: candidate segments whose positions chain within RULE_SAME_LINE_PX share one
    (-1 for the others)."""
    line = np.full(len(position), -1)
    order = np.flatnonzero(candidates)[np.argsort(position[candidates], kind="stable")]
    if len(order):
        line[order] = np.concatenate([[0], np.cumsum(np.diff(position[order]) > RULE_SAME_LINE_PX)])
    return line


def _line_lengths(segments: np.ndarray, position: np.ndarray, candidates: np.ndarray,
                  is_horizontal: bool) -> np.ndarray:
    """For each candidate segment, the length of the line it is a piece of: from the first
    piece's start to the last piece's end along it (0 for the others)."""
    start = np.minimum(segments[:, 0], segments[:, 2]) if is_horizontal else np.minimum(segments[:, 1], segments[:, 3])
    end = np.maximum(segments[:, 0], segments[:, 2]) if is_horizontal else np.maximum(segments[:, 1], segments[:, 3])
    line = _same_lines(position, candidates)
    length = np.zeros(len(segments))
    for k in np.unique(line[line >= 0]):
        on_line = line == k
        length[on_line] = end[on_line].max() - start[on_line].min()
    return length


def _parallel_lines(position: np.ndarray, component: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """For each candidate segment, how many distinct lines the candidates on its ink component
    make (0 for the others)."""
    count = np.zeros(len(position), int)
    for label in np.unique(component[candidates & (component > 0)]):
        on_it = candidates & (component == label)
        count[on_it] = _same_lines(position, on_it).max() + 1
    return count


def _pieces(stats: np.ndarray, count: int) -> np.ndarray:
    """Component labels worth considering (not background, not specks), largest first, capped."""
    areas = stats[1:count, cv2.CC_STAT_AREA]
    labels = 1 + np.flatnonzero(areas >= MIN_PIECE_AREA_PX)
    if len(labels) > MAX_PIECES:
        labels = labels[np.argsort(-stats[labels, cv2.CC_STAT_AREA], kind="stable")[:MAX_PIECES]]
    return labels


def merge_broken_strokes(stats: np.ndarray, pieces: np.ndarray) -> tuple[np.ndarray, list[list[int]]]:
    """Group the pieces of each digit: (boxes (N, 4) x, y, w, h; component labels per group).

    Repeated on the merged boxes, so a digit cut in three (by a rule and a pen lift) comes
    back whole.
    """
    groups = [[int(label)] for label in pieces]
    boxes = stats[pieces, :4].astype(np.int64).reshape(-1, 4)
    for _ in range(MERGE_ROUNDS):
        joined = np.triu(_belong_together(boxes), k=1)
        if not joined.any():
            break
        parent = list(range(len(groups)))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for i, j in zip(*np.nonzero(joined)):
            parent[root(i)] = root(j)
        merged: dict[int, list[int]] = {}
        for i, group in enumerate(groups):
            merged.setdefault(root(i), []).extend(group)
        groups = list(merged.values())
        boxes = _union_boxes(stats, groups)
    return boxes, groups


def _belong_together(boxes: np.ndarray) -> np.ndarray:
    """(N, N) bool: boxes that are parts of one digit."""
    x, y, w, h = boxes.T
    x_overlap = np.minimum((x + w)[:, None], (x + w)[None, :]) - np.maximum(x[:, None], x[None, :])
    y_gap = np.maximum(y[:, None], y[None, :]) - np.minimum((y + h)[:, None], (y + h)[None, :])
    narrower = np.minimum(w[:, None], w[None, :])
    taller = np.maximum(h[:, None], h[None, :])
    joined = (x_overlap >= MERGE_MIN_X_OVERLAP * narrower) & (y_gap <= MERGE_MAX_Y_GAP * taller)
    # A small piece right beside a bigger one (the knob of a '9', the arm of a '4' cut off by
    # a rule) belongs to it even without much overlap.
    box_area = w * h
    small_to_big = box_area[:, None] <= MERGE_SMALL_AREA * box_area[None, :]
    reach = MERGE_NEAR_GAP * taller
    near = (-x_overlap <= reach) & (y_gap <= reach)
    not_speck = np.minimum(h[:, None], h[None, :]) >= MERGE_MIN_PIECE_HEIGHT * taller
    return joined | ((small_to_big | small_to_big.T) & near & not_speck)


def _union_boxes(stats: np.ndarray, groups: list[list[int]]) -> np.ndarray:
    boxes = np.zeros((len(groups), 4), np.int64)
    for k, group in enumerate(groups):
        s = stats[group]
        x0, y0 = s[:, 0].min(), s[:, 1].min()
        x1, y1 = (s[:, 0] + s[:, 2]).max(), (s[:, 1] + s[:, 3]).max()
        boxes[k] = (x0, y0, x1 - x0, y1 - y0)
    return boxes


def split_thin_lines(ink_mask: np.ndarray, labels: np.ndarray, stats: np.ndarray,
                     groups: list[list[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list]:
    """Cut each group's ink where it is a thin horizontal line and regroup the pieces.

    Returns the labels (the pieces relabelled, the line's pixels set to 0), the stats with the
    new pieces' rows appended, and the pieces' groups as (boxes, members) like
    merge_broken_strokes. Pen strokes are thicker across than what is left of a ruled line.
    """
    labels = labels.astype(np.int32)  # new labels may pass 65535
    new_stats = [stats]
    next_label = len(stats)
    pieces = []
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (1, THIN_LINE_PX + 1))
    for group in groups:
        x0, y0 = stats[group, 0].min(), stats[group, 1].min()
        x1, y1 = (stats[group, 0] + stats[group, 2]).max(), (stats[group, 1] + stats[group, 3]).max()
        window = (slice(y0, y1), slice(x0, x1))
        ink = np.isin(labels[window], group).astype(np.uint8)
        thick = cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel)
        labels[window][ink.astype(bool)] = 0
        count, piece_labels, piece_stats, _ = cv2.connectedComponentsWithStats(thick, connectivity=8)
        for k in range(1, count):
            if piece_stats[k, cv2.CC_STAT_AREA] < MIN_PIECE_AREA_PX:
                continue
            labels[window][piece_labels == k] = next_label
            row = piece_stats[k].copy()
            row[0] += x0
            row[1] += y0
            new_stats.append(row[None, :])
            pieces.append(next_label)
            next_label += 1
    stats = np.vstack(new_stats)
    boxes, members = merge_broken_strokes(stats, np.array(pieces, int))
    return labels, stats, boxes.reshape(-1, 4), members


def plausible_digits(boxes: np.ndarray, stats: np.ndarray, members: list[list[int]],
                     shape: tuple[int, int]) -> np.ndarray:
    """Boolean keep-mask over boxes by size, aspect and fill (vectorized; no pixels read)."""
    if len(boxes) == 0:
        return np.zeros(0, bool)
    h_frame, w_frame = shape
    short = min(h_frame, w_frame)
    w, h = boxes[:, 2], boxes[:, 3]
    ink_area = np.array([stats[m, cv2.CC_STAT_AREA].sum() for m in members])
    fill = ink_area / np.maximum(w * h, 1)
    min_h = max(MIN_DIGIT_HEIGHT_PX, MIN_DIGIT_HEIGHT_FRACTION * short)
    keep = (h >= min_h) & (h <= MAX_DIGIT_HEIGHT_FRACTION * h_frame) & (w <= MAX_DIGIT_HEIGHT_FRACTION * w_frame)
    keep &= w <= MAX_DIGIT_ASPECT * h
    keep &= ~((fill > MAX_FILL_FOR_WIDE) & (w > THIN_ASPECT * h))
    # A box touching the frame border is cut off, or it is the border: neither can be read.
    x, y = boxes[:, 0], boxes[:, 1]
    keep &= (x > 0) & (y > 0) & (x + w < w_frame) & (y + h < h_frame)
    return keep


def has_ink_contrast(ink_bright: np.ndarray, ink_mask: np.ndarray, labels: np.ndarray,
                     region_lut: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Keep-mask: the region is clearly darker than plain paper around it.

    Shading and show-through are too faint; desk texture and highlights have no plain ground
    around them (their surroundings vary nearly as much as they do). When most candidates are
    texture, the texture sets a higher bar for the rest.
    """
    contrast = np.zeros(len(boxes))
    noise = np.ones(len(boxes))
    ground_level = np.zeros(len(boxes))
    measured = np.zeros(len(boxes), bool)
    h_img, w_img = ink_bright.shape
    for k, (x, y, w, h) in enumerate(boxes):
        pad = max(2, int(0.15 * h))
        window = (slice(max(0, y - pad), min(h_img, y + h + pad)), slice(max(0, x - pad), min(w_img, x + w + pad)))
        # Every other pixel is plenty for a median, and keeps a big region's check cheap.
        step = 2 if (window[0].stop - window[0].start) * (window[1].stop - window[1].start) > 4096 else 1
        window = (slice(window[0].start, window[0].stop, step), slice(window[1].start, window[1].stop, step))
        patch = ink_bright[window]
        is_ink = region_lut[labels[window]] == k
        ground = patch[ink_mask[window] == 0]
        if not is_ink.any() or ground.size < 4:
            continue
        measured[k] = True
        ground_level[k] = _quantile(ground, 0.5)
        noise[k] = max(1.0, 1.4826 * _quantile(np.abs(ground.astype(np.int16) - int(ground_level[k])), 0.5))
        contrast[k] = _quantile(patch[is_ink], 0.95) - ground_level[k]
    paper_brightness = 255.0 - ground_level  # in the original polarity
    ratio = contrast / noise
    bar = MIN_CONTRAST_TO_NOISE
    if measured.sum() >= TEXTURE_MIN_CANDIDATES and np.median(ratio[measured]) < MIN_CONTRAST_TO_NOISE:
        bar = max(bar, TEXTURE_MARGIN * float(np.median(ratio[measured])))
    return (measured & (contrast >= MIN_INK_CONTRAST) & (contrast >= MIN_INK_CONTRAST_RATIO * paper_brightness)
            & (ratio >= bar))


def in_words(boxes: np.ndarray) -> np.ndarray:
    """Mask of regions that are letters of written words, not digits.

    Letters of a word nearly touch (or overlap, slanted), run after run; people leave room
    between the digits they write. WORD_MIN_LETTERS or more regions in a row, each closer than
    WORD_MAX_GAP of their height to the next, are a word.
    """
    words = np.zeros(len(boxes), bool)
    for line in reading_lines(boxes):
        run = [line[0]]
        for previous, index in zip(line, line[1:] + [None]):
            if index is not None:
                gap = boxes[index, 0] - (boxes[previous, 0] + boxes[previous, 2])
                if gap < WORD_MAX_GAP * min(boxes[index, 3], boxes[previous, 3]):
                    run.append(index)
                    continue
            if len(run) >= WORD_MIN_LETTERS:
                words[run] = True
            run = [index]
    return words


def _quantile(values: np.ndarray, q: float) -> float:
    """The q-quantile of a flat array (nearest rank, by partition): np.percentile's Python
    overhead is most of its cost on the few hundred pixels of one region."""
    k = int(q * (values.size - 1))
    return float(np.partition(values, k)[k])


def reading_order(boxes: np.ndarray) -> np.ndarray:
    """Indices of boxes in reading order: lines top to bottom, left to right within a line."""
    return np.array([i for line in reading_lines(boxes) for i in line], int)


def reading_lines(boxes: np.ndarray) -> list[list[int]]:
    """Box indices grouped into text lines, top to bottom, each left to right.

    Lines are chained left to right by vertical overlap with their latest digit, so a sheet
    held at a slant still reads line by line.
    """
    lines: list[list[int]] = []
    for i in np.argsort(boxes[:, 0], kind="stable") if len(boxes) else []:
        top, bottom = boxes[i, 1], boxes[i, 1] + boxes[i, 3]
        best, best_overlap = None, 0.0
        for line in lines:
            last = line[-1]
            overlap = min(bottom, boxes[last, 1] + boxes[last, 3]) - max(top, boxes[last, 1])
            overlap /= max(1, min(boxes[i, 3], boxes[last, 3]))
            if overlap > best_overlap:
                best, best_overlap = line, overlap
        if best is not None and best_overlap >= LINE_MIN_Y_OVERLAP:
            best.append(int(i))
        else:
            lines.append([int(i)])
    lines.sort(key=lambda line: float(np.mean(boxes[line, 1] + boxes[line, 3] / 2)))
    return lines


def ink_intensity(ink_bright: np.ndarray, labels: np.ndarray, region_lut: np.ndarray,
                  boxes: np.ndarray) -> np.ndarray:
    """Ink strength in [0, 1] over the working frame, filled only inside the kept regions.

    Per region: (pixel - paper level) / (ink level - paper level), so faint pencil and black
    marker both reach 1 at the stroke's core, and anti-aliased edges keep their grey.
    """
    out = np.zeros(ink_bright.shape, np.float32)
    h_img, w_img = ink_bright.shape
    grow = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    for k, (x, y, w, h) in enumerate(boxes):
        patch = ink_bright[y:y + h, x:x + w].astype(np.float32)
        is_ink = region_lut[labels[y:y + h, x:x + w]] == k
        ground = _quantile(patch[~is_ink], 0.5) if (~is_ink).any() else float(patch.min())
        core = _quantile(patch[is_ink], 0.9) if is_ink.any() else ground + 1
        strength = np.clip((patch - ground) / max(core - ground, 1.0), 0, 1)
        # Keep the anti-aliased rim of this digit's strokes but nothing of its neighbours.
        near = cv2.dilate(is_ink.astype(np.uint8), grow).astype(bool)
        out[y:y + h, x:x + w] = np.where(near, strength, 0)
    return out
