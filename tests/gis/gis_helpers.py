"""Helpers for the GIS factory tests: a real sign-in at the demo portal, and a record of the
HTTP requests that leave this process."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from agol_jupyter.demo import DemoPortal
from agol_jupyter.oauth import (
    OAuthClient,
    authorize_url,
    make_code_verifier,
    make_state,
    s256_challenge,
)
from agol_jupyter.portal import normalize_portal_url
from agol_jupyter.refresh import EXPIRY_MARGIN, StoredTokenSource
from agol_jupyter.store import Credentials, CredentialStore
from tests.support.signin_walk import walk_signin

REDIRECT_URI = "http://127.0.0.1:8765/agol/callback"


def sign_in(
    demo: DemoPortal, store_dir: Path, *, margin: float = EXPIRY_MARGIN
) -> StoredTokenSource:
    """Sign in at the demo portal like the server extension does, save the session, and
    return a token source for it."""
    portal = normalize_portal_url(demo.root_url)
    client = OAuthClient(portal, demo.client_id, ca_bundle=str(demo.ca_path))
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
    answer = client.exchange_code(query["code"][0], REDIRECT_URI, verifier)
    creds = Credentials(
        portal=portal.root,
        client_id=demo.client_id,
        username=answer.username,
        access_token=answer.access_token,
        access_expires_at=answer.access_expires_at,
        refresh_token=answer.refresh_token,
        refresh_expires_at=answer.refresh_expires_at,
        redirect_uri=REDIRECT_URI,
        ca_bundle=str(demo.ca_path),
    )
    store = CredentialStore(store_dir)
    store.put(creds)
    return StoredTokenSource(store, creds.key, client, margin=margin)


@dataclass
class SentRequest:
    method: str
    url: str
    path: str
    with_token: bool


@dataclass
class HttpLog:
    """Every request handed to a ``requests`` transport adapter, in order."""

    sent: list[SentRequest] = field(default_factory=list)

    def clear(self) -> None:
        self.sent.clear()

    def paths(self) -> list[str]:
        return [f"{r.method} {r.path}" for r in self.sent]
