"""benchmarks: `python -m benchmarks --quick` runs every row and section and writes sane JSON.

No timing asserts (the machine is shared): only that each figure exists and is plausible.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import accuracy, run, speed

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
                         "usual_keras", "cli_save_json"}, quick_results["speed"]["rows_skipped"]
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
    assert len(quick_results["targets"]) == 8
    assert all(target["passed"] in (True, False, None) for target in quick_results["targets"])


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


def test_character_error_rate_parts():
    assert accuracy.levenshtein("1247673", "1247673") == 0
    assert accuracy.levenshtein("1241673", "1247673") == 1
    assert accuracy.levenshtein("", "12") == 2 and accuracy.levenshtein("123", "") == 3
