"""Stage 2 of the pipeline: threshold a frame and find the regions that look like single digits.

Frame in, `Regions` out: each region is a box in source pixels plus the ink intensity the
normalizer needs. One module per step, in the order find_digits runs them:
working (the working image) -> surface (the sheet, and the ink's polarity) -> threshold ->
boxes (printed form boxes) -> rules (ruled and squared paper) -> components -> strokes (merge
broken strokes, cut thin lines) -> filters (size and shape, ink contrast, words) -> reading
(order) -> intensity.
Every tuning value is in a step's frozen config, all of them in Settings.detect (config.py).
find_digits = working_view (working image, surface, polarity: kept by a stream's reuse.py) then
digits_in (the steps from the threshold on), which a stream's kept_digits.py also runs on
windows of the view: only where something may have changed.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from realtime.detect.boxes import remove_boxes
from realtime.detect.candidates import Candidates
from realtime.detect.components import Components, ink_components
from realtime.detect.config import DetectConfig
from realtime.detect.context import ViewContext
from realtime.detect.filters import (
    ShapeConfig,
    in_written_words,
    ink_contrast,
    least_digit_height,
    letter_sized,
    plausible_digits,
    too_wide,
)
from realtime.detect.intensity import ink_intensity
from realtime.detect.reading import reading_lines, reading_order
from realtime.detect.reuse import ReuseConfig, StreamReuse, ink_polarity_of, surface_of, without_rules
from realtime.detect.rules import erase_rules, remove_rules
from realtime.detect.strokes import (
    StrokeInk,
    enclosed_by_frames,
    merge_broken_strokes,
    pieces_typical_height,
    pieces_worth_merging,
    split_thin_lines,
)
from realtime.detect.surface import Surface, ink_bright_image
from realtime.detect.threshold import ink_offsets, keep_ink_cores, local_contrast, threshold_ink
from realtime.detect.working import to_working_gray

if TYPE_CHECKING:
    from realtime.settings import Settings

__all__ = ["Candidates", "Components", "DetectConfig", "Regions", "ReuseConfig", "StreamReuse", "ViewContext",
           "WorkingView",
           "digits_in", "find_digits", "ink_components", "local_contrast", "reading_lines", "reading_order",
           "remove_rules", "threshold_ink", "to_working_gray", "working_view"]


@dataclass(frozen=True)
class Regions:
    """The candidate digits of one frame, with what the normalizer needs.

    boxes_src: (N, 4) int (x, y, w, h) in source pixels; candidates: the same regions in working
    pixels (boxes, member components, ink area); ink_of: what gives ink_work, (H, W) float32 in
    [0, 1], 1 = full ink, in working pixels (contrast-normalized darkness, or brightness for
    light ink), made the first time it is read (a stream's window reads it only when it found
    a digit to read: most find only digits already read); labels_work: (H, W) component labels
    (uint16, int32 past 65535) the members refer to; scale: working/source; ink_mask: (H, W)
    uint8 255 = ink, for the threshold view.
    """

    boxes_src: np.ndarray
    candidates: Candidates
    ink_of: Callable[[], np.ndarray] = field(repr=False)
    labels_work: np.ndarray
    scale: float
    ink_mask: np.ndarray
    # Where ink_work, labels_work and ink_mask start in the frame's working pixels (a window's
    # top-left; (0, 0) for the whole frame); boxes_work are in their pixels.
    origin: tuple[int, int] = (0, 0)
    # The statistics the regions were judged by: the whole view's (a window's are those it was
    # given), for the windows of the frames after (kept_digits).
    context: ViewContext | None = None

    @functools.cached_property
    def ink_work(self) -> np.ndarray:
        """(H, W) float32 ink strength in [0, 1] (ink_of's, made once)."""
        return self.ink_of()

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
    return digits_in(working_view(frame_bgr, settings, reuse), settings, reuse)


@dataclass(frozen=True)
class WorkingView:
    """A frame's working image (gray, working/source scale), its writing surface and the ink's
    polarity on it: what every window of the frame is searched with (digits_in)."""

    gray: np.ndarray
    scale: float
    surface: Surface
    light_ink: bool
    source_shape: tuple[int, int]


def working_view(frame_bgr: np.ndarray, settings: Settings, reuse: StreamReuse | None = None) -> WorkingView:
    """The working image of a frame with its surface and ink polarity (kept by a stream's reuse)."""
    config = settings.detect
    gray, scale = to_working_gray(frame_bgr, config.working)
    surface = surface_of(gray, config.surface, reuse)
    light_ink = ink_polarity_of(gray, surface, settings.invert, config.surface, reuse)
    return WorkingView(gray, scale, surface, light_ink, frame_bgr.shape[:2])


def digits_in(view: WorkingView, settings: Settings, reuse: StreamReuse | None = None,
              window: tuple[int, int, int, int] | None = None, context: ViewContext | None = None) -> Regions:
    """The digit regions of a working view: of all of it, or (window: x0, y0, x1, y1 working px,
    within the view) only those wholly inside the window (a stream's kept_digits re-reads only
    what changed): its crop is searched with the view's surface and polarity, the threshold's
    neighbourhood of the whole view, the rules the stream keeps (reuse.rules_in_view()), the
    whole view's size for the size limits and its statistics (context: the Regions.context of
    the view's last whole frame; None: the window's own). A window's Regions have its crop's
    ink_work, labels and mask, and their origin at its top-left."""
    config = settings.detect
    gray, search, origin = view.gray, view.surface.mask, (0, 0)
    if window is not None:
        x0, y0, x1, y1 = window
        gray, origin = gray[y0:y1, x0:x1], (x0, y0)
        search = None if search is None else search[y0:y1, x0:x1]
    light_ink, shape = view.light_ink, view.gray.shape
    ink_bright = ink_bright_image(gray, light_ink)
    contrast = local_contrast(ink_bright, config.threshold, shape)
    offsets = ink_offsets(ink_bright, search, light_ink, config.threshold,
                          None if context is None else context.noise_sigma)
    ink_mask = threshold_ink(ink_bright, contrast, search, settings.threshold, config.threshold, offsets)
    thresholded = ink_mask
    if context is None or context.boxes:
        ink_mask = remove_boxes(ink_mask, config.boxes)
    has_boxes = ink_mask is not thresholded
    if window is None:
        ink_mask = without_rules(ink_mask, contrast, config.rules, reuse)
    else:
        ink_mask = erase_rules(ink_mask, contrast,
                               tuple(rules.moved(-origin[0], -origin[1], gray.shape[1], gray.shape[0])
                                     for rules in reuse.rules_in_view()), config.rules)
    if search is not None and not light_ink and config.threshold.ink_cores:
        ink_mask = keep_ink_cores(ink_mask, contrast, config.threshold, offsets)
    components = ink_components(ink_mask)
    pieces = pieces_worth_merging(components, config.strokes)
    typical = (pieces_typical_height(components.stats, pieces, config.strokes) if context is None
               else context.typical_height)
    candidates = merge_broken_strokes(components.stats, pieces, config.strokes,
                                      enclosed_by_frames(components, pieces, config.strokes),
                                      StrokeInk(components.labels, contrast), typical)
    if window is not None:
        # The window's own edge is no frame border: what it cuts is left to the kept digits (or
        # to another window), by the one border rule, applied to the crop below.
        config = config.replace(shape=dataclasses.replace(config.shape, reject_border=False))
    # A word is judged on its marks as written, before the shape filter drops joined letters.
    marks = candidates.boxes[letter_sized(candidates.boxes, shape, config.shape)]
    components, candidates, cut = _shape_filter(ink_mask, components, candidates, shape, config, typical,
                                                None if window is None else gray.shape)
    if window is not None:
        candidates = candidates[_clear_of_edges(candidates.boxes, gray.shape)]
    # Pixel checks cost per candidate: a frame of noise keeps only its largest candidates.
    candidates = candidates.largest(max(config.shape.max_pixel_checks, settings.max_regions))
    judged = ink_contrast(ink_bright, ink_mask, components, candidates, config.contrast, light_ink,
                          bar=None if context is None else context.texture_bar,
                          flank=None if context is None else context.flank_px, view_shape=shape)
    candidates = candidates[judged.keep]
    letters = cut[letter_sized(cut, shape, config.shape)]
    candidates = candidates[~in_written_words(marks, candidates.boxes, config.words, config.reading, config.shape,
                                              letters)]
    candidates = candidates.largest(settings.max_regions)
    candidates = candidates[reading_order(candidates.boxes, config.reading)]
    ink_of = functools.partial(ink_intensity, ink_bright, components, candidates, config.intensity)
    boxes_src = _to_source(candidates.boxes + np.array([*origin, 0, 0]), view.scale, view.source_shape)
    if context is None:
        context = ViewContext(offsets.noise_sigma, typical, judged.bar, judged.flank_px, has_boxes)
    return Regions(boxes_src, candidates, ink_of, components.labels, view.scale, ink_mask, origin, context)


def _clear_of_edges(boxes: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(N,) bool: boxes ((N, 4) x, y, w, h) that touch no edge of an image of `shape`."""
    x, y, w, h = boxes.T
    return (x > 0) & (y > 0) & (x + w < shape[1]) & (y + h < shape[0])


def _may_hold_a_digit_clear_of_edges(boxes: np.ndarray, window: tuple[int, int], shape: tuple[int, int],
                                     config: ShapeConfig) -> np.ndarray:
    """(N,) bool: boxes ((N, 4) x, y, w, h in a window of `window` shape) with room inside for
    a piece of a digit's least height (ShapeConfig, by the view's `shape`) that touches neither
    the window's top nor its bottom edge: a sliver of a digit the window's edge cut (a 40x4 box
    on the band's last row) has none, and its split (~1 ms) could only give what the edge rule
    drops (_clear_of_edges)."""
    y, h = boxes[:, 1], boxes[:, 3]
    room = h - (y == 0) - (y + h >= window[0])
    return room >= least_digit_height(shape, config)


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
                  shape: tuple[int, int], config: DetectConfig, typical: float,
                  window: tuple[int, int] | None = None) -> tuple[Components, Candidates, np.ndarray]:
    """The candidates of plausible size and shape; those too wide to be a digit (digits strung
    together by what is left of a rule) are cut at their thin lines and tried again, but in a
    window (its shape) not those its edge cut too short for any piece to be a whole digit. Also
    the boxes ((K, 4)) of every piece the cut made, plausible or not: a cut word's letters."""
    keep = plausible_digits(candidates, shape, config.shape)
    wide = ~keep & too_wide(candidates, config.shape)
    if window is not None and wide.any():
        wide &= _may_hold_a_digit_clear_of_edges(candidates.boxes, window, shape, config.shape)
    if not config.strokes.split or not wide.any():
        return components, candidates[keep], np.zeros((0, 4), int)
    components, pieces = split_thin_lines(ink_mask, components, candidates[wide][:config.strokes.max_split_regions],
                                          config.strokes, typical)
    return components, candidates[keep] + pieces[plausible_digits(pieces, shape, config.shape)], pieces.boxes
