"""The browser side of the demo portal: authorize, the sign-in page, the IdP, the redirect."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from demo_helpers import REDIRECT_URI, Flow

from agol_jupyter.demo import DemoPortal
from tests.support.signin_walk import SignInWalkError, parse_page, walk_signin

DENIED_QUERY = "error=access_denied&error_description=The%20user%20has%20denied%20your%20request"


def _authorize_params(demo: DemoPortal, **changes: str | None) -> dict[str, str]:
    flow = Flow(demo)
    params: dict[str, str | None] = {
        "client_id": demo.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "state": flow.state,
        "code_challenge": flow.challenge,
        "code_challenge_method": "S256",
    }
    params.update(changes)
    return {k: v for k, v in params.items() if v is not None}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"client_id": "nosuchapp"}, "Invalid client_id"),
        ({"client_id": None}, "Invalid client_id"),
        ({"redirect_uri": "https://evil.example/agol/callback"}, "Error 400: Invalid redirect_uri"),
        ({"redirect_uri": "http://127.0.0.1:8765/other/path"}, "Error 400: Invalid redirect_uri"),
        (
            {"redirect_uri": "http://127.0.0.2:8765/agol/callback"},
            "Error 400: Invalid redirect_uri",
        ),
        ({"redirect_uri": "http://u@127.0.0.1:1/agol/callback"}, "Error 400: Invalid redirect_uri"),
        ({"redirect_uri": "http://127.0.0.1:1/agol/callback#x"}, "Error 400: Invalid redirect_uri"),
        ({"redirect_uri": None}, "Error 400: Invalid redirect_uri"),
        ({"response_type": "token"}, "Invalid response_type"),
        ({"code_challenge": None}, "Invalid code_challenge"),
        ({"code_challenge": "tooshort"}, "Invalid code_challenge"),
        ({"code_challenge_method": "plain"}, "Invalid code_challenge_method"),
        ({"code_challenge_method": None}, "Invalid code_challenge_method"),
        ({"expiration": "soon"}, "Invalid expiration"),
        ({"expiration": "0"}, "Invalid expiration"),
    ],
)
def test_authorize_errors_are_html_400_pages_that_never_redirect(
    demo: DemoPortal, http: requests.Session, changes: dict[str, str | None], message: str
) -> None:
    r = http.get(f"{demo.rest_url}/oauth2/authorize", params=_authorize_params(demo, **changes))
    assert r.status_code == 400
    assert "Location" not in r.headers
    assert r.headers["Content-Type"].startswith("text/html")
    assert message in parse_page(r.text).text


def test_unregistered_redirect_when_loopback_default_is_off(
    demo: DemoPortal, http: requests.Session
) -> None:
    demo.config.update({"allow_loopback_redirects": False})
    r = http.get(f"{demo.rest_url}/oauth2/authorize", params=_authorize_params(demo))
    assert r.status_code == 400
    assert "Error 400: Invalid redirect_uri" in r.text
    demo.config.update({"redirect_uris": [REDIRECT_URI]})
    r = http.get(f"{demo.rest_url}/oauth2/authorize", params=_authorize_params(demo))
    assert r.status_code == 200


@pytest.mark.parametrize(
    "uri",
    [
        "http://localhost:1/agol/callback",
        "http://127.0.0.1:65000/user/bob/agol/callback",
        "https://localhost:8888/lab/agol/callback",
        "http://[::1]:8888/agol/callback",
    ],
)
def test_loopback_callbacks_are_accepted_by_default(
    demo: DemoPortal, http: requests.Session, uri: str
) -> None:
    r = http.get(
        f"{demo.rest_url}/oauth2/authorize", params=_authorize_params(demo, redirect_uri=uri)
    )
    assert r.status_code == 200


def test_registered_redirect_uri_matches_exactly_ignoring_query(
    demo: DemoPortal, http: requests.Session
) -> None:
    demo.config.update({"redirect_uris": ["https://hub.example/hub/user-redirect/agol/callback"]})
    ok = "https://hub.example/hub/user-redirect/agol/callback?next=1"
    bad = "https://hub.example/hub/user-redirect/agol/callback2"
    url = f"{demo.rest_url}/oauth2/authorize"
    assert http.get(url, params=_authorize_params(demo, redirect_uri=ok)).status_code == 200
    assert http.get(url, params=_authorize_params(demo, redirect_uri=bad)).status_code == 400


def test_signin_page_shows_org_logo_enterprise_button_and_cancel(
    demo: DemoPortal, http: requests.Session
) -> None:
    r = http.get(Flow(demo).url)
    assert r.status_code == 200
    page = parse_page(r.text)
    assert "Demo Field Office" in page.text
    texts = [text for text, _ in page.links]
    assert "Sign in with Demo IdP" in texts
    assert "Cancel" in texts
    assert 'src="/portal/sharing/rest/portals/self/resources/thumbnail.png"' in r.text


def test_walk_signin_returns_code_and_state(demo: DemoPortal) -> None:
    flow = Flow(demo)
    location = walk_signin(
        flow.url, username=demo.username, password=demo.password, ca_path=demo.ca_path
    )
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == REDIRECT_URI
    query = parse_qs(parts.query)
    assert query["state"] == [flow.state]
    assert len(query["code"][0]) >= 20


@pytest.mark.parametrize("where", ["portal", "idp"])
def test_cancel_redirects_with_access_denied(demo: DemoPortal, where: str) -> None:
    flow = Flow(demo)
    location = walk_signin(
        flow.url,
        username=demo.username,
        password=demo.password,
        ca_path=demo.ca_path,
        cancel_at=where,  # type: ignore[arg-type]
    )
    assert location == f"{REDIRECT_URI}?{DENIED_QUERY}&state={flow.state}"


def test_query_on_redirect_uri_is_kept(demo: DemoPortal) -> None:
    flow = Flow(demo, redirect_uri="http://localhost:9999/agol/callback?kernel=k1")
    location = walk_signin(
        flow.url, username=demo.username, password=demo.password, ca_path=demo.ca_path
    )
    assert location.startswith("http://localhost:9999/agol/callback?kernel=k1&code=")
    flow = Flow(demo, redirect_uri="http://localhost:9999/agol/callback?kernel=k1")
    location = walk_signin(
        flow.url,
        username=demo.username,
        password=demo.password,
        ca_path=demo.ca_path,
        cancel_at="portal",
    )
    assert location == (
        f"http://localhost:9999/agol/callback?kernel=k1&{DENIED_QUERY}&state={flow.state}"
    )


def test_wrong_password_shows_the_form_again(demo: DemoPortal) -> None:
    with pytest.raises(SignInWalkError, match="Incorrect username or password"):
        walk_signin(Flow(demo).url, username="alice", password="nope", ca_path=demo.ca_path)
    with pytest.raises(SignInWalkError, match="Incorrect username or password"):
        walk_signin(Flow(demo).url, username="bob", password=demo.password, ca_path=demo.ca_path)


def test_idp_is_another_origin_and_cuts_the_opener(
    demo: DemoPortal, http: requests.Session
) -> None:
    page = parse_page(http.get(Flow(demo).url).text)
    button = next(href for text, href in page.links if text.startswith("Sign in with"))
    to_idp = http.get(f"{demo.root_url.split('/portal')[0]}{button}", allow_redirects=False)
    assert to_idp.status_code == 302
    location = to_idp.headers["Location"]
    assert location.startswith(f"{demo.idp_origin}/idp/sso?SAMLRequest=")
    assert urlsplit(demo.idp_origin).netloc != urlsplit(demo.root_url).netloc
    login = http.get(location)
    assert login.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert 'for="username">Username</label>' in login.text
    assert 'for="password">Password</label>' in login.text


def test_saml_response_is_checked(demo: DemoPortal, http: requests.Session) -> None:
    url = f"{demo.rest_url}/oauth2/saml/signin"
    r = http.post(url, data={"SAMLResponse": "Zm9v", "RelayState": "x"}, allow_redirects=False)
    assert r.status_code == 400
    assert "Location" not in r.headers
    r = http.get(url, allow_redirects=False)
    assert r.status_code == 400


def test_saml_response_is_bound_to_its_sign_in(demo: DemoPortal, http: requests.Session) -> None:
    # An IdP answer for one sign-in replayed with another sign-in's RelayState is refused.
    first = parse_page(http.get(Flow(demo).url).text)
    second = parse_page(http.get(Flow(demo).url).text)
    relay = [
        parse_qs(urlsplit(next(h for t, h in p.links if t == "Cancel")).query)["oauth_state"][0]
        for p in (first, second)
    ]
    enterprise = next(h for t, h in first.links if t.startswith("Sign in with"))
    to_idp = http.get(f"{demo.root_url.split('/portal')[0]}{enterprise}", allow_redirects=False)
    login_page = parse_page(http.get(to_idp.headers["Location"]).text)
    fields = {**login_page.forms[0].fields, "username": "alice", "password": demo.password}
    answer = parse_page(http.post(f"{demo.idp_origin}/idp/sso", data=fields).text)
    saml = answer.forms[0].fields
    replay = http.post(
        f"{demo.rest_url}/oauth2/saml/signin",
        data={"SAMLResponse": saml["SAMLResponse"], "RelayState": relay[1]},
        allow_redirects=False,
    )
    assert replay.status_code == 400
    genuine = http.post(f"{demo.rest_url}/oauth2/saml/signin", data=saml, allow_redirects=False)
    assert genuine.status_code == 302
    assert "code=" in genuine.headers["Location"]
    again = http.post(f"{demo.rest_url}/oauth2/saml/signin", data=saml, allow_redirects=False)
    assert again.status_code == 400  # the sign-in is used up


def test_stale_signin_page_is_refused(demo: DemoPortal, http: requests.Session) -> None:
    page = parse_page(http.get(Flow(demo).url).text)
    cancel = next(h for t, h in page.links if t == "Cancel")
    base = demo.root_url.split("/portal")[0]
    assert http.get(base + cancel, allow_redirects=False).status_code == 302
    assert http.get(base + cancel, allow_redirects=False).status_code == 400
    bogus = f"{demo.rest_url}/oauth2/saml/authorize?{urlencode({'oauth_state': 'nope'})}"
    assert http.get(bogus, allow_redirects=False).status_code == 400


def test_idp_rejects_a_forged_saml_request(demo: DemoPortal, http: requests.Session) -> None:
    r = http.get(f"{demo.idp_origin}/idp/sso", params={"SAMLRequest": "Zm9v", "RelayState": "x"})
    assert r.status_code == 400
