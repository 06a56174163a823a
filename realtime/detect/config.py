"""All tuning of detection: one frozen config per step, held by Settings.detect.

A test or a user changes one value by building a config, never by patching a module:
`dataclasses.replace(settings, detect=settings.detect.replace(rules=RuleConfig(same_line_px=1)))`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from realtime.detect.boxes import BoxConfig
from realtime.detect.filters import ContrastConfig, ShapeConfig, WordConfig
from realtime.detect.intensity import IntensityConfig
from realtime.detect.reading import ReadingConfig
from realtime.detect.reuse import ReuseConfig
from realtime.detect.rules import RuleConfig
from realtime.detect.strokes import StrokeConfig
from realtime.detect.surface import SurfaceConfig
from realtime.detect.threshold import ThresholdConfig
from realtime.detect.working import WorkingConfig


@dataclass(frozen=True)
class DetectConfig:
    """The configs of detection's steps, in pipeline order."""

    working: WorkingConfig = field(default_factory=WorkingConfig)
    surface: SurfaceConfig = field(default_factory=SurfaceConfig)
    threshold: ThresholdConfig = field(default_factory=ThresholdConfig)
    boxes: BoxConfig = field(default_factory=BoxConfig)
    rules: RuleConfig = field(default_factory=RuleConfig)
    strokes: StrokeConfig = field(default_factory=StrokeConfig)
    shape: ShapeConfig = field(default_factory=ShapeConfig)
    contrast: ContrastConfig = field(default_factory=ContrastConfig)
    words: WordConfig = field(default_factory=WordConfig)
    reading: ReadingConfig = field(default_factory=ReadingConfig)
    intensity: IntensityConfig = field(default_factory=IntensityConfig)
    # Not a step: what a stream keeps from frame to frame (Recognizer.stream's StreamReuse).
    reuse: ReuseConfig = field(default_factory=ReuseConfig)

    def replace(self, **steps) -> DetectConfig:
        """A copy with some steps' configs replaced (dataclasses.replace)."""
        return dataclasses.replace(self, **steps)
