"""Steady labels: follow each digit across frames by box overlap and smooth what it is read as.

A live label flickers when a digit sits between two readings (a 4 that is nearly a 9): the
smoother averages the model's probabilities over a track's last few frames and changes the shown
label only when another one wins by a margin (hysteresis). Runs after the model, before annotate.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import deque
from dataclasses import dataclass

import numpy as np

from realtime.types import Detection

# A detection continues a track when their boxes overlap this much (intersection over union),
# or their centres are within half a digit height; a hand-held sheet moves a few pixels a frame.
MIN_TRACK_IOU = 0.3
# A track not seen for this many frames is forgotten (a digit that left the view).
MAX_MISSED_FRAMES = 5
# The shown label changes only when another label's mean probability beats it by this much.
SWITCH_MARGIN = 0.15


@dataclass
class _Track:
    track_id: int
    box: tuple[int, int, int, int]
    recent: deque
    steady_label: int
    missed: int = 0


def box_iou(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """(N, M) intersection over union of (x, y, w, h) boxes."""
    a = np.asarray(boxes_a, np.float64).reshape(-1, 4)
    b = np.asarray(boxes_b, np.float64).reshape(-1, 4)
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum((a[:, 0] + a[:, 2])[:, None], (b[:, 0] + b[:, 2])[None, :])
    y1 = np.minimum((a[:, 1] + a[:, 3])[:, None], (b[:, 1] + b[:, 3])[None, :])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None, :] - inter
    return inter / np.maximum(union, 1e-9)


def greedy_pairs(scores: np.ndarray, min_score: float) -> list[tuple[int, int]]:
    """One-to-one pairs (row, column) of an (N, M) score matrix, best score first, each row and
    column used once, scores under `min_score` (or 0) left out; sorted by row."""
    pairs, used_rows, used_columns = [], set(), set()
    for flat in np.argsort(-scores, axis=None, kind="stable"):
        i, j = divmod(int(flat), scores.shape[1])
        if scores[i, j] < min_score or scores[i, j] <= 0:
            break
        if i not in used_rows and j not in used_columns:
            used_rows.add(i)
            used_columns.add(j)
            pairs.append((i, j))
    return sorted(pairs)


def affinity(boxes_a, boxes_b) -> np.ndarray:
    """(N, M) how likely each pair is the same digit: box overlap, or for a small digit that
    jumped further than its own width, how close the centres are (1 = same place, 0 = a
    digit height or more apart)."""
    a = np.asarray(boxes_a, np.float64).reshape(-1, 4)
    b = np.asarray(boxes_b, np.float64).reshape(-1, 4)
    centre_a = a[:, :2] + a[:, 2:] / 2
    centre_b = b[:, :2] + b[:, 2:] / 2
    distance = np.linalg.norm(centre_a[:, None, :] - centre_b[None, :, :], axis=2)
    height = np.maximum(a[:, None, 3], b[None, :, 3])
    closeness = np.clip(1 - distance / np.maximum(height, 1), 0, 1) * MIN_TRACK_IOU * 2
    return np.maximum(box_iou(a, b), closeness)


class LabelSmoother:
    """Gives each detection a track id and a steady label; `window` frames of memory (>= 1)."""

    def __init__(self, window: int):
        if window < 1:
            raise ValueError("window must be at least 1")
        self.window = window
        self._tracks: list[_Track] = []
        self._ids = itertools.count()

    def update(self, detections: list[Detection]) -> list[Detection]:
        """The same detections, in the same order, with `track` and `steady_label` set."""
        matched = self._match(detections)
        updated: set[int] = set()
        out = []
        for index, detection in enumerate(detections):
            probabilities = (detection.probabilities if detection.probabilities is not None
                             else np.eye(10, dtype=np.float32)[detection.label])
            track = matched.get(index)
            if track is None:
                track = _Track(next(self._ids), detection.box, deque(maxlen=self.window), detection.label)
                self._tracks.append(track)
            track.box, track.missed = detection.box, 0
            track.recent.append(np.asarray(probabilities, np.float32))
            track.steady_label = _steady(track)
            updated.add(track.track_id)
            out.append(dataclasses.replace(detection, track=track.track_id, steady_label=track.steady_label))
        for track in self._tracks:
            if track.track_id not in updated:
                track.missed += 1
        self._tracks = [t for t in self._tracks if t.missed <= MAX_MISSED_FRAMES]
        return out

    def _match(self, detections: list[Detection]) -> dict[int, _Track]:
        """Greedy matching, best affinity first: detection index -> existing track."""
        if not detections or not self._tracks:
            return {}
        scores = affinity([d.box for d in detections], [t.box for t in self._tracks])
        return {i: self._tracks[j] for i, j in greedy_pairs(scores, MIN_TRACK_IOU)}


def _steady(track: _Track) -> int:
    mean = np.mean(track.recent, axis=0)
    best = int(mean.argmax())
    if len(track.recent) == 1:
        return best
    current = track.steady_label
    return best if mean[best] - mean[current] >= SWITCH_MARGIN else current
