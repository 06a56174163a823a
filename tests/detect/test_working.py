"""working: the working image's size, channel and denoising."""

import numpy as np
from conftest import make_settings

from realtime.detect.working import area_shrink, ink_contrast_gray, to_working_gray

CONFIG = make_settings().detect.working


def test_large_frames_are_shrunk_and_small_ones_enlarged():
    gray, scale = to_working_gray(np.full((1000, 2000, 3), 200, np.uint8), CONFIG)
    assert gray.shape == (640, 1280) and scale == 0.64
    gray, scale = to_working_gray(np.full((240, 320, 3), 200, np.uint8), CONFIG)
    assert gray.shape == (480, 640) and scale == 2.0
    gray, scale = to_working_gray(np.full((600, 800), 200, np.uint8), CONFIG)
    assert gray.shape == (600, 800) and scale == 1.0


def test_the_brightest_channel_is_the_brightness():
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[:, :] = (200, 210, 220)  # paper under warm light: its tint is under the colour floor
    frame[100:110, 100:110] = (40, 40, 40)  # dark pen
    frame[200:210, 200:210] = (198, 162, 130)  # a pale blue rule: stays far lighter than ink
    gray, _ = to_working_gray(frame, CONFIG)
    assert gray[300, 300] == 220 and gray[105, 105] == 40 and gray[205, 205] == 180


def test_coloured_ink_keeps_its_contrast():
    """Issue 13: red ink is nearly paper-bright in its red channel (169 on paper at 225: 56
    below), so the brightest channel lost it; half its colour beyond the floor puts it 106 below."""
    frame = np.full((480, 640, 3), 225, np.uint8)
    frame[100:110, 100:110] = (36, 40, 169)  # red pen
    frame[200:210, 200:210] = (102, 34, 18)  # blue pen: 102 in its brightest channel, now 76
    gray, _ = to_working_gray(frame, CONFIG)
    assert gray[300, 300] == 225 and 118 <= gray[105, 105] <= 119 and gray[205, 205] == 76


def test_the_brightness_of_every_pixel_follows_its_own_channels():
    """The planes come from one mixChannels into new planes: each pixel is its brightest channel
    less half its colour beyond the floor, also for a crop of a larger frame (not contiguous)
    and a frame with a fourth channel (BGRA), whose alpha is never read."""
    rng = np.random.default_rng(7)
    frame = rng.integers(0, 256, (120, 160, 4), dtype=np.uint8)
    b, g, r = (frame[..., k].astype(int) for k in range(3))
    brightest, darkest = np.maximum(np.maximum(b, g), r), np.minimum(np.minimum(b, g), r)
    colour = np.clip(brightest - darkest - CONFIG.colour_floor, 0, None)
    expected = np.clip(brightest - np.rint(CONFIG.colour_weight * colour), 0, 255)
    assert np.array_equal(ink_contrast_gray(frame, CONFIG), expected)
    assert np.array_equal(ink_contrast_gray(np.ascontiguousarray(frame[..., :3]), CONFIG), expected)
    crop = frame[10:90, 20:130, :3]
    assert not crop.flags.c_contiguous
    assert np.array_equal(ink_contrast_gray(crop, CONFIG), expected[10:90, 20:130])


def test_a_single_pixel_spike_is_smoothed_by_the_3x3_gaussian():
    frame = np.zeros((480, 640), np.uint8)
    frame[200, 200] = 255
    gray, _ = to_working_gray(frame, CONFIG)
    # The 3x3 Gaussian's centre weight is 1/4 and its edge weights 1/8.
    assert gray[200, 200] == 64 and gray[200, 201] == 32 and gray[200, 202] == 0


def test_area_shrink_halves_then_resizes():
    image = np.arange(480 * 640, dtype=np.uint32).reshape(480, 640).astype(np.uint8)
    assert area_shrink(image, 240).shape == (180, 240)
    assert area_shrink(image[:100, :100], 240).shape == (100, 100)
