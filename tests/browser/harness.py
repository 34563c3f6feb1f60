"""Helpers for browser tests: a real JupyterLab server and a real Chromium driving it.

Everything waits on DOM or server state rather than sleeping, with timeouts generous enough for
a slow two-core machine.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import (
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    Playwright,
    sync_playwright,
)

from tests.support.chromium import CHROMIUM, CHROMIUM_ARGS

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / ".test-artifacts"

SERVER_START_TIMEOUT = 120.0
KERNEL_TIMEOUT_MS = 120_000
CELL_TIMEOUT_MS = 120_000
UI_TIMEOUT_MS = 60_000

_PAGE_CONFIG = {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}
_EMPTY_NOTEBOOK = {
    "cells": [
        {
            "id": "first",
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": "",
        }
    ],
    "metadata": {
        "kernelspec": {
            "name": "python3",
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        },
        "language_info": {"name": "python"},
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


# ---------------------------------------------------------------- the Jupyter server


@dataclass
class LabServer:
    """A running ``jupyter lab`` subprocess and where its files live."""

    url: str
    """Server root including the base URL, ending in "/", e.g. ``http://127.0.0.1:8899/``."""
    base_url: str
    token: str
    port: int
    root_dir: Path
    data_dir: Path
    config_dir: Path
    runtime_dir: Path
    home_dir: Path
    log_path: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] = field(repr=False)

    def lab_url(self, path: str = "lab", **query: str) -> str:
        """A URL of this server with the token in its query string."""
        params = "&".join([f"token={self.token}", *(f"{k}={v}" for k, v in query.items())])
        return f"{self.url}{path.lstrip('/')}?{params}"

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Call the server's REST API with the token (``path`` is relative to the base URL)."""
        headers = {"Authorization": f"token {self.token}", **kwargs.pop("headers", {})}
        return requests.request(
            method, f"{self.url}{path.lstrip('/')}", headers=headers, timeout=30, **kwargs
        )

    def log_text(self) -> str:
        """Everything the server wrote to stdout and stderr so far."""
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 30) -> None:
        """Stop the server (SIGTERM shuts kernels down too); kill it if it hangs."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                # The server leads its own process group (kernels included): end all of it.
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_lab(
    tmp_path: Path,
    *,
    env: Mapping[str, str] | None = None,
    args: Iterable[str] = (),
    base_url: str = "/",
    timeout: float = SERVER_START_TIMEOUT,
    app: str = "jupyterlab",
) -> LabServer:
    """Start ``jupyter lab`` with private config/data/runtime/settings dirs under ``tmp_path``.

    ``app="notebook"`` starts Notebook 7 the same way.

    ``env`` is added to the server's (and so its kernels') environment; ``args`` are extra command
    line options such as ``--AgolJupyter.portal_url=...``. Returns once ``/api/status`` answers.
    """
    tmp_path.mkdir(parents=True, exist_ok=True)
    dirs = {
        name: tmp_path / name
        for name in ("notebooks", "config", "data", "runtime", "settings", "workspaces", "home")
    }
    for d in dirs.values():
        d.mkdir(exist_ok=True)
    labconfig = dirs["config"] / "labconfig"
    labconfig.mkdir(exist_ok=True)
    (labconfig / "page_config.json").write_text(json.dumps(_PAGE_CONFIG))

    base_url = "/" + base_url.strip("/") + "/" if base_url.strip("/") else "/"
    full_env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(dirs["config"]),
        "JUPYTER_DATA_DIR": str(dirs["data"]),
        "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]),
        "JUPYTERLAB_SETTINGS_DIR": str(dirs["settings"]),
        "JUPYTERLAB_WORKSPACES_DIR": str(dirs["workspaces"]),
        "JUPYTER_PLATFORM_DIRS": "1",
        # A private home keeps anything that writes under ~ (IPython, credential stores) out of
        # the real one.
        "HOME": str(dirs["home"]),
        "IPYTHONDIR": str(dirs["home"] / ".ipython"),
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    log_path = tmp_path / f"{app}.log"
    token = secrets.token_hex(16)
    last_error = ""
    for _attempt in range(3):  # the free port can be taken between probing and binding
        port = free_port()
        cmd = [
            sys.executable,
            "-m",
            app,
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--port-retries=0",
            f"--IdentityProvider.token={token}",
            "--allow-root",
            f"--ServerApp.root_dir={dirs['notebooks']}",
            f"--ServerApp.base_url={base_url}",
            *args,
        ]
        log = log_path.open("ab")
        try:
            process = subprocess.Popen(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=full_env,
                cwd=dirs["notebooks"],
                start_new_session=True,
            )
        finally:
            log.close()
        server = LabServer(
            url=f"http://127.0.0.1:{port}{base_url}",
            base_url=base_url,
            token=token,
            port=port,
            root_dir=dirs["notebooks"],
            data_dir=dirs["data"],
            config_dir=dirs["config"],
            runtime_dir=dirs["runtime"],
            home_dir=dirs["home"],
            log_path=log_path,
            env=full_env,
            process=process,
        )
        if _wait_ready(server, timeout):
            return server
        server.stop()
        last_error = server.log_text()[-4000:]
        if "already in use" not in last_error.lower():
            break
    raise RuntimeError(f"{app} did not start; log tail:\n{last_error}")


def _wait_ready(server: LabServer, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            if server.api("GET", "api/status").status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.2)
    return False


# ---------------------------------------------------------------- the browser


@dataclass
class ConsoleEntry:
    """One console message or uncaught page error."""

    kind: str  # console type ("error", "warning", ...) or "pageerror"
    text: str
    page_url: str
    location: str = ""

    @property
    def is_network(self) -> bool:
        """Chromium's own report of an HTTP error status (not something a script threw)."""
        return self.text.startswith("Failed to load resource")

    def __str__(self) -> str:
        where = f" ({self.location})" if self.location else ""
        return f"[{self.kind}] {self.text}{where} on {self.page_url}"


class ConsoleLog:
    """Collects console messages and page errors from every page of a browser context."""

    def __init__(self) -> None:
        self.entries: list[ConsoleEntry] = []
        self._attached: set[int] = set()

    def attach(self, page: Page) -> None:
        """Start recording ``page`` (safe to call twice)."""
        if id(page) in self._attached:
            return
        self._attached.add(id(page))

        def on_console(msg: ConsoleMessage) -> None:
            loc = msg.location
            where = f"{loc.get('url', '')}:{loc.get('lineNumber', '')}" if loc else ""
            self.entries.append(ConsoleEntry(msg.type, msg.text, _safe_url(page), where))

        def on_error(error: Exception) -> None:
            self.entries.append(ConsoleEntry("pageerror", str(error), _safe_url(page)))

        page.on("console", on_console)
        page.on("pageerror", on_error)

    def mark(self) -> int:
        """A position to pass to ``errors(since=...)``."""
        return len(self.entries)

    def errors(self, *, since: int = 0, include_network: bool = False) -> list[ConsoleEntry]:
        """Console errors and uncaught exceptions recorded after ``since``.

        HTTP error statuses that Chromium logs by itself ("Failed to load resource") are left
        out unless ``include_network`` is set: a script that handles a 404 cannot prevent them.
        """
        return [
            e
            for e in self.entries[since:]
            if e.kind in ("error", "pageerror") and (include_network or not e.is_network)
        ]

    def clear(self) -> None:
        """Forget what was recorded."""
        self.entries.clear()


def _safe_url(page: Page) -> str:
    try:
        return page.url
    except Exception:
        return "?"


def launch_browser(
    playwright: Playwright, user_data_dir: Path, console: ConsoleLog | None = None
) -> BrowserContext:
    """Debian's Chromium, headless, with a private profile; every page reports to ``console``."""
    context = playwright.chromium.launch_persistent_context(
        user_data_dir=str(user_data_dir),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        ignore_https_errors=True,  # the demo portal's certificate comes from a generated CA
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(UI_TIMEOUT_MS)
    if console is not None:
        for page in context.pages:
            console.attach(page)
        context.on("page", console.attach)
    return context


# ---------------------------------------------------------------- JupyterLab pages


def notebook_panel(page: Page) -> Locator:
    """The notebook panel that is currently shown."""
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").last


def cells(page: Page) -> Locator:
    """All cells of the current notebook."""
    return notebook_panel(page).locator(".jp-Notebook .jp-Cell")


def open_new_notebook(
    page: Page,
    lab: LabServer,
    name: str | None = None,
    *,
    cells: Iterable[str] = (),
    kernel_name: str = "python3",
) -> Page:
    """Create ``<name>.ipynb`` (Python 3) through the REST API, open it alone, wait for the kernel.

    ``cells`` are code cells to put in it (none: one empty cell). A fresh workspace per
    notebook keeps JupyterLab from restoring tabs of earlier tests.
    """
    name = name or f"nb-{uuid.uuid4().hex[:8]}"
    path = name if name.endswith(".ipynb") else f"{name}.ipynb"
    content = dict(_EMPTY_NOTEBOOK)
    metadata: dict[str, Any] = dict(_EMPTY_NOTEBOOK["metadata"])  # type: ignore[arg-type]
    metadata["kernelspec"] = {**metadata["kernelspec"], "name": kernel_name}
    content["metadata"] = metadata
    sources = list(cells)
    if sources:
        template = _EMPTY_NOTEBOOK["cells"][0]
        content["cells"] = [
            {**template, "id": f"cell{i}", "source": source} for i, source in enumerate(sources)
        ]
    response = lab.api(
        "PUT",
        f"api/contents/{path}",
        json={"type": "notebook", "format": "json", "content": content},
    )
    response.raise_for_status()
    workspace = f"ws-{uuid.uuid4().hex[:8]}"
    page.goto(lab.lab_url(f"lab/workspaces/{workspace}/tree/{path}"), wait_until="domcontentloaded")
    notebook_panel(page).locator(".jp-Cell .cm-content").first.wait_for(timeout=UI_TIMEOUT_MS)
    wait_kernel_idle(page)
    return page


def wait_kernel_idle(page: Page, timeout: float = KERNEL_TIMEOUT_MS) -> None:
    """Wait until the current notebook's kernel is connected and idle.

    The toolbar's execution indicator says "idle" before any kernel exists, so the status bar's
    "<kernel name> | Idle" must agree.
    """
    page.wait_for_function(_KERNEL_IDLE_JS, timeout=timeout, polling=100)


_KERNEL_IDLE_JS = """() => {
  const panels = document.querySelectorAll(".jp-NotebookPanel:not(.lm-mod-hidden)");
  const panel = panels[panels.length - 1];
  const indicator = panel && panel.querySelector(".jp-Notebook-ExecutionIndicator");
  if (!indicator || indicator.dataset.status !== "idle") return false;
  return [...document.querySelectorAll(".jp-StatusBar-TextItem")].some((item) => {
    const text = item.textContent.trim();
    return text.endsWith("| Idle") && !text.startsWith("No Kernel");
  });
}"""


_PROMPT_DONE = re.compile(r"\[\d+\]")
_PROMPT_STARTED = re.compile(r"\[(\d+|\*)\]")


def run_cell(
    page: Page, code: str, *, wait_idle: bool = True, timeout: float = CELL_TIMEOUT_MS
) -> int:
    """Put ``code`` into the last cell (adding one if it is not empty), run it with Shift+Enter.

    The text goes in with ``insert_text`` so JupyterLab's bracket closing and auto-indent do not
    touch it. Returns the cell's index. With ``wait_idle`` waits until the cell has finished;
    otherwise only until it started.
    """
    all_cells = cells(page)
    last = all_cells.last
    if _editor_text(last).strip():
        before = all_cells.count()
        last.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Escape")
        page.keyboard.press("b")
        _expect_count(all_cells, before + 1)
    index = all_cells.count() - 1
    # Pin the cell by index: Shift+Enter on the last cell appends a new "last" one.
    last = all_cells.nth(index)
    editor = last.locator(".cm-content")
    editor.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.insert_text(code)
    _wait_for(
        lambda: _normalize(_editor_text(last)) == _normalize(code),
        timeout=UI_TIMEOUT_MS,
        what=lambda: f"cell text {code!r}, it is {_editor_text(last)!r}",
    )
    page.keyboard.press("Shift+Enter")
    prompt = last.locator(".jp-InputArea-prompt")
    pattern = _PROMPT_DONE if wait_idle else _PROMPT_STARTED
    _wait_for(
        lambda: bool(pattern.search(prompt.inner_text())),
        timeout=timeout,
        what=f"cell {index} to {'finish' if wait_idle else 'start'}",
    )
    return index


def cell_output(page: Page, index: int) -> Locator:
    """The output area of cell ``index``."""
    return cells(page).nth(index).locator(".jp-Cell-outputArea")


def cell_output_text(page: Page, index: int) -> str:
    """The visible text of cell ``index``'s outputs, without the ``[n]:`` prompts."""
    outputs = cell_output(page, index).locator(".jp-OutputArea-output")
    return "\n".join(outputs.all_inner_texts())


def save_notebook(page: Page) -> None:
    """Save the current notebook and wait until the server has written it."""
    notebook_panel(page).locator(".jp-Notebook").click(position={"x": 5, "y": 5})
    with page.expect_response(
        lambda r: r.request.method == "PUT" and "/api/contents/" in r.url, timeout=UI_TIMEOUT_MS
    ) as info:
        page.keyboard.press("ControlOrMeta+s")
    if not info.value.ok:
        raise AssertionError(f"saving failed: HTTP {info.value.status}")
    page.locator(".lm-TabBar-tab.jp-mod-current:not(.jp-mod-dirty)").first.wait_for()


def read_notebook_file(lab: LabServer, name: str) -> str:
    """The notebook file's text as it is on disk."""
    path = name if name.endswith(".ipynb") else f"{name}.ipynb"
    return (lab.root_dir / path).read_text()


def screenshot(locator: Locator, name: str | Path) -> Path:
    """Screenshot ``locator`` into ``.test-artifacts/`` (or to an absolute path); returns it."""
    path = Path(name)
    if not path.is_absolute():
        path = ARTIFACTS / path
    path.parent.mkdir(parents=True, exist_ok=True)
    locator.screenshot(path=str(path), animations="disabled")
    return path


# ---------------------------------------------------------------- small waits


def _editor_text(cell: Locator) -> str:
    return cell.locator(".cm-content").evaluate(
        "el => Array.from(el.querySelectorAll('.cm-line')).map(l => l.textContent).join('\\n')"
    )


def _normalize(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def _expect_count(locator: Locator, count: int) -> None:
    _wait_for(lambda: locator.count() == count, timeout=UI_TIMEOUT_MS, what=f"{count} elements")


def _wait_for(check: Callable[[], bool], *, timeout: float, what: str | Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout / 1000
    while True:
        if check():
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what() if callable(what) else what}")
        time.sleep(0.1)


# ---------------------------------------------------------------- shared fixtures
# Imported by the conftest.py of each browser-test folder.


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
