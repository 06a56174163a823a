"""Detection step 2, the writing surface: where ink may be, and whether it is dark or light.

The surface is the brightest large region that is plain at the scale of a few strokes (a sheet,
or a blackboard): looking for ink only on it keeps the desk's texture, its highlights and the
sheet's own edge from becoming digits, and its brightness says the ink's polarity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

from realtime.detect.working import area_shrink


@dataclass(frozen=True)
class SurfaceConfig:
    """How the writing surface is found; enabled=False searches the whole frame."""

    enabled: bool = True
    # The paper is looked for on a thumbnail of this longest side: the sheet is large, so a
    # coarse view finds it for a fraction of a millisecond.
    thumb_side_px: int = 240
    # ...but with at least this shorter side (never larger than the image): the scale follows
    # the content, and a thin strip's content is as tall as the strip. A row of answer boxes at
    # 640x59 (adamzev) shrank to 240x22, its boxes 8 px high, none of them plain.
    min_thumb_short_px: int = 60
    # Local texture window, as a fraction of the thumbnail's longest side, and the largest local
    # standard deviation (grey levels) that still counts as plain paper. Leather, wood grain and
    # specular highlights measure 25-45 here; paper with its shading under 12.
    texture_window: float = 1 / 40
    # ...and at most this fraction of the thumbnail's shorter side: a few strokes of content
    # that fills the strip's height (no change on 4:3 to 16:9 frames, where 1/40 of the longer
    # side is the smaller).
    max_texture_window_of_short: float = 1 / 20
    max_texture_std: float = 20.0
    # A step in brightness that takes more than max_step_ratio of the light within step_span_px
    # (thumbnail px, after a 3x3 box against noise; never wider than the texture window, which
    # follows a thin strip's content) is an outline, not paper: the sheet's edge
    # against a desk is a step of 1-2 px there, however dim the room (a sheet at 80 on a desk at
    # 30 steps by 0.6), while a shadow's edge is spread over 13 px or more (the softest wild
    # shadow takes 0.18 of the light in 5 px), and ruled lines, thin and shrunk, under 0.15. Cut
    # there, a dim desk as plain as the sheet no longer joins it into one surface (wild frames:
    # the desk decided the polarity, or the search covered it). Levels under step_floor count
    # as step_floor: on a near-black ground, noise alone is a large fraction of the light.
    max_step_ratio: float = 0.25
    step_span_px: int = 5
    step_floor: float = 40.0
    # A surface must cover this much of the frame, and be mostly plain inside (digits are small
    # holes in it): a large white '0' on black fills only ~40% of its own outline. A sheet of
    # printed boxes is not plain between its lines at the thumbnail's scale (0.25-0.45 of its
    # hull on the wild tier): when the hull is mostly holes, plainness is judged again with
    # thin dark lines closed (3x3, a line of 1-3 px at 640), which the ring's hull survives.
    min_area_fraction: float = 0.08
    min_plain_fraction: float = 0.7
    # Plain parts at least this bright relative to the brightest are the same surface in shadow,
    # if they are the same paper: their texture relative to their brightness (the median of
    # local std / local mean) at most shade_texture_match times the brightest part's, taken as
    # at least min_relative_texture (clipped white paper measures 0). Sensor noise is the same
    # in grey levels in a shadow, so at half the light it doubles relative to it; sheets measure
    # 0.006-0.035 on the wild tier and the real photos, desks beside them 0.045-0.12 (plain in
    # grey levels, their grain is 3-14 times the paper's relative to their light: unchecked,
    # desk strips at 0.58 of the sheet joined it and their ink swallowed the digits).
    shade_ratio: float = 0.5
    shade_texture_match: float = 2.5
    min_relative_texture: float = 0.01
    # A desk as bright as the paper joins it where the sheet's outline does not step (the
    # desk's grain crosses the paper's level there): one plain part, the sheet's edge inside
    # it, which then thresholds into a band along the edge that swallows the digits near it
    # (issue 13, wild frames and bright_desk). Paper is plain but for its sensor noise; a
    # desk has grain. Grain is measured less the trend of the light (a shadow's gradient is
    # not grain), and where it exceeds desk_grain_ratio times the paper's (the
    # paper_grain_percentile of the brightest part's grain: the paper even when the desk
    # joined it, at least min_paper_grain grey levels, clipped white paper having none), it
    # is desk where it is solid, reaches the frame's border and lies at least desk_outside_share
    # outside the hull of the rest of the part; that is cut out of the plain map when it
    # covers more than min_grained_share of the part (and leaves a large part). Measured on
    # the wild tier and bright_desk: desks beside a sheet at 0.8-1.0 of its light have 2.4-6.8
    # times the paper's grain in their 10% least grainy pixels, paper 1.0-1.5 times in its
    # median (digits and print aside). Without the border and hull tests a form photographed
    # filling the view (kawalc1 IMG_4219: blurred print, the paper's grain under 1 level) lost
    # its sheet to the bands beside its lines, which run to the frame's edge.
    grain_trend_windows: int = 2
    paper_grain_percentile: float = 25.0
    min_paper_grain: float = 1.0
    desk_grain_ratio: float = 2.5
    desk_outside_share: float = 0.5
    min_grained_share: float = 0.05
    # ...and not a part whose hull holds more than enclosed_share of the brightest part: that
    # part is around the sheet (the desk), not a shadowed piece of it beside the lit one.
    enclosed_share: float = 0.5
    # A surface whose hull covers more than this of the thumbnail fills the view: the mask is
    # then the whole frame, with no edge margin (no edge of the sheet is in view to cut off).
    fills_view_fraction: float = 0.97
    # Ink this close to the sheet's outline (fraction of the frame's shorter side) is the sheet's
    # edge or its shadow, not writing.
    edge_margin: float = 0.012
    # With no ink to decide by (see below), a writing surface darker than this (grey level)
    # carries light ink: a blackboard, a dark-mode screen, the original example's white-on-black
    # images.
    dark_ground_median: int = 100
    # Grounds below polarity_check_below are a board or paper in dim light: a green blackboard
    # reads 102-112 in its brightest channel (its luma 85-95), grey paper in dim light 129-149,
    # pencil on paper in a dim room 50-100. There the ink's own contrast decides: the pixels
    # standing an offset (below) above the median of their polarity_block_px neighbourhood against
    # those as far below it, on the surface, at polarity_side_px (a 9-px window there is 36 px
    # at 640: wider than twice a bold marker's stroke, so its median is the ground; at 5 px,
    # 20 px at 640, the median inside a bold digit was the ink, the paper in its loops stood
    # out bright, and dark ink on dim paper fell under the majority: wild seeds 1 and 22 read
    # as boards, nothing found; the 9-px median costs ~0.9 ms against 0.1). On the real photos
    # chalk boards measure 0.26-0.99% bright against 0.00-0.08% dark; every sheet of paper 10
    # times more dark than bright. Under 100 the ground's brightness alone took every dim sheet
    # of pencil for a board (pencil_dim: 13 of 20 pages read as light ink, nothing found).
    polarity_check_below: int = 150
    polarity_side_px: int = 160
    polarity_block_px: int = 9
    # When too few pixels stand out there to tell, a second look at polarity_closer times that
    # side (the same neighbourhood in working px): a fine, faint pen shrunk four times blends
    # into the ground (red ink on grey paper at 55 in a dim room, the wild tier's scene 26: no
    # standouts at 160, the ground's brightness read it as a board; at 320 its strokes stand
    # out dark, though only 1 of its 10 digits is found: the working grey's colour floor leaves
    # red ink in that light little contrast). Only then: the closer look costs ~3 times the
    # first. None: no second look.
    polarity_closer: int | None = 2
    # The offset is polarity_offset_ratio of the neighbourhood's level, at least
    # min_polarity_offset (noise): ink's contrast scales with the light, so a fixed 24 levels
    # (the ratio's at 120) missed faint and pencil ink on paper at 60-90: no standouts, and the
    # ground's brightness took the sheet for a board (pencil_dim recall 60 -> 94%; wild frames
    # at 61-93 read again). A chalkboard with dark printed boxes read as dark ink, its box
    # lines outnumbering the chalk; no camera meets one (forms are paper), and the generator
    # now draws boxes on a board in chalk (tools/synth.py, CHALK_LINE_PX).
    polarity_offset_ratio: float = 0.2
    min_polarity_offset: float = 8.0
    # One polarity needs this many times more standouts than the other, and at least
    # min_light_ink_fraction of the surface; else there is no ink to decide by (a blank board)
    # and the ground's brightness decides.
    light_ink_majority: float = 3.0
    min_light_ink_fraction: float = 0.001


_LINE_KERNEL = np.ones((3, 3), np.uint8)
_MOSTLY_HOLES = object()


class Surface(NamedTuple):
    """mask: (H, W) uint8 255 = on the surface, edge margin removed, or None (no surface: search
    the whole frame); ground_brightness: its mean grey level (the frame's median without one)."""

    mask: np.ndarray | None
    ground_brightness: float


def find_paper(gray: np.ndarray, config: SurfaceConfig) -> Surface:
    """The writing surface of the working image `gray` ((H, W) uint8).

    A sheet under uneven light is still plain (shading changes slowly), desk texture never is,
    and a desk as plain as the paper still has more grain than the paper's noise. A
    dark plain surface (a blackboard, the black of the original example's images) means light
    ink. No such region, or the step switched off: Surface(None, median brightness).
    """
    if not config.enabled:
        return Surface(None, float(np.median(gray)))
    thumb = area_shrink(gray, thumb_side(gray.shape, config))
    surface = _find_surface(gray, thumb, thumb, config)
    if surface is _MOSTLY_HOLES:
        # A sheet of printed boxes is not plain at this scale between its lines: with the thin
        # dark lines closed its hull is paper, while a drawn shape's hull stays its dark ground.
        surface = _find_surface(gray, thumb, cv2.morphologyEx(thumb, cv2.MORPH_CLOSE, _LINE_KERNEL), config)
    return Surface(None, float(np.median(gray))) if surface is _MOSTLY_HOLES else surface


def _find_surface(gray: np.ndarray, thumb: np.ndarray, texture_thumb: np.ndarray, config: SurfaceConfig):
    """find_paper on the thumbnail `thumb` of `gray`, its plainness judged on `texture_thumb`;
    _MOSTLY_HOLES when the best hull is mostly holes."""
    th, tw = thumb.shape
    window = max(3, int(min(max(th, tw) * config.texture_window,
                            min(th, tw) * config.max_texture_window_of_short)) | 1)
    thumb_f = texture_thumb.astype(np.float32)
    mean = cv2.blur(thumb_f, (window, window))
    local_std = np.sqrt(np.maximum(cv2.blur(thumb_f * thumb_f, (window, window)) - mean * mean, 0))
    plain = ((local_std < config.max_texture_std) & ~on_step(thumb_f, min(config.step_span_px, window),
                                                             config)).astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (window, window))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(cv2.morphologyEx(plain, cv2.MORPH_OPEN, kernel),
                                                                connectivity=4)
    large = [i for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] >= config.min_area_fraction * th * tw]
    if not large:
        return Surface(None, float(np.median(gray)))
    brightness = {i: float(thumb[labels == i].mean()) for i in large}
    cut = _without_desk(thumb, plain, labels, stats, max(large, key=brightness.get), kernel, window, config)
    if cut is not None:
        count, labels, stats, _ = cut
        large = [i for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] >= config.min_area_fraction * th * tw]
        brightness = {i: float(thumb[labels == i].mean()) for i in large}
    best = max(large, key=brightness.get)
    # A sharp shadow (a hand, the phone) splits a sheet into plain parts of different
    # brightness: all large parts nearly as bright as the brightest, of the same paper, belong
    # to the surface. Each part's convex hull, not its outline: digits are holes in the plain
    # area, and a digit near the sheet's edge is a bay open to the desk that only the hull closes.
    sheet = _hull(labels == best)
    parts = [best]
    shaded = [i for i in large if i != best and brightness[i] >= config.shade_ratio * brightness[best]]
    if not shaded:
        return _surface_of(sheet, parts, stats, gray, brightness[best], config)
    texture = _relative_texture(local_std, mean, labels, [best, *shaded])
    most_texture = config.shade_texture_match * max(texture[best], config.min_relative_texture)
    in_best = labels == best
    for part in shaded:
        if texture[part] > most_texture:
            continue
        hull = _hull(labels == part)
        if np.count_nonzero(hull[in_best]) > config.enclosed_share * stats[best, cv2.CC_STAT_AREA]:
            continue  # around the brightest part: the desk
        sheet |= hull
        parts.append(part)
    return _surface_of(sheet, parts, stats, gray, brightness[best], config)


def _without_desk(thumb: np.ndarray, plain: np.ndarray, labels: np.ndarray, stats: np.ndarray, brightest: int,
                  kernel: np.ndarray, window: int, config: SurfaceConfig) -> tuple | None:
    """The plain parts again (cv2.connectedComponentsWithStats of the opened `plain` map, (h,
    w) uint8) with a desk's grain cut out of the `brightest` part of `labels` (its `stats`),
    when the desk joined it; None when it did not (or the cut leaves no large part)."""
    th, tw = thumb.shape
    x, y, w, h = stats[brightest, :4]
    if x > 0 and y > 0 and x + w < tw and y + h < th:
        return None  # a desk reaches the frame's edge: a part inside the view has none in it
    part = labels == brightest
    grain = _grain(thumb, part, window, config)
    coarse = part[::2, ::2]
    part_grain = grain[::2, ::2][coarse]
    rank = int(config.paper_grain_percentile / 100 * (part_grain.size - 1))
    paper_grain = max(float(np.partition(part_grain, rank)[rank]), config.min_paper_grain)
    grained = (grain > config.desk_grain_ratio * paper_grain) & part
    least = config.min_grained_share * np.count_nonzero(coarse)
    if np.count_nonzero(grained[::2, ::2]) <= least:
        return None
    grained = _desk_grain(grained, part, kernel, config.desk_outside_share)
    if np.count_nonzero(grained[::2, ::2]) <= least:
        return None
    cut = cv2.connectedComponentsWithStats(cv2.morphologyEx(plain & ~grained, cv2.MORPH_OPEN, kernel), connectivity=4)
    if not (cut[2][1:, cv2.CC_STAT_AREA] >= config.min_area_fraction * th * tw).any():
        return None
    return cut


def _grain(thumb: np.ndarray, part: np.ndarray, window: int, config: SurfaceConfig) -> np.ndarray:
    """(h, w) float32: the local std (over `window` px) of the thumbnail `thumb` ((h, w)
    uint8) less its own trend (a grain_trend_windows times wider mean), both over the plain
    `part` only ((h, w) bool), once thin dark lines are closed: the grain of a desk, not the
    slow shading of light and shadow, nor the rules on the paper (a pixel wide here), nor
    the ink and the desk beside the part (the trend would mix their levels with its own)."""
    trend = max(3, window * config.grain_trend_windows | 1)
    closed = cv2.morphologyEx(thumb, cv2.MORPH_CLOSE, _LINE_KERNEL).astype(np.float32)
    weight = part.astype(np.float32)
    level = cv2.blur(closed * weight, (trend, trend)) / np.maximum(cv2.blur(weight, (trend, trend)), 1e-3)
    residual = (closed - level) * weight
    return np.sqrt(cv2.blur(residual * residual, (window, window))
                   / np.maximum(cv2.blur(weight, (window, window)), 1e-3))


def _desk_grain(grained: np.ndarray, part: np.ndarray, kernel: np.ndarray, outside_share: float) -> np.ndarray:
    """The regions of the bool map `grained` (in the plain `part`) that are a desk: solid (what
    an opening by `kernel` leaves; not the thin bands beside print the closing left), reaching
    the thumbnail's border (a desk is around the sheet, up to the frame's edge; not a
    shadow's curve inside it) and at least `outside_share` outside the hull of the rest of the
    part (a form's lines run to the frame's edge, but the paper is around them)."""
    solid = cv2.morphologyEx(grained.astype(np.uint8), cv2.MORPH_OPEN, kernel)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(solid, connectivity=8)
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    border = border[border > 0]
    if not border.size:
        return np.zeros_like(grained)
    rest = cv2.morphologyEx((part & ~np.isin(labels, border)).astype(np.uint8), cv2.MORPH_OPEN, kernel)
    if not rest.any():
        return np.zeros_like(grained)
    paper = _hull(rest > 0)
    inside = 1 - outside_share
    desk = [i for i in border if np.count_nonzero(paper[labels == i]) <= inside * stats[i, cv2.CC_STAT_AREA]]
    return np.isin(labels, desk)


def _relative_texture(local_std: np.ndarray, mean: np.ndarray, labels: np.ndarray,
                      parts: list[int]) -> dict[int, float]:
    """Each part's median of local std / local mean (thumbnail maps, (h, w) float32), on every
    second pixel each way: a median over a whole part costs ~0.3 ms, a quarter of it is as
    good a measure of a texture that fills the part."""
    coarse = labels[::2, ::2]
    relative = local_std[::2, ::2] / np.maximum(mean[::2, ::2], 1)
    return {i: float(np.median(relative[coarse == i])) for i in parts}


def _surface_of(sheet: np.ndarray, parts: list[int], stats: np.ndarray, gray: np.ndarray,
                brightness: float, config: SurfaceConfig) -> Surface:
    """The Surface of the joined hulls `sheet` ((h, w) uint8 1 = on it, thumbnail pixels) of
    the plain `parts` (their areas in `stats`) of the working image `gray`, whose brightness
    is `brightness`."""
    h, w = gray.shape
    th, tw = sheet.shape
    sheet_area = int(sheet.sum())
    if sum(stats[part, cv2.CC_STAT_AREA] for part in parts) < config.min_plain_fraction * sheet_area:
        return _MOSTLY_HOLES  # a big drawn shape, not a surface
    if sheet_area > config.fills_view_fraction * th * tw:
        return Surface(np.full((h, w), 255, np.uint8), brightness)
    # Back to full size, smooth edges, then binary again: the mask is used as "on the sheet or not".
    sheet = (cv2.resize(sheet * 255, (w, h), interpolation=cv2.INTER_LINEAR) > 127).astype(np.uint8) * 255
    margin = max(3, int(config.edge_margin * min(h, w)) | 1)
    return Surface(cv2.erode(sheet, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (margin, margin))),
                   brightness)


def on_step(thumb: np.ndarray, span: int, config: SurfaceConfig) -> np.ndarray:
    """(h, w) bool: where the thumbnail `thumb` ((h, w) float32 grey levels) steps in
    brightness by more than max_step_ratio of the brighter side within `span` px (an outline:
    the sheet's edge, a digit's stroke), not a slow change of light."""
    smooth = cv2.blur(thumb, (3, 3))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (span, span))
    brighter = cv2.dilate(smooth, kernel)
    step = brighter - cv2.erode(smooth, kernel)
    return step > config.max_step_ratio * np.maximum(brighter, config.step_floor)


def _hull(part: np.ndarray) -> np.ndarray:
    """(h, w) uint8 1 = inside the convex hull of the bool mask `part`."""
    contours, _ = cv2.findContours(part.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    hull = np.zeros(part.shape, np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(np.vstack(contours)), 1)
    return hull


def thumb_side(shape: tuple[int, int], config: SurfaceConfig) -> int:
    """The longer side (px) of the thumbnail the surface is looked for on, for an image of
    `shape`: thumb_side_px, or more when that leaves the shorter side under min_thumb_short_px,
    never more than the image's own."""
    longest, shortest = max(shape), min(shape)
    needed = round(longest * config.min_thumb_short_px / max(shortest, 1))
    return min(longest, max(config.thumb_side_px, needed))


def ink_is_light(ground_brightness: float, invert: str, config: SurfaceConfig,
                 gray: np.ndarray | None = None, search: np.ndarray | None = None) -> bool:
    """True when the digits are lighter than their ground (invert "yes"/"no" force it).

    A bright ground carries dark ink; on a darker one (a blackboard, dim grey paper) the ink's
    contrast in the working image `gray` ((H, W) uint8, limited to `search`, uint8 255 =
    surface, if given) says which, when given and when there is ink to tell by; else a dark
    ground carries light ink.
    """
    if invert != "auto":
        return invert == "yes"
    if gray is not None and ground_brightness < config.polarity_check_below:
        light = light_ink_stands_out(gray, search, config)
        if light is not None:
            return light
    return ground_brightness < config.dark_ground_median


def light_ink_stands_out(gray: np.ndarray, search: np.ndarray | None, config: SurfaceConfig) -> bool | None:
    """True when far more pixels of `gray` stand out bright from their neighbourhood than dark,
    False when far more stand out dark, None when too few stand out to tell: ink is the sparse
    extreme of its ground, whichever its colour (shading and texture go both ways about
    equally). Looked at on a small view, then on one polarity_closer times as fine when that
    one could not tell."""
    light = _light_ink_at(gray, search, config, config.polarity_side_px, config.polarity_block_px)
    if light is None and config.polarity_closer:
        closer = config.polarity_closer
        light = _light_ink_at(gray, search, config, closer * config.polarity_side_px,
                              closer * (config.polarity_block_px - 1) + 1)
    return light


def _light_ink_at(gray: np.ndarray, search: np.ndarray | None, config: SurfaceConfig,
                  side_px: int, block_px: int) -> bool | None:
    """light_ink_stands_out on `gray` shrunk to side_px, neighbourhoods block_px wide (odd)."""
    # A median, not a mean: a mean is pulled towards the ink, so the ground right beside bold
    # strokes would stand out the other way (and a top-hat takes the paper between printed
    # strokes for bright strokes).
    small = area_shrink(gray, side_px)
    neighbourhood = cv2.medianBlur(small, block_px)
    offset = np.maximum(neighbourhood * np.float32(config.polarity_offset_ratio),
                        np.float32(config.min_polarity_offset))
    bright = cv2.subtract(small, neighbourhood).astype(np.float32) > offset
    dark = cv2.subtract(neighbourhood, small).astype(np.float32) > offset
    if search is not None:
        on = cv2.resize(search, small.shape[::-1], interpolation=cv2.INTER_NEAREST) > 0
        bright, dark = bright & on, dark & on
        area = max(int(on.sum()), 1)
    else:
        area = small.size
    bright_px, dark_px = int(bright.sum()), int(dark.sum())
    least = config.min_light_ink_fraction * area
    if bright_px >= least and bright_px > config.light_ink_majority * dark_px:
        return True
    if dark_px >= least and dark_px > config.light_ink_majority * bright_px:
        return False
    return None


def ink_bright_image(gray: np.ndarray, light_ink: bool) -> np.ndarray:
    """The working image with ink bright (255 = the most ink), whatever the ink's own colour:
    every later step reads this polarity and calls it `ink_bright`."""
    return gray if light_ink else 255 - gray
