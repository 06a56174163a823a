"""Stage 6 of the pipeline: where annotated frames and detections go (video, JSON lines,
annotated images, snapshots).

Every sink has one interface, `write(result, annotated_bgr)` (a FrameResult and its annotated
(H, W, 3) uint8 picture), so the loop writes to a list of sinks without knowing their kinds.
Every sink checks its output in its constructor without touching it, and creates or opens it in
`__enter__`: the CLI checks every output before opening any, so a typo in one cannot truncate
another, and all of it happens before the first frame. Each closes its file in `__exit__`:
what was written stays valid after errors and Ctrl-C.
"""

from __future__ import annotations

import json
import os
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from realtime.errors import UserError
from realtime.types import FrameResult

# Containers a recording killed mid-run (SIGKILL, the OOM killer, a power cut) still plays from:
# fragmented MP4 writes an index with every fragment (one fragment per keyframe) instead of one
# index at the end, and Matroska writes its clusters as it goes. Both through PyAV (FFmpeg).
_FRAGMENTED_MP4 = {"movflags": "frag_keyframe+empty_moov+default_base_moof"}
# FFmpeg keeps what the muxer writes in its own buffer (megabytes here) unless told to hand each
# packet to the file: without this a killed run leaves the 28-byte header and nothing else.
_HAND_OVER_EACH_PACKET = {"flush_packets": "1"}
STREAMING_CONTAINERS = {
    ".mp4": ("mp4", {**_FRAGMENTED_MP4, **_HAND_OVER_EACH_PACKET}),
    ".m4v": ("mp4", {**_FRAGMENTED_MP4, **_HAND_OVER_EACH_PACKET}),
    ".mov": ("mov", {**_FRAGMENTED_MP4, **_HAND_OVER_EACH_PACKET}),
    # Matroska holds a cluster in memory until it is complete: at most a second of it.
    ".mkv": ("matroska", {"cluster_time_limit": "1000", **_HAND_OVER_EACH_PACKET}),
}
# MJPG is the one codec every OpenCV build can put in an .avi (OpenCV's own AVI writer, no
# FFmpeg). Its index comes last too, but a cut-off .avi reads up to its last whole frame; killed,
# it loses what OpenCV still buffered (about half a megabyte: 26 of 100 640x480 frames here).
OPENCV_FOURCC = {".avi": "MJPG"}
VIDEO_SUFFIXES_OUT = (*STREAMING_CONTAINERS, *OPENCV_FOURCC)
# H.264 when the PyAV wheel has libx264 (it ships it), else MPEG-4 part 2 (what OpenCV's mp4v is).
# ultrafast + zerolatency: about OpenCV's mp4v cost per frame at better quality (PSNR 40.2 vs
# 39.4 dB on the demo clip, a third smaller), and no frames held inside the encoder (no B-frames,
# no lookahead), so what is written is on disk one fragment later.
H264_OPTIONS = {"preset": "ultrafast", "tune": "zerolatency"}
# A hard kill loses the frames of the fragment being filled (those since the last keyframe) and
# the frame being written. With a keyframe every fps-1 frames that is at most one second.
MAX_LOST_S = 1.0
IMAGE_OUT_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


class Sink(Protocol):
    """What every sink is: opened by `with`, then one `write` per frame, closed on leaving."""

    def __enter__(self): ...

    def write(self, result: FrameResult, annotated_bgr: np.ndarray): ...

    def __exit__(self, *exc): ...


def check_folder_writable(folder: Path, what: str, target: Path | None = None) -> None:
    """Refuse now, not after processing, when files cannot be created in `folder`.

    Tries to create a file there rather than asking os.access: root passes every permission
    check, yet /proc, a read-only mount or a full disk still refuse it.
    """
    target = target or folder
    if not folder.is_dir():
        raise UserError(f"cannot write {what} {target}: folder {folder} does not exist (create it first)")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".realtime-digits-probe-"):
            pass
    except OSError as error:
        raise UserError(f"cannot write {what} {target}: folder {folder} is not writable "
                        f"({error.strerror}); choose another") from None


def check_writable(path: Path, what: str) -> None:
    """Refuse now, not after processing, when the file `path` cannot be written."""
    if path.is_dir():
        raise UserError(f"cannot write {what} {path}: it is a folder; give a file name")
    check_folder_writable(path.parent, what, path)
    if path.exists() and not os.access(path, os.W_OK):
        raise UserError(f"cannot write {what} {path}: the file is read-only (choose another name)")


class JsonLinesSink:
    """One JSON line per processed frame, flushed as it goes so a crash loses nothing before it."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        check_writable(self.path, "JSON lines")
        self._file = None
        self.lines_written = 0

    def __enter__(self):
        try:
            self._file = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 (closed in __exit__)
        except OSError as error:
            raise UserError(f"cannot write JSON lines {self.path}: {error.strerror}") from None
        return self

    def write(self, result: FrameResult, annotated_bgr: np.ndarray) -> None:
        """The frame's line (result.to_json()); the picture is not used."""
        # One write call per line: a line is either all in the file or not at all.
        self._file.write(json.dumps(result.to_json()) + "\n")
        self._file.flush()
        self.lines_written += 1

    def __exit__(self, *exc):
        if self._file is not None and not self._file.closed:
            self._file.close()
        return False


class StreamingVideoWriter:
    """A video written so that it plays up to its last second whatever ends the process.

    PyAV (FFmpeg) with fragmented MP4 or Matroska (STREAMING_CONTAINERS), H.264 (or MPEG-4)
    with a keyframe just under every second (MAX_LOST_S); FFmpeg hands each finished fragment
    to the file at once. The same two calls as cv2.VideoWriter (write, release). size: (width,
    height) of the frames given; the video is that size rounded up to even numbers (4:2:0
    colour needs even sizes), the extra row or column copied from the edge.
    """

    def __init__(self, path: Path, fps: float, size: tuple[int, int], codec: str | None = None):
        import av

        container_format, options = STREAMING_CONTAINERS[path.suffix.lower()]
        rate = Fraction(fps).limit_denominator(1001)  # 29.97 stays 30000/1001
        self.codec = codec or ("libx264" if "libx264" in av.codecs_available else "mpeg4")
        self._pad = (size[0] % 2, size[1] % 2)  # (right, bottom) pixels added
        width, height = size[0] + self._pad[0], size[1] + self._pad[1]
        try:
            self._container = av.open(str(path), "w", format=container_format, options=options)
        except (av.error.FFmpegError, OSError) as error:
            raise UserError(f"cannot open a video writer for {path}: {error}") from None
        try:
            stream = self._container.add_stream(
                self.codec, rate=rate, options=H264_OPTIONS if self.codec == "libx264" else {})
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.codec_context.gop_size = max(1, int(float(rate) * MAX_LOST_S) - 1)
            if self.codec != "libx264":
                stream.codec_context.bit_rate = int(fps * width * height)  # OpenCV's mp4v rate
            self._container.start_encoding()  # opens the encoder: a codec problem shows now
        except (av.error.FFmpegError, ValueError) as error:
            self._container.close()
            raise UserError(f"cannot open a video writer for {path} ({size[0]}x{size[1]}, "
                            f"{self.codec}): {error}; try an .avi name") from None
        self._stream = stream
        self._frames = 0

    def write(self, image_bgr: np.ndarray) -> None:
        import av

        if any(self._pad):
            image_bgr = cv2.copyMakeBorder(image_bgr, 0, self._pad[1], 0, self._pad[0],
                                           cv2.BORDER_REPLICATE)
        # OpenCV's colour conversion: faster than FFmpeg's (swscale) and closer to the source
        # (PSNR 40.2 vs 38.1 dB after decoding, on the demo clip).
        frame = av.VideoFrame.from_ndarray(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2YUV_I420),
                                           format="yuv420p")
        frame.pts = self._frames
        self._frames += 1
        self._container.mux(self._stream.encode(frame))

    def release(self) -> None:
        if self._container is None:
            return
        try:
            self._container.mux(self._stream.encode(None))  # what the encoder still holds
        finally:
            self._container.close()
            self._container = None


class VideoSink:
    """Annotated frames to a video at the source's size and frame rate.

    .mp4/.mov/.m4v (fragmented) and .mkv go through StreamingVideoWriter and survive a hard
    kill minus the last second; .avi is MJPG through OpenCV. size: (width, height) when the
    source knows it: the writer then opens in __enter__, before the first frame, so a codec
    problem is reported before any work. Otherwise it opens on the first frame. Frames of
    another size are resized to the first one (a video has one size).
    """

    def __init__(self, path: str | os.PathLike, fps: float, size: tuple[int, int] | None = None):
        self.path = Path(path)
        suffix = self.path.suffix.lower()
        if suffix not in VIDEO_SUFFIXES_OUT:
            raise UserError(f"cannot write video {self.path}: use a name ending in "
                            f"{', '.join(VIDEO_SUFFIXES_OUT)}")
        check_writable(self.path, "video")
        self.fps = fps
        self._writer = None
        self._size: tuple[int, int] | None = None
        self.size = size
        self.frames_written = 0

    def _open(self, size: tuple[int, int]) -> None:
        suffix = self.path.suffix.lower()
        if suffix in STREAMING_CONTAINERS:
            self._writer, self._size = StreamingVideoWriter(self.path, self.fps, size), size
            return
        fourcc = cv2.VideoWriter_fourcc(*OPENCV_FOURCC[suffix])
        writer = cv2.VideoWriter(str(self.path), fourcc, float(self.fps), size)
        if not writer.isOpened():
            writer.release()
            raise UserError(f"cannot open a video writer for {self.path} ({size[0]}x{size[1]}): "
                            f"try an .mp4 name")
        self._writer, self._size = writer, size

    def __enter__(self):
        if self.size is not None:
            self._open(self.size)
        return self

    def write(self, result: FrameResult, annotated_bgr: np.ndarray) -> None:
        """The annotated picture as the next video frame."""
        if self._writer is None:
            self._open((annotated_bgr.shape[1], annotated_bgr.shape[0]))
        if (annotated_bgr.shape[1], annotated_bgr.shape[0]) != self._size:
            annotated_bgr = cv2.resize(annotated_bgr, self._size)  # a source that changed size mid-run
        self._writer.write(annotated_bgr)
        self.frames_written += 1

    def __exit__(self, *exc):
        if self._writer is not None:
            self._writer.release()  # the last fragment, or the .avi's index
            self._writer = None
        return False


class ImageFolderSink:
    """Annotated images for image sources.

    `--save DIR` gets `<name>_digits.png` per input image (the frame's name; `frame_<index>`
    for a frame without one; DIR is created if its parent exists); for a single input image
    `--save out.png` names the one output file.
    """

    def __init__(self, target: str | os.PathLike, single_image: bool = False):
        target = Path(target)
        self.file: Path | None = None
        if single_image and target.suffix.lower() in IMAGE_OUT_SUFFIXES and not target.is_dir():
            check_writable(target, "annotated image")
            self.file, self.folder = target, target.parent
            return
        if target.suffix.lower() in IMAGE_OUT_SUFFIXES and not target.is_dir():
            raise UserError(f"--save {target}: several images give several outputs; give a folder")
        if target.exists() and not target.is_dir():
            raise UserError(f"--save {target}: for image sources give a folder, not a file")
        check_folder_writable(target if target.exists() else target.parent, "annotated images", target)
        self.folder = target

    def __enter__(self):
        self.folder.mkdir(exist_ok=True)
        return self

    def write(self, result: FrameResult, annotated_bgr: np.ndarray) -> Path:
        """The annotated picture, whole or not at all; returns where it went."""
        frame = result.frame
        stem = Path(frame.name).stem if frame.name else f"frame_{frame.index:06d}"
        path = self.file or self.folder / f"{stem}_digits.png"
        write_image_atomically(path, annotated_bgr)
        return path

    def __exit__(self, *exc):
        return False


class SnapshotSink:
    """Screenshot capture: an annotated PNG plus its detections as JSON, written whole or not at all.

    The folder is created (if its parent exists) on opening, so the default ./snapshots works
    without preparation.
    """

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise UserError(f"snapshot folder {self.folder} is a file: give a folder")
        check_folder_writable(self.folder if self.folder.exists() else self.folder.parent,
                              "snapshots", self.folder)
        self.count = 0

    def __enter__(self):
        self.folder.mkdir(exist_ok=True)
        return self

    def write(self, result: FrameResult, annotated_bgr: np.ndarray) -> Path:
        """snapshot_<frame>.png and .json; returns the PNG's path."""
        stem = self.folder / f"snapshot_{result.frame.index:06d}"
        # PNG first, JSON last: a JSON file means its picture is complete too.
        write_image_atomically(stem.with_suffix(".png"), annotated_bgr)
        write_text_atomically(stem.with_suffix(".json"), json.dumps(result.to_json(), indent=1))
        self.count += 1
        return stem.with_suffix(".png")

    def __exit__(self, *exc):
        return False


class EveryNthFrame:
    """A sink that passes every `every`-th frame (by frame index: 0, N, 2N, ...) to `sink`:
    `--snapshot-every N`. Enters and exits with it."""

    def __init__(self, sink, every: int):
        if every < 1:
            raise ValueError("every must be at least 1")
        self.sink, self.every = sink, every

    def __enter__(self):
        self.sink.__enter__()
        return self

    def write(self, result: FrameResult, annotated_bgr: np.ndarray) -> None:
        if result.frame.index % self.every == 0:
            self.sink.write(result, annotated_bgr)

    def __exit__(self, *exc):
        return self.sink.__exit__(*exc)


def write_image_atomically(path: Path, image_bgr: np.ndarray) -> None:
    """Image written to a temporary name then renamed, so an interrupted write never leaves half a file."""
    ok, encoded = cv2.imencode(path.suffix.lower() or ".png", image_bgr)
    if not ok:
        raise UserError(f"cannot encode {path} as {path.suffix or 'PNG'}")
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
