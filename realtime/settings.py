"""Every knob of recognition and output in one frozen value, built once by the CLI and passed down."""

from __future__ import annotations

from dataclasses import dataclass, field

from realtime.detect.config import DetectConfig
from realtime.split import SplitConfig

THRESHOLD_MODES = ("adaptive", "otsu")
INVERT_MODES = ("auto", "yes", "no")


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
    """

    threshold: str = "adaptive"
    invert: str = "auto"
    min_confidence: float = 0.5
    max_regions: int = 160
    mirror: bool = False
    smooth: int = 0
    detect: DetectConfig = field(default_factory=DetectConfig)
    split: SplitConfig = field(default_factory=SplitConfig)

    def __post_init__(self):
        from realtime.errors import UserError

        if self.threshold not in THRESHOLD_MODES:
            raise UserError(f"unknown threshold mode {self.threshold!r}: use one of {', '.join(THRESHOLD_MODES)}")
        if self.invert not in INVERT_MODES:
            raise UserError(f"unknown invert mode {self.invert!r}: use one of {', '.join(INVERT_MODES)}")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise UserError(f"min confidence {self.min_confidence} is outside 0..1: give a probability such as 0.5")
        if self.max_regions < 1:
            raise UserError(f"max regions {self.max_regions} must be at least 1")
        if self.smooth < 0:
            raise UserError(f"--smooth {self.smooth} is negative: give 0 (off) or a number of frames such as 5")
