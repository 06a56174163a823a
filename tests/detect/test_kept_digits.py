"""kept_digits: a stream reads an unchanged digit once; a digit written or erased mid-stream is
picked up; the demo clip reads as right with the kept digits as frame by frame alone."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from test_reuse import _pan, _sheet_scene

from realtime.detect.kept_digits import KeptDigitsConfig
from realtime.sources import open_source
from realtime.types import Frame
from tools.scoring import match

DEMO = Path(__file__).resolve().parents[2] / "realtime" / "data" / "demo.mp4"
# A digit written (or erased) where the view held none is seen by the coarse cells of the
# next frame: it must be read (or gone) on the frame it appears, and stay so.
PICKED_UP_WITHIN = 1


def _counted_model(recognizer, monkeypatch):
    """A list that gets the batch size of every model call."""
    calls = []
    predict = recognizer.model.predict

    def counted(digits):
        calls.append(len(digits))
        return predict(digits)

    monkeypatch.setattr(recognizer.model, "predict", counted)
    return calls


def _read(recognizer, frames, reuse=True):
    state = recognizer.new_reuse() if reuse else None
    return [recognizer.recognize_frame(Frame(i, i / 15, image), reuse=state) for i, image in enumerate(frames)]


def _right(result, truth) -> int:
    found = [d.box for d in result.detections]
    pairs = match([d.box for d in truth], found, min_iou=0.5)
    return sum(result.detections[j].label == truth[i].label for i, j in pairs)


def test_a_still_clip_is_read_once(mnist_test, recognizer, monkeypatch):
    scene = _sheet_scene(mnist_test, 1)
    # A hand's tremor of a pixel or two, 20 frames.
    path = [(0, 0), (1, 0), (1, 1), (0, 1), (-1, 0)] * 4
    frames = [_pan(scene.image_bgr, dx, dy) for dx, dy in path]
    alone = _read(recognizer, frames, reuse=False)
    calls = _counted_model(recognizer, monkeypatch)
    results = _read(recognizer, frames)
    # The model ran on the regions of the frames detected whole (the first, then one in
    # whole_frame_every if set), and in between only on those read unsure, where a window
    # found them again; every frame reads as it does alone.
    config = KeptDigitsConfig()
    unsure = sum(d.confidence < config.min_kept_confidence for d in results[0].detections)
    every = config.whole_frame_every or len(frames)
    whole = [i % every == 0 for i in range(len(frames))]
    assert sum(whole) < len(frames) // 2  # most frames are not read whole
    # Kept frames: no call, or one of at most the unsure ones (read again where found).
    assert len(calls) >= sum(whole) and calls[0] >= len(results[0].detections)
    kept_calls = len(calls) - sum(whole)
    assert all(c <= unsure for c in sorted(calls)[:kept_calls]) and (unsure or kept_calls == 0), (calls, unsure)
    assert [[d.label for d in r.detections] for r in results] == [[d.label for d in r.detections] for r in alone]
    for result, (dx, dy) in zip(results, path, strict=True):
        assert _right(result, [dataclasses.replace(d, box=(d.box[0] + dx, d.box[1] + dy, *d.box[2:]))
                               for d in scene.digits]) == _right(results[0], scene.digits)


def test_windows_that_find_only_digits_read_before_make_no_ink(mnist_test, recognizer, monkeypatch):
    """Regions.ink_work is made when read: a kept frame's windows (the sweep's row) that find
    only digits already read hand nothing to the normalizer, and make no ink image for it."""
    import realtime.detect as detect

    scene = _sheet_scene(mnist_test, 1)
    frames = [_pan(scene.image_bgr, dx, dy) for dx, dy in [(0, 0), (1, 0), (1, 1), (0, 1)] * 3]
    made = []
    real = detect.ink_intensity
    monkeypatch.setattr(detect, "ink_intensity", lambda *args: made.append(1) or real(*args))
    calls = _counted_model(recognizer, monkeypatch)
    results = _read(recognizer, frames)
    assert results[0].detections and all(len(r.detections) == len(results[0].detections) for r in results)
    # The first frame, whole: its ink, and its one model call; the others nothing to read.
    assert len(calls) == 1 and len(made) == 1, (calls, made)


def test_the_sweep_s_rows_span_the_sheet_not_the_desk(mnist_test, recognizer, monkeypatch):
    """A sheet on a desk held still: the sweep's rows lie within the surface's columns (no digit
    is found off it), and in one round each of its digits lies wholly in one of them."""
    import cv2

    from realtime.detect.kept_digits import KeptDigits

    scene = _sheet_scene(mnist_test, 1)
    plans = []
    plan = KeptDigits.plan
    monkeypatch.setattr(KeptDigits, "plan", lambda self, view, *a: plans.append(
        (plan(self, view, *a), view.surface.mask)) or plans[-1][0])
    results = _read(recognizer, [scene.image_bgr] * 30)
    x, y, w, h = cv2.boundingRect(plans[1][1])
    assert w * h < 0.8 * scene.image_bgr.shape[0] * scene.image_bgr.shape[1]  # a desk around it
    inner = [area for p, _ in plans[1:] for area in p.inner]
    assert inner and all(x <= x0 and x1 <= x + w for x0, _, x1, _ in inner), inner
    for bx, by, bw, bh in (d.box for d in results[0].detections):  # working px = source px at 640
        assert any(x0 <= bx and y0 <= by and bx + bw <= x1 and by + bh <= y1 for x0, y0, x1, y1 in inner)


def _blank_place(scene):
    """A place for a box the size of the scene's first digit, among the sheet's digits (so on
    the sheet) but clear of them."""
    digit = scene.digits[0]
    x, y, w, h = digit.box
    boxes = np.array([d.box for d in scene.digits])
    left, top = boxes[:, 0].min(), boxes[:, 1].min()
    right, bottom = (boxes[:, 0] + boxes[:, 2]).max(), (boxes[:, 1] + boxes[:, 3]).max()
    for ty in range(top, bottom - h, 4):
        for tx in range(left, right - w, 4):
            clear = ((tx + w + 12 < boxes[:, 0]) | (boxes[:, 0] + boxes[:, 2] + 12 < tx)
                     | (ty + h + 12 < boxes[:, 1]) | (boxes[:, 1] + boxes[:, 3] + 12 < ty))
            if clear.all():
                return tx, ty
    raise AssertionError("no free place on the sheet")


@pytest.mark.parametrize("seed", [1, 3])
def test_a_digit_written_or_erased_mid_stream_is_picked_up(mnist_test, recognizer, seed):
    scene = _sheet_scene(mnist_test, seed)
    digit = scene.digits[0]
    x, y, w, h = digit.box
    tx, ty = _blank_place(scene)
    written = scene.image_bgr.copy()
    written[ty:ty + h, tx:tx + w] = scene.image_bgr[y:y + h, x:x + w]
    added = dataclasses.replace(digit, box=(tx, ty, w, h))
    # 6 frames of the sheet, 8 with the digit written on it, 8 with it erased again.
    frames = [scene.image_bgr] * 6 + [written] * 8 + [scene.image_bgr] * 8
    results = _read(recognizer, frames)
    alone = _read(recognizer, [scene.image_bgr, written], reuse=False)
    assert _right(alone[1], [added]) == 1  # the written digit reads on its own frame alone
    seen = [_right(r, [added]) for r in results]
    start, end = 6 + PICKED_UP_WITHIN - 1, 14 + PICKED_UP_WITHIN - 1
    assert seen[:6] == [0] * 6 and seen[start:14] == [1] * (14 - start) and seen[end:] == [0] * (22 - end), seen
    # ...and the sheet's other digits read throughout as on the sheet alone.
    assert all(_right(r, scene.digits) == _right(alone[0], scene.digits) for r in results)


def test_the_demo_clip_reads_as_right_with_kept_digits_as_without(recognizer):
    truth = json.loads(DEMO.with_suffix(".json").read_text())["frames"]
    with open_source(str(DEMO)) as source:
        frames = [frame.image_bgr for frame in source]
    kept = _read(recognizer, frames)
    alone = _read(recognizer, frames, reuse=False)
    digits = [[type("D", (), {"box": tuple(d["box"]), "label": d["label"]}) for d in frame["digits"]]
              for frame in truth[:len(frames)]]
    right_kept = sum(_right(r, t) for r, t in zip(kept, digits, strict=True))
    right_alone = sum(_right(r, t) for r, t in zip(alone, digits, strict=True))
    assert right_kept >= right_alone, (right_kept, right_alone)
    false_kept = sum(len(r.detections) for r in kept) - right_kept
    false_alone = sum(len(r.detections) for r in alone) - right_alone
    assert false_kept <= false_alone, (false_kept, false_alone)


def test_an_unsure_digit_is_read_again_in_each_round_of_the_sweep_not_each_frame(recognizer, monkeypatch):
    with open_source(str(DEMO)) as source:
        frames = [frame.image_bgr for frame in source][:40]
    config = KeptDigitsConfig()
    calls = _counted_model(recognizer, monkeypatch)
    state = recognizer.new_reuse()
    read_on = []  # the frames whose model call read something
    for i, image in enumerate(frames):
        before = len(calls)
        result = recognizer.recognize_frame(Frame(i, i / 15, image), reuse=state)
        if i == 0:
            # The demo clip's 8, read as 5 at 0.50-0.59 (KeptDigitsConfig.min_kept_confidence).
            unsure = [d for d in result.detections if d.confidence < config.min_kept_confidence]
            assert unsure, [round(d.confidence, 2) for d in result.detections]
            tallest = max(d.box[3] for d in result.detections)
        elif len(calls) > before:
            read_on.append(i)
    assert state.digits.whole_frames == 1
    # The sweep goes round the view in `rounds` frames, its rows overlapping by a digit: each
    # unsure digit lies wholly in one of them, and is read again there, once a round.
    digit = tallest + 2
    rounds = -(-(frames[0].shape[0] - digit) // int(digit * config.sweep_step_digits))
    assert len(read_on) < len(frames) // 2, read_on  # not each frame
    gaps = np.diff([0, *read_on, len(frames) - 1])
    assert gaps.max() <= rounds, (read_on, rounds)


def test_new_settings_mid_stream_read_the_whole_frame_anew(mnist_test, recognizer, monkeypatch):
    scene = _sheet_scene(mnist_test, 1)
    state = recognizer.new_reuse()
    settings = recognizer.settings
    for i in range(3):
        recognizer.recognize_frame(Frame(i, i / 15, scene.image_bgr), reuse=state)
    assert state.digits.whole_frames == 1  # the first frame; the next two kept its digits
    monkeypatch.setattr(recognizer, "settings", dataclasses.replace(settings, mirror=True))
    mirrored = recognizer.recognize_frame(Frame(3, 3 / 15, scene.image_bgr), reuse=state)
    alone = recognizer.recognize_frame(Frame(3, 3 / 15, scene.image_bgr))
    assert state.digits.whole_frames == 2
    assert [d.box for d in mirrored.detections] == [d.box for d in alone.detections]


def test_a_refresh_of_the_surface_keeps_the_digits(mnist_test, recognizer, monkeypatch):
    from realtime.detect.reuse import ReuseConfig

    scene = _sheet_scene(mnist_test, 1)
    path = [(0, 0), (4, 0), (8, 0), (8, 4), (4, 4), (0, 0)] * 2  # a slow slide there and back
    settings = recognizer.settings
    monkeypatch.setattr(recognizer, "settings", dataclasses.replace(
        settings, detect=settings.detect.replace(reuse=ReuseConfig(
            refresh_frames=3, digits=KeptDigitsConfig(whole_frame_every=0)))))
    state = recognizer.new_reuse()
    results = [recognizer.recognize_frame(Frame(i, i / 15, _pan(scene.image_bgr, dx, dy)), reuse=state)
               for i, (dx, dy) in enumerate(path)]
    # The surface is found anew every 4th frame, the view still the same: no frame after the
    # first is detected whole (the periodic whole frame off, to see the refresh alone), and
    # every frame reads as the first.
    assert state.found == 3 and state.digits.whole_frames == 1, (state.found, state.digits.whole_frames)
    assert all([d.label for d in r.detections] == [d.label for d in results[0].detections] for r in results)


def test_a_wild_page_as_a_stream_reads_no_worse_than_each_frame_alone(mnist_test, recognizer, tmp_path):
    # A page of the widened generator (a textured desk, shadows, another ink) as the benchmark's
    # wild clip films it: its windows are judged with the whole view's statistics, so a false
    # digit of the first frame does not stay while the view lasts and no digit is lost. (With
    # windows that only added, judged on what each held, and a whole frame every 8: 402 right
    # against 398 alone, 27 false against 10.)
    from benchmarks.speed import CLIP_DIGITS, CLIP_FPS, CLIP_SIZE, WILD_PAGE_FRAMES, WILD_SEED
    from tools.synth import make_video

    x_test, y_test = mnist_test
    scenes = make_video(x_test, y_test, tmp_path / "page.mp4", tier="wild", n_frames=WILD_PAGE_FRAMES,
                        fps=CLIP_FPS, size=CLIP_SIZE, n_digits=CLIP_DIGITS, seed=WILD_SEED + 1)
    frames = [scene.image_bgr for scene in scenes]
    kept = _read(recognizer, frames)
    alone = _read(recognizer, frames, reuse=False)
    right_kept = sum(_right(r, s.digits) for r, s in zip(kept, scenes, strict=True))
    right_alone = sum(_right(r, s.digits) for r, s in zip(alone, scenes, strict=True))
    false_kept = sum(len(r.detections) for r in kept) - right_kept
    false_alone = sum(len(r.detections) for r in alone) - right_alone
    assert right_alone >= 0.7 * sum(len(s.digits) for s in scenes)  # a page that reads, alone
    assert right_kept >= right_alone and false_kept <= false_alone, (right_kept, right_alone, false_kept, false_alone)


def test_a_form_as_a_stream_keeps_its_boxes_out_and_a_plain_sheet_looks_for_none(mnist_test, recognizer,
                                                                                 tmp_path):
    # The view's context says whether it holds printed boxes: a form does, and its windows go
    # on removing their sides (no side read as a 1, no box swallowing its digit); a plain sheet
    # does not, and its windows look for none.
    from realtime.detect import find_digits
    from tools.synth import make_video

    x_test, y_test = mnist_test
    form = make_video(x_test, y_test, tmp_path / "form.mp4", condition="boxes", n_frames=20, seed=4)
    assert find_digits(form[0].image_bgr, recognizer.settings).context.boxes
    assert not find_digits(_sheet_scene(mnist_test, 1).image_bgr, recognizer.settings).context.boxes
    frames = [scene.image_bgr for scene in form]
    kept, alone = _read(recognizer, frames), _read(recognizer, frames, reuse=False)
    right_kept = sum(_right(r, s.digits) for r, s in zip(kept, form, strict=True))
    right_alone = sum(_right(r, s.digits) for r, s in zip(alone, form, strict=True))
    false_kept = sum(len(r.detections) for r in kept) - right_kept
    false_alone = sum(len(r.detections) for r in alone) - right_alone
    assert right_alone >= 0.8 * sum(len(s.digits) for s in form)
    assert right_kept >= right_alone and false_kept <= false_alone, (right_kept, right_alone, false_kept, false_alone)
