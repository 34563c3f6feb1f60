"""One GIS over the life of a session: tokens expire, get rejected, the session ends."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from agol_jupyter import errors
from agol_jupyter.demo import DemoPortal
from agol_jupyter.kernel.gis import build_gis
from agol_jupyter.refresh import StoredTokenSource
from tests.gis.gis_helpers import HttpLog, sign_in


def search_titles(gis: object) -> set[str]:
    return {item.title for item in gis.content.search("*")}  # type: ignore[attr-defined]


def test_refresh_ahead_of_expiry(demo: DemoPortal, tmp_path: Path) -> None:
    demo.config.access_token_seconds = 60
    tokens = sign_in(demo, tmp_path / "store", margin=0)
    gis = build_gis(tokens, ca_bundle=str(demo.ca_path))
    first = tokens.credentials().access_token
    demo.config.access_token_seconds = 1800

    # The client's clock passes the token's expiry: the next request refreshes first.
    tokens.clock = lambda: time.time() + 120
    assert "Field Office Overview" in search_titles(gis)
    assert gis.users.get(demo.username).username == demo.username

    stats = demo.stats()
    assert stats["token_requests"].get("refresh_token") == 1
    assert "invalid_token" not in stats["counts"]  # refreshed before the portal said no
    saved = tokens.credentials()
    assert saved.access_token != first
    assert gis._con.token == saved.access_token


def make_portal_clock_jump(demo: DemoPortal, tokens: StoredTokenSource) -> None:
    # The portal's clock runs an hour ahead: it takes the saved token for expired while
    # the client still thinks it is good (clock skew, or an early invalidation).
    demo.config.clock_offset_seconds = 3600


def make_saved_token_stale(demo: DemoPortal, tokens: StoredTokenSource) -> None:
    # The saved access token is one the portal no longer knows (refreshed elsewhere, an
    # older copy of the store...), with an expiry that still looks fine locally.
    tokens.store.update(
        tokens.key, lambda c: c and dataclasses.replace(c, access_token="no-longer-valid")
    )


@pytest.mark.parametrize("make_stale", [make_portal_clock_jump, make_saved_token_stale])
def test_rejected_token_is_refreshed_and_retried_once(
    demo: DemoPortal, tokens: StoredTokenSource, http_log: HttpLog, make_stale: object
) -> None:
    gis = build_gis(tokens, ca_bundle=str(demo.ca_path))
    make_stale(demo, tokens)  # type: ignore[operator]
    http_log.clear()

    assert "Field Office Overview" in search_titles(gis)

    stats = demo.stats()
    assert stats["counts"].get("invalid_token") == 1
    assert stats["token_requests"].get("refresh_token") == 1
    # search (498), oauth2/token, search again with the new token.
    assert [p.rsplit("/", 1)[-1] for p in http_log.paths()] == ["search", "token", "search"]
    assert http_log.sent[0].with_token and http_log.sent[2].with_token
    assert not http_log.sent[1].with_token  # the refresh goes out on its own, not via arcgis

    # The next requests use the new token at once.
    http_log.clear()
    assert gis.users.me.username == demo.username
    assert "Field Sites" in search_titles(gis)
    assert demo.stats()["token_requests"].get("refresh_token") == 1
    assert gis._con.token == tokens.credentials().access_token


def test_signed_out_is_not_anonymous(demo: DemoPortal, tokens: StoredTokenSource) -> None:
    gis = build_gis(tokens, ca_bundle=str(demo.ca_path))
    tokens.store.delete(tokens.key)  # signed out, in this kernel or another process

    with pytest.raises(errors.NotSignedIn) as caught:
        gis.content.search("*")
    assert "signed out" in caught.value.message
    with pytest.raises(errors.NotSignedIn):
        gis._con.token  # noqa: B018
    with pytest.raises(errors.NotSignedIn):
        gis.session.get(f"{demo.rest_url}/community/self", params={"f": "json"})


@pytest.mark.parametrize("locally_expired", [True, False], ids=["expired", "looks-fresh"])
def test_revoked_session(
    demo: DemoPortal, tokens: StoredTokenSource, locally_expired: bool
) -> None:
    gis = build_gis(tokens, ca_bundle=str(demo.ca_path))
    refresh_token = tokens.credentials().refresh_token
    assert refresh_token
    tokens.client.revoke(refresh_token)  # ends its access tokens too
    if locally_expired:
        # refreshed ahead of expiry: the portal refuses the refresh token
        tokens.clock = lambda: time.time() + 3600
    # else: the portal answers 498, the refresh after rejection is refused

    with pytest.raises(errors.SessionExpired) as caught:
        gis.content.search("*")
    assert "Sign in again" in caught.value.remedy
    assert demo.stats()["counts"].get("invalid_token", 0) == (0 if locally_expired else 1)


def test_other_server_that_refuses_tokens_is_asked_without(
    demo: DemoPortal, tokens: StoredTokenSource, http_log: HttpLog
) -> None:
    gis = build_gis(tokens, ca_bundle=str(demo.ca_path))
    # The same demo server under another host name is another origin: for the GIS, a server
    # that is not the portal. Make it refuse every token, fresh ones included.
    other = demo.rest_url.replace("://127.0.0.1:", "://localhost:")
    demo.config.access_token_seconds = 0
    make_saved_token_stale(demo, tokens)
    http_log.clear()

    answer = gis.session.get(f"{other}/search", params={"q": "*", "f": "json"}).json()

    assert answer["total"] >= 1  # public items, as anyone may see them
    assert [(r.path.rsplit("/", 1)[-1], r.with_token) for r in http_log.sent] == [
        ("search", True),  # 498
        ("token", False),  # refresh after the rejection
        ("search", True),  # 498 again, with the fresh token
        ("search", False),  # asked without a token
    ]
    http_log.clear()
    gis.session.get(f"{other}/search", params={"q": "*", "f": "json"})
    assert [r.with_token for r in http_log.sent] == [False]  # no token for it from now on
