"""Every knob of recognition and output in one frozen value, built once by the CLI and passed down."""

from __future__ import annotations

from dataclasses import dataclass, field

from realtime.detect.config import DetectConfig
from realtime.split import SplitConfig

THRESHOLD_MODES = ("adaptive", "otsu")
INVERT_MODES = ("auto", "yes", "no")
# The digit check's cut: a region is kept when its isDigit >= this. Low on purpose: the check
# must not cost the classifiers digits, and it is least sure of thin 1s and open 4s. Measured with
# the shipped check: at 0.001 it keeps 99.81% of MNIST's test digits (4s 99.39%) and 57% of font
# letters; generated scenes (40 a tier) lose one clean digit of 400 at every cut from 0.0005 to
# 0.005 and none on camera and hard; on ../shared/data/real at 640 px, 0.002 already drops a
# chalk 1 and a form's 1 that 0.001 keeps, and 0.01 costs hard scenes 3 cnn digits of 400.
MIN_IS_DIGIT = 0.001
# Off by default: measured after every detection change of issue 13 had landed, on
# ../shared/data/real at 640 px it takes 1 false digit off the negatives (7 -> 6) but costs real
# digits (cnn CER 0.175 -> 0.185, softmax 0.249 -> 0.253) and one clean-tier digit in 500; on
# generated text pages it takes a third of the false digits away (camera 28.4 -> 19.1 a page).
# Since then the word filter judges words on their marks as written and the negatives give 0
# without the check. Worth turning on (--digit-check) for a view full of text, such as a screen region.
DIGIT_CHECK_BY_DEFAULT = False


@dataclass(frozen=True)
class Settings:
    """How to find and label digits.

    threshold: "adaptive" (local mean; survives uneven light) or "otsu" (one global cut on the
    background-subtracted image). invert: "auto" detects dark-on-light vs light-on-dark, "yes"
    forces light ink on dark, "no" dark ink on light. min_confidence: below it a digit is shown
    as "?". max_regions: at most this many digit candidates per frame, so a frame of noise cannot
    stall the loop; high enough for a page of digits (a 110-digit worksheet keeps 99 regions
    after the filters; the old 64 dropped its 35 smallest, the 1s first). What a region costs past
    the filters is its normalization and its row of the model batch, ~0.25 ms (cnn, 2 cores;
    scripts/region_cap_cost.py); the pixel checks before are bounded on their own
    (ShapeConfig.max_pixel_checks). mirror: flip frames left-right before recognition (selfie view).
    smooth: frames of memory for steady labels (0 = off; each frame's own reading).
    detect: the tuning of every detection step (realtime.detect.config), each value with its reason.
    split: when a region too wide for one digit is read as two touching digits (realtime.split).
    digit_check: run the "not a digit" check (realtime.digit_check, models/notdigit) on each
    frame's batch and drop the regions it judges not to be digits; min_is_digit: its cut, the
    isDigit probability a region needs to be kept (see MIN_IS_DIGIT for why that value).
    """

    threshold: str = "adaptive"
    invert: str = "auto"
    min_confidence: float = 0.5
    max_regions: int = 160
    mirror: bool = False
    smooth: int = 0
    detect: DetectConfig = field(default_factory=DetectConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    digit_check: bool = DIGIT_CHECK_BY_DEFAULT
    min_is_digit: float = MIN_IS_DIGIT

    def __post_init__(self):
        from realtime.errors import UserError

        if self.threshold not in THRESHOLD_MODES:
            raise UserError(f"unknown threshold mode {self.threshold!r}: use one of {', '.join(THRESHOLD_MODES)}")
        if self.invert not in INVERT_MODES:
            raise UserError(f"unknown invert mode {self.invert!r}: use one of {', '.join(INVERT_MODES)}")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise UserError(f"min confidence {self.min_confidence} is outside 0..1: give a probability such as 0.5")
        if not 0.0 <= self.min_is_digit <= 1.0:
            raise UserError(f"min is-digit {self.min_is_digit} is outside 0..1: give a probability such as "
                            f"{MIN_IS_DIGIT}")
        if self.max_regions < 1:
            raise UserError(f"max regions {self.max_regions} must be at least 1")
        if self.smooth < 0:
            raise UserError(f"--smooth {self.smooth} is negative: give 0 (off) or a number of frames such as 5")
