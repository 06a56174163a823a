"""What is not a digit, and digits as the recognizer sees them: the training set of the
"not a digit" check (train_export.py --arch notdigit).

Not a pipeline stage. Every crop here reaches 28x28 exactly as a frame's region does, so the
check learns on what it is later asked about:
- *ink patches* (a word in a handwriting font, a letter, a sign, a rule or box remnant, a piece
  or a pair of digits, desk texture) are drawn as ink coverage and go through the recognizer's
  own realtime.normalize.to_mnist;
- *pages* (words and signs in handwriting fonts, and synth scenes of MNIST *training* digits)
  are shot with the generator's camera and read by the real detection (find_digits, then the
  Recognizer's normalize stage): every region of a text page is a negative; on a digit scene, a
  region on a true digit is a positive and one far from every digit (texture, specks) a negative.

Single letters that are drawn like digits (l I | 1, o O D | 0, S s | 5, Z z | 2, g q | 9,
b G | 6, B | 8, T | 7) are left out of the letter negatives: alone they *are* those digits, and
teaching the check to reject them would cost real 1s, 0s and 7s. Inside word patches they stay
(a word is one region there); the text pages are written without them, since the detection
cuts a word into its letters, and synth.make_text_page (whose words are full of l, o and i) is
not used for training: a first check trained on its regions rejected 2-4% of MNIST's 0s, 1s
and 7s. That page is the benchmark's, so its false digits are also measured on unseen pages.

All deterministic given the seed and the installed fonts (handwriting_fonts lists them).
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from realtime.normalize import MNIST_SIDE, normalize_regions, to_mnist
from tools import synth
from tools.scoring import box_iou

# Debian's handwriting fonts (fonts-dkg-handwriting, fonts-breip, fonts-femkeklaver,
# fonts-rufscript, fonts-sjfonts): letters as different hands write them.
FONT_ROOT = Path("/usr/share/fonts/truetype")
# The Debian packages that hold them (.ci/run installs them).
FONT_PACKAGES = ("fonts-dkg-handwriting", "fonts-breip", "fonts-femkeklaver", "fonts-rufscript",
                 "fonts-sjfonts")
FONT_FOLDERS = ("fifthhorseman", "breip", "femkeklaver", "rufscript", "sjfonts")

# Letters alone, and signs, that no digit is written like. Left out (see the module
# docstring): the lookalikes, and the shapes that MNIST's own open 4s (h y u H U K X x), bent 1s
# ( ( ) L t + ) and 7s (> v V Y A) take: a check trained on those kept only 98.7% of MNIST's 4s.
LOWER = "acdefmnprw"
UPPER = "CEFMNPRW"
DIGIT_LOOKALIKES = "lIioODSsZzgqbGBTjhyuHUKXxLt"
SIGNS = "[]{}-=*#%&@?~:;\"_$"
WORD_LETTERS = "abcdefghijklmnopqrstuvwxyzabcdeeeinorstu"
# The text pages' words: no lookalike letter (the detection reads such a letter on its own).
PAGE_WORD_LETTERS = LOWER + "aeenr"

# Ink patch sizes in pixels (glyph height), as a webcam sees writing at 640x480 and above.
PATCH_HEIGHT_PX = (22, 90)
MAX_PATCH_ROTATION_DEG = 12.0
SLANT_RANGE = (-0.1, 0.35)
# How a patch's ink reaches the detector: strength (faint to full), blur of a soft camera.
INK_STRENGTH = (0.55, 1.0)

# Shares of each kind among the ink-patch negatives (words and letters first: they are what
# a page of handwriting shows).
PATCH_KINDS = (("word", 0.30), ("letter", 0.16), ("sign", 0.12), ("rule", 0.14),
               ("digit_piece", 0.10), ("digit_pair", 0.10), ("texture", 0.08))

# A detected region on a digit scene is a positive when it overlaps a true digit by this IoU
# (the benchmark's match), a negative when it overlaps none by more than this.
POSITIVE_MIN_IOU = 0.5
NEGATIVE_MAX_IOU = 0.05
PAGE_SIZE = (640, 480)
PAGE_TIERS = ("clean", "camera", "hard", "wild")


def handwriting_fonts() -> list[Path]:
    """The installed handwriting fonts (.ttf under FONT_ROOT's FONT_FOLDERS), sorted."""
    return sorted(path for folder in FONT_FOLDERS for path in (FONT_ROOT / folder).glob("*.ttf"))


# --- ink patches ------------------------------------------------------------------------------

def _text_alpha(text: str, font_path: Path, height_px: float, rng: np.random.Generator,
                weight: int) -> np.ndarray:
    """`text` in a font, about `height_px` tall: (h, w) float32 coverage in [0, 1], cropped."""
    font = ImageFont.truetype(str(font_path), max(8, round(height_px)))
    left, top, right, bottom = font.getbbox(text, stroke_width=weight)
    pad = weight + 4
    image = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 0)
    ImageDraw.Draw(image).text((pad - left, pad - top), text, font=font, fill=255,
                               stroke_width=weight, stroke_fill=255)
    return np.asarray(image, np.float32) / 255.0


def _warp(alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Slant and turn a patch a little, as a hand does; cropped to its ink again."""
    height, width = alpha.shape
    pad = int(0.4 * max(height, width)) + 2
    alpha = np.pad(alpha, pad)
    slant = rng.uniform(*SLANT_RANGE)
    centre = (alpha.shape[1] / 2, alpha.shape[0] / 2)
    turn = np.vstack([cv2.getRotationMatrix2D(centre, rng.uniform(-1, 1) * MAX_PATCH_ROTATION_DEG,
                                              1.0), [0, 0, 1]])
    lean = np.float64([[1, -slant, slant * centre[1]], [0, 1, 0], [0, 0, 1]])
    alpha = cv2.warpAffine(alpha, (turn @ lean)[:2], alpha.shape[::-1], flags=cv2.INTER_LINEAR)
    return _crop(alpha)


def _crop(alpha: np.ndarray, floor: float = 0.05) -> np.ndarray:
    rows = np.flatnonzero(alpha.max(axis=1) > floor)
    cols = np.flatnonzero(alpha.max(axis=0) > floor)
    if len(rows) == 0:
        return alpha[:0, :0]
    return alpha[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def _word(rng, fonts) -> np.ndarray:
    """A word patch: one of synth's words or random letters, any letters (one region)."""
    if rng.random() < 0.5:
        word = synth.TEXT_WORDS[int(rng.integers(len(synth.TEXT_WORDS)))]
    else:
        word = "".join(rng.choice(list(WORD_LETTERS), int(rng.integers(2, 6))))
    if len(word) < 2:
        word += str(rng.choice(list(LOWER)))
    if rng.random() < 0.2:
        word = word.capitalize()
    return _text(word, rng, fonts)


def _page_word(rng, fonts) -> np.ndarray:
    """A word for a text page: 2-7 letters none of which is a digit's lookalike."""
    return _text("".join(rng.choice(list(PAGE_WORD_LETTERS), int(rng.integers(2, 8)))), rng,
                 fonts)


def _letter(rng, fonts) -> np.ndarray:
    return _text(str(rng.choice(list(LOWER + UPPER))), rng, fonts)


def _sign(rng, fonts) -> np.ndarray:
    return _text(str(rng.choice(list(SIGNS))), rng, fonts)


def _text(text: str, rng, fonts) -> np.ndarray:
    font = fonts[int(rng.integers(len(fonts)))]
    height = rng.uniform(*PATCH_HEIGHT_PX)
    weight = int(rng.choice([0, 0, 1, 2])) * max(1, round(height / 40))
    return _warp(_text_alpha(text, font, height, rng, weight), rng)


def _rule(rng, fonts) -> np.ndarray:
    """A remnant of a printed rule or box: a thin line (never near-vertical, which is a 1), a
    bottom corner (never a top-right one, which is a 7, nor a T, nor a U, an open 4), or two
    parallel rules."""
    size = int(rng.uniform(*PATCH_HEIGHT_PX) * rng.uniform(1.0, 2.5))
    width = int(rng.integers(1, max(2, size // 12) + 1))
    canvas = np.zeros((size + 8, size + 8), np.uint8)
    a, b = 4, size + 3
    shape = str(rng.choice(["line", "corner", "double"]))
    if shape == "line":
        angle = math.radians(rng.uniform(-35, 35))
        dy = round(math.tan(angle) * (b - a) / 2)
        mid = (a + b) // 2
        cv2.line(canvas, (a, mid - dy), (b, mid + dy), 255, width, cv2.LINE_AA)
    elif shape == "corner":  # a box's bottom-left or bottom-right corner, arms of any lengths
        arm = int(rng.uniform(0.3, 1.0) * (b - a))
        corner = (a, b) if rng.random() < 0.5 else (b, b)
        cv2.line(canvas, corner, (corner[0], a), 255, width, cv2.LINE_AA)
        end = corner[0] + arm if corner[0] == a else corner[0] - arm
        cv2.line(canvas, corner, (end, corner[1]), 255, width, cv2.LINE_AA)
    else:  # two parallel rules, as a ruled sheet leaves them
        gap = int(rng.uniform(0.2, 0.6) * (b - a))
        for y in (a, a + gap):
            cv2.line(canvas, (a, y), (b, y), 255, width, cv2.LINE_AA)
    return _warp(canvas.astype(np.float32) / 255.0, rng)


def _mnist_patch(digit: np.ndarray, rng) -> np.ndarray:
    """An MNIST digit upscaled as synth draws them (cubic, stroke changed, turned)."""
    height = rng.uniform(*PATCH_HEIGHT_PX)
    patch = synth._ink_patch(digit, height, rng.uniform(-10, 10), int(rng.integers(-1, 2)))
    return patch.alpha


def _digit_piece(rng, fonts, digits) -> np.ndarray:
    """A quarter of a digit or less: its top, bottom, left or right part (a digit cut by a box, a
    stroke fallen apart). Larger parts are left out: the top half of a 9 is a 0."""
    alpha = _mnist_patch(digits[int(rng.integers(len(digits)))], rng)
    keep = rng.uniform(0.15, 0.25)
    height, width = alpha.shape
    side = int(rng.integers(4))
    if side == 0:
        alpha = alpha[:max(1, int(keep * height))]
    elif side == 1:
        alpha = alpha[int((1 - keep) * height):]
    elif side == 2:
        alpha = alpha[:, :max(1, int(keep * width))]
    else:
        alpha = alpha[:, int((1 - keep) * width):]
    return _crop(alpha)


def _digit_pair(rng, fonts, digits) -> np.ndarray:
    """Two digits side by side in one region, a little apart (overlapped, they make one blob
    that looks like a single thick digit)."""
    left, right = (_mnist_patch(digits[int(rng.integers(len(digits)))], rng) for _ in range(2))
    height = max(left.shape[0], right.shape[0])
    gap = int(rng.uniform(0.0, 0.3) * height)
    width = left.shape[1] + right.shape[1] + gap
    canvas = np.zeros((height, max(width, left.shape[1], right.shape[1])), np.float32)
    top_l, top_r = (int(rng.integers(0, height - p.shape[0] + 1)) for p in (left, right))
    canvas[top_l:top_l + left.shape[0], :left.shape[1]] = left
    x = max(0, left.shape[1] + gap)
    region = canvas[top_r:top_r + right.shape[0], x:x + right.shape[1]]
    np.maximum(region, right[:, :region.shape[1]], out=region)
    return _crop(canvas)


def _texture(rng, fonts) -> np.ndarray:
    """Desk grain or paper noise that thresholds into ink: smooth noise cut at a high level."""
    height = int(rng.uniform(*PATCH_HEIGHT_PX))
    width = int(height * rng.uniform(0.4, 2.0))
    cells = (max(2, width // int(rng.integers(3, 12))), max(2, height // int(rng.integers(3, 12))))
    noise = cv2.resize(rng.standard_normal(cells[::-1]).astype(np.float32), (width, height),
                       interpolation=cv2.INTER_CUBIC)
    level = np.quantile(noise, rng.uniform(0.6, 0.9))
    return _crop(np.clip((noise - level) * 3.0, 0, 1))


_MAKERS = {"word": _word, "letter": _letter, "sign": _sign, "rule": _rule,
           "digit_piece": _digit_piece, "digit_pair": _digit_pair, "texture": _texture}


def patch_negatives(count: int, rng: np.random.Generator, digits: np.ndarray,
                    fonts: list[Path] | None = None) -> np.ndarray:
    """`count` negative ink patches of PATCH_KINDS' mix through to_mnist: (count, 28, 28) float32.

    digits: (N, 28, 28) uint8 MNIST *training* digits (for the pieces and pairs).
    """
    fonts = fonts if fonts is not None else handwriting_fonts()
    if not fonts:
        raise FileNotFoundError(f"no handwriting fonts under {FONT_ROOT} ({', '.join(FONT_FOLDERS)})")
    names = [name for name, _ in PATCH_KINDS]
    shares = np.float64([share for _, share in PATCH_KINDS])
    kinds = rng.choice(len(names), size=count, p=shares / shares.sum())
    out = np.zeros((count, MNIST_SIDE, MNIST_SIDE), np.float32)
    for k, kind in enumerate(kinds):
        maker = _MAKERS[names[kind]]
        alpha = (maker(rng, fonts, digits) if names[kind] in ("digit_piece", "digit_pair")
                 else maker(rng, fonts))
        out[k] = to_mnist(_as_seen(alpha, rng))
    return out


def letter_crops(letters: str, rng: np.random.Generator, fonts: list[Path] | None = None) -> np.ndarray:
    """Each of `letters` in every font through to_mnist: (len(letters) * fonts, 28, 28) float32
    (what a test asks the check about)."""
    fonts = fonts if fonts is not None else handwriting_fonts()
    return np.stack([to_mnist(_as_seen(_text(letter, rng, [font]), rng))
                     for font in fonts for letter in letters])


def digit_positives(digits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """MNIST digits drawn as ink patches (synth's upscale, stroke change and turn, faint to full)
    and normalized by to_mnist: (N, 28, 28) float32, one per digit."""
    return np.stack([to_mnist(_as_seen(_mnist_patch(digit, rng), rng)) for digit in digits])


def _as_seen(alpha: np.ndarray, rng) -> np.ndarray:
    """A patch as the detector's ink image has it: faint to full, sometimes softly blurred."""
    if alpha.size == 0:
        return alpha
    alpha = alpha * rng.uniform(*INK_STRENGTH)
    if rng.random() < 0.3:
        alpha = cv2.GaussianBlur(alpha, (3, 3), 0)
    return alpha


# --- pages read by the real detection ---------------------------------------------------------

def font_text_page(rng: np.random.Generator, fonts: list[Path] | None = None,
                   tier: str = "camera") -> np.ndarray:
    """A frame of words, letters and signs in handwriting fonts and no digit (nor any letter
    drawn like one): synth's paper, pen and camera (the tier's look), laid out in lines.
    (H, W, 3) uint8 BGR."""
    fonts = fonts if fonts is not None else handwriting_fonts()
    style = synth._style(tier)
    width, height = PAGE_SIZE
    board = synth._draws_board(rng, style)
    corners, content, angle = synth._place_sheet(rng, style, PAGE_SIZE, 1.0,
                                                 False if board else None, synth.EDGE_MARGIN_PX)
    reflectance = synth._background(rng, style, width, height, 1.0, corners, angle, board)
    pen = synth._Pen.draw(rng, style, board, PAGE_SIZE)
    font = [fonts[int(rng.integers(len(fonts)))]]
    text_height = rng.uniform(*synth.TEXT_HEIGHT_PX)
    x0, y0, x1, y1 = content
    y = y0 + 0.3 * text_height
    while y + 1.5 * text_height <= y1:
        x = x0 + rng.uniform(0, 0.1) * (x1 - x0)
        while True:
            roll = rng.random()
            text = (_page_word(rng, font) if roll < 0.75 else _sign(rng, font) if roll < 0.9
                    else _letter(rng, font))
            scale = text_height * rng.uniform(0.8, 1.2) / max(40.0, text.shape[0])
            alpha = cv2.resize(text, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            if alpha.size == 0 or x + alpha.shape[1] > x1 or y + alpha.shape[0] > y1:
                break
            pen.write(reflectance, np.clip(alpha, 0, 1), round(x), round(y))
            x += alpha.shape[1] + text_height * rng.uniform(0.4, 1.0)
        y += text_height * rng.uniform(*synth.TEXT_LINE_STEP)
    return synth._shoot(reflectance, synth._draw_look(style, rng), rng)


def detected_crops(frame_bgr: np.ndarray, settings) -> tuple[np.ndarray, np.ndarray]:
    """The real detection on a frame: (boxes (N, 4) in frame pixels, (N, 28, 28) float32 crops
    as the Recognizer's normalize stage makes them)."""
    from realtime.detect import find_digits

    regions = find_digits(frame_bgr, settings)
    return regions.boxes_src, normalize_regions(regions.ink_work, regions.boxes_work)


def page_crops(pages: int, digits: np.ndarray, labels: np.ndarray, rng: np.random.Generator,
               settings=None, fonts: list[Path] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(positives, negatives), each (N, 28, 28) float32, read by find_digits from generated
    frames: `pages` each of font text pages and digit scenes (of `digits`, MNIST training
    digits), over PAGE_TIERS in turn."""
    from realtime.settings import Settings

    settings = settings or Settings()
    positives, negatives = [], []
    for page in range(pages):
        tier = PAGE_TIERS[page % len(PAGE_TIERS)]
        negatives.append(detected_crops(font_text_page(rng, fonts, tier), settings)[1])
        scene = synth.make_scene(digits, labels, rng, tier=tier, size=PAGE_SIZE, n_digits=10)
        boxes, crops = detected_crops(scene.image_bgr, settings)
        if len(boxes):
            overlap = box_iou([d.box for d in scene.digits], boxes).max(axis=0)
            positives.append(crops[overlap >= POSITIVE_MIN_IOU])
            negatives.append(crops[overlap <= NEGATIVE_MAX_IOU])
    empty = np.zeros((0, MNIST_SIDE, MNIST_SIDE), np.float32)
    return (np.concatenate(positives) if positives else empty,
            np.concatenate(negatives) if negatives else empty)
