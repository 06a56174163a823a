"""tools.synth: generated frames must say the truth about their digits, every time."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from conftest import decode_frames

from tools import synth
from realtime.errors import UserError

REPO = Path(__file__).resolve().parent.parent
DEMO_CLIP = REPO / "realtime" / "data" / "demo.mp4"
# Ink is at most ~90 levels even in the dimmest corner and paper at least ~130; a box whose
# darkest pixels are not this much below the paper around it has no digit in it.
MIN_INK_CONTRAST = 50


def _gray(scene: synth.Scene) -> np.ndarray:
    return cv2.cvtColor(scene.image_bgr, cv2.COLOR_BGR2GRAY).astype(np.int16)


def _separation(box_a, box_b) -> int:
    """Pixels of clear space between two (x, y, w, h) boxes along the axis that separates them
    (negative when they overlap)."""
    ax, ay, aw, ah = box_a
    bx, by, bw, bh = box_b
    return max(bx - (ax + aw), ax - (bx + bw), by - (ay + ah), ay - (by + bh))


@pytest.mark.parametrize("tier", synth.TIERS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_truth_boxes_lie_inside_the_frame_and_hold_dark_ink(mnist_test, tier, seed):
    x_test, y_test = mnist_test
    scene = synth.make_scene(x_test, y_test, np.random.default_rng(seed), tier=tier)
    gray = _gray(scene)
    height, width = gray.shape
    for digit in scene.digits:
        x, y, w, h = digit.box
        assert synth.EDGE_MARGIN_PX <= x and x + w <= width - synth.EDGE_MARGIN_PX, digit
        assert synth.EDGE_MARGIN_PX <= y and y + h <= height - synth.EDGE_MARGIN_PX, digit
        ink = np.percentile(gray[y:y + h, x:x + w], 5)
        # Three-pixel strips just outside the box on each side: the paper around the digit.
        ring = np.concatenate([gray[y - 4:y - 1, x:x + w].ravel(),
                               gray[y + h + 1:y + h + 4, x:x + w].ravel(),
                               gray[y:y + h, x - 4:x - 1].ravel(),
                               gray[y:y + h, x + w + 1:x + w + 4].ravel()])
        assert ink < np.median(ring) - MIN_INK_CONTRAST, (digit, ink, np.median(ring))
        assert digit.label == y_test[digit.mnist_index]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), tier=st.sampled_from(synth.TIERS),
       n_digits=st.integers(0, 14))
def test_boxes_never_overlap_and_keep_their_gap(mnist_test, seed, tier, n_digits):
    x_test, y_test = mnist_test
    scene = synth.make_scene(x_test, y_test, np.random.default_rng(seed), tier=tier,
                             n_digits=n_digits)
    assert len(scene.digits) == n_digits
    for a, b in itertools.combinations(scene.digits, 2):
        taller = max(a.box[3], b.box[3])
        # One pixel of slack for rounding boxes to whole pixels.
        assert _separation(a.box, b.box) >= synth.MIN_GAP_FRACTION * taller - 1, (a, b)


@pytest.mark.parametrize("tier", synth.TIERS)
@pytest.mark.parametrize("n_digits", [1, 6, 12])
def test_each_tier_draws_the_requested_number_of_digits(mnist_test, tier, n_digits):
    x_test, y_test = mnist_test
    scene = synth.make_scene(x_test, y_test, np.random.default_rng(5), tier=tier,
                             n_digits=n_digits)
    assert scene.image_bgr.shape == (480, 640, 3) and scene.image_bgr.dtype == np.uint8
    assert len(scene.digits) == n_digits
    assert len({d.mnist_index for d in scene.digits}) == n_digits


@pytest.mark.parametrize("tier", synth.TIERS)
def test_same_seed_gives_the_same_scene(mnist_test, tier):
    x_test, y_test = mnist_test
    first, again, other = (synth.make_scene(x_test, y_test, np.random.default_rng(seed), tier=tier)
                           for seed in (11, 11, 12))
    assert np.array_equal(first.image_bgr, again.image_bgr)
    assert first.digits == again.digits
    assert not np.array_equal(first.image_bgr, other.image_bgr)


def test_given_indices_are_drawn_in_order_and_set_the_count(mnist_test):
    x_test, y_test = mnist_test
    indices = np.array([3, 2, 1, 18, 4])
    scene = synth.make_scene(x_test, y_test, np.random.default_rng(0), indices=indices,
                             n_digits=10, size=(320, 240))
    assert [d.mnist_index for d in scene.digits] == indices.tolist()
    assert [d.label for d in scene.digits] == y_test[indices].tolist()
    assert scene.image_bgr.shape == (240, 320, 3)


@pytest.mark.parametrize("tier", ["camera", "hard"])
def test_sheet_flag_puts_a_dark_desk_around_the_paper_or_none(mnist_test, tier):
    x_test, y_test = mnist_test
    for seed in range(4):
        with_desk, without = (synth.make_scene(x_test, y_test, np.random.default_rng(seed),
                                               tier=tier, sheet=sheet) for sheet in (True, False))
        # The sheet stays inside the frame, so all four corners are desk (or all paper).
        corners = lambda gray: [gray[:6, :6].mean(), gray[:6, -6:].mean(),  # noqa: E731
                                gray[-6:, :6].mean(), gray[-6:, -6:].mean()]
        assert max(corners(_gray(with_desk))) < 110
        assert min(corners(_gray(without))) > 120


def test_unknown_tier_and_overfull_frames_are_refused(mnist_test):
    x_test, y_test = mnist_test
    with pytest.raises(ValueError, match="tier"):
        synth.make_scene(x_test, y_test, np.random.default_rng(0), tier="blurry")
    with pytest.raises(ValueError, match="cannot fit"):
        synth.make_scene(x_test, y_test, np.random.default_rng(0), size=(96, 72), n_digits=40)


def test_make_video_writes_a_readable_clip_with_moving_truth(mnist_test, tmp_path):
    x_test, y_test = mnist_test
    path = tmp_path / "clip.mp4"
    scenes = synth.make_video(x_test, y_test, path, n_frames=12, fps=10, size=(320, 240),
                              n_digits=4, seed=3, shake_px=3, sheet=True)
    assert len(scenes) == 12
    capture = cv2.VideoCapture(str(path))
    assert capture.isOpened() and int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 12
    capture.release()
    frames = decode_frames(path)
    assert len(frames) == 12 and frames[0].shape == (240, 320, 3)
    first = scenes[0].digits
    for scene in scenes:
        assert [d.label for d in scene.digits] == [d.label for d in first]
        for digit, start in zip(scene.digits, first):
            assert digit.box[2:] == start.box[2:]
            assert max(abs(digit.box[0] - start.box[0]), abs(digit.box[1] - start.box[1])) <= 6
            x, y, w, h = digit.box
            assert x >= synth.EDGE_MARGIN_PX and x + w <= 320 - synth.EDGE_MARGIN_PX
            assert y >= synth.EDGE_MARGIN_PX and y + h <= 240 - synth.EDGE_MARGIN_PX
    assert len({scene.digits[0].box[:2] for scene in scenes}) > 1, "the camera never moved"
    # What was written is what was returned, up to mp4 compression.
    assert np.abs(frames[5].astype(int) - scenes[5].image_bgr).mean() < 8


def test_make_video_fails_loudly_when_it_cannot_write(mnist_test, tmp_path):
    x_test, y_test = mnist_test
    with pytest.raises(UserError, match="cannot open"):
        synth.make_video(x_test, y_test, tmp_path / "no" / "such" / "folder.mp4", n_frames=2)


def test_command_line_help_answers_without_data():
    done = subprocess.run([sys.executable, "-m", "tools.synth", "--help"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "make-demo" in done.stdout and "make-video" in done.stdout


def test_command_line_make_video_writes_clip_and_truth(mnist_npz, tmp_path):
    out = tmp_path / "hard.mp4"
    status = synth.main(["make-video", "--data", str(mnist_npz), "--out", str(out), "--tier",
                         "hard", "--frames", "5", "--size", "320x240", "--digits", "3"])
    assert status == 0
    fps, frames = synth.load_truth(out.with_suffix(".json"))
    assert fps == 15 and len(frames) == 5 and all(len(digits) == 3 for digits in frames)


def test_command_line_reports_missing_data_in_one_line(tmp_path, capsys):
    status = synth.main(["make-demo", "--data", str(tmp_path / "absent.npz"),
                         "--out", str(tmp_path / "demo.mp4")])
    assert status == 2
    assert capsys.readouterr().err.startswith("error: MNIST data not found")


def test_shipped_demo_clip_matches_its_truth():
    if not DEMO_CLIP.exists():
        pytest.fail(f"{DEMO_CLIP} is missing: run `python -m tools.synth make-demo`")
    fps, frames = synth.load_truth(DEMO_CLIP.with_suffix(".json"))
    capture = cv2.VideoCapture(str(DEMO_CLIP))
    try:
        assert capture.get(cv2.CAP_PROP_FPS) == pytest.approx(fps)
        assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == len(frames)
        ok, first_frame = capture.read()
    finally:
        capture.release()
    assert ok and first_frame.shape == (480, 640, 3)
    assert DEMO_CLIP.stat().st_size < 1.5e6
    assert all(8 <= len(digits) <= 12 for digits in frames)
    gray = cv2.cvtColor(first_frame, cv2.COLOR_BGR2GRAY)
    for digit in frames[0]:
        x, y, w, h = digit.box
        assert gray[y:y + h, x:x + w].min() < gray[y - 3:y + h + 3, x - 3:x + w + 3].max() - 80


@pytest.mark.parametrize("tier", synth.TIERS)
def test_text_pages_are_reproducible_and_carry_ink(tier):
    first = synth.make_text_page(np.random.default_rng(3), tier=tier)
    again = synth.make_text_page(np.random.default_rng(3), tier=tier)
    other = synth.make_text_page(np.random.default_rng(4), tier=tier)
    assert first.shape == (480, 640, 3) and first.dtype == np.uint8
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
    gray = cv2.cvtColor(first, cv2.COLOR_BGR2GRAY).astype(np.int16)
    # Ink: pixels far darker than the paper around them (a local median over ~2 letters, so the
    # light falloff and the shadow do not count; desk right beside a sheet's edge does, a
    # little): 2-17% of the frame over 120 pages of 25-50 px letters.
    paper = cv2.medianBlur(gray.astype(np.uint8), 51).astype(np.int16)
    ink = gray < paper - MIN_INK_CONTRAST
    assert 0.01 < ink.mean() < 0.25, ink.mean()
    # Several lines: the ink's rows spread over much of the frame's height (39-98% seen).
    inked_rows = np.flatnonzero(ink.sum(axis=1) > 3)
    assert inked_rows[-1] - inked_rows[0] > 0.3 * gray.shape[0]


def test_text_pages_take_the_requested_size():
    page = synth.make_text_page(np.random.default_rng(0), size=(320, 240), tier="clean")
    assert page.shape == (240, 320, 3)
