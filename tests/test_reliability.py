"""Issue #5, the reliability matrix: every way the input, the model, the outputs or the user can
go wrong ends in one line, the right exit code, and outputs that are still valid.

Errors that must come before the model loads run the real command with TensorFlow made
unimportable, which proves they do (and keeps them fast); they run side by side in one pool.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import (
    CLI_TIMEOUT_S,
    FakeCamera,
    cli,
    decode_frames,
    install_fake_cameras,
    messages,
    read_json_lines,
    read_video,
    write_video,
)
from mjpeg_server import MjpegServer, free_port

from realtime import cli as cli_module
from realtime import sources
from realtime.detect import find_digits
from realtime.settings import Settings

ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


# ---------------------------------------------------------------------------------------------
# Errors before the model loads: (id, arguments, what the one line must say).

def _inputs(folder: Path, clip_path: Path, seed_digits_dir: Path) -> dict[str, Path]:
    """The broken inputs, made once."""
    made = {"empty": folder / "empty.mp4", "text_mp4": folder / "text.mp4",
            "cut_mp4": folder / "cut.mp4", "text_png": folder / "text.png",
            "cut_png": folder / "cut.png", "no_images": folder / "no_images",
            "not_a_model": folder / "not_a_model", "locked": folder / "locked"}
    made["empty"].write_bytes(b"")
    made["text_mp4"].write_text("these are my notes, not a video\n" * 20)
    data = clip_path.read_bytes()
    made["cut_mp4"].write_bytes(data[: len(data) // 2])
    made["text_png"].write_text("not a picture")
    png = (seed_digits_dir / "digit_3.png").read_bytes()
    made["cut_png"].write_bytes(png[: len(png) // 2])
    made["no_images"].mkdir()
    (made["no_images"] / "readme.txt").write_text("x")
    made["not_a_model"].mkdir()
    (made["not_a_model"] / "weights.h5").write_bytes(b"\0" * 10)
    made["locked"].mkdir()
    made["locked"].chmod(0o555)
    return made


EARLY_ERRORS = [
    # the source
    ("camera_missing", lambda p: ["7"], r"camera 7 cannot be opened: check it is plugged in"),
    ("video_missing", lambda p: [p["dir"] / "nope.mp4"], r"source '.*nope.mp4' not found"),
    ("video_empty", lambda p: [p["empty"]], r"empty.mp4 is empty \(0 bytes\)"),
    ("video_not_a_video", lambda p: [p["text_mp4"]], r"text.mp4 cannot be read as a video"),
    ("video_cut_in_half", lambda p: [p["cut_mp4"]],
     r"cut.mp4 looks truncated: its index \(moov box\) is missing"),
    ("image_not_an_image", lambda p: [p["text_png"]], r"text.png is not an image OpenCV can read"),
    ("image_cut_in_half", lambda p: [p["cut_png"]], r"cut.png cannot be decoded as an image"),
    ("folder_without_images", lambda p: [p["no_images"]], r"no_images holds no images"),
    ("glob_matching_nothing", lambda p: [str(p["dir"] / "*.jpeg")], r"no files match '.*\*.jpeg'"),
    ("screen_without_display", lambda p: ["screen"], r"screen capture needs a display"),
    # the model
    ("model_missing", lambda p: [p["seed"], "--model", p["dir"] / "no_model"],
     r"model '.*no_model' not found: give a .*folder or one of .*softmax"),
    ("model_not_a_savedmodel", lambda p: [p["seed"], "--model", p["not_a_model"]],
     r"not_a_model is not a .*folder \(no saved_model.pb\)"),
    # the outputs
    ("json_in_missing_folder", lambda p: [p["clip"], "--json", p["dir"] / "nowhere" / "x.jsonl"],
     r"cannot write JSON lines .*x.jsonl: folder .*nowhere does not exist \(create it first\)"),
    ("video_in_missing_folder", lambda p: [p["clip"], "--save", p["dir"] / "nowhere" / "x.mp4"],
     r"cannot write video .*x.mp4: folder .*nowhere does not exist"),
    ("video_in_unwritable_place", lambda p: [p["clip"], "--save", "/proc/realtime-digits.mp4"],
     r"cannot write video /proc/realtime-digits.mp4: folder /proc is not writable"),
    ("snapshots_in_unwritable_place", lambda p: [p["clip"], "--snapshot-dir", "/proc/snaps"],
     r"cannot write snapshots /proc/snaps: folder /proc is not writable"),
    ("video_with_wrong_name", lambda p: [p["clip"], "--save", p["dir"] / "out.txt"],
     r"cannot write video .*out.txt: use a name ending in .mp4"),
    ("output_is_the_source", lambda p: [p["clip"], "--save", p["clip"]], r"--save .* is the source being read"),
    ("video_ok_but_json_unwritable",
     lambda p: [p["clip"], "--save", p["dir"] / "kept.mp4", "--json", "/proc/x.jsonl"],
     r"cannot write JSON lines /proc/x.jsonl"),
    # the options
    ("snapshot_every_negative", lambda p: [p["clip"], "--snapshot-every", "-1"],
     r"--snapshot-every -1 is negative: give 0 \(off\) or a frame count"),
    ("min_confidence_above_1", lambda p: [p["clip"], "--min-confidence", "1.5"],
     r"min confidence 1.5 is outside 0..1"),
    ("min_confidence_below_0", lambda p: [p["clip"], "--min-confidence", "-0.1"],
     r"min confidence -0.1 is outside 0..1"),
    ("min_confidence_not_a_number", lambda p: [p["clip"], "--min-confidence", "high"],
     r"argument --min-confidence: invalid float value: 'high' \(see --help\)"),
    ("threshold_unknown", lambda p: [p["clip"], "--threshold", "median"],
     r"unknown threshold mode 'median': use one of adaptive, otsu"),
    ("invert_unknown", lambda p: [p["clip"], "--invert", "maybe"],
     r"unknown invert mode 'maybe': use one of auto, yes, no"),
    ("max_frames_zero", lambda p: [p["clip"], "--max-frames", "0"], r"--max-frames 0 must be at least 1"),
    ("bad_screen_region", lambda p: ["screen:0,0,-5,10"], r"bad screen source 'screen:0,0,-5,10'"),
    # network sources (a local MJPEG server stands in for a phone)
    ("stream_connection_refused", lambda p: [p["refused_url"]],
     r"cannot connect to 127.0.0.1:\d+ for http://127.0.0.1:\d+/video \(Connection refused\): check"),
    ("stream_url_serves_a_page", lambda p: [p["page_url"]],
     r"http://127.0.0.1:\d+/page does not serve a video stream \(it serves text/html\): check the path"),
    ("stream_url_without_host", lambda p: ["http://:8080/video"], r"bad stream URL 'http://:8080/video': no host"),
    ("reconnect_for_a_file", lambda p: [p["clip"], "--reconnect", "5"], r"--reconnect is for network sources"),
    ("reconnect_negative", lambda p: ["http://127.0.0.1:9/video", "--reconnect", "-2"],
     r"--reconnect -2 must be 0 \(off\) or more seconds"),
]
if not ROOT:  # for root a chmod 555 folder is writable: nothing to refuse (see test_read_only_as_root)
    EARLY_ERRORS.append(("json_in_read_only_folder", lambda p: [p["clip"], "--json", p["locked"] / "x.jsonl"],
                         r"folder .*locked is not writable"))


@pytest.fixture(scope="module")
def early_error_runs(tmp_path_factory, clip, seed_digits_dir):
    """Every EARLY_ERRORS case run once, four at a time, headless, with TensorFlow blocked."""
    folder = tmp_path_factory.mktemp("broken")
    paths = _inputs(folder, clip[0], seed_digits_dir)
    paths.update(dir=folder, clip=clip[0], seed=seed_digits_dir / "digit_0.png",
                 refused_url=f"http://127.0.0.1:{free_port()}/video")
    clip_digest = hashlib.sha256(clip[0].read_bytes()).hexdigest()

    def run(case):
        name, arguments, _ = case
        started = time.monotonic()
        result = cli(*arguments(paths), "--no-display", cwd=folder, block_tensorflow=True)
        return name, (result, time.monotonic() - started)

    with MjpegServer(decode_frames(clip[0])[:2]) as server, ThreadPoolExecutor(max_workers=4) as pool:
        paths["page_url"] = server.url("/page")
        runs = dict(pool.map(run, EARLY_ERRORS))
    assert hashlib.sha256(clip[0].read_bytes()).hexdigest() == clip_digest, "the source was damaged"
    return runs, folder


@pytest.mark.parametrize("name, arguments, message", EARLY_ERRORS, ids=[c[0] for c in EARLY_ERRORS])
def test_error_before_the_model_loads(early_error_runs, name, arguments, message):
    runs, folder = early_error_runs
    result, seconds = runs[name]
    lines = messages(result.stderr)
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, lines  # one line: no usage, no OpenCV/FFmpeg log, no traceback
    assert lines[0].startswith("realtime-digits: error: ")
    assert re.search(message, lines[0]), lines[0]
    assert result.stdout == ""
    # TensorFlow was unimportable, so no frame can have been processed; nothing was written.
    assert not list(folder.glob("**/*.jsonl")) and not (folder / "kept.mp4").exists()
    assert seconds < CLI_TIMEOUT_S / 2  # a hang guard: these answer in well under a second


@pytest.mark.skipif(not ROOT, reason="only as root: a non-root run checks read-only folders in the matrix")
def test_read_only_as_root(tmp_path):
    """As root a read-only folder is writable (root ignores permission bits), so honestly the
    only thing to check is that the command does not claim otherwise and writes there."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    from realtime.sinks import JsonLinesSink
    from realtime.types import Frame, FrameResult

    with JsonLinesSink(folder / "x.jsonl") as sink:
        frame = Frame(0, 0.0, np.zeros((1, 1, 3), np.uint8))
        sink.write(FrameResult(frame, (), ()), frame.image_bgr)
    assert read_json_lines(folder / "x.jsonl") == [{"frame": 0, "time_s": 0.0, "detections": [], "numbers": []}]


# ---------------------------------------------------------------------------------------------
# In-process runs of the command that need the model: it is the session's one loaded Recognizer.

@pytest.fixture
def shared_model(monkeypatch, recognizer):
    """The command's Recognizer is the session's (same model, default settings): no second load."""

    def load(model_dir, settings, backend="tensorflow"):
        # Steady labels (on by default for cameras) change nothing these tests look at.
        assert dataclasses.replace(settings, smooth=0) == recognizer.settings and backend == "tensorflow", \
            "this shortcut only serves default settings"
        return recognizer

    monkeypatch.setattr(cli_module, "load_recognizer", load)
    return recognizer


def _summary(stderr: str) -> str:
    return [line for line in messages(stderr) if line.startswith("realtime-digits: ") and " fps mean" in line][-1]


def test_truncated_video_processes_what_is_readable(cut_avi, tmp_path, shared_model, capsys):
    path, promised = cut_avi
    json_path, video_path = tmp_path / "out.jsonl", tmp_path / "out.mp4"
    status = cli_module.main([str(path), "--no-display", "--json", str(json_path), "--save", str(video_path)])
    records = read_json_lines(json_path)
    assert status == 3
    assert 0 < len(records) < promised
    assert read_video(video_path)[:2] == (len(records), (640, 480))
    assert _summary(capsys.readouterr().err).endswith(
        f"(video ended after {len(records)} of {promised} frames: the file looks truncated; what "
        f"was readable is processed; outputs closed)")


def test_camera_lost_mid_stream(monkeypatch, tmp_path, shared_model, capsys, clip):
    """A camera that delivers 20 frames and then nothing (unplugged): the run finishes, closes
    its outputs, says so, and exits 3."""
    scene = clip[1][0].image_bgr

    cameras = install_fake_cameras(
        monkeypatch, lambda index: FakeCamera(20, image=scene, fps=20.0, delay_s=0.02))
    monkeypatch.setattr(sources, "CAMERA_LOST_AFTER_S", 0.5)
    json_path, video_path = tmp_path / "cam.jsonl", tmp_path / "cam.avi"
    started = time.monotonic()
    status = cli_module.main(["0", "--no-display", "--json", str(json_path), "--save", str(video_path)])
    assert time.monotonic() - started < 60  # a hang guard: it ends ~0.5 s after the last frame
    assert status == 3
    records = read_json_lines(json_path)
    assert 1 <= len(records) <= 20
    assert read_video(video_path)[:2] == (len(records), (640, 480))
    assert cameras[0].released
    assert all(len(r["detections"]) >= 8 for r in records)  # real frames were recognized
    assert _summary(capsys.readouterr().err).endswith(
        f"(camera 0 stopped delivering frames after {len(records)} frames (nothing new for 0.5 s); "
        f"outputs closed)")


def test_damaged_image_halfway_through_a_folder(tmp_path, seed_digits_dir, shared_model, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("a", "b"):
        (folder / f"{name}.png").write_bytes((seed_digits_dir / f"digit_{'ab'.index(name) + 1}.png").read_bytes())
    png = (seed_digits_dir / "digit_3.png").read_bytes()
    (folder / "c.png").write_bytes(png[: len(png) // 2])
    out = tmp_path / "annotated"
    status = cli_module.main([str(folder), "--no-display", "--json", str(tmp_path / "p.jsonl"), "--save", str(out)])
    err = messages(capsys.readouterr().err)
    assert status == 2
    assert err[-1].startswith("realtime-digits: error: ") and "c.png cannot be decoded" in err[-1]
    assert err[-2].startswith("realtime-digits: 2 frames, 2 digits")  # how far it got
    records = read_json_lines(tmp_path / "p.jsonl")
    assert [[d["label"] for d in r["detections"]] for r in records] == [[1], [2]]
    assert sorted(p.name for p in out.iterdir()) == ["a_digits.png", "b_digits.png"]


@pytest.fixture(scope="module")
def other_models(tmp_path_factory, recognizer):
    """A SavedModel whose signature has other names, and a folder whose saved_model.pb is junk."""
    from realtime.model import import_tensorflow

    tf = import_tensorflow()

    class Renamed(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 784], tf.float32, name="pixels")])
        def serve(self, pixels):
            return {"scores": tf.nn.softmax(tf.zeros([tf.shape(pixels)[0], 10]))}

    root = tmp_path_factory.mktemp("models")
    renamed = Renamed()
    tf.saved_model.save(renamed, str(root / "renamed"), signatures={"serving_default": renamed.serve})
    (root / "junk").mkdir()
    (root / "junk" / "saved_model.pb").write_bytes(b"\x08\x96\x01 certainly not a protobuf" * 9)
    return root


@pytest.mark.parametrize("model, message", [
    ("renamed", ("renamed has the wrong signature: expected input myInput [None, 784] and output "
                 "myOutput [None, 10], found inputs {'pixels': [None, 784]} and outputs "
                 "{'scores': [None, 10]}; re-export it with train_export.py")),
    ("junk", "cannot load the SavedModel in"),
])
def test_unusable_model(other_models, seed_digits_dir, tmp_path, capsys, model, message):
    json_path = tmp_path / "x.jsonl"
    status = cli_module.main([str(seed_digits_dir / "digit_0.png"), "--no-display",
                              "--model", str(other_models / model), "--json", str(json_path)])
    lines = messages(capsys.readouterr().err)
    assert status == 2
    assert len(lines) == 1 and lines[0].startswith("realtime-digits: error: ") and message in lines[0], lines
    assert not json_path.exists()  # the model is loaded before any output is created


# ---------------------------------------------------------------------------------------------
# Ctrl-C and SIGTERM mid-video: a real process, interrupted once its JSON file has lines.

@pytest.fixture(scope="module")
def long_clip(clip, tmp_path_factory):
    """240 frames (the clip ten times over): long enough to be interrupted in the middle."""
    path, _, fps = clip
    long_path = tmp_path_factory.mktemp("long") / "long.mp4"
    return long_path, write_video(long_path, decode_frames(path), fps, repeat=10)


@pytest.fixture(scope="module")
def interrupted_runs(long_clip, tmp_path_factory):
    """SIGINT and SIGTERM runs side by side: {signal: (returncode, stderr, json path, video path)}."""
    path, _ = long_clip
    folder = tmp_path_factory.mktemp("interrupted")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    runs = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        json_path, video_path = folder / f"{signum.name}.jsonl", folder / f"{signum.name}.mp4"
        process = subprocess.Popen([sys.executable, "-m", "realtime", str(path), "--no-display",
                                    "--json", str(json_path), "--save", str(video_path)],
                                   env=env, stderr=subprocess.PIPE, text=True)
        runs[signum] = (process, json_path, video_path)
    deadline = time.monotonic() + CLI_TIMEOUT_S
    pending = dict(runs)
    while pending and time.monotonic() < deadline:
        for signum, (process, json_path, _) in list(pending.items()):
            lines = json_path.read_text().count("\n") if json_path.exists() else 0
            if lines >= 5 or process.poll() is not None:
                process.send_signal(signum)
                del pending[signum]
        time.sleep(0.02)
    results = {}
    for signum, (process, json_path, video_path) in runs.items():
        _, stderr = process.communicate(timeout=CLI_TIMEOUT_S)
        results[signum] = (process.returncode, stderr, json_path, video_path)
    return results


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_mid_video_keeps_valid_outputs(interrupted_runs, long_clip, signum):
    returncode, stderr, json_path, video_path = interrupted_runs[signum]
    records = read_json_lines(json_path)  # every line complete, valid JSON
    assert returncode == 130, stderr
    assert 5 <= len(records) < long_clip[1]  # stopped in the middle
    assert [r["frame"] for r in records] == list(range(len(records)))
    assert read_video(video_path)[:2] == (len(records), (640, 480))  # plays; one frame per line
    assert "Traceback" not in stderr
    assert _summary(stderr).startswith(f"realtime-digits: {len(records)} frames")
    assert _summary(stderr).endswith(f"(interrupted by {signum.name}; outputs closed)")


def test_hard_kill_mid_video_leaves_a_video_that_plays(long_clip, tmp_path):
    """SIGKILL (the OOM killer, a power cut): nothing can close the outputs. The JSON lines are
    all whole, and the video opens in OpenCV and PyAV with every frame but the last second's."""
    import av

    path, total = long_clip
    fps = read_video(path)[2]
    json_path, video_path = tmp_path / "killed.jsonl", tmp_path / "killed.mp4"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    process = subprocess.Popen([sys.executable, "-m", "realtime", str(path), "--no-display",
                                "--save", str(video_path), "--json", str(json_path)],
                               env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + CLI_TIMEOUT_S
    # Killed once 4 s of video are in: past the first fragments, well before the end.
    while (json_path.read_text().count("\n") if json_path.exists() else 0) < 4 * fps:
        assert process.poll() is None and time.monotonic() < deadline, "it ended before the kill"
        time.sleep(0.01)
    process.kill()
    assert process.wait(timeout=CLI_TIMEOUT_S) == -signal.SIGKILL
    records = read_json_lines(json_path)
    assert [r["frame"] for r in records] == list(range(len(records))) and len(records) < total
    frames, size, saved_fps = read_video(video_path)  # OpenCV
    with av.open(str(video_path)) as container:
        pyav_frames = sum(1 for _ in container.decode(video=0))
    assert len(records) - fps <= frames <= len(records), (frames, len(records))
    assert pyav_frames == frames and size == (640, 480) and saved_fps == pytest.approx(fps)


# ---------------------------------------------------------------------------------------------
# A phone or IP camera whose stream stalls or drops mid-run: reconnect, the same files go on.

@pytest.mark.parametrize("outage, said", [
    ((15, "stall", 1.5), "stalled (no frame for 0.5 s)"),
    ((15, "drop", 1.0), "dropped (the connection ended)"),
], ids=["stalled_stream", "dropped_stream"])
def test_stream_outage_mid_run_reconnects_and_keeps_every_output(
        clip, tmp_path, shared_model, monkeypatch, capsys, outage, said):
    """The stream stalls (or the phone app restarts), comes back, then goes away for good: a
    line for each, every frame received is in the JSON and the video (same files throughout),
    then a clean end with exit 3."""
    if outage[1] == "stall":
        # A stall is seen after 0.5 s instead of 2 (FFmpeg's read gives up at 1 s). Only here:
        # a drop is seen when the connection ends, and a gap between two frames on a loaded
        # machine can exceed a limit this short (the dropped case failed once under load).
        monkeypatch.setattr(sources, "STREAM_STALLED_AFTER_S", 0.5)
        monkeypatch.setattr(sources, "STREAM_READ_TIMEOUT_S", 1.0)
    frames = decode_frames(clip[0])
    json_path, video_path = tmp_path / "phone.jsonl", tmp_path / "phone.mp4"
    with MjpegServer(frames, fps=20, events=[outage, (35, "end", 0)]) as server:
        started = time.monotonic()
        status = cli_module.main([server.url(), "--no-display", "--reconnect", "2",
                                  "--json", str(json_path), "--save", str(video_path)])
        assert time.monotonic() - started < 60  # a hang guard: about 5 s
    lines = messages(capsys.readouterr().err)
    records = read_json_lines(json_path)
    assert status == 3
    assert server.connections == 2
    url = server.url()
    # Newest frame wins: on a loaded machine some of the 15 frames sent may have been skipped.
    before = re.fullmatch(f"realtime-digits: stream {re.escape(url)} {re.escape(said)} after "
                          r"(\d+) frames; reconnecting for up to 2 s", lines[0])
    assert before and 1 <= int(before[1]) <= 15, lines[0]
    assert lines[1].startswith(f"realtime-digits: stream {url} back after ")
    assert lines[2].startswith(f"realtime-digits: stream {url} dropped (the connection ended) after "
                               f"{len(records)} frames; reconnecting for up to 2 s")
    assert lines[3] == _summary("\n".join(lines)) and len(lines) == 4
    assert lines[3].endswith(f"(stream {url} dropped (the connection ended) after {len(records)} "
                             f"frames and did not come back within 2 s; outputs closed)")
    # Frames from before and after the reconnect, numbered as one run, each recognized.
    assert int(before[1]) < len(records) <= 35
    assert [r["frame"] for r in records] == list(range(len(records)))
    assert all(len(r["detections"]) >= 8 for r in records)
    assert read_video(video_path)[:2] == (len(records), (640, 480))  # one frame per JSON line


def test_a_signal_while_a_frame_is_written_waits_for_the_frame():
    """The guarantee behind one video frame per JSON line: a signal arriving between a frame's
    writes is raised after them; a second one, while outputs close, is ignored."""
    interrupts = cli_module.Interrupts()
    written = []
    with interrupts.installed():
        with pytest.raises(KeyboardInterrupt), interrupts.hold():
            written.append("json line")
            os.kill(os.getpid(), signal.SIGTERM)  # Python runs the handler right after this call
            written.append("video frame")
        os.kill(os.getpid(), signal.SIGINT)  # would raise KeyboardInterrupt if not ignored
        written.append("closed")
    assert written == ["json line", "video frame", "closed"]
    assert interrupts.name == "SIGTERM"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers restored

    closing = cli_module.Interrupts()
    with closing.installed():
        closing.closing()  # the loop has ended; the outputs are being closed
        os.kill(os.getpid(), signal.SIGTERM)  # must not cut the closing short
    assert closing.name == "SIGTERM"


# ---------------------------------------------------------------------------------------------
# Degenerate frames straight into the Recognizer.

def _blob_frame(seed: int = 0, width: int = 1280, height: int = 960, cell: int = 32) -> np.ndarray:
    """Paper covered in ~1100 digit-sized scribbles: far more candidates than the region cap."""
    rng = np.random.default_rng(seed)
    image = np.full((height, width, 3), 230, np.uint8)
    for top in range(0, height - cell, cell):
        for left in range(0, width - cell, cell):
            points = rng.integers(4, cell - 4, (3, 2)) + [left, top]
            cv2.polylines(image, [points.reshape(-1, 1, 2).astype(np.int32)], False, (30, 30, 30), 2)
    return image


_rng = np.random.default_rng(5)
DEGENERATE_FRAMES = {
    "1x1": np.zeros((1, 1, 3), np.uint8),
    "2x3_white": np.full((2, 3, 3), 255, np.uint8),
    "all_black": np.zeros((480, 640, 3), np.uint8),
    "all_white": np.full((480, 640, 3), 255, np.uint8),
    "pure_noise": _rng.integers(0, 256, (480, 640, 3), dtype=np.uint8),
    "salt_noise": np.where(_rng.random((480, 640, 1)) > 0.97, 20, 230).repeat(3, 2).astype(np.uint8),
    "scribbles": _blob_frame(),
    "4k_noise": _rng.integers(0, 256, (2160, 3840, 3), dtype=np.uint8),
    "4k_white": np.full((2160, 3840, 3), 255, np.uint8),
    "tall_thin_240x1": np.full((240, 1, 3), 128, np.uint8),
}


@pytest.mark.parametrize("name", list(DEGENERATE_FRAMES))
def test_degenerate_frame(recognizer, name):
    frame = DEGENERATE_FRAMES[name]
    detections = recognizer.recognize(frame)
    assert len(detections) <= recognizer.settings.max_regions
    height, width = frame.shape[:2]
    for d in detections:
        x, y, w, h = d.box
        assert 0 <= x and 0 <= y and w > 0 and h > 0 and x + w <= width and y + h <= height
        assert 0 <= d.label <= 9 and 0.0 <= d.confidence <= 1.0
        assert d.digit_28x28.shape == (28, 28) and d.digit_28x28.dtype == np.float32
    if name in ("1x1", "all_black", "all_white", "4k_white"):
        assert detections == []  # nothing to read in a plain frame


def test_region_cap_bounds_the_work_on_a_frame_of_scribbles():
    frame = DEGENERATE_FRAMES["scribbles"]
    uncapped = len(find_digits(frame, Settings(max_regions=1_000_000)))
    assert uncapped > 64  # the frame really does exceed the default cap
    for cap in (64, 5):
        assert len(find_digits(frame, Settings(max_regions=cap))) == cap


@pytest.mark.parametrize("shape", [(1, 480, 3), (480, 1, 3), (1, 1300, 3), (2, 2000, 3)])
def test_one_pixel_strip_frames(recognizer, shape):
    """A 1-px-high screen region (screen:0,0,480,1) or a scanner line: nothing to read, no crash,
    blank or crossed by dark dashes (which look like a rule to the rule finder)."""
    assert recognizer.recognize(np.full(shape, 200, np.uint8)) == []
    dashed = np.full(shape, 200, np.uint8)
    dashes = np.arange(max(shape[:2])) % 50 < 40  # 40 px of ink, 10 of paper, along the strip
    if shape[1] > shape[0]:
        dashed[:, dashes] = 20
    else:
        dashed[dashes, :] = 20
    assert recognizer.recognize(dashed) == []
