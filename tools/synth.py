"""Camera-like frames with known digits: MNIST test digits drawn as dark ink on generated paper.

Not a pipeline stage: tests, the benchmark and the shipped demo clip use it because they need
frames whose true digit boxes and labels are known. A scene is built in two steps: a *page*
(what is on the sheet and the desk, as reflectance, 1.0 = white paper) and a *shot* of it
(light, shadow, colour cast, blur, sensor noise, JPEG), so a video can keep one page and move
the camera over it. make_text_page draws handwriting-like words and no digits with the same
paper and camera: a frame whose every detection is false.

Tiers clean, camera and hard are pinned (the benchmark's figures compare across runs); "wild"
draws every sheet from wide ranges of what real cameras vary (issue 13: bright desks, large
shadows, coloured and pencil ink, thin and thick strokes, tilted writing, columns, printed boxes,
dim light, chalk on a board), and each named CONDITION is a camera-tier scene with just one of
those factors at its hard end, so a failure points at one mechanism.

    python -m tools.synth make-demo --data mnist.npz --out realtime/data/demo.mp4
    python -m tools.synth make-video --data mnist.npz --out clip.mp4 --tier hard
    python -m tools.synth make-frames --data mnist.npz --out frames/ --condition chalkboard
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from statistics import NormalDist

import cv2
import numpy as np

from realtime.errors import UserError, whole_number

TIERS = ("clean", "camera", "hard", "wild")
# One hard factor each (see CONDITION_STYLES); the order fixes the benchmark's seeds.
CONDITIONS = ("bright_desk", "shadow", "blue_ink", "red_ink", "green_ink", "pencil_dim",
              "thick_strokes", "thin_strokes", "rotated", "column", "boxes", "chalkboard")

# Sizes below are given for a 640x480 frame and scaled with the frame's shorter side ratio.
REFERENCE_SIZE = (640, 480)
# The detector may ignore ink touching the border; keep every digit this far inside the frame.
EDGE_MARGIN_PX = 10
# Neighbouring digits are at least this fraction of the taller one's height apart, so a
# recognizer that merges nearby ink (dilation, close contours) can still separate them. The
# layout draws gaps from _LAYOUT_GAP_RANGE (above the minimum, so whole-pixel rounding cannot
# break it) to look loose, not ruled.
MIN_GAP_FRACTION = 0.35
_LAYOUT_GAP_RANGE = (0.4, 0.9)
# A pixel is "ink" for the true box when the digit covers it at least this much: MNIST strokes
# fade over ~1 source pixel, and a quarter keeps the box on the stroke, not on its faint halo.
BOX_ALPHA = 0.25
# Upscaled digits keep this much of their anti-aliased halo (alpha >= 4/255) around the box.
_HALO_LEVEL = 4
# Ballpoint and marker ink under the brightest paper light, in grey levels (paper ~215-245).
INK_GRAY_RANGE = (20, 70)
# Grey levels given for ink and desk are for paper at this level; reflectance = level / this.
_NOMINAL_PAPER_LEVEL = 225.0
# Sheet rotation in degrees: a sheet held before a webcam is rarely square to it, but a few
# degrees is what people manage when they try.
MAX_SHEET_ROTATION_DEG = 3.0
# When layout fails (too many or too big digits for the space), shrink all digits by this and
# try again. MIN_DIGIT_HEIGHT_PX is the floor for any digit (smaller is no longer a readable
# digit at webcam resolution); give up when even the tallest would go below it.
_SHRINK_STEP = 0.85
MIN_DIGIT_HEIGHT_PX = 10
# Handwriting does not keep to the line exactly: digits wander up to 12% of the row's height.
_WOBBLE_FRACTION = 0.12
MP4_FOURCC = "mp4v"

# Videos: the camera wanders with periods of about 0.7-3 s (slow sway plus tremor); the light
# wavers by up to 4 levels and the shadow band creeps by up to 3% of the frame over 3-10 s.
SHAKE_HZ = ((0.3, 0.6), (0.7, 1.4))
LIGHT_DRIFT_HZ = ((0.1, 0.3), (0.3, 0.6))
LIGHT_DRIFT_LEVELS = 4.0
SHADOW_DRIFT = 0.03


@dataclass(frozen=True)
class TrueDigit:
    """One digit drawn into a frame.

    box: (x, y, w, h) tight box of the ink (alpha > BOX_ALPHA) in frame pixels; label: 0-9;
    mnist_index: index into MNIST x_test.
    """

    box: tuple[int, int, int, int]
    label: int
    mnist_index: int

    def to_json(self) -> dict:
        return {"box": [int(v) for v in self.box], "label": int(self.label),
                "mnist_index": int(self.mnist_index)}


@dataclass(frozen=True)
class Scene:
    """A generated frame and its truth: image_bgr (H, W, 3) uint8; digits in drawing order."""

    image_bgr: np.ndarray
    digits: tuple[TrueDigit, ...]


@dataclass(frozen=True)
class InkKind:
    """A writing material as reflectance (B, G, R; 1.0 = the paper, or the light for a board):
    heavy_bgr for a fresh pen pressed hard, faint_bgr for a dry pen or a light hand (a page
    draws its point between them); grain: how much of the ground shows through the stroke
    (0 = even ink; graphite and chalk skip over the paper's tooth)."""

    heavy_bgr: tuple[float, float, float]
    faint_bgr: tuple[float, float, float]
    grain: float


# Measured on ../shared/data/real (ink's darkest pixels over the paper around them) and widened
# to what those pens give pressed harder or lighter.
INK_KINDS = {
    # Markers reach ~20/225 (PacktPublishing digits_0); a worn ballpoint ~90/225.
    "black": InkKind((0.09, 0.09, 0.09), (0.40, 0.40, 0.40), 0.0),
    # Blue ballpoint, 12_colors.png "blau": (127, 58, 37) on (153, 163, 166) at its thinnest;
    # navy form ink (pwp_sample_01_crop2) is far darker. Blue keeps most of its blue channel.
    "blue": InkKind((0.45, 0.15, 0.08), (0.85, 0.50, 0.35), 0.0),
    # Red pen: the red channel stays nearly paper-bright, so only green and blue carry it.
    "red": InkKind((0.18, 0.16, 0.75), (0.55, 0.52, 0.92), 0.0),
    # Green felt pen, 12_colors.png "grün": (61, 110, 50) on (169, 174, 174).
    "green": InkKind((0.30, 0.50, 0.15), (0.62, 0.80, 0.50), 0.0),
    # Graphite: neutral grey, far lighter than ink (adamzev AutoMark strips, faint pencil).
    "pencil": InkKind((0.35, 0.35, 0.37), (0.75, 0.75, 0.76), 0.45),
    # Chalk on a board (05_blackboard_crop1/2): strokes peak at (119, 163, 136) on a board at
    # (62, 105, 72): light on dark, greenish where the board shows through, grainy.
    "chalk": InkKind((0.85, 0.92, 0.88), (0.50, 0.62, 0.55), 0.5),
}
# Boards as reflectance of the light (B, G, R): a green board as 05_blackboard shows it under
# auto-exposure, and a black slate one; the page draws between the two.
BOARD_BGR_RANGE = ((0.24, 0.42, 0.28), (0.16, 0.17, 0.16))
# Wiped chalk leaves a lighter haze: up to this much reflectance in soft clouds.
BOARD_DUST = 0.05
# Printed form boxes (InternationalIDEA forms, kawalc1 tally forms, adamzev answer boxes): lines
# from light grey print to black, 1-3 px at 640x480; the ink keeps this fraction of the digit's
# height clear of the lines on each side (forms are drawn for writing inside, not touching),
# cells come in groups of 2-4 sharing their lines, and some cells stay empty.
BOX_LINE_REFLECTANCE = (0.10, 0.65)
BOX_LINE_PX = (1, 3)
BOX_MARGIN_RANGE = (0.25, 0.45)
BOX_GROUP_CELLS = (2, 4)
BOX_EMPTY_SHARE = 0.15
# Boxes on a board are drawn in chalk, not printed: every printed form in ../shared/data/real
# is paper (InternationalIDEA, kawalc1, adamzev), and its boards (05_blackboard) carry only
# chalk, light on the dark board. Dark print on a dark board (what the page drew before) is
# nothing a camera meets; its lines outnumbered the chalk and the board read as dark ink.
# Chalk lines are a stroke's width, 2-4 px at 640x480, like the chalk digits' strokes.
CHALK_LINE_PX = (2, 4)
# Digits in a column (a list, a sum, a form's column): lines of 1-3 digits stacked with vertical
# gaps of 0.2-0.6 of the taller line's height (line pitch 1.2-1.6 heights, as people space a
# list), right-aligned like numbers under each other. Rows keep MIN_GAP_FRACTION; columns keep
# MIN_COLUMN_GAP_FRACTION (whole-pixel rounding below the range's floor).
COLUMN_GAP_RANGE = (0.2, 0.6)
MIN_COLUMN_GAP_FRACTION = 0.18
COLUMN_LINE_DIGITS = (1, 3)
LAYOUTS = ("rows", "column", "boxes")


@dataclass(frozen=True)
class WildFactors:
    """What the widened generator varies beyond TierStyle's own ranges (issue 13), each drawn
    per page. Ranges are (low, high); shares are chances per page.

    desk_to_paper: desk level over paper level (0.12: the leather desk of sheet_on_desk.png;
    1.0: marble or a white desk as bright as the sheet, kawalc1 IMG_4219); desk_texture: grain
    and mottle amplitude as a fraction of the desk level (leather and wood: up to ~25%);
    shadow_width: the band's sigma (or an edge's softness) in frame fractions; shadow_edge_share:
    chance the shadow is a half-plane with a soft edge (an arm, a lamp's hood, a wall) instead of
    a band; inks: (INK_KINDS name, weight) pairs; ink_weight: where between the kind's heavy (0)
    and faint (1) the page's pen lies; ink_strength: coverage of the pen's stroke centre;
    stroke_width_fraction: stroke width over digit height (None: as MNIST drew it, ~0.11; a thin
    pen 0.03-0.08 in sheet_on_desk and mhw32 raw.jpg, a marker 0.14-0.21 in digits_0);
    writing_tilt_deg: magnitude of the whole writing's turn (rows slope, every digit turns with
    them; sign drawn); layouts: (LAYOUTS name, weight) pairs; ruled_share: chance of exercise-book
    rules; chalkboard_share: chance the page is a board with chalk (no sheet, no desk);
    max_sheet_rotation_deg: how far the sheet turns; dim_noise: sensor noise grows as the light
    falls (auto gain), sigma x nominal paper level / paper level.
    """

    desk_to_paper: tuple[float, float]
    desk_texture: tuple[float, float]
    shadow_width: tuple[float, float]
    shadow_edge_share: float
    inks: tuple[tuple[str, float], ...]
    ink_weight: tuple[float, float]
    ink_strength: tuple[float, float]
    stroke_width_fraction: tuple[float, float] | None
    writing_tilt_deg: tuple[float, float]
    layouts: tuple[tuple[str, float], ...]
    ruled_share: float
    chalkboard_share: float
    max_sheet_rotation_deg: float
    dim_noise: bool


@dataclass(frozen=True)
class TierStyle:
    """What a tier varies, as ranges drawn per scene (per clip for videos). Pixels at 640x480.

    digit_height_px: ink height of ordinary digits; small_digit_height_px and small_digit_share:
    the tiny ones hard frames add; sheet_probability: chance of a desk around the sheet when the
    caller does not say; light_span_levels: how much darker the dimmest paper is than the
    brightest (gradient + vignette); shadow_depth: fraction of light a shadow band takes;
    noise_sigma: sensor noise in grey levels; blur_probability: chance of a 3x3 or 5x5 Gaussian
    blur; max_tint: per-channel colour cast as a fraction of the level; ruled_lines, stroke_change,
    max_digit_rotation_deg, jpeg_quality: the hard tier's extras (0 = none); wild: the widened
    generator's factors (None: the pinned tiers, drawn exactly as before they existed).
    """

    paper_level: tuple[float, float]
    digit_height_px: tuple[float, float]
    small_digit_height_px: tuple[float, float]
    small_digit_share: float
    sheet_probability: float
    light_span_levels: tuple[float, float]
    shadow_depth: tuple[float, float]
    noise_sigma: tuple[float, float]
    blur_probability: float
    max_tint: float
    ruled_lines: bool
    stroke_change: bool
    max_digit_rotation_deg: float
    jpeg_quality: tuple[int, int]
    wild: WildFactors | None = None


TIER_STYLES = {
    # Scanner-like: what a recognizer must get right before anything else.
    "clean": TierStyle(paper_level=(215, 240), digit_height_px=(30, 70),
                       small_digit_height_px=(0, 0), small_digit_share=0.0, sheet_probability=0.0,
                       light_span_levels=(0, 0), shadow_depth=(0, 0), noise_sigma=(1, 2),
                       blur_probability=0.0, max_tint=0.01, ruled_lines=False,
                       stroke_change=False, max_digit_rotation_deg=0.0, jpeg_quality=(0, 0)),
    # A sheet before a cheap webcam in a room: uneven light (40-60 levels across the frame is
    # what a desk lamp or a window gives), a hand or head shadow, noise, a little focus blur.
    "camera": TierStyle(paper_level=(205, 245), digit_height_px=(28, 70),
                        small_digit_height_px=(0, 0), small_digit_share=0.0,
                        sheet_probability=0.5, light_span_levels=(40, 60),
                        shadow_depth=(0.06, 0.16), noise_sigma=(4, 6), blur_probability=0.5,
                        max_tint=0.04, ruled_lines=False, stroke_change=False,
                        max_digit_rotation_deg=0.0, jpeg_quality=(0, 0)),
    # Exercise-book paper, careless writing and a compressed stream: the limit of what we claim.
    "hard": TierStyle(paper_level=(200, 240), digit_height_px=(24, 64),
                      small_digit_height_px=(18, 24), small_digit_share=0.3,
                      sheet_probability=0.5, light_span_levels=(40, 60),
                      shadow_depth=(0.08, 0.2), noise_sigma=(4, 6), blur_probability=0.5,
                      max_tint=0.05, ruled_lines=True, stroke_change=True,
                      max_digit_rotation_deg=12.0, jpeg_quality=(55, 65)),
    # Domain randomization (issue 13): every page draws each factor from the widest range seen
    # in ../shared/data/real or met with a webcam. Paper from a dim room (80: the pencil
    # photo at ~90, adamzev strips at 130) to a bright one; light falling by up to 110 levels
    # across the frame and shadows taking up to 55% of it (a hand between a desk lamp and the
    # sheet); digits 18-70 px; up to 15 degrees of turn (writing tilt up to 12 plus 3 per digit);
    # JPEG 50-90 (webcams stream MJPEG).
    "wild": TierStyle(paper_level=(80, 245), digit_height_px=(22, 70),
                      small_digit_height_px=(18, 22), small_digit_share=0.15,
                      sheet_probability=0.6, light_span_levels=(0, 110),
                      shadow_depth=(0.0, 0.55), noise_sigma=(2, 6), blur_probability=0.5,
                      max_tint=0.08, ruled_lines=False, stroke_change=False,
                      max_digit_rotation_deg=3.0, jpeg_quality=(50, 90),
                      wild=WildFactors(desk_to_paper=(0.12, 1.0), desk_texture=(0.03, 0.25),
                                       shadow_width=(0.05, 0.35), shadow_edge_share=0.4,
                                       inks=(("black", 3), ("blue", 3), ("red", 1),
                                             ("green", 1), ("pencil", 2)),
                                       ink_weight=(0.0, 1.0), ink_strength=(0.7, 1.0),
                                       stroke_width_fraction=(0.03, 0.28),
                                       writing_tilt_deg=(0.0, 12.0),
                                       layouts=(("rows", 2), ("column", 1), ("boxes", 1)),
                                       ruled_share=0.2, chalkboard_share=0.1,
                                       max_sheet_rotation_deg=6.0, dim_noise=True)),
}

# The conditions' common ground: the camera tier's room and camera, with black pen in rows on
# a sheet before a dark desk, strokes as MNIST drew them, no tilt. Each condition changes one
# factor to its hard end.
_CONDITION_BASE = replace(
    TIER_STYLES["camera"],
    wild=WildFactors(desk_to_paper=(0.18, 0.40), desk_texture=(0.05, 0.10),
                     shadow_width=(0.05, 0.14), shadow_edge_share=0.0, inks=(("black", 1),),
                     ink_weight=(0.0, 0.5), ink_strength=(0.85, 1.0),
                     stroke_width_fraction=None, writing_tilt_deg=(0.0, 0.0),
                     layouts=(("rows", 1),), ruled_share=0.0, chalkboard_share=0.0,
                     max_sheet_rotation_deg=MAX_SHEET_ROTATION_DEG, dim_noise=False))


def _condition(wild_changes: dict | None = None, **style_changes) -> TierStyle:
    base = _CONDITION_BASE
    return replace(base, **style_changes, wild=replace(base.wild, **(wild_changes or {})))


CONDITION_STYLES = {
    # Desk 80-100% of the paper's level, textured, always around the sheet (issue 13, #1).
    "bright_desk": _condition({"desk_to_paper": (0.8, 1.0), "desk_texture": (0.05, 0.15)},
                              sheet_probability=1.0),
    # A deep, wide shadow (30-55% of the light, up to a third of the frame, or a soft-edged
    # half-plane) on a strong gradient (#2).
    "shadow": _condition({"shadow_width": (0.10, 0.35), "shadow_edge_share": 0.5},
                         shadow_depth=(0.30, 0.55), light_span_levels=(60, 110)),
    # One pen colour each, faint to heavy (#2: the brightest channel halves blue's contrast).
    "blue_ink": _condition({"inks": (("blue", 1),), "ink_weight": (0.0, 1.0)}),
    "red_ink": _condition({"inks": (("red", 1),), "ink_weight": (0.0, 1.0)}),
    "green_ink": _condition({"inks": (("green", 1),), "ink_weight": (0.0, 1.0)}),
    # Pencil in a dim room: paper at 80-135 (#4), more sensor noise as the camera's gain rises.
    "pencil_dim": _condition({"inks": (("pencil", 1),), "ink_weight": (0.0, 0.8),
                              "dim_noise": True}, paper_level=(80, 135)),
    # A marker or felt pen up to 2.5x MNIST's stroke (#7), and a fine pen at a third of it.
    "thick_strokes": _condition({"stroke_width_fraction": (0.18, 0.28)}),
    "thin_strokes": _condition({"stroke_width_fraction": (0.03, 0.06)}),
    # Writing turned by 8-12 degrees, each digit a further +-3 (at most 15).
    "rotated": _condition({"writing_tilt_deg": (8.0, 12.0)}, max_digit_rotation_deg=3.0),
    # Digits stacked in columns with small gaps (#3).
    "column": _condition({"layouts": (("column", 1),)}),
    # One digit per printed box, as on a form (#6).
    "boxes": _condition({"layouts": (("boxes", 1),)}),
    # Chalk on a green or black board, blurred as a phone sees a classroom board (#5).
    "chalkboard": _condition({"chalkboard_share": 1.0, "ink_weight": (0.0, 1.0),
                              "ink_strength": (0.7, 1.0)}, blur_probability=0.8),
}

# Exercise-book rules: every 35-45 px, pale blue (reflectance BGR), far lighter than any ink.
RULE_SPACING_PX = (35, 45)
RULE_REFLECTANCE_BGR = (0.88, 0.72, 0.58)
# Desk grey levels under the brightest light: darker than any paper, lighter than ink.
DESK_GRAY_RANGE = (40, 90)

# Text pages (make_text_page): letters as tall as the digits people write (25-50 px at 640x480,
# cv2's text height: baseline to the top of the capitals), in cv2's two handwriting-like fonts.
TEXT_HEIGHT_PX = (25, 50)
TEXT_FONTS = (cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_SCRIPT_COMPLEX)
# OpenCV 5 draws these ids with its own italic TrueType face (not Hershey strokes), and reads
# thickness as a weight: 1 = regular (strokes ~6% of the text height: a ballpoint), 2 or more =
# bold (~14%: a felt pen or marker, as thick as MNIST's strokes). Half the pages get each.
TEXT_BOLD_SHARE = 0.5
# A writer's slant (how far tops lean right per pixel of height) and a word's turn in degrees.
TEXT_SLANT_RANGE = (-0.05, 0.3)
MAX_WORD_ROTATION_DEG = 3.0
# Baseline to baseline, and the space between words, in text heights.
TEXT_LINE_STEP = (1.7, 2.3)
# Hand-made letters: each one off size by up to 8% and off the baseline by up to 6% of the text
# height; strokes wander by about 3% of it (TEXT_WOBBLE, the sigma of a smooth displacement).
TEXT_LETTER_SCALE = (0.92, 1.08)
TEXT_LETTER_RISE = 0.06
TEXT_WOBBLE = 0.03
TEXT_WORD_GAP = (0.4, 0.9)
# Sentence starts and names: about one word in seven begins with a capital.
TEXT_CAPITAL_SHARE = 0.15
# Common English words that use every letter of the alphabet, look-alikes of digits included.
TEXT_WORDS = (
    "the", "and", "for", "you", "with", "have", "this", "from", "they", "will", "would", "there",
    "their", "what", "about", "which", "when", "make", "like", "time", "just", "know", "take",
    "people", "into", "year", "your", "good", "some", "could", "them", "see", "other", "than",
    "then", "now", "look", "only", "come", "over", "think", "also", "back", "after", "use",
    "two", "how", "our", "work", "first", "well", "way", "even", "new", "want", "because",
    "any", "these", "give", "day", "most", "book", "page", "letter", "quiet", "queen", "quick",
    "zebra", "zero", "lazy", "size", "jump", "joke", "major", "object", "box", "next", "extra",
    "sixty", "fox", "very", "seven", "every", "voice", "gold", "bag", "big", "egg", "dog", "fog",
    "good", "bob", "bell", "ball", "oil", "lol", "loop", "pool", "solo", "sing", "song", "glass",
    "hill", "sill", "mill", "wall", "tall", "small", "is", "so", "go", "a", "i", "of", "to",
    "in", "it", "on", "be", "as", "at", "by", "or", "we", "up", "my", "no", "do", "if", "me",
)


@dataclass(frozen=True)
class _InkPatch:
    """One upscaled digit: alpha (h, w) float32 in [0, 1] with its halo; box (x, y, w, h) of
    alpha > BOX_ALPHA inside the patch."""

    alpha: np.ndarray
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class _Page:
    """What the camera looks at: reflectance_planes (3, H, W) float32, B, G, R planes, 1.0 =
    white paper (planes, not (H, W, 3), because numpy is several times faster on long rows than
    on size-3 inner axes); digits with boxes in page pixels."""

    reflectance_planes: np.ndarray
    digits: tuple[TrueDigit, ...]


@dataclass(frozen=True)
class _Look:
    """How one camera in one room renders a page (drawn once per scene or per clip).

    paper_level: grey level of white paper at the brightest spot; light_span: levels lost towards
    the dimmest spot; light_angle_rad, vignette_weight: shape of that falloff; shadow_*: a soft
    band (depth as a fraction of light, offset and width in frame fractions); channel_gain_bgr:
    colour cast; noise_sigma in levels; blur_ksize 0 = none; jpeg_quality 0 = none;
    shadow_edge: the shadow is a half-plane (edge softness SHADOW_EDGE_SOFTNESS x
    shadow_width), not a band.
    """

    paper_level: float
    light_span: float
    light_angle_rad: float
    vignette_weight: float
    shadow_depth: float
    shadow_angle_rad: float
    shadow_offset: float
    shadow_width: float
    channel_gain_bgr: tuple[float, float, float]
    noise_sigma: float
    blur_ksize: int
    jpeg_quality: int
    shadow_edge: bool = False


@dataclass(frozen=True)
class _Sway:
    """A smooth wander in [-1, 1]: a slow sine (weight 0.6) plus a faster one (0.4)."""

    slow_hz: float
    fast_hz: float
    slow_phase: float
    fast_phase: float

    @classmethod
    def draw(cls, rng: np.random.Generator,
             hz_ranges: tuple[tuple[float, float], tuple[float, float]]) -> _Sway:
        return cls(rng.uniform(*hz_ranges[0]), rng.uniform(*hz_ranges[1]),
                   rng.uniform(0, 2 * math.pi), rng.uniform(0, 2 * math.pi))

    def at(self, time_s: float) -> float:
        return (0.6 * math.sin(2 * math.pi * self.slow_hz * time_s + self.slow_phase)
                + 0.4 * math.sin(2 * math.pi * self.fast_hz * time_s + self.fast_phase))


def make_scene(digits_28: np.ndarray, labels: np.ndarray, rng: np.random.Generator, *,
               tier: str | None = None, size: tuple[int, int] = (640, 480), n_digits: int = 10,
               indices: np.ndarray | None = None, sheet: bool | None = None,
               condition: str | None = None) -> Scene:
    """One frame of `n_digits` MNIST digits (or exactly `indices`, which then sets the count).

    digits_28: (N, 28, 28) uint8 white on black (MNIST x_test); labels: (N,); size: (W, H);
    tier: one of TIERS (default camera) or condition: one of CONDITIONS, not both; sheet: True =
    a desk around the sheet, False = paper fills the frame, None = the style's chance (a board
    has neither). Deterministic given `rng`'s state. Raises ValueError if the digits cannot fit.
    """
    style = _style(tier, condition)
    page = _make_page(digits_28, labels, rng, style, size, n_digits, indices, sheet,
                      extra_margin_px=0)
    look = _draw_look(style, rng)
    image_bgr = _shoot(page.reflectance_planes, look, rng)
    return Scene(image_bgr, page.digits)


def make_video(digits_28: np.ndarray, labels: np.ndarray, path: str | Path, *,
               tier: str | None = None, condition: str | None = None, n_frames: int = 60,
               fps: float = 15,
               size: tuple[int, int] = (640, 480), n_digits: int = 10, seed: int = 0,
               shake_px: int = 3, sheet: bool | None = None,
               indices: np.ndarray | None = None) -> list[Scene]:
    """Write an mp4 of one page filmed by a slightly shaking camera; return each frame's truth.

    The digits stay fixed on the sheet; the whole frame moves by a smooth whole-pixel shake of at
    most `shake_px` (so truth boxes stay exact) and the light drifts a few levels. path: .mp4
    written with mp4v; size: (W, H); tier or condition as for make_scene. Raises UserError if
    the file cannot be opened for writing.
    """
    style = _style(tier, condition)
    width, height = size
    rng = np.random.default_rng(seed)
    page = _make_page(digits_28, labels, rng, style, size, n_digits, indices, sheet,
                      extra_margin_px=shake_px)
    look = _draw_look(style, rng)
    # Hand tremor and breathing move the frame; auto-exposure and a moving hand move the light.
    sway_x, sway_y = (_Sway.draw(rng, SHAKE_HZ) for _ in range(2))
    light_sway, shadow_sway = (_Sway.draw(rng, LIGHT_DRIFT_HZ) for _ in range(2))

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*MP4_FOURCC), float(fps),
                             (width, height))
    if not writer.isOpened():
        raise UserError(f"cannot open {path} for writing an {MP4_FOURCC} video: check that the "
                        f"folder exists and is writable and that the name ends in .mp4")
    scenes = []
    try:
        for index in range(n_frames):
            time_s = index / fps
            dx, dy = round(shake_px * sway_x.at(time_s)), round(shake_px * sway_y.at(time_s))
            image_bgr = _shoot(_translate(page.reflectance_planes, dx, dy), look, rng,
                               level_shift=LIGHT_DRIFT_LEVELS * light_sway.at(time_s),
                               shadow_shift=SHADOW_DRIFT * shadow_sway.at(time_s))
            writer.write(image_bgr)
            digits = tuple(TrueDigit((d.box[0] + dx, d.box[1] + dy, d.box[2], d.box[3]),
                                     d.label, d.mnist_index) for d in page.digits)
            scenes.append(Scene(image_bgr, digits))
    finally:
        writer.release()
    return scenes


def make_text_page(rng: np.random.Generator, size: tuple[int, int] = (640, 480),
                   tier: str | None = None, condition: str | None = None) -> np.ndarray:
    """A frame of handwriting-like text and no digits: what the recognizer should *not* read.

    Lines of English words (TEXT_WORDS: lowercase, TEXT_CAPITAL_SHARE of them capitalized) in a
    Hershey script font, letters TEXT_HEIGHT_PX tall at 640x480 (cv2's text height, baseline to
    the top of the capitals), each word slightly turned and slanted, in one pen's ink on the
    tier's paper, desk and camera look (the same paper, light, shadow, noise, blur and JPEG as
    make_scene). Every letter is kept, the digit look-alikes too (l I | 1, o O | 0, S | 5,
    Z z | 2, g q | 9, b | 6, ...): a real page has them, and how many of them the recognizer
    reports as confident digits is what the benchmark measures.

    size: (W, H); tier or condition as for make_scene. Returns (H, W, 3) uint8 BGR;
    deterministic given `rng`'s state.
    """
    style = _style(tier, condition)
    width, height = size
    px_scale = min(width / REFERENCE_SIZE[0], height / REFERENCE_SIZE[1])
    board = _draws_board(rng, style)
    sheet_corners, content, sheet_angle = _place_sheet(rng, style, size, px_scale,
                                                       False if board else None, EDGE_MARGIN_PX)
    reflectance = _background(rng, style, width, height, px_scale, sheet_corners, sheet_angle,
                              board)
    pen = _Pen.draw(rng, style, board, (width, height))
    font = TEXT_FONTS[int(rng.integers(len(TEXT_FONTS)))]
    text_height_px = rng.uniform(*TEXT_HEIGHT_PX) * px_scale
    # One writer, one pen: the stroke weight and the slant belong to the page, words vary a bit.
    thickness = 2 if rng.random() < TEXT_BOLD_SHARE else 1
    slant = rng.uniform(*TEXT_SLANT_RANGE)
    line_step = text_height_px * rng.uniform(*TEXT_LINE_STEP)
    x0, y0, x1, y1 = content
    baseline = y0 + 1.3 * text_height_px
    while baseline + 0.5 * text_height_px <= y1:
        x = x0 + rng.uniform(0, 0.1) * (x1 - x0)
        line_end = x1 - rng.uniform(0, 0.15) * (x1 - x0)
        while True:
            word = TEXT_WORDS[int(rng.integers(len(TEXT_WORDS)))]
            if rng.random() < TEXT_CAPITAL_SHARE:
                word = word.capitalize()
            alpha, baseline_row = _word_alpha(
                word, rng, font, text_height_px * rng.uniform(0.9, 1.1), thickness,
                rng.uniform(-1, 1) * MAX_WORD_ROTATION_DEG, slant + rng.uniform(-0.08, 0.08))
            if x + alpha.shape[1] > line_end:
                break
            wobble = rng.uniform(-1, 1) * _WOBBLE_FRACTION * text_height_px
            pen.write(reflectance, alpha, round(x), round(baseline + wobble) - baseline_row)
            x += alpha.shape[1] + text_height_px * rng.uniform(*TEXT_WORD_GAP)
        baseline += line_step
    return _shoot(reflectance, _draw_look(style, rng), rng)


def truth_to_json(scenes: Sequence[Scene], fps: float, **about) -> dict:
    """The truth file's content: {"fps", **about, "frames": [{"digits": [TrueDigit json]}]}."""
    return {"fps": fps, **about,
            "frames": [{"digits": [d.to_json() for d in scene.digits]} for scene in scenes]}


def load_truth(path: str | Path) -> tuple[float, list[tuple[TrueDigit, ...]]]:
    """Read a truth file written beside a clip: (fps, per-frame digits)."""
    with open(path, encoding="utf-8") as handle:
        content = json.load(handle)
    frames = [tuple(TrueDigit(tuple(d["box"]), d["label"], d.get("mnist_index", -1))
                    for d in frame["digits"]) for frame in content["frames"]]
    return float(content["fps"]), frames


# ---------------------------------------------------------------------------------------------
# The page: paper, desk, rules and ink as reflectance.

def _style(tier: str | None, condition: str | None = None) -> TierStyle:
    """The style of a tier (default camera) or of a condition; ValueError for both or unknown."""
    if condition is not None:
        if tier is not None:
            raise ValueError(f"give a tier or a condition, not both (tier {tier!r}, condition "
                             f"{condition!r})")
        if condition not in CONDITION_STYLES:
            raise ValueError(f"unknown condition {condition!r}; choose one of "
                             f"{', '.join(CONDITIONS)}")
        return CONDITION_STYLES[condition]
    tier = "camera" if tier is None else tier
    if tier not in TIER_STYLES:
        raise ValueError(f"unknown tier {tier!r}; choose one of {', '.join(TIERS)}")
    return TIER_STYLES[tier]


def _draws_board(rng: np.random.Generator, style: TierStyle) -> bool:
    """Whether this page is a chalkboard (only wild styles draw; the pinned tiers never do)."""
    wild = style.wild
    return bool(wild is not None and wild.chalkboard_share
                and rng.random() < wild.chalkboard_share)


def _weighted_choice(rng: np.random.Generator, pairs: tuple[tuple[str, float], ...]) -> str:
    """One name of (name, weight) pairs; no draw when there is only one."""
    if len(pairs) == 1:
        return pairs[0][0]
    weights = np.float64([weight for _, weight in pairs])
    return pairs[int(rng.choice(len(pairs), p=weights / weights.sum()))][0]


def _make_page(digits_28, labels, rng, style: TierStyle, size, n_digits, indices, sheet,
               extra_margin_px: int) -> _Page:
    width, height = size
    px_scale = min(width / REFERENCE_SIZE[0], height / REFERENCE_SIZE[1])
    if digits_28.ndim != 3 or digits_28.shape[1:] != (28, 28) or len(labels) != len(digits_28):
        raise ValueError(f"expected (N, 28, 28) digits and (N,) labels, got {digits_28.shape} "
                         f"and {np.shape(labels)}")
    if indices is None:
        indices = rng.choice(len(digits_28), size=n_digits, replace=False)
    indices = np.asarray(indices, dtype=int)
    n_digits = len(indices)

    wild = style.wild
    board = _draws_board(rng, style)
    sheet_corners, content, sheet_angle = _place_sheet(rng, style, size, px_scale,
                                                       False if board else sheet,
                                                       EDGE_MARGIN_PX + extra_margin_px)

    # Per-digit choices are drawn once so that shrinking to fit changes only the size.
    small = rng.random(n_digits) < style.small_digit_share
    heights_px = np.where(small, rng.uniform(*style.small_digit_height_px, n_digits),
                          rng.uniform(*style.digit_height_px, n_digits)) * px_scale
    heights_px = np.maximum(heights_px, MIN_DIGIT_HEIGHT_PX)
    rotations_deg = rng.uniform(-1, 1, n_digits) * style.max_digit_rotation_deg
    # -1 thinner, 0 as written, +1 thicker: different pens and pressures.
    stroke_changes = (rng.integers(-1, 2, n_digits) if style.stroke_change
                      else np.zeros(n_digits, int))
    # The wild page's own pen width, writing tilt and layout (none of it drawn for pinned tiers).
    stroke_fraction, slope, layout = None, 0.0, "rows"
    if wild is not None:
        if wild.stroke_width_fraction is not None:
            stroke_fraction = rng.uniform(*wild.stroke_width_fraction)
        tilt_deg = rng.uniform(*wild.writing_tilt_deg) * rng.choice([-1.0, 1.0])
        rotations_deg = rotations_deg + tilt_deg
        # cv2 turns positive angles counter-clockwise, so a row turned with its digits rises.
        slope = -math.tan(math.radians(tilt_deg))
        layout = _weighted_choice(rng, wild.layouts)

    shrink = 1.0
    while True:
        # Wild pages shrink harder (columns, boxes, tilted rows): no digit below the floor.
        shrunk_px = (heights_px * shrink if wild is None
                     else np.maximum(heights_px * shrink, MIN_DIGIT_HEIGHT_PX))
        patches = [_ink_patch(digits_28[i], h, rot, stroke,
                              None if stroke_fraction is None else stroke_fraction * h)
                   for i, h, rot, stroke in zip(indices, shrunk_px, rotations_deg, stroke_changes)]
        sizes = [p.box[2:] for p in patches]
        cells: list[tuple[int, int, int, int]] = []
        if layout == "rows":
            positions = _layout(sizes, content, rng, slope)
        elif layout == "column":
            positions = _column_layout(sizes, content, rng)
        else:
            placed = _box_layout(sizes, content, rng)
            positions, cells = (None, []) if placed is None else placed
        if positions is not None:
            break
        shrink *= _SHRINK_STEP
        if heights_px.max(initial=0) * shrink < MIN_DIGIT_HEIGHT_PX:
            raise ValueError(f"cannot fit {n_digits} digits into a {width}x{height} frame")

    reflectance = _background(rng, style, width, height, px_scale, sheet_corners, sheet_angle,
                              board)
    if board:
        pen = _Pen.draw(rng, style, board, (width, height))
        if cells:
            _chalk_cells(reflectance, cells, rng, px_scale, pen)
    else:
        if cells:
            _draw_cells(reflectance, cells, rng, px_scale)
        pen = _Pen.draw(rng, style, board, (width, height))

    digits = []
    for patch, (box_x, box_y), index in zip(patches, positions, indices):
        pen.write(reflectance, patch.alpha, box_x - patch.box[0], box_y - patch.box[1])
        digits.append(TrueDigit((int(box_x), int(box_y), patch.box[2], patch.box[3]),
                                int(labels[index]), int(index)))
    return _Page(reflectance, tuple(digits))


def _place_sheet(rng, style: TierStyle, size, px_scale, sheet, edge_px):
    """Whether there is a desk around the sheet (`sheet`, or the tier's chance when None) and
    where writing may go: (sheet corners or None, content (x0, y0, x1, y1), sheet angle rad)."""
    width, height = size
    with_sheet = bool(rng.random() < style.sheet_probability) if sheet is None else sheet
    if with_sheet:
        max_rotation_deg = (MAX_SHEET_ROTATION_DEG if style.wild is None
                            else style.wild.max_sheet_rotation_deg)
        sheet_corners, content = _draw_sheet(rng, width, height, px_scale, edge_px,
                                             max_rotation_deg)
    else:
        sheet_corners = None
        inset = edge_px + rng.uniform(0, 30) * px_scale
        content = (inset, inset, width - inset, height - inset)
    sheet_angle = (0.0 if sheet_corners is None else
                   math.atan2(sheet_corners[1][1] - sheet_corners[0][1],
                              sheet_corners[1][0] - sheet_corners[0][0]))
    return sheet_corners, content, sheet_angle


@dataclass(frozen=True)
class _Pen:
    """One pen for a whole page: ink_bgr reflectance (3,) float32, strength in [0.85, 1] (wild:
    WildFactors.ink_strength); grain: None, or (H, W) float32 in [0, 1] the page's coverage is
    multiplied by where the ground shows through (pencil, chalk)."""

    ink_bgr: np.ndarray
    strength: float
    grain: np.ndarray | None = None

    @classmethod
    def draw(cls, rng: np.random.Generator, style: TierStyle | None = None,
             board: bool = False, size: tuple[int, int] | None = None) -> _Pen:
        if style is not None and style.wild is not None:
            return cls._draw_wild(rng, style.wild, board, size)
        ink_gray = rng.uniform(*INK_GRAY_RANGE)
        # Ballpoints are blue-black, markers neutral: half the pens get a blue cast.
        pen_blue = rng.uniform(0, 25) if rng.random() < 0.5 else 0.0
        ink_bgr = (np.float32([ink_gray + pen_blue, ink_gray, ink_gray - pen_blue / 3])
                   / _NOMINAL_PAPER_LEVEL)
        return cls(ink_bgr, rng.uniform(0.85, 1.0))

    @classmethod
    def _draw_wild(cls, rng, wild: WildFactors, board: bool, size) -> _Pen:
        kind = INK_KINDS["chalk" if board else _weighted_choice(rng, wild.inks)]
        faintness = rng.uniform(*wild.ink_weight)
        ink_bgr = (np.float32(kind.heavy_bgr)
                   + np.float32(faintness) * (np.float32(kind.faint_bgr)
                                              - np.float32(kind.heavy_bgr)))
        grain = None
        if kind.grain and size is not None:
            width, height = size
            # Paper tooth and board grit: specks of ~1-2 px where the stroke skips.
            specks = rng.random((height, width), dtype=np.float32)
            specks = cv2.GaussianBlur(specks, (3, 3), 0)
            grain = np.clip(1.0 - kind.grain * 2.5 * np.maximum(0.0, 0.55 - specks), 0.0, 1.0)
        return cls(ink_bgr, rng.uniform(*wild.ink_strength), grain)

    def write(self, reflectance: np.ndarray, alpha: np.ndarray, left: int, top: int) -> None:
        """Lay `alpha` ((h, w) float32 coverage in [0, 1]) onto (3, H, W) reflectance planes in
        place, its top-left corner at (left, top); what falls outside the frame is cut off."""
        height, width = reflectance.shape[1:]
        patch_h, patch_w = alpha.shape
        # The faint halo of a digit near the edge may hang over it; clip it to the frame.
        cut_left, cut_top = max(0, -left), max(0, -top)
        right, bottom = min(width, left + patch_w), min(height, top + patch_h)
        region = reflectance[:, top + cut_top:bottom, left + cut_left:right]
        alpha = alpha[cut_top:cut_top + region.shape[1], cut_left:cut_left + region.shape[2]]
        coverage = alpha * self.strength
        if self.grain is not None:
            coverage = coverage * self.grain[top + cut_top:top + cut_top + region.shape[1],
                                             left + cut_left:left + cut_left + region.shape[2]]
        region *= 1.0 - coverage
        region += coverage * self.ink_bgr[:, None, None]


def _word_alpha(word: str, rng: np.random.Generator, font: int, text_height_px: float,
                thickness: int, rotation_deg: float, slant: float) -> tuple[np.ndarray, int]:
    """One written word: alpha (h, w) float32 in [0, 1], cropped to its ink, and the row of the
    patch where the start of its baseline (cv2.putText's origin) lies.

    Letters are put one by one, each a little off the baseline and off size, then the word is
    wobbled (a smooth random displacement, like an unsteady hand), slanted (its top leans right
    by `slant` per pixel of height, the baseline stays) and turned by rotation_deg.
    """
    font_scale = cv2.getFontScaleFromHeight(font, max(1, round(text_height_px)), thickness)
    (text_w, text_h), descent = cv2.getTextSize(word, font, font_scale, thickness)
    # Room on every side for the jitter, the slant, the turn and the glyphs' overshoot.
    pad = text_h + 2 * thickness
    canvas = np.zeros((text_h + descent + 2 * pad, round(1.2 * text_w) + 2 * pad), np.uint8)
    origin = (pad, pad + text_h)
    x = float(origin[0])
    for letter in word:
        letter_scale = font_scale * rng.uniform(*TEXT_LETTER_SCALE)
        dy = rng.uniform(-1, 1) * TEXT_LETTER_RISE * text_h
        cv2.putText(canvas, letter, (round(x), round(origin[1] + dy)), font, letter_scale, 255,
                    thickness, cv2.LINE_AA)
        x += cv2.getTextSize(letter, font, letter_scale, thickness)[0][0]
    height, width = canvas.shape
    # The wobble: displacements drawn every ~half a letter and smoothly upscaled.
    grid = (max(2, round(2 * width / text_h)), max(2, round(2 * height / text_h)))
    map_x, map_y = np.meshgrid(np.arange(width, dtype=np.float32),
                               np.arange(height, dtype=np.float32))
    for coordinate in (map_x, map_y):
        coordinate += TEXT_WOBBLE * text_h * cv2.resize(
            rng.standard_normal(grid[::-1]).astype(np.float32), (width, height),
            interpolation=cv2.INTER_CUBIC)
    canvas = cv2.remap(canvas, map_x, map_y, cv2.INTER_LINEAR)
    centre = (pad + text_w / 2, pad + text_h / 2)
    turn = np.vstack([cv2.getRotationMatrix2D(centre, rotation_deg, 1.0), [0, 0, 1]])
    # x' = x + slant * (baseline - y): the baseline stays put, the tops lean over.
    lean = np.float64([[1, -slant, slant * origin[1]], [0, 1, 0], [0, 0, 1]])
    warp = (turn @ lean)[:2]
    canvas = cv2.warpAffine(canvas, warp, (width, height), flags=cv2.INTER_LINEAR)
    rows = np.flatnonzero(canvas.any(axis=1))
    cols = np.flatnonzero(canvas.any(axis=0))
    origin_y = warp[1] @ np.float64([origin[0], origin[1], 1])
    alpha = canvas[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].astype(np.float32) / 255.0
    return alpha, round(origin_y) - int(rows[0])


def _ink_patch(digit_28: np.ndarray, ink_height_px: float, rotation_deg: float,
               stroke_change: int, stroke_width_px: float | None = None) -> _InkPatch:
    """Upscale one MNIST digit so its ink is about `ink_height_px` tall, then thicken or thin
    its strokes (by one pixel, or towards `stroke_width_px`) and rotate it; the anti-aliased
    halo is kept around the box."""
    ink_rows = np.flatnonzero((digit_28 >= BOX_ALPHA * 255).any(axis=1))
    any_rows = np.flatnonzero(digit_28.any(axis=1))
    any_cols = np.flatnonzero(digit_28.any(axis=0))
    if ink_rows.size == 0:
        raise ValueError("an MNIST digit without ink")
    # One zero pixel around the ink so that the upscaled strokes fade out instead of being cut.
    crop = np.pad(digit_28[any_rows[0]:any_rows[-1] + 1, any_cols[0]:any_cols[-1] + 1], 1)
    factor = ink_height_px / (ink_rows[-1] - ink_rows[0] + 1)
    up_size = (max(1, round(crop.shape[1] * factor)), max(1, round(crop.shape[0] * factor)))
    up = cv2.resize(crop, up_size, interpolation=cv2.INTER_CUBIC)
    if stroke_change > 0:
        up = cv2.dilate(up, np.ones((3, 3), np.uint8))
    elif stroke_change < 0 and ink_height_px >= 40:  # smaller digits would lose whole strokes
        thinner = cv2.erode(up, np.ones((3, 3), np.uint8))
        if (thinner > BOX_ALPHA * 255).any():
            up = thinner
    if stroke_width_px is not None:
        up = _restroke(up, stroke_width_px)
    if rotation_deg:
        pad = int(math.ceil(0.25 * max(up.shape)))
        up = np.pad(up, pad)
        center = ((up.shape[1] - 1) / 2, (up.shape[0] - 1) / 2)
        turn = cv2.getRotationMatrix2D(center, rotation_deg, 1.0)
        up = cv2.warpAffine(up, turn, (up.shape[1], up.shape[0]), flags=cv2.INTER_LINEAR)
    halo_rows = np.flatnonzero((up >= _HALO_LEVEL).any(axis=1))
    halo_cols = np.flatnonzero((up >= _HALO_LEVEL).any(axis=0))
    up = up[halo_rows[0]:halo_rows[-1] + 1, halo_cols[0]:halo_cols[-1] + 1]
    alpha = up.astype(np.float32) / 255.0
    ink_mask = alpha > BOX_ALPHA
    rows = np.flatnonzero(ink_mask.any(axis=1))
    cols = np.flatnonzero(ink_mask.any(axis=0))
    box = (int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1))
    return _InkPatch(alpha, box)


# Thinning never leaves a stroke under this many pixels (a fine pen at webcam resolution).
MIN_STROKE_PX = 1.2


def _stroke_width_px(up: np.ndarray) -> float:
    """Mean stroke width of a uint8 digit (white ink): ink area over half its outline, which is
    the width for long strokes. 0.0 without ink."""
    mask = (up >= 128).astype(np.uint8)
    contours = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)[0]
    outline = sum(cv2.arcLength(contour, True) for contour in contours)
    return 2.0 * float(mask.sum()) / outline if outline else 0.0


def _restroke(up: np.ndarray, stroke_width_px: float) -> np.ndarray:
    """Dilate or erode a uint8 digit (white ink) with a round pen so its strokes come to about
    `stroke_width_px`, never thinner than MIN_STROKE_PX nor losing most of the ink."""
    width_now = _stroke_width_px(up)
    change = stroke_width_px - width_now
    if change > 0:
        radius = round(change / 2)
    else:
        radius = min(round(-change / 2), int((width_now - MIN_STROKE_PX) // 2))
    if radius <= 0:
        return up
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    if change > 0:
        return cv2.dilate(np.pad(up, radius), kernel)
    thinner = cv2.erode(up, kernel)
    kept = (thinner >= 128).sum()
    return thinner if kept and kept >= 0.3 * (up >= 128).sum() else up


def _layout(box_sizes: Sequence[tuple[int, int]], content: tuple[float, float, float, float],
            rng: np.random.Generator, slope: float = 0.0) -> list[tuple[int, int]] | None:
    """Top-left corners of the ink boxes in loose rows, like digits written on a sheet, inside
    `content` (x0, y0, x1, y1); None when they do not fit. slope: dy/dx of tilted rows (0 =
    level); rows then keep MIN_GAP_FRACTION apart along y wherever they overlap along x."""
    x0, y0, x1, y1 = content
    content_w, content_h = x1 - x0, y1 - y0
    # A shorter line than the sheet allows makes some scenes two or three rows, not one long one.
    wrap_w = content_w * rng.uniform(0.6, 1.0)
    rows: list[list[int]] = []
    gaps_before: list[float] = []
    row_w = 0.0
    for i, (w, h) in enumerate(box_sizes):
        if w > content_w:
            return None
        gap = (max(h, box_sizes[rows[-1][-1]][1]) * rng.uniform(*_LAYOUT_GAP_RANGE)
               if rows and rows[-1] else 0.0)
        # A line of one digit looks odd: let it run past wrap_w while the sheet allows.
        lonely = bool(rows) and len(rows[-1]) < 2 and row_w + gap + w <= content_w
        if not rows or (row_w + gap + w > wrap_w and not lonely):
            rows.append([])
            gap, row_w = 0.0, 0.0
        rows[-1].append(i)
        gaps_before.append(gap)
        row_w += gap + w
    if not rows:
        return []

    row_heights = [max(box_sizes[i][1] for i in row) for row in rows]
    row_spans = [(1 + _WOBBLE_FRACTION) * h for h in row_heights]
    row_gaps = [max(a, b) * rng.uniform(*_LAYOUT_GAP_RANGE)
                for a, b in zip(row_heights, row_heights[1:])]
    row_widths = [sum(box_sizes[i][0] + gaps_before[i] for i in row) for row in rows]
    rise = 0.0
    if slope:
        # Boxes of neighbouring rows that overlap along x are under one box width apart, so
        # the slope moves them by at most that much towards each other.
        widest = max(w for w, _ in box_sizes)
        row_gaps = [gap + abs(slope) * widest for gap in row_gaps]
        rise = abs(slope) * (max(row_widths) + 0.15 * content_w)
    block_h = sum(row_spans) + sum(row_gaps)
    if slope:
        block_h += rise
    if block_h > content_h:
        return None
    block_x = x0 + rng.uniform(0, content_w - max(row_widths))
    top = y0 + rng.uniform(0, content_h - block_h)
    positions: list[tuple[int, int]] = [(0, 0)] * len(box_sizes)
    for row, span, row_h, row_width, gap_after in zip(rows, row_spans, row_heights, row_widths,
                                                      row_gaps + [0.0]):
        free_x = x1 - block_x - row_width
        x = block_x + rng.uniform(0, min(free_x, 0.15 * content_w))
        for i in row:
            w, h = box_sizes[i]
            x += gaps_before[i]
            # Digits sit on the row's baseline, give or take the wobble.
            wobble = (span - h) - rng.uniform(0, min(span - h, _WOBBLE_FRACTION * row_h))
            # Rounding moves a box by under a pixel: it stays inside whole-pixel margins, and
            # gaps drawn from 0.4 of the height stay above MIN_GAP_FRACTION.
            y = top + wobble
            if slope:
                y += slope * (x - block_x) + (rise if slope < 0 else 0.0)
            positions[i] = (round(x), round(y))
            x += w
        top += span + gap_after
    return positions


def _column_layout(box_sizes: Sequence[tuple[int, int]],
                   content: tuple[float, float, float, float],
                   rng: np.random.Generator) -> list[tuple[int, int]] | None:
    """Top-left corners of the ink boxes as one or two columns of short lines (1-3 digits,
    COLUMN_LINE_DIGITS), right-aligned like numbers written under each other, lines
    COLUMN_GAP_RANGE of a line's height apart; None when they do not fit in `content`."""
    x0, y0, x1, y1 = content
    if not box_sizes:
        return []
    per_line = int(rng.integers(COLUMN_LINE_DIGITS[0], COLUMN_LINE_DIGITS[1] + 1))
    lines = [list(range(i, min(i + per_line, len(box_sizes))))
             for i in range(0, len(box_sizes), per_line)]
    n_columns = int(rng.integers(1, 3)) if len(lines) >= 4 else 1
    per_column = math.ceil(len(lines) / n_columns)
    columns = [lines[k:k + per_column] for k in range(0, len(lines), per_column)]
    digit_gaps = {i: (max(box_sizes[i][1], box_sizes[line[0]][1])
                      * rng.uniform(*_LAYOUT_GAP_RANGE) if i != line[0] else 0.0)
                  for line in lines for i in line}
    line_w = [sum(box_sizes[i][0] + digit_gaps[i] for i in line) for line in lines]
    line_h = [max(box_sizes[i][1] for i in line) for line in lines]
    line_gaps = [max(a, b) * rng.uniform(*COLUMN_GAP_RANGE)
                 for a, b in itertools.pairwise(line_h)]
    first = np.cumsum([0] + [len(column) for column in columns])
    column_w = [max(line_w[k] for k in range(a, b)) for a, b in itertools.pairwise(first)]
    column_h = [sum(line_h[a:b]) + sum(line_gaps[a:b - 1]) for a, b in itertools.pairwise(first)]
    column_gaps = [max(line_h) * rng.uniform(1.0, 2.0) for _ in columns[1:]]
    total_w = sum(column_w) + sum(column_gaps)
    if total_w > x1 - x0 or max(column_h) > y1 - y0:
        return None
    left = x0 + rng.uniform(0, (x1 - x0) - total_w)
    positions: list[tuple[int, int]] = [(0, 0)] * len(box_sizes)
    for c, (a, b) in enumerate(itertools.pairwise(first)):
        top = y0 + rng.uniform(0, (y1 - y0) - column_h[c])
        width, gap_after = column_w[c], (column_gaps + [0.0])[c]
        for k in range(a, b):
            x = left + width - line_w[k] - rng.uniform(0, min(width - line_w[k],
                                                             0.15 * line_h[k]))
            for i in lines[k]:
                x += digit_gaps[i]
                # Digits of a line stand on its baseline.
                positions[i] = (round(x), round(top + line_h[k] - box_sizes[i][1]))
                x += box_sizes[i][0]
            top += line_h[k] + (line_gaps[k] if k < b - 1 else 0.0)
        left += width + gap_after
    return positions


def _box_layout(box_sizes: Sequence[tuple[int, int]], content: tuple[float, float, float, float],
                rng: np.random.Generator
                ) -> tuple[list[tuple[int, int]], list[tuple[int, int, int, int]]] | None:
    """One digit per printed cell, as on a form: cells of one size in groups of
    BOX_GROUP_CELLS sharing their lines, some left empty, groups wrapped into rows. Returns the
    ink boxes' top-left corners and the cells (x, y, w, h), or None when they do not fit."""
    x0, y0, x1, y1 = content
    if not box_sizes:
        return [], []
    widest = max(w for w, _ in box_sizes)
    tallest = max(h for _, h in box_sizes)
    margin = rng.uniform(*BOX_MARGIN_RANGE) * tallest
    cell_w, cell_h = max(widest + 2 * margin, 0.75 * (tallest + 2 * margin)), tallest + 2 * margin
    # Slots: True = a cell that gets the next digit, False = an empty cell.
    groups: list[list[bool]] = []
    filled = 0
    while filled < len(box_sizes):
        size = int(rng.integers(BOX_GROUP_CELLS[0], BOX_GROUP_CELLS[1] + 1))
        group = [bool(rng.random() >= BOX_EMPTY_SHARE) for _ in range(size)]
        for j, slot in enumerate(group):
            if slot and filled >= len(box_sizes):
                group[j] = False
            filled += int(group[j])
        if any(group):
            groups.append(group)
    group_gap = cell_w * rng.uniform(0.3, 1.0)
    row_gap = cell_h * rng.uniform(0.2, 0.6)
    rows: list[list[list[bool]]] = [[]]
    row_w = 0.0
    for group in groups:
        width = len(group) * cell_w
        if width > x1 - x0:
            return None
        if rows[-1] and row_w + group_gap + width > x1 - x0:
            rows.append([])
            row_w = 0.0
        row_w += (group_gap if rows[-1] else 0.0) + width
        rows[-1].append(group)
    block_h = len(rows) * cell_h + (len(rows) - 1) * row_gap
    widest_row = max(sum(len(g) for g in row) * cell_w + (len(row) - 1) * group_gap
                     for row in rows)
    if block_h > y1 - y0:
        return None
    left = x0 + rng.uniform(0, (x1 - x0) - widest_row)
    top = y0 + rng.uniform(0, (y1 - y0) - block_h)
    positions: list[tuple[int, int]] = []
    cells: list[tuple[int, int, int, int]] = []
    for row in rows:
        x = left
        for group in row:
            for slot in group:
                cells.append((round(x), round(top), round(cell_w), round(cell_h)))
                if slot:
                    w, h = box_sizes[len(positions)]
                    # Centred, give or take a fifth of the margin: the ink never meets a line.
                    jitter_x, jitter_y = rng.uniform(-0.2, 0.2, 2) * margin
                    positions.append((round(x + (cell_w - w) / 2 + jitter_x),
                                      round(top + (cell_h - h) / 2 + jitter_y)))
                x += cell_w
            x += group_gap
        top += cell_h + row_gap
    return positions, cells


def _draw_cells(reflectance: np.ndarray, cells: Sequence[tuple[int, int, int, int]],
                rng: np.random.Generator, px_scale: float) -> None:
    """Print the cells' outlines onto (3, H, W) reflectance planes in place: neutral print from
    light grey to black (BOX_LINE_REFLECTANCE), BOX_LINE_PX thick at 640x480."""
    lines = np.zeros(reflectance.shape[1:], np.uint8)
    thickness = max(1, round(int(rng.integers(BOX_LINE_PX[0], BOX_LINE_PX[1] + 1)) * px_scale))
    for x, y, w, h in cells:
        cv2.rectangle(lines, (x, y), (x + w, y + h), 255, thickness)
    darkness = np.float32(1.0 - rng.uniform(*BOX_LINE_REFLECTANCE)) * (lines / np.float32(255))
    for plane in reflectance:
        plane *= 1.0 - darkness


def _chalk_cells(reflectance: np.ndarray, cells: Sequence[tuple[int, int, int, int]],
                 rng: np.random.Generator, px_scale: float, pen: _Pen) -> None:
    """Draw the cells' outlines onto a board's (3, H, W) reflectance planes in place, in the
    page's chalk (`pen`): CHALK_LINE_PX thick at 640x480, as pale and grainy as its digits."""
    lines = np.zeros(reflectance.shape[1:], np.uint8)
    thickness = max(1, round(int(rng.integers(CHALK_LINE_PX[0], CHALK_LINE_PX[1] + 1)) * px_scale))
    for x, y, w, h in cells:
        cv2.rectangle(lines, (x, y), (x + w, y + h), 255, thickness, cv2.LINE_AA)
    pen.write(reflectance, lines.astype(np.float32) / np.float32(255), 0, 0)


def _draw_sheet(rng, width, height, px_scale, edge_px, max_rotation_deg=MAX_SHEET_ROTATION_DEG):
    """A slightly turned sheet with desk visible on every side; returns its four corners (float
    (x, y), clockwise from top-left) and the upright rectangle inside it where digits may go."""
    angle = math.radians(rng.uniform(-1, 1) * max_rotation_deg)
    half_diag = 0.5 * math.hypot(width, height)
    # A turned sheet's corners swing by about half its diagonal times sin(angle): keep that much
    # more desk so the sheet stays inside the frame and its edge is one closed contour.
    swing = half_diag * abs(math.sin(angle))
    desk = [swing + rng.uniform(0.05, 0.13) * size for size in (width, height, width, height)]
    left, top, right, bottom = desk[0], desk[1], width - desk[2], height - desk[3]
    cx, cy = (left + right) / 2, (top + bottom) / 2
    half_w, half_h = (right - left) / 2, (bottom - top) / 2
    cos_a, sin_a = math.cos(angle), math.sin(angle)
    upright = ((-half_w, -half_h), (half_w, -half_h), (half_w, half_h), (-half_w, half_h))
    corners = [(cx + x * cos_a - y * sin_a, cy + x * sin_a + y * cos_a) for x, y in upright]
    # The upright rectangle inside the turned one loses max(half_w, half_h) * sin on each side.
    inside = max(half_w, half_h) * abs(sin_a) + 2 + rng.uniform(8, 20) * px_scale
    content = (max(left + inside, edge_px), max(top + inside, edge_px),
               min(right - inside, width - edge_px), min(bottom - inside, height - edge_px))
    return corners, content


def _background(rng, style: TierStyle, width, height, px_scale, sheet_corners, sheet_angle,
                board: bool = False):
    """Reflectance planes (3, H, W) float32 of paper (1.0), its rules, and the desk around it
    (or, for a wild style's board, the board)."""
    if style.wild is not None:
        return _wild_background(rng, style.wild, width, height, px_scale, sheet_corners,
                                sheet_angle, board)
    reflectance = np.ones((3, height, width), np.float32)
    if style.ruled_lines:
        _draw_rules(rng, reflectance, px_scale, sheet_angle)
    if sheet_corners is None:
        return reflectance
    desk_level = rng.uniform(*DESK_GRAY_RANGE) / _NOMINAL_PAPER_LEVEL
    _lay_desk(rng, reflectance, desk_level, 0.10, sheet_corners)
    return reflectance


def _wild_background(rng, wild: WildFactors, width, height, px_scale, sheet_corners,
                     sheet_angle, board: bool):
    if board:
        mix = rng.uniform()
        board_bgr = [a + mix * (b - a) for a, b in zip(*BOARD_BGR_RANGE)]
        # Wiped chalk: soft light clouds over the board.
        clouds = cv2.resize(rng.standard_normal((max(2, height // 80), max(2, width // 80)))
                            .astype(np.float32), (width, height), interpolation=cv2.INTER_CUBIC)
        dust = np.maximum(clouds, 0) * np.float32(BOARD_DUST * rng.uniform(0.2, 1.0))
        return np.stack([np.float32(level) + dust for level in board_bgr])
    reflectance = np.ones((3, height, width), np.float32)
    if wild.ruled_share and rng.random() < wild.ruled_share:
        _draw_rules(rng, reflectance, px_scale, sheet_angle)
    if sheet_corners is not None:
        _lay_desk(rng, reflectance, rng.uniform(*wild.desk_to_paper),
                  rng.uniform(*wild.desk_texture), sheet_corners)
    return reflectance


def _draw_rules(rng, reflectance: np.ndarray, px_scale: float, sheet_angle: float) -> None:
    """Exercise-book rules along the sheet, onto (3, H, W) reflectance planes in place."""
    height, width = reflectance.shape[1:]
    rules = np.zeros((height, width), np.uint8)
    spacing = rng.uniform(*RULE_SPACING_PX) * px_scale
    thickness = int(rng.integers(1, 3))
    cx, cy = width / 2, height / 2
    cos_a, sin_a = math.cos(sheet_angle), math.sin(sheet_angle)
    reach = math.hypot(width, height)
    for offset in np.arange(-reach / 2 + rng.uniform(0, spacing), reach / 2, spacing):
        ends = [(cx + x * cos_a - offset * sin_a, cy + x * sin_a + offset * cos_a)
                for x in (-reach, reach)]
        # 4 bits of sub-pixel precision keep the anti-aliased line where it belongs.
        p0, p1 = [(round(x * 16), round(y * 16)) for x, y in ends]
        cv2.line(rules, p0, p1, 255, thickness, cv2.LINE_AA, shift=4)
    rule_alpha = rules.astype(np.float32) / 255.0
    for plane, rule_reflectance in zip(reflectance, RULE_REFLECTANCE_BGR):
        plane -= rule_alpha * np.float32(1.0 - rule_reflectance)


def _lay_desk(rng, reflectance: np.ndarray, desk_level: float, texture: float,
              sheet_corners) -> None:
    """Put the desk (desk_level reflectance, grain of `texture` relative amplitude and half
    that of mottle) around the sheet's corners, onto (3, H, W) planes in place."""
    height, width = reflectance.shape[1:]
    # Wood-ish grain: coarse noise stretched along x, plus a finer mottle.
    grain = cv2.resize(rng.standard_normal((max(2, height // 24), max(2, width // 160)))
                       .astype(np.float32), (width, height), interpolation=cv2.INTER_CUBIC)
    mottle = cv2.resize(rng.standard_normal((max(2, height // 6), max(2, width // 6)))
                        .astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    desk_gray = desk_level * (1.0 + texture * grain + (texture / 2) * mottle)
    # Most desks are wood or laminate, a little warm; some are plain grey.
    desk_tint_bgr = (0.85, 0.97, 1.1) if rng.random() < 0.6 else (1.0, 1.0, 1.0)
    sheet_mask = np.zeros((height, width), np.uint8)
    points = np.int32([[round(x * 16), round(y * 16)] for x, y in sheet_corners])
    cv2.fillConvexPoly(sheet_mask, points, 255, cv2.LINE_AA, shift=4)
    paper_alpha = sheet_mask.astype(np.float32) / 255.0
    visible_desk = (1.0 - paper_alpha) * desk_gray
    for plane, tint in zip(reflectance, desk_tint_bgr):
        plane *= paper_alpha
        plane += visible_desk * np.float32(tint)


# ---------------------------------------------------------------------------------------------
# The shot: light, shadow, colour cast, blur, noise, compression.

# The pinned tiers' shadow band: 5-14% of the frame (its sigma).
_SHADOW_WIDTH = (0.05, 0.14)
# A dim room's camera turns its gain up: noise grows as the paper darkens, up to this factor
# (phones and webcams denoise beyond it).
MAX_DIM_GAIN = 1.8
MIN_LIT_SHARE = 0.45
# Wild shadows cross the frame within this (frame fraction) of its centre, not in a corner.
WILD_SHADOW_OFFSET = 0.15
SHADOW_EDGE_SOFTNESS = 0.25


def _draw_look(style: TierStyle, rng: np.random.Generator) -> _Look:
    tint = rng.uniform(-style.max_tint, style.max_tint, 2)
    blur = int(rng.choice([3, 5])) if rng.random() < style.blur_probability else 0
    quality = int(rng.integers(style.jpeg_quality[0], style.jpeg_quality[1] + 1))
    look = _Look(paper_level=rng.uniform(*style.paper_level),
                 light_span=rng.uniform(*style.light_span_levels),
                 light_angle_rad=rng.uniform(0, 2 * math.pi),
                 vignette_weight=rng.uniform(0.3, 1.0),
                 shadow_depth=rng.uniform(*style.shadow_depth),
                 shadow_angle_rad=rng.uniform(0, 2 * math.pi),
                 shadow_offset=rng.uniform(-0.35, 0.35),
                 shadow_width=rng.uniform(*(_SHADOW_WIDTH if style.wild is None
                                            else style.wild.shadow_width)),
                 # Warm lamps push red up and blue down, daylight the other way.
                 channel_gain_bgr=(1.0 + tint[0], 1.0, 1.0 + tint[1]),
                 noise_sigma=rng.uniform(*style.noise_sigma),
                 blur_ksize=blur, jpeg_quality=quality)
    if style.wild is None:
        return look
    wild = style.wild
    edge = bool(wild.shadow_edge_share and rng.random() < wild.shadow_edge_share)
    noise_sigma = look.noise_sigma
    if wild.dim_noise:
        noise_sigma *= min(MAX_DIM_GAIN, max(1.0, _NOMINAL_PAPER_LEVEL / look.paper_level))
    # However strong the gradient, the dimmest paper keeps MIN_LIT_SHARE of the brightest.
    light_span = min(look.light_span, (1.0 - MIN_LIT_SHARE) * look.paper_level)
    # The shadow falls across the middle of the frame, where the writing is.
    offset = rng.uniform(-1, 1) * WILD_SHADOW_OFFSET
    return replace(look, shadow_edge=edge, noise_sigma=noise_sigma, light_span=light_span,
                   shadow_offset=offset)


def _light_map(width: int, height: int, look: _Look, level_shift: float,
               shadow_shift: float) -> np.ndarray:
    """Grey level of white paper at each pixel, (H, W) float32: a gradient, a vignette and a
    soft shadow band. Smooth, so it is computed on a coarse grid and upscaled."""
    grid_w, grid_h = max(2, width // 8), max(2, height // 8)
    u = np.linspace(-0.5, 0.5, grid_w, dtype=np.float32)[None, :]
    v = np.linspace(-0.5, 0.5, grid_h, dtype=np.float32)[:, None]
    falloff = (math.cos(look.light_angle_rad) * u + math.sin(look.light_angle_rad) * v
               + look.vignette_weight * (u * u + v * v))
    span = falloff.max() - falloff.min()
    falloff = (falloff - falloff.min()) / span if span > 0 else falloff * 0
    light = (look.paper_level + level_shift) - look.light_span * falloff
    across = (math.cos(look.shadow_angle_rad) * u + math.sin(look.shadow_angle_rad) * v
              - (look.shadow_offset + shadow_shift))
    if look.shadow_edge:
        # A half-plane in shade: the band's width is its size, a quarter of it the edge's
        # softness (a hand a few centimetres above the sheet under a desk lamp).
        shade = 1.0 / (1.0 + np.exp(-across / (SHADOW_EDGE_SOFTNESS * look.shadow_width)))
    else:
        shade = np.exp(-0.5 * (across / look.shadow_width) ** 2)
    light = light * (1.0 - look.shadow_depth * shade)
    return cv2.resize(light.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)


def _shoot(reflectance_planes: np.ndarray, look: _Look, rng: np.random.Generator,
           level_shift: float = 0.0, shadow_shift: float = 0.0) -> np.ndarray:
    """Light the page and take the picture: (3, H, W) float32 reflectance -> (H, W, 3) uint8 BGR."""
    height, width = reflectance_planes.shape[1:]
    light = _light_map(width, height, look, level_shift, shadow_shift)
    image = cv2.merge([cv2.multiply(plane, light, scale=gain)
                       for plane, gain in zip(reflectance_planes, look.channel_gain_bgr)])
    if look.blur_ksize:
        image = cv2.GaussianBlur(image, (look.blur_ksize, look.blur_ksize), 0)
    image = cv2.scaleAdd(_gaussian_noise(rng, image.shape), look.noise_sigma, image)
    image_bgr = np.clip(image, 0, 255, out=image).astype(np.uint8)
    if look.jpeg_quality:
        ok, encoded = cv2.imencode(".jpg", image_bgr, [cv2.IMWRITE_JPEG_QUALITY, look.jpeg_quality])
        if not ok:
            raise RuntimeError("OpenCV could not JPEG-encode a frame")
        image_bgr = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
    return image_bgr


# Standard normal quantiles at the centres of 256 equal-probability bins: looking random bytes up
# in this table gives Gaussian noise (tails cut at 2.9 sigma) in under 1 ms a 640x480 frame, where
# Generator.standard_normal takes ~7 ms, a third of the 20 ms a scene may cost.
_NORMAL_QUANTILES = np.float32([NormalDist().inv_cdf((k + 0.5) / 256) for k in range(256)])


def _gaussian_noise(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Standard normal noise of `shape`, float32, from `rng` (see _NORMAL_QUANTILES)."""
    random_bytes = np.frombuffer(rng.bytes(int(np.prod(shape))), np.uint8).reshape(shape)
    return cv2.LUT(random_bytes, _NORMAL_QUANTILES)


def _translate(planes: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """Shift (3, H, W) planes by whole pixels, reflecting the border in (no interpolation, so the
    truth boxes stay exact)."""
    if dx == 0 and dy == 0:
        return planes
    shift = np.float32([[1, 0, dx], [0, 1, dy]])
    return np.stack([cv2.warpAffine(plane, shift, (plane.shape[1], plane.shape[0]),
                                    flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_REFLECT_101)
                     for plane in planes])


# ---------------------------------------------------------------------------------------------
# Command line.

DEMO_SEED = 20240607
DEMO_SETTINGS = dict(tier="camera", n_frames=90, fps=15, size=(640, 480), n_digits=10,
                     shake_px=4, sheet=True)


def _rate(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, not {text}")
    return value


def _parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 640x480, not {text!r}") from None
    if width < 64 or height < 64:
        raise argparse.ArgumentTypeError("size must be at least 64x64")
    return width, height


def _write_clip(args, **settings) -> None:
    from realtime.mnist import load_mnist

    mnist = load_mnist(args.data)
    out = Path(args.out)
    scenes = make_video(mnist.x_test, mnist.y_test, out, seed=args.seed, **settings)
    truth_path = out.with_suffix(".json")
    about = {"seed": args.seed, "tier": settings["tier"],
             **({"condition": settings["condition"]} if settings.get("condition") else {}),
             "size": list(settings["size"]),
             "shake_px": settings["shake_px"], "made_by": "python -m tools.synth"}
    truth_path.write_text(json.dumps(truth_to_json(scenes, settings["fps"], **about)) + "\n",
                          encoding="utf-8")
    capture = cv2.VideoCapture(str(out))
    try:
        frames_read = 0
        while capture.read()[0]:
            frames_read += 1
    finally:
        capture.release()
    if frames_read != len(scenes):
        raise UserError(f"{out} reads back as {frames_read} frames, not {len(scenes)}: this "
                        f"OpenCV build cannot round-trip {MP4_FOURCC} mp4 files")
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB, {len(scenes)} frames at "
          f"{settings['fps']} fps) and {truth_path}")


def _write_frames(args) -> None:
    """PNG frames (each its own scene) and their truth, frames.json, into args.out."""
    from realtime.mnist import load_mnist

    mnist = load_mnist(args.data)
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot make the folder {out}: {error.strerror}") from None
    rng = np.random.default_rng(args.seed)
    name = args.condition or args.tier
    frames = []
    for index in range(args.frames):
        scene = make_scene(mnist.x_test, mnist.y_test, rng, tier=args.tier,
                           condition=args.condition, size=args.size, n_digits=args.digits,
                           sheet=args.sheet)
        path = out / f"{name}_{index:03d}.png"
        if not cv2.imwrite(str(path), scene.image_bgr):
            raise UserError(f"cannot write {path}: check that the folder is writable")
        frames.append({"file": path.name, "digits": [d.to_json() for d in scene.digits]})
    about = {"seed": args.seed, "tier": args.tier, "condition": args.condition,
             "size": list(args.size), "made_by": "python -m tools.synth make-frames",
             "frames": frames}
    (out / "frames.json").write_text(json.dumps(about) + "\n", encoding="utf-8")
    print(f"wrote {len(frames)} frames and frames.json to {out}")


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m tools.synth make-demo|make-video|make-frames ...`; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.synth",
        description="Make videos of MNIST test digits on generated paper, with their true "
                    "boxes and labels in a .json beside the .mp4.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("make-demo", help="the shipped demo clip (fixed seed and settings)")
    video = commands.add_parser("make-video", help="a clip with your own settings")
    frames = commands.add_parser("make-frames", help="separate scenes as PNG files, truth in "
                                                     "frames.json beside them")
    for command in (demo, video, frames):
        command.add_argument("--data", help="MNIST .npz or IDX folder (default: $MNIST_NPZ)")
    demo.add_argument("--out", required=True, help="the .mp4 to write; truth goes to .json")
    video.add_argument("--out", required=True, help="the .mp4 to write; truth goes to .json")
    frames.add_argument("--out", required=True, help="the folder to write the frames into")
    demo.add_argument("--seed", type=int, default=DEMO_SEED, help=argparse.SUPPRESS)
    for command, default_frames in ((video, 60), (frames, 10)):
        looks = command.add_mutually_exclusive_group()
        looks.add_argument("--tier", choices=TIERS, default=None, help="default camera")
        looks.add_argument("--condition", choices=CONDITIONS, default=None,
                           help="one hard factor on a camera-tier scene, instead of a tier")
        command.add_argument("--frames", type=whole_number(0), default=default_frames)
        command.add_argument("--size", type=_parse_size, default=(640, 480),
                             help="WxH, e.g. 640x480")
        command.add_argument("--digits", type=whole_number(0), default=10,
                             help="digits on the sheet")
        command.add_argument("--seed", type=int, default=0)
        command.add_argument("--sheet", action=argparse.BooleanOptionalAction, default=None,
                             help="force a desk around the sheet (or none); default: the "
                                  "tier's chance")
    video.add_argument("--fps", type=_rate, default=15)
    video.add_argument("--shake-px", type=whole_number(0), default=3, help="largest camera shift")
    args = parser.parse_args(argv)
    if args.command != "make-demo" and args.condition is None and args.tier is None:
        args.tier = "camera"
    try:
        if args.command == "make-demo":
            _write_clip(args, **DEMO_SETTINGS)
        elif args.command == "make-frames":
            _write_frames(args)
        else:
            _write_clip(args, tier=args.tier, condition=args.condition, n_frames=args.frames,
                        fps=args.fps, size=args.size, n_digits=args.digits,
                        shake_px=args.shake_px, sheet=args.sheet)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
