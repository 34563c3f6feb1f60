"""Many processes share one saved session: one refresh per expiry reaches the portal.

Twenty processes (``multiprocessing`` with spawn: separate interpreters, as kernels and jobs
are) meet at a barrier and then all need a new token at once. The store's lock makes the
refresh single flight: one process asks the portal, the others read what it saved.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import time
from typing import Any

import pytest

from agol_jupyter import errors
from agol_jupyter.demo import DemoPortal
from agol_jupyter.oauth import OAuthClient
from agol_jupyter.portal import normalize_portal_url
from agol_jupyter.refresh import StoredTokenSource
from agol_jupyter.store import Credentials, CredentialStore
from tests.sessions.race_worker import Race, run
from tests.sessions.session_helpers import delta, digest, grants

PROCESSES = 20


def race(demo: DemoPortal, store: CredentialStore, key: str, mode: str) -> list[tuple[Any, ...]]:
    """Start the racing processes, let them go at once, and collect what each reported."""
    saved = store.get(key)
    assert saved is not None
    spec = Race(
        store_dir=str(store.directory),
        key=key,
        portal=demo.root_url,
        client_id=demo.client_id,
        ca_bundle=str(demo.ca_path),
        mode=mode,
        rejected_token=saved.access_token,
    )
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    procs = [ctx.Process(target=run, args=(spec, barrier, results)) for _ in range(PROCESSES)]
    for proc in procs:
        proc.start()
    reports = [results.get(timeout=240) for _ in procs]
    for proc in procs:
        proc.join(60)
    failures = [r for r in reports if r[0] != "ok"]
    assert not failures, failures[0][4]
    assert all(proc.exitcode == 0 for proc in procs)
    return reports


def client_for(demo: DemoPortal) -> OAuthClient:
    return OAuthClient(
        normalize_portal_url(demo.root_url), demo.client_id, ca_bundle=str(demo.ca_path)
    )


def test_twenty_processes_after_a_rejection_make_one_refresh(
    demo: DemoPortal, store: CredentialStore, signed_in: str
) -> None:
    old = store.get(signed_in)
    assert old is not None
    before = grants(demo)

    reports = race(demo, store, signed_in, "rejected")

    assert delta(before, grants(demo)) == {"refresh_token": 1, "exchange_refresh_token": 0}
    assert sum(r[4] for r in reports) == 1  # exactly one process asked the portal
    assert {r[3] for r in reports} == {demo.username}  # every token works at community/self
    new = store.get(signed_in)
    assert new is not None and new.access_token != old.access_token
    assert {r[2] for r in reports} == {digest(new.access_token)}  # all use the saved one
    assert new.refresh_token == old.refresh_token  # a plain refresh keeps it


def test_twenty_processes_with_an_expiring_token_make_one_refresh(
    demo: DemoPortal, store: CredentialStore, signed_in: str
) -> None:
    # Every process sees the access token inside the five-minute margin.
    store.update(
        signed_in, lambda c: c and dataclasses.replace(c, access_expires_at=time.time() + 60)
    )
    before = grants(demo)

    reports = race(demo, store, signed_in, "expiring")

    assert delta(before, grants(demo)) == {"refresh_token": 1, "exchange_refresh_token": 0}
    assert {r[3] for r in reports} == {demo.username}
    assert len({r[2] for r in reports}) == 1


def test_twenty_processes_rotate_the_refresh_token_once(
    demo: DemoPortal, store: CredentialStore, signed_in: str
) -> None:
    # The refresh token has under a day left: the next refresh exchanges it for a new one.
    store.update(
        signed_in,
        lambda c: c and dataclasses.replace(c, refresh_expires_at=time.time() + 3600),
    )
    old = store.get(signed_in)
    assert old is not None and old.refresh_token
    before = grants(demo)

    reports = race(demo, store, signed_in, "rejected")

    assert delta(before, grants(demo)) == {"refresh_token": 0, "exchange_refresh_token": 1}
    assert {r[3] for r in reports} == {demo.username}  # every process ends with a working token
    new = store.get(signed_in)
    assert new is not None and new.refresh_token and new.refresh_token != old.refresh_token
    assert {r[2] for r in reports} == {digest(new.access_token)}
    # The session goes on with the new refresh token; the old one is dead at the portal.
    client = client_for(demo)
    with pytest.raises(errors.RefreshTokenExpired):
        client.refresh(old.refresh_token)
    assert client.refresh(new.refresh_token).username == demo.username


def test_a_rejected_old_refresh_token_rereads_the_store(
    demo: DemoPortal, store: CredentialStore, signed_in: str
) -> None:
    # One process rotated the refresh token; another read the session just before (a writer
    # that skipped the lock: a synced or restored copy of the file) and holds the old one.
    store.update(
        signed_in,
        lambda c: c and dataclasses.replace(c, refresh_expires_at=time.time() + 3600),
    )
    stale = store.get(signed_in)
    assert stale is not None
    client = client_for(demo)
    StoredTokenSource(store, signed_in, client).refresh_after_rejection(stale.access_token)
    rotated = store.get(signed_in)
    assert rotated is not None and rotated.refresh_token != stale.refresh_token

    class OldCopyFirst(CredentialStore):
        """Reads the old copy twice (before and under the lock), then the file itself."""

        reads = 0

        def get(self, key: str) -> Credentials | None:
            self.reads += 1
            if self.reads <= 2:
                return dataclasses.replace(stale, access_expires_at=0)
            return super().get(key)

    before = grants(demo)
    token = StoredTokenSource(OldCopyFirst(store.directory), signed_in, client).token()

    # The portal refused the old refresh token once; the saved session answered instead.
    assert delta(before, grants(demo)) == {"refresh_token": 0, "exchange_refresh_token": 1}
    assert token == rotated.access_token
    assert client.community_self(token)["username"] == demo.username
    assert store.get(signed_in) is not None  # no session lost
