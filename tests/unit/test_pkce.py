"""PKCE (RFC 7636) and the authorize URL."""

import re
from urllib.parse import parse_qs, urlsplit

from agol_jupyter.oauth import authorize_url, make_code_verifier, make_state, s256_challenge
from agol_jupyter.portal import normalize_portal_url


def test_rfc7636_appendix_b_vector() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert s256_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_verifier_shape() -> None:
    verifiers = {make_code_verifier() for _ in range(50)}
    assert len(verifiers) == 50
    for v in verifiers:
        # RFC 7636 4.1: 43..128 chars of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"
        assert re.fullmatch(r"[A-Za-z0-9\-._~]{43,128}", v)


def test_state_is_random_and_url_safe() -> None:
    states = {make_state() for _ in range(50)}
    assert len(states) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{40,}", s) for s in states)


def test_authorize_url() -> None:
    portal = normalize_portal_url("https://gis.example.com/portal/home")
    url = authorize_url(
        portal,
        client_id="abc123",
        redirect_uri="http://localhost:8888/agol/callback?x=1",
        state="st",
        code_challenge="ch",
        expiration_minutes=120,
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://gis.example.com/portal/sharing/rest/oauth2/authorize"
    )
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {
        "client_id": "abc123",
        "response_type": "code",
        "redirect_uri": "http://localhost:8888/agol/callback?x=1",
        "state": "st",
        "code_challenge": "ch",
        "code_challenge_method": "S256",
        "expiration": "120",
    }
