"""Toy SAML messages between the demo portal (the service provider) and the demo IdP.

Real SAML carries signed XML; here both ends live in one process and share an HMAC key, so
the messages are signed JSON in base64. They are opaque to the browser, as real ones are,
and the portal rejects a response that was tampered with or answers another request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

RESPONSE_SECONDS = 300  # an IdP response older than this is refused


class SamlError(ValueError):
    """A SAML message that does not decode, verify or match."""


@dataclass(frozen=True)
class SamlRequest:
    """What the portal asks the IdP (an AuthnRequest)."""

    request_id: str
    acs_url: str
    """Where the IdP posts its answer (the portal's ``oauth2/saml/signin``)."""
    force_authn: bool = False


@dataclass(frozen=True)
class SamlResponse:
    """What the IdP answers: the signed-in user, or that the user cancelled."""

    in_response_to: str
    status: str  # "success" | "cancelled"
    name_id: str | None = None
    issued_at: float = 0.0


class SamlKey:
    """The shared signing key, and the encoding of both messages."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def encode_request(self, request: SamlRequest) -> str:
        """The ``SAMLRequest`` parameter for ``request``."""
        return self._seal(
            {"id": request.request_id, "acs": request.acs_url, "force": request.force_authn}
        )

    def decode_request(self, value: str) -> SamlRequest:
        """Parse and verify a ``SAMLRequest`` parameter."""
        data = self._open(value)
        try:
            return SamlRequest(str(data["id"]), str(data["acs"]), bool(data.get("force")))
        except KeyError as e:
            raise SamlError("incomplete SAMLRequest") from e

    def encode_response(self, response: SamlResponse) -> str:
        """The ``SAMLResponse`` form field for ``response``."""
        return self._seal(
            {
                "inResponseTo": response.in_response_to,
                "status": response.status,
                "nameId": response.name_id,
                "issuedAt": response.issued_at or time.time(),
            }
        )

    def decode_response(self, value: str) -> SamlResponse:
        """Parse and verify a ``SAMLResponse`` field (also refuses stale ones)."""
        data = self._open(value)
        try:
            response = SamlResponse(
                str(data["inResponseTo"]),
                str(data["status"]),
                data.get("nameId"),
                float(data["issuedAt"]),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise SamlError("incomplete SAMLResponse") from e
        if response.status not in ("success", "cancelled"):
            raise SamlError("unknown SAML status")
        if response.issued_at + RESPONSE_SECONDS < time.time():
            raise SamlError("SAMLResponse expired")
        return response

    def _seal(self, data: dict[str, Any]) -> str:
        payload = json.dumps(data, separators=(",", ":")).encode()
        mac = hmac.new(self._key, payload, hashlib.sha256).digest()
        return base64.b64encode(mac + payload).decode("ascii")

    def _open(self, value: str) -> dict[str, Any]:
        try:
            raw = base64.b64decode(value.encode("ascii"), validate=True)
        except (ValueError, UnicodeEncodeError) as e:
            raise SamlError("not base64") from e
        mac, payload = raw[:32], raw[32:]
        expected = hmac.new(self._key, payload, hashlib.sha256).digest()
        if len(mac) != 32 or not hmac.compare_digest(mac, expected):
            raise SamlError("bad signature")
        try:
            data = json.loads(payload)
        except ValueError as e:
            raise SamlError("not JSON") from e
        if not isinstance(data, dict):
            raise SamlError("not an object")
        return data
