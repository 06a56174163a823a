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
    # Plain integers and each line's latest box's top, bottom and height kept beside it: the
    # scan indexed the boxes array for every line a box was weighed against (~1 us each; the
    # word filter reads the lines of every letter-sized mark of a frame, hundreds on a page).
    boxes = np.asarray(boxes).reshape(-1, 4)
    xs, tops, heights = boxes[:, 0].tolist(), boxes[:, 1].tolist(), boxes[:, 3].tolist()
    line_tops: list[int] = []
    line_bottoms: list[int] = []
    line_heights: list[int] = []
    for i in sorted(range(len(xs)), key=xs.__getitem__):  # stable, as argsort(kind="stable")
        top, height = tops[i], heights[i]
        bottom = top + height
        best, best_overlap = -1, 0.0
        for k in range(len(lines)):
            overlap = (min(bottom, line_bottoms[k]) - max(top, line_tops[k])) / max(1, min(height, line_heights[k]))
            if overlap > best_overlap:
                best, best_overlap = k, overlap
        if best >= 0 and best_overlap >= config.line_min_y_overlap:
            lines[best].append(i)
        else:
            best = len(lines)
            lines.append([i])
            line_tops.append(0)
            line_bottoms.append(0)
            line_heights.append(0)
        line_tops[best], line_bottoms[best], line_heights[best] = top, bottom, height
    # Lines by their mean centre: halves of whole numbers add up exactly in any order, so this
    # is np.mean's value of the same centres.
    centres = [top + height / 2 for top, height in zip(tops, heights, strict=True)]
    lines.sort(key=lambda line: sum(centres[i] for i in line) / len(line))
    return lines
