"""Finishing a sign-in: the saved session, and the session it replaces revoked at the portal."""

from __future__ import annotations

from pathlib import Path
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
from agol_jupyter.signin import complete_sign_in, save_session
from agol_jupyter.store import CredentialStore
from tests.support.signin_walk import walk_signin

from .conftest import REDIRECT_URI


def sign_in(demo: DemoPortal, client: OAuthClient, store: CredentialStore) -> str:
    """A whole sign-in, saved; returns the session's refresh token."""
    verifier, state = make_code_verifier(), make_state()
    url = authorize_url(
        client.portal,
        client_id=client.client_id,
        redirect_uri=REDIRECT_URI,
        state=state,
        code_challenge=s256_challenge(verifier),
    )
    location = walk_signin(
        url, username=demo.username, password=demo.password, ca_path=demo.ca_path
    )
    code = parse_qs(urlsplit(location).query)["code"][0]
    creds = complete_sign_in(
        client, code=code, redirect_uri=REDIRECT_URI, code_verifier=verifier, profile="default"
    )
    assert creds.username == demo.username and creds.org_name == "Demo Field Office"
    assert creds.full_name and creds.ca_bundle == str(demo.ca_path)
    save_session(store, creds, client)
    assert creds.refresh_token
    return creds.refresh_token


def test_signing_in_again_revokes_the_replaced_session(
    demo: DemoPortal, client: OAuthClient, tmp_path: Path
) -> None:
    store = CredentialStore(tmp_path)
    first = sign_in(demo, client, store)
    revocations = demo.stats()["revocations"]
    second = sign_in(demo, client, store)
    assert demo.stats()["revocations"] == revocations + 1
    with pytest.raises(errors.RefreshTokenExpired):
        client.refresh(first)  # nobody can use the replaced session any more
    client.refresh(second)  # the new one works
    saved = store.get(f"default|{client.portal.root}|{client.client_id}")
    assert saved is not None and saved.refresh_token == second


def test_a_new_session_stands_when_the_old_cannot_be_revoked(
    demo: DemoPortal, client: OAuthClient, tmp_path: Path
) -> None:
    store = CredentialStore(tmp_path)
    first = sign_in(demo, client, store)
    client.revoke(first)  # already gone at the portal (an admin, or it expired)
    second = sign_in(demo, client, store)
    client.refresh(second)
