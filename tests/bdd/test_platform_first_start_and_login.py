"""Steps for first_start_and_login.feature: language, login, logout."""

from __future__ import annotations

import re

from httpx import Response
from litestar import Litestar
from litestar.testing import TestClient
from pytest_bdd import given, parsers, scenarios, then, when

from tests.bdd.conftest import SESSION_COOKIE, Browsers, is_redirect_to_login, visible_text
from tests.helpers import csrf_token

scenarios("platform/first_start_and_login.feature")

LANGUAGE_CODES = {"German": "de", "English": "en"}


@when("a visitor whose browser names no language opens the start page", target_fixture="response")
def visitor_without_language(client: TestClient[Litestar]) -> Response:
    assert "accept-language" not in client.headers
    return client.get("/", follow_redirects=False)


@when(
    parsers.parse('a visitor whose browser asks for "{languages}" opens the start page'),
    target_fixture="response",
)
def visitor_with_languages(client: TestClient[Litestar], languages: str) -> Response:
    client.headers["accept-language"] = languages
    return client.get("/", follow_redirects=False)


@given(parsers.parse('a visitor whose browser asks for "{languages}" is on the start page'))
def visitor_on_start_page(client: TestClient[Litestar], languages: str) -> None:
    client.headers["accept-language"] = languages
    assert 'lang="de"' in client.get("/").text


@when(parsers.parse('the visitor switches the language to "{language}"'))
def switches_language(client: TestClient[Litestar], language: str) -> None:
    token = csrf_token(client, "/")
    data = {"locale": LANGUAGE_CODES[language], "next": "/", "_csrf_token": token}
    response = client.post("/language", data=data, follow_redirects=False)
    assert response.status_code in {302, 303}, visible_text(response)
    assert response.headers["location"] == "/"


@then(parsers.parse("the start page is in {language}"), target_fixture="response")
def start_page_in(client: TestClient[Litestar], language: str) -> Response:
    response = client.get("/", follow_redirects=False)
    page_in_language(response, language)
    return response


@then(parsers.parse("the page is in {language}"))
def page_in_language(response: Response, language: str) -> None:
    code = LANGUAGE_CODES[language]
    assert response.status_code == 200
    assert re.search(rf'<html lang="{code}">', response.text), response.text[:200]
    assert response.headers["content-language"] == code


@then("the language stays English on the login page")
def login_page_english(client: TestClient[Litestar]) -> None:
    page = client.get("/login")
    assert '<html lang="en">' in page.text
    assert "Forgot your password?" in visible_text(page)


@then(parsers.parse("the dashboard lists these units of {name:w}:"))
def dashboard_units(response: Response, datatable: list[list[str]]) -> None:
    section = response.text.split('id="h-units"', 1)[1].split("</section>", 1)[0]
    listed = re.findall(r'<a href="/units/[^"]+">([^<]+)</a>', section)
    assert listed == [row[0] for row in datatable[1:]]


@then(parsers.parse("{name:w}'s browser holds no session cookie"))
def no_session_cookie(browsers: Browsers, response: Response, name: str) -> None:
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert browsers.of(name).cookies.get(SESSION_COOKIE) is None


@then(parsers.parse('{name:w} is sent to the login page, which says "{text}"'))
def sent_to_login(browsers: Browsers, response: Response, name: str, text: str) -> None:
    assert is_redirect_to_login(response)
    assert text in visible_text(browsers.of(name).get(response.headers["location"]))
