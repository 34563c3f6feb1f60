"""Helpers for the GIS factory tests: a real sign-in at the demo portal, and a record of the
HTTP requests that leave this process."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from agol_jupyter.demo import DemoPortal
from agol_jupyter.oauth import OAuthClient
from agol_jupyter.portal import normalize_portal_url
from agol_jupyter.refresh import EXPIRY_MARGIN, StoredTokenSource
from agol_jupyter.store import CredentialStore
from tests.support.demo_fixtures import signed_in_credentials

REDIRECT_URI = "http://127.0.0.1:8765/agol/callback"


def sign_in(
    demo: DemoPortal, store_dir: Path, *, margin: float = EXPIRY_MARGIN
) -> StoredTokenSource:
    """Sign in at the demo portal like the server extension does, save the session, and
    return a token source for it."""
    creds = signed_in_credentials(demo, redirect_uri=REDIRECT_URI, ca_bundle=str(demo.ca_path))
    client = OAuthClient(
        normalize_portal_url(demo.root_url), demo.client_id, ca_bundle=str(demo.ca_path)
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
