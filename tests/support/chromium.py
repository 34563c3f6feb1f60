"""Debian's Chromium for the browser tests: where it is, how it starts, and pytest fixtures.

Never a browser that Playwright downloads: ``executable_path`` is Debian's package, started
with flags that keep it off the network (this machine reaches only package registries).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """A headless Chromium for one test module (its own Playwright driver)."""
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile per test; it accepts the demo portal's self-made certificate."""
    context = browser.new_context(ignore_https_errors=True)
    context.set_default_timeout(30_000)
    yield context
    context.close()
