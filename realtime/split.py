"""Between normalize and the model: touching digits. A region too wide for one digit may be two
digits whose ink touches (no gap for detection to see); it gets a cut, each half is normalized
and classified in the frame's one batch, and the cut is kept only where the model is sure of
both halves and surer of them than of the whole.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from realtime.normalize import MNIST_SIDE, to_mnist


@dataclass(frozen=True)
class SplitRule:
    """When a cut stays, for one classifier: both halves at least min_confidence sure, and the
    less sure half surer than the whole by min_log_odds_gain (log(p / (1 - p)), so 0.9999 is
    surer than 0.997: read two touching digits, the cnn is often 0.99+ sure of a wrong whole)."""

    min_confidence: float
    min_log_odds_gain: float


@dataclass(frozen=True)
class SplitConfig:
    """When a region is tried as two touching digits, where it is cut, and when the cut stays.

    Measured (scripts/split_check.py) on 200 generated pairs of touching MNIST digits and on 180
    scenes of the clean, camera and hard tiers (1800 single digits, none touching).
    """

    enabled: bool = True
    # Wider than this times its height. Two touching digits side by side are 0.9-1.8; single
    # MNIST digits are mostly narrower (median 0.8), but 9% of them are wider than tall, so
    # the width alone decides nothing: the model does. At 0.85: 86 of 200 pairs right instead
    # of 79, but 3 false cuts in 1800 digits instead of 1, and twice the regions tried.
    min_aspect: float = 1.0
    # Shorter regions (working px) are specks and small marks, too few pixels a half to read.
    min_height_px: int = 12
    # Each region gets one cut in each of these bands (shares of the ink's mass, left to right)
    # and the model picks: the column of least ink over the whole middle is as often the hole
    # of a 0 as the contact, and two digits rarely hold half the ink each.
    bands: tuple[tuple[float, float], ...] = ((0.2, 0.45), (0.35, 0.65), (0.55, 0.8))
    # Digits written side by side are about as tall as each other: a half shorter than this
    # share of the region is a piece of one digit (a 4's arm read as a 2 beside its stem).
    # 0.7 turned 3 false cuts in 1800 single digits into 1 for 1 pair fewer in 200 (0.8: 5
    # pairs fewer, no false cut less).
    min_height_share: float = 0.7
    # Ink above this counts for a half's box (INK_FLOOR of normalize keeps the faint rim).
    ink_level: float = 0.25
    # A frame of many wide regions costs up to three cuts (six normalizations and six rows of
    # the batch) each; past this many (the widest first) the rest are read whole.
    max_regions: int = 16
    # Per classifier arch (its metrics.json "arch"); an arch not listed never cuts. cnn 0.9 /
    # 3.0: 79 of 200 pairs right, 1 false cut in 1800 digits (gain 2.0 and 1.0 cut more pairs
    # and more single digits: 88 and 94 right, 2 and 4 false, measured with an earlier cut).
    # On the benchmark's 100 scenes a tier the cnn cuts one single digit in clean and one in
    # camera (an open 0 read 17, a flat 8 read 51, both halves 0.998+ sure): 99.3 -> 99.2% each.
    # softmax 0.99 / 4.0: 11 pairs right, no false cut; it is sure of pieces of digits far too
    # often for more (0.9 / 2.0: 45 right, 15 false cuts).
    rules: tuple[tuple[str, SplitRule], ...] = (("cnn", SplitRule(0.9, 3.0)),
                                                ("softmax", SplitRule(0.99, 4.0)))

    def rule_for(self, arch: str | None) -> SplitRule | None:
        """The cut rule for a classifier arch, None when cuts are off for it."""
        return dict(self.rules).get(arch or "") if self.enabled else None


@dataclass(frozen=True)
class Cuts:
    """The candidate cuts of one frame's regions.

    regions: (K,) int, the region each cut belongs to (a region has up to one cut a band);
    digits_28x28: (2K, 28, 28) float32, the left and right half of each cut in turn;
    boxes_work: (2K, 4) int (x, y, w, h) of the halves' ink in working pixels.
    """

    regions: np.ndarray
    digits_28x28: np.ndarray
    boxes_work: np.ndarray

    def __len__(self) -> int:
        return len(self.regions)


def no_cuts() -> Cuts:
    return Cuts(np.zeros(0, int), np.zeros((0, MNIST_SIDE, MNIST_SIDE), np.float32), np.zeros((0, 4), int))


def propose_cuts(ink_work: np.ndarray, boxes_work: np.ndarray, config: SplitConfig) -> Cuts:
    """Cuts for each region too wide for one digit (ink_work: (H, W) float32 in [0, 1];
    boxes_work: (N, 4) (x, y, w, h) in its pixels), with both halves in MNIST's layout."""
    if not config.enabled or len(boxes_work) == 0:
        return no_cuts()
    boxes = np.asarray(boxes_work).reshape(-1, 4)
    wide = np.flatnonzero((boxes[:, 2] > config.min_aspect * boxes[:, 3])
                          & (boxes[:, 3] >= config.min_height_px))
    wide = wide[np.argsort(-boxes[wide, 2], kind="stable")][:config.max_regions]
    regions, digits, half_boxes = [], [], []
    for k in sorted(wide):
        x, y, w, h = (int(v) for v in boxes[k])
        seen = set()
        region = _RegionInk(ink_work[y:y + h, x:x + w], config.ink_level)
        for band in config.bands:
            halves = region.cut_in_two(band)
            if halves is None or halves[0][1] in seen:
                continue
            if min(box[3] for _, box in halves) < config.min_height_share * h:
                continue
            seen.add(halves[0][1])
            regions.append(k)
            for ink, (hx, hy, hw, hh) in halves:
                digits.append(to_mnist(ink))
                half_boxes.append((x + hx, y + hy, hw, hh))
    if not regions:
        return no_cuts()
    return Cuts(np.array(regions, int), np.stack(digits), np.array(half_boxes, int))


def cut_in_two(ink: np.ndarray, band: tuple[float, float], ink_level: float):
    """The two halves of one region's ink ((h, w) float32) cut at the column of least ink between
    the columns where the ink's mass reaches the band's shares: [(tight ink, (x, y, w, h) in the
    crop)] * 2, or None when a half would be empty.

    A straight cut, not a least-ink path wandering through the contact: such a path cost a
    Python loop a row (three a region: 22 -> 67 ms a loaded frame) and slipped through a 0's
    hole as readily."""
    return _RegionInk(ink, ink_level).cut_in_two(band)


class _RegionInk:
    """What every cut of one region reads, taken once for all its bands (each band's cut read
    them anew: the columns' mass and the halves' extents, ~80 us a cut): the columns' mass and
    its running share, each column's strongest ink, and each row's strongest ink left of and
    right of every column (running maxima)."""

    def __init__(self, ink: np.ndarray, ink_level: float) -> None:
        self.ink, self.ink_level = ink, ink_level
        self.mass = ink.sum(axis=0)
        self.total = float(self.mass.sum())
        if self.total > 0:
            self.share = np.cumsum(self.mass) / self.total
            # Maxima are exact (no arithmetic), so these give the extents the halves' own would.
            self.columns_ink = ink.max(axis=0) > ink_level
            self.rows_left = np.maximum.accumulate(ink, axis=1)  # [:, c]: the max of columns <= c
            self.rows_right = np.maximum.accumulate(ink[:, ::-1], axis=1)[:, ::-1]  # ... >= c

    def cut_in_two(self, band: tuple[float, float]):
        """cut_in_two of this region's ink for one band."""
        if self.total <= 0:
            return None
        lo = int(np.searchsorted(self.share, band[0]))
        hi = int(np.searchsorted(self.share, band[1]))
        if hi - lo < 1:
            return None
        cut = lo + int(np.argmin(self.mass[lo:hi + 1]))
        width = self.ink.shape[1]
        halves = []
        for start, stop in ((0, cut), (cut + 1, width)):
            if stop <= start:
                return None  # an empty half
            row_max = self.rows_left[:, stop - 1] if start == 0 else self.rows_right[:, start]
            rows = np.flatnonzero(row_max > self.ink_level)
            cols = np.flatnonzero(self.columns_ink[start:stop])
            if len(rows) == 0 or len(cols) == 0:
                return None
            box = (start + int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1))
            halves.append((self.ink[box[1]:box[1] + box[3], box[0]:box[0] + box[2]], box))
        return halves


def keep_sure_cuts(cuts: Cuts, probabilities: np.ndarray, rule: SplitRule | None) -> dict[int, tuple[int, int]]:
    """The cuts to keep, at most one a region (the one whose less sure half is surest):
    {region: (row of its left half, row of its right half)} in `probabilities` ((N + 2K, 10):
    the N regions, then the cuts' halves in turn)."""
    if rule is None or len(cuts) == 0:
        return {}
    n = len(probabilities) - 2 * len(cuts)
    sure = probabilities.max(axis=1).astype(np.float64)
    odds = np.log(np.clip(sure, 1e-7, 1 - 1e-7) / np.clip(1 - sure, 1e-7, 1))
    best: dict[int, tuple[float, int]] = {}
    for j, region in enumerate(cuts.regions):
        left, right = n + 2 * j, n + 2 * j + 1
        weaker = left if sure[left] <= sure[right] else right
        if (sure[weaker] >= rule.min_confidence and odds[weaker] >= odds[region] + rule.min_log_odds_gain
                and sure[weaker] > best.get(int(region), (-1.0, 0))[0]):
            best[int(region)] = (float(sure[weaker]), j)
    return {region: (n + 2 * j, n + 2 * j + 1) for region, (_, j) in best.items()}


def rows_and_boxes(boxes_src: np.ndarray, scale: float, cuts: Cuts,
                   kept: dict[int, tuple[int, int]]) -> tuple[list[int], list[tuple[int, int, int, int]]]:
    """The detections in reading order after the kept cuts: each one's row of the batch (a
    region's own, or its two halves', left first) and its box (x, y, w, h) in source pixels."""
    n = len(boxes_src)
    rows, boxes = [], []
    for k, box in enumerate(boxes_src):
        if k not in kept:
            rows.append(k)
            boxes.append(tuple(int(v) for v in box))
            continue
        for row in kept[k]:
            half = cuts.boxes_work[row - n] / scale
            rows.append(row)
            boxes.append(tuple(int(v) for v in np.round(half)))
    return rows, boxes
