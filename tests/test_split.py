"""split: touching digits (no gap between their ink) are cut in two where the model is sure of both
halves; single digits stay whole."""

import dataclasses

import cv2
import numpy as np
import pytest
from conftest import scenes

from realtime.split import Cuts, SplitConfig, SplitRule, cut_in_two, keep_sure_cuts, propose_cuts
from tools import scoring
from tools.pairs import make_pair_scene


@pytest.fixture(scope="module")
def cnn(mnist_test):
    from realtime.pipeline import Recognizer

    return Recognizer("cnn", backend="litert")


def _pair_scenes(mnist_test, count, seed=5):
    images, labels = mnist_test
    rng = np.random.default_rng(seed)
    return [make_pair_scene(images, labels, rng) for _ in range(count)]


def _read(recognizer, image, split: SplitConfig):
    """The recognizer's detections with `split` for this one image."""
    shipped = recognizer.settings
    recognizer.settings = dataclasses.replace(shipped, split=split)
    try:
        return recognizer.recognize(image)
    finally:
        recognizer.settings = shipped


def _pairs_right(recognizer, pair_scenes, split: SplitConfig):
    right = 0
    for scene in pair_scenes:
        detections = _read(recognizer, scene.image_bgr, split)
        found = dict(scoring.match([d.box for d in scene.digits], [d.box for d in detections], min_iou=0.5))
        ok = [i in found and detections[found[i]].label == t.label for i, t in enumerate(scene.digits)]
        right += sum(ok[k] and ok[k + 1] for k in range(0, len(ok), 2))
    return right


def test_touching_pairs_are_read_as_two_digits(cnn, mnist_test):
    """Measured on these 10 scenes (40 pairs of touching MNIST test digits): 18 pairs right with
    the split, 0 without (the pair is one region, read as one digit)."""
    pair_scenes = _pair_scenes(mnist_test, 10)
    assert _pairs_right(cnn, pair_scenes, SplitConfig()) >= 15
    assert _pairs_right(cnn, pair_scenes, SplitConfig(enabled=False)) == 0


def test_single_digits_are_not_cut(cnn, mnist_test):
    """The camera and hard tiers' single digits (none touching): no region read as two. Measured
    on these 40 scenes: 0 false cuts (1 in the 1800 digits of scripts/split_check.py)."""
    batch = scenes(mnist_test, "camera", 20, seed=31) + scenes(mnist_test, "hard", 20, seed=32)
    cut = sum(len(_read(cnn, s.image_bgr, SplitConfig())) - len(_read(cnn, s.image_bgr, SplitConfig(enabled=False)))
              for s in batch)
    assert cut == 0


def test_each_band_cuts_the_ink_once_between_its_shares_of_the_ink():
    ink = np.zeros((48, 84), np.float32)
    cv2.circle(ink, (22, 24), 18, 1.0, 3)  # two round 0s whose strokes touch at one point
    cv2.circle(ink, (60, 24), 18, 1.0, 3)
    cuts = [cut_in_two(ink, band, 0.25) for band in SplitConfig().bands]
    assert all(c is not None for c in cuts)
    for (left, left_box), (right, right_box) in cuts:
        cut = left_box[0] + left_box[2]  # the one column between the halves
        assert right_box[0] == cut + 1
        assert np.isclose(left.sum() + right.sum() + ink[:, cut].sum(), ink.sum())
        # The cut column is where the ink's share from the left reaches 0.2 or more, 0.8 or less.
        assert left.sum() + ink[:, cut].sum() >= 0.2 * ink.sum() and left.sum() <= 0.8 * ink.sum()
    assert len({box[0] + box[2] for (_, box), _ in cuts}) == 3  # three different cuts for the model


def test_only_wide_regions_get_cuts():
    ink = np.zeros((60, 200), np.float32)
    cv2.ellipse(ink, (30, 30), (14, 20), 0, 0, 360, 1.0, 4)  # a lone 0: 32 x 44
    cv2.ellipse(ink, (110, 30), (14, 20), 0, 0, 360, 1.0, 4)  # two 0s touching: 60 x 44
    cv2.ellipse(ink, (138, 30), (14, 20), 0, 0, 360, 1.0, 4)
    boxes = np.array([[14, 8, 33, 45], [94, 8, 61, 45]])
    cuts = propose_cuts(ink, boxes, SplitConfig())
    assert set(cuts.regions) == {1} and cuts.digits_28x28.shape == (2 * len(cuts), 28, 28)
    assert len(propose_cuts(ink, boxes, SplitConfig(enabled=False))) == 0


def _probabilities(*confidences):
    rows = np.full((len(confidences), 10), 0.0, np.float32)
    for row, confidence in zip(rows, confidences, strict=True):
        row[:] = (1 - confidence) / 9
        row[3] = confidence
    return rows


def test_a_cut_stays_only_when_both_halves_are_surer_than_the_whole():
    cuts = Cuts(np.array([0]), np.zeros((2, 28, 28), np.float32), np.zeros((2, 4), int))
    rule = SplitRule(min_confidence=0.9, min_log_odds_gain=3.0)
    assert keep_sure_cuts(cuts, _probabilities(0.6, 0.999, 0.998), rule) == {0: (1, 2)}
    assert keep_sure_cuts(cuts, _probabilities(0.99, 0.999, 0.998), rule) == {}  # the whole is as sure
    assert keep_sure_cuts(cuts, _probabilities(0.3, 0.999, 0.85), rule) == {}  # one half unsure
    assert keep_sure_cuts(cuts, _probabilities(0.3, 0.999, 0.998), None) == {}  # no rule: no cuts


def test_the_softmax_gets_a_stricter_rule_than_the_cnn():
    config = SplitConfig()
    cnn, softmax = config.rule_for("cnn"), config.rule_for("softmax")
    assert softmax.min_confidence > cnn.min_confidence and softmax.min_log_odds_gain > cnn.min_log_odds_gain
    assert config.rule_for("an unknown arch") is None and SplitConfig(enabled=False).rule_for("cnn") is None
