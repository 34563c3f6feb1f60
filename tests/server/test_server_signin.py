"""A whole sign-in through the server extension and the demo portal, and sign-out."""

from __future__ import annotations

import json
import os
import secrets
import stat
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import Browser, query_of, walk

from agol_jupyter import locations
from agol_jupyter.demo import DemoPortal
from agol_jupyter.store import CredentialStore, FlowResults, credential_key


def new_request_id() -> str:
    return secrets.token_urlsafe(18)


async def begin(browser: Browser, **body: str) -> tuple[str, str]:
    """POST api/flows, open the start URL; returns (request_id, portal authorize URL)."""
    request_id = body.pop("request_id", None) or new_request_id()
    answer = await browser.post_json("agol/api/flows", {"request_id": request_id, **body})
    assert answer.status_code == 200, answer.text
    start = await browser.get(answer.json()["start_url"])
    assert start.status_code == 302, start.text
    return request_id, start.headers["Location"]


def assert_no_secrets(text: str, demo: DemoPortal, *extra: str) -> None:
    issued = demo.stats()["issued"]
    secrets_seen = [*issued["access_tokens"], *issued["refresh_tokens"], *issued["codes"], *extra]
    assert secrets_seen, "the demo portal issued nothing: the test did not sign in"
    for value in secrets_seen:
        assert value not in text


async def test_full_sign_in(
    browser: Browser, demo: DemoPortal, store_dir: Path, debug_logs: Any
) -> None:
    request_id, authorize = await begin(browser)
    query = query_of(authorize)
    assert authorize.startswith(f"{demo.rest_url}/oauth2/authorize?")
    assert query["code_challenge_method"] == "S256"
    assert query["redirect_uri"] == browser.url("agol/callback")
    assert "code_verifier" not in query

    callback = await walk(demo, authorize)
    assert callback.startswith(browser.url("agol/callback") + "?")
    code = query_of(callback)["code"]
    page = await browser.get(callback)
    assert page.status_code == 200, page.text
    assert f"Signed in as {demo.username}" in page.text
    assert "agol-jupyter:done" in page.text and "BroadcastChannel" in page.text
    assert "window.location.origin" in page.text and '"*"' not in page.text
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'self'" in csp
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in page.text
    assert page.headers["Referrer-Policy"] == "same-origin"

    # The saved session: file 0600, all the fields the kernel needs.
    key = credential_key(demo.root_url, demo.client_id, "default")
    creds = CredentialStore(store_dir).get(key)
    assert creds is not None
    assert stat.S_IMODE(os.stat(store_dir / "credentials.json").st_mode) == 0o600
    assert creds.username == demo.username and creds.full_name and creds.org_name
    assert creds.refresh_token and creds.redirect_uri == query["redirect_uri"]
    assert creds.ca_bundle == str(demo.ca_path)
    assert creds.access_token in demo.stats()["issued"]["access_tokens"]

    result = FlowResults(store_dir).read(request_id)
    assert result is not None
    assert result["status"] == "ok" and result["key"] == key
    assert result["username"] == demo.username
    assert result["full_name"] == creds.full_name and result["org_name"] == creds.org_name
    assert result["session_expires_at"] == creds.session_expires_at()
    assert_no_secrets(json.dumps(result), demo)

    status = await browser.get("agol/api/status")
    assert status.status_code == 200
    body = status.json()
    assert body["configured"] == {"portal": demo.root_url, "client_id": demo.client_id}
    assert body["redirect_uri"] == query["redirect_uri"]
    assert [s["username"] for s in body["sessions"]] == [demo.username]
    assert body["sessions"][0] == creds.public_summary()
    assert body["version"]
    assert_no_secrets(status.text, demo, query["state"])

    for text in (page.text, debug_logs.text):
        assert_no_secrets(text, demo, query["state"], code)
    assert "agol-jupyter" in debug_logs.text  # the logs were captured at all


async def test_status_filters(browser: Browser, demo: DemoPortal) -> None:
    _, authorize = await begin(browser, profile="work")
    assert (await browser.get(await walk(demo, authorize))).status_code == 200
    cases = [
        ({}, 1),
        ({"profile": "work"}, 1),
        ({"profile": "default"}, 0),
        ({"portal": demo.root_url + "/home/"}, 1),
        ({"portal": "https://other.example.com/portal"}, 0),
        ({"client_id": "someotherapp"}, 0),
    ]
    for params, count in cases:
        answer = await browser.get("agol/api/status", params=params)
        assert answer.status_code == 200, (params, answer.text)
        assert len(answer.json()["sessions"]) == count, params


async def test_kernels_inherit_the_settings(
    jp_serverapp: Any, demo: DemoPortal, store_dir: Path
) -> None:
    settings = locations.ServerSettings.from_env()
    assert settings is not None
    assert settings.portal_url == demo.root_url
    assert settings.client_id == demo.client_id
    assert settings.ca_bundle == str(demo.ca_path)
    assert settings.store_dir == str(store_dir)
    assert settings.base_url == jp_serverapp.base_url


async def test_sign_out_revokes_and_forgets(
    browser: Browser, demo: DemoPortal, store_dir: Path
) -> None:
    _, authorize = await begin(browser)
    assert (await browser.get(await walk(demo, authorize))).status_code == 200
    key = credential_key(demo.root_url, demo.client_id, "default")
    creds = CredentialStore(store_dir).get(key)
    assert creds is not None and creds.refresh_token
    revocations = demo.stats()["revocations"]

    answer = await browser.post_json("agol/api/logout", {})
    assert answer.status_code == 200, answer.text
    assert answer.json()["signed_out"] is True and answer.json()["revoked"] is True
    assert demo.stats()["revocations"] == revocations + 1
    assert CredentialStore(store_dir).get(key) is None
    assert (await browser.get("agol/api/status")).json()["sessions"] == []

    # The portal no longer honours the refresh token.
    refreshed = requests.post(
        f"{demo.rest_url}/oauth2/token",
        data={
            "client_id": demo.client_id,
            "grant_type": "refresh_token",
            "refresh_token": creds.refresh_token,
            "f": "json",
        },
        verify=str(demo.ca_path),
        timeout=30,
    ).json()
    assert "error" in refreshed and "access_token" not in refreshed

    again = await browser.post_json("agol/api/logout", {"portal": demo.root_url})
    assert again.status_code == 200
    assert again.json() == {
        "signed_out": True,
        "revoked": False,
        "message": f"There was no saved session for {demo.root_url}.",
    }


@pytest.mark.agol(refresh_token_minutes=60)
async def test_refresh_token_life_is_asked_for(
    browser: Browser, demo: DemoPortal, store_dir: Path
) -> None:
    before = time.time()
    _, authorize = await begin(browser)
    assert query_of(authorize)["expiration"] == "60"
    assert (await browser.get(await walk(demo, authorize))).status_code == 200
    [creds] = CredentialStore(store_dir).all()
    assert creds.refresh_expires_at is not None
    assert before + 3600 - 60 <= creds.refresh_expires_at <= time.time() + 3600 + 60
