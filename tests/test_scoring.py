"""tools.scoring: the matching every recall and accuracy figure is counted with."""

from __future__ import annotations

import pytest

from tools import scoring


def test_match_pairs_greedily_by_iou():
    true_boxes = [(0, 0, 10, 10), (20, 0, 10, 10), (40, 0, 10, 10)]
    found_boxes = [(21, 1, 10, 10),   # true 1, IoU ~0.68
                   (100, 100, 5, 5),  # nothing
                   (0, 0, 10, 10),    # true 0 exactly
                   (2, 0, 10, 10),    # also true 0 but worse: left unmatched
                   (45, 0, 10, 10)]   # true 2 at IoU 1/3: above 0.3, below 0.5
    assert scoring.match(true_boxes, found_boxes) == [(0, 2), (1, 0), (2, 4)]
    assert scoring.match(true_boxes, found_boxes, min_iou=0.5) == [(0, 2), (1, 0)]
    assert scoring.match([], found_boxes) == [] and scoring.match(true_boxes, []) == []
    assert scoring.iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)
