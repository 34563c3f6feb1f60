"""Fixtures for browser tests: one JupyterLab server and one Chromium per test session.

Tests that need a server with other options call :func:`harness.start_lab` themselves (see its
``env`` and ``args``) and may reuse ``browser_context``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import ConsoleLog, LabServer, launch_browser, open_new_notebook, start_lab
from playwright.sync_api import BrowserContext, Page, Playwright, expect, sync_playwright

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


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """The Playwright driver (sync API)."""
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def console_log() -> ConsoleLog:
    """Console messages and uncaught errors of every page in ``browser_context``."""
    return ConsoleLog()


@pytest.fixture(scope="session")
def browser_context(
    playwright: Playwright, console_log: ConsoleLog, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BrowserContext]:
    """Headless Debian Chromium with a private profile; accepts the demo portal's certificate."""
    context = launch_browser(playwright, tmp_path_factory.mktemp("chromium-profile"), console_log)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(browser_context: BrowserContext, console_log: ConsoleLog) -> Iterator[Page]:
    """A new tab, closed after the test."""
    tab = browser_context.new_page()
    console_log.attach(tab)
    try:
        yield tab
    finally:
        tab.close()


@pytest.fixture
def notebook(page: Page, lab: LabServer) -> Page:
    """``page`` showing a new, empty Python 3 notebook on ``lab`` with an idle kernel."""
    return open_new_notebook(page, lab)
