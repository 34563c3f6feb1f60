"""Walk the demo portal's sign-in pages the way a browser would, with ``requests``.

``walk_signin(authorize_url, ...)`` opens the portal's sign-in page, follows the enterprise
button to the IdP, submits its login form, posts the SAML response back to the portal the way
the auto-submitting form would, and returns the final redirect's ``Location`` (the app's
redirect URI with ``code``/``state``, or ``error=access_denied``) without following it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests

CancelAt = Literal["portal", "idp"]


class SignInWalkError(AssertionError):
    """A page was not what a browser user would have seen on the happy path."""


@dataclass
class Form:
    """A ``<form>``: where it goes, and the fields a submit would send."""

    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str, str]] = field(default_factory=list)  # (text, name, value)


@dataclass
class Page:
    """The parts of an HTML page a sign-in walk needs."""

    links: list[tuple[str, str]] = field(default_factory=list)  # (text, href)
    forms: list[Form] = field(default_factory=list)
    text: str = ""


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._link: list[str] | None = None
        self._href = ""
        self._button: tuple[str, str] | None = None
        self._button_text: list[str] = []
        self._texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and "href" in a:
            self._link, self._href = [], a["href"]
        elif tag == "form":
            self.page.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        elif tag == "input" and self.page.forms:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image"):
                self.page.forms[-1].buttons.append(
                    (a.get("value", ""), a.get("name", ""), a.get("value", ""))
                )
            elif "name" in a:
                self.page.forms[-1].fields[a["name"]] = a.get("value", "")
        elif tag == "button" and self.page.forms:
            if a.get("type", "submit").lower() == "submit":
                self._button, self._button_text = (a.get("name", ""), a.get("value", "")), []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._link is not None:
            self.page.links.append(("".join(self._link).strip(), self._href))
            self._link = None
        elif tag == "button" and self._button is not None:
            name, value = self._button
            self.page.forms[-1].buttons.append(("".join(self._button_text).strip(), name, value))
            self._button = None

    def handle_data(self, data: str) -> None:
        self._texts.append(data)
        if self._link is not None:
            self._link.append(data)
        if self._button is not None:
            self._button_text.append(data)

    def close(self) -> None:
        super().close()
        self.page.text = " ".join(" ".join(self._texts).split())


def parse_page(html: str) -> Page:
    """Links, forms and visible text of ``html`` (stdlib ``html.parser``)."""
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    return parser.page


def pkce_pair() -> tuple[str, str]:
    """A fresh PKCE ``(code_verifier, S256 code_challenge)`` (RFC 7636)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(
    rest_url: str,
    *,
    client_id: str,
    redirect_uri: str,
    state: str,
    code_challenge: str,
    **extra: str,
) -> str:
    """An ``oauth2/authorize`` URL for the demo portal (or any ArcGIS portal)."""
    params = {
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return f"{rest_url}/oauth2/authorize?{urlencode(params)}"


def walk_signin(
    authorize_url: str,
    *,
    username: str,
    password: str,
    ca_path: str | Path,
    cancel_at: CancelAt | None = None,
    timeout: float = 15,
) -> str:
    """Sign in through the portal and the IdP like a browser; return the final ``Location``.

    ``cancel_at="portal"`` presses Cancel on the portal's sign-in page, ``"idp"`` on the IdP's
    login form. Raises :class:`SignInWalkError` when a page is an error page or lacks the
    expected button (the message carries the page's text).
    """
    with requests.Session() as s:
        s.trust_env = False  # REQUESTS_CA_BUNDLE must not replace the demo CA
        s.verify = str(ca_path)

        def get(url: str) -> requests.Response:
            return s.get(url, allow_redirects=False, timeout=timeout)

        signin = get(authorize_url)
        page = _expect_page(signin, "the portal's sign-in page")
        if cancel_at == "portal":
            return _expect_redirect(get(_link(page, "Cancel", signin.url)), "Cancel on the portal")
        to_idp = _expect_redirect(
            get(_link(page, "Sign in with", signin.url)), "the enterprise login button"
        )
        login = get(to_idp)
        form = _form_with_button(_expect_page(login, "the IdP's login form"), "Sign in")
        button = "Cancel" if cancel_at == "idp" else "Sign in"
        fields = dict(form.fields)
        if cancel_at != "idp":
            fields.update(username=username, password=password)
        fields.update(_button_field(form, button))
        idp_origin = "{0.scheme}://{0.netloc}".format(urlsplit(login.url))
        answer = s.post(
            urljoin(login.url, form.action),
            data=fields,
            allow_redirects=False,
            timeout=timeout,
            headers={"Origin": idp_origin},
        )
        answer_page = _expect_page(answer, "the IdP's answer")
        if any(b[0] == "Sign in" for f in answer_page.forms for b in f.buttons):
            raise SignInWalkError(f"the IdP showed its login form again: {answer_page.text}")
        if not answer_page.forms:
            raise SignInWalkError(f"no SAML form in the IdP's answer: {answer_page.text}")
        saml = answer_page.forms[0]
        back = s.post(
            urljoin(answer.url, saml.action),
            data=saml.fields,
            allow_redirects=False,
            timeout=timeout,
            headers={"Origin": idp_origin},
        )
        return _expect_redirect(back, "the portal's SAML sign-in")


def _expect_page(response: requests.Response, what: str) -> Page:
    if response.status_code != 200 or "html" not in response.headers.get("Content-Type", ""):
        text = parse_page(response.text).text if response.text else ""
        raise SignInWalkError(f"{what}: HTTP {response.status_code}: {text[:300]}")
    return parse_page(response.text)


def _expect_redirect(response: requests.Response, what: str) -> str:
    location = response.headers.get("Location")
    if response.status_code not in (301, 302, 303, 307) or not location:
        text = parse_page(response.text).text if response.text else ""
        raise SignInWalkError(f"{what} did not redirect: HTTP {response.status_code}: {text[:300]}")
    return urljoin(response.url, location)


def _link(page: Page, text: str, base: str) -> str:
    for link_text, href in page.links:
        if link_text.startswith(text):
            return urljoin(base, href)
    raise SignInWalkError(f"no link {text!r} on the page: {page.text[:300]}")


def _form_with_button(page: Page, text: str) -> Form:
    for form in page.forms:
        if any(b[0] == text for b in form.buttons):
            return form
    raise SignInWalkError(f"no form with a {text!r} button: {page.text[:300]}")


def _button_field(form: Form, text: str) -> dict[str, str]:
    for button_text, name, value in form.buttons:
        if button_text == text:
            return {name: value} if name else {}
    raise SignInWalkError(f"no {text!r} button in the form")


def obtain_tokens(
    rest_url: str,
    *,
    client_id: str,
    username: str,
    password: str,
    ca_path: str | Path,
    redirect_uri: str = "http://127.0.0.1:9/agol/callback",
    timeout: float = 15,
    **authorize_extra: str,
) -> dict[str, Any]:
    """Sign in with :func:`walk_signin` and exchange the code: the token endpoint's JSON.

    For tests that need a signed-in session but are not about the sign-in itself.
    """
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(16)
    url = authorize_url(
        rest_url,
        client_id=client_id,
        redirect_uri=redirect_uri,
        state=state,
        code_challenge=challenge,
        **authorize_extra,
    )
    location = walk_signin(
        url, username=username, password=password, ca_path=ca_path, timeout=timeout
    )
    query = parse_qs(urlsplit(location).query)
    if query.get("state") != [state] or "code" not in query:
        raise SignInWalkError(f"unexpected redirect: {urlsplit(location)._replace(query='')}")
    with requests.Session() as s:
        s.trust_env = False
        answer = s.post(
            f"{rest_url}/oauth2/token",
            data={
                "client_id": client_id,
                "grant_type": "authorization_code",
                "code": query["code"][0],
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
                "f": "json",
            },
            verify=str(ca_path),
            timeout=timeout,
        )
    body: dict[str, Any] = answer.json()
    if "access_token" not in body:
        raise SignInWalkError(f"code exchange failed: {body}")
    return body
