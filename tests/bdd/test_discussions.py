"""Steps for the discussion features (issue 11): debates, threads, rights, moderation,
formatting, staying informed, search.

People, their browsers and the organisation are the shared steps of ``conftest.py``.
Debates that exist "already" are opened through the real service (as staff would);
everything a person does afterwards is done in their browser against the real app.
Only the clock is moved by hand (a post "20 minutes ago", a debate that "ended").
"""

# Step functions get fixtures and step arguments by name from pytest-bdd, never by position.
# ruff: noqa: PLR0917

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from httpx import Response
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.db import Database, utcnow
from app.discussions import services
from app.discussions.models import Ban, Discussion, Post, PostScope, ReadScope
from tests.bdd.access_steps import follow, press_button
from tests.bdd.audit_steps import *  # noqa: F403 - the shared steps
from tests.bdd.conftest import (
    Browsers,
    Organisation,
    People,
    account_of,
    body_of,
    fresh_session,
    subject_of,
    visible_text,
)
from tests.conftest import MailCatcher
from tests.helpers import submit

scenarios("discussions")

HTMX = {"hx-request": "true"}
STANCES = {"dafür": "for", "dagegen": "against", "neutral": "neutral"}
SCOPES = {
    "members": (ReadScope.PUBLIC, PostScope.MEMBERS),
    "members and guests": (ReadScope.PUBLIC, PostScope.EVERYONE),
    "members of the unit only": (ReadScope.UNIT, PostScope.MEMBERS),
}


@pytest.fixture
def debates() -> dict[str, uuid.UUID]:
    return {}


def _page(debates: dict[str, uuid.UUID], title: str) -> str:
    return f"/discussions/{debates[title]}"


def _post_id(database: Database, text: str) -> int:
    with fresh_session(database) as session:
        found = session.scalar(select(Post.id).where(Post.body == text).order_by(Post.id.desc()))
    assert found is not None, f"no post {text!r}"
    return found


def _open(
    db: Session,
    org: Organisation,
    people: People,
    debates: dict[str, uuid.UUID],
    title: str,
    unit_name: str,
    who: str,
    *,
    hold: bool = False,
) -> Discussion:
    read_scope, post_scope = SCOPES[who]
    staff = account_of(db, people, "Sabine")
    draft = services.DebateDraft(
        title=title,
        opening="Worüber wir reden wollen.",
        closes_at=utcnow() + timedelta(days=7),
        read_scope=read_scope,
        post_scope=post_scope,
        hold_first_guest_post=hold,
    )
    debate = services.open_debate(db, staff, org.unit(unit_name), draft)
    debates[title] = debate.id
    return debate


# -- Given ----------------------------------------------------------------------------------


@given(parsers.parse('the debate "{title}" of "{unit_name}" for {who}'))
def a_debate(
    db: Session,
    org: Organisation,
    people: People,
    debates: dict[str, uuid.UUID],
    title: str,
    unit_name: str,
    who: str,
) -> None:
    _open(db, org, people, debates, title, unit_name, who)


@given(
    parsers.parse(
        'the debate "{title}" of "{unit_name}" for {who}, where a guest\'s first post waits for approval'
    )
)
def a_held_debate(
    db: Session,
    org: Organisation,
    people: People,
    debates: dict[str, uuid.UUID],
    title: str,
    unit_name: str,
    who: str,
) -> None:
    _open(db, org, people, debates, title, unit_name, who, hold=True)


@given(parsers.parse('the debate "{title}" ended yesterday'))
def debate_ended(db: Session, debates: dict[str, uuid.UUID], title: str) -> None:
    debate = db.get(Discussion, debates[title])
    assert debate is not None
    debate.closes_at = utcnow() - timedelta(days=1)
    db.commit()


@given(parsers.parse('{name:w} has posted "{text}" in "{title}"'))
def has_posted(
    browsers: Browsers, debates: dict[str, uuid.UUID], name: str, text: str, title: str
) -> None:
    response = posts_in(browsers, debates, name, text, title)
    assert response.status_code == 302, visible_text(response)


@given(parsers.parse('{name:w} posted "{text}" in "{title}" {minutes:d} minutes ago'))
def posted_long_ago(
    browsers: Browsers,
    database: Database,
    debates: dict[str, uuid.UUID],
    name: str,
    text: str,
    title: str,
    minutes: int,
) -> None:
    has_posted(browsers, debates, name, text, title)
    with fresh_session(database) as session:
        found = session.get(Post, _post_id(database, text))
        assert found is not None
        found.created_at = utcnow() - timedelta(minutes=minutes)
        session.commit()


@given(parsers.parse('{count:d} posts "{prefix} <n>" are in "{title}"'))
def many_posts(
    db: Session, people: People, debates: dict[str, uuid.UUID], count: int, prefix: str, title: str
) -> None:
    author = account_of(db, people, "Sabine")
    start = utcnow() - timedelta(hours=1)
    for number in range(1, count + 1):
        db.add(
            Post(
                discussion_id=debates[title],
                author_id=author.id,
                body=f"{prefix} {number}",
                created_at=start + timedelta(seconds=number),
            )
        )
    db.commit()


@given(parsers.parse('{name:w} is a named moderator of "{title}"'))
def named_moderator(
    db: Session, people: People, debates: dict[str, uuid.UUID], name: str, title: str
) -> None:
    debate = db.get(Discussion, debates[title])
    assert debate is not None
    services.add_moderator(db, debate, account_of(db, people, "Sabine"), people[name].account_id)  # type: ignore[arg-type]


@given(parsers.parse("{name:w} was last mailed the digest {hours:d} hours ago"))
def last_digest(db: Session, people: People, name: str, hours: int) -> None:
    profile = services.profile_of(db, people[name].account_id)  # type: ignore[arg-type]
    profile.last_digest_at = utcnow() - timedelta(hours=hours)
    db.commit()


@given(parsers.parse('{name:w} has posted a post of {count:d} words in "{title}"'))
def has_posted_long(
    browsers: Browsers, debates: dict[str, uuid.UUID], name: str, count: int, title: str
) -> None:
    text = " ".join(f"Wort{number}" for number in range(1, count + 1))
    has_posted(browsers, debates, name, text, title)


# -- When: debates --------------------------------------------------------------------------


@when(
    parsers.parse('{name:w} opens the debate "{title}" in "{unit_name}" for {who} until {when}'),
    target_fixture="response",
)
def opens_debate(
    browsers: Browsers,
    database: Database,
    org: Organisation,
    debates: dict[str, uuid.UUID],
    name: str,
    title: str,
    unit_name: str,
    who: str,
    when: str,
) -> Response:
    read_scope, post_scope = SCOPES[who]
    closes = (
        ""
        if when == "further notice"
        else (utcnow() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    )
    code = org.unit(unit_name).code
    page = f"/discussions/units/{code}/new"
    response = submit(
        browsers.of(name),
        page if name != "visitor" else "/login",
        page,
        {
            "title": title,
            "opening": "Lasst uns über die **Zukunft** reden.",
            "closes_at": closes,
            "read_scope": read_scope,
            "post_scope": post_scope,
        },
    )
    with fresh_session(database) as session:
        found = session.scalar(select(Discussion.id).where(Discussion.title == title))
    if found is not None:
        debates[title] = found
    if response.status_code == 302:
        return browsers.of(name).get(response.headers["location"])
    return response


@when(parsers.parse('{name:w} opens the page of "{unit_name}"'), target_fixture="response")
def opens_unit_page(browsers: Browsers, org: Organisation, name: str, unit_name: str) -> Response:
    code = org.unit(unit_name).code
    page = browsers.of(name).get(f"/units/{code}")
    assert f'hx-get="/discussions/units/{code}/debates"' in page.text
    return browsers.of(name).get(f"/discussions/units/{code}/debates", headers=HTMX)


@when(parsers.parse("{name:w} looks at {pronoun:w} dashboard"), target_fixture="response")
def looks_at_dashboard(browsers: Browsers, name: str, pronoun: str) -> Response:
    dashboard = browsers.of(name).get("/dashboard")
    assert 'hx-get="/discussions/mine"' in dashboard.text
    return browsers.of(name).get("/discussions/mine", headers=HTMX)


@given(parsers.parse('{name:w} opens the debate "{title}"'))
@when(parsers.parse('{name:w} opens the debate "{title}"'), target_fixture="response")
def opens_debate_page(
    browsers: Browsers, debates: dict[str, uuid.UUID], name: str, title: str
) -> Response:
    return browsers.of(name).get(_page(debates, title))


@when(parsers.parse('a visitor opens the debate "{title}"'), target_fixture="response")
def visitor_opens(browsers: Browsers, debates: dict[str, uuid.UUID], title: str) -> Response:
    return browsers.of("visitor").get(_page(debates, title))


@when(parsers.parse('a visitor searches "{words}" in "{title}"'), target_fixture="response")
def visitor_searches(
    browsers: Browsers, debates: dict[str, uuid.UUID], words: str, title: str
) -> Response:
    return browsers.of("visitor").get(f"{_page(debates, title)}/search", params={"q": words})


@when(
    parsers.parse('{name:w} opens page {number:d} of "{title}" sorted by {sort:w}'),
    target_fixture="response",
)
def opens_page_sorted(
    browsers: Browsers, debates: dict[str, uuid.UUID], name: str, number: int, title: str, sort: str
) -> Response:
    return browsers.of(name).get(f"{_page(debates, title)}?page={number}&sort={sort}")


# -- When: posting --------------------------------------------------------------------------


@when(parsers.parse('{name:w} posts "{text}" in "{title}"'), target_fixture="response")
def posts_in(
    browsers: Browsers, debates: dict[str, uuid.UUID], name: str, text: str, title: str
) -> Response:
    page = _page(debates, title)
    return submit(browsers.of(name), page, f"{page}/posts", {"body": text.replace("\\n", "\n")})


@when(parsers.parse('{name:w} posts {count:d} characters in "{title}"'), target_fixture="response")
def posts_long(
    browsers: Browsers, debates: dict[str, uuid.UUID], name: str, count: int, title: str
) -> Response:
    page = _page(debates, title)
    return submit(browsers.of(name), page, f"{page}/posts", {"body": "x" * count})


@when(parsers.parse('{name:w} posts {count:d} times in "{title}"'), target_fixture="response")
def posts_many_times(
    browsers: Browsers, debates: dict[str, uuid.UUID], name: str, count: int, title: str
) -> Response:
    response = None
    for number in range(1, count + 1):
        response = posts_in(browsers, debates, name, f"Beitrag Nummer {number}", title)
    assert response is not None
    return response


def _reply(
    browsers: Browsers,
    database: Database,
    debates: dict[str, uuid.UUID],
    name: str,
    text: str,
    original: str,
    title: str,
    *,
    quoting: bool,
) -> Response:
    page = _page(debates, title)
    target = str(_post_id(database, original))
    data = {"body": text, "parent_id": target}
    if quoting:
        data["quote_id"] = target
    return submit(browsers.of(name), page, f"{page}/posts", data)


@given(parsers.parse('{name:w} replies "{text}" to "{original}" in "{title}"'))
@when(
    parsers.parse('{name:w} replies "{text}" to "{original}" in "{title}"'),
    target_fixture="response",
)
def replies_to(
    browsers: Browsers,
    database: Database,
    debates: dict[str, uuid.UUID],
    name: str,
    text: str,
    original: str,
    title: str,
) -> Response:
    response = _reply(browsers, database, debates, name, text, original, title, quoting=False)
    assert response.status_code == 302, visible_text(response)
    return response


@when(
    parsers.parse('{name:w} replies "{text}" to "{original}" in "{title}" quoting it'),
    target_fixture="response",
)
def replies_quoting(
    browsers: Browsers,
    database: Database,
    debates: dict[str, uuid.UUID],
    name: str,
    text: str,
    original: str,
    title: str,
) -> Response:
    return _reply(browsers, database, debates, name, text, original, title, quoting=True)


def _on_post(
    browsers: Browsers,
    database: Database,
    debates: dict[str, uuid.UUID],
    name: str,
    text: str,
    title: str,
    action: str,
    data: dict[str, str],
) -> Response:
    page = _page(debates, title)
    post_id = _post_id(database, text)
    return submit(browsers.of(name), page, f"/discussions/posts/{post_id}/{action}", data)


@when(
    parsers.parse('{name:w} edits "{text}" in "{title}" to "{new_text}"'), target_fixture="response"
)
def edits(
    browsers: Browsers,
    database: Database,
    debates: dict[str, uuid.UUID],
    name: str,
    text: str,
    title: str,
    new_text: str,
) -> Response:
    return _on_post(browsers, database, debates, name, text, title, "edit", {"body": new_text})


POST_ACTIONS = {"deletes": "delete", "approves": "approve"}
REASONED_POST_ACTIONS = {"reports": "report", "hides": "hide"}


@when(
    parsers.re(r'(?P<name>\w+) (?P<verb>deletes|approves) "(?P<text>.+?)" in "(?P<title>.+?)"'),
    target_fixture="response",
)
def acts_on_post(
    browsers: Browsers,
    database: Database,
    debates: dict[str, uuid.UUID],
    name: str,
    verb: str,
    text: str,
    title: str,
) -> Response:
    return _on_post(browsers, database, debates, name, text, title, POST_ACTIONS[verb], {})


REASONED = (
    r'(?P<name>\w+) (?P<verb>reports|hides) "(?P<text>.+?)" in "(?P<title>.+?)"'
    r' because "(?P<reason>.+?)"'
)


@given(parsers.re(REASONED))
@when(parsers.re(REASONED), target_fixture="response")
def acts_on_post_because(
    browsers: Browsers,
    database: Database,
    debates: dict[str, uuid.UUID],
    name: str,
    verb: str,
    text: str,
    title: str,
    reason: str,
) -> Response:
    action = REASONED_POST_ACTIONS[verb]
    return _on_post(browsers, database, debates, name, text, title, action, {"reason": reason})


@when(
    parsers.parse('{name:w} marks "{text}" in "{title}" as {stance:w}'), target_fixture="response"
)
def marks(
    browsers: Browsers,
    database: Database,
    debates: dict[str, uuid.UUID],
    name: str,
    text: str,
    title: str,
    stance: str,
) -> Response:
    return _on_post(
        browsers, database, debates, name, text, title, "react", {"stance": STANCES[stance]}
    )


@when(parsers.parse('{name:w} shows "{text}" in "{title}" again'), target_fixture="response")
def shows_again(
    browsers: Browsers,
    database: Database,
    debates: dict[str, uuid.UUID],
    name: str,
    text: str,
    title: str,
) -> Response:
    return _on_post(browsers, database, debates, name, text, title, "show", {})


@given(parsers.parse('{name:w} excludes the author of "{text}" from "{title}" because "{reason}"'))
@when(
    parsers.parse('{name:w} excludes the author of "{text}" from "{title}" because "{reason}"'),
    target_fixture="response",
)
def excludes(
    browsers: Browsers,
    database: Database,
    debates: dict[str, uuid.UUID],
    name: str,
    text: str,
    title: str,
    reason: str,
) -> Response:
    return _on_post(browsers, database, debates, name, text, title, "ban", {"reason": reason})


@given(parsers.parse('{name:w} follows "{title}"'))
@when(parsers.parse('{name:w} follows "{title}"'), target_fixture="response")
def follows(browsers: Browsers, debates: dict[str, uuid.UUID], name: str, title: str) -> Response:
    page = _page(debates, title)
    return submit(browsers.of(name), page, f"{page}/follow", {"following": "yes"})


@when(
    parsers.parse("{name:w} turns off the daily e-mail and shows {pronoun:w} full name"),
    target_fixture="response",
)
def preferences(browsers: Browsers, name: str, pronoun: str) -> Response:
    return submit(
        browsers.of(name),
        "/discussions/preferences",
        "/discussions/preferences",
        {"full_name_public": "yes"},
    )


@when(parsers.parse("{name:w} agrees to show {pronoun:w} full name"), target_fixture="response")
def consents(browsers: Browsers, name: str, pronoun: str) -> Response:
    data = {"full_name_public": "yes", "digest": "yes"}
    return submit(browsers.of(name), "/discussions/preferences", "/discussions/preferences", data)


@when(
    parsers.parse('{name:w} unsubscribes with the link in the e-mail "{subject}"'),
    target_fixture="response",
)
def unsubscribes(
    browsers: Browsers, people: People, mailbox: MailCatcher, name: str, subject: str
) -> Response:
    mails = [m for m in mailbox.to(people[name].email) if subject_of(m) == subject]
    assert mails, f"{name} got no mail {subject!r}"
    links = re.findall(r"https?://[^/\s]+(/discussions/unsubscribe/\S+)", body_of(mails[-1]))
    assert links, body_of(mails[-1])
    browser = browsers.of("mail reader")
    page = browser.get(links[-1])
    assert page.status_code == 200
    return submit(browser, links[-1], links[-1], {})


@when(parsers.parse('{name:w} searches "{words}" in "{title}"'), target_fixture="response")
def searches_debate(
    browsers: Browsers, debates: dict[str, uuid.UUID], name: str, words: str, title: str
) -> Response:
    return browsers.of(name).get(f"{_page(debates, title)}/search", params={"q": words})


@when(
    parsers.parse('{name:w} searches "{words}" in the debates of "{unit_name}"'),
    target_fixture="response",
)
def searches_unit(
    browsers: Browsers, org: Organisation, name: str, words: str, unit_name: str
) -> Response:
    code = org.unit(unit_name).code
    return browsers.of(name).get(f"/discussions/units/{code}/search", params={"q": words})


@when(
    parsers.parse('{name:w}\'s open page of "{title}" asks for new posts'),
    target_fixture="response",
)
def polls(
    browsers: Browsers,
    debates: dict[str, uuid.UUID],
    name: str,
    title: str,
    live_after: dict[str, str],
) -> Response:
    return browsers.of(name).get(live_after[name], headers=HTMX)


@pytest.fixture
def live_after() -> dict[str, str]:
    return {}


@when(parsers.parse('{name:w} keeps the page of "{title}" open'))
def keeps_open(
    browsers: Browsers,
    debates: dict[str, uuid.UUID],
    live_after: dict[str, str],
    name: str,
    title: str,
) -> None:
    page = browsers.of(name).get(_page(debates, title))
    found = re.search(r'hx-get="(/discussions/[^"]+/live\?after=\d+)" hx-trigger="every', page.text)
    assert found, "the page does not poll for new posts"
    live_after[name] = found.group(1)


# -- When: the moderation queue ---------------------------------------------------------------

QUEUE = "/discussions/moderation"
QUEUE_BUTTONS = {
    "approves": "Freigeben",
    "dismisses the reports of": "Meldungen verwerfen",
    "hides": "Beitrag ausblenden",
    "excludes the author of": "Ausschließen",
}


def _queue_page(debates: dict[str, uuid.UUID], title: str) -> str:
    return f"{_page(debates, title)}/moderation"


@when(parsers.parse("{name:w} opens the moderation queue"), target_fixture="response")
def opens_queue(browsers: Browsers, name: str) -> Response:
    return browsers.of(name).get(QUEUE)


@when(parsers.parse('{name:w} opens the moderation page of "{title}"'), target_fixture="response")
def opens_discussion_queue(
    browsers: Browsers, debates: dict[str, uuid.UUID], name: str, title: str
) -> Response:
    return browsers.of(name).get(_queue_page(debates, title))


@when(
    parsers.re(
        r"(?P<name>\w+) (?P<act>approves|dismisses the reports of|hides|excludes the author of) "
        r'"(?P<text>[^"]+)" in the moderation queue(?: because "(?P<reason>[^"]*)")?'
    ),
    target_fixture="response",
)
def acts_in_queue(
    browsers: Browsers, database: Database, name: str, act: str, text: str, reason: str | None
) -> Response:
    """Press the button of the post's entry in the queue, as the moderator would."""
    browser = browsers.of(name)
    queue = browser.get(QUEUE)
    post_id = _post_id(database, text)
    entries = [
        part for part in queue.text.split('<li id="queue-') if part.startswith(f'{post_id}"')
    ]
    assert entries, f"{text!r} is not in the queue: {visible_text(queue)}"
    fields = {"reason": reason} if reason is not None else {}
    answer = press_button(browser, SimpleNamespace(text=entries[0]), QUEUE_BUTTONS[act], fields)
    return follow(browser, answer)


def _manage(
    browsers: Browsers,
    debates: dict[str, uuid.UUID],
    name: str,
    title: str,
    label: str,
    **fields: str,
) -> Response:
    browser = browsers.of(name)
    page = browser.get(_queue_page(debates, title))
    assert page.status_code == 200, visible_text(page)
    return follow(browser, press_button(browser, page, label, fields))


@when(
    parsers.re(r'(?P<name>\w+) names (?P<other>\w+|"[^"]+") as a moderator of "(?P<title>[^"]+)"'),
    target_fixture="response",
)
def names_moderator(
    browsers: Browsers,
    people: People,
    debates: dict[str, uuid.UUID],
    name: str,
    other: str,
    title: str,
) -> Response:
    email = other.strip('"') if other.startswith('"') else people[other].email
    page = _queue_page(debates, title)
    answer = submit(
        browsers.of(name), page, f"{_page(debates, title)}/moderators", {"email": email}
    )
    return follow(browsers.of(name), answer)


@when(
    parsers.parse('{name:w} removes {other:w} as a moderator of "{title}"'),
    target_fixture="response",
)
def removes_moderator(
    browsers: Browsers, debates: dict[str, uuid.UUID], name: str, other: str, title: str
) -> Response:
    return _manage(browsers, debates, name, title, "Entfernen")


@when(
    parsers.parse('{name:w} lifts the exclusion of {other:w} from "{title}"'),
    target_fixture="response",
)
def lifts_exclusion(
    browsers: Browsers,
    people: People,
    debates: dict[str, uuid.UUID],
    name: str,
    other: str,
    title: str,
) -> Response:
    page = _queue_page(debates, title)
    action = f"{_page(debates, title)}/bans/{people[other].account_id}/lift"
    return follow(browsers.of(name), submit(browsers.of(name), page, action, {}))


# -- Then -----------------------------------------------------------------------------------


@then(parsers.parse('{name:w} is still excluded from "{title}"'))
def still_excluded(
    database: Database, people: People, debates: dict[str, uuid.UUID], name: str, title: str
) -> None:
    with fresh_session(database) as session:
        assert session.get(Ban, (debates[title], people[name].account_id)) is not None


@then(parsers.parse('"{title}" has {count:d} posts'))
@then(parsers.parse('"{title}" has {count:d} post'))
def post_count(database: Database, debates: dict[str, uuid.UUID], title: str, count: int) -> None:
    with fresh_session(database) as session:
        stored = session.scalar(
            select(func.count()).select_from(Post).where(Post.discussion_id == debates[title])
        )
    assert stored == count


@then(parsers.parse('no debate "{title}" exists'))
def no_debate(database: Database, title: str) -> None:
    with fresh_session(database) as session:
        assert session.scalar(select(Discussion.id).where(Discussion.title == title)) is None


@then(parsers.parse('"{reply}" is shown as a reply to "{original}"'))
def is_reply(response: Response, database: Database, reply: str, original: str) -> None:
    original_id, reply_id = _post_id(database, original), _post_id(database, reply)
    block = re.search(
        rf'<li id="post-{original_id}".*?<ol class="replies">(.*?)</ol>', response.text, re.DOTALL
    )
    assert block, "the original post has no replies"
    assert f'id="post-{reply_id}"' in block.group(1)


@then(
    parsers.parse(
        'the post "{text}" shows {agree:d} for, {against:d} against and {neutral:d} neutral'
    )
)
def counts(
    response: Response, database: Database, text: str, agree: int, against: int, neutral: int
) -> None:
    post_id = _post_id(database, text)
    block = re.search(rf'id="stances-{post_id}">(.*?)</span>\s*\n', response.text, re.DOTALL)
    assert block, "no counts"
    shown = re.sub(r"<[^>]+>", " ", block.group(1))
    numbers = [int(n) for n in re.findall(r"\d+", shown)]
    assert numbers == [agree, against, neutral], shown


@then(parsers.parse('"{first}" comes before "{second}"'))
def comes_before(response: Response, first: str, second: str) -> None:
    text = visible_text(response)
    assert first in text, text[:2000]
    assert second in text, text[:2000]
    assert text.index(first) < text.index(second)


@then(parsers.parse('the post "{text}" is marked new'))
def marked_new(response: Response, database: Database, text: str) -> None:
    post_id = _post_id(database, text)
    block = re.search(rf'<li id="post-{post_id}"(.*?)</p>', response.text, re.DOTALL)
    assert block
    assert "new-badge" in block.group(1)


@then(parsers.parse('the post "{text}" is not marked new'))
def not_marked_new(response: Response, database: Database, text: str) -> None:
    post_id = _post_id(database, text)
    block = re.search(rf'<li id="post-{post_id}"(.*?)</p>', response.text, re.DOTALL)
    assert block
    assert "new-badge" not in block.group(1)


@then(parsers.parse('the stored post still reads "{text}"'))
def stored_reads(database: Database, text: str) -> None:
    _post_id(database, text)


@then("the link is marked nofollow ugc and there is no image")
def safe_link(response: Response) -> None:
    assert re.search(
        r'<a href="https://example.org/info" rel="nofollow ugc noopener">', response.text
    )
    body = response.text.split('id="comments"', 1)[1]
    assert "<img" not in body
    assert 'href="javascript:' not in body


@then(parsers.parse('the page shows "{text}" as emphasis'))
def emphasis(response: Response, text: str) -> None:
    assert f"<em>{text}</em>" in response.text


@then(parsers.parse("{name:w} has {count:d} new post for {pronoun:w}"))
@then(parsers.parse("{name:w} has {count:d} new posts for {pronoun:w}"))
def unread(browsers: Browsers, name: str, count: int, pronoun: str) -> None:
    fragment = browsers.of(name).get("/discussions/mine", headers=HTMX)
    found = re.search(r'id="unread-count"[^>]*>(\d+)<', fragment.text)
    assert (int(found.group(1)) if found else 0) == count, visible_text(fragment)


@then(
    parsers.parse('the e-mail "{subject}" to {name:w} names "{title}" and has an unsubscribe link')
)
def digest_mail(mailbox: MailCatcher, people: People, subject: str, name: str, title: str) -> None:
    mails = [m for m in mailbox.to(people[name].email) if subject_of(m) == subject]
    assert len(mails) == 1, [subject_of(m) for m in mailbox.to(people[name].email)]
    body = body_of(mails[0])
    assert title in body
    assert "/discussions/unsubscribe/" in body


def _mail_to(mailbox: MailCatcher, people: People, subject: str, name: str) -> str:
    mails = [m for m in mailbox.to(people[name].email) if subject_of(m) == subject]
    assert len(mails) == 1, [subject_of(m) for m in mailbox.to(people[name].email)]
    return body_of(mails[0])


@then(parsers.parse('the e-mail "{subject}" to {name:w} says "{text}"'))
def mail_says(mailbox: MailCatcher, people: People, subject: str, name: str, text: str) -> None:
    body = _mail_to(mailbox, people, subject, name)
    assert text in body, body


@then(parsers.parse('the e-mail "{subject}" to {name:w} does not say "{text}"'))
def mail_does_not_say(
    mailbox: MailCatcher, people: People, subject: str, name: str, text: str
) -> None:
    body = _mail_to(mailbox, people, subject, name)
    assert text not in body, body


@then(parsers.parse('the e-mail "{subject}" to {name:w} links to the post "{text}"'))
def mail_links_post(
    mailbox: MailCatcher, people: People, database: Database, subject: str, name: str, text: str
) -> None:
    body = _mail_to(mailbox, people, subject, name)
    assert re.search(
        rf"https?://\S+/discussions/[0-9a-f-]+#post-{_post_id(database, text)}\b", body
    )


@then(
    parsers.parse('the e-mail "{subject}" to {name:w} quotes the long post cut after a whole word')
)
def mail_cuts_long_post(mailbox: MailCatcher, people: People, subject: str, name: str) -> None:
    body = _mail_to(mailbox, people, subject, name)
    found = re.search(r"»(Wort1 Wort2 [^«]*)«", body)
    assert found, body
    quoted = found.group(1)
    assert quoted.endswith(" …"), quoted
    assert len(quoted) <= 170, quoted
    assert re.fullmatch(r"(Wort\d+ )+…", quoted), quoted
    assert "Wort80" not in body


@then(parsers.parse('{name:w} gets no further e-mail "{subject}"'))
def no_further_mail(mailbox: MailCatcher, people: People, name: str, subject: str) -> None:
    mails = [m for m in mailbox.to(people[name].email) if subject_of(m) == subject]
    assert len(mails) <= 1


@then(parsers.parse('the page does not contain the markup "{markup}"'))
def no_markup(response: Response, markup: str) -> None:
    assert markup not in response.text
