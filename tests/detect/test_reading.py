"""reading: lines of boxes, top to bottom, left to right, chained by vertical overlap."""

import numpy as np
from conftest import make_settings

from realtime.detect.reading import reading_lines, reading_order

CONFIG = make_settings().detect.reading


def test_boxes_read_line_by_line():
    boxes = np.array([[100, 100, 20, 30], [10, 105, 20, 30], [50, 200, 20, 30], [10, 195, 20, 30]])
    assert reading_lines(boxes, CONFIG) == [[1, 0], [3, 2]]
    assert reading_order(boxes, CONFIG).tolist() == [1, 0, 3, 2]


def test_a_box_overlapping_a_line_by_a_third_of_its_height_continues_it():
    # Heights 30: the second box overlaps the first by 10 px (0.33 of 30), the third by 8 (0.27).
    joined = np.array([[10, 100, 20, 30], [40, 120, 20, 30]])
    apart = np.array([[10, 100, 20, 30], [40, 122, 20, 30]])
    assert reading_lines(joined, CONFIG) == [[0, 1]]
    assert reading_lines(apart, CONFIG) == [[0], [1]]
    # Overlapping by 0.53 of the height still joins; 0.13 never does.
    assert reading_lines(np.array([[10, 100, 20, 30], [40, 114, 20, 30]]), CONFIG) == [[0, 1]]
    assert reading_lines(np.array([[10, 100, 20, 30], [40, 126, 20, 30]]), CONFIG) == [[0], [1]]
