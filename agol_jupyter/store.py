"""The credential store: saved ArcGIS sessions, one file per OS user.

Rules: the file is mode 0600 in a 0700 directory; every write is an atomic replace (write a
temporary file, fsync, rename), so a reader never sees half a file; read-modify-write happens
under an exclusive ``flock`` on a lock file beside it, so several kernels, the Jupyter server
and scheduled jobs can share it. Sessions are keyed by profile + portal + client id.
No network here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import re
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from .errors import StoreCorrupt

FORMAT_VERSION = 1
DEFAULT_PROFILE = "default"
MAX_SIGNED_OUT = 50


class StoreRecoveredWarning(UserWarning):
    """The credential file was damaged; it was set aside and a fresh one started."""


def credential_key(portal: str, client_id: str, profile: str = DEFAULT_PROFILE) -> str:
    """The store key of a session: ``profile|portal root|client id``."""
    return f"{profile}|{portal}|{client_id}"


@dataclass
class Credentials:
    """A saved session. ``repr`` never shows the tokens."""

    portal: str
    client_id: str
    username: str
    access_token: str = dataclasses.field(repr=False)
    access_expires_at: float
    refresh_token: str | None = dataclasses.field(default=None, repr=False)
    refresh_expires_at: float | None = None
    redirect_uri: str = ""
    full_name: str = ""
    org_name: str = ""
    profile: str = DEFAULT_PROFILE
    ca_bundle: str | None = None
    signed_in_at: float = dataclasses.field(default_factory=time.time)
    refreshed_at: float | None = None

    @property
    def key(self) -> str:
        return credential_key(self.portal, self.client_id, self.profile)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Credentials:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def session_expires_at(self) -> float:
        """When the session ends without a new sign-in: the refresh token's expiry, or the
        access token's when there is no refresh token."""
        return self.refresh_expires_at or self.access_expires_at

    def public_summary(self) -> dict[str, Any]:
        """Everything but the secrets: safe for status endpoints, widgets and logs."""
        return {
            "portal": self.portal,
            "client_id": self.client_id,
            "profile": self.profile,
            "username": self.username,
            "full_name": self.full_name,
            "org_name": self.org_name,
            "access_expires_at": self.access_expires_at,
            "session_expires_at": self.session_expires_at(),
            "signed_in_at": self.signed_in_at,
        }


class _ProcessLock:
    """An exclusive lock on a file, shared by the threads of this process and reentrant.

    ``flock`` locks belong to an open file description, so two opens in one process would
    block each other; one descriptor per path with a thread lock in front avoids that.
    """

    _locks: ClassVar[dict[str, _ProcessLock]] = {}
    _guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rlock = threading.RLock()
        self.depth = 0
        self.fd: int | None = None

    @classmethod
    def for_path(cls, path: Path) -> _ProcessLock:
        with cls._guard:
            key = str(path)
            if key not in cls._locks:
                cls._locks[key] = cls(path)
            return cls._locks[key]

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        with self.rlock:
            if self.depth == 0:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                except BaseException:
                    os.close(fd)
                    raise
                self.fd = fd
            self.depth += 1
            try:
                yield
            finally:
                self.depth -= 1
                if self.depth == 0 and self.fd is not None:
                    fcntl.flock(self.fd, fcntl.LOCK_UN)
                    os.close(self.fd)
                    self.fd = None


def _ensure_private_dir(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):
        os.chmod(directory, 0o700)


def atomic_write_json(path: Path, data: Any) -> None:
    """Write JSON to ``path`` (mode 0600) so that readers see the old or the new file, whole."""
    _ensure_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)
            json.dump(data, handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class CredentialStore:
    """Saved sessions in ``{directory}/credentials.json``."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.path = self.directory / "credentials.json"
        self._lock_path = self.directory / "credentials.lock"

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's exclusive lock (across processes; reentrant in this one)."""
        _ensure_private_dir(self.directory)
        with _ProcessLock.for_path(self._lock_path).hold():
            yield

    # -- raw file ---------------------------------------------------------------------------
    def _read_file(self) -> dict[str, Any]:
        """The whole document: ``sessions`` and ``signed_out`` (always both, as dicts)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {"sessions": {}, "signed_out": {}}
        except OSError as exc:
            raise StoreCorrupt(
                f"Cannot read the saved ArcGIS sessions in {self.path}: {exc.strerror}.",
                "Check that the file belongs to you and is readable (chmod 600).",
            ) from exc
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or not isinstance(data.get("sessions", {}), dict):
                raise ValueError("not a sessions file")
        except ValueError:
            return {"sessions": self._set_aside_corrupt(), "signed_out": {}}
        signed_out = data.get("signed_out")
        return {
            "sessions": data.get("sessions", {}),
            "signed_out": signed_out if isinstance(signed_out, dict) else {},
        }

    def _read_raw(self) -> dict[str, Any]:
        sessions: dict[str, Any] = self._read_file()["sessions"]
        return sessions

    def _set_aside_corrupt(self) -> dict[str, Any]:
        with self.locked():
            aside = self.path.with_name(
                f"{self.path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
            )
            try:
                os.replace(self.path, aside)
            except FileNotFoundError:
                return {}
        warnings.warn(
            f"The saved ArcGIS sessions file {self.path} was damaged and could not be read. "
            f"It was kept as {aside} and a new, empty one is used: sign in again. "
            "You can delete the damaged copy once you no longer need it.",
            StoreRecoveredWarning,
            stacklevel=3,
        )
        return {}

    def _write_file(self, document: dict[str, Any]) -> None:
        signed_out = dict(document["signed_out"])
        # Only the latest sign-outs are worth telling a running GIS about.
        for key in sorted(signed_out, key=lambda k: _at(signed_out[k]))[:-MAX_SIGNED_OUT]:
            del signed_out[key]
        atomic_write_json(
            self.path,
            {"version": FORMAT_VERSION, "sessions": document["sessions"], "signed_out": signed_out},
        )

    # -- sessions ---------------------------------------------------------------------------
    def get(self, key: str) -> Credentials | None:
        """The session saved under ``key``, or None."""
        entry = self._read_raw().get(key)
        return self._parse(key, entry) if entry is not None else None

    def all(self) -> list[Credentials]:
        """Every readable saved session."""
        found = []
        for key, entry in self._read_raw().items():
            creds = self._parse(key, entry)
            if creds is not None:
                found.append(creds)
        return found

    def put(self, creds: Credentials) -> None:
        """Save (or replace) a session."""
        with self.locked():
            document = self._read_file()
            document["sessions"][creds.key] = creds.to_json()
            document["signed_out"].pop(creds.key, None)
            self._write_file(document)

    def delete(self, key: str) -> Credentials | None:
        """Forget a session (a sign-out); returns what was saved, if anything.

        A note of who signed out and when is kept, so that a process still holding the session
        can say "signed out at ..." rather than only "no session"."""
        with self.locked():
            document = self._read_file()
            entry = document["sessions"].pop(key, None)
            if entry is None:
                return None
            creds = self._parse(key, entry)
            document["signed_out"][key] = {
                "username": creds.username if creds else "",
                "at": time.time(),
            }
            self._write_file(document)
            return creds

    def signed_out(self, key: str) -> SignedOut | None:
        """When the session under ``key`` was signed out, if it was (and not signed in since)."""
        entry = self._read_file()["signed_out"].get(key)
        if not isinstance(entry, dict):
            return None
        return SignedOut(username=str(entry.get("username") or ""), at=_at(entry))

    def update(
        self, key: str, change: Callable[[Credentials | None], Credentials | None]
    ) -> Credentials | None:
        """Read, change and write one session under the lock (``change`` may return None to
        delete it). Other entries, even ones this version cannot parse, are kept as they are."""
        with self.locked():
            document = self._read_file()
            sessions = document["sessions"]
            current = self._parse(key, sessions[key]) if key in sessions else None
            new = change(current)
            if new is None:
                sessions.pop(key, None)
            else:
                sessions[new.key] = new.to_json()
            self._write_file(document)
            return new

    @staticmethod
    def _parse(key: str, entry: Any) -> Credentials | None:
        try:
            if not isinstance(entry, dict):
                raise TypeError("not an object")
            return Credentials.from_json(entry)
        except TypeError:
            warnings.warn(
                f"The saved ArcGIS session for {_portal_of(key)} is incomplete and was ignored; "
                "sign in again to replace it.",
                StoreRecoveredWarning,
                stacklevel=3,
            )
            return None


@dataclass(frozen=True)
class SignedOut:
    """A sign-out the store remembers: whose session, and when (epoch seconds)."""

    username: str
    at: float


def _at(entry: Any) -> float:
    try:
        return float(entry.get("at") or 0) if isinstance(entry, dict) else 0.0
    except (TypeError, ValueError):
        return 0.0


def _portal_of(key: str) -> str:
    parts = key.split("|")
    return parts[1] if len(parts) > 1 else key


_REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{16,128}$")


def valid_request_id(request_id: str) -> bool:
    """Request ids name files: only long URL-safe ids are accepted."""
    return bool(_REQUEST_ID.match(request_id or ""))


class FlowResults:
    """How each sign-in attempt ended, for the kernel that is waiting on it.

    The server writes ``{directory}/flows/<request id>.json`` when a sign-in finishes or
    fails; the kernel polls for it. These files hold no secrets: outcome, user name, store key
    and the message to show.
    """

    MAX_AGE = 24 * 3600

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory) / "flows"

    def _path(self, request_id: str) -> Path:
        if not valid_request_id(request_id):
            raise ValueError("invalid request id")
        return self.directory / f"{request_id}.json"

    def write(self, request_id: str, result: dict[str, Any]) -> None:
        atomic_write_json(self._path(request_id), {**result, "finished_at": time.time()})
        self._sweep()

    def read(self, request_id: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self._path(request_id).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def discard(self, request_id: str) -> None:
        with contextlib.suppress(FileNotFoundError, ValueError):
            self._path(request_id).unlink()

    def _sweep(self) -> None:
        cutoff = time.time() - self.MAX_AGE
        with contextlib.suppress(OSError):
            for path in self.directory.glob("*.json"):
                with contextlib.suppress(OSError):
                    if path.stat().st_mtime < cutoff:
                        path.unlink()
