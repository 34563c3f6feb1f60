"""The token endpoint and revocation, against ARCGIS_FACTS.md's table."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
import requests
from demo_helpers import REDIRECT_URI, Flow, signed_in, token_request

from agol_jupyter.demo import DemoPortal

ARCGIS_ERROR_KEYS = {"code", "error", "error_description", "message", "details"}


def _error(body: dict[str, Any]) -> tuple[int, str, str]:
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == ARCGIS_ERROR_KEYS
    assert error["message"] == error["error_description"]
    assert error["details"] == []
    return error["code"], error["error"], error["error_description"]


def _me(http: requests.Session, demo: DemoPortal, token: str) -> dict[str, Any]:
    r = http.get(
        f"{demo.rest_url}/community/self",
        params={"f": "json"},
        headers={"X-Esri-Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200
    body: dict[str, Any] = r.json()
    return body


def _alive(http: requests.Session, demo: DemoPortal, token: str) -> bool:
    body = _me(http, demo, token)
    if "error" in body:
        assert body == {"error": {"code": 498, "message": "Invalid token.", "details": []}}
        return False
    return bool(body["username"] == demo.username)


def test_authorization_code_grant(demo: DemoPortal, http: requests.Session) -> None:
    flow = Flow(demo)
    body = token_request(http, demo, **flow.exchange_params(flow.code()))
    assert set(body) == {
        "access_token",
        "expires_in",
        "username",
        "ssl",
        "refresh_token",
        "refresh_token_expires_in",
    }
    assert body["expires_in"] == 1800
    assert body["refresh_token_expires_in"] == 20160 * 60
    assert body["username"] == "alice"
    assert body["ssl"] is True
    assert _alive(http, demo, body["access_token"])


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"client_id": "other"}, (400, "invalid_client_id", "Invalid client_id")),
        ({"client_id": ""}, (400, "invalid_request", "client_id not specified")),
        ({"grant_type": "password"}, (400, "unsupported_grant_type", "Unsupported grant_type")),
        ({"grant_type": ""}, (400, "invalid_request", "grant_type not specified")),
        ({"code": ""}, (400, "invalid_request", "code not specified")),
        ({"code": "made-up"}, (400, "invalid_grant", "Invalid authorization code")),
        ({"redirect_uri": ""}, (400, "invalid_request", "redirect_uri not specified")),
        (
            {"redirect_uri": "http://localhost:8765/agol/callback"},
            (400, "invalid_grant", "Invalid redirect_uri"),
        ),
        ({"code_verifier": ""}, (400, "invalid_request", "code_verifier not specified")),
        ({"code_verifier": "x" * 43}, (400, "invalid_grant", "Invalid code_verifier")),
        ({"code_verifier": "short"}, (400, "invalid_grant", "Invalid code_verifier")),
    ],
)
def test_authorization_code_errors(
    demo: DemoPortal,
    http: requests.Session,
    change: dict[str, str],
    expected: tuple[int, str, str],
) -> None:
    flow = Flow(demo)
    params = {**flow.exchange_params(flow.code()), **change}
    assert _error(token_request(http, demo, **params)) == expected


def test_challenge_is_s256_of_the_verifier_not_plain(
    demo: DemoPortal, http: requests.Session
) -> None:
    flow = Flow(demo)
    params = flow.exchange_params(flow.code())
    params["code_verifier"] = flow.challenge  # what a client mixing them up would send
    assert _error(token_request(http, demo, **params))[2] == "Invalid code_verifier"
    # The S256 computed here agrees with the portal's.
    digest = hashlib.sha256(flow.verifier.encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == flow.challenge


def test_code_is_single_use_even_after_a_failed_attempt(
    demo: DemoPortal, http: requests.Session
) -> None:
    flow = Flow(demo)
    code = flow.code()
    good = flow.exchange_params(code)
    assert "access_token" in token_request(http, demo, **good)
    assert _error(token_request(http, demo, **good))[2] == "Invalid authorization code"

    flow = Flow(demo)
    good = flow.exchange_params(flow.code())
    wrong = {**good, "code_verifier": "y" * 43}
    assert _error(token_request(http, demo, **wrong))[2] == "Invalid code_verifier"
    assert _error(token_request(http, demo, **good))[2] == "Invalid authorization code"


def test_code_expires(demo: DemoPortal, http: requests.Session) -> None:
    flow = Flow(demo)
    code = flow.code()
    demo.config.update({"clock_offset_seconds": demo.config.code_seconds + 1})
    expected = (400, "invalid_grant", "Authorization code expired")
    assert _error(token_request(http, demo, **flow.exchange_params(code))) == expected


def test_token_endpoint_takes_post_form_only(demo: DemoPortal, http: requests.Session) -> None:
    flow = Flow(demo)
    params = flow.exchange_params(flow.code())
    r = http.get(f"{demo.rest_url}/oauth2/token", params=params)
    assert r.status_code == 200
    assert r.json()["error"]["code"] == 405
    r = http.post(f"{demo.rest_url}/oauth2/token", json=params)
    assert _error(r.json())[2] == "client_id not specified"
    # The GET did not use the code up.
    assert "access_token" in token_request(http, demo, **params)


def test_refresh_token_grant_gives_a_new_access_token_only(
    demo: DemoPortal, http: requests.Session
) -> None:
    first = signed_in(http, demo)
    # arcgis's own refresh sends the OOB redirect_uri along; it is ignored.
    body = token_request(
        http,
        demo,
        client_id=demo.client_id,
        grant_type="refresh_token",
        refresh_token=first["refresh_token"],
        redirect_uri="urn:ietf:wg:oauth:2.0:oob",
    )
    assert set(body) == {"access_token", "expires_in", "username", "ssl"}
    assert body["access_token"] != first["access_token"]
    assert _alive(http, demo, body["access_token"])
    assert _alive(http, demo, first["access_token"])


def test_exchange_refresh_token_rotates(demo: DemoPortal, http: requests.Session) -> None:
    first = signed_in(http, demo)
    refreshed = token_request(
        http,
        demo,
        client_id=demo.client_id,
        grant_type="refresh_token",
        refresh_token=first["refresh_token"],
    )
    body = token_request(
        http,
        demo,
        client_id=demo.client_id,
        grant_type="exchange_refresh_token",
        refresh_token=first["refresh_token"],
        redirect_uri=REDIRECT_URI,
    )
    assert set(body) == {
        "access_token",
        "expires_in",
        "username",
        "ssl",
        "refresh_token",
        "refresh_token_expires_in",
    }
    assert body["refresh_token"] != first["refresh_token"]
    assert _alive(http, demo, body["access_token"])
    # The old refresh token and every access token it gave stop working.
    assert not _alive(http, demo, first["access_token"])
    assert not _alive(http, demo, refreshed["access_token"])
    for grant in ("refresh_token", "exchange_refresh_token"):
        old = token_request(
            http,
            demo,
            client_id=demo.client_id,
            grant_type=grant,
            refresh_token=first["refresh_token"],
            redirect_uri=REDIRECT_URI,
        )
        assert _error(old) == (400, "invalid_grant", "Invalid refresh_token")
    again = token_request(
        http,
        demo,
        client_id=demo.client_id,
        grant_type="refresh_token",
        refresh_token=body["refresh_token"],
    )
    assert "access_token" in again


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"refresh_token": ""}, (400, "invalid_request", "refresh_token not specified")),
        ({"refresh_token": "made-up"}, (400, "invalid_grant", "Invalid refresh_token")),
        ({"client_id": "other"}, (400, "invalid_client_id", "Invalid client_id")),
        ({"redirect_uri": ""}, (400, "invalid_request", "redirect_uri not specified")),
        (
            {"redirect_uri": "https://evil.example/agol/callback"},
            (400, "invalid_request", "Invalid redirect_uri"),
        ),
    ],
)
def test_exchange_refresh_token_errors(
    demo: DemoPortal,
    http: requests.Session,
    change: dict[str, str],
    expected: tuple[int, str, str],
) -> None:
    first = signed_in(http, demo)
    params = {
        "client_id": demo.client_id,
        "grant_type": "exchange_refresh_token",
        "refresh_token": first["refresh_token"],
        "redirect_uri": REDIRECT_URI,
        **change,
    }
    assert _error(token_request(http, demo, **params)) == expected
    assert _alive(http, demo, first["access_token"])  # a failed exchange changes nothing


def test_expired_refresh_token_is_498(demo: DemoPortal, http: requests.Session) -> None:
    first = signed_in(http, demo)
    demo.config.update({"clock_offset_seconds": first["refresh_token_expires_in"] + 1})
    for grant in ("refresh_token", "exchange_refresh_token"):
        body = token_request(
            http,
            demo,
            client_id=demo.client_id,
            grant_type=grant,
            refresh_token=first["refresh_token"],
            redirect_uri=REDIRECT_URI,
        )
        assert _error(body) == (498, "invalid_grant", "refresh_token expired")


def test_expiration_sets_the_refresh_token_life(demo: DemoPortal, http: requests.Session) -> None:
    assert signed_in(http, demo, expiration="60")["refresh_token_expires_in"] == 3600
    capped = signed_in(http, demo, expiration="999999")
    assert capped["refresh_token_expires_in"] == 129600 * 60
    demo.config.update({"refresh_token_seconds": 90, "access_token_seconds": 30})
    short = signed_in(http, demo)
    assert (short["refresh_token_expires_in"], short["expires_in"]) == (90, 30)


def test_access_token_expires(demo: DemoPortal, http: requests.Session) -> None:
    body = signed_in(http, demo)
    assert _alive(http, demo, body["access_token"])
    demo.config.update({"clock_offset_seconds": body["expires_in"] + 1})
    assert not _alive(http, demo, body["access_token"])


def test_revoke_refresh_token_revokes_its_access_tokens(
    demo: DemoPortal, http: requests.Session
) -> None:
    body = signed_in(http, demo)
    before = demo.stats()["revocations"]
    r = http.post(
        f"{demo.rest_url}/oauth2/revokeToken",
        data={
            "auth_token": body["refresh_token"],
            "token_type_hint": "refresh_token",
            "client_id": demo.client_id,
            "f": "json",
        },
    )
    assert r.status_code == 200
    assert r.json() == {"success": True}
    assert demo.stats()["revocations"] == before + 1
    assert not _alive(http, demo, body["access_token"])
    refresh = token_request(
        http,
        demo,
        client_id=demo.client_id,
        grant_type="refresh_token",
        refresh_token=body["refresh_token"],
    )
    assert _error(refresh) == (400, "invalid_grant", "Invalid refresh_token")


def test_revoke_access_token_only(demo: DemoPortal, http: requests.Session) -> None:
    body = signed_in(http, demo)
    url = f"{demo.rest_url}/oauth2/revokeToken"
    data = {"auth_token": body["access_token"], "client_id": demo.client_id, "f": "json"}
    assert http.post(url, data=data).json() == {"success": True}
    assert not _alive(http, demo, body["access_token"])
    refresh = token_request(
        http,
        demo,
        client_id=demo.client_id,
        grant_type="refresh_token",
        refresh_token=body["refresh_token"],
    )
    assert "access_token" in refresh


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"auth_token": "unknown", "client_id": "agoljupyterdemo"}, None),
        (
            {"auth_token": "x", "client_id": "other"},
            (400, "invalid_client_id", "Invalid client_id"),
        ),
        ({"client_id": "agoljupyterdemo"}, (400, "invalid_request", "auth_token not specified")),
    ],
)
def test_revoke_errors(
    demo: DemoPortal,
    http: requests.Session,
    data: dict[str, str],
    expected: tuple[int, str, str] | None,
) -> None:
    body = http.post(f"{demo.rest_url}/oauth2/revokeToken", data={**data, "f": "json"}).json()
    if expected is None:
        assert body == {"success": True}  # RFC 7009: unknown tokens are not an error
    else:
        assert _error(body) == expected


def test_revoke_all_ends_every_session(demo: DemoPortal, http: requests.Session) -> None:
    body = signed_in(http, demo)
    demo.revoke_all()
    assert not _alive(http, demo, body["access_token"])


def test_delay_makes_a_client_timeout_happen(demo: DemoPortal, http: requests.Session) -> None:
    flow = Flow(demo)
    params = flow.exchange_params(flow.code())
    demo.config.update({"delay_seconds": 2})
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.post(f"{demo.rest_url}/oauth2/token", data=params, timeout=0.5)
    demo.config.update({"delay_seconds": 0})
    # As with a real server, the code was redeemed even though the answer was lost.
    assert _error(token_request(http, demo, **params))[2] == "Invalid authorization code"


def test_stats_count_grants_and_list_every_secret(demo: DemoPortal, http: requests.Session) -> None:
    before = demo.stats()
    body = signed_in(http, demo)
    token_request(
        http,
        demo,
        client_id=demo.client_id,
        grant_type="refresh_token",
        refresh_token=body["refresh_token"],
    )
    after = demo.stats()
    for grant in ("authorization_code", "refresh_token"):
        assert after["token_requests"][grant] == before["token_requests"].get(grant, 0) + 1
    issued = after["issued"]
    assert body["access_token"] in issued["access_tokens"]
    assert body["refresh_token"] in issued["refresh_tokens"]
    assert len(issued["codes"]) == len(before["issued"]["codes"]) + 1
