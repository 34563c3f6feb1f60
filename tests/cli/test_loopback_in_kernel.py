"""The loopback sign-in in a real IPython kernel with no Jupyter server around it (as VS Code
runs a local kernel): the link shows as a notebook output, the cell returns once signed in."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import requests
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

from agol_jupyter.demo import DemoPortal
from agol_jupyter.store import CredentialStore
from tests.support.signin_walk import walk_signin

from .conftest import assert_no_secrets

TIMEOUT = 120


@pytest.fixture
def kernel(store_dir: Path) -> Iterator[BlockingKernelClient]:
    env = {k: v for k, v in os.environ.items() if k != "AGOL_JUPYTER_SERVER"}
    env["AGOL_JUPYTER_STORE_DIR"] = str(store_dir)
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env=env, cwd=str(Path(__file__).resolve().parents[2]))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=TIMEOUT)
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_the_link_shows_in_the_notebook_and_the_cell_returns_signed_in(
    kernel: BlockingKernelClient, demo: DemoPortal, store_dir: Path
) -> None:
    code = f"""
from agol_jupyter.loopback import display_sign_in_link, sign_in_with_loopback
from agol_jupyter.portal import normalize_portal_url
from agol_jupyter.store import CredentialStore
creds = sign_in_with_loopback(
    normalize_portal_url({demo.root_url!r}),
    {demo.client_id!r},
    store=CredentialStore({str(store_dir)!r}),
    ca_bundle={str(demo.ca_path)!r},
    open_browser=False,
    on_url=lambda url: display_sign_in_link(url, "Demo Field Office"),
    timeout=60,
    return_to="your notebook",
)
print("signed in as", creds.username)
"""
    msg_id = kernel.execute(code)
    outputs: list[dict[str, Any]] = []
    link: str | None = None
    while True:
        msg = kernel.get_iopub_msg(timeout=TIMEOUT)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind in ("display_data", "stream", "error"):
            outputs.append(content)
        if kind == "error":
            raise AssertionError("\n".join(content["traceback"]))
        if kind == "display_data" and link is None:
            html = content["data"]["text/html"]
            assert "Sign in to Demo Field Office" in html
            assert content["data"]["text/plain"].startswith(
                "Open this link to sign in to Demo Field Office:"
            )
            found = re.search(r'href="([^"]+)"', html)
            assert found
            link = unescape(found.group(1))
            location = walk_signin(
                link, username=demo.username, password=demo.password, ca_path=demo.ca_path
            )
            with requests.Session() as http:
                http.trust_env = False
                page = http.get(location, timeout=30)
            assert "go back to your notebook" in page.text
        if kind == "status" and content["execution_state"] == "idle":
            break
    reply = kernel.get_shell_msg(timeout=TIMEOUT)
    assert reply["content"]["status"] == "ok"
    printed = "".join(o.get("text", "") for o in outputs)
    assert "signed in as alice" in printed
    assert [c.username for c in CredentialStore(store_dir).all()] == ["alice"]
    assert_no_secrets(repr(outputs), demo)
