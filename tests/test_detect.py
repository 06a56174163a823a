"""detect: which regions of a frame are digits, on generated frames with known boxes and real photos."""

import json

import cv2
import numpy as np
import pytest
from conftest import detection_figures, make_settings, scenes

from realtime.detect import find_digits, ink_components, local_contrast, reading_order, remove_rules

SETTINGS = make_settings()


def boxes_of(image, settings=SETTINGS):
    return find_digits(image, settings).boxes_src.tolist()


@pytest.mark.parametrize("tier, min_recall, min_precision", [
    # Measured on these 25 scenes each: clean 0.996 / 0.992, camera 1.000 / 1.000, hard 0.992 / 0.996.
    ("clean", 0.98, 0.98), ("camera", 0.97, 0.98), ("hard", 0.96, 0.97)])
def test_generated_scenes_digits_are_found(mnist_test, tier, min_recall, min_precision):
    batch = scenes(mnist_test, tier, 25, seed=11)
    recall, precision, _ = detection_figures([boxes_of(s.image_bgr) for s in batch], batch)
    assert recall >= min_recall and precision >= min_precision, (recall, precision)


def test_digits_inside_a_sheet_edge_are_found(mnist_test):
    """A sheet on a darker desk: its edge encloses every digit and must not swallow them."""
    batch = scenes(mnist_test, "camera", 8, seed=3, sheet=True)
    recall, precision, _ = detection_figures([boxes_of(s.image_bgr) for s in batch], batch)
    assert recall >= 0.97 and precision >= 0.97, (recall, precision)


def test_holes_of_0_6_8_9_are_not_digits(mnist_test):
    images, labels = mnist_test
    loopy = np.flatnonzero(np.isin(labels, [0, 6, 8, 9]))[:8]
    scene = scenes(mnist_test, "clean", 1, seed=5, indices=loopy, n_digits=len(loopy))[0]
    found = boxes_of(scene.image_bgr)
    assert len(found) == len(loopy)
    for a in found:  # no box inside another
        for b in found:
            if a != b:
                assert not (b[0] >= a[0] and b[1] >= a[1] and b[0] + b[2] <= a[0] + a[2]
                            and b[1] + b[3] <= a[1] + a[3])


def test_specks_and_a_shadow_are_not_digits(mnist_test):
    scene = scenes(mnist_test, "clean", 1, seed=8, n_digits=6)[0]
    image = scene.image_bgr.copy()
    rng = np.random.default_rng(0)
    free = np.ones(image.shape[:2], bool)
    for x, y, w, h in (d.box for d in scene.digits):
        free[max(0, y - 15):y + h + 15, max(0, x - 15):x + w + 15] = False
    ys, xs = np.nonzero(free)
    for k in rng.choice(len(ys), 300, replace=False):  # pepper: 1-3 px dark specks
        cv2.circle(image, (int(xs[k]), int(ys[k])), int(rng.integers(0, 2)), (40, 40, 40), -1)
    image[:, :60] = (image[:, :60] * 0.55).astype(np.uint8)  # a soft shadow band at the edge
    recall, precision, _ = detection_figures([boxes_of(image)], [scene])
    assert recall == 1.0 and precision == 1.0


def test_a_digit_whose_stroke_broke_is_one_digit():
    paper = np.full((240, 320, 3), 225, np.uint8)
    cv2.putText(paper, "5", (120, 170), cv2.FONT_HERSHEY_SIMPLEX, 4, (30, 30, 30), 6, cv2.LINE_AA)
    whole = boxes_of(paper)
    assert len(whole) == 1
    x, y, w, h = whole[0]
    broken = paper.copy()
    broken[y + h // 3: y + h // 3 + 4, :] = 225  # a 4-px gap right across the digit
    assert boxes_of(broken) == [[x, y, w, h]] or len(boxes_of(broken)) == 1


def test_a_thin_one_is_a_digit():
    paper = np.full((240, 320, 3), 230, np.uint8)
    cv2.line(paper, (160, 80), (162, 150), (40, 40, 40), 2)
    found = boxes_of(paper)
    assert len(found) == 1 and found[0][3] >= 65


def test_ruled_lines_and_the_frame_border_are_not_digits(mnist_test):
    scene = scenes(mnist_test, "clean", 1, seed=2, n_digits=5)[0]
    image = scene.image_bgr.copy()
    for y in range(30, 480, 38):
        cv2.line(image, (0, y), (639, y + 6), (200, 150, 120), 2)  # blue rules, a bit slanted
    cv2.line(image, (70, 0), (70, 479), (90, 90, 220), 2)  # a red margin line
    cv2.rectangle(image, (0, 0), (639, 479), (20, 20, 20), 6)  # a dark frame border
    recall, precision, _ = detection_figures([boxes_of(image)], [scene])
    assert recall == 1.0 and precision == 1.0



def _squared_paper(image_bgr, spacing_px, line_bgr, angle_deg=2.0):
    """`image_bgr` printed over with a square grid of 1 px lines of colour line_bgr (multiplied
    in, as ink on paper is), turned by angle_deg."""
    h, w = image_bgr.shape[:2]
    grid = np.zeros((h, w), np.uint8)  # how much of a line covers each pixel
    c, s = np.cos(np.radians(angle_deg)), np.sin(np.radians(angle_deg))
    reach = int(np.hypot(w, h))
    for offset in range(-reach, reach, spacing_px):
        for (ux, uy), (vx, vy) in (((c, s), (-s, c)), ((-s, c), (c, s))):
            x0, y0 = w / 2 + offset * vx - reach * ux, h / 2 + offset * vy - reach * uy
            x1, y1 = w / 2 + offset * vx + reach * ux, h / 2 + offset * vy + reach * uy
            cv2.line(grid, (int(x0), int(y0)), (int(x1), int(y1)), 255, 1, cv2.LINE_AA)
    cover = grid[..., None] / 255.0
    line = np.array(line_bgr, np.float32) / 255.0
    return (image_bgr.astype(np.float32) * (1 - cover + cover * line)).astype(np.uint8)


GREY_GRID = (185, 185, 185)
# Light blue, as school squared paper is printed: faint in the brightest channel, so the
# threshold sees its lines only in dashes, too broken for Hough.
BLUE_GRID = (235, 190, 160)


@pytest.mark.parametrize("spacing_px, line_bgr", [(16, GREY_GRID), (24, GREY_GRID), (32, GREY_GRID),
                                                  (16, BLUE_GRID), (32, BLUE_GRID)])
def test_squared_paper_lines_are_not_digits(mnist_test, spacing_px, line_bgr):
    """Graph paper: every line is one component with the whole grid (no line is long for what
    it belongs to), and lines fade out next to the digits; the grid must still go, every digit
    must come back, and no piece of a line may pass for a 1. Measured on these scenes
    (recall / precision): grey 16 px squares 0.98 / 0.98 (a piece of line left between two
    small digits joins them), every other case 1.0 / 1.0; without the ink-core rule the blue
    grids give 0.83 / 0.98 and 0.92 / 0.96."""
    batch = scenes(mnist_test, "camera", 6, seed=40)
    pages = [_squared_paper(s.image_bgr, spacing_px, line_bgr) for s in batch]
    recall, precision, _ = detection_figures([boxes_of(page) for page in pages], batch)
    assert recall >= 0.93 and precision >= 0.97, (recall, precision)


def test_light_digits_on_a_dark_ground_are_found(mnist_test):
    scene = scenes(mnist_test, "clean", 1, seed=4)[0]
    negative = 255 - scene.image_bgr  # a blackboard / dark-mode screen
    recall, precision, _ = detection_figures([boxes_of(negative)], [scene])
    assert recall >= 0.9 and precision >= 0.9
    forced_wrong = boxes_of(negative, make_settings(invert="no"))
    assert detection_figures([forced_wrong], [scene])[0] < 0.5  # --invert is obeyed


def test_otsu_threshold_finds_the_digits_too(mnist_test):
    batch = scenes(mnist_test, "clean", 5, seed=9)
    otsu = make_settings(threshold="otsu")
    recall, precision, _ = detection_figures([boxes_of(s.image_bgr, otsu) for s in batch], batch)
    assert recall >= 0.95 and precision >= 0.95, (recall, precision)


def test_a_noise_frame_is_capped():
    noise = np.random.default_rng(1).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    assert len(find_digits(noise, make_settings(max_regions=16))) <= 16


def test_large_frames_report_boxes_in_source_pixels(mnist_test):
    scene = scenes(mnist_test, "clean", 1, seed=6)[0]
    big = cv2.resize(scene.image_bgr, (2560, 1920), interpolation=cv2.INTER_CUBIC)
    found = (np.array(boxes_of(big)) / 4).tolist()
    recall, precision, _ = detection_figures([found], [scene])
    assert recall >= 0.9 and precision >= 0.9


def test_reading_order_follows_slanted_lines():
    # Two lines of three digits, the sheet turned so the second digit of line 1 sits lower than
    # the first digit of line 2 would if compared by y alone.
    boxes = np.array([[10, 10, 20, 30], [50, 18, 20, 30], [90, 26, 20, 30],
                      [10, 60, 20, 30], [50, 68, 20, 30], [90, 76, 20, 30]])
    assert reading_order(boxes[[5, 1, 3, 0, 4, 2]], SETTINGS.detect.reading).tolist() == [3, 1, 5, 2, 4, 0]


# --- real photographs ---------------------------------------------------------------------------

SHEET = (230, 100, 790, 545)  # the sheet's extent in sheet_on_desk.png (x0, y0, x1, y1)


@pytest.mark.parametrize("width", [922, 640])
def test_real_photo_14_digits_on_the_sheet_none_on_the_desk(real_photos_dir, width):
    image = cv2.imread(str(real_photos_dir / "sheet_on_desk.png"))
    scale = width / image.shape[1]
    image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale != 1 else image
    found = np.array(boxes_of(image)) / scale
    truth = json.loads((real_photos_dir / "labels.json").read_text())["sheet_on_desk.png"]["lines"]
    assert len(found) == sum(len(line) for line in truth) == 14
    x0, y0, x1, y1 = SHEET
    assert ((found[:, 0] > x0) & (found[:, 1] > y0) & (found[:, 0] + found[:, 2] < x1)
            & (found[:, 1] + found[:, 3] < y1)).all()
    first_line, second_line = found[:7], found[7:]
    assert (np.diff(first_line[:, 0]) > 0).all() and (np.diff(second_line[:, 0]) > 0).all()
    assert first_line[:, 1].max() < second_line[:, 1].min()


def test_blank_sheet_and_bare_desk_give_nothing(real_photos_dir):
    blank = cv2.imread(str(real_photos_dir / "blank_sheet_on_desk.png"))
    assert boxes_of(blank) == []
    assert boxes_of(cv2.resize(blank, None, fx=1.6, fy=1.6)) == []
    desk = cv2.imread(str(real_photos_dir / "sheet_on_desk.png"))
    for crop in (desk[0:250, 0:230], desk[450:, :], desk[:, 780:], desk[:110, :]):
        assert boxes_of(crop) == []


# --- papers and pens the photos lack (issue 8) ----------------------------------------------------

def _write_digits(mnist_test, paper_bgr, ink_bgr, count=6, height_px=48, stroke_change_px=0,
                  size=(640, 480), gap=0.6, seed=0, origin=(60, 150)):
    """MNIST test digits written with `ink_bgr` on a flat `paper_bgr` page, one line, known boxes.

    stroke_change_px > 0 thickens the pen (marker), < 0 thins it (fine pencil).
    """
    images, labels = mnist_test
    rng = np.random.default_rng(seed)
    page = np.zeros((size[1], size[0], 3), np.float32)
    page[:] = paper_bgr
    page += rng.normal(0, 2.5, page.shape)
    truth, x = [], origin[0]
    for index in rng.choice(len(images), count, replace=False):
        digit = images[index].astype(np.float32) / 255
        ys, xs = np.nonzero(digit > 0.25)
        digit = digit[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
        scale = height_px / digit.shape[0]
        alpha = cv2.resize(digit, (max(2, round(digit.shape[1] * scale)), height_px), interpolation=cv2.INTER_CUBIC)
        if stroke_change_px:
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (abs(stroke_change_px) + 1,) * 2)
            alpha = cv2.dilate(alpha, kernel) if stroke_change_px > 0 else cv2.erode(alpha, kernel)
        alpha = np.clip(alpha, 0, 1)
        h, w = alpha.shape
        y = origin[1]
        region = page[y:y + h, x:x + w]
        page[y:y + h, x:x + w] = region * (1 - alpha[..., None]) + np.array(ink_bgr, np.float32) * alpha[..., None]
        ink_ys, ink_xs = np.nonzero(alpha > 0.25)
        truth.append(((x + ink_xs.min(), y + ink_ys.min(), np.ptp(ink_xs) + 1, np.ptp(ink_ys) + 1), int(labels[index])))
        x += w + int(gap * height_px)
    return np.clip(page, 0, 255).astype(np.uint8), truth


@pytest.mark.parametrize("case, paper_bgr, ink_bgr, stroke_change_px", [
    ("pencil on grey paper", (170, 172, 175), (105, 105, 110), -1),
    ("thick black marker", (235, 235, 235), (15, 15, 15), 6),
    ("blue pen on a yellow sticky note", (120, 235, 250), (150, 60, 25), 0),
    # Brightness is the brightest channel (so light blue rules and a red margin line fade),
    # which leaves red ink only 40 levels under white paper: still read, with little margin.
    ("red pen on white", (240, 240, 240), (40, 40, 200), 0),
])
def test_papers_and_pens(mnist_test, case, paper_bgr, ink_bgr, stroke_change_px):
    image, truth = _write_digits(mnist_test, paper_bgr, ink_bgr, stroke_change_px=stroke_change_px)
    from tools.scoring import match
    found = boxes_of(image)
    pairs = match([box for box, _ in truth], found, 0.5)
    assert len(pairs) == len(truth) == len(found), (case, found)


def test_a_sticky_note_on_a_desk(mnist_test):
    """A small yellow note on a dark desk: the note is the surface, the desk is ignored."""
    note, truth = _write_digits(mnist_test, (120, 235, 250), (150, 60, 25), count=3,
                                size=(260, 160), origin=(25, 50), seed=3)
    desk = np.random.default_rng(2).normal(60, 18, (480, 640, 3)).clip(0, 255).astype(np.uint8)
    desk[160:320, 190:450] = note
    found = boxes_of(desk)
    from tools.scoring import match
    moved = [(x + 190, y + 160, w, h) for (x, y, w, h), _ in truth]
    assert len(match(moved, found, 0.5)) == len(truth) == len(found), found


def test_digits_cut_by_the_frame_edge_are_skipped(mnist_test):
    """A digit the frame cuts in half cannot be read: it is deliberately not reported."""
    image, truth = _write_digits(mnist_test, (230, 230, 230), (30, 30, 30), count=3, origin=(20, 150))
    shifted = image[:, 40:]  # the first digit now touches the left edge
    found = boxes_of(shifted)
    assert len(found) == 2 and all(x > 0 for x, _, _, _ in found)


def test_a_page_of_words_gives_few_digits():
    """Letters are not digits: runs of nearly touching regions are words and are dropped.

    Measured on 20 generated camera-tier text pages: 51 regions a page without the word rule,
    16.6 with it; on these 5 pages 44.8 without and 15.0 with it (6 to 32)."""
    import dataclasses

    from tools.synth import make_text_page

    pages = [make_text_page(np.random.default_rng(7 + k), tier="camera") for k in range(5)]
    with_rule = np.mean([len(boxes_of(page)) for page in pages])
    no_word_rule = dataclasses.replace(SETTINGS, detect=SETTINGS.detect.replace(
        words=dataclasses.replace(SETTINGS.detect.words, enabled=False)))
    without_rule = np.mean([len(boxes_of(page, no_word_rule)) for page in pages])
    assert with_rule < 25 and with_rule < without_rule / 2, (with_rule, without_rule)


def test_digits_strung_together_by_a_stretch_of_rule_are_cut_apart(mnist_test):
    """What is left of a rule in a dim corner (too short to be found as a rule) joins the digits
    written on it into one region far too wide for a digit: the thin line is cut and the digits
    come back."""
    image, truth = _write_digits(mnist_test, (225, 225, 225), (35, 35, 35), count=3, seed=4)
    y = max(y + h for (x, y, w, h), _ in truth) - 4  # the line runs along their feet
    x0 = truth[0][0][0] - 10
    x1 = truth[-1][0][0] + truth[-1][0][2] + 10
    cv2.line(image, (x0, y), (x1, y), (90, 90, 90), 2)
    from tools.scoring import match
    found = boxes_of(image)
    assert len(match([box for box, _ in truth], found, 0.5)) == 3 and len(found) == 3, found



def _ruled_page(rule_level, ink_level=40):
    """Paper 220 with a 2 px rule across at y=200 and a 3 px pen stroke lying on it for
    x 300-360 (a 2's base), ending in a short upstroke; ink = bright, as remove_rules sees it."""
    gray = np.full((480, 640), 220, np.uint8)
    gray[200:202, :] = rule_level
    gray[199:202, 300:360] = ink_level
    gray[185:202, 356:360] = ink_level
    ink_bright = 255 - gray
    mask = cv2.adaptiveThreshold(ink_bright, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 49, -12)
    return ink_bright, mask


def test_ink_written_along_a_pale_rule_is_kept():
    """A pen stroke lying on a printed rule is far darker than the rule: the rule goes, the
    stroke stays (without it a 2 loses its base and reads as a 7)."""
    ink_bright, mask = _ruled_page(rule_level=185)
    kept = remove_rules(mask, local_contrast(ink_bright, SETTINGS.detect.threshold), SETTINGS.detect.rules)
    assert not kept[195:205, :250].any() and not kept[195:205, 400:].any()  # the rule is gone
    assert kept[199:202, 300:356].all()  # the stroke on it is not


def test_a_rule_as_dark_as_the_ink_is_removed_whole():
    ink_bright, mask = _ruled_page(rule_level=40)
    kept = remove_rules(mask, local_contrast(ink_bright, SETTINGS.detect.threshold), SETTINGS.detect.rules)
    assert not kept[195:205, :250].any() and not kept[199:202, 300:350].any()
    assert kept[185:195, 356:360].all()  # what stands off the rule stays


def test_more_components_than_16_bit_labels_hold():
    """A checkerboard of single pixels has 76,800 components: labels fall back to 32 bits."""
    mask = np.zeros((480, 640), np.uint8)
    mask[::2, ::2] = 255
    count, labels, stats = ink_components(mask)
    assert count == 76801 and labels.dtype == np.int32 and labels.max() == 76800
    image = np.where(mask[..., None] > 0, 0, 255).astype(np.uint8).repeat(3, axis=2)
    assert find_digits(image, SETTINGS).boxes_src.shape == (0, 4)  # specks, not digits


# --- real photographs of issue 13: each mechanism's image, read end to end ------------------------

def _read_real(recognizer, real_photos_dir, name, side_px=640):
    """(alignment, true digit count) of the recognizer's reading of real photo `name` scaled to
    `side_px` on its longer side, as the real benchmark scores it."""
    from benchmarks.real_photos import align_digits, text_in_lines

    image = cv2.imread(str(real_photos_dir / name))
    scale = side_px / max(image.shape[:2])
    image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    truth = "".join(json.loads((real_photos_dir / "labels.json").read_text())[name]["lines"])
    read = text_in_lines(recognizer.recognize(image)).replace(" ", "")
    return align_digits(read, truth), len(truth)


def test_a_page_of_110_digits_is_not_cut_by_the_region_cap(recognizer, real_photos_dir):
    """digits_0: 99 regions pass every filter; a cap of 64 dropped the 35 smallest (the 1s)."""
    name = "PacktPublishing__Learning-OpenCV-4-Computer-Vision-with-Python-Third-Edition__digits_0.jpg"
    alignment, true_digits = _read_real(recognizer, real_photos_dir, name)
    assert true_digits == 110
    # Measured (softmax, 640 px): 90 matched + 9 misread = 99 found (64 with the cap at 64).
    assert alignment.matched + alignment.substituted >= 95 and alignment.matched >= 85


@pytest.mark.parametrize("name", ["lukasbindreiter__white-brush__05_blackboard_crop1.png",
                                  "lukasbindreiter__white-brush__05_blackboard_crop2.png"])
def test_chalk_on_a_green_board_is_light_ink(real_photos_dir, name):
    """The board reads 98-112 in the working image (its brightest channel, a little darker for
    its green): neither clearly dark nor paper; chalk is what stands out."""
    from realtime.detect.surface import find_paper, ink_is_light
    from realtime.detect.working import to_working_gray

    gray, _ = to_working_gray(cv2.imread(str(real_photos_dir / name)), SETTINGS.detect.working)
    surface = find_paper(gray, SETTINGS.detect.surface)
    assert 95 <= surface.ground_brightness < 115
    assert ink_is_light(surface.ground_brightness, "auto", SETTINGS.detect.surface, gray, surface.mask)
    assert len(find_digits(cv2.imread(str(real_photos_dir / name)), SETTINGS)) >= 1  # 0 with dark ink


def test_real_photo_chalk_digits_pass_the_contrast_test(recognizer, real_photos_dir):
    """Issue 13 mechanism 5: on 05_blackboard_crop2 at 640 px the ground around each chalk digit
    was its own soft flank (7-9 levels of "noise" against the board's 3-4): 1 of 18 digits
    passed the contrast test. Measured beyond the flank (softmax, 640 px): 16 found, 7 read
    right (the softmax misreads thick blurred chalk; the cnn reads 13)."""
    alignment, true_digits = _read_real(recognizer, real_photos_dir,
                                        "lukasbindreiter__white-brush__05_blackboard_crop2.png")
    assert true_digits == 18
    assert alignment.matched + alignment.substituted >= 15 and alignment.matched >= 6


def test_real_photo_digits_beside_chalk_brackets_are_found(recognizer, real_photos_dir):
    """05_blackboard_crop1 (a 3x3 matrix in chalk between two tall brackets): the "small piece
    beside a bigger one" rule measured its reach on the bracket (0.1 of 422 px) and took each
    column of digits into its bracket; the unions were dropped. 2 of 9 found (either model).
    Measured (softmax, 640 px): 8 found (the faint right '1' fails the contrast test)."""
    alignment, true_digits = _read_real(recognizer, real_photos_dir,
                                        "lukasbindreiter__white-brush__05_blackboard_crop1.png")
    assert true_digits == 9
    assert alignment.matched + alignment.substituted >= 8


def test_pencil_in_a_dim_room_is_found_and_read(recognizer, mnist_test):
    """Issue 13 mechanism 4 (synth condition pencil_dim: pencil on paper at 80-135, noisier as
    the light falls). Paper under 100 was taken for a board (light ink) and a fixed core of 24
    levels kept only specks of the pencil. Measured (softmax, these 12 scenes): recall 0.67,
    read right 0.63; before, 0.49 and 0.48."""
    batch = scenes(mnist_test, None, 12, seed=31, condition="pencil_dim")
    found = [recognizer.recognize(s.image_bgr) for s in batch]
    recall, precision, accuracy = detection_figures(
        [[d.box for d in f] for f in found], batch, [[d.label for d in f] for f in found])
    assert recall >= 0.6 and precision >= 0.97 and accuracy >= 0.57, (recall, precision, accuracy)


def test_red_ink_is_found_and_read(recognizer, mnist_test):
    """Issue 13 (synth condition red_ink): red ink is nearly paper-bright in the brightest
    channel, which the working image was. Measured (softmax, these 12 scenes): recall 0.98,
    read right 0.95; before, 0.47 and 0.45."""
    batch = scenes(mnist_test, None, 12, seed=32, condition="red_ink")
    found = [recognizer.recognize(s.image_bgr) for s in batch]
    recall, precision, accuracy = detection_figures(
        [[d.box for d in f] for f in found], batch, [[d.label for d in f] for f in found])
    assert recall >= 0.95 and precision >= 0.97 and accuracy >= 0.92, (recall, precision, accuracy)


def test_real_photo_digits_in_a_thin_strip_are_on_the_surface(recognizer, real_photos_dir):
    """Issue 13: adamzev's automark strip (640x57 at 640 px) shrank to a 240x21 thumbnail, its
    answer boxes were never plain, and the surface left every digit off it (0 of 6 found).
    Measured (softmax, 640 px): all 6 found; the boxes' sides still read as 1s (a forms matter)."""
    alignment, true_digits = _read_real(recognizer, real_photos_dir, "adamzev__AutoMark__automark_start_crop1.jpg")
    assert true_digits == 6
    assert alignment.matched + alignment.substituted == 6


def test_real_photo_a_column_of_digits_is_not_one_box(real_photos_dir):
    """Issue 13 mechanism H: digits_0's left column (24, 30, 36, 42, 48 written one above the
    other) came back as one box 80 x 319 at 640 px; every box is now about one digit tall."""
    image = cv2.imread(str(real_photos_dir / "PacktPublishing__Learning-OpenCV-4-Computer-Vision-with-Python"
                                            "-Third-Edition__digits_0.jpg"))
    scale = 640 / max(image.shape[:2])
    found = np.array(boxes_of(cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)))
    heights = found[:, 3]
    assert heights.max() < 2 * np.median(heights), (heights.max(), np.median(heights))


def test_digits_in_printed_boxes_are_found_and_the_boxes_are_not_read(mnist_test):
    """Generated forms (synth condition 'boxes': cells of 2-4 sharing their lines, some empty,
    light grey to black print). Before boxes.py these 10 measured recall 0.49, precision 0.63
    (box lines read as '1', digits merged into their boxes); now 0.89 and 0.97 (one scene's
    sheet thresholds to almost nothing, before any box is looked at: the surface's doing)."""
    from tools.synth import make_scene

    images, labels = mnist_test
    rng = np.random.default_rng(13)
    batch = [make_scene(images, labels, rng, condition="boxes") for _ in range(10)]
    settings = make_settings()
    found = [find_digits(scene.image_bgr, settings).boxes_src.tolist() for scene in batch]
    recall, precision, _ = detection_figures(found, batch)
    assert recall >= 0.85 and precision >= 0.95, (recall, precision)


def test_a_tally_form_photo_is_read_without_its_grid(real_photos_dir):
    """kawalc1 bengkulu crop at 640 px: 11 digits in a grid of boxes (one crossed out). Before
    boxes.py the cnn matched 7 and read 11 (four grid stretches as '1'); now 10 of 10 read
    (the 2 of 245 is lost)."""
    from benchmarks.real_photos import align_digits, scaled_versions, text_in_lines
    from realtime import Recognizer

    name = "kawalc1__kawalc1__bengkulu_contoh_crop1.jpeg"
    truth = "".join(json.loads((real_photos_dir / "labels.json").read_text())[name]["lines"])
    image = scaled_versions(cv2.imread(str(real_photos_dir / name)))[1][1]
    read = text_in_lines(Recognizer("cnn", settings=make_settings()).recognize(image)).replace(" ", "")
    alignment = align_digits(read, truth)
    assert alignment.matched >= 9 and len(read) - alignment.matched <= 1, (read, truth)


def test_a_box_of_an_enlarged_tiny_frame_is_never_empty_in_source_pixels():
    """A 35x18 frame is worked on 18 times larger: a 1-px piece there is 1/18 of a source pixel,
    which rounding made a box of width 0 (the fuzz test found it)."""
    from realtime.detect import _to_source

    boxes = _to_source(np.array([[576, 160, 1, 40], [620, 300, 10, 30]]), 18.0, (18, 35))
    assert boxes.tolist() == [[32, 9, 1, 2], [34, 17, 1, 1]]


def _real_version(real_photos_dir, name, size):
    """Real photo `name` as the real benchmark reads it at `size` ("full" or "640"), and its digits."""
    from benchmarks.real_photos import scaled_versions

    image = dict(scaled_versions(cv2.imread(str(real_photos_dir / name))))[size]
    return image, "".join(json.loads((real_photos_dir / "labels.json").read_text())[name]["lines"])


@pytest.mark.parametrize("size", ["640", "full"])
def test_real_photo_coloured_handwritten_words_give_no_digit(real_photos_dir, size):
    """Issue 13: lukasbindr:12_colors, "blau", "grun" and "braun" in blue, green and brown pen,
    read 7 false digits at 640 px (6 full): letters 0.14-0.30 of the shorter one's height apart
    (the tight word rule wants 0.12), of mixed heights (b, l, g against u, r, n), and "run"
    joined into one mark too wide for a digit that the shape filter dropped before the word
    test could see it beside the g. Judged on the marks as written, no region is left."""
    image, truth = _real_version(real_photos_dir, "lukasbindreiter__white-brush__12_colors.png", size)
    assert truth == ""
    assert find_digits(image, SETTINGS).boxes_src.tolist() == []


@pytest.mark.parametrize(("name", "size", "found"), [
    # "122" and "140" in answer boxes, their digits 0.11-0.19 of their height apart: one height.
    ("adamzev__AutoMark__automark_start_crop1.jpg", "full", 6),
    # Numbers whose two digits touch, 0.5 heights and more from the next number.
    ("PacktPublishing__Learning-OpenCV-4-Computer-Vision-with-Python-Third-Edition__digits_0.jpg", "full", 109),
    # Digits of mixed heights beside box remnants, 0.49 of the shorter one apart.
    ("InternationalIDEA__c.digital__pwp_sample_01_crop1.jpg", "640", 7),
    # The one digit found sits inside its printed box's mark, which encloses it: no letter.
    ("adamzev__AutoMark__extractor_start_crop1.jpg", "640", 1),
])
def test_real_photo_digits_close_together_are_not_a_word(recognizer, real_photos_dir, name, size, found):
    """The word rules of issue 13's coloured words leave the digits of the real photos whose
    digits stand closest (measured, softmax: each as many found as before those rules)."""
    from benchmarks.real_photos import align_digits, text_in_lines

    image, truth = _real_version(real_photos_dir, name, size)
    alignment = align_digits(text_in_lines(recognizer.recognize(image)).replace(" ", ""), truth)
    assert alignment.matched + alignment.substituted >= found, alignment


@pytest.mark.parametrize(("name", "cnn_reading"), [
    ("kawalc1__kawalc1__contoh-pilpres-2019_3_crop2.JPG", "2506198"),
    ("adamzev__AutoMark__extractor_start_crop1.jpg", "5290")])
def test_real_photo_digits_touching_their_boxes_are_found(real_photos_dir, name, cnn_reading):
    """Digits touching their printed boxes are one component with them: no cell held another
    component's ink (pilpres crop2, whose sides also lean 0.22-0.24), a digit touching the top
    and the bottom cut its cell into holes none of them a cell (extractor's '5'), and bridging
    the boxes' gaps made extractor's boxes too full to be outlines. The boxes stayed and their
    sides read as '1's or swallowed the digits: the cnn read '2' of 25061987 and '2' of 15290.
    Measured (640 px): cnn 2506198 (the '7' touches two sides of its cell, which stays, and
    the two are dropped together) and 5290 (the faint pencil '1' fails the contrast test)."""
    from benchmarks.real_photos import align_digits, scaled_versions, text_in_lines
    from realtime import Recognizer

    truth = "".join(json.loads((real_photos_dir / "labels.json").read_text())[name]["lines"])
    image = scaled_versions(cv2.imread(str(real_photos_dir / name)))[1][1]
    read = text_in_lines(Recognizer("cnn", settings=make_settings()).recognize(image)).replace(" ", "")
    alignment = align_digits(read, truth)
    assert alignment.matched + alignment.substituted >= 0.8 * len(truth), (read, truth)
    assert read == cnn_reading, (read, truth)


def test_a_window_leaves_the_slivers_its_edge_cut_unsplit(monkeypatch):
    """A window's edge across the top of a 7 leaves its bar as a sliver too wide for a digit,
    with no room for a whole digit clear of the edge: it is not cut at its thin lines (~1 ms a
    sliver, a quarter of the speed clips' sweep rows had one; their readings as streams are the
    same), while a too-wide candidate with room for one still is."""
    import realtime.detect as detect
    from realtime.detect import StreamReuse, digits_in, working_view

    frame = np.full((480, 640, 3), 225, np.uint8)
    cv2.rectangle(frame, (100, 200), (140, 205), (30, 30, 30), -1)  # the 7's bar, 41x6
    cv2.line(frame, (138, 205), (112, 260), (30, 30, 30), 5)  # its stem
    for x in (300, 340, 380):  # three 1s strung together by a thin stroke across them
        cv2.line(frame, (x, 160), (x, 195), (30, 30, 30), 5)
    cv2.line(frame, (300, 177), (380, 177), (30, 30, 30), 2)
    reuse = StreamReuse()
    view = working_view(frame, SETTINGS, reuse)
    digits_in(view, SETTINGS, reuse)
    split = []
    real = detect.split_thin_lines

    def spy(ink_mask, components, too_wide, config, typical=None):
        split.extend(too_wide.boxes.tolist())
        return real(ink_mask, components, too_wide, config, typical)

    monkeypatch.setattr(detect, "split_thin_lines", spy)
    window = (0, 150, 640, 204)  # its bottom edge 1 px into the 7's bar: a 41x4 sliver
    found = digits_in(view, SETTINGS, reuse, window)
    assert not any(y + h >= window[3] - window[1] for _, y, _, h in split), split  # no sliver
    assert any(x <= 300 - 2 and x + w >= 380 for x, _, w, _ in split), split  # the strung 1s
    assert len(found) == 3 and all(x <= one <= x + w for (x, _, w, _), one in zip(found.boxes_src, (300, 340, 380),
                                                                                  strict=True)), found.boxes_src
