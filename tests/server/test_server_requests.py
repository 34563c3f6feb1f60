"""What the endpoints accept: XSRF, authentication, the fallback sign-in page, and junk or
hostile values (always a 4xx, never a 500, nothing reflected unescaped)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any

import pytest
from conftest import Browser
from test_server_signin import new_request_id

from agol_jupyter.demo import DemoPortal
from agol_jupyter.server.handlers import ServerContext

RID = "r" * 24
HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "ünïcødé ☃ \u202e ltr",
    "x" * 10_000,
    "../../etc/passwd",
    "javascript:alert(1)",
]


class Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"method": a.get("method"), "action": a.get("action"), "fields": {}})
        elif tag == "input" and self.forms:
            self.forms[-1]["fields"][a.get("name")] = a.get("value")
        elif tag == "script":
            self.scripts += 1


def parse(html: str) -> Forms:
    parser = Forms()
    parser.feed(html)
    return parser


def assert_not_reflected(text: str, value: str) -> None:
    if any(c in value for c in '<>"'):
        assert value not in text


# -- XSRF and authentication ------------------------------------------------------------------


async def test_post_flows_needs_the_xsrf_token(browser: Browser, context: ServerContext) -> None:
    refused = await browser.post_json("agol/api/flows", {"request_id": RID}, xsrf=False)
    assert refused.status_code == 403
    assert refused.json()["error"] == "forbidden" and refused.json()["remedy"]
    assert len(context.flows) == 0
    accepted = await browser.post_json("agol/api/flows", {"request_id": RID})
    assert accepted.status_code == 200
    assert len(context.flows) == 1


async def test_post_logout_needs_the_xsrf_token(browser: Browser) -> None:
    refused = await browser.post_json("agol/api/logout", {}, xsrf=False)
    assert refused.status_code == 403


async def test_cross_origin_post_is_refused(browser: Browser, context: ServerContext) -> None:
    answer = await browser.post_json(
        "agol/api/flows", {"request_id": RID}, headers={"Origin": "https://evil.example"}
    )
    assert 400 <= answer.status_code < 500
    assert len(context.flows) == 0


async def test_token_authenticated_requests_skip_xsrf(jp_fetch: Any) -> None:
    # Jupyter's own rule: a request carrying the server token (jp_fetch sends it) needs no
    # XSRF token, since another site cannot know the token.
    answer = await jp_fetch(
        "agol", "api", "flows", method="POST", body=json.dumps({"request_id": RID})
    )
    assert answer.code == 200
    assert "agol/start?flow=" in json.loads(answer.body)["start_url"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "agol/api/status", 403),
        ("POST", "agol/api/flows", 403),
        ("POST", "agol/api/logout", 403),
        ("GET", "agol/login", 302),
        ("GET", "agol/start", 302),
        ("GET", "agol/callback", 403),
    ],
)
async def test_unauthenticated(
    new_browser: Any, context: ServerContext, method: str, path: str, status: int
) -> None:
    stranger: Browser = await new_browser(signed_in=False)
    answer = await stranger.request(method, path, params={"request_id": RID}, json={})
    assert answer.status_code == status
    if status == 302:
        assert "/login" in answer.headers["Location"]
    assert len(context.flows) == 0


# -- the fallback sign-in page ----------------------------------------------------------------


async def test_login_page_is_a_form_and_starts_nothing(
    browser: Browser, demo: DemoPortal, context: ServerContext
) -> None:
    request_id = new_request_id()
    page = await browser.get("agol/login", params={"request_id": request_id, "profile": "work"})
    assert page.status_code == 200
    assert f"Sign in to {demo.root_url}" in page.text
    assert "script-src 'nonce-" in page.headers["Content-Security-Policy"]
    parsed = parse(page.text)
    assert parsed.scripts == 0
    [form] = parsed.forms
    assert form["method"] == "post" and form["action"].endswith("agol/login")
    assert form["fields"]["_xsrf"]
    assert form["fields"]["request_id"] == request_id
    assert form["fields"]["portal"] == demo.root_url
    assert form["fields"]["client_id"] == demo.client_id
    assert form["fields"]["profile"] == "work"
    assert len(context.flows) == 0

    # Pressing the button starts the flow and goes on to the portal.
    submitted = await browser.request("POST", form["action"], data=form["fields"])
    assert submitted.status_code == 303
    assert len(context.flows) == 1
    start = await browser.get(submitted.headers["Location"])
    assert start.status_code == 302
    assert start.headers["Location"].startswith(f"{demo.rest_url}/oauth2/authorize?")


async def test_login_form_post_needs_the_xsrf_field(
    browser: Browser, context: ServerContext
) -> None:
    page = await browser.get("agol/login", params={"request_id": RID})
    fields = parse(page.text).forms[0]["fields"]
    del fields["_xsrf"]
    answer = await browser.request("POST", "agol/login", data=fields)
    assert answer.status_code == 403
    assert "text/html" in answer.headers["Content-Type"]
    assert len(context.flows) == 0


# -- junk and hostile values ------------------------------------------------------------------

GET_CASES = [
    ("agol/callback", {}),
    ("agol/callback", {"code": "abc"}),
    ("agol/start", {}),
    ("agol/login", {}),
    *[("agol/callback", {"code": v, "state": v}) for v in HOSTILE],
    *[("agol/callback", {"error": v, "error_description": v, "state": v}) for v in HOSTILE],
    *[("agol/start", {"flow": v}) for v in HOSTILE],
    *[("agol/login", {"request_id": v}) for v in HOSTILE],
    *[("agol/login", {"request_id": RID, "portal": v}) for v in HOSTILE],
    *[("agol/login", {"request_id": RID, "client_id": v}) for v in HOSTILE],
    *[("agol/login", {"request_id": RID, "profile": v}) for v in HOSTILE],
    *[("agol/api/status", {"portal": v}) for v in HOSTILE if v != "../../etc/passwd"],
    *[("agol/api/status", {"profile": v}) for v in HOSTILE],
]


@pytest.mark.parametrize(("path", "params"), GET_CASES)
async def test_junk_query_values(browser: Browser, path: str, params: dict[str, str]) -> None:
    answer = await browser.get(path, params=params)
    assert 400 <= answer.status_code < 500, answer.text[:300]
    for value in params.values():
        assert_not_reflected(answer.text, value)
    if path.startswith("agol/api/"):
        assert set(answer.json()) == {"error", "message", "remedy"}


async def test_undecodable_query(browser: Browser) -> None:
    for path in (
        "agol/callback?code=%ff&state=%fe",
        "agol/start?flow=%ff",
        "agol/login?portal=%c3",
    ):
        answer = await browser.get(path)
        assert answer.status_code == 400, path


POST_CASES = [
    ("agol/api/flows", b"", 400, "invalid_request_id"),
    ("agol/api/flows", b"not json", 400, "bad_request"),
    ("agol/api/flows", b"[1, 2]", 400, "bad_request"),
    ("agol/api/flows", b'{"request_id": 5}', 400, "bad_request"),
    ("agol/api/flows", b'{"request_id": "short"}', 400, "invalid_request_id"),
    ("agol/api/flows", b'{"request_id": "' + b"r" * 200 + b'"}', 400, "invalid_request_id"),
    *[
        ("agol/api/flows", json.dumps({"request_id": RID, "portal": v}).encode(), 400, None)
        for v in HOSTILE
    ],
    *[
        ("agol/api/flows", json.dumps({"request_id": RID, "client_id": v}).encode(), 400, None)
        for v in HOSTILE
    ],
    *[
        ("agol/api/flows", json.dumps({"request_id": RID, "profile": v}).encode(), 400, None)
        for v in HOSTILE
    ],
    ("agol/api/logout", b"not json", 400, "bad_request"),
    ("agol/api/logout", json.dumps({"portal": HOSTILE[0]}).encode(), 400, "portal_url_error"),
    ("agol/api/logout", json.dumps({"profile": HOSTILE[1]}).encode(), 400, "configuration_error"),
]


@pytest.mark.parametrize(("path", "body", "status", "kind"), POST_CASES)
async def test_junk_json_bodies(
    browser: Browser,
    context: ServerContext,
    path: str,
    body: bytes,
    status: int,
    kind: str | None,
) -> None:
    headers = {"Content-Type": "application/json", "X-XSRFToken": await browser.xsrf()}
    answer = await browser.request("POST", path, data=body, headers=headers)
    assert answer.status_code == status, answer.text[:300]
    reply = answer.json()
    assert set(reply) == {"error", "message", "remedy"}
    if kind:
        assert reply["error"] == kind
    assert_not_reflected(answer.text, body.decode())
    assert len(context.flows) == 0


@pytest.mark.parametrize(
    ("settings", "body", "status", "kind"),
    [
        ({"portal_url": ""}, {}, 400, "configuration_error"),
        ({"client_id": ""}, {}, 400, "configuration_error"),
        (
            {"allowed_portals": ["https://allowed.example.com/portal"]},
            {"portal": "https://other.example.com/portal"},
            403,
            "portal_not_allowed",
        ),
        (
            {"allowed_portals": ["https://allowed.example.com/portal/home"]},
            {"portal": "allowed.example.com/portal/sharing/rest"},
            200,
            None,
        ),
        ({"allowed_portals": ["https://allowed.example.com/portal"]}, {}, 200, None),
    ],
)
async def test_settings_decide_what_may_start(
    jp_server_config: Any,
    new_browser: Any,
    jp_serverapp: Any,
    settings: dict[str, Any],
    body: dict[str, str],
    status: int,
    kind: str | None,
) -> None:
    agol = jp_serverapp.web_app.settings["agol_jupyter"].settings
    for name, value in settings.items():
        setattr(agol, name, value)
    b: Browser = await new_browser()
    answer = await b.post_json("agol/api/flows", {"request_id": RID, **body})
    assert answer.status_code == status, answer.text
    if kind:
        assert answer.json()["error"] == kind


@pytest.mark.parametrize(
    ("env", "setting", "expected"),
    [
        ({}, "", "http://127.0.0.1:{port}{base}agol/callback"),
        (
            {"JUPYTERHUB_SERVICE_PREFIX": "/user/alice/", "JUPYTERHUB_BASE_URL": "/"},
            "",
            "http://127.0.0.1:{port}/hub/user-redirect/agol/callback",
        ),
        (
            {"JUPYTERHUB_SERVICE_PREFIX": "/jh/user/alice/", "JUPYTERHUB_BASE_URL": "/jh/"},
            "",
            "http://127.0.0.1:{port}/jh/hub/user-redirect/agol/callback",
        ),
        (
            {},
            "https://jupyter.example.com/agol/callback",
            "https://jupyter.example.com/agol/callback",
        ),
    ],
)
async def test_redirect_uri(
    browser: Browser,
    jp_serverapp: Any,
    jp_http_port: int,
    jp_base_url: str,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    setting: str,
    expected: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    jp_serverapp.web_app.settings["agol_jupyter"].settings.redirect_uri = setting
    want = expected.format(port=jp_http_port, base=jp_base_url)
    assert (await browser.get("agol/api/status")).json()["redirect_uri"] == want
    answer = await browser.post_json("agol/api/flows", {"request_id": RID})
    assert answer.json()["redirect_uri"] == want
