"""`realtime-digits serve` run as a user runs it, in its own process on a free port of 127.0.0.1,
for the server tests and the browser tests."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# A hang guard, not a speed test: TensorFlow's import alone takes seconds on a loaded machine.
START_TIMEOUT_S = 120


class ServerProcess:
    """`realtime-digits serve --port 0 ARGS` until stop(); `url` is the page's address."""

    def __init__(self, *args: str):
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (read by stderr(), lives with the server)
        command = [sys.executable, "-c", "import sys; from realtime.cli import main; sys.exit(main(sys.argv[1:]))",
                   "serve", "--port", "0", *args]
        self.process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE,
                                        stderr=self._stderr, text=True)
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in self.process.stdout],
                         daemon=True).start()
        try:
            self.url = lines.get(timeout=START_TIMEOUT_S).strip()
        except queue.Empty:
            self.stop()
            raise RuntimeError(f"the server printed no URL in {START_TIMEOUT_S} s: {self.stderr()}") from None
        if not self.url.startswith("http://127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"the server printed {self.url!r}, not its URL: {self.stderr()}")
        self.ws_url = self.url.replace("http://", "ws://") + "ws"

    def health(self) -> dict:
        with urllib.request.urlopen(self.url + "health", timeout=30) as response:
            return json.load(response)

    def wait_for_connections(self, count: int, timeout_s: float = 30) -> dict:
        deadline = time.monotonic() + timeout_s
        while True:
            health = self.health()
            if health["connections"] == count or time.monotonic() > deadline:
                return health
            time.sleep(0.05)

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read()

    def stop(self, sig=signal.SIGINT) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode
