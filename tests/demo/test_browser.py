"""The sign-in pages in real headless Chromium: clicks, the IdP form, the auto-posted SAML
form, and the IdP's Cross-Origin-Opener-Policy cutting ``window.opener``."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from demo_helpers import Flow
from playwright.sync_api import BrowserContext, Page

from agol_jupyter.demo import DemoPortal


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


CALLBACK = f"http://127.0.0.1:{_unused_port()}/agol/callback"  # nothing listens there
OPENER_REPORT = (
    "<!DOCTYPE html><title>callback</title><script>"
    "document.title = window.opener === null ? 'no-opener' : 'has-opener';</script>"
)


def _sign_in_at_idp(page: Page, demo: DemoPortal) -> None:
    page.get_by_role("link", name="Sign in with Demo IdP").click()
    page.wait_for_url(f"{demo.idp_origin}/idp/sso?**")
    page.get_by_label("Username").fill(demo.username)
    page.get_by_label("Password").fill(demo.password)
    page.get_by_role("button", name="Sign in").click()


def test_chromium_signs_in_to_a_loopback_redirect(
    demo: DemoPortal, context: BrowserContext
) -> None:
    flow = Flow(demo, redirect_uri=CALLBACK)
    page = context.new_page()
    page.goto(flow.url)
    assert page.title() == "Sign in to Demo Field Office"
    logo = page.get_by_role("img", name="Demo Field Office logo")
    assert logo.evaluate("img => img.naturalWidth") == 128
    with page.expect_request(lambda r: r.url.startswith(CALLBACK)) as callback:
        _sign_in_at_idp(page, demo)  # the SAML form posts itself (JavaScript)
    query = parse_qs(urlsplit(callback.value.url).query)
    assert query["state"] == [flow.state]
    assert query["code"]


def test_chromium_wrong_password_then_cancel(demo: DemoPortal, context: BrowserContext) -> None:
    flow = Flow(demo, redirect_uri=CALLBACK)
    page = context.new_page()
    page.goto(flow.url)
    page.get_by_role("link", name="Sign in with Demo IdP").click()
    page.get_by_label("Username").fill(demo.username)
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "Incorrect username or password."
    with page.expect_request(lambda r: r.url.startswith(CALLBACK)) as callback:
        page.get_by_role("button", name="Cancel").click()  # formnovalidate: empty fields are fine
    query = parse_qs(urlsplit(callback.value.url).query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == [flow.state]


class _OpenerReport(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = OPENER_REPORT.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the query string carries the code


@pytest.fixture
def callback_server() -> Iterator[str]:
    """A loopback page at ``/agol/callback`` that reports whether it still has an opener."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OpenerReport)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/agol/callback"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("through_idp", "expected"), [(True, "no-opener"), (False, "has-opener")])
def test_idp_coop_cuts_the_popup_opener(
    demo: DemoPortal,
    context: BrowserContext,
    callback_server: str,
    through_idp: bool,
    expected: str,
) -> None:
    flow = Flow(demo, redirect_uri=callback_server)
    opener = context.new_page()
    opener.goto(f"{demo.root_url}/home")
    with context.expect_page() as popup_info:
        opener.evaluate("url => { window.open(url, 'agol-signin'); }", flow.url)
    popup = popup_info.value
    popup.wait_for_load_state()
    if through_idp:
        _sign_in_at_idp(popup, demo)
    else:
        popup.get_by_role("link", name="Cancel").click()
    popup.wait_for_url(f"{callback_server}?**")
    popup.wait_for_function("document.title !== 'callback'")
    assert popup.title() == expected
