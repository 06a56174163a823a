"""Stage 1 of the pipeline: every kind of input behind one iterator of Frames.

`open_source(spec)` is the one place a source string is parsed. Each source opens in
`__enter__` (so a missing camera or file fails before the first frame) and releases in
`__exit__` (so a camera or screen grabber is freed on Ctrl-C and on errors).
"""

from __future__ import annotations

import glob
import os
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from realtime.errors import UserError
from realtime.types import Frame

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")
DEMO_CLIP = Path(__file__).resolve().parent / "data" / "demo.mp4"
# A live camera that delivers no new frame for this long is treated as lost; the run then ends
# cleanly with its outputs closed.
CAMERA_LOST_AFTER_S = 2.0
CAMERA_OPEN_TIMEOUT_S = 3.0


class Source:
    """Base: a context manager that iterates Frames. `total` is the frame count when known."""

    kind = "source"
    total: int | None = None
    fps: float = 30.0
    live = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __iter__(self) -> Iterator[Frame]:
        raise NotImplementedError


def open_source(spec: str | int | None) -> Source:
    """Parse a source string: camera index, `demo`, `screen[:N|:L,T,W,H]`, video, image, folder, glob."""
    spec = "0" if spec is None else str(spec).strip()
    if spec.isdigit():
        return CameraSource(int(spec))
    if spec == "demo":
        if not DEMO_CLIP.is_file():
            raise UserError(f"the demo clip is missing at {DEMO_CLIP}: reinstall realtime-digits")
        return VideoFileSource(DEMO_CLIP)
    if spec == "screen" or spec.startswith("screen:"):
        return ScreenSource.parse(spec)
    if any(ch in spec for ch in "*?["):
        paths = sorted(glob.glob(spec))
        if not paths:
            raise UserError(f"no files match {spec!r}: check the pattern (quote it so the shell "
                            f"does not expand it)")
        images = [p for p in paths if p.lower().endswith(IMAGE_SUFFIXES)]
        if not images:
            raise UserError(f"{spec!r} matches {len(paths)} files but no images "
                            f"({', '.join(IMAGE_SUFFIXES)})")
        return ImageSource(images, name=spec)
    path = Path(spec)
    if path.is_dir():
        images = sorted(str(p) for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not images:
            raise UserError(f"folder {path} holds no images ({', '.join(IMAGE_SUFFIXES)})")
        return ImageSource(images, name=str(path))
    if not path.exists():
        raise UserError(f"source {spec!r} not found: give a camera index (0), a video, an image, "
                        f"a folder, a glob, 'screen' or 'demo'")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageSource([str(path)], name=str(path))
    return VideoFileSource(path)


class CameraSource(Source):
    """A webcam, read in its own thread by imutils' VideoStream so processing never stalls it."""

    kind = "camera"
    live = True

    def __init__(self, index: int):
        self.index = index
        self._stream = None

    def __enter__(self):
        from imutils.video import VideoStream

        capture_probe = cv2.VideoCapture(self.index)
        opened = capture_probe.isOpened()
        capture_probe.release()
        if not opened:
            raise UserError(f"camera {self.index} cannot be opened: check it is plugged in and not "
                            f"used by another program, or give a video file, 'screen' or 'demo'")
        self._stream = VideoStream(src=self.index).start()
        fps = self._stream.stream.stream.get(cv2.CAP_PROP_FPS)
        self.fps = fps if fps and fps > 1 else 30.0
        return self

    def __exit__(self, *exc):
        if self._stream is not None:
            self._stream.stop()
            # imutils' stop() ends the thread but does not release the device.
            self._stream.stream.stream.release()
            self._stream = None
        return False

    def __iter__(self) -> Iterator[Frame]:
        start = time.monotonic()
        deadline = start + CAMERA_OPEN_TIMEOUT_S
        index, previous = 0, None
        while True:
            image = self._stream.read()
            if image is None or image is previous:
                if time.monotonic() > deadline:
                    return  # the camera stopped delivering: finish cleanly
                time.sleep(0.002)
                continue
            previous = image
            deadline = time.monotonic() + CAMERA_LOST_AFTER_S
            yield Frame(index, time.monotonic() - start, image)
            index += 1


class VideoFileSource(Source):
    """Every frame of a video file, in order, with its index and its time in the file."""

    kind = "video"

    def __init__(self, path: Path):
        self.path = Path(path)
        self._capture = None
        self.frames_read = 0

    def __enter__(self):
        if self.path.stat().st_size == 0:
            raise UserError(f"video {self.path} is empty (0 bytes): give a complete video file")
        self._capture = cv2.VideoCapture(str(self.path))
        if not self._capture.isOpened():
            self._capture.release()
            raise UserError(f"{self.path} cannot be read as a video: give a video file "
                            f"({', '.join(VIDEO_SUFFIXES)}) or an image")
        fps = self._capture.get(cv2.CAP_PROP_FPS)
        self.fps = fps if fps and 1 <= fps <= 240 else 30.0
        count = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT))
        self.total = count if count > 0 else None
        return self

    def __exit__(self, *exc):
        if self._capture is not None:
            self._capture.release()
            self._capture = None
        return False

    def __iter__(self) -> Iterator[Frame]:
        while True:
            ok, image = self._capture.read()
            if not ok or image is None:
                return  # end of file, or the rest of a truncated file is unreadable
            yield Frame(self.frames_read, self.frames_read / self.fps, image)
            self.frames_read += 1

    @property
    def truncated(self) -> bool:
        """True when the file promised more frames than could be read."""
        return self.total is not None and self.frames_read < self.total


class ImageSource(Source):
    """One image, a folder of images or a glob: one Frame each, in name order."""

    kind = "images"

    def __init__(self, paths: list[str], name: str):
        self.paths = paths
        self.name = name
        self.total = len(paths)
        self.fps = 1.0
        self.current_path: str | None = None

    def __enter__(self):
        return self

    def __iter__(self) -> Iterator[Frame]:
        for index, path in enumerate(self.paths):
            image = cv2.imread(path, cv2.IMREAD_COLOR)
            if image is None:
                raise UserError(f"{path} cannot be read as an image: remove it or convert it "
                                f"to PNG/JPEG")
            self.current_path = path
            yield Frame(index, float(index), image)


class ScreenSource(Source):
    """The screen, one monitor or a region of it, grabbed with mss as often as it is read."""

    kind = "screen"
    live = True

    def __init__(self, monitor: int | None = None, region: tuple[int, int, int, int] | None = None):
        self.monitor = monitor
        self.region = region
        self._grabber = None
        self._area = None

    @classmethod
    def parse(cls, spec: str) -> "ScreenSource":
        usage = "use screen, screen:MONITOR or screen:LEFT,TOP,WIDTH,HEIGHT"
        if spec == "screen":
            return cls(monitor=0)
        value = spec.split(":", 1)[1]
        try:
            numbers = [int(v) for v in value.split(",")]
        except ValueError:
            raise UserError(f"bad screen source {spec!r}: {usage}") from None
        if len(numbers) == 1 and numbers[0] >= 0:
            return cls(monitor=numbers[0])
        if len(numbers) == 4 and numbers[2] > 0 and numbers[3] > 0:
            return cls(region=tuple(numbers))
        raise UserError(f"bad screen source {spec!r}: {usage} (width and height > 0)")

    def __enter__(self):
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY") and os.name == "posix":
            raise UserError("screen capture needs a display and none is available (DISPLAY is "
                            "not set): run it on a desktop session, or give a video or images")
        import mss

        try:
            self._grabber = mss.mss()
            monitors = self._grabber.monitors
        except Exception as error:
            raise UserError(f"cannot capture the screen ({error}): check DISPLAY and that a "
                            f"desktop session is running") from None
        if self.region is not None:
            left, top, width, height = self.region
            whole = monitors[0]
            inside = (left >= whole["left"] and top >= whole["top"]
                      and left + width <= whole["left"] + whole["width"]
                      and top + height <= whole["top"] + whole["height"])
            if not inside:
                self.__exit__()
                raise UserError(f"screen region {self.region} lies outside the screen "
                                f"({whole['width']}x{whole['height']} at {whole['left']},{whole['top']})")
            self._area = {"left": left, "top": top, "width": width, "height": height}
        else:
            if self.monitor >= len(monitors):
                count = len(monitors) - 1
                self.__exit__()
                raise UserError(f"monitor {self.monitor} does not exist: use screen:0 (all) "
                                f"to screen:{count}")
            self._area = monitors[self.monitor]
        return self

    def __exit__(self, *exc):
        if self._grabber is not None:
            self._grabber.close()
            self._grabber = None
        return False

    def __iter__(self) -> Iterator[Frame]:
        start = time.monotonic()
        index = 0
        while True:
            shot = self._grabber.grab(self._area)
            image = cv2.cvtColor(np.asarray(shot), cv2.COLOR_BGRA2BGR)
            yield Frame(index, time.monotonic() - start, image)
            index += 1
