"""The end of every sign-in: an authorization code becomes the session to save.

Shared by the server extension's callback and the loopback listener, so that a session saved
by either looks the same to every kernel and job. Pure: no Jupyter, no arcgis.
"""

from __future__ import annotations

from . import errors, rest
from .oauth import OAuthClient
from .store import Credentials, CredentialStore


def complete_sign_in(
    client: OAuthClient, *, code: str, redirect_uri: str, code_verifier: str, profile: str
) -> Credentials:
    """Exchange the code (with its PKCE verifier), ask who signed in, and build the session.

    Nothing is written here: :func:`save_session` does that.
    """
    tokens = client.exchange_code(code, redirect_uri, code_verifier)
    me = client.community_self(tokens.access_token)
    return Credentials(
        portal=client.portal.root,
        client_id=client.client_id,
        username=str(me.get("username") or tokens.username),
        access_token=tokens.access_token,
        access_expires_at=tokens.access_expires_at,
        refresh_token=tokens.refresh_token,
        refresh_expires_at=tokens.refresh_expires_at,
        redirect_uri=redirect_uri,
        full_name=str(me.get("fullName") or ""),
        org_name=org_name(client, tokens.access_token),
        profile=profile,
        ca_bundle=client.ca_bundle,
    )


def org_name(client: OAuthClient, access_token: str) -> str:
    """The org's name from ``portals/self``, or "" when the portal will not say."""
    try:
        body = rest.get_json(
            f"{client.portal.rest}/portals/self",
            headers={"X-Esri-Authorization": f"Bearer {access_token}"},
            ca_bundle=client.ca_bundle,
            timeout=client.timeout,
        )
    except errors.AgolJupyterError:
        return ""  # the org's name is decoration; the sign-in stands without it
    return str(body.get("name") or body.get("portalName") or "")


def save_session(store: CredentialStore, creds: Credentials, client: OAuthClient) -> None:
    """Save a new session; a session it replaces is revoked at the portal.

    Signing in again (``force=True``, another account, after a lapse) leaves the old refresh
    token unused but still good at the portal until it expires; nothing should hold a working
    credential that nobody can see or sign out. Revoking is best effort: the new session
    stands whatever the portal says about the old one.
    """
    with store.locked():
        old = store.get(creds.key)
        store.put(creds)
    if old is None or not old.refresh_token or old.refresh_token == creds.refresh_token:
        return
    try:
        client.revoke(old.refresh_token)
    except errors.AgolJupyterError:
        pass  # expired or already revoked, or the portal is down: nothing left to do
