"""Stage 5 of the pipeline: draw each digit's box, label and confidence, and the FPS, on a copy.

Sizes scale with the frame's height so labels read the same at 640x480 and at 1080p.
"""

from __future__ import annotations

import cv2
import numpy as np

from realtime.types import Detection

SURE_BGR = (40, 200, 40)      # green: a label the model is confident about
UNSURE_BGR = (0, 165, 255)    # orange: under --min-confidence, shown as "?"
TEXT_BGR = (255, 255, 255)
FONT = cv2.FONT_HERSHEY_SIMPLEX
# Line thickness and font scale per 480 px of frame height: readable, never covering the digit.
THICKNESS_PER_480 = 2
FONT_SCALE_PER_480 = 0.6


def label_text(detection: Detection, min_confidence: float) -> str:
    """'7 93%' for a sure digit, '? 41%' under min_confidence."""
    shown = str(detection.label) if detection.confidence >= min_confidence else "?"
    return f"{shown} {detection.confidence:.0%}"


def annotate(frame_bgr: np.ndarray, detections: list[Detection], min_confidence: float,
             fps: float | None = None) -> np.ndarray:
    """A copy of the frame with boxes, labels and (if given) the FPS drawn on it."""
    out = frame_bgr.copy()
    unit = max(out.shape[0], 120) / 480
    thickness = max(1, round(THICKNESS_PER_480 * unit))
    font_scale = FONT_SCALE_PER_480 * unit
    for detection in detections:
        x, y, w, h = detection.box
        color = SURE_BGR if detection.confidence >= min_confidence else UNSURE_BGR
        cv2.rectangle(out, (x, y), (x + w, y + h), color, thickness)
        _text_with_background(out, label_text(detection, min_confidence), (x, y - thickness),
                              font_scale, thickness, color)
    if fps is not None:
        _text_with_background(out, f"{fps:.1f} fps  {len(detections)} digits",
                              (int(8 * unit), int(24 * unit)), font_scale, thickness, (60, 60, 60))
    return out


def _text_with_background(image: np.ndarray, text: str, bottom_left: tuple[int, int],
                          font_scale: float, thickness: int, color: tuple[int, int, int]) -> None:
    (tw, th), baseline = cv2.getTextSize(text, FONT, font_scale, thickness)
    x = int(np.clip(bottom_left[0], 0, max(0, image.shape[1] - tw)))
    y = int(np.clip(bottom_left[1], th + baseline, image.shape[0]))  # keep it inside the frame
    cv2.rectangle(image, (x, y - th - baseline), (x + tw, y), color, cv2.FILLED)
    cv2.putText(image, text, (x, y - baseline), FONT, font_scale, TEXT_BGR, thickness, cv2.LINE_AA)
