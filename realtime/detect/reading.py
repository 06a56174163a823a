"""Reading order: boxes grouped into text lines, top to bottom, each left to right. Used for the
order of the regions find_digits returns, by the word filter, and by realtime.numbers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ReadingConfig:
    """When a box continues a text line."""

    # A digit continues a line when it overlaps the line's latest digit vertically by this
    # fraction of the shorter of the two.
    line_min_y_overlap: float = 0.3


def reading_order(boxes: np.ndarray, config: ReadingConfig = ReadingConfig()) -> np.ndarray:
    """Indices of boxes ((N, 4) x, y, w, h) in reading order: lines top to bottom, left to right
    within a line."""
    return np.array([i for line in reading_lines(boxes, config) for i in line], int)


def reading_lines(boxes: np.ndarray, config: ReadingConfig = ReadingConfig()) -> list[list[int]]:
    """Box indices grouped into text lines, top to bottom, each left to right.

    Lines are chained left to right by vertical overlap with their latest digit, so a sheet
    held at a slant still reads line by line. The default config is Settings().detect.reading.
    """
    lines: list[list[int]] = []
    for i in np.argsort(boxes[:, 0], kind="stable") if len(boxes) else []:
        top, bottom = boxes[i, 1], boxes[i, 1] + boxes[i, 3]
        best, best_overlap = None, 0.0
        for line in lines:
            last = line[-1]
            overlap = min(bottom, boxes[last, 1] + boxes[last, 3]) - max(top, boxes[last, 1])
            overlap /= max(1, min(boxes[i, 3], boxes[last, 3]))
            if overlap > best_overlap:
                best, best_overlap = line, overlap
        if best is not None and best_overlap >= config.line_min_y_overlap:
            best.append(int(i))
        else:
            lines.append([int(i)])
    lines.sort(key=lambda line: float(np.mean(boxes[line, 1] + boxes[line, 3] / 2)))
    return lines
