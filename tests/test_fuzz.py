"""Property tests: random frames and regions through detect, normalize and the model never raise
and always give well-formed outputs (shapes, dtypes, ranges, probabilities that sum to 1).

Hypothesis draws the parameters of a picture (size, kind, seed), not its pixels, so a failure
shrinks to a small readable case. Under CI the examples are fixed (derandomize) so a run is
reproducible; locally they vary from run to run and find more.
"""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realtime.detect import find_digits
from realtime.normalize import normalize_regions, to_mnist
from realtime.settings import INVERT_MODES, THRESHOLD_MODES, Settings

FUZZ = settings(max_examples=60, deadline=None, derandomize=bool(os.environ.get("CI")),
                suppress_health_check=[HealthCheck.too_slow], database=None)
# Frames up to 400 px a side (long 1-px strips have their own test,
# test_reliability.py::test_one_pixel_strip_frames).
MAX_SIDE = 400
KINDS = ("constant", "noise", "salt", "shapes", "mnist", "stripes", "grid")


def picture(kind: str, height: int, width: int, seed: int, dark_on_light: bool,
            digits: np.ndarray | None = None) -> np.ndarray:
    """An (H, W, 3) uint8 frame of one kind, reproducible from its parameters."""
    rng = np.random.default_rng(seed)
    ground, ink = (230, 25) if dark_on_light else (25, 230)
    image = np.full((height, width, 3), ground, np.uint8)
    if kind == "constant":
        image[:] = rng.integers(0, 256)
    elif kind == "noise":
        image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    elif kind == "salt":
        image[rng.random((height, width)) < rng.uniform(0.001, 0.3)] = ink
    elif kind == "stripes":
        step = int(rng.integers(2, 12))
        image[::step] = ink
    elif kind == "grid":  # squared paper, pale or dark, a little turned: the rule finder's case
        step = int(rng.integers(3, 40))
        level = int(rng.integers(0, 256))
        turn = np.vstack([cv2.getRotationMatrix2D((width / 2, height / 2), rng.uniform(-5, 5), 1.0), [0, 0, 1]])
        for k in range(-max(height, width), 2 * max(height, width), step):
            for p1, p2 in (((k, -width), (k, 2 * width)), ((-height, k), (2 * height, k))):
                (x1, y1), (x2, y2) = [(turn @ (x, y, 1))[:2] for x, y in (p1, p2)]
                cv2.line(image, (int(x1), int(y1)), (int(x2), int(y2)), (level,) * 3, 1)
    elif kind == "shapes":
        for _ in range(int(rng.integers(1, 40))):
            p1 = (int(rng.integers(-10, width + 10)), int(rng.integers(-10, height + 10)))
            p2 = (int(rng.integers(-10, width + 10)), int(rng.integers(-10, height + 10)))
            thickness = int(rng.integers(-1, 6)) or 1
            shape = rng.integers(0, 3)
            if shape == 0:
                cv2.line(image, p1, p2, (ink,) * 3, max(1, thickness))
            elif shape == 1:
                cv2.rectangle(image, p1, p2, (ink,) * 3, thickness)
            else:
                cv2.circle(image, p1, int(rng.integers(1, 60)), (ink,) * 3, thickness)
    elif kind == "mnist":
        for _ in range(int(rng.integers(1, 6))):
            digit = digits[int(rng.integers(len(digits)))].astype(np.float32) / 255
            size = int(rng.integers(6, max(7, min(height, width))))
            patch = cv2.resize(digit, (size, size))
            top, left = int(rng.integers(-size // 2, height)), int(rng.integers(-size // 2, width))
            y0, x0 = max(top, 0), max(left, 0)
            y1, x1 = min(top + size, height), min(left + size, width)
            if y1 <= y0 or x1 <= x0:
                continue
            alpha = patch[y0 - top:y1 - top, x0 - left:x1 - left, None]
            region = image[y0:y1, x0:x1].astype(np.float32)
            image[y0:y1, x0:x1] = (region * (1 - alpha) + ink * alpha).astype(np.uint8)
    return image


frames = st.builds(
    lambda kind, height, width, seed, dark, grey: (kind, height, width, seed, dark, grey),
    st.sampled_from(KINDS), st.integers(1, MAX_SIDE), st.integers(1, MAX_SIDE),
    st.integers(0, 2**32 - 1), st.booleans(), st.booleans())
all_settings = st.builds(Settings, threshold=st.sampled_from(THRESHOLD_MODES),
                         invert=st.sampled_from(INVERT_MODES), min_confidence=st.floats(0, 1),
                         max_regions=st.integers(1, 100))


@pytest.fixture(scope="module")
def some_digits(mnist_test):
    return mnist_test[0][:500]


def _make(frame_spec, some_digits) -> np.ndarray:
    kind, height, width, seed, dark, grey = frame_spec
    image = picture(kind, height, width, seed, dark, some_digits)
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if grey else image


@FUZZ
@given(frame_spec=frames, run_settings=all_settings)
def test_find_digits_is_well_formed(some_digits, frame_spec, run_settings):
    image = _make(frame_spec, some_digits)
    height, width = image.shape[:2]
    regions = find_digits(image, run_settings)
    assert len(regions) <= run_settings.max_regions
    assert regions.boxes_src.shape == (len(regions), 4) and regions.boxes_work.shape == (len(regions), 4)
    for x, y, w, h in regions.boxes_src:
        assert 0 <= x and 0 <= y and w > 0 and h > 0 and x + w <= width and y + h <= height
    work_h, work_w = regions.ink_work.shape
    for x, y, w, h in regions.boxes_work:
        assert 0 <= x and 0 <= y and w > 0 and h > 0 and x + w <= work_w and y + h <= work_h
    assert regions.ink_work.dtype == np.float32
    assert np.isfinite(regions.ink_work).all()
    assert regions.ink_work.min() >= 0 and regions.ink_work.max() <= 1
    # Binary-ness of the mask is its own test below; here its type and shape.
    assert regions.ink_mask.dtype == np.uint8 and regions.ink_mask.shape == regions.ink_work.shape


@pytest.mark.parametrize("seed", [0, 39])
def test_ink_mask_is_binary_on_a_sheet_with_specks(seed):
    """Regions.ink_mask is documented as uint8 with 255 = ink (the window's threshold view)."""
    rng = np.random.default_rng(seed)
    frame = np.full((480, 640, 3), 40, np.uint8)  # a desk
    frame[60:420, 80:560] = 230                    # a sheet on it
    frame[rng.random((480, 640)) < 0.01] = 20      # dark specks everywhere
    assert set(np.unique(find_digits(frame, Settings()).ink_mask)) <= {0, 255}


inks = st.builds(
    lambda height, width, seed, kind: (height, width, seed, kind),
    st.integers(0, 150), st.integers(0, 150), st.integers(0, 2**32 - 1),
    st.sampled_from(("zeros", "ones", "noise", "binary", "stroke", "dot")))


def _ink(spec) -> np.ndarray:
    height, width, seed, kind = spec
    rng = np.random.default_rng(seed)
    ink = np.zeros((height, width), np.float32)
    if kind == "ones":
        ink[:] = 1
    elif kind == "noise":
        ink = rng.random((height, width), dtype=np.float32)
    elif kind == "binary":
        ink = (rng.random((height, width)) < rng.uniform(0.05, 0.95)).astype(np.float32)
    elif kind == "stroke" and height and width:
        cv2.line(ink, (int(rng.integers(width)), 0), (int(rng.integers(width)), height - 1), 1.0,
                 int(rng.integers(1, 8)))
    elif kind == "dot" and height and width:
        ink[int(rng.integers(height)), int(rng.integers(width))] = 1
    return ink


def _assert_mnist_like(digit: np.ndarray) -> None:
    assert digit.shape == (28, 28) and digit.dtype == np.float32
    assert np.isfinite(digit).all() and digit.min() >= 0 and digit.max() <= 1


@FUZZ
@given(spec=inks)
def test_to_mnist_is_well_formed(spec):
    ink = _ink(spec)
    digit = to_mnist(ink)
    _assert_mnist_like(digit)
    if ink.size and ink.max() >= 0.5:
        assert digit.max() > 0, "a region with ink came out blank"


@FUZZ
@given(spec=inks, seed=st.integers(0, 2**32 - 1), count=st.integers(0, 20))
def test_normalize_regions_is_well_formed(spec, seed, count):
    ink_work = _ink(spec)
    height, width = ink_work.shape
    rng = np.random.default_rng(seed)
    boxes = []
    if height and width:
        for _ in range(count):
            x, y = int(rng.integers(width)), int(rng.integers(height))
            boxes.append((x, y, int(rng.integers(1, width - x + 1)), int(rng.integers(1, height - y + 1))))
    batch = normalize_regions(ink_work, np.array(boxes, int).reshape(-1, 4))
    assert batch.shape == (len(boxes), 28, 28) and batch.dtype == np.float32
    for digit in batch:
        _assert_mnist_like(digit)


@FUZZ
@given(count=st.integers(0, 64), seed=st.integers(0, 2**32 - 1),
       kind=st.sampled_from(("uniform", "zeros", "ones", "sparse")))
def test_model_batch_gives_probabilities(recognizer, count, seed, kind):
    rng = np.random.default_rng(seed)
    digits = {"uniform": lambda: rng.random((count, 28, 28), dtype=np.float32),
              "zeros": lambda: np.zeros((count, 28, 28), np.float32),
              "ones": lambda: np.ones((count, 28, 28), np.float32),
              "sparse": lambda: (rng.random((count, 28, 28)) < 0.1).astype(np.float32)}[kind]()
    probabilities = recognizer.model.predict(digits)
    assert probabilities.shape == (count, 10) and probabilities.dtype == np.float32
    assert np.isfinite(probabilities).all() and (probabilities >= 0).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
    assert set(probabilities.argmax(axis=1).tolist()) <= set(range(10))


@settings(max_examples=30, deadline=None, derandomize=bool(os.environ.get("CI")),
          suppress_health_check=[HealthCheck.too_slow], database=None)
@given(frame_spec=frames)
def test_recognizer_detections_are_well_formed(recognizer, some_digits, frame_spec):
    image = _make(frame_spec, some_digits)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)  # recognize() takes (H, W, 3) BGR
    height, width = image.shape[:2]
    detections = recognizer.recognize(image)
    assert len(detections) <= recognizer.settings.max_regions
    for d in detections:
        x, y, w, h = d.box
        assert 0 <= x and 0 <= y and w > 0 and h > 0 and x + w <= width and y + h <= height
        assert isinstance(d.label, int) and 0 <= d.label <= 9
        assert 0.0 <= d.confidence <= 1.0
        _assert_mnist_like(d.digit_28x28)
        if d.probabilities is not None:
            assert d.probabilities.shape == (10,) and abs(float(d.probabilities.sum()) - 1) < 1e-4
            assert int(np.argmax(d.probabilities)) == d.label
