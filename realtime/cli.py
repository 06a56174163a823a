"""The `realtime-digits` command: a thin layer of window, keys, progress and sinks over Recognizer.stream.

Everything that can be wrong with the user's input is checked before the first frame (source,
model, every output), and reported as one line with a non-zero exit code.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections import deque
from contextlib import ExitStack
from pathlib import Path

from realtime.errors import UserError

WINDOW = "realtime-digits"
EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130
EXIT_INCOMPLETE = 3  # a truncated video or a lost camera: what was read is processed and saved
# FPS shown on the video is the mean over this many recent frames: steady but still live.
FPS_WINDOW_FRAMES = 30
DEFAULT_SNAPSHOT_DIR = "snapshots"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="realtime-digits",
        description="Box and label handwritten digits live from a camera, a video, images or the screen.",
        epilog="Keys in the window: q/Esc quit, s snapshot, space pause, t threshold view, m mirror.")
    parser.add_argument("source", nargs="?", default="0",
                        help="camera index (default 0), video file, image, folder, glob, 'demo', "
                             "'screen', 'screen:MONITOR' or 'screen:LEFT,TOP,WIDTH,HEIGHT'")
    parser.add_argument("--model", default=None,
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
    parser.add_argument("--threshold", default="adaptive", help="adaptive (default) or otsu")
    parser.add_argument("--invert", default="auto",
                        help="auto (default), yes (light digits on dark), no (dark on light)")
    parser.add_argument("--mirror", action="store_true", help="flip frames left-right (selfie view)")
    parser.add_argument("--max-frames", metavar="N", type=int, default=None,
                        help="stop after N frames")
    return parser


def settings_from(args):
    """The one Settings value for this run, built from the parsed options (validated there)."""
    from realtime.settings import Settings

    if args.snapshot_every < 0:
        raise UserError(f"--snapshot-every {args.snapshot_every} is negative: give 0 (off) or a frame count")
    if args.max_frames is not None and args.max_frames < 1:
        raise UserError(f"--max-frames {args.max_frames} must be at least 1")
    return Settings(threshold=args.threshold, invert=args.invert,
                    min_confidence=args.min_confidence, mirror=args.mirror)


def display_available(no_display: bool) -> bool:
    """Decided once, up front: a window needs a display (X11/Wayland) and was not turned off."""
    if no_display:
        return False
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        print("realtime-digits: no display available, running headless (use --save/--json to keep results)",
              file=sys.stderr)
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    previous_term = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        return run(args)
    except UserError as error:
        print(f"realtime-digits: error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    finally:
        signal.signal(signal.SIGTERM, previous_term)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt  # SIGTERM closes outputs exactly like Ctrl-C


def run(args) -> int:
    from realtime.sources import open_source
    from realtime.sinks import ImageFolderSink, JsonLinesSink, SnapshotSink, VideoSink

    settings = settings_from(args)
    source = open_source(args.source)
    show = display_available(args.no_display)
    with ExitStack() as stack:
        stack.enter_context(source)
        json_sink = stack.enter_context(JsonLinesSink(args.json)) if args.json else None
        if args.save and source.kind == "images":
            save_sink = stack.enter_context(ImageFolderSink(args.save))
        elif args.save:
            save_sink = stack.enter_context(VideoSink(args.save, source.fps))
        else:
            save_sink = None
        snapshot_dir = args.snapshot_dir or (DEFAULT_SNAPSHOT_DIR if show or args.snapshot_every else None)
        snapshots = SnapshotSink(snapshot_dir) if (args.snapshot_dir or args.snapshot_every) else None
        from realtime.pipeline import Recognizer  # TensorFlow loads here, after cheap checks

        recognizer = Recognizer(args.model, settings)
        loop = Loop(recognizer, source, show=show, json_sink=json_sink, save_sink=save_sink,
                    snapshots=snapshots, snapshot_dir=snapshot_dir, args=args)
        if show:
            stack.callback(_close_windows)
        status = loop.run()
    return status


def _close_windows():
    import cv2

    cv2.destroyAllWindows()


class Loop:
    """Drives one run: frames through the recognizer, to the window and the sinks; counts for the summary."""

    def __init__(self, recognizer, source, *, show, json_sink, save_sink, snapshots, snapshot_dir, args):
        self.recognizer = recognizer
        self.source = source
        self.show = show
        self.json_sink = json_sink
        self.save_sink = save_sink
        self.snapshots = snapshots
        self.snapshot_dir = snapshot_dir
        self.args = args
        self.frames = 0
        self.digits = 0
        self.threshold_view = False
        self.frame_times = deque(maxlen=FPS_WINDOW_FRAMES)

    def run(self) -> int:
        from tqdm import tqdm

        started = time.perf_counter()
        limit = self.args.max_frames
        total = self.source.total if limit is None else min(limit, self.source.total or limit)
        bar = tqdm(total=total, unit="frame", disable=self.source.live, file=sys.stderr, leave=False)
        status, note = 0, ""
        try:
            for frame, detections in self.recognizer.stream(self.source):
                if not self._handle(frame, detections):
                    break
                bar.update(1)
                if limit is not None and self.frames >= limit:
                    break
        except KeyboardInterrupt:
            status, note = EXIT_INTERRUPTED, " (interrupted; outputs closed)"
        finally:
            bar.close()
        if getattr(self.source, "truncated", False) and status == 0 and limit is None:
            status = EXIT_INCOMPLETE
            note = (f" (video ended after {self.source.frames_read} of {self.source.total} frames: "
                    f"the file looks truncated; what was readable is processed)")
        elapsed = max(time.perf_counter() - started, 1e-9)
        print(f"realtime-digits: {self.frames} frames, {self.digits} digits, "
              f"{self.frames / elapsed:.1f} fps mean{note}", file=sys.stderr)
        return status

    def _handle(self, frame, detections) -> bool:
        """Show and save one frame; False when the user asked to quit."""
        from realtime.annotate import annotate

        now = time.perf_counter()
        self.frame_times.append(now)
        fps = (len(self.frame_times) - 1) / (now - self.frame_times[0]) if len(self.frame_times) > 1 else None
        self.frames += 1
        self.digits += len(detections)
        min_confidence = self.recognizer.settings.min_confidence
        annotated = annotate(frame.image_bgr, detections, min_confidence, fps)
        if self.json_sink:
            self.json_sink.write(frame, detections)
        if self.save_sink is not None:
            if self.source.kind == "images":
                self.save_sink.write(annotate(frame.image_bgr, detections, min_confidence),
                                     self.source.current_path)
            else:
                self.save_sink.write(annotated)
        every = self.args.snapshot_every
        if every and frame.index % every == 0:
            self.snapshots.write(annotated, frame, detections)
        if self.show:
            return self._window(annotated, frame, detections)
        return True

    def _window(self, annotated, frame, detections) -> bool:
        import cv2

        view = annotated
        if self.threshold_view and self.recognizer.last_ink_mask is not None:
            view = cv2.cvtColor(self.recognizer.last_ink_mask, cv2.COLOR_GRAY2BGR)
        cv2.imshow(WINDOW, view)
        paused = False
        while True:
            key = cv2.waitKey(0 if paused else 1) & 0xFF
            if key in (ord("q"), 27):
                return False
            if key == ord("s"):
                self._snapshot(annotated, frame, detections)
            elif key == ord("t"):
                self.threshold_view = not self.threshold_view
            elif key == ord("m"):
                self.recognizer.mirror = not self.recognizer.mirror
            elif key == ord(" "):
                paused = not paused
            if not paused:
                return True

    def _snapshot(self, annotated, frame, detections) -> None:
        from realtime.sinks import SnapshotSink

        try:
            if self.snapshots is None:
                self.snapshots = SnapshotSink(self.snapshot_dir)
            path = self.snapshots.write(annotated, frame, detections)
            print(f"realtime-digits: snapshot saved to {path}", file=sys.stderr)
        except UserError as error:  # a failed snapshot must not end a live session
            print(f"realtime-digits: snapshot not saved: {error}", file=sys.stderr)
