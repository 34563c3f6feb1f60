"""Pending sign-ins: short-lived, single use, bound to the Jupyter user who started them.

A flow is created when the notebook asks for a sign-in (a POST, so another site cannot start
one), opened once by the popup (``start``), and taken once by the portal's redirect
(``callback``), found by its ``state``. The PKCE verifier never leaves this process. Flows live
in memory: a Jupyter server runs as one user, and a restart simply asks for a new click.

Taken and expired flows leave a tombstone (keyed by a digest of their state, not the state) so
that a second use of a state is told apart from a state that never existed. Pure: no tornado.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from .. import oauth

MAX_PENDING = 200
TOMBSTONE_SECONDS = 3600.0
MAX_TOMBSTONES = 2000
AGAIN = "Click the sign-in button in the notebook to start a new sign-in."


@dataclass
class PendingFlow:
    """One sign-in in progress. ``repr`` never shows the state or the verifier."""

    flow_id: str
    request_id: str
    portal: str
    client_id: str
    profile: str
    redirect_uri: str
    username: str
    created_at: float
    state: str = field(repr=False, default_factory=oauth.make_state)
    code_verifier: str = field(repr=False, default_factory=oauth.make_code_verifier)
    started: bool = False

    @property
    def code_challenge(self) -> str:
        return oauth.s256_challenge(self.code_verifier)


class FlowRejected(Exception):
    """A start or callback that cannot go on; ``status`` is the HTTP status to answer with."""

    def __init__(
        self, kind: str, status: int, message: str, remedy: str = AGAIN, request_id: str = ""
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.message = message
        self.remedy = remedy
        # Set when the rejected flow is known, so its waiting kernel can be told.
        self.request_id = request_id


@dataclass(frozen=True)
class _Tombstone:
    reason: str  # "used" or "expired"
    request_id: str
    until: float


def _digest(kind: str, secret: str) -> str:
    return kind + hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


class FlowRegistry:
    """The pending flows of one Jupyter server. Thread safe; times come from ``clock``."""

    def __init__(
        self,
        timeout: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self.timeout = timeout
        self.clock = clock
        self.max_pending = max_pending
        self._flows: OrderedDict[str, PendingFlow] = OrderedDict()  # by flow id, oldest first
        self._by_state: dict[str, str] = {}  # state -> flow id
        self._tombstones: OrderedDict[str, _Tombstone] = OrderedDict()  # state digest -> stone
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._flows)

    def create(
        self,
        *,
        request_id: str,
        portal: str,
        client_id: str,
        profile: str,
        redirect_uri: str,
        username: str,
    ) -> PendingFlow:
        """A new pending flow with a fresh id, state and PKCE verifier."""
        flow = PendingFlow(
            flow_id=secrets.token_urlsafe(24),
            request_id=request_id,
            portal=portal,
            client_id=client_id,
            profile=profile,
            redirect_uri=redirect_uri,
            username=username,
            created_at=self.clock(),
        )
        with self._lock:
            self._sweep()
            while len(self._flows) >= self.max_pending:
                _, oldest = self._flows.popitem(last=False)
                self._bury(oldest, "expired")
            self._flows[flow.flow_id] = flow
            self._by_state[flow.state] = flow.flow_id
        return flow

    def start(self, flow_id: str, username: str) -> PendingFlow:
        """The flow the popup opens; each flow can be started once."""
        with self._lock:
            self._sweep()
            flow = self._flows.get(flow_id or "")
            if flow is None:
                raise self._rejection_for_unknown("flow", flow_id)
            if flow.username != username:
                raise FlowRejected(
                    "wrong_user",
                    403,
                    "This sign-in was started by a different Jupyter user.",
                    "Sign in from your own notebook.",
                )
            if flow.started:
                raise FlowRejected("flow_used", 409, "This sign-in link was opened already.", AGAIN)
            flow.started = True
            return flow

    def discard(self, flow: PendingFlow) -> None:
        """End a flow that failed before the portal answered (its state becomes used)."""
        with self._lock:
            if self._flows.pop(flow.flow_id, None) is not None:
                self._by_state.pop(flow.state, None)
                self._bury(flow, "used")

    def take(self, state: str, username: str) -> PendingFlow:
        """Remove and return the flow the portal's redirect names by ``state``."""
        with self._lock:
            self._sweep()
            flow_id = self._by_state.pop(state or "", None)
            flow = self._flows.pop(flow_id, None) if flow_id else None
            if flow is None:
                raise self._rejection_for_unknown("state", state)
            self._bury(flow, "used")
            if flow.username != username:
                # Seen in the wrong browser session: the flow is spent either way.
                raise FlowRejected(
                    "wrong_user",
                    403,
                    "This sign-in was started by a different Jupyter user than the one signed "
                    "in to Jupyter in this browser.",
                    "Sign in from your own notebook, in the browser where Jupyter is open.",
                )
            return flow

    def _rejection_for_unknown(self, kind: str, value: str) -> FlowRejected:
        """``kind`` is "flow" (a start link's id) or "state" (the portal's answer)."""
        what = "sign-in link" if kind == "flow" else "sign-in answer"
        stone = self._tombstones.get(_digest(kind, value)) if value else None
        if stone is not None and stone.reason == "used":
            return FlowRejected(
                f"{kind}_used",
                409,
                f"This {what} was used already (the page was reloaded or opened twice).",
                "If the notebook does not show you as signed in, click the sign-in button again.",
            )
        if stone is not None:
            return FlowRejected(
                f"{kind}_expired",
                410,
                f"This sign-in was not finished within {self.timeout:g} seconds and expired.",
                AGAIN,
                request_id=stone.request_id,
            )
        return FlowRejected(
            f"unknown_{kind}",
            400,
            f"This {what} does not belong to any sign-in started on this Jupyter server "
            "(the server may have restarted, or the link came from somewhere else).",
            AGAIN,
        )

    def _bury(self, flow: PendingFlow, reason: str) -> None:
        ended = self.clock() if reason == "used" else flow.created_at + self.timeout
        stone = _Tombstone(reason, flow.request_id, ended + TOMBSTONE_SECONDS)
        self._tombstones[_digest("state", flow.state)] = stone
        self._tombstones[_digest("flow", flow.flow_id)] = stone
        while len(self._tombstones) > MAX_TOMBSTONES:
            self._tombstones.popitem(last=False)

    def _sweep(self) -> None:
        now = self.clock()
        for flow_id, flow in list(self._flows.items()):
            if now - flow.created_at > self.timeout:
                del self._flows[flow_id]
                self._by_state.pop(flow.state, None)
                self._bury(flow, "expired")
        for digest, stone in list(self._tombstones.items()):
            if stone.until < now:
                del self._tombstones[digest]

    def sweep(self) -> None:
        """Forget expired flows now (also done on every call)."""
        with self._lock:
            self._sweep()
