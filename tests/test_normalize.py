"""normalize: MNIST's own layout (20x20 box, centre of mass at 14,14, white on black) from any crop."""

import cv2
import numpy as np
import pytest

from realtime.normalize import MNIST_CENTRE, naive_resize, normalize_regions, stroke_width, to_mnist


def _as_camera_crop(digit_28: np.ndarray, height_px: int) -> np.ndarray:
    """An MNIST digit as a camera would crop it: tight box of its ink, at another size."""
    ys, xs = np.nonzero(digit_28 > 30)
    tight = digit_28[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.float32) / 255
    scale = height_px / tight.shape[0]
    return cv2.resize(tight, (max(1, round(tight.shape[1] * scale)), height_px), interpolation=cv2.INTER_LINEAR)


def _centre_of_mass(digit):
    mass = digit.sum()
    return (digit.sum(axis=1) @ np.arange(28) / mass, digit.sum(axis=0) @ np.arange(28) / mass)


@pytest.mark.parametrize("height_px", [14, 40, 120])
def test_mnist_digits_come_back_close_to_themselves(mnist_test, height_px):
    images, _ = mnist_test
    sample = images[:200]
    rebuilt = np.stack([to_mnist(_as_camera_crop(d, height_px)) for d in sample])
    original = sample.astype(np.float32) / 255
    correlation = [np.corrcoef(a.ravel(), b.ravel())[0, 1] for a, b in zip(rebuilt, original, strict=True)]
    assert np.median(correlation) > 0.85, np.median(correlation)
    naive = np.stack([naive_resize(_as_camera_crop(d, height_px)) for d in sample])
    naive_corr = [np.corrcoef(a.ravel(), b.ravel())[0, 1] for a, b in zip(naive, original, strict=True)]
    assert np.median(correlation) > np.median(naive_corr) + 0.1


def test_layout_is_mnists():
    crop = np.zeros((90, 30), np.float32)
    cv2.line(crop, (15, 3), (15, 86), 1.0, 5)  # a tall thin '1'
    digit = to_mnist(crop)
    assert digit.shape == (28, 28) and digit.dtype == np.float32
    assert 0.0 <= digit.min() and digit.max() <= 1.0
    rows = np.flatnonzero(digit.max(axis=1) > 0.05)
    assert 19 <= rows[-1] - rows[0] + 1 <= 21  # the longer side fills the 20x20 box
    cy, cx = _centre_of_mass(digit)
    assert abs(cy - MNIST_CENTRE) < 0.3 and abs(cx - MNIST_CENTRE) < 0.3


def test_thin_pen_strokes_are_thickened_to_mnist_width(mnist_test):
    crop = np.zeros((200, 140), np.float32)
    cv2.circle(crop, (70, 100), 60, 1.0, 2)  # a '0' drawn with a fine pen, big in the frame
    digit = to_mnist(crop)
    images, _ = mnist_test
    mnist_width = np.median([stroke_width(d / 255.0) for d in images[:300]])
    assert abs(stroke_width(digit) - mnist_width) < 0.6


def test_thick_strokes_are_kept_so_a_thin_bar_survives():
    # A small '7' from a felt pen as a camera sees it: thick stem, thinner bar, a little blur.
    crop = np.zeros((24, 16), np.float32)
    crop[1:3, 1:15] = 1.0
    cv2.line(crop, (14, 2), (5, 22), 1.0, 6)
    digit = to_mnist(cv2.GaussianBlur(crop, (0, 0), 0.8))
    bar = digit[:10].max(axis=0)
    assert np.count_nonzero(bar > 0.5) >= 10  # still spans most of the 20 px box (eroded: 5)


def test_empty_and_degenerate_crops_give_blank_digits():
    for crop in (np.zeros((0, 5), np.float32), np.zeros((10, 10), np.float32), np.ones((1, 1), np.float32)):
        digit = to_mnist(crop)
        assert digit.shape == (28, 28) and np.isfinite(digit).all()


def test_batch_is_one_array_in_order():
    ink = np.zeros((50, 100), np.float32)
    ink[10:40, 10:14] = 1.0
    cv2.circle(ink, (70, 25), 10, 1.0, 2)
    batch = normalize_regions(ink, np.array([[10, 10, 4, 30], [59, 14, 23, 23]]))
    assert batch.shape == (2, 28, 28)
    assert batch[0].sum() < batch[1].sum()  # the bar first, then the ring



def test_the_tight_crop_is_the_box_of_the_ink_above_the_floor_on_real_digits():
    # Every region of the demo clip's first frame, fitted and thickened as to_mnist does: the
    # crop is exactly the rows and columns with ink above INK_FLOOR, as numpy's maxima say.
    from conftest import REPO

    from realtime import normalize
    from realtime.detect import find_digits
    from realtime.settings import Settings
    from realtime.sources import open_source

    with open_source(str(REPO / "realtime" / "data" / "demo.mp4")) as source:
        frame = next(iter(source)).image_bgr
    regions = find_digits(frame, Settings())
    assert len(regions) >= 5
    for x, y, w, h in regions.boxes_work:
        big = normalize._thicken_thin_strokes(normalize._fit(regions.ink_work[y:y + h, x:x + w], normalize.WORK_BOX))
        rows = np.flatnonzero(big.max(axis=1) > normalize.INK_FLOOR)
        cols = np.flatnonzero(big.max(axis=0) > normalize.INK_FLOOR)
        assert np.array_equal(normalize._tight(big), big[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1])
    # Nothing above the floor: the image as it is.
    faint = np.full((10, 10), normalize.INK_FLOOR, np.float32)
    assert normalize._tight(faint) is faint
