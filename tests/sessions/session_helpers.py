"""Helpers for saved-session tests: a session saved the way the server's callback saves one,
and the demo portal's counters."""

from __future__ import annotations

import hashlib

from agol_jupyter.demo import DemoPortal
from agol_jupyter.store import DEFAULT_PROFILE, Credentials, CredentialStore
from tests.support.demo_fixtures import signed_in_credentials

REDIRECT_URI = "http://127.0.0.1:8888/agol/callback"


def save_session(
    demo: DemoPortal, store: CredentialStore, *, profile: str = DEFAULT_PROFILE
) -> Credentials:
    """Sign in as the demo user (no browser) and save the session under ``profile``."""
    creds = signed_in_credentials(
        demo,
        redirect_uri=REDIRECT_URI,
        full_name="Alice Demo",
        org_name="Demo Field Office",
        profile=profile,
        ca_bundle=str(demo.ca_path),
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
