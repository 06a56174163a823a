"""boxes: the sides of printed form boxes are removed from the ink mask; what they hold stays,
and so do strokes crossing them and empty rectangles (a block-letter '0' or '8')."""

import cv2
import numpy as np
from conftest import make_settings

from realtime.detect.boxes import remove_boxes

CONFIG = make_settings().detect.boxes


def _mask(*drawings):
    mask = np.zeros((480, 640), np.uint8)
    for draw in drawings:
        draw(mask)
    return mask


def cells(x, y, w, h, count, thickness=2):
    """A row of `count` cells of w x h sharing their sides, as printed on a form."""
    def draw(mask):
        for k in range(count):
            cv2.rectangle(mask, (x + k * w, y), (x + (k + 1) * w, y + h), 255, thickness)
    return draw


def digit_one(x, y, h=40, thickness=4):
    return lambda mask: cv2.line(mask, (x, y), (x, y + h), 255, thickness)


def _px(mask, x0, y0, x1, y1):
    return int(np.count_nonzero(mask[y0:y1, x0:x1]))


def _left_over(kept, digits, mask):
    """(digit px lost, px of the boxes' lines kept) after remove_boxes."""
    digit = digits > 0
    return int(np.count_nonzero(digit & (kept == 0))), int(np.count_nonzero(~digit & (kept > 0) & (mask > 0)))


def test_a_row_of_boxes_loses_its_sides_and_keeps_its_digits():
    mask = _mask(cells(100, 100, 60, 80, 3), digit_one(130, 120), digit_one(190, 120))
    kept = remove_boxes(mask, CONFIG)
    lost, lines_kept = _left_over(kept, _mask(digit_one(130, 120), digit_one(190, 120)), mask)
    # Of ~1900 px of lines, at most a corner's few px stay: nothing a digit's size.
    assert lost == 0 and lines_kept <= 20, (lost, lines_kept)


def test_a_box_turned_by_five_degrees_loses_its_sides():
    box = cv2.boxPoints(((200, 200), (70, 90), 5)).astype(np.int32)
    mask = _mask(lambda m: cv2.polylines(m, [box], True, 255, 2), digit_one(200, 180))
    kept = remove_boxes(mask, CONFIG)
    lost, lines_kept = _left_over(kept, _mask(digit_one(200, 180)), mask)
    assert lost == 0 and lines_kept <= 30, (lost, lines_kept)


def test_a_stroke_crossing_a_side_stays():
    # A '1' written over the box's bottom side: the part across the side is ink of the digit.
    mask = _mask(cells(100, 100, 60, 80, 2), digit_one(130, 150, h=50), digit_one(190, 120))
    kept = remove_boxes(mask, CONFIG)
    assert _px(kept, 128, 150, 133, 201) == _px(mask, 128, 150, 133, 201)
    assert _px(kept, 157, 120, 163, 170) == 0  # the side between the cells is gone


def test_empty_rectangles_stay_they_may_be_block_digits():
    block_zero = cells(100, 100, 40, 60, 1, thickness=3)
    block_eight = lambda m: (cv2.rectangle(m, (300, 100), (340, 160), 255, 3),  # noqa: E731
                             cv2.line(m, (300, 130), (340, 130), 255, 3))
    mask = _mask(block_zero, block_eight)
    assert np.array_equal(remove_boxes(mask, CONFIG), mask)


def test_a_drawing_with_round_holes_is_not_a_box():
    mask = _mask(lambda m: cv2.ellipse(m, (300, 240), (120, 80), 0, 0, 360, 255, 3), digit_one(300, 220))
    assert np.array_equal(remove_boxes(mask, CONFIG), mask)

