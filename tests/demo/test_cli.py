"""``python -m agol_jupyter.demo`` as a subprocess, driven through its control API."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.signin_walk import obtain_tokens

HUB_URI = "https://hub.example/hub/user-redirect/agol/callback"


class Cli:
    """A running demo CLI and what it wrote."""

    def __init__(self, proc: subprocess.Popen[str], info_file: Path) -> None:
        self.proc = proc
        self.info_file = info_file
        self.info: dict[str, Any] = json.loads(info_file.read_text())

    def http(self) -> requests.Session:
        s = requests.Session()
        s.trust_env = False
        s.verify = self.info["ca_path"]
        return s


@pytest.fixture
def cli(tmp_path: Path, state_dir: Path) -> Iterator[Cli]:
    info_file = tmp_path / "info" / "demo.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agol_jupyter.demo",
            "--state-dir",
            str(state_dir),
            "--info-file",
            str(info_file),
            "--register-redirect-uri",
            HUB_URI,
            "--verbose",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        while not info_file.exists():
            if proc.poll() is not None:
                pytest.fail(f"the demo CLI exited early: {proc.communicate()}")
            time.sleep(0.05)
        yield Cli(proc, info_file)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_cli_runs_a_portal_and_stops_cleanly_without_leaking(cli: Cli) -> None:
    info = cli.info
    assert set(info) == {
        "root_url",
        "rest_url",
        "idp_origin",
        "ca_path",
        "client_id",
        "username",
        "password",
    }
    assert info["rest_url"] == info["root_url"] + "/sharing/rest"
    tokens = obtain_tokens(
        info["rest_url"],
        client_id=info["client_id"],
        username=info["username"],
        password=info["password"],
        ca_path=info["ca_path"],
        redirect_uri=HUB_URI,
    )
    with cli.http() as http:
        me = http.get(
            f"{info['rest_url']}/community/self",
            params={"f": "json", "token": tokens["access_token"]},
        ).json()
        assert me["username"] == info["username"]
        stats = http.get(f"{info['root_url']}/__demo__/stats").json()
    assert stats["token_requests"] == {"authorization_code": 1}
    secrets = [s for kind in stats["issued"].values() for s in kind]
    assert tokens["access_token"] in secrets

    cli.proc.send_signal(signal.SIGTERM)
    out, err = cli.proc.communicate(timeout=30)
    assert cli.proc.returncode == 0
    assert not Path(cli.info_file).exists()  # removed on exit: no stale URLs for the next run
    for expected in (info["root_url"], info["idp_origin"], info["password"], info["ca_path"]):
        assert expected in out
    assert "/oauth2/token" in err  # --verbose logged the requests...
    for secret in secrets:  # ...but never a code or token
        assert secret not in out
        assert secret not in err


def test_cli_control_api_changes_settings(cli: Cli) -> None:
    info = cli.info
    with cli.http() as http:
        config = http.get(f"{info['root_url']}/__demo__/config").json()
        assert config["redirect_uris"] == [HUB_URI]
        assert config["allow_loopback_redirects"] is True
        changed = http.post(
            f"{info['root_url']}/__demo__/config", json={"allow_loopback_redirects": False}
        ).json()
        assert changed["allow_loopback_redirects"] is False
        params = {
            "client_id": info["client_id"],
            "response_type": "code",
            "redirect_uri": "http://127.0.0.1:8888/agol/callback",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        }
        r = http.get(f"{info['rest_url']}/oauth2/authorize", params=params)
        assert r.status_code == 400
        assert "Invalid redirect_uri" in r.text
