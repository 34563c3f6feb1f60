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
from .store import Credentials, CredentialStore

EXPIRY_MARGIN = 5 * 60
ROTATE_WHEN_LEFT = 24 * 3600


def sign_in_again_remedy(portal: str) -> str:
    return f"Sign in again: run agol_jupyter.login() (or %agol_login) in a notebook for {portal}."


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
            raise errors.NotSignedIn(
                f"You are signed out of {self.client.portal.root}.",
                sign_in_again_remedy(self.client.portal.root),
            )
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
            if rotate:
                answer = self.client.exchange_refresh_token(creds.refresh_token, creds.redirect_uri)
            else:
                answer = self.client.refresh(creds.refresh_token)
        except errors.RefreshTokenExpired as exc:
            raise self._expired(creds) from exc
        except errors.InvalidToken as exc:
            raise self._expired(creds) from exc
        self.refresh_count += 1
        return merge_refresh(creds, answer, now=now)

    def _expired(self, creds: Credentials) -> errors.SessionExpired:
        when = creds.refresh_expires_at or creds.access_expires_at
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(when))
        ended = "ended" if when <= self.clock() else "was ended early (revoked or signed out)"
        return errors.SessionExpired(
            f"The ArcGIS session for {creds.username} at {creds.portal} has expired "
            f"(it was good until {stamp} and {ended}).",
            sign_in_again_remedy(creds.portal),
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
