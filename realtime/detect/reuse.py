"""Reuse across a stream: what is slow to find in a frame and barely changes from one camera frame
to the next (the writing surface, the ink's polarity on it, the rules of a ruled or squared
sheet, or that the view holds none) is kept while a cheap check says the view is still the same,
and found anew when the check fails or every refresh_frames.

The check: a small thumbnail of the working image against the one of the frame the surface was
found on. Phase correlation gives the shift between them (hand tremor, a sheet slid along the
desk); the kept surface is moved by it. What else changed (the sheet turned, lifted, covered, a
new page, a shadow moved) is what is left of the difference once shifted: over the limit, the
surface is found again. Kept rules move with the view too, and are checked on each frame's mask
(their ink still there, where they now lie on the surface) before they are removed without a
search; they are searched for on the frame itself when the check fails. Only a stream has a
StreamReuse (Recognizer.stream makes one); a single image, or a folder of them, is found from
scratch each time, exactly as without it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from realtime.detect.kept_digits import KeptDigitsConfig
from realtime.detect.rules import RuleConfig, Rules, erase_rules, find_and_remove_rules, remove_rules
from realtime.detect.surface import Surface, SurfaceConfig, find_paper, ink_is_light
from realtime.detect.working import area_shrink


@dataclass(frozen=True)
class ReuseConfig:
    """When a stream's surface may be kept from an earlier frame; enabled=False finds it anew
    every frame (what a stream did before)."""

    enabled: bool = True
    # The check's thumbnail (longest side, px): a 640x480 frame shrunk 4 times. Phase correlation
    # on it finds a shift to a fraction of its pixel (~0.1 ms), and a sheet is large there.
    check_side_px: int = 160
    # A kept surface moves with the view by at most this (fraction of the working image's longer
    # side: 19 px at 640): a hand's tremor and a slow slide. Faster, and the frame is blurred and
    # the surface found anew.
    max_shift: float = 0.03
    # What is left of the thumbnails' difference once shifted, with the overall level taken out
    # (auto-exposure, a light drifting a few levels), is looked at on a coarser view of this
    # longest side (40 px: 16 working px a pixel at 640), where writing and camera noise average
    # out and a sheet's edge does not; its largest value, in grey levels. The same view, shaking,
    # its light and a shadow drifting (camera, bright-desk and shadow clips): at most 16.4; the
    # sheet turned by 1.5 degrees, scaled by 3% or a shadow over a corner: 27-92.
    compare_side_px: int = 40
    max_difference: float = 20.0
    # The overall level the check takes out is checked too: moved by more than max_level_drift
    # grey levels since the kept frame (the light fading over seconds, auto-exposure after a
    # hand came into view), the surface is found anew and its brightness with it, as a refresh
    # of the same view (its shift, rules and digits move on). The clips' light wavers by up to
    # 4 levels (synth.LIGHT_DRIFT_LEVELS).
    max_level_drift: float = 12.0
    # Found anew at least this often (frames) whatever the check says, a second chance for a
    # surface found on a poor frame (blurred by a movement). A timer was what caught a fading
    # light (every 15 frames: a find_paper of 2-6 ms in every 15th frame, the stream's slowest
    # frames after the first); the level check catches it on the frame it passes the limit.
    refresh_frames: int = 60
    # Kept rules are checked at this many points along each found rule (one every 5 px of a
    # 640-px rule), each the ink within the rule's half thickness plus a pixel across it: the
    # share of those on the surface that are ink may fall by at most max_rule_coverage_drop
    # from the frame the rules were found on (digits written over them, the threshold's noise
    # along a pale rule), else they are searched for anew. A rule with fewer than
    # min_rule_points of them on the surface (moved out of view) is not judged.
    rule_check_points: int = 128
    max_rule_coverage_drop: float = 0.2
    min_rule_points: int = 16
    # Rules are kept only when no line found is covered on its own frame less than this share
    # of the median line: a line fitted a few degrees off its rule (a digit's stroke chained
    # into it) crosses paper, and keeping it would carry that frame's mistake onto the next
    # (hard tier, a sheet sliding: such fits 0.33-0.49 of the median); a pale rule thresholded
    # in pieces is low all along and stays (wild clip: 0.67-1.0); the next frame searches anew.
    min_kept_rule_share: float = 0.55
    # Digits read on the view are kept while they have not changed (kept_digits.py).
    digits: KeptDigitsConfig = field(default_factory=KeptDigitsConfig)


@dataclass
class _Kept:
    """The surface found on one frame, with that frame's check thumbnail and the configs then."""

    surface: Surface
    thumb: np.ndarray
    config: SurfaceConfig
    shape: tuple[int, int]
    age: int = 0
    no_rules: bool = False
    # The rules found on this view (None: none kept), the view's shift from this surface's
    # frame when they were found, and each found line's covered share then (one per line of
    # each Rules, in order).
    rules: tuple[Rules, ...] | None = None
    rules_shift: tuple[int, int] = (0, 0)
    rules_cover: tuple[np.ndarray, ...] = ()
    # The ink's polarity on this surface, and the invert setting it was told with (None: not yet).
    light_ink: bool | None = None
    invert: str | None = None

    def rules_at(self, shift: tuple[int, int]) -> tuple[Rules, ...]:
        """The kept rules moved to a frame whose view is `shift` (dx, dy) working px from this
        surface's frame (they were found at rules_shift)."""
        h, w = self.shape
        dx, dy = shift[0] - self.rules_shift[0], shift[1] - self.rules_shift[1]
        return tuple(rules.moved(dx, dy, w, h) for rules in self.rules)


class StreamReuse:
    """The state of one stream's detection: its last found surface and whether that view held
    rules. Pass the same object to find_digits for every frame of one stream, a new one for a new
    stream; never share one between streams (not thread-safe, and each has its own view)."""

    def __init__(self, config: ReuseConfig | None = None):
        self.config = config or ReuseConfig()
        self._kept: _Kept | None = None
        self._window: np.ndarray | None = None
        # This frame's shift from the kept surface's frame, and its surface mask.
        self._shift = (0, 0)
        self._mask: np.ndarray | None = None
        # Frames whose surface was found anew, and kept; frames whose rules were searched for,
        # and kept (for the benchmark and the tests).
        self.found = 0
        self.kept = 0
        self.rules_searched = 0
        self.rules_kept = 0
        # This frame's check thumbnail and the view's shift since the previous frame (surface()).
        self.thumb: np.ndarray | None = None
        self.moved_by: tuple[int, int] | None = None
        # ...and that shift unrounded, in thumbnail px (from the check's phase correlation).
        self.thumb_moved_by: tuple[float, float] | None = None
        self._thumb_shift = (0.0, 0.0)
        # The digits read on this view and what they were read as (realtime.kept_digits, which
        # the Recognizer keeps here: one stream, one state).
        self.digits = None

    def surface(self, gray: np.ndarray, config: SurfaceConfig) -> Surface:
        """find_paper(gray, config), or the kept surface moved with the view when the check passes.

        Also sets, for the frame: thumb (its check thumbnail) and moved_by, the view's shift
        (dx, dy) working px since the previous frame, None when the view changed (or there was
        none). On a refresh (refresh_frames, or the light's level moved past max_level_drift)
        the surface is found anew, but when the check still passes the view is the same:
        moved_by is known and the rules kept on it move on.
        """
        previous_shift, self.moved_by = self._shift, None
        previous_thumb_shift, self.thumb_moved_by = self._thumb_shift, None
        if not self.config.enabled:
            self.found += 1
            return find_paper(gray, config)
        thumb = area_shrink(gray, self.config.check_side_px).astype(np.float32)
        self.thumb = thumb
        kept = self._kept
        same_kind = kept is not None and kept.config == config and kept.shape == gray.shape
        checked = self._check(kept.thumb, thumb, gray.shape) if same_kind else None
        shift, level = checked if checked is not None else (None, 0.0)
        if shift is not None:  # the same view, moved
            self.moved_by = (shift[0] - previous_shift[0], shift[1] - previous_shift[1])
            self.thumb_moved_by = (self._thumb_shift[0] - previous_thumb_shift[0],
                                   self._thumb_shift[1] - previous_thumb_shift[1])
        if (shift is not None and kept.age < self.config.refresh_frames
                and abs(level) <= self.config.max_level_drift):
            kept.age += 1
            self.kept += 1
            surface = _moved(kept.surface, shift)
            self._shift, self._mask = shift, surface.mask
            return surface
        surface = find_paper(gray, config)
        self._kept = _Kept(surface, thumb, config, gray.shape)
        self.found += 1
        self._shift, self._mask = (0, 0), surface.mask
        self._thumb_shift = (0.0, 0.0)  # the new kept frame's own
        if shift is not None:  # a refresh of the same view: what it held moves on
            self._kept.no_rules = kept.no_rules
            if kept.rules is not None:
                self._kept.rules = kept.rules_at(shift)
                self._kept.rules_cover = kept.rules_cover
        return surface

    def rules_in_view(self) -> tuple[Rules, ...] | None:
        """The rules of this frame's view as the stream knows them without a search: () when
        the view holds none, the kept ones moved with the view, None when unknown (searched for
        on each frame: only a whole-frame search may then say)."""
        kept = self._kept
        if not self.config.enabled or kept is None:
            return None
        if kept.no_rules:
            return ()
        if kept.rules is None:
            return None
        return kept.rules_at(self._shift)

    def light_ink(self, gray: np.ndarray, surface: Surface, invert: str, config: SurfaceConfig) -> bool:
        """surface.ink_is_light for this frame (after surface() for it): told on the frame the
        surface was found on and kept with it (the same view, the same ink)."""
        kept = self._kept
        if kept is None or kept.light_ink is None or kept.invert != invert:
            light = ink_is_light(surface.ground_brightness, invert, config, gray, surface.mask)
            if kept is None:
                return light
            kept.light_ink, kept.invert = light, invert
        return kept.light_ink

    def kept_rules(self, ink_mask: np.ndarray) -> tuple[Rules, ...] | None:
        """The rules kept on this view, moved with it, when their ink is still there on this
        frame's mask (uint8 255 = ink, before any rule is removed); None: search anew."""
        kept = self._kept
        if not self.config.enabled or kept is None or not kept.rules:
            return None
        moved = kept.rules_at(self._shift)
        for rules, before in zip(moved, kept.rules_cover, strict=True):
            now, judged = self._rule_cover(ink_mask, rules)
            if (judged & (now < before - self.config.max_rule_coverage_drop)).any():
                return None
        return moved

    def note_found_rules(self, ink_mask: np.ndarray, rules: tuple[Rules, ...]) -> None:
        """The rules this frame's search found on `ink_mask` (before removal), kept for the
        frames after while the view is the same."""
        self.note_rules(bool(rules))
        if self._kept is None:
            return
        cover = [self._rule_cover(ink_mask, one) for one in rules]
        doubtful = any((judged & (share < self.config.min_kept_rule_share * np.median(share[judged]))).any()
                       for share, judged in cover if judged.any())
        self._kept.rules = None if doubtful else rules
        self._kept.rules_shift = self._shift
        self._kept.rules_cover = tuple(share for share, _ in cover)

    def _rule_cover(self, ink_mask: np.ndarray, rules: Rules) -> tuple[np.ndarray, np.ndarray]:
        """((M,) the share of each found line's check points on the surface that are ink within
        half its thickness plus a pixel across it, (M,) whether enough points were on it)."""
        h, w = ink_mask.shape
        t = np.linspace(0.0, 1.0, self.config.rule_check_points)
        lines = rules.lines.astype(np.float64)
        xs = np.rint(lines[:, [0]] + t * (lines[:, [2]] - lines[:, [0]])).astype(int)
        ys = np.rint(lines[:, [1]] + t * (lines[:, [3]] - lines[:, [1]])).astype(int)
        inside = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
        xs, ys = np.clip(xs, 0, w - 1), np.clip(ys, 0, h - 1)
        if self._mask is not None:
            inside &= self._mask[ys, xs] > 0
        reach = rules.rule_px // 2 + 1
        offsets = np.arange(-reach, reach + 1)
        if rules.is_horizontal:
            ink = (ink_mask[np.clip(ys[..., None] + offsets, 0, h - 1), xs[..., None]] > 0).any(axis=2)
        else:
            ink = (ink_mask[ys[..., None], np.clip(xs[..., None] + offsets, 0, w - 1)] > 0).any(axis=2)
        points = inside.sum(axis=1)
        share = (ink & inside).sum(axis=1) / np.maximum(points, 1)
        return share, points >= self.config.min_rule_points

    def rules_absent(self) -> bool:
        """True when rules were searched for on this view and none was there: the kept surface's
        frame (or one since) found none, and the check says the view is the same."""
        return self.config.enabled and self._kept is not None and self._kept.no_rules

    def note_rules(self, found: bool) -> None:
        """What this frame's rule search found (after surface() for the same frame)."""
        if self._kept is not None:
            self._kept.no_rules = not found

    def _check(self, before: np.ndarray, now: np.ndarray,
               shape: tuple[int, int]) -> tuple[tuple[int, int], float] | None:
        """(the shift (dx, dy) in working px from the kept frame to this one, the overall level
        the view moved by in grey levels), or None when the view changed by more than a shift and
        a level (or shifted too far)."""
        if before.shape != now.shape:
            return None
        if self._window is None or self._window.shape != now.shape:
            self._window = cv2.createHanningWindow(now.shape[::-1], cv2.CV_32F)
        # Copies: this OpenCV's phaseCorrelate windows its inputs in place.
        (dx, dy), _ = cv2.phaseCorrelate(before.copy(), now.copy(), self._window)
        self._thumb_shift = (dx, dy)
        scale = max(shape) / max(now.shape)
        if np.hypot(dx, dy) * scale > self.config.max_shift * max(shape):
            return None
        # The kept thumbnail moved by the shift found, against this one, inside a border the
        # move leaves empty.
        h, w = now.shape
        moved = cv2.warpAffine(before, np.float32([[1, 0, dx], [0, 1, dy]]), (w, h), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)
        border = int(np.ceil(max(abs(dx), abs(dy)))) + 1
        if min(h, w) <= 4 * border:
            return None
        difference = now[border:h - border, border:w - border] - moved[border:h - border, border:w - border]
        # The overall level is the median of the coarse view's blocks, not of its ~16,000
        # thumbnail pixels (0.2 ms a frame, as much as the phase correlation): where the light
        # moved as a whole both are that move, and the area shrink is linear, so taking the
        # level out after it is the same as before.
        # Rounded to a thousandth of a grey level: the blocks' float32 means are a millionth
        # off, and a light that moved by exactly max_level_drift must not pass it.
        coarse = area_shrink(difference, self.config.compare_side_px)
        level = round(float(np.median(coarse)), 3)
        if float(np.abs(coarse - level).max()) > self.config.max_difference:
            return None
        return (int(round(dx * scale)), int(round(dy * scale))), level


def _moved(surface: Surface, shift: tuple[int, int]) -> Surface:
    """The surface with its mask moved by shift (dx, dy) working px. What comes into view is
    what was at the edge it comes from: a sheet that reached the frame's edge goes on beyond it
    (it slides back into view), a desk there stays desk."""
    if surface.mask is None or shift == (0, 0):
        return surface
    h, w = surface.mask.shape
    if cv2.countNonZero(surface.mask) == h * w:
        return surface  # the whole view: nothing to move (no edge of it is in view)
    # A whole-pixel move: the part still in view, its edges repeated into what comes in (what
    # warpAffine with BORDER_REPLICATE gives, at a fifth of its cost).
    dx, dy = (int(np.clip(v, -(n - 1), n - 1)) for v, n in zip(shift, (w, h), strict=True))
    part = surface.mask[max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)]
    return Surface(cv2.copyMakeBorder(part, max(0, dy), max(0, -dy), max(0, dx), max(0, -dx), cv2.BORDER_REPLICATE),
                   surface.ground_brightness)


def surface_of(gray: np.ndarray, config: SurfaceConfig, reuse: StreamReuse | None) -> Surface:
    """The writing surface of a frame: found (find_paper) without a stream's reuse, else kept
    from an earlier frame of the stream when the view is the same."""
    return find_paper(gray, config) if reuse is None else reuse.surface(gray, config)


def ink_polarity_of(gray: np.ndarray, surface: Surface, invert: str, config: SurfaceConfig,
                    reuse: StreamReuse | None) -> bool:
    """surface.ink_is_light of a frame, or the one told on the stream's kept surface's frame."""
    if reuse is None:
        return ink_is_light(surface.ground_brightness, invert, config, gray, surface.mask)
    return reuse.light_ink(gray, surface, invert, config)


def without_rules(ink_mask: np.ndarray, contrast: np.ndarray, config: RuleConfig,
                  reuse: StreamReuse | None) -> np.ndarray:
    """remove_rules, skipped when the stream's view held no rules when last searched (rules do not
    appear on a sheet that has not changed), and without its search when the rules kept on the
    view are still there; a search's rules (or that it found none) are kept for the next frames."""
    if reuse is None or not reuse.config.enabled or not config.enabled:
        cleaned = remove_rules(ink_mask, contrast, config)
        if reuse is not None:
            reuse.note_rules(cleaned is not ink_mask)  # remove_rules returns its input when it removes nothing
        return cleaned
    if reuse.rules_absent():
        return ink_mask
    kept = reuse.kept_rules(ink_mask)
    if kept is not None:
        reuse.rules_kept += 1
        return erase_rules(ink_mask, contrast, kept, config)
    reuse.rules_searched += 1
    cleaned, found = find_and_remove_rules(ink_mask, contrast, config)
    reuse.note_found_rules(ink_mask, found)
    return cleaned
