"""Digit-level reuse across a stream: a digit that has not changed since it was read is not read
again.

Between two camera frames of one view (reuse.py's check passed, its shift known) nearly every
digit is where the shift puts it and looks as it did: finding it (detection), normalizing it,
trying its cuts and classifying it again would only repeat the same answer. So each region read
is kept with its working-grey patch; on the next frame it is moved by the view's shift and
verified against that patch (normalized cross-correlation, which ignores the light's level and
gain, within a pixel of where the shift puts it): a verified digit keeps its detections. Only
what may have changed is detected again, on windows of the working image (detect.digits_in,
with the kept surface, polarity and rules): around a digit that failed its check, the strips the
shift brought into view (where a digit the edge cut may now be whole), the coarse cells whose
look changed since the previous frame, and a tile that sweeps the view (rows of 1.5 digits
across the surface, half a digit lower each frame, overlapping by a digit's height, so every
digit lies wholly in one), so that a digit missed or slowly changed is found within a sweep,
with no frame detected whole for it, and a digit read unsure is read again there (as that
frame alone reads it).
A window is searched with the whole view's statistics (context.py), so it judges what lies
wholly in its area as the whole frame would: its fresh regions are new, a fresh one where a kept
one is (same box) keeps its reading, and a kept one it no longer finds is gone (the sweep
re-judges the whole view in its round). The model then gets one batch a frame of only the new
regions (none: no call).

A view change (the check fails), new settings, a new ink polarity, or a view whose rules are
not known without a whole-frame search: the whole frame is detected, as without this state.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from realtime.detect.context import ViewContext
from realtime.detect.filters import within_any
from realtime.detect.reading import reading_order
from realtime.detect.working import area_shrink
from realtime.track import box_iou
from realtime.types import Detection


@dataclass(frozen=True)
class KeptDigitsConfig:
    """When a read digit is kept, and which windows of a kept view are detected again."""

    enabled: bool = True
    # A kept digit is verified on its box grown by patch_pad_px (its strokes' anti-aliased rim
    # and a little paper: an erased stroke or one added beside it shows), searched within
    # search_px of where the view's shift puts it (the shift is measured on a thumbnail a
    # quarter the size and rounded to a pixel).
    patch_pad_px: int = 2
    search_px: int = 1
    # Its normalized cross-correlation with the patch it was read from must be at least this.
    min_match: float = 0.85
    # A reading is kept by a window that finds its digit again only when every detection of
    # its region is at least this sure: a digit between two readings (the demo clip's 8 read
    # as 5 at 0.50-0.59, as 8 on 10 of its 90 frames alone) is read again by every window that
    # finds it, as that frame alone reads it. (The camera clip's softmax readings sit at
    # 0.78-0.9.)
    min_kept_confidence: float = 0.7
    # ...and an unsure digit gets no window of its own each frame: it is read again where a
    # window searches anyway (the sweep's round, a change there). Its own window and model call
    # every frame cost 2.8 of a demo frame's 8.2 ms (scripts/stream_accuracy.py: demo 820 / 80
    # right / false that way, 823 / 77 this way, every frame alone 820 / 80), for a reading that
    # only flickers with the camera's noise. True: its own window every frame.
    unsure_own_window: bool = False
    # A fresh region takes the reading of a kept one (verified on this frame) when their boxes
    # overlap this much: the same digit, found a pixel differently.
    min_same_iou: float = 0.7
    # A fresh region overlapping a kept one this much (and less than min_same_iou) is the kept
    # digit seen otherwise by a window, not a new one: left out.
    min_overlap: float = 0.3
    # The digit height the windows are sized by: the tallest kept digit, at least min_digit_px
    # (a view of none or only small ones still sweeps in steps a digit could hide in).
    min_digit_px: int = 32
    # Context around a window's own area, searched but not taken from: the threshold's
    # neighbourhood (paper_block, ~49 px at 640x480) repeats the window's edge beyond it, which
    # a few px of paper make harmless (the demo clip's readings unchanged at 8 px).
    context_px: int = 8
    # A shift of fewer px than min_entering_px brings no whole digit into view (a 1 at working
    # size is its stroke and rim, 4 px or more): the strip it uncovers is searched only where the
    # previous frame's ink reached within edge_ink_px of that edge (a digit the edge cut).
    min_entering_px: int = 4
    edge_ink_px: int = 2
    # The sweep's tile is searched only on a frame whose other windows cover less than this
    # share of the view (~ the tile's own: a row across the view 1.5 digits tall, 19% at 480
    # lines with digits 60 px tall).
    sweep_budget: float = 0.2
    # The sweep's tiles across the view: a tile is about 1/columns of its width (and a digit).
    # One: a tile of the whole width costs hardly more than half of it (a window's fixed steps
    # are ~0.5 ms), and the sweep goes round the view in half the frames.
    sweep_columns: int = 1
    # The sweep's tile moves this many digits' heights a frame (rows 1 + this tall overlap by a
    # digit, so every digit lies wholly in one).
    sweep_step_digits: float = 0.5
    # Coarse cells (check thumbnail shrunk to this longest side: 16 working px at 640) whose
    # look changed since the previous frame by more than change_limit grey levels, once the
    # shift and the overall level are taken out, are detected again (a digit written or erased
    # in an empty place; the camera's own noise and a drifting light stay well under it).
    change_side_px: int = 40
    change_limit: float = 10.0
    # ...where the shift between the thumbnails is known to this (thumbnail px): along an edge
    # that much of its slope is no change (a 3-px shake's residue at the sheet's edge).
    shift_error_px: float = 0.75
    # More than this share of the cells changed (a hand over the sheet, the light switched): the
    # whole frame is detected, in one pass instead of window after window (each costs ~0.5 ms
    # of fixed steps, a digit in it ~1 ms more).
    max_changed_share: float = 0.1
    # A window judges what lies wholly in its area as the whole frame would: a kept digit
    # there that it does not find again is gone (a window is searched with the whole view's
    # statistics, context.py, so it finds what the whole frame finds). So the sweep re-judges
    # the view in its round, and a false digit read on a view's first frame does not stay as
    # long as the view. False: a window only adds to the kept digits.
    windows_judge: bool = True
    # A kept view is still detected whole once in this many frames; 0: never. A whole frame
    # costs 3-4 times a kept one, a spike the windows' judging makes needless (the wild clip's
    # pages, softmax, right / false, scripts/stream_accuracy.py: whole every 8 frames, windows
    # only adding 1197 / 310; never, the windows judging 1237 / 230; every frame alone 1143 / 303).
    whole_frame_every: int = 0


@dataclass
class _Region:
    """One region read on the view: its box (x, y, w, h) working px in the current frame, the
    working-grey patch it was read from, its detections (boxes in source px as read) and how
    far (working px) the view has moved since it was read."""

    box: np.ndarray
    patch: np.ndarray
    detections: tuple[Detection, ...]
    moved: tuple[int, int] = (0, 0)
    template: np.ndarray | None = None  # the patch as _correlation reads it
    sure: bool = True  # its reading may be kept (KeptDigitsConfig.min_kept_confidence)


@dataclass
class Pending:
    """A frame's regions in reading order (items; those at `pending` still to be read) and what
    reading them needs: ink_work (H, W) float32 working px, their boxes in it and in source px."""

    items: list[_Region]
    pending: list[int]
    ink_work: np.ndarray | None
    boxes_work: np.ndarray
    boxes_src: np.ndarray


@dataclass
class FramePlan:
    """What a frame of a kept view detects again: windows (x0, y0, x1, y1 working px, each a
    search crop: its area, `inner`, and context_px around it), and the kept regions verified on
    the frame (moved to where they were found). KeptDigits.plan gives None for a frame detected
    whole."""

    windows: list[tuple[int, int, int, int]]
    inner: list[tuple[int, int, int, int]]
    kept: list[_Region] = field(default_factory=list)
    # What the windows are searched with: the statistics of the view's last whole frame.
    context: ViewContext | None = None


class KeptDigits:
    """The regions read on a stream's current view (StreamReuse.digits, one per stream)."""

    def __init__(self, config: KeptDigitsConfig):
        self.config = config
        self._regions: list[_Region] = []
        self._key = None
        self._thumb: np.ndarray | None = None
        self._sweep = 0
        self._mask: np.ndarray | None = None
        self._last_move = (0, 0)
        # The image new regions are read from (merge), and the boxes last pasted on it.
        self._canvas: np.ndarray | None = None
        self._pasted: list[tuple[int, int, int, int]] = []
        # The view's statistics, from its last whole frame (Regions.context).
        self._context: ViewContext | None = None
        # Regions kept, regions read, frames detected whole (for the benchmark and the tests).
        self.kept_regions = 0
        self.read_regions = 0
        self.whole_frames = 0
        self._since_whole = 0

    def plan(self, view, settings, reuse) -> FramePlan | None:
        """This frame's windows to detect again and its verified kept regions, or None: detect
        the whole frame (a new view, new settings or polarity, rules known only by a search)."""
        key = (settings, view.light_ink, view.gray.shape, view.scale)
        same = self._key is not None and all(a is b or a == b for a, b in zip(self._key, key, strict=True))
        moved_by, thumb, previous = reuse.moved_by, reuse.thumb, self._thumb
        self._key, self._thumb, self._last_move = key, thumb, moved_by or (0, 0)
        rules = reuse.rules_in_view()
        if (not self.config.enabled or not same or moved_by is None or previous is None or thumb is None
                or previous.shape != thumb.shape or rules is None or self._context is None
                or (self.config.whole_frame_every and self._since_whole + 1 >= self.config.whole_frame_every)):
            return None
        if rules:
            reuse.rules_kept += 1  # the windows erase the kept rules: no search on this frame
        gray = view.gray
        h, w = gray.shape
        dx, dy = moved_by
        kept, failed, unsure = [], [], []
        for region in self._regions:
            box = region.box + np.array([dx, dy, 0, 0])
            moved = (region.moved[0] + dx, region.moved[1] + dy)
            found = None if region.patch is None else self._verify(gray, region.patch, region.template, box)
            if found is None:
                failed.append(box)
                continue
            kept.append(_Region(found[0], region.patch, region.detections,
                                (moved[0] + found[1][0], moved[1] + found[1][1]), region.template, region.sure))
            if not region.sure and self.config.unsure_own_window:
                unsure.append(found[0])
        digit = self._digit_px(h)
        cells = self._changed_cells(previous, thumb, reuse.thumb_moved_by, (h, w), digit)
        if cells is None:
            return None  # much of the view changed: what is kept would hardly be used
        # Places: what changed, or may have (compact, joined where they overlap); the sweep's
        # tile and the strips come into view (long: joined with nothing, a union's box would
        # search what neither needs).
        # A changed digit may have grown (a stroke added); an unsure one is where it was.
        places = _joined([_grown(box, digit // 4, w, h) for box in failed]
                         + [_grown(box, self.config.patch_pad_px, w, h) for box in unsure] + cells)
        areas = _merged(self._entering_strips(dx, dy, w, h, digit), places)
        # The sweep moves on where this frame has little else to search (a bounded cost: a frame
        # that detects a changed place, or a strip, does not pay for the sweep's tile as well).
        if sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in areas) < self.config.sweep_budget * w * h:
            columns = _columns_of(view.surface.mask, w)
            if columns is not None:
                areas = _merged([self._sweep_band(columns, h, digit)], areas)
        windows = [_grown_rect(area, self.config.context_px, w, h) for area in areas]
        self._since_whole += 1
        return FramePlan(windows, areas, kept, self._context)

    def merge(self, view, plan: FramePlan | None, found: list, settings) -> Pending:
        """This frame's regions: with a plan, the kept ones outside every window's area and the
        fresh ones inside (found: one Regions per window), a fresh one at a verified kept one's
        place with its reading; without, the whole frame's (found: [its Regions]). In reading
        order; the fresh ones without a reading gathered for one batch (Pending.to_read)."""
        h, w = view.gray.shape
        if plan is None:
            self.whole_frames += 1
            self._since_whole = 0
            regions = found[0]
            self._mask, self._context = regions.ink_mask, regions.context
            boxes = np.asarray(regions.boxes_work).reshape(-1, 4)
            items = [_Region(box, None, None) for box in boxes]
            return Pending(items, list(range(len(items))), regions.ink_work, boxes, regions.boxes_src)
        # A window is searched with the whole view's statistics (context.py), so it finds what
        # the whole frame finds there: a verified kept digit it finds again stands (a fresh
        # region on it, found a pixel differently, keeps its reading; one seen otherwise is left
        # out), an unsure one is read again from the fresh region on it, a fresh region clear of
        # every kept one is new, and (windows_judge) a kept one wholly in a window's area that
        # the window does not find is gone. What changed was not verified: it is gone, and what
        # its window finds there is new.
        fresh = []  # (box in frame px, window, index in its Regions), each place once
        for k, regions in enumerate(found):
            shift = np.array([*regions.origin, 0, 0])
            for i, box in enumerate(np.asarray(regions.boxes_work).reshape(-1, 4)):
                if not fresh or box_iou((box + shift)[None], np.array([f[0] for f in fresh])).max() < 0.5:
                    fresh.append((box + shift, k, i))
        kept_boxes = np.array([r.box for r in plan.kept]).reshape(-1, 4)
        overlap = box_iou(np.array([f[0] for f in fresh]).reshape(-1, 4), kept_boxes)
        used = np.zeros(len(plan.kept), bool)
        items, to_read_from = [], []
        for j, (box, k, i) in enumerate(fresh):
            best = int(np.argmax(overlap[j])) if len(plan.kept) else -1
            if best >= 0 and overlap[j, best] >= self.config.min_same_iou and not used[best]:
                used[best] = True
                if plan.kept[best].sure:
                    items.append(plan.kept[best])  # the same digit, verified: its reading stays
                    continue
                items.append(_Region(box, None, None))  # read again, as this frame alone reads it
                to_read_from.append((k, i))
            elif best < 0 or overlap[j, best] < self.config.min_overlap:
                items.append(_Region(box, None, None))
                to_read_from.append((k, i))
        gone = ~(overlap >= self.config.min_overlap).any(axis=0)  # not found again by any window
        if self.config.windows_judge:
            areas = np.array([(x0, y0, x1 - x0, y1 - y0) for x0, y0, x1, y1 in plan.inner]).reshape(-1, 4)
            gone &= within_any(kept_boxes, areas)
        else:
            gone[:] = False
        items += [r for r, taken, dropped in zip(plan.kept, used, gone, strict=True) if not (taken or dropped)]
        self.kept_regions += sum(r.detections is not None for r in items)
        items = self._capped(items, settings.max_regions)
        order = reading_order(np.array([r.box for r in items]).reshape(-1, 4), settings.detect.reading)
        items = [items[i] for i in order]
        self._mask = self._moved_mask(plan, found, view)
        pending = [n for n, r in enumerate(items) if r.detections is None]
        if not pending:
            return Pending(items, [], None, np.zeros((0, 4), int), np.zeros((0, 4), int))
        # The fresh regions to read, gathered on one working-size image (their ink as their window
        # found it), so they are normalized, cut and classified in one batch. The image is the
        # stream's own, only the boxes pasted last time cleared (a new one a frame costs more
        # than the rest of this step: 1.2 MB to zero at 640x480).
        ink_work = self._canvas
        if ink_work is None or ink_work.shape != (h, w):
            ink_work = self._canvas = np.zeros((h, w), np.float32)
        for x0, y0, x1, y1 in self._pasted:
            ink_work[y0:y1, x0:x1] = 0
        self._pasted = []
        source_of = {}
        for k, i in to_read_from:
            regions = found[k]
            x, y, bw, bh = (int(v) for v in regions.boxes_work[i])
            ox, oy = regions.origin
            ink_work[oy + y:oy + y + bh, ox + x:ox + x + bw] = regions.ink_work[y:y + bh, x:x + bw]
            self._pasted.append((ox + x, oy + y, ox + x + bw, oy + y + bh))
            source_of[(ox + x, oy + y, bw, bh)] = regions.boxes_src[i]
        boxes = np.array([items[n].box for n in pending]).reshape(-1, 4)
        source = np.array([source_of[tuple(int(v) for v in box)] for box in boxes]).reshape(-1, 4)
        return Pending(items, pending, ink_work, boxes, source)

    def finish(self, view, pending: Pending, readings: list[tuple[Detection, ...]]) -> list[Detection]:
        """The frame's detections in reading order, the new regions' `readings` (one tuple a
        pending region) kept with their patches for the frames after."""
        self.read_regions += len(readings)
        for n, detections in zip(pending.pending, readings, strict=True):
            region = pending.items[n]
            region.detections = tuple(detections)
            # An unsure reading is not kept by a window that finds its digit again: it is read
            # again (its patch still tells where it is and that it has not changed).
            region.sure = all(d.confidence >= self.config.min_kept_confidence for d in detections)
            region.patch = self.patch_of(view.gray, region.box)
            region.template = None if region.patch is None else _template(region.patch)
        self._regions = pending.items
        out = []
        for region in pending.items:
            dx, dy = region.moved
            if (dx, dy) == (0, 0):
                out += region.detections
                continue
            sx, sy = int(round(dx / view.scale)), int(round(dy / view.scale))
            out += [dataclasses.replace(d, box=(d.box[0] + sx, d.box[1] + sy, d.box[2], d.box[3]))
                    for d in region.detections]
        return out

    @property
    def ink_mask(self) -> np.ndarray | None:
        """The frame's ink mask: the whole frame's, moved with the view, windows' own pasted in."""
        return self._mask

    def _moved_mask(self, plan: FramePlan, found: list, view) -> np.ndarray | None:
        mask = self._mask
        if mask is None:
            return None
        mask = _shifted(mask, *self._last_move)
        for regions, (x0, y0, x1, y1) in zip(found, plan.inner, strict=True):
            ox, oy = regions.origin
            mask[y0:y1, x0:x1] = regions.ink_mask[y0 - oy:y1 - oy, x0 - ox:x1 - ox]
        return mask

    @staticmethod
    def _capped(items: list[_Region], cap: int) -> list[_Region]:
        if len(items) <= cap:
            return items
        area = np.array([int(r.box[2]) * int(r.box[3]) for r in items])
        return [items[i] for i in np.sort(np.argsort(-area, kind="stable")[:cap])]

    def _verify(self, gray: np.ndarray, patch: np.ndarray, template: np.ndarray, box: np.ndarray):
        """(the box where the patch is found, its offset) within search_px of `box`, or None."""
        pad, reach = self.config.patch_pad_px, self.config.search_px
        x, y, w, h = (int(v) for v in box)
        x0, y0, x1, y1 = x - pad - reach, y - pad - reach, x + w + pad + reach, y + h + pad + reach
        if x0 < 0 or y0 < 0 or x1 > gray.shape[1] or y1 > gray.shape[0]:
            return None
        # Where the shift puts it first (one score, the usual case: numpy's dot product is
        # several times quicker than OpenCV's set-up for a single score), then around.
        if _correlation(template, gray[y0 + reach:y1 - reach, x0 + reach:x1 - reach]) >= self.config.min_match:
            return box, (0, 0)
        scores = cv2.matchTemplate(gray[y0:y1, x0:x1], patch, cv2.TM_CCOEFF_NORMED)
        _, best, _, (bx, by) = cv2.minMaxLoc(scores)
        if not best >= self.config.min_match:
            return None
        offset = (bx - reach, by - reach)
        return box + np.array([offset[0], offset[1], 0, 0]), offset

    def patch_of(self, gray: np.ndarray, box) -> np.ndarray | None:
        """The working-grey patch a region is verified by later (None: too near the edge)."""
        pad = self.config.patch_pad_px
        x, y, w, h = (int(v) for v in box)
        if x - pad < 0 or y - pad < 0 or x + w + pad > gray.shape[1] or y + h + pad > gray.shape[0]:
            return None
        return gray[y - pad:y + h + pad, x - pad:x + w + pad].copy()

    def _digit_px(self, height: int) -> int:
        tallest = max((int(r.box[3]) for r in self._regions), default=0)
        return int(min(max(self.config.min_digit_px, tallest + 2), height // 2))

    def _entering_strips(self, dx: int, dy: int, w: int, h: int, digit: int) -> list[tuple[int, int, int, int]]:
        """The strips the view's shift (dx, dy) brought into view, each wide enough for a digit
        the edge cut before; none at an edge where the previous frame had no ink (no digit was
        cut there) when the shift is too small to bring a whole digit in."""
        mask, edge, small = self._mask, self.config.edge_ink_px, self.config.min_entering_px
        def inked(rows, cols) -> bool:  # noqa: E306
            return mask is None or mask.shape != (h, w) or bool(cv2.countNonZero(mask[rows, cols]))
        strips = []
        if dx > 0 and (dx >= small or inked(slice(None), slice(0, edge))):
            strips.append((0, 0, min(w, dx + digit), h))
        elif dx < 0 and (-dx >= small or inked(slice(None), slice(w - edge, w))):
            strips.append((max(0, w + dx - digit), 0, w, h))
        if dy > 0 and (dy >= small or inked(slice(0, edge), slice(None))):
            strips.append((0, 0, w, min(h, dy + digit)))
        elif dy < 0 and (-dy >= small or inked(slice(h - edge, h), slice(None))):
            strips.append((0, max(0, h + dy - digit), w, h))
        return strips

    def _sweep_band(self, span: tuple[int, int], height: int, digit: int) -> tuple[int, int, int, int]:
        """This frame's tile of the sweep over the columns `span` (x0, x1: the surface's,
        _columns_of) of a view `height` tall: sweep_columns side by side, each overlapping the
        next by a digit's height, in rows 1 + sweep_step_digits digits tall, overlapping the next
        by a digit's height (so every digit lies wholly in one), a step lower each frame, round
        and round."""
        left, right = span
        width = right - left
        columns = self.config.sweep_columns
        step = max(1, int(digit * self.config.sweep_step_digits))
        rows = max(1, math.ceil((height - digit) / step))
        k = self._sweep % (rows * columns)
        self._sweep = k + 1
        row, column = divmod(k, columns)
        tile = math.ceil((width - digit) / columns)
        x0, y0 = left + column * tile, row * step
        return x0, y0, min(right, x0 + tile + digit), min(height, y0 + step + digit)

    def _changed_cells(self, before, now, moved_by, shape, digit: int) -> list[tuple[int, int, int, int]] | None:
        """The areas (cells grown by a digit) whose look changed since the previous frame
        (before, now: the check thumbnails; moved_by: the shift between them, thumbnail px);
        None when more than max_changed_share of the cells did."""
        h, w = shape
        dx, dy = moved_by
        th, tw = now.shape
        moved = cv2.warpAffine(before, np.float32([[1, 0, dx], [0, 1, dy]]), (tw, th), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)
        difference = now - moved
        # The overall level taken out (auto-exposure, a drifting light): its mean, as robust
        # here as a median (a digit written moves it by a fraction of a level) at a tenth the cost.
        difference = cv2.absdiff(difference, cv2.mean(difference)[0])
        # The shift is known to a fraction of a thumbnail pixel: along an edge (the sheet's, a
        # stroke's) that fraction of its slope is no change.
        slope = cv2.max(_slope(now), _slope(moved))
        difference = cv2.max(cv2.subtract(difference, self.config.shift_error_px * slope), 0)
        border = int(math.ceil(max(abs(dx), abs(dy)))) + 1
        difference[:border], difference[-border:] = 0, 0
        difference[:, :border], difference[:, -border:] = 0, 0
        coarse = area_shrink(difference, self.config.change_side_px)
        changed = coarse > self.config.change_limit
        if changed.mean() > self.config.max_changed_share:
            return None
        rows, cols = np.nonzero(changed)
        cell_h, cell_w = h / coarse.shape[0], w / coarse.shape[1]
        return [(max(0, int(c * cell_w) - digit), max(0, int(r * cell_h) - digit),
                 min(w, int((c + 1) * cell_w) + digit), min(h, int((r + 1) * cell_h) + digit))
                for r, c in zip(rows, cols, strict=True)]


def _columns_of(mask: np.ndarray | None, w: int) -> tuple[int, int] | None:
    """(x0, x1): the columns of a view w wide that its surface spans (mask: uint8 255 = on it;
    None: the whole view), or None when it has none. Ink is only thresholded on the surface, so
    the sweep's rows need not reach across the desk beside it (the camera clip's rows 69,000 ->
    52,000 px a frame, the demo's 74,000 -> 63,000; the readings of both, and of the wild clip,
    the same frame by frame). Rows still go down the whole view: a row off the sheet costs
    little, and a round over the sheet's rows alone puts a row full of digits in every frame
    (camera clip mean 6.5 -> 7.0 ms, demo 7.1 -> 8.0 ms, interleaved in one process)."""
    if mask is None:
        return 0, w
    x, _, bw, bh = cv2.boundingRect(mask)
    return (x, x + bw) if bw and bh else None


def _template(patch: np.ndarray) -> np.ndarray:
    """A patch as _correlation reads it: its pixels less their mean, of unit length (float32)."""
    a = patch.astype(np.float32).ravel()
    a -= a.mean()
    return a / max(float(np.sqrt(np.dot(a, a))), 1e-6)


def _correlation(template: np.ndarray, here: np.ndarray) -> float:
    """Normalized cross-correlation (TM_CCOEFF_NORMED's score) of a patch (as _template) and a
    same-sized uint8 image."""
    b = here.astype(np.float32).ravel()
    b -= b.mean()
    scale = float(np.sqrt(np.dot(b, b)))
    return float(np.dot(template, b)) / scale if scale > 0 else 0.0


def _shifted(mask: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """A copy of `mask` moved by (dx, dy) px, what comes into view empty."""
    out = np.zeros_like(mask)
    h, w = mask.shape
    if abs(dx) >= w or abs(dy) >= h:
        return out
    out[max(0, dy):h + min(0, dy), max(0, dx):w + min(0, dx)] = mask[max(0, -dy):h - max(0, dy),
                                                                     max(0, -dx):w - max(0, dx)]
    return out


def _slope(image: np.ndarray) -> np.ndarray:
    """|d/dx| + |d/dy| of a float32 image (grey levels a pixel)."""
    gx = cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=1)
    gy = cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=1)
    return cv2.add(cv2.absdiff(gx, 0), cv2.absdiff(gy, 0)) * 0.5


def _grown(box, by: int, w: int, h: int) -> tuple[int, int, int, int]:
    x, y, bw, bh = (int(v) for v in box)
    return max(0, x - by), max(0, y - by), min(w, x + bw + by), min(h, y + bh + by)


def _grown_rect(rect, by: int, w: int, h: int) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = rect
    return max(0, x0 - by), max(0, y0 - by), min(w, x1 + by), min(h, y1 + by)


def _joined(rects: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Overlapping rectangles joined into their union's box until none overlaps."""
    rects = [r for r in rects if r[2] > r[0] and r[3] > r[1]]
    joined = True
    while joined:
        joined = False
        out: list[tuple[int, int, int, int]] = []
        for rect in rects:
            for i, other in enumerate(out):
                if rect[0] < other[2] and other[0] < rect[2] and rect[1] < other[3] and other[1] < rect[3]:
                    out[i] = (min(rect[0], other[0]), min(rect[1], other[1]),
                              max(rect[2], other[2]), max(rect[3], other[3]))
                    joined = True
                    break
            else:
                out.append(rect)
        rects = out
    return rects


def _merged(long: list[tuple[int, int, int, int]],
            compact: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """The long rectangles and the compact ones not inside one of them (overlapping ones stay
    apart; a region found by two windows is taken once, merge())."""
    long = list(dict.fromkeys(r for r in long if r[2] > r[0] and r[3] > r[1]))
    return long + [r for r in compact
                   if not any(o[0] <= r[0] and o[1] <= r[1] and r[2] <= o[2] and r[3] <= o[3] for o in long)]
