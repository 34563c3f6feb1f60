"""Fixtures for the JupyterLab extension's browser tests: the demo portal, Chromium, and
JupyterLab / Notebook 7 servers configured for the demo portal.

The harness lives in tests/browser; this directory has its own fixtures so that it runs in a
pytest session of its own.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))

from harness import (  # noqa: F401  (shared fixtures)
    LabServer,
    browser_context,
    console_log,
    page,
    playwright,
    start_lab,
)
from notebook7 import start_notebook
from playwright.sync_api import expect

from agol_jupyter.demo import DemoPortal

# Assertions wait on the page; a slow two-core machine needs more than Playwright's 5 s.
expect.set_options(timeout=30_000)


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoPortal]:
    """The demo portal and its identity provider."""
    with DemoPortal(state_dir=tmp_path_factory.mktemp("demo"), portal_port=0, idp_port=0) as portal:
        yield portal


def demo_args(demo: DemoPortal) -> list[str]:
    """Server options that point the agol-jupyter server extension at the demo portal."""
    return [
        f"--AgolJupyter.portal_url={demo.root_url}",
        f"--AgolJupyter.client_id={demo.client_id}",
        f"--AgolJupyter.ca_bundle={demo.ca_path}",
    ]


@pytest.fixture(scope="session")
def agol_lab(tmp_path_factory: pytest.TempPathFactory, demo: DemoPortal) -> Iterator[LabServer]:
    """JupyterLab configured for the demo portal."""
    server = start_lab(tmp_path_factory.mktemp("agol-lab"), args=demo_args(demo))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def agol_notebook7(
    tmp_path_factory: pytest.TempPathFactory, demo: DemoPortal
) -> Iterator[LabServer]:
    """Notebook 7 (``jupyter notebook``) configured for the demo portal."""
    server = start_notebook(tmp_path_factory.mktemp("agol-nb7"), args=demo_args(demo))
    try:
        yield server
    finally:
        server.stop()
