"""OAuthClient and portal info against the demo portal, errors included."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from agol_jupyter import errors
from agol_jupyter.demo import DemoPortal
from agol_jupyter.oauth import (
    OAuthClient,
    authorize_url,
    make_code_verifier,
    make_state,
    s256_challenge,
)
from agol_jupyter.portal import PortalURL, fetch_portal_info
from tests.support.signin_walk import walk_signin

from .conftest import REDIRECT_URI


def sign_in_code(demo: DemoPortal, portal: PortalURL) -> tuple[str, str]:
    """A fresh authorization code and its PKCE verifier, made with our own oauth module."""
    verifier, state = make_code_verifier(), make_state()
    url = authorize_url(
        portal,
        client_id=demo.client_id,
        redirect_uri=REDIRECT_URI,
        state=state,
        code_challenge=s256_challenge(verifier),
    )
    location = walk_signin(
        url, username=demo.username, password=demo.password, ca_path=demo.ca_path
    )
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == [state]
    return query["code"][0], verifier


def test_code_exchange_and_who_signed_in(
    demo: DemoPortal, portal: PortalURL, client: OAuthClient
) -> None:
    code, verifier = sign_in_code(demo, portal)
    answer = client.exchange_code(code, REDIRECT_URI, verifier)
    assert answer.username == demo.username
    assert answer.refresh_token and answer.refresh_expires_at
    assert answer.access_token not in repr(answer)
    me = client.community_self(answer.access_token)
    assert me["username"] == demo.username and me["fullName"]


@pytest.mark.parametrize(
    ("spoil", "kind"),
    [
        ("reuse", errors.InvalidGrant),
        ("verifier", errors.InvalidGrant),
        ("redirect", errors.InvalidRedirectUri),
    ],
)
def test_code_exchange_errors(
    demo: DemoPortal, portal: PortalURL, client: OAuthClient, spoil: str, kind: type
) -> None:
    code, verifier = sign_in_code(demo, portal)
    redirect = REDIRECT_URI
    if spoil == "reuse":
        client.exchange_code(code, redirect, verifier)
    elif spoil == "verifier":
        verifier = make_code_verifier()
    else:
        redirect = "http://127.0.0.1:8888/other/callback"
    with pytest.raises(kind) as caught:
        client.exchange_code(code, redirect, verifier)
    assert caught.value.remedy


def test_unknown_client_id(demo: DemoPortal, portal: PortalURL) -> None:
    stranger = OAuthClient(portal, "no-such-app", ca_bundle=str(demo.ca_path))
    with pytest.raises(errors.InvalidClientId):
        stranger.refresh("whatever")
    with pytest.raises(errors.InvalidClientId) as caught:
        stranger.check_authorize(REDIRECT_URI)
    assert "no-such-app" in caught.value.message and "Registered Info" in caught.value.remedy


def test_check_authorize(demo: DemoPortal, client: OAuthClient) -> None:
    client.check_authorize(REDIRECT_URI)  # accepted: no exception
    demo.config.update({"allow_loopback_redirects": False, "redirect_uris": []})
    with pytest.raises(errors.InvalidRedirectUri) as caught:
        client.check_authorize(REDIRECT_URI)
    assert caught.value.redirect_uri == REDIRECT_URI
    assert REDIRECT_URI in caught.value.remedy and "Registered Info" in caught.value.remedy


def test_refresh_rotation_and_revoke(
    demo: DemoPortal, portal: PortalURL, client: OAuthClient
) -> None:
    code, verifier = sign_in_code(demo, portal)
    first = client.exchange_code(code, REDIRECT_URI, verifier)
    assert first.refresh_token
    refreshed = client.refresh(first.refresh_token)
    assert refreshed.access_token != first.access_token and refreshed.refresh_token is None
    rotated = client.exchange_refresh_token(first.refresh_token, REDIRECT_URI)
    assert rotated.refresh_token and rotated.refresh_token != first.refresh_token
    with pytest.raises(errors.RefreshTokenExpired):  # the old refresh token stopped working
        client.refresh(first.refresh_token)
    client.revoke(rotated.refresh_token)
    with pytest.raises(errors.RefreshTokenExpired):
        client.refresh(rotated.refresh_token)


def test_expired_refresh_token(demo: DemoPortal, portal: PortalURL, client: OAuthClient) -> None:
    code, verifier = sign_in_code(demo, portal)
    answer = client.exchange_code(code, REDIRECT_URI, verifier)
    assert answer.refresh_token
    demo.config.update({"clock_offset_seconds": 15 * 86400})
    with pytest.raises(errors.RefreshTokenExpired) as caught:
        client.refresh(answer.refresh_token)
    assert caught.value.code == 498


def test_portal_info(demo: DemoPortal, portal: PortalURL) -> None:
    info = fetch_portal_info(portal, ca_bundle=str(demo.ca_path))
    assert info.name == "Demo Field Office"
    assert info.can_sign_in_idp and info.is_portal
    assert info.thumbnail_url and info.thumbnail_url.startswith(portal.rest)


def test_untrusted_certificate_names_the_fix(portal: PortalURL) -> None:
    with pytest.raises(errors.PortalUnreachable) as caught:
        fetch_portal_info(portal)  # the demo CA is not in the system's trust store
    assert "CA bundle" in caught.value.remedy


def test_slow_portal_times_out(demo: DemoPortal, portal: PortalURL) -> None:
    demo.config.update({"delay_seconds": 3})
    slow = OAuthClient(portal, demo.client_id, ca_bundle=str(demo.ca_path), timeout=0.5)
    with pytest.raises(errors.PortalUnreachable) as caught:
        slow.refresh("anything")
    assert "did not answer within 0.5 seconds" in caught.value.message
