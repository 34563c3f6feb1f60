"""The demo portal's OAuth state: pending sign-ins, authorization codes, tokens.

Pure logic, no HTTP. Error codes and descriptions follow ArcGIS where known (see
ARCGIS_FACTS.md); where ArcGIS's exact wording is not documented the demo picks one and
keeps to it:

=====================================  ====  ==============  =================================
case                                   code  error           error_description
=====================================  ====  ==============  =================================
missing parameter                      400   invalid_request "<name> not specified"
unknown client_id                      400   invalid_client_id "Invalid client_id"
unsupported grant_type                 400   unsupported_grant_type "Unsupported grant_type"
unknown / used authorization code      400   invalid_grant   "Invalid authorization code"
expired authorization code             400   invalid_grant   "Authorization code expired"
redirect_uri differs from authorize    400   invalid_grant   "Invalid redirect_uri"
wrong / malformed code_verifier        400   invalid_grant   "Invalid code_verifier"
unknown / revoked / rotated refresh    400   invalid_grant   "Invalid refresh_token"
expired refresh token                  498   invalid_grant   "refresh_token expired"
unregistered redirect_uri (exchange)   400   invalid_request "Invalid redirect_uri"
=====================================  ====  ==============  =================================

Authorization codes are single use: any exchange attempt that names a known code consumes it,
as a real server would have done even if its answer never reached the client.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .config import DEFAULT_EXPIRATION_MINUTES, DemoConfig
from .registration import is_registered_redirect

PENDING_SECONDS = 1800  # how long a sign-in page stays usable
GRANT_TYPES = ("authorization_code", "refresh_token", "exchange_refresh_token")
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")


class GrantError(Exception):
    """A token-endpoint failure, carried to the client in ArcGIS's error envelope."""

    def __init__(self, code: int, error: str, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.error = error
        self.description = description


@dataclass(frozen=True)
class AuthorizationRequest:
    """A validated ``oauth2/authorize`` request, waiting for the user to sign in."""

    client_id: str
    redirect_uri: str
    state: str | None
    code_challenge: str
    expiration_minutes: int
    created_at: float
    force_login: bool = False
    saml_request_id: str = field(default_factory=lambda: "_" + secrets.token_hex(16))


@dataclass
class _Code:
    request: AuthorizationRequest
    username: str
    expires_at: float


@dataclass
class _RefreshToken:
    client_id: str
    username: str
    expires_at: float
    expiration_minutes: int
    revoked: bool = False


@dataclass
class _AccessToken:
    client_id: str
    username: str
    expires_at: float
    refresh_token: str | None
    revoked: bool = False


def is_valid_challenge(challenge: str) -> bool:
    """Whether ``challenge`` has the shape of an S256 code challenge (RFC 7636 §4.2)."""
    return bool(_CHALLENGE.fullmatch(challenge))


def s256(verifier: str) -> str:
    """The S256 code challenge of ``verifier`` (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class Grants:
    """Thread-safe store of every pending sign-in, code and token of the demo org."""

    def __init__(self, config: DemoConfig, client_id: str) -> None:
        self.config = config
        self.client_id = client_id
        self._lock = threading.Lock()
        self._pending: dict[str, AuthorizationRequest] = {}
        self._codes: dict[str, _Code] = {}
        self._refresh: dict[str, _RefreshToken] = {}
        self._access: dict[str, _AccessToken] = {}
        self._issued: dict[str, list[str]] = {
            "access_tokens": [],
            "refresh_tokens": [],
            "codes": [],
        }
        self._counts: Counter[str] = Counter()
        self._token_requests: Counter[str] = Counter()

    def now(self) -> float:
        """The portal's clock (wall clock plus ``config.clock_offset_seconds``)."""
        return time.time() + self.config.clock_offset_seconds

    # -- sign-in -----------------------------------------------------------------------

    def begin(self, request: AuthorizationRequest) -> str:
        """Remember a validated authorize request; return its opaque ``oauth_state``."""
        oauth_state = secrets.token_urlsafe(24)
        with self._lock:
            self._counts["authorize_requests"] += 1
            self._pending[oauth_state] = request
        return oauth_state

    def pending(self, oauth_state: str) -> AuthorizationRequest | None:
        """The pending request for ``oauth_state``, if it is still there and fresh."""
        with self._lock:
            return self._fresh(oauth_state)

    def take(
        self, oauth_state: str, *, saml_request_id: str | None = None
    ) -> AuthorizationRequest | None:
        """Like :meth:`pending`, but the request is used up (atomically: once only).

        With ``saml_request_id``, only a request that sent that SAML request is taken.
        """
        with self._lock:
            request = self._fresh(oauth_state)
            if request is None or saml_request_id not in (None, request.saml_request_id):
                return None
            del self._pending[oauth_state]
            return request

    def _fresh(self, oauth_state: str) -> AuthorizationRequest | None:
        # Caller holds the lock.
        request = self._pending.get(oauth_state)
        if request is not None and request.created_at + PENDING_SECONDS < self.now():
            del self._pending[oauth_state]
            return None
        return request

    def count(self, event: str) -> None:
        """Count an event for :meth:`stats` (``signins``, ``cancels``, ``invalid_token``...)."""
        with self._lock:
            self._counts[event] += 1

    def issue_code(self, request: AuthorizationRequest, username: str) -> str:
        """A single-use authorization code for ``username``, bound to ``request``."""
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._codes[code] = _Code(request, username, self.now() + self.config.code_seconds)
            self._issued["codes"].append(code)
        return code

    # -- token endpoint ----------------------------------------------------------------

    def token(self, params: Mapping[str, str]) -> dict[str, Any]:
        """Answer an ``oauth2/token`` request, or raise :class:`GrantError`."""
        grant_type = params.get("grant_type", "")
        with self._lock:
            self._token_requests[grant_type or "(none)"] += 1
        _require(params, "client_id")
        if params["client_id"] != self.client_id:
            raise GrantError(400, "invalid_client_id", "Invalid client_id")
        _require(params, "grant_type")
        if grant_type == "authorization_code":
            return self._exchange_code(params)
        if grant_type == "refresh_token":
            return self._refresh_access(params)
        if grant_type == "exchange_refresh_token":
            return self._exchange_refresh(params)
        raise GrantError(400, "unsupported_grant_type", "Unsupported grant_type")

    def _exchange_code(self, params: Mapping[str, str]) -> dict[str, Any]:
        for name in ("code", "redirect_uri", "code_verifier"):
            _require(params, name)
        with self._lock:
            grant = self._codes.pop(params["code"], None)
        if grant is None:
            raise GrantError(400, "invalid_grant", "Invalid authorization code")
        if grant.expires_at <= self.now():
            raise GrantError(400, "invalid_grant", "Authorization code expired")
        if grant.request.client_id != params["client_id"]:
            raise GrantError(400, "invalid_grant", "Invalid authorization code")
        if grant.request.redirect_uri != params["redirect_uri"]:
            raise GrantError(400, "invalid_grant", "Invalid redirect_uri")
        verifier = params["code_verifier"]
        if not _VERIFIER.fullmatch(verifier) or not hmac.compare_digest(
            s256(verifier), grant.request.code_challenge
        ):
            raise GrantError(400, "invalid_grant", "Invalid code_verifier")
        with self._lock:
            refresh_token, refresh_life = self._new_refresh(
                grant.request.client_id, grant.username, grant.request.expiration_minutes
            )
            body = self._new_access(grant.request.client_id, grant.username, refresh_token)
        body.update(refresh_token=refresh_token, refresh_token_expires_in=refresh_life)
        return body

    def _refresh_access(self, params: Mapping[str, str]) -> dict[str, Any]:
        _require(params, "refresh_token")
        with self._lock:
            record = self._live_refresh(params["refresh_token"], params["client_id"])
            return self._new_access(record.client_id, record.username, params["refresh_token"])

    def _exchange_refresh(self, params: Mapping[str, str]) -> dict[str, Any]:
        _require(params, "refresh_token")
        _require(params, "redirect_uri")
        if not is_registered_redirect(params["redirect_uri"], self.config):
            raise GrantError(400, "invalid_request", "Invalid redirect_uri")
        with self._lock:
            old = self._live_refresh(params["refresh_token"], params["client_id"])
            self._revoke_refresh(params["refresh_token"])
            refresh_token, refresh_life = self._new_refresh(
                old.client_id, old.username, old.expiration_minutes
            )
            body = self._new_access(old.client_id, old.username, refresh_token)
        body.update(refresh_token=refresh_token, refresh_token_expires_in=refresh_life)
        return body

    def _live_refresh(self, token: str, client_id: str) -> _RefreshToken:
        # Caller holds the lock.
        record = self._refresh.get(token)
        if record is None or record.revoked or record.client_id != client_id:
            raise GrantError(400, "invalid_grant", "Invalid refresh_token")
        if record.expires_at <= self.now():
            raise GrantError(498, "invalid_grant", "refresh_token expired")
        return record

    def _new_refresh(
        self, client_id: str, username: str, expiration_minutes: int
    ) -> tuple[str, int]:
        # Caller holds the lock.
        seconds = self.config.refresh_token_seconds
        if seconds is None:
            seconds = expiration_minutes * 60
        token = secrets.token_urlsafe(48)
        self._refresh[token] = _RefreshToken(
            client_id, username, self.now() + seconds, expiration_minutes
        )
        self._issued["refresh_tokens"].append(token)
        return token, seconds

    def _new_access(
        self, client_id: str, username: str, refresh_token: str | None
    ) -> dict[str, Any]:
        # Caller holds the lock.
        seconds = self.config.access_token_seconds
        token = secrets.token_urlsafe(64)
        self._access[token] = _AccessToken(client_id, username, self.now() + seconds, refresh_token)
        self._issued["access_tokens"].append(token)
        return {"access_token": token, "expires_in": seconds, "username": username, "ssl": True}

    # -- revocation and use ------------------------------------------------------------

    def revoke(self, params: Mapping[str, str]) -> None:
        """Answer ``oauth2/revokeToken``: unknown tokens are fine (RFC 7009 §2.2)."""
        _require(params, "client_id")
        if params["client_id"] != self.client_id:
            raise GrantError(400, "invalid_client_id", "Invalid client_id")
        _require(params, "auth_token")
        token = params["auth_token"]
        with self._lock:
            self._counts["revocations"] += 1
            if token in self._refresh:
                self._revoke_refresh(token)
            elif token in self._access:
                self._access[token].revoked = True

    def _revoke_refresh(self, token: str) -> None:
        # Caller holds the lock.
        self._refresh[token].revoked = True
        for access in self._access.values():
            if access.refresh_token == token:
                access.revoked = True

    def revoke_all(self) -> None:
        """End every session at once (as an admin resetting the org would)."""
        with self._lock:
            self._codes.clear()
            for record in self._refresh.values():
                record.revoked = True
            for access in self._access.values():
                access.revoked = True

    def user_for_token(self, token: str) -> str | None:
        """The user a live access token belongs to; ``None`` if unknown, revoked or expired."""
        with self._lock:
            record = self._access.get(token)
            if record is None or record.revoked or record.expires_at <= self.now():
                return None
            return record.username

    def stats(self) -> dict[str, Any]:
        """Counts of requests and every secret ever issued (for leak tests)."""
        with self._lock:
            return {
                "token_requests": dict(self._token_requests),
                "revocations": self._counts["revocations"],
                "counts": dict(self._counts),
                "issued": {k: list(v) for k, v in self._issued.items()},
            }


def _require(params: Mapping[str, str], name: str) -> None:
    if not params.get(name):
        raise GrantError(400, "invalid_request", f"{name} not specified")


def expiration_minutes(raw: str | None, config: DemoConfig) -> int:
    """The refresh-token life asked at authorize, defaulted and capped like ArcGIS does."""
    if not raw:
        return min(DEFAULT_EXPIRATION_MINUTES, config.max_expiration_minutes)
    minutes = int(raw)  # ValueError on junk: the caller answers 400
    if minutes < 1:
        raise ValueError("expiration must be positive")
    return min(minutes, config.max_expiration_minutes)
