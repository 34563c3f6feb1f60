"""``agol-jupyter login --no-browser`` as a subprocess, the sign-in done in real headless
Chromium against the demo portal; then ``status`` and ``logout`` on the saved session."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from agol_jupyter import errors
from agol_jupyter.demo import DemoPortal
from agol_jupyter.oauth import OAuthClient
from agol_jupyter.portal import normalize_portal_url

from .conftest import Cli, assert_no_secrets


def sign_in_in_browser(
    context: BrowserContext, url: str, demo: DemoPortal, *, cancel: bool
) -> Page:
    """What a person does with the printed link: open it, pick the org's login, sign in."""
    page = context.new_page()
    page.goto(url)
    page.locator("#enterprise-login").click()
    page.wait_for_url(f"{demo.idp_origin}/**")
    if cancel:
        page.get_by_role("button", name="Cancel").click()
    else:
        page.get_by_label("Username").fill(demo.username)
        page.get_by_label("Password").fill(demo.password)
        page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/agol/callback\?"))
    return page


def test_login_status_logout(cli: Cli, demo: DemoPortal, context: BrowserContext) -> None:
    login = cli.start_login("--no-browser")
    url = login.url()
    assert url.startswith(f"{demo.rest_url}/oauth2/authorize?")
    assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A" in url
    page = sign_in_in_browser(context, url, demo, cancel=False)
    expect(page.get_by_role("heading")).to_have_text("Signed in to Demo Field Office")
    expect(page.locator("main")).to_contain_text("Signed in as alice (Alice Example)")
    expect(page.locator("main")).to_contain_text("go back to the terminal")
    assert login.finish() == 0, login.text()
    said = "".join(login.stdout)
    assert "Signed in to Demo Field Office" in said
    assert "as alice (Alice Example), profile default" in said
    assert login.stderr == ""

    status = cli.run("status")
    assert status.returncode == 0
    assert (
        f"[default] alice (Alice Example) at {demo.root_url} (Demo Field Office)" in status.stdout
    )
    assert "refresh token valid until" in status.stdout

    listing = cli.run("status", "--json")
    assert listing.returncode == 0
    sessions = json.loads(listing.stdout)["sessions"]
    assert [(s["username"], s["profile"], s["portal"]) for s in sessions] == [
        ("alice", "default", demo.root_url)
    ]
    assert sessions[0]["expired"] is False
    assert "access_token" not in sessions[0] and "refresh_token" not in sessions[0]

    refresh_token = demo.stats()["issued"]["refresh_tokens"][-1]
    revocations = demo.stats()["revocations"]
    logout = cli.run("logout")
    assert logout.returncode == 0, logout.stderr
    assert f"Signed out alice of {demo.root_url}" in logout.stdout
    assert "the portal revoked the session" in logout.stdout
    assert demo.stats()["revocations"] == revocations + 1
    client = OAuthClient(
        normalize_portal_url(demo.root_url), demo.client_id, ca_bundle=str(demo.ca_path)
    )
    with pytest.raises(errors.RefreshTokenExpired):
        client.refresh(refresh_token)

    after = cli.run("status")
    assert after.returncode == 0
    assert "No saved ArcGIS sessions" in after.stdout
    assert json.loads(cli.run("status", "--json").stdout)["sessions"] == []
    assert_no_secrets(cli.all_output(), demo)


def test_cancel_at_the_identity_provider(
    cli: Cli, demo: DemoPortal, context: BrowserContext
) -> None:
    login = cli.start_login("--no-browser")
    page = sign_in_in_browser(context, login.url(), demo, cancel=True)
    expect(page.get_by_role("heading")).to_have_text("Sign-in cancelled")
    assert login.finish() == 1
    assert "agol-jupyter login: Sign-in was cancelled at" in login.stderr
    assert "Run `agol-jupyter login` again." in login.stderr
    assert "Traceback" not in login.text()
    assert json.loads(cli.run("status", "--json").stdout)["sessions"] == []
    assert_no_secrets(cli.all_output(), demo)
