"""A phone camera app (IP Webcam, DroidCam) stand-in for the tests: MJPEG over HTTP on 127.0.0.1.

`/video` serves JPEG frames as `multipart/x-mixed-replace`, paced at `fps`, one shared cursor over
the frames for every connection (a reconnecting client picks up where the stream is, as from a
live camera). `/page` serves an HTML page (a URL that is not a video). A schedule makes the
stream stall (nothing sent for a while, connections kept open) and then drop (every connection
closed and the port no longer listening), as a phone on a weak Wi-Fi does.
"""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np

BOUNDARY = "frame"
JPEG_QUALITY = 90  # about what IP Webcam sends by default


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MjpegServer:
    """frames_bgr served at `fps` (looped) on 127.0.0.1. A context manager.

    events: (after this many frames sent in all, what, seconds), in order:
    - "stall": nothing is sent for `seconds` (connections stay open, as on a weak Wi-Fi);
    - "drop": every connection is closed and the port stops listening for `seconds`, then the
      server listens on the same port again (a phone app restarted);
    - "end": the server goes away for good.
    """

    def __init__(self, frames_bgr: list[np.ndarray], fps: float = 15.0,
                 events: list[tuple[int, str, float]] = ()):
        self.jpegs = [cv2.imencode(".jpg", f, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])[1].tobytes()
                      for f in frames_bgr]
        self.fps = fps
        self.events = sorted(events)
        assert all(kind in ("stall", "drop", "end") for _, kind, _ in self.events)
        self.sent = 0  # frames sent over every connection
        self.connections = 0  # /video requests served
        self.ended = threading.Event()
        self.port: int | None = None
        self._lock = threading.Lock()
        self._held_until = 0.0  # no frame is sent before this (monotonic s)
        self._generation = 0  # bumped by a drop: streams of an older one end
        self._server: ThreadingHTTPServer | None = None

    def url(self, path: str = "/video") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self):
        self._listen()
        return self

    def __exit__(self, *exc):
        self.end()
        return False

    def _listen(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output clean
                pass

            def do_GET(self):
                if self.path == "/page":
                    body = b"<!doctype html><html><body><h1>IP camera settings</h1></body></html>"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                elif self.path == "/video":
                    server._serve_stream(self)
                else:
                    self.send_error(404)

        http_server = ThreadingHTTPServer(("127.0.0.1", self.port or 0), Handler)
        http_server.daemon_threads = True
        self.port = http_server.server_address[1]
        self._server = http_server
        threading.Thread(target=http_server.serve_forever, name="mjpeg-server", daemon=True).start()

    def _stop_listening(self) -> None:
        with self._lock:
            http_server, self._server = self._server, None
            self._generation += 1
        if http_server is not None:
            http_server.shutdown()
            http_server.server_close()

    def end(self) -> None:
        """Go away for good: new connections are refused and every stream ends."""
        self.ended.set()
        self._stop_listening()

    def _drop(self, seconds: float) -> None:
        self._stop_listening()
        time.sleep(seconds)
        if not self.ended.is_set():
            self._listen()

    def _next_frame(self, generation: int) -> bytes | None:
        """The frame to send now (waiting out a stall), or None when this stream is over."""
        with self._lock:
            while self.events and self.sent >= self.events[0][0]:
                _, kind, seconds = self.events.pop(0)
                if kind == "stall":
                    self._held_until = time.monotonic() + seconds
                else:  # not from this handler's thread: shutdown() waits for serve_forever
                    action = self.end if kind == "end" else lambda s=seconds: self._drop(s)
                    threading.Thread(target=action, daemon=True).start()
                    self._generation += 1
            if self._generation != generation or self.ended.is_set():
                return None
            jpeg = self.jpegs[self.sent % len(self.jpegs)]
            self.sent += 1
        while time.monotonic() < self._held_until and self._generation == generation:
            time.sleep(0.02)
        return jpeg if self._generation == generation else None

    def _serve_stream(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.connections += 1
            generation = self._generation
        handler.send_response(200)
        handler.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        handler.send_header("Cache-Control", "no-cache")
        handler.end_headers()
        try:
            while (jpeg := self._next_frame(generation)) is not None:
                handler.wfile.write(f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                                    f"Content-Length: {len(jpeg)}\r\n\r\n".encode() + jpeg + b"\r\n")
                handler.wfile.flush()
                time.sleep(1.0 / self.fps)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (it reconnects on a new connection)
        handler.close_connection = True
