"""Steps shared by the features about getting in (activation, registration, links).

pytest-bdd finds steps in the test module and in conftest.py only: the test modules
that need these import them by name.
"""

# Step functions get fixtures and step arguments by name from pytest-bdd, never by position.
from __future__ import annotations

import html
import re
from typing import Any

from httpx import Response
from pytest_bdd import parsers, then, when

from tests.bdd.conftest import Browsers, People, body_of, subject_of, visible_text
from tests.conftest import MailCatcher
from tests.helpers import submit

_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.DOTALL)
_INPUT = re.compile(r"<input\b([^>]*)>")
_ATTR = re.compile(r'([a-zA-Z_:-]+)="([^"]*)"')


def _attrs(tag: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in _ATTR.findall(tag)}


def press_button(
    browser: Any, page: Response, label: str, fields: dict[str, str] | None = None
) -> Response:
    """Send the form on ``page`` whose button reads ``label``, as a browser would:
    its hidden fields (CSRF token included) plus ``fields`` typed in by the person."""
    for form_attrs, inner in _FORM.findall(page.text):
        buttons = re.findall(r"<button\b[^>]*>(.*?)</button>", inner, re.DOTALL)
        if not any(html.unescape(re.sub(r"<[^>]+>", "", b)).strip() == label for b in buttons):
            continue
        data: dict[str, str] = {}
        for tag in _INPUT.findall(inner):
            attributes = _attrs(tag)
            if attributes.get("type") == "hidden" and "name" in attributes:
                data[attributes["name"]] = attributes.get("value", "")
        data.update(fields or {})
        action = _attrs(form_attrs).get("action", "")
        return browser.post(action, data=data, follow_redirects=False)
    raise AssertionError(f"no button {label!r} on the page: {visible_text(page)}")


def follow(browser: Any, response: Response) -> Response:
    """Follow a redirect the way the browser shows the next page."""
    if response.status_code in {302, 303}:
        return browser.get(response.headers["location"])  # type: ignore[no-any-return]
    return response


def mailed_links(mailbox: MailCatcher, address: str, subject: str) -> list[str]:
    mails = [m for m in mailbox.to(address) if subject_of(m) == subject]
    assert mails, (
        f"no mail {subject!r} to {address}: {[subject_of(m) for m in mailbox.to(address)]}"
    )
    return re.findall(r"https://testserver\.local(/\S+)", body_of(mails[-1]))


@when(
    parsers.parse('{name:w} presses "{label}" on that page'),
    target_fixture="response",
)
def presses(browsers: Browsers, response: Response, name: str, label: str) -> Response:
    browser = browsers.of(name)
    return follow(browser, press_button(browser, response, label))


@then(parsers.parse('the e-mail "{subject}" to {name:w} does not mention "{text}"'))
def mail_does_not_mention(
    mailbox: MailCatcher, people: People, subject: str, name: str, text: str
) -> None:
    mails = [m for m in mailbox.to(people[name].email) if subject_of(m) == subject]
    assert mails
    assert text not in body_of(mails[-1])


def choose_password(browsers: Browsers, people: People, name: str, password: str) -> Response:
    """Set the password on the activation page the person's mailed link opened."""
    person = people[name]
    assert person.link
    assert person.link.startswith("/activate?token=")
    data = {"password": password, "password_repeat": password}
    response = submit(
        browsers.of(name), person.link, "/activate", {**data, "token": token_of(person.link)}
    )
    if response.status_code in {302, 303}:
        person.password = password
        return browsers.of(name).get(response.headers["location"])
    return response


def token_of(link: str) -> str:
    return link.split("token=", 1)[1]


@when(
    parsers.parse('{name:w} chooses the password "{password}" on that page'),
    target_fixture="response",
)
def chooses_password(browsers: Browsers, people: People, name: str, password: str) -> Response:
    return choose_password(browsers, people, name, password)
