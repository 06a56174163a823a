"""numbers: digits grouped into numbers, in reading order, on generated sheets with known numbers."""

import cv2
import numpy as np
import pytest

from realtime.numbers import group_numbers
from realtime.types import Detection


def _sheet_with_numbers(mnist_test, lines, height_px=44, seed=0):
    """A page with `lines` (each a list of number strings) written in MNIST test digits.

    Digits of a number are 0.2-0.35 heights apart, numbers 1.5-2 heights apart, lines 1.8 apart.
    """
    images, labels = mnist_test
    by_label = {d: np.flatnonzero(labels == d) for d in range(10)}
    rng = np.random.default_rng(seed)
    page = np.full((480, 640), 228.0, np.float32)
    y = 40
    for line in lines:
        x = 30
        for number in line:
            for char in number:
                digit = images[rng.choice(by_label[int(char)])].astype(np.float32) / 255
                ys, xs = np.nonzero(digit > 0.25)
                digit = digit[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
                scale = height_px / digit.shape[0]
                alpha = np.clip(cv2.resize(digit, (max(3, round(digit.shape[1] * scale)), height_px)), 0, 1)
                h, w = alpha.shape
                page[y:y + h, x:x + w] = page[y:y + h, x:x + w] * (1 - alpha) + 35 * alpha
                x += w + int(rng.uniform(0.2, 0.35) * height_px)
            x += int(rng.uniform(1.5, 2.0) * height_px)
        y += int(1.8 * height_px)
    return cv2.cvtColor(page.astype(np.uint8), cv2.COLOR_GRAY2BGR)


@pytest.mark.parametrize("lines", [
    [["2024"]],
    [["17", "305"]],
    [["42", "7"], ["1999", "86"], ["5"]],
])
def test_numbers_are_read_in_reading_order(recognizer, mnist_test, lines):
    image = _sheet_with_numbers(mnist_test, lines)
    detections = recognizer.recognize(image)
    numbers = group_numbers(detections)
    expected = [number for line in lines for number in line]
    assert [len(n.text) for n in numbers] == [len(e) for e in expected]
    right = sum(a == b for n, e in zip(numbers, expected, strict=True) for a, b in zip(n.text, e, strict=True))
    assert right >= 0.85 * sum(len(e) for e in expected), ([n.text for n in numbers], expected)
    for number in numbers:
        x, y, w, h = number.box
        for index in number.digits:
            dx, dy, dw, dh = detections[index].box
            assert x <= dx and y <= dy and dx + dw <= x + w and dy + dh <= y + h
    assert sorted(i for n in numbers for i in n.digits) == list(range(len(detections)))


def _at(box, label, confidence=0.9):
    return Detection(box, label, confidence, np.zeros((28, 28), np.float32))


def test_grouping_rules_and_json():
    detections = [_at((10, 10, 20, 40), 1), _at((38, 12, 20, 40), 2),  # "12" (gap 8)
                  _at((120, 10, 20, 40), 3, 0.2),                      # "?" alone (gap 62)
                  _at((12, 100, 20, 40), 4)]                           # next line
    numbers = group_numbers(detections, min_confidence=0.5)
    assert [n.text for n in numbers] == ["12", "?", "4"]
    assert numbers[0].to_json() == {"text": "12", "box": [10, 10, 48, 42], "digits": [0, 1]}
    assert group_numbers([]) == []
