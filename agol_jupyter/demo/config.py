"""Settings of the demo portal that tests may change while it runs."""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field
from typing import Any

DEFAULT_EXPIRATION_MINUTES = 20160  # two weeks, ArcGIS's default refresh-token life
MAX_EXPIRATION_MINUTES = 129600  # 90 days, ArcGIS's ceiling


@dataclass
class DemoConfig:
    """Mutable settings, read on every request (change them at any time)."""

    access_token_seconds: int = 1800
    """Life of access tokens (ArcGIS: 30 minutes)."""
    refresh_token_seconds: int | None = None
    """Life of refresh tokens; ``None`` = the ``expiration`` minutes asked at authorize."""
    code_seconds: int = 120
    """Life of authorization codes."""
    redirect_uris: list[str] = field(default_factory=list)
    """Redirect URIs registered on the demo app (matched exactly, query ignored)."""
    allow_loopback_redirects: bool = True
    """Also accept ``http(s)://localhost|127.0.0.1:<any port>/...agol/callback``."""
    delay_seconds: float = 0
    """Sleep this long before answering ``oauth2/token`` (for client timeout tests)."""
    max_expiration_minutes: int = MAX_EXPIRATION_MINUTES
    """The org's ``maxTokenExpirationMinutes``: caps ``expiration`` at authorize."""
    clock_offset_seconds: float = 0
    """Added to the portal's clock: move it forward to expire tokens without waiting."""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def update(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply a partial update (checked against the field types); return the new settings."""
        known = {f.name: f for f in dataclasses.fields(self)}
        checked: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown demo setting {name!r}")
            checked[name] = _check(name, value)
        with self._lock:
            for name, value in checked.items():
                setattr(self, name, value)
        return self.as_dict()

    def as_dict(self) -> dict[str, Any]:
        """The settings as JSON-ready data."""
        with self._lock:
            data = dataclasses.asdict(self)
        data["redirect_uris"] = list(data["redirect_uris"])
        return data


def _check(name: str, value: Any) -> Any:
    if name == "redirect_uris":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("redirect_uris must be a list of strings")
        return list(value)
    if name == "allow_loopback_redirects":
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        return value
    if name == "refresh_token_seconds" and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number")
    if name in ("delay_seconds", "clock_offset_seconds"):
        return float(value)
    if value != int(value) or value < 0:
        raise ValueError(f"{name} must be a whole number of seconds (or minutes), >= 0")
    return int(value)
