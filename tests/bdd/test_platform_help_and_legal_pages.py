"""Steps for platform/help_and_legal_pages.feature (issue 10, point 13 and the help page)."""

from __future__ import annotations

import re

import pytest
from httpx import Response
from pytest_bdd import given, parsers, scenarios, then, when

from app.core.settings import LegalSettings, Settings
from tests.bdd.conftest import Browsers, visible_text

scenarios("platform/help_and_legal_pages.feature")

FILLED = LegalSettings(
    operator="SPD Landesverband Eins",
    address="Musterstraße 1 | 12345 Musterstadt",
    email="info@example.org",
    phone="030 123456",
    represented_by="Die Landesvorsitzende",
    supervisory_authority="Die Landesbeauftragte für den Datenschutz",
    accessibility_contact="barrierefrei@example.org",
)


@pytest.fixture
def legal() -> dict[str, LegalSettings]:
    return {}


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    # The legal texts come from the settings the app is built with, before any step runs:
    # the one scenario with a filled-in installation is picked by its name.
    filled = "finds_the_operator" in request.node.name
    return settings.with_overrides(legal=FILLED) if filled else settings


@given("the operator has filled in the legal pages")
def filled_in(browsers: Browsers) -> None:
    page = browsers.of("visitor").get("/impressum")
    assert "SPD Landesverband Eins" in page.text


@when("a visitor opens the start page", target_fixture="response")
def opens_start(browsers: Browsers) -> Response:
    return browsers.of("visitor").get("/")


@when(parsers.parse('a visitor opens "{path}"'), target_fixture="response")
def opens_path(browsers: Browsers, path: str) -> Response:
    return browsers.of("visitor").get(path)


def _links(response: Response) -> dict[str, str]:
    found = re.findall(r'<a\b[^>]*href="([^"]+)"[^>]*>(.*?)</a>', response.text, re.DOTALL)
    return {re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text)).strip(): href for href, text in found}


@then(parsers.parse('the page links "{first}", "{second}", "{third}" and "{fourth}"'))
def links_all(response: Response, first: str, second: str, third: str, fourth: str) -> None:
    links = _links(response)
    for label in (first, second, third, fourth):
        assert label in links, links
        assert response.status_code == 200


@then(parsers.parse('the page links "{label}" to "{target}"'))
def links_to(response: Response, label: str, target: str) -> None:
    assert _links(response).get(label) == target, _links(response)


@then("no sentence of the help page has more than 20 words")
def short_sentences(response: Response) -> None:
    main = response.text.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    text = visible_text(Response(200, text=main))
    for sentence in re.split(r"(?<=[.?!])\s+", text):
        assert len(sentence.split()) <= 20, sentence  # the plain-language limit
