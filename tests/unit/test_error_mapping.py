"""ArcGIS's error answers (HTTP 200 with an error body, or HTML) become exceptions with a remedy."""

import json

import pytest
import requests

from agol_jupyter import errors
from agol_jupyter.rest import parse_json_body


def answer(
    body: object, status: int = 200, content_type: str = "application/json"
) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.url = "https://gis.example.com/portal/sharing/rest/oauth2/token"
    response.headers["Content-Type"] = content_type
    response._content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return response


def envelope(code: int, error: str, description: str) -> dict:
    return {
        "error": {
            "code": code,
            "error": error,
            "error_description": description,
            "message": description,
            "details": [],
        }
    }


@pytest.mark.parametrize(
    ("body", "kind", "remedy_mentions"),
    [
        (
            envelope(400, "invalid_client_id", "Invalid client_id"),
            errors.InvalidClientId,
            "Registered Info",
        ),
        (
            envelope(400, "invalid_request", "Invalid redirect_uri"),
            errors.InvalidRedirectUri,
            "Registered Info",
        ),
        (
            envelope(498, "invalid_request", "refresh_token expired"),
            errors.RefreshTokenExpired,
            "Sign in again",
        ),
        (
            envelope(400, "invalid_grant", "Invalid refresh_token"),
            errors.RefreshTokenExpired,
            "Sign in again",
        ),
        (
            envelope(400, "invalid_grant", "Invalid authorization code"),
            errors.InvalidGrant,
            "again",
        ),
        (envelope(400, "invalid_request", "Invalid code_verifier"), errors.InvalidGrant, "again"),
        (
            {"error": {"code": 498, "message": "Invalid token.", "details": []}},
            errors.InvalidToken,
            "Sign in again",
        ),
        (
            {"error": {"code": 499, "message": "Token Required", "details": []}},
            errors.InvalidToken,
            "Sign in again",
        ),
        (
            {"error": {"code": 500, "message": "Unable to process request", "details": []}},
            errors.PortalResponseError,
            "administrator",
        ),
        ({"error": "something odd"}, errors.PortalResponseError, "portal URL"),
    ],
)
def test_envelope_with_http_200(body: dict, kind: type, remedy_mentions: str) -> None:
    with pytest.raises(kind) as caught:
        parse_json_body(answer(body))
    assert type(caught.value) is kind
    assert remedy_mentions in caught.value.remedy
    assert str(caught.value).startswith(caught.value.message)


def test_html_error_page_is_not_json() -> None:
    page = "<html><body><h1>Error 400: Invalid redirect_uri</h1></body></html>"
    with pytest.raises(errors.PortalResponseError) as caught:
        parse_json_body(answer(page, status=400, content_type="text/html"))
    assert "HTTP 400" in caught.value.message
    assert "/portal" in caught.value.remedy


def test_success_body_passes_through() -> None:
    assert parse_json_body(answer({"access_token": "x", "expires_in": 1800})) == {
        "access_token": "x",
        "expires_in": 1800,
    }


def test_exceptions_never_carry_request_secrets() -> None:
    # The envelope is all the exception sees; nothing of the request goes into its text.
    exc = parse_error(envelope(400, "invalid_grant", "Invalid authorization code"))
    assert "code=" not in str(exc) and "token=" not in str(exc)


def parse_error(body: dict) -> Exception:
    try:
        parse_json_body(answer(body))
    except errors.AgolJupyterError as exc:
        return exc
    raise AssertionError("no exception")


def test_unreachable_portal() -> None:
    from agol_jupyter.rest import get_json

    with pytest.raises(errors.PortalUnreachable) as caught:
        get_json("https://127.0.0.1:9/portal/sharing/rest/portals/self", timeout=2)
    assert "127.0.0.1:9" in caught.value.message
    assert "network" in caught.value.remedy


@pytest.mark.parametrize(
    ("cls", "kind"),
    [
        (errors.InvalidRedirectUri, "invalid_redirect_uri"),
        (errors.SignInCancelled, "sign_in_cancelled"),
        (errors.PortalUnreachable, "portal_unreachable"),
        (errors.ArcGISNotInstalled, "arc_gis_not_installed"),
    ],
)
def test_error_kinds_round_trip(cls: type, kind: str) -> None:
    # The server reports errors to the kernel by kind; the kernel raises the same class.
    assert errors.error_kind(cls("m")) == kind
    assert errors.error_class(kind) is cls


def test_unknown_kind_is_the_base_class() -> None:
    assert errors.error_class("no_such_kind") is errors.AgolJupyterError
