"""Access tokens that stay fresh, shared through the credential store.

Every process that uses a saved session (kernels, scheduled jobs) asks
:class:`StoredTokenSource` for a token. Refreshing happens under the store's lock and re-reads
the store first, so when several processes find the token about to expire, one of them asks the
portal and the others pick up what it wrote (single flight). Like arcgis-rest-js, expiries are
treated as five minutes early, and a refresh token with less than a day left is exchanged for a
new one (``exchange_refresh_token``). No Jupyter, no arcgis.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from . import errors
from .oauth import OAuthClient, TokenResponse
from .store import DEFAULT_PROFILE, Credentials, CredentialStore

EXPIRY_MARGIN = 5 * 60
ROTATE_WHEN_LEFT = 24 * 3600


def sign_in_commands(portal: str, profile: str = DEFAULT_PROFILE) -> str:
    """The two ways to sign in again, in words: a notebook call and a shell command."""
    if profile == DEFAULT_PROFILE:
        notebook, shell = "agol_jupyter.login()", f"agol-jupyter login {portal}"
    else:
        notebook = f"agol_jupyter.login(profile={profile!r})"
        shell = f"agol-jupyter login {portal} --profile {profile}"
    return f"{notebook} in a notebook for {portal} (or %agol_login), or  {shell}  in a shell"


def sign_in_again_remedy(portal: str, profile: str = DEFAULT_PROFILE) -> str:
    """The remedy of every "this session is over" error."""
    return f"Sign in again: run {sign_in_commands(portal, profile)}."


def format_time(when: float) -> str:
    """``2025-06-01 14:00 UTC``: how errors and listings show a moment."""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(when))


class StoredTokenSource:
    """Serves the access token of one saved session, refreshing it ahead of expiry."""

    def __init__(
        self,
        store: CredentialStore,
        key: str,
        client: OAuthClient,
        *,
        margin: float = EXPIRY_MARGIN,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.key = key
        self.client = client
        self.margin = margin
        self.clock = clock
        self.refresh_count = 0  # portal refreshes made by this object (for benchmarks/tests)

    def credentials(self) -> Credentials:
        """The saved session, or :class:`errors.NotSignedIn` when it is gone (signed out)."""
        creds = self.store.get(self.key)
        if creds is None:
            portal = self.client.portal.root
            profile = self.key.split("|", 1)[0]
            ended = self.store.signed_out(self.key)
            if ended is not None:
                message = (
                    f"You are signed out of {portal}: {ended.username or 'the session'} signed "
                    f"out at {format_time(ended.at)}, and this GIS no longer has a session."
                )
            else:
                message = f"You are signed out of {portal}: there is no saved session for it."
            raise errors.NotSignedIn(message, sign_in_again_remedy(portal, profile))
        return creds

    def _fresh(self, creds: Credentials) -> bool:
        return creds.access_expires_at - self.margin > self.clock()

    def token(self) -> str:
        """A valid access token; refreshes first when it expires within the margin."""
        creds = self.credentials()
        if self._fresh(creds):
            return creds.access_token
        return self._refresh(rejected=None)

    def refresh_after_rejection(self, rejected_token: str) -> str:
        """A token to retry with after the portal rejected ``rejected_token`` (498/499)."""
        return self._refresh(rejected=rejected_token)

    def _refresh(self, rejected: str | None) -> str:
        with self.store.locked():
            creds = self.credentials()
            # Another process may have refreshed while we waited for the lock.
            if creds.access_token != rejected and self._fresh(creds):
                return creds.access_token
            updated = self._ask_portal(creds)
            self.store.put(updated)
            return updated.access_token

    def _ask_portal(self, creds: Credentials) -> Credentials:
        now = self.clock()
        if not creds.refresh_token:
            raise errors.SessionExpired(
                f"The ArcGIS session for {creds.username} at {creds.portal} has expired "
                "and cannot be renewed (it has no refresh token).",
                sign_in_again_remedy(creds.portal),
            )
        if creds.refresh_expires_at is not None and creds.refresh_expires_at <= now:
            raise self._expired(creds)
        rotate = (
            creds.refresh_expires_at is not None
            and creds.refresh_expires_at - now < ROTATE_WHEN_LEFT
            and bool(creds.redirect_uri)
        )
        try:
            answer = self._grant(creds.refresh_token, creds.redirect_uri, rotate=rotate)
        except (errors.RefreshTokenExpired, errors.InvalidToken) as exc:
            # Writers hold the store's lock, as we do, so the saved session cannot have moved
            # on; should a writer have skipped the lock (a copied or synced store), the saved
            # refresh token is newer than ours and worth one more try.
            saved = self.store.get(self.key)
            if (
                saved is None
                or not saved.refresh_token
                or saved.refresh_token == creds.refresh_token
            ):
                raise self._expired(creds, exc) from exc
            if self._fresh(saved):
                return saved
            try:
                answer = self._grant(saved.refresh_token, saved.redirect_uri, rotate=False)
            except (errors.RefreshTokenExpired, errors.InvalidToken) as again:
                raise self._expired(saved, again) from again
            creds = saved
        self.refresh_count += 1
        return merge_refresh(creds, answer, now=now)

    def _grant(self, refresh_token: str, redirect_uri: str, *, rotate: bool) -> TokenResponse:
        if rotate:
            try:
                return self.client.exchange_refresh_token(refresh_token, redirect_uri)
            except errors.InvalidRedirectUri:
                # The redirect URI saved at sign-in is no longer registered: the session still
                # works until its refresh token ends, so keep it rather than lose it now.
                pass
        return self.client.refresh(refresh_token)

    def _expired(
        self, creds: Credentials, cause: errors.PortalResponseError | None = None
    ) -> errors.SessionExpired:
        when = creds.refresh_expires_at or creds.access_expires_at
        now = self.clock()
        stamp = format_time(when)
        profile = creds.profile
        if when <= now:
            detail = f"it was good until {stamp} and ended"
        elif cause is not None and cause.code == 498 and when - now > self.margin:
            # ArcGIS's "expired" (not "invalid") while our clock says it has time left.
            detail = (
                f"the portal says it expired, but by this computer's clock it is good until "
                f"{stamp}: the portal's clock may be ahead of this computer's (check the time "
                "and time zone settings of both), or the organization shortened its sessions"
            )
        else:
            detail = f"it was good until {stamp} but was ended early: revoked or signed out"
        return errors.SessionExpired(
            f"The ArcGIS session for {creds.username} at {creds.portal} has expired ({detail}).",
            sign_in_again_remedy(creds.portal, profile),
        )


def merge_refresh(creds: Credentials, answer: TokenResponse, *, now: float) -> Credentials:
    """The session after a refresh: new access token, and a new refresh token if rotated."""
    changes: dict[str, object] = {
        "access_token": answer.access_token,
        "access_expires_at": answer.access_expires_at,
        "refreshed_at": now,
    }
    if answer.refresh_token:
        changes["refresh_token"] = answer.refresh_token
        changes["refresh_expires_at"] = answer.refresh_expires_at
    return dataclasses.replace(creds, **changes)  # type: ignore[arg-type]
