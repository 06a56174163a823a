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
