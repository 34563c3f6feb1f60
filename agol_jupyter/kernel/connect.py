"""Saved sessions without a person watching: ``connect()``, ``sessions()`` and ``logout()``.

A scheduled notebook (papermill, jupyter-scheduler) or a cron job (``python job.py``) cannot
click a sign-in button. :func:`connect` only ever uses the saved session: it returns a GIS at
once, or raises at once with what happened (never signed in, signed out at ..., ran out at ...)
and the command that signs in again. Nothing here imports IPython or widgets, or waits.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import errors
from ..oauth import OAuthClient
from ..refresh import StoredTokenSource, format_time, sign_in_commands
from ..store import Credentials, CredentialStore, credential_key
from .settings import SignInTarget, check_profile, resolve_target

if TYPE_CHECKING:
    from arcgis.gis import GIS


def connect(
    portal: str | None = None,
    client_id: str | None = None,
    *,
    profile: str | None = None,
    ca_bundle: str | None = None,
) -> GIS:
    """A signed-in ``GIS`` from the saved session, for code that runs unattended.

    Never shows a widget, never waits for a sign-in. The portal and client id come from the
    arguments, the Jupyter server's settings, ``AGOL_PORTAL_URL`` / ``AGOL_CLIENT_ID``, or else
    the profile's only saved session. Raises :class:`~agol_jupyter.errors.NotSignedIn` (no
    saved session: never signed in, or signed out), ``SessionExpired`` (it ran out or was
    revoked), ``PortalUnreachable`` or another ``agol_jupyter.errors`` exception; each message
    says when the session ended and which command signs in again.
    """
    target = resolve_target(portal, client_id, ca_bundle=ca_bundle, profile=profile)
    store = target.store
    key = credential_key(target.portal.root, target.client_id, target.profile)
    creds = saved_or_raise(store, key, target)
    target = target.with_saved_ca(creds)
    client = OAuthClient(target.portal, target.client_id, ca_bundle=target.ca_bundle)
    return build(StoredTokenSource(store, key, client), target, creds.username)


def saved_or_raise(store: CredentialStore, key: str, target: SignInTarget) -> Credentials:
    """The saved session under ``key`` if it can still be renewed, else the error saying why."""
    portal, profile = target.portal.root, target.profile
    remedy = (
        f"Sign in once where a person can: run {sign_in_commands(portal, profile)}. "
        "Then run this again; it uses the saved session from then on."
    )
    creds = store.get(key)
    if creds is None:
        ended = store.signed_out(key)
        if ended is not None:
            raise errors.NotSignedIn(
                f"{ended.username or 'The session'} signed out of {portal} at "
                f"{format_time(ended.at)}{_profile_note(profile)}: there is no saved session.",
                remedy,
            )
        raise errors.NotSignedIn(
            f"There is no saved ArcGIS session for {portal}{_profile_note(profile)} "
            f"(in {store.path}).",
            remedy,
        )
    ends = creds.session_expires_at()
    if ends <= time.time():
        raise errors.SessionExpired(
            f"The saved ArcGIS session of {creds.username} at {portal}{_profile_note(profile)} "
            f"ran out at {format_time(ends)}.",
            remedy,
        )
    return creds


def _profile_note(profile: str) -> str:
    return f" (profile {profile!r})" if profile != "default" else ""


def build(tokens: StoredTokenSource, target: SignInTarget, username: str) -> GIS:
    """The GIS for a saved session (the only path to ``arcgis``)."""
    from .gis import build_gis

    return build_gis(tokens, ca_bundle=target.ca_bundle, expected_username=username)


@dataclass(frozen=True)
class SessionInfo:
    """One saved session, without its secrets (what :func:`sessions` lists)."""

    profile: str
    portal: str
    client_id: str
    username: str
    full_name: str
    org_name: str
    signed_in_at: float
    session_expires_at: float
    """When the refresh token runs out (a new sign-in is needed from then on)."""

    @property
    def expired(self) -> bool:
        """True once the session can no longer be renewed."""
        return self.session_expires_at <= time.time()

    def __str__(self) -> str:
        state = "expired" if self.expired else "valid"
        return (
            f"[{self.profile}] {self.username} at {self.portal} · {state} until "
            f"{format_time(self.session_expires_at)}"
        )

    @classmethod
    def of(cls, creds: Credentials) -> SessionInfo:
        return cls(
            profile=creds.profile,
            portal=creds.portal,
            client_id=creds.client_id,
            username=creds.username,
            full_name=creds.full_name,
            org_name=creds.org_name,
            signed_in_at=creds.signed_in_at,
            session_expires_at=creds.session_expires_at(),
        )


def sessions(portal: str | None = None, *, profile: str | None = None) -> list[SessionInfo]:
    """Every saved session (of one portal or profile when given), by profile then portal."""
    target_dir = _store_dir()
    root = _root(portal) if portal else ""
    wanted = check_profile(profile) if profile else ""
    found = [
        SessionInfo.of(creds)
        for creds in CredentialStore(target_dir).all()
        if (not root or creds.portal == root) and (not wanted or creds.profile == wanted)
    ]
    return sorted(found, key=lambda s: (s.profile, s.portal, s.client_id))


@dataclass(frozen=True)
class SignOutResult:
    """What :func:`logout` did. ``str()`` says it in words."""

    signed_out: bool
    """A saved session was deleted."""
    revoked: bool
    """The portal was told and ended the session's tokens."""
    message: str

    def __str__(self) -> str:
        return self.message


def logout(
    portal: str | None = None, client_id: str | None = None, *, profile: str | None = None
) -> SignOutResult:
    """Sign out: revoke the saved session's refresh token at the portal and forget it here.

    A GIS that still uses the session (in this or another kernel, or a job) raises
    :class:`~agol_jupyter.errors.NotSignedIn` on its next request instead of going anonymous.
    """
    target = resolve_target(portal, client_id, profile=profile)
    key = credential_key(target.portal.root, target.client_id, target.profile)
    creds = target.store.delete(key)
    where = f"{target.portal.root}{_profile_note(target.profile)}"
    if creds is None:
        return SignOutResult(False, False, f"There was no saved session for {where}.")
    target = target.with_saved_ca(creds)
    client = OAuthClient(target.portal, target.client_id, ca_bundle=target.ca_bundle)
    token, hint = (
        (creds.refresh_token, "refresh_token")
        if creds.refresh_token
        else (creds.access_token, "access_token")
    )
    try:
        client.revoke(token, hint)
    except errors.AgolJupyterError as exc:
        return SignOutResult(
            True,
            False,
            f"Signed out of {where} here (the saved session of {creds.username} is deleted), "
            f"but the portal could not be told: {exc.message} Tokens already issued keep "
            f"working until they expire (at the latest {format_time(creds.session_expires_at())}).",
        )
    return SignOutResult(
        True, True, f"Signed out {creds.username} of {where}; the portal revoked the session."
    )


def _store_dir() -> str:
    from .. import locations

    server = locations.ServerSettings.from_env()
    if server and server.store_dir:
        return server.store_dir
    return str(locations.store_directory())


def _root(portal: str) -> str:
    from ..portal import normalize_portal_url

    return normalize_portal_url(portal).root
