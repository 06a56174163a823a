"""Stage 2 of the pipeline: threshold a frame and find the regions that look like single digits.

Frame in, `Regions` out: each region is a box in source pixels plus the ink intensity the
normalizer needs. One module per step, in the order find_digits runs them:
working (the working image) -> surface (the sheet, and the ink's polarity) -> threshold ->
boxes (printed form boxes) -> rules (ruled and squared paper) -> components -> strokes (merge
broken strokes, cut thin lines) -> filters (size and shape, ink contrast, words) -> reading
(order) -> intensity.
Every tuning value is in a step's frozen config, all of them in Settings.detect (config.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from realtime.detect.boxes import remove_boxes
from realtime.detect.candidates import Candidates
from realtime.detect.components import Components, ink_components
from realtime.detect.config import DetectConfig
from realtime.detect.filters import has_ink_contrast, in_written_words, letter_sized, plausible_digits, too_wide
from realtime.detect.intensity import ink_intensity
from realtime.detect.reading import reading_lines, reading_order
from realtime.detect.reuse import ReuseConfig, StreamReuse, ink_polarity_of, surface_of, without_rules
from realtime.detect.rules import remove_rules
from realtime.detect.strokes import (
    StrokeInk,
    enclosed_by_frames,
    merge_broken_strokes,
    pieces_worth_merging,
    split_thin_lines,
)
from realtime.detect.surface import ink_bright_image
from realtime.detect.threshold import ink_offsets, keep_ink_cores, local_contrast, threshold_ink
from realtime.detect.working import to_working_gray

if TYPE_CHECKING:
    from realtime.settings import Settings

__all__ = ["Candidates", "Components", "DetectConfig", "Regions", "ReuseConfig", "StreamReuse", "find_digits",
           "ink_components", "local_contrast", "reading_lines", "reading_order", "remove_rules", "threshold_ink",
           "to_working_gray"]


@dataclass(frozen=True)
class Regions:
    """The candidate digits of one frame, with what the normalizer needs.

    boxes_src: (N, 4) int (x, y, w, h) in source pixels; candidates: the same regions in working
    pixels (boxes, member components, ink area); ink_work: (H, W) float32 in [0, 1], 1 = full
    ink, in working pixels (contrast-normalized darkness, or brightness for light ink);
    labels_work: (H, W) component labels (uint16, int32 past 65535) the members refer to;
    scale: working/source; ink_mask: (H, W) uint8 255 = ink, for the threshold view.
    """

    boxes_src: np.ndarray
    candidates: Candidates
    ink_work: np.ndarray
    labels_work: np.ndarray
    scale: float
    ink_mask: np.ndarray

    @property
    def boxes_work(self) -> np.ndarray:
        """(N, 4) int64 (x, y, w, h) in working pixels."""
        return self.candidates.boxes

    @property
    def members(self) -> tuple[tuple[int, ...], ...]:
        """For each region, the component labels (labels_work) that make it up."""
        return self.candidates.members

    def __len__(self) -> int:
        return len(self.boxes_src)


def find_digits(frame_bgr: np.ndarray, settings: Settings, reuse: StreamReuse | None = None) -> Regions:
    """Threshold `frame_bgr` ((H, W, 3) uint8, or (H, W) grey) and return its digit regions.

    reuse: a stream's state (one per stream, the same for each of its frames, in order): what
    is slow to find is then kept from earlier frames while the view is the same (reuse.py).
    None, for a single image: everything is found from this frame alone.
    """
    config = settings.detect
    gray, scale = to_working_gray(frame_bgr, config.working)
    surface = surface_of(gray, config.surface, reuse)
    light_ink = ink_polarity_of(gray, surface, settings.invert, config.surface, reuse)
    ink_bright = ink_bright_image(gray, light_ink)
    contrast = local_contrast(ink_bright, config.threshold)
    offsets = ink_offsets(ink_bright, surface.mask, light_ink, config.threshold)
    ink_mask = threshold_ink(ink_bright, contrast, surface.mask, settings.threshold, config.threshold, offsets)
    ink_mask = without_rules(remove_boxes(ink_mask, config.boxes), contrast, config.rules, reuse)
    if surface.mask is not None and not light_ink and config.threshold.ink_cores:
        ink_mask = keep_ink_cores(ink_mask, contrast, config.threshold, offsets)
    components = ink_components(ink_mask)
    pieces = pieces_worth_merging(components, config.strokes)
    candidates = merge_broken_strokes(components.stats, pieces, config.strokes,
                                      enclosed_by_frames(components, pieces, config.strokes),
                                      StrokeInk(components.labels, contrast))
    # A word is judged on its marks as written, before the shape filter drops joined letters.
    marks = candidates.boxes[letter_sized(candidates.boxes, gray.shape, config.shape)]
    components, candidates = _shape_filter(ink_mask, components, candidates, gray.shape, config)
    # Pixel checks cost per candidate: a frame of noise keeps only its largest candidates.
    candidates = candidates.largest(max(config.shape.max_pixel_checks, settings.max_regions))
    candidates = candidates[has_ink_contrast(ink_bright, ink_mask, components, candidates, config.contrast, light_ink)]
    candidates = candidates[~in_written_words(marks, candidates.boxes, config.words, config.reading, config.shape)]
    candidates = candidates.largest(settings.max_regions)
    candidates = candidates[reading_order(candidates.boxes, config.reading)]
    ink_work = ink_intensity(ink_bright, components, candidates, config.intensity)
    boxes_src = _to_source(candidates.boxes, scale, frame_bgr.shape[:2])
    return Regions(boxes_src, candidates, ink_work, components.labels, scale, ink_mask)


def _to_source(boxes_work: np.ndarray, scale: float, source_shape: tuple[int, int]) -> np.ndarray:
    """(N, 4) int (x, y, w, h) in source pixels of working-pixel boxes: rounded, but never empty
    and never past the frame (a tiny frame is enlarged to the working size, so a 1-px piece of a
    line there is a fraction of a source pixel)."""
    boxes = np.asarray(boxes_work, dtype=np.float64).reshape(-1, 4)
    if scale == 1.0:
        return boxes.astype(int)
    height, width = source_shape
    rounded = np.round(boxes / scale)
    x = np.minimum(rounded[:, 0], width - 1)
    y = np.minimum(rounded[:, 1], height - 1)
    w = np.clip(rounded[:, 2], 1, width - x)
    h = np.clip(rounded[:, 3], 1, height - y)
    return np.stack([x, y, w, h], axis=1).astype(int)


def _shape_filter(ink_mask: np.ndarray, components: Components, candidates: Candidates,
                  shape: tuple[int, int], config: DetectConfig) -> tuple[Components, Candidates]:
    """The candidates of plausible size and shape; those too wide to be a digit (digits strung
    together by what is left of a rule) are cut at their thin lines and tried again."""
    keep = plausible_digits(candidates, shape, config.shape)
    wide = ~keep & too_wide(candidates, config.shape)
    if not config.strokes.split or not wide.any():
        return components, candidates[keep]
    components, pieces = split_thin_lines(ink_mask, components, candidates[wide][:config.strokes.max_split_regions],
                                          config.strokes)
    return components, candidates[keep] + pieces[plausible_digits(pieces, shape, config.shape)]
