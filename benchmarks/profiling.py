"""Where a frame's time goes: cProfile over Recognizer.recognize, top functions by cumulative time.

cProfile slows Python-level code (every call is hooked) but not the time spent inside OpenCV or
TensorFlow, so Python-heavy steps look a little bigger here than in the speed table.
"""

from __future__ import annotations

import cProfile
import pstats
import time
import types
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ProfileLine:
    """One function: calls (primitive calls, or "total/primitive" when recursive), its own time and
    its time with everything it called, both in ms per frame."""

    function: str
    calls: str
    own_ms_per_frame: float
    cumulative_ms_per_frame: float

    def to_json(self) -> dict:
        return {"function": self.function, "calls": self.calls,
                "own_ms_per_frame": round(self.own_ms_per_frame, 4),
                "cumulative_ms_per_frame": round(self.cumulative_ms_per_frame, 4)}


def profile_recognizer(recognizer, frames, top: int = 15) -> list[ProfileLine]:
    """Profile `recognizer.recognize` over `frames` (after one untimed frame) and return the
    `top` functions by cumulative time, the profiling loop itself left out."""
    if not frames:
        return []
    recognizer.recognize(frames[0])
    profiler = cProfile.Profile()
    profiler.enable()
    for frame in frames:
        recognizer.recognize(frame)
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    entries = sorted(stats.items(), key=lambda item: item[1][3], reverse=True)
    lines = []
    for (file, line, function), (primitive, total, own_s, cumulative_s, _) in entries:
        if function == "<method 'disable' of '_lsprof.Profiler' objects>":
            continue
        calls = str(primitive) if primitive == total else f"{total}/{primitive}"
        lines.append(ProfileLine(_name(file, line, function), calls, 1e3 * own_s / len(frames),
                                 1e3 * cumulative_s / len(frames)))
        if len(lines) == top:
            break
    return lines


def _name(file: str, line: int, function: str) -> str:
    """'realtime/detect.py:133(find_digits)', 'numpy:_function_base_impl.py:3815(_ureduce)' or a
    built-in's own name ('<built-in method cv2.adaptiveThreshold>')."""
    if file == "~":
        return function
    path = Path(file)
    if "site-packages" in path.parts:
        package = path.parts[path.parts.index("site-packages") + 1]
        return f"{package}:{path.name}:{line}({function})"
    try:
        shown = str(path.resolve().relative_to(REPO))
    except ValueError:
        shown = path.name
    return f"{shown}:{line}({function})"


# ---------------------------------------------------------------------------------------------
# Where a frame's time goes, step by step (no profiler: plain clocks around each step).

# The detection steps of realtime.detect.find_digits, each the functions find_digits calls for
# it (names in realtime.detect's own namespace; a name not there is skipped, so a step added or
# renamed shows up under "detect, other" instead of breaking the benchmark).
DETECT_STEPS = {
    "working": ("to_working_gray",),
    "surface": ("surface_of", "find_paper", "ink_polarity_of", "ink_is_light", "ink_bright_image"),
    "threshold": ("local_contrast", "ink_offsets", "threshold_ink", "keep_ink_cores"),
    "boxes": ("remove_boxes",),
    "rules": ("without_rules", "remove_rules", "erase_rules"),
    "components": ("ink_components",),
    "strokes": ("pieces_worth_merging", "pieces_typical_height", "merge_broken_strokes", "split_thin_lines"),
    "filters": ("plausible_digits", "too_wide", "ink_contrast", "in_words", "in_written_words", "letter_sized"),
    "reading": ("reading_order",),
    "intensity": ("ink_intensity",),
}
# The Recognizer's own stages after detection, each the functions realtime.pipeline calls for it.
PIPELINE_STEPS = {
    "split": ("propose_cuts", "keep_sure_cuts", "rows_and_boxes"),
    "numbers": ("group_numbers",),
}
# A stream's kept digits (realtime.detect.kept_digits): the check of each kept digit, the
# windows to detect again, and putting the frame's regions together.
KEPT_DIGITS_STEPS = ("plan", "merge", "finish")
STEP_NAMES = (*DETECT_STEPS, "detect, other", "kept digits", "normalize", "split", "model", "numbers")


class StepClock:
    """Clocks every detection step, the normalize stage, the split, the model call and the
    numbers of one Recognizer while entered (`with clock:`), by wrapping the functions
    find_digits and the Recognizer look up in their modules (and the recognizer's own
    digits_28x28 and model.predict) and restoring them on exit.

    `frame_ms()` after a frame gives {step: ms} for it (STEP_NAMES; "detect, other" is
    find_digits' time outside the named steps) and starts the next frame. A wrapper costs about
    a microsecond a call, some 30 calls a frame.
    """

    def __init__(self, recognizer):
        self.recognizer = recognizer
        self._seconds: dict[str, float] = {}
        self._saved: list[tuple[object, str, object, bool]] = []

    def _wrap(self, owner, name: str, step: str) -> None:
        function = getattr(owner, name, None)
        if function is None:
            return
        own = isinstance(owner, types.ModuleType) or name in vars(owner)
        seconds = self._seconds

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                seconds[step] = seconds.get(step, 0.0) + time.perf_counter() - started

        self._saved.append((owner, name, function, own))
        setattr(owner, name, timed)

    def __enter__(self):
        import realtime.detect
        import realtime.pipeline

        for step, names in DETECT_STEPS.items():
            for name in names:
                self._wrap(realtime.detect, name, step)
        self._wrap(realtime.pipeline, "find_digits", "detect")
        # A stream's frame: its working view and the windows detected again (kept digits).
        self._wrap(realtime.pipeline, "working_view", "detect")
        self._wrap(realtime.pipeline, "digits_in", "detect")
        for name in KEPT_DIGITS_STEPS:
            self._wrap(realtime.pipeline.KeptDigits, name, "kept digits")
        for step, names in PIPELINE_STEPS.items():
            for name in names:
                self._wrap(realtime.pipeline, name, step)
        self._wrap(self.recognizer, "digits_28x28", "normalize")
        self._wrap(self.recognizer.model, "predict", "model")
        return self

    def __exit__(self, *exc):
        for owner, name, function, own in reversed(self._saved):
            if own:
                setattr(owner, name, function)
            else:
                delattr(owner, name)  # an instance's wrapper over its class's method
        self._saved.clear()
        return False

    def frame_ms(self) -> dict[str, float]:
        seconds = dict(self._seconds)
        self._seconds.clear()  # in place: the wrappers hold this dict
        detect = seconds.pop("detect", 0.0)
        ms = {step: 1e3 * seconds.get(step, 0.0) for step in STEP_NAMES
              if step != "detect, other"}
        ms["detect, other"] = max(0.0, 1e3 * detect - sum(ms[step] for step in DETECT_STEPS))
        return {step: ms[step] for step in STEP_NAMES}
