"""The candidate digits of one frame while detection narrows them down: one typed set, indexed by
masks (like supervision's `Detections[mask]`), instead of parallel lists kept in step by hand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Candidates:
    """boxes: (N, 4) int64 (x, y, w, h) in working pixels; members: for each candidate, the
    component labels (Components.labels) whose ink makes it up; ink_area: (N,) int64 px of that
    ink."""

    boxes: np.ndarray
    members: tuple[tuple[int, ...], ...]
    ink_area: np.ndarray

    @classmethod
    def from_members(cls, stats: np.ndarray, members: Sequence[Sequence[int]]) -> Candidates:
        """One candidate per list of component labels: its box is the union of theirs.

        stats: (count, 5) Components.stats.
        """
        members = tuple(tuple(int(label) for label in member) for member in members)
        if not members:
            return cls.empty()
        # All groups at once (reduceat over the members laid end to end): a frame of texture
        # has hundreds of pieces, merged in several rounds, and a loop costs ~10 us a group.
        sizes = np.fromiter((len(member) for member in members), np.int64, len(members))
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        rows = stats[np.fromiter((label for member in members for label in member), np.int64,
                                 int(sizes.sum()))].astype(np.int64)
        x0 = np.minimum.reduceat(rows[:, 0], starts)
        y0 = np.minimum.reduceat(rows[:, 1], starts)
        x1 = np.maximum.reduceat(rows[:, 0] + rows[:, 2], starts)
        y1 = np.maximum.reduceat(rows[:, 1] + rows[:, 3], starts)
        boxes = np.stack([x0, y0, x1 - x0, y1 - y0], axis=1)
        return cls(boxes, members, np.add.reduceat(rows[:, cv2.CC_STAT_AREA], starts))

    @classmethod
    def empty(cls) -> Candidates:
        return cls(np.zeros((0, 4), np.int64), (), np.zeros(0, np.int64))

    def __len__(self) -> int:
        return len(self.boxes)

    def __getitem__(self, index) -> Candidates:
        """The candidates a bool mask (N,), an index array or a slice picks, in that order."""
        if isinstance(index, slice):
            picked = np.arange(len(self))[index]
        elif np.asarray(index).dtype == bool:
            picked = np.flatnonzero(index)
        else:
            picked = np.asarray(index, int).reshape(-1)
        return Candidates(self.boxes[picked].reshape(-1, 4), tuple(self.members[i] for i in picked),
                          self.ink_area[picked])

    def __add__(self, other: Candidates) -> Candidates:
        return Candidates(np.vstack([self.boxes, other.boxes]), self.members + other.members,
                          np.concatenate([self.ink_area, other.ink_area]))

    def largest(self, cap: int) -> Candidates:
        """At most `cap` candidates, those with the largest boxes, in their current order (noise
        frames: the largest are the likeliest digits)."""
        if len(self) <= cap:
            return self
        area = self.boxes[:, 2] * self.boxes[:, 3]
        return self[np.sort(np.argsort(-area, kind="stable")[:cap])]

    def label_lut(self, count: int) -> np.ndarray:
        """(count,) int32 component label -> candidate index (-1: none), so that
        `lut[labels] == k` is candidate k's ink."""
        lut = np.full(count, -1, np.int32)
        for k, member in enumerate(self.members):
            lut[list(member)] = k
        return lut
