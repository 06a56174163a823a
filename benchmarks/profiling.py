"""Where a frame's time goes: cProfile over Recognizer.recognize, top functions by cumulative time.

cProfile slows Python-level code (every call is hooked) but not the time spent inside OpenCV or
TensorFlow, so Python-heavy steps look a little bigger here than in the speed table.
"""

from __future__ import annotations

import cProfile
import pstats
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
