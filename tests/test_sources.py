"""sources: the one parser of source strings, and each source opening, iterating and releasing."""

from __future__ import annotations

import itertools
import re
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import FakeCamera, decode_frames, install_fake_cameras
from mjpeg_server import MjpegServer, free_port

from realtime import sources
from realtime.errors import UserError
from realtime.sources import (
    CameraSource,
    ImageSource,
    NetworkSource,
    ScreenSource,
    VideoFileSource,
    mp4_index_missing,
    open_source,
)


@pytest.fixture
def image_folder(tmp_path, seed_digits_dir):
    folder = tmp_path / "images"
    folder.mkdir()
    for name in ("b.png", "a.png", "c.jpg"):
        cv2.imwrite(str(folder / name), cv2.imread(str(seed_digits_dir / "digit_1.png")))
    (folder / "notes.txt").write_text("not an image")
    return folder


@pytest.mark.parametrize("spec, kind, attributes", [
    (None, CameraSource, {"index": 0}),
    ("0", CameraSource, {"index": 0}),
    (" 3 ", CameraSource, {"index": 3}),
    ("demo", VideoFileSource, {"path": sources.DEMO_CLIP}),
    ("screen", ScreenSource, {"monitor": 0, "region": None}),
    ("screen:2", ScreenSource, {"monitor": 2, "region": None}),
    ("screen:10,20,300,200", ScreenSource, {"monitor": None, "region": (10, 20, 300, 200)}),
    ("screen:-5,0,300,200", ScreenSource, {"region": (-5, 0, 300, 200)}),  # left of a 2nd monitor
    ("http://192.168.1.20:8080/video", NetworkSource,  # IP Webcam
     {"url": "http://192.168.1.20:8080/video", "reconnect_s": sources.DEFAULT_RECONNECT_S}),
    ("rtsp://cam.local:554/stream1", NetworkSource, {"url": "rtsp://cam.local:554/stream1"}),
    ("HTTPS://phone/mjpegfeed", NetworkSource, {"url": "HTTPS://phone/mjpegfeed"}),
])
def test_source_strings(spec, kind, attributes):
    source = open_source(spec)
    assert type(source) is kind
    for name, value in attributes.items():
        assert getattr(source, name) == value


def test_files_folders_and_globs(image_folder, clip):
    folder = open_source(str(image_folder))
    assert isinstance(folder, ImageSource)
    assert [Path(p).name for p in folder.paths] == ["a.png", "b.png", "c.jpg"]  # name order, images only
    globbed = open_source(str(image_folder / "*.png"))
    assert [Path(p).name for p in globbed.paths] == ["a.png", "b.png"]
    single = open_source(str(image_folder / "c.jpg"))
    assert isinstance(single, ImageSource) and single.total == 1
    assert isinstance(open_source(str(clip[0])), VideoFileSource)


@pytest.mark.parametrize("spec, words", [
    ("screen:abc", "bad screen source"),
    ("screen:1,2", "bad screen source"),
    ("screen:0,0,0,100", "width and height > 0"),
    ("screen:-1", "bad screen source"),
    ("no/such/file.mp4", "not found"),
    ("nothing-matches-*.png", "no files match"),
    ("ftp://phone/video", "unsupported stream URL 'ftp://phone/video': use http://, https:// or rtsp://"),
    ("http://:8080/video", "no host in it"),
    ("http://phone:eighty/video", "bad stream URL"),
])
def test_bad_source_strings(spec, words):
    with pytest.raises(UserError, match=words):
        open_source(spec)


def test_folder_without_images_and_glob_without_images(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(UserError, match="holds no images"):
        open_source(str(tmp_path))
    with pytest.raises(UserError, match="matches 1 files but no images"):
        open_source(str(tmp_path / "*.txt"))


def test_video_file_every_frame_in_order(clip):
    path, truth, fps = clip
    with open_source(str(path)) as source:
        assert (source.total, source.size, source.fps) == (len(truth), (640, 480), fps)
        frames = list(source)
    assert [f.index for f in frames] == list(range(len(truth)))
    assert [f.time_s for f in frames] == pytest.approx([i / fps for i in range(len(truth))])
    assert source.incomplete is None and source._capture is None  # released on exit
    capture = cv2.VideoCapture(str(path))
    for frame in frames[:3]:
        ok, image = capture.read()
        assert ok and np.array_equal(frame.image_bgr, image)
    capture.release()


def test_video_released_when_the_loop_fails(clip):
    source = open_source(str(clip[0]))
    with pytest.raises(RuntimeError), source:
        for _ in source:
            raise RuntimeError("a bug downstream")
    assert source._capture is None


def test_truncated_avi_reads_what_is_there_and_says_how_far(cut_avi):
    path, promised = cut_avi
    with open_source(str(path)) as source:
        frames = list(source)
    assert source.total == promised
    assert 0 < len(frames) < promised
    assert source.incomplete == (f"video ended after {len(frames)} of {promised} frames: the file "
                                 f"looks truncated; what was readable is processed")


def test_mp4_cut_before_its_index_is_reported_as_truncated(clip, tmp_path):
    data = clip[0].read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    assert mp4_index_missing(cut) and not mp4_index_missing(clip[0])
    with pytest.raises(UserError, match="looks truncated: its index .moov box. is missing"), open_source(str(cut)):
        pass


@pytest.mark.parametrize("content, words", [
    (b"", "is empty \\(0 bytes\\)"),
    (b"hello, I am text\n" * 50, "cannot be read as a video"),
])
def test_not_a_video(tmp_path, content, words):
    path = tmp_path / "clip.mp4"
    path.write_bytes(content)
    with pytest.raises(UserError, match=words), open_source(str(path)):
        pass


def test_images_checked_before_the_first_frame(tmp_path, seed_digits_dir):
    text = tmp_path / "text.png"
    text.write_text("not a picture")
    with pytest.raises(UserError, match="is not an image OpenCV can read"), open_source(str(text)):
        pass
    half = tmp_path / "half.png"
    data = (seed_digits_dir / "digit_0.png").read_bytes()
    half.write_bytes(data[: len(data) // 2])  # a valid signature, then nothing
    with pytest.raises(UserError, match="cannot be decoded as an image"), open_source(str(half)):
        pass


def test_damaged_image_in_the_middle_of_a_folder(tmp_path, seed_digits_dir):
    data = (seed_digits_dir / "digit_0.png").read_bytes()
    (tmp_path / "a.png").write_bytes(data)
    (tmp_path / "b.png").write_bytes(data[: len(data) // 2])
    seen = []
    with pytest.raises(UserError, match="b.png cannot be decoded"), open_source(str(tmp_path)) as source:
        seen.extend(frame.index for frame in source)
    assert seen == [0]


def test_missing_camera_fails_at_once():
    started = time.monotonic()
    with pytest.raises(UserError, match="camera 9 cannot be opened"), open_source("9"):
        pass
    assert time.monotonic() - started < 30  # a hang guard: OpenCV answers in well under a second


@pytest.fixture
def fake_camera(monkeypatch):
    """cv2.VideoCapture(int) returns a FakeCamera: camera 0 delivers 30 frames, any other
    none at all; files stay real."""
    cameras = install_fake_cameras(monkeypatch, lambda index: FakeCamera(30 if index == 0 else 0))
    monkeypatch.setattr(sources, "CAMERA_LOST_AFTER_S", 0.3)
    monkeypatch.setattr(sources, "CAMERA_OPEN_TIMEOUT_S", 0.3)
    return cameras


def test_camera_lost_mid_stream_ends_cleanly(fake_camera):
    threads_before = set(threading.enumerate())
    started = time.monotonic()
    with open_source("0") as source:
        assert (source.fps, source.size) == (25.0, (64, 48))
        frames = list(source)
    assert time.monotonic() - started < 30
    assert 1 <= len(frames) <= 30
    assert [f.index for f in frames] == list(range(len(frames)))
    assert source.incomplete.startswith(f"camera 0 stopped delivering frames after {len(frames)} frames")
    assert fake_camera[0].released
    assert set(threading.enumerate()) <= threads_before  # the capture thread was joined


def test_camera_that_opens_but_never_delivers(fake_camera):
    with open_source("1") as source:
        assert list(source) == []
    assert source.incomplete.startswith("camera 1 stopped delivering frames after 0 frames")
    assert fake_camera[0].released


def test_screen_without_a_display(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(UserError, match="screen capture needs a display"), open_source("screen"):
        pass


def test_stream_password_stays_out_of_messages():
    port = free_port()
    source = open_source(f"rtsp://admin:secret@127.0.0.1:{port}/stream1")
    assert source.shown_url == f"rtsp://127.0.0.1:{port}/stream1"
    with pytest.raises(UserError) as refused, source:
        pass
    assert "secret" not in str(refused.value) and f"127.0.0.1:{port}" in str(refused.value)


def test_reconnect_only_for_network_sources():
    assert open_source("rtsp://cam/x", reconnect_s=0).reconnect_s == 0
    assert open_source("http://cam/x", reconnect_s=2.5).reconnect_s == 2.5
    with pytest.raises(UserError, match="--reconnect is for network sources"):
        open_source("0", reconnect_s=5)
    with pytest.raises(UserError, match="--reconnect -1 must be 0 .off. or more seconds"):
        open_source("http://cam/x", reconnect_s=-1)


@pytest.fixture(scope="module")
def demo_frames():
    return decode_frames(sources.DEMO_CLIP)


@pytest.fixture
def short_stream_timeouts(monkeypatch):
    """A stall is seen after 0.5 s instead of 2 (FFmpeg's read gives up at 1 s)."""
    monkeypatch.setattr(sources, "STREAM_STALLED_AFTER_S", 0.5)
    monkeypatch.setattr(sources, "STREAM_READ_TIMEOUT_S", 1.0)


def test_mjpeg_stream_frames_in_order_and_released(demo_frames):
    threads_before = set(threading.enumerate())
    with MjpegServer(demo_frames[:20], fps=30) as server, open_source(server.url()) as source:
        assert source.live and source.size == (640, 480) and source.fps > 0
        frames = []
        for frame in source:
            frames.append(frame)
            if len(frames) == 15:
                break
    assert [f.index for f in frames] == list(range(15))
    assert all(b.time_s >= a.time_s for a, b in itertools.pairwise(frames))
    # Newest frame wins: what comes out is what the server sent (JPEG-compressed), in order.
    served = [int(np.argmax([cv2.PSNR(frame.image_bgr, d) for d in demo_frames[:20]])) for frame in frames]
    assert served == sorted(served) and served[0] == 0
    assert source._reader is None
    assert set(threading.enumerate()) <= threads_before  # the reader thread was joined


def test_stream_that_stalls_and_drops_reconnects_then_ends(demo_frames, short_stream_timeouts):
    said = []
    events = [(10, "stall", 1.2), (20, "drop", 0.8), (30, "end", 0)]
    with MjpegServer(demo_frames[:30], fps=30, events=events) as server:
        source = open_source(server.url(), reconnect_s=2)
        source.say = said.append
        started = time.monotonic()
        with source:
            frames = list(source)
    assert time.monotonic() - started < 60  # a hang guard
    assert [f.index for f in frames] == list(range(len(frames)))  # one run, nothing renumbered
    assert 20 < len(frames) <= 30 and source.reconnects == 2  # frames from three connections
    assert server.connections == 3
    url = server.url()
    assert said[0] == f"stream {url} stalled (no frame for 0.5 s) after 10 frames; reconnecting for up to 2 s"
    assert said[1].startswith(f"stream {url} back after ") and said[1].endswith("the run goes on")
    assert said[2].startswith(f"stream {url} dropped (the connection ended) after ")
    assert said[3].startswith(f"stream {url} back after ")
    assert said[4].startswith(f"stream {url} dropped (the connection ended) after {len(frames)} frames")
    assert len(said) == 5
    assert source.incomplete == (f"stream {url} dropped (the connection ended) after {len(frames)} "
                                 f"frames and did not come back within 2 s")


def test_stream_not_retried_with_reconnect_0(demo_frames):
    with (MjpegServer(demo_frames[:10], fps=30, events=[(10, "end", 0)]) as server,
          open_source(server.url(), reconnect_s=0) as source):
        frames = list(source)
    assert len(frames) == 10
    assert source.incomplete == (f"stream {server.url()} dropped (the connection ended) after 10 "
                                 f"frames (--reconnect 0: not retried)")


@pytest.mark.parametrize("path, words", [
    ("/page", "does not serve a video stream (it serves text/html): check the path"),
    ("/nothing", "does not serve a video stream (the server answers HTTP 404 Not Found)"),
])
def test_stream_url_that_is_not_a_video(demo_frames, path, words):
    with (MjpegServer(demo_frames[:2]) as server, pytest.raises(UserError, match=re.escape(words)),
          open_source(server.url(path))):
        pass


def test_stream_connection_refused():
    port = free_port()
    refused = f"cannot connect to 127.0.0.1:{port} for http://127.0.0.1:{port}/video .Connection refused."
    with pytest.raises(UserError, match=refused), open_source(f"http://127.0.0.1:{port}/video"):
        pass
