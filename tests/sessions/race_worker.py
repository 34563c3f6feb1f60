"""What each racing process does (imported by ``multiprocessing``'s spawn start method).

A process stands for a kernel or a job that shares the saved session: it waits at the barrier
with the others, then asks for a token the way a GIS does, and checks that the token works at
the portal (``community/self``). Only digests of tokens leave the process.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass
from typing import Any

from agol_jupyter.oauth import OAuthClient
from agol_jupyter.portal import normalize_portal_url
from agol_jupyter.refresh import StoredTokenSource
from agol_jupyter.store import CredentialStore
from tests.sessions.session_helpers import digest


@dataclass(frozen=True)
class Race:
    """The shared session every process uses, and how each asks for a token."""

    store_dir: str
    key: str
    portal: str
    client_id: str
    ca_bundle: str
    mode: str  # "rejected": refresh_after_rejection(old token); "expiring": token()
    rejected_token: str = ""


def run(race: Race, barrier: Any, results: Any) -> None:
    """One racing process: wait for all, get a token, check it, report (digest, user, calls)."""
    try:
        client = OAuthClient(
            normalize_portal_url(race.portal), race.client_id, ca_bundle=race.ca_bundle
        )
        tokens = StoredTokenSource(CredentialStore(race.store_dir), race.key, client)
        barrier.wait(120)
        if race.mode == "rejected":
            token = tokens.refresh_after_rejection(race.rejected_token)
        else:
            token = tokens.token()
        user = client.community_self(token).get("username", "")
        results.put(("ok", os.getpid(), digest(token), user, tokens.refresh_count))
    except BaseException as exc:  # report every failure to the test, then end
        results.put(("error", os.getpid(), type(exc).__name__, str(exc), traceback.format_exc()))
