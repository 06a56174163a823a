"""The benchmark's output: machine facts, the tables, the targets (goals, not tests) and the JSON
file under benchmarks/results/.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"

# The goals of issue #4, printed next to the figures.
MAX_FULL_OVER_FLOOR = 2.0
MIN_USUAL_OVER_FULL = 100.0
# Issue 15's goals on every clip of the CLIPS section: the stream's mean within this of its
# floor's, its p99 within this of its own p50 (no slow frames), and the per-digit Keras loop.
MAX_STREAM_OVER_FLOOR = 2.5
MAX_P99_OVER_P50 = 2.0
# wild: issue 13's goal for the widened generator (softmax >= 92% on every tier).
MIN_END_TO_END = {"clean": 0.92, "camera": 0.92, "hard": 0.90, "wild": 0.92}
MIN_PRECISION = 0.99
TARGET_MODEL = "softmax"
# Text pages: no goal yet, the figure is reported (issue: letters are not digits).
TEXT_PAGE_TIER = "camera"


# ---------------------------------------------------------------------------------------------
# Where and on what it ran.

def machine() -> dict:
    """CPU model and cores (all, and those this process may use), OS, memory."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"cpu": cpu, "cores": os.cpu_count(), "usable_cores": usable,
            "os": platform.platform(), "memory_gb": memory_gb,
            "load_average_1min_at_start": None if load is None else round(load, 2)}


def versions() -> dict:
    import cv2
    import numpy

    from realtime.model import import_tensorflow

    return {"python": platform.python_version(), "tensorflow": import_tensorflow().__version__,
            "opencv": cv2.__version__, "numpy": numpy.__version__}


def git_state() -> dict:
    """The commit benchmarked and whether the working tree differed from it (and where)."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout

    try:
        # Porcelain lines are "XY path": two status letters and a space before the path.
        changed = [line[3:] for line in git("status", "--porcelain").splitlines() if line.strip()]
        return {"commit": git("rev-parse", "HEAD").strip(), "dirty": bool(changed),
                "changed": changed}
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None, "changed": []}


def now_utc() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


# ---------------------------------------------------------------------------------------------
# Targets.

@dataclass(frozen=True)
class Target:
    """One goal: what is measured, the goal as text, the value, and whether it is met (None: could
    not be measured in this run, or report_only: a figure watched without a goal yet)."""

    name: str
    goal: str
    value: float | None
    shown: str
    passed: bool | None
    report_only: bool = False

    @property
    def verdict(self) -> str:
        if self.report_only:
            return "report"
        return {True: "PASS", False: "MISS", None: "n/a"}[self.passed]

    def to_json(self) -> dict:
        return {"name": self.name, "goal": self.goal,
                "value": None if self.value is None else round(self.value, 4),
                "shown": self.shown, "passed": self.passed, "report_only": self.report_only}


def clip_targets(clips: list) -> list[Target]:
    """Issue 15's goals on every clip (speed.ClipSpeed): stream / floor (means), the stream's
    p99 / p50, per-digit Keras / stream (means)."""
    found = []
    for clip in clips:
        stream = clip.row("stream")
        over_floor = clip.ratio("stream", "floor")
        spread = stream.median("p99_ms") / stream.median("p50_ms") if stream else None
        keras = clip.ratio("usual_keras", "stream")
        for name, goal, value, passes in (
                (f"{clip.name}: realtime-digits / floor, mean", f"<= {MAX_STREAM_OVER_FLOOR:g}x",
                 over_floor, lambda v: v <= MAX_STREAM_OVER_FLOOR),
                (f"{clip.name}: realtime-digits p99 / its p50", f"<= {MAX_P99_OVER_P50:g}x",
                 spread, lambda v: v <= MAX_P99_OVER_P50),
                (f"{clip.name}: per-digit Keras / realtime-digits, mean",
                 f">= {MIN_USUAL_OVER_FULL:g}x", keras, lambda v: v >= MIN_USUAL_OVER_FULL)):
            found.append(Target(name, goal, value, _times(value),
                                None if value is None else passes(value)))
    return found


def targets(rows: dict, scores: list, text_scores: list = ()) -> list[Target]:
    """The issue's goals against this run's figures (rows by key, accuracy Scores, text page
    scores; the last are reported without a goal).

    Speed goals are judged on the typical frame (p50): on a shared machine a few frames stalled
    by other jobs move a mean by more than the pipeline's own changes; the ratio of means is
    shown beside it.
    """
    found = []
    for name, slow_key, fast_key, goal, passes in (
            ("realtime-digits / floor, per frame", "full", "floor",
             f"<= {MAX_FULL_OVER_FLOOR:g}x", lambda ratio: ratio <= MAX_FULL_OVER_FLOOR),
            ("per-digit Keras predict / realtime-digits, per frame", "usual_keras", "full",
             f">= {MIN_USUAL_OVER_FULL:g}x", lambda ratio: ratio >= MIN_USUAL_OVER_FULL)):
        slow, fast = rows.get(slow_key), rows.get(fast_key)
        if not (slow and fast):
            found.append(Target(name, goal, None, "-", None))
            continue
        of_p50s = slow.median("p50_ms") / fast.median("p50_ms")
        of_means = slow.median("mean_ms") / fast.median("mean_ms")
        found.append(Target(name, goal, of_p50s,
                            f"{_times(of_p50s)} p50 ({_times(of_means)} mean)", passes(of_p50s)))
    ours = {score.tier: score for score in scores
            if score.model == TARGET_MODEL and score.normalization == "ours"}
    for tier, goal in MIN_END_TO_END.items():
        value = ours[tier].end_to_end if tier in ours else None
        found.append(Target(f"end-to-end accuracy, {TARGET_MODEL}, {tier}", f">= {goal:.0%}", value,
                            _percent(value), None if value is None else value >= goal))
    for tier in MIN_END_TO_END:
        value = ours[tier].precision if tier in ours else None
        found.append(Target(f"detection precision, {tier}", f">= {MIN_PRECISION:.0%}", value,
                            _percent(value), None if value is None else value >= MIN_PRECISION))
    text = next((score for score in text_scores
                 if (score.model, score.tier) == (TARGET_MODEL, TEXT_PAGE_TIER)), None)
    found.append(Target(f"false digits per text page, {TARGET_MODEL}, {TEXT_PAGE_TIER}",
                        "none set", None if text is None else text.false_digits_per_page,
                        "-" if text is None else
                        f"{text.false_digits_per_page:.1f} ({text.detections_per_page:.1f} "
                        f"found, {_percent(text.unsure_share)} shown as '?')",
                        None, report_only=True))
    return found


def _times(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}x" if value < 1 else f"{value:.1f}x" if value < 100 else f"{value:.0f}x"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _number(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


# ---------------------------------------------------------------------------------------------
# Tables.

def table(headers: list[str], rows: list[list[str]], left_columns: int = 1) -> str:
    """Plain fixed-width text: the first `left_columns` columns left-aligned, numbers right."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells):
        return "  ".join(str(cell).ljust(width) if i < left_columns else str(cell).rjust(width)
                         for i, (cell, width) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return "\n".join([line(headers), line(["-" * width for width in widths])]
                     + [line(row) for row in rows])


def header_text(results: dict) -> str:
    facts, used, git = results["machine"], results["versions"], results["git"]
    commit = (git["commit"] or "unknown")[:12] + (" + local changes" if git["dirty"] else "")
    return (f"realtime-digits benchmark, {results['date']}\n"
            f"machine: {facts['cpu']}, {facts['cores']} cores ({facts['usable_cores']} usable), "
            f"1-min load {facts['load_average_1min_at_start']} at start, "
            f"{results.get('load_average_1min_at_end', '-')} at end\n"
            f"Python {used['python']}, TensorFlow {used['tensorflow']}, OpenCV {used['opencv']}, "
            f"NumPy {used['numpy']}; commit {commit}")


def speed_text(speed: dict, rows: list) -> str:
    clip = speed["clip"]
    by_key = {row.key: row for row in rows}
    lines = [f"SPEED: {clip['tier']}-tier clip {clip['size'][0]}x{clip['size'][1]}, "
             f"{clip['frames']} frames, {clip['true_digits_per_frame']:.1f} digits/frame drawn, "
             f"{_number(by_key['full'].median('digits_per_frame'), 1) if 'full' in by_key else '-'}"
             f" found; model {speed['model']}; median of {speed['repeats']} runs.",
             f"In-process rows take turns every {speed['chunk_frames']} frames within a run (load "
             f"bursts hit them alike); the CLI rows run after each run.",
             "Every row includes decode (VideoCapture.read of the mp4, added frame by frame).",
             ""]
    body = []
    for row in rows:
        cold = row.median("cold_start_s")
        cold_text = "-" if cold is None else (f"~{cold:.2f}" if row.key == "cli" else f"{cold:.2f}")
        body.append([row.label, f"{int(row.median('frames'))}x{len(row.runs)}",
                     _number(row.median("mean_ms")), _number(row.median("p50_ms")),
                     _number(row.median("p99_ms")), _number(row.fps, 1),
                     _number(row.median("model_us_per_call"), 0),
                     _number(row.median("model_calls_per_frame"), 1), cold_text,
                     _number(row.median("peak_rss_mb"), 0)])
    lines.append(table(["row", "frames", "mean ms", "p50 ms", "p99 ms", "fps", "model us/call",
                        "calls/frame", "cold start s", "peak RSS MB"], body))
    notes = []
    if "usual_keras" in by_key:
        notes.append(f"Keras per-digit predict is 30-50 ms a call: timed on "
                     f"{int(by_key['usual_keras'].median('frames'))} frames spread over the clip "
                     f"per run, not all {clip['frames']}.")
    elif speed.get("keras_skipped"):
        notes.append(speed["keras_skipped"])
    for key, reason in speed.get("rows_skipped", {}).items():
        notes.append(f"row {key} skipped: {reason}")
    if "cli" in by_key:
        notes.append("CLI --no-display: mean from its own 'fps mean' (no per-frame output); "
                     "~cold start = wall time outside its loop (imports, model load, exit).")
    if "cli_save_json" in by_key:
        notes.append("CLI --save --json: per-frame times from when each JSON line appears; cold "
                     "start = command start to the first line.")
    if speed.get("keras_max_difference") is not None:
        notes.append(f"Keras replica vs SavedModel: max |probability difference| "
                     f"{speed['keras_max_difference']:.1e} on one frame's digits.")
    lines += [""] + [f"  {note}" for note in notes]
    lines += ["", "Ratios (per frame, decode included; of means, and of p50s which load spikes "
              "move less):"]
    lines.append(table(["ratio", "of means", "of p50s", "goal"],
                       [[ratio.name, _times(ratio.of_means), _times(ratio.of_p50s), ratio.goal]
                        for ratio in ratio_rows(by_key)]))
    stages = stage_breakdown(by_key)
    if stages:
        lines += ["", "Stages of an in-process frame (mean ms; detect and normalize timed in the "
                  "per-digit SavedModel row, same code):",
                  "  " + " | ".join(f"{name} {value:.2f}" for name, value in stages)
                  + f" | sum {sum(value for _, value in stages):.2f} vs "
                    f"{by_key['full'].median('mean_ms'):.2f} for realtime-digits in-process"]
    return "\n".join(lines)


def clips_text(clips_section: dict, clips: list) -> str:
    """Per clip: its rows (mean, p50, p99, max), the issue-15 ratios, and the step table (mean,
    p99 and max ms a frame, and the mean over the clip's slowest tenth of frames)."""
    if not clips:
        return ""
    lines = [f"CLIPS (issue 15): every clip as a stream (Recognizer.recognize_frame on "
             f"consecutive frames), model {clips_section['model']}; median of "
             f"{clips_section['repeats']} runs, rows taking turns every "
             f"{clips_section['chunk_frames']} frames; decode included in every row; "
             f"reuse across frames: {'on' if clips_section['reuse'] else 'off'}.", ""]
    body = []
    for clip in clips:
        for row in clip.rows:
            body.append([clip.name if row.key == "decode" else "", row.label,
                         f"{int(row.median('frames'))}x{len(row.runs)}",
                         _number(row.median("mean_ms")), _number(row.median("p50_ms")),
                         _number(row.median("p99_ms")), _number(row.median("max_ms")),
                         _number(row.median("digits_per_frame"), 1)])
    lines.append(table(["clip", "row", "frames", "mean ms", "p50 ms", "p99 ms", "max ms",
                        "digits/frame"], body, left_columns=2))
    lines += ["", "Ratios per clip (goals of issue 15):"]
    body = []
    for clip in clips:
        stream = clip.row("stream")
        body.append([clip.name, f"{clip.frames}", f"{clip.true_digits_per_frame:.1f}",
                     _times(clip.ratio("stream", "floor")), _times(clip.ratio("stream", "floor", "p50_ms")),
                     _times(stream.median("p99_ms") / stream.median("p50_ms")),
                     _times(stream.median("max_ms") / stream.median("p50_ms")),
                     _times(clip.ratio("usual_keras", "stream")),
                     "-" if clip.kept_share is None else _percent(clip.kept_share),
                     "-" if clip.kept_digits_share is None else _percent(clip.kept_digits_share)])
    lines.append(table(["clip", "frames", "digits drawn", "stream/floor mean", "of p50s",
                        "p99/p50", "max/p50", "Keras/stream mean", "surface kept", "digits kept"], body))
    for clip in clips:
        lines += ["", f"Steps of a {clip.name} frame (ms; mean / p99 / max over every timed frame; "
                      f"'slowest' = mean over the frames above the stream's p90):"]
        slow = {step.step: step for step in clip.slow_frames}
        lines.append(table(["step", "mean", "p99", "max", "slowest"],
                           [[step.step, f"{step.mean_ms:.2f}", f"{step.p99_ms:.2f}",
                             f"{step.max_ms:.2f}",
                             f"{slow[step.step].mean_ms:.2f}" if step.step in slow else "-"]
                            for step in clip.steps]))
    return "\n".join(lines)


@dataclass(frozen=True)
class Ratio:
    """Row a's per-frame time over row b's: of the mean times and of the p50s (None where a row
    has no p50, as the plain CLI row)."""

    name: str
    of_means: float
    of_p50s: float | None
    goal: str = ""

    def to_json(self) -> dict:
        return {"name": self.name, "of_means": round(self.of_means, 3),
                "of_p50s": None if self.of_p50s is None else round(self.of_p50s, 3),
                "goal": self.goal}


def ratio_rows(by_key: dict) -> list[Ratio]:
    """Every ratio both of whose rows ran."""
    pairs = [("realtime-digits / floor", "full", "floor", f"<= {MAX_FULL_OVER_FLOOR:g}x"),
             ("realtime-digits / realtime grey+threshold_ink", "full", "floor_realtime", ""),
             ("CLI --no-display / in-process", "cli", "full", ""),
             ("CLI --save --json / in-process", "cli_save_json", "full", ""),
             ("usual Keras per digit / realtime-digits", "usual_keras", "full",
              f">= {MIN_USUAL_OVER_FULL:g}x"),
             ("usual SavedModel per digit / realtime-digits", "usual_signature", "full", "")]
    found = []
    for name, a, b, goal in pairs:
        if a in by_key and b in by_key:
            p50_a, p50_b = by_key[a].median("p50_ms"), by_key[b].median("p50_ms")
            found.append(Ratio(name, by_key[a].median("mean_ms") / by_key[b].median("mean_ms"),
                               p50_a / p50_b if p50_a and p50_b else None, goal))
    keras, full = by_key.get("usual_keras"), by_key.get("full")
    if keras and full and full.median("model_us_per_call"):
        model_ratio = ((keras.median("model_us_per_call") * keras.median("model_calls_per_frame"))
                       / (full.median("model_us_per_call") * full.median("model_calls_per_frame")))
        found.append(Ratio("model time per frame: Keras per digit / one batch", model_ratio, None))
    return found


def stage_breakdown(by_key: dict) -> list[tuple[str, float]]:
    """(stage, mean ms per frame): decode, detect, normalize, the model's one batched call."""
    full, usual, decode = by_key.get("full"), by_key.get("usual_signature"), by_key.get("decode")
    if not (full and usual and decode and full.median("model_us_per_call")):
        return []
    model_ms = 1e-3 * full.median("model_us_per_call") * full.median("model_calls_per_frame")
    return [("decode", decode.median("mean_ms")), ("detect", usual.median("detect_ms")),
            ("normalize", usual.median("normalize_ms")), ("model, one batch", model_ms)]


@dataclass(frozen=True)
class BackendRatio:
    """LiteRT over TensorFlow for one model: per-frame time (mean, p50), the model's one batched
    call, cold start to the first frame, and that process's peak RSS (None where a side did
    not run)."""

    model: str
    mean_ms: float | None
    p50_ms: float | None
    model_us_per_call: float | None
    cold_start_s: float | None
    peak_rss_mb: float | None

    def to_json(self) -> dict:
        return {name: (value if name == "model" or value is None else round(value, 3))
                for name, value in self.__dict__.items()}


def backend_ratios(backend_rows: dict, cold_rows: list) -> list[BackendRatio]:
    """One BackendRatio per model that ran on both backends (backend_rows: {(model, backend):
    SpeedRow})."""
    cold = {(row.model, row.backend): row for row in cold_rows}

    def litert_over_tensorflow(rows, model, name):
        litert, tensorflow = rows.get((model, "litert")), rows.get((model, "tensorflow"))
        if litert is None or tensorflow is None:
            return None
        a, b = litert.median(name), tensorflow.median(name)
        return a / b if a is not None and b else None

    return [BackendRatio(model, *(litert_over_tensorflow(backend_rows, model, name)
                                  for name in ("mean_ms", "p50_ms", "model_us_per_call")),
                         litert_over_tensorflow(cold, model, "total_s"),
                         litert_over_tensorflow(cold, model, "peak_rss_mb"))
            for model in dict.fromkeys(model for model, _ in backend_rows)
            if (model, "litert") in backend_rows and (model, "tensorflow") in backend_rows]


def backends_text(backends: dict, backend_rows: dict, cold_rows: list) -> str:
    if not (backend_rows or backends["skipped"]):
        return ""
    lines = ["BACKENDS: each model on TensorFlow (the SavedModel) and LiteRT (model.tflite), "
             "in-process on the SPEED clip, in the same runs and chunks as the SPEED rows "
             f"(median of {backends['repeats']} runs; decode included; the speed model on "
             "tensorflow is SPEED's 'realtime-digits in-process' row).", ""]
    body = [[model, backend, f"{int(row.median('frames'))}x{len(row.runs)}",
             _number(row.median("mean_ms")), _number(row.median("p50_ms")),
             _number(row.median("p99_ms")), _number(row.fps, 1),
             _number(row.median("model_us_per_call"), 0),
             _number(row.median("digits_per_frame"), 1)]
            for (model, backend), row in backend_rows.items()]
    lines.append(table(["model", "backend", "frames", "mean ms", "p50 ms", "p99 ms", "fps",
                        "model us/batch", "digits/frame"], body, left_columns=2))
    if cold_rows:
        lines += ["", f"Cold start: a fresh `python -c` imports realtime, opens the clip and "
                      f"reads frame 0, builds Recognizer(model, backend=...) and recognizes that "
                      f"frame; seconds from just before the process starts; peak RSS = its "
                      f"VmHWM after that frame; median of {len(cold_rows[0].runs)} runs.", ""]
        body = [[row.model, row.backend, str(len(row.runs)), _number(row.median("imports_s")),
                 _number(row.median("source_s")), _number(row.median("model_load_s")),
                 _number(row.median("first_frame_s")), _number(row.median("total_s")),
                 _number(row.median("peak_rss_mb"), 0),
                 "yes" if any(run.tensorflow_imported for run in row.runs) else "no"]
                for row in cold_rows]
        lines.append(table(["model", "backend", "runs", "imports s", "read frame s",
                            "model load s", "1st frame s", "total s", "peak RSS MB",
                            "TensorFlow imported"], body, left_columns=2))
    ratios = backend_ratios(backend_rows, cold_rows)
    if ratios:
        lines += ["", "LiteRT / TensorFlow (below 1x: LiteRT is faster or smaller):", ""]
        lines.append(table(["model", "per frame, mean", "per frame, p50", "model call",
                            "cold start", "peak RSS"],
                           [[r.model, _times(r.mean_ms), _times(r.p50_ms),
                             _times(r.model_us_per_call), _times(r.cold_start_s),
                             _times(r.peak_rss_mb)] for r in ratios]))
    notes = [f"{model}: LiteRT vs TensorFlow max |probability difference| {value:.1e} on one "
             f"frame's digits" for model, value in backends["max_probability_difference"].items()]
    notes += [f"{pair} skipped: {reason}" for pair, reason in backends["skipped"].items()]
    if notes:
        lines += [""] + [f"  {note}" for note in notes]
    return "\n".join(lines)


def accuracy_text(accuracy: dict, scores: list) -> str:
    lines = [f"ACCURACY on generated scenes: {accuracy['scenes_per_tier']} scenes per tier "
             f"(seed {accuracy['seed']}, {accuracy['digits_per_scene']} MNIST test digits each, "
             f"{accuracy['size'][0]}x{accuracy['size'][1]}); a detection counts when IoU >= "
             f"{accuracy['min_iou']}.",
             "ours = Recognizer.recognize; naive = same detection, tight crop stretched to 28x28 "
             "(a deskew-trained model still deskews it in its graph).", ""]
    body = [[score.tier, score.model, score.normalization, str(score.true_digits),
             str(score.found), _percent(score.recall), _percent(score.precision),
             _percent(score.accuracy_found), _percent(score.end_to_end)] for score in scores]
    lines.append(table(["tier", "model", "normalization", "digits", "found", "recall",
                        "precision", "acc on found", "end-to-end"], body, left_columns=3))
    ours = {(score.tier, score.model): score for score in scores if score.normalization == "ours"}
    models = list(dict.fromkeys(model for _, model in ours))
    if len(models) > 1:
        lines += ["", "The models side by side (ours; end-to-end, precision in brackets):", ""]
        tiers = list(dict.fromkeys(tier for tier, _ in ours))
        lines.append(table(["tier", *models],
                           [[tier, *(f"{_percent(ours[tier, model].end_to_end)} "
                                     f"({_percent(ours[tier, model].precision)})"
                                     for model in models)] for tier in tiers]))
    return "\n".join(lines)


def conditions_text(conditions: dict, scores: list) -> str:
    """One row per one-factor condition (synth.CONDITIONS), the models side by side."""
    if not scores:
        return ""
    heading = (f"CONDITIONS: one hard factor each on a camera-tier scene (synth.CONDITIONS), "
               f"{conditions['scenes_per_condition']} scenes each (seed {conditions['seed']}, "
               f"{conditions['digits_per_scene']} digits, {conditions['size'][0]}x"
               f"{conditions['size'][1]}); Recognizer.recognize; recall / precision / "
               f"end-to-end.")
    lines = [heading, ""]
    by_key = {(score.tier, score.model): score for score in scores}
    models = list(dict.fromkeys(score.model for score in scores))
    names = list(dict.fromkeys(score.tier for score in scores))
    body = [[name, *(f"{_percent(by_key[name, model].recall)} / "
                     f"{_percent(by_key[name, model].precision)} / "
                     f"{_percent(by_key[name, model].end_to_end)}" for model in models)]
            for name in names]
    lines.append(table(["condition", *models], body))
    return "\n".join(lines)


def text_pages_text(text_pages: dict, text_scores: list) -> str:
    if not text_scores:
        return ""
    min_confidence = text_scores[0].min_confidence
    lines = [f"TEXT PAGES (letters are not digits): generated pages of handwriting-like words, "
             f"no digits (synth.make_text_page, seed {text_pages['seed']}, "
             f"{text_pages['size'][0]}x{text_pages['size'][1]}), "
             f"{text_pages['pages_per_tier']} per tier. Every detection is false; a false digit "
             f"is one at confidence >= {min_confidence:g} (--min-confidence): shown as a digit, "
             f"not as '?'.", ""]
    body = [[score.tier, score.model, str(score.pages), _number(score.detections_per_page, 1),
             _number(score.false_digits_per_page, 1), str(score.most_false_digits),
             _percent(score.unsure_share), str(score.capped_pages)] for score in text_scores]
    lines.append(table(["tier", "model", "pages", "found/page", "false digits/page",
                        "worst page", "shown as '?'", "pages at cap"], body, left_columns=2))
    if any(score.capped_pages for score in text_scores):
        lines += ["", f"  pages at cap: found as many regions as --max-regions "
                      f"({text_scores[0].max_regions}) allows, so their counts are lower bounds."]
    return "\n".join(lines)


def real_photos_text(real: dict) -> str:
    """Per image (one table per size) and in total: recall, precision, CER (digits read on the
    negatives instead), ms per image, for every reader."""
    from benchmarks.real_photos import MIN_FOUND_PER_IMAGE, SCALED_SIDE_PX, short_name

    lines = [(f"REAL PHOTOS (issue 13): {real['folder']}, at full size and with the longer "
              f"side at {SCALED_SIDE_PX} px. Digits read in reading order, lines concatenated, "
              f"aligned with the true digits: recall = matched / true, precision = matched / "
              f"read, CER = edit distance / true digits; on a negative (no digit) the cell "
              f"shows the digits read, all false.")]
    readers = list(dict.fromkeys(row["reader"] for row in real["images"]))
    for size_name in dict.fromkeys(row["size_name"] for row in real["images"]):
        by_image: dict[str, dict] = {}
        for row in real["images"]:
            if row["size_name"] == size_name:
                by_image.setdefault(row["file"], {})[row["reader"]] = row
        body = []
        for file, rows in by_image.items():
            first = next(iter(rows.values()))
            cells = [short_name(file), f"{first['size'][0]}x{first['size'][1]}",
                     str(first["true_digits"])]
            for reader in readers:
                row = rows.get(reader)
                if row is None:
                    cells += ["", "", "", ""]
                elif "false_digits" in row:
                    cells += [f"neg {row['false_digits']}", "", "", f"{row['ms']:.0f}"]
                else:
                    cells += [_percent(row["recall"]), _percent(row["precision"]),
                              _number(row["cer"], 3), f"{row['ms']:.0f}"]
            body.append(cells)
        headers = ["image", "size", "true"]
        for reader in readers:
            headers += [f"{reader} rec", "prec", "CER", "ms"]
        lines += ["", f"{size_name}:", table(headers, body, left_columns=2)]
    body = [[row["reader"], row["size_name"], str(row["true_digits"]), _percent(row["recall"]),
             _percent(row["precision"]), _percent(row["found"]), _number(row["cer"], 3),
             f"{row['digits_on_negatives']} on {row['negatives']}",
             f"{row['images_under_goal']}", f"{row['median_ms']:.0f}"]
            for row in real["totals"]]
    lines += ["", "totals (sums over the images):",
              table(["reader", "size", "true", "recall", "precision", "found", "CER",
                     "negatives", f"found<{MIN_FOUND_PER_IMAGE:.0%}", "median ms"], body,
                    left_columns=2),
              ("  found = matched + substituted (read there, perhaps the wrong label) / true: "
               "detection recall without boxes.")]
    lines += [f"  {note}" for note in real["skipped"]]
    return "\n".join(lines)


def profile_text(profile: dict, lines_found: list) -> str:
    if not lines_found:
        return ""
    body = [[line.function, line.calls, f"{line.own_ms_per_frame:.3f}",
             f"{line.cumulative_ms_per_frame:.3f}"] for line in lines_found]
    return "\n".join([f"PROFILE: cProfile of Recognizer.recognize over {profile['frames']} clip "
                      f"frames, top {len(lines_found)} by cumulative time (ms per frame; "
                      f"profiling inflates Python-level calls)", "",
                      table(["function", "calls", "own ms", "cumulative ms"], body)])


def targets_text(found: list[Target]) -> str:
    body = [[target.name, target.goal, target.shown, target.verdict] for target in found]
    return "\n".join(["TARGETS (goals of issue #4, not tests):", "",
                      table(["target", "goal", "value", ""], body, left_columns=1)])


# ---------------------------------------------------------------------------------------------
# The JSON file.

def write_results(results: dict, out_dir: Path, quick: bool, real_only: bool = False,
                  speed_only: bool = False) -> list[Path]:
    """latest.json plus a dated copy (quick.json only, for --quick; real.json only, for
    --real-only; speed.json only, for --speed-only); written whole or not at all."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = results["date"].replace(":", "").replace("-", "").replace("+0000", "Z")
    names = (["real.json"] if real_only else ["quick.json"] if quick else ["speed.json"] if speed_only
             else ["latest.json", f"bench-{stamp}.json"])
    text = json.dumps(results, indent=1) + "\n"
    paths = []
    for name in names:
        path = out_dir / name
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
        paths.append(path)
    return paths
