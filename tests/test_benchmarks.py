"""benchmarks: `python -m benchmarks --quick` runs every row and section and writes sane JSON.

No timing asserts (the machine is shared): only that each figure exists and is plausible.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks import accuracy, real_photos, run, speed
from realtime.types import Detection
from tools import synth

REAL_PHOTOS = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "real"

TIERS = synth.TIERS


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory, mnist_npz, softmax_model_dir):
    out = tmp_path_factory.mktemp("bench")
    status = run.main(["--quick", "--models", "softmax", "--data", str(mnist_npz),
                       "--real", str(REAL_PHOTOS), "--out", str(out)])
    assert status == 0
    assert sorted(p.name for p in out.iterdir()) == ["quick.json"]  # never latest.json
    return json.loads((out / "quick.json").read_text())


def test_quick_run_records_where_and_on_what(quick_results):
    assert quick_results["quick"] is True
    assert quick_results["machine"]["cores"] >= 1 and quick_results["machine"]["cpu"]
    assert {"python", "tensorflow", "opencv", "numpy"} <= set(quick_results["versions"])
    assert "commit" in quick_results["git"] and quick_results["date"].startswith("20")


def test_quick_run_times_every_row(quick_results):
    rows = {row["key"]: row for row in quick_results["speed"]["rows"]}
    assert set(rows) == {"decode", "floor", "floor_realtime", "full", "usual_signature",
                         "usual_keras", "cli_save_json", "video_opencv", "video_streaming"}, \
        quick_results["speed"]["rows_skipped"]
    for row in rows.values():
        assert row["mean_ms"] > 0 and row["fps"] > 0 and row["runs"] == 1, row
        assert row["p50_ms"] <= row["p99_ms"], row
    # Every row carries decode, so none can be cheaper than decoding alone.
    assert min(row["mean_ms"] for row in rows.values()) >= rows["decode"]["mean_ms"] * 0.999
    full = rows["full"]
    assert full["model_calls_per_frame"] == 1.0 and full["model_us_per_call"] > 0
    assert 5 <= full["digits_per_frame"] <= 15
    assert rows["usual_keras"]["model_calls_per_frame"] == rows["usual_keras"]["digits_per_frame"]
    cli = rows["cli_save_json"]
    assert cli["cold_start_s"] > 0 and cli["peak_rss_mb"] > 50 and cli["frames_per_run"] == 8
    assert quick_results["speed"]["keras_max_difference"] < 1e-4
    names = [ratio["name"] for ratio in quick_results["speed"]["ratios"]]
    assert "realtime-digits / floor" in names


def test_quick_run_scores_every_tier_and_normalization(quick_results):
    scores = quick_results["accuracy"]["scores"]
    assert {(s["tier"], s["normalization"]) for s in scores} == {
        (tier, norm) for tier in TIERS for norm in ("ours", "naive")}
    for score in scores:
        assert score["true_digits"] == 2 * accuracy.SCENE_DIGITS
        for name in ("recall", "precision", "accuracy_found", "end_to_end"):
            assert 0.0 <= score[name] <= 1.0, score
    # End-to-end and precision for each of the four tiers, the text-page figure, and issue 15's
    # three goals on each of the three clips.
    assert len(quick_results["targets"]) == 9 + 2 + 3 * 3
    assert all(target["passed"] in (True, False, None) for target in quick_results["targets"])
    report_only = [target for target in quick_results["targets"] if target["report_only"]]
    assert [target["name"] for target in report_only] == [
        "false digits per text page, softmax, camera"]
    assert report_only[0]["passed"] is None and report_only[0]["value"] >= 0


def test_quick_run_times_both_backends_in_process_and_cold(quick_results):
    backends = quick_results["backends"]
    assert backends["skipped"] == {}, backends["skipped"]
    pipeline = {(row["model"], row["backend"]): row for row in backends["pipeline"]}
    assert set(pipeline) == {(model, backend) for model in ("softmax", "cnn")
                             for backend in ("tensorflow", "litert")}
    speed_full = next(row for row in quick_results["speed"]["rows"] if row["key"] == "full")
    assert pipeline["softmax", "tensorflow"]["mean_ms"] == speed_full["mean_ms"]  # same row
    for row in pipeline.values():
        assert row["mean_ms"] > 0 and row["p50_ms"] <= row["p99_ms"], row
        assert row["model_calls_per_frame"] == 1.0 and row["model_us_per_call"] > 0, row
        assert row["frames_per_run"] == 8 and row["digits_per_frame"] >= 5, row
    # --quick starts only the first backend model cold, once per backend.
    cold = {row["backend"]: row for row in backends["cold_start"]}
    assert set(cold) == {"tensorflow", "litert"}
    for row in cold.values():
        assert row["model"] == "softmax" and row["runs"] == 1 and row["digits"] >= 5, row
        parts = [row[name] for name in ("imports_s", "source_s", "model_load_s",
                                        "first_frame_s")]
        assert min(parts) >= 0 and abs(sum(parts) - row["total_s"]) < 0.01, row
        assert row["peak_rss_mb"] > 30, row
    assert cold["tensorflow"]["tensorflow_imported"] and not cold["litert"]["tensorflow_imported"]
    ratios = {ratio["model"]: ratio for ratio in backends["ratios"]}
    assert ratios["softmax"]["peak_rss_mb"] < 1 and ratios["softmax"]["cold_start_s"] < 1
    assert ratios["cnn"]["mean_ms"] > 0 and ratios["cnn"]["cold_start_s"] is None
    assert all(value < 1e-4 for value in backends["max_probability_difference"].values())


def test_quick_run_scores_every_condition(quick_results):
    conditions = quick_results["conditions"]
    assert conditions["scenes_per_condition"] == 1
    assert [s["tier"] for s in conditions["scores"]] == list(synth.CONDITIONS)
    for score in conditions["scores"]:
        assert score["model"] == "softmax" and score["normalization"] == "ours"
        assert score["true_digits"] == accuracy.SCENE_DIGITS
        assert 0 <= score["correct"] <= score["matched"] <= min(score["found"], 10), score


def test_condition_scenes_are_the_same_every_run(mnist_test):
    x_test, y_test = mnist_test
    first, again = (accuracy.make_condition_scenes(x_test, y_test, "boxes", 2) for _ in range(2))
    assert all(np.array_equal(a.image_bgr, b.image_bgr) and a.digits == b.digits
               for a, b in zip(first, again))


def test_quick_run_counts_false_digits_on_text_pages(quick_results):
    text_pages = quick_results["text_pages"]
    assert text_pages["pages_per_tier"] == 1
    assert {(s["tier"], s["model"]) for s in text_pages["scores"]} == {
        (tier, "softmax") for tier in TIERS}
    for score in text_pages["scores"]:
        assert score["pages"] == 1 and score["min_confidence"] == 0.5, score
        assert 0 <= score["false_digits"] <= score["detections"] <= score["max_regions"], score
        assert score["false_digits_per_page"] == score["most_false_digits"], score
        assert score["unsure_share"] is None or 0 <= score["unsure_share"] <= 1, score


def test_quick_run_reads_the_real_photos_or_says_why_not(quick_results):
    photos = quick_results["real_photos"]
    assert photos["images"] or photos["skipped"]
    assert any("RapidOCR row skipped: --quick" in note for note in photos["skipped"])
    for row in photos["images"]:
        assert row["size_name"] == "640" and max(row["size"]) == real_photos.SCALED_SIDE_PX
        assert ("false_digits" in row) == (row["truth"] == ""), row
        assert "false_digits" in row or 0 <= row["recall"] <= row["found"] <= 1, row
    if photos["images"]:
        (total,) = photos["totals"]
        assert total["reader"] == "softmax" and total["negatives"] == 4
        assert total["true_digits"] == sum(row["true_digits"] for row in photos["images"])


def test_quick_run_times_every_clip_and_its_steps(quick_results):
    clips = {clip["name"]: clip for clip in quick_results["clips"]["clips"]}
    assert set(clips) == {"demo", "camera", "wild"}
    for clip in clips.values():
        rows = {row["key"]: row for row in clip["rows"]}
        assert set(rows) == {"decode", "floor", "stream", "usual_keras"}, clip["name"]
        for row in rows.values():
            assert row["p50_ms"] <= row["p99_ms"] <= row["max_ms"], row
        assert clip["stream_over_floor"] > 0 and clip["stream_p99_over_p50"] >= 1
        steps = {step["step"]: step for step in clip["steps"]}
        assert set(steps) >= {"working", "surface", "threshold", "rules", "components",
                              "strokes", "filters", "reading", "intensity", "normalize", "model"}
        # The steps are parts of the stream row's frames, decode not among them.
        assert sum(step["mean_ms"] for step in steps.values()) <= rows["stream"]["mean_ms"]
    # The demo clip's digits are found, so every detection step and the model ran on it.
    demo_steps = {step["step"]: step for step in clips["demo"]["steps"]}
    assert all(demo_steps[name]["mean_ms"] > 0 for name in ("working", "surface", "intensity",
                                                            "normalize", "model"))
    names = [target["name"] for target in quick_results["targets"]]
    assert "wild: realtime-digits p99 / its p50" in names


def test_quick_run_profiles_the_pipeline(quick_results):
    top = quick_results["profile"]["top"]
    assert 0 < len(top) <= 15
    assert any("recognize" in line["function"] for line in top)


def test_line_times_follow_the_growing_file():
    content = b'{"frame": 0}\n{"frame": 1}\n{"frame": 2}\n'
    first, second = len(b'{"frame": 0}\n'), len(b'{"frame": 0}\n{"frame": 1}\n')
    # Seen: half of line 0 at 0.5 s, line 0 whole at 1.0 s, lines 1 and 2 only after exit.
    times = speed._line_times(content, [(0.5, 4), (1.0, first), (1.5, second + 3)], end_s=2.0)
    assert list(times) == [1.0, 1.5, 2.0]


def _detection(box, label):
    return Detection(box, label, 0.9, np.zeros((28, 28), np.float32))


def test_text_in_lines_reads_lines_as_the_pipeline_groups_them():
    # Given out of order: the second line first, and a line that slants down to the right.
    detections = [_detection((10, 100, 20, 30), 4), _detection((40, 104, 20, 30), 5),
                  _detection((10, 10, 20, 30), 1), _detection((40, 16, 20, 30), 2),
                  _detection((70, 24, 20, 30), 3)]
    assert real_photos.text_in_lines(detections) == "123 45"
    assert real_photos.text_in_lines([]) == ""


def test_character_error_rate_parts():
    assert real_photos.levenshtein("1247673", "1247673") == 0
    assert real_photos.levenshtein("1241673", "1247673") == 1
    assert real_photos.levenshtein("", "12") == 2 and real_photos.levenshtein("123", "") == 3


def _score(truth: str, read: str) -> dict:
    return real_photos.PhotoScore("a.png", "640", (640, 480), "softmax", truth, read, 1.0).to_json()


def test_an_extra_digit_costs_precision_and_cer_not_recall():
    extra = _score("123", "1243")
    assert (extra["matched"], extra["substituted"], extra["edit_distance"]) == (3, 0, 1)
    assert extra["recall"] == 1.0 and extra["precision"] == 0.75
    assert extra["cer"] == round(1 / 3, 4) and extra["found"] == 1.0


def test_a_missed_digit_costs_recall_and_cer_not_precision():
    missed = _score("1243", "123")
    assert missed["recall"] == 0.75 and missed["precision"] == 1.0 and missed["cer"] == 0.25
    assert missed["found"] == 0.75


def test_a_wrong_label_is_found_but_not_matched():
    wrong = _score("1241", "1247")
    assert (wrong["matched"], wrong["substituted"]) == (3, 1)
    assert wrong["recall"] == wrong["precision"] == 0.75 and wrong["found"] == 1.0
    assert wrong["cer"] == 0.25


def test_line_breaks_cost_nothing_but_line_order_does():
    assert _score("12 34", "1234")["cer"] == 0.0
    swapped = _score("12 34", "34 12")
    assert swapped["edit_distance"] == 4 and swapped["matched"] == 2
    # Of the least-distance alignments, the one with most matches: "21" for "12" is one match
    # and two edits, not two substitutions.
    assert real_photos.align_digits("21", "12") == real_photos.Alignment(2, 1, 0)


def test_false_digits_can_push_cer_past_one_and_nothing_read_is_cer_one():
    assert _score("12", "347")["cer"] == 1.5
    nothing = _score("12", "")
    assert nothing["cer"] == 1.0 and nothing["recall"] == 0.0 and nothing["precision"] is None


def test_on_a_negative_every_digit_read_is_false():
    negative = _score("", "1 86")
    assert negative["false_digits"] == 3 and "cer" not in negative and "recall" not in negative


def test_totals_sum_counts_over_images_and_count_images_under_the_goal():
    scores = [real_photos.PhotoScore(file, "640", (640, 480), "cnn", truth, read, ms)
              for file, truth, read, ms in [("a", "1234567890", "1234567890", 10.0),
                                            ("b", "1234567890", "12345678", 20.0),  # 80%: goal
                                            ("c", "12345", "1239", 30.0),  # 4 of 5 found
                                            ("d", "123", "1", 40.0),  # 1 of 3 found: under
                                            ("e", "", "77", 50.0)]]
    (total,) = real_photos.totals(scores)
    row = total.to_json()
    assert (row["true_digits"], row["read_digits"], row["matched"], row["substituted"]) == (
        28, 23, 22, 1)
    assert row["edit_distance"] == 0 + 2 + 2 + 2
    assert row["recall"] == round(22 / 28, 4) and row["precision"] == round(22 / 23, 4)
    assert row["cer"] == round(6 / 28, 4)
    assert (row["negatives"], row["digits_on_negatives"], row["images_under_goal"]) == (1, 2, 1)
    assert row["median_ms"] == 30.0


def test_scaled_versions_put_the_longer_side_at_640_px():
    for shape, expected in [((1600, 1200, 3), (480, 640)), ((73, 372, 3), (640, 126)),
                            ((480, 640, 3), (640, 480))]:
        (full_name, full), (scaled_name, scaled) = real_photos.scaled_versions(
            np.zeros(shape, np.uint8))
        assert (full_name, scaled_name) == ("full", "640") and full.shape == shape
        assert (scaled.shape[1], scaled.shape[0]) == expected


def test_real_only_reads_every_photo_at_both_sizes(tmp_path, softmax_model_dir, real_photos_dir):
    status = run.main(["--real-only", "--no-reference", "--models", "softmax",
                       "--real", str(real_photos_dir), "--out", str(tmp_path)])
    assert status == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["real.json"]  # never latest.json
    photos = json.loads((tmp_path / "real.json").read_text())["real_photos"]
    labels = json.loads((real_photos_dir / "labels.json").read_text())
    assert {(row["file"], row["size_name"]) for row in photos["images"]} == {
        (file, size) for file in labels for size in ("full", "640")}
    assert [(row["reader"], row["size_name"]) for row in photos["totals"]] == [
        ("softmax", "full"), ("softmax", "640")]
    # sheet_on_desk.png is read, whole or nearly (its own tests ask for the exact text).
    sheet = next(row for row in photos["images"]
                 if (row["file"], row["size_name"]) == ("sheet_on_desk.png", "full"))
    assert sheet["recall"] >= 0.85 and sheet["true_digits"] == 14


def test_rapidocr_reads_the_desk_photo_line_by_line(real_photos_dir):
    pytest.importorskip("rapidocr_onnxruntime", reason="the optional 'anchors' extra")
    import cv2

    reader, why_not = real_photos.rapidocr_reader()
    assert why_not is None
    assert reader(cv2.imread(str(real_photos_dir / "sheet_on_desk.png"))) == "1247673 8952481"


def test_accuracy_alone_refuses_an_unknown_tier_in_one_line(capsys):
    """`python -m benchmarks.accuracy` (the tier and condition tables alone) is a command of its
    own: a typo in --tiers is one line and exit 2, before any model loads or scene is drawn."""
    assert accuracy.main(["--tiers", "camera,wilde", "--condition-scenes", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["benchmarks.accuracy: error: unknown tier 'wilde': choose from " + ", ".join(synth.TIERS)]


def test_the_benchmark_times_classifiers_not_the_digit_check():
    """models/ also holds notdigit, whose output is isDigit [N, 1]: the default model list took
    it for a classifier and the speed benchmark stopped on its signature."""
    from benchmarks.run import default_models

    models = default_models()
    assert models[0] == "softmax" and "cnn" in models and "notdigit" not in models


def test_step_clock_times_boxes_split_and_numbers_apart(recognizer, real_photos_dir):
    # A form with printed boxes (their removal used to fall into "detect, other") and digits.
    import cv2

    from benchmarks.profiling import STEP_NAMES, StepClock
    from realtime.types import Frame

    image = cv2.imread(str(real_photos_dir / "kawalc1__kawalc1__IMG_4219_crop1.JPG"))
    with StepClock(recognizer) as clock:
        result = recognizer.recognize_frame(Frame(0, 0.0, image))
        ms = clock.frame_ms()
    assert result.detections and tuple(ms) == STEP_NAMES
    assert {"boxes", "split", "numbers"} <= set(ms) and ms["boxes"] > 0 and ms["split"] > 0 and ms["numbers"] > 0
    # Restored on exit: the pipeline's own functions again.
    import realtime.detect
    import realtime.pipeline
    from realtime.detect.boxes import remove_boxes
    from realtime.split import propose_cuts
    assert realtime.detect.remove_boxes is remove_boxes and realtime.pipeline.propose_cuts is propose_cuts
