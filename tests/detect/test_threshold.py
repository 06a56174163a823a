"""threshold: ink is what stands above its neighbourhood by the offset; on paper, only near a core."""

import numpy as np
from conftest import make_settings

from realtime.detect import find_digits
from realtime.detect.threshold import (
    ink_offsets,
    keep_ink_cores,
    local_contrast,
    noise_sigma,
    paper_block,
    threshold_ink,
)

CONFIG = make_settings().detect.threshold


def test_the_neighbourhood_is_a_tenth_of_the_shorter_side():
    assert paper_block((480, 640), CONFIG) == 49 and paper_block((20, 20), CONFIG) == 3


def test_ink_must_stand_13_levels_above_its_neighbourhood():
    ink_bright = np.full((480, 640), 50, np.uint8)
    ink_bright[100:103, 100:103] = 50 + 13  # ink: 13 above the paper
    ink_bright[300:303, 300:303] = 50 + 7  # shading: 7 above
    contrast = local_contrast(ink_bright, CONFIG)
    mask = threshold_ink(ink_bright, contrast, None, "adaptive", CONFIG)
    assert mask[100:103, 100:103].all() and not mask[300:303, 300:303].any()
    assert int(mask.sum()) // 255 == 9
    search = np.zeros_like(mask)
    search[:200] = 255
    assert int(threshold_ink(ink_bright, contrast, search, "adaptive", CONFIG).sum()) // 255 == 9


def test_a_wide_blob_is_ink_only_while_it_is_small_against_the_neighbourhood():
    # A 30 px square 40 above the paper raises the 49 px mean by 40 * 900 / 2401 = 15: it is ink.
    ink_bright = np.full((480, 640), 50, np.uint8)
    ink_bright[200:230, 200:230] = 90
    mask = threshold_ink(ink_bright, local_contrast(ink_bright, CONFIG), None, "adaptive", CONFIG)
    assert mask[215, 215] == 255 and mask[200:230, 200:230].all()


def test_otsu_cuts_between_paper_and_ink():
    ink_bright = np.full((480, 640), 30, np.uint8)
    ink_bright[100:110, 100:140] = 200
    mask = threshold_ink(ink_bright, local_contrast(ink_bright, CONFIG), None, "otsu", CONFIG)
    assert mask[100:110, 100:140].all() and int(mask.sum()) // 255 == 400


def test_only_ink_within_two_pixels_of_a_core_is_kept():
    mask = np.zeros((100, 100), np.uint8)
    mask[50, 10:90] = 255  # a faint stroke...
    contrast = np.zeros((100, 100), np.uint8)
    contrast[50, 10:90] = 20  # ...20 above the paper: no core
    contrast[50, 50] = 30  # one point of it is a core
    kept = keep_ink_cores(mask, contrast, CONFIG)
    assert np.flatnonzero(kept[50]).tolist() == [48, 49, 50, 51, 52]


def test_on_paper_only_ink_with_a_dark_core_is_ink():
    gray = np.full((480, 640), 230, np.uint8)
    gray[100:120, 100:120] = 230 - 18  # a faint smudge: over the threshold, no core
    gray[100:130, 300:304] = 230 - 60  # a pen stroke
    mask = find_digits(np.repeat(gray[..., None], 3, axis=2), make_settings()).ink_mask
    assert not mask[100:120, 100:120].any() and mask[100:130, 300:304].all()


def test_on_a_thin_strip_the_neighbourhood_is_still_several_strokes_wide():
    """A row of answer boxes 640x59: a tenth of its height (5 px) is a stroke's width, and the
    stroke's middle would not stand above its own neighbourhood."""
    assert paper_block((59, 640), CONFIG) == 33 and paper_block((136, 640), CONFIG) == 33
    assert paper_block((640, 59), CONFIG) == 33 and paper_block((960, 1280), CONFIG) == 97
    ink_bright = np.full((59, 640), 40, np.uint8)
    ink_bright[10:50, 300:305] = 140  # a 5 px pencil stroke, 100 above the paper
    contrast = local_contrast(ink_bright, CONFIG)
    assert contrast[30, 302] >= 80  # its middle: nearly all of its 100 levels (0 with a 5 px block)
    assert keep_ink_cores(threshold_ink(ink_bright, contrast, None, "adaptive", CONFIG), contrast,
                          CONFIG)[10:50, 300:305].all()


def _pencil_on_dim_paper(paper, noise=0.0, seed=0):
    """Ink-bright image of paper at grey level `paper` with three 4 px pencil strokes 20 below
    it, and Gaussian noise of sigma `noise` (a 3x3 blur's worth already)."""
    rng = np.random.default_rng(seed)
    gray = np.full((480, 640), float(paper))
    for x in (100, 300, 500):
        gray[200:260, x:x + 4] -= 20
    gray += rng.normal(0, noise, gray.shape)
    return 255 - np.clip(np.round(gray), 0, 255).astype(np.uint8)


def test_a_core_is_relative_to_the_papers_brightness():
    """Issue 13 mechanism 4: pencil 20 below paper at 111 (a dim room) has no core at a fixed 24
    levels; relative to the paper (24 / 225 of it, 13 here) it does. Bright paper keeps 24."""
    ink_bright = _pencil_on_dim_paper(111)
    contrast = local_contrast(ink_bright, CONFIG)
    ink = threshold_ink(ink_bright, contrast, None, "adaptive", CONFIG)
    assert ink[200:260, 100:104].all()
    assert not keep_ink_cores(ink, contrast, CONFIG).any()  # the fixed core: nothing
    offsets = ink_offsets(ink_bright, None, False, CONFIG)
    kept = keep_ink_cores(ink, contrast, CONFIG, offsets)
    assert kept[200:260, 100:104].all() and kept[200:260, 500:504].all()
    assert int(offsets.core[0, 0]) == 13 and offsets.threshold == CONFIG.offset
    bright = ink_offsets(_pencil_on_dim_paper(235), None, False, CONFIG)
    assert int(bright.core[0, 0]) == 24  # never above core_offset
    assert ink_offsets(ink_bright, None, True, CONFIG) == (CONFIG.offset, CONFIG.core_offset, None)  # chalk


def test_a_noisy_dim_frame_keeps_its_core_above_the_noise():
    """Sensor noise does not shrink with the light: on paper at 80 with noise sigma 4 the core is
    5 sigma (about 20), not 24 / 225 of 80 (9)."""
    ink_bright = _pencil_on_dim_paper(80, noise=4.0)
    assert 3.6 < noise_sigma(ink_bright, None, CONFIG) < 4.4
    assert 19 <= int(np.median(ink_offsets(ink_bright, None, False, CONFIG).core)) <= 22
    search = np.zeros_like(ink_bright)
    search[:, :320] = 255
    ink_bright[:, 320:] = 255 - np.random.default_rng(1).integers(0, 255, (480, 320), dtype=np.uint8)
    assert 3.6 < noise_sigma(ink_bright, search, CONFIG) < 4.4  # only the surface is read


def test_a_window_takes_its_views_noise():
    """A window of a view is thresholded with the view's noise (context.ViewContext): a quiet
    crop of a noisy frame keeps the frame's core floor; the offsets say the sigma they used."""
    noisy = _pencil_on_dim_paper(80, noise=4.0)
    sigma = ink_offsets(noisy, None, False, CONFIG).noise_sigma
    assert 3.6 < sigma < 4.4
    quiet = _pencil_on_dim_paper(80)
    assert int(np.median(ink_offsets(quiet, None, False, CONFIG).core)) < 15
    assert 19 <= int(np.median(ink_offsets(quiet, None, False, CONFIG, sigma).core)) <= 22


def test_noise_sigma_is_the_mean_square_of_the_smaller_differences_on_real_photos(real_photos_dir):
    # The histogram's sum of squares against the values themselves (partitioned), on a sheet on
    # a desk (its paper as the search) and a blackboard, with and without a search mask.
    import cv2

    from realtime.detect.surface import find_paper
    from realtime.detect.threshold import NOISE_QUANTILE, NOISE_TRUNCATED_VARIANCE
    from realtime.detect.working import to_working_gray

    def by_partition(ink_bright, search):
        rows = ink_bright[::CONFIG.noise_row_step].astype(np.int16)
        lag = CONFIG.noise_lag_px
        difference = np.abs(rows[:, lag:] - rows[:, :-lag])
        if search is not None:
            on = search[::CONFIG.noise_row_step]
            difference = difference[(on[:, lag:] > 0) & (on[:, :-lag] > 0)]
        k = int(NOISE_QUANTILE * (difference.size - 1))
        smaller = np.partition(difference.ravel(), k)[:k + 1].astype(np.float64)
        return float(np.sqrt(np.mean(smaller * smaller) / NOISE_TRUNCATED_VARIANCE / 2))

    settings = make_settings()
    sigmas = []
    for name in ("sheet_on_desk.png", "lukasbindreiter__white-brush__05_blackboard_crop1.png"):
        gray = to_working_gray(cv2.imread(str(real_photos_dir / name)), settings.detect.working)[0]
        ink_bright = 255 - gray
        paper = find_paper(gray, settings.detect.surface).mask
        for search in (None, paper):
            sigmas.append(noise_sigma(ink_bright, search, CONFIG))
            assert sigmas[-1] == by_partition(ink_bright, search), name
    assert min(sigmas) > 0
