"""Speed: what one 640x480 frame costs, from the floor (decode, grey, threshold, contours) through
realtime-digits (in-process and as the CLI) to the usual per-digit approach; and each model on
each backend (TensorFlow, LiteRT): in-process, and from a cold start in a fresh process.

Every row runs on one generated camera-tier clip. A run of the in-process rows goes through the
clip in chunks of CHUNK_FRAMES frames, and every row times each chunk in turn (order rotated
chunk by chunk), so a burst of load from other jobs on a shared machine hits every row alike.
Those rows read frames decoded once into memory and add, frame by frame, the decode time the
decode row measured for the same frame in the same run (VideoCapture.read of the same mp4), so
every row carries decode the same way, as the CLI rows, which decode as they go, do. The CLI rows
run whole after each run. Rows are reported as the median of their runs.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import functools
import json
import math
import os
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from realtime.contract import DESKEW_IN_GRAPH_KEY, METRICS_FILE
from realtime.detect import find_digits, local_contrast, remove_rules, threshold_ink, to_working_gray
from realtime.normalize import normalize_regions
from realtime.settings import Settings
from tools import synth

REPO = Path(__file__).resolve().parent.parent

# The clip: what a webcam pointed at a sheet on a desk sends. Camera tier (uneven light, a shadow,
# noise, some blur) with the desk around the sheet, the harder case for detection; 10 digits.
CLIP_TIER = "camera"
CLIP_SIZE = (640, 480)
CLIP_DIGITS = 10
CLIP_FPS = 15
CLIP_SEED = 4
# Frames each row times before the next row takes over: short enough that a few seconds of load
# from other jobs spread over every row, long enough that switching rows (cold caches) is rare.
CHUNK_FRAMES = 20
# Untimed frames at the start of every run: the first signature call and first-touched buffers
# are start-up cost, not per-frame cost (the CLI rows report start-up as cold start instead).
WARMUP_FRAMES = 3
# Keras' first predict() builds its predict function (hundreds of ms); one frame warms it.
KERAS_WARMUP_FRAMES = 1
# How often the CLI's --json file is looked at: far below a frame (~15 ms), and one stat() a
# millisecond costs well under 1% of a core.
JSON_POLL_S = 0.001
# The floor's adaptive threshold: a neighbourhood about a digit wide at 640x480 (px, odd) and the
# offset in grey levels, as detect's own adaptive threshold uses at this size.
BARE_BLOCK_PX = 49
BARE_OFFSET = 12
# The floor's blur before the threshold: the 5x5 Gaussian the usual webcam digit scripts use
# (issue 15's floor is decode + grey + blur + adaptive threshold + contours).
BARE_BLUR_PX = 5
# The CLI's peak RSS is its /proc VmHWM (its own high-water mark since exec), read this often;
# the last reading before exit is the peak. ru_maxrss from wait4/getrusage(RUSAGE_CHILDREN) is no
# use: Linux carries the parent's high-water mark across fork+exec, so every child would report
# this benchmark process's own ~1 GB.
RSS_POLL_S = 0.02
CLI_ROWS = ("cli", "cli_save_json")
# The backend comparison: these models (those present) on every backend.
BACKEND_MODELS = ("softmax", "cnn")
# A cold start that takes longer than this is hung, not slow (TensorFlow imports in ~5-10 s on
# a loaded 2-core machine).
COLD_START_TIMEOUT_S = 180
# The cold start, as a user's script would do it: import, open the clip and read its first frame
# (as the CLI does, before the model), build the Recognizer, recognize that frame. Prints the
# wall-clock time at each step and its own VmHWM (its peak RSS since exec) as one JSON line.
COLD_START_SCRIPT = """\
import json, sys, time
from realtime.pipeline import Recognizer
from realtime.sources import open_source
imported = time.time()
clip_path, model_dir, backend = sys.argv[1:]
with open_source(clip_path) as source:
    frame = next(iter(source))
    opened = time.time()
    recognizer = Recognizer(model_dir, backend=backend)
    loaded = time.time()
    digits = len(recognizer.recognize(frame.image_bgr))
    done = time.time()
peak_rss_kb = 0
with open("/proc/self/status") as status:
    for line in status:
        if line.startswith("VmHWM:"):
            peak_rss_kb = int(line.split()[1])
print(json.dumps({"imported": imported, "opened": opened, "loaded": loaded, "done": done,
                  "digits": digits, "peak_rss_kb": peak_rss_kb,
                  "tensorflow_imported": "tensorflow" in sys.modules}), flush=True)
"""
CLI_SUMMARY = re.compile(r"(\d+) frames, (\d+) digits, ([\d.]+) fps mean")

ROW_LABELS = {
    "decode": "decode only (VideoCapture.read, mp4)",
    "floor": "floor: decode+grey+blur+threshold+contours",
    "floor_realtime": "decode+realtime grey+threshold_ink+contours",
    "full": "realtime-digits in-process (recognize)",
    "cli": "realtime-digits CLI --no-display",
    "cli_save_json": "CLI --no-display --save --json",
    "usual_signature": "usual: per-digit SavedModel call",
    "usual_keras": "usual: per-digit Keras predict",
    "video_opencv": "decode + video write: OpenCV mp4v (before)",
    "video_streaming": "decode + video write: --save .mp4 now",
}
ROW_NOTES = {
    "decode": "cv2.VideoCapture.read of the clip, frame by frame; included in every row below",
    "floor": "cv2.cvtColor(BGR2GRAY) + cv2.GaussianBlur(5x5) + cv2.adaptiveThreshold(49 px, offset 12) + "
             "cv2.findContours(RETR_EXTERNAL): the least any threshold-and-contours recognizer "
             "spends, independent of realtime's internals",
    "floor_realtime": "realtime.detect.to_working_gray + threshold_ink + remove_rules over the whole frame (no "
                      "paper search, so its rule removal sees the desk and the sheet's edges) + "
                      "cv2.findContours(RETR_EXTERNAL); a reference, not a floor",
    "full": "Recognizer.recognize per in-memory frame: detect, normalize, one batched "
            "SavedModel call",
    "cli": "python -m realtime CLIP --no-display: mean from the CLI's own 'fps mean' (loop only); "
           "cold start column: wall time outside the loop (imports, model load, exit)",
    "cli_save_json": "python -m realtime CLIP --no-display --save OUT.mp4 --json OUT.jsonl: "
                     "per-frame times from when each JSON line appears (polled every 1 ms); "
                     "cold start: command start to the first JSON line",
    "usual_signature": "same detection and normalization, then one SavedModel signature call "
                       "per digit",
    "usual_keras": "same detection and normalization, then one tf.keras Sequential "
                   "Dense(10, softmax) .predict() per digit (W, b read from the SavedModel)",
    "video_opencv": "cv2.VideoWriter(mp4v) .write of each frame: how --save .mp4 wrote before "
                    "(index at the end: a killed run left nothing playable); closing not timed",
    "video_streaming": "realtime.sinks.StreamingVideoWriter (VideoSink's for .mp4) .write of each "
                       "frame: PyAV, fragmented "
                       "MP4, H.264 (libx264 ultrafast, zerolatency; mpeg4 without it), a "
                       "keyframe a second; closing not timed",
}
BACKEND_ROW_NOTE = ("Recognizer(model, backend=...).recognize per in-memory frame, timed in the "
                    "same runs and chunks as the rows above; model time is its one batched call")


class RowSkipped(RuntimeError):
    """A row that could not run (its reason is printed and saved; the other rows go on)."""


@dataclass(frozen=True)
class Clip:
    """The benchmark video: path to the mp4 (for the CLI rows), its frames decoded once
    ((H, W, 3) uint8 BGR each) and the true digits per frame."""

    path: Path
    frames_bgr: tuple[np.ndarray, ...]
    true_digits_per_frame: float


@dataclass(frozen=True)
class RunStats:
    """One timed pass of one row. Times per frame in ms with decode included; model time per call
    in µs; None where a row cannot tell (a CLI without per-frame output)."""

    frames: int
    mean_ms: float
    p50_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    model_us_per_call: float | None = None
    model_calls_per_frame: float | None = None
    detect_ms: float | None = None
    normalize_ms: float | None = None
    digits_per_frame: float | None = None
    cold_start_s: float | None = None
    peak_rss_mb: float | None = None
    wall_s: float | None = None


@dataclass(frozen=True)
class SpeedRow:
    """A row of the speed table: every run of it, reported as the median of the runs."""

    key: str
    runs: tuple[RunStats, ...]
    label: str
    note: str

    def median(self, name: str) -> float | None:
        return _median(self.runs, name)

    @property
    def fps(self) -> float:
        return 1000.0 / self.median("mean_ms")

    def to_json(self) -> dict:
        fields = [name for name in RunStats.__dataclass_fields__ if name != "frames"]
        return {"key": self.key, "label": self.label, "note": self.note,
                "runs": len(self.runs), "frames_per_run": int(self.median("frames")),
                **{name: _rounded(self.median(name)) for name in fields},
                "fps": _rounded(self.fps),
                "runs_mean_ms": [_rounded(run.mean_ms) for run in self.runs],
                "per_run": [asdict(run) for run in self.runs]}


def _median(runs, name: str) -> float | None:
    """Median of one field over runs, the runs where it is None left out (None if all are)."""
    values = [getattr(run, name) for run in runs if getattr(run, name) is not None]
    return float(np.median(values)) if values else None


def _rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


@dataclass(frozen=True)
class BackendCase:
    """One model on one backend: its loaded Recognizer, timed in-process in the speed row
    `row_key`, and its model folder for the cold start in a fresh process."""

    model: str
    backend: str
    model_dir: Path
    recognizer: object
    row_key: str

    @classmethod
    def load(cls, model: str, backend: str, model_dir: Path, speed_model: str,
             tensorflow_recognizers: dict) -> BackendCase:
        """A Recognizer for the pair: one of `tensorflow_recognizers` (by model name) where it
        is there, else a new one. The speed model on TensorFlow is the "full" row (timed once);
        every other pair gets a row of its own. Raises UserError when the backend cannot load
        the model (no model.tflite, no ai-edge-litert)."""
        from realtime.pipeline import Recognizer

        recognizer = (tensorflow_recognizers.get(model) if backend == "tensorflow" else None)
        if recognizer is None:
            recognizer = Recognizer(str(model_dir), backend=backend)
        row_key = ("full" if (model, backend) == (speed_model, "tensorflow")
                   else f"pipeline {model} {backend}")
        return cls(model, backend, model_dir, recognizer, row_key)

    @property
    def label(self) -> str:
        return f"in-process {self.model}, {self.backend}"


# ---------------------------------------------------------------------------------------------
# The clip.

def make_clip(x_test: np.ndarray, y_test: np.ndarray, folder: Path, n_frames: int) -> Clip:
    """Write the camera-tier benchmark mp4 into `folder` and decode it once into memory."""
    path = Path(folder) / "bench_camera.mp4"
    scenes = synth.make_video(x_test, y_test, path, tier=CLIP_TIER, n_frames=n_frames,
                              fps=CLIP_FPS, size=CLIP_SIZE, n_digits=CLIP_DIGITS, seed=CLIP_SEED,
                              sheet=True)
    frames_bgr = read_frames(path)
    if len(frames_bgr) != n_frames:
        raise RuntimeError(f"{path} decodes to {len(frames_bgr)} frames, not {n_frames}: this "
                           f"OpenCV build cannot round-trip mp4v files")
    return Clip(path, tuple(frames_bgr), float(np.mean([len(s.digits) for s in scenes])))


def read_frames(path: Path) -> list[np.ndarray]:
    """Every frame of a video, (H, W, 3) uint8 BGR each, read as the CLI reads it."""
    from realtime.sources import open_source

    with open_source(str(path)) as source:
        return [frame.image_bgr for frame in source]


# ---------------------------------------------------------------------------------------------
# In-process rows.

@dataclass(frozen=True)
class FrameClocks:
    """What a step measured inside one frame besides its total time: each model call (s),
    detection and normalization (s), digits found. None where the step does not have it."""

    model_calls_s: tuple[float, ...] = ()
    detect_s: float | None = None
    normalize_s: float | None = None
    digits: int | None = None


class TimedRow:
    """One in-process row during one run: `step(frame_bgr) -> FrameClocks | None` timed frame
    by frame over the chunks it is given. `around` makes a context entered around each chunk."""

    def __init__(self, step, frames, warmup_frames: int = WARMUP_FRAMES, around=None):
        self.step = step
        self.frames = frames
        self.warmup_frames = warmup_frames
        self.around = around or contextlib.nullcontext
        self.process_ms: dict[int, float] = {}
        self.clocks: dict[int, FrameClocks | None] = {}

    def warm_up(self) -> None:
        with self.around():
            for frame in self.frames[:self.warmup_frames]:
                self.step(frame)

    def time(self, indices) -> None:
        with self.around():
            for i in indices:
                started = time.perf_counter()
                clocks = self.step(self.frames[i])
                self.process_ms[int(i)] = 1e3 * (time.perf_counter() - started)
                self.clocks[int(i)] = clocks

    def stats(self, decode_ms: np.ndarray) -> RunStats:
        """This run's figures, decode_ms[i] added to frame i."""
        indices = sorted(self.process_ms)
        frame_ms = np.array([self.process_ms[i] for i in indices]) + decode_ms[indices]
        clocks = [self.clocks[i] for i in indices if self.clocks[i] is not None]
        if not clocks:
            return _stats(frame_ms)
        calls_s = [call for clock in clocks for call in clock.model_calls_s]

        def mean_of(name):
            values = [getattr(c, name) for c in clocks if getattr(c, name) is not None]
            return float(np.mean(values)) if values else None

        detect_s, normalize_s = mean_of("detect_s"), mean_of("normalize_s")
        return _stats(frame_ms,
                      model_us_per_call=1e6 * float(np.mean(calls_s)) if calls_s else None,
                      model_calls_per_frame=len(calls_s) / len(indices),
                      detect_ms=None if detect_s is None else 1e3 * detect_s,
                      normalize_ms=None if normalize_s is None else 1e3 * normalize_s,
                      digits_per_frame=mean_of("digits"))


class DecodeRow:
    """VideoCapture.read of the clip, chunk by chunk in step with the other rows; keeps each
    frame's read time for them (decode_ms)."""

    def __init__(self, path: Path, n_frames: int):
        self.path = path
        self.decode_ms = np.full(n_frames, np.nan)
        self._capture = None

    def __enter__(self):
        self._capture = cv2.VideoCapture(str(self.path))
        if not self._capture.isOpened():
            raise RuntimeError(f"cannot open {self.path} for reading")
        return self

    def __exit__(self, *exc):
        self._capture.release()
        return False

    def time(self, indices) -> None:
        for i in indices:
            started = time.perf_counter()
            ok, _ = self._capture.read()
            elapsed = time.perf_counter() - started
            if not ok:
                raise RuntimeError(f"{self.path} ended before frame {i}")
            self.decode_ms[i] = 1e3 * elapsed

    def stats(self) -> RunStats:
        return _stats(self.decode_ms)


def _stats(frame_ms: np.ndarray, **extra) -> RunStats:
    return RunStats(frames=len(frame_ms), mean_ms=float(np.mean(frame_ms)),
                    p50_ms=float(np.percentile(frame_ms, 50)),
                    p99_ms=float(np.percentile(frame_ms, 99)), max_ms=float(np.max(frame_ms)),
                    **extra)


def floor_step(frame_bgr: np.ndarray) -> None:
    """The floor: grey, blur, one adaptive threshold, outer contours; no paper, no model."""
    gray = cv2.GaussianBlur(cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY), (BARE_BLUR_PX, BARE_BLUR_PX), 0)
    ink_mask = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV,
                                     BARE_BLOCK_PX, BARE_OFFSET)
    cv2.findContours(ink_mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)


def floor_realtime_step(frame_bgr: np.ndarray, threshold_mode: str) -> None:
    """realtime's own grey, threshold and rule removal over the whole frame, then outer contours."""
    config = Settings().detect
    gray = to_working_gray(frame_bgr, config.working)[0]
    # Dark ink on paper, as detect does: bright = ink from here on.
    ink_bright = 255 - gray
    contrast = local_contrast(ink_bright, config.threshold)
    ink_mask = remove_rules(threshold_ink(ink_bright, contrast, None, threshold_mode, config.threshold),
                            contrast, config.rules)
    cv2.findContours(ink_mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)


class _TimedCalls:
    """Wraps a function and keeps the seconds of every call (for the model inside recognize)."""

    def __init__(self, function):
        self.function = function
        self.seconds: list[float] = []

    def __call__(self, *args):
        started = time.perf_counter()
        result = self.function(*args)
        self.seconds.append(time.perf_counter() - started)
        return result


def recognizer_row(recognizer, frames) -> TimedRow:
    """The full pipeline exactly as Recognizer.recognize runs it. Its one batched model call is
    timed by a wrapper set on this instance's `model.predict` around each chunk (and only then,
    so the per-digit rows call the model unwrapped)."""
    timed = _TimedCalls(recognizer.model.predict)

    @contextlib.contextmanager
    def model_timed():
        recognizer.model.predict = timed
        try:
            yield
        finally:
            del recognizer.model.predict

    def step(frame_bgr):
        timed.seconds.clear()
        digits = len(recognizer.recognize(frame_bgr))
        # recognize skips the model on a frame without digits: then no call is counted.
        return FrameClocks(tuple(timed.seconds), digits=digits)

    return TimedRow(step, frames, around=model_timed)


def video_write_row(writer, frames) -> TimedRow:
    """Each frame handed to an open video writer (cv2.VideoWriter or VideoSink's own
    StreamingVideoWriter, both write(image_bgr)): what --save
    adds per frame. The writer is opened and closed around the run by the caller."""

    def step(frame_bgr):
        writer.write(frame_bgr)

    return TimedRow(step, frames)


@contextlib.contextmanager
def video_writers(workdir: Path, fps: float, size: tuple[int, int]):
    """{row key: open writer} for the video rows, closed (and their files removed) after."""
    from realtime.sinks import StreamingVideoWriter

    opencv = cv2.VideoWriter(str(workdir / "bench_opencv.mp4"), cv2.VideoWriter_fourcc(*"mp4v"),
                             fps, size)
    if not opencv.isOpened():
        raise RuntimeError("OpenCV cannot write mp4v here")
    try:
        streaming = StreamingVideoWriter(workdir / "bench_streaming.mp4", fps, size)
        try:
            yield {"video_opencv": opencv, "video_streaming": streaming}
        finally:
            streaming.release()
    finally:
        opencv.release()
        for name in ("bench_opencv.mp4", "bench_streaming.mp4"):
            (workdir / name).unlink(missing_ok=True)


def per_digit_row(recognizer, predict_one, frames, warmup_frames: int = WARMUP_FRAMES) -> TimedRow:
    """The usual approach: the same detection and normalization, then `predict_one((1, 28, 28))`
    once per digit. Also times detection and normalization on their own (the stage breakdown)."""
    settings = recognizer.settings

    def step(frame_bgr):
        started = time.perf_counter()
        regions = find_digits(frame_bgr, settings)
        detected = time.perf_counter()
        digits = normalize_regions(regions.ink_work, regions.boxes_work)
        normalized = time.perf_counter()
        calls_s, labels = [], []
        for digit in digits:
            call_started = time.perf_counter()
            probabilities = predict_one(digit[None])
            calls_s.append(time.perf_counter() - call_started)
            labels.append(int(probabilities.argmax()))
        return FrameClocks(tuple(calls_s), detected - started, normalized - detected, len(labels))

    return TimedRow(step, frames, warmup_frames=warmup_frames)


def keras_replica(model_dir: Path):
    """The usual webcam project's model: a tf.keras Sequential Dense(10, softmax) holding the
    SavedModel's W (784, 10) and b (10,). Returns (model, "") or (None, why not)."""
    from realtime.model import import_tensorflow

    tf = import_tensorflow()
    loaded = tf.saved_model.load(str(model_dir))
    weights = [v.numpy() for v in loaded.variables if tuple(v.shape) == (784, 10)]
    biases = [v.numpy() for v in loaded.variables if tuple(v.shape) == (10,)]
    if len(loaded.variables) != 2 or len(weights) != 1 or len(biases) != 1:
        return None, (f"{model_dir.name} is not a single softmax layer (W 784x10, b 10): "
                      f"no Keras replica")
    layers = [tf.keras.Input((784,))]
    metrics_path = model_dir / METRICS_FILE
    if (metrics_path.is_file()
            and json.loads(metrics_path.read_text()).get(DESKEW_IN_GRAPH_KEY)):
        # The SavedModel deskews inside its graph; the replica must compute the same thing.
        layers.append(tf.keras.layers.Lambda(_graph_deskew()))
    dense = tf.keras.layers.Dense(10, activation="softmax")
    model = tf.keras.Sequential([*layers, dense])
    dense.set_weights([weights[0], biases[0]])
    return model, ""


def _graph_deskew():
    """train_export.deskew_in_graph (train_export.py is a script beside the package)."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from train_export import deskew_in_graph

    return deskew_in_graph


def keras_predict_one(keras_model, digit: np.ndarray) -> np.ndarray:
    """One Keras predict call on one (1, 28, 28) digit, as per-digit webcam scripts do."""
    return keras_model.predict(digit.reshape(1, 784), verbose=0)


def keras_max_difference(keras_model, recognizer, frame_bgr: np.ndarray) -> float:
    """Largest |probability difference| between the Keras replica and the SavedModel on the
    digits of one frame: the replica must be the same model, or its timing means nothing."""
    return max_difference(recognizer, lambda digits: keras_model.predict(
        digits.reshape(len(digits), 784), verbose=0), frame_bgr)


def max_difference(recognizer, predict_other, frame_bgr: np.ndarray) -> float:
    """Largest |probability difference| between recognizer.model.predict and `predict_other`
    ((N, 28, 28) float32 -> (N, 10)) on the digits `recognizer` finds in one frame."""
    regions = find_digits(frame_bgr, recognizer.settings)
    digits = normalize_regions(regions.ink_work, regions.boxes_work)
    if len(digits) == 0:
        return 0.0
    return float(np.abs(recognizer.model.predict(digits) - predict_other(digits)).max())


# ---------------------------------------------------------------------------------------------
# CLI rows: the command as users run it, in its own process.

def time_cli(clip_path: Path, model: str, workdir: Path, save_and_json: bool) -> RunStats:
    """Run `python -m realtime CLIP --no-display [--save --json]` once and time it.

    With --json, each frame's time is when its line appears in the file (the CLI flushes every
    line); without it only the CLI's own 'fps mean' is known. Peak RSS is the child's VmHWM.
    """
    workdir = Path(workdir)
    json_path = workdir / "cli.jsonl" if save_and_json else None
    command = [sys.executable, "-m", "realtime", str(clip_path), "--no-display", "--model", model]
    if save_and_json:
        json_path.unlink(missing_ok=True)
        command += ["--save", str(workdir / "cli_annotated.mp4"), "--json", str(json_path)]
    stderr_path = workdir / "cli_stderr.txt"
    with open(workdir / "cli_stdout.txt", "wb") as stdout, open(stderr_path, "wb") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=REPO, stdout=stdout, stderr=stderr)
        status, sizes, peak_rss_kb = _watch(process.pid, json_path, started)
        wall_s = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4, tell Popen
    errors = stderr_path.read_text(errors="replace")
    if process.returncode != 0:
        last_line = (errors.strip().splitlines() or ["(no message)"])[-1]
        raise RowSkipped(f"`python -m realtime ...` exited with {process.returncode}: {last_line}")
    summary = CLI_SUMMARY.search(errors)
    if summary is None:
        raise RowSkipped("the CLI no longer prints its '... frames, ... digits, ... fps mean' "
                         "summary line, which this row reads: update benchmarks/speed.py")
    frames, digits, loop_fps = int(summary[1]), int(summary[2]), float(summary[3])
    peak_rss_mb = peak_rss_kb / 1024.0 if peak_rss_kb else None
    if json_path is None:
        return RunStats(frames=frames, mean_ms=1e3 / loop_fps, digits_per_frame=digits / frames,
                        cold_start_s=wall_s - frames / loop_fps, peak_rss_mb=peak_rss_mb,
                        wall_s=wall_s)
    line_s = _line_times(json_path.read_bytes(), sizes, wall_s)
    if len(line_s) != frames or frames < 2:
        raise RowSkipped(f"{json_path.name} has {len(line_s)} lines for {frames} frames: the "
                         f"CLI's --json format changed, update benchmarks/speed.py")
    # Per-frame figures from the gaps between lines; the run covers all `frames` frames.
    gaps_stats = _stats(1e3 * np.diff(line_s), digits_per_frame=digits / frames,
                        cold_start_s=float(line_s[0]), peak_rss_mb=peak_rss_mb, wall_s=wall_s)
    return dataclasses.replace(gaps_stats, frames=frames)


def _watch(pid: int, json_path: Path | None, started: float):
    """Wait for a child, sampling its JSON file's size (if any) every JSON_POLL_S and its peak
    RSS every RSS_POLL_S; returns (wait status, [(seconds since started, size)], peak RSS kB or
    0 when /proc cannot tell)."""
    sizes: list[tuple[float, int]] = []
    last_size, peak_kb, next_rss_s = 0, 0, 0.0
    while True:
        now = time.perf_counter()
        if now >= next_rss_s:  # before wait4: once reaped, /proc no longer has it
            peak_kb = max(peak_kb, _peak_rss_kb(pid))
            next_rss_s = now + RSS_POLL_S
        if json_path is not None:
            try:
                size = os.stat(json_path).st_size
            except FileNotFoundError:
                size = 0
            if size != last_size:
                sizes.append((now - started, size))
                last_size = size
        done, status, _ = os.wait4(pid, os.WNOHANG)
        if done:
            return status, sizes, peak_kb
        time.sleep(JSON_POLL_S if json_path is not None else RSS_POLL_S)


def _peak_rss_kb(pid: int) -> int:
    """VmHWM of a live process in kB (0 if gone or not Linux)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _line_times(content: bytes, sizes: list[tuple[float, int]], end_s: float) -> np.ndarray:
    """When each line of a growing file was first seen complete, from (time, size) samples;
    lines completed after the last sample get the process's end time."""
    line_ends = list(np.flatnonzero(np.frombuffer(content, np.uint8) == ord("\n")) + 1)
    times = np.full(len(line_ends), end_s)
    seen = 0
    for time_s, size in sizes:
        complete = bisect.bisect_right(line_ends, size)
        times[seen:complete] = time_s
        seen = max(seen, complete)
    return times


# ---------------------------------------------------------------------------------------------
# Cold starts: each backend from a fresh process to its first frame done.

@dataclass(frozen=True)
class ColdStart:
    """One cold start (COLD_START_SCRIPT), in seconds from just before the process was started:
    imports_s until realtime was imported (interpreter start included), then source_s to open
    the clip and read its first frame, model_load_s to build the Recognizer (TensorFlow's import
    is in here), first_frame_s to recognize that frame; total_s the sum. peak_rss_mb: the
    process's VmHWM after that frame (None where /proc cannot tell)."""

    imports_s: float
    source_s: float
    model_load_s: float
    first_frame_s: float
    total_s: float
    peak_rss_mb: float | None
    tensorflow_imported: bool
    digits: int


@dataclass(frozen=True)
class ColdStartRow:
    """Every cold start of one model on one backend, reported as the medians of the runs."""

    model: str
    backend: str
    runs: tuple[ColdStart, ...]

    def median(self, name: str) -> float | None:
        return _median(self.runs, name)

    def to_json(self) -> dict:
        fields = [name for name in ColdStart.__dataclass_fields__
                  if name not in ("tensorflow_imported", "digits")]
        return {"model": self.model, "backend": self.backend, "runs": len(self.runs),
                **{name: _rounded(self.median(name)) for name in fields},
                "tensorflow_imported": any(run.tensorflow_imported for run in self.runs),
                "digits": self.runs[0].digits, "per_run": [asdict(run) for run in self.runs]}


def time_cold_start(clip_path: Path, model_dir: Path, backend: str) -> ColdStart:
    """Run COLD_START_SCRIPT once in a fresh `python -c` and read its times and peak RSS."""
    command = [sys.executable, "-c", COLD_START_SCRIPT, str(clip_path), str(model_dir), backend]
    started = time.time()  # wall clock: the child reports its steps on the same clock
    try:
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True,
                              timeout=COLD_START_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise RowSkipped(f"a {backend} cold start took over {COLD_START_TIMEOUT_S} s") from None
    if done.returncode != 0:
        last_line = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise RowSkipped(f"the {backend} cold start exited with {done.returncode}: {last_line}")
    marks = json.loads(done.stdout.strip().splitlines()[-1])
    return ColdStart(imports_s=marks["imported"] - started,
                     source_s=marks["opened"] - marks["imported"],
                     model_load_s=marks["loaded"] - marks["opened"],
                     first_frame_s=marks["done"] - marks["loaded"],
                     total_s=marks["done"] - started,
                     peak_rss_mb=marks["peak_rss_kb"] / 1024.0 if marks["peak_rss_kb"] else None,
                     tensorflow_imported=marks["tensorflow_imported"], digits=marks["digits"])


def measure_cold_starts(clip_path: Path, cases: tuple[BackendCase, ...], repeats: int,
                        progress=None) -> tuple[list[ColdStartRow], dict[str, str]]:
    """Every case's cold start `repeats` times, the order reversed every other round so that
    neither backend always runs right after the other; and, by "model backend", why a case
    was dropped."""
    runs: dict[tuple[str, str], list[ColdStart]] = {(c.model, c.backend): [] for c in cases}
    skipped: dict[str, str] = {}
    for repeat in range(repeats):
        for case in (cases if repeat % 2 == 0 else cases[::-1]):
            pair = (case.model, case.backend)
            if progress is not None:
                progress.set_postfix_str(f"cold start {repeat + 1}/{repeats}: "
                                         f"{case.model} {case.backend}")
            if " ".join(pair) not in skipped:
                try:
                    runs[pair].append(time_cold_start(clip_path, case.model_dir, case.backend))
                except RowSkipped as reason:
                    skipped[" ".join(pair)] = str(reason)
                    runs[pair] = []
            if progress is not None:
                progress.update(1)
    return [ColdStartRow(model, backend, tuple(found))
            for (model, backend), found in runs.items() if found], skipped


# ---------------------------------------------------------------------------------------------
# All rows, interleaved.

def measure_speed(clip: Clip, recognizer, model_name: str, keras_model, repeats: int,
                  keras_frames: int, workdir: Path, progress=None,
                  cli_rows: tuple[str, ...] = CLI_ROWS,
                  backend_cases: tuple[BackendCase, ...] = ()
                  ) -> tuple[list[SpeedRow], dict[str, str]]:
    """Every row `repeats` times. Within a run the in-process rows take turns chunk by chunk
    (see the module docstring); then each CLI row runs once. The Keras row times `keras_frames`
    frames spread over the clip (it is 30-50 ms a digit). cli_rows: which of CLI_ROWS to run
    (each run of one starts a process that imports TensorFlow). backend_cases: each adds an
    in-process row of its own (the speed model on TensorFlow is the "full" row already).

    Returns the rows and, by row key, why a row was dropped (a CLI run that failed).
    """
    frames = clip.frames_bgr
    chunks = np.array_split(np.arange(len(frames)), math.ceil(len(frames) / CHUNK_FRAMES))
    keras_subset = np.unique(np.linspace(0, len(frames) - 1, max(1, keras_frames)).round()
                             .astype(int))
    keras_chunks = np.array_split(keras_subset, len(chunks))
    threshold_mode = recognizer.settings.threshold
    runs: dict[str, list[RunStats]] = {}
    skipped: dict[str, str] = {}
    for repeat in range(repeats):
        rows = {"floor": TimedRow(floor_step, frames),
                "floor_realtime": TimedRow(functools.partial(floor_realtime_step,
                                                             threshold_mode=threshold_mode),
                                           frames),
                "full": recognizer_row(recognizer, frames),
                "usual_signature": per_digit_row(recognizer, recognizer.model.predict, frames)}
        if keras_model is not None:
            rows["usual_keras"] = per_digit_row(
                recognizer, functools.partial(keras_predict_one, keras_model), frames,
                warmup_frames=KERAS_WARMUP_FRAMES)
        for case in backend_cases:
            if case.row_key != "full":
                rows[case.row_key] = recognizer_row(case.recognizer, frames)
        writers = contextlib.ExitStack()  # open through the run, closed after it
        for key, writer in writers.enter_context(video_writers(Path(workdir), CLIP_FPS,
                                                               CLIP_SIZE)).items():
            rows[key] = video_write_row(writer, frames)
        for row in rows.values():
            row.warm_up()
        with writers, DecodeRow(clip.path, len(frames)) as decode:
            _take_turns(rows, decode, chunks, keras_chunks, progress,
                        f"run {repeat + 1}/{repeats}: in-process rows")
        _add_run(runs, rows, decode)
        for key in (cli_rows if repeat % 2 == 0 else cli_rows[::-1]):
            if progress is not None:
                progress.set_postfix_str(f"run {repeat + 1}/{repeats}: {key}")
            if key not in skipped:
                try:
                    runs.setdefault(key, []).append(
                        time_cli(clip.path, model_name, workdir, key == "cli_save_json"))
                except RowSkipped as reason:
                    skipped[key] = str(reason)
                    runs.pop(key, None)
            if progress is not None:
                progress.update(1)
    about = {key: (ROW_LABELS[key], ROW_NOTES[key]) for key in ROW_LABELS}
    about.update({case.row_key: (case.label, BACKEND_ROW_NOTE)
                  for case in backend_cases if case.row_key != "full"})
    return [SpeedRow(key, tuple(runs[key]), *about[key]) for key in about if key in runs], skipped


def steps_per_run(n_frames: int, cli_rows: tuple[str, ...]) -> int:
    """Progress-bar steps of one run: its chunks, then its CLI rows."""
    return math.ceil(n_frames / CHUNK_FRAMES) + len(cli_rows)


# ---------------------------------------------------------------------------------------------
# Every clip (issue 15): the demo clip, the camera clip above and a wild-tier clip, each timed
# as a stream against its own floor and the per-digit Keras loop, with the time of every step.

DEMO_CLIP = REPO / "realtime" / "data" / "demo.mp4"
# The wild clip: pages of the widened generator (synth tier "wild": desks from dark to as bright
# as the paper, shadows, inks, boards, boxes), one page every WILD_PAGE_FRAMES frames from seeds
# WILD_SEED, WILD_SEED + 1, ...: several draws of its ranges in one clip, and a cut between
# pages, as when a different sheet is held up.
WILD_SEED = 0
WILD_PAGE_FRAMES = 50
CLIP_ROWS = ("decode", "floor", "stream", "usual_keras")
# The stream row keeps what is slow to find between frames, as Recognizer.stream does
# (realtime.detect.reuse); False times every frame found anew.
STREAM_REUSE = True
CLIP_ROW_LABELS = {
    "decode": "decode only",
    "floor": "floor: decode+grey+blur+threshold+contours",
    "stream": "realtime-digits, a stream (recognize_frame)",
    "usual_keras": "usual: per-digit Keras predict",
}


def make_wild_clip(x_test: np.ndarray, y_test: np.ndarray, folder: Path, n_frames: int) -> Clip:
    """The wild-tier clip: ceil(n_frames / WILD_PAGE_FRAMES) pages, each a make_video clip of
    its own seed, written one after the other into one mp4 and decoded once into memory."""
    folder = Path(folder)
    path = folder / "bench_wild.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), CLIP_FPS, CLIP_SIZE)
    digits = []
    try:
        for page in range(math.ceil(n_frames / WILD_PAGE_FRAMES)):
            frames = min(WILD_PAGE_FRAMES, n_frames - page * WILD_PAGE_FRAMES)
            part = folder / "bench_wild_page.mp4"
            scenes = synth.make_video(x_test, y_test, part, tier="wild", n_frames=frames,
                                      fps=CLIP_FPS, size=CLIP_SIZE, n_digits=CLIP_DIGITS,
                                      seed=WILD_SEED + page)
            for scene in scenes:
                writer.write(scene.image_bgr)
                digits.append(len(scene.digits))
            part.unlink()
    finally:
        writer.release()
    frames_bgr = read_frames(path)
    if len(frames_bgr) != n_frames:
        raise RuntimeError(f"{path} decodes to {len(frames_bgr)} frames, not {n_frames}")
    return Clip(path, tuple(frames_bgr), float(np.mean(digits)))


def demo_clip() -> Clip:
    """realtime/data/demo.mp4 as shipped (its truth in demo.json beside it)."""
    truth = json.loads(DEMO_CLIP.with_suffix(".json").read_text())
    return Clip(DEMO_CLIP, tuple(read_frames(DEMO_CLIP)),
                float(np.mean([len(frame["digits"]) for frame in truth["frames"]])))


@dataclass(frozen=True)
class StepTimes:
    """One step's ms per frame over every timed frame of every run of a clip."""

    step: str
    mean_ms: float
    p99_ms: float
    max_ms: float

    def to_json(self) -> dict:
        return {"step": self.step, "mean_ms": round(self.mean_ms, 4),
                "p99_ms": round(self.p99_ms, 4), "max_ms": round(self.max_ms, 4)}


@dataclass(frozen=True)
class ClipSpeed:
    """One clip's rows (CLIP_ROWS, medians of the runs), the steps of its stream row, and
    (slow_frames) the steps of its slowest frames: the mean over the frames above the stream's
    p90, where a frame's time explodes; kept_share: the share of frames whose surface the
    stream kept from an earlier frame (None without reuse); kept_digits_share: the share of the
    frames' regions whose reading was kept, not read again (realtime.detect.kept_digits)."""

    name: str
    frames: int
    true_digits_per_frame: float
    rows: tuple[SpeedRow, ...]
    steps: tuple[StepTimes, ...]
    slow_frames: tuple[StepTimes, ...]
    kept_share: float | None = None
    kept_digits_share: float | None = None

    def row(self, key: str) -> SpeedRow | None:
        return next((row for row in self.rows if row.key == key), None)

    def ratio(self, slow_key: str, fast_key: str, name: str = "mean_ms") -> float | None:
        slow, fast = self.row(slow_key), self.row(fast_key)
        if slow is None or fast is None or not fast.median(name):
            return None
        return slow.median(name) / fast.median(name)

    def to_json(self) -> dict:
        stream = self.row("stream")
        return {"name": self.name, "frames": self.frames,
                "true_digits_per_frame": round(self.true_digits_per_frame, 2),
                "rows": [row.to_json() for row in self.rows],
                "stream_over_floor": _rounded(self.ratio("stream", "floor")),
                "keras_over_stream": _rounded(self.ratio("usual_keras", "stream")),
                "stream_p99_over_p50": _rounded(stream.median("p99_ms") / stream.median("p50_ms")
                                                if stream else None),
                "kept_surface_share": _rounded(self.kept_share),
                "kept_digits_share": _rounded(self.kept_digits_share),
                "steps": [step.to_json() for step in self.steps],
                "slow_frames_steps": [step.to_json() for step in self.slow_frames]}


def stream_row(recognizer, frames, step_ms: list[dict[str, float]], reuse=None) -> TimedRow:
    """Recognizer.recognize_frame on consecutive frames with one stream's state `reuse` (a
    StreamReuse, or None: every frame found anew), as Recognizer.stream runs them, each step
    clocked (profiling.StepClock) into step_ms (one {step: ms} a frame, in timed order)."""
    from benchmarks.profiling import StepClock
    from realtime.types import Frame

    clock = StepClock(recognizer)

    def step(frame_bgr):
        index = len(step_ms)
        result = recognizer.recognize_frame(Frame(index, index / CLIP_FPS, frame_bgr), reuse=reuse)
        step_ms.append(clock.frame_ms())
        return FrameClocks(digits=len(result.detections))

    row = TimedRow(step, frames, around=lambda: clock)
    return row


def measure_clip(name: str, clip: Clip, recognizer, keras_model, repeats: int, keras_frames: int,
                 progress=None) -> ClipSpeed:
    """The CLIP_ROWS of one clip `repeats` times, taking turns chunk by chunk as measure_speed's
    rows do; the stream row goes through the clip in order (chunks follow each other)."""
    frames = clip.frames_bgr
    chunks = np.array_split(np.arange(len(frames)), math.ceil(len(frames) / CHUNK_FRAMES))
    keras_subset = np.unique(np.linspace(0, len(frames) - 1, max(1, keras_frames)).round()
                             .astype(int))
    keras_chunks = np.array_split(keras_subset, len(chunks))
    runs: dict[str, list[RunStats]] = {}
    all_steps: list[dict[str, float]] = []
    stream_frame_ms: list[float] = []
    kept_surfaces: list[float] = []
    kept_digits: list[float] = []
    for repeat in range(repeats):
        warm_steps: list[dict[str, float]] = []
        stream_row(recognizer, frames, warm_steps).warm_up()
        step_ms: list[dict[str, float]] = []
        reuse = recognizer.new_reuse() if STREAM_REUSE else None
        rows = {"floor": TimedRow(floor_step, frames),
                "stream": stream_row(recognizer, frames, step_ms, reuse)}
        if keras_model is not None:
            rows["usual_keras"] = per_digit_row(
                recognizer, functools.partial(keras_predict_one, keras_model), frames,
                warmup_frames=KERAS_WARMUP_FRAMES)
        for key, row in rows.items():
            if key != "stream":
                row.warm_up()
        with DecodeRow(clip.path, len(frames)) as decode:
            _take_turns(rows, decode, chunks, keras_chunks, progress, f"clip {name}, run {repeat + 1}/{repeats}")
        _add_run(runs, rows, decode)
        all_steps += step_ms
        if reuse is not None:
            kept_surfaces.append(reuse.kept / max(1, reuse.kept + reuse.found))
            if reuse.digits is not None:
                digits = reuse.digits
                kept_digits.append(digits.kept_regions / max(1, digits.kept_regions + digits.read_regions))
        stream_frame_ms += [rows["stream"].process_ms[i] + decode.decode_ms[i]
                            for i in range(len(frames))]
    rows_out = tuple(SpeedRow(key, tuple(runs[key]), CLIP_ROW_LABELS[key], "")
                     for key in CLIP_ROWS if key in runs)
    slow = np.asarray(stream_frame_ms) > np.percentile(stream_frame_ms, 90)
    return ClipSpeed(name, len(frames), clip.true_digits_per_frame, rows_out,
                     _step_times(all_steps), _step_times([s for s, on in zip(all_steps, slow,
                                                                             strict=True) if on]),
                     float(np.mean(kept_surfaces)) if kept_surfaces else None,
                     float(np.mean(kept_digits)) if kept_digits else None)


def _step_times(step_ms: list[dict[str, float]]) -> tuple[StepTimes, ...]:
    if not step_ms:
        return ()
    return tuple(StepTimes(step, float(np.mean(values)), float(np.percentile(values, 99)),
                           float(np.max(values)))
                 for step in step_ms[0]
                 for values in [np.array([frame[step] for frame in step_ms])])


def steps_per_clip(n_frames: int) -> int:
    """Progress-bar steps of one run of one clip: its chunks."""
    return math.ceil(n_frames / CHUNK_FRAMES)


def _take_turns(rows: dict, decode, chunks, keras_chunks, progress, label: str) -> None:
    """One run: every chunk of frames decoded first (the other rows add its times for these
    frames), then timed by each row, the rows taking turns in a rotating order so that a load
    burst hits them alike; the slow Keras row gets its own few frames of each chunk."""
    order = list(rows)
    for k, chunk in enumerate(chunks):
        if progress is not None:
            progress.set_postfix_str(label)
        decode.time(chunk)
        for key in order[k % len(order):] + order[:k % len(order)]:
            rows[key].time(keras_chunks[k] if key == "usual_keras" else chunk)
        if progress is not None:
            progress.update(1)


def _add_run(runs: dict, rows: dict, decode) -> None:
    """The run's statistics, decode and every row (each with decode's time added), into runs."""
    runs.setdefault("decode", []).append(decode.stats())
    for key, row in rows.items():
        runs.setdefault(key, []).append(row.stats(decode.decode_ms))
