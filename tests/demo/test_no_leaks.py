"""The demo portal's own logs never show a code or a token."""

from __future__ import annotations

import logging
import socket
import ssl

import pytest
import requests
from demo_helpers import Flow, signed_in, token_request

from agol_jupyter.demo import DemoPortal


def test_debug_logs_carry_no_secrets(
    demo: DemoPortal, http: requests.Session, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="agol_jupyter.demo")
    body = signed_in(http, demo)
    http.get(
        f"{demo.rest_url}/community/self",
        params={"f": "json", "token": body["access_token"]},
    )
    http.get(f"{demo.rest_url}/portals/self?f=json&token=garbage-token-value")
    token_request(
        http,
        demo,
        client_id=demo.client_id,
        grant_type="refresh_token",
        refresh_token=body["refresh_token"],
    )
    flow = Flow(demo)
    code = flow.code()
    bad = http.get(f"{demo.rest_url}/x?code={code}", headers={"Content-Length": "nope"})
    assert bad.status_code == 400
    # A malformed request line, which the stdlib would log verbatim.
    context = ssl.create_default_context(cafile=str(demo.ca_path))
    with socket.create_connection(("127.0.0.1", demo.portal_port)) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            tls.sendall(f"GET /portal/x?code={code} HTTP/1.1 junk\r\n\r\n".encode())
            answer = b"".join(iter(lambda: tls.recv(4096), b""))
    assert b"Error code: 400" in answer
    assert code.encode() not in answer
    assert "/oauth2/token" in caplog.text
    issued = demo.stats()["issued"]
    for secret in [*issued["access_tokens"], *issued["refresh_tokens"], *issued["codes"]]:
        assert secret not in caplog.text
    assert "garbage-token-value" not in caplog.text
