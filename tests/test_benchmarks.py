"""benchmarks: `python -m benchmarks --quick` runs every row and section and writes sane JSON.

No timing asserts (the machine is shared): only that each figure exists and is plausible.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks import accuracy, run, speed
from realtime.types import Detection

REAL_PHOTOS = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "real"

TIERS = ("clean", "camera", "hard")


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
    assert len(quick_results["targets"]) == 9
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
    assert photos["readings"] or photos["skipped"]
    for reading in photos["readings"]:
        assert (reading["cer"] is None) == (reading["truth"] == ""), reading
        assert reading["cer"] is None or reading["cer"] >= 0


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
    assert accuracy.text_in_lines(detections) == "123 45"
    assert accuracy.text_in_lines([]) == ""


def test_character_error_rate_parts():
    assert accuracy.levenshtein("1247673", "1247673") == 0
    assert accuracy.levenshtein("1241673", "1247673") == 1
    assert accuracy.levenshtein("", "12") == 2 and accuracy.levenshtein("123", "") == 3
