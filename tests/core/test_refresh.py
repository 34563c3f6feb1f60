"""StoredTokenSource against the demo portal: refresh ahead of expiry, rotation, single flight."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from agol_jupyter import errors
from agol_jupyter.demo import DemoPortal
from agol_jupyter.oauth import OAuthClient
from agol_jupyter.refresh import StoredTokenSource
from agol_jupyter.store import Credentials, CredentialStore


def token_requests(demo: DemoPortal, grant: str) -> int:
    return int(demo.stats()["token_requests"].get(grant, 0))


def source(
    store_dir: Path, session: Credentials, client: OAuthClient, **kw: object
) -> StoredTokenSource:
    store = CredentialStore(store_dir)
    store.put(session)
    return StoredTokenSource(store, session.key, client, **kw)  # type: ignore[arg-type]


def test_fresh_token_needs_no_portal(
    demo: DemoPortal, store_dir: Path, session: Credentials, client: OAuthClient
) -> None:
    before = token_requests(demo, "refresh_token")
    tokens = source(store_dir, session, client)
    assert tokens.token() == session.access_token
    assert token_requests(demo, "refresh_token") == before


def test_refreshes_ahead_of_expiry_and_saves(
    demo: DemoPortal, store_dir: Path, session: Credentials, client: OAuthClient
) -> None:
    later = session.access_expires_at - 60  # inside the five-minute margin
    tokens = source(store_dir, session, client, clock=lambda: later)
    before = token_requests(demo, "refresh_token")
    fresh = tokens.token()
    assert fresh != session.access_token
    assert token_requests(demo, "refresh_token") == before + 1
    saved = CredentialStore(store_dir).get(session.key)
    assert saved is not None and saved.access_token == fresh
    assert saved.refresh_token == session.refresh_token  # a plain refresh keeps it


def test_rotates_when_the_refresh_token_has_under_a_day(
    demo: DemoPortal, store_dir: Path, session: Credentials, client: OAuthClient
) -> None:
    assert session.refresh_expires_at
    near_end = session.refresh_expires_at - 3600
    tokens = source(store_dir, session, client, clock=lambda: near_end)
    before = token_requests(demo, "exchange_refresh_token")
    tokens.token()
    assert token_requests(demo, "exchange_refresh_token") == before + 1
    saved = CredentialStore(store_dir).get(session.key)
    assert saved is not None and saved.refresh_token != session.refresh_token
    assert session.refresh_token
    with pytest.raises(errors.RefreshTokenExpired):  # the portal killed the old one
        client.refresh(session.refresh_token)


def test_threads_share_one_refresh(
    demo: DemoPortal, store_dir: Path, session: Credentials, client: OAuthClient
) -> None:
    session.access_expires_at = time.time() + 60  # inside the five-minute margin
    store = CredentialStore(store_dir)
    store.put(session)
    before = token_requests(demo, "refresh_token")
    got: list[str] = []
    barrier = threading.Barrier(8)

    def work() -> None:
        tokens = StoredTokenSource(store, session.key, client)
        barrier.wait()
        got.append(tokens.token())

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert token_requests(demo, "refresh_token") == before + 1
    assert len(set(got)) == 1 and got[0] != session.access_token


def test_rejected_token_is_replaced_once(
    demo: DemoPortal, store_dir: Path, session: Credentials, client: OAuthClient
) -> None:
    tokens = source(store_dir, session, client)
    before = token_requests(demo, "refresh_token")
    new = tokens.refresh_after_rejection(session.access_token)
    assert new != session.access_token
    # A second process rejected the same old token: it picks up the new one, no portal call.
    other = StoredTokenSource(CredentialStore(store_dir), session.key, client)
    assert other.refresh_after_rejection(session.access_token) == new
    assert token_requests(demo, "refresh_token") == before + 1


def test_expired_session_says_how_to_sign_in_again(
    demo: DemoPortal, store_dir: Path, session: Credentials, client: OAuthClient
) -> None:
    assert session.refresh_expires_at
    after = session.refresh_expires_at + 60
    tokens = source(store_dir, session, client, clock=lambda: after)
    with pytest.raises(errors.SessionExpired) as caught:
        tokens.token()
    assert demo.username in caught.value.message and "good until" in caught.value.message
    assert "agol_jupyter.login()" in caught.value.remedy


def test_revoked_session(
    demo: DemoPortal, store_dir: Path, session: Credentials, client: OAuthClient
) -> None:
    assert session.refresh_token
    client.revoke(session.refresh_token)
    tokens = source(store_dir, session, client, clock=lambda: session.access_expires_at + 1)
    with pytest.raises(errors.SessionExpired) as caught:
        tokens.token()
    assert "revoked or signed out" in caught.value.message


def test_signed_out(store_dir: Path, session: Credentials, client: OAuthClient) -> None:
    tokens = source(store_dir, session, client)
    CredentialStore(store_dir).delete(session.key)
    with pytest.raises(errors.NotSignedIn) as caught:
        tokens.token()
    assert "signed out" in caught.value.message


def test_no_refresh_token(store_dir: Path, session: Credentials, client: OAuthClient) -> None:
    session.refresh_token = None
    session.refresh_expires_at = None
    tokens = source(store_dir, session, client, clock=lambda: time.time() + 3600)
    with pytest.raises(errors.SessionExpired, match="no refresh token"):
        tokens.token()
