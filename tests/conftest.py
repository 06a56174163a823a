"""Shared fixtures: where the test data lives, and a clear skip (or, under CI, failure) without it."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
# scripts/mutation_check.py runs the detection tests with one tuning value changed, given here as
# "step.field=value" (a field of realtime.detect.config.DetectConfig's step configs).
DETECT_MUTATION_ENV = "REALTIME_DIGITS_DETECT_MUTATION"


def make_settings(**options):
    """Settings(**options) for a test, with detection tuned as $REALTIME_DIGITS_DETECT_MUTATION
    says when it is set (the mutation check), else as shipped. Every detection test builds its
    Settings here, so a mutation reaches all of them."""
    import ast
    import dataclasses

    from realtime.settings import Settings

    settings = Settings(**options)
    mutation = os.environ.get(DETECT_MUTATION_ENV)
    if not mutation:
        return settings
    name, value = mutation.split("=", 1)
    step, field = name.split(".")
    step_config = dataclasses.replace(getattr(settings.detect, step), **{field: ast.literal_eval(value)})
    return dataclasses.replace(settings, detect=settings.detect.replace(**{step: step_config}))


def _require(path: Path, what: str) -> Path:
    if path.exists():
        return path
    message = f"{what} not found at {path}"
    if os.environ.get("CI"):
        pytest.fail(f"{message}: CI must have ../shared beside the checkout", pytrace=False)
    pytest.skip(f"{message} (set MNIST_NPZ or put ../shared beside the checkout)")


@pytest.fixture(scope="session")
def mnist_npz() -> Path:
    """The Keras-layout MNIST file: $MNIST_NPZ, else ../shared/data/mnist.npz."""
    return _require(Path(os.environ.get("MNIST_NPZ") or SHARED_DATA / "mnist.npz"), "MNIST")


@pytest.fixture(scope="session")
def mnist_test(mnist_npz):
    """MNIST's official test digits: ((10000, 28, 28) uint8 white on black, (10000,) labels)."""
    with np.load(mnist_npz) as npz:
        return npz["x_test"], npz["y_test"]


@pytest.fixture(scope="session")
def seed_digits_dir() -> Path:
    return _require(SHARED_DATA / "seed_digits", "the original example's seed digits")


@pytest.fixture(scope="session")
def real_photos_dir() -> Path:
    return _require(SHARED_DATA / "real", "the real desk photos")


@pytest.fixture(scope="session")
def softmax_model_dir() -> Path:
    path = REPO / "models" / "softmax"
    if not (path / "saved_model.pb").exists():
        pytest.fail(f"the shipped model is missing at {path}: run `python train_export.py`")
    return path


@pytest.fixture(scope="session")
def recognizer(softmax_model_dir):
    """One loaded Recognizer (TensorFlow takes seconds to load) for every test that needs it."""
    from realtime.pipeline import Recognizer

    return Recognizer(softmax_model_dir)


def scenes(mnist_test, tier: str, count: int, seed: int = 0, **options):
    """`count` generated scenes of one tier from MNIST test digits, reproducibly."""
    from tools.synth import make_scene

    images, labels = mnist_test
    rng = np.random.default_rng(seed)
    return [make_scene(images, labels, rng, tier=tier, **options) for _ in range(count)]


def detection_figures(found_boxes_per_scene, scenes_list, found_labels_per_scene=None):
    """(recall, precision, end-to-end accuracy) of found boxes (and labels) against the truth."""
    from tools.scoring import match

    true_total = found_total = matched = right = 0
    for index, scene in enumerate(scenes_list):
        truth = [d.box for d in scene.digits]
        found = found_boxes_per_scene[index]
        pairs = match(truth, found, min_iou=0.5)
        true_total += len(truth)
        found_total += len(found)
        matched += len(pairs)
        if found_labels_per_scene is not None:
            right += sum(found_labels_per_scene[index][j] == scene.digits[i].label for i, j in pairs)
    return matched / max(true_total, 1), matched / max(found_total, 1), right / max(true_total, 1)


# ---------------------------------------------------------------------------------------------
# CLI, sources and sinks tests: a generated clip with its truth, and the CLI run as a user would.

CLI_TIMEOUT_S = 180  # a hang guard, not a speed test: a loaded 2-core CI machine is slow


@pytest.fixture(scope="session")
def clip(mnist_test, tmp_path_factory):
    """A 24-frame 640x480 clip (camera tier: uneven light, shadow, noise, shake) of ten MNIST test
    digits on paper, with its truth: (path, list of synth.Scene, fps)."""
    from tools.synth import make_video

    images, labels = mnist_test
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    fps = 12.0
    truth = make_video(images, labels, path, tier="camera", n_frames=24, fps=fps, seed=11,
                       shake_px=3, sheet=True)
    return path, truth, fps


def cli(*args, cwd=None, display=None, block_tensorflow=False, timeout=CLI_TIMEOUT_S, env=None):
    """Run the realtime-digits command in a fresh process; a CompletedProcess with text output.

    display: the DISPLAY to give it (None: none, so it runs headless); block_tensorflow: any
    import of TensorFlow fails, which proves an error was reported before the model loads.
    """
    import subprocess
    import sys

    run_env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    if display:
        run_env["DISPLAY"] = display
    run_env.update(env or {})
    prelude = "import sys; sys.modules['tensorflow'] = None; " if block_tensorflow else "import sys; "
    command = [sys.executable, "-c", prelude + "from realtime.cli import main; sys.exit(main(sys.argv[1:]))",
               *map(str, args)]
    return subprocess.run(command, cwd=cwd, env=run_env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def messages(stderr: str) -> list[str]:
    """The lines a user reads on stderr, without tqdm's redrawn progress bars."""
    import re

    parts = (p.strip() for p in re.split(r"[\r\n]", stderr))
    return [p for p in parts if p and not re.search(r"\d+%\|| \d+/\d+ \[|frame/s\]", p)]


def read_json_lines(path) -> list[dict]:
    """Every line of a --json file, each required to be complete, valid JSON."""
    import json

    text = Path(path).read_text(encoding="utf-8")
    assert text == "" or text.endswith("\n"), "the last JSON line is cut off"
    return [json.loads(line) for line in text.splitlines()]


def decode_frames(path) -> list:
    """Every frame of a video file that OpenCV can decode, in order (BGR uint8 arrays)."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    try:
        frames = []
        while True:
            ok, image = capture.read()
            if not ok:
                return frames
            frames.append(image)
    finally:
        capture.release()


def write_video(path, frames, fps, fourcc="mp4v", repeat=1) -> int:
    """Write `frames` (`repeat` times over) to a 640x480 video; the number of frames written."""
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (640, 480))
    assert writer.isOpened(), f"cannot write {path}"
    try:
        for _ in range(repeat):
            for image in frames:
                writer.write(image)
    finally:
        writer.release()
    return repeat * len(frames)


def read_video(path) -> tuple[int, tuple[int, int], float]:
    """(frames decoded, (width, height), fps) of a video file, by reading it to the end."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    assert capture.isOpened(), f"{path} does not open as a video"
    fps = capture.get(cv2.CAP_PROP_FPS)
    capture.release()
    frames = decode_frames(path)
    return len(frames), (frames[-1].shape[1], frames[-1].shape[0]) if frames else None, fps


@pytest.fixture
def cut_avi(clip, tmp_path):
    """The clip as MJPG .avi cut in half: the first frames decode, the tail is missing.
    (path, frames the whole file had)."""
    path, truth, fps = clip
    whole = tmp_path / "whole.avi"
    write_video(whole, decode_frames(path), fps, fourcc="MJPG")
    cut = tmp_path / "cut.avi"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    return cut, len(truth)


class FakeCamera:
    """Stands in for cv2.VideoCapture(index): delivers `frames` frames (`image`, or a grey level
    that changes each read), `delay_s` apart, then fails every read, like a USB camera pulled
    out mid-stream."""

    def __init__(self, frames: int, image=None, fps: float = 25.0, delay_s: float = 0.01):
        self.frames_left = frames
        self.image = image
        self.shape = image.shape if image is not None else (48, 64, 3)
        self.fps = fps
        self.delay_s = delay_s
        self.released = False
        self.reads = 0

    def isOpened(self):
        return not self.released

    def get(self, prop):
        import cv2

        height, width = self.shape[:2]
        return {cv2.CAP_PROP_FPS: self.fps, cv2.CAP_PROP_FRAME_WIDTH: float(width),
                cv2.CAP_PROP_FRAME_HEIGHT: float(height)}.get(prop, 0.0)

    def read(self):
        import time

        time.sleep(self.delay_s)
        self.reads += 1
        if self.released or self.frames_left <= 0:
            return False, None
        self.frames_left -= 1
        if self.image is not None:
            return True, self.image.copy()
        return True, np.full(self.shape, self.reads % 256, np.uint8)

    def release(self):
        self.released = True


def install_fake_cameras(monkeypatch, make_camera) -> list:
    """cv2.VideoCapture(int index) returns make_camera(index) (files stay real); the list of
    cameras made so far."""
    import cv2

    cameras = []
    real = cv2.VideoCapture

    def capture(spec, *args):
        if isinstance(spec, int):
            cameras.append(make_camera(spec))
            return cameras[-1]
        return real(spec, *args)

    monkeypatch.setattr(cv2, "VideoCapture", capture)
    return cameras
