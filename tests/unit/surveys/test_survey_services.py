"""The survey services against a real database: from staff's draft to a verified record.

Staff create, edit and copy drafts; opening freezes questions, audience and keys; members
of the unit (and sub-units) and, if allowed, guests get one blind credential each and
answer without any link to their account; the board is filled in shuffled batches; the
record built at the close verifies, and an altered answer fails.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from app.accounts.models import Account, Role
from app.core.audit import AuditEvent
from app.core.settings import Settings
from crypto.canonical import canonical_json
from surveys import client, services
from surveys.definition import read_definition
from surveys.models import Survey, SurveyAnswer, SurveyRollEntry, SurveyStatus
from surveys.verifier import verify_record
from tests import factories
from tests.surveys_support import example_definition, good_answers

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
END = START + timedelta(days=7)
DURING = START + timedelta(days=1)


class World:
    def __init__(self, db: Session, settings: Settings) -> None:
        tree = factories.make_tree(db)
        self.tree = tree
        self.staff = self._account(db, settings, "staff@test.de", tree["UB1"])
        factories.grant(db, self.staff, Role.STAFF, tree["UB1"])
        self.members = [
            self._account(db, settings, f"m{n}@test.de", tree["OV-A" if n % 2 else "OV-B"])
            for n in range(6)
        ]
        self.outsider = self._account(db, settings, "out@test.de", tree["OV-C"])
        self.guest = factories.make_account(db, settings, "gast@test.de", "pw-123456789")
        db.commit()

    @staticmethod
    def _account(db: Session, settings: Settings, email: str, unit: Any) -> Account:
        member = factories.make_member(
            db, unit, "Vor", email.split("@", maxsplit=1)[0], email=email
        )
        return factories.make_account(db, settings, email, "pw-123456789", member=member)


@pytest.fixture
def world(db: Session, settings: Settings) -> World:
    return World(db, settings)


def _open(db: Session, settings: Settings, world: World, *, guests: bool = False) -> Survey:
    survey = services.create_survey(
        db, world.staff, world.tree["UB1"], example_definition(),
        opens_at=START, closes_at=END, guests_allowed=guests,
    )  # fmt: skip
    return services.open_survey(db, settings, world.staff, survey.id, key_bits=2048)


def _credential(
    db: Session, settings: Settings, survey: Survey, account: Account
) -> client.SurveyCredential:
    allowed = services.eligibility(db, survey, account, now=DURING)
    assert allowed.audience is not None
    issuer = services.issuer_public(survey, allowed.audience)
    request = client.request_credential(issuer, str(survey.id), allowed.audience)
    _audience, blind = services.issue_credential(
        db, settings, survey.id, account, request.blinded_msg, now=DURING
    )
    return client.finish_credential(issuer, request, blind)


def _answer(
    db: Session, settings: Settings, survey: Survey, credential: client.SurveyCredential,
    answers: dict[str, Any], *, check: bool = True,
) -> dict[str, Any]:  # fmt: skip
    manifest = read_definition(json.loads(survey.definition))
    line = client.answer_line(manifest, str(survey.fingerprint), credential, answers, check=check)
    return services.submit_answer(db, settings, survey.id, line, now=DURING)


def test_staff_create_a_draft_and_every_rule_is_refused_with_the_question(
    db: Session, world: World
) -> None:
    broken = example_definition()
    broken["sections"][0]["questions"][2]["max"] = 9
    with pytest.raises(services.SurveyInvalid) as refused:
        services.create_survey(
            db, world.staff, world.tree["UB1"], broken, opens_at=START, closes_at=END
        )
    assert refused.value.question == "q3"
    assert db.scalar(select(Survey.id)) is None
    with pytest.raises(services.NotStaff):
        services.create_survey(
            db, world.members[0], world.tree["UB1"], example_definition(),
            opens_at=START, closes_at=END,
        )  # fmt: skip


def test_questions_are_frozen_once_open_and_a_copy_is_a_new_draft(
    db: Session, settings: Settings, world: World
) -> None:
    survey = _open(db, settings, world)
    with pytest.raises(services.SurveyFrozen):
        services.update_survey(db, world.staff, survey.id, example_definition())
    copy = services.copy_survey(
        db, world.staff, survey.id, opens_at=END, closes_at=END + timedelta(days=3)
    )
    assert copy.status == SurveyStatus.DRAFT
    assert copy.definition == survey.definition
    assert copy.copied_from == survey.id
    changed = example_definition()
    changed["title"] = "Zweite Runde"
    assert services.update_survey(db, world.staff, copy.id, changed).title == "Zweite Runde"


def test_audience_members_of_the_unit_and_sub_units_only(
    db: Session, settings: Settings, world: World
) -> None:
    survey = _open(db, settings, world)
    assert survey.eligible_members == len(world.members) + 1  # the staff member too
    assert services.eligibility(db, survey, world.members[0], now=DURING).audience == "members"
    outsider = services.eligibility(db, survey, world.outsider, now=DURING)
    assert outsider.refusal is services.NotInAudience
    assert services.eligibility(db, survey, world.guest, now=DURING).refusal is services.MembersOnly
    late = services.eligibility(db, survey, world.members[0], now=END)
    assert late.refusal is services.SurveyClosedAlready


def test_one_answer_per_member_unlinkable_and_the_record_verifies(
    db: Session, settings: Settings, world: World
) -> None:
    survey = _open(db, settings, world, guests=True)
    credentials = [_credential(db, settings, survey, account) for account in world.members]
    guest = _credential(db, settings, survey, world.guest)
    assert guest.audience == "guests"
    receipts = []
    for n, credential in enumerate(credentials):
        sheet = good_answers()
        sheet["q5"] = n % 5 + 1
        receipts.append(_answer(db, settings, survey, credential, sheet))
    _answer(db, settings, survey, guest, good_answers())
    # a second answer with the same credential: refused, nothing stored
    with pytest.raises(services.AlreadyAnswered):
        _answer(db, settings, survey, credentials[0], good_answers())
    # a second credential for the same member: refused
    with pytest.raises(services.CredentialTaken):
        _credential(db, settings, survey, world.members[0])
    # answers that break a rule: refused with the question named, nothing stored
    extra = _credential(db, settings, survey, world.staff)
    sheet = good_answers()
    sheet["q2"] = "no"
    with pytest.raises(services.AnswerInvalid) as refused:
        _answer(db, settings, survey, extra, sheet, check=False)
    assert refused.value.question == "q4"
    sheet = good_answers()
    sheet["q3"] = ["klima", "bildung", "rente"]
    with pytest.raises(services.AnswerInvalid) as refused:
        _answer(db, settings, survey, extra, sheet, check=False)
    assert refused.value.question == "q3"
    assert (
        db.scalar(
            select(SurveyAnswer.id).where(
                SurveyAnswer.credential_key == extra.as_json()["public_key"]
            )
        )
        is None
    )
    # nothing links an answer to an account: no account, member or time column at all
    columns = {c.key for c in inspect(SurveyAnswer).columns}
    assert columns == {
        "id",
        "survey_id",
        "credential_key",
        "audience",
        "leaf_hash",
        "line",
        "leaf_index",
    }
    issued = db.scalars(select(SurveyRollEntry.credential_issued_on)).all()
    assert {d for d in issued if d is not None} == {DURING.date()}
    assert not db.scalars(select(AuditEvent).where(AuditEvent.action.like("%credential%"))).all()

    closed = services.close_survey(db, settings, world.staff, survey.id)
    assert closed.board_size == len(world.members) + 1
    receipt = services.answer_receipt(db, survey.id, receipts[0]["answer_hash"])
    assert receipt["status"] == "on_board"
    results = json.loads(str(closed.results))
    assert results["members"]["respondents"] == len(world.members)
    assert results["guests"]["respondents"] == 1
    files = services.build_record_files(db, settings, closed)
    report = verify_record(files)
    assert report.ok, report.failures
    # the stored zip is built once: the same bytes and ETag every time
    assert closed.record_etag is not None
    with pytest.raises(services.SurveyClosedAlready):
        _answer(db, settings, survey, extra, good_answers())
    # one altered answer fails at that answer
    lines = files["answers.jsonl"].splitlines()
    line = json.loads(lines[3])
    line["answers"]["q1"] = "jahr"
    lines[3] = canonical_json(line)
    forged = dict(files, **{"answers.jsonl": b"".join(x + b"\n" for x in lines)})
    assert not verify_record(forged).ok


def test_results_only_after_the_close_unless_live(
    db: Session, settings: Settings, world: World
) -> None:
    survey = _open(db, settings, world)
    _answer(
        db, settings, survey, _credential(db, settings, survey, world.members[1]), good_answers()
    )
    assert services.results(db, survey) is None
    services.close_survey(db, settings, world.staff, survey.id)
    shown = services.results(db, survey)
    assert shown is not None
    assert shown["members"]["questions"]["q2"]["counts"]["yes"] == 1


def test_the_board_order_is_not_the_arrival_order(
    db: Session, settings: Settings, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "BATCH_SIZE", 16)  # 17 credentials instead of 65
    extra = [World._account(db, settings, f"x{n}@test.de", world.tree["OV-A"]) for n in range(14)]
    db.commit()
    survey = _open(db, settings, world)
    arrival = []
    for account in [*world.members, *extra]:
        receipt = _answer(
            db, settings, survey, _credential(db, settings, survey, account), good_answers()
        )
        arrival.append(receipt["answer_hash"])
    # the first batch of BATCH_SIZE went onto the board when it was full, shuffled
    placed = db.execute(
        select(SurveyAnswer.leaf_hash, SurveyAnswer.leaf_index).where(
            SurveyAnswer.leaf_index.is_not(None)
        )
    ).all()
    assert len(placed) == services.BATCH_SIZE
    board_order = [h for h, _ in sorted(placed, key=lambda row: row[1])]
    assert board_order != arrival[: services.BATCH_SIZE]
    assert set(board_order) == set(arrival[: services.BATCH_SIZE])


def test_a_receipt_keeps_the_checkpoint_of_its_batch_and_checks_against_the_record(
    db: Session, settings: Settings, world: World
) -> None:
    """Each batch is signed once and every checkpoint is kept; a receipt names the one
    of its answer's batch (the same on every look-up, however the board grows), its
    inclusion path verifies, and the record lists that checkpoint in its history."""
    from ballots import board
    from surveys.models import SurveyCheckpoint
    from surveys.receipt_check import verify_receipt

    survey = _open(db, settings, world)
    hashes = []
    for n, account in enumerate(world.members):
        hashes.append(_answer(db, settings, survey, _credential(db, settings, survey, account),
                              good_answers())["answer_hash"])  # fmt: skip
        if n in (1, 3):
            services.flush_board(db, settings, survey.id)
    early = services.answer_receipt(db, survey.id, hashes[0])
    assert early["status"] == "on_board"
    assert services.answer_receipt(db, survey.id, hashes[5])["status"] == "waiting"
    closed = services.close_survey(db, settings, world.staff, survey.id)
    sizes = db.scalars(
        select(SurveyCheckpoint.tree_size)
        .where(SurveyCheckpoint.survey_id == survey.id)
        .order_by(SurveyCheckpoint.tree_size)
    ).all()
    assert list(sizes) == [0, 2, 4, 6]
    receipts = [services.answer_receipt(db, survey.id, h) for h in hashes]
    assert receipts[0] == early  # its batch's checkpoint, not the latest one
    assert [int(r["checkpoint"].split("\n")[1]) for r in receipts] == [2, 2, 4, 4, 6, 6]
    verifier = board.note_verifier(services.origin(closed), str(closed.board_public_key))
    for receipt in receipts:
        kept = board.Receipt(
            receipt["answer_hash"], receipt["index"], receipt["checkpoint"],
            tuple(receipt["inclusion_path"]),
        )  # fmt: skip
        line = db.scalar(
            select(SurveyAnswer.line).where(SurveyAnswer.leaf_hash == kept.ballot_hash)
        )
        assert board.check_receipt(
            kept, str(line).encode(), verifier, origin=services.origin(closed)
        )
    files = services.build_record_files(db, settings, closed)
    assert verify_record(files).ok
    history = [json.loads(line)["note"] for line in files["checkpoints.jsonl"].splitlines()]
    assert {r["checkpoint"] for r in receipts} <= set(history)
    for receipt in receipts:
        report = verify_receipt(files, {"receipt": receipt})
        assert report.ok, report.failures
        assert "receipt.consistency" in report.passed
