"""candidates: the typed candidate set, built from component stats and narrowed by masks."""

import numpy as np

from realtime.detect.candidates import Candidates

# Component stats rows (x, y, w, h, area); row 0 is the background.
STATS = np.array([[0, 0, 100, 100, 9000], [10, 10, 5, 20, 60], [12, 35, 8, 6, 30],
                  [50, 10, 20, 20, 150], [80, 80, 4, 4, 16]], np.int32)


def test_a_candidate_is_the_union_of_its_members():
    candidates = Candidates.from_members(STATS, [[1, 2], [3], [4]])
    assert candidates.boxes.tolist() == [[10, 10, 10, 31], [50, 10, 20, 20], [80, 80, 4, 4]]
    assert candidates.members == ((1, 2), (3,), (4,)) and candidates.ink_area.tolist() == [90, 150, 16]
    assert len(candidates) == 3


def test_masks_indices_and_slices_pick_in_order():
    candidates = Candidates.from_members(STATS, [[1, 2], [3], [4]])
    picked = candidates[np.array([True, False, True])]
    assert picked.members == ((1, 2), (4,)) and picked.boxes.tolist() == [[10, 10, 10, 31], [80, 80, 4, 4]]
    assert candidates[np.array([2, 0])].members == ((4,), (1, 2))
    assert candidates[1:].ink_area.tolist() == [150, 16]
    assert len(candidates[np.zeros(3, bool)]) == 0 and candidates[np.zeros(3, bool)].boxes.shape == (0, 4)
    both = candidates[np.array([0])] + candidates[np.array([2])]
    assert both.members == ((1, 2), (4,))


def test_largest_keeps_the_biggest_boxes_in_their_order():
    candidates = Candidates.from_members(STATS, [[4], [3], [1, 2]])  # box areas 16, 400, 310
    assert candidates.largest(2).members == ((3,), (1, 2))
    assert candidates.largest(5) is candidates


def test_the_label_table_maps_each_member_to_its_candidate():
    candidates = Candidates.from_members(STATS, [[3], [1, 2]])
    assert candidates.label_lut(5).tolist() == [-1, 1, 1, 0, -1]
