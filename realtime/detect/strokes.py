"""Detection step 5, strokes: components grouped into digits.

The pieces of a digit whose stroke broke (a pen lift, a rule cut out across it) are merged back by
their box geometry, except into a frame around them (a box, a sheet's edge band: a piece whose
ink runs along its own box, with room round what it encloses); groups too wide to be a digit
are tried again with their thin horizontal lines cut (what is left of a rule in a dim corner
strings digits together).

Words used: a *piece* is one component label; a candidate's *members* are the pieces it is made of.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

from realtime.detect.candidates import Candidates
from realtime.detect.components import Components


@dataclass(frozen=True)
class StrokeConfig:
    """Which components are pieces, when pieces are one digit, and how wide groups are cut."""

    # Pieces considered for merging: components this small (px of area) are specks.
    min_piece_area_px: int = 4
    max_pieces: int = 400
    # merge=False: every piece is a candidate of its own.
    merge: bool = True
    # Two pieces are one digit when they overlap horizontally by this fraction of the narrower one
    # and the vertical gap is under this fraction of the taller one (a '5' whose bar broke off).
    merge_min_x_overlap: float = 0.5
    merge_max_y_gap: float = 0.25
    # ...and a piece whose box is under merge_small_area of the other's, at least
    # merge_min_piece_height of its height (not a speck), within merge_near_gap of its height.
    merge_small_area: float = 0.35
    merge_min_piece_height: float = 0.15
    merge_near_gap: float = 0.1
    # ...the bigger one being most of a digit: at most merge_max_aspect (below) times as tall as
    # it is wide. A tall thin stroke (a chalk bracket round a matrix, 05_blackboard_crop1: 422 px
    # tall, 81 wide) has its box reach past digits its ink is far from, and a reach of 0.1 of its
    # height is 42 px: every digit of the column beside it joined it and the union was dropped.
    # Merging is repeated on the merged boxes, so a digit cut in three (by a rule and a pen
    # lift) comes back whole.
    merge_rounds: int = 3
    # Merging joins pieces of one digit, never whole digits: a column join whose union is more
    # than merge_max_growth times the taller piece's height must still be a digit's height (at
    # most merge_max_typical times the typical height: the typical_quantile of the heights of
    # the larger half of the pieces, by ink; high, since rules may cut every digit in halves)
    # or a digit's shape (at most merge_max_aspect tall for its width). Two
    # halves of a digit cut by a rule make one digit-sized box; two digits written one above the
    # other make a box twice too tall.
    merge_max_growth: float = 1.5
    merge_max_typical: float = 1.5
    merge_max_aspect: float = 2.5
    typical_quantile: float = 0.9
    # Nor does a chain of joins (each pair small enough) grow a group past one digit: a union
    # more than merge_max_group_typical times the typical height either way, and past
    # merge_max_growth times the box of its largest piece, is not made (_GroupBounds). Wild
    # tier, 100 scenes: 902 -> 922 of 1000 digits found (1.5 lost 5 tall digits broken in
    # pieces that 2.5 keeps; 3.0 the same as 2.5); real photos at 640, cnn CER 0.135 -> 0.125.
    merge_max_group_typical: float = 2.5
    # ...unless the pieces are at most cut_gap_px apart: what a removed rule or a pen lift leaves
    # (rules are at most 6 px thick, RuleConfig), not the space between two written digits.
    cut_gap_px: int = 6
    # Those escapes (a union past merge_max_growth of the taller piece that is still a digit's
    # height, shape or a cut's gap apart) are what two whole digits written one above the other
    # also pass: a 0 and a 3 of 30x42, 6 px apart and offset as a right-aligned column is, make
    # a 46x91 box, "digit-shaped". What tells the two apart is the gap's ink: a stroke broken by
    # the threshold, the ink cores or a removed rule still crosses its gap at a lower contrast
    # (a rule's own ink, a faint stretch of pencil), two digits have bare paper between them.
    # With a contrast image (merge_broken_strokes' ink), such a stacked join needs a path of
    # pixels at least bridge_offset above their paper across the gap, within the pieces'
    # overlap: half the threshold's offset (ThresholdConfig.offset), above a blurred frame's
    # noise (sigma under 3) and below any stroke's faint stretch. synth column (50 scenes):
    # recall 90 -> 98%. A bare gap of at most pen_lift_px needs no bridge: a pen lifted and set
    # down again (MNIST's own 5s and 7s, their bar or stem 1-5 px off the rest), nor one no
    # wider than the strokes either side of it (a marker's 5 cut by 8 px of paper, its strokes
    # 12 px wide); digits in a column stood 6-17 px apart, their strokes 3-6 px wide.
    bridges: bool = True
    bridge_offset: int = 6
    pen_lift_px: int = 5
    # A frame never absorbs what it encloses: a piece whose box lies inside a bigger piece's box
    # with none of that piece's ink within frame_clearance of its own height (at least
    # cut_gap_px) around it sits in an empty interior (a box on a form, the band a bright desk
    # leaves along the sheet's edge, an L of dark border) and is not part of it. Pieces of one
    # digit touch or nearly touch (a pen lift, a rule's width); forms leave room round a digit.
    # The groups each merge round makes are judged so too (a sheet's edge band thresholds as
    # dashes, which chain into an L or a ring round the digits), and kept apart for good.
    frames: bool = True
    frame_clearance: float = 0.15
    # A frame's ink runs along its own box (a box's sides, a sheet's edge, an L of border): at
    # least frame_min_border_share of it within frame_border of the box's shorter side (at
    # least cut_gap_px) of the box's edges. A drawing's outline (a sketch, a big loop) touches
    # its box at a few points only, and what it encloses stays with it.
    frame_min_border_share: float = 0.5
    frame_border: float = 0.1
    # split=False: candidates too wide to be a digit are dropped, not cut.
    split: bool = True
    # Regions too wide to be a digit are tried again with their thin horizontal lines cut: ink at
    # most thin_line_px thick across; at most max_split_regions such regions a frame.
    thin_line_px: int = 3
    max_split_regions: int = 8
    # ...and only when what the cut takes away is rules: at least min_rule_share of its pixels
    # in a band thin_line_px + 1 px wide (a rule and a pixel of slope between the steps) along
    # one straight line sloping by at most rule_max_slope (a sheet turned by up to ~8 degrees, as
    # RuleConfig.max_slope admits; tried in steps of rule_slope_step), or in pieces at least
    # rule_aspect times as wide as tall (the stretches of several rules across a ruled page's
    # boxes). What rules string together is digits; a word written in one stroke is cut at its
    # joins, which rise, at every height. Real photos at 640: forms' rule remnants 0.60-1.0 in
    # the band, cursive and printed words 0.25-0.42; 0.0-0.31 of words in wide pieces.
    min_rule_share: float = 0.5
    rule_max_slope: float = 0.15
    rule_slope_step: float = 0.01
    rule_aspect: float = 4.0


def pieces_worth_merging(components: Components, config: StrokeConfig) -> np.ndarray:
    """Component labels worth considering (not background, not specks), largest first when
    capped at max_pieces."""
    areas = components.areas[1:components.count]
    pieces = 1 + np.flatnonzero(areas >= config.min_piece_area_px)
    if len(pieces) > config.max_pieces:
        pieces = pieces[np.argsort(-components.areas[pieces], kind="stable")[:config.max_pieces]]
    return pieces


class StrokeInk(NamedTuple):
    """What the gaps between pieces are read on: labels, (H, W) the component labels (Components
    .labels) the pieces are; contrast, (H, W) uint8 how far each pixel stands above its paper
    (threshold.local_contrast of the ink-bright image)."""

    labels: np.ndarray
    contrast: np.ndarray


def merge_broken_strokes(stats: np.ndarray, pieces: np.ndarray, config: StrokeConfig,
                         apart: np.ndarray | None = None, ink: StrokeInk | None = None,
                         typical: float | None = None) -> Candidates:
    """The pieces (component labels) grouped into digits, one candidate per group.

    stats: (count, 5) Components.stats the labels index; apart: (N, N) bool over the pieces,
    pairs that must never end up in one group (enclosed_by_frames), or None; ink: the labels and
    contrast the gaps of stacked joins are read on (bridged), or None: joined by boxes alone;
    typical: a whole digit's height (typical_height) on the view these pieces are a window of
    (context.ViewContext), or None: read on the pieces themselves.
    """
    members = [[int(label)] for label in pieces]
    candidates = Candidates.from_members(stats, members)
    if not config.merge:
        return candidates
    boxes = candidates.boxes
    if typical is None:
        typical = typical_height(candidates, config)
    index = {int(label): k for k, label in enumerate(pieces)}
    union = _GroupBounds(boxes, stats[pieces], typical, config)
    for _ in range(config.merge_rounds):
        joined = np.triu(belong_together(boxes, candidates.ink_area, typical, config), k=1)
        if ink is not None and config.bridges:
            first, second = np.nonzero(joined)
            stacked = stacked_joins(boxes[first], boxes[second], typical, config)
            for i, j in zip(first[stacked], second[stacked], strict=True):
                joined[i, j] = bridged(ink, members[i], members[j], boxes[i], boxes[j], config)
        if ink is not None and config.frames:
            framed = _framed_groups(ink.labels, stats, members, boxes, joined, config)
            if framed.any():
                # Kept apart for good: the band must not absorb them through a third piece,
                # nor in a later round once what else it took in hides that it is a frame.
                apart = np.zeros((len(pieces), len(pieces)), bool) if apart is None else apart.copy()
                for i, j in zip(*np.nonzero(np.triu(framed)), strict=True):
                    apart[np.ix_([index[label] for label in members[i]], [index[label] for label in members[j]])] = True
                joined &= ~framed
        if not joined.any():
            break
        # Groups that hold a pair of pieces apart never join, not even through a third piece
        # near both (a speck left on a box line, beside its digit).
        kept_apart = (_groups_apart(members, index, apart) if apart is not None and apart.any() else None)
        parent = list(range(len(members)))
        for i, j in zip(*np.nonzero(joined), strict=True):
            root_i, root_j = _root(parent, i), _root(parent, j)
            if root_i == root_j or not union.may_join(root_i, root_j):
                continue
            if kept_apart is not None:
                if kept_apart[root_i, root_j]:
                    continue
                kept_apart[root_j] |= kept_apart[root_i]
                kept_apart[:, root_j] |= kept_apart[:, root_i]
            union.join(root_i, root_j)
            parent[root_i] = root_j
        merged: dict[int, list[int]] = {}
        for i, member in enumerate(members):
            merged.setdefault(_root(parent, i), []).extend(member)
        members = list(merged.values())
        union.keep(list(merged))
        candidates = Candidates.from_members(stats, members)
        boxes = candidates.boxes
    return candidates


class _GroupBounds:
    """The boxes of the merge's groups as they grow (union-find roots within a round) and the
    largest piece of each: belong_together judges pairs, but a round joins every joined pair at
    once, and a chain of pairs each small enough (desk grain, dashes of a rule, one next to the
    other) made one group across the whole frame, which then took in every digit in it (a ruled
    sheet of boxes on a textured desk: 0 of 10 digits found). A join whose union would be larger
    than one digit can be (may_join) is not made. Python lists: a round asks about each joined
    pair, one at a time."""

    def __init__(self, boxes: np.ndarray, piece_stats: np.ndarray, typical: float, config: StrokeConfig):
        """boxes, piece_stats: (N, 4) and (N, 5) of the pieces, each its own group."""
        self.x0, self.y0 = boxes[:, 0].tolist(), boxes[:, 1].tolist()
        self.x1, self.y1 = (boxes[:, 0] + boxes[:, 2]).tolist(), (boxes[:, 1] + boxes[:, 3]).tolist()
        self.largest = piece_stats[:, [cv2.CC_STAT_AREA, cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT]].tolist()
        self.typical_px = config.merge_max_group_typical * typical
        self.growth = config.merge_max_growth

    def may_join(self, i: int, j: int) -> bool:
        """Whether groups i and j (roots) together are still no larger than one digit: at most
        merge_max_group_typical of the typical height either way, or within merge_max_growth of
        the box of the largest piece of one of them (a big digit broken in two on a page of small
        ones; one piece's box, so that a long band of desk and a tall one, each a piece, do not
        grant an L both their lengths)."""
        width = max(self.x1[i], self.x1[j]) - min(self.x0[i], self.x0[j])
        height = max(self.y1[i], self.y1[j]) - min(self.y0[i], self.y0[j])
        return any(width <= max(self.typical_px, self.growth * self.largest[k][1])
                   and height <= max(self.typical_px, self.growth * self.largest[k][2]) for k in (i, j))

    def join(self, i: int, j: int) -> None:
        """Group i joins group j (j stays the root)."""
        self.x0[j], self.y0[j] = min(self.x0[i], self.x0[j]), min(self.y0[i], self.y0[j])
        self.x1[j], self.y1[j] = max(self.x1[i], self.x1[j]), max(self.y1[i], self.y1[j])
        self.largest[j] = max(self.largest[i], self.largest[j])  # [area, w, h]: by area

    def keep(self, roots: list[int]) -> None:
        """The groups are now the roots, in this order (a round's end)."""
        for name in ("x0", "y0", "x1", "y1", "largest"):
            values = getattr(self, name)
            setattr(self, name, [values[k] for k in roots])


def _groups_apart(members: list[list[int]], index: dict[int, int], apart: np.ndarray) -> np.ndarray:
    """(G, G) bool: groups holding a pair of pieces that are apart.

    Read over the pieces in some apart pair only (a few of a wild frame's hundreds): the
    others add nothing to any sum, and the (G, N) @ (N, N) products over all N pieces cost a
    millisecond a round."""
    involved = np.flatnonzero(apart.any(axis=0) | apart.any(axis=1))
    column = np.full(len(index), -1)
    column[involved] = np.arange(len(involved))
    membership = np.zeros((len(members), len(involved)), np.float32)
    for g, member in enumerate(members):
        at = column[[index[label] for label in member]]
        membership[g, at[at >= 0]] = 1
    pairs = apart[np.ix_(involved, involved)].astype(np.float32)
    return (membership @ (pairs + pairs.T) @ membership.T) > 0


def enclosed_by_frames(components: Components, pieces: np.ndarray, config: StrokeConfig) -> np.ndarray | None:
    """(N, N) bool over the pieces (component labels): [i, j] when piece i lies in piece j's
    empty interior (its box inside j's, none of j's ink near it); None when frames=False.

    Box containment alone is cheap and rare; only those pairs have j's pixels read, in i's box
    grown by frame_clearance of i's height.
    """
    if not config.frames or not len(pieces):
        return None
    x, y, w, h = components.stats[pieces, :4].T.astype(np.int64)
    inside = ((x[:, None] >= x[None, :]) & (y[:, None] >= y[None, :]) & ((x + w)[:, None] <= (x + w)[None, :])
              & ((y + h)[:, None] <= (y + h)[None, :]) & ((w * h)[:, None] < (w * h)[None, :]))
    apart = np.zeros_like(inside)
    labels = components.labels
    rows, cols = labels.shape
    framed = {int(j): _along_its_box(labels, pieces[j], components.stats[pieces[j]], config)
              for j in np.flatnonzero(inside.any(axis=0))}
    for i, j in zip(*np.nonzero(inside), strict=True):
        if not framed[int(j)]:
            continue
        pad = max(int(np.ceil(config.frame_clearance * h[i])), config.cut_gap_px)
        window = labels[max(0, y[i] - pad):min(rows, y[i] + h[i] + pad),
                        max(0, x[i] - pad):min(cols, x[i] + w[i] + pad)]
        apart[i, j] = not np.any(window == pieces[j])
    return apart


def _framed_groups(labels: np.ndarray, stats: np.ndarray, members: list[list[int]], boxes: np.ndarray,
                   joined: np.ndarray, config: StrokeConfig) -> np.ndarray:
    """(N, N) bool over the groups: the joined pairs where one group lies in the other's empty
    interior, the bigger one a frame (its ink along its box, _along_its_box), none of its ink
    within frame_clearance of the smaller's height around it. enclosed_by_frames judges single
    pieces; this judges the groups a round has made: a sheet's edge thresholded as a dashed band
    is many pieces, which chain into an L or a ring round the sheet whose box then holds every
    digit (column-joined, as a box inside another is), however far its ink is from them.
    Only joined pairs with one box inside the other are read (rare, and cheap to list)."""
    x, y, w, h = boxes.T.astype(np.int64)
    first, second = np.nonzero(joined | joined.T)  # the joined pairs both ways, (P,) each
    inside = ((x[first] >= x[second]) & (y[first] >= y[second]) & ((x + w)[first] <= (x + w)[second])
              & ((y + h)[first] <= (y + h)[second]) & ((w * h)[first] < (w * h)[second]))
    drop = np.zeros_like(joined)
    if not inside.any():
        return drop
    rows, cols = labels.shape
    lut = np.zeros(len(stats), bool)
    # By the enclosing group (a stable sort: each pair's outcome is its own): its look-up and
    # whether it is a frame are made once for all the groups inside it.
    outer = second[inside]
    order = np.argsort(outer, kind="stable")
    last = -1
    framed = False
    for i, j in zip(first[inside][order], outer[order], strict=True):
        if j != last:
            last = j
            lut[:] = False
            lut[members[j]] = True
            framed = _along_edges(lut[labels[y[j]:y[j] + h[j], x[j]:x[j] + w[j]]], config)
        if not framed:
            continue
        pad = max(int(np.ceil(config.frame_clearance * h[i])), config.cut_gap_px)
        window = labels[max(0, y[i] - pad):min(rows, y[i] + h[i] + pad),
                        max(0, x[i] - pad):min(cols, x[i] + w[i] + pad)]
        if not lut[window].any():
            drop[i, j] = drop[j, i] = True
    return drop


def _along_its_box(labels: np.ndarray, label: int, stats_row: np.ndarray, config: StrokeConfig) -> bool:
    """Whether most of the component's ink lies along the edges of its box (_along_edges)."""
    x, y, w, h = (int(v) for v in stats_row[:4])
    return _along_edges(labels[y:y + h, x:x + w] == label, config)


def _along_edges(ink: np.ndarray, config: StrokeConfig) -> bool:
    """Whether most of `ink` ((h, w) bool: a piece's or a group's ink in its box) lies within
    frame_border of the box's shorter side (at least cut_gap_px) of its edges."""
    h, w = ink.shape
    band = max(config.cut_gap_px, int(np.ceil(config.frame_border * min(w, h))))
    if 2 * band >= min(w, h):
        return False  # no interior
    area = np.count_nonzero(ink)
    inner = np.count_nonzero(ink[band:h - band, band:w - band])
    return area - inner >= config.frame_min_border_share * area


def _root(parent: list[int], i: int) -> int:
    """Union-find: the root of i's set, halving the path on the way."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def typical_height(pieces: Candidates, config: StrokeConfig) -> float:
    """The height of a whole digit here: a high quantile of the heights of the larger half of
    the pieces by ink (the smaller half are broken-off bits and specks)."""
    return _typical(pieces.boxes[:, 3], pieces.ink_area, config)


def pieces_typical_height(stats: np.ndarray, pieces: np.ndarray, config: StrokeConfig) -> float:
    """typical_height of the pieces (component labels, Components.stats), each on its own."""
    return _typical(stats[pieces, cv2.CC_STAT_HEIGHT], stats[pieces, cv2.CC_STAT_AREA], config)


def _typical(heights: np.ndarray, ink_area: np.ndarray, config: StrokeConfig) -> float:
    if not len(heights):
        return 0.0
    larger = ink_area >= np.median(ink_area)
    return float(np.quantile(heights[larger], config.typical_quantile))


def stacked_joins(boxes_a: np.ndarray, boxes_b: np.ndarray, typical: float, config: StrokeConfig) -> np.ndarray:
    """(P,) bool: pairs of boxes (boxes_a[p] with boxes_b[p], each (P, 4) x, y, w, h) that
    belong_together may join only by its escapes, and whose union could still be one digit: one
    above the other with a gap, their union past merge_max_growth of the taller but not past
    merge_max_typical of the typical height both ways, and not a small piece right beside a big
    one (beside). Whole digits in a column are such pairs; a broken-off bar is not, nor two lines
    of handwriting (their union is no digit either way, and the shape filter drops it). Pairs,
    not every (N, N) pair: only those belong_together joined are asked about."""
    xa, ya, wa, ha = boxes_a.T
    xb, yb, wb, hb = boxes_b.T
    y_gap = np.maximum(ya, yb) - np.minimum(ya + ha, yb + hb)
    taller = np.maximum(ha, hb)
    union_w = np.maximum(xa + wa, xb + wb) - np.minimum(xa, xb)
    union_h = np.maximum(ya + ha, yb + hb) - np.minimum(ya, yb)
    largest = config.merge_max_typical * typical
    one_digit_or_two = ~((union_w > largest) & (union_h > largest))
    return ((y_gap > 0) & (union_h > config.merge_max_growth * taller) & one_digit_or_two
            & ~_beside(boxes_a.T, boxes_b.T, config))


def bridged(ink: StrokeInk, upper_members, lower_members, box_a: np.ndarray, box_b: np.ndarray,
            config: StrokeConfig) -> bool:
    """Whether ink at least bridge_offset above its paper crosses the gap between two groups of
    pieces one above the other (8-connected, between the upper group's last row and the lower
    group's first, within their boxes' columns), from the upper group's ink to the lower's; or
    the gap is a pen lift's (at most pen_lift_px, or no wider than the strokes either side)."""
    (xa, ya, wa, ha), (xb, yb, wb, hb) = (tuple(int(v) for v in box) for box in (box_a, box_b))
    if ya > yb:
        (xa, ya, wa, ha), (xb, yb, wb, hb) = (xb, yb, wb, hb), (xa, ya, wa, ha)
        upper_members, lower_members = lower_members, upper_members
    top, bottom = ya + ha - 1, yb  # the upper group's last row, the lower group's first
    gap = bottom - top - 1
    if gap <= config.pen_lift_px:
        return True
    # Across both boxes: a stroke may cross the gap aslant, and a group's last row may hold its
    # ink outside the boxes' overlap only.
    x0, x1 = min(xa, xb), max(xa + wa, xb + wb)
    upper_end = slice(max(ya, top - gap), top + 1)  # as many rows as the gap, either side of it
    lower_end = slice(bottom, min(yb + hb, bottom + gap + 1))
    if (gap <= _stroke_width(ink.labels, upper_members, upper_end, slice(x0, x1))
            and gap <= _stroke_width(ink.labels, lower_members, lower_end, slice(x0, x1))):
        return True  # a bare gap no wider than the strokes either side of it: a broad pen's lift
    window = (slice(top, bottom + 1), slice(x0, x1))
    labels = ink.labels[window]
    weak = (ink.contrast[window] >= config.bridge_offset).astype(np.uint8)
    start = np.isin(labels[0], upper_members) & (weak[0] > 0)
    end = np.isin(labels[-1], lower_members) & (weak[-1] > 0)
    if not start.any() or not end.any():
        return False
    _, paths = cv2.connectedComponents(weak, connectivity=8)
    return bool(np.intersect1d(paths[0][start], paths[-1][end]).size)


def _stroke_width(labels: np.ndarray, members, rows: slice, cols: slice) -> float:
    """The widest stroke (px: twice the largest distance to the paper) of the members' ink in
    labels[rows, cols]."""
    ink = np.isin(labels[rows, cols], members).astype(np.uint8)
    if not ink.any():
        return 0.0
    ink = cv2.copyMakeBorder(ink, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    return 2.0 * float(cv2.distanceTransform(ink, cv2.DIST_L2, 3).max())


def belong_together(boxes: np.ndarray, ink_area: np.ndarray, typical: float, config: StrokeConfig) -> np.ndarray:
    """(N, N) bool: boxes ((N, 4) x, y, w, h; ink_area (N,) px of ink in each) that are parts
    of one digit, on a page whose whole digits are about typical px tall."""
    x, y, w, h = boxes.T
    x_overlap = np.minimum((x + w)[:, None], (x + w)[None, :]) - np.maximum(x[:, None], x[None, :])
    y_gap = np.maximum(y[:, None], y[None, :]) - np.minimum((y + h)[:, None], (y + h)[None, :])
    narrower = np.minimum(w[:, None], w[None, :])
    taller = np.maximum(h[:, None], h[None, :])
    column = (x_overlap >= config.merge_min_x_overlap * narrower) & (y_gap <= config.merge_max_y_gap * taller)
    union_w = np.maximum((x + w)[:, None], (x + w)[None, :]) - np.minimum(x[:, None], x[None, :])
    union_h = np.maximum((y + h)[:, None], (y + h)[None, :]) - np.minimum(y[:, None], y[None, :])
    digit_sized = ((union_h <= config.merge_max_growth * taller) | (union_h <= config.merge_max_typical * typical)
                   | (union_h <= config.merge_max_aspect * union_w) | (y_gap <= config.cut_gap_px))
    joined = column & digit_sized
    return joined | beside(boxes, config)


def beside(boxes: np.ndarray, config: StrokeConfig) -> np.ndarray:
    """(N, N) bool: a small piece right beside a bigger one (the knob of a '9', the arm of a '4'
    cut off by a rule), which belongs to it even without much overlap."""
    return _beside(boxes.T[:, :, None], boxes.T[:, None, :], config)


def _beside(a: np.ndarray, b: np.ndarray, config: StrokeConfig) -> np.ndarray:
    """beside for boxes a and b (each x, y, w, h stacked on the first axis, the rest broadcast
    against each other): the (N, N) table, or the (P,) pairs stacked_joins asks about."""
    (xa, ya, wa, ha), (xb, yb, wb, hb) = a, b
    x_overlap = np.minimum(xa + wa, xb + wb) - np.maximum(xa, xb)
    y_gap = np.maximum(ya, yb) - np.minimum(ya + ha, yb + hb)
    taller = np.maximum(ha, hb)
    area_a, area_b = wa * ha, wb * hb
    reach = config.merge_near_gap * taller
    near = (-x_overlap <= reach) & (y_gap <= reach)
    not_speck = np.minimum(ha, hb) >= config.merge_min_piece_height * taller
    # The bigger piece must itself be digit-shaped: a tall chalk bracket's box reaches far past
    # its ink and would take in the whole column of digits beside it.
    a_to_digit = (area_a <= config.merge_small_area * area_b) & (hb <= config.merge_max_aspect * wb)
    b_to_digit = (area_b <= config.merge_small_area * area_a) & (ha <= config.merge_max_aspect * wa)
    return (a_to_digit | b_to_digit) & near & not_speck


def cut_along_rules(cut: np.ndarray, config: StrokeConfig) -> bool:
    """Whether the pixels a thin-line cut takes away (cut, uint8 1 = taken) are rules: at least
    min_rule_share of them in a band thin_line_px + 1 px wide along one near-horizontal straight
    line (the best of the slopes up to rule_max_slope: a Hough transform of a few angles;
    cv2.fitLine's robust fit took 5 ms for 1000 pixels), or in pieces at least rule_aspect times
    as wide as tall."""
    rows, cols = np.nonzero(cut)
    if len(rows) < 2:
        return True  # nothing to tell by: the cut takes nothing
    slopes = np.arange(-config.rule_max_slope, config.rule_max_slope + config.rule_slope_step / 2,
                       config.rule_slope_step)
    # Each pixel's height above the line of each slope through the window's origin, whole px,
    # counted per slope; the fullest band is a window sum over those counts.
    offsets = np.rint(rows[None, :] - slopes[:, None] * cols[None, :]).astype(np.int64)
    offsets -= offsets.min()
    span = int(offsets.max()) + 1
    counts = np.bincount((offsets + span * np.arange(len(slopes))[:, None]).ravel(),
                         minlength=span * len(slopes)).reshape(len(slopes), span)
    band = config.thin_line_px + 1
    cumulative = np.concatenate([np.zeros((len(slopes), 1), np.int64), np.cumsum(counts, axis=1)], axis=1)
    best = (cumulative[:, band:] - cumulative[:, :-band]).max() if span >= band else len(rows)
    if best >= config.min_rule_share * len(rows):
        return True
    _, _, stats, _ = cv2.connectedComponentsWithStats(cut, connectivity=8)
    width, height, area = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_AREA]
    return area[width >= config.rule_aspect * height].sum() >= config.min_rule_share * len(rows)


def split_thin_lines(ink_mask: np.ndarray, components: Components, too_wide: Candidates,
                     config: StrokeConfig, typical: float | None = None) -> tuple[Components, Candidates]:
    """Cut each too-wide candidate's ink where it is a thin horizontal line and regroup the
    pieces; a candidate whose thin lines are not rules (cut_along_rules) is left whole.

    Pen strokes are thicker across than what is left of a ruled line. Returns the components
    with the cut candidates' pixels relabelled (the line's pixels set to 0, the pieces given new
    labels past the old ones and their stats rows appended), and the regrouped pieces as
    candidates (merge_broken_strokes, with the view's typical digit height; None: the pieces').
    """
    labels = components.labels.astype(np.int32)  # new labels may pass 65535
    stats = components.stats
    new_stats = [stats]
    next_label = len(stats)
    pieces = []
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (1, config.thin_line_px + 1))
    for member in too_wide.members:
        rows = stats[list(member)]
        x0, y0 = rows[:, 0].min(), rows[:, 1].min()
        x1, y1 = (rows[:, 0] + rows[:, 2]).max(), (rows[:, 1] + rows[:, 3]).max()
        window = (slice(y0, y1), slice(x0, x1))
        ink = np.isin(labels[window], member).astype(np.uint8)
        thick = cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel)
        if not cut_along_rules(cv2.subtract(ink, thick), config):
            continue
        labels[window][ink.astype(bool)] = 0
        count, piece_labels, piece_stats, _ = cv2.connectedComponentsWithStats(thick, connectivity=8)
        for k in range(1, count):
            if piece_stats[k, cv2.CC_STAT_AREA] < config.min_piece_area_px:
                continue
            labels[window][piece_labels == k] = next_label
            row = piece_stats[k].copy()
            row[0] += x0
            row[1] += y0
            new_stats.append(row[None, :])
            pieces.append(next_label)
            next_label += 1
    stats = np.vstack(new_stats)
    return Components(len(stats), labels, stats), merge_broken_strokes(stats, np.array(pieces, int), config,
                                                                       typical=typical)
