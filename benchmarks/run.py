"""`python -m benchmarks`: speed, both backends, accuracy, text pages, real photos and a profile,
printed and saved as JSON."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import accuracy, profiling, real_photos, report, speed
from realtime.errors import whole_number

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MNIST = REPO.parent / "shared" / "data" / "mnist.npz"
DEFAULT_REAL_DIR = REPO.parent / "shared" / "data" / "real"
# Full run: 300 frames x 3 interleaved runs keeps each row's median steady on a shared 2-core
# machine; the Keras row gets 10 frames a run (100 calls of 30-50 ms, ~5 s) instead of 300.
# Cold starts run `repeats` times per model and backend. 20 text pages a tier put each model's
# false digits per page within about +-2 of the mean at the ~50 detections a page gives today.
# 50 scenes (500 digits) a condition give its recall within about +-2% at the 90% seen today.
FULL = dict(frames=300, repeats=3, keras_frames=10, scenes=100, profile_frames=100,
            text_pages=20, condition_scenes=50)
# --quick: enough to run every code path once (the smoke test), in seconds. Its cold starts are
# only the first backend model's (each TensorFlow one costs seconds).
QUICK = dict(frames=8, repeats=1, keras_frames=2, scenes=2, profile_frames=4, text_pages=1,
             condition_scenes=1)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="realtime-digits benchmarks: per-frame speed against the floor and the usual "
                    "per-digit approach, each model on each backend (in-process and from a "
                    "cold start), accuracy on generated scenes, false digits on generated text "
                    "pages, the real photos.")
    parser.add_argument("--quick", action="store_true",
                        help="a handful of frames and scenes, one run (smoke test); writes "
                             "quick.json, never latest.json")
    parser.add_argument("--frames", type=whole_number(1),
                        help=f"clip frames (default {FULL['frames']})")
    parser.add_argument("--repeats", type=whole_number(1),
                        help=f"interleaved runs per row, and cold starts per model and backend "
                             f"(default {FULL['repeats']})")
    parser.add_argument("--keras-frames", type=whole_number(1),
                        help=f"frames per run for per-digit Keras predict "
                             f"(default {FULL['keras_frames']})")
    parser.add_argument("--scenes", type=whole_number(1),
                        help=f"generated scenes per tier (default {FULL['scenes']})")
    parser.add_argument("--condition-scenes", type=whole_number(0),
                        help=f"generated scenes per one-factor condition (bright_desk, shadow, "
                             f"... chalkboard), 0 = none (default {FULL['condition_scenes']})")
    parser.add_argument("--text-pages", type=whole_number(0),
                        help=f"generated text pages (no digits) per tier, 0 = none "
                             f"(default {FULL['text_pages']})")
    parser.add_argument("--profile-frames", type=whole_number(0),
                        help=f"frames to profile, 0 = no profile "
                             f"(default {FULL['profile_frames']})")
    parser.add_argument("--models", help="comma-separated model names or SavedModel folders; "
                                         "speed uses the first (default: softmax, then every "
                                         "other model under models/)")
    parser.add_argument("--backend-models",
                        help=f"comma-separated models to time on every backend, in-process and "
                             f"from a cold start; '' = none (default: those of "
                             f"{', '.join(speed.BACKEND_MODELS)} under models/)")
    parser.add_argument("--data", help=f"MNIST .npz (default $MNIST_NPZ, else {DEFAULT_MNIST})")
    parser.add_argument("--real", default=str(DEFAULT_REAL_DIR),
                        help="folder of the real photos and labels.json "
                             "(default ../shared/data/real)")
    parser.add_argument("--real-only", action="store_true",
                        help="only the real photos (every model and RapidOCR, full size and "
                             "640 px), in seconds: the check after a detection change; writes "
                             "real.json, never latest.json")
    parser.add_argument("--no-reference", action="store_true",
                        help="real photos without the RapidOCR reference row")
    parser.add_argument("--no-cli", action="store_true", help="skip the CLI process rows")
    parser.add_argument("--speed-only", action="store_true",
                        help="only the speed sections (SPEED, BACKENDS, CLIPS, the profile): no "
                             "accuracy, conditions, text pages or real photos")
    parser.add_argument("--out", default=str(report.RESULTS_DIR),
                        help="folder for the JSON results (default benchmarks/results)")
    return parser


def default_models() -> list[str]:
    from realtime.contract import classifier_names
    from realtime.model import DEFAULT_MODEL

    found = classifier_names()
    return [DEFAULT_MODEL] + [name for name in found if name != DEFAULT_MODEL]


def default_backend_models() -> list[str]:
    """speed.BACKEND_MODELS that are under models/ (with either backend's file)."""
    from realtime.model import models_root

    return [name for name in speed.BACKEND_MODELS if (models_root() / name).is_dir()]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from realtime.errors import UserError

    try:
        return run(args, list(sys.argv[1:] if argv is None else argv))
    except UserError as error:
        print(f"benchmarks: error: {error}", file=sys.stderr)
        return 2


def run(args, argv: list[str]) -> int:
    from realtime.errors import UserError
    from realtime.mnist import load_mnist
    from realtime.model import resolve_model_dir

    started = time.perf_counter()
    defaults = QUICK if args.quick else FULL
    sizes = {name: default if getattr(args, name) is None else getattr(args, name)
             for name, default in defaults.items()}
    models = _names(args.models) if args.models is not None else default_models()
    if not models:
        raise UserError("--models names no model: give e.g. --models softmax,softmax_plain")
    backend_models = (_names(args.backend_models) if args.backend_models is not None
                      else default_backend_models())
    model_dirs = {name: resolve_model_dir(name) for name in models}  # fail before any work
    if args.real_only:
        return _run_real_only(args, argv, models, model_dirs, started)
    for name in backend_models:
        resolve_model_dir(name)
    mnist = load_mnist(args.data or os.environ.get("MNIST_NPZ") or DEFAULT_MNIST)

    from realtime.pipeline import Recognizer

    results = {"schema": 1, "date": report.now_utc().isoformat(), "quick": args.quick,
               "command": " ".join(["python -m benchmarks", *argv]), "machine": report.machine(),
               "versions": report.versions(), "git": report.git_state(),
               "settings": {**sizes, "models": models, "backend_models": backend_models}}
    recognizers = {name: Recognizer(str(model_dirs[name])) for name in models}
    cases, cases_skipped = _backend_cases(backend_models, models[0], recognizers)
    # --quick keeps one CLI row: it runs every step the other does, and each CLI run pays a
    # TensorFlow import.
    cli_rows = () if args.no_cli else ("cli_save_json",) if args.quick else speed.CLI_ROWS
    cold_cases = tuple(case for case in cases
                       if not args.quick or case.model == backend_models[0])
    rows, backend_rows, cold_rows, profile_lines, clips = _speed_and_profile(
        results, mnist, models[0], model_dirs[models[0]], recognizers[models[0]], sizes,
        cli_rows, cases, cold_cases, cases_skipped)
    scores, condition_scores, text_scores = [], [], []
    if not args.speed_only:
        scores = _accuracy(results, mnist, recognizers, sizes["scenes"])
        condition_scores = _conditions(results, mnist, recognizers, sizes["condition_scenes"])
        text_scores = _text_pages(results, recognizers, sizes["text_pages"])
        _real_photos(results, Path(args.real), recognizers, args.quick, args.no_reference)
    found_targets = (report.targets({row.key: row for row in rows}, scores, text_scores)
                     + report.clip_targets(clips))
    results["targets"] = [target.to_json() for target in found_targets]
    results["run_seconds"] = round(time.perf_counter() - started, 1)
    results["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)

    sections = [report.header_text(results), report.speed_text(results["speed"], rows),
                report.backends_text(results["backends"], backend_rows, cold_rows),
                report.clips_text(results["clips"], clips)]
    if not args.speed_only:
        sections += [report.accuracy_text(results["accuracy"], scores),
                     report.conditions_text(results["conditions"], condition_scores),
                     report.text_pages_text(results["text_pages"], text_scores),
                     report.real_photos_text(results["real_photos"])]
    sections += [report.profile_text(results["profile"], profile_lines),
                 report.targets_text(found_targets)]
    print("\n\n".join(section for section in sections if section))
    paths = report.write_results(results, Path(args.out), args.quick, speed_only=args.speed_only)
    print(f"\nbenchmarks: {results['run_seconds']:.0f} s; wrote "
          f"{', '.join(str(path) for path in paths)}")
    return 0


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def _backend_cases(backend_models: list[str], speed_model: str, recognizers: dict):
    """Every backend model on every backend, loaded now (a pair that cannot load is skipped with
    the reason, e.g. no model.tflite or no ai-edge-litert): (cases, {"model backend": reason})."""
    from realtime.errors import UserError
    from realtime.model import BACKENDS, resolve_model_dir

    cases, skipped = [], {}
    for model in backend_models:
        for backend in BACKENDS:
            try:
                cases.append(speed.BackendCase.load(model, backend,
                                                    resolve_model_dir(model, backend),
                                                    speed_model, recognizers))
            except UserError as error:
                skipped[f"{model} {backend}"] = str(error)
    return tuple(cases), skipped


def _speed_and_profile(results: dict, mnist, model_name: str, model_dir: Path, recognizer,
                       sizes: dict, cli_rows: tuple[str, ...], cases: tuple, cold_cases: tuple,
                       cases_skipped: dict):
    """The speed rows, the backend rows and cold starts, and the profile, on a clip that lives
    in a temporary folder; fills results["speed"], results["backends"] and results["profile"].
    Also every clip of the CLIPS section (speed.measure_clip), into results["clips"].
    Returns (speed rows, {(model, backend): row}, cold start rows, profile lines, clips)."""
    from tqdm import tqdm

    with tempfile.TemporaryDirectory(prefix="realtime-bench-") as workdir:
        print(f"benchmarks: generating a {sizes['frames']}-frame clip ...", file=sys.stderr)
        clip = speed.make_clip(mnist.x_test, mnist.y_test, Path(workdir), sizes["frames"])
        all_clips = {"demo": speed.demo_clip(), "camera": clip,
                     "wild": speed.make_wild_clip(mnist.x_test, mnist.y_test, Path(workdir),
                                                  sizes["frames"])}
        keras_model, keras_skipped = speed.keras_replica(model_dir)
        keras_difference = (speed.keras_max_difference(keras_model, recognizer, clip.frames_bgr[0])
                            if keras_model is not None else None)
        total = sizes["repeats"] * (speed.steps_per_run(len(clip.frames_bgr), cli_rows)
                                    + len(cold_cases)
                                    + sum(speed.steps_per_clip(len(one.frames_bgr))
                                          for one in all_clips.values()))
        with tqdm(total=total, desc="speed", unit="step", file=sys.stderr, leave=False) as bar:
            rows, rows_skipped = speed.measure_speed(
                clip, recognizer, str(model_dir), keras_model, sizes["repeats"],
                sizes["keras_frames"], Path(workdir), progress=bar, cli_rows=cli_rows,
                backend_cases=cases)
            cold_rows, cold_skipped = speed.measure_cold_starts(clip.path, cold_cases,
                                                                sizes["repeats"], progress=bar)
            clips = [speed.measure_clip(name, one, recognizer, keras_model, sizes["repeats"],
                                        sizes["keras_frames"], progress=bar)
                     for name, one in all_clips.items()]
        profile_frames = list(clip.frames_bgr[:sizes["profile_frames"]])
        profile_lines = profiling.profile_recognizer(recognizer, profile_frames)
        differences = _backend_differences(cases, clip.frames_bgr[0])
    by_key = {row.key: row for row in rows}
    backend_rows = {(case.model, case.backend): by_key[case.row_key] for case in cases}
    rows = [row for row in rows if row.key in speed.ROW_LABELS]
    results["speed"] = {
        "model": model_name, "repeats": sizes["repeats"], "chunk_frames": speed.CHUNK_FRAMES,
        "cli_rows": list(cli_rows),
        "clip": {"tier": speed.CLIP_TIER, "size": list(speed.CLIP_SIZE),
                 "frames": len(clip.frames_bgr), "fps": speed.CLIP_FPS, "seed": speed.CLIP_SEED,
                 "true_digits_per_frame": clip.true_digits_per_frame},
        "keras_skipped": keras_skipped or None, "keras_max_difference": keras_difference,
        "rows_skipped": rows_skipped, "rows": [row.to_json() for row in rows],
        "ratios": [ratio.to_json() for ratio in report.ratio_rows(by_key)],
        "stages_ms": [{"stage": name, "ms": round(value, 4)}
                      for name, value in report.stage_breakdown(by_key)]}
    results["backends"] = {
        "models": list(dict.fromkeys(case.model for case in cases)),
        "repeats": sizes["repeats"], "skipped": {**cases_skipped, **cold_skipped},
        "max_probability_difference": differences,
        "pipeline": [{"model": model, "backend": backend, **row.to_json()}
                     for (model, backend), row in backend_rows.items()],
        "cold_start": [row.to_json() for row in cold_rows],
        "ratios": [ratio.to_json() for ratio in report.backend_ratios(backend_rows, cold_rows)]}
    results["profile"] = {"frames": len(profile_frames), "model": model_name,
                          "top": [line.to_json() for line in profile_lines]}
    results["clips"] = {"model": model_name, "repeats": sizes["repeats"],
                        "chunk_frames": speed.CHUNK_FRAMES, "reuse": speed.STREAM_REUSE,
                        "wild_seed": speed.WILD_SEED, "wild_page_frames": speed.WILD_PAGE_FRAMES,
                        "clips": [one.to_json() for one in clips]}
    return rows, backend_rows, cold_rows, profile_lines, clips


def _backend_differences(cases: tuple, frame_bgr) -> dict[str, float]:
    """By model: largest |probability difference| of LiteRT against TensorFlow on one frame's
    digits (the backends must agree, or comparing their speed means nothing)."""
    by_pair = {(case.model, case.backend): case.recognizer for case in cases}
    return {model: round(speed.max_difference(by_pair[model, "tensorflow"],
                                              by_pair[model, "litert"].model.predict,
                                              frame_bgr), 9)
            for model, backend in by_pair
            if backend == "litert" and (model, "tensorflow") in by_pair}


def _accuracy(results: dict, mnist, recognizers: dict, scenes_per_tier: int) -> list:
    """Scores of every tier, model and normalization; fills results["accuracy"]."""
    from tqdm import tqdm

    from tools.synth import TIERS

    scores = []
    with tqdm(total=len(TIERS) * scenes_per_tier, desc="accuracy", unit="scene",
              file=sys.stderr, leave=False) as bar:
        for tier in TIERS:
            scenes = accuracy.make_scenes(mnist.x_test, mnist.y_test, tier, scenes_per_tier)
            scores += accuracy.score_tier(tier, scenes, recognizers, progress=bar)
    results["accuracy"] = {"seed": accuracy.SCENE_SEED, "scenes_per_tier": scenes_per_tier,
                           "digits_per_scene": accuracy.SCENE_DIGITS,
                           "size": list(accuracy.SCENE_SIZE), "min_iou": accuracy.MATCH_MIN_IOU,
                           "scores": [score.to_json() for score in scores]}
    return scores


def _conditions(results: dict, mnist, recognizers: dict, scenes_per_condition: int) -> list:
    """Scores of every one-factor condition and model; fills results["conditions"]."""
    from tqdm import tqdm

    from tools.synth import CONDITIONS

    scores = []
    if scenes_per_condition:
        with tqdm(total=len(CONDITIONS) * scenes_per_condition, desc="conditions",
                  unit="scene", file=sys.stderr, leave=False) as bar:
            for condition in CONDITIONS:
                scenes = accuracy.make_condition_scenes(mnist.x_test, mnist.y_test, condition,
                                                        scenes_per_condition)
                scores += [score for score in accuracy.score_tier(condition, scenes, recognizers,
                                                                  progress=bar)
                           if score.normalization == "ours"]
    results["conditions"] = {"seed": accuracy.CONDITION_SEED,
                             "scenes_per_condition": scenes_per_condition,
                             "digits_per_scene": accuracy.SCENE_DIGITS,
                             "size": list(accuracy.SCENE_SIZE),
                             "min_iou": accuracy.MATCH_MIN_IOU,
                             "scores": [score.to_json() for score in scores]}
    return scores


def _text_pages(results: dict, recognizers: dict, pages_per_tier: int) -> list:
    """Detections and false digits of every model on every tier's text pages; fills
    results["text_pages"]."""
    from tqdm import tqdm

    from tools.synth import TIERS

    scores = []
    if pages_per_tier:
        with tqdm(total=len(TIERS) * pages_per_tier, desc="text pages", unit="page",
                  file=sys.stderr, leave=False) as bar:
            for tier in TIERS:
                pages = accuracy.make_text_pages(tier, pages_per_tier)
                scores += accuracy.score_text_pages(tier, pages, recognizers, progress=bar)
    results["text_pages"] = {"seed": accuracy.TEXT_PAGE_SEED, "pages_per_tier": pages_per_tier,
                             "size": list(accuracy.SCENE_SIZE),
                             "scores": [score.to_json() for score in scores]}
    return scores


def _run_real_only(args, argv: list[str], models: list[str], model_dirs: dict,
                   started: float) -> int:
    """`--real-only`: the real photos section alone, printed and written to real.json."""
    from realtime.pipeline import Recognizer

    results = {"schema": 1, "date": report.now_utc().isoformat(), "quick": False,
               "real_only": True, "command": " ".join(["python -m benchmarks", *argv]),
               "machine": report.machine(), "versions": report.versions(),
               "git": report.git_state(), "settings": {"models": models}}
    recognizers = {name: Recognizer(str(model_dirs[name])) for name in models}
    _real_photos(results, Path(args.real), recognizers, False, args.no_reference)
    results["run_seconds"] = round(time.perf_counter() - started, 1)
    results["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
    print(report.header_text(results) + "\n\n" + report.real_photos_text(results["real_photos"]))
    paths = report.write_results(results, Path(args.out), quick=False, real_only=True)
    print(f"\nbenchmarks: {results['run_seconds']:.0f} s; wrote "
          f"{', '.join(str(path) for path in paths)}")
    return 0


def _real_photos(results: dict, real_dir: Path, recognizers: dict, quick: bool,
                 no_reference: bool) -> None:
    """Every real image by every model (and RapidOCR, the reference) at full size and 640 px;
    fills results["real_photos"]. --quick reads them at 640 px only, without the reference (each
    RapidOCR call costs most of a second)."""
    from tqdm import tqdm

    notes = []
    reference = None
    if quick or no_reference:
        notes.append("RapidOCR row skipped: " + ("--quick" if quick else "--no-reference"))
    else:
        reference, why_not = real_photos.rapidocr_reader()
        notes += [why_not] if why_not else []
    sizes = ("640",) if quick else real_photos.SIZES
    labels, _ = real_photos.load_labels(real_dir)
    with tqdm(total=len(labels) * len(sizes), desc="real photos", unit="image",
              file=sys.stderr, leave=False) as bar:
        scores, skipped = real_photos.read_photos(real_dir, recognizers, reference, sizes,
                                                  progress=bar)
    results["real_photos"] = {
        "folder": str(real_dir.resolve()), "sizes": list(sizes),
        "scaled_side_px": real_photos.SCALED_SIDE_PX,
        "images": [score.to_json() for score in scores],
        "totals": [total.to_json() for total in real_photos.totals(scores)] if scores else [],
        "skipped": skipped + notes}
