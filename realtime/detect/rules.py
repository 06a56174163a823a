"""Detection step 4, rule removal: the long straight lines of ruled or squared paper, a margin
line or table rules, taken out of the ink mask before its components are taken.

A digit that touches a rule would otherwise be one component with it, far too wide to be a digit.
Rules are straight runs (run_fraction of the frame) that a probabilistic Hough transform chains
into lines longer than min_length of it, across the gaps where digits interrupt them; a sheet
held a few degrees off still has its rules found. Ink thicker across the rule than the rule
itself (a stroke lying on it or crossing it) stays, and so does ink much darker than the rule.

Words used: a *segment* is one piece Hough found, (x0, y0, x1, y1); a *line* is a chain of
collinear segments; *span* is the frame's extent along the rules' direction (its width for
horizontal rules); *across* is the direction perpendicular to the rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from realtime.detect.components import Components, ink_components

# The first look (_may_hold_rules) is at half resolution: about a quarter of Hough's cost.
FIRST_LOOK_SHRINK = 2


@dataclass(frozen=True)
class RuleConfig:
    """What counts as a rule, and how much around it is removed; enabled=False keeps them."""

    enabled: bool = True
    # Rules: straight runs of at least run_fraction of the frame's span (at least min_run_px)
    # that line up into a line longer than min_length of it: rules cross the sheet, digit
    # strokes do not.
    run_fraction: float = 1 / 48
    min_run_px: int = 5
    min_length: float = 0.4
    # Hough is asked for pieces this long (of the span), chained into lines afterwards...
    piece_length: float = 0.15
    # ...each voted for by at least this many runs' worth of pixels (a lone run, a digit's
    # stroke, is not enough), bridging gaps of up to this many runs (a digit written across).
    hough_votes_per_run: float = 2
    hough_gap_runs: float = 3
    # The spacing of a ruled sheet is told by its lines at least this share of the longest's length.
    spacing_min_share: float = 0.6
    # Drift over length: admits a sheet turned by up to ~8 degrees.
    max_slope: float = 0.15
    # A rule is mostly there along its length (within coverage_tolerance_px); digits written on
    # it interrupt it, but a chance alignment of a few digits' horizontal strokes is mostly gaps.
    min_coverage: float = 0.6
    coverage_tolerance_px: int = 1
    # ...and it is at least this many times longer than the ink it belongs to is wide across it
    # (the side of one big '0' is a long straight stroke too).
    min_length_to_extent: float = 2.0
    # Three or more evenly spaced rules make a ruled sheet, whose lost rules are then filled in;
    # segments within same_line_px of each other (at the frame's middle) are one rule.
    ruled_paper_min_rules: int = 3
    same_line_px: int = 4
    # Rule positions within this fraction of the spacing of a grid line lie on it; a grid line
    # with no rule found costs empty_line_penalty of a rule found on it (so half the true
    # spacing, which fits every rule too, loses); at least grid_min_share of the rules must lie
    # on the grid.
    grid_tolerance: float = 0.25
    empty_line_penalty: float = 0.5
    grid_min_share: float = 0.75
    # Rules are thin: a "rule" thicker than this is a stroke lying along it.
    max_rule_px: int = 6
    # Removed around a found rule: its thickness plus this (the fitted line is within a pixel
    # or two of the rule); around an inferred one more, as it is only as exact as the spacing.
    found_band_margin_px: int = 4
    inferred_band_margin_px: int = 6
    # Ink at least the rule's thickness plus this thick across the rule is a stroke lying on it
    # or crossing it, and stays.
    stroke_margin_px: int = 3
    # Rules are printed pale (light blue or grey) and ink is dark: pixels of a rule's band that
    # stand out from the paper around them at least this many times more than the rule itself
    # are ink written on the rule, and stay (a 2's base, a 5's bar). A rule as dark as ink keeps
    # nothing. Hard tier, 100 scenes: cnn end to end 96.9 -> 97.7%, softmax 88.7 -> 89.7%.
    ink_contrast_ratio: float = 2.0
    # Each segment is read at this many evenly spaced points (coverage, thickness, contrast, the
    # component under it): one every 20 px along a 1280-px rule.
    points_per_segment: int = 64
    # Hough's budget (None: none): its cost grows with the pixels that vote (each in 180 angle
    # bins), ~0.6 ms a thousand. A sheet's runs are under 8,000 px (clean and camera tiers: 99% of
    # passes); a bright textured desk thresholded with the sheet gives 20,000-40,000 (25 ms a
    # pass). Past the budget only every k-th column (row, for vertical rules) votes, k the
    # smallest that brings them under it, at most Hough's gap (hough_gap_runs runs), which the
    # walk along a line bridges: a rule keeps its exact position across. Off by default: at 8,000
    # it changes which rules ruled, boxed and textured frames give (their runs exceed it too):
    # real photos at 640 px, cnn CER 0.249 -> 0.273; wild tier precision 89.1 -> 87.9%. A
    # stream skips the search on a view that held no rules (reuse.py) instead.
    max_voting_px: int | None = None
    # A found line is fitted again through the middle of the ink that voted for it: read every
    # refine_step_px along it, within refine_reach_px across (the chained pieces' fit is within a
    # few px), only where that ink is at most the rule's thickness (+1) thick (not a digit on it),
    # and fitted twice, the second time without the points over refine_trim_px off the first.
    # A line with fewer readable points than refine_min_share of the positions is no rule (a
    # stroke chained into a line). Pieces of a form's border chained across it into two crossing
    # lines cut the digits under it (IMG_4219 at 640 px); refitted, they lie on its edges.
    refine_reach_px: int = 8
    refine_step_px: int = 2
    refine_trim_px: float = 1.5
    refine_min_share: float = 0.25
    # A ruled sheet's rules are parallel: only lines whose slopes are within this of the median
    # slope (0.02: 1.1 degrees) tell its spacing. Desk grain chained into lines at different
    # angles made a "ruled sheet" whose inferred rules cut the digits (wild scene 12: 38 of them).
    parallel_slope_tolerance: float = 0.02

    def __post_init__(self):
        """Shares of a length or of a count beyond 1 mean nothing and index past the lines found
        (spacing_min_share > 1 used to crash the search for lost rules): refuse them here."""
        from realtime.errors import UserError

        for name in _SHARES:
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise UserError(f"rule config {name}={value} is outside (0, 1]: give a share such as 0.5")


# The RuleConfig values that are shares of a length, a spacing or a count.
_SHARES = ("run_fraction", "min_length", "piece_length", "spacing_min_share", "min_coverage",
           "grid_tolerance", "grid_min_share", "refine_min_share")


@dataclass(frozen=True)
class Rules:
    """The rules found in one direction of one frame: what erase_rules needs to take them out
    again (a stream keeps them while its view is the same, reuse.py).

    lines: (M, 4) int64 x0 y0 x1 y1, the found rules fitted and extended edge to edge;
    missing: (K, 4) the ruled sheet's rules inferred between and beyond them; rule_px: their
    thickness; rule_contrast: their median contrast against the paper.
    """

    is_horizontal: bool
    lines: np.ndarray
    missing: np.ndarray
    rule_px: int
    rule_contrast: float

    def moved(self, dx: int, dy: int, width: int, height: int) -> Rules:
        """These rules as a view moved by (dx, dy) px sees them, again edge to edge."""
        if (dx, dy) == (0, 0):
            return self
        return Rules(self.is_horizontal, _moved_lines(self.lines, dx, dy, self.is_horizontal, width, height),
                     _moved_lines(self.missing, dx, dy, self.is_horizontal, width, height),
                     self.rule_px, self.rule_contrast)


def _moved_lines(lines: np.ndarray, dx: int, dy: int, is_horizontal: bool, width: int, height: int) -> np.ndarray:
    """Lines (N, 4) moved by (dx, dy) and extended again from one edge of the frame to the other."""
    if not len(lines):
        return lines
    x0, y0, x1, y1 = (lines.astype(np.float64) + np.array([dx, dy, dx, dy])).T
    if is_horizontal:
        slope = (y1 - y0) / np.where(x1 != x0, x1 - x0, 1)
        ends = [np.zeros_like(x0), y0 - slope * x0, np.full_like(x0, width - 1), y0 + slope * (width - 1 - x0)]
    else:
        slope = (x1 - x0) / np.where(y1 != y0, y1 - y0, 1)
        ends = [x0 - slope * y0, np.zeros_like(y0), x0 + slope * (height - 1 - y0), np.full_like(y0, height - 1)]
    return np.rint(np.stack(ends, axis=1)).astype(lines.dtype)


def remove_rules(ink_mask: np.ndarray, contrast: np.ndarray, config: RuleConfig) -> np.ndarray:
    """The ink mask (uint8 255 = ink) without its rules, horizontal then vertical: `ink_mask`
    itself when no rule was found (reuse.without_rules reads that as "no rules here").

    contrast: threshold.local_contrast of the image the mask was thresholded from.
    """
    return find_and_remove_rules(ink_mask, contrast, config)[0]


def find_and_remove_rules(ink_mask: np.ndarray, contrast: np.ndarray,
                          config: RuleConfig) -> tuple[np.ndarray, tuple[Rules, ...]]:
    """(remove_rules' mask, the rules it removed, one Rules per direction that had any)."""
    found: list[Rules] = []
    if not config.enabled:
        return ink_mask, ()
    h, w = ink_mask.shape
    components = None
    for span, is_horizontal in ((w, True), (h, False)):
        rules, components = _find_rules(ink_mask, contrast, span, is_horizontal, components, config)
        if rules is None:
            continue
        found.append(rules)
        # Removed before the other direction looks: where a horizontal and a vertical rule
        # cross, each would otherwise keep the crossing as a stroke across the other.
        ink_mask = _erase(ink_mask, contrast, rules, config)
    return ink_mask, tuple(found)


def erase_rules(ink_mask: np.ndarray, contrast: np.ndarray, rules: tuple[Rules, ...],
                config: RuleConfig) -> np.ndarray:
    """The ink mask without `rules` (found on this frame or kept from an earlier one), in order,
    as remove_rules takes them out; `ink_mask` itself when there are none."""
    for one in rules:
        ink_mask = _erase(ink_mask, contrast, one, config)
    return ink_mask


def _find_rules(ink_mask: np.ndarray, contrast: np.ndarray, span: int, is_horizontal: bool,
                components: Components | None, config: RuleConfig) -> tuple[Rules | None, Components | None]:
    """The rules of one direction in the mask (None: none), and the mask's components (taken
    the first time they are needed, then kept for the other direction)."""
    h, w = ink_mask.shape
    run = max(config.min_run_px, int(span * config.run_fraction))
    runs = cv2.morphologyEx(ink_mask, cv2.MORPH_OPEN, cv2.getStructuringElement(
        cv2.MORPH_RECT, (run, 1) if is_horizontal else (1, run)))
    voters = _thin_runs(runs, is_horizontal, config)
    if (cv2.countNonZero(voters) < config.min_length * span
            or not _may_hold_rules(voters, run, span, is_horizontal, config)):
        return None, components
    # Hough finds pieces; collinear pieces are then chained into lines. Asked for whole
    # rules at once, it misses thin ones turned by a degree: its walk along a 1-degree angle
    # bin leaves a 1-px line after a hundred pixels or so.
    segments = _hough_pieces(voters, run, span, is_horizontal, config)
    if segments is None:
        return None, components
    segments = segments.reshape(-1, 4)  # (N, 1, 4) in OpenCV 4, (N, 4) in OpenCV 5
    straight, enough = _straight_pieces(segments, span, is_horizontal, config)
    if not enough:
        return None, components  # too little to make even one rule: a few long strokes of digits
    straight &= _coverage(runs, segments, config) >= config.min_coverage
    position = _position_at_middle(segments, is_horizontal, w, h)
    length = _line_lengths(segments, position, straight, is_horizontal, config)
    straight &= length >= config.min_length * span
    if not straight.any():
        return None, components
    if components is None:
        components = ink_components(ink_mask)
    # A rule is long for what it belongs to: the side of one big '0' is a long straight
    # stroke too, but the '0' is nearly as wide as that stroke is tall. On squared paper
    # every line is one component with the whole grid: there, three or more parallel lines
    # in one component make them rules, whatever its size.
    component, extent = _component_under(components, segments, is_horizontal, config)
    straight &= ((length >= config.min_length_to_extent * extent)
                 | (_parallel_lines(position, component, straight, config) >= config.ruled_paper_min_rules))
    if not straight.any():
        return None, components
    # The rules' thickness, taken from the thickest of them: light is uneven, and a rule in
    # a dim corner thresholds thicker than one in the light.
    rule_px = int(np.ceil(_thickness_across(runs, segments[straight], is_horizontal, config).max()))
    # A rule crosses the sheet; Hough often finds only the stretches between digits. Each
    # line is fitted through all its pieces (a short piece's own angle is a degree off).
    lines, line_lengths = _fitted_lines(segments, position, length, straight, is_horizontal, w, h, config)
    # Pieces' end points are only as exact as Hough's angle bins, and pieces of a thick band's
    # two edges chain into lines across it: each line is fitted again through the voters
    # nearest it (a rule's rows, one edge row of a band), where they are rule-thin. A line
    # with too few such points (a stroke chained into a line) is not a rule.
    lines, is_rule = _refined_lines(voters, lines, rule_px, is_horizontal, config)
    line_lengths = line_lengths[is_rule]
    if not len(lines):
        return None, components
    # Only lines nearly as long as the longest tell the spacing (a digit's stroke may have
    # chained into a line).
    spacing_from = lines[line_lengths >= config.spacing_min_share * line_lengths.max()]
    if is_horizontal:
        missing = _missing_rules(spacing_from, w, h, config)
    else:  # the same in transposed coordinates (squared paper, columns of a table)
        missing = _missing_rules(spacing_from[:, [1, 0, 3, 2]], h, w, config)[:, [1, 0, 3, 2]]
    rule_contrast = _rule_contrast(contrast, runs, segments[straight], config)
    return Rules(is_horizontal, lines, missing, rule_px, rule_contrast), components


def _erase(ink_mask: np.ndarray, contrast: np.ndarray, rules: Rules, config: RuleConfig) -> np.ndarray:
    """The ink mask without one direction's rules: thin ink along them, not a stroke lying on
    or crossing them (thicker across than the rule) nor ink much darker than the rule."""
    canvas = np.zeros_like(ink_mask)
    for a, b, c, d in rules.lines:
        cv2.line(canvas, (int(a), int(b)), (int(c), int(d)), 255, rules.rule_px + config.found_band_margin_px)
    for a, b, c, d in rules.missing:
        cv2.line(canvas, (int(a), int(b)), (int(c), int(d)), 255, rules.rule_px + config.inferred_band_margin_px)
    stroke_px = rules.rule_px + config.stroke_margin_px
    stroke_on_rule = cv2.morphologyEx(ink_mask, cv2.MORPH_OPEN, cv2.getStructuringElement(
        cv2.MORPH_RECT, (1, stroke_px) if rules.is_horizontal else (stroke_px, 1)))
    ink_on_rule = cv2.bitwise_or(stroke_on_rule, cv2.compare(
        contrast, config.ink_contrast_ratio * rules.rule_contrast, cv2.CMP_GT))
    return cv2.bitwise_and(ink_mask, cv2.bitwise_not(cv2.bitwise_and(canvas, cv2.bitwise_not(ink_on_rule))))


def _thin_runs(runs: np.ndarray, is_horizontal: bool, config: RuleConfig) -> np.ndarray:
    """What votes in Hough: `runs` with the inside of its parts thicker across than a rule
    (max_rule_px) taken out, so a thick band (a ruler's shadow, a bar, a desk's edge) keeps only
    its two edge rows.

    Every row of a band voted: tens of parallel lines chained into a "ruled sheet" and most of
    Hough's time (page09 at full size: 90 ms). Removing thick parts wholly lost the rules digits
    sit on, whose strokes thicken them where they cross; their edges still vote.
    """
    across = config.max_rule_px + 1
    thick = cv2.morphologyEx(runs, cv2.MORPH_OPEN, cv2.getStructuringElement(
        cv2.MORPH_RECT, (1, across) if is_horizontal else (across, 1)))
    if not cv2.countNonZero(thick):
        return runs
    inside = cv2.erode(thick, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 3) if is_horizontal else (3, 1)))
    return cv2.subtract(runs, inside)


def _may_hold_rules(runs: np.ndarray, run: int, span: int, is_horizontal: bool, config: RuleConfig) -> bool:
    """A first look at half resolution: are there straight pieces enough for one rule?

    Most frames have no rules, and Hough's cost grows with the pixels it votes for: at half
    resolution it costs about a quarter. Only when this look finds enough does the full
    resolution one run (pieces found at half resolution are too coarse to remove thin rules).
    """
    h, w = runs.shape
    small = cv2.resize(runs, (max(1, w // FIRST_LOOK_SHRINK), max(1, h // FIRST_LOOK_SHRINK)),
                       interpolation=cv2.INTER_AREA)
    small, every = _voting_budget(small, max(1, run // FIRST_LOOK_SHRINK), is_horizontal, config)
    segments = cv2.HoughLinesP(
        small, 1, np.pi / 180,
        threshold=max(int(config.hough_votes_per_run * run / FIRST_LOOK_SHRINK / every),
                      max(2, config.min_run_px // every)),
        minLineLength=config.piece_length * span / FIRST_LOOK_SHRINK,
        maxLineGap=max(config.hough_gap_runs * run / FIRST_LOOK_SHRINK, every))
    if segments is None:
        return False
    return _straight_pieces(FIRST_LOOK_SHRINK * segments.reshape(-1, 4), span, is_horizontal, config)[1]


def _hough_pieces(runs: np.ndarray, run: int, span: int, is_horizontal: bool, config: RuleConfig):
    """cv2.HoughLinesP's pieces of rules in `runs` (None: none), within max_voting_px votes
    when set."""
    image, every = _voting_budget(runs, run, is_horizontal, config)
    return cv2.HoughLinesP(image, 1, np.pi / 180,
                           threshold=max(2, int(config.hough_votes_per_run * run / every)),
                           minLineLength=config.piece_length * span,
                           maxLineGap=max(config.hough_gap_runs * run, every))


def _voting_budget(runs: np.ndarray, run: int, is_horizontal: bool, config: RuleConfig) -> tuple[np.ndarray, int]:
    """(image, k): `runs` itself (k = 1) when it has at most max_voting_px pixels (or no budget
    is set), else only its
    every k-th column (row, for vertical rules), k the smallest that brings it under that but at
    most the gap Hough bridges (hough_gap_runs runs of `run` px)."""
    if config.max_voting_px is None:
        return runs, 1
    voting = cv2.countNonZero(runs)
    if voting <= config.max_voting_px:
        return runs, 1
    every = int(min(np.ceil(voting / config.max_voting_px), max(1, config.hough_gap_runs * run)))
    if every == 1:
        return runs, 1
    thinned = np.zeros_like(runs)
    if is_horizontal:
        thinned[:, ::every] = runs[:, ::every]
    else:
        thinned[::every] = runs[::every]
    return thinned, every


def _straight_pieces(segments: np.ndarray, span: int, is_horizontal: bool,
                     config: RuleConfig) -> tuple[np.ndarray, bool]:
    """(straight, enough): which segments (N, 4) drift across their direction by at most
    max_slope of their length, and whether those are long enough together to make one rule
    (min_coverage of min_length of the span)."""
    x0, y0, x1, y1 = segments.T.astype(np.float64)
    along, drift = (np.abs(x1 - x0), np.abs(y1 - y0)) if is_horizontal else (np.abs(y1 - y0), np.abs(x1 - x0))
    straight = drift <= config.max_slope * along
    return straight, bool(along[straight].sum() >= config.min_coverage * config.min_length * span)


def _rule_contrast(contrast: np.ndarray, runs: np.ndarray, segments: np.ndarray, config: RuleConfig) -> float:
    """Median contrast against the local paper along the rules (where they are ink), or 255
    when no point of them is: then nothing counts as darker than a rule."""
    ys, xs = _segment_points(segments, config)
    ys, xs = np.clip(ys, 0, runs.shape[0] - 1), np.clip(xs, 0, runs.shape[1] - 1)
    on_rule = runs[ys, xs] > 0
    return float(np.median(contrast[ys, xs][on_rule])) if on_rule.any() else 255.0


def _fitted_lines(segments: np.ndarray, position: np.ndarray, length: np.ndarray, eligible: np.ndarray,
                  is_horizontal: bool, width: int, height: int, config: RuleConfig):
    """One straight line per chain of eligible segments (_same_lines), least-squares through
    their end points and extended from one edge of the frame to the other: ((M, 4) int64
    x0 y0 x1 y1, (M,) the chains' lengths)."""
    line = _same_lines(position, eligible, config)
    keep = line >= 0
    ids, line = np.unique(line[keep], return_inverse=True)
    chained = segments[keep].astype(np.float64)
    along_idx, across_idx = ((0, 2), (1, 3)) if is_horizontal else ((1, 3), (0, 2))
    along = np.concatenate([chained[:, along_idx[0]], chained[:, along_idx[1]]])
    across = np.concatenate([chained[:, across_idx[0]], chained[:, across_idx[1]]])
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


def _refined_lines(voters: np.ndarray, lines: np.ndarray, rule_px: int, is_horizontal: bool,
                   config: RuleConfig) -> tuple[np.ndarray, np.ndarray]:
    """(rules, is_rule): the lines (M, 4, edge to edge) that are rules, each fitted again through
    the middle of the run of voters (_thin_runs) nearest it across (refine_* in RuleConfig), and
    which of the M they are: not a line with too few rule-thin points, nor one whose fit is
    steeper than max_slope."""
    image = voters if is_horizontal else voters.T
    height, width = image.shape
    limit = width - 1
    first, last = (lines[:, 1], lines[:, 3]) if is_horizontal else (lines[:, 0], lines[:, 2])
    offset, slope = first.astype(np.float64), (last - first) / limit  # the pieces' fit
    along = np.arange(0, width, config.refine_step_px)
    guess = np.rint(offset[:, None] + slope[:, None] * along)  # (M, P)
    offsets = np.arange(-config.refine_reach_px, config.refine_reach_px + 1)
    rows = guess[..., None] + offsets  # (M, P, D)
    inside = (rows >= 0) & (rows < height)
    on = inside & (image[np.clip(rows, 0, height - 1).astype(np.intp), along[None, :, None]] > 0)
    # Only the run of ink nearest the line: both edges of a band under 2 * refine_reach_px thick
    # are in reach, and their mean is the band's middle, where no ink votes.
    run_id = np.cumsum(~on, axis=2)
    nearest = np.argmin(np.where(on, np.abs(offsets), offsets.size), axis=2)
    on &= run_id == np.take_along_axis(run_id, nearest[..., None], axis=2)
    count = on.sum(axis=2)
    readable = (count >= 1) & (count <= rule_px + 1)
    middle = guess + (on * offsets).sum(axis=2) / np.maximum(count, 1)
    fit_offset, fit_slope = _line_fit(along, middle, readable)
    residual = np.abs(middle - (fit_offset[:, None] + fit_slope[:, None] * along))
    readable &= residual <= config.refine_trim_px
    fit_offset, fit_slope = _line_fit(along, middle, readable)
    is_rule = ((readable.sum(axis=1) >= config.refine_min_share * len(along))
               & (np.abs(fit_slope) <= config.max_slope))
    zeros, limits = np.zeros(is_rule.sum()), np.full(is_rule.sum(), float(limit))
    first, last = fit_offset[is_rule], fit_offset[is_rule] + fit_slope[is_rule] * limit
    ends = np.stack([zeros, first, limits, last] if is_horizontal else [first, zeros, last, limits], axis=1)
    return np.rint(ends).astype(np.int64), is_rule


def _line_fit(along: np.ndarray, across: np.ndarray, use: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(offset, slope) per row: least squares across = offset + slope * along over the points
    `use` marks (M, P); a row with fewer than two points gets (0, 0), which the caller's point
    count refuses."""
    n = use.sum(axis=1)
    sa, sc = (use * along).sum(axis=1), (use * across).sum(axis=1)
    saa, sac = (use * along * along).sum(axis=1), (use * along * across).sum(axis=1)
    denominator = n * saa - sa * sa
    ok = np.abs(denominator) > 1e-9
    slope = np.divide(n * sac - sa * sc, denominator, out=np.zeros(len(n)), where=ok)
    offset = np.divide(sc - slope * sa, n, out=np.zeros(len(n)), where=ok)
    return offset, slope


def _missing_rules(found: np.ndarray, width: int, height: int, config: RuleConfig) -> np.ndarray:
    """Rules of a ruled sheet that the threshold lost (faint in the dim part of the frame).

    Ruled paper has parallel rules at one spacing: from three or more found rules parallel to
    within parallel_slope_tolerance, the rules that should lie between and beyond them, across
    the frame, as segments (N, 4). Only thin ink along them is removed later, so a guess that
    lands on writing costs nothing.
    """
    x0, y0, x1, y1 = found.T.astype(np.float64)
    slopes = (y1 - y0) / np.maximum(x1 - x0, 1)
    slope = float(np.median(slopes))
    parallel = np.abs(slopes - slope) <= config.parallel_slope_tolerance
    if parallel.sum() < config.ruled_paper_min_rules:
        return np.zeros((0, 4), found.dtype)  # lines at different angles: not a ruled sheet
    x0, y0 = x0[parallel], y0[parallel]
    centre_x = width / 2
    heights = np.sort(y0 + slope * (centre_x - x0))  # where each rule crosses the middle
    rules = [heights[0]]
    for y in heights[1:]:
        if y - rules[-1] > config.same_line_px:  # Hough finds one rule as several segments
            rules.append(y)
    grid = _rule_grid(np.array(rules), config)
    if grid is None:
        return np.zeros((0, 4), found.dtype)  # not evenly spaced: not a ruled sheet
    spacing, anchor = grid
    missing = []
    first = anchor - spacing * np.floor((anchor + abs(slope) * centre_x) / spacing)
    for y in np.arange(first, height + abs(slope) * centre_x, spacing):
        if min(abs(y - r) for r in heights) > config.grid_tolerance * spacing:
            missing.append((0, y - slope * centre_x, width - 1, y + slope * (width - 1 - centre_x)))
    return np.array(missing, found.dtype).reshape(-1, 4)


def _rule_grid(rules: np.ndarray, config: RuleConfig) -> tuple[float, float] | None:
    """(spacing, position of one grid line) of evenly spaced rule positions, or None when they
    are not.

    Every gap between two found rules up to the median gap is a candidate spacing (rules in
    between may be lost); each is scored by the rules lying on its grid (within grid_tolerance
    of a spacing) less empty_line_penalty for each grid line between them with no rule found, so
    half the true spacing, which fits every rule too, loses by its empty lines; a stray line (a
    digit's stroke chained into a line) is outvoted. At least ruled_paper_min_rules rules and
    grid_min_share of them must lie on the grid.
    """
    if len(rules) < config.ruled_paper_min_rules:
        return None
    gaps = np.diff(rules)
    gaps = gaps[gaps > 2 * config.same_line_px]
    if not len(gaps):
        return None
    best, best_score = None, -np.inf
    # Not wider than the median gap: a multiple of the spacing, with its tolerance, would take
    # in every rule.
    for spacing in np.unique(np.round(gaps[gaps <= np.median(gaps)])):
        steps = (rules[None, :] - rules[:, None]) / spacing  # row: the anchor
        on_grid = np.abs(steps - np.round(steps)) * spacing <= config.grid_tolerance * spacing
        counts = on_grid.sum(axis=1)
        span = np.array([np.ptp(np.round(row[on])) + 1 for row, on in zip(steps, on_grid, strict=True)])
        scores = counts - config.empty_line_penalty * (span - counts)
        k = int(np.argmax(scores))
        if scores[k] > best_score:
            best, best_score = (np.round(steps[k][on_grid[k]]), rules[on_grid[k]]), scores[k]
    if (best is None or len(best[1]) < max(config.ruled_paper_min_rules, config.grid_min_share * len(rules))
            or np.ptp(best[0]) == 0):
        return None
    # The spacing to a fraction of a pixel: a least-squares fit of the rules on the grid.
    spacing, anchor = np.polyfit(*best, 1)
    return float(spacing), float(anchor)


def _thickness_across(runs: np.ndarray, segments: np.ndarray, is_horizontal: bool, config: RuleConfig) -> np.ndarray:
    """Median thickness (px, at least 1, at most max_rule_px) of each segment's ink across it."""
    ys, xs = _segment_points(segments, config)
    offsets = np.arange(-config.max_rule_px, config.max_rule_px + 1)
    h, w = runs.shape
    if is_horizontal:
        rows = np.clip(ys[..., None] + offsets, 0, h - 1)
        on = runs[rows, xs[..., None]] > 0
    else:
        cols = np.clip(xs[..., None] + offsets, 0, w - 1)
        on = runs[ys[..., None], cols] > 0
    return np.clip(np.median(on.sum(axis=2), axis=1), 1, config.max_rule_px)


def _segment_points(segments: np.ndarray, config: RuleConfig) -> tuple[np.ndarray, np.ndarray]:
    """(ys, xs): points_per_segment evenly spaced pixel positions along each segment (N, 4 int
    x0 y0 x1 y1)."""
    t = np.linspace(0.0, 1.0, config.points_per_segment)
    xs = np.rint(segments[:, [0]] + t * (segments[:, [2]] - segments[:, [0]])).astype(int)
    ys = np.rint(segments[:, [1]] + t * (segments[:, [3]] - segments[:, [1]])).astype(int)
    return ys, xs


def _coverage(mask: np.ndarray, segments: np.ndarray, config: RuleConfig) -> np.ndarray:
    """Fraction of each segment's length that lies on mask, within coverage_tolerance_px."""
    side = 2 * config.coverage_tolerance_px + 1
    near = cv2.dilate(mask, np.ones((side, side), np.uint8))
    return (near[_segment_points(segments, config)] > 0).mean(axis=1)


def _component_under(components: Components, segments: np.ndarray, is_horizontal: bool,
                     config: RuleConfig) -> tuple[np.ndarray, np.ndarray]:
    """For each segment, the ink component it mostly lies on (0: none) and how far across the
    segment that component reaches (px)."""
    on_segment = components.labels[_segment_points(segments, config)]
    component = np.zeros(len(segments), int)
    extent = np.zeros(len(segments))
    for k, row in enumerate(on_segment):
        row = row[row > 0]
        if len(row):
            component[k] = np.bincount(row).argmax()
            extent[k] = components.stats[component[k], cv2.CC_STAT_HEIGHT if is_horizontal else cv2.CC_STAT_WIDTH]
    return component, extent


def _position_at_middle(segments: np.ndarray, is_horizontal: bool, width: int, height: int) -> np.ndarray:
    """Where each segment's line crosses the middle of the frame: y at x = width / 2 for
    horizontal lines, x at y = height / 2 for vertical ones."""
    x0, y0, x1, y1 = segments.T.astype(np.float64)
    if is_horizontal:
        return y0 + (y1 - y0) / np.where(x1 != x0, x1 - x0, 1) * (width / 2 - x0)
    return x0 + (x1 - x0) / np.where(y1 != y0, y1 - y0, 1) * (height / 2 - y0)


def _same_lines(position: np.ndarray, eligible: np.ndarray, config: RuleConfig) -> np.ndarray:
    """Line ids: eligible segments whose positions chain within same_line_px share one (-1 for
    the others)."""
    line = np.full(len(position), -1)
    order = np.flatnonzero(eligible)[np.argsort(position[eligible], kind="stable")]
    if len(order):
        line[order] = np.concatenate([[0], np.cumsum(np.diff(position[order]) > config.same_line_px)])
    return line


def _line_lengths(segments: np.ndarray, position: np.ndarray, eligible: np.ndarray,
                  is_horizontal: bool, config: RuleConfig) -> np.ndarray:
    """For each eligible segment, the length of the line it is a piece of: from the first
    piece's start to the last piece's end along it (0 for the others)."""
    along = (0, 2) if is_horizontal else (1, 3)
    start = np.minimum(segments[:, along[0]], segments[:, along[1]])
    end = np.maximum(segments[:, along[0]], segments[:, along[1]])
    line = _same_lines(position, eligible, config)
    length = np.zeros(len(segments))
    for k in np.unique(line[line >= 0]):
        on_line = line == k
        length[on_line] = end[on_line].max() - start[on_line].min()
    return length


def _parallel_lines(position: np.ndarray, component: np.ndarray, eligible: np.ndarray,
                    config: RuleConfig) -> np.ndarray:
    """For each eligible segment, how many distinct lines the eligible segments on its ink
    component make (0 for the others)."""
    count = np.zeros(len(position), int)
    for label in np.unique(component[eligible & (component > 0)]):
        on_it = eligible & (component == label)
        count[on_it] = _same_lines(position, on_it, config).max() + 1
    return count
