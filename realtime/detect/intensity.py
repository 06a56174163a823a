"""The last detection step, ink intensity: how much ink each pixel of a kept region holds, the
normalizer's input."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from realtime.detect.candidates import Candidates
from realtime.detect.components import Components
from realtime.detect.filters import own_ink, quantile


@dataclass(frozen=True)
class IntensityConfig:
    """Where a region's ink reaches full strength, and how much of its rim is kept."""

    # The ink level is this quantile of the region's ink: the stroke's core, not its single
    # darkest pixel, reaches 1.
    core_quantile: float = 0.9
    # Pixels within this (odd) px ellipse around the region's ink keep their grey: the
    # anti-aliased rim of its strokes, but nothing of its neighbours.
    rim_px: int = 3


def ink_intensity(ink_bright: np.ndarray, components: Components, candidates: Candidates,
                  config: IntensityConfig) -> np.ndarray:
    """(H, W) float32 ink strength in [0, 1] over the working frame, filled only inside the
    candidates' boxes (ink_bright: 255 = the most ink).

    Per region: (pixel - paper level) / (ink level - paper level), so faint pencil and black
    marker both reach 1 at the stroke's core, and anti-aliased edges keep their grey.
    """
    out = np.zeros(ink_bright.shape, np.float32)
    labels, label_lut = components.labels, candidates.label_lut(components.count)
    grow = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (config.rim_px, config.rim_px))
    for k, (x, y, w, h) in enumerate(candidates.boxes):
        levels = ink_bright[y:y + h, x:x + w]
        is_ink = own_ink(labels[y:y + h, x:x + w], label_lut, candidates.members[k], k)
        # Quantiles of the uint8 levels: the same values as of their float copies, and faster.
        ground = quantile(levels[~is_ink], 0.5) if not is_ink.all() else float(levels.min())
        core = quantile(levels[is_ink], config.core_quantile) if is_ink.any() else ground + 1
        patch = levels.astype(np.float32)
        strength = np.clip((patch - ground) / max(core - ground, 1.0), 0, 1)
        near = cv2.dilate(is_ink.view(np.uint8), grow).view(bool)
        out[y:y + h, x:x + w] = np.where(near, strength, 0)
    return out
