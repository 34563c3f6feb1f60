"""The demo org's data: the org, its one user, a role and a handful of items.

Shapes follow what ArcGIS Enterprise 11.3 returns and what ``arcgis`` 2.4.4 reads.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

ORG_ID = "DemoFieldOrg0001"
ORG_NAME = "Demo Field Office"
URL_KEY = "demofield"
CURRENT_VERSION = "2024.1"
ENTERPRISE_VERSION = "11.3.0"
ROLE_ID = "DemoAnalystRole1"
CREATED_MS = 1704067200000  # 2024-01-01
MODIFIED_MS = 1717200000000  # 2024-06-01

PRIVILEGES = [
    "portal:publisher:publishFeatures",
    "portal:publisher:publishScenes",
    "portal:publisher:publishTiles",
    "portal:user:createGroup",
    "portal:user:createItem",
    "portal:user:joinGroup",
    "portal:user:joinNonOrgGroup",
    "portal:user:shareGroupToOrg",
    "portal:user:shareToGroup",
    "portal:user:shareToOrg",
    "portal:user:viewOrgGroups",
    "portal:user:viewOrgItems",
    "portal:user:viewOrgUsers",
    "premium:user:geocode",
    "premium:user:networkanalysis",
    "features:user:edit",
]


@dataclass(frozen=True)
class DemoUser:
    """The demo org's one member, an enterprise (SAML) login."""

    username: str = "alice"
    password: str = "demo-Pa55word"
    full_name: str = "Alice Example"

    def profile(self, *, private: bool = True) -> dict[str, Any]:
        """The user resource; ``private`` adds what only the user and admins see."""
        first, _, last = self.full_name.partition(" ")
        public: dict[str, Any] = {
            "username": self.username,
            "id": "a11ce0000000000000000000000000a1",
            "fullName": self.full_name,
            "firstName": first,
            "lastName": last,
            "description": "Field analyst at the Demo Field Office.",
            "tags": [],
            "culture": "en",
            "cultureFormat": "us",
            "region": "US",
            "units": "english",
            "thumbnail": None,
            "created": CREATED_MS,
            "modified": MODIFIED_MS,
            "provider": "enterprise",
            "orgId": ORG_ID,
        }
        if not private:
            return public
        return {
            **public,
            "email": f"{self.username}@demo-idp.example",
            "idpUsername": f"{self.username}@demo-idp.example",
            "favGroupId": "fa7000000000000000000000000000f1",
            "lastLogin": MODIFIED_MS,
            "mfaEnabled": False,
            "validateUserProfile": False,
            "access": "org",
            "storageUsage": 123456,
            "storageQuota": 2199023255552,
            "role": "org_publisher",
            "roleId": ROLE_ID,
            "privileges": list(PRIVILEGES),
            "level": "2",
            "userLicenseTypeId": "creatorUT",
            "disabled": False,
            "userType": "arcgisonly",
            "groups": [],
        }


ROLE = {
    "id": ROLE_ID,
    "name": "Field Analyst",
    "description": "Publishes and shares field data.",
    "created": CREATED_MS,
    "modified": MODIFIED_MS,
}

_ITEM_SPECS: list[dict[str, Any]] = [
    {
        "id": "0d3f1c0e6a2b4c8d9e0f1a2b3c4d5e01",
        "title": "Field Office Overview",
        "type": "Web Map",
        "typeKeywords": ["ArcGIS Online", "Explorer Web Map", "Map", "Online Map", "Web Map"],
        "tags": ["overview", "field office"],
        "snippet": "Basemap and office locations for the Demo Field Office.",
        "access": "public",
        "name": None,
        "size": 2048,
    },
    {
        "id": "0d3f1c0e6a2b4c8d9e0f1a2b3c4d5e02",
        "title": "Field Sites",
        "type": "Feature Service",
        "typeKeywords": [
            "ArcGIS Server",
            "Data",
            "Feature Access",
            "Feature Service",
            "Hosted Service",
        ],
        "tags": ["sites", "inspection"],
        "snippet": "Points of the sites the office inspects.",
        "access": "org",
        "name": "Field_Sites",
        "size": 65536,
    },
    {
        "id": "0d3f1c0e6a2b4c8d9e0f1a2b3c4d5e03",
        "title": "Inspection Log 2024",
        "type": "CSV",
        "typeKeywords": ["CSV"],
        "tags": ["inspection", "log"],
        "snippet": "Every inspection of 2024, one row each.",
        "access": "org",
        "name": "inspection_log_2024.csv",
        "size": 4096,
    },
    {
        "id": "0d3f1c0e6a2b4c8d9e0f1a2b3c4d5e04",
        "title": "Survey Analysis",
        "type": "Notebook",
        "typeKeywords": ["Notebook", "Python"],
        "tags": ["analysis"],
        "snippet": "A notebook that summarizes the inspection log.",
        "access": "private",
        "name": "survey_analysis.ipynb",
        "size": 8192,
    },
]

WEB_MAP_DATA: dict[str, Any] = {
    "operationalLayers": [],
    "baseMap": {
        "baseMapLayers": [
            {
                "id": "World_Topo_Map",
                "layerType": "ArcGISTiledMapServiceLayer",
                "url": "https://services.arcgisonline.com/ArcGIS/rest/services/World_Topo_Map/MapServer",
                "visibility": True,
                "opacity": 1,
                "title": "World Topographic Map",
            }
        ],
        "title": "Topographic",
    },
    "spatialReference": {"wkid": 102100, "latestWkid": 3857},
    "authoringApp": "agol-jupyter demo",
    "authoringAppVersion": CURRENT_VERSION,
    "version": "2.31",
}


def items(owner: str, root_url: str) -> list[dict[str, Any]]:
    """Every item of the org (all owned by ``owner``), with portal URLs filled in."""
    out = []
    for spec in _ITEM_SPECS:
        item: dict[str, Any] = {
            "owner": owner,
            "orgId": ORG_ID,
            "created": CREATED_MS,
            "modified": MODIFIED_MS,
            "guid": None,
            "description": spec["snippet"],
            "thumbnail": None,
            "documentation": None,
            "extent": [[-122.6, 37.6], [-122.3, 37.9]],
            "categories": [],
            "spatialReference": None,
            "accessInformation": ORG_NAME,
            "licenseInfo": None,
            "culture": "en-us",
            "properties": None,
            "advancedSettings": None,
            "url": None,
            "proxyFilter": None,
            "appCategories": [],
            "industries": [],
            "languages": [],
            "largeThumbnail": None,
            "banner": None,
            "screenshots": [],
            "listed": False,
            "ownerFolder": None,
            "protected": False,
            "commentsEnabled": True,
            "numComments": 0,
            "numRatings": 0,
            "avgRating": 0,
            "numViews": 42,
            "contentOrigin": "self",
            "isOrgItem": True,
            **spec,
        }
        if spec["type"] == "Feature Service":
            item["url"] = f"{root_url}/demo-server/rest/services/Hosted/Field_Sites/FeatureServer"
        out.append(item)
    return out


def visible_items(all_items: list[dict[str, Any]], username: str | None) -> list[dict[str, Any]]:
    """What ``username`` (``None`` = anonymous) may see."""
    if username is None:
        return [i for i in all_items if i["access"] == "public"]
    return [i for i in all_items if i["access"] != "private" or i["owner"] == username]


_EXACT_FIELDS = {
    "id": "id",
    "owner": "owner",
    "orgid": "orgId",
    "accountid": "orgId",
    "access": "access",
    "tags": "tags",
    "typekeywords": "typeKeywords",
}
_PHRASE_FIELDS = {
    "title": "title",
    "type": "type",
    "snippet": "snippet",
    "description": "description",
}


def search(query: str, candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items matching an ArcGIS search ``q``, simplified.

    Supports ``*``, bare words (title, tags, snippet, type), ``field:value`` for the fields
    arcgis sends (``accountid``, ``owner``, ``type``, ``title``...), quoted values,
    parentheses and ``NOT``/``-``; ``AND`` and ``OR`` are both read as AND (good enough for
    a handful of items).
    """
    try:
        tokens = shlex.split(re.sub(r"[()]", " ", query or "*"))
    except ValueError:
        tokens = query.split()
    terms: list[tuple[bool, str]] = []
    negate_next = False
    for token in tokens:
        if token.upper() in ("AND", "OR"):
            continue
        if token.upper() == "NOT":
            negate_next = True
            continue
        negate = negate_next or token.startswith("-")
        terms.append((negate, token.lstrip("-")))
        negate_next = False
    return [item for item in candidates if all(_matches(item, t) != neg for neg, t in terms)]


def _matches(item: dict[str, Any], token: str) -> bool:
    if token in ("*", ""):
        return True
    name, sep, value = token.partition(":")
    value = value.strip('"').lower()
    if not sep:
        text = " ".join([item["title"], item["snippet"], item["type"], *item["tags"]])
        return token.strip("*").lower() in text.lower()
    name = name.lower()
    if name in _PHRASE_FIELDS:
        return value.strip("*") in str(item.get(_PHRASE_FIELDS[name]) or "").lower()
    if name in _EXACT_FIELDS:
        field = item.get(_EXACT_FIELDS[name])
        values = field if isinstance(field, list) else [field]
        return value == "*" or any(value == str(v).lower() for v in values)
    return True  # a field the demo does not index: no filter
