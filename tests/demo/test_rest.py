"""The portal REST API: token handling, the resources arcgis reads, error envelopes."""

from __future__ import annotations

import socket
import struct
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
import requests
from demo_helpers import signed_in

from agol_jupyter.demo import DemoPortal

INVALID = {"error": {"code": 498, "message": "Invalid token.", "details": []}}
REQUIRED = {"error": {"code": 499, "message": "Token Required", "details": []}}


@pytest.fixture
def token(demo: DemoPortal, http: requests.Session) -> str:
    """A live access token."""
    return str(signed_in(http, demo)["access_token"])


def _get(http: requests.Session, url: str, **kwargs: Any) -> dict[str, Any]:
    r = http.get(url, allow_redirects=False, **kwargs)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.mark.parametrize(
    "how", ["x-esri-authorization", "authorization", "query", "form", "lowercase-bearer"]
)
def test_token_is_accepted_in_every_arcgis_way(
    demo: DemoPortal, http: requests.Session, token: str, how: str
) -> None:
    url = f"{demo.rest_url}/community/self"
    if how == "x-esri-authorization":
        r = http.get(url, params={"f": "json"}, headers={"X-Esri-Authorization": f"Bearer {token}"})
    elif how == "authorization":
        r = http.get(url, params={"f": "json"}, headers={"Authorization": f"Bearer {token}"})
    elif how == "lowercase-bearer":
        r = http.get(url, params={"f": "json"}, headers={"Authorization": f"bearer {token}"})
    elif how == "query":
        r = http.get(url, params={"f": "json", "token": token})
    else:
        r = http.post(url, data={"f": "json", "token": token})
    assert r.status_code == 200
    assert r.json()["username"] == "alice"


@pytest.mark.parametrize(
    "path",
    [
        "community/self",
        "community/users/alice",
        "portals/self/roles",
        "content/users/alice",
        "portals/self",
        "search",
        "content/items/0d3f1c0e6a2b4c8d9e0f1a2b3c4d5e01",
    ],
)
def test_bad_token_is_498_everywhere(demo: DemoPortal, http: requests.Session, path: str) -> None:
    headers = {"X-Esri-Authorization": "Bearer not-a-token"}
    assert _get(http, f"{demo.rest_url}/{path}", params={"f": "json"}, headers=headers) == INVALID


@pytest.mark.parametrize(
    "path", ["community/self", "community/users/alice", "portals/self/roles", "content/users/alice"]
)
def test_private_resources_need_a_token(
    demo: DemoPortal, http: requests.Session, path: str
) -> None:
    assert _get(http, f"{demo.rest_url}/{path}", params={"f": "json"}) == REQUIRED


@pytest.mark.parametrize(
    "path",
    [
        "no/such/thing",
        "portals/self/nothing",
        "community/users/bob",
        "content/items/ffffffffffffffffffffffffffffffff",
        "oauth2/nothing",
    ],
)
def test_unknown_paths_are_http_200_with_an_error_body(
    demo: DemoPortal, http: requests.Session, token: str, path: str
) -> None:
    headers = {"X-Esri-Authorization": f"Bearer {token}"}
    body = _get(http, f"{demo.rest_url}/{path}", params={"f": "json"}, headers=headers)
    assert body["error"]["code"] == 400


def test_outside_rest_unknown_paths_are_200_errors_too(
    demo: DemoPortal, http: requests.Session
) -> None:
    body = _get(http, f"{demo.root_url}/rest/services", params={"f": "json"})
    assert "folders" not in body  # or arcgis would take the portal for an ArcGIS Server
    assert body["error"]["code"] == 400
    assert _get(http, f"{demo.root_url}/whatever", params={"f": "json"})["error"]["code"] == 400


def test_portal_self_anonymous(demo: DemoPortal, http: requests.Session) -> None:
    body = _get(http, f"{demo.rest_url}/portals/self", params={"f": "json"})
    assert body["name"] == "Demo Field Office"
    assert body["portalName"]
    assert body["urlKey"] == "demofield"
    assert "customBaseUrl" in body
    assert body["isPortal"] is True
    assert body["canSignInIDP"] is True
    assert body["supportsOAuth"] is True
    assert body["thumbnail"] == "thumbnail.png"
    assert body["currentVersion"] == "2024.1"
    assert "user" not in body


def test_portal_self_with_token_has_the_user(
    demo: DemoPortal, http: requests.Session, token: str
) -> None:
    body = _get(http, f"{demo.rest_url}/portals/self", params={"f": "json", "token": token})
    user = body["user"]
    assert user["username"] == "alice"
    assert user["orgId"] == body["id"]
    assert user["privileges"]
    assert body["appInfo"]["appId"] == demo.client_id


def test_community_self(demo: DemoPortal, http: requests.Session, token: str) -> None:
    body = _get(http, f"{demo.rest_url}/community/self", params={"f": "json", "token": token})
    assert body["username"] == "alice"
    assert body["fullName"] == "Alice Example"
    assert body["provider"] == "enterprise"
    assert body["idpUsername"]
    assert body["role"]
    assert body["orgId"]
    assert isinstance(body["privileges"], list)


def test_roles(demo: DemoPortal, http: requests.Session, token: str) -> None:
    me = _get(http, f"{demo.rest_url}/community/self", params={"f": "json", "token": token})
    roles = _get(http, f"{demo.rest_url}/portals/self/roles", params={"f": "json", "token": token})
    assert me["roleId"] in [r["id"] for r in roles["roles"]]
    privileges = _get(
        http,
        f"{demo.rest_url}/portals/self/roles/{me['roleId']}/privileges",
        params={"f": "json", "token": token},
    )
    assert privileges["privileges"] == me["privileges"]


def test_thumbnail_is_a_real_png(demo: DemoPortal, http: requests.Session) -> None:
    r = http.get(f"{demo.rest_url}/portals/self/resources/thumbnail.png")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "image/png"
    data = r.content
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (128, 128)
    # Every chunk's CRC is right and the pixels inflate to the expected size.
    pos, idat = 8, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, chunk = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + chunk) == crc
        if kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    assert len(zlib.decompress(idat)) == height * (1 + width * 4)


@pytest.mark.parametrize("path", ["info", "../info", "../rest/info"])
def test_info_endpoints(demo: DemoPortal, http: requests.Session, path: str) -> None:
    url = f"{demo.rest_url}/{path}".replace("/sharing/rest/../", "/")
    body = _get(http, url, params={"f": "json"})
    assert body["owningSystemUrl"] == demo.root_url
    assert body["authInfo"]["isTokenBasedSecurity"] is True
    assert body["authInfo"]["tokenServicesUrl"] == f"{demo.rest_url}/generateToken"


def test_rest_root_reports_the_version(demo: DemoPortal, http: requests.Session) -> None:
    assert _get(http, f"{demo.rest_url}/", params={"f": "json"}) == {"currentVersion": "2024.1"}


def test_generate_token_refuses_the_idp_user(demo: DemoPortal, http: requests.Session) -> None:
    r = http.post(
        f"{demo.rest_url}/generateToken",
        data={"username": demo.username, "password": demo.password, "f": "json"},
    )
    assert r.status_code == 200
    assert r.json()["error"]["code"] == 400


def test_search_shows_what_the_caller_may_see(
    demo: DemoPortal, http: requests.Session, token: str
) -> None:
    url = f"{demo.rest_url}/search"
    anonymous = _get(http, url, params={"q": "*", "f": "json"})
    signed = _get(http, url, params={"q": "*", "f": "json", "token": token})
    assert [i["access"] for i in anonymous["results"]] == ["public"]
    assert signed["total"] == 4
    assert {i["owner"] for i in signed["results"]} == {"alice"}
    types = _get(http, url, params={"q": 'type:"Feature Service"', "f": "json", "token": token})
    assert [i["title"] for i in types["results"]] == ["Field Sites"]
    page = _get(http, url, params={"q": "*", "num": "2", "f": "json", "token": token})
    assert (len(page["results"]), page["nextStart"]) == (2, 3)


def test_items_and_user_content(demo: DemoPortal, http: requests.Session, token: str) -> None:
    public = "0d3f1c0e6a2b4c8d9e0f1a2b3c4d5e01"
    org = "0d3f1c0e6a2b4c8d9e0f1a2b3c4d5e02"
    assert _get(http, f"{demo.rest_url}/content/items/{public}", params={"f": "json"})["id"]
    assert _get(http, f"{demo.rest_url}/content/items/{org}", params={"f": "json"}) == REQUIRED
    item = _get(http, f"{demo.rest_url}/content/items/{org}", params={"f": "json", "token": token})
    assert item["title"] == "Field Sites"
    data = _get(http, f"{demo.rest_url}/content/items/{public}/data", params={"f": "json"})
    assert "baseMap" in data
    mine = _get(http, f"{demo.rest_url}/content/users/alice", params={"f": "json", "token": token})
    assert mine["total"] == 4


def test_stats_count_rejected_tokens(demo: DemoPortal, http: requests.Session) -> None:
    before = demo.stats()["counts"]
    _get(http, f"{demo.rest_url}/community/self", params={"f": "json", "token": "bad"})
    _get(http, f"{demo.rest_url}/community/self", params={"f": "json"})
    after = demo.stats()["counts"]
    assert after["invalid_token"] == before.get("invalid_token", 0) + 1
    assert after["token_required"] == before.get("token_required", 0) + 1


def test_control_api(demo: DemoPortal, http: requests.Session) -> None:
    url = f"{demo.root_url}/__demo__/config"
    body = http.post(url, json={"access_token_seconds": 60, "redirect_uris": ["https://a/b"]})
    assert body.status_code == 200
    assert body.json()["access_token_seconds"] == 60
    assert demo.config.access_token_seconds == 60
    assert demo.config.redirect_uris == ["https://a/b"]
    assert http.post(url, json={"nope": 1}).status_code == 400
    assert http.post(url, json={"code_seconds": "soon"}).status_code == 400
    stats = http.get(f"{demo.root_url}/__demo__/stats").json()
    assert set(stats) >= {"token_requests", "revocations", "issued"}


def test_site_root_leads_to_the_portal_home(demo: DemoPortal, http: requests.Session) -> None:
    site = demo.root_url.removesuffix("/portal")
    r = http.get(f"{site}/", allow_redirects=False)
    assert (r.status_code, r.headers["Location"]) == (302, "/portal/home/")
    home = http.get(f"{site}/portal/home/")
    assert home.status_code == 200
    assert "Demo Field Office" in home.text


def test_fixed_ports(state_dir: Path) -> None:
    ports = []
    for _ in range(2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    with DemoPortal(state_dir=state_dir, portal_port=ports[0], idp_port=ports[1]) as demo:
        assert demo.root_url == f"https://127.0.0.1:{ports[0]}/portal"
        assert demo.idp_origin == f"https://localhost:{ports[1]}"
        r = requests.get(f"{demo.rest_url}/portals/self?f=json", verify=str(demo.ca_path))
        assert r.json()["name"] == "Demo Field Office"


def test_stop_cuts_keep_alive_connections(state_dir: Path) -> None:
    with requests.Session() as s:
        s.trust_env = False
        demo = DemoPortal(state_dir=state_dir).start()
        try:
            s.verify = str(demo.ca_path)
            url = f"{demo.rest_url}/portals/self?f=json"
            assert s.get(url).status_code == 200  # the session now holds a pooled connection
        finally:
            demo.stop()
        with pytest.raises(requests.exceptions.ConnectionError):
            s.get(url, timeout=5)


def test_served_journal_lists_paths_without_queries(demo) -> None:  # type: ignore[no-untyped-def]
    import time as _time

    import requests as _requests

    since = _time.time()
    _requests.get(
        f"{demo.rest_url}/portals/self",
        params={"f": "json", "token": "secret-x"},
        verify=str(demo.ca_path),
        timeout=10,
    )
    served = demo.served(since)
    assert [(s.method, s.path) for s in served] == [("GET", "/portal/sharing/rest/portals/self")]
    assert served[0].seconds >= 0
    assert "secret-x" not in repr(served)


def test_date_header_follows_the_portal_clock(demo, http) -> None:  # type: ignore[no-untyped-def]
    from email.utils import parsedate_to_datetime

    demo.config.update({"clock_offset_seconds": 3 * 3600})
    answer = http.get(f"{demo.rest_url}/portals/self", params={"f": "json"})
    told = parsedate_to_datetime(answer.headers["Date"]).timestamp()
    assert abs(told - (time.time() + 3 * 3600)) < 120
