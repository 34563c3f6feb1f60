"""build_gis against the demo portal with the real arcgis: a signed-in GIS, or our errors."""

from __future__ import annotations

import dataclasses
import logging
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import urlsplit

import certifi
import pytest
from arcgis.auth import EsriOAuth2Auth

from agol_jupyter import errors
from agol_jupyter.demo import DemoPortal
from agol_jupyter.kernel.gis import build_gis
from agol_jupyter.oauth import OAuthClient
from agol_jupyter.portal import normalize_portal_url
from agol_jupyter.refresh import StoredTokenSource
from tests.gis.gis_helpers import HttpLog


def issued_secrets(demo: DemoPortal) -> list[str]:
    issued = demo.stats()["issued"]
    return issued["access_tokens"] + issued["refresh_tokens"] + issued["codes"]


def test_signed_in_gis_searches_content(
    demo: DemoPortal, tokens: StoredTokenSource, http_log: HttpLog
) -> None:
    gis = build_gis(tokens, ca_bundle=str(demo.ca_path), expected_username=demo.username)

    assert gis.users.me.username == demo.username
    assert gis.properties["user"]["username"] == demo.username
    titles = {item.title for item in gis.content.search("*")}
    assert "Field Office Overview" in titles
    # Many arcgis call sites read the token from the connection.
    assert gis._con.token == tokens.credentials().access_token
    assert isinstance(gis.session.auth, EsriOAuth2Auth)
    assert demo.stats()["token_requests"] == {"authorization_code": 1}


def test_construction_requests_all_carry_the_token(
    demo: DemoPortal, tokens: StoredTokenSource, http_log: HttpLog
) -> None:
    build_gis(tokens, ca_bundle=str(demo.ca_path))

    print("GIS construction made", len(http_log.sent), "requests:", http_log.paths())
    rest_path = urlsplit(demo.rest_url).path
    # arcgis 2.4.4 with session=: info, portals/self, community/users/<me>, portals/self/roles,
    # portals/self again. No auth probes, no token requests, nothing anonymous.
    assert http_log.paths() == [
        f"GET {rest_path}/info",
        f"GET {rest_path}/portals/self",
        f"GET {rest_path}/community/users/{demo.username}",
        f"POST {rest_path}/portals/self/roles",
        f"GET {rest_path}/portals/self",
    ]
    assert all(r.with_token for r in http_log.sent)


def test_no_token_in_reprs_or_logs(
    demo: DemoPortal, tokens: StoredTokenSource, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    gis = build_gis(tokens, ca_bundle=str(demo.ca_path))
    gis.content.search("*")
    tokens.clock = lambda: tokens.credentials().access_expires_at + 1  # force a refresh
    gis.content.search("*")
    assert demo.stats()["token_requests"].get("refresh_token") == 1

    auth = gis.session.auth
    shown = "\n".join(
        [repr(gis), str(gis), gis._repr_html_(), repr(auth), str(auth), repr(gis.session)]
    )
    shown += caplog.text
    assert demo.root_url in repr(auth)
    for secret in issued_secrets(demo):
        assert secret not in shown


def test_expected_username_must_match(demo: DemoPortal, tokens: StoredTokenSource) -> None:
    with pytest.raises(errors.NotSignedIn) as caught:
        build_gis(tokens, ca_bundle=str(demo.ca_path), expected_username="bob")
    assert demo.username in str(caught.value) and "bob" in str(caught.value)


def test_not_signed_in(demo: DemoPortal, tokens: StoredTokenSource) -> None:
    tokens.store.delete(tokens.key)
    with pytest.raises(errors.NotSignedIn) as caught:
        build_gis(tokens, ca_bundle=str(demo.ca_path))
    assert "login()" in caught.value.remedy


def test_revoked_session_at_construction(demo: DemoPortal, tokens: StoredTokenSource) -> None:
    refresh_token = tokens.credentials().refresh_token
    assert refresh_token
    tokens.client.revoke(refresh_token)  # also ends its access tokens, at the portal only

    with pytest.raises(errors.SessionExpired) as caught:
        build_gis(tokens, ca_bundle=str(demo.ca_path))
    assert "Sign in again" in caught.value.remedy
    assert demo.stats()["counts"].get("invalid_token") == 1  # the 498 that led to the refresh


def test_never_an_anonymous_gis(demo: DemoPortal, tokens: StoredTokenSource) -> None:
    # Tokens that expire the moment they are issued: the portal accepts none of them, even
    # right after a refresh. arcgis on its own would re-send anonymously.
    demo.config.access_token_seconds = 0
    tokens.margin = 0
    tokens.store.update(tokens.key, lambda c: c and dataclasses.replace(c, access_expires_at=0))

    with pytest.raises(errors.SessionExpired) as caught:
        build_gis(tokens, ca_bundle=str(demo.ca_path))
    assert "even after renewing it" in caught.value.message


def test_configured_ca_beats_requests_ca_bundle(
    demo: DemoPortal, tokens: StoredTokenSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A common environment setting that points requests at the public CAs only.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())

    gis = build_gis(tokens, ca_bundle=str(demo.ca_path))
    assert gis.users.me.username == demo.username
    assert gis.content.search("*")


def test_without_the_ca_the_portal_is_untrusted(
    demo: DemoPortal, tokens: StoredTokenSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    with pytest.raises(errors.PortalUnreachable) as caught:
        build_gis(tokens)
    assert "trusted HTTPS connection" in caught.value.message
    assert "CA bundle" in caught.value.remedy


def test_unreachable_portal(demo: DemoPortal, tokens: StoredTokenSource) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    elsewhere = normalize_portal_url(f"https://127.0.0.1:{closed_port}/portal")
    creds = dataclasses.replace(tokens.credentials(), portal=elsewhere.root)
    tokens.store.put(creds)
    client = OAuthClient(elsewhere, demo.client_id, ca_bundle=str(demo.ca_path))
    moved = StoredTokenSource(tokens.store, creds.key, client)

    with pytest.raises(errors.PortalUnreachable) as caught:
        build_gis(moved, ca_bundle=str(demo.ca_path))
    assert f"127.0.0.1:{closed_port}" in caught.value.message


def test_arcgis_missing(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["arcgis"] = None  # what a missing package looks like to import
        from agol_jupyter import errors
        from agol_jupyter.kernel.gis import build_gis
        assert "arcgis" not in [m.split(".")[0] for m in sys.modules if sys.modules[m]]
        try:
            build_gis(object())
        except errors.ArcGISNotInstalled as exc:
            print(exc)
        else:
            raise SystemExit("no error")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert done.returncode == 0, done.stderr
    message = done.stdout
    assert "arcgis package" in message and "not installed" in message
    assert 'pip install "agol-jupyter[arcgis]"' in message
    assert "pip install arcgis" in message
    assert "restart the kernel" in message
