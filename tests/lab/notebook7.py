"""Notebook 7 (``jupyter notebook``) for browser tests: started like harness.start_lab, with
``-m notebook``, and helpers for its pages (it has no status bar; kernel state shows in the
notebook toolbar)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from harness import (
    _EMPTY_NOTEBOOK,
    _PAGE_CONFIG,
    KERNEL_TIMEOUT_MS,
    SERVER_START_TIMEOUT,
    UI_TIMEOUT_MS,
    LabServer,
    _wait_ready,
    free_port,
    notebook_panel,
)
from playwright.sync_api import Page


def start_notebook(
    tmp_path: Path, *, args: Iterable[str] = (), timeout: float = SERVER_START_TIMEOUT
) -> LabServer:
    """Start ``jupyter notebook`` with private config/data/runtime/settings dirs."""
    dirs = {
        name: tmp_path / name
        for name in ("notebooks", "config", "data", "runtime", "settings", "workspaces", "home")
    }
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    (dirs["config"] / "labconfig").mkdir(exist_ok=True)
    (dirs["config"] / "labconfig" / "page_config.json").write_text(json.dumps(_PAGE_CONFIG))
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(dirs["config"]),
        "JUPYTER_DATA_DIR": str(dirs["data"]),
        "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]),
        "JUPYTERLAB_SETTINGS_DIR": str(dirs["settings"]),
        "JUPYTERLAB_WORKSPACES_DIR": str(dirs["workspaces"]),
        "JUPYTER_PLATFORM_DIRS": "1",
        "HOME": str(dirs["home"]),
        "IPYTHONDIR": str(dirs["home"] / ".ipython"),
        "PYTHONUNBUFFERED": "1",
    }
    log_path = tmp_path / "jupyter-notebook.log"
    token = secrets.token_hex(16)
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "notebook",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--port-retries=0",
        f"--IdentityProvider.token={token}",
        "--allow-root",
        f"--ServerApp.root_dir={dirs['notebooks']}",
        *args,
    ]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=dirs["notebooks"],
            start_new_session=True,
        )
    server = LabServer(
        url=f"http://127.0.0.1:{port}/",
        base_url="/",
        token=token,
        port=port,
        root_dir=dirs["notebooks"],
        data_dir=dirs["data"],
        config_dir=dirs["config"],
        runtime_dir=dirs["runtime"],
        home_dir=dirs["home"],
        log_path=log_path,
        env=env,
        process=process,
    )
    if not _wait_ready(server, timeout):
        server.stop()
        tail = server.log_text()[-4000:]
        raise RuntimeError(f"jupyter notebook did not start; log tail:\n{tail}")
    return server


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
