"""Fingerprint of detection: every box find_digits gives on a fixed set of frames, to check that a
refactor leaves results identical.

By hand, not in CI (a minute or two on a free core):

    python scripts/detect_fingerprint.py save /tmp/detect_before.npz    # before the change
    python scripts/detect_fingerprint.py compare /tmp/detect_before.npz  # after: exit 1 if any differ

The frames: the benchmark's generated scenes (30 a tier) and text pages (10 a tier), every real
photo of ../shared/data/real at full size, at 640 and at 320 px longest side, and every frame of
the demo clip; each under the default settings, and the scenes and photos also with the Otsu
threshold, forced ink polarity and a small region cap (which exercises the largest-first cut).
Per frame it keeps boxes in source and working pixels, each region's member components, the
scale, and SHA-1 digests of ink_work and ink_mask (the normalizer's input and the threshold view).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import sys
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.accuracy import make_scenes, make_text_pages  # noqa: E402 (after the path)
from realtime.detect import find_digits  # noqa: E402
from realtime.settings import Settings  # noqa: E402

SHARED_DATA = REPO.parent / "shared" / "data"
SCENES_PER_TIER = 30
TEXT_PAGES_PER_TIER = 10
TIERS = ("clean", "camera", "hard")
PHOTO_SIDES_PX = (None, 640, 320)  # None: the photo as it is


def _variants() -> dict[str, Settings]:
    base = Settings()
    return {"default": base,
            "otsu": dataclasses.replace(base, threshold="otsu"),
            "invert_yes": dataclasses.replace(base, invert="yes"),
            "invert_no": dataclasses.replace(base, invert="no"),
            "cap3": dataclasses.replace(base, max_regions=3)}


def _frames():
    """(name, BGR image, variant names) for every frame of the fingerprint."""
    all_variants = tuple(_variants())
    with np.load(os.environ.get("MNIST_NPZ") or SHARED_DATA / "mnist.npz") as npz:
        x_test, y_test = npz["x_test"], npz["y_test"]
    for tier in TIERS:
        for k, scene in enumerate(make_scenes(x_test, y_test, tier, SCENES_PER_TIER)):
            yield f"scene/{tier}/{k}", scene.image_bgr, all_variants
        for k, page in enumerate(make_text_pages(tier, TEXT_PAGES_PER_TIER)):
            yield f"text/{tier}/{k}", page, ("default",)
    real = SHARED_DATA / "real"
    for path in sorted(real.iterdir()):
        if path.suffix.lower() not in (".png", ".jpg", ".jpeg"):
            continue
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        for side in PHOTO_SIDES_PX:
            scaled = image
            if side is not None:
                shrink = side / max(image.shape[:2])
                scaled = cv2.resize(image, (max(1, round(image.shape[1] * shrink)),
                                            max(1, round(image.shape[0] * shrink))),
                                    interpolation=cv2.INTER_AREA if shrink < 1 else cv2.INTER_LINEAR)
            yield f"real/{path.name}/{side or 'full'}", scaled, all_variants
    capture = cv2.VideoCapture(str(REPO / "realtime" / "data" / "demo.mp4"))
    index = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        yield f"demo/{index}", frame, ("default",)
        index += 1
    capture.release()


def _digest(array: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(array).tobytes() + str(array.dtype).encode()
                        + str(array.shape).encode()).hexdigest()


def fingerprint() -> dict[str, str]:
    """{frame/variant: JSON of its detection}."""
    variants = _variants()
    out = {}
    for name, image, variant_names in _frames():
        for variant in variant_names:
            regions = find_digits(image, variants[variant])
            out[f"{name}/{variant}"] = json.dumps({
                "boxes_src": np.asarray(regions.boxes_src).tolist(),
                "boxes_work": np.asarray(regions.boxes_work).tolist(),
                "members": [sorted(int(label) for label in m) for m in regions.members],
                "scale": float(regions.scale),
                "ink_work": _digest(regions.ink_work),
                "ink_mask": _digest(regions.ink_mask)})
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("save", "compare"))
    parser.add_argument("path", type=Path, help="the .npz fingerprint (under /tmp)")
    args = parser.parse_args(argv)
    current = fingerprint()
    if args.action == "save":
        np.savez_compressed(args.path, keys=np.array(list(current)), values=np.array(list(current.values())))
        boxes = sum(len(json.loads(v)["boxes_src"]) for v in current.values())
        print(f"saved {len(current)} detections ({boxes} boxes) to {args.path}")
        return 0
    with np.load(args.path) as npz:
        saved = dict(zip(npz["keys"].tolist(), npz["values"].tolist(), strict=True))
    differ = [key for key in saved if current.get(key) != saved[key]]
    missing = sorted(set(saved) ^ set(current))
    boxes = sum(len(json.loads(v)["boxes_src"]) for v in saved.values())
    for key in differ[:20]:
        print(f"differs: {key}\n  before {saved[key][:300]}\n  after  {current.get(key, '(none)')[:300]}")
    print(f"{len(saved)} detections ({boxes} boxes) compared: {len(saved) - len(differ)} identical, "
          f"{len(differ)} differ, {len(missing)} only on one side")
    return 1 if differ or missing else 0


if __name__ == "__main__":
    sys.exit(main())
