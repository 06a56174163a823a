"""Scoring found digits against the truth: the matching the tests and the benchmark share.

Not a pipeline stage; it uses the tracker's overlap and pairing so "the same digit" means the
same thing when scoring as when tracking.
"""

from __future__ import annotations

from collections.abc import Sequence

from realtime.track import box_iou, greedy_pairs


def match(true_boxes: Sequence[Sequence[int]], found_boxes: Sequence[Sequence[int]],
          min_iou: float = 0.3) -> list[tuple[int, int]]:
    """Greedy one-to-one matching by IoU: pairs (true_i, found_j), best IoU first, each box used
    once, pairs below `min_iou` dropped. Boxes are (x, y, w, h); result sorted by true_i."""
    if len(true_boxes) == 0 or len(found_boxes) == 0:
        return []
    return greedy_pairs(box_iou(true_boxes, found_boxes), min_iou)


def iou(box_a: Sequence[int], box_b: Sequence[int]) -> float:
    """Intersection over union of two (x, y, w, h) boxes; 0.0 when either is empty."""
    return float(box_iou([box_a], [box_b])[0, 0])
