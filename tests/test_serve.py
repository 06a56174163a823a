"""`realtime-digits serve` without a browser: a real server on a free port of 127.0.0.1, spoken to
by a plain WebSocket client, as the page speaks to it (the page itself: test_web_browser.py)."""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import cv2
import numpy as np
import pytest
from conftest import REPO, cli, messages
from serve_process import ServerProcess

from realtime.serve import (
    MAX_MESSAGE_BYTES,
    MAX_TEXT_BYTES,
    TRANSPORT_MAX_BYTES,
    host_notes,
    image_size,
)
from tools.scoring import match
from tools.synth import load_truth

websockets_sync = pytest.importorskip("websockets.sync.client", reason="pip install -e .[test]")
DEMO = REPO / "realtime" / "data" / "demo.mp4"
# The model the tests serve: the cnn reads every digit of the demo's first frames (the softmax
# model reads one of its 8s as a 5); LiteRT starts in a tenth of a second.
SERVED = ("--model", "cnn", "--backend", "litert")


def demo_frames(*indices: int) -> dict[int, np.ndarray]:
    capture = cv2.VideoCapture(str(DEMO))
    frames, index = {}, 0
    try:
        while len(frames) < len(indices):
            ok, image = capture.read()
            assert ok, f"{DEMO} ended before frame {max(indices)}"
            if index in indices:
                frames[index] = image
            index += 1
    finally:
        capture.release()
    return frames


def jpeg(image_bgr: np.ndarray, quality: int = 90) -> bytes:
    ok, encoded = cv2.imencode(".jpg", image_bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return encoded.tobytes()


@pytest.fixture(scope="module")
def server():
    running = ServerProcess(*SERVED)
    yield running
    assert running.stop() == 0, running.stderr()


@contextlib.contextmanager
def connect(server, **options):
    """A client of the page's WebSocket; the server's hello already read."""
    with websockets_sync.connect(server.ws_url, max_size=None, **options) as client:
        hello = json.loads(client.recv(timeout=30))
        assert hello["type"] == "hello" and hello["max_message_bytes"] == MAX_MESSAGE_BYTES
        yield client


def ask(client, message) -> dict:
    client.send(message)
    return json.loads(client.recv(timeout=60))


def test_demo_frame_comes_back_with_its_digits_as_a_json_line_record(server):
    """The record is the --json line's (FrameResult.to_json), with steady labels, and its digits
    are the demo's: every true digit found once, with its label."""
    from realtime.pipeline import Recognizer
    from realtime.track import LabelSmoother
    from realtime.types import Frame

    _, truth = load_truth(DEMO.with_suffix(".json"))
    recognizer = Recognizer("cnn", backend="litert")
    smoother = LabelSmoother(5)
    reuse = recognizer.new_reuse()  # the page's camera is one stream, as the server's session
    with connect(server) as client:
        for position, (index, image) in enumerate(demo_frames(0, 45).items()):
            payload = jpeg(image)
            reply = ask(client, payload)
            assert reply["type"] == "result", reply
            record = reply["record"]
            assert reply["size"] == [640, 480]
            assert set(record) == {"frame", "time_s", "detections", "numbers"}
            assert record["frame"] == position
            found = record["detections"]
            pairs = match([d.box for d in truth[index]], [d["box"] for d in found], min_iou=0.5)
            assert len(pairs) == len(truth[index]) == len(found)
            assert [found[j]["steady_label"] for _, j in pairs] == [truth[index][i].label for i, _ in pairs]
            assert all(set(d) == {"box", "label", "confidence", "track", "steady_label"} for d in found)
            # The same frames through the same stages in this process (a stream: what its
            # earlier frames read is kept) give the same record.
            decoded = cv2.imdecode(np.frombuffer(payload, np.uint8), cv2.IMREAD_COLOR)
            expected = recognizer.recognize_frame(Frame(position, record["time_s"], decoded), smoother,
                                                  reuse).to_json()
            assert record == expected
    assert [n["text"] for n in record["numbers"]] == ["04118", "80228"]


# A real JPEG cut a quarter of the way through its picture data.
_NOISE_JPEG = cv2.imencode(".jpg", np.random.default_rng(0).integers(0, 255, (480, 640, 3), np.uint8))[1].tobytes()
CUT_JPEG = _NOISE_JPEG[:len(_NOISE_JPEG) // 4]
BAD_MESSAGES = [
    pytest.param(b"\xff\xd8" + bytes(MAX_MESSAGE_BYTES), "over the", id="oversized"),
    pytest.param(b"GIF89a not a frame", "not a JPEG or PNG", id="not-an-image"),
    pytest.param(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(40), "not a JPEG or PNG", id="jpeg-without-size"),
    pytest.param(CUT_JPEG, "could not be decoded", id="cut-jpeg"),
    pytest.param(b"\xff\xd8\xff\xc0\x00\x11\x08\xff\xff\xff\xff\x03" + bytes(20), "pixels is refused",
                 id="huge-dimensions"),
    pytest.param(b"", "not a JPEG or PNG", id="empty-binary"),
    pytest.param("{not json", "not JSON", id="malformed-json"),
    pytest.param("[1, 2]", "must be an object", id="json-array"),
    pytest.param('{"type": "launch"}', "unknown message type", id="unknown-type"),
    pytest.param('{"type": "settings", "min_confidence": 2}', "from 0 to 1", id="confidence-out-of-range"),
    pytest.param('{"type": "settings", "min_confidence": NaN}', "from 0 to 1", id="confidence-nan"),
    pytest.param('{"type": "settings", "min_confidence": true}', "from 0 to 1", id="confidence-bool"),
    pytest.param('{"type": "settings", "ink_mask": "yes"}', "true or false", id="ink-mask-not-bool"),
    pytest.param('{"type": "settings", "colour": 1}', "unknown settings", id="unknown-setting"),
    pytest.param(" " * (MAX_TEXT_BYTES + 1), f"over {MAX_TEXT_BYTES} bytes", id="oversized-text"),
]


@pytest.mark.parametrize(("message", "said"), BAD_MESSAGES)
def test_bad_message_gets_an_error_and_the_connection_keeps_working(server, message, said):
    frame = jpeg(demo_frames(0)[0])
    with connect(server) as client:
        reply = ask(client, message)
        assert reply["type"] == "error" and said in reply["error"], reply
        reply = ask(client, frame)
        assert reply["type"] == "result" and len(reply["record"]["detections"]) == 10
    assert server.process.poll() is None


def test_message_over_the_transport_limit_closes_only_its_connection(server):
    from websockets.exceptions import ConnectionClosed

    with connect(server) as other, connect(server) as client:
        client.send(bytes(TRANSPORT_MAX_BYTES + 1))
        with pytest.raises(ConnectionClosed) as closed:
            client.recv(timeout=60)
        assert closed.value.rcvd.code == 1009  # message too big
        assert ask(other, jpeg(demo_frames(0)[0]))["type"] == "result"


def test_threshold_view_gets_the_ink_mask(server):
    image = demo_frames(0)[0]
    with connect(server) as client:
        client.send(json.dumps({"type": "settings", "ink_mask": True}))
        reply = ask(client, jpeg(image))
    prefix = "data:image/png;base64,"
    assert reply["ink_mask_png"].startswith(prefix)
    mask = cv2.imdecode(np.frombuffer(base64.b64decode(reply["ink_mask_png"][len(prefix):]), np.uint8),
                        cv2.IMREAD_UNCHANGED)
    assert mask.shape == (480, 640) and set(np.unique(mask)) == {0, 255}
    for detection in reply["record"]["detections"]:  # every digit is ink in the mask
        x, y, w, h = detection["box"]
        assert mask[y:y + h, x:x + w].max() == 255


def test_each_connection_has_its_own_tracker_and_reset_starts_a_new_one(server):
    frame, mirrored = demo_frames(0)[0], cv2.flip(demo_frames(0)[0], 1)
    with connect(server) as first, connect(server) as second:
        tracks_first = [d["track"] for d in ask(first, jpeg(frame))["record"]["detections"]]
        again = [d["track"] for d in ask(first, jpeg(frame))["record"]["detections"]]
        # The mirrored sheet has its digits elsewhere: a shared tracker would number them 10 on.
        tracks_second = [d["track"] for d in ask(second, jpeg(mirrored))["record"]["detections"]]
        first.send(json.dumps({"type": "reset"}))
        after_reset = [d["track"] for d in ask(first, jpeg(mirrored))["record"]["detections"]]
    assert sorted(tracks_first) == sorted(again) == list(range(10))
    assert sorted(tracks_second) == sorted(after_reset) == list(range(len(tracks_second)))


def test_a_client_gone_mid_frame_frees_its_state(server):
    frame = jpeg(demo_frames(0)[0])
    with contextlib.ExitStack() as stack:
        clients = [stack.enter_context(connect(server)) for _ in range(3)]
        assert server.wait_for_connections(3)["connections"] == 3
        for client in clients:
            client.send(frame)  # and gone before the answer
            client.close()
    assert server.wait_for_connections(0)["connections"] == 0
    with connect(server) as client:
        assert ask(client, frame)["type"] == "result"


def test_another_sites_page_cannot_connect(server):
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus) as refused:
        websockets_sync.connect(server.ws_url, additional_headers={"Origin": "http://example.com"})
    assert refused.value.response.status_code == 403
    origin = server.url.rstrip("/")
    with websockets_sync.connect(server.ws_url, additional_headers={"Origin": origin}) as client:
        assert json.loads(client.recv(timeout=30))["type"] == "hello"


def test_page_and_its_files_are_served_with_strict_headers(server):
    with urllib.request.urlopen(server.url, timeout=30) as response:
        page = response.read().decode()
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert '<canvas id="view"' in page and "/static/app.js" in page
    for name in ("app.js", "style.css"):
        with urllib.request.urlopen(f"{server.url}static/{name}", timeout=30) as response:
            assert response.status == 200 and len(response.read()) > 500
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{server.url}static/..%2Fserve.py", timeout=30)
    assert missing.value.code == 404
    assert server.health()["model"] == "cnn"


def test_image_size_reads_jpeg_and_png_headers():
    image = np.zeros((23, 37, 3), np.uint8)
    for extension, options in ((".jpg", []), (".jpg", [cv2.IMWRITE_JPEG_PROGRESSIVE, 1]), (".png", [])):
        payload = cv2.imencode(extension, image, options)[1].tobytes()
        assert image_size(payload) == (37, 23)
        assert image_size(payload[:8]) is None
    assert image_size(b"") is None
    assert image_size(b"BM" + bytes(60)) is None


def test_serve_help_answers_without_tensorflow():
    completed = subprocess.run(
        [sys.executable, "-c", ("import sys; sys.modules['tensorflow'] = None; "
                                "from realtime.cli import main; main(['serve', '--help'])")],
        capture_output=True, text=True, timeout=60, check=False, cwd=REPO)
    assert completed.returncode == 0, completed.stderr
    for option in ("--host", "--port", "--model", "--backend", "--certfile", "--keyfile"):
        assert option in completed.stdout
    assert "serve" in cli("--help", block_tensorflow=True).stdout


def test_busy_port_is_one_line_before_the_model_loads():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        completed = cli("serve", "--port", port, block_tensorflow=True)
    assert completed.returncode == 2
    assert messages(completed.stderr) == [
        (f"realtime-digits: error: port {port} on 127.0.0.1 is already in use: stop the other "
         f"server or give --port N (0 picks a free one)")]


def test_tls_options_are_checked_before_the_model_loads(tmp_path):
    half = cli("serve", "--certfile", tmp_path / "cert.pem", block_tensorflow=True)
    assert half.returncode == 2 and "--certfile and --keyfile go together" in half.stderr
    missing = cli("serve", "--certfile", tmp_path / "cert.pem", "--keyfile", tmp_path / "key.pem",
                  block_tensorflow=True)
    assert missing.returncode == 2 and "cert.pem not found" in missing.stderr
    for name in ("cert.pem", "key.pem"):
        (tmp_path / name).write_text("not a certificate\n")
    broken = cli("serve", "--certfile", tmp_path / "cert.pem", "--keyfile", tmp_path / "key.pem",
                 block_tensorflow=True)
    assert broken.returncode == 2 and "do not load as a PEM certificate" in broken.stderr
    assert all(len(messages(c.stderr)) == 1 for c in (half, missing, broken))


def test_other_hosts_are_told_the_camera_needs_https():
    assert host_notes("127.0.0.1", tls=False) == host_notes("::1", tls=False) == []
    assert host_notes("localhost", tls=False) == []
    notes = " ".join(host_notes("0.0.0.0", tls=False))
    assert "only to https or localhost pages" in notes and "--certfile" in notes and "--keyfile" in notes
    assert "--certfile" not in " ".join(host_notes("0.0.0.0", tls=True))


def test_a_file_named_serve_is_still_a_source(tmp_path):
    completed = cli("./serve", "--no-display", cwd=tmp_path, block_tensorflow=True)
    assert completed.returncode == 2
    assert messages(completed.stderr)[0].startswith("realtime-digits: error: source './serve' not found")


def test_sigterm_stops_the_server_cleanly():
    running = ServerProcess(*SERVED)
    with connect(running) as client:
        assert ask(client, jpeg(demo_frames(0)[0]))["type"] == "result"
    assert running.stop(sig=15) == 0
    assert "server stopped (1 frames read)" in running.stderr()
