"""The window and the screen source for real, on a virtual X display (Xvfb) driven by xdotool.

Skipped with the reason when Xvfb or xdotool is missing on a developer's machine; under CI
(CI=true) a missing tool is a failure, since .ci/run installs both.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import CLI_TIMEOUT_S, cli, decode_frames, messages, read_json_lines, write_video

from tools.scoring import match
from tools.synth import make_scene

SCREEN_W, SCREEN_H = 1280, 800
# Where the picture of digits is put on the virtual screen, and read back from.
PICTURE_LEFT, PICTURE_TOP = 100, 80


def _env(display: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "WAYLAND_DISPLAY"}
    env["DISPLAY"] = display
    return env


@pytest.fixture(scope="module")
def xvfb():
    """A fresh 1280x800 virtual display, e.g. ':3'; stopped after the module."""
    missing = [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]
    if missing:
        message = f"{' and '.join(missing)} not installed (apt-get install xvfb xdotool)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: CI must run the window tests", pytrace=False)
        pytest.skip(message)
    read_end, write_end = os.pipe()
    # -displayfd: Xvfb picks a free display number and writes it once it accepts connections.
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-screen", "0",
                               f"{SCREEN_W}x{SCREEN_H}x24", "-nolisten", "tcp"],
                              pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    with os.fdopen(read_end) as announced:
        number = announced.readline().strip()
    if not number:
        server.kill()
        pytest.fail("Xvfb started but announced no display number", pytrace=False)
    yield f":{number}"
    server.terminate()
    server.wait(timeout=10)


def _window_id(display: str, name: str, process: subprocess.Popen, timeout_s: float = 60) -> str:
    """The X id of the window titled exactly `name`, waiting for it to appear."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = subprocess.run(["xdotool", "search", "--name", f"^{name}$"], env=_env(display),
                               capture_output=True, text=True, check=False).stdout.split()
        if found:
            return found[0]
        if process.poll() is not None:
            pytest.fail(f"the process ended (exit {process.returncode}) before showing window "
                        f"{name!r}: {(process.communicate()[1] or '')[-2000:]}")
        time.sleep(0.1)
    pytest.fail(f"no window {name!r} after {timeout_s} s")


def _key(display: str, window: str, key: str) -> None:
    # --window sends the key to that window: there is no window manager to give focus.
    subprocess.run(["xdotool", "key", "--window", window, key], env=_env(display),
                   capture_output=True, timeout=30, check=False)


# Qt ignores a move made before its window is mapped (about one run in three here), so the
# viewer repeats it while it runs; moving to where the window already is does nothing.
SHOW_PICTURE = """
import sys, cv2
picture = cv2.imread(sys.argv[1])
cv2.namedWindow("digits-picture", cv2.WINDOW_AUTOSIZE | cv2.WINDOW_GUI_NORMAL)
while True:
    cv2.imshow("digits-picture", picture)
    cv2.moveWindow("digits-picture", int(sys.argv[2]), int(sys.argv[3]))
    if cv2.waitKey(50) == ord("q"):
        break
"""


def _grab(display: str, area: dict) -> np.ndarray:
    import mss

    with (getattr(mss, "MSS", None) or mss.mss)(display=display) as grabber:
        return cv2.cvtColor(np.asarray(grabber.grab(area)), cv2.COLOR_BGRA2BGR)


@pytest.fixture(scope="module")
def picture_on_screen(xvfb, mnist_test, tmp_path_factory):
    """Dark MNIST digits on white paper shown in a window at PICTURE_LEFT, PICTURE_TOP; the scene.

    About one start in ten, OpenCV's Qt window under Xvfb (no window manager) is mapped at its
    place but never painted: the screen there stays black. That is the viewer's problem, not
    the code under test, so a viewer that dies or shows nothing within 10 s is started again.
    """
    images, labels = mnist_test
    scene = make_scene(images, labels, np.random.default_rng(21), tier="clean", size=(640, 480),
                       n_digits=8, sheet=False)
    path = tmp_path_factory.mktemp("screen") / "picture.png"
    cv2.imwrite(str(path), scene.image_bgr)
    area = {"left": PICTURE_LEFT, "top": PICTURE_TOP, "width": 640, "height": 480}
    difference = 255
    for attempt in range(3):
        viewer = subprocess.Popen([sys.executable, "-c", SHOW_PICTURE, str(path), str(PICTURE_LEFT),
                                   str(PICTURE_TOP)], env=_env(xvfb), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            window = _window_id(xvfb, "digits-picture", viewer)
        except pytest.fail.Exception:
            if attempt == 2:
                raise
            continue  # the viewer died starting up (the same Qt trouble): start another
        # Ready when the screen shows the picture where it was put (what the CLI will grab).
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            difference = np.abs(_grab(xvfb, area).astype(int) - scene.image_bgr).max()
            if difference <= 8:
                break
            time.sleep(0.1)
        if difference <= 8:
            break
        viewer.kill()
        viewer.wait()
    else:
        pytest.fail(f"the picture never appeared at {PICTURE_LEFT},{PICTURE_TOP} in 3 starts "
                    f"(largest difference {difference})")
    yield scene
    _key(xvfb, window, "q")
    try:
        viewer.wait(timeout=10)
    except subprocess.TimeoutExpired:
        viewer.kill()
        viewer.wait()


def test_screen_region_reads_the_digits_on_screen(xvfb, picture_on_screen, tmp_path):
    json_path = tmp_path / "screen.jsonl"
    region = f"screen:{PICTURE_LEFT},{PICTURE_TOP},640,480"
    result = cli(region, "--no-display", "--json", json_path, "--max-frames", "3", display=xvfb)
    assert result.returncode == 0, result.stderr
    records = read_json_lines(json_path)
    assert [r["frame"] for r in records] == [0, 1, 2]
    truth = picture_on_screen.digits
    for record in records:
        found = record["detections"]
        pairs = match([d.box for d in truth], [d["box"] for d in found], min_iou=0.5)
        right = sum(truth[i].label == found[j]["label"] for i, j in pairs)
        # Measured: 8 of 8 found with their boxes in region pixels, 8 of 8 read right.
        assert len(pairs) >= 7 and len(found) <= 9, (found, truth)
        assert right >= 7, (found, truth)


def test_window_keys_snapshot_then_quit(xvfb, clip, tmp_path):
    """The real window on a video: 't', 'm', space (pause), 's' while paused, space, 'q'."""
    path, truth, fps = clip
    long_clip = tmp_path / "long.mp4"
    frames = decode_frames(path)
    # 10 s at the clip's 12 fps: the window plays files at their own rate.
    write_video(long_clip, frames, fps, repeat=5)

    snapshots = tmp_path / "snaps"
    process = subprocess.Popen([sys.executable, "-m", "realtime", str(long_clip), "--snapshot-dir",
                                str(snapshots)], env=_env(xvfb), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        window = _window_id(xvfb, "realtime-digits", process)
        for key in ("t", "m", "space", "s", "space", "q"):
            _key(xvfb, window, key)
            time.sleep(0.3)
        _, stderr = process.communicate(timeout=CLI_TIMEOUT_S)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    lines = messages(stderr)
    assert not any("headless" in line for line in lines)
    saved = [line for line in lines if line.startswith("realtime-digits: snapshot saved to ")]
    assert len(saved) == 1, lines
    png = saved[0].removeprefix("realtime-digits: snapshot saved to ")
    assert os.path.dirname(png) == str(snapshots)
    picture = cv2.imread(png)
    assert picture is not None and picture.shape == (480, 640, 3)
    record = json.loads(Path(png).with_suffix(".json").read_text())
    assert list(record) == ["frame", "time_s", "detections", "numbers"]
    # 'm' came before the snapshot: the frame it shows was mirrored before recognition, so its
    # boxes are the true boxes flipped left-right.
    scene = truth[record["frame"] % len(truth)]
    flipped = [(640 - x - w, y, w, h) for x, y, w, h in (d.box for d in scene.digits)]
    pairs = match(flipped, [d["box"] for d in record["detections"]], min_iou=0.5)
    assert len(pairs) >= 8, (record, flipped)
    source_frame = cv2.flip(frames[record["frame"] % len(frames)], 1)
    assert np.median(np.abs(picture.astype(int) - source_frame)) <= 2  # the snapshot is that frame
    summary = lines[-1]
    assert summary.startswith("realtime-digits: ") and " fps mean" in summary
    assert int(summary.split()[1]) < 5 * len(frames)  # 'q' ended it before the video did


@pytest.mark.parametrize("source, message", [
    ("screen:1200,700,200,200", "screen region (1200, 700, 200, 200) lies outside the screen (1280x800 at 0,0)"),
    ("screen:3", "monitor 3 does not exist: use screen:0 (all) to screen:1"),
])
def test_screen_outside_the_display(xvfb, source, message):
    result = cli(source, "--no-display", display=xvfb, block_tensorflow=True)
    lines = messages(result.stderr)
    assert result.returncode == 2
    assert lines == [f"realtime-digits: error: {message}"]
