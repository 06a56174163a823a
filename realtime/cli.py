"""The `realtime-digits` command: a thin layer of window, keys, progress and sinks over Recognizer.stream.

Everything that can be wrong with the user's input is checked before the first frame (options,
model folder, source, every output), and reported as one line with a non-zero exit code.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
import threading
import time
from collections import deque
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from realtime.errors import UserError

WINDOW = "realtime-digits"
EXIT_USER_ERROR = 2
EXIT_INCOMPLETE = 3  # a truncated video or a lost camera: what was read is processed and saved
EXIT_INTERRUPTED = 130
# FPS shown on the video is the mean over this many recent frames: steady but still live.
FPS_WINDOW_FRAMES = 30
DEFAULT_SNAPSHOT_DIR = "snapshots"
# Steady labels on live sources: 5 frames (a sixth of a second at 30 fps) stops the flicker
# without making a newly shown digit wait.
DEFAULT_LIVE_SMOOTH = 5
# While paused the window polls its keys this often (ms) instead of blocking in waitKey(0):
# Python runs signal handlers only between calls, so Ctrl-C must not wait for a key press.
PAUSED_POLL_MS = 50


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but its errors are one line like ours (it prints the whole usage first)."""

    def error(self, message):
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="realtime-digits",
        description="Box and label handwritten digits live from a camera, a video, images or the screen.",
        epilog="Keys in the window: q/Esc quit, s snapshot, space pause, t threshold view, m mirror. "
               "Exit status: 0 done, 2 bad input, 3 source ended early (truncated video, lost "
               "camera or stream), 130 interrupted. `realtime-digits serve` serves the same as a web page "
               "(see serve --help; a file named serve is read as ./serve).")
    parser.add_argument("source", nargs="?", default="0", metavar="SOURCE",
                        help="camera index (default 0), video file, image, folder, glob, 'demo', "
                             "'screen', 'screen:MONITOR', 'screen:LEFT,TOP,WIDTH,HEIGHT', or a "
                             "stream URL: http://PHONE:8080/video, rtsp://CAMERA:554/PATH")
    parser.add_argument("--model", default=None, metavar="DIR",
                        help="SavedModel folder or a name under models/ (default: softmax)")
    parser.add_argument("--no-display", action="store_true", help="run without a window")
    parser.add_argument("--save", metavar="PATH",
                        help="annotated video (.mp4/.avi) or, for image sources, a folder of PNGs")
    parser.add_argument("--json", metavar="PATH", help="one JSON line per frame with its detections")
    parser.add_argument("--snapshot-dir", metavar="DIR",
                        help=f"where 's' and --snapshot-every save PNG + JSON (default ./{DEFAULT_SNAPSHOT_DIR})")
    parser.add_argument("--snapshot-every", metavar="N", type=int, default=0,
                        help="save a snapshot every N frames (0: only on 's')")
    parser.add_argument("--min-confidence", metavar="P", type=float, default=0.5,
                        help="below this probability a digit is shown as '?' (default 0.5)")
    parser.add_argument("--threshold", default="adaptive", metavar="{adaptive,otsu}",
                        help="adaptive (default) or otsu")
    parser.add_argument("--invert", default="auto", metavar="{auto,yes,no}",
                        help="auto (default), yes (light digits on dark), no (dark on light)")
    parser.add_argument("--mirror", action="store_true", help="flip frames left-right (selfie view)")
    parser.add_argument("--digit-check", action="store_true",
                        help="drop the regions the 'not a digit' check (models/notdigit) rejects as "
                             "letters, signs or lines: fewer false digits on text, a few real ones lost")
    parser.add_argument("--smooth", metavar="N", type=int, default=None,
                        help="steady labels: average each digit's last N frames (0: off; default "
                             f"{DEFAULT_LIVE_SMOOTH} for cameras and the screen, 0 for files)")
    parser.add_argument("--backend", default="tensorflow", metavar="{tensorflow,litert}",
                        help="run the SavedModel with TensorFlow (default) or model.tflite with "
                             "LiteRT (pip install -e .[lite]; starts in 0.1 s)")
    parser.add_argument("--max-frames", metavar="N", type=int, default=None,
                        help="stop after N frames")
    parser.add_argument("--reconnect", metavar="S", type=float, default=None,
                        help="a stream URL that stalls or drops is retried for S seconds before "
                             "the run ends (default 10; 0: not retried)")
    return parser


def build_serve_parser() -> argparse.ArgumentParser:
    """`realtime-digits serve`: options of the web page's server (realtime/serve.py)."""
    from realtime.errors import whole_number

    parser = _OneLineParser(
        prog="realtime-digits serve",
        description="Serve a web page that reads digits from the browser's camera (or a dropped "
                    "image) with the same boxes, labels and numbers as the window.",
        epilog="Page keys as in the window: space pause, m mirror, t threshold view, s snapshot. "
               "Ctrl-C stops the server. Exit status: 0 stopped, 2 bad input (busy port, bad model).")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only; "
                             "browsers give the camera only to https or localhost pages)")
    parser.add_argument("--port", type=whole_number(0), default=8000,
                        help="port (default 8000; 0 picks a free one)")
    parser.add_argument("--model", default=None, metavar="DIR",
                        help="SavedModel folder or a name under models/ (default: softmax)")
    parser.add_argument("--backend", default="tensorflow", metavar="{tensorflow,litert}",
                        help="TensorFlow (default) or LiteRT (pip install -e .[lite])")
    parser.add_argument("--min-confidence", metavar="P", type=float, default=0.5,
                        help="the page's starting min confidence: below it a digit shows '?' (default 0.5)")
    parser.add_argument("--smooth", metavar="N", type=int, default=DEFAULT_LIVE_SMOOTH,
                        help=f"steady labels over each digit's last N frames (default {DEFAULT_LIVE_SMOOTH}; 0: off)")
    parser.add_argument("--certfile", metavar="PEM", help="serve https with this certificate (with --keyfile)")
    parser.add_argument("--keyfile", metavar="PEM", help="the certificate's private key")
    return parser


def serve_main(argv: list[str]) -> int:
    """`realtime-digits serve ...`: every check and the port before the model loads."""
    args = build_serve_parser().parse_args(argv)
    from realtime.serve import serve

    try:
        return serve(args)
    except UserError as error:
        print(f"realtime-digits: error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("realtime-digits: interrupted before the server started", file=sys.stderr)
        return EXIT_INTERRUPTED


def settings_from(args):
    """The one Settings value for this run, built from the parsed options (validated there)."""
    from realtime.settings import Settings

    if args.snapshot_every < 0:
        raise UserError(f"--snapshot-every {args.snapshot_every} is negative: give 0 (off) or a frame count")
    if args.max_frames is not None and args.max_frames < 1:
        raise UserError(f"--max-frames {args.max_frames} must be at least 1")
    return Settings(threshold=args.threshold, invert=args.invert,
                    min_confidence=args.min_confidence, mirror=args.mirror,
                    smooth=0 if args.smooth is None else args.smooth,
                    digit_check=args.digit_check)


def live_defaults(settings, args, source):
    """Steady labels are on by default where labels flicker: a camera or the screen."""
    if args.smooth is None and source.live:
        return dataclasses.replace(settings, smooth=DEFAULT_LIVE_SMOOTH)
    return settings


def display_available(no_display: bool) -> bool:
    """Decided once, up front: a window needs a display that answers, and was not turned off.

    On Linux the display is opened once here: OpenCV's Qt window aborts the whole process
    (SIGABRT, outputs left unclosed) when DISPLAY names a server that does not answer.
    """
    if no_display:
        return False
    if not sys.platform.startswith("linux"):
        return True
    display = os.environ.get("DISPLAY")
    problem = None if display else "no display available (DISPLAY is not set)"
    if display:
        from mss.exception import ScreenShotError

        from realtime.sources import screen_grabber

        try:
            screen_grabber().close()
        except (ScreenShotError, OSError):
            problem = f"display {display} does not answer"
    if problem:
        print(f"realtime-digits: {problem}, running headless (use --save/--json to keep results)",
              file=sys.stderr)
        return False
    return True


class Interrupts:
    """Ctrl-C and SIGTERM as one KeyboardInterrupt, raised only where the outputs stay consistent.

    Inside `hold()` (one frame's JSON line, video frame and snapshot being written) a signal is
    remembered and raised right after, so the JSON lines and the video always hold the same
    frames. Signals after the first, and any once the outputs are closing (`closing()`), are
    ignored: Ctrl-C while the video writer closes would leave a file without its index.
    """

    def __init__(self):
        self.received: int | None = None
        self._holding = False
        self._pending = False
        self._closing = False

    def _handler(self, signum, frame):
        if self.received is not None:
            return
        self.received = signum
        if self._closing:
            return
        if self._holding:
            self._pending = True
            return
        raise KeyboardInterrupt

    def closing(self) -> None:
        """From now on the outputs are being closed: no signal may cut that short."""
        self._closing = True

    @contextmanager
    def installed(self):
        if threading.current_thread() is not threading.main_thread():
            yield  # signal handlers can only be set from the main thread (e.g. an embedding GUI)
            return
        previous = {signum: signal.signal(signum, self._handler) for signum in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    @contextmanager
    def hold(self):
        self._holding = True
        try:
            yield
        finally:
            self._holding = False
        if self._pending:
            self._pending = False
            raise KeyboardInterrupt

    @property
    def name(self) -> str:
        return signal.Signals(self.received).name if self.received else "Ctrl-C"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["serve"]:
        return serve_main(argv[1:])
    args = build_parser().parse_args(argv)
    interrupts = Interrupts()
    with interrupts.installed():
        try:
            return run(args, interrupts)
        except UserError as error:
            print(f"realtime-digits: error: {error}", file=sys.stderr)
            return EXIT_USER_ERROR
        except KeyboardInterrupt:  # before the first frame: nothing processed, outputs closed
            print(f"realtime-digits: interrupted ({interrupts.name}) before the first frame",
                  file=sys.stderr)
            return EXIT_INTERRUPTED


def quiet_opencv() -> None:
    """Keep OpenCV's and FFmpeg's own log lines off the terminal: each failure they log is
    checked where it happens and reported as our one line. Set OPENCV_LOG_LEVEL or
    OPENCV_FFMPEG_LOGLEVEL to see them again."""
    import cv2

    if "OPENCV_LOG_LEVEL" not in os.environ:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    # Read by OpenCV when FFmpeg first starts, which is after this (no capture opened yet).
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
    # opencv-python points Qt at a font folder its wheel does not ship; every window then
    # prints four warnings. The system's fonts serve the window's status bar as well.
    fonts = os.environ.get("QT_QPA_FONTDIR")
    if sys.platform.startswith("linux") and fonts and not os.path.isdir(fonts):
        for candidate in ("/usr/share/fonts/truetype", "/usr/share/fonts"):
            if os.path.isdir(candidate):
                os.environ["QT_QPA_FONTDIR"] = candidate
                break


def load_recognizer(model_dir, settings, backend="tensorflow"):
    """The Recognizer for this run (TensorFlow loads here, after every cheap check)."""
    from realtime.pipeline import Recognizer

    return Recognizer(model_dir, settings, backend=backend)


def run(args, interrupts: Interrupts | None = None) -> int:
    from realtime.model import check_backend, resolve_model_dir
    from realtime.sources import open_source

    interrupts = interrupts or Interrupts()
    settings = settings_from(args)
    quiet_opencv()
    check_backend(args.backend)
    # cheap: a wrong --model (or a folder without model.tflite for litert) fails before outputs
    model_dir = resolve_model_dir(args.model, backend=args.backend)
    source = open_source(args.source, reconnect_s=args.reconnect)
    loop = None
    try:
        with ExitStack() as stack:
            loop = _start(args, source, model_dir, settings, interrupts, stack)
            return loop.run()
    finally:
        if loop is not None:  # printed once every output is closed, so it can say so
            loop.print_summary()


def _start(args, source, model_dir, settings, interrupts, stack) -> Loop:
    """Open the source, check every output, load the model, then open the outputs (in `stack`)."""
    from realtime.sinks import EveryNthFrame, ImageFolderSink, JsonLinesSink, SnapshotSink, VideoSink

    stack.enter_context(source)
    refuse_overwriting_inputs(args, source)
    # Every output is checked (constructors) before any is created or truncated (enter). The
    # video first: its writer is the one output that can still fail on opening (codec).
    sinks = []
    if args.save and source.kind == "images":
        sinks.append(ImageFolderSink(args.save, single_image=source.total == 1))
    elif args.save:
        sinks.append(VideoSink(args.save, source.fps, source.size))
    if args.json:
        sinks.append(JsonLinesSink(args.json))
    snapshot_dir = Path(args.snapshot_dir or DEFAULT_SNAPSHOT_DIR)
    # Checked now when asked for; for the 's' key alone, on first use.
    snapshots = SnapshotSink(snapshot_dir) if (args.snapshot_dir or args.snapshot_every) else None
    if args.snapshot_every:
        sinks.append(EveryNthFrame(snapshots, args.snapshot_every))
    options = LoopOptions(show=display_available(args.no_display),  # after the checks: one line
                          max_frames=args.max_frames, snapshot_dir=snapshot_dir,
                          # Saved and shown images carry no FPS: it says nothing about a still picture.
                          draw_fps=source.kind != "images")
    # The model loads before any output is created or truncated: a model that turns out
    # unusable must not cost the user the results of their previous run.
    recognizer = load_recognizer(model_dir, live_defaults(settings, args, source), args.backend)
    for sink in sinks:
        stack.enter_context(sink)
    if snapshots is not None and not args.snapshot_every:
        stack.enter_context(snapshots)  # for the 's' key alone: its folder is made now
    if options.show:
        stack.callback(_close_windows)
    return Loop(recognizer, source, sinks, options, interrupts, snapshots=snapshots)


def refuse_overwriting_inputs(args, source) -> None:
    """An output that is the input (or another output) would destroy what is being read."""
    inputs = [Path(p) for p in getattr(source, "paths", [])]
    if getattr(source, "path", None) is not None:
        inputs.append(source.path)
    inputs = {p.resolve() for p in inputs}
    outputs = [(option, Path(value)) for option, value in (("--save", args.save), ("--json", args.json)) if value]
    for option, path in outputs:
        if path.resolve() in inputs:
            raise UserError(f"{option} {path} is the source being read: give another output name")
    if len(outputs) == 2 and outputs[0][1].resolve() == outputs[1][1].resolve():
        raise UserError(f"--save and --json both name {args.save}: give them different names")


def _close_windows():
    import cv2

    cv2.destroyAllWindows()
    cv2.waitKey(1)  # lets the GUI backend actually take the window down


@dataclass(frozen=True)
class LoopOptions:
    """What the loop does around the recognizer, from the command line.

    show: a window with keys; max_frames: stop after this many (None: the whole source);
    snapshot_dir: where the 's' key saves; draw_fps: the FPS line on the annotated picture.
    """

    show: bool = False
    max_frames: int | None = None
    snapshot_dir: Path = Path(DEFAULT_SNAPSHOT_DIR)
    draw_fps: bool = True


class Loop:
    """Drives one run: the recognizer's FrameResults drawn once each, to the window and to every
    sink; counts for the summary.

    sinks: opened sinks, each written `write(result, annotated_bgr)` every frame; snapshots: the
    opened SnapshotSink the 's' key shares with --snapshot-every (None: made on first use).
    """

    def __init__(self, recognizer, source, sinks, options: LoopOptions,
                 interrupts: Interrupts | None = None, snapshots=None):
        self.recognizer = recognizer
        self.source = source
        self.sinks = list(sinks)
        self.options = options
        self.interrupts = interrupts or Interrupts()
        self.snapshots = snapshots
        self.frames = 0
        self.digits = 0
        self.threshold_view = False
        self.frame_times = deque(maxlen=FPS_WINDOW_FRAMES)
        # A video file in a window plays at its own frame rate, not as fast as it decodes.
        self.paced = options.show and not source.live and source.kind == "video"
        self.clock_start: float | None = None
        self.note = ""
        self.elapsed_s = 0.0

    def run(self) -> int:
        from tqdm import tqdm

        started = time.perf_counter()
        limit = self.options.max_frames
        total = self.source.total if limit is None else min(limit, self.source.total or limit)
        bar = tqdm(total=total, unit="frame", disable=self.source.live, file=sys.stderr, leave=False)
        status = 0
        # Until the loop ends normally, anything that ends it is an error (the one line follows).
        self.note = " (stopped by the error below; what was written is kept)"
        try:
            # A folder of images is separate pictures: nothing is kept from one to the next.
            for result in self.recognizer.stream(self.source, reuse=self.source.kind != "images"):
                if not self._handle(result):
                    break
                bar.update(1)
                if limit is not None and self.frames >= limit:
                    break
            self.note = ""
        except KeyboardInterrupt:
            status, self.note = EXIT_INTERRUPTED, f" (interrupted by {self.interrupts.name}; outputs closed)"
        finally:
            self.interrupts.closing()
            bar.close()
            self.elapsed_s = time.perf_counter() - started
        if status == 0 and self.source.incomplete:
            status, self.note = EXIT_INCOMPLETE, f" ({self.source.incomplete}; outputs closed)"
        return status

    def print_summary(self) -> None:
        """The run's last line: frames, digits, mean FPS, and why it ended early if it did."""
        fps = self.frames / max(self.elapsed_s, 1e-9)
        print(f"realtime-digits: {self.frames} frames, {self.digits} digits, {fps:.1f} fps mean"
              f"{self.note}", file=sys.stderr)

    def _handle(self, result) -> bool:
        """Draw one frame once, show it and write it to every sink; False when the user asked to quit."""
        from realtime.annotate import annotate

        now = time.perf_counter()
        self.frame_times.append(now)
        fps = (len(self.frame_times) - 1) / (now - self.frame_times[0]) if len(self.frame_times) > 1 else None
        annotated = annotate(result.frame.image_bgr, result.detections, self.recognizer.settings.min_confidence,
                             fps if self.options.draw_fps else None, result.numbers)
        with self.interrupts.hold():  # a frame goes to every output, or to none
            for sink in self.sinks:
                sink.write(result, annotated)
            self.frames += 1
            self.digits += len(result.detections)
        if self.options.show:
            return self._window(result, annotated)
        return True

    def _window(self, result, annotated) -> bool:
        import cv2

        view = annotated
        if self.threshold_view and result.ink_mask is not None:
            view = cv2.cvtColor(result.ink_mask, cv2.COLOR_GRAY2BGR)
        cv2.imshow(WINDOW, view)
        paused = False
        while True:
            key = cv2.waitKey(PAUSED_POLL_MS if paused else self._delay_ms(result.frame)) & 0xFF
            if not paused and key == 0xFF and not self._window_open():
                return False  # closed with the mouse
            if key in (ord("q"), 27):
                return False
            if key == ord("s"):
                self._snapshot(result, annotated)
            elif key == ord("t"):
                self.threshold_view = not self.threshold_view
            elif key == ord("m"):  # from the next frame on: the settings are one frozen value
                settings = self.recognizer.settings
                self.recognizer.settings = dataclasses.replace(settings, mirror=not settings.mirror)
            elif key == ord(" "):
                paused = not paused
                self.clock_start = None  # resume from here, not by racing to catch up
            if not paused:
                return True

    def _delay_ms(self, frame) -> int:
        """How long to wait for keys before the next frame: 1 ms, or until a file frame is due."""
        if not self.paced:
            return 1
        now = time.perf_counter()
        if self.clock_start is None:
            self.clock_start = now - frame.time_s
        due = self.clock_start + frame.time_s + 1.0 / self.source.fps
        return max(1, int((due - now) * 1000))

    @staticmethod
    def _window_open() -> bool:
        import cv2

        try:
            return cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) >= 1
        except cv2.error:
            return False

    def _snapshot(self, result, annotated) -> None:
        from realtime.sinks import SnapshotSink

        try:
            if self.snapshots is None:
                # Its __exit__ has nothing to close: a snapshot is whole once written.
                self.snapshots = SnapshotSink(self.options.snapshot_dir).__enter__()
            with self.interrupts.hold():
                path = self.snapshots.write(result, annotated)
            self._say(f"realtime-digits: snapshot saved to {path}")
        except UserError as error:  # a failed snapshot must not end a live session
            self._say(f"realtime-digits: snapshot not saved: {error}")

    @staticmethod
    def _say(message: str) -> None:
        """A line on stderr while the progress bar is drawn: tqdm lifts the bar, prints, redraws."""
        from tqdm import tqdm

        tqdm.write(message, file=sys.stderr)
