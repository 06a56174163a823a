"""Stage 6 of the pipeline: where annotated frames and detections go (video, JSON lines, snapshots).

Every sink opens in its constructor, so a bad output path fails before the first frame, and is a
context manager that always closes its file: what was written stays valid after errors and Ctrl-C.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np

from realtime.errors import UserError
from realtime.types import Detection, Frame


def check_writable(path: Path, what: str) -> None:
    """Refuse now, not after processing, when `path`'s folder is missing or read-only."""
    folder = path.parent if path.suffix or not path.is_dir() else path
    folder = folder if str(folder) else Path(".")
    if not folder.is_dir():
        raise UserError(f"cannot write {what} {path}: folder {folder} does not exist (create it first)")
    if not os.access(folder, os.W_OK):
        raise UserError(f"cannot write {what} {path}: folder {folder} is read-only (choose another)")


def frame_record(frame: Frame, detections: list[Detection]) -> dict:
    """The stable JSON form of one frame: {"frame", "time_s", "detections": [{box, label, confidence}]}."""
    return {"frame": frame.index, "time_s": round(frame.time_s, 4),
            "detections": [d.to_json() for d in detections]}


class JsonLinesSink:
    """One JSON line per processed frame, flushed as it goes so a crash loses nothing before it."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        check_writable(self.path, "JSON lines")
        try:
            self._file = open(self.path, "w", encoding="utf-8")
        except OSError as error:
            raise UserError(f"cannot write JSON lines {self.path}: {error.strerror}") from None

    def write(self, frame: Frame, detections: list[Detection]) -> None:
        self._file.write(json.dumps(frame_record(frame, detections)) + "\n")
        self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class VideoSink:
    """Annotated frames to a video at the source's size and frame rate (mp4v in .mp4/.mov, MJPG in .avi).

    The writer opens on the first frame (when the size is known); the path is checked up front.
    """

    def __init__(self, path: str | os.PathLike, fps: float):
        self.path = Path(path)
        check_writable(self.path, "video")
        if self.path.suffix.lower() not in (".mp4", ".avi", ".mov", ".mkv", ".m4v"):
            raise UserError(f"cannot write video {self.path}: use a .mp4, .avi, .mov or .mkv name")
        self.fps = fps
        self._writer = None
        self.frames_written = 0

    def write(self, image_bgr: np.ndarray) -> None:
        if self._writer is None:
            h, w = image_bgr.shape[:2]
            fourcc = cv2.VideoWriter_fourcc(*("MJPG" if self.path.suffix.lower() == ".avi" else "mp4v"))
            self._writer = cv2.VideoWriter(str(self.path), fourcc, self.fps, (w, h))
            if not self._writer.isOpened():
                raise UserError(f"cannot open a video writer for {self.path}: try an .avi name")
            self._size = (w, h)
        if (image_bgr.shape[1], image_bgr.shape[0]) != self._size:
            image_bgr = cv2.resize(image_bgr, self._size)  # a source that changed size mid-run
        self._writer.write(image_bgr)
        self.frames_written += 1

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()  # writes the container index: the file plays after this
            self._writer = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class ImageFolderSink:
    """Annotated images for image sources: `--save DIR` gets one PNG per input image."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise UserError(f"--save {self.folder}: for image sources give a folder, not a file")
        check_writable(self.folder / "x.png", "annotated images")
        self.folder.mkdir(exist_ok=True)

    def write(self, image_bgr: np.ndarray, name: str) -> Path:
        path = self.folder / f"{Path(name).stem}_digits.png"
        write_image_atomically(path, image_bgr)
        return path

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class SnapshotSink:
    """Screenshot capture: an annotated PNG plus its detections as JSON, written whole or not at all."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise UserError(f"snapshot folder {self.folder} is a file: give a folder")
        check_writable(self.folder / "x.png", "snapshots")
        self.folder.mkdir(exist_ok=True)
        self.count = 0

    def write(self, annotated_bgr: np.ndarray, frame: Frame, detections: list[Detection]) -> Path:
        stem = self.folder / f"snapshot_{frame.index:06d}"
        write_image_atomically(stem.with_suffix(".png"), annotated_bgr)
        write_text_atomically(stem.with_suffix(".json"), json.dumps(frame_record(frame, detections), indent=1))
        self.count += 1
        return stem.with_suffix(".png")


def write_image_atomically(path: Path, image_bgr: np.ndarray) -> None:
    """PNG written to a temporary name then renamed, so an interrupted write never leaves half a file."""
    ok, encoded = cv2.imencode(".png", image_bgr)
    if not ok:
        raise UserError(f"cannot encode {path} as PNG")
    _replace_with(path, encoded.tobytes())


def write_text_atomically(path: Path, text: str) -> None:
    _replace_with(path, text.encode("utf-8"))


def _replace_with(path: Path, payload: bytes) -> None:
    temporary = path.with_name(path.name + ".part")
    try:
        temporary.write_bytes(payload)
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise UserError(f"cannot write {path}: {error.strerror}") from None
