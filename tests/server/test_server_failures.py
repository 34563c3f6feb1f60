"""Sign-ins that cannot finish: each ends with a readable 4xx page, the outcome written for the
waiting kernel where one is known, and no secret in a page or a log line."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import Browser, ServerLog, query_of, walk
from test_server_signin import begin, new_request_id

from agol_jupyter.demo import DemoPortal
from agol_jupyter.server.handlers import ServerContext
from agol_jupyter.store import CredentialStore, FlowResults


def outcome(store_dir: Path, request_id: str) -> dict[str, Any]:
    result = FlowResults(store_dir).read(request_id)
    assert result is not None, "no outcome was written for the waiting kernel"
    return result


def assert_page(response: Any, status: int, *phrases: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    for phrase in phrases:
        assert phrase in response.text, phrase


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_unknown_state(browser: Browser) -> None:
    page = await browser.get("agol/callback", params={"code": "abc", "state": "nosuchstate"})
    assert_page(page, 400, "does not belong to any sign-in", "Click the sign-in button")


async def test_missing_state(browser: Browser) -> None:
    page = await browser.get("agol/callback", params={"code": "abc"})
    assert_page(page, 400, "missing its state")


async def test_state_reused(browser: Browser, demo: DemoPortal, store_dir: Path) -> None:
    request_id, authorize = await begin(browser)
    callback = await walk(demo, authorize)
    assert (await browser.get(callback)).status_code == 200
    again = await browser.get(callback)
    assert_page(again, 409, "used already")
    assert outcome(store_dir, request_id)["status"] == "ok"  # the second visit changed nothing


async def test_state_expired(
    browser: Browser, demo: DemoPortal, store_dir: Path, context: ServerContext
) -> None:
    request_id, authorize = await begin(browser)
    callback = await walk(demo, authorize)
    context.flows.clock = lambda: time.monotonic() + 3600  # an hour later
    page = await browser.get(callback)
    assert_page(page, 410, "expired", "agol-jupyter:done")
    result = outcome(store_dir, request_id)
    assert (result["status"], result["error"]) == ("error", "state_expired")
    assert CredentialStore(store_dir).all() == []


async def test_start_link_expired_and_single_use(
    browser: Browser, store_dir: Path, context: ServerContext
) -> None:
    answer = await browser.post_json("agol/api/flows", {"request_id": new_request_id()})
    start_url = answer.json()["start_url"]
    assert (await browser.get(start_url)).status_code == 302
    assert_page(await browser.get(start_url), 409, "opened already")

    request_id = new_request_id()
    answer = await browser.post_json("agol/api/flows", {"request_id": request_id})
    context.flows.clock = lambda: time.monotonic() + 3600
    assert_page(await browser.get(answer.json()["start_url"]), 410, "expired")
    assert outcome(store_dir, request_id)["error"] == "flow_expired"


@pytest.mark.agol(flow_timeout=0.001)
async def test_tiny_flow_timeout(browser: Browser) -> None:
    answer = await browser.post_json("agol/api/flows", {"request_id": new_request_id()})
    assert answer.json()["expires_in"] == 0.001
    time.sleep(0.01)
    assert_page(await browser.get(answer.json()["start_url"]), 410, "expired")


async def test_flow_of_another_user(
    browser: Browser, new_browser: Any, demo: DemoPortal, store_dir: Path
) -> None:
    # Without a shared login cookie, Jupyter gives each browser its own (anonymous) user.
    other = await new_browser()
    answer = await browser.post_json("agol/api/flows", {"request_id": new_request_id()})
    start_url = answer.json()["start_url"]
    assert_page(await other.get(start_url), 403, "different Jupyter user")

    start = await browser.get(start_url)  # still usable by its owner
    assert start.status_code == 302
    callback = await walk(demo, start.headers["Location"])
    assert_page(await other.get(callback), 403, "different Jupyter user")
    assert_page(await browser.get(callback), 409, "used already")  # spent by the wrong visit
    assert CredentialStore(store_dir).all() == []


@pytest.mark.parametrize("cancel_at", ["portal", "idp"])
async def test_cancelled(
    browser: Browser, demo: DemoPortal, store_dir: Path, cancel_at: str
) -> None:
    request_id, authorize = await begin(browser)
    callback = await walk(demo, authorize, cancel_at=cancel_at)
    assert query_of(callback)["error"] == "access_denied"
    page = await browser.get(callback)
    message = f"Sign-in was cancelled at {demo.root_url}."
    assert_page(page, 400, message, '"status": "cancelled"', "agol-jupyter:done")
    assert outcome(store_dir, request_id) == {
        "status": "cancelled",
        "message": message,
        "remedy": "Click the sign-in button to try again.",
        "finished_at": outcome(store_dir, request_id)["finished_at"],
    }
    assert CredentialStore(store_dir).all() == []


async def test_other_portal_error_in_callback(browser: Browser, store_dir: Path) -> None:
    request_id = new_request_id()
    answer = await browser.post_json("agol/api/flows", {"request_id": request_id})
    start = await browser.get(answer.json()["start_url"])
    state = query_of(start.headers["Location"])["state"]
    page = await browser.get(
        "agol/callback",
        params={"error": "server_error", "error_description": "<b>down</b>", "state": state},
    )
    assert_page(page, 400, "&lt;b&gt;down&lt;/b&gt;")
    assert "<b>down</b>" not in page.text
    assert outcome(store_dir, request_id)["status"] == "error"


async def test_bad_code(browser: Browser, demo: DemoPortal, store_dir: Path) -> None:
    request_id, authorize = await begin(browser)
    callback = await walk(demo, authorize)
    bogus = callback.replace(query_of(callback)["code"], "not-the-code")
    page = await browser.get(bogus)
    assert_page(page, 400, "did not accept the sign-in code")
    assert outcome(store_dir, request_id)["error"] == "invalid_grant"


async def test_missing_code(browser: Browser, store_dir: Path) -> None:
    request_id = new_request_id()
    answer = await browser.post_json("agol/api/flows", {"request_id": request_id})
    start = await browser.get(answer.json()["start_url"])
    state = query_of(start.headers["Location"])["state"]
    assert_page(
        await browser.get("agol/callback", params={"state": state}), 400, "no authorization"
    )
    assert outcome(store_dir, request_id)["status"] == "error"


async def test_unregistered_redirect_uri(
    browser: Browser, demo: DemoPortal, store_dir: Path
) -> None:
    demo.config.update({"allow_loopback_redirects": False, "redirect_uris": []})
    request_id = new_request_id()
    answer = await browser.post_json("agol/api/flows", {"request_id": request_id})
    redirect_uri = answer.json()["redirect_uri"]
    assert redirect_uri == browser.url("agol/callback")
    page = await browser.get(answer.json()["start_url"])
    assert_page(
        page,
        400,
        "Register this Jupyter server",
        f"<code>{redirect_uri}</code>",
        f"<code>{demo.client_id}</code>",
        "Settings &gt; Registered Info &gt; Redirect URLs",
        "agol-jupyter:done",
    )
    result = outcome(store_dir, request_id)
    assert (result["error"], result["redirect_uri"]) == ("invalid_redirect_uri", redirect_uri)
    assert redirect_uri in result["remedy"]

    # Registered: the same server now gets through.
    demo.config.update({"redirect_uris": [redirect_uri]})
    _, authorize = await begin(browser)
    assert (await browser.get(await walk(demo, authorize))).status_code == 200


@pytest.mark.agol(client_id="nosuchapp")
async def test_unknown_client_id(browser: Browser, store_dir: Path) -> None:
    request_id = new_request_id()
    answer = await browser.post_json("agol/api/flows", {"request_id": request_id})
    page = await browser.get(answer.json()["start_url"])
    assert_page(page, 400, "does not know the client id", "<code>nosuchapp</code>")
    assert outcome(store_dir, request_id)["error"] == "invalid_client_id"


@pytest.mark.agol(portal_timeout=1)
async def test_portal_too_slow(browser: Browser, demo: DemoPortal, store_dir: Path) -> None:
    request_id, authorize = await begin(browser)
    callback = await walk(demo, authorize)
    demo.config.update({"delay_seconds": 3})  # the token endpoint answers late
    page = await browser.get(callback)
    assert_page(page, 424, "did not answer within 1 seconds")
    assert outcome(store_dir, request_id)["error"] == "portal_unreachable"
    assert CredentialStore(store_dir).all() == []


@pytest.mark.agol(portal_url=f"https://127.0.0.1:{closed_port()}/portal")
async def test_portal_down(browser: Browser, store_dir: Path) -> None:
    request_id = new_request_id()
    answer = await browser.post_json("agol/api/flows", {"request_id": request_id})
    assert answer.status_code == 200
    page = await browser.get(answer.json()["start_url"])
    assert_page(page, 424, "The portal did not answer", "Could not reach the portal")
    assert outcome(store_dir, request_id)["error"] == "portal_unreachable"


async def test_sign_out_while_portal_down(
    browser: Browser, demo: DemoPortal, store_dir: Path, context: ServerContext
) -> None:
    _, authorize = await begin(browser)
    assert (await browser.get(await walk(demo, authorize))).status_code == 200
    # The portal moves away: revocation cannot reach it.
    [creds] = CredentialStore(store_dir).all()
    moved = f"https://127.0.0.1:{closed_port()}/portal"
    CredentialStore(store_dir).delete(creds.key)
    creds.portal = moved
    CredentialStore(store_dir).put(creds)
    answer = await browser.post_json("agol/api/logout", {"portal": moved})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["signed_out"] is True and body["revoked"] is False
    assert "could not be told" in body["message"]
    assert CredentialStore(store_dir).all() == []


async def test_unauthenticated_callback_is_refused_without_redirect(
    new_browser: Any, debug_logs: ServerLog
) -> None:
    stranger = await new_browser(signed_in=False)
    code = "CODE-" + new_request_id()
    page = await stranger.get("agol/callback", params={"code": code, "state": "S" * 40})
    assert_page(page, 403, "not signed in to Jupyter")
    assert code not in debug_logs.text and "S" * 40 not in debug_logs.text
