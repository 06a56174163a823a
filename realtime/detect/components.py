"""Connected components of the ink mask: the pieces every later step groups, measures and keeps.

Components rather than RETR_EXTERNAL contours, so a sheet edge or a frame border that encloses
the digits cannot swallow them, and the holes of 0/6/8/9 are never regions.
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np


class Components(NamedTuple):
    """count: number of labels, background (0) included; labels: (H, W) uint16 (int32 past
    65535) component label per pixel; stats: (count, 5) int32 rows of cv2.CC_STAT_* (x, y, w,
    h, area in px)."""

    count: int
    labels: np.ndarray
    stats: np.ndarray

    @property
    def areas(self) -> np.ndarray:
        """(count,) ink px of each component (row 0: the background)."""
        return self.stats[:, cv2.CC_STAT_AREA]


def ink_components(ink_mask: np.ndarray) -> Components:
    """cv2.connectedComponentsWithStats, 8-connected, with 16-bit labels when they fit: half the
    memory to write, about 0.4 ms less a 640x480 frame. A frame of noise can hold more than
    65535 components; OpenCV refuses those and the labels are 32-bit."""
    try:
        count, labels, stats, _ = cv2.connectedComponentsWithStats(ink_mask, connectivity=8, ltype=cv2.CV_16U)
    except cv2.error:
        count, labels, stats, _ = cv2.connectedComponentsWithStats(ink_mask, connectivity=8, ltype=cv2.CV_32S)
    return Components(count, labels, stats)
