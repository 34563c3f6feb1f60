"""Helpers for saved-session tests: a session saved the way the server's callback saves one,
and the demo portal's counters."""

from __future__ import annotations

import hashlib
import time

from agol_jupyter.demo import DemoPortal
from agol_jupyter.oauth import TokenResponse
from agol_jupyter.portal import normalize_portal_url
from agol_jupyter.store import DEFAULT_PROFILE, Credentials, CredentialStore
from tests.support.signin_walk import obtain_tokens

REDIRECT_URI = "http://127.0.0.1:8888/agol/callback"


def save_session(
    demo: DemoPortal, store: CredentialStore, *, profile: str = DEFAULT_PROFILE
) -> Credentials:
    """Sign in as the demo user (no browser) and save the session under ``profile``."""
    answer = TokenResponse.from_body(
        obtain_tokens(
            demo.rest_url,
            client_id=demo.client_id,
            username=demo.username,
            password=demo.password,
            ca_path=demo.ca_path,
            redirect_uri=REDIRECT_URI,
        )
    )
    assert answer.refresh_token and answer.refresh_expires_at
    creds = Credentials(
        portal=normalize_portal_url(demo.root_url).root,
        client_id=demo.client_id,
        username=answer.username,
        access_token=answer.access_token,
        access_expires_at=answer.access_expires_at,
        refresh_token=answer.refresh_token,
        refresh_expires_at=answer.refresh_expires_at,
        redirect_uri=REDIRECT_URI,
        full_name="Alice Demo",
        org_name="Demo Field Office",
        profile=profile,
        ca_bundle=str(demo.ca_path),
        signed_in_at=time.time(),
    )
    store.put(creds)
    return creds


def grants(demo: DemoPortal) -> dict[str, int]:
    """Requests to ``oauth2/token`` so far, per grant type."""
    counts = demo.stats()["token_requests"]
    return {g: int(counts.get(g, 0)) for g in ("refresh_token", "exchange_refresh_token")}


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {g: after[g] - before[g] for g in before}


def digest(token: str) -> str:
    """What tests compare and print instead of a token."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]
