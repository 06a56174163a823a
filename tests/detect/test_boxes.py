"""boxes: the sides of printed form boxes are removed from the ink mask; what they hold stays,
and so do strokes crossing them and empty rectangles (a block-letter '0' or '8')."""

import dataclasses

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



def _masks_before_boxes(images, monkeypatch):
    """The ink mask find_digits hands to remove_boxes, for each image (default settings)."""
    import realtime.detect

    masks = []

    def capture(ink_mask, config):
        masks.append(ink_mask.copy())
        return remove_boxes(ink_mask, config)

    monkeypatch.setattr(realtime.detect, "remove_boxes", capture)
    for image in images:
        realtime.detect.find_digits(image, make_settings())
    return masks


def _same_frames(mask, config):
    """Whether _outlined_frames finds what _labelled_frames does (None: it hands over to it)."""
    from realtime.detect.boxes import _bridge_gaps, _labelled_frames, _outlined_frames

    bridged = _bridge_gaps(mask, config)
    outlined = _outlined_frames(bridged, 15, config)
    if outlined is None:
        return None
    # Only frames with a hole can hold a cell: the labelled ones without are nothing to remove.
    labelled = [(w, f) for w, f in _labelled_frames(bridged, 15, config)
                if cv2.findContours(f, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)[1][0][:, 3].max() >= 0]
    key = lambda frame: (frame[0][0].start, frame[0][1].start)  # noqa: E731
    return (len(outlined) == len(labelled)
            and all(a[0] == b[0] and np.array_equal(a[1], b[1])
                    for a, b in zip(sorted(outlined, key=key), sorted(labelled, key=key), strict=True)))


def test_frames_found_from_outlines_are_those_the_labels_give_on_real_forms(real_photos_dir, monkeypatch):
    # Forms with printed boxes (one digit a cell) and a page of handwriting, at 640 px.
    names = ("InternationalIDEA__c.digital__data_sample_02_crop1.jpg", "kawalc1__kawalc1__IMG_4219_crop1.JPG",
             "kawalc1__kawalc1__bengkulu_contoh_crop1.jpeg", "kawalc1__kawalc1__contoh-pilpres-2019_3_crop1.JPG",
             "Breta01__handwriting-ocr__page09.jpg")
    images = []
    for name in names:
        image = cv2.imread(str(real_photos_dir / name))
        shrink = 640 / max(image.shape[:2])
        images.append(cv2.resize(image, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA))
    masks = _masks_before_boxes(images, monkeypatch)
    assert [_same_frames(mask, CONFIG) for mask in masks] == [True] * len(names)
    # And the boxes of the forms are still found and removed this way.
    assert [not np.array_equal(remove_boxes(mask, CONFIG), mask) for mask in masks[:3]] == [True] * 3


def test_more_frame_sized_components_than_max_frames_hand_over_to_the_labels():
    # 8 x 10 empty rectangles, each one digit a cell in size: more than max_frames (64) of them.
    mask = _mask(*(cells(20 + 60 * i, 20 + 45 * j, 30, 30, 1) for i in range(10) for j in range(8)))
    assert _same_frames(mask, CONFIG) is None
    assert _same_frames(mask, dataclasses.replace(CONFIG, max_frames=100)) is True
