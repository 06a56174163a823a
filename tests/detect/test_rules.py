"""rules: long straight lines are removed from the ink mask; strokes on them and short lines stay."""

import dataclasses

import cv2
import numpy as np
import pytest
from conftest import make_settings

from realtime.detect.rules import RuleConfig, remove_rules
from realtime.detect.threshold import local_contrast, threshold_ink
from realtime.errors import UserError

SETTINGS = make_settings()
PAPER = 225


def _sheet(*drawings):
    """(ink mask, local contrast) of a 640x480 sheet of paper with the drawings on it."""
    gray = np.full((480, 640), PAPER, np.uint8)
    for draw in drawings:
        draw(gray)
    ink_bright = 255 - gray
    contrast = local_contrast(ink_bright, SETTINGS.detect.threshold)
    return threshold_ink(ink_bright, contrast, None, "adaptive", SETTINGS.detect.threshold), contrast


def _removed(*drawings, config=None):
    """(ink mask before, after remove_rules) of a 640x480 sheet of paper with the drawings on it."""
    mask, contrast = _sheet(*drawings)
    return mask, remove_rules(mask, contrast, config or SETTINGS.detect.rules)


def rule(y0, y1, level=170, x0=0, x1=640, thickness=2):
    return lambda gray: cv2.line(gray, (x0, y0), (x1 - 1, y1), level, thickness)


def block(x, y, w, h, level=40):
    def draw(gray):
        gray[y:y + h, x:x + w] = level
    return draw


def _px(mask, y0, y1, x0, x1):
    return int(mask[y0:y1, x0:x1].sum()) // 255


def test_a_rule_across_the_sheet_is_removed():
    mask, kept = _removed(rule(200, 200))
    assert _px(mask, 0, 480, 0, 640) == 1920 and _px(kept, 0, 480, 0, 640) == 0


def test_a_table_rule_of_six_tenths_of_the_width_is_removed():
    mask, kept = _removed(rule(200, 200, x0=100, x1=484))
    assert _px(mask, 0, 480, 0, 640) == 1154 and _px(kept, 0, 480, 0, 640) == 0


def test_a_straight_stroke_of_three_tenths_of_the_width_is_not_a_rule():
    mask, kept = _removed(block(100, 200, 192, 3, 170))
    assert _px(kept, 0, 480, 0, 640) == _px(mask, 0, 480, 0, 640) == 576


def test_a_sheet_turned_by_six_degrees_has_its_rules_removed_but_a_diagonal_stays():
    _, kept = _removed(rule(150, 214))  # slope 0.1
    assert _px(kept, 0, 480, 0, 640) == 0
    mask, kept = _removed(rule(100, 260))  # slope 0.25: a stroke, not a rule of a turned sheet
    assert _px(kept, 0, 480, 0, 640) == _px(mask, 0, 480, 0, 640) == 1920


def test_a_dashed_rule_is_still_a_rule():
    _, kept = _removed(*[rule(200, 200, x0=x, x1=x + 20) for x in range(0, 640, 40)])
    assert _px(kept, 0, 480, 0, 640) == 0


def test_ink_written_along_a_rule_stays_when_far_darker_than_it():
    # The rule stands 25 above the paper; a stroke lying on it 70 (2.8x) stays, 55 (2.2x) too,
    # 38 (1.5x) goes with the rule.
    for stroke_level, stays in ((PAPER - 70, True), (PAPER - 55, True), (PAPER - 38, False)):
        mask, kept = _removed(rule(200, 200, PAPER - 25), block(300, 200, 60, 2, stroke_level))
        assert _px(mask, 198, 204, 300, 360) == 180 and (_px(kept, 198, 204, 300, 360) == 120) == stays
        assert _px(kept, 195, 205, 0, 250) == 0


def test_a_thin_blob_as_pale_as_the_rule_goes_with_it():
    mask, kept = _removed(rule(200, 200), block(300, 198, 12, 5, 170))
    assert _px(mask, 196, 205, 300, 312) == 60 and _px(kept, 0, 480, 0, 640) == 0


def test_a_rule_thicker_than_six_pixels_is_a_stroke():
    mask, kept = _removed(rule(200, 200, thickness=8))
    assert _px(kept, 0, 480, 0, 640) == _px(mask, 0, 480, 0, 640) == 5760


def test_the_lost_rules_of_a_ruled_sheet_are_filled_in():
    # Three rules 40 px apart make a ruled sheet: the next rule, found only as a 40 px dash, goes.
    dash = rule(220, 220, x0=300, x1=340)
    _, kept = _removed(rule(100, 100), rule(140, 140), rule(180, 180), dash)
    assert _px(kept, 0, 480, 0, 640) == 0
    # Two rules are not a ruled sheet: a dash where a third would be stays.
    mask, kept = _removed(rule(100, 100), rule(140, 140), rule(180, 180, x0=300, x1=340))
    assert _px(kept, 175, 185, 290, 350) == _px(mask, 175, 185, 290, 350) == 122


def test_the_side_of_a_big_box_is_not_a_rule():
    # Sides 300 px long (over 0.4 of the width) but only 1.5 times the box's height.
    mask, kept = _removed(lambda gray: cv2.rectangle(gray, (170, 100), (470, 300), 40, 3))
    assert _px(kept, 0, 480, 0, 640) == _px(mask, 0, 480, 0, 640)


def test_a_rule_crossing_a_tall_stroke_is_still_a_rule():
    # The rule (384 px) and a 120 px stroke across it are one component: 3.2 times longer than
    # it is tall, so the rule goes and the stroke stays.
    mask, kept = _removed(rule(200, 200, x0=100, x1=484), block(300, 140, 4, 120, 40))
    assert _px(kept, 195, 205, 100, 290) == 0 and _px(kept, 140, 190, 300, 304) == 200


def _pale_dot_near_rules(offset_px):
    """Three rules 40 px apart (100, 140, 180) and a dash of the lost fourth at 220, with a pale
    2x4 px dot as pale as the rules offset_px below the lost rule's line and one below the found
    rule at 180. Returns (px of the dot near the lost rule kept, px of the one near the found rule)."""
    drawings = [rule(y, y) for y in (100, 140, 180)] + [rule(220, 220, x0=300, x1=340),
                                                         block(400, 220 + offset_px, 4, 2, 170),
                                                         block(500, 180 + offset_px, 4, 2, 170)]
    _, kept = _removed(*drawings)
    return _px(kept, 210, 232, 395, 410), _px(kept, 170, 192, 495, 510)


def test_a_band_around_each_rule_is_removed_wider_around_lost_ones():
    # Found rules: their thickness (3 px) plus 4; lost (inferred) rules: plus 6.
    assert _pale_dot_near_rules(3) == (0, 0)
    assert _pale_dot_near_rules(4) == (0, 4)
    assert _pale_dot_near_rules(5) == (4, 8)
    assert _pale_dot_near_rules(6) == (8, 8)


def test_rule_positions_within_four_pixels_are_one_line():
    from realtime.detect.rules import _same_lines

    position = np.array([100.0, 103.0, 107.0, 112.0, 300.0])
    eligible = np.array([True, True, True, True, False])
    assert _same_lines(position, eligible, SETTINGS.detect.rules).tolist() == [0, 0, 0, 1, -1]


def test_the_grid_of_a_ruled_sheet():
    from realtime.detect.rules import _rule_grid

    config = SETTINGS.detect.rules

    def grid(rules):
        found = _rule_grid(np.array(rules, float), config)
        return None if found is None else tuple(round(v, 2) for v in found)

    # One rule 10 px (a quarter spacing) off still lies on the grid and pulls the fit.
    assert grid([100, 140, 180, 230]) == (43.0, 98.0)
    # A stray line at 190 (a stroke chained into a line) and lost rules: spacing 40 still wins.
    assert grid([100, 140, 180, 190, 260, 400]) == (40.23, 101.59)
    # Two spacings, neither fitting three quarters of the rules: not a ruled sheet.
    assert grid([100, 120, 140, 200, 260, 320]) is None
    assert grid([100, 140]) is None


def test_a_share_beyond_one_is_refused_with_its_name():
    with pytest.raises(UserError, match="spacing_min_share=1.5 is outside"):
        RuleConfig(spacing_min_share=1.5)
    with pytest.raises(UserError, match="min_coverage=0"):
        RuleConfig(min_coverage=0)


def _desk_grain(seed=0, bottom=240):
    """A drawing: wood-grain-like streaks (15-45 px long, 2 px thick) over the frame above
    `bottom`, as a bright desk thresholded with the sheet gives: its horizontal runs hold several
    times RuleConfig.max_voting_px pixels."""
    def draw(gray):
        rng = np.random.default_rng(seed)
        for _ in range(700):
            x, y, length = int(rng.integers(0, 640)), int(rng.integers(0, bottom - 4)), int(rng.integers(15, 45))
            cv2.line(gray, (x, y), (x + length, y + int(rng.integers(-2, 3))), 150, 2)
    return draw


def _hough_inputs(monkeypatch):
    """The non-zero pixel count of every image handed to cv2.HoughLinesP from now on."""
    import realtime.detect.rules as rules_module

    counts = []
    hough = cv2.HoughLinesP

    def counting(image, *args, **kwargs):
        counts.append(cv2.countNonZero(image))
        return hough(image, *args, **kwargs)

    monkeypatch.setattr(rules_module.cv2, "HoughLinesP", counting)
    return counts


# The budget is off by default (it changes which rules real photos give); set, it holds.
BUDGET = dataclasses.replace(SETTINGS.detect.rules, max_voting_px=8000)


def test_hough_never_votes_on_more_than_its_budget(monkeypatch):
    # Dense texture (a bright desk thresholded with the sheet) had every pixel of its runs vote:
    # 20,000-40,000, 25 ms a pass. With a budget at most max_voting_px do, whatever the frame holds.
    counts = _hough_inputs(monkeypatch)
    mask, _ = _removed(_desk_grain(), config=BUDGET)
    budget = BUDGET.max_voting_px
    run = 640 // 48
    runs = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (run, 1)))
    assert cv2.countNonZero(runs) > 2 * budget  # the frame would exceed it
    assert counts and max(counts) <= budget


def test_a_rule_beside_a_grained_desk_is_still_removed_within_the_budget(monkeypatch):
    # Voting on every k-th column keeps a rule's exact position across: the sheet's rule is found
    # and removed as without the desk.
    counts = _hough_inputs(monkeypatch)
    mask, kept = _removed(_desk_grain(), rule(360, 360, level=120), config=BUDGET)
    assert max(counts) <= BUDGET.max_voting_px
    assert _px(mask, 359, 362, 0, 640) > 1200 and _px(kept, 355, 366, 0, 640) == 0


def _found(*drawings):
    """The Rules find_and_remove_rules gives for a 640x480 sheet with the drawings on it."""
    from realtime.detect.rules import find_and_remove_rules

    return find_and_remove_rules(*_sheet(*drawings), SETTINGS.detect.rules)[1]


def test_a_thick_band_votes_only_along_its_edges(monkeypatch):
    # A 12-px bar across the sheet (a ruler's shadow, a desk's edge) had every row vote: a dozen
    # parallel lines and most of Hough's time. Now its two edge rows do, and every row of a rule.
    counts = _hough_inputs(monkeypatch)
    mask, kept = _removed(block(0, 100, 640, 12, 120), rule(300, 300, thickness=3))
    rule_rows = _px(mask, 290, 310, 0, 640)
    assert _px(mask, 95, 120, 0, 640) == 12 * 640 and rule_rows == 5 * 640
    assert max(counts) == 2 * 640 + rule_rows  # the full-resolution pass
    assert _px(kept, 290, 310, 0, 640) == 0 and _px(kept, 95, 120, 0, 640) == 12 * 640


def test_a_rule_with_digits_lying_on_it_is_still_one_line():
    # Strokes crossing the rule and bases lying on it thicken it where they are: it is still
    # found as one line (its edges vote there), removed between them, and the strokes stay.
    strokes = [block(x, 160, 6, 60) for x in range(40, 600, 80)]
    bases = [block(x + 10, 198, 40, 6) for x in range(40, 600, 80)]
    mask, kept = _removed(rule(200, 200), *strokes, *bases)
    (found,) = _found(rule(200, 200), *strokes, *bases)
    assert found.is_horizontal and found.lines.tolist() == [[0, 200, 639, 200]]
    assert _px(kept, 195, 205, 0, 40) == 0 and _px(kept, 195, 205, 600, 640) == 0
    assert _px(kept, 160, 190, 0, 640) == _px(mask, 160, 190, 0, 640) == 7 * 6 * 30


def test_a_found_line_is_fitted_again_through_its_rules_pixels():
    # A 12-px bar 2 px under the right half of a rule: Hough's pieces of the two chained into
    # a line 6 px low, which left most of the rule. Fitted again through the rule's own ink
    # (where it is rule-thin), the line lies on the rule: all of it goes, the bar stays.
    drawings = (rule(200, 200), block(300, 203, 340, 12, 120))
    mask, kept = _removed(*drawings)
    (found,) = _found(*drawings)
    assert [0, 200, 639, 200] in found.lines.tolist()
    assert _px(mask, 197, 202, 0, 640) == 3 * 640 and _px(kept, 197, 202, 0, 640) == 0
    assert _px(kept, 203, 215, 300, 640) == _px(mask, 203, 215, 300, 640) == 12 * 340


def test_lines_at_different_angles_make_no_ruled_sheet():
    # Three long lines at slopes 0.1, 0 and -0.1, evenly spaced where they cross the middle
    # (desk grain chained into lines): no ruled sheet, so no rules are inferred between and
    # beyond them to cut the writing; three parallel ones are one.
    (found,) = _found(rule(100, 164), rule(200, 200), rule(300, 236))
    assert len(found.lines) == 3 and len(found.missing) == 0
    (found,) = _found(rule(132, 132), rule(200, 200), rule(268, 268))
    assert len(found.lines) == 3 and len(found.missing) == 4  # at 64, 336, 404 and 472 px


def test_a_thick_bars_lines_lie_along_its_edges():
    # A form's 14-px border, slanted: only its edge rows vote, and the lines are fitted to them
    # (pieces of the two edges chained across the bar into crossing lines cut the digits under
    # a real form's border). Along its edges nothing thin is removed: the bar stays whole.
    bar = rule(290, 310, thickness=14)
    (found,) = _found(bar)
    assert found.lines.tolist() == [[0, 283, 639, 303], [0, 297, 639, 317]]
    mask, kept = _removed(bar)
    assert _px(kept, 0, 480, 0, 640) == _px(mask, 0, 480, 0, 640) == 9600
