"""What people paste, and the one canonical portal root it must become."""

import pytest

from agol_jupyter.errors import PortalURLError
from agol_jupyter.portal import PortalInfo, normalize_portal_url

CASES = [
    # ArcGIS Online
    ("https://www.arcgis.com", "https://www.arcgis.com"),
    ("https://www.arcgis.com/", "https://www.arcgis.com"),
    ("www.arcgis.com", "https://www.arcgis.com"),
    ("arcgis.com", "https://www.arcgis.com"),
    ("https://www.arcgis.com/home/index.html", "https://www.arcgis.com"),
    ("https://www.arcgis.com/sharing/rest", "https://www.arcgis.com"),
    ("http://www.arcgis.com/sharing/rest/", "https://www.arcgis.com"),
    ("https://myorg.maps.arcgis.com/home/index.html", "https://myorg.maps.arcgis.com"),
    ("https://MyOrg.Maps.ArcGIS.com/home/", "https://myorg.maps.arcgis.com"),
    ("myorg.maps.arcgis.com", "https://myorg.maps.arcgis.com"),
    (
        "https://myorg.maps.arcgis.com/apps/mapviewer/index.html?webmap=1",
        "https://myorg.maps.arcgis.com",
    ),
    (
        "https://myorg.maps.arcgis.com/home/item.html?id=abc#overview",
        "https://myorg.maps.arcgis.com",
    ),
    ("  https://myorg.maps.arcgis.com  ", "https://myorg.maps.arcgis.com"),
    # ArcGIS Enterprise: the web adaptor path stays
    ("https://gis.example.com/portal/", "https://gis.example.com/portal"),
    ("https://gis.example.com/portal", "https://gis.example.com/portal"),
    ("https://gis.example.com/portal/home", "https://gis.example.com/portal"),
    ("https://gis.example.com/portal/home/index.html", "https://gis.example.com/portal"),
    ("https://gis.example.com/portal/sharing/rest", "https://gis.example.com/portal"),
    ("https://gis.example.com/portal/sharing/rest/", "https://gis.example.com/portal"),
    (
        "https://gis.example.com/portal/sharing/rest/oauth2/authorize",
        "https://gis.example.com/portal",
    ),
    ("https://gis.example.com/portal/sharing/", "https://gis.example.com/portal"),
    ("http://gis.example.com/portal", "https://gis.example.com/portal"),
    ("gis.example.com/portal", "https://gis.example.com/portal"),
    ("https://GIS.Example.com/Portal/home", "https://gis.example.com/Portal"),
    ("https://gis.example.com:7443/arcgis/home", "https://gis.example.com:7443/arcgis"),
    ("https://gis.example.com:443/portal", "https://gis.example.com/portal"),
    ("https://gis.example.com/gis/portal/home/", "https://gis.example.com/gis/portal"),
    ("https://gis.example.com/portal/portaladmin", "https://gis.example.com/portal"),
    # loopback test portals may use plain http
    ("http://127.0.0.1:8080/portal", "http://127.0.0.1:8080/portal"),
    ("http://localhost:8080/portal/home", "http://localhost:8080/portal"),
    ("https://127.0.0.1:8443/portal/sharing/rest", "https://127.0.0.1:8443/portal"),
    ("https://[::1]:8443/portal", "https://[::1]:8443/portal"),
]


@pytest.mark.parametrize(("pasted", "root"), CASES)
def test_normalize(pasted: str, root: str) -> None:
    portal = normalize_portal_url(pasted)
    assert portal.root == root
    assert portal.rest == root + "/sharing/rest"


@pytest.mark.parametrize(("pasted", "root"), CASES)
def test_normalize_is_idempotent(pasted: str, root: str) -> None:
    assert normalize_portal_url(normalize_portal_url(pasted).root).root == root


@pytest.mark.parametrize(
    ("pasted", "says"),
    [
        ("", "No portal URL"),
        ("   ", "No portal URL"),
        ("ftp://gis.example.com/portal", "not a web address"),
        ("https://user:secret@gis.example.com/portal", "user name or password"),
        ("https:///portal", "no host"),
        ("https://gis.example.com:99999/portal", "invalid port"),
        ("https://gis.example.com/arcgis/rest/services", "ArcGIS Server services URL"),
    ],
)
def test_rejects_with_a_remedy(pasted: str, says: str) -> None:
    with pytest.raises(PortalURLError) as caught:
        normalize_portal_url(pasted)
    assert says in caught.value.message
    assert caught.value.remedy


def test_online_flags() -> None:
    assert normalize_portal_url("myorg.maps.arcgis.com").is_online
    assert not normalize_portal_url("https://gis.example.com/portal").is_online


def test_portal_info_from_portals_self() -> None:
    portal = normalize_portal_url("https://gis.example.com/portal")
    info = PortalInfo.from_portals_self(
        portal,
        {
            "name": "Field Office",
            "urlKey": "field",
            "isPortal": True,
            "canSignInIDP": True,
            "thumbnail": "logo.png",
        },
    )
    assert info.name == "Field Office"
    assert info.can_sign_in_idp and info.is_portal
    assert (
        info.thumbnail_url
        == "https://gis.example.com/portal/sharing/rest/portals/self/resources/logo.png"
    )
    unnamed = PortalInfo.from_portals_self(normalize_portal_url("www.arcgis.com"), {})
    assert unnamed.name == "ArcGIS Online" and unnamed.thumbnail_url is None


@pytest.mark.parametrize(
    "pasted",
    [
        "https://<script>alert(1)</script>/portal",
        "https://gis example.com/portal",
        "https://gis.exämple.com/portal",
        "https://gis.example.com/por<tal>/home",
        "https://gis.example.com/" + "a" * 3000,
        'https://gis.example.com/portal"onload="x',
    ],
)
def test_refuses_what_no_portal_address_has(pasted: str) -> None:
    with pytest.raises(PortalURLError) as caught:
        normalize_portal_url(pasted)
    assert "<" not in str(caught.value) and "onload" not in str(caught.value)
