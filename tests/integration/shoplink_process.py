"""Running the real `shoplink` program in a subprocess, as an operator would."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

SHOPLINK = [sys.executable, "-c", "from cli.main import main; main()"]
ROOT = Path(__file__).resolve().parents[2]


def start(url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """`shoplink --db URL ARGS...` in the background, stdout and stderr as text pipes."""
    return subprocess.Popen(
        [*SHOPLINK, "--db", url, *args], cwd=ROOT, text=True, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env={**os.environ, **(env or {})},
    )


def run(url: str, *args: str, env: dict[str, str] | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SHOPLINK, "--db", url, *args], cwd=ROOT, text=True,
                          capture_output=True, env={**os.environ, **(env or {})},
                          timeout=timeout, check=False)


class Lines:
    """A child's output read line by line on a thread, so a test can wait with a timeout."""

    def __init__(self, stream: IO[str]) -> None:
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line)
        self._queue.put(None)

    def take(self, count: int, timeout: float = 15) -> list[str]:
        """The next `count` lines; fails after `timeout` seconds rather than hanging."""
        lines: list[str] = []
        deadline = time.monotonic() + timeout
        while len(lines) < count:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"waited {timeout}s for {count} lines, got {lines}") from None
            if line is None:
                raise AssertionError(f"the output ended after {lines}")
            lines.append(line)
        return lines

    def rest(self, timeout: float = 15) -> list[str]:
        """Every line until the output ends (the process has exited or is about to)."""
        self._thread.join(timeout)
        lines = []
        while (line := self._queue.get_nowait() if not self._queue.empty() else None) is not None:
            lines.append(line)
        return lines


def stop(process: subprocess.Popen[str], timeout: float = 15) -> int:
    """SIGTERM, then wait for the exit code (read its pipes with `Lines` so they never fill)."""
    if process.poll() is None:
        process.terminate()
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError(f"still running {timeout}s after SIGTERM") from None
