"""components: connected components of the ink mask, 8-connected, as one named value."""

import numpy as np

from realtime.detect.components import ink_components


def test_two_strokes_and_a_diagonal_are_three_components():
    mask = np.zeros((40, 60), np.uint8)
    mask[5:25, 5:8] = 255  # a '1'
    mask[5:10, 30:50] = 255  # a bar
    for k in range(10):  # a diagonal: one component only 8-connected
        mask[28 + k, 10 + k] = 255
    components = ink_components(mask)
    assert components.count == 4 and components.labels.dtype == np.uint16
    assert components.stats[1:, :4].tolist() == [[5, 5, 3, 20], [30, 5, 20, 5], [10, 28, 10, 10]]
    assert components.areas[1:].tolist() == [60, 100, 10]
