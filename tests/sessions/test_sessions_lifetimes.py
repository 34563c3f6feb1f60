"""A GIS over time, with short token lives set on the demo portal: access tokens refresh ahead
of expiry, refresh tokens with under a day left rotate, a refresh token that runs out (or that
the portal's clock takes for expired) ends the session with words, never arcgis's traceback."""

from __future__ import annotations

import dataclasses
import time

import pytest

import agol_jupyter
from agol_jupyter import errors
from agol_jupyter.demo import DemoPortal
from agol_jupyter.refresh import EXPIRY_MARGIN
from agol_jupyter.store import CredentialStore
from tests.sessions.session_helpers import delta, grants, save_session

# Access tokens that stay "fresh" (outside the five-minute margin) for two seconds.
SHORT_ACCESS = EXPIRY_MARGIN + 2


def titles(gis: object) -> set[str]:
    return {item.title for item in gis.content.search("*")}  # type: ignore[attr-defined]


def test_access_tokens_refresh_ahead_of_expiry(demo: DemoPortal, store: CredentialStore) -> None:
    demo.config.access_token_seconds = SHORT_ACCESS
    key = save_session(demo, store).key
    gis = agol_jupyter.connect()
    first = store.get(key)
    before, rejected = grants(demo), demo.stats()["counts"].get("invalid_token", 0)

    time.sleep(3)
    assert "Field Office Overview" in titles(gis)
    time.sleep(3)
    assert "Field Sites" in titles(gis)

    assert delta(before, grants(demo)) == {"refresh_token": 2, "exchange_refresh_token": 0}
    assert demo.stats()["counts"].get("invalid_token", 0) == rejected  # never sent a stale one
    last = store.get(key)
    assert first and last and last.access_token != first.access_token
    assert last.refresh_token == first.refresh_token


def test_refresh_tokens_rotate_when_under_a_day_is_left(
    demo: DemoPortal, store: CredentialStore
) -> None:
    demo.config.access_token_seconds = SHORT_ACCESS
    demo.config.refresh_token_seconds = 3600  # under a day from the start
    key = save_session(demo, store).key
    gis = agol_jupyter.connect()
    seen = {store.get(key).refresh_token}  # type: ignore[union-attr]
    before = grants(demo)

    for _ in range(2):
        time.sleep(3)
        assert "Field Sites" in titles(gis)
        seen.add(store.get(key).refresh_token)  # type: ignore[union-attr]

    assert delta(before, grants(demo)) == {"refresh_token": 0, "exchange_refresh_token": 2}
    assert len(seen) == 3  # each rotation saved a new refresh token
    saved = store.get(key)
    assert saved and saved.refresh_expires_at and saved.refresh_expires_at > time.time() + 3000


def test_refresh_token_runs_out(demo: DemoPortal, store: CredentialStore) -> None:
    demo.config.access_token_seconds = SHORT_ACCESS
    demo.config.refresh_token_seconds = 3
    save_session(demo, store)
    gis = agol_jupyter.connect()
    time.sleep(4)

    with pytest.raises(errors.SessionExpired) as caught:
        gis.content.search("*")
    assert "has expired" in caught.value.message and "ended" in caught.value.message
    assert "agol-jupyter login" in caught.value.remedy
    with pytest.raises(errors.SessionExpired) as again:
        agol_jupyter.connect()
    assert "ran out at" in again.value.message


def test_portal_clock_ahead_of_ours(demo: DemoPortal, store: CredentialStore) -> None:
    demo.config.refresh_token_seconds = 1200
    save_session(demo, store)
    gis = agol_jupyter.connect()
    # The portal's clock jumps an hour ahead: its access and refresh tokens are expired for it,
    # while this machine's clock says the session has twenty minutes left.
    demo.config.clock_offset_seconds = 3600

    with pytest.raises(errors.SessionExpired) as caught:
        gis.content.search("*")
    assert "the portal's clock may be ahead of this computer's" in caught.value.message


def test_a_portal_clock_hours_ahead_is_survived(demo: DemoPortal, store: CredentialStore) -> None:
    save_session(demo, store)
    gis = agol_jupyter.connect()
    # The portal's clock (and its Date header) jumps three hours ahead: the access token is
    # expired for it, the refresh token is not. Expiries are kept as "expires_in" from our
    # clock, so the one retry after the 498 gets a token both clocks accept.
    demo.config.clock_offset_seconds = 3 * 3600
    before = demo.stats()["token_requests"].get("refresh_token", 0)
    assert len(gis.content.search("*")) > 0
    assert demo.stats()["token_requests"].get("refresh_token", 0) == before + 1


def test_clock_skew_is_named(demo: DemoPortal, store: CredentialStore) -> None:
    key = save_session(demo, store).key
    gis = agol_jupyter.connect()
    tokens = gis.session.auth.tokens
    # This machine's clock is three hours behind the portal's (its Date header); the portal
    # takes every token for expired, even one just issued.
    tokens.clock = lambda: time.time() - 3 * 3600
    demo.config.access_token_seconds = 0
    store.update(key, lambda c: c and dataclasses.replace(c, access_token="stale"))

    with pytest.raises(errors.SessionExpired) as caught:
        gis.content.search("*")
    assert "its clock is 3 hours ahead of this computer's" in caught.value.message
    assert "clock right" in caught.value.remedy


def test_a_fresh_token_refused_by_the_portal_is_our_error(
    demo: DemoPortal, store: CredentialStore
) -> None:
    key = save_session(demo, store).key
    gis = agol_jupyter.connect()
    demo.config.access_token_seconds = 0  # the portal refuses even tokens it just issued
    store.update(key, lambda c: c and dataclasses.replace(c, access_token="stale"))
    with pytest.raises(errors.SessionExpired) as caught:
        gis.content.search("*")
    assert "even after renewing it" in caught.value.message
    assert "clock" not in caught.value.message  # the clocks agree: no talk of skew


def test_rotation_refused_for_the_redirect_uri_keeps_the_session(
    demo: DemoPortal, store: CredentialStore
) -> None:
    demo.config.access_token_seconds = SHORT_ACCESS
    demo.config.refresh_token_seconds = 3600
    key = save_session(demo, store).key
    gis = agol_jupyter.connect()
    old = store.get(key)
    # The redirect URI the session was made with is no longer registered on the app: the
    # portal refuses the exchange; a plain refresh carries the session on until it ends.
    demo.config.allow_loopback_redirects = False
    demo.config.redirect_uris = []
    before = grants(demo)

    time.sleep(3)
    assert "Field Sites" in titles(gis)

    assert delta(before, grants(demo)) == {"refresh_token": 1, "exchange_refresh_token": 1}
    new = store.get(key)
    assert old and new and new.refresh_token == old.refresh_token
    assert new.access_token != old.access_token
