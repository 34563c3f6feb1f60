"""Fixtures for browser tests: one JupyterLab server and one Chromium per test session.

Tests that need a server with other options call :func:`harness.start_lab` themselves (see its
``env`` and ``args``) and may reuse ``browser_context``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import (  # noqa: F401  (shared fixtures)
    LabServer,
    browser_context,
    console_log,
    open_new_notebook,
    page,
    playwright,
    start_lab,
)
from playwright.sync_api import Page, expect

# Assertions wait on the page; a slow two-core machine needs more than Playwright's 5 s.
expect.set_options(timeout=30_000)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """A plain JupyterLab server with private config, data and runtime directories."""
    server = start_lab(tmp_path_factory.mktemp("lab"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def lab_factory(tmp_path: Path) -> Iterator[Callable[..., LabServer]]:
    """Start servers with other options: ``lab_factory(env={...}, args=[...], base_url=...)``.

    Each call gets its own directories under the test's ``tmp_path``; all stop after the test.
    """
    started: list[LabServer] = []

    def start(**kwargs: Any) -> LabServer:
        server = start_lab(tmp_path / f"lab{len(started)}", **kwargs)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def notebook(page: Page, lab: LabServer) -> Page:
    """``page`` showing a new, empty Python 3 notebook on ``lab`` with an idle kernel."""
    return open_new_notebook(page, lab)
