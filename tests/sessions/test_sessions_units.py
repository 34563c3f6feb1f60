"""Small pieces of the saved-session work: public names, sign-out notes in the store, the
``%agol_logout`` options, the widget's saved-session state."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import agol_jupyter
from agol_jupyter.errors import ConfigurationError
from agol_jupyter.kernel.magic import parse_logout_line
from agol_jupyter.refresh import sign_in_again_remedy
from agol_jupyter.store import MAX_SIGNED_OUT, Credentials, CredentialStore


def creds(n: int = 0, profile: str = "default") -> Credentials:
    return Credentials(
        portal=f"https://org{n}.maps.arcgis.com",
        client_id="app",
        username=f"user{n}",
        access_token=f"secret-access-{n}",
        access_expires_at=time.time() + 1800,
        refresh_token=f"secret-refresh-{n}",
        refresh_expires_at=time.time() + 86400 * 14,
        profile=profile,
    )


def test_public_names() -> None:
    assert set(agol_jupyter.__all__) == {"__version__", "connect", "login", "logout", "sessions"}
    assert all(callable(getattr(agol_jupyter, n)) for n in agol_jupyter.__all__[1:])


def test_sign_out_is_remembered_until_the_next_sign_in(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path)
    session = creds()
    store.put(session)
    assert store.signed_out(session.key) is None
    store.delete(session.key)
    note = store.signed_out(session.key)
    assert note is not None and note.username == "user0" and note.at <= time.time()
    text = store.path.read_text()
    assert "secret" not in text  # a note holds no token
    store.put(session)
    assert store.signed_out(session.key) is None


def test_only_the_latest_sign_outs_are_kept(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path)
    for n in range(MAX_SIGNED_OUT + 5):
        store.put(creds(n))
        store.delete(creds(n).key)
    kept = json.loads(store.path.read_text())["signed_out"]
    assert len(kept) == MAX_SIGNED_OUT
    assert creds(MAX_SIGNED_OUT + 4).key in kept and creds(0).key not in kept


def test_remedies_name_both_commands_and_the_profile() -> None:
    remedy = sign_in_again_remedy("https://org.maps.arcgis.com")
    assert "agol_jupyter.login()" in remedy and "agol-jupyter login" in remedy
    field = sign_in_again_remedy("https://org.maps.arcgis.com", "field")
    assert (
        "login(profile='field')" in field
        and "login https://org.maps.arcgis.com --profile field" in field
    )


def test_logout_magic_options() -> None:
    args = parse_logout_line("https://org.maps.arcgis.com --profile field")
    assert (args.portal, args.profile, args.client_id) == (
        "https://org.maps.arcgis.com",
        "field",
        None,
    )
    with pytest.raises(ConfigurationError) as caught:
        parse_logout_line("--force")
    assert caught.value.remedy.startswith("Usage: %agol_logout")


def test_widget_says_saved_session_without_secrets() -> None:
    from agol_jupyter.widget import SignInWidget

    widget = SignInWidget(profile="field")
    widget.show_signed_in("alice", "Alice", "Org", time.time() + 3600, saved_session=True)
    state = widget.get_state()
    assert state["saved_session"] is True and state["profile"] == "field"
    widget.show_signed_out()
    assert widget.get_state()["saved_session"] is False
