"""Detection step 4a, box removal: the printed boxes of a form (one digit per cell), taken out of
the ink mask before the rules are, so a box is never merged with its digit nor read as a '1'.

A printed box is a thin outline around a cell: in the ink mask, a component with a hole whose
outline is straight sides meeting at corners (a rectangle, or the quadrilateral a form turned to
the camera makes of it). Its sides are removed where they are ink no thicker than a printed line,
so strokes crossing them stay. Only outlines with ink in enough of their cells are boxes: a lone
empty rectangle may be a block-letter '0', two stacked empty ones an '8', and a sheet of graph
paper has ink in a few of its squares.
Removing them before rules.py matters: a grid's long lines are rules too, and rules.py would cut
them out between the crossings, leaving the short stretches that read as '1'.

Words used: a *frame* is a component that may be boxes; a *cell* is one of its holes that is
rectangular; a *side* is one straight edge of a cell's outline.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from realtime.detect.components import ink_components


@dataclass(frozen=True)
class BoxConfig:
    """What counts as a printed box, and how its sides are removed; enabled=False keeps them."""

    enabled: bool = True
    # A cell holds a digit: at least this many px each way (ShapeConfig.min_height_px is 10).
    min_cell_px: int = 12
    # A form's boxes are there to be filled: at least this share of a frame's cells hold ink
    # (a 3-box number written '2' fills one in three: InternationalIDEA crop2). Graph paper is a
    # grid too, but its digits cover a few of its hundreds of squares, crossing their lines: it
    # is rules.py's.
    min_filled_share: float = 0.25
    # A frame's ink covers little of its box: lines 1-4 px round cells of 20 px and more cover
    # at most ~35% (a grid of small cells); a digit with a hole covers more.
    max_fill: float = 0.4
    # Faint printed lines threshold into dashes: gaps up to this long along a line are bridged
    # before the holes are looked for (the removal itself reads the mask as it was).
    bridge_gap_px: int = 5
    # A cell's outline is simplified to straight pieces within this fraction of its perimeter
    # (at least approx_min_px): a pen stroke's wobble is a few px, a printed side none.
    approx_fraction: float = 0.01
    approx_min_px: float = 2.0
    # A side is straight pieces along at least min_side_share of the cell's extent in its direction,
    # within max_tilt (dy/dx or dx/dy) of the axis: forms held up to ~10 degrees off, and the
    # shear a camera at an angle adds. A cell has all four: top, bottom, left and right.
    min_side_share: float = 0.5
    # ...made of straight pieces at least min_piece_share of it (a stroke across a side cuts it).
    min_piece_share: float = 0.2
    max_tilt: float = 0.2
    # A cell is mostly sides: at least this share of its simplified outline (a digit touching
    # one side makes a detour the rest of the outline still outweighs).
    min_side_coverage: float = 0.6
    # Printed lines are thin: a side thicker than this is a stroke (a block letter's). 1-3 px
    # at 640 px, but a small form crop scaled up to 640 (kawalc1, 152 px wide) has its outer
    # lines 7-8 px and the lines its cells share 9.
    max_line_px: int = 10
    # Removed: the side's thickness plus this much each way (the fitted side is within a pixel).
    band_margin_px: int = 1
    # Ink at least the line's thickness plus this thick across the side is a stroke crossing it.
    stroke_margin_px: int = 3
    # Each side's thickness is read at this many evenly spaced points along it.
    points_per_side: int = 16
    # At most this many frames a frame are looked at (the largest): what bounds the work on a
    # frame of texture.
    max_frames: int = 64


def remove_boxes(ink_mask: np.ndarray, config: BoxConfig) -> np.ndarray:
    """The ink mask (uint8 255 = ink) without the sides of its printed boxes."""
    if not config.enabled:
        return ink_mask
    bridged = _bridge_gaps(ink_mask, config)
    # Windows reach past the frame: morphology reads beyond a window's edge as ink.
    pad = config.max_line_px + config.stroke_margin_px + 2
    frames = _outlined_frames(bridged, pad, config)
    if frames is None:
        frames = _labelled_frames(bridged, pad, config)
    if not frames:
        return ink_mask
    kept = ink_mask.copy()
    for window, frame in frames:
        sides = _box_sides(frame, ink_mask[window], config)
        if sides:
            ink = cv2.bitwise_and(ink_mask[window], ink_mask[window], mask=frame)
            kept[window] = cv2.bitwise_and(kept[window], cv2.bitwise_not(_side_ink(ink, sides, config)))
    return kept


# A possible frame: its window (pad px round its box) and uint8 1 = its pixels there.
_Frame = tuple[tuple[slice, slice], np.ndarray]


def _window(x: int, y: int, w: int, h: int, pad: int, shape: tuple[int, int]) -> tuple[slice, slice]:
    """The box (x, y, w, h) grown by pad px each way, within an image of `shape` (rows, cols)."""
    rows, cols = shape
    return slice(max(0, y - pad), min(rows, y + h + pad)), slice(max(0, x - pad), min(cols, x + w + pad))


def _labelled_frames(bridged: np.ndarray, pad: int, config: BoxConfig) -> list[_Frame]:
    """Every possible frame (_possible_frames) of the bridged mask, from its labels."""
    labels, stats = ink_components(bridged)[1:]
    frames = []
    for label in _possible_frames(stats, config):
        window = _window(*stats[label, :4], pad, bridged.shape)
        frames.append((window, (labels[window] == label).astype(np.uint8)))
    return frames


def _outlined_frames(bridged: np.ndarray, pad: int, config: BoxConfig) -> list[_Frame] | None:
    """_labelled_frames' frames, found from the mask's outlines: a frame has a hole (its cells),
    and only the few components with one are filled in, each in its own window. Labelling the
    whole mask costs ~0.8 ms a 640x480 frame, its outlines ~0.2.

    None when more components are a frame's size than max_frames: which of them are the
    largest frames then takes every one's ink area, which only the whole mask's labels give.
    """
    contours, hierarchy = cv2.findContours(bridged, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    # RETR_CCOMP: one outer outline per 8-connected component (parent -1; its box is the
    # component's), its holes below it (first child >= 0 when it has any).
    large = []
    for contour, (_, _, first_hole, parent) in zip(contours, hierarchy[0], strict=True):
        if parent < 0:
            x, y, w, h = cv2.boundingRect(contour)
            if w >= config.min_cell_px + 2 and h >= config.min_cell_px + 2:
                large.append((contour, first_hole, (x, y, w, h)))
    if len(large) > config.max_frames:
        return None
    frames = []
    for contour, first_hole, (x, y, w, h) in large:
        if first_hole < 0:
            continue  # no hole, no cell
        window = _window(x, y, w, h, pad, bridged.shape)
        # The component lies inside its box, so filling it (8-connected, the mask being 0 or
        # 255) from one of its outline's points, within its window, gives all of it: a few
        # us, where labelling even the window costs ~0.1 ms.
        pixels = bridged[window]
        filled = np.zeros((pixels.shape[0] + 2, pixels.shape[1] + 2), np.uint8)
        area = cv2.floodFill(pixels, filled, (int(contour[0, 0, 0]) - window[1].start,
                                              int(contour[0, 0, 1]) - window[0].start), 0,
                             flags=8 | (1 << 8) | cv2.FLOODFILL_MASK_ONLY)[0]
        if area <= config.max_fill * w * h:
            frames.append((window, filled[1:-1, 1:-1].copy()))
    return frames




def _bridge_gaps(ink_mask: np.ndarray, config: BoxConfig) -> np.ndarray:
    """The mask with gaps of up to bridge_gap_px along rows and along columns closed."""
    side = config.bridge_gap_px + 1
    across = cv2.morphologyEx(ink_mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (side, 1)))
    down = cv2.morphologyEx(ink_mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, side)))
    return cv2.bitwise_or(across, down)


def _possible_frames(stats: np.ndarray, config: BoxConfig) -> np.ndarray:
    """Labels of the components big enough to hold a cell and sparse enough to be outlines,
    the largest max_frames of them."""
    w, h, area = stats[1:, 2], stats[1:, 3], stats[1:, 4]
    fits = (w >= config.min_cell_px + 2) & (h >= config.min_cell_px + 2) & (area <= config.max_fill * w * h)
    labels = 1 + np.flatnonzero(fits)
    return labels[np.argsort(-area[labels - 1], kind="stable")[:config.max_frames]]


def _box_sides(frame: np.ndarray, ink: np.ndarray, config: BoxConfig) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """The sides of the frame's cells, if enough of them hold ink (min_filled_share): (start, end, outward),
    start and end (x, y) float points of the cell's outline, outward which way the side faces
    out of the cell (0 up, 1 down, 2 left, 3 right). frame: uint8 1 = the frame's pixels; ink:
    the ink mask over the same window."""
    contours, hierarchy = cv2.findContours(frame, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    if hierarchy is None:
        return []
    sides: list[tuple[np.ndarray, np.ndarray, int]] = []
    cells = filled = 0
    for contour, (_, _, _, parent) in zip(contours, hierarchy[0], strict=True):
        if parent < 0:
            continue  # an outer outline; holes have a parent
        cell_sides = _cell_sides(contour, config)
        if cell_sides is None:
            continue
        sides += cell_sides
        cells += 1
        filled += _holds_ink(contour, frame, ink)
    return sides if filled and filled >= config.min_filled_share * cells else []


def _cell_sides(contour: np.ndarray, config: BoxConfig) -> list[tuple[np.ndarray, np.ndarray, int]] | None:
    """A hole's sides when it is a cell (straight sides along the axes covering most of its
    outline), else None."""
    x, y, w, h = cv2.boundingRect(contour)
    if w < config.min_cell_px or h < config.min_cell_px:
        return None
    perimeter = cv2.arcLength(contour, True)
    polygon = cv2.approxPolyDP(contour, max(config.approx_min_px, config.approx_fraction * perimeter), True)
    points = polygon.reshape(-1, 2).astype(np.float64)
    if len(points) < 4:
        return None
    centre = points.mean(axis=0)
    sides = []
    covered = total = 0.0
    kind_length = np.zeros(4)
    for start, end in zip(points, np.roll(points, -1, axis=0), strict=True):
        dx, dy = end - start
        length = float(np.hypot(dx, dy))
        total += length
        if abs(dy) <= config.max_tilt * abs(dx) and abs(dx) >= config.min_piece_share * w:
            outward = 0 if (start[1] + end[1]) / 2 < centre[1] else 1
        elif abs(dx) <= config.max_tilt * abs(dy) and abs(dy) >= config.min_piece_share * h:
            outward = 2 if (start[0] + end[0]) / 2 < centre[0] else 3
        else:
            continue
        # Sides lie on the cell's outer edge; straight bits inside are a stroke's detour.
        middle = (start + end) / 2
        edge = (y, y + h - 1, x, x + w - 1)[outward]
        if abs(middle[1 if outward < 2 else 0] - edge) > config.max_line_px:
            continue
        covered += length
        kind_length[outward] += abs(dx) if outward < 2 else abs(dy)
        sides.append((start, end, outward))
    # Straight sides meeting at corners: a top, a bottom, a left and a right one.
    extent = np.array([w, w, h, h])
    if total <= 0 or covered < config.min_side_coverage * total or (kind_length < config.min_side_share * extent).any():
        return None
    return sides


def _holds_ink(contour: np.ndarray, frame: np.ndarray, ink: np.ndarray) -> bool:
    """Whether the hole outlined by contour (a hole of frame) holds ink of another component."""
    x, y, w, h = cv2.boundingRect(contour)
    window = (slice(y, y + h), slice(x, x + w))
    inside = np.zeros((h, w), np.uint8)
    cv2.drawContours(inside, [contour], 0, 1, cv2.FILLED, offset=(-x, -y))
    inside = cv2.erode(inside, np.ones((3, 3), np.uint8))  # off the frame's own outline
    return bool(np.any((inside > 0) & (ink[window] > 0) & (frame[window] == 0)))


# Outward normals by side kind: up, down, left, right.
_OUTWARD = np.array([(0, -1), (0, 1), (-1, 0), (1, 0)])


def _side_ink(ink: np.ndarray, sides: list[tuple[np.ndarray, np.ndarray, int]], config: BoxConfig) -> np.ndarray:
    """uint8 255 where the frame's ink is a side of a cell and not a stroke crossing it.

    ink: uint8 255 = the frame's ink over its window. Horizontal sides go first: where sides
    cross, each would otherwise keep the crossing as a stroke across the other.
    """
    h, w = ink.shape
    bands = [np.zeros_like(ink), np.zeros_like(ink)]  # horizontal sides, vertical sides
    thickest = [0, 0]
    t = np.linspace(0.0, 1.0, config.points_per_side)
    # From two px inside the cell's outline to past the thickest line: the outline of a hole runs
    # along the line's inner edge, give or take the pixel approxPolyDP moved it.
    steps = np.arange(-2, config.max_line_px + 4)
    for start, end, outward in sides:
        normal = _OUTWARD[outward]
        along = start[None, :] + t[:, None] * (end - start)[None, :]
        xs = np.rint(along[:, 0, None] + normal[0] * steps[None, :]).astype(int)
        ys = np.rint(along[:, 1, None] + normal[1] * steps[None, :]).astype(int)
        inside = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)  # past the window: not the frame's ink
        on = (ink[np.clip(ys, 0, h - 1), np.clip(xs, 0, w - 1)] > 0) & inside
        # The line at each point: its first ink walking out, and the run of ink from there; the
        # side's line is the median of those.
        first = np.argmax(on, axis=1)
        after = np.where(np.arange(len(steps))[None, :] >= first[:, None], on, True)
        last = np.where(after.all(axis=1), len(steps), np.argmin(after, axis=1))
        found = on.any(axis=1)
        if not found.any():
            continue
        inner = int(np.median(first[found]))
        thickness = int(np.median((last - first)[found]))
        if thickness < 1 or thickness > config.max_line_px:
            continue
        shift = normal * (steps[inner] + (thickness - 1) / 2)
        a, b = np.rint(start + shift).astype(int), np.rint(end + shift).astype(int)
        kind = 0 if outward < 2 else 1
        cv2.line(bands[kind], (int(a[0]), int(a[1])), (int(b[0]), int(b[1])), 255,
                 thickness + 2 * config.band_margin_px)
        thickest[kind] = max(thickest[kind], thickness)
    removed = np.zeros_like(ink)
    for kind, band in enumerate(bands):
        if not thickest[kind]:
            continue
        stroke_px = thickest[kind] + config.stroke_margin_px
        # Past the image's edge is no ink (OpenCV's default border would extend a side lying
        # along the edge into a long stroke across itself).
        crossing = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(
            cv2.MORPH_RECT, (1, stroke_px) if kind == 0 else (stroke_px, 1)),
            borderType=cv2.BORDER_CONSTANT, borderValue=0)
        side = cv2.bitwise_and(cv2.bitwise_and(band, ink), cv2.bitwise_not(crossing))
        removed = cv2.bitwise_or(removed, side)
        ink = cv2.bitwise_and(ink, cv2.bitwise_not(side))
    return removed
