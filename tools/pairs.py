"""Not shipped: frames of touching digits (two MNIST digits whose ink meets, no gap between them),
with their true boxes and labels, for the split tests and its measurement."""

from __future__ import annotations

import cv2
import numpy as np

from tools.synth import Scene, TrueDigit

# MNIST ink at or above this is the stroke (for where two digits touch and for the true boxes).
INK = 128


def touching_pair(left: np.ndarray, right: np.ndarray, overlap_px: int = 1):
    """Two (28, 28) uint8 MNIST digits side by side, the right one moved left until their strokes
    overlap by `overlap_px` columns in the row where they come closest: ((28, W) uint8, the
    column span [start, end) of each digit's ink in it)."""
    def trimmed(digit):
        cols = np.flatnonzero(digit.max(axis=0) > 0)
        return digit[:, cols[0]:cols[-1] + 1]

    a, b = trimmed(left), trimmed(right)
    # Per row, the ink's last column in a and first column in b (rows without ink never touch).
    a_end = np.array([np.flatnonzero(r >= INK)[-1] if (r >= INK).any() else -10 ** 6 for r in a])
    b_start = np.array([np.flatnonzero(r >= INK)[0] if (r >= INK).any() else 10 ** 6 for r in b])
    offset = int(np.max(a_end - b_start)) + 1 - overlap_px  # b's column 0 lands here
    offset = max(offset, 1)
    width = max(a.shape[1], offset + b.shape[1])
    pair = np.zeros((28, width), np.uint8)
    pair[:, :a.shape[1]] = a
    pair[:, offset:offset + b.shape[1]] = np.maximum(pair[:, offset:offset + b.shape[1]], b)

    def span(digit, start):
        cols = np.flatnonzero(digit.max(axis=0) >= INK)
        return start + int(cols[0]), start + int(cols[-1]) + 1

    return pair, (span(a, 0), span(b, offset))


def make_pair_scene(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator,
                    pairs: int = 4, size: tuple[int, int] = (640, 480),
                    height_px: tuple[float, float] = (50, 80)) -> Scene:
    """A plain sheet under even light with `pairs` pairs of touching MNIST digits in rows, dark
    ink, a little blur and sensor noise; the truth holds every digit's own box."""
    width, height = size
    page = np.full((height, width), 225.0, np.float32)
    digits = []
    cell_w, cell_h = width // 2, height // max(1, (pairs + 1) // 2)
    for k in range(pairs):
        i, j = rng.choice(len(images), 2, replace=False)
        pair, spans = touching_pair(images[i], images[j], overlap_px=int(rng.integers(1, 3)))
        scale = rng.uniform(*height_px) / 28
        up = cv2.resize(pair.astype(np.float32) / 255, (round(pair.shape[1] * scale), round(28 * scale)),
                        interpolation=cv2.INTER_CUBIC).clip(0, 1)
        x0 = (k % 2) * cell_w + (cell_w - up.shape[1]) // 2
        y0 = (k // 2) * cell_h + (cell_h - up.shape[0]) // 2
        region = page[y0:y0 + up.shape[0], x0:x0 + up.shape[1]]
        region[:] = region * (1 - up) + 35.0 * up
        rows = np.flatnonzero((up >= INK / 255).any(axis=1))
        for (start, end), index in zip(spans, (i, j), strict=True):
            cols = np.flatnonzero((up[:, round(start * scale):round(end * scale)] >= INK / 255).any(axis=0))
            part_rows = np.flatnonzero((up[:, round(start * scale):round(end * scale)] >= INK / 255).any(axis=1))
            box_x = x0 + round(start * scale) + int(cols[0])
            digits.append(TrueDigit((box_x, y0 + int(part_rows[0]), int(cols[-1] - cols[0] + 1),
                                     int(part_rows[-1] - part_rows[0] + 1)), int(labels[index]), int(index)))
        del rows
    page = cv2.GaussianBlur(page, (0, 0), 0.8) + rng.normal(0, 3, page.shape)
    gray = page.clip(0, 255).astype(np.uint8)
    return Scene(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR), tuple(digits))
