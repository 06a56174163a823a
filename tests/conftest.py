"""Shared fixtures: where the test data lives, and a clear skip (or, under CI, failure) without it."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


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
    from realtime.synth import make_scene

    images, labels = mnist_test
    rng = np.random.default_rng(seed)
    return [make_scene(images, labels, rng, tier=tier, **options) for _ in range(count)]


def detection_figures(found_boxes_per_scene, scenes_list, found_labels_per_scene=None):
    """(recall, precision, end-to-end accuracy) of found boxes (and labels) against the truth."""
    from realtime.synth import match

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
