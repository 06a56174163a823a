"""annotate: boxes and labels drawn on a copy, readable at any size, never hiding a digit."""

from __future__ import annotations

import numpy as np
import pytest

from realtime.annotate import SURE_BGR, UNSURE_BGR, annotate, label_text
from realtime.types import Detection

DIGIT = np.zeros((28, 28), np.float32)


def _paper(width: int, height: int) -> np.ndarray:
    return np.full((height, width, 3), 225, np.uint8)


def _interior(image: np.ndarray, box, margin: int) -> np.ndarray:
    x, y, w, h = box
    return image[y + margin:y + h - margin + 1, x + margin:x + w - margin + 1]


def _plate_height(image: np.ndarray, right_of: int, colour) -> int:
    """Rows holding `colour` right of column `right_of`: the height of a label plate wider than
    its box (its padding has the colour in every row, whatever the text)."""
    return int(np.all(image[:, right_of:] == colour, axis=2).any(axis=1).sum())


def test_label_text():
    assert label_text(Detection((0, 0, 1, 1), 7, 0.934, DIGIT), 0.5) == "7 93%"
    assert label_text(Detection((0, 0, 1, 1), 7, 0.41, DIGIT), 0.5) == "? 41%"
    assert label_text(Detection((0, 0, 1, 1), 0, 0.5, DIGIT), 0.5) == "0 50%"  # at the bar: sure


def test_draws_on_a_copy_in_the_right_colours():
    frame = _paper(640, 480)
    sure, unsure = (100, 200, 40, 60), (300, 200, 40, 60)
    out = annotate(frame, [Detection(sure, 3, 0.9, DIGIT), Detection(unsure, 8, 0.3, DIGIT)], 0.5)
    assert (frame == 225).all()  # the source frame is untouched
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert tuple(out[230, 100]) == SURE_BGR      # left edge of the sure box
    assert tuple(out[230, 300]) == UNSURE_BGR    # left edge of the unsure box
    assert (_interior(out, sure, 3) == 225).all() and (_interior(out, unsure, 3) == 225).all()


@pytest.mark.parametrize("width, height", [(640, 480), (1920, 1080)])
def test_labels_never_hide_digits_in_a_tight_row(width, height):
    """Digits closer together than their labels are wide, one at the top edge and one in the
    corner under the FPS line: every digit's inside stays visible."""
    scale = height / 480
    boxes = [(int((60 + 30 * i) * scale), int(200 * scale), int(22 * scale), int(50 * scale)) for i in range(8)]
    boxes += [(int(300 * scale), 2, int(30 * scale), int(50 * scale)),  # touching the top
              (4, 4, int(30 * scale), int(50 * scale))]                  # under the FPS line
    detections = [Detection(b, i % 10, 0.999, DIGIT) for i, b in enumerate(boxes)]
    out = annotate(_paper(width, height), detections, 0.5, fps=29.97)
    thickness = max(1, round(2 * scale))
    for box in boxes:
        assert (_interior(out, box, thickness + 1) == 225).all(), box


def test_sizes_scale_with_the_frame():
    heights = []
    for width, height in [(640, 480), (1920, 1080)]:
        box = (width // 2, height // 2, width // 20, height // 8)
        out = annotate(_paper(width, height), [Detection(box, 5, 0.99, DIGIT)], 0.5)
        heights.append(_plate_height(out[:box[1] - 3], box[0], SURE_BGR))  # the plate above the box
    assert heights[0] >= 14  # a 0.45-scale label with its margin at 480 p
    assert heights[1] == pytest.approx(heights[0] * 1080 / 480, rel=0.2)


def test_fps_line_only_when_given():
    frame = _paper(640, 480)
    with_fps = annotate(frame, [], 0.5, fps=12.3)
    assert (with_fps[8:30, 8:120] != 225).any()
    assert (annotate(frame, [], 0.5) == frame).all()


@pytest.mark.parametrize("width, height", [(1, 1), (12, 9), (100, 20)])
def test_tiny_frames(width, height):
    out = annotate(_paper(width, height), [Detection((0, 0, width, height), 1, 0.7, DIGIT)], 0.5, fps=1.0)
    assert out.shape == (height, width, 3)
