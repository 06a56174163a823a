"""`python -m benchmarks`: speed, accuracy, real photos and a profile, printed and saved as JSON."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import accuracy, profiling, report, speed

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MNIST = REPO.parent / "shared" / "data" / "mnist.npz"
DEFAULT_REAL_DIR = REPO.parent / "shared" / "data" / "real"
# Full run: 300 frames x 3 interleaved runs keeps each row's median steady on a shared 2-core
# machine; the Keras row gets 10 frames a run (100 calls of 30-50 ms, ~5 s) instead of 300.
FULL = dict(frames=300, repeats=3, keras_frames=10, scenes=100, profile_frames=100)
# --quick: enough to run every code path once (the smoke test), in seconds.
QUICK = dict(frames=8, repeats=1, keras_frames=2, scenes=2, profile_frames=4)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="realtime-digits benchmarks: per-frame speed against the floor and the usual "
                    "per-digit approach, accuracy on generated scenes, the real photos.")
    parser.add_argument("--quick", action="store_true",
                        help="a handful of frames and scenes, one run (smoke test); writes "
                             "quick.json, never latest.json")
    parser.add_argument("--frames", type=_positive,
                        help=f"clip frames (default {FULL['frames']})")
    parser.add_argument("--repeats", type=_positive,
                        help=f"interleaved runs per row (default {FULL['repeats']})")
    parser.add_argument("--keras-frames", type=_positive,
                        help=f"frames per run for per-digit Keras predict "
                             f"(default {FULL['keras_frames']})")
    parser.add_argument("--scenes", type=_positive,
                        help=f"generated scenes per tier (default {FULL['scenes']})")
    parser.add_argument("--profile-frames", type=_count,
                        help=f"frames to profile, 0 = no profile "
                             f"(default {FULL['profile_frames']})")
    parser.add_argument("--models", help="comma-separated model names or SavedModel folders; "
                                         "speed uses the first (default: softmax, then every "
                                         "other model under models/)")
    parser.add_argument("--data", help=f"MNIST .npz (default $MNIST_NPZ, else {DEFAULT_MNIST})")
    parser.add_argument("--real", default=str(DEFAULT_REAL_DIR),
                        help="folder of the real photos and labels.json "
                             "(default ../shared/data/real)")
    parser.add_argument("--no-cli", action="store_true", help="skip the CLI process rows")
    parser.add_argument("--out", default=str(report.RESULTS_DIR),
                        help="folder for the JSON results (default benchmarks/results)")
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def default_models() -> list[str]:
    from realtime.model import DEFAULT_MODEL, models_root

    found = sorted(p.name for p in models_root().glob("*") if (p / "saved_model.pb").is_file())
    return [DEFAULT_MODEL] + [name for name in found if name != DEFAULT_MODEL]


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
    models = ([m.strip() for m in args.models.split(",") if m.strip()] if args.models
              else default_models())
    if not models:
        raise UserError("--models names no model: give e.g. --models softmax,softmax_plain")
    model_dirs = {name: resolve_model_dir(name) for name in models}  # fail before any work
    mnist = load_mnist(args.data or os.environ.get("MNIST_NPZ") or DEFAULT_MNIST)

    from realtime.pipeline import Recognizer

    results = {"schema": 1, "date": report.now_utc().isoformat(), "quick": args.quick,
               "command": " ".join(["python -m benchmarks", *argv]), "machine": report.machine(),
               "versions": report.versions(), "git": report.git_state(),
               "settings": {**sizes, "models": models}}
    recognizers = {name: Recognizer(str(model_dirs[name])) for name in models}
    # --quick keeps one CLI row: it runs every step the other does, and each CLI run pays a
    # TensorFlow import.
    cli_rows = () if args.no_cli else ("cli_save_json",) if args.quick else speed.CLI_ROWS
    rows, profile_lines = _speed_and_profile(results, mnist, models[0], model_dirs[models[0]],
                                             recognizers[models[0]], sizes, cli_rows)
    scores = _accuracy(results, mnist, recognizers, sizes["scenes"])
    readings, skipped = accuracy.read_photos(Path(args.real), recognizers)
    results["real_photos"] = {"folder": str(Path(args.real).resolve()),
                              "readings": [reading.to_json() for reading in readings],
                              "skipped": skipped}
    found_targets = report.targets({row.key: row for row in rows}, scores)
    results["targets"] = [target.to_json() for target in found_targets]
    results["run_seconds"] = round(time.perf_counter() - started, 1)
    results["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)

    sections = [report.header_text(results), report.speed_text(results["speed"], rows),
                report.accuracy_text(results["accuracy"], scores),
                report.photos_text(readings, skipped),
                report.profile_text(results["profile"], profile_lines),
                report.targets_text(found_targets)]
    print("\n\n".join(section for section in sections if section))
    paths = report.write_results(results, Path(args.out), args.quick)
    print(f"\nbenchmarks: {results['run_seconds']:.0f} s; wrote "
          f"{', '.join(str(path) for path in paths)}")
    return 0


def _speed_and_profile(results: dict, mnist, model_name: str, model_dir: Path, recognizer,
                       sizes: dict, cli_rows: tuple[str, ...]):
    """The speed rows and the profile, on a clip that lives in a temporary folder; fills
    results["speed"] and results["profile"]."""
    from tqdm import tqdm

    with tempfile.TemporaryDirectory(prefix="realtime-bench-") as workdir:
        print(f"benchmarks: generating a {sizes['frames']}-frame clip ...", file=sys.stderr)
        clip = speed.make_clip(mnist.x_test, mnist.y_test, Path(workdir), sizes["frames"])
        keras_model, keras_skipped = speed.keras_replica(model_dir)
        keras_difference = (speed.keras_max_difference(keras_model, recognizer, clip.frames_bgr[0])
                            if keras_model is not None else None)
        total = sizes["repeats"] * speed.steps_per_run(len(clip.frames_bgr), cli_rows)
        with tqdm(total=total, desc="speed", unit="step", file=sys.stderr, leave=False) as bar:
            rows, rows_skipped = speed.measure_speed(
                clip, recognizer, str(model_dir), keras_model, sizes["repeats"],
                sizes["keras_frames"], Path(workdir), progress=bar, cli_rows=cli_rows)
        profile_frames = list(clip.frames_bgr[:sizes["profile_frames"]])
        profile_lines = profiling.profile_recognizer(recognizer, profile_frames)
    by_key = {row.key: row for row in rows}
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
    results["profile"] = {"frames": len(profile_frames), "model": model_name,
                          "top": [line.to_json() for line in profile_lines]}
    return rows, profile_lines


def _accuracy(results: dict, mnist, recognizers: dict, scenes_per_tier: int) -> list:
    """Scores of every tier, model and normalization; fills results["accuracy"]."""
    from tqdm import tqdm

    from realtime.synth import TIERS

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
