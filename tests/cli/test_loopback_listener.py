"""The loopback listener in this process against the demo portal, the browser walked with
``requests`` (tests/support/signin_walk.py): outcomes, strays, single use, escaping."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import requests

from agol_jupyter import errors
from agol_jupyter.demo import DemoPortal
from agol_jupyter.loopback import (
    CALLBACK_PATH,
    LoopbackSignIn,
    SignInLink,
    default_port,
    display_sign_in_link,
    no_browser_hint,
    redirect_uri_for,
    sign_in_with_loopback,
)
from agol_jupyter.oauth import OAuthClient
from agol_jupyter.portal import PortalURL, normalize_portal_url
from agol_jupyter.store import CredentialStore
from tests.support.signin_walk import CancelAt, walk_signin

from .conftest import assert_no_secrets

HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


@pytest.fixture
def portal(demo: DemoPortal) -> PortalURL:
    return normalize_portal_url(demo.root_url)


@pytest.fixture
def store(store_dir: Path) -> CredentialStore:
    return CredentialStore(store_dir)


@pytest.fixture
def sign_in(
    demo: DemoPortal, portal: PortalURL, store: CredentialStore
) -> Iterator[LoopbackSignIn]:
    with LoopbackSignIn(
        portal, demo.client_id, store=store, ca_bundle=str(demo.ca_path), return_to="the test"
    ) as listener:
        yield listener


def walk(demo: DemoPortal, url: str, cancel_at: CancelAt | None = None) -> str:
    return walk_signin(
        url,
        username=demo.username,
        password=demo.password,
        ca_path=demo.ca_path,
        cancel_at=cancel_at,
    )


def browser_get(url: str) -> requests.Response:
    """What the browser does with the portal's redirect: GET it, plain HTTP on loopback."""
    with requests.Session() as s:
        s.trust_env = False
        return s.get(url, timeout=30, allow_redirects=False)


def callback(sign_in: LoopbackSignIn, **query: str) -> requests.Response:
    return browser_get(f"{sign_in.redirect_uri}?{urlencode(query)}")


def test_signs_in_and_saves_the_session_like_the_server_callback(
    demo: DemoPortal, sign_in: LoopbackSignIn, store: CredentialStore, portal: PortalURL
) -> None:
    assert sign_in.redirect_uri == f"http://127.0.0.1:{sign_in.port}{CALLBACK_PATH}"
    sign_in.check_registration()
    answer = browser_get(walk(demo, sign_in.authorize_url))
    assert answer.status_code == 200
    assert "Signed in to Demo Field Office" in answer.text
    assert "Signed in as alice (Alice Example)" in answer.text
    assert "go back to the test" in answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    assert "<script" not in answer.text

    creds = sign_in.wait(30)
    assert (creds.username, creds.full_name, creds.org_name) == (
        "alice",
        "Alice Example",
        "Demo Field Office",
    )
    assert creds.portal == portal.root and creds.client_id == demo.client_id
    assert creds.profile == "default" and creds.redirect_uri == sign_in.redirect_uri
    assert creds.ca_bundle == str(demo.ca_path)
    assert creds.refresh_token and creds.refresh_expires_at
    saved = store.get(creds.key)
    assert saved is not None and saved.access_token == creds.access_token
    # The saved refresh token works, with the redirect URI saved beside it.
    client = OAuthClient(portal, demo.client_id, ca_bundle=str(demo.ca_path))
    assert client.refresh(creds.refresh_token).username == "alice"
    assert client.exchange_refresh_token(creds.refresh_token, creds.redirect_uri).refresh_token
    assert "state" not in repr(sign_in) and creds.access_token not in repr(creds)


def exchanges(demo: DemoPortal) -> int:
    return int(demo.stats()["token_requests"].get("authorization_code", 0))


def test_the_state_is_single_use(demo: DemoPortal, sign_in: LoopbackSignIn) -> None:
    before = exchanges(demo)
    location = walk(demo, sign_in.authorize_url)
    assert browser_get(location).status_code == 200
    again = browser_get(location)  # a reload of the success page
    assert again.status_code == 409
    assert "used already" in again.text
    sign_in.wait(30)
    assert exchanges(demo) == before + 1


def test_wrong_state_gets_an_error_page_and_the_real_sign_in_still_finishes(
    demo: DemoPortal, sign_in: LoopbackSignIn, store: CredentialStore
) -> None:
    location = walk(demo, sign_in.authorize_url)
    code = dict(p.split("=", 1) for p in urlsplit(location).query.split("&"))["code"]
    stray = callback(sign_in, code=code, state="not-the-state")
    assert stray.status_code == 400
    assert "not the sign-in answer agol-jupyter is waiting for" in stray.text
    assert "still waiting" in stray.text
    # A forged cancel does not end the sign-in either.
    assert callback(sign_in, error="access_denied", state="forged").status_code == 400
    assert callback(sign_in, code=code).status_code == 400  # no state at all
    assert store.all() == []
    assert sign_in.stray_requests == 3
    assert browser_get(location).status_code == 200
    assert sign_in.wait(30).username == "alice"


def test_other_paths_methods_and_host_names_are_refused(sign_in: LoopbackSignIn) -> None:
    base = f"http://127.0.0.1:{sign_in.port}"
    assert browser_get(f"{base}/favicon.ico").status_code == 404
    with requests.Session() as s:
        s.trust_env = False
        assert s.post(sign_in.redirect_uri, data={"code": "x"}, timeout=10).status_code == 405
        rebound = s.get(sign_in.redirect_uri, headers={"Host": "evil.example"}, timeout=10)
    assert rebound.status_code == 421


def test_cancel_at_the_idp(
    demo: DemoPortal, sign_in: LoopbackSignIn, store: CredentialStore
) -> None:
    answer = browser_get(walk(demo, sign_in.authorize_url, cancel_at="idp"))
    assert answer.status_code == 200
    assert "Sign-in cancelled" in answer.text
    assert "Run the sign-in again" in answer.text
    with pytest.raises(errors.SignInCancelled, match="cancelled at"):
        sign_in.wait(30)
    assert store.all() == []


def test_hostile_values_are_escaped(sign_in: LoopbackSignIn) -> None:
    # With the right state (only this process knows it) the portal's error text is shown...
    state = urlsplit(sign_in.authorize_url).query.split("state=")[1].split("&")[0]
    answer = callback(sign_in, state=state, error=HOSTILE, error_description=HOSTILE)
    assert answer.status_code == 400
    assert "<script>" not in answer.text and "<img" not in answer.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text
    with pytest.raises(errors.PortalResponseError, match="ended the sign-in with an error"):
        sign_in.wait(30)


def test_hostile_values_with_a_wrong_state_are_not_echoed(sign_in: LoopbackSignIn) -> None:
    answer = callback(sign_in, state=HOSTILE, code=HOSTILE, error=HOSTILE)
    assert answer.status_code == 400
    assert "alert" not in answer.text


def test_an_unusable_code_ends_the_sign_in_with_the_portal_error(
    demo: DemoPortal, sign_in: LoopbackSignIn, store: CredentialStore
) -> None:
    location = walk(demo, sign_in.authorize_url)
    demo.revoke_all()  # the code dies before the listener can exchange it
    answer = browser_get(location)
    assert answer.status_code == 400
    assert "Sign-in did not finish" in answer.text
    with pytest.raises(errors.PortalResponseError):
        sign_in.wait(30)
    assert store.all() == []


def test_timeout_then_a_late_answer(demo: DemoPortal, sign_in: LoopbackSignIn) -> None:
    before = exchanges(demo)
    location = walk(demo, sign_in.authorize_url)
    with pytest.raises(errors.SignInTimeout) as raised:
        sign_in.wait(0.3)
    assert "within 0.3 seconds" in raised.value.message
    assert "--timeout" in raised.value.remedy
    late = browser_get(location)
    assert late.status_code == 409 and "Too late" in late.text
    assert exchanges(demo) == before


def test_cancel_from_another_thread(sign_in: LoopbackSignIn) -> None:
    threading.Timer(0.3, sign_in.cancel).start()
    with pytest.raises(errors.SignInCancelled):
        sign_in.wait(30)


def test_port_in_use(demo: DemoPortal, portal: PortalURL, store: CredentialStore) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(errors.LoopbackPortUnavailable) as raised:
            LoopbackSignIn(portal, demo.client_id, store=store, port=port)
    assert f"Port {port} on 127.0.0.1 is already in use" in raised.value.message
    assert "--port" in raised.value.remedy


def test_a_chosen_port_registered_exactly(
    demo: DemoPortal, portal: PortalURL, store: CredentialStore
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    demo.config.update(
        {"allow_loopback_redirects": False, "redirect_uris": [redirect_uri_for(port)]}
    )
    with LoopbackSignIn(
        portal, demo.client_id, store=store, ca_bundle=str(demo.ca_path), port=port
    ) as sign_in:
        sign_in.check_registration()
        assert browser_get(walk(demo, sign_in.authorize_url)).status_code == 200
        assert sign_in.wait(30).redirect_uri == f"http://127.0.0.1:{port}/agol/callback"


def test_the_same_fixed_port_twice_in_a_row(
    demo: DemoPortal, portal: PortalURL, store: CredentialStore
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for _ in range(2):  # the first one's closed connections must not block the second
        with LoopbackSignIn(
            portal, demo.client_id, store=store, ca_bundle=str(demo.ca_path), port=port
        ) as sign_in:
            assert browser_get(walk(demo, sign_in.authorize_url)).status_code == 200
            sign_in.wait(30)


def test_the_port_from_the_environment() -> None:
    assert default_port({}) == 0
    assert default_port({"AGOL_LOOPBACK_PORT": " 8765 "}) == 8765
    with pytest.raises(errors.LoopbackPortUnavailable, match="is not a port number"):
        default_port({"AGOL_LOOPBACK_PORT": "70000"})


def test_a_redirect_uri_the_portal_refuses_names_one_to_register(
    demo: DemoPortal, sign_in: LoopbackSignIn
) -> None:
    demo.config.update({"allow_loopback_redirects": False})
    with pytest.raises(errors.InvalidRedirectUri) as raised:
        sign_in.check_registration()
    assert "http://127.0.0.1:8765/agol/callback" in raised.value.remedy
    assert "--port 8765" in raised.value.remedy
    assert raised.value.redirect_uri == "http://127.0.0.1:8765/agol/callback"


def test_sign_in_with_loopback_opens_the_link_and_returns_the_session(
    demo: DemoPortal, portal: PortalURL, store: CredentialStore
) -> None:
    shown: list[str] = []
    pages: list[requests.Response] = []

    def browser(url: str) -> None:
        thread = threading.Thread(target=lambda: pages.append(browser_get(walk(demo, url))))
        thread.start()

    creds = sign_in_with_loopback(
        portal,
        demo.client_id,
        store=store,
        profile="field",
        ca_bundle=str(demo.ca_path),
        open_browser=browser,
        on_url=shown.append,
        timeout=60,
    )
    assert creds.profile == "field" and store.get(creds.key) is not None
    assert len(shown) == 1 and "/oauth2/authorize?" in shown[0]


def test_no_browser_on_the_machine_explains_the_ssh_route(
    demo: DemoPortal,
    portal: PortalURL,
    store: CredentialStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"):
        monkeypatch.delenv(name, raising=False)
    messages: list[str] = []

    def show(url: str) -> None:  # the person opens the link elsewhere
        threading.Thread(target=lambda: browser_get(walk(demo, url))).start()

    creds = sign_in_with_loopback(
        portal,
        demo.client_id,
        store=store,
        ca_bundle=str(demo.ca_path),
        on_url=show,
        on_message=messages.append,
        timeout=60,
    )
    assert creds.username == "alice"
    port = urlsplit(creds.redirect_uri).port
    assert messages == [no_browser_hint(port or 0)]
    assert f"ssh -L {port}:127.0.0.1:{port}" in messages[0]
    assert "agol-jupyter login --no-browser" in messages[0]


def test_the_link_for_notebooks_and_terminals(capsys: pytest.CaptureFixture[str]) -> None:
    link = SignInLink(f"https://example.test/authorize?x={HOSTILE}", portal=HOSTILE)
    html = link._repr_html_()
    assert "<script>" not in html and "<img" not in html
    assert 'target="_blank" rel="noopener noreferrer"' in html
    assert repr(link).startswith("Open this link to sign in to ")
    display_sign_in_link("https://example.test/authorize?x=1", "Demo")  # no IPython shell here
    assert "https://example.test/authorize?x=1" in capsys.readouterr().err


def test_nothing_secret_in_pages_or_errors(
    demo: DemoPortal, sign_in: LoopbackSignIn, capsys: pytest.CaptureFixture[str]
) -> None:
    text = browser_get(walk(demo, sign_in.authorize_url)).text
    creds = sign_in.wait(30)
    captured = capsys.readouterr()
    assert_no_secrets(text + captured.out + captured.err + repr(creds) + repr(sign_in), demo)
