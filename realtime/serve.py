"""`realtime-digits serve`: the recognizer behind a local web page, so the browser's camera,
permission prompt and display stand in for the OpenCV window (WSL, containers, remote boxes).

The page (realtime/web/) sends one JPEG at a time over a WebSocket and sends the next only when
the answer came back, so the newest frame always wins and nothing queues. Each connection has
its own steady-label tracker; every connection shares the one loaded model, run in one worker
thread so the event loop keeps answering (a Recognizer is not safe to call from two threads at
once: it keeps the last ink mask, and a LiteRT interpreter is single-threaded).

Protocol, client to server: a binary message is a frame (JPEG or PNG bytes); a text message is
JSON: {"type": "settings", "min_confidence": 0.5, "ink_mask": false} or {"type": "reset"} (a
new tracker, e.g. before reading a dropped image). Server to client, JSON text: "hello" once,
then per frame {"type": "result", "record": <the --json line's record>, "size": [w, h],
"server_ms": ..., "ink_mask_png": <data URL, when asked>}, or {"type": "error", "error": ...}
for a message that was refused; the connection stays open either way.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import ipaddress
import json
import signal
import socket
import ssl
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from realtime.errors import UserError

WEB_DIR = Path(__file__).resolve().parent / "web"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
# A 640x480 camera frame is about 40-60 KB as JPEG; a 12 MP phone photo dropped on the page
# 3-6 MB. Anything larger is refused with an error, not read.
MAX_MESSAGE_BYTES = 8 * 1024 * 1024
# Above this the WebSocket layer itself closes the connection (code 1009) without reading the
# message; between the two caps a message is read and refused with an error.
TRANSPORT_MAX_BYTES = 4 * MAX_MESSAGE_BYTES
# Settings messages are a few dozen bytes.
MAX_TEXT_BYTES = 4096
# A JPEG header can claim 65535x65535 (12 GB decoded) in a few bytes: sizes are read from the
# header and refused before decoding. 50 MP covers every phone camera.
MAX_FRAME_PIXELS = 50_000_000
# Steady labels on the page: the same memory as the window's live default (cli.DEFAULT_LIVE_SMOOTH).
DEFAULT_SMOOTH = 5


def image_size(payload: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG or PNG header, or None when `payload` is neither."""
    if payload[:8] == b"\x89PNG\r\n\x1a\n" and payload[12:16] == b"IHDR" and len(payload) >= 24:
        return int.from_bytes(payload[16:20], "big"), int.from_bytes(payload[20:24], "big")
    if payload[:2] != b"\xff\xd8":
        return None
    index = 2
    while index + 4 <= len(payload):
        if payload[index] != 0xFF:
            return None
        marker = payload[index + 1]
        if marker == 0xFF:  # fill byte before a marker
            index += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            index += 2
            continue
        length = int.from_bytes(payload[index + 2:index + 4], "big")
        # SOF0-SOF15 carry the size, except DHT (C4), JPG (C8) and DAC (CC).
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if index + 9 > len(payload):
                return None
            height = int.from_bytes(payload[index + 5:index + 7], "big")
            width = int.from_bytes(payload[index + 7:index + 9], "big")
            return width, height
        if marker == 0xDA or length < 2:  # image data before any size: not a JPEG we read
            return None
        index += 2 + length
    return None


@dataclasses.dataclass
class Session:
    """One page's state: its tracker, its settings and its frame count (freed when it leaves)."""

    smooth: int
    min_confidence: float
    ink_mask: bool = False
    frames: int = 0
    started_s: float = dataclasses.field(default_factory=time.monotonic)
    smoother: object = None
    # The page's camera is one stream: what its detection keeps from frame to frame.
    reuse_config: object = None
    reuse: object = None

    def __post_init__(self):
        self.reset()

    def reset(self) -> None:
        from realtime.detect import StreamReuse
        from realtime.track import LabelSmoother

        self.smoother = LabelSmoother(self.smooth) if self.smooth else None
        self.reuse = StreamReuse(self.reuse_config)


class Refused(Exception):
    """A message this server does not take; its text goes back to the sender as an error."""


class DigitServer:
    """The Starlette app around one Recognizer: the page, its static files and the WebSocket."""

    def __init__(self, recognizer, smooth: int = DEFAULT_SMOOTH, about: dict | None = None):
        self.recognizer = recognizer
        self.smooth = smooth
        self.about = about or {}
        self.sessions: set[int] = set()
        self.results = 0
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recognize")
        self.app = self._build_app()

    def close(self) -> None:
        self._worker.shutdown(wait=True, cancel_futures=True)

    def _build_app(self):
        from starlette.applications import Starlette
        from starlette.responses import FileResponse, JSONResponse
        from starlette.routing import Mount, Route, WebSocketRoute
        from starlette.staticfiles import StaticFiles

        async def page(request):
            return FileResponse(WEB_DIR / "index.html", media_type="text/html")

        async def health(request):
            return JSONResponse({"connections": len(self.sessions), "results": self.results,
                                 **self.about})

        routes = [Route("/", page), Route("/health", health),
                  WebSocketRoute("/ws", self._connection),
                  Mount("/static", StaticFiles(directory=WEB_DIR), name="static")]
        return _with_security_headers(Starlette(routes=routes))

    async def _connection(self, websocket) -> None:
        from starlette.websockets import WebSocketDisconnect

        origin = websocket.headers.get("origin")
        if origin and urlsplit(origin).netloc != websocket.headers.get("host"):
            # Another site's page in the same browser must not drive this server.
            await websocket.close(code=1008)
            return
        await websocket.accept()
        session = Session(self.smooth, self.recognizer.settings.min_confidence,
                          reuse_config=self.recognizer.settings.detect.reuse)
        self.sessions.add(id(session))
        try:
            await websocket.send_text(json.dumps({"type": "hello", "max_message_bytes": MAX_MESSAGE_BYTES,
                                                  "min_confidence": session.min_confidence,
                                                  **self.about}))
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                try:
                    reply = await self._answer(session, message)
                except Refused as refusal:
                    reply = {"type": "error", "error": str(refusal)}
                if reply is not None:
                    await websocket.send_text(json.dumps(reply))
        except (WebSocketDisconnect, OSError, RuntimeError):
            pass  # the page went away, perhaps mid-frame: its state goes with it
        finally:
            self.sessions.discard(id(session))

    async def _answer(self, session: Session, message: dict) -> dict | None:
        payload = message.get("bytes")
        if payload is not None:
            return await self._frame(session, payload)
        return _apply_settings(session, message.get("text") or "")

    async def _frame(self, session: Session, payload: bytes) -> dict:
        if len(payload) > MAX_MESSAGE_BYTES:
            raise Refused(f"frame of {len(payload)} bytes is over the {MAX_MESSAGE_BYTES}-byte cap: "
                          f"send a smaller JPEG")
        size = image_size(payload)
        if size is None:
            raise Refused("binary message is not a JPEG or PNG image: send a frame as JPEG bytes")
        if size[0] < 1 or size[1] < 1 or size[0] * size[1] > MAX_FRAME_PIXELS:
            raise Refused(f"image of {size[0]}x{size[1]} pixels is refused (at most "
                          f"{MAX_FRAME_PIXELS} pixels): scale it down")
        loop = asyncio.get_running_loop()
        try:
            reply = await loop.run_in_executor(self._worker, self._recognize, session, payload)
        except Refused:
            raise
        except Exception:  # noqa: BLE001 (a bug: said on the server's terminal, the server stays up)
            traceback.print_exc(file=sys.stderr)
            raise Refused("internal error while reading this frame (see the server's terminal)") from None
        self.results += 1
        return reply

    def _recognize(self, session: Session, payload: bytes) -> dict:
        """Decode, recognize, track and group one frame (in the worker thread)."""
        import cv2
        import numpy as np

        from realtime.numbers import group_numbers
        from realtime.types import Frame

        started = time.perf_counter()
        image_bgr = cv2.imdecode(np.frombuffer(payload, np.uint8), cv2.IMREAD_COLOR)
        if image_bgr is None:
            raise Refused("the image could not be decoded (damaged JPEG/PNG?)")
        frame = Frame(session.frames, time.monotonic() - session.started_s, image_bgr)
        result = self.recognizer.recognize_frame(frame, session.smoother, session.reuse)
        if session.min_confidence != self.recognizer.settings.min_confidence:
            # This page's own bar for "?" decides which digits make up its numbers.
            result = dataclasses.replace(
                result, numbers=tuple(group_numbers(list(result.detections), session.min_confidence)))
        ink_mask = result.ink_mask
        session.frames += 1
        reply = {"type": "result", "record": result.to_json(),
                 "size": [int(image_bgr.shape[1]), int(image_bgr.shape[0])]}
        if session.ink_mask and ink_mask is not None:
            ok, png = cv2.imencode(".png", ink_mask)
            if ok:
                reply["ink_mask_png"] = "data:image/png;base64," + base64.b64encode(png.tobytes()).decode()
        reply["server_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return reply


def _apply_settings(session: Session, text: str) -> None:
    """A settings or reset message, applied to this page's session; Refused when malformed."""
    if len(text) > MAX_TEXT_BYTES:
        raise Refused(f"text message over {MAX_TEXT_BYTES} bytes: settings are small JSON objects")
    try:
        message = json.loads(text)
    except ValueError:
        raise Refused('text message is not JSON: send {"type": "settings", ...} or {"type": "reset"}') from None
    if not isinstance(message, dict):
        raise Refused('JSON message must be an object such as {"type": "reset"}')
    kind = message.get("type")
    if kind == "reset":
        session.reset()
        return
    if kind != "settings":
        raise Refused(f"unknown message type {kind!r}: use 'settings' or 'reset'")
    unknown = sorted(set(message) - {"type", "min_confidence", "ink_mask"})
    if unknown:
        raise Refused(f"unknown settings {', '.join(unknown)}: use min_confidence and ink_mask")
    if "min_confidence" in message:
        value = message["min_confidence"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise Refused(f"min_confidence {value!r} must be a number from 0 to 1")
        session.min_confidence = float(value)
    if "ink_mask" in message:
        if not isinstance(message["ink_mask"], bool):
            raise Refused(f"ink_mask {message['ink_mask']!r} must be true or false")
        session.ink_mask = message["ink_mask"]


# The page loads only its own files and talks only to its own server; it never runs inline code.
SECURITY_HEADERS = [
    (b"content-security-policy",
     (b"default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; "
      b"object-src 'none'; base-uri 'none'; frame-ancestors 'none'")),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


def _with_security_headers(app):
    async def wrapped(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        return await app(scope, receive, send_with_headers)

    return wrapped


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, bound now so that a busy port is said before the model
    loads (TensorFlow takes seconds)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as error:
        raise UserError(f"--host {host} is not an address of this machine ({error.strerror}): "
                        f"give 127.0.0.1 or an interface's address") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # restart at once after a stop
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as error:
        sock.close()
        if error.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
            raise UserError(f"port {port} on {host} is already in use: stop the other server or give "
                            f"--port N (0 picks a free one)") from None
        raise UserError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    sock.set_inheritable(True)
    return sock


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_notes(host: str, tls: bool) -> list[str]:
    """What to tell someone who serves beyond this machine: the camera needs https there."""
    if is_loopback(host):
        return []
    notes = [f"serving on {host}, reachable from other machines: stop it when done"]
    if not tls:
        notes.append("browsers give the camera only to https or localhost pages: from another machine "
                     "the page can read dropped images but not the camera. For the camera, give "
                     "--certfile cert.pem --keyfile key.pem, e.g. made with: openssl req -x509 "
                     "-newkey rsa:2048 -nodes -days 30 -subj /CN=$(hostname) -keyout key.pem -out cert.pem")
    return notes


def check_tls(certfile: str | None, keyfile: str | None) -> None:
    """Both or neither, and loadable: a bad certificate is said before the model loads."""
    if bool(certfile) != bool(keyfile):
        raise UserError("--certfile and --keyfile go together: give both (or neither for http)")
    if not certfile:
        return
    for option, path in (("--certfile", certfile), ("--keyfile", keyfile)):
        if not Path(path).is_file():
            raise UserError(f"{option} {path} not found: give the PEM file's path")
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile, keyfile)
    except (ssl.SSLError, OSError) as error:
        raise UserError(f"--certfile {certfile} / --keyfile {keyfile} do not load as a PEM "
                        f"certificate and its key ({error}): check the files") from None


def page_url(sock: socket.socket, host: str, tls: bool) -> str:
    port = sock.getsockname()[1]
    shown = host
    if host in ("0.0.0.0", "::"):
        shown = socket.gethostname()
    elif ":" in host:
        shown = f"[{host}]"
    return f"{'https' if tls else 'http'}://{shown}:{port}/"


def check_web_packages() -> None:
    """The server's packages are an extra: say how to get them rather than fail on an import."""
    import importlib.util

    missing = [name for name in ("starlette", "uvicorn", "websockets") if importlib.util.find_spec(name) is None]
    if missing:
        raise UserError(f"realtime-digits serve needs {', '.join(missing)}: pip install -e .[web]")


def serve(args) -> int:
    """Run the server until Ctrl-C; every cheap check, then the port, then the model."""
    from realtime.model import check_backend, resolve_model_dir
    from realtime.settings import Settings

    check_web_packages()
    settings = Settings(min_confidence=args.min_confidence)
    if args.smooth < 0:
        raise UserError(f"--smooth {args.smooth} is negative: give 0 (off) or a number of frames such as 5")
    if args.port > 65535:
        raise UserError(f"--port {args.port} is not a port: give 1-65535, or 0 for a free one")
    check_backend(args.backend)
    model_dir = resolve_model_dir(args.model, backend=args.backend)
    check_tls(args.certfile, args.keyfile)
    tls = bool(args.certfile)
    sock = bind_socket(args.host, args.port)
    with contextlib.closing(sock):
        for note in host_notes(args.host, tls):
            print(f"realtime-digits: {note}", file=sys.stderr)
        print(f"realtime-digits: loading model {model_dir.name} ({args.backend})...", file=sys.stderr,
              flush=True)
        from realtime.cli import load_recognizer, quiet_opencv

        quiet_opencv()
        recognizer = load_recognizer(model_dir, settings, args.backend)
        server = DigitServer(recognizer, smooth=args.smooth,
                             about={"model": model_dir.name, "backend": args.backend})
        try:
            return _run_uvicorn(server, sock, args, page_url(sock, args.host, tls))
        finally:
            server.close()


def _run_uvicorn(server: DigitServer, sock: socket.socket, args, url: str) -> int:
    import uvicorn

    config = uvicorn.Config(server.app, log_level="warning", ws_max_size=TRANSPORT_MAX_BYTES,
                            ssl_certfile=args.certfile, ssl_keyfile=args.keyfile, lifespan="off")
    runner = uvicorn.Server(config)
    # Said once the socket listens and the model is loaded: a browser opened now gets the page.
    print(f"realtime-digits: open {url} in a browser (Ctrl-C stops the server)", file=sys.stderr, flush=True)
    print(url, flush=True)
    # uvicorn stops gracefully on SIGINT/SIGTERM, then raises the signal again for the handler
    # it found: make SIGTERM's a KeyboardInterrupt too, so both end here, cleanly, with 0.
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        runner.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    print(f"realtime-digits: server stopped ({server.results} frames read)", file=sys.stderr)
    return 0


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt
