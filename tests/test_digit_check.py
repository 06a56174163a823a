"""The "not a digit" check (realtime/digit_check.py, models/notdigit): it keeps MNIST's test
digits and rejects letters drawn in handwriting fonts, the Recognizer drops what it rejects (the
coloured words of a real photo no longer come out as digits), both backends agree, and the same
seed re-exports the same bytes."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from realtime.digit_check import DigitCheck
from realtime.settings import Settings

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # train_export.py is a top-level script, not part of the package
    sys.path.insert(0, str(REPO))

import train_export  # noqa: E402
from tools import negatives  # noqa: E402

needs_litert = pytest.mark.skipif(importlib.util.find_spec("ai_edge_litert") is None,
                                  reason="ai-edge-litert is not installed: pip install -e .[lite]")

# Measured with the shipped check at the default cut (settings.MIN_IS_DIGIT, 0.001): 99.81% of
# MNIST's test digits kept; 56.7% of the 180 letters (negatives.LOWER + UPPER in the 10 fonts,
# seed 0) kept, against 100% without the check. The bounds leave a few digits and letters of room.
MIN_KEPT_MNIST = 0.997
MAX_KEPT_LETTERS = 0.62
PROBABILITY_TOLERANCE = 1e-5
REAL_SIDE_PX = 640
COLOURED_WORDS = "lukasbindreiter__white-brush__12_colors.png"


@pytest.fixture(scope="module")
def check():
    return DigitCheck()


@pytest.fixture(scope="module")
def fonts():
    """The handwriting fonts the negatives are drawn with: a skip without them, a failure under
    CI (.ci/run installs them)."""
    found = negatives.handwriting_fonts()
    if not found:
        message = f"no handwriting fonts under {negatives.FONT_ROOT}"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: .ci/run installs {' '.join(negatives.FONT_PACKAGES)}", pytrace=False)
        pytest.skip(f"{message}: apt-get install {' '.join(negatives.FONT_PACKAGES)}")
    return found


@pytest.fixture(scope="module")
def letters(fonts):
    return negatives.letter_crops(negatives.LOWER + negatives.UPPER, np.random.default_rng(0))


def test_keeps_mnist_test_digits(check, mnist_test):
    kept = check.is_digit(mnist_test[0].astype(np.float32) / 255.0) >= Settings().min_is_digit
    assert kept.mean() >= MIN_KEPT_MNIST


def test_rejects_letters_in_handwriting_fonts(check, letters):
    assert len(letters) >= 100
    kept = check.is_digit(letters) >= Settings().min_is_digit
    assert kept.mean() <= MAX_KEPT_LETTERS


def _at_640(path: Path) -> np.ndarray:
    image = cv2.imread(str(path))
    scale = REAL_SIDE_PX / max(image.shape[:2])
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


def test_coloured_words_give_fewer_digits_with_the_check(real_photos_dir):
    from realtime.pipeline import Recognizer

    image = _at_640(real_photos_dir / COLOURED_WORDS)
    # The word filter now drops every letter of these words (filters.in_words): with it off,
    # the letters reach the classifier, as letters without word context do. And every region
    # too wide for a digit is cut (min_rule_share 0), as one is where a rule runs through it:
    # since a cut is made only where it takes away rules, "grün" is no longer cut into the
    # 77x46 "rün" the check rejects (is-digit 0.0), and of the other 10 regions it rejects none.
    settings = Settings(digit_check=False)
    settings = dataclasses.replace(settings, detect=settings.detect.replace(
        words=dataclasses.replace(settings.detect.words, enabled=False),
        strokes=dataclasses.replace(settings.detect.strokes, min_rule_share=0.0)))
    recognizer = Recognizer("cnn", settings)
    without = recognizer.recognize(image)
    recognizer.settings = dataclasses.replace(recognizer.settings, digit_check=True)
    with_check = recognizer.recognize(image)
    # Measured, word filter off: 12 regions of the three words read as digits without the check,
    # 11 with it (the "b" and the "g" still pass: alone they are a 6 and a 9). With the word
    # filter on (before it judged marks as written) it was 7 -> 6, and 8 -> 6 before the
    # detection changes of issue 13 (surface, boxes, split).
    assert len(without) >= 6
    assert len(with_check) <= len(without) - 1
    assert {d.box for d in with_check} <= {d.box for d in without}


@needs_litert
def test_litert_and_tensorflow_agree(mnist_test, letters):
    heavy, light = DigitCheck(backend="tensorflow"), DigitCheck(backend="litert")
    batch = np.concatenate([mnist_test[0][:200].astype(np.float32) / 255.0, letters[:50]])
    for count in (0, 1, 7, len(batch)):
        np.testing.assert_allclose(light.is_digit(batch[:count]), heavy.is_digit(batch[:count]),
                                   atol=PROBABILITY_TOLERANCE)


def test_same_seed_reexports_identical_bytes(fonts, mnist_npz, tmp_path):
    from realtime.mnist import load_mnist

    mnist = load_mnist(mnist_npz)
    folders = []
    for run in range(2):
        data = train_export.make_check_data(mnist, seed=0, pages=1, patch_negatives=200,
                                            drawn_digits=200, train_limit=1000)
        model, _ = train_export.train_check(data, steps=20, seed=0)
        folder = tmp_path / f"run{run}"
        train_export.export_check(model, folder)
        train_export.export_tflite(folder)
        folders.append(folder)
    files = sorted(p.relative_to(folders[0]) for p in folders[0].rglob("*") if p.is_file())
    assert Path("model.tflite") in files and Path("saved_model.pb") in files
    for relative in files:
        assert (folders[0] / relative).read_bytes() == (folders[1] / relative).read_bytes()


def test_shipped_tflite_is_what_its_saved_model_converts_to(tmp_path):
    import shutil

    shipped = REPO / "models" / "notdigit"
    copy = tmp_path / "notdigit"
    shutil.copytree(shipped, copy, ignore=shutil.ignore_patterns("model.tflite"))
    train_export.export_tflite(copy)
    assert (copy / "model.tflite").read_bytes() == (shipped / "model.tflite").read_bytes()
