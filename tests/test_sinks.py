"""sinks: outputs checked before the first frame, written in the stable format, always closed valid."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import decode_frames, read_json_lines, read_video

from realtime.errors import UserError
from realtime.sinks import (
    EveryNthFrame,
    ImageFolderSink,
    JsonLinesSink,
    SnapshotSink,
    StreamingVideoWriter,
    VideoSink,
    check_writable,
)
from realtime.types import Detection, Frame, FrameResult, Number

DIGIT = np.zeros((28, 28), np.float32)


def _frame(index: int, fps: float = 15.0, size=(320, 240)) -> Frame:
    image = np.full((size[1], size[0], 3), 200, np.uint8)
    cv2.putText(image, str(index), (20, 200), cv2.FONT_HERSHEY_SIMPLEX, 5, (0, 0, 0), 8)
    return Frame(index, index / fps, image)


def _result(frame: Frame, detections=(), numbers=()) -> FrameResult:
    return FrameResult(frame, tuple(detections), tuple(numbers))


def _drawn(frame: Frame) -> np.ndarray:
    """Stands in for the annotated picture: visibly not the frame itself."""
    return 255 - frame.image_bgr


def test_json_lines_exact_format(tmp_path):
    path = tmp_path / "out.jsonl"
    detections = [Detection((10, 20, 30, 40), 7, 0.934567, DIGIT), Detection((1, 2, 3, 4), 0, 1.0, DIGIT)]
    with JsonLinesSink(path) as sink:
        blank = np.zeros((4, 4, 3), np.uint8)
        sink.write(_result(Frame(0, 0.0, blank), detections), blank)
        sink.write(_result(Frame(1, 1 / 15, blank)), blank)
    lines = path.read_text().splitlines()
    assert lines == [
        ('{"frame": 0, "time_s": 0.0, "detections": [{"box": [10, 20, 30, 40], "label": 7, '
         '"confidence": 0.9346}, {"box": [1, 2, 3, 4], "label": 0, "confidence": 1.0}], "numbers": []}'),
        '{"frame": 1, "time_s": 0.0667, "detections": [], "numbers": []}',
    ]


def test_numpy_values_become_plain_json(tmp_path):
    detection = Detection(tuple(np.int64(v) for v in (1, 2, 3, 4)), np.int64(3), np.float32(0.5), DIGIT)
    record = _result(Frame(2, np.float64(0.25), np.zeros((1, 1, 3), np.uint8)), [detection]).to_json()
    assert json.loads(json.dumps(record)) == {"frame": 2, "time_s": 0.25, "detections": [
        {"box": [1, 2, 3, 4], "label": 3, "confidence": 0.5}], "numbers": []}


@pytest.mark.parametrize("name", ["out.mp4", "out.mov", "out.mkv", "out.avi"])
def test_video_opens_before_the_first_frame_and_plays_back(tmp_path, name):
    path = tmp_path / name
    with VideoSink(path, fps=15.0, size=(320, 240)) as sink:
        assert path.exists()  # opened up front: a codec problem shows before any work
        for index in range(12):
            frame = _frame(index)
            sink.write(_result(frame), frame.image_bgr)
        bigger = _frame(12, size=(640, 480))  # a source that changed size
        sink.write(_result(bigger), bigger.image_bgr)
    frames, size, fps = read_video(path)
    assert (frames, size) == (13, (320, 240))
    assert fps == pytest.approx(15.0, abs=0.01)


def test_video_size_from_the_first_frame_when_unknown(tmp_path):
    path = tmp_path / "out.mp4"
    with VideoSink(path, fps=10.0) as sink:
        for index in range(3):
            frame = _frame(index, size=(200, 100))
            sink.write(_result(frame), frame.image_bgr)
    assert read_video(path)[:2] == (3, (200, 100))


def test_checked_without_touching_anything(tmp_path):
    """Constructing a sink checks its output; only entering it creates or truncates the file."""
    previous = tmp_path / "previous.jsonl"
    previous.write_text('{"frame": 0}\n')
    JsonLinesSink(previous)
    VideoSink(tmp_path / "new.mp4", 15.0, (64, 48))
    assert previous.read_text() == '{"frame": 0}\n' and not (tmp_path / "new.mp4").exists()


@pytest.mark.parametrize("make_sink", [
    lambda p: VideoSink(p / "missing" / "out.mp4", 15.0, (64, 48)),
    lambda p: JsonLinesSink(p / "missing" / "out.jsonl"),
    lambda p: ImageFolderSink(p / "missing" / "deeper"),
    lambda p: SnapshotSink(p / "missing" / "deeper"),
], ids=["video", "json", "images", "snapshots"])
def test_missing_folder_refused(tmp_path, make_sink):
    with pytest.raises(UserError, match="does not exist \\(create it first\\)"):
        make_sink(tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing was created on the way


def test_unwritable_place_refused_even_for_root(tmp_path):
    # /proc takes no new files whoever asks: a genuinely unwritable folder, root included.
    for make_sink in (lambda: VideoSink("/proc/realtime-digits.mp4", 15.0, (64, 48)),
                      lambda: JsonLinesSink("/proc/realtime-digits.jsonl")):
        with pytest.raises(UserError, match="folder /proc is not writable"):
            make_sink()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="running as root: a chmod 555 folder is still writable for root, so "
                           "it cannot show the refusal (the /proc test covers it)")
def test_read_only_folder_refused(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(UserError, match="is not writable"):
            JsonLinesSink(folder / "out.jsonl")
    finally:
        folder.chmod(0o755)


def test_wrong_video_name_and_folder_given_as_file(tmp_path):
    with pytest.raises(UserError, match="use a name ending in .mp4"):
        VideoSink(tmp_path / "out.txt", 15.0)
    with pytest.raises(UserError, match="it is a folder"):
        check_writable(tmp_path, "video")
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="give a folder, not a file"):
        ImageFolderSink(tmp_path / "file")
    with pytest.raises(UserError, match="several images give several outputs"):
        ImageFolderSink(tmp_path / "out.png", single_image=False)


def test_image_folder_created_and_filled(tmp_path):
    sink = ImageFolderSink(tmp_path / "annotated")
    assert not (tmp_path / "annotated").exists()  # checked, not yet created
    frame = dataclasses.replace(_frame(0), name="/somewhere/photo 1.jpg")  # as ImageSource names it
    with sink:
        written = sink.write(_result(frame), _drawn(frame))
        unnamed = sink.write(_result(_frame(3)), _drawn(_frame(3)))
    assert written == tmp_path / "annotated" / "photo 1_digits.png"
    assert np.array_equal(cv2.imread(str(written)), _drawn(frame))  # the annotated picture, lossless
    assert unnamed == tmp_path / "annotated" / "frame_000003_digits.png"
    with ImageFolderSink(tmp_path / "one.jpg", single_image=True) as single:
        assert single.write(_result(_frame(1)), _drawn(_frame(1))) == tmp_path / "one.jpg"
    assert cv2.imread(str(tmp_path / "one.jpg")).shape == (240, 320, 3)
    assert not list(tmp_path.glob("**/*.part"))


def test_snapshot_png_and_json(tmp_path):
    frame = _frame(42)
    result = _result(frame, [Detection((5, 6, 7, 8), 4, 0.75, DIGIT)])
    with SnapshotSink(tmp_path / "snaps") as snapshots:  # the default ./snapshots needs no mkdir
        png = snapshots.write(result, _drawn(frame))
    assert png == tmp_path / "snaps" / "snapshot_000042.png"
    assert np.array_equal(cv2.imread(str(png)), _drawn(frame))  # PNG: lossless
    assert json.loads(png.with_suffix(".json").read_text()) == result.to_json()
    assert sorted(p.name for p in (tmp_path / "snaps").iterdir()) == [
        "snapshot_000042.json", "snapshot_000042.png"]


def test_json_lines_valid_after_an_error_mid_run(tmp_path):
    path = tmp_path / "out.jsonl"
    with pytest.raises(RuntimeError), JsonLinesSink(path) as sink:
        sink.write(_result(_frame(0)), _frame(0).image_bgr)
        raise RuntimeError("a bug downstream")
    assert read_json_lines(path) == [{"frame": 0, "time_s": 0.0, "detections": [], "numbers": []}]


def _every_kind(folder):
    """One sink of every kind, constructed (checked) but not entered, and how to read back what
    it wrote: a list of (frame index, picture or record) per kind."""
    def video_frames(path):
        capture = cv2.VideoCapture(str(path))
        frames = []
        while True:
            ok, image = capture.read()
            if not ok:
                break
            frames.append(image)
        capture.release()
        return frames

    return {
        "video": (VideoSink(folder / "out.avi", fps=10.0, size=(320, 240)),
                  lambda: video_frames(folder / "out.avi")),
        "json": (JsonLinesSink(folder / "out.jsonl"), lambda: read_json_lines(folder / "out.jsonl")),
        "images": (ImageFolderSink(folder / "annotated"),
                   lambda: [cv2.imread(str(p)) for p in sorted((folder / "annotated").glob("*.png"))]),
        "snapshots": (SnapshotSink(folder / "snaps"),
                      lambda: [json.loads(p.read_text()) for p in sorted((folder / "snaps").glob("*.json"))]),
        "every 2nd snapshot": (EveryNthFrame(SnapshotSink(folder / "half"), 2),
                               lambda: [json.loads(p.read_text()) for p in sorted((folder / "half").glob("*.json"))]),
    }


@pytest.mark.parametrize("kind", ["video", "json", "images", "snapshots", "every 2nd snapshot"])
def test_every_sink_is_write_result_and_annotated_in_a_context_manager(tmp_path, kind):
    """The loop's one interface: constructing touches nothing, `with` opens, write(result,
    annotated_bgr) takes each frame, leaving closes; what comes back is what was written."""
    sink, read_back = _every_kind(tmp_path)[kind]
    assert list(tmp_path.iterdir()) == []  # checked, nothing created yet
    frames = [dataclasses.replace(_frame(i), name=f"/in/photo_{i}.png") for i in range(4)]
    results = [_result(f, [Detection((10 * i, 5, 8, 9), i, 0.4 + 0.1 * i, DIGIT)],
                       [Number(str(i), (10 * i, 5, 8, 9), (0,))]) for i, f in enumerate(frames)]
    with sink as entered:
        assert entered is sink
        for result in results:
            sink.write(result, _drawn(result.frame))
    written = read_back()
    if kind == "json":
        assert written == [r.to_json() for r in results]
    elif kind == "snapshots":
        assert written == [json.loads(json.dumps(r.to_json())) for r in results]
    elif kind == "every 2nd snapshot":
        assert [w["frame"] for w in written] == [0, 2]
    elif kind == "images":  # the annotated pictures, not the frames, losslessly
        assert len(written) == 4
        assert all(np.array_equal(w, _drawn(f)) for w, f in zip(written, frames, strict=True))
    else:  # video: MJPG is lossy, so the annotated picture is the closer of the two
        assert len(written) == 4
        for image, frame in zip(written, frames, strict=True):
            to_drawn = np.abs(image.astype(int) - _drawn(frame)).mean()
            to_frame = np.abs(image.astype(int) - frame.image_bgr).mean()
            assert to_drawn < 10 < to_frame, (to_drawn, to_frame)


def _decoded_with_pyav(path) -> list[np.ndarray]:
    import av

    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="bgr24") for frame in container.decode(video=0)]


# A process that writes KILLED_AFTER frames of _frame(i) to a VideoSink, never closes it and
# kills itself: what SIGKILL, the OOM killer or a power cut leave behind.
KILLED_AFTER = 100
WRITE_THEN_DIE = f"""
import os, signal, sys
sys.path[:0] = ["tests", "."]
from test_sinks import _frame, _result
from realtime.sinks import VideoSink
sink = VideoSink(sys.argv[1], 15.0, (320, 240)).__enter__()
for index in range({KILLED_AFTER}):
    sink.write(_result(_frame(index)), _frame(index).image_bgr)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("name", ["out.mp4", "out.mkv"])
def test_video_killed_without_closing_plays_all_but_the_last_second(tmp_path, name):
    path = tmp_path / name
    done = subprocess.run([sys.executable, "-c", WRITE_THEN_DIE, str(path)], capture_output=True,
                          cwd=Path(__file__).resolve().parent.parent, timeout=120, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr
    opencv_frames = decode_frames(path)
    pyav_frames = _decoded_with_pyav(path)
    # A keyframe (and so a fragment or cluster on disk) every 14 frames at 15 fps.
    assert KILLED_AFTER - 15 <= len(opencv_frames) < KILLED_AFTER
    assert len(pyav_frames) == len(opencv_frames)
    for index, (image, same) in enumerate(zip(opencv_frames, pyav_frames)):
        assert image.shape == (240, 320, 3)
        assert cv2.PSNR(image, _frame(index).image_bgr) > 30, index  # that frame, in order
        assert cv2.PSNR(image, same) > 40


def test_video_odd_size_is_padded_to_even(tmp_path):
    """4:2:0 colour needs even sizes: a 201x101 screen region gets one copied row and column."""
    path = tmp_path / "odd.mp4"
    image = _frame(3, size=(201, 101)).image_bgr
    with VideoSink(path, fps=10.0, size=(201, 101)) as sink:
        for _ in range(3):
            sink.write(_result(_frame(3, size=(201, 101))), image)
    frames = decode_frames(path)
    assert len(frames) == 3 and frames[0].shape == (102, 202, 3)
    assert cv2.PSNR(frames[0][:101, :201], image) > 30


def test_mpeg4_when_the_wheel_has_no_h264(tmp_path):
    path = tmp_path / "mpeg4.mp4"
    writer = StreamingVideoWriter(path, 15.0, (320, 240), codec="mpeg4")
    for index in range(20):
        writer.write(_frame(index).image_bgr)
    writer.release()
    frames, size, fps = read_video(path)
    assert (frames, size) == (20, (320, 240)) and fps == pytest.approx(15.0, abs=0.01)
    assert cv2.PSNR(decode_frames(path)[19], _frame(19).image_bgr) > 28


def test_h264_by_default_and_a_keyframe_a_second(tmp_path):
    import av

    path = tmp_path / "out.mp4"
    with VideoSink(path, fps=15.0, size=(320, 240)) as sink:
        for index in range(46):
            sink.write(_result(_frame(index)), _frame(index).image_bgr)
        assert sink._writer.codec == "libx264"  # the PyAV wheel ships it
    with av.open(str(path)) as container:
        keyframes = [i for i, packet in enumerate(container.demux(video=0))
                     if packet.size and packet.is_keyframe]
    assert keyframes[:4] == [0, 14, 28, 42]  # fps - 1 apart: a kill loses at most 1 s (see below)
