"""Fixtures for the acceptance tests that start real shoplink processes."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.acceptance.daemons import DaemonProcess


@pytest.fixture
def daemons() -> Iterator[Callable[..., DaemonProcess]]:
    """Starts daemons; whatever is still running at the end is killed."""
    started: list[DaemonProcess] = []

    def start(url: str, *options: str) -> DaemonProcess:
        started.append(DaemonProcess(url, *options))
        return started[-1]

    yield start
    for daemon in started:
        if daemon.process.poll() is None:
            daemon.process.kill()
            daemon.process.wait()
