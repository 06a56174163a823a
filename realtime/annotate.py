"""Stage 5 of the pipeline: draw each digit's box, label and confidence, each number's text and
the FPS, on a copy.

Sizes scale with the frame's height so labels read the same at 640x480 and at 1080p. Labels go
above their box unless that would cover a label already drawn or another digit; then below.
"""

from __future__ import annotations

import cv2
import numpy as np

from realtime.types import Detection

SURE_BGR = (40, 200, 40)      # green: a label the model is confident about
UNSURE_BGR = (0, 165, 255)    # orange: under --min-confidence, shown as "?"
INFO_BGR = (60, 60, 60)       # dark grey behind the FPS line
NUMBER_BGR = (200, 120, 20)   # blue: the text of a whole number, over its digits
# A number's text is drawn a little larger than a digit's label: it is what a reader wants.
NUMBER_SCALE = 1.2
FONT = cv2.FONT_HERSHEY_SIMPLEX
# Line thickness and font scale per 480 px of frame height: readable, never covering the digit.
THICKNESS_PER_480 = 2
FONT_SCALE_PER_480 = 0.45
# Space around label text, per 480 px: text touching its plate edge reads as clipped.
PAD_PER_480 = 2


def label_text(detection: Detection, min_confidence: float) -> str:
    """'7 93%' for a sure digit, '? 41%' under min_confidence (the steady label when smoothed)."""
    return f"{detection.shown_text(min_confidence)} {detection.confidence:.0%}"


def annotate(frame_bgr: np.ndarray, detections: list[Detection], min_confidence: float,
             fps: float | None = None, numbers=()) -> np.ndarray:
    """A copy of the (H, W, 3) uint8 frame with boxes, labels, the text of each number of two or
    more digits, and (if given) the FPS drawn on it."""
    out = frame_bgr.copy()
    unit = max(out.shape[0], 120) / 480
    thickness = max(1, round(THICKNESS_PER_480 * unit))
    font_scale = FONT_SCALE_PER_480 * unit
    pad = max(1, round(PAD_PER_480 * unit))
    for detection in detections:
        x, y, w, h = detection.box
        color = SURE_BGR if detection.is_sure(min_confidence) else UNSURE_BGR
        cv2.rectangle(out, (x, y), (x + w, y + h), color, thickness)
    # Obstacles for the labels: every digit (its own too: a label never hides its digit), the
    # FPS line and the labels already placed.
    taken = [_as_corners(d.box) for d in detections]
    if fps is not None:
        text = f"{fps:.1f} fps  {len(detections)} digits"
        (tw, th), baseline = cv2.getTextSize(text, FONT, font_scale, thickness)
        plate = _place_info(tw + 2 * pad, th + baseline + 2 * pad, int(8 * unit), taken, out.shape)
        _draw_plate(out, text, plate, font_scale, thickness, pad, INFO_BGR)
        taken.append(plate)
    for detection in detections:
        color = SURE_BGR if detection.is_sure(min_confidence) else UNSURE_BGR
        text = label_text(detection, min_confidence)
        plate = _place_label(text, detection.box, taken, out.shape, font_scale, thickness, pad)
        _draw_plate(out, text, plate, font_scale, thickness, pad, color)
        taken.append(plate)
    for number in numbers:
        if len(number.digits) < 2:
            continue  # a lone digit's own label already says it
        taken.append(_as_corners(number.box))  # the number's own digits are not in the way
        plate = _place_label(number.text, number.box, taken, out.shape, font_scale * NUMBER_SCALE,
                             thickness, pad)
        _draw_plate(out, number.text, plate, font_scale * NUMBER_SCALE, thickness, pad, NUMBER_BGR)
        taken.append(plate)
    return out


def _as_corners(box) -> tuple[int, int, int, int]:
    x, y, w, h = (int(v) for v in box)
    return x, y, x + w, y + h


def _place_info(plate_w, plate_h, margin, taken, shape) -> tuple[int, int, int, int]:
    """The FPS line's plate: top-left, or the first other corner where it hides no digit."""
    height, width = shape[:2]
    lefts = (margin, max(0, width - margin - plate_w))
    tops = (margin, max(0, height - margin - plate_h))
    corners = [(lefts[0], tops[0]), (lefts[1], tops[0]), (lefts[0], tops[1]), (lefts[1], tops[1])]
    candidates = []
    for order, (left, top) in enumerate(corners):
        plate = (left, top, left + plate_w, top + plate_h)
        candidates.append((sum(_overlap(plate, other) for other in taken), order, plate))
    return min(candidates)[2]


def _place_label(text, box, taken, shape, font_scale, thickness, pad) -> tuple[int, int, int, int]:
    """The label's plate (x0, y0, x1, y1): above the box, else below, whichever covers least."""
    (tw, th), baseline = cv2.getTextSize(text, FONT, font_scale, thickness)
    plate_w, plate_h = tw + 2 * pad, th + baseline + 2 * pad
    x0, y0, _, y1 = _as_corners(box)
    height, width = shape[:2]
    left = int(np.clip(x0, 0, max(0, width - plate_w)))
    candidates = []
    for top in (y0 - thickness // 2 - plate_h, y1 + thickness // 2 + 1):
        top = int(np.clip(top, 0, max(0, height - plate_h)))  # keep it inside the frame
        plate = (left, top, left + plate_w, top + plate_h)
        candidates.append((sum(_overlap(plate, other) for other in taken), len(candidates), plate))
    return min(candidates)[2]


def _overlap(a, b) -> int:
    return max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))


def _draw_plate(image, text, plate, font_scale, thickness, pad, color) -> None:
    x0, y0, x1, y1 = plate
    cv2.rectangle(image, (x0, y0), (x1, y1), color, cv2.FILLED)
    # Dark text on the bright green and orange, white on the dark grey: the higher contrast.
    luma = 0.114 * color[0] + 0.587 * color[1] + 0.299 * color[2]
    text_bgr = (20, 20, 20) if luma > 110 else (255, 255, 255)
    (_, th), _ = cv2.getTextSize(text, FONT, font_scale, thickness)
    cv2.putText(image, text, (x0 + pad, y0 + pad + th), FONT, font_scale, text_bgr, thickness,
                cv2.LINE_AA)
