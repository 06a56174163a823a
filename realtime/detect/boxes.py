"""Detection step 4a, box removal: the printed boxes of a form (one digit per cell), taken out of
the ink mask before the rules are, so a box is never merged with its digit nor read as a '1'.

A printed box is a thin outline around a cell: in the ink mask, a component with a hole whose
outline is straight sides meeting at corners (a rectangle, or the quadrilateral a form turned to
the camera makes of it). A digit touching its box is part of that component: the hole's outline
runs round it, and is read by its convex hull; a digit touching two opposite sides cuts the cell
into holes that are tried together; and the digit's own ink in the cell is what fills it. Its
sides are removed where they are ink no thicker than a printed line, so strokes crossing them
stay. Only outlines with ink in enough of their cells are boxes: a lone
empty rectangle may be a block-letter '0', two stacked empty ones an '8', and a sheet of graph
paper has ink in a few of its squares.
Removing them before rules.py matters: a grid's long lines are rules too, and rules.py would cut
them out between the crossings, leaving the short stretches that read as '1'.

Words used: a *frame* is a component that may be boxes; a *cell* is one of its holes that is
rectangular; a *side* is one straight edge of a cell's outline.
"""

from __future__ import annotations

import functools
import math
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
    # ...and its cells cover at least this share of its box: a row of boxes turned 6 degrees
    # (contoh-pilpres-2019_3_crop2) 0.55; two rules of lined paper closed by the digits touching
    # both (generated hard tier) 0.1-0.2.
    min_cell_cover: float = 0.3
    # A digit touching its box is one component with it: the frame's own ink reaching this many
    # px into a cell (past the hole's outline, inside its convex hull) is a digit in it. A
    # stroke across a 20 px cell is more; an empty cell's outline, straight sides with corners
    # a px or two round, leaves a few (contoh-pilpres-2019_3_crop2: every digit touches a side,
    # no cell held another component's ink, and the boxes stayed, read as '1's).
    min_touching_ink_px: int = 12
    # ...unless that ink crosses one of the cell's sides at this many of its points
    # (points_per_side): a digit on graph paper or lined paper runs across the lines into the
    # squares beside, one in a form touches its box from inside (at 2, squared paper of 24 and
    # 32 px lost 20% of its digits to the lines' removal).
    min_crossings: int = 1
    # Faint printed lines threshold into dashes: gaps up to this long along a line are bridged
    # before the holes are looked for (the removal itself reads the mask as it was).
    bridge_gap_px: int = 5
    # A cell's outline is simplified to straight pieces within this fraction of its perimeter
    # (at least approx_min_px): a pen stroke's wobble is a few px, a printed side none.
    approx_fraction: float = 0.01
    approx_min_px: float = 2.0
    # A side is straight pieces along at least min_side_share of the cell's extent in its direction,
    # within max_tilt (dy/dx or dx/dy) of the axis: forms held up to ~10 degrees off, and the
    # shear a camera at an angle adds (contoh-pilpres-2019_3_crop2: rows rising 0.1, their
    # sides leaning 0.22-0.24; at 0.2 no cell of it was found). A cell has all four: top,
    # bottom, left and right.
    min_side_share: float = 0.5
    # ...made of straight pieces at least min_piece_share of it (a stroke across a side cuts it).
    min_piece_share: float = 0.2
    max_tilt: float = 0.25
    # A cell is mostly sides: at least this share of its simplified outline (a digit touching
    # one side makes a detour the rest of the outline still outweighs).
    min_side_coverage: float = 0.6
    # Printed lines are thin: a side thicker than this is a stroke (a block letter's). 1-3 px
    # at 640 px, but a small form crop scaled up to 640 (kawalc1, 152 px wide) has its outer
    # lines 7-8 px and the lines its cells share 9.
    max_line_px: int = 10
    # A side's thickness is this quantile of the runs of ink across it: along a side a digit
    # touches (a '0' against a cell's divider), the run is the digit's stroke and the line; the
    # median of them placed the side on the digit, and removed a third of a '0' touching it.
    line_quantile: float = 0.25
    # Removed: the side's thickness plus this much each way (the fitted side is within a pixel).
    band_margin_px: int = 1
    # Ink at least the line's thickness plus this thick across the side is a stroke crossing it.
    stroke_margin_px: int = 3
    # Each side's thickness is read at this many evenly spaced points along it.
    points_per_side: int = 16
    # At most this many frames a frame are looked at (the largest): what bounds the work on a
    # frame of texture.
    max_frames: int = 64
    # ...and a frame with more holes than this is texture, not a form: its holes are not tried
    # (what bounds the work on one frame: a speckled desk thresholded into one component held
    # 7,600 holes). A form's frame holds one hole a cell, and a cell of min_cell_px at 640 px
    # leaves room for at most ~2,000 of them, but a form is there to be filled
    # (min_filled_share): this many cells would hold 256 digits, past Settings.max_regions.
    # The real photos' frames hold at most 111 holes.
    max_holes: int = 1024


def remove_boxes(ink_mask: np.ndarray, config: BoxConfig) -> np.ndarray:
    """The ink mask (uint8 255 = ink) without the sides of its printed boxes: `ink_mask`
    itself (the same array) when it holds none to remove."""
    if not config.enabled:
        return ink_mask
    bridged = _bridge_gaps(ink_mask, config)
    # Windows reach past the frame: morphology reads beyond a window's edge as ink.
    pad = config.max_line_px + config.stroke_margin_px + 2
    frames = _outlined_frames(bridged, ink_mask, pad, config)
    if frames is None:
        frames = _labelled_frames(bridged, ink_mask, pad, config)
    kept = ink_mask
    for window, frame in frames or ():
        frame_ink = _FrameInk(ink_mask[window], frame, config)
        sides = _box_sides(frame, ink_mask[window], frame_ink, config)
        if sides:
            kept = ink_mask.copy() if kept is ink_mask else kept
            kept[window] = cv2.bitwise_and(kept[window], cv2.bitwise_not(_side_ink(frame_ink, sides, config)))
    return kept


# A cell's side: start and end (x, y) float points of the cell's outline, and which way it
# faces out of the cell (0 up, 1 down, 2 left, 3 right).
_Side = tuple[np.ndarray, np.ndarray, int]


class _FrameInk:
    """The mask's ink on one frame (not the bridged gaps), and the lines of its cells' sides read
    on it (_side_line), each made once, when first needed: the crossing test (_holds_ink) and the
    removal (_side_ink) read the same sides, and most frames' cells never need the crossings."""

    def __init__(self, ink: np.ndarray, frame: np.ndarray, config: BoxConfig) -> None:
        self._ink, self._frame, self._config = ink, frame, config
        self._image: np.ndarray | None = None
        self._lines: dict[tuple[bytes, bytes, int], tuple[np.ndarray, int, int] | None] = {}

    @property
    def image(self) -> np.ndarray:
        """uint8 255 = the frame's ink, over its window."""
        if self._image is None:
            self._image = cv2.bitwise_and(self._ink, self._ink, mask=self._frame)
        return self._image

    def line(self, side: _Side) -> tuple[np.ndarray, int, int] | None:
        """_side_line of `side` on the frame's ink."""
        start, end, outward = side
        key = (start.tobytes(), end.tobytes(), outward)
        if key not in self._lines:
            self._lines[key] = _side_line(self.image, side, self._config)
        return self._lines[key]


# A possible frame: its window (pad px round its box) and uint8 1 = its pixels there.
_Frame = tuple[tuple[slice, slice], np.ndarray]


def _window(x: int, y: int, w: int, h: int, pad: int, shape: tuple[int, int]) -> tuple[slice, slice]:
    """The box (x, y, w, h) grown by pad px each way, within an image of `shape` (rows, cols)."""
    rows, cols = shape
    return slice(max(0, y - pad), min(rows, y + h + pad)), slice(max(0, x - pad), min(cols, x + w + pad))


def _labelled_frames(bridged: np.ndarray, ink_mask: np.ndarray, pad: int, config: BoxConfig) -> list[_Frame]:
    """Every possible frame (_possible_frames) of the bridged mask, from its labels."""
    count, labels, stats = ink_components(bridged)
    # The fill is the mask's own ink: bridging thickens faint lines and fills the gaps between a
    # box and the digits near its sides (extractor_start_crop1: fill 0.47-0.49 bridged, 0.35-0.38
    # in the mask).
    ink_area = np.bincount(labels[ink_mask > 0].ravel(), minlength=count)
    frames = []
    for label in _possible_frames(stats, ink_area, config):
        window = _window(*stats[label, :4], pad, bridged.shape)
        frames.append((window, (labels[window] == label).astype(np.uint8)))
    return frames


def _outlined_frames(bridged: np.ndarray, ink_mask: np.ndarray, pad: int, config: BoxConfig) -> list[_Frame] | None:
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
    links = hierarchy[0]
    outer = np.flatnonzero(links[:, 3] < 0)
    # The outer outlines' boxes all at once (cv2.boundingRect's: the points' extent), not one
    # call each: a frame of texture has thousands of specks.
    outlines = [contours[i] for i in outer]
    sizes = np.fromiter(map(len, outlines), np.intp, len(outlines))
    points = np.concatenate(outlines).reshape(-1, 2)
    starts = np.cumsum(sizes) - sizes
    x0, y0 = np.minimum.reduceat(points[:, 0], starts), np.minimum.reduceat(points[:, 1], starts)
    w = np.maximum.reduceat(points[:, 0], starts) - x0 + 1
    h = np.maximum.reduceat(points[:, 1], starts) - y0 + 1
    fits = np.flatnonzero((w >= config.min_cell_px + 2) & (h >= config.min_cell_px + 2))
    large = [(outlines[k], int(links[outer[k], 2]), (int(x0[k]), int(y0[k]), int(w[k]), int(h[k])))
             for k in fits.tolist()]
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
        cv2.floodFill(pixels, filled, (int(contour[0, 0, 0]) - window[1].start,
                                       int(contour[0, 0, 1]) - window[0].start), 0,
                      flags=8 | (1 << 8) | cv2.FLOODFILL_MASK_ONLY)
        frame = filled[1:-1, 1:-1]
        # The fill is the mask's own ink within the component (as _labelled_frames counts it).
        if np.count_nonzero(ink_mask[window][frame > 0]) <= config.max_fill * w * h:
            frames.append((window, frame.copy()))
    return frames


def _bridge_gaps(ink_mask: np.ndarray, config: BoxConfig) -> np.ndarray:
    """The mask with gaps of up to bridge_gap_px along rows and along columns closed."""
    side = config.bridge_gap_px + 1
    across = cv2.morphologyEx(ink_mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (side, 1)))
    down = cv2.morphologyEx(ink_mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, side)))
    return cv2.bitwise_or(across, down)


def _possible_frames(stats: np.ndarray, ink_area: np.ndarray, config: BoxConfig) -> np.ndarray:
    """Labels of the components big enough to hold a cell and sparse enough to be outlines,
    the largest max_frames of them. stats: of the bridged mask's components; ink_area: (count,)
    px of the mask's ink in each."""
    w, h, area = stats[1:, 2], stats[1:, 3], ink_area[1:]
    fits = (w >= config.min_cell_px + 2) & (h >= config.min_cell_px + 2) & (area <= config.max_fill * w * h)
    labels = 1 + np.flatnonzero(fits)
    return labels[np.argsort(-area[labels - 1], kind="stable")[:config.max_frames]]


def _box_sides(frame: np.ndarray, ink: np.ndarray, frame_ink: _FrameInk, config: BoxConfig) -> list[_Side]:
    """The sides of the frame's cells, if enough of them hold ink (min_filled_share): (start, end, outward),
    start and end (x, y) float points of the cell's outline, outward which way the side faces
    out of the cell (0 up, 1 down, 2 left, 3 right). frame: uint8 1 = the frame's pixels; ink:
    the ink mask over the same window."""
    contours, hierarchy = cv2.findContours(frame, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    if hierarchy is None:
        return []
    holes = [contours[i] for i in np.flatnonzero(hierarchy[0][:, 3] >= 0)]  # an outer outline has no parent
    if len(holes) > config.max_holes:
        return []
    sides: list[_Side] = []
    cells = filled = 0
    cell_area = 0.0
    rest = []
    for contour in holes:
        cell_sides = _cell_sides(contour, config)
        if cell_sides is None:
            rest.append(contour)
            continue
        sides += cell_sides
        cells += 1
        filled += _holds_ink([contour], cell_sides, frame, ink, frame_ink, config)
        cell_area += cv2.contourArea(cv2.convexHull(contour))
    # A digit touching two opposite sides of its cell cuts it into holes none of which is a
    # cell ('5' in adamzev extractor_start_crop1, '5' and '8' in contoh-pilpres-2019_3_crop2):
    # neighbouring holes that are not cells are tried together.
    for group in _neighbouring(rest, config):
        cell_sides = _cell_sides(np.vstack(group), config)
        if cell_sides is None:
            continue
        sides += cell_sides
        cells += 1
        filled += _holds_ink(group, cell_sides, frame, ink, frame_ink, config)
        cell_area += cv2.contourArea(cv2.convexHull(np.vstack(group)))
    # Boxes are most of their frame; digits touching two rules of lined paper close a few holes
    # between them, in a frame as wide as the page.
    _, _, frame_w, frame_h = cv2.boundingRect(frame)
    if cell_area < config.min_cell_cover * frame_w * frame_h:
        return []
    return sides if filled and filled >= config.min_filled_share * cells else []


def _neighbouring(holes: list[np.ndarray], config: BoxConfig) -> list[list[np.ndarray]]:
    """The holes in groups of two or more that lie side by side: boxes at most max_line_px apart
    one way and overlapping by at least half the smaller one's extent the other way (the pieces
    of one cell a digit cuts across)."""
    if len(holes) < 2:
        return []
    boxes = np.array([cv2.boundingRect(hole) for hole in holes], np.int64)
    parent = list(range(len(holes)))
    for i, j in zip(*_near_pairs(boxes, config.max_line_px), strict=True):
        parent[_root(parent, i)] = _root(parent, j)
    groups: dict[int, list[np.ndarray]] = {}
    for i, hole in enumerate(holes):
        groups.setdefault(_root(parent, i), []).append(hole)
    return [group for group in groups.values() if len(group) > 1]


def _near_pairs(boxes: np.ndarray, max_gap: int) -> tuple[np.ndarray, np.ndarray]:
    """(i, j), i < j, of the boxes ((N, 4) int64 x, y, w, h) at most max_gap apart one way and
    overlapping by at least half the smaller one's extent the other way.

    Such boxes are at most max_gap apart along x: each box is weighed only against those that
    start within its width plus max_gap after its own start (by starts along x), not against
    all N (a frame of texture holds thousands of holes: N x N pairs cost seconds).
    """
    x, y, w, h = boxes.T
    order = np.argsort(x, kind="stable")
    starts = x[order]
    # Box order[k] against order[k + 1 .. reach[k] - 1].
    reach = np.searchsorted(starts, starts + w[order] + max_gap, side="right")
    counts = reach - np.arange(1, len(order) + 1)
    first = np.repeat(np.arange(len(order)), counts)
    second = first + 1 + (np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts))
    a, b = order[first], order[second]
    gap_x = np.maximum(x[a], x[b]) - np.minimum(x[a] + w[a], x[b] + w[b])
    gap_y = np.maximum(y[a], y[b]) - np.minimum(y[a] + h[a], y[b] + h[b])
    beside = (gap_x <= max_gap) & (-gap_y >= 0.5 * np.minimum(h[a], h[b]))
    above = (gap_y <= max_gap) & (-gap_x >= 0.5 * np.minimum(w[a], w[b]))
    near = beside | above
    i, j = np.minimum(a, b)[near], np.maximum(a, b)[near]
    # In the order the full pair matrix's nonzeros came (row by row): the same unions, in turn.
    pairs = np.lexsort((j, i))
    return i[pairs], j[pairs]


def _root(parent: list[int], i: int) -> int:
    """Union-find: the root of i's set, halving the path on the way."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _cell_sides(contour: np.ndarray, config: BoxConfig) -> list[_Side] | None:
    """A hole's sides when it is a cell (straight sides along the axes covering most of its
    outline), else None.

    Read on the hole's convex hull: a digit touching its box is part of the frame, and the
    hole's outline runs round it (a '0' against a cell's side, a '6' along it); the hull
    bridges that detour along the side the digit touches.
    """
    x, y, w, h = cv2.boundingRect(contour)
    if w < config.min_cell_px or h < config.min_cell_px:
        return None
    contour = cv2.convexHull(contour)
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


def _holds_ink(holes: list[np.ndarray], sides: list[_Side], frame: np.ndarray, ink: np.ndarray,
               frame_ink: _FrameInk, config: BoxConfig) -> bool:
    """Whether the cell made of `holes` (holes of frame: one, or the pieces a digit cut it into)
    holds ink: another component's in a hole, or the frame's own reaching into the cell and not
    across its sides (a digit touching its box is part of the frame, and the holes' outlines
    run round it: what their convex hull covers and they do not; on graph paper a digit
    crosses the lines, and its ink reaches into every square it passes). frame_ink: the
    frame's ink, what the crossings are read on."""
    x, y, w, h = cv2.boundingRect(np.vstack(holes))
    window = (slice(y, y + h), slice(x, x + w))
    inside = np.zeros((h, w), np.uint8)
    cv2.drawContours(inside, holes, -1, 1, cv2.FILLED, offset=(-x, -y))
    erode = np.ones((3, 3), np.uint8)  # off the frame's own outline
    if np.any((cv2.erode(inside, erode) > 0) & (ink[window] > 0) & (frame[window] == 0)):
        return True
    hull = np.zeros((h, w), np.uint8)
    cv2.drawContours(hull, [cv2.convexHull(np.vstack(holes))], 0, 1, cv2.FILLED, offset=(-x, -y))
    reaching = (cv2.erode(hull, erode) > 0) & (inside == 0) & (frame[window] > 0)
    if np.count_nonzero(reaching) < config.min_touching_ink_px:
        return False
    return not any(_crossings(frame_ink, side, config) >= config.min_crossings for side in sides)


def _side_line(ink: np.ndarray, side: _Side,
               config: BoxConfig) -> tuple[np.ndarray, int, int] | None:
    """(on, inner, thickness) of a cell's side, or None when no ink is found along it: on is
    (points_per_side, S) bool, ink at each point walking out from two px inside the cell's
    outline (step k is k - 2 px out); the side's line starts inner steps out and is thickness
    px thick. ink: uint8, nonzero = ink, over the frame's window."""
    start, end, outward = side
    h, w = ink.shape
    t, steps = _walk(config.points_per_side, config.max_line_px)
    normal = _OUTWARD[outward]
    along = start[None, :] + t[:, None] * (end - start)[None, :]
    xs = np.rint(along[:, 0, None] + normal[0] * steps[None, :]).astype(int)
    ys = np.rint(along[:, 1, None] + normal[1] * steps[None, :]).astype(int)
    inside = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)  # past the window: not the frame's ink
    on = (ink[np.minimum(np.maximum(ys, 0), h - 1), np.minimum(np.maximum(xs, 0), w - 1)] > 0) & inside
    # The line at each point: its first ink walking out, and the run of ink from there. The
    # side's line is as thick as the thinner runs (line_quantile), and lies where those runs
    # start (their median): a digit touching the side, from either cell, lengthens the runs
    # along it, and its stroke is not the line.
    first = np.argmax(on, axis=1)
    after = np.where(np.arange(len(steps))[None, :] >= first[:, None], on, True)
    last = np.where(after.all(axis=1), len(steps), np.argmin(after, axis=1))
    found = on.any(axis=1)
    if not found.any():
        return None
    runs = last - first
    thickness = int(_linear_quantile(np.sort(runs[found]).tolist(), config.line_quantile))
    inner = _median_floor(np.sort(first[found & (runs <= thickness + 1)]).tolist())
    return on, inner, thickness


@functools.cache
def _walk(points_per_side: int, max_line_px: int) -> tuple[np.ndarray, np.ndarray]:
    """_side_line's points along a side (shares of its length) and steps out across it (px
    from two inside the cell's outline to past the thickest line), made once per config."""
    return np.linspace(0.0, 1.0, points_per_side), np.arange(-2, max_line_px + 4)


def _linear_quantile(values: list[int], q: float) -> float:
    """np.quantile(values, q) (its default linear method, the same float operations) of a few
    sorted whole numbers: np.quantile's own overhead was a third of a side's reading."""
    n = len(values)
    virtual = q * (n - 1)
    below = min(max(math.floor(virtual), 0), n - 1)
    above = min(below + 1, n - 1)
    gamma = virtual - below
    low, high = values[below], values[above]
    return high - (high - low) * (1 - gamma) if gamma >= 0.5 else low + (high - low) * gamma


def _median_floor(values: list[int]) -> int:
    """int(np.median(values)) of a few sorted non-negative whole numbers (the mean of the two
    middle ones, truncated)."""
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) // 2


def _crossings(frame_ink: _FrameInk, side: _Side, config: BoxConfig) -> int:
    """How many of the side's points have ink running from inside the cell across the line to
    stroke_margin_px past it (a stroke through the side, not one touching it from inside)."""
    line = frame_ink.line(side)
    if line is None:
        return 0
    on, inner, thickness = line
    beyond = inner + thickness + config.stroke_margin_px  # well past the line's outer edge
    if beyond >= on.shape[1]:
        return 0
    return int(np.count_nonzero(on[:, :beyond + 1].all(axis=1)))


# Outward normals by side kind: up, down, left, right.
_OUTWARD = np.array([(0, -1), (0, 1), (-1, 0), (1, 0)])


def _side_ink(frame_ink: _FrameInk, sides: list[_Side], config: BoxConfig) -> np.ndarray:
    """uint8 255 where the frame's ink is a side of a cell and not a stroke crossing it.

    Horizontal sides go first: where sides cross, each would otherwise keep the crossing as a
    stroke across the other.
    """
    ink = frame_ink.image
    bands = [np.zeros_like(ink), np.zeros_like(ink)]  # horizontal sides, vertical sides
    thickest = [0, 0]
    _, steps = _walk(config.points_per_side, config.max_line_px)  # as _side_line walks
    for start, end, outward in sides:
        line = frame_ink.line((start, end, outward))
        if line is None:
            continue
        _, inner, thickness = line
        if thickness < 1 or thickness > config.max_line_px:
            continue
        shift = _OUTWARD[outward] * (steps[inner] + (thickness - 1) / 2)
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
