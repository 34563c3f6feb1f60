"""Notebook 7 (``jupyter notebook``) for browser tests: started by harness.start_lab with
``app="notebook"``, and helpers for its pages (it has no status bar; kernel state shows in the
notebook toolbar)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from harness import (
    _EMPTY_NOTEBOOK,
    KERNEL_TIMEOUT_MS,
    UI_TIMEOUT_MS,
    LabServer,
    notebook_panel,
    start_lab,
)
from playwright.sync_api import Page


def start_notebook(tmp_path: Path, *, args: Iterable[str] = ()) -> LabServer:
    """Start ``jupyter notebook`` (Notebook 7) as :func:`harness.start_lab` starts JupyterLab."""
    return start_lab(tmp_path, args=args, app="notebook")


def open_notebook7(page: Page, server: LabServer) -> Page:
    """Create an empty Python 3 notebook, open it in Notebook 7, wait for an idle kernel."""
    path = f"nb-{uuid.uuid4().hex[:8]}.ipynb"
    response = server.api(
        "PUT",
        f"api/contents/{path}",
        json={"type": "notebook", "format": "json", "content": _EMPTY_NOTEBOOK},
    )
    response.raise_for_status()
    page.goto(server.lab_url(f"notebooks/{path}"), wait_until="domcontentloaded")
    notebook_panel(page).locator(".jp-Cell .cm-content").first.wait_for(timeout=UI_TIMEOUT_MS)
    # No status bar here: wait for the server's kernel to be idle, then the toolbar's indicator.
    deadline = time.monotonic() + KERNEL_TIMEOUT_MS / 1000
    while not _kernel_idle(server, path):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no idle kernel for {path}")
        time.sleep(0.2)
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for(
        timeout=UI_TIMEOUT_MS
    )
    return page


def _kernel_idle(server: LabServer, path: str) -> bool:
    sessions = server.api("GET", "api/sessions").json()
    return any(
        s.get("path") == path and (s.get("kernel") or {}).get("execution_state") == "idle"
        for s in sessions
    )
