"""``connect()``, ``sessions()``, ``logout()`` and profiles against the demo portal, with real
arcgis: a saved session gives a GIS at once; a missing, signed-out or expired one an error that
says when it ended and how to sign in again; a GIS whose session was signed out elsewhere says
so on its next request."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
from pathlib import Path

import pytest

import agol_jupyter
from agol_jupyter import errors, locations
from agol_jupyter.demo import DemoPortal
from agol_jupyter.oauth import OAuthClient
from agol_jupyter.portal import normalize_portal_url
from agol_jupyter.store import CredentialStore
from tests.sessions.conftest import subprocess_env
from tests.sessions.session_helpers import save_session

SIGN_IN_COMMANDS = ("agol_jupyter.login(", "agol-jupyter login")


def says_how_to_sign_in(exc: errors.AgolJupyterError) -> bool:
    return all(command in exc.remedy for command in SIGN_IN_COMMANDS)


def test_connect_uses_the_saved_session(
    demo: DemoPortal, store: CredentialStore, signed_in: str
) -> None:
    before = demo.stats()["counts"].get("signins", 0)
    gis = agol_jupyter.connect()
    assert type(gis).__module__ == "arcgis.gis"
    assert gis.users.me.username == demo.username
    assert "Field Office Overview" in {i.title for i in gis.content.search("*")}
    assert demo.stats()["counts"].get("signins", 0) == before  # nobody signed in again


def test_connect_without_any_configuration_uses_the_only_session(
    demo: DemoPortal, store: CredentialStore, signed_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (locations.PORTAL_ENV, locations.CLIENT_ID_ENV, locations.CA_BUNDLE_ENV):
        monkeypatch.delenv(name)
    gis = agol_jupyter.connect()  # portal, client id and CA bundle from the saved session
    assert gis.users.me.username == demo.username


def test_connect_never_signed_in(store: CredentialStore, demo: DemoPortal) -> None:
    with pytest.raises(errors.NotSignedIn) as caught:
        agol_jupyter.connect()
    assert "no saved ArcGIS session" in caught.value.message
    assert demo.root_url in caught.value.message
    assert says_how_to_sign_in(caught.value)


def test_connect_after_the_session_ran_out(store: CredentialStore, signed_in: str) -> None:
    store.update(
        signed_in, lambda c: c and dataclasses.replace(c, refresh_expires_at=time.time() - 7200)
    )
    with pytest.raises(errors.SessionExpired) as caught:
        agol_jupyter.connect()
    assert "ran out at" in caught.value.message and " UTC" in caught.value.message
    assert says_how_to_sign_in(caught.value)


def test_connect_after_revocation_at_the_portal(
    demo: DemoPortal, store: CredentialStore, signed_in: str
) -> None:
    demo.revoke_all()  # an admin ended every session; the store does not know yet
    with pytest.raises(errors.SessionExpired) as caught:
        agol_jupyter.connect()
    assert "revoked" in caught.value.message
    assert says_how_to_sign_in(caught.value)


def test_logout_revokes_forgets_and_a_held_gis_says_signed_out(
    demo: DemoPortal, store: CredentialStore, signed_in: str, store_dir: Path
) -> None:
    gis = agol_jupyter.connect()
    saved = store.get(signed_in)
    assert saved is not None and saved.refresh_token
    revocations = demo.stats()["revocations"]

    # Sign out from another process, as the CLI, a job or another kernel would.
    out = subprocess.run(
        [sys.executable, "-c", "import agol_jupyter; print(agol_jupyter.logout())"],
        env=subprocess_env(demo, store_dir),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "the portal revoked the session" in out.stdout
    assert demo.stats()["revocations"] == revocations + 1
    assert store.get(signed_in) is None
    client = OAuthClient(
        normalize_portal_url(demo.root_url), demo.client_id, ca_bundle=str(demo.ca_path)
    )
    with pytest.raises(errors.RefreshTokenExpired):
        client.refresh(saved.refresh_token)

    # The GIS this process still holds: a clear "signed out", not anonymous results.
    with pytest.raises(errors.NotSignedIn) as caught:
        gis.content.search("*")
    assert "signed out" in caught.value.message
    assert demo.username in caught.value.message and " UTC" in caught.value.message
    assert says_how_to_sign_in(caught.value)

    with pytest.raises(errors.NotSignedIn) as again:
        agol_jupyter.connect()
    assert "signed out" in again.value.message
    assert agol_jupyter.logout().signed_out is False  # nothing left to sign out


def test_portal_unreachable(
    demo_certs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with DemoPortal(state_dir=demo_certs, portal_port=0, idp_port=0) as gone:
        store = CredentialStore(tmp_path / "store")
        key = save_session(gone, store).key
        for name, value in {
            locations.PORTAL_ENV: gone.root_url,
            locations.CLIENT_ID_ENV: gone.client_id,
            locations.CA_BUNDLE_ENV: str(gone.ca_path),
            locations.STORE_DIR_ENV: str(store.directory),
        }.items():
            monkeypatch.setenv(name, value)
        gis = agol_jupyter.connect()
    # The portal is down now. The held GIS needs a new token for its next request.
    store.update(key, lambda c: c and dataclasses.replace(c, access_expires_at=0))
    with pytest.raises(errors.PortalUnreachable) as caught:
        gis.content.search("*")
    assert "Could not reach the portal" in caught.value.message
    with pytest.raises(errors.PortalUnreachable):
        agol_jupyter.connect()
    assert store.get(key) is not None  # the session is kept for when the portal is back


def test_profiles_each_have_their_own_session(
    demo: DemoPortal, store: CredentialStore, signed_in: str
) -> None:
    save_session(demo, store, profile="field")
    listed = agol_jupyter.sessions()
    assert [(s.profile, s.username) for s in listed] == [
        ("default", demo.username),
        ("field", demo.username),
    ]
    assert all(not s.expired and s.portal == demo.root_url for s in listed)
    assert "[field] alice at" in str(listed[1])
    assert [s.profile for s in agol_jupyter.sessions(profile="field")] == ["field"]

    field = agol_jupyter.connect(profile="field")
    assert field.users.me.username == demo.username
    result = agol_jupyter.logout(profile="field")
    assert result.signed_out and result.revoked and "profile 'field'" in str(result)

    with pytest.raises(errors.NotSignedIn) as caught:
        field.content.search("*")
    assert "profile='field'" in caught.value.remedy and "--profile field" in caught.value.remedy
    with pytest.raises(errors.NotSignedIn):
        agol_jupyter.connect(profile="field")
    # The default profile's session is untouched.
    assert agol_jupyter.connect().users.me.username == demo.username
    assert [s.profile for s in agol_jupyter.sessions()] == ["default"]


def test_bad_profile_name(store: CredentialStore) -> None:
    with pytest.raises(errors.ConfigurationError) as caught:
        agol_jupyter.connect(profile="../etc")
    assert "profile name" in caught.value.message


def test_login_uses_the_saved_session_without_a_server(
    demo: DemoPortal, store: CredentialStore, signed_in: str
) -> None:
    before = demo.stats()["counts"].get("authorize_requests", 0)
    gis = agol_jupyter.login()  # no Jupyter server, no loopback: the saved session, at once
    assert gis.users.me.username == demo.username
    assert demo.stats()["counts"].get("authorize_requests", 0) == before


def test_magics_with_profiles(demo: DemoPortal, store: CredentialStore, signed_in: str) -> None:
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    save_session(demo, store, profile="field")
    shell = InteractiveShell.instance()
    try:
        shell.run_line_magic("load_ext", "agol_jupyter")
        shell.run_line_magic("agol_login", "--profile field --name field_gis")
        assert shell.user_ns["field_gis"].users.me.username == demo.username
        with capture_output() as listing:
            shell.run_line_magic("agol_sessions", "")
        assert "[default] alice" in listing.stdout and "[field] alice" in listing.stdout
        with capture_output() as out:
            shell.run_line_magic("agol_logout", "--profile field")
        assert "Signed out alice" in out.stdout and "revoked" in out.stdout
        assert [s.profile for s in agol_jupyter.sessions()] == ["default"]
    finally:
        InteractiveShell.clear_instance()
