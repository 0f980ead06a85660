"""Steps of motions/initiative_dashboard.feature: the overview's section on initiatives.

Imported with ``from tests.bdd.initiative_dashboard_steps import *`` by the initiative
test module, whose steps (an initiative open for signing, signing, starting) they follow.
"""

from __future__ import annotations

import html
import re

from httpx import Response
from pytest_bdd import parsers, then, when

from tests.bdd.conftest import Browsers, visible_text

SECTION = "/initiatives/mine/"


def _item(response: Response, title: str) -> str | None:
    """The visible text of the list entry that names ``title``, if there is one."""
    for entry in re.findall(r"<li>.*?</li>", response.text, flags=re.DOTALL):
        text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", entry)))
        if title in text:
            return text
    return None


@when(
    parsers.parse("{name:w} opens the initiatives on his overview"),
    target_fixture="overview",
)
def opens_overview_section(browsers: Browsers, name: str) -> Response:
    dashboard = browsers.of(name).get("/dashboard")
    assert dashboard.status_code == 200
    assert 'hx-get="/initiatives/mine"' in dashboard.text, "the overview loads the section"
    response = browsers.of(name).get(SECTION)
    assert response.status_code == 200, response.text
    return response


@when("the visitor opens the initiatives section of the overview", target_fixture="overview")
def visitor_opens_overview_section(browsers: Browsers) -> Response:
    return browsers.of("visitor").get(SECTION, follow_redirects=False)


@then(parsers.parse('the overview lists "{title}" with "{text}"'))
def overview_lists(overview: Response, title: str, text: str) -> None:
    entry = _item(overview, title)
    assert entry is not None, visible_text(overview)
    assert text in entry or text in visible_text(overview), entry


@then(parsers.parse('the overview does not list "{title}"'))
def overview_does_not_list(overview: Response, title: str) -> None:
    assert title not in visible_text(overview)


@then(parsers.parse('the overview says "{text}"'))
def overview_says(overview: Response, text: str) -> None:
    assert text in visible_text(overview)


@then(parsers.parse('the overview does not say "{text}"'))
def overview_does_not_say(overview: Response, text: str) -> None:
    assert text not in visible_text(overview)


@then("the visitor is sent to the login")
def visitor_sent_to_login(overview: Response) -> None:
    assert overview.status_code in {302, 303, 401}, overview.status_code
    if overview.status_code != 401:
        assert "/login" in overview.headers["location"]
