"""An attacker's review of the Mitgliederbegehren: each test performs one attack.

1. Hostile input into every form (start, sign and withdraw, paper lists and written
   withdrawals, the receipt check, refusal and board answer, rules, the Entscheid form,
   the initiative's discussion): a clear 4xx in German, nothing stored, never a 500.
2. Staff, commission and board pages and actions of an existing initiative tried by
   everyone else (staff of another unit or of a unit below, members elsewhere, guests,
   anonymous visitors): refused, nothing changed, no signer named.
3. Signature lists forged so that they look consistent: ``stimmwerk initiative-check``
   (a subprocess) fails naming the problem.
4. A database and audit-log reader: the published list is not in signing order, a
   written withdrawal does not name the signer, logs carry no personal data.
5. Rate limits on signing and on the public, CPU-costly list and receipt check.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.settings import Settings
from app.discussions.models import Discussion, Post
from motions.models import Initiative, InitiativeRules, InitiativeStatus, Initiator, Signature
from tests.security.attack_support import (
    ATTACKERS,
    FRIENDLY_UNICODE,
    HOSTILE_TEXT,
    INVISIBLE_ONLY,
    MEGABYTE,
    PAGE,
    add_members,
    add_people,
    app_log,
    assert_every_route_listed,
    count_rows,
    csrf,
    decide,
    denied,
    limited,
    looks_german,
    make_initiative,
    mentions,
    post_form,
    refused_in_german,
    send,
)
from tests.security.support import Cast, make_cast


@pytest.fixture
def cast(db: Session, settings: Settings, app: Litestar, tmp_path: Path) -> Cast:
    return make_cast(db, settings, app, tmp_path)


def _signatures(db: Session, initiative_id: uuid.UUID) -> tuple[int, int]:
    """(signature rows, the live counter): what a refused request must leave alone."""
    db.expire_all()
    rows = len(db.scalars(select(Signature).where(Signature.initiative_id == initiative_id)).all())
    counter = db.scalar(select(Initiative.live_count).where(Initiative.id == initiative_id))
    return rows, int(counter or 0)


# -- 1. hostile input: starting an initiative ---------------------------------------------


_TEXT_ATTACKS = {
    "megabyte": "x" * MEGABYTE,
    "empty": "",
    "blank": "   \t ",
    "invisible-only": INVISIBLE_ONLY,
    **HOSTILE_TEXT,
}


def _start_form(cast: Cast, **changes: str) -> dict[str, str]:
    form = {
        "unit_id": str(cast.units["UB1"].id),
        "title": "Mitglieder wählen den Vorstand direkt",
        "proposal": "Die Mitglieder wählen den Vorstand direkt.",
        "reasons": "Mehr Mitbestimmung.",
        "arguments_for": "",
        "co_initiators": "",
    }
    return {**form, **changes}


@pytest.mark.parametrize("attack", sorted(_TEXT_ATTACKS))
@pytest.mark.parametrize("field", ["title", "proposal", "reasons", "arguments_for"])
def test_the_start_form_refuses_hostile_text(
    cast: Cast, db: Session, field: str, attack: str
) -> None:
    value = _TEXT_ATTACKS[attack]
    if field == "arguments_for" and attack in {"empty", "blank", "invisible-only"}:
        pytest.skip("the arguments are optional")
    with cast.browser("member") as browser:
        response = post_form(
            browser, "/initiatives/new", "/initiatives/new", _start_form(cast, **{field: value})
        )
    refused_in_german(response, 400, 413)
    assert count_rows(db, Initiative) == 0


@pytest.mark.parametrize(
    "title", ["Satzung\r\nBcc: alle@example.org", "Satzung\nneu", "Satzung\rneu"]
)
def test_a_title_with_a_line_break_is_refused(cast: Cast, db: Session, title: str) -> None:
    """Found: the title is the subject of the mails to the unit's members; with a line
    break the mail layer refused them, so admitting the initiative failed for good."""
    with cast.browser("member") as browser:
        response = post_form(
            browser, "/initiatives/new", "/initiatives/new", _start_form(cast, title=title)
        )
    refused_in_german(response, 400)
    assert count_rows(db, Initiative) == 0


@pytest.mark.parametrize(
    "unit_id",
    ["9" * 30, "-1", "٣", "３", "1e3", "", "x" * MEGABYTE, "1\x00"],
    ids=["30-digits", "negative", "arabic", "fullwidth", "exponent", "empty", "megabyte", "nul"],
)
def test_the_unit_takes_ascii_digits_of_an_own_unit_only(
    cast: Cast, db: Session, unit_id: str
) -> None:
    """Found: "٣" (Arabic-Indic three) was read as unit 3."""
    with cast.browser("member") as browser:
        response = post_form(
            browser, "/initiatives/new", "/initiatives/new", _start_form(cast, unit_id=unit_id)
        )
    refused_in_german(response, 400, 413)
    assert count_rows(db, Initiative) == 0


@pytest.mark.parametrize(
    "numbers",
    ["9" * MEGABYTE, "\n".join(str(n) for n in range(5000)), INVISIBLE_ONLY, "٣٣٣", "x\u202ey"],
    ids=["megabyte", "five-thousand-lines", "invisible", "arabic", "bidi"],
)
def test_hostile_co_initiators_are_refused(cast: Cast, db: Session, numbers: str) -> None:
    with cast.browser("member") as browser:
        response = post_form(
            browser,
            "/initiatives/new",
            "/initiatives/new",
            _start_form(cast, co_initiators=f"{numbers}\n"),
        )
    refused_in_german(response, 400, 413)
    assert count_rows(db, Initiative) == 0


def test_unicode_texts_are_taken_as_written(cast: Cast, db: Session) -> None:
    with cast.browser("member") as browser:
        response = post_form(
            browser,
            "/initiatives/new",
            "/initiatives/new",
            _start_form(cast, title=FRIENDLY_UNICODE, reasons="Weil 👩\u200d👩\u200d👧 zählen."),
        )
    assert response.status_code in {302, 303}, response.text
    stored = db.scalars(select(Initiative)).one()
    assert stored.title == FRIENDLY_UNICODE
    assert stored.reasons == "Weil 👩\u200d👩\u200d👧 zählen."


# -- 1. hostile input: signing and withdrawing ---------------------------------------------


@pytest.mark.parametrize("action", ["sign", "withdraw"])
@pytest.mark.parametrize(
    "extra",
    [{"member_id": "1"}, {"junk": "x" * MEGABYTE}, {"initiative_id": str(uuid.uuid4())}],
    ids=["member-id", "megabyte", "other-initiative"],
)
def test_sign_and_withdraw_read_nothing_from_the_form(
    cast: Cast, db: Session, action: str, extra: dict[str, str]
) -> None:
    """Whatever the form carries, a signature is the logged-in member's, for the
    initiative in the path, once: a planted member id signs nobody else."""
    initiative = make_initiative(cast)
    page = f"/initiatives/{initiative.id}"
    extra = {**extra, "member_id": str(cast.members["other"].id)}
    with cast.browser("member") as browser:
        first = post_form(browser, page, f"{page}/{action}", extra)
    db.expire_all()
    rows = db.scalars(select(Signature).where(Signature.initiative_id == initiative.id)).all()
    if action == "sign":
        assert first.status_code in {302, 303}, first.status_code
        assert [row.member_id for row in rows] == [cast.members["own"].id]
    else:
        refused_in_german(first, 409)
        assert rows == []


@pytest.mark.parametrize("action", ["sign", "withdraw"])
def test_sign_and_withdraw_with_a_deeply_nested_body_change_nothing(
    cast: Cast, db: Session, action: str
) -> None:
    initiative = make_initiative(cast)
    with cast.browser("member") as browser:
        response = browser.post(
            f"/initiatives/{initiative.id}/{action}",
            content=b"[" * 10_000 + b"]" * 10_000,
            headers={**PAGE, "content-type": "application/json", "x-csrftoken": csrf(browser)},
            follow_redirects=False,
        )
    refused_in_german(response, 400)
    assert _signatures(db, initiative.id) == (0, 0)


# -- 1. hostile input: paper lists and written withdrawals ---------------------------------


_NUMBER_ATTACKS = {
    "megabyte-line": "9" * MEGABYTE,
    "megabyte-lines": "1\n" * 400_000,
    "too-many-lines": "\n".join(str(900_000 + n) for n in range(2_001)),
    "invisible-only": INVISIBLE_ONLY,
    "arabic": "٥٠٠٠٠٠",
    "unknown": "123456789",
    "emoji": "5000🎉",
    **HOSTILE_TEXT,
}


@pytest.mark.parametrize("attack", sorted(_NUMBER_ATTACKS))
def test_hostile_paper_lists_are_refused_whole(cast: Cast, db: Session, attack: str) -> None:
    initiative = make_initiative(cast)
    page = f"/initiatives/{initiative.id}/paper"
    own = cast.members["own"].membership_number
    with cast.browser("staff_own") as browser:
        response = post_form(browser, page, page, {"numbers": f"{own}\n{_NUMBER_ATTACKS[attack]}"})
    refused_in_german(response, 400, 413)
    assert _signatures(db, initiative.id) == (0, 0)


@pytest.mark.parametrize("attack", sorted(_NUMBER_ATTACKS))
def test_hostile_written_withdrawals_change_nothing(cast: Cast, db: Session, attack: str) -> None:
    initiative = make_initiative(cast)
    page = f"/initiatives/{initiative.id}/paper"
    own = cast.members["own"].membership_number
    with cast.browser("staff_own") as browser:
        entered = post_form(browser, page, page, {"numbers": own})
        assert entered.status_code == 200, entered.status_code
        response = post_form(
            browser, page, f"{page}/withdraw", {"number": own + _NUMBER_ATTACKS[attack]}
        )
    refused_in_german(response, 400, 413)
    assert _signatures(db, initiative.id) == (1, 1)


@pytest.mark.parametrize("field", ["numbers", "number"])
@pytest.mark.parametrize("value", ["", "\n\n", "   "])
def test_an_empty_paper_list_or_withdrawal_changes_nothing(
    cast: Cast, db: Session, field: str, value: str
) -> None:
    initiative = make_initiative(cast)
    page = f"/initiatives/{initiative.id}/paper"
    action = page if field == "numbers" else f"{page}/withdraw"
    with cast.browser("staff_own") as browser:
        response = post_form(browser, page, action, {field: value})
    refused_in_german(response, 400)
    assert _signatures(db, initiative.id) == (0, 0)


# -- 1. hostile input: the receipt check ----------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"number": "", "salt": ""},
        {"number": "500000", "salt": "é" * 32},
        {"number": "500000", "salt": "zz" * 16},
        {"number": "500000", "salt": "０" * 32},
        {"number": "500000"},
        {"leaf": "zz" * 32},
        {"leaf": "ab" * 31},
        {"leaf": "٣" * 64},
        {"leaf": INVISIBLE_ONLY},
        {"number": "500000", "salt": "00" * 16 + "\x00"},
        {"leaf": "\u202e" + "ab" * 32},
    ],
    ids=[
        "nothing",
        "empty",
        "salt-accents",
        "salt-not-hex",
        "salt-fullwidth",
        "no-salt",
        "leaf-not-hex",
        "leaf-short",
        "leaf-arabic",
        "leaf-invisible",
        "salt-nul",
        "leaf-bidi",
    ],
)
def test_a_malformed_receipt_is_refused_with_a_message(cast: Cast, fields: dict[str, str]) -> None:
    initiative = make_initiative(cast)
    decide(cast, initiative.id)
    page = f"/initiatives/{initiative.id}"
    with cast.browser("anonymous") as browser:
        response = post_form(browser, page, f"{page}/check", fields)
    refused_in_german(response, 400)


@pytest.mark.parametrize(
    "fields",
    [
        {"number": "9" * MEGABYTE, "salt": "00" * 16},
        {"number": INVISIBLE_ONLY + "1", "salt": "00" * 16},
        {"number": FRIENDLY_UNICODE, "salt": "ab" * 16},
    ],
    ids=["megabyte-number", "invisible-number", "unicode-number"],
)
def test_an_unknown_receipt_is_simply_not_found(cast: Cast, fields: dict[str, str]) -> None:
    initiative = make_initiative(cast)
    decide(cast, initiative.id)
    page = f"/initiatives/{initiative.id}"
    with cast.browser("anonymous") as browser:
        response = post_form(browser, page, f"{page}/check", fields)
    assert response.status_code == 200
    assert 'id="check-result"' in response.text
    assert "Gefunden" not in response.text


def test_the_receipt_check_is_not_open_before_the_deadline(cast: Cast) -> None:
    initiative = make_initiative(cast)
    page = f"/initiatives/{initiative.id}"
    with cast.browser("anonymous") as browser:
        response = post_form(browser, page, f"{page}/check", {"leaf": "ab" * 32})
    refused_in_german(response, 404)


# -- 1. hostile input: staff, board, rules, the Entscheid form -----------------------------


@pytest.mark.parametrize("attack", ["megabyte", "empty", "invisible-only", "nul", "rtl-override"])
def test_a_hostile_refusal_reason_is_refused(cast: Cast, db: Session, attack: str) -> None:
    initiative = make_initiative(cast, InitiativeStatus.SUBMITTED)
    page = f"/initiatives/{initiative.id}"
    with cast.browser("staff_own") as browser:
        response = post_form(browser, page, f"{page}/refuse", {"reason": _TEXT_ATTACKS[attack]})
    refused_in_german(response, 400, 413)
    db.expire_all()
    assert db.get(Initiative, initiative.id).status == InitiativeStatus.SUBMITTED  # type: ignore[union-attr]


@pytest.mark.parametrize("attack", ["megabyte", "nul", "rtl-override", "escape"])
def test_a_hostile_board_answer_is_refused(cast: Cast, db: Session, attack: str) -> None:
    add_people(cast)
    initiative = make_initiative(cast, InitiativeStatus.SUCCEEDED)
    initiative.board_deadline = initiative.closes_at
    db.commit()
    page = f"/initiatives/{initiative.id}"
    with cast.browser("board_own") as browser:
        response = post_form(browser, page, f"{page}/adopt", {"answer": _TEXT_ATTACKS[attack]})
    refused_in_german(response, 400, 413)
    db.expire_all()
    assert db.get(Initiative, initiative.id).status == InitiativeStatus.SUCCEEDED  # type: ignore[union-attr]


def _rules_form(**changes: str) -> dict[str, str]:
    form = {
        "valid_from": "2031-01-01",
        "threshold_percent": "10",
        "signing_days": "90",
        "min_initiators": "3",
        "board_days": "28",
        "quorum_kind": "turnout",
        "quorum_percent": "20",
        "binding_months": "24",
        "overturn_body": "Parteitag",
        "overturn_numerator": "2",
        "overturn_denominator": "3",
    }
    return {**form, **changes}


@pytest.mark.parametrize(
    "changes",
    [
        {"threshold_percent": "٣٠"},
        {"threshold_percent": "²"},
        {"signing_days": "9" * 5000},
        {"min_initiators": "-3"},
        {"valid_from": "٢٠٣١-01-01"},
        {"valid_from": "2031-02-30"},
        {"overturn_body": "x" * MEGABYTE},
        {"overturn_body": INVISIBLE_ONLY},
        {"overturn_body": "Partei\x00tag"},
        {"quorum_kind": "\u202eturnout"},
    ],
    ids=[
        "arabic-digits",
        "superscript",
        "5000-digits",
        "negative",
        "arabic-date",
        "no-such-day",
        "megabyte-body",
        "invisible-body",
        "nul-body",
        "bidi-kind",
    ],
)
def test_the_rules_form_refuses_hostile_values(
    cast: Cast, db: Session, changes: dict[str, str]
) -> None:
    unit_id = cast.units["UB1"].id
    before = count_rows(db, InitiativeRules)
    page = f"/initiative-rules/{unit_id}"
    with cast.browser("staff_own") as browser:
        response = post_form(browser, page, page, _rules_form(**changes))
    refused_in_german(response, 400, 413)
    assert count_rows(db, InitiativeRules) == before


@pytest.mark.parametrize(
    "changes",
    [
        {"threshold": "٣"},
        {"threshold": "9" * 50},
        {"opens_on": "٢٠٣١-01-01"},
        {"opens_on": "2031-02-30"},
        {"trustees": "not-a-uuid"},
        {"trustees": str(uuid.uuid4())},
        {"opens_on": "2031-01-01\x00"},
    ],
    ids=[
        "arabic",
        "50-digits",
        "arabic-date",
        "no-such-day",
        "trustee-junk",
        "trustee-unknown",
        "nul",
    ],
)
def test_the_entscheid_form_refuses_hostile_values(
    cast: Cast, db: Session, changes: dict[str, str]
) -> None:
    from ballots.models import Election

    initiative = make_initiative(cast, InitiativeStatus.REFERENDUM_DUE)
    page = f"/initiatives/{initiative.id}/entscheid"
    form = {
        "opens_on": "2031-01-10",
        "closes_on": "2031-01-24",
        "threshold": "1",
        "trustees": str(cast.accounts["commission_own"].id),
        **changes,
    }
    with cast.browser("staff_own") as browser:
        response = post_form(browser, page, page, form)
    refused_in_german(response, 400)
    assert count_rows(db, Election) == 0


# -- 1. hostile input: the initiative's discussion -----------------------------------------


def _discussion_id(cast: Cast, initiative_id: uuid.UUID) -> uuid.UUID:
    with cast.browser("anonymous") as browser:
        assert browser.get(f"/initiatives/{initiative_id}").status_code == 200
    cast.session.expire_all()
    found = cast.session.scalar(
        select(Discussion.id).where(
            Discussion.kind == "initiative", Discussion.subject_id == initiative_id
        )
    )
    assert found is not None
    return found


@pytest.mark.parametrize(
    "body",
    ["x" * MEGABYTE, "", "  ", INVISIBLE_ONLY, "x" * 5_001, *HOSTILE_TEXT.values()],
    ids=["megabyte", "empty", "blank", "invisible-only", "over-5000", *HOSTILE_TEXT],
)
@pytest.mark.parametrize("role", ["member", "guest"])
def test_hostile_discussion_posts_on_an_initiative_are_refused(
    cast: Cast, db: Session, role: str, body: str
) -> None:
    initiative = make_initiative(cast)
    discussion_id = _discussion_id(cast, initiative.id)
    page = f"/discussions/{discussion_id}"
    with cast.browser(role) as browser:
        response = post_form(browser, page, f"{page}/posts", {"body": body})
    refused_in_german(response, 400, 413)
    assert count_rows(db, Post) == 0


def test_a_unicode_discussion_post_is_kept(cast: Cast, db: Session) -> None:
    initiative = make_initiative(cast)
    discussion_id = _discussion_id(cast, initiative.id)
    page = f"/discussions/{discussion_id}"
    with cast.browser("guest") as browser:
        response = post_form(browser, page, f"{page}/posts", {"body": FRIENDLY_UNICODE})
    assert response.status_code in {302, 303}, response.status_code
    assert db.scalars(select(Post.body)).one() == FRIENDLY_UNICODE


# -- 2. staff, commission and board pages of existing initiatives, tried by everyone else ---


@dataclass
class _Initiatives:
    """One initiative in each state a staff action needs, all of UB1."""

    submitted: Initiative
    signing: Initiative
    succeeded: Initiative
    due: Initiative
    draft: Initiative


def _initiatives(cast: Cast) -> _Initiatives:
    """Siggi (OV-B) signed the running one online, Bert (the board) on paper."""
    from datetime import timedelta

    from motions import services

    add_people(cast)
    session = cast.session
    found = _Initiatives(
        submitted=make_initiative(cast, InitiativeStatus.SUBMITTED, title="Eingereicht"),
        signing=make_initiative(cast, InitiativeStatus.SIGNING, title="Läuft"),
        succeeded=make_initiative(cast, InitiativeStatus.SUCCEEDED, title="Erfolgreich"),
        due=make_initiative(cast, InitiativeStatus.REFERENDUM_DUE, title="Fällig"),
        draft=make_initiative(cast, InitiativeStatus.DRAFT, title="Entwurf"),
    )
    found.succeeded.board_deadline = found.succeeded.closes_at + timedelta(days=28)  # type: ignore[operator]
    session.add(Initiator(initiative_id=found.draft.id, member_id=cast.members["board_own"].id))
    session.commit()
    services.sign(session, cast.accounts["signer"], found.signing.id)
    services.enter_paper(
        session,
        cast.accounts["staff_own"],
        found.signing.id,
        cast.members["board_own"].membership_number,
    )
    return found


def _entscheid_form(cast: Cast) -> dict[str, str]:
    return {
        "opens_on": "2031-01-10",
        "closes_on": "2031-01-24",
        "threshold": "1",
        "trustees": str(cast.accounts["commission_own"].id),
    }


def _attempts(
    cast: Cast, found: _Initiatives
) -> list[tuple[str, str, dict[str, str] | None, set[str]]]:
    """(method, path, form, who may) of every staff, commission, board and initiator
    action on the initiatives; the rules of UB1 and of the unit above it."""
    sub, sig, won, due = found.submitted.id, found.signing.id, found.succeeded.id, found.due.id
    ub1, lv1 = cast.units["UB1"].id, cast.units["LV1"].id
    staff = {"staff_own"}
    paper_number = cast.members["own"].membership_number
    return [
        ("GET", f"/initiatives/{sub}", None, {"staff_own", "member"}),
        ("GET", f"/initiatives/{sub}/count", None, set()),
        ("POST", f"/initiatives/{sub}/admit", {}, staff),
        ("POST", f"/initiatives/{sub}/refuse", {"reason": "Unzulässig."}, staff),
        ("GET", f"/initiatives/{sig}/paper", None, staff),
        ("POST", f"/initiatives/{sig}/paper", {"numbers": paper_number}, staff),
        (
            "POST",
            f"/initiatives/{sig}/paper/withdraw",
            {"number": cast.members["board_own"].membership_number},
            staff,
        ),
        ("GET", f"/initiatives/{sig}/signers", None, {"commission_own"}),
        ("GET", f"/initiatives/{sig}/signatures.json", None, set()),
        ("POST", f"/initiatives/{sig}/check", {"leaf": "ab" * 32}, set()),
        ("POST", f"/initiatives/{won}/adopt", {"answer": "Angenommen."}, {"board_own"}),
        ("GET", f"/initiatives/{due}/entscheid", None, staff),
        ("POST", f"/initiatives/{due}/entscheid", _entscheid_form(cast), staff),
        ("POST", f"/initiatives/{found.draft.id}/confirm", {}, {"board_own", "member"}),
        ("POST", f"/initiatives/{found.draft.id}/submit", {}, {"member"}),
        ("GET", f"/initiative-rules/{ub1}", None, staff),
        ("POST", f"/initiative-rules/{ub1}", _rules_form(), staff),
        ("GET", f"/initiative-rules/{lv1}", None, set()),
        ("POST", f"/initiative-rules/{lv1}", _rules_form(), set()),
    ]


def _snapshot(db: Session) -> tuple[Any, ...]:
    from ballots.models import Election

    db.expire_all()
    initiatives = sorted(
        (str(i.id), i.status.value, i.live_count, i.board_answer, i.refusal_reason)
        for i in db.scalars(select(Initiative))
    )
    signatures = sorted(
        (s.member_id, s.online_at is not None, s.paper_at is not None, s.withdrawn_at is None)
        for s in db.scalars(select(Signature))
    )
    confirmed = sorted(
        (str(i.initiative_id), i.member_id, i.confirmed_at is not None)
        for i in db.scalars(select(Initiator))
    )
    return (
        initiatives,
        signatures,
        confirmed,
        count_rows(db, InitiativeRules),
        count_rows(db, Election),
    )


@pytest.mark.parametrize("role", [*ATTACKERS, "board_own"])
def test_nobody_else_uses_a_staff_commission_or_board_action(
    cast: Cast, db: Session, role: str
) -> None:
    found = _initiatives(cast)
    before = _snapshot(db)
    signer = cast.members["signer"]
    wrong = []
    for method, path, form, may in _attempts(cast, found):
        if role in may:
            continue
        with cast.browser(role) as browser:
            response = send(browser, method, path, form)
        if not denied(response):
            wrong.append(f"{method} {path}: {response.status_code}")
        if "Siggi" in response.text or signer.membership_number in response.text:
            wrong.append(f"{method} {path}: names the signer")
    assert not wrong, wrong
    assert _snapshot(db) == before


def test_the_actions_are_open_to_those_who_may(cast: Cast, db: Session) -> None:
    """The control for the test above: each reading attempt gets in for its own people,
    and only the commission's list names the signer."""
    found = _initiatives(cast)
    for method, path, _, may in _attempts(cast, found):
        for role in sorted(may) if method == "GET" else ():
            with cast.browser(role) as browser:
                response = send(browser, method, path)
            assert response.status_code == 200, (role, path, response.status_code)
            named = "Siggi Signer" in response.text
            assert named is path.endswith("/signers"), (role, path)


@pytest.mark.parametrize(
    "role", ["anonymous", "guest", "member_other", "staff_other", "admin_other", "commission_other"]
)
def test_only_members_of_the_unit_sign_or_withdraw(cast: Cast, db: Session, role: str) -> None:
    """Members elsewhere, guests and visitors try to sign, and to withdraw Siggi's."""
    found = _initiatives(cast)
    before = _snapshot(db)
    page = f"/initiatives/{found.signing.id}"
    with cast.browser(role) as browser:
        signed = send(browser, "POST", f"{page}/sign", {})
        withdrawn = send(browser, "POST", f"{page}/withdraw", {})
    for response in (signed, withdrawn):
        if role == "anonymous":
            assert denied(response) or response.status_code == 403, response.status_code
        else:
            refused_in_german(response, 403)
    assert _snapshot(db) == before


def test_the_commissions_list_is_not_reachable_from_another_initiative(
    cast: Cast, db: Session
) -> None:
    """The commission of UB2 opens the signer list of UB1's initiative by its id, and the
    commission of UB1 opens it for an initiative of UB2: both refused."""
    from datetime import timedelta

    found = _initiatives(cast)
    other = make_initiative(cast, InitiativeStatus.SIGNING, title="Anderswo")
    other.unit_id = cast.units["UB2"].id
    other.closes_at = other.closes_at + timedelta(days=1)  # type: ignore[operator]
    db.commit()
    with cast.browser("commission_other") as browser:
        assert denied(send(browser, "GET", f"/initiatives/{found.signing.id}/signers"))
    with cast.browser("commission_own") as browser:
        assert denied(send(browser, "GET", f"/initiatives/{other.id}/signers"))


# Every route of the initiative module and where this file attacks it (or why it is no
# staff route). A new route fails the test below until it is attacked and listed.
INITIATIVE_ROUTES = {
    "GET /initiatives/{initiative_id:uuid}": "before admission: staff and initiators (_attempts)",
    "GET /initiatives/{initiative_id:uuid}/count": "public states only (_attempts)",
    "POST /initiatives/{initiative_id:uuid}/admit": "staff (_attempts)",
    "POST /initiatives/{initiative_id:uuid}/refuse": "staff (_attempts)",
    "GET /initiatives/{initiative_id:uuid}/paper": "staff (_attempts)",
    "POST /initiatives/{initiative_id:uuid}/paper": "staff (_attempts)",
    "POST /initiatives/{initiative_id:uuid}/paper/withdraw": "staff (_attempts)",
    "GET /initiatives/{initiative_id:uuid}/signers": "commission (_attempts, own unit only)",
    "GET /initiatives/{initiative_id:uuid}/signatures.json": "after the deadline (_attempts)",
    "POST /initiatives/{initiative_id:uuid}/check": "after the deadline (_attempts)",
    "POST /initiatives/{initiative_id:uuid}/adopt": "board of the unit (_attempts)",
    "GET /initiatives/{initiative_id:uuid}/entscheid": "staff (_attempts)",
    "POST /initiatives/{initiative_id:uuid}/entscheid": "staff (_attempts)",
    "POST /initiatives/{initiative_id:uuid}/confirm": "named co-initiators (_attempts)",
    "POST /initiatives/{initiative_id:uuid}/submit": "the starter (_attempts)",
    "GET /initiative-rules/{unit_id:int}": "staff of the unit or above (_attempts)",
    "POST /initiative-rules/{unit_id:int}": "staff of the unit or above (_attempts)",
    "POST /initiatives/{initiative_id:uuid}/sign": "members of the unit: test_only_members",
    "POST /initiatives/{initiative_id:uuid}/withdraw": "the signer: test_only_members",
    "GET /initiatives": "public list of admitted initiatives",
    "GET /initiatives/mine": "the person's own overview",
    "GET /initiatives/new": "members; the unit is checked on starting",
    "POST /initiatives/new": "members of the unit chosen: test_the_unit_takes_ascii_digits…",
    "GET /initiatives/notices/opt-out": "a mailed link's page; changes nothing",
    "POST /initiatives/notices/opt-out": "a signed token decides",
}


def test_every_initiative_route_is_accounted_for(app: Litestar) -> None:
    assert_every_route_listed(app, INITIATIVE_ROUTES, ("/initiatives", "/initiative-rules"))


# -- 3. signature lists forged to look consistent --------------------------------------------


def _published(cast: Cast) -> tuple[Initiative, dict[str, Any], dict[str, str]]:
    """A decided initiative signed by Siggi online, Olga online and Bert on paper; its
    list as served, and Siggi's receipt."""
    from motions import services

    found = _initiatives(cast)
    services.sign(cast.session, cast.accounts["member"], found.signing.id)
    receipt = services.receipt(cast.session, cast.accounts["signer"], found.signing.id)
    assert receipt is not None
    decide(cast, found.signing.id)
    with cast.browser("anonymous") as browser:
        served = browser.get(f"/initiatives/{found.signing.id}/signatures.json")
    assert served.status_code == 200
    initiative = cast.session.get(Initiative, found.signing.id)
    assert initiative is not None
    return initiative, served.json(), receipt


def _check(tmp_path: Path, document: Any, *extra: str) -> Any:
    """``stimmwerk initiative-check`` as an auditor runs it: a fresh process."""
    import subprocess
    import sys

    path = tmp_path / f"list-{len(list(tmp_path.iterdir()))}.json"
    path.write_text(json.dumps(document))
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "initiative-check", str(path), *extra],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _recomputed(document: dict[str, Any], leaves: list[str]) -> dict[str, Any]:
    """The list with other leaves, root and count made to agree with them."""
    from motions.commitment import published

    return published(
        uuid.UUID(document["initiative"]), [bytes.fromhex(x) for x in leaves], len(leaves)
    )


_LIST_LIES = {
    "leaf-twice": (
        lambda d: {**d, "leaves": sorted([*d["leaves"], d["leaves"][0]])},
        "leaves are sorted and distinct",
    ),
    "count-not-the-leaves": (lambda d: {**d, "count": d["count"] + 1}, "the count equals"),
    "root-of-another-list": (
        lambda d: {**d, "root": _recomputed(d, d["leaves"][1:])["root"]},
        "the root matches the leaves",
    ),
    "count-as-float": (lambda d: {**d, "count": d["count"] + 0.25}, "published"),
    "count-as-text": (lambda d: {**d, "count": str(d["count"])}, "published signature list"),
    "count-as-true": (
        lambda d: {**_recomputed(d, d["leaves"][:1]), "count": True},
        "published signature list",
    ),
    "leaves-as-object": (
        lambda d: {**d, "leaves": dict.fromkeys(d["leaves"], 1)},
        "published signature list",
    ),
    "another-format": (lambda d: {**d, "format": "stimmwerk-other/9"}, "published format"),
    "leaves-unsorted": (
        lambda d: {**d, "leaves": d["leaves"][::-1]},
        "leaves are sorted and distinct",
    ),
}


@pytest.mark.parametrize("lie", sorted(_LIST_LIES))
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_initiative_check_names_the_lie_of_a_forged_list(
    cast: Cast, tmp_path: Path, lie: str
) -> None:
    """Found: a count of 3.25, "3" or true and leaves given as an object passed (read as
    3, 3, 1 and the object's keys); the format was not checked."""
    _, document, _ = _published(cast)
    honest = _check(tmp_path, document)
    assert honest.returncode == 0, honest.stdout + honest.stderr
    forge, named = _LIST_LIES[lie]
    done = _check(tmp_path, forge(document))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert any(line.startswith("FAIL") and named in line for line in done.stdout.splitlines())


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_list_forged_whole_fails_against_the_root_on_the_page(cast: Cast, tmp_path: Path) -> None:
    """A forger drops Siggi's leaf (or swaps it for another) and recomputes root and count:
    the list agrees with itself. It cannot agree with the root the page showed at the
    deadline: ``--root`` (new) checks that, and Siggi's receipt is not found in it."""
    initiative, document, receipt = _published(cast)
    page_root = str(initiative.commitment_root)
    mine = receipt["leaf"]
    dropped = _recomputed(document, [x for x in document["leaves"] if x != mine])
    swapped = _recomputed(document, sorted([*dropped["leaves"], "00" * 32]))
    for forged in (dropped, swapped):
        alone = _check(tmp_path, forged)
        assert alone.returncode == 0, alone.stdout  # self-consistent: the limit of a list
        against_page = _check(tmp_path, forged, "--root", page_root.upper())
        assert against_page.returncode == 1, against_page.stdout
        assert f"FAIL the list's root is the published root {page_root}" in against_page.stdout
        by_receipt = _check(
            tmp_path, forged, "--number", receipt["number"], "--salt", receipt["salt"]
        )
        assert by_receipt.returncode == 1
        assert "FAIL the receipt's leaf" in by_receipt.stdout
    honest = _check(tmp_path, document, "--root", page_root, "--leaf", mine)
    assert honest.returncode == 0, honest.stdout + honest.stderr


def test_a_signature_changed_in_the_database_after_the_deadline_shows_on_every_check(
    cast: Cast, db: Session
) -> None:
    """Found: the list was recomputed per request, root included, so a salt changed (or a
    row added) after the deadline gave a new, self-consistent list. Now the list carries
    the root fixed at the deadline and every check of it fails."""
    initiative, _, _ = _published(cast)
    signer = db.scalars(
        select(Signature).where(
            Signature.initiative_id == initiative.id,
            Signature.member_id == cast.members["signer"].id,
        )
    ).one()
    signer.salt = "ff" * 16
    db.commit()
    page = f"/initiatives/{initiative.id}"
    with cast.browser("anonymous") as browser:
        served = browser.get(f"{page}/signatures.json").json()
        checked = post_form(browser, page, f"{page}/check", {"leaf": served["leaves"][0]})
    from motions.commitment import check_published

    assert served["root"] == initiative.commitment_root
    assert ("the root matches the leaves", False) in check_published(served)
    assert "FEHLGESCHLAGEN" in checked.text or "nicht bestanden" in checked.text


# -- 4. a database and audit-log reader --------------------------------------------------------


def test_the_published_list_says_nothing_of_who_signed_when(
    cast: Cast, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    """Eight members sign online one after the other, staff enter one on paper and record
    a written withdrawal; then the list is published. The list is sorted (not in signing
    order) and holds leaves only; the audit log records that signatures came and went,
    never whose (the written withdrawal names the staff member, not the signer); the logs
    name nobody."""
    import logging

    from app.core.audit import AuditEvent
    from motions import commitment

    add_people(cast)
    roles = add_members(cast, "signer", "Sina", "Zeichner", 8)
    initiative = make_initiative(cast)
    page = f"/initiatives/{initiative.id}"
    audit_before = count_rows(db, AuditEvent)
    with caplog.at_level(logging.DEBUG):
        for role in roles:
            with cast.browser(role) as browser:
                assert post_form(browser, page, f"{page}/sign", {}).status_code in {302, 303}
        paper_number = cast.members["board_own"].membership_number
        with cast.browser("staff_own") as browser:
            assert (
                post_form(
                    browser, f"{page}/paper", f"{page}/paper", {"numbers": paper_number}
                ).status_code
                == 200
            )
            withdrawn = post_form(
                browser, f"{page}/paper", f"{page}/paper/withdraw", {"number": paper_number}
            )
            assert withdrawn.status_code == 200
        decide(cast, initiative.id)
        with cast.browser("anonymous") as browser:
            listed = browser.get(f"{page}/signatures.json").json()
    db.expire_all()
    signed_in_order = [
        commitment.leaf(initiative.id, cast.members[role].membership_number, salt).hex()
        for role in roles
        for salt in db.scalars(
            select(Signature.salt).where(
                Signature.initiative_id == initiative.id,
                Signature.member_id == cast.members[role].id,
            )
        )
    ]
    assert sorted(listed["leaves"]) == sorted(signed_in_order)
    assert listed["leaves"] == sorted(listed["leaves"])
    assert listed["leaves"] != signed_in_order  # 8! orders: a clash is one in 40,320
    assert set(listed) == {"format", "initiative", "count", "root", "leaves"}
    events = db.scalars(select(AuditEvent).order_by(AuditEvent.id).offset(audit_before)).all()
    people = {cast.accounts[role].id for role in [*roles, "board_own"]}
    numbers = {cast.members[role].membership_number for role in [*roles, "board_own"]}
    for event in events:
        assert event.actor_id not in people, event.action
        details = json.dumps(event.details)
        assert not any(number in details for number in numbers), event.action
        assert "member" not in details, (event.action, details)
    paper_withdrawal = [
        e for e in events if e.action == "initiative:withdrawn" and e.details.get("on_paper")
    ]
    assert len(paper_withdrawal) == 1
    assert paper_withdrawal[0].actor_id == cast.accounts["staff_own"].id
    assert paper_withdrawal[0].details == {"on_paper": True}
    for role in [*roles, "board_own"]:
        member = cast.members[role]
        for secret in (member.membership_number, member.family_name, member.email):
            assert not mentions(app_log(caplog.records), str(secret)), secret


def test_the_audit_log_does_not_tie_a_signature_to_the_login_before_it(
    cast: Cast, db: Session
) -> None:
    from datetime import timedelta

    from app.core.audit import AuditEvent
    from tests.helpers import log_in

    add_people(cast)
    initiative = make_initiative(cast)
    page = f"/initiatives/{initiative.id}"
    with cast.browser("anonymous") as browser:
        log_in(browser, "signer@example.org", "correct horse battery")
        assert post_form(browser, page, f"{page}/sign", {}).status_code in {302, 303}
        assert post_form(browser, page, f"{page}/withdraw", {}).status_code in {302, 303}
    with cast.browser("admin_own") as browser:
        audit = browser.get("/admin/audit", headers=PAGE)
    assert audit.status_code == 200
    login = "login:succeeded"
    db.expire_all()
    logins = db.scalars(select(AuditEvent).where(AuditEvent.action == login)).all()
    assert logins, "the signer's login is in the log"
    after = db.scalars(
        select(AuditEvent.action).where(
            AuditEvent.occurred_at >= min(e.occurred_at for e in logins) - timedelta(minutes=1),
            AuditEvent.object_id == str(initiative.id),
        )
    ).all()
    # No event per online signature or withdrawal: beside the login (exact times) it
    # would tell the admin who signed, which is for the commission only.
    assert not [a for a in after if a in {"initiative:signed", "initiative:withdrawn"}], after


# -- 5. rate limits -------------------------------------------------------------------------


def test_signing_and_withdrawing_in_a_loop_is_limited_per_account(
    cast: Cast, database: Any, db: Session
) -> None:
    """A member signs, withdraws and signs again faster than allowed: the third request
    is refused with a German message and changes nothing; another member behind the same
    address (an office, a carrier's NAT) still signs."""
    add_people(cast)
    initiative = make_initiative(cast)
    fast = limited(cast, database, sign_per_minute=2)
    page = f"/initiatives/{initiative.id}"
    with fast.browser("member") as browser:
        assert send(browser, "POST", f"{page}/sign").status_code in {302, 303}
        assert send(browser, "POST", f"{page}/withdraw").status_code in {302, 303}
        refused_in_german(send(browser, "POST", f"{page}/sign"), 429)
    assert _signatures(db, initiative.id) == (1, 0)  # withdrawn, not signed again
    with fast.browser("signer") as browser:
        assert send(browser, "POST", f"{page}/sign").status_code in {302, 303}
    assert _signatures(db, initiative.id) == (2, 1)


def test_the_list_and_the_receipt_check_are_limited_per_address(cast: Cast, database: Any) -> None:
    """Each request rebuilds the Merkle tree of every counted signature: an address gets
    ``lookup_per_minute`` of them, then 429 (a page in German, JSON for the list)."""
    initiative, _, receipt = _published(cast)
    fast = limited(cast, database, lookup_per_minute=2)
    page = f"/initiatives/{initiative.id}"
    with fast.browser("anonymous") as browser:
        assert browser.get(f"{page}/signatures.json").status_code == 200
        assert send(browser, "POST", f"{page}/check", {"leaf": receipt["leaf"]}).status_code == 200
        refused_in_german(send(browser, "POST", f"{page}/check", {"leaf": receipt["leaf"]}), 429)
        listed = browser.get(f"{page}/signatures.json", headers={"accept": "application/json"})
    assert listed.status_code == 429
    assert looks_german(listed.json()["error"])
