"""types: the values between the stages, and the one "?" rule every stage shows digits by."""

from __future__ import annotations

import numpy as np

from realtime.annotate import SURE_BGR, UNSURE_BGR, annotate, label_text
from realtime.numbers import group_numbers
from realtime.types import Detection, Frame, FrameResult, Number, is_sure

DIGIT = np.zeros((28, 28), np.float32)


def test_the_question_mark_rule_at_its_bar():
    assert is_sure(0.5, 0.5) and is_sure(0.51, 0.5) and not is_sure(0.4999, 0.5)
    assert is_sure(0.0, 0.0) and not is_sure(0.999, 1.0)
    sure, unsure = Detection((0, 0, 1, 1), 7, 0.5, DIGIT), Detection((0, 0, 1, 1), 7, 0.4999, DIGIT)
    assert sure.is_sure(0.5) and not unsure.is_sure(0.5)
    assert (sure.shown_text(0.5), unsure.shown_text(0.5)) == ("7", "?")
    steady = Detection((0, 0, 1, 1), 7, 0.9, DIGIT, track=3, steady_label=1)
    assert steady.shown_text(0.5) == "1"  # smoothed: the steady label is what is shown


def test_label_colour_and_number_text_follow_the_same_rule():
    """Confidences just above, at and just below the bar, on one line: the label, its colour and
    the number's text agree digit by digit, because they ask the same function."""
    confidences = (0.51, 0.5, 0.49)
    boxes = [(60 + 40 * i, 200, 30, 50) for i in range(3)]
    detections = [Detection(box, 4, c, DIGIT) for box, c in zip(boxes, confidences, strict=True)]
    assert [label_text(d, 0.5) for d in detections] == ["4 51%", "4 50%", "? 49%"]
    assert [n.text for n in group_numbers(detections, 0.5)] == ["44?"]
    out = annotate(np.full((480, 640, 3), 225, np.uint8), detections, 0.5)
    assert [tuple(out[225, x]) for x, _, _, _ in boxes] == [SURE_BGR, SURE_BGR, UNSURE_BGR]


def test_frame_result_json_is_the_stable_line():
    frame = Frame(3, 0.2, np.zeros((4, 4, 3), np.uint8), name="a.png")
    result = FrameResult(frame, (Detection((1, 2, 3, 4), 5, 0.91234, DIGIT),),
                         (Number("5", (1, 2, 3, 4), (0,)),), np.zeros((4, 4), np.uint8))
    assert result.to_json() == {"frame": 3, "time_s": 0.2,
                                "detections": [{"box": [1, 2, 3, 4], "label": 5, "confidence": 0.9123}],
                                "numbers": [{"text": "5", "box": [1, 2, 3, 4], "digits": [0]}]}
