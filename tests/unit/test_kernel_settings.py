"""Which portal and app a kernel signs in with, and what it says when none is configured."""

from pathlib import Path

import pytest

from agol_jupyter import errors, locations
from agol_jupyter.kernel.settings import resolve_target


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        locations.SERVER_ENV,
        locations.PORTAL_ENV,
        locations.CLIENT_ID_ENV,
        locations.CA_BUNDLE_ENV,
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(locations.STORE_DIR_ENV, str(tmp_path / "store"))


def server_env(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    monkeypatch.setenv(locations.SERVER_ENV, locations.ServerSettings(**values).to_env())


def test_arguments_win(monkeypatch: pytest.MonkeyPatch) -> None:
    server_env(monkeypatch, portal_url="https://a.maps.arcgis.com", client_id="server-app")
    target = resolve_target("https://b.example.com/portal/home", "mine")
    assert target.portal.root == "https://b.example.com/portal"
    assert target.client_id == "mine"
    assert target.in_jupyter_server


def test_server_settings_then_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(locations.PORTAL_ENV, "https://env.maps.arcgis.com")
    monkeypatch.setenv(locations.CLIENT_ID_ENV, "env-app")
    target = resolve_target()
    assert (target.portal.root, target.client_id, target.in_jupyter_server) == (
        "https://env.maps.arcgis.com",
        "env-app",
        False,
    )
    server_env(
        monkeypatch,
        portal_url="https://srv.maps.arcgis.com",
        client_id="srv-app",
        store_dir=str(tmp_path / "srv-store"),
    )
    target = resolve_target()
    assert (target.portal.root, target.client_id) == ("https://srv.maps.arcgis.com", "srv-app")
    assert target.store_dir == tmp_path / "srv-store"


@pytest.mark.parametrize(
    ("portal", "client_id", "says"),
    [(None, "x", "No ArcGIS portal"), ("https://a.maps.arcgis.com", None, "No OAuth client id")],
)
def test_missing_settings(portal: str | None, client_id: str | None, says: str) -> None:
    with pytest.raises(errors.ConfigurationError) as caught:
        resolve_target(portal, client_id)
    assert says in caught.value.message and "AgolJupyter" in caught.value.remedy


def test_missing_ca_bundle_file(tmp_path: Path) -> None:
    with pytest.raises(errors.ConfigurationError, match="does not exist"):
        resolve_target("https://a.maps.arcgis.com", "x", ca_bundle=str(tmp_path / "nope.pem"))


def test_errors_render_without_a_stack_in_ipython() -> None:
    exc = errors.SignInCancelled("Sign-in was cancelled.", "Click the button to try again.")
    assert exc._render_traceback_() == [
        "SignInCancelled: Sign-in was cancelled.",
        "Click the button to try again.",
    ]
    assert str(exc) == "Sign-in was cancelled. Click the button to try again."
