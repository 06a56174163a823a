"""intensity: per region, 0 at the paper, 1 at the stroke's core, its anti-aliased rim kept."""

import numpy as np
from conftest import make_settings

from realtime.detect.candidates import Candidates
from realtime.detect.components import ink_components
from realtime.detect.intensity import ink_intensity

CONFIG = make_settings().detect.intensity


def test_the_core_reaches_one_and_the_rim_keeps_its_grey():
    ink_bright = np.full((60, 60), 20, np.uint8)
    ink_bright[20:40, 28:32] = np.arange(100, 180, 4, dtype=np.uint8)[:, None]  # 100..176 down the stroke
    ink_bright[20:40, 27] = 60  # anti-aliased rim, not ink in the mask
    ink_bright[20:40, 24:27] = 60  # a neighbour's grey, 2 to 4 px away
    mask = np.zeros((60, 60), np.uint8)
    mask[20:40, 28:32] = 255
    components = ink_components(mask)
    candidates = Candidates(np.array([[22, 18, 14, 24]]), ((1,),), np.array([80]))
    ink = ink_intensity(ink_bright, components, candidates, CONFIG)
    # Paper 20, core = the 90th percentile of the ink: 168 (nearest rank 71 of 80 values).
    assert ink[20, 30] == np.float32((100 - 20) / 148) and ink[37:40, 30].tolist() == [1.0, 1.0, 1.0]
    assert ink[30, 27] == np.float32(40 / 148)  # the rim, 1 px off the ink
    assert ink[30, 24] == 0 and ink[30, 26] == 0 and ink[5, 5] == 0
