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
    """frames_bgr served at `fps`; stall_at: after this many frames sent, nothing for stall_s
    seconds; drop_at: after this many frames sent, the server goes away. A context manager."""

    def __init__(self, frames_bgr: list[np.ndarray], fps: float = 15.0, *, loop: bool = True,
                 stall_at: int | None = None, stall_s: float = 0.0, drop_at: int | None = None):
        self.jpegs = [cv2.imencode(".jpg", f, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])[1].tobytes()
                      for f in frames_bgr]
        self.fps = fps
        self.loop = loop
        self.stall_at, self.stall_s, self.drop_at = stall_at, stall_s, drop_at
        self.sent = 0  # frames sent over every connection
        self.connections = 0  # /video requests served
        self.dropped = threading.Event()
        self._lock = threading.Lock()
        self._stalled_until = 0.0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def url(self, path: str = "/video") -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def __enter__(self):
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

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="mjpeg-server",
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.drop()
        return False

    def drop(self) -> None:
        """Go away: stop listening (new connections are refused) and end every stream."""
        self.dropped.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _next_frame(self) -> bytes | None:
        """The frame to send now (waiting out a stall), or None when the stream is over."""
        with self._lock:
            if self.drop_at is not None and self.sent >= self.drop_at:
                threading.Thread(target=self.drop, daemon=True).start()  # not from a handler
                return None
            if not self.loop and self.sent >= len(self.jpegs):
                return None
            if self.stall_at is not None and self.sent == self.stall_at:
                self._stalled_until = time.monotonic() + self.stall_s
                self.stall_at = None
            jpeg = self.jpegs[self.sent % len(self.jpegs)]
            self.sent += 1
        while time.monotonic() < self._stalled_until and not self.dropped.is_set():
            time.sleep(0.02)
        return None if self.dropped.is_set() else jpeg

    def _serve_stream(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.connections += 1
        handler.send_response(200)
        handler.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        handler.send_header("Cache-Control", "no-cache")
        handler.end_headers()
        try:
            while (jpeg := self._next_frame()) is not None:
                handler.wfile.write(f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                                    f"Content-Length: {len(jpeg)}\r\n\r\n".encode() + jpeg + b"\r\n")
                handler.wfile.flush()
                time.sleep(1.0 / self.fps)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (it reconnects on a new connection)
        handler.close_connection = True
