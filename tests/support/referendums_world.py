"""A Mitgliederentscheid built through the real services, up to any stage (for tests).

Usage::

    from tests.support.referendums_world import build_referendum, advance

    world = build_referendum(
        db, settings, tmp_path,
        staff=staff_account,            # staff of the unit (or above)
        trustees=[karla, kai, kim],     # commission of the unit (or above), index order
        unit_code="LV1",
        stage="open",                   # created | ceremony | roll_frozen | open | closed | tallied
        votes={anna_member_id: {"q1": ["yes"]}},   # cast while open (ballots.client)
    )
    world.id                            # the election (= referendum) id
    advance(world, "tallied", postal=PostalLine(...))   # go on later, e.g. after web votes

Every step is the real one: `referendums.services.create_referendum` (which calls
`ballots.services.create_election`), the key ceremony with `ballots.trustee_tool` and
passphrase key files (cheapest Argon2id), `freeze_roll`, `open_election`, credentials by
blind signature and ballots made by `ballots.client` and cast with `cast_ballot`,
`close_election`, partial decryptions by the first ``threshold`` trustees, the postal
result entered and confirmed by two commission members, `tally_election`, and the
result stated and confirmed by those two ("Ergebnis feststellen": it is published).

The clock: the services get ``now`` from the world's timeline, which is placed around the
real time so that web pages (which use the real clock) see the same state: the cut-off
was two days ago, voting opened yesterday (`opens`) and closes in six days (`closes`);
ballots are cast at `voting` (the moment the world was built). Closing and tallying run
at `closes` on the virtual clock, i.e. before the real closing time.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core.db import utcnow
from app.core.settings import Settings
from ballots import services
from ballots.board import Receipt
from ballots.manifest import ElectionDraft, OptionDraft, QuestionDraft
from ballots.models import ElectionStatus
from ballots.tally import PostalLine
from referendums import services as referendum_services
from referendums.commission import statement
from referendums.services import ReferendumTexts
from tests.ballots_support import ElectionTimeline, shared_issuer_key

STAGES = ("created", "ceremony", "roll_frozen", "open", "closed", "tallied")
"""In order; ``ceremony`` means the key ceremony is done (election status ``keys``)."""

YES_NO = QuestionDraft("q1", "Soll die Satzung geändert werden?", "yes_no_abstain")
ONE_OF = QuestionDraft(
    "q2",
    "Wo soll der Parteitag stattfinden?",
    "one_of",
    (OptionDraft("o1", "Berlin"), OptionDraft("o2", "Bonn"), OptionDraft("o3", "Kiel")),
)

Choices = Mapping[str, Sequence[str]]


@dataclass
class ReferendumWorld(ElectionTimeline):
    """One referendum and what a test may need to go on with it."""

    session: Session
    settings: Settings
    tmp: Path
    staff: Account
    trustees: list[Account]
    postal_clerks: list[Account]
    """two commission members who enter and confirm the postal result."""
    start: datetime
    election_id: uuid.UUID
    stage: str = "created"
    key_files: dict[int, tuple[Path, str]] = field(default_factory=dict)
    receipts: dict[int, Receipt] = field(default_factory=dict)
    """member id -> receipt of the ballot cast for that member."""
    ballots: dict[int, dict[str, object]] = field(default_factory=dict)

    @property
    def id(self) -> uuid.UUID:
        return self.election_id


def build_referendum(
    session: Session,
    settings: Settings,
    tmp: Path,
    *,
    staff: Account,
    trustees: Sequence[Account],
    unit_code: str,
    stage: str = "created",
    title: str = "Mitgliederentscheid zur Satzung",
    explanation: str = "Die Mitglieder entscheiden über die neue Satzung.",
    arguments_for: str = "Die Satzung wird einfacher.",
    arguments_against: str = "Die alte Satzung hat sich bewährt.",
    questions: Sequence[QuestionDraft] = (YES_NO,),
    threshold: int | None = None,
    quorum_percent: int | None = 20,
    votes: Mapping[int, Choices] | None = None,
    postal: PostalLine | None = None,
    postal_clerks: Sequence[Account] | None = None,
) -> ReferendumWorld:
    """Create a referendum and take it to ``stage`` (see the module docstring).

    ``threshold`` defaults to min(2, number of trustees). ``votes`` (member id ->
    choices per question id) are cast when the referendum passes the ``open`` stage.
    ``postal`` is the postal line entered before the tally (zeros if members vote by
    post and none is given); ``postal_clerks`` default to the first two trustees.
    """
    start = utcnow().replace(microsecond=0) - timedelta(days=3)
    draft = ElectionDraft(
        title=title,
        description=explanation,
        unit_code=unit_code,
        unit_name="",
        cutoff_at=start + timedelta(days=1),
        opens_at=start + timedelta(days=2),
        closes_at=start + timedelta(days=9),
        questions=tuple(questions),
        trustees=len(trustees),
        threshold=threshold if threshold is not None else min(2, len(trustees)),
        quorum_percent=quorum_percent,
    )
    referendum = referendum_services.create_referendum(
        session,
        settings,
        staff,
        draft,
        [t.id for t in trustees],
        texts=ReferendumTexts(explanation, arguments_for, arguments_against),
        now=start,
        issuer_key=shared_issuer_key(),
    )
    world = ReferendumWorld(
        session=session,
        settings=settings,
        tmp=tmp,
        staff=staff,
        trustees=list(trustees),
        postal_clerks=list(postal_clerks or trustees[:2]),
        start=start,
        election_id=referendum.election_id,
    )
    return advance(world, stage, votes=votes, postal=postal)


def advance(
    world: ReferendumWorld,
    stage: str,
    *,
    votes: Mapping[int, Choices] | None = None,
    postal: PostalLine | None = None,
) -> ReferendumWorld:
    """Take ``world`` on to ``stage`` (no-op if it is there already)."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}: one of {STAGES}")
    target = STAGES.index(stage)
    while STAGES.index(world.stage) < target:
        following = STAGES[STAGES.index(world.stage) + 1]
        _STEPS[following](world, votes or {}, postal)
        world.stage = following
    return world


def _ceremony(world: ReferendumWorld, _votes: object, _postal: object) -> None:
    world.hold_ceremony(world.trustees, prefix="referendum-trustee")
    assert world.election().status == ElectionStatus.KEYS


def _freeze(world: ReferendumWorld, _votes: object, _postal: object) -> None:
    services.freeze_roll(world.session, world.id, world.staff, now=world.cutoff)


def _open(world: ReferendumWorld, votes: Mapping[int, Choices], _postal: object) -> None:
    services.open_election(world.session, world.settings, world.id, world.staff, now=world.opens)
    for member_id, choices in votes.items():
        cast_vote(world, member_id, choices)


def cast_vote(world: ReferendumWorld, member_id: int, choices: Choices) -> Receipt:
    """A member's credential (blind signature) and ballot, cast through the services."""
    ballot, receipt = world.cast_ballot(world.credential_for(member_id), choices)
    world.ballots[member_id] = ballot
    world.receipts[member_id] = receipt
    return receipt


def _close(world: ReferendumWorld, _votes: object, _postal: object) -> None:
    services.close_election(world.session, world.id, None, now=world.closes)


def _tally(world: ReferendumWorld, _votes: object, postal: PostalLine | None) -> None:
    election = world.election()
    # Record v3: the trustees bind the confirmed postal line, so it comes first.
    if postal is not None or election.postal_count:
        line = postal or PostalLine.zeros(services.manifest_of(election))
        world.sign_postal(world.trustees, line, now=world.closes)
    world.decrypt_with(world.trustees[: election.threshold])
    services.tally_election(
        world.session, world.id, world.trustees[0], now=world.closes + timedelta(hours=1)
    )
    # Counted is published only once two commission members have stated and confirmed it.
    first, second = world.postal_clerks[:2]
    statement.state_result(world.session, world.id, first)
    statement.confirm_result(world.session, world.id, second)


_STEPS = {
    "ceremony": _ceremony,
    "roll_frozen": _freeze,
    "open": _open,
    "closed": _close,
    "tallied": _tally,
}
