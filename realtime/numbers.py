"""Numbers, not lone digits: group a frame's digits into lines and the digits of a line into numbers.

Digits of one number sit close together; numbers on a line are separated by a gap wider than
NUMBER_GAP_RATIO digit heights and several times the line's tightest gap. Runs after the model
(and the smoother), before annotate.
"""

from __future__ import annotations

import numpy as np

from realtime.detect import reading_lines
from realtime.types import Detection, Number

# Handwritten digits of one number are usually less than half a digit height apart; the space
# between two numbers is a digit height or more. Some people space every digit widely (the real
# desk photo: 0.5-1 heights), so a space must also be several times the line's tightest gap.
NUMBER_GAP_RATIO = 0.75
NUMBER_GAP_TO_TIGHTEST = 3.0


def group_numbers(detections: list[Detection], min_confidence: float = 0.0) -> list[Number]:
    """The numbers of one frame in reading order (lines top to bottom, left to right)."""
    if not detections:
        return []
    boxes = np.array([d.box for d in detections], np.int64)
    # Plain integers for the scan (indexing the array costs ~1 us a value, a frame's time here).
    x, _, w, h = (boxes[:, k].tolist() for k in range(4))
    numbers = []
    for line in reading_lines(boxes):
        gaps = [x[b] - (x[a] + w[a]) for a, b in zip(line, line[1:], strict=False)]
        tightest = max(min(gaps, default=0), 1)
        current = [line[0]]
        for previous, index, gap in zip(line, line[1:], gaps, strict=False):
            height = max(h[index], h[previous])
            if gap > NUMBER_GAP_RATIO * height and gap > NUMBER_GAP_TO_TIGHTEST * tightest:
                numbers.append(_number(current, detections, boxes, min_confidence))
                current = []
            current.append(index)
        numbers.append(_number(current, detections, boxes, min_confidence))
    return numbers


def _number(indices: list[int], detections: list[Detection], boxes: np.ndarray,
            min_confidence: float) -> Number:
    text = "".join(detections[i].shown_text(min_confidence) for i in indices)
    chosen = boxes[indices]
    x0, y0 = chosen[:, 0].min(), chosen[:, 1].min()
    x1, y1 = (chosen[:, 0] + chosen[:, 2]).max(), (chosen[:, 1] + chosen[:, 3]).max()
    return Number(text, (int(x0), int(y0), int(x1 - x0), int(y1 - y0)), tuple(indices))
