"""Worlds and hostile inputs for the attacks on surveys and initiatives.

The people are those of ``tests.security.support.make_cast`` (own unit UB1 with OV-A
and OV-B, other unit UB2 with OV-C), plus ``member_other``: a member of OV-C with a
login, who belongs to the organisation but not to the unit that asks. Surveys and
initiatives belong to UB1; everything is built with the real services (a survey opened
by its staff with real keys, an initiative admitted as staff admit it), so the routes
under attack see exactly what they see in production.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.core.db import utcnow
from motions import rules as rules_service
from motions import services as initiative_services
from motions.models import COUNT_SHARDS, Initiative, InitiativeCount, InitiativeStatus, Initiator
from surveys import client, services
from surveys.definition import read_definition
from surveys.models import Survey
from tests.conftest import TEST_PASSWORD
from tests.factories import grant, make_account, make_member
from tests.helpers import csrf_token
from tests.security.support import Cast
from tests.surveys_support import example_definition

MEGABYTE = 1_000_000
"""A field of one megabyte: below the edge's body limit (1 MiB), so it reaches the handler."""

HOSTILE_TEXT: dict[str, str] = {
    "nul": "Titel\x00mit NUL",
    "escape": "Titel \x1b[31mrot",
    "rtl-override": "\u202eGNUZTAS",
    "line-separator": "Zeile\u2028zwei",
    "c1-control": "Titel\x85",
    "delete": "Titel\x7f",
}
"""Text the edge refuses wherever it appears (``app.core.inputs``)."""

INVISIBLE_ONLY = "\u200b\u200c\u200d\ufeff"
"""Zero-width characters only: looks empty on every page."""

FRIENDLY_UNICODE = "Zukunft 🌍 für Ärztinnen, Ｃａｆé, e\u0301\u0301 und 日本"
"""Emoji, full-width letters, stacked combining accents, CJK: legitimate text."""

GERMAN = re.compile(
    r"\b(der|die|das|den|dem|des|ist|sind|nicht|werden|wird|bitte|und|ein|eine|kein|keine|"
    r"zu|mit|nach|für|über|oder|du|dich|deine?|hier|schon|noch|muss|müssen|kann|gib|gilt|"
    r"gelten|nur|auf|im|vom|zum|Anfrage|Eingabe)\b",
    re.IGNORECASE,
)
"""Words of German sentences that English ones do not use."""


def looks_german(text: str) -> bool:
    """Whether a message holds German words (the default locale)."""
    return GERMAN.search(text) is not None


_ALERT = re.compile(r'<(\w+)[^>]*role="alert"[^>]*>(.*?)</\1>', re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def alert_text(page: str) -> str:
    """What the page says went wrong: the text of its ``role="alert"`` elements (error
    pages, error summaries and refusals all use one)."""
    return " ".join(_TAG.sub(" ", found) for _, found in _ALERT.findall(page)).strip()


def refused_in_german(response: Any, *statuses: int) -> str:
    """A refusal page: one of ``statuses`` (any 4xx without), its alert in German."""
    assert response.status_code < 500, response.status_code
    if statuses:
        assert response.status_code in statuses, response.status_code
    else:
        assert 400 <= response.status_code < 500, response.status_code
    message = alert_text(response.text)
    assert message, "no alert on the refusal page"
    assert looks_german(message), message
    return message


def _person(cast: Cast, role: str, unit: str, given: str, family: str) -> None:
    member = make_member(cast.session, cast.units[unit], given, family, email=f"{role}@example.org")
    cast.members[role] = member
    cast.accounts[role] = make_account(
        cast.session,
        cast.settings,
        f"{role}@example.org",
        TEST_PASSWORD,
        name=f"{given} {family}",
        member=member,
    )


def add_people(cast: Cast) -> None:
    """Who ``make_cast`` lacks: ``member_other`` (a member of OV-C, the other unit),
    ``staff_below`` (staff of OV-A only, below UB1), ``board_own`` (the board of UB1) and
    ``signer`` (Siggi Signer, a member of OV-B whose signature must stay his secret)."""
    _person(cast, "member_other", "OV-C", "Mara", "Fremd")
    _person(cast, "staff_below", "OV-A", "Udo", "Unten")
    grant(cast.session, cast.accounts["staff_below"], Role.STAFF, cast.units["OV-A"])
    _person(cast, "board_own", "UB1", "Bert", "Vorstand")
    grant(cast.session, cast.accounts["board_own"], Role.BOARD, cast.units["UB1"])
    _person(cast, "signer", "OV-B", "Siggi", "Signer")
    cast.session.commit()


def add_members(cast: Cast, prefix: str, given: str, family: str, count: int) -> list[str]:
    """``count`` members of OV-B with a login (roles ``prefix0``, ``prefix1``, …, family
    names ``family0``, …): people who act one after the other, so that a test can look
    for their order, names and numbers where none may be."""
    roles = [f"{prefix}{n}" for n in range(count)]
    for n, role in enumerate(roles):
        _person(cast, role, "OV-B", given, f"{family}{n}")
    cast.session.commit()
    return roles


ATTACKERS = (
    "anonymous",
    "guest",
    "member",
    "member_other",
    "staff_other",
    "staff_below",
    "commission_own",
    "commission_other",
    "admin_own",
    "admin_other",
)
"""Everyone but the unit's own staff: none of them may use a staff page of UB1's objects."""


def denied(response: Any) -> bool:
    """Refused at the door: 401/403/404, or sent to the login or second-factor step."""
    if response.status_code in {401, 403, 404}:
        return True
    location = response.headers.get("location", "")
    return response.status_code in {302, 303, 307} and location.startswith(
        ("/login", "/account/totp")
    )


def send(
    browser: TestClient[Litestar], method: str, path: str, body: Any = None, *, api: bool = False
) -> Any:
    """One request as a browser (a form, a page) or as the page's script (``api``: JSON),
    with the session's CSRF token, never following a redirect."""
    headers = {"accept": "application/json"} if api else dict(PAGE)
    kwargs: dict[str, Any] = {}
    if method != "GET":
        token = csrf(browser)
        headers["x-csrftoken"] = token
        if api:
            kwargs["json"] = body if body is not None else {}
        else:
            kwargs["data"] = {**(body or {}), "_csrf_token": token}
    return browser.request(method, path, headers=headers, follow_redirects=False, **kwargs)


PAGE = {"accept": "text/html,application/xhtml+xml"}
"""What a browser asks for: refusals come as pages, not as JSON."""


def post_form(browser: TestClient[Litestar], page: str, action: str, data: dict[str, str]) -> Any:
    """Open ``page`` for its CSRF token and post the form to ``action``, as a browser."""
    token = csrf_token(browser, page)
    return browser.post(
        action, data={**data, "_csrf_token": token}, headers=PAGE, follow_redirects=False
    )


def app_log(records: list[logging.LogRecord]) -> str:
    """What the application logged (messages and their exceptions), without the test's
    own SMTP server (aiosmtpd logs every recipient as ``mail.log``: it stands in for
    the operator's mail server, not for Stimmwerk)."""
    own = [r for r in records if not r.name.startswith("mail.log")]
    return "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in own)


def mentions(text: str, secret: str) -> bool:
    """Whether ``text`` names ``secret``; a number only as a whole number (a membership
    number inside a timing such as 0.0255001 is no mention)."""
    if secret.isdigit():
        return re.search(rf"(?<![\d.]){secret}(?!\d)", text) is not None
    return secret in text


def csrf(client_: TestClient[Litestar]) -> str:
    """The CSRF token of the client's session (as a page carries it)."""
    return csrf_token(client_, "/password/forgot")


def count_rows(session: Session, model: Any) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


# -- surveys ---------------------------------------------------------------------------------


def limited(cast: Cast, database: Any, **limits: int) -> Cast:
    """The same people and objects, served by an app with the rate limits ``limits``
    (fields of ``settings.voting``; the tests' settings switch the voting limits off)."""
    from dataclasses import replace

    from app.server import create_app

    settings = replace(cast.settings, voting=replace(cast.settings.voting, **limits))
    return replace(cast, settings=settings, app=create_app(settings, database))


def make_survey(
    cast: Cast,
    *,
    live: bool = False,
    guests: bool = False,
    opened: bool = True,
    definition: dict[str, Any] | None = None,
) -> Survey:
    """A survey of UB1 made by its staff, open now (real 2048-bit keys) unless ``opened``
    is False (then a draft)."""
    now = datetime.now(UTC)
    staff = cast.accounts["staff_own"]
    survey = services.create_survey(
        cast.session,
        staff,
        cast.units["UB1"],
        definition or example_definition(),
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=7),
        guests_allowed=guests,
        results_live=live,
    )
    if opened:
        survey = services.open_survey(cast.session, cast.settings, staff, survey.id, key_bits=2048)
    return survey


@dataclass
class Taking:
    """One person's way through a survey in the browser: the credential with the login,
    then the signed answer line (sent without any cookie)."""

    credential: client.SurveyCredential
    line: bytes


def take_credential(cast: Cast, role: str, survey: Survey) -> client.SurveyCredential:
    """The credential of ``role`` over HTTP, as survey.js fetches it."""
    survey_id = str(survey.id)
    with cast.browser(role) as browser:
        own = browser.get(f"/api/surveys/{survey_id}/me").json()
        audience = own["audience"]
        issuer = services.issuer_public(survey, audience)
        request = client.request_credential(issuer, survey_id, audience)
        issued = browser.post(
            f"/api/surveys/{survey_id}/credential",
            json={"blinded_msg": request.blinded_msg.hex()},
            headers={"x-csrftoken": csrf(browser), "accept": "application/json"},
        )
    assert issued.status_code == 200, issued.text
    return client.finish_credential(
        issuer, request, bytes.fromhex(issued.json()["blind_signature"])
    )


def signed_line(
    survey: Survey,
    credential: client.SurveyCredential,
    answers: dict[str, Any],
    *,
    check: bool = True,
) -> bytes:
    manifest = read_definition(json.loads(survey.definition))
    return client.answer_line(manifest, str(survey.fingerprint), credential, answers, check=check)


def post_answer(
    app: Litestar, survey: Survey, body: bytes, content_type: str | None = "application/json"
) -> Any:
    """POST an answer line as an anonymous client (no cookie at all)."""
    headers = {"accept": "application/json"}
    if content_type is not None:
        headers["content-type"] = content_type
    with TestClient(app, base_url="https://testserver.local") as anonymous:
        return anonymous.post(f"/api/surveys/{survey.id}/answers", content=body, headers=headers)


# -- initiatives -----------------------------------------------------------------------------


def make_initiative(
    cast: Cast,
    status: InitiativeStatus = InitiativeStatus.SIGNING,
    *,
    title: str = "Mitglieder wählen den Vorstand direkt",
) -> Initiative:
    """An initiative of UB1 started by the member Olga (OV-A), in ``status``; in SIGNING
    it was admitted an hour ago with the rules in force."""
    session = cast.session
    unit = cast.units["UB1"]
    moment = utcnow() - timedelta(hours=1)
    rules = rules_service.effective(session, unit, moment.date())
    initiative = Initiative(
        unit_id=unit.id,
        rules_id=rules.id,
        title=title,
        proposal="Die Mitglieder wählen den Vorstand direkt.",
        reasons="Mehr Mitbestimmung.",
        started_by_id=cast.accounts["member"].id,
        status=status,
        created_at=moment,
    )
    if status != InitiativeStatus.DRAFT:
        initiative.submitted_at = moment
    if status not in {InitiativeStatus.DRAFT, InitiativeStatus.SUBMITTED}:
        initiative.checked_at = moment
        initiative.opens_at = moment
        initiative.closes_at = moment + timedelta(days=rules.signing_days)
        initiative.reference_date = moment.date()
        initiative.member_count = initiative_services.members_at(session, unit, moment.date())
        initiative.threshold = initiative_services.threshold_for(
            initiative.member_count, rules.threshold_percent
        )
    session.add(initiative)
    session.flush()
    session.add(
        Initiator(
            initiative_id=initiative.id, member_id=cast.members["own"].id, confirmed_at=moment
        )
    )
    if status == InitiativeStatus.SIGNING:  # the live count's shards, as admitting makes them
        session.add_all(
            InitiativeCount(initiative_id=initiative.id, shard=shard, signatures=0)
            for shard in range(COUNT_SHARDS)
        )
    session.commit()
    return initiative


def decide(cast: Cast, initiative_id: uuid.UUID) -> None:
    """The signing deadline passes and the schedule decides (as beat runs it)."""
    session = cast.session
    found = session.get(Initiative, initiative_id)
    assert found is not None
    found.closes_at = utcnow() - timedelta(minutes=1)
    session.commit()
    initiative_services.run_deadlines(session)
    session.expire_all()


def assert_every_route_listed(
    app: Litestar, listed: Mapping[str, str], prefixes: tuple[str, ...]
) -> None:
    """Every route of ``app`` under ``prefixes`` is in ``listed`` (route → where the
    attacks cover it), and ``listed`` names no route that is gone.

    The authorisation matrix (test_authorisation_matrix.py) calls every route with an id
    that does not exist; the attack files use real objects. This keeps the two in step: a
    new route fails until it is attacked and listed.
    """
    from tests.security.matrix_harness import route_keys

    routes = {f"{method} {path}" for method, path in route_keys(app) if path.startswith(prefixes)}
    assert routes - listed.keys() == set(), "new routes: attack them and list them"
    assert listed.keys() - routes == set(), "routes listed no longer exist"
