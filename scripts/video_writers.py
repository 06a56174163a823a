"""What --save costs and keeps: OpenCV's mp4v writer (how .mp4 was written before) against the
crash-safe VideoSink (fragmented MP4, H.264 through PyAV), on the demo clip.

For each: ms per frame to write (the write calls only; the clip is decoded first), file size,
and mean PSNR of the decoded video against the frames given (quality).

    python scripts/video_writers.py                 # the demo clip, three times over
    python scripts/video_writers.py --repeat 1 --clip other.mp4

The benchmark's SPEED table has the same two writers as rows (decode + video write).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from realtime.sinks import StreamingVideoWriter
from realtime.sources import DEMO_CLIP


def decode(path: Path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while (read := capture.read())[0]:
        frames.append(read[1])
    capture.release()
    return frames


def measure(name: str, writer, path: Path, frames: list[np.ndarray], close) -> None:
    started = time.perf_counter()
    for image in frames:
        writer.write(image)
    per_frame_ms = 1e3 * (time.perf_counter() - started) / len(frames)
    close()
    decoded = decode(path)
    psnr = np.mean([cv2.PSNR(a, b) for a, b in zip(frames, decoded)])
    print(f"{name:44s} {per_frame_ms:6.2f} ms/frame  {path.stat().st_size / 1e6:5.2f} MB  "
          f"PSNR {psnr:5.2f} dB  {len(decoded)}/{len(frames)} frames")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", default=str(DEMO_CLIP))
    parser.add_argument("--repeat", type=int, default=3, help="the clip this many times over")
    args = parser.parse_args(argv)
    frames = decode(Path(args.clip)) * args.repeat
    fps = cv2.VideoCapture(args.clip).get(cv2.CAP_PROP_FPS) or 15.0
    size = (frames[0].shape[1], frames[0].shape[0])
    with tempfile.TemporaryDirectory() as folder:
        before = Path(folder) / "opencv.mp4"
        opencv = cv2.VideoWriter(str(before), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
        measure("OpenCV mp4v (before; lost whole if killed)", opencv, before, frames, opencv.release)
        now = Path(folder) / "sink.mp4"
        writer = StreamingVideoWriter(now, fps, size)  # what VideoSink uses for .mp4
        measure(f"VideoSink .mp4 now ({writer.codec}, fragmented)", writer, now, frames, writer.release)
    return 0


if __name__ == "__main__":
    sys.exit(main())
