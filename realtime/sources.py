"""Stage 1 of the pipeline: every kind of input behind one iterator of Frames.

`open_source(spec)` is the one place a source string is parsed. Each source opens in
`__enter__` (so a missing camera or file fails before the first frame) and releases in
`__exit__` (so a camera or screen grabber is freed on Ctrl-C and on errors).
"""

from __future__ import annotations

import glob
import itertools
import os
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from realtime.errors import UserError
from realtime.types import Frame

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")
# Containers whose index (the 'moov' box) OpenCV and most recorders write last: a recording cut
# off before it was closed has none, and nothing in it can be decoded.
MP4_SUFFIXES = (".mp4", ".mov", ".m4v")
DEMO_CLIP = Path(__file__).resolve().parent / "data" / "demo.mp4"
# A live camera that delivers no new frame for this long is treated as lost; the run then ends
# cleanly with its outputs closed. Module-level so tests (and embedders) can shorten it.
CAMERA_LOST_AFTER_S = 2.0
# The first frame may take longer: many webcams adjust exposure for a second after opening.
CAMERA_OPEN_TIMEOUT_S = 3.0
# Network streams (a phone app, an IP camera). A stream that sends no frame for this long has
# stalled; FFmpeg's own read gives up a second later (so the stall is seen first, and closing
# the reader never waits on a read for long). Opening (connect, headers, first frame) may take
# longer: a phone on Wi-Fi can take a few seconds to answer.
STREAM_STALLED_AFTER_S = 2.0
STREAM_READ_TIMEOUT_S = STREAM_STALLED_AFTER_S + 1.0
STREAM_OPEN_TIMEOUT_S = 5.0
# How long a stalled or dropped stream is retried before the run ends (--reconnect S).
DEFAULT_RECONNECT_S = 10.0
# Waits between reconnection attempts: quick at first (a Wi-Fi blip), then every 2 s so a
# phone that went to sleep is not hammered.
RECONNECT_BACKOFF_S = (0.25, 0.5, 1.0, 2.0)
NETWORK_SCHEMES = ("http", "https", "rtsp", "rtsps")
DEFAULT_PORTS = {"http": 80, "https": 443, "rtsp": 554, "rtsps": 322}
# A frame count read from a container can be an estimate (duration x fps in mkv/webm), so a
# video counts as truncated only when more than this many promised frames are missing.
FRAME_COUNT_SLACK = 1


class Source:
    """Base: a context manager that iterates Frames.

    total: the frame count when known; fps: frames per second for a saved video; size: (width,
    height) in pixels when known before the first frame (None: varies, as in a folder of images);
    live: frames arrive in real time (no progress bar, no pacing); incomplete: set when the source
    ended before it should have (a truncated file, a lost camera), saying how far it got.
    """

    kind = "source"
    total: int | None = None
    fps: float = 30.0
    size: tuple[int, int] | None = None
    live = False
    incomplete: str | None = None
    path: Path | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __iter__(self) -> Iterator[Frame]:
        raise NotImplementedError


def open_source(spec: str | int | None, reconnect_s: float | None = None) -> Source:
    """Parse a source string: camera index, `http(s)://` or `rtsp://` stream, `demo`,
    `screen[:N|:L,T,W,H]`, video, image, folder, glob. reconnect_s: how long a network stream
    that stalls or drops is retried (None: DEFAULT_RECONNECT_S; 0: not at all)."""
    spec = "0" if spec is None else str(spec).strip()
    if reconnect_s is not None and not reconnect_s >= 0:
        raise UserError(f"--reconnect {reconnect_s:g} must be 0 (off) or more seconds")
    if "://" in spec:
        return NetworkSource.parse(spec, DEFAULT_RECONNECT_S if reconnect_s is None else reconnect_s)
    if reconnect_s is not None:
        raise UserError(f"--reconnect is for network sources (http://, rtsp://), not {spec!r}: "
                        f"leave it out")
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


def usable_fps(reported: float) -> float:
    """The frame rate a capture reports, or 30 when it reports nothing sensible (0, NaN, 90000)."""
    return reported if reported and 1 <= reported <= 240 else 30.0


def _newest_frame_stream(capture, name: str):
    """imutils' WebcamVideoStream over a capture opened here (it opens cv2.VideoCapture(src)
    itself, with no way to give a network stream its timeouts)."""
    from imutils.video import WebcamVideoStream

    class OpenedStream(WebcamVideoStream):
        def __init__(self):  # WebcamVideoStream.__init__ minus the opening
            self.stream = capture
            self.grabbed, self.frame = capture.read()  # the first frame, as imutils reads it
            self.name = name
            self.stopped = False

    return OpenedStream()


class _NewestFrameReader:
    """A capture read in its own thread by imutils' loop: read() is always the newest frame, so a
    slow frame costs dropped frames, never a queue that grows. Shared by cameras and streams.

    Keeps the thread so it can be joined before the release: imutils' stop() only sets a flag and
    does not release the device, and releasing while its thread is inside read() is a
    use-after-free in OpenCV. join_timeout_s: longer than one read can take.
    """

    def __init__(self, capture, name: str, join_timeout_s: float = 2.0):
        self.capture = capture
        self.stream = _newest_frame_stream(capture, name)
        self.join_timeout_s = join_timeout_s
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.stream.update, name=self.stream.name, daemon=True)
        self._thread.start()

    def read(self) -> np.ndarray | None:
        return self.stream.read()

    @property
    def failed(self) -> bool:
        """The last read failed: the device or the connection is gone (or timed out)."""
        return not self.stream.grabbed

    def close(self) -> None:
        self.stream.stop()
        if self._thread is not None:
            self._thread.join(timeout=self.join_timeout_s)  # one read at most; a hung driver must not hang us
            self._thread = None
        self.capture.release()


class CameraSource(Source):
    """A webcam, read in its own thread (imutils) so processing never stalls the capture."""

    kind = "camera"
    live = True

    def __init__(self, index: int):
        self.index = index
        self._camera: _NewestFrameReader | None = None

    def __enter__(self):
        camera = _NewestFrameReader(cv2.VideoCapture(self.index), name=f"camera-{self.index}")
        if not camera.capture.isOpened():
            camera.capture.release()
            raise UserError(f"camera {self.index} cannot be opened: check it is plugged in and not "
                            f"used by another program, or give a video file, 'screen' or 'demo'")
        self.fps = usable_fps(camera.capture.get(cv2.CAP_PROP_FPS))
        width = int(camera.capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(camera.capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.size = (width, height) if width > 0 and height > 0 else None
        camera.start()
        self._camera = camera
        return self

    def __exit__(self, *exc):
        if self._camera is not None:
            self._camera.close()
            self._camera = None
        return False

    def __iter__(self) -> Iterator[Frame]:
        start = time.monotonic()
        deadline = start + CAMERA_OPEN_TIMEOUT_S
        index, previous = 0, None
        while True:
            image = self._camera.read()
            # imutils hands out its latest frame: the same object again means nothing new yet.
            if image is None or image is previous:
                if time.monotonic() > deadline:
                    waited = CAMERA_OPEN_TIMEOUT_S if index == 0 else CAMERA_LOST_AFTER_S
                    self.incomplete = (f"camera {self.index} stopped delivering frames after "
                                       f"{index} frames (nothing new for {waited:g} s)")
                    return  # finish cleanly: the caller closes every output
                time.sleep(0.002)
                continue
            previous = image
            deadline = time.monotonic() + CAMERA_LOST_AFTER_S
            yield Frame(index, time.monotonic() - start, image)
            index += 1


def _say_on_stderr(message: str) -> None:
    print(f"realtime-digits: {message}", file=sys.stderr, flush=True)


class NetworkSource(Source):
    """A video stream over the network: a phone app (IP Webcam, DroidCam) or an IP camera,
    MJPEG over http(s):// or rtsp://. Read in its own thread like a camera (newest frame wins).

    When the stream stalls (no frame for STREAM_STALLED_AFTER_S) or drops (the connection ends),
    it says so in one line and reconnects with back-off for up to `reconnect_s` seconds; the
    frames go on with the next index in the same run, so every output continues in the same
    files. If it does not come back, the iteration ends with `incomplete` set (as a lost camera).
    say: where those lines go (stderr by default).
    """

    kind = "stream"
    live = True

    def __init__(self, url: str, reconnect_s: float = DEFAULT_RECONNECT_S, say=None):
        self.url = url
        # What messages show: the URL without a password in it (rtsp://user:pass@camera/...).
        parts = urllib.parse.urlsplit(url)
        self.shown_url = (parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
                          if "@" in parts.netloc else url)
        self.reconnect_s = reconnect_s
        self.say = say or _say_on_stderr
        self.reconnects = 0
        self._reader: _NewestFrameReader | None = None

    @classmethod
    def parse(cls, spec: str, reconnect_s: float = DEFAULT_RECONNECT_S) -> NetworkSource:
        usage = "give it as http://HOST:PORT/PATH or rtsp://HOST:PORT/PATH"
        try:
            parts = urllib.parse.urlsplit(spec)
            parts.port  # noqa: B018 (raises on a port that is not a number)
        except ValueError as error:
            raise UserError(f"bad stream URL {spec!r} ({error}): {usage}") from None
        if parts.scheme.lower() not in NETWORK_SCHEMES:
            raise UserError(f"unsupported stream URL {spec!r}: use http://, https:// or "
                            f"rtsp:// ({usage})")
        if not parts.hostname:
            raise UserError(f"bad stream URL {spec!r}: no host in it; {usage}")
        return cls(spec, reconnect_s)

    @property
    def _where(self) -> tuple[str, int]:
        parts = urllib.parse.urlsplit(self.url)
        return parts.hostname, parts.port or DEFAULT_PORTS[parts.scheme.lower()]

    def __enter__(self):
        host, port = self._where
        # Connect once ourselves first: FFmpeg says only that it failed, and "nothing listens
        # there" needs another fix than "that is not a video".
        try:
            socket.create_connection((host, port), timeout=STREAM_OPEN_TIMEOUT_S).close()
        except socket.gaierror:
            raise UserError(f"cannot find host {host!r} of {self.shown_url}: check the address (the "
                            f"phone's IP as its camera app shows it)") from None
        except TimeoutError:
            raise UserError(f"{host}:{port} does not answer within {STREAM_OPEN_TIMEOUT_S:g} s: "
                            f"check the address and that this computer is on the same network") from None
        except OSError as error:
            raise UserError(f"cannot connect to {host}:{port} for {self.shown_url} "
                            f"({error.strerror or error}): check the address and that the camera "
                            f"app is running and serving") from None
        reader = self._open_reader(STREAM_OPEN_TIMEOUT_S)
        if reader is None:
            raise UserError(f"{self.shown_url} does not serve a video stream{self._served_instead()}: "
                            f"check the path (IP Webcam: /video; DroidCam: /video or /mjpegfeed)")
        self.fps = usable_fps(reader.capture.get(cv2.CAP_PROP_FPS))
        first = reader.read()
        self.size = (first.shape[1], first.shape[0])
        reader.start()
        self._reader = reader
        return self

    def _open_reader(self, timeout_s: float) -> _NewestFrameReader | None:
        """The stream opened and its first frame read, or None when it cannot be."""
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, max(1, int(timeout_s * 1000)),
                  cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(STREAM_READ_TIMEOUT_S * 1000)]
        capture = cv2.VideoCapture(self.url, cv2.CAP_FFMPEG, params)
        if not capture.isOpened():
            capture.release()
            return None
        reader = _NewestFrameReader(capture, name="stream", join_timeout_s=STREAM_READ_TIMEOUT_S + 1.0)
        if reader.failed or reader.read() is None:
            reader.close()
            return None
        return reader

    def _served_instead(self) -> str:
        """For an http URL that is not a video: what it serves, as the server says."""
        if not self.url.lower().startswith("http"):
            return ""
        try:
            with urllib.request.urlopen(self.url, timeout=STREAM_OPEN_TIMEOUT_S) as response:
                kind = response.headers.get_content_type()
        except urllib.error.HTTPError as error:
            return f" (the server answers HTTP {error.code} {error.reason})"
        except (OSError, ValueError):
            return ""
        return f" (it serves {kind})"

    def __exit__(self, *exc):
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        return False

    def __iter__(self) -> Iterator[Frame]:
        start = time.monotonic()
        index, previous = 0, None
        last_frame = start
        while True:
            image = self._reader.read()
            if image is not None and image is not previous:
                previous, last_frame = image, time.monotonic()
                yield Frame(index, last_frame - start, image)
                index += 1
                continue
            stalled = time.monotonic() - last_frame > STREAM_STALLED_AFTER_S
            if not (stalled or self._reader.failed):
                time.sleep(0.002)
                continue
            why = (f"stalled (no frame for {STREAM_STALLED_AFTER_S:g} s)" if stalled
                   else "dropped (the connection ended)")
            what = f"stream {self.shown_url} {why} after {index} frames"
            if not self._reconnect(what):
                self.incomplete = (f"{what} and did not come back within {self.reconnect_s:g} s"
                                   if self.reconnect_s > 0 else f"{what} (--reconnect 0: not retried)")
                return  # finish cleanly: the caller closes every output
            previous, last_frame = None, time.monotonic()

    def _reconnect(self, what: str) -> bool:
        """Close the reader and open the stream again, with back-off, for up to reconnect_s."""
        self._reader.close()
        self._reader = None
        if self.reconnect_s <= 0:
            return False
        self.say(f"{what}; reconnecting for up to {self.reconnect_s:g} s")
        started = time.monotonic()
        deadline = started + self.reconnect_s
        for attempt in itertools.count(1):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._reader = self._open_reader(min(STREAM_OPEN_TIMEOUT_S, remaining))
            if self._reader is not None:
                self._reader.start()
                self.reconnects += 1
                self.say(f"stream {self.shown_url} back after {time.monotonic() - started:.1f} s "
                         f"(attempt {attempt}); the run goes on")
                return True
            pause = RECONNECT_BACKOFF_S[min(attempt, len(RECONNECT_BACKOFF_S)) - 1]
            time.sleep(max(0.0, min(pause, deadline - time.monotonic())))
        return False


class VideoFileSource(Source):
    """Every frame of a video file, in order, with its index and its time in the file."""

    kind = "video"

    def __init__(self, path: Path):
        self.path = Path(path)
        self._capture = None
        self._first: np.ndarray | None = None
        self.frames_read = 0

    def __enter__(self):
        if self.path.stat().st_size == 0:
            raise UserError(f"video {self.path} is empty (0 bytes): give a complete video file")
        self._capture = cv2.VideoCapture(str(self.path))
        # Decode the first frame now: a file FFmpeg opens but cannot decode fails before the
        # model loads, not after.
        ok, first = self._capture.read() if self._capture.isOpened() else (False, None)
        if not ok or first is None:
            self.__exit__()
            if self.path.suffix.lower() in MP4_SUFFIXES and mp4_index_missing(self.path):
                raise UserError(f"video {self.path} looks truncated: its index (moov box) is "
                                f"missing, so no frame can be decoded; the recording was probably "
                                f"cut off before it was closed")
            raise UserError(f"{self.path} cannot be read as a video: give a video file "
                            f"({', '.join(VIDEO_SUFFIXES)}) or an image")
        self._first = first
        self.fps = usable_fps(self._capture.get(cv2.CAP_PROP_FPS))
        count = self._capture.get(cv2.CAP_PROP_FRAME_COUNT)
        self.total = int(count) if 0 < count < 1e9 else None  # FFmpeg reports junk when unknown
        self.size = (first.shape[1], first.shape[0])
        return self

    def __exit__(self, *exc):
        if self._capture is not None:
            self._capture.release()
            self._capture = None
        return False

    def __iter__(self) -> Iterator[Frame]:
        image = self._first
        self._first = None
        while image is not None:
            yield Frame(self.frames_read, self.frames_read / self.fps, image)
            self.frames_read += 1
            ok, image = self._capture.read()
            if not ok:
                image = None  # end of file, or the rest of a truncated file is unreadable
        if self.total is not None and self.frames_read < self.total - FRAME_COUNT_SLACK:
            self.incomplete = (f"video ended after {self.frames_read} of {self.total} frames: the "
                               f"file looks truncated; what was readable is processed")


def mp4_index_missing(path: Path) -> bool:
    """True for an MP4/MOV whose top-level boxes start with 'ftyp' but hold no 'moov' (the index)."""
    seen = []
    with open(path, "rb") as handle:
        size_total = os.fstat(handle.fileno()).st_size
        offset = 0
        while offset + 8 <= size_total and len(seen) < 1000:
            handle.seek(offset)
            header = handle.read(16)
            size, kind = int.from_bytes(header[:4], "big"), header[4:8]
            if size == 1 and len(header) == 16:  # 64-bit size follows the type
                size = int.from_bytes(header[8:16], "big")
            elif size == 0:  # the box runs to the end of the file
                size = size_total - offset
            if size < 8:
                break
            seen.append(kind)
            offset += size
    return bool(seen) and seen[0] == b"ftyp" and b"moov" not in seen


class ImageSource(Source):
    """One image, a folder of images or a glob: one Frame each, in name order, named by its path."""

    kind = "images"

    def __init__(self, paths: list[str], name: str):
        self.paths = paths
        self.name = name
        self.total = len(paths)
        self.fps = 1.0
        self._first: np.ndarray | None = None

    def __enter__(self):
        # Each file's signature (a few bytes), not its pixels: a folder of thousands stays cheap,
        # and a text file named .png fails before the model loads. The first image is decoded
        # now too, so a single damaged image also fails before the model loads.
        for path in self.paths:
            if not cv2.haveImageReader(path):
                raise UserError(f"{path} is not an image OpenCV can read: remove it or convert it "
                                f"to PNG/JPEG")
        self._first = self._read(self.paths[0])
        if len(self.paths) == 1:
            self.size = (self._first.shape[1], self._first.shape[0])
        return self

    def __exit__(self, *exc):
        self._first = None
        return False

    @staticmethod
    def _read(path: str) -> np.ndarray:
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        if image is None:
            raise UserError(f"{path} cannot be decoded as an image (damaged or cut short?): "
                            f"remove it or convert it to PNG/JPEG")
        return image

    def __iter__(self) -> Iterator[Frame]:
        for index, path in enumerate(self.paths):
            image = self._first if index == 0 and self._first is not None else self._read(path)
            self._first = None
            yield Frame(index, float(index), image, name=path)


def screen_grabber():
    """An open mss grabber on the current display (raises when the display does not answer)."""
    import mss

    # mss 10 renamed the factory mss.mss() to the class mss.MSS (the old name warns).
    return (getattr(mss, "MSS", None) or mss.mss)()


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
    def parse(cls, spec: str) -> ScreenSource:
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
        from mss.exception import ScreenShotError

        try:
            self._grabber = screen_grabber()
            monitors = self._grabber.monitors
        except (ScreenShotError, OSError) as error:
            self.__exit__()
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
            self._area = dict(monitors[self.monitor])
        self.size = (self._area["width"], self._area["height"])
        return self

    def __exit__(self, *exc):
        if self._grabber is not None:
            self._grabber.close()
            self._grabber = None
        return False

    def __iter__(self) -> Iterator[Frame]:
        from mss.exception import ScreenShotError

        start = time.monotonic()
        index = 0
        while True:
            try:
                shot = self._grabber.grab(self._area)
            except ScreenShotError as error:  # the X server went away, or the screen shrank
                self.incomplete = f"screen capture failed after {index} frames ({error})"
                return
            image = cv2.cvtColor(np.asarray(shot), cv2.COLOR_BGRA2BGR)
            yield Frame(index, time.monotonic() - start, image)
            index += 1
