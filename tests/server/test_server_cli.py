"""The extension as installed: `jupyter server extension list`, and a real `jupyter server`
process configured on its command line."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from agol_jupyter import __version__

JUPYTER = str(Path(sys.executable).with_name("jupyter"))
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def jupyter_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "AGOL_"))}
    for name in ("config", "data", "runtime"):
        env[f"JUPYTER_{name.upper()}_DIR"] = str(tmp_path / name)
    env["AGOL_JUPYTER_STORE_DIR"] = str(tmp_path / "store")
    return env


def test_extension_list_shows_it_enabled_and_ok(jupyter_env: dict[str, str]) -> None:
    done = subprocess.run(
        [JUPYTER, "server", "extension", "list"],
        env=jupyter_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    text = ANSI.sub("", done.stdout + done.stderr)
    assert re.search(r"agol_jupyter\s+enabled", text), text
    assert re.search(rf"agol_jupyter\s+{re.escape(__version__)}\s+OK", text), text


class ServerProcess:
    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line)

    def wait_for(self, pattern: str, timeout: float = 120) -> re.Match[str]:
        while True:
            line = self.lines.get(timeout=timeout)
            self.log.append(line)
            found = re.search(pattern, line)
            if found:
                return found

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def get_when_listening(url: str, **kwargs: Any) -> requests.Response:
    """GET, retrying while the server is still opening its port (it logs its URL first)."""
    for _ in range(120):
        try:
            return requests.get(url, timeout=60, **kwargs)
        except requests.ConnectionError:
            time.sleep(0.5)
    raise AssertionError(f"nothing listens at {url}")


@pytest.fixture
def server(jupyter_env: dict[str, str], tmp_path: Path) -> Iterator[ServerProcess]:
    token = "cli-test-token-0123456789"
    process = ServerProcess(
        [
            JUPYTER,
            "server",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            "--port=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={tmp_path}",
            "--AgolJupyter.portal_url=myorg.maps.arcgis.com/home/index.html",
            "--AgolJupyter.client_id=cliclientid",
        ],
        jupyter_env,
    )
    try:
        yield process
    finally:
        process.stop()


def test_configured_from_the_command_line(
    server: ServerProcess, jupyter_env: dict[str, str]
) -> None:
    loaded = server.wait_for(r"agol-jupyter .* loaded: (.*)")
    assert "portal https://myorg.maps.arcgis.com, client id cliclientid" in loaded.group(1)
    url = server.wait_for(r"(http://127\.0\.0\.1:\d+/)\?token=").group(1)
    status = get_when_listening(
        f"{url}agol/api/status", headers={"Authorization": "token cli-test-token-0123456789"}
    )
    assert status.status_code == 200
    body = status.json()
    assert body["configured"] == {
        "portal": "https://myorg.maps.arcgis.com",
        "client_id": "cliclientid",
    }
    assert body["redirect_uri"] == f"{url}agol/callback"
    assert body["sessions"] == []
    assert json.loads(json.dumps(body))["version"] == __version__


def test_relative_ca_bundle_becomes_absolute(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from agol_jupyter.server.config import AgolJupyter

    monkeypatch.chdir(tmp_path)
    settings = AgolJupyter(ca_bundle="certs/ca.pem")
    assert settings.ca_bundle == str(tmp_path / "certs" / "ca.pem")
    assert AgolJupyter(ca_bundle="").ca_bundle == ""
